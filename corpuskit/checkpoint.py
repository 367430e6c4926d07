"""Checkpoints of finished per-document work, so a killed run can be resumed.

The expensive part of a run is per document: decoding and HTML extraction (``prepare``),
then boilerplate, language and signatures (``finish``). Both run over fixed-size chunks of
the input stream, and each finished chunk is saved under ``OUT_DIR/.corpuskit-work/``,
named by a content key: a hash of the corpuskit version, the run's configuration, the
stage, and every field of the chunk's input documents (raw bytes included; for ``finish``
also the site template lines the chunk is cleaned with). Both stages are pure functions of
exactly that, so a chunk whose key is on disk need not be computed again, and the resumed
run's output is byte-identical to an uninterrupted one. Changing an input, an option or
the version changes the keys: nothing stale is ever reused. A caller may leave out chunks
that cost less to compute again than to key and save (the pipeline saves ``prepare``
chunks only when they finished a record too, or hold HTML).

Each process appends the chunks it computes to its own log per stage (a file per chunk
would cost a new inode each); a record carries its key, size and CRC-32, so a torn or
foreign record is detected on load and simply recomputed. The work directory also holds a
lock (one run per output directory at a time) and the staging area of the final outputs;
a run that ends cleanly removes it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import os
import shutil
import struct
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import numpy as np
import orjson

from ._version import __version__
from .config import RunConfig
from .errors import OutputError
from .readers import JsonlBlock
from .records import Document
from .spill import Parked, TextSpill, append_all

__all__ = ["WORK_DIR", "Checkpoints", "Keyed", "Ready", "decode_document", "encode_document", "saved_chunks"]

WORK_DIR = ".corpuskit-work"
"""Name of the work directory inside ``OUT_DIR`` (hidden: directory walks skip it)."""

_FORMAT = 1
R = TypeVar("R")

Inputs = Sequence[Document] | JsonlBlock
"""A chunk's input: its records, or the block of JSONL lines a worker reads them from."""


def _records(docs: Inputs) -> Sequence[Document]:
    """The records a chunk was given, none for a block (its worker reads them)."""
    return () if isinstance(docs, JsonlBlock) else docs


def _update(h: Any, parts: Iterable[bytes]) -> None:
    """Hash ``parts`` each after its length, so no two lists of parts hash alike."""
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)


class Ready(Generic[R]):
    """A result already at hand, passed through an ordered pool map without a worker
    (it has the ``get()`` of a pool's ``AsyncResult``)."""

    __slots__ = ("value",)

    def __init__(self, value: R) -> None:
        self.value = value

    def get(self) -> R:
        return self.value


class _Unencodable(Exception):
    """A document holds a value a checkpoint cannot represent exactly; the chunk is not saved."""


def _encode_value(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return {"$nd": [v.dtype.str, list(v.shape), base64.b64encode(np.ascontiguousarray(v).tobytes()).decode()]}
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (list, tuple)):
        if isinstance(v, tuple):
            raise _Unencodable("tuple")  # would come back as a list
        return [_encode_value(x) for x in v]
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        if "$nd" in v:
            raise _Unencodable("reserved key")
        return {k: _encode_value(x) for k, x in v.items()}
    if isinstance(v, frozenset):
        raise _Unencodable("frozenset")
    raise _Unencodable(type(v).__name__)


def _decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        nd = v.get("$nd")
        if nd is not None and len(v) == 1:
            dtype, shape, data = nd
            return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
        return {k: _decode_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode_value(x) for x in v]
    return v


def encode_document(doc: Document) -> dict[str, Any]:
    """Every field of ``doc`` but ``raw`` as JSON-ready values; raises ``_Unencodable`` for
    a ``work`` value with no exact JSON form. ``work`` keys starting with ``_`` hold
    handles that mean nothing outside the run (parked data) and are left out."""
    d = doc.to_dict()
    d["$"] = {
        "order": doc.order,
        "input_format": doc.input_format,
        "raw_kind": doc.raw_kind,
        "work": _encode_value({k: v for k, v in doc.work.items() if not k.startswith("_")}),
    }
    return d


