"""Inputs → :class:`Document` records, one per input record, bad ones rejected not raised.

Every input argument is a path, a directory (walked recursively, sorted, symlink loops
ignored), a glob, or ``-`` (JSONL on stdin). The format comes from the extension and is
sniffed from the first bytes when the extension says nothing. A record that cannot be read
becomes a ``rejected`` document whose reason names the file and line; only an input that does
not exist at all is an error (:class:`~corpuskit.errors.InputError`), because that is a
usage mistake, not bad data.
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import InputError
from .records import Document

__all__ = [
    "Decoded",
    "Discovered",
    "decode_bytes",
    "detect_format",
    "discover_inputs",
    "expand_inputs",
    "read_inputs",
]

_HTML_EXT = (".html", ".htm", ".xhtml", ".shtml")
_TEXT_EXT = (".txt", ".text", ".md")
_JSONL_EXT = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".jsonl.gzip")
_WARC_EXT = (".warc", ".warc.gz", ".arc.gz")
_SKIP_NAMES = {".DS_Store", "Thumbs.db"}
_GLOB_CHARS = re.compile(r"[*?\[]")
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text decoded from bytes, and which encoding was used (for the record's ``meta``)."""

    text: str
    encoding: str


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
    symlinked directory already seen (a loop) is walked once. A glob with no match and a
    missing path raise :class:`InputError`.
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


_INPUT_EXT = _HTML_EXT + _TEXT_EXT + _JSONL_EXT + _WARC_EXT


def _is_input_name(name: str) -> bool:
    low = name.lower()
    if low.startswith(("readme", "license", "licence", "changelog")):
        return False
    return low.endswith(_INPUT_EXT) or "." not in low


def _walk(root: Path, arg: str, files: list[tuple[str, str]], skipped: list[str]) -> None:
    seen: set[tuple[int, int]] = set()

    def visit(d: Path) -> None:
        try:
            st = d.stat()
        except OSError:
            return
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return  # symlink loop or a directory reached twice
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            if e.name in _SKIP_NAMES or e.name.startswith("."):
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                visit(Path(e.path))
            elif _is_input_name(e.name):
                files.append((e.path, arg))
            else:
                skipped.append(e.path)

    visit(root)


def detect_format(path: str, head: bytes) -> str:
    """Pick a reader: ``html``, ``text``, ``jsonl``, ``warc`` (by extension, else sniffed)."""
    name = path.lower()
    if name.endswith(_WARC_EXT):
        return "warc"
    if name.endswith(_JSONL_EXT):
        return "jsonl"
    if name.endswith(_HTML_EXT):
        return "html"
    if name.endswith(_TEXT_EXT):
        return "text"
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            return "binary"
    h = head.lstrip()
    if h.startswith(b"WARC/"):
        return "warc"
    if h.startswith(b"{"):
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


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.10


