"""A run killed at any point leaves the index as it was before or after that run.

A child process (forked, so it starts in milliseconds with everything imported) adds four
batches to a fresh index, one transaction each, and is sent SIGKILL at a random moment:
while it computes, while it writes, while it commits. After every kill the index must pass
``PRAGMA integrity_check``, hold exactly the state after some number of whole batches
(counts and full export equal to an uninterrupted reference), and a re-run of all four
batches must complete and end in the reference's final state.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from corpuskit.config import RunConfig
from corpuskit.index import CorpusIndex
from corpuskit.records import Document

from .test_index import QUOTES, _article

CFG = RunConfig(workers=1)
N_BATCHES = 4
TRIALS = 10


def _batch(k: int) -> list[Document]:
    """Batch ``k``: new articles, reprints of earlier ones, quotes shared across batches."""
    rng = random.Random(k)
    docs = [_article(rng, f"d{k}-{i}", 1 + k, [QUOTES[(k + i) % 3]] if i % 3 == 0 else []) for i in range(12)]
    if k:  # a reprint of an article of the batch before: a duplicate across batches
        prev = _article(random.Random(k - 1), f"d{k - 1}-1", k, [])
        docs.append(Document(id=f"r{k}", source="reprints.jsonl", date=f"2025-05-{1 + k:02d}", text=prev.text))
    return docs


def _apply(db: Path, batches: range) -> None:
    with CorpusIndex(db) as idx:
        for k in batches:
            idx.update(_batch(k), CFG)


def _state(db: Path) -> tuple[Any, ...]:
    """Everything the index answers: its counts and its full export."""
    with CorpusIndex(db, create=False) as idx:
        counts = {k: v for k, v in idx.stats().items() if k not in ("file_bytes", "index", "key_runs")}
        buf = io.BytesIO()
        idx.export(buf)
    return tuple(sorted(counts.items())), hashlib.sha256(buf.getvalue()).hexdigest()


def _child(db: str) -> None:
    _apply(Path(db), range(N_BATCHES))
    os._exit(0)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[Any, ...]], float]:
    """The state before and after each batch of an uninterrupted run, and its duration."""
    tmp = tmp_path_factory.mktemp("crash-ref")
    _apply(tmp / "warm.db", range(N_BATCHES))  # compiled kernels loaded: time the work alone
    db = tmp / "ref.db"
    CorpusIndex(db).close()
    states = [_state(db)]
    duration = 0.0
    for k in range(N_BATCHES):
        t = time.perf_counter()
        _apply(db, range(k, k + 1))
        duration += time.perf_counter() - t
        states.append(_state(db))
    return states, duration


def test_killed_runs_leave_a_whole_state_and_a_rerun_completes(
    tmp_path: Path, reference: tuple[list[tuple[Any, ...]], float]
) -> None:
    states, duration = reference
    assert len(set(states)) == len(states)  # every batch changes the index
    rng = random.Random(1)
    ctx = multiprocessing.get_context("fork")
    seen = set()
    for trial in range(TRIALS):
        db = tmp_path / f"trial{trial}.db"
        CorpusIndex(db).close()
        child = ctx.Process(target=_child, args=(str(db),))
        child.start()
        time.sleep(rng.uniform(0.0, duration))
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        state = _state(db)
        assert state in states, f"trial {trial}: the index holds a state no whole batch left"
        seen.add(states.index(state))
        _apply(db, range(N_BATCHES))  # the re-run: batches already in are replayed
        assert _state(db) == states[-1]
    assert len(seen) >= 2  # the kills landed at different points
