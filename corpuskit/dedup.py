"""Near-duplicate documents: exact hashes, MinHash LSH candidates, verified greedy clusters.

A news batch reprints the same article many times: wire copy under a new headline, with a
paragraph cut or added, with typos fixed or introduced, as a truncated teaser, or re-crawled
with different page furniture. Articles that merely cover the same story (and quote the
same people) are *not* duplicates. The stage works in four steps:

1. **Exact**: documents with byte-identical normalised ``text`` form a group; only the
   group's best copy (by the keep policy) goes on, the others follow it at the end.
2. **Candidates**: MinHash signatures (``doc.work["sig"]``, computed here when absent) are
   banded twice by :mod:`corpuskit.lsh`: with :func:`~corpuskit.lsh.optimal_params` for
   ``threshold`` (near-duplicates) and with :func:`~corpuskit.lsh.recall_params` for
   ``containment * TEASER_MIN_SHARE`` (a teaser's Jaccard with its full article is roughly
   its length share, far below ``threshold``).
3. **Verification**: every candidate pair is checked: pairs whose signatures agree on so
   few permutations that a Jaccard of the lower of the two floors is statistically
   impossible (p < 1e-9) are dropped on the estimate; the rest get exact Jaccard and
   containment over their 64-bit shingle hash sets (:func:`corpuskit.signatures.shingle_hashes`).
4. **Clusters**: documents are visited in keep-priority order; an unassigned document
   becomes a kept head and claims every unassigned verified neighbour that is similar *to
   it* (Jaccard >= ``threshold`` → ``near``; else a shorter document whose shingles are
   >= ``containment`` inside it → ``contained``). So every member is similar to its kept
   document; there are no chains A~B~C pulling in a C unlike A.

Keep priority (first difference wins; it is also the ``keep_reason``):

* a *truncated copy* (a document >= ``containment`` inside a longer one it is not a
  near-duplicate of) never outranks the other documents, whatever its date: a teaser is its
  full article's duplicate, never the reverse;
* ``earliest``: earliest ``date`` (parsed as ISO 8601; a missing or unparseable date comes
  last), then most complete (most words), then the document ``id``;
* ``longest``: most words, then earliest date, then ``id``;
* ``priority``: the first ``source_priority`` entry found (case-insensitively) in the
  url, source or sitename, then as ``earliest``.

The final tie-break is the document ``id``, not ``doc.order``: ids travel with the records
(a JSONL ``id`` field, a file path, a WARC record id), so the output is the same whatever
order the inputs come in. ``keep_reason`` says ``"tie: first by id"`` when it came to that.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple, Protocol

import numpy as np

from .config import DedupConfig
from .forked import thread_map
from .lsh import candidate_pairs, optimal_params, recall_params, sorted_unique
from .normalise import fold_text
from .records import Document, DupKind
from .signatures import _njit, count_common, shingle_hashes, signature_matrix

__all__ = [
    "DEDUP_WORK_KEYS",
    "TEASER_MIN_SHARE",
    "DedupStats",
    "Overlap",
    "OverlapVerifier",
    "Relation",
    "SignatureRows",
    "Verifier",
    "agreement_floor",
    "banding",
    "cluster_id",
    "deduplicate",
    "doc_text_key",
    "doc_words",
    "keep_key",
    "linked_roots",
    "parse_date",
    "resolve_clusters",
    "shingle_overlap",
    "text_key",
    "word_count",
]

#: Shortest teaser (as a share of its full article's shingles) the candidate search is
#: built to find; shorter ones are still verified when LSH happens to pair them.
TEASER_MIN_SHARE = 0.3

# A pair is dropped on its signature estimate when so few permutations agree that a true
# Jaccard at the lower search floor would produce that few with probability below this.
_ESTIMATE_P = 1e-9
_AHEAD_RUN = 64  # pairs a thread compares per task (:meth:`_Verifier.compare_ahead`)
_CACHE_SETS = 2048  # shingle sets kept while verifying (~5 KB each for a 600-word article)


@dataclass(slots=True)
class DedupStats:
    """What deduplication did; the pipeline copies it into the manifest."""

    documents: int = 0
    exact: int = 0
    near: int = 0
    contained: int = 0
    clusters: int = 0
    candidate_pairs: int = 0
    verified_pairs: int = 0
    near_bands: int = 0
    near_rows: int = 0
    teaser_bands: int = 0
    teaser_rows: int = 0

    @property
    def duplicates(self) -> int:
        return self.exact + self.near + self.contained

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def linked_roots(pairs: Iterable[tuple[int, int]]) -> Callable[[int], int]:
    """Connected components of ``pairs`` (a union-find): the function returned maps a node
    to the smallest node linked to it, directly or through others (itself when it is in no
    pair).

    >>> root = linked_roots([(4, 2), (2, 9), (5, 7)])
    >>> [root(x) for x in (9, 4, 7, 3)]
    [2, 2, 5, 3]
    """
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)  # a root stays the smallest node of its component
    return root


@functools.lru_cache(maxsize=1 << 14)
def parse_date(value: str | None) -> float | None:
    """Seconds since the epoch (UTC) for an ISO 8601 date or datetime, else ``None``.

    A date without time is its midnight; a naive datetime is taken as UTC. Cached: a
    batch of news holds few distinct dates (most documents share their day's).

    >>> parse_date("2025-04-08") == parse_date("2025-04-08T00:00:00Z")
    True
    >>> parse_date("last Tuesday") is None
    True
    """
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _priority_rank(doc: Document, priority: tuple[str, ...]) -> tuple[int, str]:
    fields = " ".join(x for x in (doc.url, doc.source, doc.sitename) if x).lower()
    for rank, name in enumerate(priority):
        if name.lower() in fields:
            return rank, name
    return len(priority), ""


def keep_key(doc: Document, cfg: DedupConfig, words: int) -> tuple[Any, ...]:
    """Sort key of the keep policy (smaller is kept first), without the teaser rule.

    Every component is a property of the record itself, never of its input position.
    """
    ts = parse_date(doc.date)
    date = (0, ts) if ts is not None else (1, 0.0)
    if cfg.keep == "longest":
        return (-words, date, doc.id)
    if cfg.keep == "priority":
        return (_priority_rank(doc, cfg.source_priority)[0], date, -words, doc.id)
    return (date, -words, doc.id)


def _reason(head: Document, head_words: int, rival: Document, rival_words: int, cfg: DedupConfig) -> str:
    """Why ``head`` was kept over its strongest rival: the first criterion that differs."""
    date_h, date_r = parse_date(head.date), parse_date(rival.date)
    date = f"earliest date {head.date}"
    more = f"most complete ({head_words} words)"
    if cfg.keep == "priority":
        rank_h, name = _priority_rank(head, cfg.source_priority)
        if rank_h < _priority_rank(rival, cfg.source_priority)[0]:
            return f"source priority: {name}"
    if cfg.keep == "longest":
        if head_words != rival_words:
            return f"longest ({head_words} words)"
        if date_h != date_r:
            return date
    else:
        if date_h != date_r:
            return date
        if head_words != rival_words:
            return more
    return "tie: first by id"


def _min_agreeing(num_perm: int, jaccard: float) -> int:
    """Fewest agreeing permutations still plausible (p >= ``_ESTIMATE_P``) at ``jaccard``.

    Each permutation agrees with probability ``jaccard``, so the count is binomial; the
    lower tail is summed in log space (no overflow at 1024 permutations).
    """
    if jaccard >= 1.0:
        return num_perm
    if jaccard <= 0.0:
        return 0
    cdf = 0.0
    for c in range(num_perm + 1):
        log_p = (
            math.lgamma(num_perm + 1)
            - math.lgamma(c + 1)
            - math.lgamma(num_perm - c + 1)
            + c * math.log(jaccard)
            + (num_perm - c) * math.log1p(-jaccard)
        )
        cdf += math.exp(log_p)
        if cdf >= _ESTIMATE_P:
            return c
    return num_perm


def _agreeing(sigs: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Per pair, how many permutations have equal signature values (chunked: bounded memory)."""
    out = np.empty(len(pairs), dtype=np.int64)
    for lo in range(0, len(pairs), 16384):
        p = pairs[lo : lo + 16384]
        out[lo : lo + len(p)] = np.count_nonzero(sigs[p[:, 0]] == sigs[p[:, 1]], axis=1)
    return out


class SignatureRows:
    """The batch's MinHash signatures, gathered as documents finish: ``uint32`` rows of one
    matrix instead of a small array on every record (which costs more than the row itself,
    and leaves the heap full of holes once deduplication frees them).

    :meth:`take` moves ``doc.work["sig"]`` into a row and leaves its number under
    ``doc.work["sig_row"]``; :func:`deduplicate` then has the rows it needs put in its
    order in place (:meth:`gather`). One matrix, permuted where it lies: gathering into a
    second one held both for a moment, the peak of a large run (51 MB more at 100,000
    documents). ``capacity``: the rows to expect (the matrix doubles beyond it; its pages
    hold memory only once written).
    """

    def __init__(self, num_perm: int, capacity: int = 4096) -> None:
        self.num_perm = num_perm
        self.matrix = np.empty((max(1, capacity), num_perm), dtype=np.uint32)
        self.rows = 0

    def take(self, docs: Iterable[Document]) -> None:
        for d in docs:
            sig = d.work.get("sig")
            if sig is None or len(sig) != self.num_perm:
                continue
            self._room(self.rows + 1)
            self.matrix[self.rows] = sig
            del d.work["sig"]
            d.work["sig_row"] = self.rows
            self.rows += 1

    def _room(self, rows: int) -> None:
        if rows > self.matrix.shape[0]:
            grown = np.empty((max(rows, 2 * self.matrix.shape[0]), self.num_perm), dtype=np.uint32)
            grown[: self.rows] = self.matrix[: self.rows]
            self.matrix = grown

    def gather(self, rows: np.ndarray) -> np.ndarray:
        """A ``(len(rows), num_perm)`` matrix whose row ``i`` is row ``rows[i]`` where
        ``rows[i] >= 0`` (the others are left unset), made in place from this one, which is
        handed over: nothing is left here.

        >>> sr = SignatureRows(2)
        >>> sr.matrix[:3] = [[0, 0], [1, 1], [2, 2]]; sr.rows = 3
        >>> sr.gather(np.array([2, -1, 0]))[[0, 2]].tolist()
        [[2, 2], [0, 0]]
        """
        k = rows.shape[0]
        self._room(k)
        n = max(k, self.rows)
        source = np.full(n, -1, dtype=np.int64)
        source[:k] = rows
        used = np.zeros(n, dtype=np.bool_)
        used[rows[rows >= 0]] = True
        if int(np.count_nonzero(used)) != int(np.count_nonzero(rows >= 0)) or (k and int(rows.max()) >= self.rows):
            raise ValueError("rows must be distinct rows of this matrix")
        source[source < 0] = np.flatnonzero(~used)  # the rest, anywhere: a permutation
        matrix = self.matrix
        _permute_rows(matrix, source)
        self.matrix = np.empty((0, self.num_perm), dtype=np.uint32)
        self.rows = 0
        return matrix[:k]


@_njit
def _permute_rows(m: np.ndarray, source: np.ndarray) -> None:
    # m[i] = old m[source[i]] for every i, in place: each cycle of the permutation is
    # followed once, with one row set aside.
    n = source.shape[0]
    done = np.zeros(n, dtype=np.bool_)
    spare = np.empty(m.shape[1], dtype=m.dtype)
    for start in range(n):
        if done[start]:
            continue
        done[start] = True
        if source[start] == start:
            continue
        spare[:] = m[start]
        i = start
        while True:
            j = source[i]
            if j == start:
                m[i] = spare
                break
            m[i] = m[j]
            done[j] = True
            i = j


def _signatures(docs: list[Document], cfg: DedupConfig, stored: SignatureRows | None = None) -> np.ndarray:
    """``uint32`` signature matrix; consumes ``doc.work["sig"]`` and the rows in ``stored``
    (they are not needed later)."""
    rows = np.fromiter((d.work.pop("sig_row", -1) for d in docs), dtype=np.int64, count=len(docs))
    sigs = stored.gather(rows) if stored is not None else np.empty((len(docs), cfg.num_perm), dtype=np.uint32)
    missing: list[int] = []
    for i, doc in enumerate(docs):
        sig = doc.work.pop("sig", None)
        if sig is not None and len(sig) == cfg.num_perm:
            sigs[i] = sig
        elif rows[i] < 0 or stored is None:
            missing.append(i)
    for lo in range(0, len(missing), 1024):
        chunk = missing[lo : lo + 1024]
        texts = [fold_text(docs[i].read_text()) for i in chunk]
        sigs[chunk] = signature_matrix(texts, num_perm=cfg.num_perm, shingle=cfg.shingle, seed=cfg.seed)
    return sigs


@dataclass(frozen=True, slots=True)
class Relation:
    """How two documents ``(x, y)`` relate, from exact shingle sets."""

    jaccard: float
    inside: float  # share of x's shingles found in y
    other_inside: float  # share of y's shingles found in x
    shorter: bool  # x has fewer shingles than y
    other_shorter: bool  # y has fewer shingles than x

    def flipped(self) -> Relation:
        return Relation(self.jaccard, self.other_inside, self.inside, self.other_shorter, self.shorter)


_NOTHING = Relation(0.0, 0.0, 0.0, False, False)


def _seen_from(table: Mapping[tuple[int, int], Relation], x: int, y: int) -> Relation | None:
    """The relation of ``x`` and ``y`` in ``table`` (keyed by the pair in order, smaller
    first) as ``x`` sees it, or ``None``."""
    rel = table.get((x, y) if x < y else (y, x))
    return rel if rel is None or x < y else rel.flipped()


class _Verifier:
    """Exact comparisons over shingle hash sets, computed on demand, or ahead on several
    threads (:meth:`compare_ahead`).

    The most recently used sets are kept (``_CACHE_SETS``), so memory stays bounded however
    many documents there are; ``count`` is the number of comparisons asked for.
    """

    def __init__(self, docs: list[Document], shingle: int) -> None:
        self.docs = docs
        self.shingle = shingle
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.count = 0
        self.ahead: dict[tuple[int, int], Relation] = {}

    def compare_ahead(self, pairs: np.ndarray, threads: int) -> None:
        """Compare each pair ``(x, y)`` of ``pairs`` (``x < y``, sorted) now, on ``threads``
        threads, for :meth:`compare` to look up. Shingling a text is most of a comparison,
        and its compiled kernel lets go of the GIL: deduplication's clustering compares one
        pair at a time, as it goes, on one core (0.19 s at 20,000 documents). Each thread
        makes the sets of its own run of pairs, keeping the last one it made (pairs come
        by their first document): about 8% more sets than one cache for all, in memory a
        few at a time."""

        def run(span: tuple[int, int]) -> list[Relation]:
            out: list[Relation] = []
            last, a = -1, np.zeros(0, dtype=np.uint64)
            for x, y in pairs[span[0] : span[1]].tolist():
                if x != last:
                    last, a = x, self._make(x)
                b = self._make(y)
                out.append(_relation(count_common(a, b), int(a.size), int(b.size)))
            return out

        step = max(1, min(_AHEAD_RUN, -(-pairs.shape[0] // threads)))
        spans = [(lo, min(lo + step, pairs.shape[0])) for lo in range(0, pairs.shape[0], step)]
        for (lo, hi), rels in zip(spans, thread_map(run, spans, threads), strict=True):
            for (x, y), rel in zip(pairs[lo:hi].tolist(), rels, strict=True):
                self.ahead[x, y] = rel

    def _make(self, i: int) -> np.ndarray:
        return shingle_hashes(fold_text(self.docs[i].read_text()), self.shingle)

    def shingles(self, i: int) -> np.ndarray:
        got = self.cache.get(i)
        if got is not None:
            self.cache.move_to_end(i)
            return got
        got = self._make(i)
        self.cache[i] = got
        if len(self.cache) > _CACHE_SETS:
            self.cache.popitem(last=False)
        return got

    def compare(self, x: int, y: int) -> Relation:
        self.count += 1
        if (rel := _seen_from(self.ahead, x, y)) is not None:
            return rel
        a, b = self.shingles(x), self.shingles(y)
        return _relation(count_common(a, b), int(a.size), int(b.size))


def _relation(common: int, size_x: int, size_y: int) -> Relation:
    if size_x == 0 or size_y == 0:
        return _NOTHING
    jac = common / (size_x + size_y - common)
    return Relation(jac, common / size_x, common / size_y, size_x < size_y, size_y < size_x)


class Verifier(Protocol):
    """Exact comparison of two representatives (by rank), as the clustering asks for it."""

    count: int

    def compare(self, x: int, y: int) -> Relation: ...


class Overlap(NamedTuple):
    """A candidate pair checked exactly: ``common`` of ``size_i`` and ``size_j`` shingles;
    ``agree`` signature permutations were equal."""

    i: int
    j: int
    agree: int
    common: int
    size_i: int
    size_j: int


def shingle_overlap(i: int, j: int, agree: int, a: np.ndarray, b: np.ndarray, cfg: DedupConfig) -> Overlap | None:
    """The exact overlap of candidates ``i`` and ``j`` (shingle sets ``a``, ``b``) if it can
    matter to the clustering: Jaccard >= ``threshold``, or one >= ``containment`` inside the other.

    >>> a = np.arange(10, dtype=np.uint64)
    >>> shingle_overlap(0, 1, 99, a, a[:9], DedupConfig())
    Overlap(i=0, j=1, agree=99, common=9, size_i=10, size_j=9)
    >>> shingle_overlap(0, 1, 99, a[:5], a[5:], DedupConfig()) is None
    True
    """
    common = count_common(a, b) if a.size and b.size else 0
    rel = _relation(common, int(a.size), int(b.size))
    if rel.jaccard < cfg.threshold and max(rel.inside, rel.other_inside) < cfg.containment:
        return None
    return Overlap(i, j, agree, common, int(a.size), int(b.size))


class OverlapVerifier:
    """A :class:`Verifier` over overlaps found elsewhere (another engine's executors).

    ``overlaps`` answer for their own pairs; ``sets`` holds the exact shingle sets of the
    documents a truncated copy may be compared with beyond its pairs (its connected
    component). Any other comparison raises ``KeyError``: the caller left out a set.
    """

    def __init__(self, overlaps: Iterable[Overlap], sets: Mapping[int, np.ndarray]) -> None:
        self.known = {(o.i, o.j): o for o in overlaps}
        self.sets = sets
        self.count = 0

    def compare(self, x: int, y: int) -> Relation:
        self.count += 1
        if (o := self.known.get((x, y))) is not None:
            return _relation(o.common, o.size_i, o.size_j)
        if (o := self.known.get((y, x))) is not None:
            return _relation(o.common, o.size_j, o.size_i)
        a, b = self.sets[x], self.sets[y]
        return _relation(count_common(a, b), int(a.size), int(b.size))


@dataclass(slots=True)
class _Graph:
    """Verified candidate pairs among documents ranked ``0..n-1``.

    ``indptr``/``nbr``/``agree``: both directions of every candidate pair in CSR form,
    neighbours in rank order, with how many permutations their signatures agree on.
    Pairs agreeing on at most ``maybe_below`` permutations may be below ``threshold``; they
    were all verified up front and ``known`` holds the useful results (keyed ``(i, j)``,
    ``i < j``), so an absent one is known useless. ``containers`` maps each truncated copy
    to the longer documents it is inside, with the share inside.
    """

    indptr: np.ndarray
    nbr: np.ndarray
    agree: np.ndarray
    maybe_below: int
    known: dict[tuple[int, int], Relation]
    containers: dict[int, list[tuple[int, float]]]

    def relation(self, i: int, idx: int, verifier: Verifier) -> Relation | None:
        """How ``i`` relates to its ``idx``-th CSR neighbour (``None``: not a duplicate)."""
        j = int(self.nbr[idx])
        if self.agree[idx] > self.maybe_below:
            return verifier.compare(i, j)
        return _seen_from(self.known, i, j)


def _max_agreeing(num_perm: int, jaccard: float) -> int:
    """Most agreeing permutations still plausible (p >= ``_ESTIMATE_P``) at ``jaccard``."""
    return num_perm - _min_agreeing(num_perm, 1.0 - jaccard)


def _teaser_floor(cfg: DedupConfig) -> float:
    # A teaser's Jaccard with its article is about its length share; below 0.25 the
    # search would need one-row bands, and chance collisions would swamp verification.
    return max(cfg.containment * TEASER_MIN_SHARE, 0.25)


def banding(cfg: DedupConfig) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(bands, rows)`` of the near-duplicate and of the teaser LSH passes.

    Two documents are candidates when their signatures share a band of either pass; a
    persistent index stores these band keys so that a later batch finds its candidates
    among earlier documents by lookup (:mod:`corpuskit.index`).

    >>> banding(DedupConfig())
    ((25, 5), (64, 2))
    """
    return optimal_params(cfg.threshold, cfg.num_perm), recall_params(_teaser_floor(cfg), cfg.num_perm, recall=0.98)


def agreement_floor(cfg: DedupConfig) -> int:
    """Fewest equal signature permutations a candidate pair needs to be verified at all.

    >>> agreement_floor(DedupConfig())
    8
    """
    return _min_agreeing(cfg.num_perm, min(_teaser_floor(cfg), cfg.threshold))


def _candidates(
    sigs: np.ndarray, cfg: DedupConfig, stats: DedupStats, fixed: int = 0, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (``i < j``) from both banding passes that pass the estimate, and how
    many permutations each agrees on.

    Rows below ``fixed`` were decided by an earlier batch: pairs among them are dropped.
    """
    n = len(sigs)
    near, teaser = banding(cfg)
    stats.near_bands, stats.near_rows = near
    stats.teaser_bands, stats.teaser_rows = teaser
    found = [candidate_pairs(sigs, *near, threads=threads), candidate_pairs(sigs, *teaser, threads=threads)]
    keys = sorted_unique(np.concatenate([p[:, 0] * n + p[:, 1] for p in found]))
    del found
    pairs = np.stack([keys // n, keys % n], axis=1)
    pairs = pairs[pairs[:, 1] >= fixed]  # i < j: both were decided earlier when j was
    stats.candidate_pairs = len(pairs)
    agree = _agreeing(sigs, pairs)
    keep = agree >= agreement_floor(cfg)
    return pairs[keep], agree[keep]


def _graph(n: int, pairs: np.ndarray, agree: np.ndarray, verifier: Verifier, cfg: DedupConfig) -> _Graph:
    """The candidate graph over ``n`` representatives; pairs that may be below the threshold
    are verified now, to know who is a truncated copy."""
    pairs = pairs.reshape(-1, 2)
    maybe_below = _max_agreeing(cfg.num_perm, cfg.threshold)
    known: dict[tuple[int, int], Relation] = {}
    containers: dict[int, list[tuple[int, float]]] = {}
    for i, j in pairs[agree <= maybe_below].tolist():
        rel = verifier.compare(i, j)
        if rel.jaccard < cfg.threshold and max(rel.inside, rel.other_inside) < cfg.containment:
            continue
        known[i, j] = rel
        if rel.jaccard < cfg.threshold:
            if rel.shorter and rel.inside >= cfg.containment:
                containers.setdefault(i, []).append((j, rel.inside))
            if rel.other_shorter and rel.other_inside >= cfg.containment:
                containers.setdefault(j, []).append((i, rel.other_inside))

    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    both = np.concatenate([agree, agree])
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return _Graph(indptr, dst[order], both[order], maybe_below, known, containers)


def _clusters(
    graph: _Graph,
    verifier: Verifier,
    cfg: DedupConfig,
    fixed: int = 0,
    preset: dict[int, tuple[int, DupKind, float]] | None = None,
) -> dict[int, tuple[int, DupKind, float]]:
    """Greedy clusters over documents ranked ``0..n-1``: ``{duplicate: (head, kind, similarity)}``.

    Documents are visited in rank order, truncated copies after everything else. A head
    claims each unvisited neighbour that is a near-duplicate of it, or a shorter document
    >= ``containment`` inside it. A truncated copy nobody claimed then joins the cluster of
    a document it is >= ``containment`` inside, provided it is also >= ``threshold`` inside
    that cluster's head (a teaser of the original, whose kept copy has a new headline or
    typos in the teaser's part): members are always similar to the kept document itself.

    Documents ranked below ``fixed`` were decided by an earlier batch: they are visited
    first and never claimed; those in ``preset`` (earlier duplicates) stay members of
    their heads, the others are heads.
    """
    head_of: dict[int, tuple[int, DupKind, float]] = dict(preset or {})
    heads: set[int] = set()
    teasers = graph.containers
    for i in sorted(range(len(graph.indptr) - 1), key=lambda i: (i >= fixed and i in teasers, i)):
        if i in head_of:
            continue
        if i >= fixed and i in teasers:
            joined = _join_via_member(i, graph, verifier, heads, head_of, cfg)
            if joined is not None:
                head_of[i] = (joined[0], "contained", joined[1])
                continue
        heads.add(i)
        for idx in range(graph.indptr[i], graph.indptr[i + 1]):
            j = int(graph.nbr[idx])
            if j < fixed or j in heads or j in head_of:
                continue
            rel = graph.relation(i, idx, verifier)
            if rel is None:
                continue
            if rel.jaccard >= cfg.threshold:
                head_of[j] = (i, "near", rel.jaccard)
            elif rel.other_shorter and rel.other_inside >= cfg.containment:
                head_of[j] = (i, "contained", rel.other_inside)
    return head_of


def _join_via_member(
    i: int,
    graph: _Graph,
    verifier: Verifier,
    heads: set[int],
    head_of: dict[int, tuple[int, DupKind, float]],
    cfg: DedupConfig,
) -> tuple[int, float] | None:
    """The head (and share of ``i`` inside it) of the best cluster truncated copy ``i`` can join."""
    best: tuple[float, int] | None = None
    for m, inside_m in sorted(graph.containers[i]):
        h = m if m in heads else head_of[m][0] if m in head_of else None
        if h is None:
            continue  # a truncated copy not visited yet
        inside = inside_m if h == m else verifier.compare(i, h).inside
        if inside >= cfg.threshold and (best is None or (-inside, h) < (-best[0], best[1])):
            best = (inside, h)
    return None if best is None else (best[1], best[0])


def text_key(text: str) -> bytes:
    """Key of an exact-duplicate group: a 128-bit hash of the normalised text.

    >>> text_key("same words") == text_key("same words") != text_key("other words")
    True
    """
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def word_count(text: str) -> int:
    """Words as the keep policy counts them ("most complete")."""
    return len(text.split())


def doc_words(doc: Document) -> int:
    """:func:`word_count` of ``doc``'s text: the count made where the text was finished
    (``work["words"]``, set by :func:`corpuskit.stages.finish_document`), else counted now."""
    w = doc.work.get("words")
    return w if isinstance(w, int) else word_count(doc.read_text())


def doc_text_key(doc: Document) -> bytes:
    """:func:`text_key` of ``doc``'s text, from ``work["text_key"]`` when the worker made it."""
    k = doc.work.get("text_key")
    return bytes.fromhex(k) if isinstance(k, str) else text_key(doc.read_text())


DEDUP_WORK_KEYS = ("sig", "sig_row", "words", "text_key")
"""What :func:`corpuskit.stages.finish_document` leaves in ``doc.work`` for deduplication,
consumed by it."""


def cluster_id(doc_id: str) -> str:
    """The id of the cluster kept document ``doc_id`` heads: derived from the id alone, so a
    cluster that grows in a later batch (:mod:`corpuskit.index`) keeps it.

    >>> cluster_id("cpw-20250409-0612")
    'c-bdb6eea5d25a'
    """
    return "c-" + hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def _mark(doc: Document, head: Document, kind: DupKind, similarity: float) -> None:
    doc.status = "duplicate"
    doc.duplicate_of = head.id
    doc.dup_kind = kind
    doc.similarity = round(similarity, 4)
    doc.cluster_id = doc.cluster_size = doc.keep_reason = None


def deduplicate(
    docs: Sequence[Document],
    cfg: DedupConfig,
    *,
    prior: Sequence[Document] = (),
    signatures: SignatureRows | None = None,
    threads: int = 1,
) -> DedupStats:
    """Mark exact, near and contained duplicates among the ``kept`` documents, in place.

    Sets ``status="duplicate"``, ``duplicate_of``, ``similarity`` and ``dup_kind`` on each
    duplicate, and ``cluster_id``, ``cluster_size`` and ``keep_reason`` on each kept
    document that has duplicates. Other documents are left alone. The result depends only
    on the set of documents (their ids, texts, dates and sources), not on their order.
    Consumes ``doc.work["sig"]``.

    ``prior`` holds documents an earlier batch already decided (an incremental run against
    :mod:`corpuskit.index`): kept ones, and duplicates whose ``duplicate_of`` is one of
    those. They outrank every document of ``docs`` and are never changed: a new document
    can become their duplicate (``duplicate_of`` an earlier id), never the reverse; they
    get no cluster fields here, and ``stats`` counts only ``docs``.

    ``signatures`` holds the rows :meth:`SignatureRows.take` moved out of the records.
    ``threads``: how many threads find the candidate pairs (the result is the same).
    """
    stats = DedupStats()
    if not cfg.enabled:
        return stats
    heads_before = {d.id for d in prior if d.status == "kept"}
    fixed_docs = [
        d for d in prior if d.status == "kept" or (d.status == "duplicate" and d.duplicate_of in heads_before)
    ]
    n_fixed = len(fixed_docs)
    new = [d for d in docs if d.status == "kept"]
    live = fixed_docs + new
    stats.documents = len(new)
    words = [doc_words(d) for d in live]
    # Earlier heads first, then earlier duplicates, then this batch (by the keep policy).
    tier = [0 if d.status == "kept" else 1 for d in fixed_docs] + [2] * len(new)
    keys = [(t, *keep_key(d, cfg, w)) for t, d, w in zip(tier, live, words, strict=True)]
    ranked = sorted(range(len(live)), key=keys.__getitem__)

    # 1. exact groups; the best-ranked copy stands for its group from here on.
    groups: dict[bytes, list[int]] = {}
    for k in ranked:
        groups.setdefault(doc_text_key(live[k]), []).append(k)
    rep_rows = [g[0] for g in groups.values()]  # still in rank order
    reps = [live[k] for k in rep_rows]
    fixed = sum(1 for k in rep_rows if k < n_fixed)  # earlier documents rank first: a prefix
    rep_of = {live[g[0]].id: r for r, g in enumerate(groups.values()) if g[0] < n_fixed}
    preset: dict[int, tuple[int, DupKind, float]] = {
        r: (rep_of[d.duplicate_of], d.dup_kind or "near", d.similarity or 0.0)
        for r, d in enumerate(reps[:fixed])
        if d.status == "duplicate" and d.duplicate_of in rep_of
    }

    # 2-3. candidate pairs and verified edges among the representatives (index = rank).
    sigs = _signatures(reps, cfg, signatures)
    for d in live:
        for key in DEDUP_WORK_KEYS:
            d.work.pop(key, None)
    pairs, agree = _candidates(sigs, cfg, stats, fixed, threads)
    del sigs
    verifier = _Verifier(reps, cfg.shingle)
    if threads > 1:
        verifier.compare_ahead(pairs.reshape(-1, 2), threads)
    graph = _graph(len(reps), pairs, agree, verifier, cfg)
    del pairs, agree

    # 4. clusters; exact copies follow their representative (same text, same relation).
    _resolve(live, words, keys, list(groups.values()), graph, verifier, cfg, stats, n_fixed, fixed, preset)
    return stats


def resolve_clusters(
    live: Sequence[Document],
    words: Sequence[int],
    groups: Sequence[Sequence[int]],
    pairs: np.ndarray,
    agree: np.ndarray,
    verifier: Verifier,
    cfg: DedupConfig,
    stats: DedupStats | None = None,
) -> DedupStats:
    """Steps 3-4 of :func:`deduplicate` (no earlier batch) on pairs found elsewhere: another
    engine (:mod:`corpuskit.engines.spark`) finds and checks candidates its own way, then
    reaches the very same clusters, marks and keep reasons through this code.

    ``live[k]`` has ``words[k]`` words. ``groups`` are the exact-duplicate groups as indices
    into ``live``, each in keep order (:func:`keep_key`, ties by input order), the groups in
    the keep order of their first member: group ``r`` is representative ``r``. ``pairs``
    (``i < j``) and ``agree`` are the candidate pairs of representatives that pass
    :func:`agreement_floor`. A caller that verified every pair up front may leave out the
    unrelated ones, and every group with one member and no pair (it is kept, alone).
    """
    stats = stats if stats is not None else DedupStats()
    keys = [keep_key(d, cfg, w) for d, w in zip(live, words, strict=True)]
    graph = _graph(len(groups), pairs, agree, verifier, cfg)
    _resolve(live, words, keys, groups, graph, verifier, cfg, stats)
    return stats


def _resolve(
    live: Sequence[Document],
    words: Sequence[int],
    keys: Sequence[tuple[Any, ...]],
    groups: Sequence[Sequence[int]],
    graph: _Graph,
    verifier: Verifier,
    cfg: DedupConfig,
    stats: DedupStats,
    n_fixed: int = 0,
    fixed: int = 0,
    preset: dict[int, tuple[int, DupKind, float]] | None = None,
) -> None:
    """Cluster the representatives, then mark every document of every group."""
    reps = [live[g[0]] for g in groups]
    rep_rows = [g[0] for g in groups]
    head_of = _clusters(graph, verifier, cfg, fixed, preset)
    stats.verified_pairs = verifier.count
    teasers = graph.containers
    del graph
    members: dict[int, list[tuple[int, int]]] = {}  # head rep -> [(live row, rep index)]
    for r, copies in enumerate(groups):
        if r in head_of:
            i, kind, sim = head_of[r]
            for k in copies:
                if k >= n_fixed:
                    _mark(live[k], reps[i], kind, sim)
                    members.setdefault(i, []).append((k, r))
        else:
            for k in copies[1:]:
                if k >= n_fixed:
                    _mark(live[k], reps[r], "exact", 1.0)
                    members.setdefault(r, []).append((k, r))

    for i, group in sorted(members.items()):
        head, hk = reps[i], rep_rows[i]
        if hk < n_fixed:  # an earlier batch's head: the index keeps its cluster fields
            stats.clusters += 1
            _count_kinds(stats, (live[k] for k, _ in group))
            continue
        head.cluster_id = cluster_id(head.id)
        head.cluster_size = 1 + len(group)
        # The rival is the duplicate that came closest to being kept.
        k, r = min(group, key=lambda m: (m[1] in teasers, keys[m[0]]))
        if r in teasers and i not in teasers:
            head.keep_reason = f"most complete ({words[hk]} words)"
        else:
            head.keep_reason = _reason(head, words[hk], live[k], words[k], cfg)
        stats.clusters += 1
        _count_kinds(stats, (live[k] for k, _ in group))


def _count_kinds(stats: DedupStats, dups: Iterable[Document]) -> None:
    for d in dups:
        if d.dup_kind == "exact":
            stats.exact += 1
        elif d.dup_kind == "near":
            stats.near += 1
        else:
            stats.contained += 1
