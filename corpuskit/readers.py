"""Inputs → :class:`Document` records, one per input record, bad ones rejected not raised.

Every input argument is a path, a directory (walked recursively, sorted, symlink loops
ignored), a glob, or ``-`` (JSONL on stdin). The format comes from the extension and is
sniffed from the first bytes when the extension says nothing. A record that cannot be read
becomes a ``rejected`` document whose reason names the file and line; only an input that does
not exist at all is an error (:class:`~corpuskit.errors.InputError`), because that is a
usage mistake, not bad data.

Reading is bounded, whatever the input (see :class:`Limits`): a record over
``max_doc_bytes`` is rejected without being held in memory whole; one file may not
decompress to more than ``max_input_bytes``, nor to more than ``max_compression_ratio``
times its compressed size (a decompression bomb); a WARC line may not run longer than
``max_doc_bytes`` without a newline. When a whole-file bound trips, the records read so far
stand and the rest of the file becomes one rejected record.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import glob
import gzip
import io
import json
import lzma
import math
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

import numpy as np
import orjson

from .config import DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_INPUT_BYTES
from .errors import InputError
from .records import Document

__all__ = [
    "Decoded",
    "Discovered",
    "JsonlBlock",
    "Limits",
    "decode_bytes",
    "detect_format",
    "discover_inputs",
    "estimate_input_bytes",
    "expand_inputs",
    "make_unique",
    "parse_deferred",
    "read_inputs",
    "record_authors",
    "record_body",
    "rename",
    "text_encoding",
]

_HTML_EXT = (".html", ".htm", ".xhtml", ".shtml")
_TEXT_EXT = (".txt", ".text", ".md")
_JSONL_EXT = (".jsonl", ".ndjson")
_WARC_EXT = (".warc",)
_ARC_GZ = ".arc.gz"  # an old ARC crawl (read as WARC), gzipped as they come
_SKIP_NAMES = {".DS_Store", "Thumbs.db"}
_GLOB_CHARS = re.compile(r"[*?\[]")
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BZ2_BLOCK = b"\x31\x41\x59\x26\x53\x59"  # after "BZh" and the block size digit
_CHUNK = 1 << 16

_RATIO_FLOOR = 64 << 20  # the ratio is judged only past 64 MiB: small files may compress well


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, and which encoding was used (for the record's ``meta``)."""

    text: str
    encoding: str


@dataclass(frozen=True, slots=True)
class Limits:
    """What reading one input may cost; every bound turns into a rejection, never a crash.

    ``max_doc_bytes``: one record (a page, a JSONL line, a WARC payload), after
    decompression. ``max_input_bytes``: everything one file decompresses to.
    ``max_compression_ratio``: decompressed over compressed bytes, judged once a file has
    given 64 MiB, so a bomb is stopped after reading a few kilobytes of it.
    """

    max_doc_bytes: int
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO


