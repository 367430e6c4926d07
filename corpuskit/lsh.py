"""Batch MinHash LSH: banding by sorting, no per-document Python objects.

datasketch's ``MinHashLSH`` keeps one dict entry per document and band (about 8.5 KB per
document at threshold 0.5); for a batch run we already hold every signature in one
matrix, so each band becomes one ``uint64`` key per document and a sort groups equal keys.
The compiled path first drops the documents alone in their bucket (a bit filter: most of
them, in most bands) and sorts the rest; numpy's path sorts every key and emits the pairs
inside each group with vectorised index arithmetic.

:func:`optimal_params` picks bands and rows the way datasketch does (minimising the
equally weighted false-positive and false-negative areas under the S-curve), so an index
built with datasketch at the same threshold behaves the same.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import signatures as _sig
from .forked import thread_map
from .signatures import _fmix  # MurmurHash3's finaliser, as :func:`~corpuskit.signatures.fmix_array`

__all__ = [
    "band_keys",
    "candidate_pairs",
    "collision_probability",
    "optimal_params",
    "recall_params",
    "run_pairs",
    "sorted_unique",
]

# Gauss-Legendre nodes: the integrands are polynomials of degree <= bands*rows <= num_perm,
# so enough nodes make the integrals exact (up to rounding).
_MAX_EXACT_DEGREE = 2048


def collision_probability(similarity: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Probability that two documents with this Jaccard similarity share a band.

    >>> round(float(collision_probability(0.5, 20, 5)), 3)
    0.47
    """
    return 1.0 - (1.0 - np.power(similarity, rows)) ** bands


