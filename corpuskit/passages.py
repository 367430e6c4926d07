"""Re-reported passages: the same statement in different documents, one canonical text.

Outlets re-report a quote, a statement or a wire paragraph with the quote marks changed,
the attribution moved or inserted (``..., Trump wrote. "...``), sentence boundaries moved,
a word or two changed, or only part of it. :func:`find_passages` finds every occurrence
across the kept documents of a batch, groups them into passages and gives each passage a
canonical text; every source keeps its own variant, exact offsets and a word diff.

How (each step is deterministic; documents are visited in ``id`` order, so the output does
not depend on input order):

1. **Units** (:func:`passage_units`, per document; the pipeline makes them in its
   workers with :func:`park_units`): the text is
   tokenised (:func:`corpuskit.align.tokenize`: folded case, quotes and dashes) and cut
   into small units at sentence ends, quote marks and paragraph breaks; pieces shorter than
   :data:`UNIT_MIN` words are merged with their neighbours, pieces longer than
   :data:`UNIT_MAX` are covered by overlapping windows of :data:`UNIT_WINDOW` words. A
   short quote inside a long paragraph is thus a unit (or most of one) of its own, so
   candidates are found by containment, whatever the paragraph order.
2. **Candidates**: a MinHash signature per unit over ``cfg.shingle``-word shingles, banded
   for recall at ``cfg.threshold`` (:func:`corpuskit.lsh.recall_params`); units of
   *different* documents sharing a band are candidates. Common phrases ("the Finance
   Minister of", "said in a statement") would otherwise pair thousands of unrelated units,
   so the MinHash is frequency-damped: a shingle occurring ``df > DF_DAMP`` times in the
   batch takes part in each permutation with probability ``DF_DAMP / df`` (decided by a
   second hash, so consistently across units), while a unit made only of such shingles (a
   widely quoted line) keeps its plain minimum. A candidate pair must then agree on at
   least ``ESTIMATE_SHARE * cfg.threshold`` of its signature values and share
   :data:`MIN_SHARED_SHINGLES` distinctive shingles exactly (a unit with fewer takes no part
   in banding). Oversized buckets link each unit to its next :data:`BUCKET_CAP` neighbours
   only. Shingle counts are exact for the shingles that matter (more than ``DF_DAMP``
   occurrences), counted in memory or, past ``_COUNT_BUFFER``, in disk partitions.
3. **Verification**: for each candidate document pair, the paragraphs holding the seeds are
   aligned token by token (:func:`corpuskit.align.align`): shared stretches of at least
   ``cfg.min_words`` words with similarity ``>= cfg.min_similarity``, bridging gaps of up
   to :data:`corpuskit.align.MAX_GAP` words, most shared words in runs of distinctive
   (not common) wording, attribution outside the quote marks trimmed off the edges.
   Stretches never cross a paragraph break.
4. **Passages without chaining**: stretches are grouped greedily. Each candidate
   representative (one side of a stretch) is scored by how many words of it the other
   documents share *directly with it* (projected through their own alignment with it); a
   document joins when it shares ``>= cfg.min_words`` words and either ``>= MIN_COVERAGE``
   of the representative or (a truncated copy) all it shares with it lies inside it, at
   ``>= cfg.min_similarity`` over the shared part. The best representative forms a
   passage, its words are taken, the rest is re-scored (lazily). Documents
   reached only through a member are aligned against the representative itself before
   joining. So two sentences that each resemble a third never end up together unless each
   is verified against the same representative.
5. **Canonical text** by ``cfg.canonical`` (reason recorded): ``complete`` the variant
   sharing most words with the representative's passage, then with fewest words of its
   own, then closest to the others; ``medoid`` the highest mean similarity to the other
   variants; ``earliest`` the earliest ``date``, then ``complete``.

Memory: the batch's per-unit state never sits in memory whole. Tokens and units are packed
on disk (parked by the workers, or written to an anonymous scratch file as they are made),
signatures to another by column groups (one LSH band is read at a time), and each
document's verification state (tokens, paragraphs, distinctive shingles) to a third, read
back through a bounded cache while aligning and grouping. What stays in memory is per unit
a few bytes (owner, live flag), the candidate pairs and the aligned stretches. The disk
under the packed units is given back as soon as they are signed.

Spans: a source span starts at its first shared word and ends at its last shared word,
plus sentence punctuation directly after it (``.``, ``?``, ``!!!``) — never an opening or
closing quote mark or a comma. Words inside (an inserted ``Trump wrote``) belong to the
span and show up in its diff.

A passage links at least two *different* documents (a document quoting itself twice
is one source with two spans, never a passage on its own); one found in more than
``cfg.max_doc_fraction`` of the documents, and more than :data:`MAX_DOC_FLOOR` of them,
is boilerplate and dropped. ``passage_id`` is ``"p-"`` plus a hash of the canonical
text's folded words (suffixed ``-2``, ``-3`` in source order in the rare case two passages
share a canonical text). :func:`drop_passages` removes non-canonical occurrences from
document text for ``--passages drop``.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import queue
import tempfile
import zlib
from bisect import bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from .align import (
    BARRIER,
    PIECE,
    Alignment,
    Tokens,
    align,
    char_span,
    jit,
    matching_blocks,
    tokenize,
    word_diff,
)
from .config import PassageConfig
from .dedup import linked_roots, parse_date
from .errors import OutputError
from .forked import fork_map, fork_slot, thread_map
from .lsh import _filter_bits, _filter_shift, _has_bit, recall_params
from .memory import release_memory, reusing_freed_blocks
from .normalise import fold_text
from .records import Document, Passage, PassageRef, SourceSpan, pickled_by_constructor
from .signatures import _U_FNV_OFFSET as _FNV_OFFSET
from .signatures import _U_FNV_PRIME as _FNV_PRIME
from .signatures import _fmix, count_common_k
from .spill import Parked, TextSpill, pread_exact, pread_into, pwrite_all, release_ranges

__all__ = [
    "BUCKET_CAP",
    "DF_COMMON_MIN",
    "DF_COMMON_SHARE",
    "DF_DAMP",
    "ESTIMATE_SHARE",
    "LSH_RECALL",
    "MAX_DOC_FLOOR",
    "MIN_COVERAGE",
    "MIN_SHARED_SHINGLES",
    "UNITS_KEY",
    "UNIT_MAX",
    "UNIT_MIN",
    "UNIT_WINDOW",
    "WHOLE_SHARE",
    "PassageUnits",
    "drop_passages",
    "find_passages",
    "park_units",
    "passage_units",
]

#: Fewest words in a candidate unit (or ``cfg.min_words`` if smaller).
UNIT_MIN = 6
#: Pieces longer than this are covered by overlapping windows.
UNIT_MAX = 24
#: Window length (words) over long pieces; windows overlap by half.
UNIT_WINDOW = 16
#: A document joins a passage when it shares at least this share of its representative, or
#: when what it shares with the representative lies (``WHOLE_SHARE``) inside it: a
#: truncated re-report of a longer passage is still that passage.
MIN_COVERAGE = 0.5
WHOLE_SHARE = 0.9
#: Units in one LSH bucket beyond which each is paired only with its next ``BUCKET_CAP``.
BUCKET_CAP = 64
#: ``max_doc_fraction`` only applies to passages in more than this many documents.
MAX_DOC_FLOOR = 10
#: Recall the LSH banding is built for at ``cfg.threshold``.
LSH_RECALL = 0.95
#: Shingles in more documents than this weigh ``DF_DAMP / df`` in unit signatures.
DF_DAMP = 8
#: Shingles in more than ``max(DF_COMMON_MIN, N / DF_COMMON_SHARE)`` of the N documents are
#: common: they do not count as distinctive words when a stretch is verified.
DF_COMMON_MIN = 32
DF_COMMON_SHARE = 200
#: Candidate unit pairs must share at least this many distinctive shingles exactly.
MIN_SHARED_SHINGLES = 3
#: A candidate unit pair is aligned only when its signatures agree on at least this share
#: of ``cfg.threshold`` (the estimated similarity may fall short of the true one).
ESTIMATE_SHARE = 0.5

UNITS_KEY = "_units"
"""``doc.work`` key of the units :func:`park_units` parked (a process-local handle: the
leading ``_`` keeps it out of checkpoints)."""

_WINDOW_MARGIN = 200  # tokens of context on each side of a seed unit when aligning
_GIANT_WINDOW = 2000  # merged windows longer than this are aligned seed by seed
_MINHASH_SEED = 0x9E3779B97F4A7C15
_ID_BYTES = 6
T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------
# per-document units
# ---------------------------------------------------------------------------------------


@jit
def _cut_units(flags: np.ndarray, umin: int, umax: int, win: int) -> np.ndarray:
    n = flags.shape[0]
    # Upper bound: every token could start a window.
    out = np.empty((n + 1, 2), dtype=np.int32)
    count = 0
    stride = max(1, win // 2)
    p0 = 0
    while p0 < n:
        p1 = p0 + 1
        while p1 < n and (flags[p1] & BARRIER) == 0:
            p1 += 1
        # Paragraph [p0, p1): merge pieces until each unit has umin tokens.
        first_unit = count
        acc = p0
        q = p0
        while q < p1:
            r = q + 1
            while r < p1 and (flags[r] & PIECE) == 0:
                r += 1
            if r - acc >= umin:
                out[count, 0] = acc
                out[count, 1] = r
                count += 1
                acc = r
            q = r
        if acc < p1:
            if count > first_unit:
                out[count - 1, 1] = p1  # leftover words join the last unit
            elif p1 - p0 >= umin:
                out[count, 0] = p0
                out[count, 1] = p1
                count += 1
        p0 = p1
    # Window the long units.
    res = np.empty((n + 1 + 2 * (n // stride + 1), 2), dtype=np.int32)
    w = 0
    for u in range(count):
        a = out[u, 0]
        b = out[u, 1]
        if b - a <= umax:
            res[w, 0] = a
            res[w, 1] = b
            w += 1
            continue
        s = a
        while True:
            e = s + win
            if e >= b:
                res[w, 0] = b - win
                res[w, 1] = b
                w += 1
                break
            res[w, 0] = s
            res[w, 1] = e
            w += 1
            s += stride
    return res[:w].copy()


_MIX = np.uint64(0x9E3779B97F4A7C15)
_U32 = np.uint64(32)


@jit
def _shingle(keys: np.ndarray, s: int, width: int) -> np.uint64:
    h = np.uint64(width)
    for t in range(width):
        h = h * _MIX + keys[s + t]
    return _fmix(h)


@jit
def _token_shingles(keys: np.ndarray, k: int) -> np.ndarray:
    m = keys.shape[0] - k + 1
    out = np.empty(max(m, 0), dtype=np.uint64)
    _roll_shingles(keys, k, out, 0)
    return out


@jit
def _roll_shingles(keys: np.ndarray, k: int, out: np.ndarray, w: int) -> None:
    # ``_shingle(keys, s, k)`` for every start s, written to ``out`` from ``w``: the
    # polynomial before its finaliser rolled from one start to the next (take the first
    # word's term out, shift, add the next word), exact in wrapping uint64 arithmetic. Two
    # multiplications a word instead of k: a quarter of the time (12M words, k = 5).
    m = keys.shape[0] - k + 1
    if m <= 0:
        return
    top = np.uint64(1)  # _MIX ** (k - 1)
    for _ in range(k - 1):
        top = top * _MIX
    lead = np.uint64(k) * top * _MIX  # the width's term
    h = np.uint64(k)
    for t in range(k):
        h = h * _MIX + keys[t]
    out[w] = _fmix(h)
    for s in range(1, m):
        h = (h - lead - keys[s - 1] * top) * _MIX + lead + keys[s + k - 1]
        out[w + s] = _fmix(h)


@dataclass(slots=True, eq=False)
class PassageUnits:
    """Per-document state of passage finding (what ``doc.work["units"]`` holds).

    ``units`` are token ranges ``(start, end)``; unit ``u``'s shingle hashes are
    ``shingles[offsets[u]:offsets[u + 1]]``; ``token_shingles[i]`` is the shingle starting
    at token ``i`` (for document frequencies). ``fingerprint`` ties the state to the text
    and the settings it was computed with, so a stale entry is recomputed, never trusted.
    """

    tokens: Tokens
    units: np.ndarray
    offsets: np.ndarray
    shingles: np.ndarray
    token_shingles: np.ndarray
    fingerprint: tuple[int, int, int, int]
    paragraphs: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.paragraphs = self.tokens.paragraphs()


def _fingerprint(text: str, cfg: PassageConfig) -> tuple[int, int, int, int]:
    return (len(text), zlib.crc32(text.encode("utf-8", "surrogatepass")), cfg.shingle, min(UNIT_MIN, cfg.min_words))


def passage_units(text: str, cfg: PassageConfig) -> PassageUnits:
    """Tokens, candidate units and unit shingles of one document's text.

    Pure and per document: the pipeline may run it in worker processes and store the
    result in ``doc.work["units"]``; :func:`find_passages` uses it when its fingerprint
    matches the document's text and ``cfg``, and computes it otherwise.

    >>> pu = passage_units("“Their top TEAM is on a plane heading to the U.S.,” Trump said.", PassageConfig())
    >>> [(int(a), int(b)) for a, b in pu.units]
    [(0, 14)]
    """
    tokens, units, offsets, shingles, token_shingles = _unit_arrays(text, cfg)
    return PassageUnits(tokens, units, offsets, shingles, token_shingles, _fingerprint(text, cfg))


def _tokens_and_units(text: str, cfg: PassageConfig) -> tuple[Tokens, np.ndarray]:
    """Tokens and units: what parking keeps (:func:`_scan_blob`)."""
    tokens = tokenize(text)
    return tokens, _cut_units(tokens.flags, min(UNIT_MIN, cfg.min_words), UNIT_MAX, UNIT_WINDOW)


def _units_and_shingles(text: str, cfg: PassageConfig) -> tuple[Tokens, np.ndarray, np.ndarray]:
    """Tokens, units and token shingles."""
    tokens, units = _tokens_and_units(text, cfg)
    return tokens, units, _token_shingles(tokens.keys, cfg.shingle)


def _unit_arrays(text: str, cfg: PassageConfig) -> tuple[Tokens, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`passage_units` computes, without the paragraphs and the fingerprint."""
    tokens, units, token_shingles = _units_and_shingles(text, cfg)
    offsets = _unit_offsets(units, cfg.shingle)
    sizes = np.array([[tokens.keys.shape[0], token_shingles.shape[0], units.shape[0]]], dtype=np.int64)
    shingles = _unit_shingles(tokens.keys, token_shingles, units, sizes, offsets, cfg.shingle)
    return tokens, units, offsets, shingles, token_shingles