class _StreamStop(Exception):
    """Reading a file must stop here: a whole-file bound tripped, or the stream is corrupt.

    ``reason`` is the rejection reason for the rest of the file. Corrupt-stream errors are
    turned into this type because parsers treat a bare ``EOFError`` as a clean end.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- discovery


@dataclass(frozen=True, slots=True)
class Discovered:
    """The files a run will read, and the files a directory walk passed over (and why)."""

    files: list[tuple[str, str]]
    skipped: list[str]


def expand_inputs(inputs: Iterable[str]) -> list[tuple[str, str]]:
    """Resolve input arguments to ``(path_as_shown, argument)`` pairs, in a stable order."""
    return discover_inputs(inputs).files


def discover_inputs(inputs: Iterable[str]) -> Discovered:
    """Resolve input arguments to the files to read, in a stable order.

    A file named on the command line is always read (its format sniffed if need be).
    Directories are walked recursively in sorted order, taking files with an input
    extension or none; documentation and data files found there (``README.md``,
    ``*.json``, images...) are listed in ``skipped`` rather than misread as articles. A
    symlinked directory already seen (a loop) is walked once; a subdirectory that cannot
    be listed is kept as an input, so that it is reported as a rejected record rather than
    silently lost. A glob with no match and a missing path raise :class:`InputError`.
    """
    files: list[tuple[str, str]] = []
    skipped: list[str] = []
    for arg in inputs:
        if arg == "-":
            files.append(("-", arg))
            continue
        p = Path(arg)
        if p.is_dir():
            _walk(p, arg, files, skipped)
        elif p.exists() or p.is_symlink():
            files.append((arg, arg))
        elif _GLOB_CHARS.search(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise InputError(arg, "no file matches this pattern")
            for m in matches:
                if Path(m).is_dir():
                    _walk(Path(m), arg, files, skipped)
                else:
                    files.append((m, arg))
        else:
            raise InputError(arg, "no such file or directory")
    return Discovered(files, skipped)


_PACKED_EXT = (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd")  # what _compression reads
_PAGE_EXT = _HTML_EXT + _TEXT_EXT
_INPUT_EXT = (
    _PAGE_EXT
    + _JSONL_EXT
    + _WARC_EXT
    + tuple(e + z for e in (*_PAGE_EXT, *_JSONL_EXT, ".json", *_WARC_EXT) for z in _PACKED_EXT)
    + (_ARC_GZ,)
)


def _compression(head: bytes) -> str | None:
    """``gzip``, ``bz2``, ``xz`` or ``zstd`` when ``head`` starts a stream of that kind."""
    if head[:2] == _GZIP_MAGIC:
        return "gzip"
    if head[:6] == _XZ_MAGIC:
        return "xz"
    if head[:4] == _ZSTD_MAGIC:
        return "zstd"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] == _BZ2_BLOCK:
        return "bz2"
    return None


def _unpacked_name(name: str) -> str:
    """``name`` without a compression suffix (``a.jsonl.zst`` -> ``a.jsonl``)."""
    for z in _PACKED_EXT:
        if name.endswith(z):
            return name[: -len(z)]
    return name


def _is_input_name(name: str) -> bool:
    low = name.lower()
    if low.startswith(("readme", "license", "licence", "changelog")):
        return False
    return low.endswith(_INPUT_EXT) or "." not in low


def _walk(root: Path, arg: str, files: list[tuple[str, str]], skipped: list[str]) -> None:
    """A recursive walk in name order, written with an explicit stack so no depth overflows it.

    A directory's files come exactly where the directory sorts among its siblings.
    """
    seen: set[tuple[int, int]] = set()
    frames: list[Iterator[tuple[str, str, bool]]] = [iter([(root.name, str(root), True)])]
    while frames:
        entry = next(frames[-1], None)
        if entry is None:
            frames.pop()
            continue
        name, path, is_dir = entry
        if not is_dir:
            if _is_input_name(name):
                files.append((path, arg))
            else:
                skipped.append(path)
            continue
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue  # symlink loop or a directory reached twice
            seen.add(key)
            with os.scandir(path) as it:
                listing = sorted(it, key=lambda e: e.name)
        except OSError:
            files.append((path, arg))  # read later as an unreadable directory: rejected, not lost
            continue
        frames.append(
            iter(
                [
                    (e.name, e.path, _is_dir(e))
                    for e in listing
                    if e.name not in _SKIP_NAMES and not e.name.startswith(".")
                ]
            )
        )


_PACKED_GUESS = 4  # how many times its size a compressed text or HTML file expands to, about


def estimate_input_bytes(inputs: Iterable[str], enough: int) -> int | None:
    """About how many bytes ``inputs`` hold once decompressed, counted until ``enough``
    (the count may stop there); ``None`` when one of them is standard input.

    A cheap guess for choosing how many processes a run needs, not the list of what it
    reads (:func:`discover_inputs`): directories are walked unsorted and every file in them
    counts, a compressed file counts :data:`_PACKED_GUESS` times its size, and a path that cannot
    be read counts nothing (the run reports it).
    """
    total = 0
    todo: list[str] = []
    for arg in inputs:
        if arg == "-":
            return None
        todo.extend(glob.glob(arg, recursive=True) if _GLOB_CHARS.search(arg) and not os.path.exists(arg) else [arg])
    seen: set[tuple[int, int]] = set()  # directories walked (a symlink loop is walked once)
    while todo and total < enough:
        path = todo.pop()
        try:
            st = os.stat(path)
            if stat.S_ISDIR(st.st_mode):
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    with os.scandir(path) as it:
                        todo.extend(e.path for e in it if not e.name.startswith("."))
            elif stat.S_ISREG(st.st_mode):
                total += st.st_size * (_PACKED_GUESS if path.lower().endswith(_PACKED_EXT) else 1)
        except OSError:
            continue
    return total


def _is_dir(e: os.DirEntry[str]) -> bool:
    try:
        return e.is_dir()
    except OSError:
        return False


def detect_format(path: str, head: bytes) -> str:
    """Pick a reader: ``html``, ``text``, ``jsonl``, ``warc`` (by extension, else sniffed).
    An extension counts under a compression suffix too (``a.html.gz``, ``b.jsonl.zst``).

    >>> detect_format("crawl/page.HTML.gz", b""), detect_format("notes.txt", b"<html>")
    ('html', 'text')
    """
    name = path.lower()
    base = _unpacked_name(name)
    if base.endswith(_WARC_EXT) or name.endswith(_ARC_GZ):
        return "warc"
    if base.endswith(_JSONL_EXT) or (base != name and base.endswith(".json")):  # a.json.gz: a feed
        return "jsonl"
    if base.endswith(_HTML_EXT):
        return "html"
    if base.endswith(_TEXT_EXT):
        return "text"
    if _compression(head) is not None:
        head = _first_bytes(_unpacked(io.BufferedReader(io.BytesIO(head))))
        if not head:  # bz2 and zstd give nothing before a whole block; or corrupt
            return "binary"
    if (found := _bom(head)) is not None:
        bom, enc = found
        head = head[len(bom) :].decode(enc, errors="ignore").encode("utf-8")
    h = head.lstrip()
    if h.startswith(b"WARC/"):
        return "warc"
    if h.startswith(b"{") or _ARRAY_START.match(h):  # JSON lines, or a JSON array of objects
        return "jsonl"
    low = h[:1024].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in low or b"<head" in low:
        return "html"
    return "text"


# ---------------------------------------------------------------- decoding

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""", re.I)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def _bom(head: bytes) -> tuple[bytes, str] | None:
    """The byte-order mark ``head`` starts with and its encoding, or ``None`` (the UTF-32
    marks are tried before the UTF-16 ones they start with).

    >>> _bom(b"\\xff\\xfe\\x00\\x00{"), _bom(b"\\xff\\xfe{\\x00"), _bom(b"{")
    ((b'\\xff\\xfe\\x00\\x00', 'utf-32-le'), (b'\\xff\\xfe', 'utf-16-le'), None)
    """
    return next(((bom, enc) for bom, enc in _BOMS if head.startswith(bom)), None)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls / len(sample) > 0.10


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text with no BOM: ASCII-heavy text has a NUL in every other byte."""
    sample = data[:8192]
    if len(sample) < 16:
        return None
    half = len(sample) // 2
    if sample[1::2].count(0) > 0.9 * half and sample[0::2].count(0) < 0.1 * half:
        return "utf-16-le"
    if sample[0::2].count(0) > 0.9 * half and sample[1::2].count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def text_encoding(name: str) -> str | None:
    """The codec ``name`` refers to if it is a text encoding; ``None`` for unknown names and
    for bytes-to-bytes codecs (``hex``, ``zlib``...) a page or header might name."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_bytes(data: bytes, *, html: bool = False) -> Decoded | None:
    """Decode ``data`` sensibly: BOM, then strict UTF-8, then UTF-8 mixed with cp1252, then a
    charset the page declares, then detection (charset-normalizer). Returns ``None`` for
    binary data. Never raises.

    >>> decode_bytes("caf\\u00e9".encode("cp1252"), html=False).text
    'café'
    >>> decode_bytes("caf\\u00e9 ".encode() + "na\\u00efve".encode("cp1252")).text
    'café naïve'
    """
    if (found := _bom(data)) is not None:
        bom, enc = found
        return Decoded(data[len(bom) :].decode(enc, errors="replace"), enc)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return Decoded(data.decode(utf16, errors="replace"), utf16)
    if _looks_binary(data):
        return None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _utf8_mixed_cp1252(data)
    if mixed is not None:
        return Decoded(mixed, "utf-8+cp1252")
    if html:
        head = data[:4096]
        m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        if m:
            enc = m.group(1).decode("ascii", "replace").lower()
            if enc in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                enc = "cp1252"  # what browsers do (WHATWG encoding standard)
            codec = text_encoding(enc)
            if codec is not None:
                try:
                    return Decoded(data.decode(codec, errors="replace"), enc)
                except (LookupError, ValueError):
                    pass
    western = _plausible_cp1252(data)
    if western is not None:
        return Decoded(western, "cp1252")
    japanese = _japanese(data)
    if japanese is not None:
        return japanese
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding and text_encoding(best.encoding):
        try:
            return Decoded(data.decode(best.encoding, errors="replace"), best.encoding)
        except (LookupError, ValueError):
            pass
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8 (replaced)")