def decode_bytes(data: bytes, *, html: bool = False) -> Decoded | None:
    """Decode ``data`` sensibly: BOM, then strict UTF-8, then a charset the page declares,
    then detection (charset-normalizer). Returns ``None`` for binary data.

    >>> decode_bytes("caf\\u00e9".encode("cp1252"), html=False).text
    'café'
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(enc, errors="replace"), enc)
    if _looks_binary(data):
        return None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if html:
        head = data[:4096]
        m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        if m:
            enc = m.group(1).decode("ascii", "replace").lower()
            if enc in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
                enc = "cp1252"  # what browsers do (WHATWG encoding standard)
            try:
                return Decoded(data.decode(enc, errors="replace"), enc)
            except LookupError:
                pass
    western = _plausible_cp1252(data)
    if western is not None:
        return Decoded(western, "cp1252")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return Decoded(data.decode(best.encoding, errors="replace"), best.encoding)
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8 (replaced)")


_CP1252_PLAUSIBLE = frozenset(
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝœŒšŠžŽ‘’‚“”„–—…€«»°·©®™×±§¶¿¡£¥¢\u00a0"
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{3,}")


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
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return text
    plausible = sum(1 for c in non_ascii if c in _CP1252_PLAUSIBLE)
    if plausible / len(non_ascii) < 0.95:
        return None
    runs = _NON_ASCII_RUN.findall(text)
    if any(sum(ch.isalpha() for ch in r) >= 3 for r in runs):
        return None
    return text


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_str(s: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", s) if _LONE_SURROGATE.search(s) else s


# ---------------------------------------------------------------- readers


def read_inputs(
    inputs: Iterable[str],
    *,
    max_doc_bytes: int,
    stdin: IO[bytes] | None = None,
    discovered: Discovered | None = None,
) -> Iterator[Document]:
    """Yield one :class:`Document` per input record, in input order.

    ``discovered`` is the result of :func:`discover_inputs` when the caller already has it.

    ``doc.order`` is the record's position in the whole input; ids are made unique (a
    repeated id gets ``~2``, ``~3`` ... and keeps the original in ``meta["given_id"]``).
    """
    found = discovered if discovered is not None else discover_inputs(inputs)  # now: errors surface here
    return _read_all(found.files, max_doc_bytes, stdin)


def _read_all(files: list[tuple[str, str]], max_doc_bytes: int, stdin: IO[bytes] | None) -> Iterator[Document]:
    seen_ids: dict[str, int] = {}
    order = 0
    for path, _arg in files:
        for doc in _read_one(path, max_doc_bytes=max_doc_bytes, stdin=stdin):
            n = seen_ids.get(doc.id, 0) + 1
            seen_ids[doc.id] = n
            if n > 1:
                doc.meta["given_id"] = doc.id
                doc.id = f"{doc.id}~{n}"
                seen_ids[doc.id] = 1
            doc.order = order
            order += 1
            yield doc


def _reject(path: str, reason: str, *, line: int | None = None, doc_id: str | None = None, fmt: str = "") -> Document:
    d = Document(id=doc_id or (f"{path}:{line}" if line is not None else path), source=path, source_line=line)
    d.input_format = fmt
    return d.reject(reason)


def _read_one(path: str, *, max_doc_bytes: int, stdin: IO[bytes] | None) -> Iterator[Document]:
    if path == "-":
        fh: IO[bytes] = stdin if stdin is not None else _stdin()
        yield from _read_jsonl(fh, "-", max_doc_bytes)
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
        if fmt == "jsonl":
            stream: IO[bytes] = gzip.GzipFile(fileobj=f) if head[:2] == b"\x1f\x8b" else f
            yield from _read_jsonl(stream, path, max_doc_bytes)
        elif fmt == "warc":
            yield from _read_warc(f, path, max_doc_bytes)
        elif fmt == "binary":
            yield _reject(path, "binary file (compressed data of unknown format)", fmt=fmt)
        else:
            yield _read_page(f, path, fmt, max_doc_bytes)


def _stdin() -> IO[bytes]:
    import sys

    return sys.stdin.buffer


def _read_page(f: IO[bytes], path: str, fmt: str, max_doc_bytes: int) -> Document:
    try:
        data = f.read(max_doc_bytes + 1)
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


def _iter_lines(fh: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(line_no, line, error)``; a line over ``limit`` bytes is skipped, not read whole."""
    lineno = 0
    while True:
        lineno += 1
        try:
            line = fh.readline(limit + 1)
        except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as e:
            yield lineno, None, f"truncated or corrupt stream: {type(e).__name__}: {e}"
            return
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            try:
                while True:
                    chunk = fh.readline(_CHUNK)
                    if not chunk or chunk.endswith(b"\n"):
                        break
            except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as e:
                yield lineno, None, f"truncated or corrupt stream: {type(e).__name__}: {e}"
                return
            yield lineno, None, f"too large: line over max_doc_bytes={limit}"
            continue
        yield lineno, line, None


def _read_jsonl(fh: IO[bytes], path: str, max_doc_bytes: int) -> Iterator[Document]:
    fmt = "jsonl"
    for lineno, line, err in _iter_lines(fh, max_doc_bytes):
        if err is not None:
            yield _reject(path, err, line=lineno, fmt=fmt)
            continue
        assert line is not None
        if not line.strip():
            continue  # blank lines are not records
        yield _jsonl_record(line, path, lineno)


