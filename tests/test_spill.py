"""spill's positioned reads and writes: what is written at an offset reads back from it."""

from __future__ import annotations

import errno
import tempfile

import numpy as np
import pytest

from corpuskit.spill import pread_exact, pread_into, pwrite_all


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


def test_reading_past_the_end_is_an_error() -> None:
    with tempfile.TemporaryFile() as fh:
        fd = fh.fileno()
        pwrite_all(fd, b"0123456789", 0)
        with pytest.raises(OSError) as e:
            pread_into(fd, np.empty(8, dtype=np.uint8), 5)
        assert e.value.errno == errno.EIO and "before byte 13" in str(e.value)
        with pytest.raises(OSError, match="before byte 13"):
            pread_exact(fd, 8, 5)