_CP1252_PLAUSIBLE = frozenset(
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝœŒšŠžŽ‘’‚“”„–—…€«»°·©®™×±§¶¿¡£¥¢\u00a0"
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")


def _western(chars: str, text: str) -> bool:
    """Do the non-ASCII ``chars`` (decoded as cp1252) look like Western prose in ``text``?"""
    if not chars:
        return True
    plausible = sum(1 for c in chars if c in _CP1252_PLAUSIBLE)
    if plausible / len(chars) < 0.95:
        return False
    return not any(sum(ch.isalpha() for ch in r) >= 3 for r in _NON_ASCII_RUN.findall(text))


def _plausible_cp1252(data: bytes) -> str | None:
    """Western-European text in the web's most common legacy encoding, or ``None``.

    Detectors guess poorly on short texts (``café`` comes back as cp1250), so we accept
    cp1252 first when its decoding looks like Western prose: nearly every non-ASCII
    character is an accented letter or typographic punctuation, and they never come in
    runs (Cyrillic or CJK bytes read as cp1252 give long runs of accented letters).
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return text if _western("".join(c for c in text if ord(c) > 127), text) else None


_HIRAGANA = re.compile("[\u3041-\u309f]")


def _japanese(data: bytes) -> Decoded | None:
    """Japanese in Shift-JIS or EUC-JP, told by its hiragana.

    Detection takes short Shift-JIS text for Korean; but Japanese prose is a third
    hiragana, which no other legacy encoding's bytes decode to by chance.
    """
    for enc in ("cp932", "euc_jp"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        non_ascii = sum(1 for c in text if ord(c) > 127)
        if non_ascii and len(_HIRAGANA.findall(text)) >= 0.15 * non_ascii:
            return Decoded(text, enc)
    return None


def _utf8_mixed_cp1252(data: bytes) -> str | None:
    """UTF-8 text with some cp1252 bytes pasted in (a common result of concatenating
    sources), decoded piece by piece; ``None`` unless the data has real UTF-8 in it and
    every invalid byte reads as Western cp1252."""
    text = data.decode("utf-8", errors="surrogateescape")
    escaped = _ESCAPED_RUN.findall(text)
    multibyte = sum(1 for c in text if ord(c) > 127) - sum(map(len, escaped))
    if multibyte <= 0:
        return None  # no valid UTF-8 beyond ASCII: a legacy encoding, not a mix

    def as_cp1252(m: re.Match[str]) -> str:
        return m.group().encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")

    fixed = [as_cp1252(m) for m in _ESCAPED_RUN.finditer(text)]
    if not _western("".join(fixed), "\n".join(fixed)):
        return None
    return _ESCAPED_RUN.sub(as_cp1252, text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_str(s: str) -> str:
    """``s`` with lone surrogates (which UTF-8 cannot encode) replaced by U+FFFD."""
    if s.isascii():  # O(1) in CPython
        return s
    try:
        s.encode("utf-8")  # C speed; a regex scan of every article costs far more
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", s)
    return s


_MAX_META_DEPTH = 32
_INT64 = (-(1 << 63), (1 << 64) - 1)


def _json_safe(v: Any, depth: int = 0) -> Any:
    """A copy of a parsed JSON value that the output writer can always serialise: lone
    surrogates replaced, integers beyond 64 bits and non-finite floats turned into strings
    or ``null``, nesting cut at 32 levels (orjson refuses deep trees)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return _clean_str(v)
    if isinstance(v, int):
        return v if _INT64[0] <= v <= _INT64[1] else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if depth >= _MAX_META_DEPTH:
        return "(nested too deeply)"
    if isinstance(v, dict):
        return {_clean_str(str(k)): _json_safe(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x, depth + 1) for x in v]
    return _clean_str(str(v))


# ---------------------------------------------------------------- bounded streams


def _read_some(stream: IO[bytes] | io.BufferedIOBase, n: int) -> bytes:
    """Up to ``n`` bytes, from one read of the underlying source: ``read(n)`` of a buffered
    stream insists on ``n`` bytes and, when its source fails half-way, drops the part it had."""
    read1 = getattr(stream, "read1", None)
    return read1(n) if read1 is not None else stream.read(n)


class _Counted(io.RawIOBase):
    """A stream's bytes as read from disk (before decompression), counted."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self._inner = inner
        self.n = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = _read_some(self._inner, len(b))
        n = len(data)
        b[:n] = data
        self.n += n
        return n


class _Metered(io.RawIOBase):
    """The decompressed stream of one file, raising :class:`_StreamStop` when it yields
    more than the file's limits allow (total bytes, compression ratio, and, for WARC, bytes
    without a newline: header lines are read whole by warcio)."""

    def __init__(
        self, inner: io.BufferedIOBase, limits: Limits, disk: _Counted, *, max_line: int | None = None
    ) -> None:
        super().__init__()
        self._inner = inner
        self._limits = limits
        self._disk = disk
        self._max_line = max_line
        self._since_newline = 0
        self.n = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        try:
            data = _read_some(self._inner, len(b))
        except Exception as e:
            if not _is_stream_error(e):
                raise
            raise _StreamStop(f"truncated or corrupt stream: {type(e).__name__}: {e}") from e
        n = len(data)
        b[:n] = data
        self.n += n
        lim = self._limits
        if self.n > lim.max_input_bytes:
            raise _StreamStop(f"too large: input over max_input_bytes={lim.max_input_bytes}")
        if self.n > _RATIO_FLOOR and self.n > lim.max_compression_ratio * max(1, self._disk.n):
            raise _StreamStop(
                f"decompression bomb: {self._disk.n} bytes expand past {self.n}"
                f" (over max_compression_ratio={lim.max_compression_ratio:g})"
            )
        if self._max_line is not None and n:
            nl = data.rfind(b"\n")
            self._since_newline = n - nl - 1 if nl >= 0 else self._since_newline + n
            if self._since_newline > self._max_line:
                raise _StreamStop(f"too large: line over max_doc_bytes={self._max_line}")
        return n


class _Transcoded(io.RawIOBase):
    """A UTF-16/32 stream re-encoded as UTF-8, so line splitting works on it."""

    def __init__(self, inner: IO[bytes], encoding: str) -> None:
        super().__init__()
        self._text = codecs.getreader(encoding)(inner, "replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._pending:
            chunk = self._text.read(_CHUNK)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", errors="replace")
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _open_stream(
    raw: IO[bytes], limits: Limits, *, max_line: int | None = None, packed: bool = True
) -> tuple[io.BufferedReader, _Metered]:
    """Wrap ``raw`` (a file or stdin): counted, decompressed if it is gzip, bzip2, xz or
    zstd (told by its first bytes, unless ``packed`` is false: ``raw`` is read from the
    middle of a file), metered, buffered."""
    disk = _Counted(raw)
    peek: io.BufferedReader = io.BufferedReader(disk, _CHUNK)
    metered = _Metered(_unpacked(peek) if packed else peek, limits, disk, max_line=max_line)
    return io.BufferedReader(metered, _CHUNK), metered


def _unpacked(peek: io.BufferedReader) -> Any:
    kind = _compression(peek.peek(10)[:10])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=peek, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(peek)
    if kind == "xz":
        return lzma.LZMAFile(peek)
    if kind == "zstd":  # pyzstd, as gzip, bz2 and lzma: a cut stream raises EOFError
        import pyzstd

        return pyzstd.ZstdFile(peek)
    return peek


_STREAM_ERRORS = (EOFError, OSError, zlib.error, gzip.BadGzipFile, lzma.LZMAError, ValueError)


def _is_stream_error(e: BaseException) -> bool:
    """Whether ``e`` says a stream is cut or corrupt: one of :data:`_STREAM_ERRORS`, or
    pyzstd's ``ZstdError`` (told by name: pyzstd is imported only when a zstd stream is met,
    and its errors come from ``backports.zstd`` on Python before 3.14)."""
    return isinstance(e, _STREAM_ERRORS) or type(e).__name__ == "ZstdError"


def _first_bytes(stream: Any, n: int = 4096) -> bytes:
    """Up to ``n`` bytes from the start of ``stream``: as many as it gives before it ends or
    turns out cut or corrupt."""
    head = b""
    try:
        while len(head) < n and (more := _read_some(stream, n - len(head))):
            head += more
    except _StreamStop:
        pass
    except Exception as e:
        if not _is_stream_error(e):
            raise
    return head


# ---------------------------------------------------------------- readers


@overload
def read_inputs(
    inputs: Iterable[str],
    *,
    max_doc_bytes: int,
    stdin: IO[bytes] | None = None,
    discovered: Discovered | None = None,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    defer_parsing: Literal[False] = False,
) -> Iterator[Document]: ...


@overload
def read_inputs(
    inputs: Iterable[str],
    *,
    max_doc_bytes: int,
    stdin: IO[bytes] | None = None,
    discovered: Discovered | None = None,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    defer_parsing: Literal[True],
) -> Iterator[Document | JsonlBlock]: ...


def read_inputs(
    inputs: Iterable[str],
    *,
    max_doc_bytes: int,
    stdin: IO[bytes] | None = None,
    discovered: Discovered | None = None,
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO,
    defer_parsing: bool = False,
) -> Iterator[Document] | Iterator[Document | JsonlBlock]:
    """Yield one :class:`Document` per input record, in input order. Never raises for bad
    data: unreadable files, corrupt or oversized records come out ``rejected``.

    ``discovered`` is the result of :func:`discover_inputs` when the caller already has it.
    The limits are described in :class:`Limits`.

    ``doc.order`` is the record's position in the whole input; ids are made unique (a
    repeated id gets ``~2``, ``~3`` ... and keeps the original in ``meta["given_id"]``).

    With ``defer_parsing``, JSONL is left for the caller's workers to split and parse side
    by side instead of the reading process alone. A JSONL line comes out as it was read
    (``raw_kind == "jsonl"``, ``raw`` its bytes, id ``path:line``) for
    :func:`parse_deferred` to parse later (:func:`~corpuskit.stages.prepare_document`
    does), and a run of whole lines of a plain JSONL file comes out as one
    :class:`JsonlBlock`, whose :meth:`~JsonlBlock.records` are the records those lines
    make. Records are then neither numbered nor made unique here: the caller passes every
    one, parsed, in order, to :func:`make_unique`, and sets ``doc.order``.
    """
    found = discovered if discovered is not None else discover_inputs(inputs)  # now: errors surface here
    limits = Limits(max_doc_bytes, max_input_bytes, max_compression_ratio)
    if defer_parsing:
        return _read_deferred(found.files, limits, stdin)
    return _read_all(found.files, limits, stdin)


def _read_all(files: list[tuple[str, str]], limits: Limits, stdin: IO[bytes] | None) -> Iterator[Document]:
    seen_ids: dict[str, int] = {}
    order = 0
    for path, arg in files:
        for doc in _read_one(path, explicit=path == arg, limits=limits, stdin=stdin):
            assert isinstance(doc, Document)
            make_unique(doc, seen_ids)
            doc.order = order
            order += 1
            yield doc


def _read_deferred(
    files: list[tuple[str, str]], limits: Limits, stdin: IO[bytes] | None
) -> Iterator[Document | JsonlBlock]:
    for path, arg in files:
        yield from _read_one(path, explicit=path == arg, limits=limits, stdin=stdin, defer=True)


def make_unique(doc: Document, seen: dict[str, int]) -> None:
    """Give ``doc`` an id no earlier record has; ``seen`` maps id → last suffix tried.
    A renamed record keeps the id it was given as the first key of its ``meta``.

    >>> seen = {}
    >>> docs = [Document("a", "s"), Document("a", "s", meta={"input": {}})]
    >>> for d in docs:
    ...     make_unique(d, seen)
    >>> [(d.id, d.meta) for d in docs]
    [('a', {}), ('a~2', {'given_id': 'a', 'input': {}})]
    """
    base = doc.id
    if base not in seen:
        seen[base] = 1
        return
    n = seen[base]
    while True:  # "x~2" may itself have been given as an id: skip taken ones
        n += 1
        candidate = f"{base}~{n}"
        if candidate not in seen:
            break
    seen[base] = n
    seen[candidate] = 1
    rename(doc, candidate)


def rename(doc: Document, new_id: str) -> None:
    """Give ``doc`` the id ``new_id``, keeping the one it had as the first key of its
    ``meta`` (``given_id``): first, so the output is the same whichever engine renames."""
    doc.meta = {"given_id": doc.id, **doc.meta}
    doc.id = new_id


def _reject(path: str, reason: str, *, line: int | None = None, doc_id: str | None = None, fmt: str = "") -> Document:
    d = Document(id=doc_id or (f"{path}:{line}" if line is not None else path), source=path, source_line=line)
    d.input_format = fmt
    return d.reject(reason)


def _read_one(
    path: str, *, explicit: bool, limits: Limits, stdin: IO[bytes] | None, defer: bool = False
) -> Iterator[Document | JsonlBlock]:
    if path == "-":
        stream, _ = _open_stream(stdin if stdin is not None else _stdin(), limits)
        yield from _read_jsonl(stream, "-", limits, defer)
        return
    try:
        st = os.stat(path)
    except OSError as e:
        yield _reject(path, f"unreadable: {e.strerror or e}")
        return
    if stat.S_ISDIR(st.st_mode):
        try:
            os.scandir(path).close()
        except OSError as e:
            yield _reject(path, f"unreadable directory: {e.strerror or e}")
        else:
            yield _reject(path, "a directory, not a file")
        return
    if not stat.S_ISREG(st.st_mode) and not explicit:
        # a FIFO or device met in a directory walk could block or never end
        yield _reject(path, "not a regular file")
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, generator-friendly
    except OSError as e:
        yield _reject(path, f"unreadable: {e.strerror or e}")
        return
    with f:
        try:
            head = f.read(4096)
            f.seek(0)
        except OSError as e:
            yield _reject(path, f"unreadable: {e.strerror or e}")
            return
        fmt = detect_format(path, head)
        packed = _compression(head) is not None
        if fmt == "binary" and packed:
            fmt = _sniff_packed(f, path, limits)
        if fmt == "jsonl":
            if defer and not packed and stat.S_ISREG(st.st_mode) and st.st_size <= limits.max_input_bytes:
                yield from _jsonl_blocks(f, path, limits)
            else:
                stream, _ = _open_stream(f, limits)
                yield from _read_jsonl(stream, path, limits, defer)
        elif fmt == "warc":
            yield from _read_warc(f, path, limits)
        elif fmt == "binary":
            yield _reject(path, "binary file (compressed data of unknown format)", fmt=fmt)
        elif packed:  # a compressed page: its limits apply to what it expands to
            stream, _ = _open_stream(f, limits)
            yield _read_page(stream, path, fmt, limits.max_doc_bytes)
        elif stat.S_ISREG(st.st_mode) and st.st_size > limits.max_doc_bytes:
            yield _reject(path, f"too large: {st.st_size} bytes, over max_doc_bytes={limits.max_doc_bytes}", fmt=fmt)
        else:
            yield _read_page(f, path, fmt, limits.max_doc_bytes)


def _sniff_packed(f: IO[bytes], path: str, limits: Limits) -> str:
    """:func:`detect_format` of what a compressed file expands to, for a kind whose first
    4 KiB say nothing (bzip2 and zstd give nothing before a whole block); ``binary`` when
    it does not expand. ``f`` is left at its start."""
    try:
        head = _first_bytes(_open_stream(f, limits)[0])
    except _STREAM_ERRORS:  # opening it: the header of a gzip member, say
        head = b""
    f.seek(0)
    return detect_format(path, head) if head else "binary"


def _stdin() -> IO[bytes]:
    import sys

    return sys.stdin.buffer


def _read_page(f: IO[bytes], path: str, fmt: str, max_doc_bytes: int) -> Document:
    try:
        data = f.read(max_doc_bytes + 1)
    except _StreamStop as e:  # a compressed page: corrupt, or past a whole-file bound
        return _reject(path, e.reason, fmt=fmt)
    except OSError as e:
        return _reject(path, f"unreadable: {e.strerror or e}", fmt=fmt)
    if len(data) > max_doc_bytes:
        return _reject(path, f"too large: over max_doc_bytes={max_doc_bytes}", fmt=fmt)
    if not data.strip():
        return _reject(path, "empty file", fmt=fmt)
    doc = Document(id=path, source=path)
    doc.input_format = fmt
    doc.raw = data
    doc.raw_kind = "html" if fmt == "html" else "text"
    return doc


def _iter_lines(fh: io.BufferedReader, limit: int, first: int = 1) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(line_no, line, error)`` for every line that is not blank, the first
    numbered ``first``.

    A line over ``limit`` bytes is skipped, not read whole. Runs of blank lines are skipped
    a buffer at a time, so a file of a billion newlines costs seconds, not hours. An error
    with a reason that is not about one line's size ends the file: the stream is corrupt,
    truncated, or over a whole-file limit.
    """
    lineno = first - 1
    while True:
        lineno += 1
        try:
            line = fh.readline(limit + 1)
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                while True:
                    chunk = fh.readline(_CHUNK)
                    if not chunk or chunk.endswith(b"\n"):
                        break
                yield lineno, None, f"too large: line over max_doc_bytes={limit}"
                continue
            if not line.strip():
                while (n := _skip_blank_lines(fh)) > 0:
                    lineno += n
                continue
        except _StreamStop as e:
            yield lineno, None, e.reason
            return
        except _STREAM_ERRORS as e:
            yield lineno, None, f"truncated or corrupt stream: {type(e).__name__}: {e}"
            return
        yield lineno, line, None


