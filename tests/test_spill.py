"""spill's positioned reads and writes: what is written at an offset reads back from it,
and a released range reads back as zeros, its disk given back."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from corpuskit import spill
from corpuskit.spill import WRITE_PIECE, append_all, pread_exact, pread_into, pwrite_all, release_ranges

from .conftest import holes_free_blocks


def test_arrays_written_at_offsets_read_back_in_place() -> None:
    with tempfile.TemporaryFile() as fh:
        fd = fh.fileno()
        a = np.arange(1000, dtype=np.uint64)
        b = np.arange(12, dtype=np.int32).reshape(3, 4)
        pwrite_all(fd, a, 0)
        pwrite_all(fd, b, a.nbytes + 5)  # anywhere: an unaligned offset, a hole before it
        got_a = np.empty_like(a)
        pread_into(fd, got_a, 0)
        got_b = np.zeros((3, 4), dtype=np.int32)
        pread_into(fd, got_b[1:], a.nbytes + 5 + 16)  # rows 1-2 of b, into rows 1-2
        assert (got_a == a).all()
        assert (got_b[1:] == b[1:]).all() and (got_b[0] == 0).all()
        assert pread_exact(fd, 8, 8) == a[1:2].tobytes()
        pread_into(fd, np.empty(0, dtype=np.uint8), 10**9)  # nothing to read: no error


def test_large_writes_go_in_pieces_and_read_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """No system call writes more than WRITE_PIECE bytes (a larger one lands in 2 MiB
    page-cache pages, slow on a VM whose free memory went back to its host); the pieces
    add up to the data, at an unaligned offset as at the end of an append-only file."""
    sizes: list[int] = []
    real_pwrite, real_write = os.pwrite, os.write

    def pwrite(fd: int, data: memoryview, at: int) -> int:
        sizes.append(len(data))
        return real_pwrite(fd, data[: len(data) - 3] if len(data) > 3 else data, at)  # short writes too

    def write(fd: int, data: memoryview) -> int:
        sizes.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(spill.os, "pwrite", pwrite)
    monkeypatch.setattr(spill.os, "write", write)
    data = np.random.default_rng(3).integers(0, 256, size=2 * WRITE_PIECE + 12345, dtype=np.uint8)
    with tempfile.TemporaryFile() as fh:
        fd = fh.fileno()
        pwrite_all(fd, data, 7)
        assert max(sizes) == WRITE_PIECE and sum(sizes) > data.nbytes  # the short writes resumed
        got = np.empty_like(data)
        pread_into(fd, got, 7)
        assert (got == data).all()
    sizes.clear()
    with tempfile.TemporaryDirectory() as d:
        fd = os.open(Path(d) / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            append_all(fd, b"head")
            append_all(fd, data.tobytes())
        finally:
            os.close(fd)
        assert max(sizes) == WRITE_PIECE and sum(sizes) == data.nbytes + 4
        assert (Path(d) / "log").read_bytes() == b"head" + data.tobytes()


def test_reading_past_the_end_is_an_error() -> None:
    with tempfile.TemporaryFile() as fh:
        fd = fh.fileno()
        pwrite_all(fd, b"0123456789", 0)
        with pytest.raises(OSError) as e:
            pread_into(fd, np.empty(8, dtype=np.uint8), 5)
        assert e.value.errno == errno.EIO and "before byte 13" in str(e.value)
        with pytest.raises(OSError, match="before byte 13"):
            pread_exact(fd, 8, 5)


def test_released_ranges_read_as_zeros_and_give_their_blocks_back(tmp_path: Path) -> None:
    """Ranges that meet are released as one (the block they share goes too); the bytes
    around them, and the file's size, stay."""
    data = np.random.default_rng(5).integers(0, 256, size=4 << 20, dtype=np.uint8)
    with tempfile.TemporaryFile(dir=tmp_path) as fh:
        fd = fh.fileno()
        pwrite_all(fd, data, 0)
        os.fsync(fd)  # blocks allocated now, not at write-back
        before = os.fstat(fd).st_blocks * 512
        offsets = np.array([2_000_000, 100, 1_000_000, 1_500_000], dtype=np.int64)
        sizes = np.array([700_000, 300_000, 500_000, 500_000], dtype=np.int64)  # three meet
        ok = release_ranges(fd, offsets, sizes)
        assert os.fstat(fd).st_size == data.nbytes
        want = data.copy()
        if ok:
            for at, n in zip(offsets.tolist(), sizes.tolist(), strict=True):
                want[at : at + n] = 0
        if ok and holes_free_blocks(tmp_path):
            freed = before - os.fstat(fd).st_blocks * 512
            # 1,000,000-2,700,000 goes whole but for its two edge blocks; 100-300,100 too
            assert 1_700_000 + 300_000 - 4 * 65_536 <= freed <= 2_000_000
        got = np.empty_like(data)
        pread_into(fd, got, 0)
        assert (got == want).all()
        # Nothing to release: whether the system can (fallocate), not this filesystem.
        can = spill._fallocate() is not None
        assert release_ranges(fd, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) == can


def test_releasing_is_best_effort(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system cannot punch holes, nothing changes and nothing is raised."""
    monkeypatch.setattr(spill, "_fallocate", lambda: None)
    with tempfile.TemporaryFile() as fh:
        pwrite_all(fh.fileno(), b"x" * 10_000, 0)
        assert not release_ranges(fh.fileno(), np.array([0], dtype=np.int64), np.array([10_000], dtype=np.int64))
        assert pread_exact(fh.fileno(), 10_000, 0) == b"x" * 10_000
    refused = lambda *a: -1  # noqa: E731 - as fallocate returns when the filesystem says EOPNOTSUPP
    monkeypatch.setattr(spill, "_fallocate", lambda: refused)
    assert not release_ranges(0, np.array([0], dtype=np.int64), np.array([1], dtype=np.int64))