@lru_cache(maxsize=128)
def optimal_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimising false-positive + false-negative probability mass.

    Same search as datasketch's ``_optimal_param`` with weights (0.5, 0.5): over every
    ``bands * rows <= num_perm``, the area of the S-curve below ``threshold`` (pairs that
    collide but should not) plus the area of its complement above (pairs missed); the
    first minimum in (bands, rows) order wins.

    >>> optimal_params(0.5, 128)
    (25, 5)
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if num_perm < 1:
        raise ValueError("num_perm must be >= 1")
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=np.float64)
    b = pairs[:, :1]
    r = pairs[:, 1:]
    deg = min(num_perm, _MAX_EXACT_DEGREE)
    nodes, weights = np.polynomial.legendre.leggauss(deg // 2 + 2)

    def integral(lo: float, hi: float, false_negative: bool) -> np.ndarray:
        if hi <= lo:
            return np.zeros(len(pairs))
        s = (hi - lo) / 2.0 * nodes + (hi + lo) / 2.0
        p = 1.0 - (1.0 - s**r) ** b
        f = 1.0 - p if false_negative else p
        return (f @ weights) * (hi - lo) / 2.0

    error = 0.5 * integral(0.0, threshold, False) + 0.5 * integral(threshold, 1.0, True)
    best = int(np.argmin(error))
    return int(pairs[best, 0]), int(pairs[best, 1])


def recall_params(similarity: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """``(bands, rows)`` that find a pair of this Jaccard similarity with at least ``recall``.

    For recall-first searches where verification is cheap, such as truncated reprints
    whose Jaccard with the full article is only their length share: the largest ``rows``
    (fewest chance collisions) whose full set of ``num_perm // rows`` bands still reaches
    ``recall``; one row per band if even that does not.

    >>> recall_params(0.27, 128)
    (64, 2)
    """
    if not 0.0 < similarity <= 1.0:
        raise ValueError("similarity must be in (0, 1]")
    if not 0.0 < recall < 1.0:
        raise ValueError("recall must be in (0, 1)")
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if collision_probability(similarity, bands, rows) >= recall:
            return bands, rows
    return num_perm, 1


_FNV_OFFSET, _FNV_PRIME = _sig._U_FNV_OFFSET, _sig._U_FNV_PRIME


def band_keys(sigs: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One ``uint64`` key per document for band ``band`` (columns ``band*rows`` onwards).

    Equal bands give equal keys; different bands collide with probability about 2**-64,
    which only adds a candidate that verification then rejects.
    """
    block = sigs[:, band * rows : (band + 1) * rows]
    h = np.full(sigs.shape[0], _FNV_OFFSET ^ np.uint64(band), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(block.shape[1]):
            h = (h ^ block[:, c].astype(np.uint64)) * _FNV_PRIME
    return _sig.fmix_array(h)


# Pending pair keys merged into the result once they reach this many (bounded memory).
_MERGE_EVERY = 1 << 22


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` for integer keys by sort and compare.

    numpy's hash-based ``unique`` degrades badly on structured keys such as ``i * n + j``
    (many collide in its table); a sort does not care.

    >>> sorted_unique(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    keys = np.sort(keys)
    if keys.size < 2:
        return keys
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def run_pairs(run_start: np.ndarray, ids: np.ndarray, n: int) -> np.ndarray:
    """``lo * n + hi`` for every pair of ``ids`` within one run (``run_start[k]``: element
    ``k`` starts a new run; ``run_start[0]`` is true), not deduplicated.

    >>> run_pairs(np.array([True, False, False, True, False]), np.array([4, 0, 2, 1, 3]), 5).tolist()
    [4, 14, 2, 8]
    """
    size = ids.shape[0]
    starts = np.flatnonzero(run_start)
    ends = np.append(starts[1:], size)
    run_end = np.repeat(ends, ends - starts)
    count = run_end - np.arange(size) - 1  # later members of the same run
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    left = np.repeat(np.arange(size), count)
    first = np.cumsum(count) - count
    right = left + 1 + (np.arange(total) - np.repeat(first, count))
    a = ids[left].astype(np.int64)
    b = ids[right].astype(np.int64)
    return np.minimum(a, b) * n + np.maximum(a, b)


def _pairs_in_runs(keys: np.ndarray) -> np.ndarray:
    """All ``i * n + j`` (``i < j``) for documents with equal keys (int64, unsorted, unique)."""
    n = keys.shape[0]
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = sk[1:] != sk[:-1]
    return run_pairs(run_start, order, n)


def candidate_pairs(sigs: np.ndarray, bands: int, rows: int, threads: int = 1) -> np.ndarray:
    """Document pairs sharing at least one band: ``int64`` array ``(k, 2)``, ``i < j``, sorted.

    ``sigs`` is the ``(n, num_perm)`` signature matrix (any unsigned integer dtype; only
    the first ``bands * rows`` columns are used). Every pair whose signatures agree on all
    ``rows`` values of some band is returned exactly once. The bands are sorted and read
    on ``threads`` threads (the sort and the compiled scan let go of the GIL).

    >>> s = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 3, 4], [8, 8, 8, 8]], dtype=np.uint64)
    >>> candidate_pairs(s, 2, 2).tolist()
    [[0, 1], [0, 2]]
    """
    if sigs.ndim != 2:
        raise ValueError("sigs must be a 2-D (documents x permutations) matrix")
    if bands < 1 or rows < 1 or bands * rows > sigs.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} does not fit {sigs.shape[1]} permutations")
    n = sigs.shape[0]
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if n > 3_000_000_000:  # i * n + j must fit in int64
        raise ValueError("too many documents for one candidate_pairs call")
    if not _sig._USE_KERNEL:
        return _candidate_pairs_numpy(sigs, bands, rows)
    # The same pair usually collides in many bands (a cluster of m copies gives m*(m-1)/2
    # pairs in nearly every band): each pair is emitted only in the first band it collides
    # in, so the output is unique by construction and no band's pairs are stored twice.
    # Each thread makes its band's keys; the earlier bands' keys of a bucket's members are
    # made again there (no (documents x bands) key matrix: 51 MB at 100,000 documents
    # and 64 bands, the peak of a large run). A first pass keeps only the documents whose
    # band key may be shared (:func:`_band_members`): most are alone in every band, and
    # only the others are sorted.

    nbytes = (1 << _filter_bits(n)) >> 3

    def band_pairs(band: int) -> np.ndarray:
        ids, keys = _band_members(sigs, rows, band, nbytes)
        order = np.argsort(keys, kind="stable")
        return _first_collisions(sigs, rows, band, keys[order], ids[order])

    parts = list(thread_map(band_pairs, range(bands), threads))
    found = np.sort(np.concatenate(parts))
    return np.stack([found // n, found % n], axis=1)


def _candidate_pairs_numpy(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """The no-numba path: all pairs of every band, merged with sorts in bounded batches."""
    n = sigs.shape[0]
    found = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    size = 0
    for band in range(bands):
        keys = _pairs_in_runs(band_keys(sigs, band, rows))
        pending.append(keys)
        size += keys.size
        if size >= _MERGE_EVERY or band == bands - 1:
            found = sorted_unique(np.concatenate([found, *pending]))
            pending, size = [], 0
    return np.stack([found // n, found % n], axis=1)


@_sig._njit
def _band_key_at(sigs: np.ndarray, i: int, band: int, rows: int) -> np.uint64:
    # :func:`band_keys` of document ``i`` alone.
    h = _FNV_OFFSET ^ np.uint64(band)
    for c in range(band * rows, (band + 1) * rows):
        h = (h ^ np.uint64(sigs[i, c])) * _FNV_PRIME
    return _fmix(h)


def _filter_bits(n: int) -> int:
    """Bits of a bit filter that finds which of ``n`` keys may be shared (about 8 per key:
    few keys alone in their bucket collide in it), from 2**10 to 2**30. Banding passes
    (:func:`candidate_pairs`, and the passage stage's) take one filter of this size per
    thread, as bytes, and look keys up with :func:`_has_bit`."""
    fbits = 10
    while fbits < 30 and (1 << fbits) < 8 * n:
        fbits += 1
    return fbits


@_sig._njit
def _filter_shift(once: np.ndarray) -> np.uint64:
    # How far a 64-bit key shifts right to index a filter of ``once.shape[0]`` bytes.
    fbits = 3
    while (1 << fbits) < 8 * once.shape[0]:
        fbits += 1
    return np.uint64(64 - fbits)


@_sig._njit
def _has_bit(bitset: np.ndarray, f: np.uint64) -> bool:
    return bool(bitset[f >> np.uint64(3)] & (np.uint8(1) << np.uint8(f & np.uint64(7))))


@_sig._njit
def _band_members(sigs: np.ndarray, rows: int, band: int, nbytes: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents whose key in ``band`` (:func:`band_keys`) may be another's too, in
    order, and their keys: every document sharing its key is among them, and few alone
    in their bucket slip through (a bit filter of ``nbytes``: :func:`_filter_bits`)."""
    n = sigs.shape[0]
    once = np.zeros(nbytes, dtype=np.uint8)
    twice = np.zeros(nbytes, dtype=np.uint8)
    shift = _filter_shift(once)
    keys = np.empty(n, dtype=np.uint64)
    for i in range(n):
        k = _band_key_at(sigs, i, band, rows)
        keys[i] = k
        f = k >> shift
        byte, bit = f >> np.uint64(3), np.uint8(1) << np.uint8(f & np.uint64(7))
        if once[byte] & bit:
            twice[byte] |= bit
        once[byte] |= bit
    ids = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if _has_bit(twice, keys[i] >> shift):
            ids[m] = i
            keys[m] = keys[i]  # m <= i: a key is moved down only once it has been read
            m += 1
    return ids[:m], keys[:m]


@_sig._njit
def _first_collisions(sigs: np.ndarray, rows: int, band: int, keys: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``i * n + j`` for pairs of documents ``ids`` equal in ``band`` (their ``keys``,
    sorted) and in no earlier band. A bucket's members get their earlier bands' keys made
    once, not per pair."""
    n = sigs.shape[0]
    out = np.empty(1024, dtype=np.int64)
    before = np.empty(16 * max(band, 1), dtype=np.uint64)  # (members, band) of one bucket
    k = 0
    start = 0
    while start < keys.shape[0]:
        end = start + 1
        while end < keys.shape[0] and keys[end] == keys[start]:
            end += 1
        m = end - start
        if m > 1 and band > 0:
            if m * band > before.shape[0]:
                before = np.empty(2 * m * band, dtype=np.uint64)
            for p in range(m):
                for b in range(band):
                    before[p * band + b] = _band_key_at(sigs, ids[start + p], b, rows)
        for p in range(m):
            for q in range(p + 1, m):
                first = True
                for b in range(band):
                    if before[p * band + b] == before[q * band + b]:
                        first = False
                        break
                if first:
                    if k == out.shape[0]:
                        grown = np.empty(2 * k, dtype=np.int64)
                        grown[:k] = out
                        out = grown
                    i = ids[start + p]
                    j = ids[start + q]
                    out[k] = min(i, j) * n + max(i, j)
                    k += 1
        start = end
    return out[:k]