def _scan_arrays(doc: Document, cfg: PassageConfig) -> tuple[Tokens, np.ndarray, np.ndarray]:
    """Tokens, units and token shingles of ``doc`` (what :func:`_scan_blob` packs): from the
    units a caller left in ``doc.work["units"]`` (the index does), else made here, without
    the unit shingles, which signing gathers again."""
    text = doc.read_text()
    pu = doc.work.get("units")
    if isinstance(pu, PassageUnits) and pu.fingerprint == _fingerprint(text, cfg):
        return pu.tokens, pu.units, pu.token_shingles
    return _units_and_shingles(text, cfg)


# ---------------------------------------------------------------------------------------
# batch state on disk: unit shingles, shingle counts, signature bands
# ---------------------------------------------------------------------------------------

_COUNT_BUFFER = 1 << 20  # shingles counted in memory before the counting goes to disk
_COUNT_PARTS = 256  # partitions of the counting, by the hashes' top bits (small tables)
_PART_BITS = (_COUNT_PARTS - 1).bit_length()
_SIGN_BLOCK = 1 << 13  # units signed together
_PAIR_PASS_UNITS = 1_000_000  # units per candidate-pair pass (more: more passes)
_CACHE_BYTES = 32 << 20  # verification state kept in memory (the most recently used)
_FORK_MIN_PAIRS = 4096  # fewer candidate pairs are aligned in this process (a fork costs more)
_FORK_MIN_MATCHES = 1024  # fewer matches grouped and built here
_FORK_MIN_GROUPS = 1024  # fewer groups built here (when one component has most matches)
_SLICES_PER_PROC = 8  # work slices per forked process (evens out their finishing times)
_SMALL_SORT = 32  # a unit's rare shingles up to this many are sorted by insertion


class _Scratch:
    """The anonymous temporary files of one :func:`find_passages` call."""

    def __init__(self, directory: Path | str | None) -> None:
        self.directory = directory
        self.files: list[IO[bytes]] = []

    def new(self) -> IO[bytes]:
        fh = tempfile.TemporaryFile(dir=self.directory, prefix="passages-")  # noqa: SIM115 - closed in close()
        self.files.append(fh)
        return fh

    def close(self) -> None:
        for fh in self.files:
            fh.close()


@jit
def _count_over(x: np.ndarray, floor: int) -> tuple[np.ndarray, np.ndarray]:
    # Exact counts by open addressing (0 marks an empty slot; value 0 is counted aside);
    # returns the values seen more than ``floor`` times and their counts, unordered.
    size = 16
    while size < 2 * x.shape[0]:
        size *= 2
    bits = 0
    while (1 << bits) < size:
        bits += 1
    shift = np.uint64(64 - bits)
    mask = np.uint64(size - 1)
    tk = np.zeros(size, dtype=np.uint64)
    tc = np.zeros(size, dtype=np.int64)
    zero = 0
    for v in x:
        if v == 0:
            zero += 1
            continue
        i = (v * _MIX) >> shift
        while tk[i] != 0 and tk[i] != v:
            i = (i + np.uint64(1)) & mask
        tk[i] = v
        tc[i] += 1
    m = 1 if zero > floor else 0
    for i in range(size):
        if tc[i] > floor:
            m += 1
    keys = np.empty(m, dtype=np.uint64)
    counts = np.empty(m, dtype=np.int64)
    w = 0
    if zero > floor:
        keys[0] = 0
        counts[0] = zero
        w = 1
    for i in range(size):
        if tc[i] > floor:
            keys[w] = tk[i]
            counts[w] = tc[i]
            w += 1
    return keys, counts