_ARRAY_START = re.compile(rb"\[\s*[{\]]")  # a JSON array of objects (or an empty one)
# A whole JSON string, or one of the characters that nest: a lone quote is a string the
# buffer cuts short.
_JSON_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_JSON_TOKEN = re.compile(_JSON_STRING + rb'|["{}\[\]]', re.S)
_BETWEEN = re.compile(rb"[\s,]*")  # what may separate two elements
_SCALAR = re.compile(_JSON_STRING + rb'|[^\s,\[\]{}"]+', re.S)  # a string, number or literal


class _Chained(io.RawIOBase):
    """``head``, then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._head[: len(b)] if self._head else _read_some(self._tail, len(b))
        self._head = self._head[len(data) :]
        b[: len(data)] = data
        return len(data)


class _Window:
    """The part of a stream being scanned: ``buf`` from byte ``pos`` on, and the line number
    of any position in it (counted forwards, once)."""

    def __init__(self, fh: io.BufferedReader) -> None:
        self.fh = fh
        self.buf = bytearray()
        self.pos = 0
        self._line = 1  # the line of buf[self._at]
        self._at = 0
        self.eof = False

    def line_at(self, i: int) -> int:
        if i < self._at:  # only the scan of one element looks back, to its start
            return self._line - self.buf.count(b"\n", i, self._at)
        self._line += self.buf.count(b"\n", self._at, i)
        self._at = i
        return self._line

    def more(self) -> bool:
        """Let go of what is before ``pos`` and read more; ``False`` at the end of the
        stream. An element read in many pieces costs linear time: what is kept is moved
        once, and the rest appended."""
        if self.eof:
            return False
        self.line_at(self.pos)
        del self.buf[: self.pos]
        self._at = self.pos = 0
        chunk = _read_some(self.fh, _CHUNK)  # what was read before a corrupt part is kept
        self.buf += chunk
        self.eof = not chunk
        return bool(chunk)

    def skip(self, pattern: re.Pattern[bytes]) -> None:
        """Move ``pos`` past what ``pattern`` (which matches the empty string) matches."""
        while True:
            m = pattern.match(self.buf, self.pos)
            assert m is not None
            self.pos = m.end()
            if self.pos < len(self.buf) or not self.more():
                return


def _iter_array(fh: io.BufferedReader, limit: int) -> Iterator[tuple[int, bytes | None, str | None, int]]:
    """Yield ``(line_no, element, error, n)`` for the ``n``-th element of the JSON array
    ``fh`` holds (what a scraper's JSON export writes: ``[{...}, {...}]``), ``line_no``
    being the line it starts on (:func:`_iter_lines`' contract, so each element is then
    read as a JSONL line would be); ``n`` is 0 for what is not an element.

    Elements are found by their brackets and strings, not parsed (the workers parse them),
    and only the element being scanned is held: one over ``limit`` bytes is scanned past,
    not kept, and reported; an element that is not an object is read as one, for the
    record to say so. What is not JSON where an element should start ends the file with
    the reason (where the next one starts is not known). What follows the array is read as
    JSON lines (a JSONL file whose first line is an array loses none of the others).
    """
    w = _Window(fh)
    n = 0
    try:
        w.skip(_BETWEEN)
        w.pos += 1  # the "[" that _read_jsonl saw
        while True:
            ended = w.line_at(w.pos)  # the line of the "[" or of the end of the last element
            w.skip(_BETWEEN)
            first = w.buf[w.pos : w.pos + 1]
            if not first:  # named by the array's last line, not by one past the file's end
                yield ended, None, "truncated JSON array: no closing ] after this line", 0
                return
            if first == b"]":  # what follows, if anything, is read as JSON lines
                w.pos += 1
                before = w.line_at(w.pos) - 1
                rest: io.BufferedReader = io.BufferedReader(_Chained(bytes(w.buf[w.pos :]), fh), _CHUNK)
                for k, element, err in _join_objects(_iter_lines(rest, limit), limit):
                    yield before + k, element, err, 0
                return
            line = w.line_at(w.pos)
            n += 1
            if first not in (b"{", b"["):  # a string, number or literal: one token
                while True:
                    m = _SCALAR.match(w.buf, w.pos)
                    cut_short = m.end() == len(w.buf) if m is not None else first == b'"'
                    if not cut_short or len(w.buf) - w.pos > limit or not w.more():
                        break
                if m is None or m.end() - m.start() > limit:
                    yield (
                        line,
                        None,
                        "invalid JSON in the array, or an element over max_doc_bytes; the rest is not read",
                        0,
                    )
                    return
                w.pos = m.end()
                yield line, bytes(m.group()), None, n
                continue
            depth, scan, dropped = 0, w.pos, False
            while True:
                depth, scan, _ = _brackets(w.buf, scan, depth)
                if depth == 0:  # the element opened at w.pos closes at scan
                    break
                # The buffer ends inside the element (or inside a string of it).
                if scan - w.pos > limit:  # too large: scanned on, not kept
                    w.pos, dropped = scan, True
                kept = scan - w.pos
                if not w.more():
                    yield line, None, "truncated JSON array: an element is not closed", 0
                    return
                scan = kept
            element, w.pos = bytes(w.buf[w.pos : scan]), scan
            if dropped or len(element) > limit:
                yield line, None, f"too large: an array element over max_doc_bytes={limit}", 0
            else:
                yield line, element, None, n
    except _StreamStop as e:
        yield w.line_at(w.pos), None, e.reason, 0
    except _STREAM_ERRORS as e:
        yield w.line_at(w.pos), None, f"truncated or corrupt stream: {type(e).__name__}: {e}", 0


def _brackets(buf: bytes | bytearray, pos: int, depth: int) -> tuple[int, int, bool]:
    """Count ``buf``'s brackets from ``pos``, starting at ``depth``, strings skipped whole:
    ``(depth, end, in_string)``, stopping just after the bracket that brings the depth to 0
    or below, at a quote whose string ``buf`` does not close (``in_string``), or at the end."""
    for m in _JSON_TOKEN.finditer(buf, pos):
        token = m.group()
        if token == b'"':
            return depth, m.start(), True
        if token in (b"{", b"["):
            depth += 1
        elif token in (b"}", b"]"):
            depth -= 1
            if depth <= 0:
                return depth, m.end(), False
    return depth, len(buf), False


def _bracket_depth(line: bytes, depth: int) -> tuple[int, int] | None:
    r"""``(depth, end)`` after scanning ``line``'s brackets from ``depth``, ``end`` being
    where the depth first comes back to 0 (else ``len(line)``); ``None`` when the line ends
    inside a string (a JSON string never holds a raw newline) or closes what it did not open.

    >>> _bracket_depth(b'{"a": [1, "}"],\n', 0), _bracket_depth(b'}\n', 1), _bracket_depth(b'{"cut\n', 0)
    ((1, 16), (0, 1), None)
    """
    depth, end, in_string = _brackets(line, 0, depth)
    return None if in_string or depth < 0 else (depth, end)


def _opens_object(line: bytes) -> bool:
    """Whether ``line`` starts a JSON object it does not end: the first line of one written
    over several (``json.dump(indent=2)``, ``jq .``). Told from its first and last bytes,
    so a JSON line (which ends with its ``}``) costs no scan."""
    if line.endswith((b"}\n", b"}\r\n", b"}")):
        return False
    if line[:1] != b"{" and line.lstrip()[:1] != b"{":
        return False
    return line.rstrip()[-1:] != b"}"


def _join_objects(
    lines: Iterator[tuple[int, bytes | None, str | None]], limit: int
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """:func:`_iter_lines`' lines, with a JSON object written over several lines joined
    into one record (its first line's number): a pretty-printed export, a single
    pretty-printed object, or ``jq .``'s stream of them. Before, each of its lines was a
    record rejected as invalid JSON.

    Lines are joined while their brackets stay open (strings skipped); what is joined is
    parsed by the workers as any JSON line is. When the lines turn out not to be one object
    (a line ends inside a string, closes more than was opened or has more after the close,
    the file ends first, or they grow past ``limit`` bytes), each held line is a JSON line of
    its own again, as before, and the line that told is looked at afresh. So a cut JSON line
    loses nothing that follows it; only at most ``limit`` bytes are held.
    """
    held: list[tuple[int, bytes]] = []
    size = depth = 0
    for lineno, line, err in lines:
        if held:
            scan = _bracket_depth(line, depth) if line is not None and size + len(line) <= limit else None
            if line is not None and scan is not None and (scan[0] > 0 or not line[scan[1] :].strip()):
                held.append((lineno, line))
                size += len(line)
                depth = scan[0]
                if depth == 0:
                    yield held[0][0], b"".join(part for _, part in held), None
                    held = []
                continue
            yield from ((n, part, None) for n, part in held)
            held = []
        if line is not None and _opens_object(line):
            scan = _bracket_depth(line, 0)
            if scan is not None and scan[0] > 0:
                held, size, depth = [(lineno, line)], len(line), scan[0]
                continue
        yield lineno, line, err
    yield from ((n, part, None) for n, part in held)


_WHITESPACE = b" \t\r\n\x0b\x0c"  # what bytes.strip() strips


def _skip_blank_lines(fh: io.BufferedReader) -> int:
    """Consume the whole blank lines in the buffer at the stream's position; return how many."""
    buf = fh.peek(_CHUNK)
    blank = len(buf) - len(buf.lstrip(_WHITESPACE))
    end = buf.rfind(b"\n", 0, blank) + 1  # whole lines only: a record's leading spaces stay
    if end:
        fh.read(end)
    return buf.count(b"\n", 0, end)


def _read_jsonl(fh: io.BufferedReader, path: str, limits: Limits, defer: bool = False) -> Iterator[Document]:
    fmt = "jsonl"
    try:
        head = fh.peek(4)[:4]
    except _StreamStop as e:
        yield _reject(path, e.reason, line=1, fmt=fmt)
        return
    except _STREAM_ERRORS as e:
        yield _reject(path, f"truncated or corrupt stream: {type(e).__name__}: {e}", line=1, fmt=fmt)
        return
    if (found := _bom(head)) is not None:
        bom, enc = found
        fh.read(len(bom))
        if enc != "utf-8":  # UTF-16/32 JSONL: re-encode so lines split on real newlines
            fh = io.BufferedReader(_Transcoded(fh, enc), _CHUNK)
    try:
        array = _starts_array(fh.peek(_CHUNK)[:_CHUNK])
    except (_StreamStop, *_STREAM_ERRORS):
        array = False  # the line reader meets the error again and reports it
    if array:  # the N-th element without an id of its own is path#N
        for lineno, line, err, n in _iter_array(fh, limits.max_doc_bytes):
            yield _line_record(path, lineno, line, err, defer, f"{path}#{n}" if n else f"{path}:{lineno}")
        return
    yield from _jsonl_lines(fh, path, limits.max_doc_bytes, defer)


def _starts_array(head: bytes) -> bool:
    """Whether a JSONL file whose first bytes (after any byte-order mark) are ``head`` is
    one JSON array (:func:`_iter_array`) rather than lines."""
    return head.lstrip()[:1] == b"["


def _jsonl_lines(fh: io.BufferedReader[Any], path: str, limit: int, defer: bool, first: int = 1) -> Iterator[Document]:
    """The records of JSON lines from ``fh`` (blank lines are not records), the first line
    numbered ``first``."""
    for lineno, line, err in _join_objects(_iter_lines(fh, limit, first), limit):
        yield _line_record(path, lineno, line, err, defer, f"{path}:{lineno}")


_BLOCK = 1 << 20
"""Bytes of whole JSONL lines per :class:`JsonlBlock` (about 250 news articles)."""

_LINE_END_OK = np.zeros(256, dtype=bool)
_LINE_END_OK[[ord("}"), ord("\n")]] = True  # a line ending "}", or a blank line
_SPACE_BYTE = np.zeros(256, dtype=bool)
_SPACE_BYTE[list(_WHITESPACE)] = True


@dataclass(frozen=True, slots=True)
class JsonlBlock:
    """Whole lines of a JSONL file, their first numbered ``first_line``, read but not yet
    split (:func:`read_inputs` with ``defer_parsing``): a pool's workers split and parse
    them side by side, and the reading process only finds where a megabyte of lines ends.

    The records are those the file's lines make read one by one: a block starts where no
    object written over several lines is open, and ends so (:func:`_closed_lines`).
    """

    path: str
    first_line: int
    data: bytes

    def records(self, max_doc_bytes: int, *, defer: bool = False) -> list[Document]:
        """The records of these lines; with ``defer``, JSON lines left unparsed
        (:func:`parse_deferred`), as :func:`read_inputs` gives them."""
        fh = io.BufferedReader(io.BytesIO(self.data), _CHUNK)
        return list(_jsonl_lines(fh, self.path, max_doc_bytes, defer, self.first_line))


def _closed_lines(data: bytes) -> int | None:
    """The number of newlines in ``data`` if every line that is not blank ends (before
    trailing spaces) with ``}``, else None. Such a line never opens an object written over
    several lines (:func:`_opens_object`), so where no object is open before these lines,
    none is after them: what follows reads the same from here as from the start of the
    file. The count comes with the scan: ``bytes.count`` would read the block again, at
    twice the cost of the scan itself.

    >>> _closed_lines(b'{"a": 1}\\n\\n{"b": {"c": 2}}  \\r\\n')
    3
    >>> _closed_lines(b'{"a": 1}\\n{\\n  "b": 2\\n}\\n') is None
    True
    """
    a = np.frombuffer(data, dtype=np.uint8)
    if not len(a):
        return 0
    ends = np.flatnonzero(a == 10)
    newlines = len(ends)
    if not newlines or ends[-1] != len(a) - 1:
        ends = np.append(ends, len(a))  # a last line without its newline
    before = a[np.maximum(ends - 1, 0)]
    odd = ~_LINE_END_OK[before] & (ends > 0)
    if not odd.any():
        return newlines
    if not _SPACE_BYTE[before[odd]].all():
        return None
    for k in np.flatnonzero(odd).tolist():  # lines ending in spaces: look at them
        start = int(ends[k - 1]) + 1 if k else 0
        line = data[start : int(ends[k])].rstrip()
        if line and line[-1:] != b"}":
            return None
    return newlines


def _jsonl_blocks(f: IO[bytes], path: str, limits: Limits) -> Iterator[Document | JsonlBlock]:
    """A plain JSONL file (regular, not compressed, no bigger than its limit) as
    :class:`JsonlBlock` items, read by the megabyte. Where the lines of a block are not
    all :func:`_closed_lines` (an object written over several lines, say), the rest of the
    file is read line by line from the block's start, as :func:`_read_jsonl` would have.
    A block naming an ``html`` field comes out as its deferred lines: extraction is worth
    checkpointing, and the caller saves chunks of such records. The head of the file is
    looked at as :func:`_read_jsonl` does: one with a byte-order mark or holding a JSON
    array is read as that function reads it.
    """
    limit = limits.max_doc_bytes
    try:
        head = f.read(_CHUNK)
        f.seek(0)
    except OSError as e:
        yield _reject(path, f"unreadable: {e.strerror or e}", line=1, fmt="jsonl")
        return
    if _bom(head) is not None or _starts_array(head):
        stream, _ = _open_stream(f, limits)
        yield from _read_jsonl(stream, path, limits, True)
        return
    line, at, carry = 1, 0, b""
    while True:
        try:
            more = f.read(_BLOCK)
        except OSError:
            break  # read line by line from here, which reports it
        data = carry + more if carry else more
        if not data:
            return
        if at + len(data) > limits.max_input_bytes:
            break  # the file grew while read: line by line from here
        end = data.rfind(b"\n") + 1 if more else len(data)
        if not end:
            if len(data) > limit + _BLOCK:
                break  # a line too long to hold: skipped line by line from here
            carry = data
            continue
        block, carry = data[:end], data[end:]
        newlines = _closed_lines(block)
        if newlines is None:
            break
        if b'"html"' in block:
            yield from JsonlBlock(path, line, block).records(limit, defer=True)
        else:
            yield JsonlBlock(path, line, block)
        line += newlines
        at += end
    f.seek(at)
    stream, _ = _open_stream(f, limits, packed=False)
    yield from _jsonl_lines(stream, path, limit, True, line)


def _line_record(path: str, lineno: int, line: bytes | None, err: str | None, defer: bool, doc_id: str) -> Document:
    """The record of one JSON line (or array element), ``doc_id`` unless it has an id of its
    own; with ``defer``, its bytes, left for :func:`parse_deferred`."""
    if err is not None:
        return _reject(path, err, line=lineno, fmt="jsonl")
    assert line is not None
    if not defer:
        return _jsonl_record(line, path, lineno, doc_id)
    doc = Document(id=doc_id, source=path, source_line=lineno, raw=line, raw_kind="jsonl")
    doc.input_format = "jsonl"
    return doc


def parse_deferred(doc: Document) -> Document:
    """The record a deferred JSONL line holds (:func:`read_inputs` with
    ``defer_parsing``), or ``doc`` rejected with the reason; never raises. Any other
    document is returned as it is."""
    if doc.raw_kind != "jsonl" or not isinstance(doc.raw, bytes):
        return doc
    out = _jsonl_record(doc.raw, doc.source, doc.source_line or 0, doc.id)
    out.order = doc.order
    return out


def _parse_json_line(line: bytes) -> tuple[Any, str | None]:
    """``(value, encoding)``: orjson first; the stdlib for what orjson refuses (lone
    surrogates, integers beyond 64 bits, NaN), after decoding a non-UTF-8 line with
    :func:`decode_bytes`. Raises ``ValueError`` for what is not JSON."""
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError:
        pass
    encoding = None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        decoded = decode_bytes(line)
        if decoded is None:
            text, encoding = line.decode("utf-8", errors="replace"), "utf-8 (replaced)"
        else:
            text, encoding = decoded.text, decoded.encoding
    try:  # strict=False: raw control characters (NUL, tabs) inside strings are kept, not fatal
        return json.loads(text, strict=False), encoding
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _jsonl_record(line: bytes, path: str, lineno: int, default_id: str) -> Document:
    fmt = "jsonl"
    try:
        obj, encoding = _parse_json_line(line)
    except ValueError as e:
        return _reject(path, f"invalid JSON: {_clean_str(str(e))[:200]}", line=lineno, fmt=fmt)
    if not isinstance(obj, dict):
        return _reject(path, f"not a JSON object: {type(obj).__name__}", line=lineno, fmt=fmt)
    raw_id = obj.get("id")
    if isinstance(raw_id, (str, int, float)) and not isinstance(raw_id, bool) and str(raw_id).strip():
        doc_id = _clean_str(str(raw_id))
    else:
        doc_id = default_id
    found = record_body(obj)
    if found is None:
        return _reject(path, "no text or html field", line=lineno, doc_id=doc_id, fmt=fmt)
    doc = Document(id=doc_id, source=path, source_line=lineno)
    doc.input_format = fmt
    doc.raw, doc.raw_kind = found
    doc.url = _opt_str(obj.get("url"))
    doc.title = _opt_str(obj.get("title"))
    doc.date = _opt_str(obj.get("date"))
    doc.authors = record_authors(obj.get("authors", obj.get("author")))
    extra = {
        k: v for k, v in obj.items() if k not in ("id", "text", "html", "url", "title", "date", "authors", "author")
    }
    if extra:
        try:
            orjson.dumps(extra)  # what orjson parsed it can nearly always write back
        except TypeError:
            extra = _json_safe(extra)
        doc.meta["input"] = extra
    if encoding is not None:
        doc.meta["encoding"] = encoding
    return doc


def record_body(obj: Mapping[str, Any]) -> tuple[str, Literal["text", "html"]] | None:
    """The body of a JSON-like record: ``text`` when it has any, else ``html`` (lone
    surrogates replaced); ``None`` when neither has.

    >>> record_body({"text": " ", "html": "<p>Rain.</p>"})
    ('<p>Rain.</p>', 'html')
    """
    text, html = obj.get("text"), obj.get("html")
    if isinstance(text, str) and text.strip():
        return _clean_str(text), "text"
    if isinstance(html, str) and html.strip():
        return _clean_str(html), "html"
    return None


def record_authors(value: object) -> list[str]:
    """Authors of a JSON-like record: names separated by ``;``, or a list of names.

    >>> record_authors("Ann Lee; ; Bo Chu"), record_authors(["Ann Lee", None, 7, ["x"]])
    (['Ann Lee', 'Bo Chu'], ['Ann Lee', '7'])
    """
    if isinstance(value, str):
        return [a.strip() for a in _clean_str(value).split(";") if a.strip()]
    if isinstance(value, (list, tuple)):
        return [name for a in value if (name := _opt_str(a))]
    return []


def _opt_str(v: object) -> str | None:
    """A scalar field as a clean string; containers are not titles, urls or names."""
    if v is None or isinstance(v, (bool, dict, list)):
        return None
    s = _clean_str(str(v)).strip()
    return s or None


def _read_warc(f: IO[bytes], path: str, limits: Limits) -> Iterator[Document]:
    from warcio.archiveiterator import ArchiveIterator

    fmt = "warc"
    # We gunzip (bounded) ourselves and hand warcio plain WARC from an unbuffered stream (a
    # buffered read would drop the good bytes before a corrupt spot). warcio reads header
    # lines whole, so no line may run past max_doc_bytes without a newline either.
    _, metered = _open_stream(f, limits, max_line=max(limits.max_doc_bytes, 1 << 20))
    records = index = done = 0
    try:
        it = ArchiveIterator(metered, arc2warc=True, block_size=1 << 20)
        while True:
            with contextlib.redirect_stderr(io.StringIO()):  # warcio prints warnings on bad records
                rec = next(it, None)
            if rec is None:
                break
            records += 1
            if rec.rec_type and rec.rec_type not in ("response", "resource"):
                continue  # warcinfo, request, metadata...: not articles, not input records
            index += 1
            if not rec.rec_type:
                yield _reject(path, "corrupt WARC record: no WARC-Type", doc_id=f"{path}#{index}", fmt=fmt)
            else:
                yield _warc_record(rec, path, f"{path}#{index}", index, limits.max_doc_bytes)
            done = index
    except _StreamStop as e:
        yield _reject(path, f"{e.reason} (after WARC record {done})", doc_id=f"{path}#{done + 1}", fmt=fmt)
        return
    except Exception as e:  # warcio raises many types on corrupt input; none may end the run
        reason = f"truncated or corrupt WARC after record {done}: {type(e).__name__}: {_clean_str(str(e))[:200]}"
        yield _reject(path, reason, doc_id=f"{path}#{done + 1}", fmt=fmt)
        return
    if records == 0:
        yield _reject(path, "no WARC records found", doc_id=f"{path}#1", fmt=fmt)


_CHARSET = re.compile(r"charset=([\w.:-]{1,40})")


def _warc_record(rec: Any, path: str, doc_id: str, index: int, max_doc_bytes: int) -> Document:
    fmt = "warc"
    url = rec.rec_headers.get_header("WARC-Target-URI")
    headers = rec.http_headers if rec.http_headers is not None else rec.rec_headers
    ctype = (headers.get_header("Content-Type") or "").lower()
    if ctype and "html" not in ctype and "text/plain" not in ctype:
        return _reject(path, f"not an HTML response: {ctype.split(';')[0]}", doc_id=doc_id, fmt=fmt)
    try:
        data = rec.content_stream().read(max_doc_bytes + 1)
    except _StreamStop:
        raise
    except Exception as e:  # bad chunking or content-encoding: this record only
        return _reject(path, f"corrupt record body: {type(e).__name__}: {e}", doc_id=doc_id, fmt=fmt)
    if len(data) > max_doc_bytes:
        return _reject(path, f"too large: over max_doc_bytes={max_doc_bytes}", doc_id=doc_id, fmt=fmt)
    if not data.strip():
        return _reject(path, "empty response body", doc_id=doc_id, fmt=fmt)
    doc = Document(id=doc_id, source=path)
    doc.input_format = fmt
    doc.url = _opt_str(url)
    doc.raw = data
    doc.raw_kind = "text" if "text/plain" in ctype else "html"
    doc.meta["warc_record"] = index
    m = _CHARSET.search(ctype)
    if m:
        doc.meta["charset"] = m.group(1)
    return doc
