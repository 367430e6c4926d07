"""A persistent index: each new batch deduplicated against every earlier one.

News arrives every day. ``corpuskit run BATCH -o OUT --index corpus.db`` keeps, in one
SQLite file, what later runs need to treat the batch as if it had come with everything
seen before, without reading the archive again:

* every deduplicated document (kept or duplicate): its id, decision, the metadata the
  keep policy and passages use (date, source, url, title, sitename), its MinHash
  signature and its zlib-compressed text (verification and passage alignment compare
  texts, so a later batch needs the earlier text, not just a sketch of it);
* the LSH band keys of those documents (both passes of :func:`corpuskit.dedup.banding`),
  and winnowed shingle fingerprints of the kept ones (:func:`winnow`), as sorted key runs:
  a new batch finds its candidates among earlier documents by lookup, and loads only those;
* every passage with its sources, canonical choice, and the history of canonical changes.

**The same decision code.** A run loads the earlier documents its own documents collide
with, then calls :func:`~corpuskit.dedup.deduplicate` with them as ``prior`` and
:func:`~corpuskit.passages.find_passages` over its kept documents plus the earlier ones
they share fingerprints with. Earlier decisions are final: an earlier batch's kept
document stays kept, and a new document that duplicates it gets ``duplicate_of`` the
earlier id. So batches 1, 2, 3 run one after another give the same duplicate links and
passages as one run over all three, whenever every earlier batch's documents rank before
the later ones under the keep policy (``keep="earliest"`` with batches split by date:
the realistic case). The README (Incremental runs) lists the cases where they differ.

**Passages across batches.** A passage found in this run that overlaps a stored passage
(a shared source span) *is* that passage: it keeps its ``passage_id`` and gains this
run's sources. So does one whose canonical text has the same folded words as a stored
passage (the id is a hash of those words): a statement quoted by more documents than a
fingerprint lists (:data:`FP_CAP`) is still recognised. The canonical occurrence changes
only when the configured policy, applied to this run's group (which must include the
current canonical occurrence: it competed), picks another of the passage's sources; the
id stays, and each change is recorded with its run.

**Safety.** One ``BEGIN IMMEDIATE`` transaction per run (WAL journal, ``synchronous=FULL``):
a run killed at any point leaves the index as it was before or after the run. A second
writer waits up to ``timeout`` seconds for the first, then fails with
:class:`IndexBusyError` naming the file. Documents whose id is already indexed with the
same text are *replayed* (their stored decision is output, nothing is written): re-running
a batch changes nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from ._version import __version__
from .align import similarity, tokenize, word_diff
from .config import DedupConfig, PassageConfig, RunConfig
from .dedup import DedupStats, banding, cluster_id, deduplicate
from .errors import ConfigError, CorpuskitError
from .lsh import band_keys
from .normalise import fold_text
from .passages import PassageUnits, find_passages, passage_units
from .records import Document, Passage, PassageRef, SourceSpan
from .signatures import signature_matrix

__all__ = [
    "COLOCATION",
    "FP_CAP",
    "SCHEMA_VERSION",
    "CorpusIndex",
    "IndexBusyError",
    "IndexFormatError",
    "IndexUpdate",
    "colocated_pairs",
    "fingerprint_window",
    "passage_fingerprints",
    "winnow",
]

#: Version of the tables below; an index written by another version is refused.
SCHEMA_VERSION = 1
#: A fingerprint found in more indexed documents than this is a stock phrase: it no
#: longer makes candidates, and no more postings are stored for it.
FP_CAP = 64
#: Two fingerprints a new document shares with an earlier one make it a passage candidate
#: only when they are at most this many tokens apart (and equally far apart in both).
COLOCATION = 24
#: Entries per stored part of a key run (12 bytes each).
_PART = 1 << 20
#: Key runs of one kind beyond which the newest are merged (see ``_Postings.add``).
_MERGE_RATIO = 2
_SQL_CHUNK = 500  # host parameters per IN (...) query
#: Value columns of each kind of postings: band keys and stock phrases point at a
#: document row; fingerprints also give their token position in it.
_WIDTH = {"band": 1, "fp": 2, "common": 1}
#: Two fingerprints back the same shared stretch when their offsets in the two documents
#: differ by at most this many tokens (a word inserted or dropped in between).
_SLACK = 4


class IndexBusyError(CorpuskitError):
    """Another run holds the index's write lock for longer than the wait allowed."""


class IndexFormatError(CorpuskitError):
    """The file is not a corpuskit index, or one of another schema version."""


# ---------------------------------------------------------------------------------------
# pure helpers: fingerprints, band keys, candidate pairs
# ---------------------------------------------------------------------------------------