def _jsonl_record(line: bytes, path: str, lineno: int) -> Document:
    fmt = "jsonl"
    try:
        obj: Any = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:  # the stdlib accepts what orjson refuses: lone surrogates, invalid UTF-8 replaced
            obj = json.loads(line.decode("utf-8", errors="replace"))
        except ValueError as e:
            return _reject(path, f"invalid JSON: {e}", line=lineno, fmt=fmt)
    if not isinstance(obj, dict):
        return _reject(path, f"not a JSON object: {type(obj).__name__}", line=lineno, fmt=fmt)
    raw_id = obj.get("id")
    doc_id = _clean_str(str(raw_id)) if raw_id not in (None, "") else f"{path}:{lineno}"
    text, html = obj.get("text"), obj.get("html")
    body = text if isinstance(text, str) and text.strip() else html if isinstance(html, str) and html.strip() else None
    if body is None:
        return _reject(path, "no text or html field", line=lineno, doc_id=doc_id, fmt=fmt)
    doc = Document(id=doc_id, source=path, source_line=lineno)
    doc.input_format = fmt
    doc.raw = _clean_str(body)
    doc.raw_kind = "text" if body is text else "html"
    doc.url = _opt_str(obj.get("url"))
    doc.title = _opt_str(obj.get("title"))
    doc.date = _opt_str(obj.get("date"))
    authors = obj.get("authors", obj.get("author"))
    if isinstance(authors, str):
        doc.authors = [a.strip() for a in authors.split(";") if a.strip()]
    elif isinstance(authors, list):
        doc.authors = [_clean_str(str(a)).strip() for a in authors if str(a).strip()]
    extra = {
        k: v for k, v in obj.items() if k not in ("id", "text", "html", "url", "title", "date", "authors", "author")
    }
    if extra:
        doc.meta["input"] = json.loads(json.dumps(extra, ensure_ascii=True))  # JSON-safe copy
    return doc


def _opt_str(v: object) -> str | None:
    if v is None:
        return None
    s = _clean_str(str(v)).strip()
    return s or None


def _read_warc(f: IO[bytes], path: str, max_doc_bytes: int) -> Iterator[Document]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    fmt = "warc"
    index = 0
    try:
        for rec in ArchiveIterator(f, arc2warc=True):
            if rec.rec_type not in ("response", "resource"):
                continue
            index += 1
            doc_id = f"{path}#{index}"
            url = rec.rec_headers.get_header("WARC-Target-URI")
            ctype = ""
            if rec.http_headers is not None:
                ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
            else:
                ctype = (rec.rec_headers.get_header("Content-Type") or "").lower()
            if ctype and "html" not in ctype and "text/plain" not in ctype:
                yield _reject(path, f"not an HTML response: {ctype.split(';')[0]}", doc_id=doc_id, fmt=fmt)
                continue
            try:
                data = rec.content_stream().read(max_doc_bytes + 1)
            except (OSError, EOFError, zlib.error, ValueError) as e:
                yield _reject(path, f"truncated or corrupt record: {e}", doc_id=doc_id, fmt=fmt)
                return
            if len(data) > max_doc_bytes:
                yield _reject(path, f"too large: over max_doc_bytes={max_doc_bytes}", doc_id=doc_id, fmt=fmt)
                continue
            if not data.strip():
                yield _reject(path, "empty response body", doc_id=doc_id, fmt=fmt)
                continue
            doc = Document(id=doc_id, source=path)
            doc.input_format = fmt
            doc.url = url
            doc.raw = data
            doc.raw_kind = "text" if "text/plain" in ctype else "html"
            doc.meta["warc_record"] = index
            m = re.search(r"charset=([\w.:-]+)", ctype)
            if m:
                doc.meta["charset"] = m.group(1)
            yield doc
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as e:
        yield _reject(
            path, f"truncated or corrupt WARC after record {index}: {e}", doc_id=f"{path}#{index + 1}", fmt=fmt
        )
