"""Large JSONL outputs: written whole, and sent to disk as they grow."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest

import corpuskit.spill as spill
import corpuskit.writers as writers


def test_a_large_jsonl_output_asks_for_writeback_as_it_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, int]] = []
    real = spill.start_writeback

    def record(fd: int, offset: int, nbytes: int) -> None:
        asked.append((offset, nbytes))
        real(fd, offset, nbytes)

    monkeypatch.setattr(spill, "start_writeback", record)
    records = [{"id": f"d{i}", "text": "word " * 200} for i in range(30_000)]
    path = tmp_path / "documents.jsonl"
    assert writers.write_jsonl(path, iter(records)) == len(records)
    data = path.read_bytes()
    assert data == b"".join(orjson.dumps(r) + b"\n" for r in records)
    # Contiguous stretches from the start, each at least the step, none past what was
    # handed to the system (the file's buffer may still hold the rest).
    assert len(asked) >= 2 and asked[0][0] == 0
    for (a, n), (b, _) in itertools.pairwise(asked):
        assert b == a + n and n >= writers._WRITEBACK_BYTES
    assert asked[-1][0] + asked[-1][1] <= len(data) - writers._WRITE_BUFFER


def test_writeback_is_best_effort(tmp_path: Path) -> None:
    spill.start_writeback(-1, 0, 4096)  # a bad descriptor: nothing raised
    with open(tmp_path / "x", "wb") as fh:
        fh.write(b"x" * 10_000)
        fh.flush()
        spill.start_writeback(fh.fileno(), 0, 10_000)
        spill.start_writeback(fh.fileno(), 0, 0)
    assert (tmp_path / "x").read_bytes() == b"x" * 10_000