def fingerprint_window(cfg: PassageConfig) -> int:
    """Winnowing window: any exact run of ``cfg.min_words`` tokens holds two fingerprints
    whose shingles do not overlap (at least ``shingle`` tokens apart).

    A run of ``min_words`` tokens has shingles at positions ``0 .. min_words - shingle``;
    every ``w`` consecutive positions hold a fingerprint, so one falls in ``[0, w)`` and
    another in ``[w - 1 + shingle, 2w - 1 + shingle)``, which fits when
    ``2w + 2 * shingle - 2 <= min_words``.

    >>> fingerprint_window(PassageConfig())
    2
    """
    return max(1, (cfg.min_words - 2 * cfg.shingle + 2) // 2)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Positions of the winnowed fingerprints of a hash sequence (sorted, unique).

    Robust winnowing (Schleimer et al. 2003): in every run of ``window`` consecutive
    hashes the minimum is selected, the rightmost one on ties, so any stretch two texts
    share that spans a whole window selects the same hash in both, wherever it sits.
    A sequence shorter than the window keeps its minimum.

    >>> winnow(np.array([5, 3, 9, 3, 8, 1, 7], dtype=np.uint64), 3).tolist()
    [1, 3, 5]
    """
    n = hashes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= window:
        return np.array([n - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    views = np.lib.stride_tricks.sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(views[:, ::-1], axis=1)
    return np.unique(np.arange(views.shape[0]) + rightmost)


def passage_fingerprints(units: PassageUnits, cfg: PassageConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(keys, token positions)`` of a document's passage fingerprints.

    Keys are the shingle hashes passage finding itself uses (``PassageUnits.token_shingles``
    of :func:`~corpuskit.passages.passage_units`: folded tokens, so quote marks and case
    never matter), as ``int64``.
    """
    sh = units.token_shingles
    pos = winnow(sh, fingerprint_window(cfg))
    return sh[pos].view(np.int64), pos


def colocated_pairs(
    query: np.ndarray,
    pos: np.ndarray,
    other: np.ndarray,
    other_pos: np.ndarray,
    span: int = COLOCATION,
    slack: int = _SLACK,
    gap: int = 3,
) -> np.ndarray:
    """Unique ``(query, other)`` pairs two fingerprints place on one shared stretch of text.

    One row per shared fingerprint: ``query`` is the new document and ``pos`` the
    fingerprint's token position in it, ``other`` the earlier document and ``other_pos``
    its position there. A single shared shingle is chance; two at most ``span`` tokens
    apart whose distance is the same in both documents (give or take ``slack``) are a
    stretch both documents share.

    >>> q, o = np.array([0, 0, 0, 1, 1]), np.array([7, 7, 7, 8, 8])
    >>> colocated_pairs(q, np.array([3, 9, 90, 5, 9]), o, np.array([103, 109, 4, 50, 90])).tolist()
    [[0, 7]]
    """
    order = np.lexsort((pos, other, query))
    q, p, o, op = query[order], pos[order], other[order], other_pos[order]
    hits = []
    for step in (1, 2, 3):  # a stray match of the same pair may sit in between
        if q.shape[0] <= step:
            break
        a, b = slice(None, -step), slice(step, None)
        ok = (q[b] == q[a]) & (o[b] == o[a]) & (p[b] - p[a] >= gap) & (p[b] - p[a] <= span)
        ok &= np.abs((op[b] - op[a]) - (p[b] - p[a])) <= slack
        hits.append(np.stack([q[b][ok], o[b][ok]], axis=1))
    hit = np.concatenate(hits).astype(np.int64) if hits else np.zeros((0, 2), dtype=np.int64)
    return np.unique(hit, axis=0) if hit.shape[0] else np.zeros((0, 2), dtype=np.int64)


def _band_matrix(sigs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """``(n, bands)`` ``int64`` LSH keys of both dedup passes; the passes never share a key."""
    cols = []
    for salt, (bands, rows) in enumerate(banding(cfg)):
        for b in range(bands):
            k = band_keys(sigs, b, rows)
            # Distinct passes hash different row counts; the salt keeps band 0 of one
            # from meeting band 0 of the other by construction, not just by chance.
            cols.append(k ^ np.uint64(salt * 0x9E3779B97F4A7C15))
    if not cols:
        return np.zeros((sigs.shape[0], 0), dtype=np.int64)
    return np.stack(cols, axis=1).view(np.int64)


def _add_stats(total: DedupStats, more: DedupStats) -> None:
    for name in ("documents", "exact", "near", "contained", "clusters", "candidate_pairs", "verified_pairs"):
        setattr(total, name, getattr(total, name) + getattr(more, name))


def _text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _same_span(s: SourceSpan, canonical: dict[str, Any]) -> bool:
    return (s.doc_id, s.start, s.end) == (canonical.get("doc_id"), canonical.get("start"), canonical.get("end"))


def _overlaps(s: SourceSpan, canonical: dict[str, Any]) -> bool:
    return bool(s.doc_id == canonical.get("doc_id") and s.start < canonical["end"] and canonical["start"] < s.end)


def _base_id(passage_id: str) -> str:
    """``p-<hash>`` without the ``-2`` a same-text passage of one run gets."""
    return "-".join(passage_id.split("-")[:2])


def _chunks(seq: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for lo in range(0, len(seq), size):
        yield seq[lo : lo + size]


# ---------------------------------------------------------------------------------------
# sorted key runs ("postings") stored as blobs
# ---------------------------------------------------------------------------------------


class _Postings:
    """Key → value postings as sorted runs of ``int64`` keys and ``int32`` value rows, in blobs.

    A value row is ``(document row,)`` or, for fingerprints, ``(document row, token position)``
    (``width``). Why not one SQLite row per key: a batch of 10,000 documents brings about
    three million keys, and row-at-a-time inserts and lookups cost seconds per million; a
    sorted run is written once, sequentially, and searched with ``numpy.searchsorted``. A
    new run is merged into the one before while that one is at most twice its size (a
    log-structured merge): O(log n) runs, each entry rewritten O(log n) times.
    """

    def __init__(self, con: sqlite3.Connection, kind: str) -> None:
        self.con = con
        self.kind = kind
        self.width = _WIDTH.get(kind, 1)

    def runs(self) -> list[tuple[int, int]]:
        """``(run id, entries)`` oldest first."""
        rows = self.con.execute(
            "SELECT seg, SUM(n) FROM postings WHERE kind = ? GROUP BY seg ORDER BY seg", (self.kind,)
        ).fetchall()
        return [(int(s), int(n)) for s, n in rows]

    def _parts(self, seg: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        cur = self.con.execute(
            "SELECT keys, docs FROM postings WHERE kind = ? AND seg = ? ORDER BY part", (self.kind, seg)
        )
        for keys, vals in cur:
            yield np.frombuffer(keys, dtype="<i8"), np.frombuffer(vals, dtype="<i4").reshape(-1, self.width)

    def _empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(0, np.int64), np.zeros((0, self.width), np.int32)

    def load(self, seg: int) -> tuple[np.ndarray, np.ndarray]:
        parts = list(self._parts(seg))
        if not parts:
            return self._empty()
        return np.concatenate([k for k, _ in parts]), np.concatenate([v for _, v in parts])

    def lookup(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For sorted unique ``query`` keys: ``(index into query, value row)`` of every posting."""
        found_q: list[np.ndarray] = []
        found_v: list[np.ndarray] = []
        if query.shape[0] == 0:
            return self._empty()
        for seg, _ in self.runs():
            for keys, vals in self._parts(seg):
                q0 = int(np.searchsorted(query, keys[0], side="left"))
                q1 = int(np.searchsorted(query, keys[-1], side="right"))
                if q1 <= q0:
                    continue
                sub = query[q0:q1]
                lo = np.searchsorted(keys, sub, side="left")
                cnt = np.searchsorted(keys, sub, side="right") - lo
                hit = np.flatnonzero(cnt)
                if hit.shape[0] == 0:
                    continue
                c = cnt[hit]
                found_q.append(np.repeat(hit + q0, c))
                found_v.append(vals[_expand(lo[hit], c)])
        if not found_q:
            return self._empty()
        return np.concatenate(found_q), np.concatenate(found_v)

    def add(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Store a new run (any order), then merge runs while the newest is not much smaller."""
        if keys.shape[0] == 0:
            return
        vals = vals.reshape(-1, self.width)
        runs = self.runs()
        seg = runs[-1][0] + 1 if runs else 1
        self._write(seg, keys, vals)
        runs.append((seg, keys.shape[0]))
        while len(runs) >= 2 and runs[-2][1] <= _MERGE_RATIO * runs[-1][1]:
            (s_old, n_old), (s_new, n_new) = runs[-2], runs[-1]
            self.merge([s_old, s_new])
            runs[-2:] = [(s_old, n_old + n_new)]

    def merge(self, segs: Sequence[int], drop: np.ndarray | None = None) -> None:
        """Merge runs ``segs`` into the first of them; postings of keys in sorted ``drop`` go."""
        parts = [self.load(s) for s in segs]
        keys = np.concatenate([k for k, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        if drop is not None and drop.shape[0]:
            at = np.minimum(np.searchsorted(drop, keys), drop.shape[0] - 1)
            keep = drop[at] != keys
            keys, vals = keys[keep], vals[keep]
        self.con.executemany("DELETE FROM postings WHERE kind = ? AND seg = ?", [(self.kind, s) for s in segs])
        self._write(segs[0], keys, vals, runs=True)

    def compact(self, drop: np.ndarray | None = None) -> None:
        segs = [s for s, _ in self.runs()]
        if len(segs) > 1 or (segs and drop is not None):
            self.merge(segs, drop)

    def _write(self, seg: int, keys: np.ndarray, vals: np.ndarray, *, runs: bool = False) -> None:
        """Store one run sorted by key, then value (one order for one content).

        ``runs``: the input is sorted runs, oldest first. Later runs hold later document
        rows, so a stable sort by key alone gives the same order as the full sort, at a
        fraction of its cost (a merge of sorted runs, not a sort); checked, and the full
        sort is the fallback.
        """
        order = np.argsort(keys, kind="stable") if runs else None
        if order is None or not _value_sorted(keys[order], vals[order]):
            order = np.lexsort((*vals.T[::-1], keys))
        keys = np.ascontiguousarray(keys[order], dtype="<i8")
        vals = np.ascontiguousarray(vals[order], dtype="<i4")
        self.con.executemany(
            "INSERT INTO postings(kind, seg, part, n, keys, docs) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (self.kind, seg, i, int(keys[lo : lo + _PART].shape[0]), keys[lo : lo + _PART].tobytes(),
                 vals[lo : lo + _PART].tobytes())
                for i, lo in enumerate(range(0, keys.shape[0], _PART))
            ],
        )  # fmt: skip

    def count(self) -> int:
        row = self.con.execute("SELECT COALESCE(SUM(n), 0) FROM postings WHERE kind = ?", (self.kind,)).fetchone()
        return int(row[0])


def _value_sorted(keys: np.ndarray, vals: np.ndarray) -> bool:
    """Whether rows with equal (sorted) ``keys`` have their ``vals`` rows in ascending order.

    >>> _value_sorted(np.array([1, 1, 2]), np.array([[3, 1], [3, 2], [0, 0]]))
    True
    >>> _value_sorted(np.array([1, 1]), np.array([[4, 0], [3, 9]]))
    False
    """
    same = np.flatnonzero(keys[1:] == keys[:-1])
    if same.shape[0] == 0:
        return True
    a, b = vals[same], vals[same + 1]
    # lexicographic a <= b over the columns
    ok = np.zeros(same.shape[0], dtype=bool)
    undecided = np.ones(same.shape[0], dtype=bool)
    for c in range(vals.shape[1]):
        ok |= undecided & (a[:, c] < b[:, c])
        undecided &= a[:, c] == b[:, c]
    return bool((ok | undecided).all())


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[i], starts[i] + 1, ..., starts[i] + counts[i] - 1`` for every ``i``, concatenated.

    >>> _expand(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    total = int(counts.sum())
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)


# ---------------------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run INTEGER PRIMARY KEY,
    corpuskit TEXT NOT NULL,
    documents INTEGER NOT NULL,
    replayed INTEGER NOT NULL,
    passages_new INTEGER NOT NULL,
    passages_grown INTEGER NOT NULL,
    canonical_changes INTEGER NOT NULL
);
CREATE TABLE docs (
    row INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    run INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('kept', 'duplicate')),
    head INTEGER REFERENCES docs(row),
    dup_kind TEXT,
    similarity REAL,
    keep_reason TEXT,
    source TEXT NOT NULL,
    source_line INTEGER,
    url TEXT,
    title TEXT,
    date TEXT,
    sitename TEXT,
    lang TEXT,
    text_hash BLOB NOT NULL,
    sig BLOB NOT NULL,
    text BLOB NOT NULL,
    CHECK ((status = 'kept') = (head IS NULL))
);
CREATE INDEX docs_head ON docs(head) WHERE head IS NOT NULL;
CREATE TABLE postings (
    kind TEXT NOT NULL,
    seg INTEGER NOT NULL,
    part INTEGER NOT NULL,
    n INTEGER NOT NULL,
    keys BLOB NOT NULL,
    docs BLOB NOT NULL,
    PRIMARY KEY (kind, seg, part)
);
CREATE TABLE passages (
    pid TEXT PRIMARY KEY,
    first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE passage_sources (
    doc INTEGER NOT NULL REFERENCES docs(row),
    lo INTEGER NOT NULL,
    hi INTEGER NOT NULL,
    pid TEXT NOT NULL REFERENCES passages(pid),
    PRIMARY KEY (doc, lo, hi, pid)
) WITHOUT ROWID;
CREATE TABLE canonical_history (
    pid TEXT NOT NULL REFERENCES passages(pid),
    run INTEGER NOT NULL,
    old TEXT NOT NULL,
    new TEXT NOT NULL,
    PRIMARY KEY (pid, run)
);
"""

_TABLES = ("runs", "docs", "postings", "passages", "passage_sources", "canonical_history")


def _settings(cfg: RunConfig) -> dict[str, Any]:
    """Options the stored signatures, band keys, fingerprints and passages depend on."""
    d = cfg.to_dict()
    dedup = {k: v for k, v in d["dedup"].items() if k != "enabled"}
    passages = {k: v for k, v in d["passages"].items() if k != "mode"}
    return {"dedup": dedup, "passages": passages}


# ---------------------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class IndexUpdate:
    """What :meth:`CorpusIndex.update` decided for one batch.

    ``passages`` are the passages with a source in this batch, as they stand after the run
    (sources from earlier batches included); ``summary`` goes into the run manifest.
    """

    dedup: DedupStats
    passages: list[Passage]
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Stored:
    """One indexed document's row, decision and (when loaded) its full record."""

    row: int
    id: str
    status: str
    head: int | None
    text_hash: bytes


class CorpusIndex:
    """An open index file. Use as a context manager; one instance per thread.

    ``timeout``: seconds a writer waits for another run's write lock before
    :class:`IndexBusyError`. ``create=False`` refuses a missing file (for ``stats``,
    ``export`` and ``vacuum``, which should not leave an empty index behind).
    """

    def __init__(self, path: Path | str, *, timeout: float = 60.0, create: bool = True) -> None:
        self.path = Path(path)
        self.timeout = timeout
        if not create and not self.path.is_file():
            raise IndexFormatError(f"{self.path}: no such index")
        try:
            self.con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise IndexFormatError(f"{self.path}: cannot open index: {e}") from e
        try:
            self.con.execute("PRAGMA foreign_keys = ON")
            self._pragma("PRAGMA journal_mode = WAL")
            self.con.execute("PRAGMA synchronous = FULL")
            self._ensure_schema()
        except BaseException:
            self.con.close()
            raise

    # -- connection -----------------------------------------------------------------------

    def __enter__(self) -> CorpusIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _pragma(self, sql: str) -> None:
        try:
            self.con.execute(sql)
        except sqlite3.OperationalError as e:
            raise self._busy_or_format(e) from e
        except sqlite3.DatabaseError as e:
            raise IndexFormatError(f"{self.path}: not a corpuskit index ({e})") from e

    def _busy_or_format(self, e: sqlite3.OperationalError) -> CorpuskitError:
        if "locked" in str(e) or "busy" in str(e):
            return IndexBusyError(
                f"{self.path}: another corpuskit run is writing to this index; gave up after waiting {self.timeout:g} s"
            )
        return IndexFormatError(f"{self.path}: {e}")

    def _begin(self) -> None:
        """Take the write lock now (a reader's snapshot would go stale under a writer)."""
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise self._busy_or_format(e) from e

    def _ensure_schema(self) -> None:
        try:
            tables = {r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as e:
            raise IndexFormatError(f"{self.path}: not a corpuskit index ({e})") from e
        if "schema_version" in tables:
            self._check_version()
            return
        if tables:
            raise IndexFormatError(f"{self.path}: an SQLite file but not a corpuskit index")
        self._begin()
        try:
            if not {r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self.con.execute(stmt)
                self.con.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._check_version()

    def _check_version(self) -> None:
        row = self.con.execute("SELECT version FROM schema_version").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            found = "none" if row is None else row[0]
            raise IndexFormatError(
                f"{self.path}: index schema version {found}, this corpuskit reads version {SCHEMA_VERSION}"
            )

    def check(self, cfg: RunConfig) -> None:
        """Raise :class:`ConfigError` now if :meth:`update` would refuse ``cfg``.

        Lets a run fail before its expensive per-document stages, not after them.
        """
        if not cfg.dedup.enabled:
            raise ConfigError(f"{self.path}: an index needs deduplication (no --no-dedup with --index)")
        self._check_settings(cfg, store=False)

    def _check_settings(self, cfg: RunConfig, *, store: bool = True) -> None:
        """The index is tied to the options its signatures and fingerprints were made with."""
        want = _settings(cfg)
        row = self.con.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        if row is None:
            if store:
                self.con.execute("INSERT INTO meta(key, value) VALUES ('settings', ?)", (orjson.dumps(want).decode(),))
            return
        have = orjson.loads(row[0])
        diff = [
            f"{stage}.{k} = {have[stage].get(k)!r} (this run: {v!r})"
            for stage in ("dedup", "passages")
            for k, v in want[stage].items()
            if have[stage].get(k) != v
        ]
        if diff:
            raise ConfigError(
                f"{self.path}: index was built with other options: {'; '.join(diff)}. "
                "Run with the same options, or start a new index"
            )

    # -- documents ------------------------------------------------------------------------

    def _stored(self, ids: Sequence[str]) -> dict[str, _Stored]:
        out: dict[str, _Stored] = {}
        for chunk in _chunks(sorted(set(ids))):
            q = f"SELECT row, id, status, head, text_hash FROM docs WHERE id IN ({','.join('?' * len(chunk))})"
            for row, id_, status, head, th in self.con.execute(q, list(chunk)):
                out[id_] = _Stored(row, id_, status, head, bytes(th))
        return out

    def _load(self, rows: Iterable[int]) -> dict[int, Document]:
        """Earlier documents as records the decision code takes (signature in ``work["sig"]``)."""
        out: dict[int, Document] = {}
        heads: dict[int, int] = {}
        for chunk in _chunks(sorted(set(rows))):
            q = (
                "SELECT row, id, status, head, dup_kind, similarity, keep_reason, source, source_line, url, title,"
                f" date, sitename, lang, sig, text FROM docs WHERE row IN ({','.join('?' * len(chunk))})"
            )
            for r in self.con.execute(q, list(chunk)):
                doc = Document(id=r[1], source=r[7], source_line=r[8], url=r[9], title=r[10], date=r[11])
                doc.sitename, doc.lang = r[12], r[13]
                doc.status = r[2]
                doc.dup_kind, doc.similarity, doc.keep_reason = r[4], r[5], r[6]
                doc.text = zlib.decompress(r[15]).decode("utf-8", "surrogatepass")
                doc.work["sig"] = np.frombuffer(r[14], dtype="<u4").astype(np.uint64)
                doc.work["row"] = int(r[0])
                out[int(r[0])] = doc
                if r[3] is not None:
                    heads[int(r[0])] = int(r[3])
        if heads:
            missing = {h for h in heads.values() if h not in out}
            if missing:
                out.update(self._load(missing))
            for row, h in heads.items():
                out[row].duplicate_of = out[h].id
        return out

    def _next_row(self) -> int:
        return int(self.con.execute("SELECT COALESCE(MAX(row), 0) + 1 FROM docs").fetchone()[0])

    # -- the batch ------------------------------------------------------------------------

    def update(self, docs: Sequence[Document], cfg: RunConfig) -> IndexUpdate:
        """Deduplicate ``docs`` against the index, find their passages, store both; one transaction.

        Marks ``docs`` in place like :func:`~corpuskit.dedup.deduplicate` and
        :func:`~corpuskit.passages.find_passages` do (``doc.passages`` included). A
        document whose id is indexed with the same text gets its stored decision; one whose
        id is indexed with *other* text is deduplicated against the index but not stored
        (``meta["index"]`` says so): the first version stands.
        """
        self.check(cfg)
        self._begin()
        try:
            self._check_settings(cfg)
            result = _Batch(self, docs, cfg).run()
            self.con.execute("COMMIT")
        except BaseException:
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
            raise
        return result

    # -- inspection -----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts of what the index holds (a consistent snapshot)."""
        c = self.con
        c.execute("BEGIN")
        try:
            status = dict(c.execute("SELECT status, COUNT(*) FROM docs GROUP BY status").fetchall())
            out = {
                "index": str(self.path),
                "schema_version": SCHEMA_VERSION,
                "runs": c.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
                "documents": status.get("kept", 0) + status.get("duplicate", 0),
                "kept": status.get("kept", 0),
                "duplicate": status.get("duplicate", 0),
                "clusters": c.execute("SELECT COUNT(DISTINCT head) FROM docs WHERE head IS NOT NULL").fetchone()[0],
                "passages": c.execute("SELECT COUNT(*) FROM passages").fetchone()[0],
                "passage_sources": c.execute("SELECT COUNT(*) FROM passage_sources").fetchone()[0],
                "canonical_changes": c.execute("SELECT COUNT(*) FROM canonical_history").fetchone()[0],
                "band_keys": _Postings(c, "band").count(),
                "fingerprints": _Postings(c, "fp").count(),
                "common_fingerprints": _Postings(c, "common").count(),
                "key_runs": c.execute("SELECT COUNT(DISTINCT kind || seg) FROM postings").fetchone()[0],
            }
        finally:
            c.execute("COMMIT")
        out["file_bytes"] = sum(p.stat().st_size for p in (self.path, _wal(self.path)) if p.is_file())
        return out

    def export(self, fh: IO[bytes]) -> int:
        """Write every cluster and passage to date as JSONL; return the number of lines.

        Clusters first (``{"type": "cluster", "cluster_id", "kept", "size", "members"}``
        by kept id), then passages (``{"type": "passage", ...}``: the passage record plus
        ``first_run``, ``last_run`` and ``canonical_history``) by ``passage_id``.
        """
        c = self.con
        n = 0
        c.execute("BEGIN")
        try:
            members: dict[str, list[dict[str, Any]]] = defaultdict(list)
            q = (
                "SELECT h.id, d.id, d.dup_kind, d.similarity, d.run FROM docs d JOIN docs h ON h.row = d.head"
                " ORDER BY h.id, d.id"
            )
            for head, id_, kind, sim, run in c.execute(q):
                members[head].append({"id": id_, "dup_kind": kind, "similarity": sim, "run": run})
            for head in sorted(members):
                rec = {
                    "type": "cluster",
                    "cluster_id": cluster_id(head),
                    "kept": head,
                    "size": 1 + len(members[head]),
                    "members": members[head],
                }
                fh.write(orjson.dumps(rec) + b"\n")
                n += 1
            history: dict[str, list[Any]] = defaultdict(list)
            for pid, run, old, new in c.execute("SELECT pid, run, old, new FROM canonical_history ORDER BY pid, run"):
                history[pid].append({"run": run, "from": orjson.loads(old), "to": orjson.loads(new)})
            for pid, first, last, record in c.execute(
                "SELECT pid, first_run, last_run, record FROM passages ORDER BY pid"
            ):
                rec = {"type": "passage", **Passage.from_dict(orjson.loads(record)).to_dict()}
                rec.update(first_run=first, last_run=last, canonical_history=history.get(pid, []))
                fh.write(orjson.dumps(rec) + b"\n")
                n += 1
        finally:
            c.execute("COMMIT")
        return n

    def vacuum(self) -> tuple[int, int]:
        """Merge the key runs, drop postings of stock-phrase fingerprints, rebuild the file.

        Returns the file size (with its WAL) before and after.
        """
        before = sum(p.stat().st_size for p in (self.path, _wal(self.path)) if p.is_file())
        self._begin()
        try:
            common = _Postings(self.con, "common")
            common.compact()
            drop = np.unique(common.load(common.runs()[0][0])[0]) if common.runs() else None
            _Postings(self.con, "fp").compact(drop)
            _Postings(self.con, "band").compact()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        try:
            self.con.execute("VACUUM")
            self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError as e:
            raise self._busy_or_format(e) from e
        after = sum(p.stat().st_size for p in (self.path, _wal(self.path)) if p.is_file())
        return before, after


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


# ---------------------------------------------------------------------------------------
# one batch
# ---------------------------------------------------------------------------------------


class _Batch:
    """The work of one :meth:`CorpusIndex.update`, inside its transaction."""

    def __init__(self, index: CorpusIndex, docs: Sequence[Document], cfg: RunConfig) -> None:
        self.index = index
        self.con = index.con
        self.cfg = cfg
        self.docs = list(docs)
        self.run_no = int(self.con.execute("SELECT COALESCE(MAX(run), 0) + 1 FROM runs").fetchone()[0])
        self.summary: dict[str, Any] = {}

    def run(self) -> IndexUpdate:
        live = [d for d in self.docs if d.status != "rejected"]
        stored = self.index._stored([d.id for d in live])
        replay: list[tuple[Document, _Stored]] = []
        fresh: list[Document] = []
        outside: list[Document] = []  # deduplicated against the index, never stored
        seen: set[str] = set()
        for d in sorted(live, key=lambda d: (d.id, d.order)):
            s = stored.get(d.id)
            if d.id in seen or (s is not None and s.text_hash != _text_hash(d.text)):
                outside.append(d)
                d.meta["index"] = "id already indexed with other text: the indexed version stands; not indexed"
            elif s is not None:
                replay.append((d, s))
            else:
                fresh.append(d)
            seen.add(d.id)
        conflicts = {stored[d.id].row for d in outside if d.id in stored}

        # Duplicates: this batch against the earlier documents it shares a band with.
        sigs = self._signatures(fresh)
        bands = _band_matrix(sigs, self.cfg.dedup)
        prior = self._dedup_prior(bands, conflicts)
        dstats = deduplicate(fresh, self.cfg.dedup, prior=list(prior.values()))
        first = self.index._next_row()
        rows = {d.id: first + i for i, d in enumerate(fresh)}
        self._insert_docs(fresh, rows, {doc.id: r for r, doc in prior.items()}, sigs)
        fresh_rows = np.array([rows[d.id] for d in fresh], dtype=np.int32)
        _Postings(self.con, "band").add(bands.reshape(-1), np.repeat(fresh_rows, bands.shape[1]))
        if outside:  # against everything indexed, this batch included
            o_sigs = self._signatures(outside)
            o_prior = self._dedup_prior(_band_matrix(o_sigs, self.cfg.dedup), conflicts)
            for d, sig in zip(outside, o_sigs, strict=True):
                d.work["sig"] = sig
            _add_stats(dstats, deduplicate(outside, self.cfg.dedup, prior=list(o_prior.values())))
        self._replay(replay)

        # Passages: this batch's kept documents and the earlier ones they share text with.
        merger = _Merger(self, rows)
        kept = [d for d in fresh if d.status == "kept" and d.text]
        prints = self._fingerprints(kept)
        if self.cfg.passages.mode != "off":
            merger.merge(kept, prints)
        self._store_fingerprints(prints, np.array([rows[d.id] for d in kept], dtype=np.int32))
        batch = {d.id: d for d in fresh} | {d.id: d for d, _ in replay}
        passages = merger.finish(batch, {**rows, **{d.id: s.row for d, s in replay}})
        for d in outside:
            d.passages = []
        self._cluster_fields(list(batch.values()), {**rows, **{d.id: s.row for d, s in replay}})

        changed = bool(fresh) or merger.changed
        self.summary.update(
            run=self.run_no if changed else None,
            new=len(fresh),
            replayed=len(replay),
            not_indexed=len(outside),
            prior_for_dedup=len(prior),
            prior_for_passages=merger.prior_count,
            passages_new=merger.n_new,
            passages_grown=merger.n_grown,
            canonical_changes=merger.n_changes,
        )
        if changed:
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self.run_no, __version__, len(fresh), len(replay), merger.n_new, merger.n_grown, merger.n_changes),
            )
        return IndexUpdate(dstats, passages, dict(self.summary))

    # -- dedup ----------------------------------------------------------------------------

    def _signatures(self, docs: Sequence[Document]) -> np.ndarray:
        """``uint32`` signatures (from the pipeline's ``work["sig"]`` when it has them)."""
        d = self.cfg.dedup
        out = np.empty((len(docs), d.num_perm), dtype=np.uint32)
        missing = []
        for i, doc in enumerate(docs):
            sig = doc.work.get("sig")
            if sig is not None and len(sig) == d.num_perm:
                out[i] = sig
            else:
                missing.append(i)
        if missing:
            texts = [fold_text(docs[i].text) for i in missing]
            out[missing] = signature_matrix(texts, num_perm=d.num_perm, shingle=d.shingle, seed=d.seed)
        return out

    def _dedup_prior(self, bands: np.ndarray, exclude: set[int]) -> dict[int, Document]:
        """Earlier documents sharing a band key with this batch (and their heads)."""
        keys = np.unique(bands.reshape(-1))
        _, vals = _Postings(self.con, "band").lookup(keys)
        rows = set(np.unique(vals[:, 0]).tolist()) - exclude
        return self.index._load(rows)

    def _insert_docs(
        self, fresh: list[Document], rows: dict[str, int], loaded: dict[str, int], sigs: np.ndarray
    ) -> None:
        heads = {**loaded, **rows}
        params = []
        # Heads before their duplicates (the head reference must exist).
        for i, d in sorted(enumerate(fresh), key=lambda x: x[1].status != "kept"):
            head = heads[d.duplicate_of] if d.status == "duplicate" and d.duplicate_of is not None else None
            params.append(
                (
                    rows[d.id], d.id, self.run_no, d.status, head, d.dup_kind, d.similarity, d.keep_reason,
                    d.source, d.source_line, d.url, d.title, d.date, d.sitename, d.lang, _text_hash(d.text),
                    sigs[i].astype("<u4").tobytes(), zlib.compress(d.text.encode("utf-8", "surrogatepass"), 6),
                )
            )  # fmt: skip
        self.con.executemany(f"INSERT INTO docs VALUES ({','.join('?' * 18)})", params)
        # Earlier heads that gained their first duplicates say why they stayed kept.
        grown = sorted({heads[d.duplicate_of] for d in fresh if d.duplicate_of in loaded})
        for chunk in _chunks(grown):
            self.con.execute(
                f"UPDATE docs SET keep_reason = 'kept in an earlier run' WHERE keep_reason IS NULL"
                f" AND row IN ({','.join('?' * len(chunk))})",
                list(chunk),
            )

    def _replay(self, replay: list[tuple[Document, _Stored]]) -> None:
        """Output the stored decision of documents indexed before."""
        heads = {s.head for _, s in replay if s.head is not None}
        ids = dict(self._ids(heads))
        info = {
            r[0]: r[1:]
            for chunk in _chunks(sorted(s.row for _, s in replay))
            for r in self.con.execute(
                f"SELECT row, dup_kind, similarity, keep_reason FROM docs WHERE row IN ({','.join('?' * len(chunk))})",
                list(chunk),
            )
        }
        for d, s in replay:
            kind, sim, reason = info[s.row]
            d.status = "kept" if s.status == "kept" else "duplicate"
            d.duplicate_of = ids[s.head] if s.head is not None else None
            d.dup_kind, d.similarity, d.keep_reason = kind, sim, reason
            d.work.pop("sig", None)

    def _cluster_fields(self, docs: list[Document], rows: dict[str, int]) -> None:
        """``cluster_id``/``cluster_size`` of the batch's kept documents, to date."""
        kept = {rows[d.id]: d for d in docs if d.status == "kept"}
        sizes: dict[int, int] = {}
        for chunk in _chunks(sorted(kept)):
            q = f"SELECT head, COUNT(*) FROM docs WHERE head IN ({','.join('?' * len(chunk))}) GROUP BY head"
            sizes.update((int(h), 1 + int(n)) for h, n in self.con.execute(q, list(chunk)))
        for row, d in kept.items():
            size = sizes.get(row)
            d.cluster_id = cluster_id(d.id) if size else None
            d.cluster_size = size

    def _ids(self, rows: Iterable[int]) -> Iterator[tuple[int, str]]:
        for chunk in _chunks(sorted(set(rows))):
            q = f"SELECT row, id FROM docs WHERE row IN ({','.join('?' * len(chunk))})"
            yield from ((int(r), str(i)) for r, i in self.con.execute(q, list(chunk)))

    # -- passage fingerprints -------------------------------------------------------------

    def _fingerprints(self, kept: list[Document]) -> _Prints:
        """Fingerprints of this batch's kept documents, and the postings the index has for them."""
        pcfg = self.cfg.passages
        keys, pos, who = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for i, d in enumerate(kept):
            pu = passage_units(d.text, pcfg)
            d.work["units"] = pu  # find_passages reuses it
            k, p = passage_fingerprints(pu, pcfg)
            keys.append(k)
            pos.append(p)
            who.append(np.full(k.shape[0], i, dtype=np.int64))
        k_all = np.concatenate(keys)
        uk, inv = np.unique(k_all, return_inverse=True)
        common = np.zeros(uk.shape[0], dtype=bool)
        common[_Postings(self.con, "common").lookup(uk)[0]] = True
        qi, vals = _Postings(self.con, "fp").lookup(uk)
        return _Prints(k_all, np.concatenate(pos), np.concatenate(who), uk, inv.reshape(-1), common, qi, vals)

    def _store_fingerprints(self, fp: _Prints, rows: np.ndarray) -> None:
        """Add postings, except for keys that now reach more than ``FP_CAP`` documents."""
        triples = np.stack([fp.inv, rows[fp.who].astype(np.int64), fp.pos], axis=1)
        pairs = np.unique(triples[:, :2], axis=0)
        total = np.bincount(pairs[:, 0], minlength=fp.uk.shape[0]) + fp.indexed_docs()
        newly = (total > FP_CAP) & ~fp.common
        if newly.any():
            _Postings(self.con, "common").add(fp.uk[newly], np.zeros(int(newly.sum()), dtype=np.int32))
        sel = ~(fp.common | newly)[triples[:, 0]]
        _Postings(self.con, "fp").add(fp.uk[triples[sel, 0]], triples[sel, 1:].astype(np.int32))


@dataclass(slots=True)
class _Prints:
    """A batch's passage fingerprints (per occurrence) and the index's postings for them."""

    keys: np.ndarray
    pos: np.ndarray  # token position in its document
    who: np.ndarray  # index of its document among the batch's kept ones
    uk: np.ndarray  # sorted unique keys
    inv: np.ndarray  # occurrence -> index into uk
    common: np.ndarray  # per uk: a stock phrase already
    qi: np.ndarray  # postings: index into uk
    vals: np.ndarray  # postings: (document row, token position)

    def indexed_docs(self) -> np.ndarray:
        """Per unique key: how many indexed documents hold it."""
        pairs = np.unique(np.stack([self.qi, self.vals[:, 0].astype(np.int64)], axis=1), axis=0)
        return np.bincount(pairs[:, 0], minlength=self.uk.shape[0])


# ---------------------------------------------------------------------------------------
# passages across batches
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    """A stored or new passage being updated by this run."""

    passage: Passage
    first_run: int
    new: bool
    grown: bool = False
    history: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    removed: list[tuple[int, int, int]] = field(default_factory=list)  # (row, lo, hi) spans that grew


class _Merger:
    """Passages of this batch, merged into the stored ones."""

    def __init__(self, batch: _Batch, rows: dict[str, int]) -> None:
        self.batch = batch
        self.con = batch.con
        self.cfg = batch.cfg.passages
        self.rows = dict(rows)  # id -> row of every document this run knows
        self.entries: dict[str, _Entry] = {}
        self.spans: dict[int, list[tuple[int, int, str]]] = defaultdict(list)  # row -> (lo, hi, pid)
        self.texts: dict[str, Document] = {}
        self.prior_count = 0
        self.n_new = self.n_grown = self.n_changes = 0
        self.changed = False

    def merge(self, kept: list[Document], prints: _Prints) -> None:
        """Find passages among ``kept`` and the earlier documents they share text with; merge them."""
        prior = self._candidates(prints)
        self.prior_count = len(prior)
        for doc in prior.values():
            self.rows[doc.id] = doc.work["row"]
            self.texts[doc.id] = doc
        for d in kept:
            self.texts[d.id] = d
        self._load_spans(list(prior))
        fresh_ids = {d.id for d in kept}
        found = find_passages(kept + list(prior.values()), self.cfg, workers=self.batch.cfg.workers)
        for p in found:
            if any(s.doc_id in fresh_ids for s in p.sources):
                self._merge_one(p, fresh_ids)
        for d in kept:
            d.passages = []  # set again from the merged passages in finish()

    def _candidates(self, fp: _Prints) -> dict[int, Document]:
        """Earlier kept documents sharing two close fingerprints with a document of the batch."""
        n = fp.uk.shape[0]
        usable = (fp.indexed_docs() <= FP_CAP) & ~fp.common
        qi, vals = fp.qi[usable[fp.qi]], fp.vals[usable[fp.qi]]
        # Expand: every occurrence of a key in the batch meets every posting of it.
        order = np.argsort(fp.inv, kind="stable")
        starts = np.searchsorted(fp.inv[order], np.arange(n))
        occ = np.searchsorted(fp.inv[order], np.arange(n), side="right")[qi] - starts[qi]
        idx = order[_expand(starts[qi], occ)]
        other = np.repeat(vals, occ, axis=0).astype(np.int64)
        pairs = colocated_pairs(fp.who[idx], fp.pos[idx], other[:, 0], other[:, 1], gap=self.cfg.shingle)
        return self.batch.index._load(np.unique(pairs[:, 1]).tolist()) if pairs.shape[0] else {}

    def _load_spans(self, rows: Sequence[int]) -> None:
        for chunk in _chunks(sorted(rows)):
            q = f"SELECT doc, lo, hi, pid FROM passage_sources WHERE doc IN ({','.join('?' * len(chunk))})"
            for doc, lo, hi, pid in self.con.execute(q, list(chunk)):
                self.spans[int(doc)].append((int(lo), int(hi), str(pid)))

    def _entry(self, pid: str) -> _Entry | None:
        if pid in self.entries:
            return self.entries[pid]
        row = self.con.execute("SELECT first_run, record FROM passages WHERE pid = ?", (pid,)).fetchone()
        if row is None:
            return None
        self.entries[pid] = _Entry(Passage.from_dict(orjson.loads(row[1])), int(row[0]), new=False)
        return self.entries[pid]

    def _overlap(self, s: SourceSpan) -> list[tuple[int, str]]:
        row = self.rows.get(s.doc_id)
        if row is None:
            return []
        return [
            (min(hi, s.end) - max(lo, s.start), pid) for lo, hi, pid in self.spans[row] if lo < s.end and s.start < hi
        ]

    def _merge_one(self, p: Passage, fresh_ids: set[str]) -> None:
        """Fold one passage found in this run into the stored one it is, or store it."""
        fresh = [s for s in p.sources if s.doc_id in fresh_ids]
        earlier = [s for s in p.sources if s.doc_id not in fresh_ids]
        votes: dict[str, int] = defaultdict(int)
        for s in earlier:
            for amount, pid in self._overlap(s):
                votes[pid] += amount
        if votes:
            target: str | None = min(votes, key=lambda pid: (-votes[pid], pid))
        else:
            # Same canonical words as a passage of an earlier run: the same statement.
            base = _base_id(p.passage_id)
            stored = self._entry(base)
            target = base if stored is not None and not stored.new else None
        if target is None:
            self._create(p)
            return
        entry = self._entry(target)
        assert entry is not None
        tp = entry.passage
        holds_current = any(_overlaps(s, tp.canonical) for s in earlier)
        moved = self._grow(entry, earlier)
        have = {(s.doc_id, s.start, s.end) for s in tp.sources}
        added = [s for s in fresh if (s.doc_id, s.start, s.end) not in have]
        added += [s for s in earlier if (s.doc_id, s.start, s.end) not in have and not self._overlap(s)]
        if not added and not moved:
            return
        # The policy's choice over this run's group replaces the canonical occurrence when
        # the group contained the current one (it competed) and the choice is a source.
        canon, new = tp.canonical, p.canonical
        chosen = (new.get("doc_id"), new.get("start"), new.get("end"))
        if (
            holds_current
            and chosen != (canon.get("doc_id"), canon.get("start"), canon.get("end"))
            and chosen in have | {(s.doc_id, s.start, s.end) for s in added}
        ):
            self._set_canonical(entry, dict(new))
            moved = True
        self._add_sources(entry, added, rescore=moved)
        if not entry.new and not entry.grown:
            entry.grown = True
            self.n_grown += 1
        self.changed = True

    def _grow(self, entry: _Entry, earlier: list[SourceSpan]) -> bool:
        """Widen stored spans this run's group extends (a statement first shared in part).

        A span only grows, to one that contains it and overlaps no other passage in its
        document: provenance an earlier run published stays inside the new span. Returns
        whether the canonical occurrence grew (its text changed).
        """
        tp = entry.passage
        moved = False
        for s in earlier:
            mine = [x for x in tp.sources if x.doc_id == s.doc_id and x.start < s.end and s.start < x.end]
            if len(mine) != 1:
                continue
            old = mine[0]
            if (old.start, old.end) == (s.start, s.end) or not (s.start <= old.start and old.end <= s.end):
                continue
            row = self._row(s.doc_id)
            if any(pid != tp.passage_id and lo < s.end and s.start < hi for lo, hi, pid in self.spans[row]):
                continue
            self.spans[row].remove((old.start, old.end, tp.passage_id))
            self.spans[row].append((s.start, s.end, tp.passage_id))
            entry.removed.append((row, old.start, old.end))
            was_canonical = _same_span(old, tp.canonical)
            old.start, old.end, old.text = s.start, s.end, s.text
            if was_canonical:
                self._set_canonical(entry, {**tp.canonical, "start": s.start, "end": s.end})
                moved = True
        return moved

    def _set_canonical(self, entry: _Entry, new: dict[str, Any]) -> None:
        tp = entry.passage
        entry.history.append(({k: tp.canonical.get(k) for k in ("doc_id", "start", "end", "reason")}, new))
        tp.canonical = new
        tp.text = self._text(new["doc_id"])[new["start"] : new["end"]]
        self.n_changes += 1

    def _create(self, p: Passage) -> None:
        pid = base = _base_id(p.passage_id)
        n = 1
        while pid in self.entries or self._entry(pid) is not None:
            n += 1
            pid = f"{base}-{n}"
        p.passage_id = pid
        self.entries[pid] = _Entry(p, self.batch.run_no, new=True)
        for s in p.sources:
            row = self.rows[s.doc_id]
            self.spans[row].append((s.start, s.end, pid))
        self.n_new += 1
        self.changed = True

    def _add_sources(self, entry: _Entry, added: list[SourceSpan], rescore: bool) -> None:
        """Add sources to a passage, their similarity and diff against its canonical text."""
        tp = entry.passage
        canon_keys = self._keys(tp.canonical["doc_id"], tp.canonical["start"], tp.canonical["end"])
        todo = tp.sources + added if rescore else added
        for s in todo:
            if s.doc_id == tp.canonical["doc_id"] and (s.start, s.end) == (tp.canonical["start"], tp.canonical["end"]):
                s.similarity, s.diff = 1.0, [["=", s.text]]
            else:
                s.similarity = round(similarity(canon_keys, self._keys(s.doc_id, s.start, s.end)), 4)
                s.diff = word_diff(s.text, tp.text)
        for s in added:
            self.spans[self.rows[s.doc_id]].append((s.start, s.end, tp.passage_id))
        tp.sources = sorted(tp.sources + added, key=lambda s: (s.doc_id, s.start, s.end))

    def _text(self, doc_id: str) -> str:
        doc = self.texts.get(doc_id)
        if doc is None:
            row = self._row(doc_id)
            doc = self.texts[doc_id] = self.batch.index._load([row])[row]
        return doc.text

    def _row(self, doc_id: str) -> int:
        row = self.rows.get(doc_id)
        if row is None:
            row = int(self.con.execute("SELECT row FROM docs WHERE id = ?", (doc_id,)).fetchone()[0])
            self.rows[doc_id] = row
        return row

    def _keys(self, doc_id: str, start: int, end: int) -> np.ndarray:
        self._text(doc_id)
        doc = self.texts[doc_id]
        tk = doc.work.get("tokens")
        if tk is None:
            tk = tokenize(doc.text)
            doc.work["tokens"] = tk
        t0 = int(np.searchsorted(tk.starts, start, side="left"))
        t1 = int(np.searchsorted(tk.starts, end, side="left"))
        return tk.keys[t0:t1]

    def finish(self, batch_docs: dict[str, Document], rows: dict[str, int]) -> list[Passage]:
        """Write the changed passages; set ``doc.passages`` of the batch; its passages, to date."""
        for pid, e in sorted(self.entries.items()):
            if not (e.new or e.grown):
                continue
            rec = orjson.dumps(e.passage.to_dict())
            self.con.execute(
                "INSERT INTO passages(pid, first_run, last_run, record) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(pid) DO UPDATE SET last_run = excluded.last_run, record = excluded.record",
                (pid, e.first_run, self.batch.run_no, rec),
            )
            self.con.executemany(
                "DELETE FROM passage_sources WHERE doc = ? AND lo = ? AND hi = ? AND pid = ?",
                [(*r, pid) for r in e.removed],
            )
            self.con.executemany(
                "INSERT OR IGNORE INTO passage_sources(doc, lo, hi, pid) VALUES (?, ?, ?, ?)",
                [(self._row(s.doc_id), s.start, s.end, pid) for s in e.passage.sources],
            )
            for old, new in e.history:
                self.con.execute(
                    "INSERT INTO canonical_history(pid, run, old, new) VALUES (?, ?, ?, ?)",
                    (pid, self.batch.run_no, orjson.dumps(old).decode(), orjson.dumps(new).decode()),
                )
        refs: dict[str, list[PassageRef]] = defaultdict(list)
        pids: set[str] = set()
        ids = {rows[i]: i for i in batch_docs}
        for chunk in _chunks(sorted(ids)):
            q = f"SELECT doc, lo, hi, pid FROM passage_sources WHERE doc IN ({','.join('?' * len(chunk))})"
            for doc, lo, hi, pid in self.con.execute(q, list(chunk)):
                refs[ids[int(doc)]].append(PassageRef(str(pid), int(lo), int(hi)))
                pids.add(str(pid))
        for id_, d in batch_docs.items():
            d.passages = sorted(refs.get(id_, []), key=lambda r: (r.start, r.end, r.passage_id))
        out = []
        for pid in sorted(pids):
            entry = self._entry(pid)
            assert entry is not None
            out.append(Passage.from_dict(entry.passage.to_dict()))
        out.sort(key=lambda p: (-p.n_documents, p.passage_id))
        return out
