from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One run of the whole pipeline over ``samples/`` shared by the tests that read its output."""
    from corpuskit.config import RunConfig
    from corpuskit.pipeline import run

    out = tmp_path_factory.mktemp("sample-run")
    return run([str(SAMPLES)], out, RunConfig(workers=1))
