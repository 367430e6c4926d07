"""Atomic output: every file is written to a temporary name in its directory, flushed to
disk, then renamed over the target, so a reader never sees a half-written file and a killed
run leaves the previous complete output in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from .errors import OutputError

__all__ = ["atomic_writer", "dumps_record", "read_jsonl", "write_json", "write_jsonl"]

_JSON_OPTS = orjson.OPT_APPEND_NEWLINE


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; on clean exit fsync it and rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(f"{path.parent}: cannot write: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"{path}: write failed: {e.strerror or e}") from e
        raise


def dumps_record(obj: Any) -> bytes:
    """One JSONL line: UTF-8, keys in the order the record gives them, newline-terminated."""
    return orjson.dumps(obj, option=_JSON_OPTS)


def write_jsonl(path: Path, records: Iterable[Any]) -> int:
    """Write ``records`` (dicts) as JSONL atomically; return how many were written."""
    n = 0
    with atomic_writer(path) as fh:
        buf: list[bytes] = []
        for rec in records:
            buf.append(dumps_record(rec))
            n += 1
            if len(buf) >= 1024:
                fh.write(b"".join(buf))
                buf.clear()
        fh.write(b"".join(buf))
    return n


def write_json(path: Path, obj: Any) -> None:
    """Write one pretty-printed JSON document atomically (keys sorted: stable bytes)."""
    with atomic_writer(path) as fh:
        fh.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE))


def read_jsonl(path: Path) -> Iterator[Any]:
    """Read back a JSONL file this package wrote."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)