def decode_document(d: dict[str, Any]) -> Document:
    """The inverse of :func:`encode_document` (without ``raw``)."""
    extra = d.pop("$")
    doc = Document.from_dict(d)
    doc.order = extra["order"]
    doc.input_format = extra["input_format"]
    doc.raw_kind = extra["raw_kind"]
    doc.work = _decode_value(extra["work"])
    return doc


class Keyed:
    """Picklable wrapper for pool workers: key a chunk, compute it, save it, hand both back.

    Keying and saving happen where the chunk is computed (a worker, with a pool): hashing
    every input byte and writing every result is work the main process would otherwise do
    alone while the workers wait for it. ``store`` is ``None`` once saving has stopped.
    A task is ``(key, extra, docs, payload)``; ``key`` is ``None`` when the worker must make it
    (from ``docs`` and ``extra``, before ``fn``, which may change ``docs`` in place) and
    ``""`` for a chunk that is not saved. The result is ``(key, docs, saved)``, ``saved``
    ``False`` when the save failed (the disk is full: the main process stops saving).
    With a ``spill``, parked input texts are read here and the output texts parked here.
    """

    def __init__(
        self,
        fn: Callable[[Any], list[Document]],
        stage: str,
        store: _Store | None,
        spill: TextSpill | None = None,
        keep: Callable[[list[Document]], bool] | None = None,
    ) -> None:
        self.fn = fn
        self.stage = stage
        self.store = store
        self.spill = spill
        self.keep = keep

    def __call__(self, item: tuple[str | None, bytes, Inputs, Any]) -> tuple[str, list[Document], bool]:
        key, extra, docs, payload = item
        if self.spill is not None:
            self.spill.unpark_all(_records(docs))  # ``payload`` holds the same records
        if key is None:
            key = (self.store.key(self.stage, docs, extra) if self.store is not None else None) or ""
        out = self.fn(payload)
        store = self.store if key and (self.keep is None or self.keep(out)) else None
        saved = store.save(self.stage, key, out) if store is not None else True
        if self.spill is not None:
            self.spill.park_all(out)
        return key, out, saved


class _Store:
    """Chunk keys and files: what a worker needs to key and save a chunk (picklable)."""

    __slots__ = ("root", "salt")

    def __init__(self, root: Path, salt: bytes) -> None:
        self.root = root
        self.salt = salt

    def key(self, stage: str, docs: Inputs, extra: bytes = b"") -> str | None:
        """Content key of a chunk: what ``stage`` computes from ``docs`` and ``extra`` depends
        on nothing else. ``None`` when a document holds a value with no exact encoding. A
        block of JSONL lines is keyed by its file's name, its first line's number and its
        bytes: its records are made from nothing else."""
        h = hashlib.blake2b(self.salt, digest_size=20)
        h.update(stage.encode())
        _update(h, [extra])
        if isinstance(docs, JsonlBlock):
            _update(h, [b"block", docs.path.encode("utf-8", "surrogatepass"), str(docs.first_line).encode(), docs.data])
            return h.hexdigest()
        for d in docs:
            try:
                head = orjson.dumps(encode_document(d))
            except (_Unencodable, TypeError):
                return None
            raw = d.raw.encode("utf-8", "surrogatepass") if isinstance(d.raw, str) else (d.raw or b"")
            _update(h, [head, b"s" if isinstance(d.raw, str) else b"b", raw])
        return h.hexdigest()

    def save(self, stage: str, key: str, docs: Sequence[Document]) -> bool:
        """Append a chunk's result to this process's log; ``False`` when the disk refused it
        (an exotic value in ``doc.work`` only skips this chunk, recomputed on resume)."""
        try:
            payload = orjson.dumps({"format": _FORMAT, "key": key, "docs": [encode_document(d) for d in docs]})
        except (_Unencodable, TypeError):
            return True
        record = _HEAD.pack(_MAGIC, bytes.fromhex(key), len(payload), zlib.crc32(payload)) + payload
        try:
            # No fsync: a record torn by a crash fails its check on resume and is recomputed.
            append_all(self._log(stage), record)
        except OSError:
            return False
        return True

    def _log(self, stage: str) -> int:
        """This process's log of ``stage`` (one per process: appends never interleave)."""
        where = (os.getpid(), str(self.root / stage))
        fd = _LOGS.get(where)
        if fd is None:
            folder = self.root / stage
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{os.getpid()}-{os.urandom(4).hex()}.log"
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            _LOGS[where] = fd
        return fd