@jit
def _partition(x: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    # A counting sort on the top ``bits`` bits (stable): the values, and where each part starts.
    shift = np.uint64(64 - bits)
    start = np.zeros((1 << bits) + 1, dtype=np.int64)
    for v in x:
        start[(v >> shift) + np.uint64(1)] += 1
    for p in range(1 << bits):
        start[p + 1] += start[p]
    at = start[:-1].copy()
    out = np.empty_like(x)
    for v in x:
        p = v >> shift
        out[at[p]] = v
        at[p] += 1
    return out, start


class _Counts:
    """How often each shingle occurs in the batch, exactly, for those occurring more than
    ``floor`` times (the only counts damping and commonness read).

    Counts are occurrences rather than documents ("df" below): a three-word shingle rarely
    repeats inside one article. Shingles are split into ``_COUNT_PARTS`` parts by their top
    bits (hashes are uniform) and each part is counted on its own in a small hash table;
    past ``_COUNT_BUFFER`` shingles, the buffer goes to one disk file, sorted by part, and
    each part is read back from every such round: memory stays bounded at any size. One
    file, not one per part: every file made is an inode taken and freed, and where the
    filesystem keeps its recently freed inodes back (ext4 without a journal), each new
    one searches past them: the helper of a two-worker run spent 47 ms of 0.42 s making
    its 256 part files (20,000 documents, ``perf``).
    """

    def __init__(self, scratch: _Scratch) -> None:
        self.scratch = scratch
        self.pending: list[np.ndarray] = []
        self.size = 0
        self.fh: IO[bytes] | None = None
        self.rounds: list[tuple[int, np.ndarray]] = []  # (byte offset, where each part starts)
        self.end = 0

    def add(self, sh: np.ndarray) -> None:
        self.pending.append(sh)
        self.size += sh.shape[0]
        if self.size >= _COUNT_BUFFER:
            self._spill()

    def _take(self) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate(self.pending) if self.pending else np.zeros(0, dtype=np.uint64)
        self.pending, self.size = [], 0
        return _partition(x, _PART_BITS)

    def _spill(self) -> None:
        out, start = self._take()
        if self.fh is None:
            self.fh = self.scratch.new()
        pwrite_all(self.fh.fileno(), out, self.end)
        self.rounds.append((self.end, start))
        self.end += out.nbytes

    def _parts(self) -> Iterator[np.ndarray]:
        """Each part's shingles, from memory or from every round on disk."""
        if self.fh is None:
            out, start = self._take()
            yield from np.split(out, start[1:-1])
            return
        self._spill()
        fd = self.fh.fileno()
        for p in range(_COUNT_PARTS):
            sizes = [int(start[p + 1] - start[p]) for _, start in self.rounds]
            x = np.empty(sum(sizes), dtype=np.uint64)
            w = 0
            for (at, start), n in zip(self.rounds, sizes, strict=True):
                pread_into(fd, x[w : w + n], at + 8 * int(start[p]))
                w += n
            yield x
        self.fh.truncate(0)  # its disk given back

    def over(self, floor: int) -> tuple[np.ndarray, np.ndarray]:
        """The shingles seen more than ``floor`` times (sorted), and their counts; asked
        once.

        On one thread: each part's table is a fresh block of memory (mapped on its own, see
        :func:`~corpuskit.memory.map_large_blocks`), and two threads faulting such blocks
        in at once took 2.3 times as long as one thread (0.28 against 0.12 s, 20k
        documents).
        """
        keys, counts = [], []
        for piece in self._parts():
            k, c = _count_over(piece, floor)
            order = np.argsort(k)
            keys.append(k[order])
            counts.append(c[order])
        return np.concatenate(keys), np.concatenate(counts)  # parts by top bits: sorted


@jit
def _hash_build(keys: np.ndarray, counts: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    # Open addressing with linear probing; key 0 marks an empty slot (the caller keeps the
    # count of shingle 0 itself). Keys are distinct.
    size = 1 << bits
    mask = np.uint64(size - 1)
    shift = np.uint64(64 - bits)
    tk = np.zeros(size, dtype=np.uint64)
    tc = np.zeros(size, dtype=np.int64)
    for n in range(keys.shape[0]):
        x = keys[n]
        if x == 0:
            continue
        i = (x * _MIX) >> shift
        while tk[i] != 0:
            i = (i + np.uint64(1)) & mask
        tk[i] = x
        tc[i] = counts[n]
    return tk, tc


@jit
def _hash_lookup(tk: np.ndarray, tc: np.ndarray, bits: int, zero: int, sh: np.ndarray) -> np.ndarray:
    mask = np.uint64(tk.shape[0] - 1)
    shift = np.uint64(64 - bits)
    out = np.ones(sh.shape[0], dtype=np.int64)
    for n in range(sh.shape[0]):
        x = sh[n]
        if x == 0:
            out[n] = zero
            continue
        i = (x * _MIX) >> shift
        while tk[i] != 0:
            if tk[i] == x:
                out[n] = tc[i]
                break
            i = (i + np.uint64(1)) & mask
    return out


@jit
def _hash_less(tk: np.ndarray, tc: np.ndarray, bits: int, sh: np.ndarray, floor: int) -> int:
    # Decrements the count of each key of ``sh`` found; counts left at ``floor`` or below
    # become 1 (what a lookup of a key not in the table gives). Returns how many zeros.
    mask = np.uint64(tk.shape[0] - 1)
    shift = np.uint64(64 - bits)
    zeros = 0
    for n in range(sh.shape[0]):
        x = sh[n]
        if x == 0:
            zeros += 1
            continue
        i = (x * _MIX) >> shift
        while tk[i] != 0:
            if tk[i] == x:
                tc[i] -= 1
                break
            i = (i + np.uint64(1)) & mask
    for i in range(tk.shape[0]):
        if tk[i] != 0 and tc[i] <= floor:
            tc[i] = 1
    return zeros


class _Frequent:
    """The shingles seen more than ``DF_DAMP`` times and their counts, as a hash table
    (a lookup per token of every verified document: a binary search is several times
    slower). Any other shingle reads as 1."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self.bits = max(4, (2 * int(keys.shape[0])).bit_length())
        self.zero = int(counts[0]) if keys.shape[0] and keys[0] == 0 else 1  # keys are sorted
        self.keys, self.counts = _hash_build(keys, counts, self.bits)

    def __call__(self, sh: np.ndarray) -> np.ndarray:
        return _hash_lookup(self.keys, self.counts, self.bits, self.zero, sh)

    def less(self, sh: np.ndarray) -> None:
        """Take away one occurrence per item of ``sh``: the shingles of documents counted and
        then left out. A count that falls to ``DF_DAMP`` or below reads as 1, as it would
        had they never been counted (a shingle at or below it in all of them is so in the
        rest): the table becomes exactly that of the rest."""
        zeros = _hash_less(self.keys, self.counts, self.bits, sh, DF_DAMP)
        if self.zero > DF_DAMP:  # shingle 0 was frequent
            self.zero -= zeros
            if self.zero <= DF_DAMP:
                self.zero = 1


@jit
def _unit_df(token_df: np.ndarray, units: np.ndarray, base: np.ndarray, off: np.ndarray, k: int) -> np.ndarray:
    # Occurrences of each unit shingle, read off its token shingle (unit u's shingle s is
    # the token shingle at base[u] + units[u, 0] + s): no second lookup. A unit shorter
    # than k words is one shingle of its own width, rare by definition.
    out = np.ones(off[-1], dtype=np.int64)
    for u in range(units.shape[0]):
        a = base[u] + units[u, 0]
        n = units[u, 1] - units[u, 0] - k + 1
        for s in range(n):
            out[off[u] + s] = token_df[a + s]
    return out


@jit
def _unit_offsets(units: np.ndarray, k: int) -> np.ndarray:
    """``offsets`` of :class:`PassageUnits` from its units: a unit has ``len - k + 1``
    shingles, one if it is shorter than ``k`` (compiled: made for every document, where
    five small numpy steps cost 9 us)."""
    off = np.zeros(units.shape[0] + 1, dtype=np.int64)
    for u in range(units.shape[0]):
        ln = units[u, 1] - units[u, 0]
        off[u + 1] = off[u] + (ln - k + 1 if ln >= k else 1)
    return off


@dataclass(slots=True)
class _Signed:
    """Unit signatures on disk: per block of units, its columns in groups of ``rows`` (the
    LSH bands, then any columns left over), so one band is read without the others. A
    block is in the file of the process that signed it (``files[block]`` indexes ``fhs``),
    at the same place in each (the others have a hole there): see :func:`_sign_units`."""

    fhs: list[IO[bytes]]
    sizes: list[int]  # units per block
    files: list[int]
    num_perm: int
    rows: int

    @property
    def groups(self) -> int:
        return -(-self.num_perm // self.rows)

    def group(self, g: int, buf: np.ndarray | None = None) -> np.ndarray:
        """Columns ``g * rows`` onwards of every unit's signature, ``(units, width)``; read
        into ``buf`` (``uint32``, room for ``units * rows``) when given."""
        c0 = g * self.rows
        width = min(self.rows, self.num_perm - c0)
        units = sum(self.sizes)
        out = np.empty((units, width), dtype=np.uint32) if buf is None else buf[: units * width].reshape(units, width)
        base = u0 = 0
        fds = [fh.fileno() for fh in self.fhs]
        for n, f in zip(self.sizes, self.files, strict=True):
            pread_into(fds[f], out[u0 : u0 + n], base + n * c0 * 4)  # read in place: no copy
            base += n * self.num_perm * 4
            u0 += n
        return out

    def truncate(self) -> None:
        """Give the files' disk back (the signatures are read no more)."""
        for fh in self.fhs:
            fh.truncate(0)


_SCAN_LAYOUT = (np.uint64, np.int32, np.int32, np.int32, np.uint8)
_STATE_LAYOUT = (np.uint64, np.uint64, np.int64, np.int64, np.int32, np.int32, np.int32, np.uint8, np.uint8)
_SCAN_HEAD = 8 * len(_SCAN_LAYOUT)  # bytes of the sizes that start a scan blob (:func:`_pack`)
_STATE_HEAD = 8 * len(_STATE_LAYOUT)  # and a state blob


def _pack(arrays: Sequence[np.ndarray]) -> bytes:
    """Arrays as one blob: their sizes, then their bytes (widest items first, so every
    array of :func:`_unpack` is aligned)."""
    head = np.array([a.size for a in arrays], dtype=np.int64).tobytes()
    return head + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)


def _unpack(blob: bytes, layout: Sequence[type[np.generic]]) -> list[np.ndarray]:
    sizes = np.frombuffer(blob, dtype=np.int64, count=len(layout)).tolist()
    at = 8 * len(layout)
    out = []
    for size, dtype in zip(sizes, layout, strict=True):
        out.append(np.frombuffer(blob, dtype=dtype, count=size, offset=at))
        at += size * np.dtype(dtype).itemsize
    return out


def _scan_blob(tokens: Tokens, units: np.ndarray) -> bytes:
    """A document's packed units: token keys, starts and ends, units, flags. Neither the
    token shingles (a hash of each run of ``shingle`` keys, :func:`_token_shingles`) nor
    the unit shingles (the token shingles each unit covers, and one of its own for a unit
    shorter than a shingle, :func:`_unit_shingles`): both are cheaper to make again from
    the keys where they are needed than to write and read back. The token shingles were
    a third of the blob: 100 MB written and read back twice at 20,000 documents, against
    hashing them twice (where counted, where signed), about 0.03 s each time
    (:func:`_roll_shingles`)."""
    return _pack((tokens.keys, tokens.starts, tokens.ends, units, tokens.flags))


def park_units(docs: Sequence[Document], cfg: PassageConfig, spill: TextSpill) -> None:
    """Make the passage units of each kept document (:func:`passage_units`) and park them,
    packed, in ``spill``, under ``doc.work[UNITS_KEY]``.

    Per document, so the pipeline runs it in its workers right after the final text is
    made: :func:`find_passages` then reads the packed units instead of tokenising every
    text again in one process. Units of a document that turns out a duplicate are unused.
    """
    todo = [d for d in docs if d.status == "kept" and d.text]
    blobs = []
    for d in todo:
        blobs.append(_scan_blob(*_tokens_and_units(d.text, cfg)))
    refs = spill.write_all(blobs)
    settings = _unit_settings(cfg)
    for d, ref in zip(todo, refs, strict=True):
        d.work[UNITS_KEY] = (ref, settings)


def _unit_settings(cfg: PassageConfig) -> tuple[int, int]:
    return cfg.shingle, min(UNIT_MIN, cfg.min_words)


def _parked_units(doc: Document, cfg: PassageConfig) -> Parked | None:
    """Where :func:`park_units` put ``doc``'s units, if it did with these settings; the
    handle is taken out of ``doc.work``."""
    return _units_ref(doc.work.pop(UNITS_KEY, None), _unit_settings(cfg))


def _units_ref(got: tuple[Parked, tuple[int, int]] | None, settings: tuple[int, int]) -> Parked | None:
    """The handle in a ``doc.work[UNITS_KEY]`` entry, if its units were made with ``settings``."""
    return got[0] if got is not None and got[1] == settings else None


def _scan_units(
    sel: Sequence[Document], cfg: PassageConfig, scratch: _Scratch
) -> tuple[np.ndarray, np.ndarray, IO[bytes], _Counts]:
    """Packed tokens and units of every document (in ``sel`` order): those parked by
    :func:`park_units` where they are, the others made here and written to a scratch file;
    their shingles counted. Returns units per document, where each blob is (``(fd, offset,
    size)`` rows), the scratch file, the counts."""
    counts = _Counts(scratch)
    fh = scratch.new()
    n_units = np.zeros(len(sel), dtype=np.int64)
    where = np.zeros((len(sel), 3), dtype=np.int64)
    at = 0
    for i, d in enumerate(sel):
        ref = _parked_units(d, cfg)
        if ref is not None:
            fd = ref.spill.fileno()
            where[i] = (fd, ref.offset, ref.size)
            n_units[i] = _count_parked(counts, fd, ref.offset, cfg.shingle)
        else:
            tokens, units, token_shingles = _scan_arrays(d, cfg)
            blob = _scan_blob(tokens, units)
            fh.write(blob)
            where[i] = (fh.fileno(), at, len(blob))
            at += len(blob)
            n_units[i] = units.shape[0]
            counts.add(token_shingles)
    fh.flush()
    return n_units, where, fh, counts


def _count_parked(counts: _Counts, fd: int, at: int, shingle: int) -> int:
    """Count the token shingles of the parked scan blob at ``at``; return its units. Only
    the sizes and the keys are read: signing reads the whole blob later."""
    sizes = _scan_sizes(fd, at)
    counts.add(_token_shingles_at(fd, at, sizes, shingle))
    return int(sizes[3]) // 2


def _scan_sizes(fd: int, at: int) -> np.ndarray:
    return np.frombuffer(pread_exact(fd, _SCAN_HEAD, at), dtype=np.int64)


def _token_shingles_at(fd: int, at: int, sizes: np.ndarray, shingle: int) -> np.ndarray:
    # Read into a writable array: the kernel is loaded for those only (a read-only one
    # would load a second compiled version of it in each process, on its first call).
    keys = np.empty(int(sizes[0]), dtype=np.uint64)
    pread_into(fd, keys, at + _SCAN_HEAD)
    return _token_shingles(keys, shingle)


def _parked_rows(sel: Sequence[Document], cfg: PassageConfig) -> np.ndarray | None:
    """``(fd, offset, size)`` of every document's parked units (taken out of ``doc.work``),
    or ``None`` (and nothing taken) unless all of them have units parked with these
    settings."""
    # The helper waits for these rows, so they are made in a few plain passes: 0.05 s
    # at 20,000 documents, against 0.09 s through _parked_units and a list of tuples.
    settings = _unit_settings(cfg)
    refs = [r for d in sel if (r := _units_ref(d.work.get(UNITS_KEY), settings)) is not None]
    if len(refs) < len(sel):
        return None
    for d in sel:
        del d.work[UNITS_KEY]
    rows = np.empty((len(refs), 3), dtype=np.int64)
    for col, values in enumerate(((r.spill.fileno() for r in refs), (r.offset for r in refs), (r.size for r in refs))):
        rows[:, col] = np.fromiter(values, dtype=np.int64, count=len(refs))
    return rows


def scan_parked(
    rows: np.ndarray, shingle: int, scratch_dir: Path | str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units per document and the token shingles (of ``shingle`` words) seen more than
    ``DF_DAMP`` times (sorted, with their counts) of the parked scan blobs at ``rows``
    (:func:`_parked_rows`).

    A function of arrays and open files only, to be run by another process while this one
    deduplicates (:func:`find_passages` with ``helper``): one forked before or early in the
    reading, so it holds a copy of few of the records' pages. Unlike the count in this
    process, it gives back what it frees as it goes: it runs beside deduplication, the
    run's peak, and keeping its freed blocks gave the 100,000-document tree 564 MiB against
    557-561 without (iteration 30; 600 MB is the bound), for less than a fifth of a second
    of CPU that runs beside deduplication anyway.
    """
    scratch = _Scratch(scratch_dir)
    try:
        counts = _Counts(scratch)
        with reusing_freed_blocks():
            n_units = np.array([_count_parked(counts, fd, at, shingle) for fd, at, _ in rows.tolist()], dtype=np.int64)
        return (n_units, *counts.over(DF_DAMP))
    finally:
        scratch.close()


def _scan_alongside(
    rows: np.ndarray, shingle: int, job: Callable[[], object], helper: Executor, scratch_dir: Path | str | None
) -> tuple[np.ndarray, _Frequent]:
    """:func:`scan_parked` of ``rows`` in ``helper`` while ``job`` runs here (in this process
    after it if the helper has died); the helper is then let go, without waiting for its
    process to end (it ends, and its memory is given back, as this one goes on). On an
    error (or Ctrl-C) it is left to its owner to stop, without waiting for its count."""
    try:
        future = helper.submit(scan_parked, rows, shingle, scratch_dir)
    except BrokenProcessPool:
        future = None
    job()
    try:
        if future is None:
            raise BrokenProcessPool
        n_units, keys, counts = future.result()
    except BrokenProcessPool:
        n_units, keys, counts = scan_parked(rows, shingle, scratch_dir)
    helper.shutdown(wait=False, cancel_futures=True)
    return n_units, _Frequent(keys, counts)


def warm_units(cfg: PassageConfig) -> None:
    """Load the compiled kernels :func:`park_units` runs (tokens and units; the shingles
    are hashed where they are counted and signed), before the workers fork and inherit
    them. Not all of :func:`passage_units`: the rest (0.02 s) would load in the main
    process while the other core waits for the fork; the corpus stages load it later."""
    _tokens_and_units("a few words that make the unit kernels load", cfg)


def warm_scan() -> None:
    """Load the compiled kernels :func:`scan_parked` runs, before it is needed (the
    pipeline does this before it forks the helper process, which inherits them)."""
    _token_shingles(np.arange(1, 4, dtype=np.uint64), 2)
    _count_over(np.arange(1, 4, dtype=np.uint64), 0)
    _partition(np.arange(1, 4, dtype=np.uint64), 2)


def _release(where: np.ndarray) -> None:
    """Give back the disk under the scan blobs at ``where`` (``(fd, offset, size)`` rows),
    which nothing reads again (:func:`~corpuskit.spill.release_ranges`)."""
    for fd in np.unique(where[:, 0]).tolist():
        mine = where[:, 0] == fd
        release_ranges(fd, where[mine, 1], where[mine, 2])


def _token_shingles_of(where: np.ndarray, shingle: int) -> np.ndarray:
    """The token shingles of the scan blobs at ``where`` (``(fd, offset, size)`` rows), joined."""
    pieces = [_token_shingles_at(fd, at, _scan_sizes(fd, at), shingle) for fd, at, _ in where.tolist()]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)


@jit
def _gather(
    buf: np.ndarray, at: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # The scan blobs (:func:`_scan_blob`) at 8-aligned offsets ``at`` of ``buf``, their
    # arrays joined across documents, with the token shingles of ``k`` words made again;
    # ``counts[i]``: document i's keys, token shingles, starts, ends, units, flags.
    n = at.shape[0]
    counts = np.empty((n, 6), dtype=np.int64)
    for i in range(n):
        c = buf[at[i] : at[i] + _SCAN_HEAD].view(np.int64)
        counts[i, 0] = c[0]
        counts[i, 1] = max(c[0] - k + 1, 0)
        counts[i, 2:] = c[1:]
    tot = counts.sum(axis=0)
    keys = np.empty(tot[0], dtype=np.uint64)
    ts = np.empty(tot[1], dtype=np.uint64)
    starts = np.empty(tot[2], dtype=np.int32)
    ends = np.empty(tot[3], dtype=np.int32)
    units = np.empty(tot[4], dtype=np.int32)
    flags = np.empty(tot[5], dtype=np.uint8)
    w = np.zeros(6, dtype=np.int64)
    for i in range(n):
        c = counts[i]
        p = _take(keys, w[0], c[0], buf, at[i] + _SCAN_HEAD)
        _roll_shingles(keys[w[0] : w[0] + c[0]], k, ts, w[1])
        p = _take(starts, w[2], c[2], buf, p)
        p = _take(ends, w[3], c[3], buf, p)
        p = _take(units, w[4], c[4], buf, p)
        _take(flags, w[5], c[5], buf, p)
        w += c
    return keys, ts, starts, ends, units, flags, counts


@jit
def _unit_shingles(
    keys: np.ndarray, ts: np.ndarray, units: np.ndarray, sizes: np.ndarray, off: np.ndarray, k: int
) -> np.ndarray:
    # The unit shingles of documents whose tokens' keys, token shingles and units are
    # joined (``sizes[i]``: document i's count of each; ``off``: :func:`_unit_offsets` over
    # all their units). A unit's shingles are the token shingles starting in it and ending
    # inside it; a unit shorter than k words is one shingle of all its words.
    sh = np.empty(off[-1], dtype=np.uint64)
    t0 = s0 = u0 = 0
    for i in range(sizes.shape[0]):
        nu = sizes[i, 2]
        for u in range(u0, u0 + nu):
            a = units[u, 0]
            ln = units[u, 1] - a
            if ln >= k:
                sh[off[u] : off[u + 1]] = ts[s0 + a : s0 + a + ln - k + 1]
            else:
                sh[off[u]] = _shingle(keys, t0 + a, ln)
        t0 += sizes[i, 0]
        s0 += sizes[i, 1]
        u0 += nu
    return sh


@jit
def _take(dst: np.ndarray, w: int, n: int, buf: np.ndarray, p: int) -> int:
    # Copy ``n`` items of ``dst``'s type from ``buf``'s bytes at ``p`` into ``dst`` at ``w``;
    # return the end in ``buf`` (the inverse of :func:`_put`).
    nb = n * dst.itemsize
    dst[w : w + n] = buf[p : p + nb].view(dst.dtype)
    return p + nb


@jit
def _put(out: np.ndarray, p: int, a: np.ndarray) -> int:
    # Copy ``a``'s bytes into ``out`` at ``p``; return the end.
    nb = a.shape[0] * a.itemsize
    out[p : p + nb] = a.view(np.uint8)
    return p + nb


@jit
def _pack_states(
    keys: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    units: np.ndarray,
    flags: np.ndarray,
    counts: np.ndarray,
    token_rare: np.ndarray,
    rare_sh: np.ndarray,
    rare_off: np.ndarray,
    barrier: int,
) -> tuple[np.ndarray, np.ndarray]:
    # Each document's verification state (``_STATE_LAYOUT``, read by :class:`_DocCache`):
    # sizes, then keys, distinctive unit shingles, their per-unit offsets, paragraph
    # starts, token starts and ends, units, flags, per-token distinctiveness; each blob
    # padded to 8 bytes. Returns the blobs joined and where each starts (n + 1 offsets).
    n = counts.shape[0]
    sizes = np.empty((n, 9), dtype=np.int64)
    at = np.zeros(n + 1, dtype=np.int64)
    t0 = u0 = 0
    for i in range(n):
        nt, nu = counts[i, 0], counts[i, 4] // 2
        npara = 1
        for j in range(t0, t0 + nt):
            if flags[j] & barrier:
                npara += 1
        nrs = rare_off[u0 + nu] - rare_off[u0]
        sizes[i] = (nt, nrs, nu + 1, npara, nt, nt, 2 * nu, nt, nt)
        nbytes = _STATE_HEAD + 8 * (nt + nrs + nu + 1 + npara) + 4 * (2 * nt + 2 * nu) + 2 * nt
        at[i + 1] = at[i] + (nbytes + 7) // 8 * 8
        t0 += nt
        u0 += nu
    out = np.zeros(at[n], dtype=np.uint8)
    t0 = u0 = s0 = 0
    for i in range(n):
        nt, nts, nu = counts[i, 0], counts[i, 1], counts[i, 4] // 2
        p = _put(out, at[i], sizes[i])
        p = _put(out, p, keys[t0 : t0 + nt])
        p = _put(out, p, rare_sh[rare_off[u0] : rare_off[u0 + nu]])
        p = _put(out, p, rare_off[u0 : u0 + nu + 1] - rare_off[u0])
        paras = np.empty(sizes[i, 3], dtype=np.int64)
        m = 0
        for j in range(nt):
            if flags[t0 + j] & barrier:
                paras[m] = j
                m += 1
        paras[m] = nt
        p = _put(out, p, paras)
        p = _put(out, p, starts[t0 : t0 + nt])
        p = _put(out, p, ends[t0 : t0 + nt])
        p = _put(out, p, units[2 * u0 : 2 * (u0 + nu)])
        p = _put(out, p, flags[t0 : t0 + nt])
        for j in range(nt):
            out[p + j] = token_rare[s0 + j] if j < nts else 1
        t0 += nt
        u0 += nu
        s0 += nts
    return out, at


def _sign_units(
    where: np.ndarray,
    n_units: np.ndarray,
    freq: _Frequent,
    df_common: int,
    cfg: PassageConfig,
    scratch: _Scratch,
    procs: int,
    unread: np.ndarray | None = None,
) -> tuple[_Signed, list[IO[bytes]], np.ndarray, np.ndarray]:
    """Frequency-damped MinHash of every unit, written by column groups (:class:`_Signed`),
    and each document's verification state (:class:`_DocState`) packed to other files.

    Damping: a shingle in df > DF_DAMP documents takes part in each permutation with
    probability DF_DAMP / df (as a threshold on a second hash; all ones = always).
    Returns the signatures, the state files, each document's state blob (``[start, end)``
    byte offsets and the index of its file) and, per unit, whether it has
    :data:`MIN_SHARED_SHINGLES` distinctive shingles. Blocks of documents are signed in
    ``procs`` processes forked for it (what a block computes is a few dozen numpy and
    compiled steps, and threads ran them 1.5 times as fast as one, processes twice). Every block's place in both files is known
    before it starts: its signatures go where its first unit says, its states to a region
    reserved for it (:func:`_state_bound`; the file has holes), so a block is written
    where it is computed and sends back only offsets. Each process writes files of its own
    (:func:`~corpuskit.forked.fork_slot`), with the others' blocks as holes: two processes
    writing to one file queue on its lock, and the one waiting spins on a core (ext4;
    0.34 of 16.2 CPU seconds in a two-worker run of 20,000 documents, ``perf``, where
    the host was slow to hand over fresh pages). Once a block is signed, the disk
    under its scan blobs is given back (:func:`_release`): while the signatures and states
    grow, the blobs shrink, and the run's disk peaks lower (1,071 -> 726 MiB at 20,000
    documents). Those at ``unread`` (rows like ``where``'s, of documents nobody reads any
    more) go with the first block, not before: the process that is still between phases
    would wait for that.
    """
    perms = _permutations(cfg.num_perm)
    k = cfg.shingle
    _, rows = recall_params(cfg.threshold, cfg.num_perm, recall=LSH_RECALL)

    def blocks() -> Iterator[tuple[int, int, int]]:
        """Runs of documents with about _SIGN_BLOCK units: (first document, end, first unit)."""
        start = n = u0 = 0
        for i, nu in enumerate(n_units.tolist()):
            n += nu
            if n >= _SIGN_BLOCK:
                yield start, i + 1, u0
                start, u0, n = i + 1, u0 + n, 0
        if start < where.shape[0]:
            yield start, where.shape[0], u0

    tasks = list(blocks())
    slots = max(1, min(procs, len(tasks)))  # fork_map's children
    signed = _Signed([scratch.new() for _ in range(slots)], [], [], cfg.num_perm, rows)
    state_fhs = [scratch.new() for _ in range(slots)]
    sig_fds, state_fds = [fh.fileno() for fh in signed.fhs], [fh.fileno() for fh in state_fhs]
    region_end = np.cumsum(_state_bound(where[:, 2]))  # each document's region, in its state file

    def sign(task: tuple[int, int, int]) -> tuple[int, np.ndarray, np.ndarray, int]:
        d0, d1, u0 = task
        slot = fork_slot()
        block = where[d0:d1]
        at = np.zeros(block.shape[0] + 1, dtype=np.int64)
        np.cumsum((block[:, 2] + 7) // 8 * 8, out=at[1:])
        buf = np.empty(int(at[-1]), dtype=np.uint8)
        for (fd, off, size), a in zip(block.tolist(), at[:-1].tolist(), strict=True):
            pread_into(fd, buf[a : a + size], off)
        keys, ts, starts, ends, units_flat, flags, counts = _gather(buf, at[:-1], k)
        del buf
        units = units_flat.reshape(-1, 2)
        off = _unit_offsets(units, k)
        n_ts, n_u = counts[:, 1], counts[:, 4] // 2
        sh = _unit_shingles(keys, ts, units, np.stack([counts[:, 0], n_ts, n_u], axis=1), off, k)
        token_df = freq(ts)
        # Where each document's token shingles start in ``token_df``, per unit.
        base = np.repeat(np.cumsum(n_ts) - n_ts, n_u)
        df = _unit_df(token_df, units, base, off, k)
        keep = np.full(sh.shape[0], np.iinfo(np.uint64).max, dtype=np.uint64)
        damped = df > DF_DAMP
        keep[damped] = (DF_DAMP / df[damped] * 2.0**64).astype(np.uint64)
        sigs = _minhash(sh, keep, off, perms)
        del keep
        nu = sigs.shape[0]
        for g in range(signed.groups):
            cols = np.ascontiguousarray(sigs[:, g * rows : (g + 1) * rows])
            pwrite_all(sig_fds[slot], cols, (u0 * cfg.num_perm + nu * g * rows) * 4)
        rare_sh, rare_off = _sorted_by_unit(sh, df <= df_common, off)
        states, states_at = _pack_states(
            keys, starts, ends, units_flat, flags, counts, token_df <= df_common, rare_sh, rare_off, BARRIER
        )
        s0 = int(region_end[d0 - 1]) if d0 else 0
        assert s0 + states.shape[0] <= region_end[d1 - 1], "state blobs outgrew their region"
        pwrite_all(state_fds[slot], states, s0)
        return nu, states_at + s0, np.diff(rare_off) >= MIN_SHARED_SHINGLES, slot

    state_at = np.zeros((where.shape[0], 3), dtype=np.int64)
    live: list[np.ndarray] = []

    first = True

    def signed_block(i: int) -> None:
        nonlocal first
        _release(where[tasks[i][0] : tasks[i][1]])  # nothing reads a block's scan blobs again
        if first and unread is not None:
            _release(unread)
        first = False

    results = fork_map(sign, tasks, procs, on_result=signed_block)
    if unread is not None and unread.shape[0]:
        # A block of the file shared by a blob given back on its own and a neighbour goes
        # only when both are given back at once.
        _release(np.concatenate([where, unread]))
    for (d0, _, _), (nu, states_at, block_live, slot) in zip(tasks, results, strict=True):
        live.append(block_live)
        signed.sizes.append(nu)
        signed.files.append(slot)
        d1 = d0 + states_at.shape[0] - 1
        state_at[d0:d1, 0] = states_at[:-1]
        state_at[d0:d1, 1] = states_at[1:]
        state_at[d0:d1, 2] = slot
    return signed, state_fhs, state_at, np.concatenate(live) if live else np.zeros(0, dtype=bool)


def _state_bound(scan_bytes: np.ndarray) -> np.ndarray:
    """Bytes a document's state blob may take, from its scan blob's size: at most four
    times that, plus the state head and padding. (A scan blob of nt tokens, nts token
    shingles and nu units takes 17nt + 8nts + 8nu bytes past its head; the state
    26nt + 8nrs + 16nu + 16 at most past its own, with at most nt + 1 paragraph starts and
    nrs <= nsh distinctive shingles, where the nsh unit shingles number at most 2nt + nu:
    a long unit's windows, 16 tokens every 8, hold at most twice its tokens, and a unit
    shorter than a shingle has one. Three times would do; a loose bound costs no disk, as
    the file has holes.)"""
    return (4 * scan_bytes + _STATE_HEAD + 16 + 7) // 8 * 8


@jit
def _set_add(table: np.ndarray, bits: int, keys: np.ndarray, start: int, count: int, limit: int) -> tuple[int, int]:
    # Insert keys[start:] (never 0: 0 marks an empty slot) until ``count`` reaches ``limit``;
    # returns where it stopped and the new count.
    mask = np.uint64(table.shape[0] - 1)
    shift = np.uint64(64 - bits)
    for k in range(start, keys.shape[0]):
        if count >= limit:
            return k, count
        x = np.uint64(keys[k])
        i = (x * _MIX) >> shift
        while True:
            t = table[i]
            if t == 0:
                table[i] = x
                count += 1
                break
            if t == x:
                break
            i = (i + np.uint64(1)) & mask
    return keys.shape[0], count


class _PairSet:
    """Distinct pair keys (``lo * n + hi``, never 0), as an open-addressing hash set.

    Every band of a widely shared unit yields the same pairs again; a set keeps each once
    as the bands go by (memory: the distinct pairs, not bands times them).
    """

    def __init__(self) -> None:
        self.bits = 16
        self.table = np.zeros(1 << self.bits, dtype=np.uint64)
        self.count = 0

    def add(self, keys: np.ndarray) -> None:
        at = 0
        while at < keys.shape[0]:
            limit = int(0.6 * self.table.shape[0])
            at, self.count = _set_add(self.table, self.bits, keys, at, self.count, limit)
            if self.count >= limit:
                old = self.table[self.table != 0]
                self.bits += 1
                self.table = np.zeros(1 << self.bits, dtype=np.uint64)
                _, self.count = _set_add(self.table, self.bits, old, 0, 0, old.shape[0] + 1)

    def sorted(self) -> np.ndarray:
        out = self.table[self.table != 0]
        self.table = np.zeros(0, dtype=np.uint64)
        out.sort()
        return out.view(np.int64)  # keys are < 2**63


@jit
def _band_key(cols: np.ndarray, u: int, band: int) -> np.uint64:
    # :func:`corpuskit.lsh.band_keys` of unit ``u``'s columns.
    h = _FNV_OFFSET ^ np.uint64(band)
    for c in range(cols.shape[1]):
        h = (h ^ np.uint64(cols[u, c])) * _FNV_PRIME
    return _fmix(h)


@jit
def _band_keys_with_ids(
    cols: np.ndarray, band: int, bits: int, live: np.ndarray, once: np.ndarray, twice: np.ndarray
) -> np.ndarray:
    # Band keys (bucket above ``bits``, unit id in the low ``bits``) of the ``live`` units
    # that may share their bucket: a first pass marks buckets seen twice in a bit filter
    # (exact for the buckets that are shared, a few singletons slip through), so the sort
    # that follows sees a fraction of the units. A unit alone in its bucket pairs with none.
    # ``once`` and ``twice`` are the filters' bytes (:func:`~corpuskit.lsh._filter_bits`),
    # cleared here.
    low = np.uint64((1 << bits) - 1)
    fshift = _filter_shift(once)
    once[:] = 0
    twice[:] = 0
    for u in range(cols.shape[0]):
        if live[u]:
            f = (_band_key(cols, u, band) & ~low) >> fshift
            byte, bit = f >> np.uint64(3), np.uint8(1) << np.uint8(f & np.uint64(7))
            if once[byte] & bit:
                twice[byte] |= bit
            once[byte] |= bit
    m = 0
    for u in range(cols.shape[0]):
        if live[u] and _has_bit(twice, (_band_key(cols, u, band) & ~low) >> fshift):
            m += 1
    out = np.empty(m, dtype=np.uint64)
    w = 0
    for u in range(cols.shape[0]):
        if live[u]:
            h = _band_key(cols, u, band) & ~low
            if _has_bit(twice, h >> fshift):
                out[w] = h | np.uint64(u)
                w += 1
    return out


@jit
def _add_agreeing(cols: np.ndarray, lo: np.ndarray, hi: np.ndarray, out: np.ndarray) -> None:
    # out[k] += how many of ``cols``' columns pair k (units lo[k], hi[k]) agrees on
    for k in range(lo.shape[0]):
        a = lo[k]
        b = hi[k]
        c = 0
        for j in range(cols.shape[1]):
            if cols[a, j] == cols[b, j]:
                c += 1
        out[k] += c


class _Buffers:
    """What each thread of :func:`_candidate_pairs` works in, used again for every band:
    one group's columns and, with ``filters``, a band's two bit filters
    (:func:`_band_keys_with_ids`). This process maps every large array anew
    (:func:`~corpuskit.memory.map_large_blocks`), and fresh arrays for each band cost a page
    fault per 4 KiB written: 72,000 faults at 20,000 documents, a third of the step's time
    (and the two threads faulted on one address space at once). ``take`` hands out a set
    no other thread holds; the sets are let go when the ``with`` block ends, before the
    step's largest arrays (the pairs) are made."""

    def __init__(self, signed: _Signed, sets: int, *, filters: bool) -> None:
        units = sum(signed.sizes)
        nbytes = (1 << _filter_bits(units)) >> 3 if filters else 0
        self.free: queue.SimpleQueue[tuple[np.ndarray, np.ndarray, np.ndarray]] = queue.SimpleQueue()
        for _ in range(sets):
            cols = np.empty(units * signed.rows, dtype=np.uint32)
            self.free.put((cols, np.empty(nbytes, dtype=np.uint8), np.empty(nbytes, dtype=np.uint8)))

    def __enter__(self) -> _Buffers:
        return self

    def __exit__(self, *exc: object) -> None:
        while not self.free.empty():
            self.free.get()

    @contextlib.contextmanager
    def take(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        held = self.free.get()
        try:
            yield held
        finally:
            self.free.put(held)


@jit
def _split_pairs(flat: np.ndarray, n: int, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Pair keys ``lo * n + hi`` as two id arrays of ``like``'s type (half the memory of int64).
    lo = np.empty(flat.shape[0], dtype=like.dtype)
    hi = np.empty(flat.shape[0], dtype=like.dtype)
    for k in range(flat.shape[0]):
        lo[k] = flat[k] // n
        hi[k] = flat[k] % n
    return lo, hi


def _agreeing(signed: _Signed, lo: np.ndarray, hi: np.ndarray, threads: int) -> np.ndarray:
    """How many signature values each pair ``(lo[k], hi[k])`` agrees on, a column group at a
    time; each thread adds its groups to a count of its own (``uint16``: num_perm <= 512)."""
    counts: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
    for _ in range(max(1, threads)):
        counts.put(np.zeros(lo.shape[0], dtype=np.uint16))
    with _Buffers(signed, max(1, threads), filters=False) as buffers:

        def add_group(g: int) -> None:
            with buffers.take() as (cols, _, _):
                mine = counts.get()
                _add_agreeing(signed.group(g, cols), lo, hi, mine)
                counts.put(mine)

        for _ in thread_map(add_group, range(signed.groups), threads):
            pass
    total = counts.get()
    while not counts.empty():
        total += counts.get()
    return total


def _candidate_pairs(
    signed: _Signed, unit_doc: np.ndarray, live: np.ndarray, cfg: PassageConfig, scratch: _Scratch, threads: int
) -> np.ndarray:
    """Candidate unit pairs ``(k, 2)`` (global unit ids, ``lo < hi``) from the LSH bands.

    Banding is tuned for recall. A pair must then agree on enough signature values (units
    sharing only a name or a stock phrase fail; the distinctive-shingle check follows when
    the documents' tokens are at hand; a unit with fewer than :data:`MIN_SHARED_SHINGLES`
    distinctive shingles, not ``live``, can never pass it and takes no part). One band is in
    memory at a time.
    """
    nunits = unit_doc.shape[0]
    if nunits < 2:
        return np.zeros((0, 2), dtype=np.int64)
    bands = recall_params(cfg.threshold, cfg.num_perm, recall=LSH_RECALL)[0]
    bits = max(1, int(nunits - 1).bit_length())
    # Most banded pairs fail the agreement check; on a large batch they are found in
    # passes (by ``lo`` modulo the passes), so the set of distinct pairs stays small.
    passes = -(-nunits // _PAIR_PASS_UNITS)
    id_type = np.zeros(0, dtype=np.int32 if nunits < 2**31 else np.int64)

    def band_keys(band: int, buffers: _Buffers) -> np.ndarray:
        # The unit id in the low bits makes every key distinct, so a plain sort gives
        # one deterministic order (units by id within a bucket).
        with buffers.take() as (cols, once, twice):
            keys = _band_keys_with_ids(signed.group(band, cols), band, bits, live, once, twice)
        keys.sort()
        return keys

    stored_keys: Callable[[int], np.ndarray] | None = None
    if passes > 1:
        # Each band's sorted keys are made once and every pass reads them back: hashing
        # and sorting every unit again per pass made the bands cost passes times more.
        fh = scratch.new()
        where: list[tuple[int, int]] = []
        at = 0
        with _Buffers(signed, max(1, threads), filters=True) as buffers:
            for keys in thread_map(lambda band: band_keys(band, buffers), range(bands), threads):
                pwrite_all(fh.fileno(), keys, at)
                where.append((at, keys.shape[0]))
                at += keys.nbytes

        def read_keys(band: int) -> np.ndarray:
            keys = np.empty(where[band][1], dtype=np.uint64)
            pread_into(fh.fileno(), keys, where[band][0])
            return keys

        stored_keys = read_keys

    kept: list[tuple[np.ndarray, np.ndarray]] = []
    for part in range(passes):
        found = _PairSet()
        with _Buffers(signed, max(1, threads) if stored_keys is None else 0, filters=True) as buffers:

            def band_pairs(band: int, part: int = part, buffers: _Buffers = buffers) -> np.ndarray:
                keys = band_keys(band, buffers) if stored_keys is None else stored_keys(band)
                return _bucket_pairs(keys, bits, unit_doc, BUCKET_CAP, nunits, part, passes)

            for pairs in thread_map(band_pairs, range(bands), threads):
                found.add(pairs)
        flat = found.sorted()  # each pair once
        del found
        lo, hi = _split_pairs(flat, nunits, id_type)
        del flat
        agree = _agreeing(signed, lo, hi, threads)
        keep = agree >= ESTIMATE_SHARE * cfg.threshold * cfg.num_perm
        kept.append((lo[keep], hi[keep]))
        del lo, hi, agree
    pairs = np.stack([np.concatenate([k[0] for k in kept]), np.concatenate([k[1] for k in kept])], axis=1)
    if passes > 1:  # back to the order of one pass: by lo, then hi
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return pairs.astype(np.int64)


# ---------------------------------------------------------------------------------------
# per-document state for verification, computed again when needed (bounded cache)
# ---------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _DocState:
    """What verification and grouping need of one document: its tokens, paragraph starts,
    units, and which shingles are distinctive (per token; per unit, sorted)."""

    tokens: Tokens
    paragraphs: np.ndarray
    units: np.ndarray
    rare: np.ndarray  # per token: the shingle starting there is not common (True past the end)
    rare_sh: np.ndarray  # per unit u: rare_sh[rare_off[u]:rare_off[u + 1]], sorted
    rare_off: np.ndarray
    nbytes: int


class _DocCache:
    """:class:`_DocState` by document index, read back from the state files at ``at[i]``
    (``[start, end)`` in file ``fhs[at[i, 2]]``, :func:`_sign_units`); memory holds the
    most recently used, up to ``budget`` bytes (``_CACHE_BYTES``; a share of it in each forked process)."""

    def __init__(self, sel: Sequence[Document], fhs: Sequence[IO[bytes]], at: np.ndarray) -> None:
        self.sel = sel
        self.fds = [fh.fileno() for fh in fhs]
        self.at = at
        self.lru: OrderedDict[int, _DocState] = OrderedDict()
        self.nbytes = 0
        self.budget = _CACHE_BYTES

    def forked_map(self, fn: Callable[[T], R], tasks: Sequence[T], procs: int) -> list[R]:
        """:func:`fork_map` of work that reads this cache: the processes split its memory
        budget, so the run holds no more verification state than with one."""
        self.budget = max(1, _CACHE_BYTES // procs)
        try:
            return fork_map(fn, tasks, procs)
        finally:
            self.budget = _CACHE_BYTES

    def __getitem__(self, i: int) -> _DocState:
        st = self.lru.get(i)
        if st is not None:
            self.lru.move_to_end(i)
            return st
        a, b, f = self.at[i].tolist()
        keys, rare_sh, rare_off, paras, starts, ends, units, flags, rare = _unpack(
            pread_exact(self.fds[f], b - a, a), _STATE_LAYOUT
        )
        st = _DocState(
            Tokens(starts, ends, keys, flags), paras, units.reshape(-1, 2), rare.view(bool), rare_sh, rare_off, b - a
        )
        self.lru[i] = st
        self.nbytes += st.nbytes
        while self.nbytes > self.budget and len(self.lru) > 1:
            self.nbytes -= self.lru.popitem(last=False)[1].nbytes
        return st


# ---------------------------------------------------------------------------------------
# candidates: frequency-damped MinHash + banding
# ---------------------------------------------------------------------------------------


@jit
def _minhash(sh: np.ndarray, keep: np.ndarray, off: np.ndarray, perms: np.ndarray) -> np.ndarray:
    nu = off.shape[0] - 1
    p = perms.shape[1]
    top = np.uint64(0xFFFFFFFFFFFFFFFF)
    out = np.empty((nu, p), dtype=np.uint32)
    best_in = np.empty(p, dtype=np.uint64)
    best_all = np.empty(p, dtype=np.uint64)
    mul, mask, sample_mul, sample_mask = perms[0].copy(), perms[1].copy(), perms[2].copy(), perms[3].copy()
    for u in range(nu):
        for j in range(p):
            best_in[j] = top
            best_all[j] = top
        for s in range(off[u], off[u + 1]):
            x0 = sh[s]
            k = keep[s]
            if k == top:
                # Every permutation takes this shingle: a plain minimum, with no branch
                # (the loop compiles to vector code). ``best_all`` is only read where
                # ``best_in`` stayed empty, which a shingle taken everywhere rules out.
                for j in range(p):
                    x = (x0 ^ mask[j]) * mul[j]
                    best_in[j] = x if x < best_in[j] else best_in[j]
            else:
                for j in range(p):
                    x = (x0 ^ mask[j]) * mul[j]
                    best_all[j] = x if x < best_all[j] else best_all[j]
                    if x < best_in[j] and (x0 ^ sample_mask[j]) * sample_mul[j] < k:
                        best_in[j] = x
        for j in range(p):
            # A unit whose every shingle sat this permutation out keeps its plain minimum.
            b = best_in[j] if best_in[j] != top else best_all[j]
            out[u, j] = np.uint32(b >> _U32)
    return out


def _permutations(num_perm: int) -> np.ndarray:
    """``(4, num_perm)`` odd multipliers and xor masks: the ranking hash, then the sampling hash."""
    rng = np.random.Generator(np.random.PCG64(_MINHASH_SEED))
    out = rng.integers(0, 2**63, size=(4, num_perm), dtype=np.uint64)
    out[0] = out[0] * np.uint64(2) + np.uint64(1)
    out[2] = out[2] * np.uint64(2) + np.uint64(1)
    return out


@jit
def _bucket_pairs(
    keys: np.ndarray, bits: int, unit_doc: np.ndarray, cap: int, nunits: int, part: int, parts: int
) -> np.ndarray:
    # ``keys``: sorted, bucket key above ``bits``, unit id in the low ``bits`` (so ids rise
    # within a bucket: the first of a pair is the lower). Only pairs whose lower unit is
    # ``part`` modulo ``parts`` are made.
    n = keys.shape[0]
    low = np.uint64((1 << bits) - 1)
    shift = np.uint64(bits)
    # Two passes: count, then fill.
    total = 0
    for phase in range(2):
        if phase == 1:
            out = np.empty(total, dtype=np.int64)
        c = 0
        i = 0
        while i < n:
            j = i + 1
            while j < n and (keys[j] >> shift) == (keys[i] >> shift):
                j += 1
            for x in range(i, j):
                ua = np.int64(keys[x] & low)
                if ua % parts != part:
                    continue
                stop = j if j - i <= cap else min(j, x + 1 + cap)
                for y in range(x + 1, stop):
                    ub = np.int64(keys[y] & low)
                    if unit_doc[ua] == unit_doc[ub]:
                        continue
                    if phase == 1:
                        out[c] = ua * nunits + ub
                    c += 1
            i = j
        total = c
    return out


@jit
def _sorted_by_unit(sh: np.ndarray, keep: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nu = off.shape[0] - 1
    out_off = np.zeros(nu + 1, dtype=np.int64)
    for u in range(nu):
        c = 0
        for s in range(off[u], off[u + 1]):
            if keep[s]:
                c += 1
        out_off[u + 1] = out_off[u] + c
    out = np.empty(out_off[nu], dtype=np.uint64)
    for u in range(nu):
        w = out_off[u]
        for s in range(off[u], off[u + 1]):
            if keep[s]:
                out[w] = sh[s]
                w += 1
        a, b = out_off[u], out_off[u + 1]
        if b - a > _SMALL_SORT:
            out[a:b] = np.sort(out[a:b])
        else:  # a unit's few shingles: insertion sort, without np.sort's setup
            for i in range(a + 1, b):
                x = out[i]
                j = i - 1
                while j >= a and out[j] > x:
                    out[j + 1] = out[j]
                    j -= 1
                out[j + 1] = x
    return out, out_off


@jit
def _count_shared(
    sa: np.ndarray, oa: np.ndarray, sb: np.ndarray, ob: np.ndarray, ua: np.ndarray, ub: np.ndarray
) -> np.ndarray:
    # Per pair k: shingles units ua[k] (of a) and ub[k] (of b) share, both sorted.
    out = np.empty(ua.shape[0], dtype=np.int64)
    for k in range(ua.shape[0]):
        out[k] = count_common_k(sa[oa[ua[k]] : oa[ua[k] + 1]], sb[ob[ub[k]] : ob[ub[k] + 1]])
    return out


# ---------------------------------------------------------------------------------------
# verification: aligned stretches per document pair
# ---------------------------------------------------------------------------------------


@pickled_by_constructor
@dataclass(slots=True)
class _Match:
    da: int
    db: int
    al: Alignment  # a = da's tokens, b = db's tokens
    rev: Alignment  # the same from db's side


def _para_of(paras: np.ndarray, t: int) -> int:
    return int(np.searchsorted(paras, t, side="right")) - 1


def _align_pairs(
    pairs: np.ndarray,
    unit_doc: np.ndarray,
    first_unit: np.ndarray,
    docs: _DocCache,
    cfg: PassageConfig,
    workers: int = 1,
) -> list[_Match]:
    """Align the paragraphs behind each candidate unit pair; one list for all doc pairs.

    A pair is aligned only if its units share :data:`MIN_SHARED_SHINGLES` distinctive
    shingles exactly (checked here, where the documents' tokens are at hand). Document
    pairs are independent: with ``workers > 1`` slices of them are aligned in forked
    processes, and the matches come back in the same order.
    """
    if pairs.shape[0] == 0:
        return []
    da = unit_doc[pairs[:, 0]]
    db = unit_doc[pairs[:, 1]]
    order = np.lexsort((pairs[:, 1], pairs[:, 0], db, da))
    pairs, da, db = pairs[order], da[order], db[order]
    bounds = np.flatnonzero((da[1:] != da[:-1]) | (db[1:] != db[:-1])) + 1
    starts = np.concatenate(([0], bounds)).tolist()
    ends = np.append(bounds, pairs.shape[0]).tolist()

    def align_slice(span: tuple[int, int]) -> list[_Match]:
        matches: list[_Match] = []
        for s, e in zip(starts[span[0] : span[1]], ends[span[0] : span[1]], strict=True):
            a_doc, b_doc = int(da[s]), int(db[s])
            matches.extend(_align_doc_pair(a_doc, b_doc, pairs[s:e], first_unit, docs, cfg))
        return matches

    procs = workers if pairs.shape[0] >= _FORK_MIN_PAIRS else 1
    return [m for part in docs.forked_map(align_slice, _slices(ends, procs), procs) for m in part]


def _slices(ends: list[int], procs: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` ranges of ``len(ends)`` items whose work ends at ``ends`` (cumulative),
    a few per process and of about equal work, so no process waits long for another."""
    n = len(ends)
    if procs <= 1 or n <= 1:
        return [(0, n)]
    parts = min(n, procs * _SLICES_PER_PROC)
    cuts = np.searchsorted(np.asarray(ends), np.linspace(0, ends[-1], parts + 1)[1:-1], side="right").tolist()
    return list(itertools.pairwise(sorted({0, n, *cuts})))


def _align_doc_pair(
    a_doc: int, b_doc: int, pairs: np.ndarray, first_unit: np.ndarray, docs: _DocCache, cfg: PassageConfig
) -> list[_Match]:
    """The matches between two documents behind their candidate unit ``pairs``."""
    pa, pb = docs[a_doc], docs[b_doc]
    la = pairs[:, 0] - first_unit[a_doc]
    lb = pairs[:, 1] - first_unit[b_doc]
    ok = _count_shared(pa.rare_sh, pa.rare_off, pb.rare_sh, pb.rare_off, la, lb) >= MIN_SHARED_SHINGLES
    windows: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
    for ua, ub in zip(la[ok].tolist(), lb[ok].tolist(), strict=True):
        a0, a1 = int(pa.units[ua, 0]), int(pa.units[ua, 1])
        b0, b1 = int(pb.units[ub, 0]), int(pb.units[ub, 1])
        ia, ib = _para_of(pa.paragraphs, a0), _para_of(pb.paragraphs, b0)
        # The paragraphs holding the two units (never across a paragraph break).
        w = (
            max(int(pa.paragraphs[ia]), a0 - _WINDOW_MARGIN),
            min(int(pa.paragraphs[ia + 1]), a1 + _WINDOW_MARGIN),
            max(int(pb.paragraphs[ib]), b0 - _WINDOW_MARGIN),
            min(int(pb.paragraphs[ib + 1]), b1 + _WINDOW_MARGIN),
        )
        windows.setdefault((ia, ib), []).append(w)
    matches: list[_Match] = []
    seen: set[tuple[int, int, int, int]] = set()
    for ws in windows.values():
        merged = (min(w[0] for w in ws), max(w[1] for w in ws), min(w[2] for w in ws), max(w[3] for w in ws))
        todo = [merged]
        if merged[1] - merged[0] > _GIANT_WINDOW or merged[3] - merged[2] > _GIANT_WINDOW:
            todo = sorted(set(ws))
        for x0, x1, y0, y1 in todo:
            for al in align(
                pa.tokens.keys[x0:x1],
                pb.tokens.keys[y0:y1],
                min_words=cfg.min_words,
                min_similarity=cfg.min_similarity,
                a_offset=x0,
                b_offset=y0,
                a_flags=pa.tokens.flags[x0:x1],
                b_flags=pb.tokens.flags[y0:y1],
                a_rare=pa.rare[x0:x1],
                shingle=cfg.shingle,
            ):
                key = (al.a0, al.a1, al.b0, al.b1)
                if key not in seen:
                    seen.add(key)
                    matches.append(_Match(a_doc, b_doc, al, al.swapped()))
    return matches


# ---------------------------------------------------------------------------------------
# grouping: greedy, every member verified against the representative
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Proj:
    """A stretch seen through a representative: ``a`` of its words shared, at these spans."""

    doc: int
    matched: int
    x0: int
    x1: int
    y0: int
    y1: int
    whole: bool  # covers (nearly) all of its own stretch: a truncated copy of the representative


@dataclass(slots=True)
class _Group:
    doc: int
    x0: int
    x1: int
    members: list[_Proj]
    score: int


class _Grouper:
    def __init__(
        self,
        matches: list[_Match],
        docs: _DocCache,
        cfg: PassageConfig,
    ) -> None:
        self.matches = matches
        self.docs = docs
        self.cfg = cfg
        self.used: dict[int, np.ndarray] = {}
        self.version = 0
        self.by_doc: dict[int, list[tuple[int, int]]] = defaultdict(list)  # doc -> (match, side)
        for mi, m in enumerate(matches):
            self.by_doc[m.da].append((mi, 0))
            self.by_doc[m.db].append((mi, 1))
        self.piece_min = max(3, cfg.min_words // 2)

    # -- helpers ------------------------------------------------------------------------

    def view(self, mi: int, side: int) -> tuple[int, int, Alignment]:
        """(this doc, other doc, alignment oriented from this doc)."""
        m = self.matches[mi]
        return (m.da, m.db, m.al) if side == 0 else (m.db, m.da, m.rev)

    def free_run(self, doc: int, lo: int, hi: int) -> tuple[int, int]:
        """Longest run of untaken tokens in ``[lo, hi)``."""
        u = self.used.get(doc)
        if u is None or not u[lo:hi].any():
            return lo, hi
        free = ~u[lo:hi]
        best = (0, lo, lo)
        i = 0
        n = hi - lo
        while i < n:
            if free[i]:
                j = i
                while j < n and free[j]:
                    j += 1
                if j - i > best[0]:
                    best = (j - i, lo + i, lo + j)
                i = j
            else:
                i += 1
        return best[1], best[2]

    def project(self, al: Alignment, x_doc: int, y_doc: int, lo: int, hi: int) -> _Proj | None:
        """The words of ``[lo, hi)`` (x side) that ``al`` pairs with untaken words of y."""
        ux = self.used.get(x_doc)
        uy = self.used.get(y_doc)
        count = 0
        x0 = y0 = 1 << 62
        x1 = y1 = -1
        for i, j, n in al.blocks:
            s, e = max(i, lo), min(i + n, hi)
            if s >= e:
                continue
            if ux is None and uy is None:
                count += e - s
                x0, x1 = min(x0, s), max(x1, e)
                y0, y1 = min(y0, j + s - i), max(y1, j + e - i)
                continue
            for x in range(s, e):
                y = j + x - i
                if (ux is not None and ux[x]) or (uy is not None and uy[y]):
                    continue
                count += 1
                x0, x1 = min(x0, x), max(x1, x + 1)
                y0, y1 = min(y0, y), max(y1, y + 1)
        if count < self.piece_min:
            return None
        if 2.0 * count / ((x1 - x0) + (y1 - y0)) < self.cfg.min_similarity:
            return None
        if uy is not None and uy[y0:y1].any():
            return None  # the span would straddle words another passage already took
        whole = (y1 - y0) >= WHOLE_SHARE * (al.b1 - al.b0)
        return _Proj(y_doc, count, x0, x1, y0, y1, whole)

    def accept(self, projs: list[_Proj], length: int) -> list[_Proj]:
        """Per document: non-overlapping projections; keep the document if it shares enough."""
        chosen: list[_Proj] = []
        by: dict[int, list[_Proj]] = defaultdict(list)
        for p in projs:
            by[p.doc].append(p)
        for doc in sorted(by):
            taken: list[_Proj] = []
            for p in sorted(by[doc], key=lambda q: (-q.matched, q.y0)):
                # Overlap on the representative's side is fine: a document quoting it twice.
                if all(p.y1 <= q.y0 or q.y1 <= p.y0 for q in taken):
                    taken.append(p)
            total = sum(p.matched for p in taken)
            if total >= self.cfg.min_words and (total >= MIN_COVERAGE * length or all(p.whole for p in taken)):
                chosen.extend(sorted(taken, key=lambda q: q.y0))
        return chosen

    # -- scoring ------------------------------------------------------------------------

    def regions(self) -> list[tuple[int, int, int]]:
        """Candidate representatives: each side of each stretch, once."""
        out = {(doc, *self.view(mi, side)[2].span_a) for doc, ments in self.by_doc.items() for mi, side in ments}
        return sorted(out)

    def evaluate(self, x_doc: int, a0: int, a1: int) -> _Group | None:
        lo, hi = self.free_run(x_doc, a0, a1)
        if hi - lo < self.cfg.min_words:
            return None
        projs: list[_Proj] = []
        for mj, sj in self.by_doc[x_doc]:
            _, y_doc, bl = self.view(mj, sj)
            if y_doc == x_doc or bl.a1 <= lo or hi <= bl.a0:
                continue
            p = self.project(bl, x_doc, y_doc, lo, hi)
            if p is not None:
                projs.append(p)
        members = self.accept(projs, hi - lo)
        if not members:
            return None
        x0 = min(p.x0 for p in members)
        x1 = max(p.x1 for p in members)
        return _Group(x_doc, x0, x1, members, sum(p.matched for p in members))

    # -- committing ---------------------------------------------------------------------

    def take(self, doc: int, lo: int, hi: int) -> None:
        u = self.used.get(doc)
        if u is None:
            u = np.zeros(len(self.docs[doc].tokens), dtype=bool)
            self.used[doc] = u
        u[lo:hi] = True

    def rescue(self, g: _Group) -> list[_Proj]:
        """Documents aligned with a member but not with the representative: verify directly."""
        inside = {g.doc} | {p.doc for p in g.members}
        rep = self.docs[g.doc]
        rkeys = rep.tokens.keys[g.x0 : g.x1]
        rflags = rep.tokens.flags[g.x0 : g.x1]
        rrare = rep.rare[g.x0 : g.x1]
        extra: list[_Proj] = []
        frontier = list(g.members)
        while frontier:
            nxt: list[_Proj] = []
            for mem in frontier:
                for mj, sj in self.by_doc[mem.doc]:
                    _, z_doc, bl = self.view(mj, sj)
                    if z_doc in inside or bl.a1 <= mem.y0 or mem.y1 <= bl.a0:
                        continue
                    p = self.project(bl, mem.doc, z_doc, mem.y0, mem.y1)
                    if p is None:
                        continue
                    zt = self.docs[z_doc]
                    ia = _para_of(zt.paragraphs, p.y0)
                    w0 = max(int(zt.paragraphs[ia]), p.y0 - 2 * len(rkeys))
                    w1 = min(int(zt.paragraphs[ia + 1]), p.y1 + 2 * len(rkeys))
                    best: _Proj | None = None
                    for al in align(
                        rkeys,
                        zt.tokens.keys[w0:w1],
                        min_words=self.cfg.min_words,
                        min_similarity=self.cfg.min_similarity,
                        a_offset=g.x0,
                        b_offset=w0,
                        a_flags=rflags,
                        b_flags=zt.tokens.flags[w0:w1],
                        a_rare=rrare,
                        shingle=self.cfg.shingle,
                    ):
                        q = self.project(al, g.doc, z_doc, g.x0, g.x1)
                        if q is not None and (best is None or q.matched > best.matched):
                            best = q
                    if best is not None and self.accept([best], g.x1 - g.x0):
                        inside.add(z_doc)
                        extra.append(best)
                        nxt.append(best)
            frontier = nxt
        return extra

    def run(self) -> list[list[tuple[int, int, int]]]:
        """Greedy grouping; each passage as ``[(doc, token_start, token_end), ...]``."""
        regions = self.regions()
        heap: list[tuple[int, int, int, int, int, int]] = []
        for ri, (doc, a0, a1) in enumerate(regions):
            g = self.evaluate(doc, a0, a1)
            if g is not None:
                # Best score, then longest, then first document/offset: a total order.
                heap.append((-g.score, -(g.x1 - g.x0), g.doc, g.x0, ri, self.version))
        heapq.heapify(heap)
        out: list[list[tuple[int, int, int]]] = []
        while heap:
            *_, ri, ver = heapq.heappop(heap)
            g = self.evaluate(*regions[ri])
            if g is None:
                continue
            key = (-g.score, -(g.x1 - g.x0), g.doc, g.x0, ri, self.version)
            if ver != self.version and heap and key[:5] > heap[0][:5]:
                heapq.heappush(heap, key)  # it got worse; let the better ones go first
                continue
            members = g.members + self.rescue(g)
            spans = [(g.doc, g.x0, g.x1)] + [(p.doc, p.y0, p.y1) for p in members]
            for doc, lo, hi in spans:
                self.take(doc, lo, hi)
            self.version += 1
            out.append(spans)
        return out


# ---------------------------------------------------------------------------------------
# passages: canonical text, ids, records
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Src:
    doc: Document
    keys: np.ndarray  # the span's token keys
    t0: int
    t1: int
    start: int
    end: int
    text: str


def _ratio(a: np.ndarray, b: np.ndarray) -> float:
    return _ratio_of(matching_blocks(a, b), a, b)


def _ratio_of(blocks: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    total = a.shape[0] + b.shape[0]
    return 2.0 * float(blocks[:, 2].sum()) / total if total else 1.0


_MEDOID_MAX = 64  # sources compared pairwise for the medoid; beyond, the first ones by key


def _choose_canonical(srcs: list[_Src], policy: str) -> tuple[int, str]:
    """Index of the canonical source in ``srcs`` and the reason."""
    n = len(srcs)
    k = min(n, _MEDOID_MAX)
    # Support: a word counts when at least one other document has it too. The blocks of
    # each pair are made once here and read again for the similarities below.
    support = []
    ratios: dict[tuple[int, int], float] = {}
    for i, s in enumerate(srcs):
        mask = np.zeros(s.t1 - s.t0, dtype=bool)
        for j, o in enumerate(srcs):
            if j != i and o.doc is not s.doc:
                blocks = matching_blocks(s.keys, o.keys)
                for a, _, m in blocks.tolist():
                    mask[a : a + m] = True
                if j < k:
                    ratios[i, j] = _ratio_of(blocks, s.keys, o.keys)
        support.append(int(mask.sum()))
    extra = [(s.t1 - s.t0) - support[i] for i, s in enumerate(srcs)]
    mean_sim = []
    for i in range(n):
        sims = [ratios[i, j] for j in range(k) if j != i and srcs[j].doc is not srcs[i].doc]
        mean_sim.append(sum(sims) / len(sims) if sims else 0.0)
    ident = [(s.doc.id, s.start) for s in srcs]

    def complete_key(i: int) -> tuple[Any, ...]:
        return (-support[i], extra[i], -round(mean_sim[i], 9), ident[i])

    if policy == "medoid":
        best = min(range(n), key=lambda i: (-round(mean_sim[i], 9), *complete_key(i)))
        return best, f"medoid: highest mean similarity to the other variants ({mean_sim[best]:.3f})"
    if policy == "earliest":
        dates = [parse_date(s.doc.date) for s in srcs]
        if any(d is not None for d in dates):
            best = min(range(n), key=lambda i: (dates[i] is None, dates[i] or 0.0, *complete_key(i)))
            return best, f"earliest: dated {srcs[best].doc.date}"
        best = min(range(n), key=complete_key)
        return best, f"earliest: no source is dated; most complete ({support[best]} shared words)"
    best = min(range(n), key=complete_key)
    return best, f"complete: most shared words ({support[best]}), fewest unshared ({extra[best]})"


def _passage_id(text: str) -> str:
    words = " ".join(fold_text(text).split())
    return "p-" + hashlib.blake2b(words.encode("utf-8", "surrogatepass"), digest_size=_ID_BYTES).hexdigest()


def _components(matches: list[_Match]) -> list[list[int]]:
    """Indices into ``matches`` by connected component of the documents they link, each
    in match order; the components in the order of their first match.

    A passage never spans two components, and grouping one never reads another's state
    (which words are taken, which alignments exist), so grouping each component alone
    gives the groups of grouping them all at once: :meth:`_Grouper.run` takes a group
    when its fresh score is at least as good as every other queued score, and only the
    queued scores of its own component can change its outcome (see
    ``test_grouping_by_component``).
    """
    root = linked_roots((m.da, m.db) for m in matches)
    parts: dict[int, list[int]] = {}
    for i, m in enumerate(matches):
        parts.setdefault(root(m.da), []).append(i)
    return list(parts.values())


def _group_and_build(matches: list[_Match], docs: _DocCache, cfg: PassageConfig, workers: int = 1) -> list[Passage]:
    """The passages of ``matches``, sorted by ``(-n_documents, passage_id)``.

    Components (:func:`_components`) are grouped independently, slices of them in forked
    processes with ``workers > 1``, and each process builds the passages of the groups it
    made. When one component holds more than a process's share of the matches, the
    processes hand their groups back instead, and :func:`_build` shares them out.
    """
    parts = _components(matches)
    procs = workers if len(matches) >= _FORK_MIN_MATCHES else 1
    fused = procs == 1 or max(map(len, parts), default=0) * procs <= len(matches)

    def groups_of(span: tuple[int, int]) -> list[list[tuple[int, int, int]]]:
        return [g for part in parts[span[0] : span[1]] for g in _Grouper([matches[i] for i in part], docs, cfg).run()]

    def passages_of(span: tuple[int, int]) -> list[Passage]:
        return _built(groups_of(span), docs, cfg)

    slices = _slices(np.cumsum([len(part) for part in parts]).tolist(), procs)
    if not fused:
        return _build([g for gs in docs.forked_map(groups_of, slices, procs) for g in gs], docs, cfg, workers)
    return _numbered([p for ps in docs.forked_map(passages_of, slices, procs) for p in ps])


def _build(
    groups: list[list[tuple[int, int, int]]], docs: _DocCache, cfg: PassageConfig, workers: int = 1
) -> list[Passage]:
    """The passages of ``groups`` (``(doc, t0, t1)`` token spans), sorted by
    ``(-n_documents, passage_id)``. Groups are built independently (in forked processes
    with ``workers > 1``)."""

    def build_slice(span: tuple[int, int]) -> list[Passage]:
        return _built(groups[span[0] : span[1]], docs, cfg)

    cost = np.cumsum([len(g) ** 2 for g in groups]).tolist()  # choosing the canonical is pairwise
    procs = workers if len(groups) >= _FORK_MIN_GROUPS else 1
    return _numbered([p for part in docs.forked_map(build_slice, _slices(cost, procs), procs) for p in part])


def _built(groups: list[list[tuple[int, int, int]]], docs: _DocCache, cfg: PassageConfig) -> list[Passage]:
    """The passages of ``groups`` that :func:`_build_group` keeps, ids not yet numbered."""
    n_docs = len(docs.sel)
    return [p for g in groups if (p := _build_group(g, docs, cfg, n_docs)) is not None]


def _numbered(built: list[Passage]) -> list[Passage]:
    """``built`` with its ids settled (they are content hashes: the rare passages with the
    same text are numbered in source order), sorted by ``(-n_documents, passage_id)``."""
    built.sort(key=lambda p: (p.passage_id, [(s.doc_id, s.start) for s in p.sources]))
    seen: dict[str, int] = {}
    for p in built:
        n = seen[p.passage_id] = seen.get(p.passage_id, 0) + 1
        if n > 1:
            p.passage_id = f"{p.passage_id}-{n}"
    built.sort(key=lambda p: (-p.n_documents, p.passage_id))
    return built


def _build_group(spans: list[tuple[int, int, int]], docs: _DocCache, cfg: PassageConfig, n_docs: int) -> Passage | None:
    """One group's passage (its id not yet numbered), or ``None`` when fewer than two
    documents hold it or so many do that it is boilerplate."""
    srcs: list[_Src] = []
    for d, t0, t1 in spans:
        st, doc = docs[d], docs.sel[d]
        text = doc.read_text()
        start, end = char_span(st.tokens, text, t0, t1)
        srcs.append(_Src(doc, st.tokens.keys[t0:t1].copy(), t0, t1, start, end, text[start:end]))
    srcs.sort(key=lambda s: (s.doc.id, s.start, s.end))
    n_sources = len({id(s.doc) for s in srcs})
    if n_sources < 2:
        return None
    if n_sources > MAX_DOC_FLOOR and n_sources > cfg.max_doc_fraction * n_docs:
        return None  # boilerplate, not re-reporting
    best, reason = _choose_canonical(srcs, cfg.canonical)
    canon = srcs[best]
    sources = []
    for s in srcs:
        if s is canon:
            sim, diff = 1.0, [["=", s.text]]
        else:
            sim, diff = round(_ratio(canon.keys, s.keys), 4), word_diff(s.text, canon.text)
        sources.append(SourceSpan(s.doc.id, s.doc.source, s.start, s.end, s.text, sim, diff))
    return Passage(
        passage_id=_passage_id(canon.text),
        text=canon.text,
        canonical={"doc_id": canon.doc.id, "start": canon.start, "end": canon.end, "reason": reason},
        sources=sources,
    )


def _doc_order(doc: Document) -> tuple[str, str, int]:
    return (doc.id, doc.source, doc.source_line if doc.source_line is not None else -1)


def _order(docs: Sequence[Document]) -> list[int]:
    """Where each of ``docs`` goes when they are put in order: by id, source and line,
    then (only where those tie) by text."""
    keys = [_doc_order(d) for d in docs]
    order = sorted(range(len(docs)), key=keys.__getitem__)
    i = 0
    while i < len(order):
        j = i + 1
        while j < len(order) and keys[order[j]] == keys[order[i]]:
            j += 1
        if j - i > 1:
            order[i:j] = sorted(order[i:j], key=lambda k: docs[k].read_text())
        i = j
    return order


def _in_order(docs: Sequence[Document]) -> list[Document]:
    """``docs`` in order (:func:`_order`)."""
    return [docs[i] for i in _order(docs)]


def find_passages(
    docs: Sequence[Document],
    cfg: PassageConfig,
    *,
    workers: int = 1,
    scratch_dir: Path | str | None = None,
    alongside: Callable[[], object] | None = None,
    helper: Executor | None = None,
) -> list[Passage]:
    """Find passages re-reported across the kept documents; set ``doc.passages``.

    Considers documents with ``status == "kept"`` and non-empty ``text``; each of them gets
    ``doc.passages`` (sorted by ``(start, end, passage_id)``), the others are untouched.
    Returns passages sorted by ``(-n_documents, passage_id)``. Identical input gives
    identical output whatever the order of ``docs`` (documents are visited by ``id``) and
    whatever ``workers``.

    Memory does not grow with the text: units and signatures go to anonymous scratch files
    in ``scratch_dir`` (the system's temporary directory by default), one LSH band is in
    memory at a time, and tokens are rebuilt from the text for the documents being
    verified (a bounded cache). ``workers`` is how many cores to use: as many processes,
    forked from this one, sign the units, align the candidate pairs, and group and build
    the passages, and as many threads band the signatures (compiled kernels and sorts that
    let go of the GIL). Raises :class:`OutputError` when the scratch files cannot
    be written.

    ``alongside`` is a job that decides which documents stay kept (the pipeline's
    deduplication), run before the passages are looked for. Given a ``helper`` (an
    executor whose process was forked before or early in the reading of these records, so
    it holds a copy of few of their pages), the job runs here while the helper counts the
    shingles of every document kept before it (:func:`scan_parked`, when all of them have
    units parked); those of the documents it took out are then taken away. The passages
    are the same.
    The helper is shut down once it has counted (or at once, when there is nothing for it);
    if the job fails, its owner is left to stop it.
    """
    sel = [d for d in docs if d.status == "kept" and d.has_text]
    early: tuple[np.ndarray, _Frequent, np.ndarray] | None = None  # units, counts, where
    dropped: np.ndarray | None = None  # scan blobs of documents deduplication took out
    with_helper = alongside is not None and helper is not None and len(sel) >= 2
    rows = _parked_rows(sel, cfg) if with_helper else None
    if rows is not None and alongside is not None and helper is not None:
        # The helper counts in the order given (its counts do not depend on it); this
        # process puts the documents in order meanwhile.
        order: list[int] = []

        def job() -> None:
            order.extend(_order(sel))
            alongside()

        n_units, freq = _scan_alongside(rows, cfg.shingle, job, helper, scratch_dir)
        sel = [sel[i] for i in order]
        n_units, rows = n_units[order], rows[order]
        kept = np.fromiter((d.status == "kept" for d in sel), dtype=bool, count=len(sel))
        dropped = rows[~kept]  # the units of documents deduplication took out
        freq.less(_token_shingles_of(dropped, cfg.shingle))
        sel = [d for d, k in zip(sel, kept.tolist(), strict=True) if k]
        early = (n_units[kept], freq, rows[kept])
    else:
        if alongside is not None:
            if helper is not None:
                helper.shutdown(cancel_futures=True)  # nothing for it: units to make here
            alongside()
        sel = [d for d in _in_order(sel) if d.status == "kept"]
    for d in sel:
        d.passages = []
    if len(sel) < 2:
        for d in docs:
            d.work.pop(UNITS_KEY, None)
        return []
    for d in docs:
        if d.status != "kept":
            d.work.pop(UNITS_KEY, None)  # what the workers parked for a duplicate
    df_common = max(DF_COMMON_MIN, len(sel) // DF_COMMON_SHARE)
    scratch = _Scratch(scratch_dir)
    try:
        scan_fh: IO[bytes] | None = None  # units made here (none: all of them were parked)
        if early is not None:
            n_units, freq, where = early
        else:
            # One thread counting: what each buffer of shingles frees is kept for the next
            # (mapped anew, they cost 25,000-31,000 page faults at 20,000 documents, now 5,500).
            with reusing_freed_blocks():
                n_units, where, scan_fh, counts = _scan_units(sel, cfg, scratch)
                freq = _Frequent(*counts.over(DF_DAMP))
                del counts
        release_memory()  # each phase's arrays are let go before the next allocates its own
        signed, state_fhs, state_at, live = _sign_units(where, n_units, freq, df_common, cfg, scratch, workers, dropped)
        del freq
        release_memory()
        if scan_fh is not None:
            scan_fh.truncate(0)  # no longer needed
        unit_doc = np.repeat(np.arange(len(sel), dtype=np.int32), n_units)
        pairs = _candidate_pairs(signed, unit_doc, live, cfg, scratch, workers)
        del live
        release_memory()
        signed.truncate()
        first_unit = np.concatenate(([0], np.cumsum(n_units)[:-1]))
        cache = _DocCache(sel, state_fhs, state_at)
        matches = _align_pairs(pairs, unit_doc, first_unit, cache, cfg, workers)
        del pairs, unit_doc
        passages = _group_and_build(matches, cache, cfg, workers)
    except OSError as e:
        place = scratch_dir if scratch_dir is not None else tempfile.gettempdir()
        raise OutputError(f"{place}: cannot write passage scratch files: {e.strerror or e}") from e
    finally:
        scratch.close()
    index = {d.id: d for d in sel}
    for p in passages:
        for s in p.sources:
            index[s.doc_id].passages.append(PassageRef(p.passage_id, s.start, s.end))
    for d in sel:
        d.passages.sort(key=lambda r: (r.start, r.end, r.passage_id))
    return passages


# ---------------------------------------------------------------------------------------
# --passages drop
# ---------------------------------------------------------------------------------------

_OPEN_QUOTES = "\"'“‘«„"
_CLOSE_QUOTES = "\"'”’»"
_TRAIL = ",.;:!?…"


def _cut_bounds(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """The characters to remove for a span: the span, the quote marks around it when they
    enclose exactly it (with the punctuation just inside the closing one), and one side's
    spaces. Never beyond ``[lo, hi)`` (the neighbouring spans)."""
    s, e = start, end
    q = e
    while q < hi and text[q] in _TRAIL:
        q += 1
    if s - 1 >= lo and text[s - 1] in _OPEN_QUOTES and q < hi and text[q] in _CLOSE_QUOTES:
        s, e = s - 1, q + 1
    while e < hi and text[e] in " \t":
        e += 1
    if e == hi or (e < len(text) and text[e] == "\n"):
        while s > lo and text[s - 1] in " \t":
            s -= 1
    return s, e


class _Cuts:
    """Character ranges removed from one text, and the offset map old → new."""

    def __init__(self, cuts: list[tuple[int, int]]) -> None:
        self.cuts = cuts
        self.starts = [c[0] for c in cuts]
        self.before = [0]  # characters removed before cut k
        for a, b in cuts:
            self.before.append(self.before[-1] + b - a)

    def apply(self, text: str) -> str:
        pieces, prev = [], 0
        for a, b in self.cuts:
            pieces.append(text[prev:a])
            prev = b
        pieces.append(text[prev:])
        return "".join(pieces)

    def at(self, pos: int) -> int:
        """New offset of old offset ``pos``; inside a cut, where the cut now is."""
        k = bisect_right(self.starts, pos)
        if k and pos < self.cuts[k - 1][1]:
            return self.cuts[k - 1][0] - self.before[k - 1]
        return pos - self.before[k]


def _is_canonical(s: SourceSpan, p: Passage) -> bool:
    c = p.canonical
    return bool(c.get("doc_id") == s.doc_id and c.get("start") == s.start and c.get("end") == s.end)


def drop_passages(docs: Sequence[Document], passages: list[Passage]) -> None:
    """Remove every non-canonical occurrence of each passage from its document's text.

    For ``--passages drop``: a downstream model sees each re-reported passage once, in its
    canonical document. Removed characters are the span plus the quote marks enclosing
    exactly it and one side's spaces. All offsets are then rewritten for the new text:

    * a kept source's ``start``/``end`` (and ``canonical``, and the matching
      ``PassageRef``) move with the text;
    * a dropped source becomes zero-width at the cut (``start == end``, ``text == ""``),
      keeping its ``similarity`` and ``diff``; its ``PassageRef`` is zero-width too, so
      ``doc.text[start:end] == text`` still holds for every source;
    * ``doc.meta["dropped_passages"]`` lists ``{"passage_id", "at", "text"}`` per cut, in
      text order: ``text`` is exactly what was removed at offset ``at`` of the new text,
      so inserting them back, last first, restores the original text.

    The canonical occurrence is always kept, also when its document quotes it twice.
    """
    by_id: dict[str, Document] = {}
    for d in docs:
        by_id.setdefault(d.id, d)
    spans: dict[str, list[tuple[SourceSpan, Passage]]] = defaultdict(list)
    for p in passages:
        for s in p.sources:
            spans[s.doc_id].append((s, p))
    for doc_id in sorted(spans):
        doc = by_id.get(doc_id)
        if doc is None:
            continue
        items = sorted(spans[doc_id], key=lambda it: (it[0].start, it[0].end, it[1].passage_id))
        keep = [_is_canonical(s, p) for s, p in items]
        if all(keep):
            continue
        old = doc.read_text()
        ranges: list[tuple[int, int]] = []
        owners: list[str] = []
        for k, (s, p) in enumerate(items):
            if keep[k]:
                continue
            lo = max(items[k - 1][0].end if k else 0, ranges[-1][1] if ranges else 0)
            hi = items[k + 1][0].start if k + 1 < len(items) else len(old)
            ranges.append(_cut_bounds(old, s.start, s.end, lo, hi))
            owners.append(p.passage_id)
        if not ranges:
            continue
        cuts = _Cuts(ranges)
        new = cuts.apply(old)
        doc.replace_text(new)
        dropped = {(s.start, s.end, p.passage_id) for (s, p), k in zip(items, keep, strict=True) if not k}
        for ref in doc.passages:
            a = cuts.at(ref.start)
            ref.end = a if (ref.start, ref.end, ref.passage_id) in dropped else cuts.at(ref.end)
            ref.start = a
        for (s, p), k in zip(items, keep, strict=True):
            a = cuts.at(s.start)
            if k:
                s.start, s.end = a, cuts.at(s.end)
                p.canonical["start"], p.canonical["end"] = s.start, s.end
                s.text = new[s.start : s.end]
            else:
                s.start, s.end, s.text = a, a, ""
        doc.passages.sort(key=lambda r: (r.start, r.end, r.passage_id))
        log = doc.meta.setdefault("dropped_passages", [])
        for (a, b), pid in zip(ranges, owners, strict=True):
            log.append({"passage_id": pid, "at": cuts.at(a), "text": old[a:b]})
