"""Document text parked on disk between the stages that need it.

A run over N documents would otherwise hold every text in memory from the moment it is
read until the output is written, while the batch stages in between (templates,
deduplication, passages) need a text only briefly, or only a compact summary of it (a
signature, word counts, passage units). :class:`TextSpill` writes each text once to an
anonymous file (gone when the run ends, however it ends) and leaves a :class:`Parked`
handle on the record; :meth:`corpuskit.records.Document.read_text` reads it back on demand.
So memory grows with the per-document index, not with the text.

>>> import tempfile
>>> from corpuskit.records import Document
>>> with tempfile.TemporaryDirectory() as tmp, TextSpill(tmp) as spill:
...     doc = Document("d1", "s", text="Talks begin today.")
...     _ = spill.park(doc)
...     (doc.text, doc.read_text(), spill.unpark(doc).text)
('', 'Talks begin today.', 'Talks begin today.')
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from .errors import OutputError
from .records import Document

__all__ = ["Parked", "TextSpill", "pread_exact"]


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


class Parked:
    """Where a parked text is: ``size`` bytes of UTF-8 at ``offset`` of ``spill``'s file."""

    __slots__ = ("offset", "size", "spill")

    def __init__(self, spill: TextSpill, offset: int, size: int) -> None:
        self.spill = spill
        self.offset = offset
        self.size = size

    def read(self) -> str:
        return self.spill.read(self.offset, self.size)


class TextSpill:
    """An append-only file of texts in ``directory`` (unnamed: nothing is left behind).

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
        self._end = 0
        self.bytes_written = 0

    def __enter__(self) -> TextSpill:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def write(self, text: str) -> Parked:
        data = text.encode("utf-8", "surrogatepass")
        at = self._end
        try:
            done = 0
            while done < len(data):
                done += os.pwrite(self._fd, memoryview(data)[done:], at + done)
        except OSError as e:
            raise OutputError(f"{self.directory}: cannot write the text spill file: {e.strerror or e}") from e
        self._end += len(data)
        self.bytes_written += len(data)
        return Parked(self, at, len(data))

    def read(self, offset: int, size: int) -> str:
        try:
            data = pread_exact(self._fd, size, offset)
        except OSError as e:
            raise OutputError(f"{self.directory}: cannot read the text spill file: {e.strerror or e}") from e
        return data.decode("utf-8", "surrogatepass")

    def park(self, doc: Document) -> Document:
        """Move ``doc.text`` to disk (``doc.text`` becomes ``""``); a document without text,
        or one already parked, is left as it is."""
        if doc.text and doc.parked is None:
            doc.parked = self.write(doc.text)
            doc.text = ""
        return doc

    def park_all(self, docs: Iterable[Document]) -> None:
        for d in docs:
            self.park(d)

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
