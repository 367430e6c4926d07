"""Document text parked on disk between the stages that need it.

A run over N documents would otherwise hold every text in memory from the moment it is
read until the output is written, while the batch stages in between (templates,
deduplication, passages) need a text only briefly, or only a compact summary of it (a
signature, word counts, passage units). :class:`TextSpill` writes each text once to an
anonymous file (gone when the run ends, however it ends) and leaves a :class:`Parked`
handle on the record; :meth:`corpuskit.records.Document.read_text` reads it back on demand.
So memory grows with the per-document index, not with the text.

Worker processes forked while a spill is open share it: they read the texts of the chunk
they are given and park the texts they make themselves (each write reserves its byte
range under a lock shared with the parent), so a text crosses no pipe between stages; a
:class:`Parked` handle pickles as its spill's token and its byte range.

>>> import tempfile
>>> from corpuskit.records import Document
>>> with tempfile.TemporaryDirectory() as tmp, TextSpill(tmp) as spill:
...     doc = Document("d1", "s", text="Talks begin today.")
...     _ = spill.park(doc)
...     (doc.text, doc.read_text(), spill.unpark(doc).text)
('', 'Talks begin today.', 'Talks begin today.')
"""

from __future__ import annotations

import ctypes
import errno
import functools
import itertools
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from .errors import OutputError
from .records import Document

__all__ = [
    "WRITE_PIECE",
    "Parked",
    "TextSpill",
    "append_all",
    "pread_exact",
    "pread_into",
    "pwrite_all",
    "release_ranges",
    "start_writeback",
]


def pread_exact(fd: int, size: int, at: int) -> bytes:
    """``size`` bytes at offset ``at`` of ``fd`` (``pread`` may return fewer; it uses no
    shared file position, so threads may read at once). ``OSError`` if the file is shorter."""
    data = os.pread(fd, size, at)
    while len(data) < size:
        more = os.pread(fd, size - len(data), at + len(data))
        if not more:
            raise OSError(errno.EIO, f"file ends before byte {at + size}")
        data += more
    return data


def pread_into(fd: int, arr: Any, at: int) -> None:
    """Fill the contiguous array (or writable buffer) ``arr`` with as many bytes at offset
    ``at`` of ``fd``, in place: :func:`pread_exact` without the copy. ``OSError`` if the
    file is shorter."""
    view = memoryview(arr).cast("B")
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done:]], at + done)
        if n <= 0:
            raise OSError(errno.EIO, f"file ends before byte {at + len(view)}")
        done += n


WRITE_PIECE = 1 << 20
"""The most bytes one system call writes to a scratch or log file.

A larger write lets Linux (6.x, ext4) cache it in pages of 2 MiB (large folios), slow to
fill on a virtual machine that gave its free memory back to the host (see
:func:`~corpuskit.memory.small_pages`): 8 MiB writes ran at 68-73 MB/s after 3 s idle,
against 2.5 GB/s written in 1 MiB pieces (300 MB, measured). In the first runs of a session
on that VM, the kernel's copying into the page cache took 7.5-9% of all CPU time (``perf``,
one worker and two), nearly all of it the passage stage's signing; 0.9% in the runs just
after this change (a later run, the host slow again, 4.8%: the pages of 1 MiB come from
the same memory when nothing else is free)."""


def pwrite_all(fd: int, data: Any, at: int) -> None:
    """Write all of ``data`` (bytes, or a contiguous array) at offset ``at`` of ``fd``
    (``pwrite`` may write less; it uses no shared file position, so threads may write at
    once), at most :data:`WRITE_PIECE` bytes a call: the inverse of :func:`pread_exact`."""
    view = memoryview(data)
    if view.nbytes == 0:
        return
    view = view.cast("B")
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done : done + WRITE_PIECE], at + done)


