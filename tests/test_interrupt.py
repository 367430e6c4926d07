"""Real ``corpuskit run`` processes killed with SIGINT or SIGKILL at random points.

Whatever the moment, the output directory holds the previous run's complete output (or the
new run's, if it got that far), never a truncated ``documents.jsonl``; Ctrl-C prints one line
and exits 130; and ``--resume`` finishes the job with the output of an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpuskit.checkpoint import WORK_DIR, _scan_log
from corpuskit.config import RunConfig
from corpuskit.pipeline import run

from .test_hostile import assert_accounted
from .test_resume import output_bytes, write_corpus

ROOT = Path(__file__).resolve().parent.parent
N = 400


def _start(inp: Path, out: Path, *extra: str, new_session: bool = False) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "corpuskit", "run", str(inp), "-o", str(out), "--workers", "2", "--chunk-docs", "32"]
    cmd += extra
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=new_session
    )


def _wait_for_chunks(out: Path, stage: str, since_ns: int, proc: subprocess.Popen[str], n: int = 1) -> None:
    """Wait until the process has checkpointed ``n`` chunks of ``stage`` (or has ended)."""
    deadline = time.monotonic() + 60
    root = out / WORK_DIR / "chunks" / stage
    while time.monotonic() < deadline and proc.poll() is None:
        try:  # each process appends to its own log: the fresh logs are this run's
            fresh = sum(1 for p in root.glob("*.log") if p.stat().st_mtime_ns >= since_ns for _ in _scan_log(p))
        except OSError:
            fresh = 0
        if fresh >= n:
            return
        time.sleep(0.02)


def _check_consistent(out: Path, allowed: list[bytes | None]) -> None:
    """documents.jsonl is one of the complete outputs (``None``: no output yet), and the
    manifest describes it."""
    docs = out / "documents.jsonl"
    if not docs.exists():
        assert None in allowed, "documents.jsonl is gone"
        return
    assert docs.read_bytes() in allowed, "documents.jsonl is neither the previous nor the new complete output"
    assert_accounted(out)


def test_killed_runs_leave_complete_output_and_resume_finishes(tmp_path: Path) -> None:
    small = write_corpus(tmp_path / "small.jsonl", 20, seed=3, words=120)
    big = write_corpus(tmp_path / "big.jsonl", N, seed=11, words=200)
    t0 = time.monotonic()
    run([str(big)], tmp_path / "ref", RunConfig(workers=2))
    t_ref = time.monotonic() - t0  # signals land anywhere in a run's length after its first chunk
    reference = output_bytes(tmp_path / "ref")

    out = tmp_path / "out"
    rng = random.Random(20251123)
    # The first killed run meets an empty directory; the next ones a previous complete output.
    outputs: list[bytes | None] = [None]
    for attempt in range(5):
        if attempt == 1:
            run([str(small)], out, RunConfig(workers=1))
            outputs = [(out / "documents.jsonl").read_bytes()]
        sig = signal.SIGINT if attempt % 2 == 0 else signal.SIGKILL
        since = time.time_ns()
        proc = _start(big, out)
        _wait_for_chunks(out, "prepare", since, proc)
        time.sleep(rng.uniform(0.0, t_ref))
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode == 0:  # finished, or had written its output, before the signal
            pass
        elif sig == signal.SIGINT:
            assert proc.returncode == 130, stderr
            lines = stderr.strip().splitlines()
            assert len(lines) == 1 and "interrupted at" in lines[0] and "--resume" in lines[0], stderr
        else:
            assert proc.returncode == -signal.SIGKILL
        # A run killed after its renames has left its own complete output: also allowed.
        _check_consistent(out, [*outputs, reference["documents.jsonl"]])
        if (out / "documents.jsonl").exists():
            outputs = [(out / "documents.jsonl").read_bytes()]

    # Killed once more, late (after some chunks of the second stage), then resumed.
    since = time.time_ns()
    proc = _start(big, out)
    _wait_for_chunks(out, "finish", since, proc, n=3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    _check_consistent(out, [*outputs, reference["documents.jsonl"]])
    proc = _start(big, out, "--resume")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "resumed:" in stderr and "chunks reused" in stderr
    got = output_bytes(out)
    assert {k: v for k, v in got["manifest"].items() if reference["manifest"].get(k) != v} == {}
    assert got == reference
    assert_accounted(out, N)
    assert not (out / WORK_DIR).exists()


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="POSIX process groups")
def test_ctrl_c_to_the_whole_process_group(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches the workers too: they must not print tracebacks."""
    for attempt, n in enumerate((200, 800, 3200)):  # a larger batch when a run outpaced the signal
        big = write_corpus(tmp_path / f"big{attempt}.jsonl", n, seed=5, words=200)
        out = tmp_path / f"out{attempt}"
        since = time.time_ns()
        proc = _start(big, out, new_session=True)
        _wait_for_chunks(out, "prepare", since, proc, n=2)
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        if proc.returncode != 0:
            break
    else:
        pytest.skip("every run finished before the signal")
    assert proc.returncode == 130
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not (out / "documents.jsonl").exists()