# Saved chunks are records appended to one log per process and stage (a file per chunk
# costs a new inode each, which dominates on ext4): magic, key, payload size, CRC-32.
_MAGIC = b"CKP1"
_HEAD = struct.Struct("<4s20sQI")
_LOGS: dict[tuple[int, str], int] = {}  # open logs of this process: (pid, stage dir) -> fd


def _close_logs(root: Path) -> None:
    """Close this process's logs under ``root`` (a later run there starts new ones)."""
    for where in [w for w in _LOGS if w[0] == os.getpid() and Path(w[1]).parent == root]:
        with contextlib.suppress(OSError):
            os.close(_LOGS.pop(where))


def _scan_log(path: Path) -> Iterator[tuple[str, int, int, int]]:
    """``(key, offset, size, crc)`` of each record of a log, up to the first torn one."""
    try:
        with open(path, "rb") as fh:
            end = os.fstat(fh.fileno()).st_size
            at = 0
            while at + _HEAD.size <= end:
                fh.seek(at)
                magic, key, size, crc = _HEAD.unpack(fh.read(_HEAD.size))
                if magic != _MAGIC or at + _HEAD.size + size > end:
                    return
                yield key.hex(), at + _HEAD.size, size, crc
                at += _HEAD.size + size
    except OSError:
        return


def saved_chunks(work_dir: Path, stage: str) -> int:
    """How many chunks of ``stage`` are saved in ``work_dir`` (whole records; each is
    checked again when it is loaded)."""
    return sum(1 for log in sorted((Path(work_dir) / "chunks" / stage).glob("*.log")) for _ in _scan_log(log))