def append_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` at the end of ``fd`` (opened with ``O_APPEND``, written by this
    process alone), at most :data:`WRITE_PIECE` bytes a call."""
    view = memoryview(data)
    done = 0
    while done < len(view):
        done += os.write(fd, view[done : done + WRITE_PIECE])


_PUNCH_HOLE = 0x01 | 0x02  # FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE (linux/falloc.h)


@functools.cache
def _linux_libc(name: str, *argtypes: Any) -> Callable[..., int] | None:
    """libc's function ``name``, taking ``argtypes`` and returning an ``int`` (Linux
    only: ``None`` elsewhere, or where it cannot be found)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = argtypes
    fn.restype = ctypes.c_int
    return fn


def _fallocate() -> Callable[[int, int, int, int], int] | None:
    """libc's ``fallocate`` (see :func:`_linux_libc`)."""
    types = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    return _linux_libc("fallocate64", *types) or _linux_libc("fallocate", *types)


_SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h


def start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Have the system start writing ``nbytes`` at ``offset`` of ``fd`` to disk, without
    waiting for it (``sync_file_range`` with ``SYNC_FILE_RANGE_WRITE``): the disk works
    while this process goes on, and a later fsync finds less to do. Best effort: a no-op
    where the system cannot, and never raises (the fsync still makes the file durable)."""
    fn = _linux_libc("sync_file_range", ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    if fn is not None and nbytes > 0:
        fn(fd, offset, nbytes, _SYNC_FILE_RANGE_WRITE)


def release_ranges(fd: int, offsets: np.ndarray, sizes: np.ndarray) -> bool:
    """Give the disk under byte ranges of ``fd`` back to the filesystem (punch holes in the
    file; its size stays), for data nothing will read again. A run's spill and scratch
    files would otherwise hold every byte written to them until the run ends, and their
    peak is what a run needs free on disk.

    Reading a released range gives zeros. Ranges that meet are released as one, so the
    block they share goes too; a block only partly inside the ranges keeps its place (its
    bytes inside are zeroed). Best effort: returns ``False`` where the system or the
    filesystem cannot do it (nothing changes then), and never raises. Given no ranges, it
    returns whether the system has ``fallocate`` at all: the filesystem is not asked.
    """
    fallocate = _fallocate()
    if fallocate is None or offsets.shape[0] == 0:
        return fallocate is not None
    order = np.argsort(offsets, kind="stable")
    starts, ends = offsets[order], offsets[order] + sizes[order]
    new = np.ones(starts.shape[0], dtype=bool)
    new[1:] = starts[1:] != ends[:-1]  # a range that does not begin where the last ended
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:] - 1, starts.shape[0] - 1)
    for a, z in zip(starts[firsts].tolist(), ends[lasts].tolist(), strict=True):
        if z > a and fallocate(fd, _PUNCH_HOLE, a, z - a) != 0:
            return False  # not supported here (EOPNOTSUPP), or the file is gone
    return True


class Parked:
    """Where a parked text is: ``size`` bytes of UTF-8 at ``offset`` of ``spill``'s file."""

    __slots__ = ("offset", "size", "spill")

    def __init__(self, spill: TextSpill, offset: int, size: int) -> None:
        self.spill = spill
        self.offset = offset
        self.size = size

    def __reduce__(self) -> tuple[type[Parked], tuple[TextSpill, int, int]]:
        return Parked, (self.spill, self.offset, self.size)  # faster than the slots default

    def read(self) -> str:
        return self.spill.read(self.offset, self.size)


_OPEN: dict[int, TextSpill] = {}  # this process's spills (a forked worker's: its parent's)
_TOKENS = itertools.count()


def _spill(token: int) -> TextSpill:
    """The open spill a pickled :class:`Parked` refers to (unpickling)."""
    try:
        return _OPEN[token]
    except KeyError:
        raise OutputError("a parked text was sent to a process that does not share its spill file") from None


class TextSpill:
    """An append-only file of texts in ``directory`` (unnamed: nothing is left behind). A
    range nothing reads again can give its disk back (:func:`release_ranges`).

    Raises :class:`OutputError` when the file cannot be created or written (a full disk):
    the run cannot go on without its texts.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        try:
            self._fh = tempfile.TemporaryFile(dir=self.directory, prefix="texts-")  # noqa: SIM115
        except OSError as e:
            raise OutputError(f"{self.directory}: cannot create the text spill file: {e.strerror or e}") from e
        self._fd = self._fh.fileno()
        # The end of the file, shared with forked workers: a writer reserves its range first.
        self._end = multiprocessing.RawValue("q", 0)
        self._lock = multiprocessing.Lock()
        self._token = next(_TOKENS)
        _OPEN[self._token] = self

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return _spill, (self._token,)

    def __enter__(self) -> TextSpill:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        _OPEN.pop(self._token, None)
        self._fh.close()

    def _append(self, data: bytes) -> int:
        """Write ``data`` at the end of the file; return where it starts."""
        with self._lock:
            at: int = self._end.value
            self._end.value = at + len(data)
        try:
            pwrite_all(self._fd, data, at)
        except OSError as e:
            raise OutputError(f"{self.directory}: cannot write the text spill file: {e.strerror or e}") from e
        return at

    def write(self, text: str) -> Parked:
        data = text.encode("utf-8", "surrogatepass")
        return Parked(self, self._append(data), len(data))

    def write_all(self, blobs: Sequence[bytes]) -> list[Parked]:
        """Park ``blobs`` (any bytes: read them back with :meth:`read_bytes`), in one write."""
        at = self._append(b"".join(blobs))
        out = []
        for b in blobs:
            out.append(Parked(self, at, len(b)))
            at += len(b)
        return out

    def fileno(self) -> int:
        return self._fd

    def release(self, refs: Sequence[Parked]) -> None:
        """Give back the disk under these parked texts of this spill, which nothing reads
        again (:func:`release_ranges`; reading them afterwards gives zeros)."""
        mine = [r for r in refs if r.spill is self]
        if mine:
            offsets = np.fromiter((r.offset for r in mine), dtype=np.int64, count=len(mine))
            sizes = np.fromiter((r.size for r in mine), dtype=np.int64, count=len(mine))
            release_ranges(self._fd, offsets, sizes)

    def read_bytes(self, offset: int, size: int) -> bytes:
        try:
            return pread_exact(self._fd, size, offset)
        except OSError as e:
            raise OutputError(f"{self.directory}: cannot read the text spill file: {e.strerror or e}") from e

    def read(self, offset: int, size: int) -> str:
        return self.read_bytes(offset, size).decode("utf-8", "surrogatepass")

    def park(self, doc: Document) -> Document:
        """Move ``doc.text`` to disk (``doc.text`` becomes ``""``); a document without text,
        or one already parked, is left as it is."""
        self.park_all((doc,))
        return doc

    def park_all(self, docs: Iterable[Document]) -> None:
        """:meth:`park` each of ``docs``, in one write."""
        todo = [d for d in docs if d.text and d.parked is None]
        if not todo:
            return
        for d, ref in zip(todo, self.write_all([d.text.encode("utf-8", "surrogatepass") for d in todo]), strict=True):
            d.parked = ref
            d.text = ""

    @staticmethod
    def unpark(doc: Document) -> Document:
        """Bring a parked text back into ``doc.text`` (before a stage that rewrites it)."""
        if doc.parked is not None:
            doc.text = doc.parked.read()
            doc.parked = None
        return doc

    @staticmethod
    def unpark_all(docs: Iterable[Document]) -> None:
        for d in docs:
            TextSpill.unpark(d)
