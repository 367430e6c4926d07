from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (once: registered in ``sys.modules``, where the
    dataclasses of a script look their module up)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def holes_free_blocks(directory: Path) -> bool:
    """Whether a hole punched in a file in ``directory`` gives its blocks back at once, as
    ext4, XFS, btrfs and tmpfs do: where it does not (no ``fallocate``, a filesystem that
    refuses holes or frees their blocks later), tests check the data, not the blocks."""
    import tempfile

    import numpy as np

    from corpuskit.spill import pwrite_all, release_ranges

    with tempfile.TemporaryFile(dir=directory) as fh:
        fd = fh.fileno()
        pwrite_all(fd, np.ones(1 << 20, dtype=np.uint8), 0)
        os.fsync(fd)
        before = os.fstat(fd).st_blocks
        punched = release_ranges(fd, np.array([0], dtype=np.int64), np.array([1 << 19], dtype=np.int64))
        return punched and before - os.fstat(fd).st_blocks >= (1 << 19) // 512 // 2


def run_alone(code: str) -> str:
    """Run ``code`` in a Python process of its own (for what is process-wide: the heap,
    loaded modules); fail with its stderr if it fails; return its stdout, stripped."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Caches the tests write (langdetect's profile table) go to a directory of this test
    session, not the user's: set in the environment, so processes the tests start use it too."""
    os.environ["CORPUSKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One run of the whole pipeline over ``samples/`` shared by the tests that read its output."""
    from corpuskit.config import RunConfig
    from corpuskit.pipeline import run

    out = tmp_path_factory.mktemp("sample-run")
    return run([str(SAMPLES)], out, RunConfig(workers=1))


def report_data(page: str) -> dict[str, Any]:
    """The JSON data block of a rendered ``report.html``."""
    m = re.search(r'<script type="application/json" id="corpus-data">(.*?)</script>', page, re.S)
    assert m, "data block missing"
    return json.loads(m.group(1))  # type: ignore[no-any-return]