class Checkpoints:
    """The checkpoint store of one run in ``out_dir``.

    Without ``resume`` the store starts empty (checkpoints of an earlier run are removed);
    with it, chunks saved by an earlier run with the same inputs and options are reused.
    Saving is best effort: when the disk fills up, checkpointing stops and the run goes on
    (the final outputs are what must not fail silently). ``reused`` and ``computed`` count
    chunks per stage. Opening raises :class:`OutputError` if another run holds the lock.
    """

    def __init__(self, out_dir: Path, cfg: RunConfig, *, resume: bool) -> None:
        self.work_dir = Path(out_dir) / WORK_DIR
        self.resume = resume
        self.enabled = True
        self.reused: Counter[str] = Counter()
        self.computed: Counter[str] = Counter()
        salt = hashlib.blake2b(
            orjson.dumps([_FORMAT, __version__, cfg.to_dict()], option=orjson.OPT_SORT_KEYS), digest_size=32
        ).digest()
        self._root = self.work_dir / "chunks"
        self._store = _Store(self._root, salt)
        self._index: dict[str, dict[str, tuple[Path, int, int, int]]] = {}
        self._lock: IO[bytes] | None = None
        try:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            if not resume:
                shutil.rmtree(self._root, ignore_errors=True)
            self._root.mkdir(exist_ok=True)
        except OSError as e:
            self.close()
            raise OutputError(f"{self.work_dir}: cannot create work directory: {e.strerror or e}") from e

    def _take_lock(self) -> None:
        import fcntl

        fh = open(self.work_dir / "lock", "wb")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            fh.close()
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise OutputError(f"{self.work_dir.parent}: another corpuskit run is writing here") from None
            raise
        self._lock = fh

    def close(self, *, success: bool = False) -> None:
        """Release the lock; after a successful run, remove the work directory."""
        _close_logs(self._root)
        if success:
            shutil.rmtree(self._root, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if success:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # ------------------------------------------------------------ keys and files

    def key(self, stage: str, docs: Inputs, extra: bytes = b"") -> str | None:
        """Content key of a chunk (see :class:`_Store`)."""
        return self._store.key(stage, docs, extra)

    def _saved(self, stage: str) -> dict[str, tuple[Path, int, int, int]]:
        """Where each saved chunk of ``stage`` is (read once, on the first load)."""
        found = self._index.get(stage)
        if found is None:
            found = {}
            for log in sorted((self._root / stage).glob("*.log")):
                for key, at, size, crc in _scan_log(log):
                    found.setdefault(key, (log, at, size, crc))
            self._index[stage] = found
        return found

    def load(self, stage: str, key: str) -> list[Document] | None:
        """The saved result of a chunk, or ``None`` (not resuming, absent, torn or foreign)."""
        if not self.resume or (where := self._saved(stage).get(key)) is None:
            return None
        log, at, size, crc = where
        try:
            with open(log, "rb") as fh:
                fh.seek(at)
                payload = fh.read(size)
            if len(payload) != size or zlib.crc32(payload) != crc:
                return None
            data = orjson.loads(payload)
            if data.get("key") != key or data.get("format") != _FORMAT:
                return None
            docs = [decode_document(d) for d in data["docs"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.reused[stage] += 1
        return docs

    # ------------------------------------------------------------ the map

    def map(
        self,
        stage: str,
        fn: Callable[[Any], list[Document]],
        tasks: Iterable[tuple[Inputs, bytes, Any]],
        pool_map: Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]],
        spill: TextSpill | None = None,
        worth_saving: Callable[[Inputs], bool] | None = None,
        *,
        keep: Callable[[list[Document]], bool] | None = None,
    ) -> Iterator[list[Document]]:
        """Run ``fn`` over ``tasks`` with ``pool_map``, in order, reusing saved chunks.

        Each task is ``(docs, extra, payload)``: the chunk's input documents (or the JSONL
        block they are read from) and any other input (``extra``) make its key,
        ``fn(payload)`` computes it. ``pool_map`` must pass
        :class:`Ready` items through untouched and keep order. With a ``spill``, the
        documents given may be parked, and those handed back are (see :class:`Keyed`): parked
        anew, so the disk under a chunk's input texts is given back once its result is here
        (a chunk is computed again, its worker dead, only before that).
        A chunk ``worth_saving`` refuses is neither saved nor looked for: computing it
        again costs less than keying and saving it. ``keep`` (picklable) decides the same
        where the chunk was computed, from its result (a JSONL block's records are known
        only once a worker has read them).
        """
        keyed = Keyed(fn, stage, self._store if self.enabled else None, spill, keep)
        inputs: deque[list[Parked]] = deque()  # each chunk in flight: where its input texts are

        def items() -> Iterator[Any]:
            for docs, extra, payload in tasks:
                records = _records(docs)
                if spill is not None:
                    inputs.append([d.parked for d in records if d.parked is not None])
                key: str | None = None  # made by the worker, unless resuming needs it first
                if worth_saving is not None and not worth_saving(docs):
                    key = ""
                elif self.resume:
                    if spill is not None:
                        spill.unpark_all(records)
                    key = self.key(stage, docs, extra) or ""
                    cached = self.load(stage, key) if key else None
                    if cached is not None:
                        if spill is not None:
                            spill.park_all(cached)
                        yield Ready(("", cached, True))
                        continue
                keyed.store = self._store if self.enabled else None
                yield key, extra, docs, payload

        for key, docs, saved in pool_map(keyed, items()):
            if spill is not None:
                spill.release(inputs.popleft())
            if key:
                self.computed[stage] += 1
                if not saved:
                    self.enabled = False  # the disk is full: the run goes on without checkpoints
            yield docs
