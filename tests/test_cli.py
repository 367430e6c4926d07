from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest import MonkeyPatch
from typer.testing import CliRunner

from corpuskit.cli import app
from corpuskit.config import RunConfig
from corpuskit.errors import CorpuskitError

from .conftest import run_alone

runner = CliRunner()
BODY = "The council voted on Tuesday to keep the library open on Sundays, after a petition signed by thousands."


def test_help_and_module_entry() -> None:
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "run" in r.output
    p = subprocess.run([sys.executable, "-m", "corpuskit", "--version"], capture_output=True, text=True, check=True)
    assert p.stdout.startswith("corpuskit ")


def test_the_package_and_the_cli_import_light_and_every_public_name_resolves() -> None:
    # `corpuskit --help` must not wait for numba and the stages (nor load numpy: the script
    # settles OpenBLAS's threads before it does); the public names are imported on first
    # use, each from its module.
    code = (
        "import sys, corpuskit, corpuskit.cli\n"
        "assert not {'numba', 'numpy', 'corpuskit.pipeline'} & set(sys.modules), sorted(sys.modules)\n"
        "from corpuskit import *\n"
        "import corpuskit.pipeline, corpuskit.records\n"
        "assert run is corpuskit.pipeline.run and corpuskit.Document is corpuskit.records.Document\n"
        "assert set(corpuskit.__all__) <= set(dir(corpuskit))\n"
        "assert set(corpuskit._HOME) == set(corpuskit.__all__) - {'__version__'}, set(corpuskit._HOME) ^ set(corpuskit.__all__)\n"
        "for name, home in corpuskit._HOME.items():\n"
        "    assert getattr(corpuskit, name) is getattr(sys.modules['corpuskit.' + home], name), name\n"
        "try:\n"
        "    corpuskit.nothing\n"
        "except AttributeError as e:\n"
        "    assert 'nothing' in str(e)\n"
        "else:\n"
        "    raise AssertionError\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_run_writes_outputs(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": "a", "text": BODY}) + "\nbroken\n")
    r = runner.invoke(app, ["run", str(f), "-o", str(tmp_path / "out"), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "read 2: kept 1, duplicate 0, rejected 1" in r.output
    for name in ("documents.jsonl", "passages.jsonl", "manifest.json", "report.html"):
        assert (tmp_path / "out" / name).is_file()


def test_stdin(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["run", "-", "-o", str(tmp_path / "o"), "-q", "--workers", "1"], input=json.dumps({"text": BODY})
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "o" / "documents.jsonl").read_text())
    assert doc["id"] == "-:1" and doc["source"] == "-" and doc["text"] == BODY


def test_exit_codes(tmp_path: Path) -> None:
    r = runner.invoke(app, ["run", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "nope.txt" in r.output and "no such file" in r.output
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"text": BODY}) + "\nbroken\n")
    r = runner.invoke(app, ["run", str(f), "-o", str(tmp_path / "o"), "--strict", "--workers", "1"])
    assert r.exit_code == 1 and f"{f}:2" in r.output
    (tmp_path / "plain").write_text("x")
    r = runner.invoke(app, ["run", str(f), "-o", str(tmp_path / "plain" / "o"), "--workers", "1"])
    assert r.exit_code == 3 and "plain" in r.output
    r = runner.invoke(app, ["run", str(f), "--threshold", "1.5"])
    assert r.exit_code == 2 and "threshold" in r.output


def test_workers_default_to_every_core_but_one_for_a_small_input(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    import corpuskit.pipeline
    from corpuskit import cli

    chosen: list[int] = []

    def fake_run(inputs: list[str], out: Path, cfg: RunConfig, **_: object) -> None:
        chosen.append(cfg.workers)
        raise CorpuskitError("stop here")

    monkeypatch.setattr(corpuskit.pipeline, "run", fake_run)
    monkeypatch.setattr(cli, "_default_workers", lambda: 4)
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"text": BODY}) + "\n")
    large = tmp_path / "large.jsonl"
    with open(large, "wb") as fh:
        fh.truncate(3 << 20)  # sparse: its size is what counts
    for args in ([str(small)], [str(small), "--workers", "3"], [str(large)], [str(small), str(large)], ["-"]):
        assert runner.invoke(app, ["run", *args, "-o", str(tmp_path / "o"), "-q"], input="").exit_code == 1
    assert chosen == [1, 3, 4, 4, 4]


def test_report_command_needs_a_run_dir(tmp_path: Path) -> None:
    r = runner.invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "documents.jsonl" in r.output


def test_the_script_gives_openblas_one_thread_unless_told_otherwise(monkeypatch: MonkeyPatch) -> None:
    from corpuskit import cli

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cli._one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    cli._one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


def test_the_blas_probe_is_skipped_and_scipy_still_imports() -> None:
    # In a process of its own (the probe is process-wide): numba loads its kernels without
    # importing SciPy's linear algebra, and the module imports as usual afterwards.
    code = """
import sys
from corpuskit import kernels
from corpuskit.signatures import minhash_signature
assert "numba" not in sys.modules
kernels.skip_blas_probe()
kernels.load_kernels()
import numba.np.arraymath
assert not numba.np.arraymath._HAVE_BLAS
assert "scipy.linalg" not in sys.modules
assert minhash_signature("one two three four five six seven", num_perm=16, shingle=3, seed=1).shape == (16,)
import scipy.linalg.cython_blas
print("ok")
"""
    assert run_alone(code) == "ok"


def test_a_ctrl_c_inside_numba_is_raised_again_outside_it(monkeypatch: MonkeyPatch) -> None:
    """Raised inside numba's own Python callbacks, a KeyboardInterrupt came back as a
    SystemError (exit 1 and a traceback instead of 130 and one line): the CLI's handler
    sends it again a moment later instead, and a SystemError it caused still counts."""
    import signal
    import threading
    import types

    from corpuskit import cli

    resent: list[tuple[float, object]] = []
    monkeypatch.setattr(
        threading, "Timer", lambda delay, fn, args: types.SimpleNamespace(start=lambda: resent.append((delay, fn)))
    )
    before = signal.getsignal(signal.SIGINT)
    with cli._interrupts_outside_numba():
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        in_numba = types.SimpleNamespace(f_globals={"__name__": "numba.core.serialize"})
        handler(signal.SIGINT, in_numba)  # deferred, not raised
        assert resent and resent[0][0] == 0.01
        try:
            handler(signal.SIGINT, types.SimpleNamespace(f_globals={"__name__": "corpuskit.passages"}))
        except KeyboardInterrupt:
            pass
        else:
            raise AssertionError("not raised in corpuskit's own code")
    assert signal.getsignal(signal.SIGINT) is before
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as k:
            raise SystemError("returned a result with an exception set") from k
    except SystemError as e:
        assert cli._from_interrupt(e)
    assert not cli._from_interrupt(SystemError("something else"))
