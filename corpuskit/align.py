"""Word tokens with character offsets, and token alignment of two texts.

This is the verification half of passage finding (:mod:`corpuskit.passages`): candidate
finding says "these two sentences look alike", alignment says exactly which words are
shared and where the shared stretch starts and ends in each text.

**Tokens.** A token is a maximal run of letters, digits and combining marks, with an
apostrophe *between* two such characters kept inside (``Korea's``, ``don't``); every other
character separates tokens, so ``U.S.`` is ``u`` ``s`` and ``one-stop`` is ``one`` ``stop``
(which is what lets ``ONE STOP SHOPPING`` match ``one-stop shopping``). CJK ideographs and
kana are one token each (those scripts do not separate words with spaces). Tokens are
compared by a 64-bit hash of their :func:`corpuskit.normalise.fold_text` form, so case,
curly/straight quotes and dashes never matter; offsets are offsets in the original text.

**Flags.** Each token carries flags about the gap *before* it: :data:`PIECE` (a sentence
end, a quote mark or a paragraph break: where candidate units may be cut),
:data:`BARRIER` (a paragraph break: a passage span never crosses one), and
:data:`OPEN_QUOTE` / :data:`CLOSE_QUOTE` (a quotation opens after ``said, "`` or closes
before ``," Trump said``: where a statement meets its attribution). A newline is a
paragraph break when the line before it ends with sentence punctuation, a quote mark or a
colon, or when a blank line follows; a single newline inside a sentence (hard-wrapped
text) is not.

**Alignment.** :func:`matching_blocks` is difflib's matching-blocks definition (the longest
common run, then recursively left and right of it) computed by a compiled dynamic program,
so it is exact, junk-free and fast on the short windows passage finding compares.
:func:`align` chains blocks separated by at most :data:`MAX_GAP` unmatched words on either
side (an inserted ``Trump wrote``, a changed word, a sentence merged with ``, and``) into
stretches, and keeps the stretches with enough shared words and similarity, most of them
in runs of distinctive wording (so template sentences and side-by-side stock phrases are
no stretch), with attribution outside the quote marks trimmed off their edges.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .kernels import HAVE_NUMBA, inline_jit, jit, python_kernel
from .normalise import bmp_chars, fold_text
from .records import pickled_by_constructor
from .signatures import _U_FNV_OFFSET as _FNV_OFFSET
from .signatures import _U_FNV_PRIME as _FNV_PRIME
from .signatures import _fmix

__all__ = [
    "ANCHOR_SHARE",
    "BARRIER",
    "CLOSE_QUOTE",
    "EDGE_FRAGMENT",
    "HAVE_NUMBA",
    "LONG_RUN",
    "MAX_GAP",
    "OPEN_QUOTE",
    "PIECE",
    "RUN_MIN",
    "Alignment",
    "Tokens",
    "align",
    "char_span",
    "inline_jit",
    "jit",
    "matching_blocks",
    "python_kernel",
    "similarity",
    "tokenize",
    "word_diff",
]


#: Flag on a token: a candidate unit may start here (sentence end, quote mark, paragraph).
PIECE = 1
#: Flag on a token: it starts a paragraph; no span crosses into it from the previous token.
BARRIER = 2
#: Flag on a token: a quotation opens right before it, after a comma, colon or sentence
#: punctuation (``said, "We``, ``adding: "It``).
OPEN_QUOTE = 4
#: Flag on a token: a quotation closed right after sentence punctuation or a comma before
#: it (``good," Trump``). A quoted term (``"one-stop shopping" is``) sets neither flag.
CLOSE_QUOTE = 8

#: Largest run of unmatched words (on either side) bridged inside one aligned stretch.
MAX_GAP = 4
#: Longest attribution (words outside the quotation marks) trimmed off a stretch's edge.
EDGE_FRAGMENT = 8
#: A run of at least this many identical words is evidence of copying, not chance.
RUN_MIN = 4
#: Share of ``min_words`` that must be in such runs for a stretch to count.
ANCHOR_SHARE = 0.75
#: One identical run this many times ``min_words`` long counts even in common words.
LONG_RUN = 2

# Character classes of the scanner.
_OTHER, _WORD, _IDEO, _APOS, _QUOTE, _SENT, _COLON, _SPACE, _NEWLINE, _COMMA = range(10)

_SENT_CHARS = frozenset(".!?\u2026\u203c\u2047\u2048\u2049\u3002\uff01\uff1f")
_COLON_CHARS = frozenset(";:\uff1b\uff1a")
_COMMA_CHARS = frozenset(",\u060c\u3001\uff0c")
_NEWLINE_CHARS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Class and folded code point of every BMP character (astral ones are word chars).

    Made once per process, by whole-array steps: a loop over the 65,536 characters took
    0.13 s of every run's start, these steps 0.045 s (``tests/test_align.py`` checks them
    against that loop)."""
    folded = fold_text(bmp_chars())  # same length by contract
    cp = np.arange(0x10000)
    fold = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # A category is two ASCII letters ("Lu"): the first of each pair is its major class.
    first = np.frombuffer("".join(map(unicodedata.category, folded)).encode("ascii"), dtype=np.uint8)[::2]
    cls = np.full(0x10000, _OTHER, dtype=np.uint8)
    # From the weakest class to the strongest: a later one overrides an earlier one.
    for c, members in ((_COMMA, _COMMA_CHARS), (_COLON, _COLON_CHARS), (_SENT, _SENT_CHARS)):
        cls[np.isin(fold, [ord(x) for x in members])] = c
    cls[fold == ord('"')] = _QUOTE
    cls[fold == ord("'")] = _APOS
    cls[np.isin(first, np.frombuffer(b"LNM", dtype=np.uint8))] = _WORD
    cls[(cp >= 0x3040) & (cp <= 0x30FF) | (cp >= 0x3400) & (cp <= 0x4DBF)] = _IDEO
    cls[(cp >= 0x4E00) & (cp <= 0x9FFF) | (cp >= 0xF900) & (cp <= 0xFAFF)] = _IDEO
    cls[np.fromiter(map(str.isspace, folded), dtype=bool, count=0x10000)] = _SPACE
    cls[[ord(x) for x in _NEWLINE_CHARS]] = _NEWLINE
    return cls, fold


@jit
def _class(cls: np.ndarray, cp: int) -> int:
    return int(cls[cp]) if cp < 0x10000 else _WORD


@jit
def _scan(
    cps: np.ndarray,
    cls: np.ndarray,
    fold: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    keys: np.ndarray,
    flags: np.ndarray,
) -> int:
    n = cps.shape[0]
    k = 0
    in_word = False
    h = _FNV_OFFSET
    # State of the gap since the last token.
    first = True
    sent = False  # sentence punctuation seen
    sent_end = False  # ... and followed by whitespace
    quote = False
    punct = False  # a comma, colon or sentence punctuation
    spaced = False  # whitespace seen
    closing = False  # a quote mark right after punctuation, before any whitespace
    opening = False  # the gap so far ends with a quote mark that follows punctuation
    newlines = 0
    tail = _OTHER  # class of the last non-space character before the first newline
    line_end = False  # the first newline follows sentence punctuation, a quote or a colon
    i = 0
    while i < n:
        cp = cps[i]
        c = _class(cls, cp)
        if c == _APOS and in_word and i + 1 < n and _class(cls, cps[i + 1]) == _WORD:
            c = _WORD
        if c in (_WORD, _IDEO):
            if c == _IDEO and in_word:
                ends[k] = i
                keys[k] = _fmix(h)
                k += 1
                in_word = False
            if not in_word:
                f = 0
                if first or newlines >= 2 or (newlines >= 1 and line_end):
                    f = 3  # BARRIER | PIECE
                elif sent_end or quote:
                    f = 1
                if opening:
                    f |= 4  # OPEN_QUOTE
                if closing:
                    f |= 8  # CLOSE_QUOTE
                starts[k] = i
                flags[k] = f
                h = _FNV_OFFSET
                in_word = True
                first = False
                sent = False
                sent_end = False
                quote = False
                punct = False
                spaced = False
                closing = False
                opening = False
                newlines = 0
                tail = _OTHER
                line_end = False
            f_cp = fold[cp] if cp < 0x10000 else cp
            h = (h ^ np.uint64(f_cp)) * _FNV_PRIME
            if c == _IDEO:
                ends[k] = i + 1
                keys[k] = _fmix(h)
                k += 1
                in_word = False
        else:
            if in_word:
                ends[k] = i
                keys[k] = _fmix(h)
                k += 1
                in_word = False
            if c == _NEWLINE:
                if newlines == 0:
                    line_end = tail in (_SENT, _QUOTE, _APOS, _COLON)
                newlines += 1
                spaced = True
                opening = False
                if sent:
                    sent_end = True
            elif c == _SPACE:
                spaced = True
                opening = False
                if sent:
                    sent_end = True
            else:
                if newlines == 0:
                    tail = c
                if c in (_QUOTE, _APOS):
                    quote = True
                    if punct and not spaced:
                        closing = True
                    opening = punct
                else:
                    opening = False
                    if c == _SENT:
                        sent = True
                        punct = True
                    elif c in (_COMMA, _COLON):
                        punct = True
        i += 1
    if in_word:
        ends[k] = n
        keys[k] = _fmix(h)
        k += 1
    return k


@dataclass(slots=True, eq=False)
class Tokens:
    """The tokens of one text: parallel arrays, one entry per token.

    ``starts``/``ends`` are character offsets (``text[starts[i]:ends[i]]`` is the token),
    ``keys`` the 64-bit hash of the folded token, ``flags`` the :data:`PIECE` /
    :data:`BARRIER` bits of the gap before it.
    """

    starts: np.ndarray
    ends: np.ndarray
    keys: np.ndarray
    flags: np.ndarray

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    def paragraphs(self) -> np.ndarray:
        """Token index where each paragraph starts, plus ``len(self)`` at the end."""
        starts = np.flatnonzero(self.flags & BARRIER)
        return np.append(starts, len(self)).astype(np.int64)


def tokenize(text: str) -> Tokens:
    """Tokens of ``text`` with offsets, folded keys and gap flags (see the module docstring).

    >>> text = "“Their TEAM,” Trump said.\\n\\nThe U.S. side"
    >>> t = tokenize(text)
    >>> [text[s:e] for s, e in zip(t.starts, t.ends)]
    ['Their', 'TEAM', 'Trump', 'said', 'The', 'U', 'S', 'side']
    >>> [int(f) for f in t.flags]  # 1 PIECE, 2 BARRIER, 8 CLOSE_QUOTE
    [3, 0, 9, 0, 3, 0, 0, 1]
    >>> bool(tokenize("team").keys[0] == t.keys[1])
    True
    """
    cls, fold = _tables()
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = cps.shape[0]
    starts = np.empty(n, dtype=np.int32)
    ends = np.empty(n, dtype=np.int32)
    keys = np.empty(n, dtype=np.uint64)
    flags = np.empty(n, dtype=np.uint8)
    k = _scan(cps, cls, fold, starts, ends, keys, flags)
    return Tokens(starts[:k].copy(), ends[:k].copy(), keys[:k].copy(), flags[:k].copy())


# ---------------------------------------------------------------------------------------
# matching blocks
# ---------------------------------------------------------------------------------------


@jit
def _longest(
    a: np.ndarray, b: np.ndarray, alo: int, ahi: int, blo: int, bhi: int, prev: np.ndarray, cur: np.ndarray
) -> tuple[int, int, int]:
    # Longest common run; ties: earliest start in a, then in b (difflib's definition).
    best = 0
    bi = alo
    bj = blo
    m = bhi - blo
    for j in range(m + 1):
        prev[j] = 0
    for i in range(alo, ahi):
        cur[0] = 0
        ai = a[i]
        for j in range(blo, bhi):
            x = j - blo + 1
            if ai == b[j]:
                v = prev[x - 1] + 1
                cur[x] = v
                if v > best:
                    best = v
                    bi = i - v + 1
                    bj = j - v + 1
            else:
                cur[x] = 0
        for j in range(m + 1):
            prev[j] = cur[j]
    return bi, bj, best


@jit
def _blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = a.shape[0]
    nb = b.shape[0]
    out = np.empty((min(na, nb) + 1, 3), dtype=np.int64)
    prev = np.empty(nb + 1, dtype=np.int64)
    cur = np.empty(nb + 1, dtype=np.int64)
    stack = np.empty((2 * min(na, nb) + 4, 4), dtype=np.int64)
    top = 0
    stack[0, 0] = 0
    stack[0, 1] = na
    stack[0, 2] = 0
    stack[0, 3] = nb
    top = 1
    count = 0
    while top > 0:
        top -= 1
        alo = stack[top, 0]
        ahi = stack[top, 1]
        blo = stack[top, 2]
        bhi = stack[top, 3]
        if alo >= ahi or blo >= bhi:
            continue
        i, j, k = _longest(a, b, alo, ahi, blo, bhi, prev, cur)
        if k == 0:
            continue
        out[count, 0] = i
        out[count, 1] = j
        out[count, 2] = k
        count += 1
        if alo < i and blo < j:
            stack[top, 0] = alo
            stack[top, 1] = i
            stack[top, 2] = blo
            stack[top, 3] = j
            top += 1
        if i + k < ahi and j + k < bhi:
            stack[top, 0] = i + k
            stack[top, 1] = ahi
            stack[top, 2] = j + k
            stack[top, 3] = bhi
            top += 1
    res = out[:count]
    order = np.argsort(res[:, 0], kind="mergesort")
    res = res[order]
    # Merge blocks that touch on both sides, as difflib does.
    merged = np.empty_like(res)
    w = 0
    for r in range(count):
        if (
            w > 0
            and merged[w - 1, 0] + merged[w - 1, 2] == res[r, 0]
            and merged[w - 1, 1] + merged[w - 1, 2] == res[r, 1]
        ):
            merged[w - 1, 2] += res[r, 2]
        else:
            merged[w, 0] = res[r, 0]
            merged[w, 1] = res[r, 1]
            merged[w, 2] = res[r, 2]
            w += 1
    return merged[:w]


def matching_blocks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matching blocks ``(i, j, n)`` of two key sequences, sorted, without difflib's sentinel.

    The same blocks as ``difflib.SequenceMatcher(None, a, b, autojunk=False)
    .get_matching_blocks()`` (tests check this), as an ``int64`` array of shape ``(k, 3)``.

    >>> matching_blocks(np.array([1, 2, 3, 9, 4, 5], np.uint64), np.array([1, 2, 3, 4, 5], np.uint64)).tolist()
    [[0, 0, 3], [4, 3, 2]]
    """
    a = np.ascontiguousarray(a, dtype=np.uint64)
    b = np.ascontiguousarray(b, dtype=np.uint64)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64)
    res: np.ndarray = _blocks(a, b)
    return res


# ---------------------------------------------------------------------------------------
# aligned stretches
# ---------------------------------------------------------------------------------------


@pickled_by_constructor
@dataclass(frozen=True, slots=True)
class Alignment:
    """One shared stretch: tokens ``[a0, a1)`` of one text match ``[b0, b1)`` of another.

    ``blocks`` are the exactly equal runs ``(i, j, n)`` inside it (absolute token
    indices); the stretch starts with the first block and ends with the last.
    """

    a0: int
    a1: int
    b0: int
    b1: int
    blocks: tuple[tuple[int, int, int], ...]

    @property
    def matched(self) -> int:
        return sum(n for _, _, n in self.blocks)

    @property
    def similarity(self) -> float:
        """``2 * matched / (len_a + len_b)``, in tokens (difflib's ratio)."""
        return 2.0 * self.matched / ((self.a1 - self.a0) + (self.b1 - self.b0))

    @property
    def span_a(self) -> tuple[int, int]:
        return self.a0, self.a1

    def swapped(self) -> Alignment:
        """The same stretch seen from the other text."""
        return Alignment(self.b0, self.b1, self.a0, self.a1, tuple((j, i, n) for i, j, n in self.blocks))


def _clip(bl: list[tuple[int, int, int]], a0: int, a1: int, b0: int, b1: int) -> list[tuple[int, int, int]]:
    """The parts of blocks inside ``[a0, a1)`` on the a side and ``[b0, b1)`` on the b side."""
    out = []
    for i, j, n in bl:
        lo = max(i, a0, i + b0 - j)
        hi = min(i + n, a1, i + b1 - j)
        if lo < hi:
            out.append((lo, j + lo - i, hi - lo))
    return out


def _quote_edges(flags: np.ndarray | None, lo: int, hi: int, edge: int) -> tuple[int, int]:
    """Narrow ``[lo, hi)`` past attribution around a quotation.

    Words before the first quotation boundary are dropped when the boundary *opens* the
    quotation (``Hassett stated, "President ...``), words after the last one when it
    *closes* it (``... good," Trump said``): at most ``edge`` words, and fewer than remain.
    """
    if flags is None:
        return lo, hi
    marks = np.flatnonzero(flags[lo + 1 : hi] & (OPEN_QUOTE | CLOSE_QUOTE)) + lo + 1
    if marks.size == 0:
        return lo, hi
    first, last = int(marks[0]), int(marks[-1])
    if flags[first] & OPEN_QUOTE and not flags[first] & CLOSE_QUOTE and first - lo <= edge and first - lo < hi - first:
        lo = first
    if flags[last] & CLOSE_QUOTE and not flags[last] & OPEN_QUOTE and hi - last <= edge and hi - last < last - lo:
        hi = last
    return lo, hi


def _distinct(rare_start: np.ndarray | None, i: int, n: int, k: int) -> int:
    """Words of block ``[i, i + n)`` covered by a rare ``k``-shingle lying inside the block."""
    if rare_start is None or n < k:
        return n
    starts = rare_start[i : i + n - k + 1]
    if starts.all():
        return n
    covered = np.convolve(starts.astype(np.int64), np.ones(k, dtype=np.int64))[:n]
    return int((covered > 0).sum())


def _stretch(
    blocks: Sequence[tuple[int, int, int]],
    min_words: int,
    min_similarity: float,
    a_flags: np.ndarray | None,
    b_flags: np.ndarray | None,
    a_rare: np.ndarray | None,
    shingle: int,
) -> list[tuple[tuple[int, int, int], ...]]:
    """Keep a chain of blocks, trimming chance edge words and splitting it if too loose."""
    bl = list(blocks)
    for _ in range(4):  # trimming one side can expose another fragment; settles fast
        # A one-word agreement at either edge, apart from the rest, is chance (``the``, ``said``).
        while len(bl) > 1 and bl[0][2] < 2:
            bl.pop(0)
        while len(bl) > 1 and bl[-1][2] < 2:
            bl.pop()
        if not bl:
            return []
        a0, b0 = bl[0][0], bl[0][1]
        a1, b1 = bl[-1][0] + bl[-1][2], bl[-1][1] + bl[-1][2]
        # Attribution outside a quotation ("good," Trump said) is not the statement.
        na0, na1 = _quote_edges(a_flags, a0, a1, EDGE_FRAGMENT)
        nb0, nb1 = _quote_edges(b_flags, b0, b1, EDGE_FRAGMENT)
        if (na0, na1, nb0, nb1) == (a0, a1, b0, b1):
            break
        bl = _clip(bl, na0, na1, nb0, nb1)
    matched = sum(n for _, _, n in bl)
    if matched < min_words:
        return []
    a0, b0 = bl[0][0], bl[0][1]
    a1, b1 = bl[-1][0] + bl[-1][2], bl[-1][1] + bl[-1][2]
    # Shared words must mostly come in runs: a template sentence ("Lawmakers in X voted
    # N to M to cap subsidies for Y") agrees with its siblings only in short pieces.
    # With ``a_rare``, only distinctive words count, so two common phrases side by side ("the
    # Finance Minister of X, according to official data") are no passage either; a single
    # run of ``LONG_RUN * min_words`` words counts whatever its wording (a widely quoted line).
    anchored = sum(_distinct(a_rare, i, n, shingle) for i, _, n in bl if n >= RUN_MIN)
    longest = max(n for _, _, n in bl)
    anchored_ok = anchored >= ANCHOR_SHARE * min_words or longest >= LONG_RUN * min_words
    if 2.0 * matched / ((a1 - a0) + (b1 - b0)) >= min_similarity and anchored_ok:
        return [tuple(bl)]
    if len(bl) == 1:
        return []
    # Split at the widest gap and judge both sides on their own.
    gaps = [max(bl[g + 1][0] - bl[g][0] - bl[g][2], bl[g + 1][1] - bl[g][1] - bl[g][2]) for g in range(len(bl) - 1)]
    cut = max(range(len(gaps)), key=lambda g: (gaps[g], -g)) + 1
    return _stretch(bl[:cut], min_words, min_similarity, a_flags, b_flags, a_rare, shingle) + _stretch(
        bl[cut:], min_words, min_similarity, a_flags, b_flags, a_rare, shingle
    )


def align(
    a: np.ndarray,
    b: np.ndarray,
    *,
    min_words: int,
    min_similarity: float,
    max_gap: int = MAX_GAP,
    a_offset: int = 0,
    b_offset: int = 0,
    a_flags: np.ndarray | None = None,
    b_flags: np.ndarray | None = None,
    a_rare: np.ndarray | None = None,
    shingle: int = 3,
) -> list[Alignment]:
    """Shared stretches of two token-key windows, in absolute token indices.

    Blocks are chained while the unmatched words between them number at most ``max_gap``
    on both sides; a chain is kept when it shares ``min_words`` words and its similarity
    (difflib ratio over the stretch) reaches ``min_similarity``, else it is split at its
    widest gap and the halves are judged alone. At least ``ANCHOR_SHARE * min_words`` of
    the shared words must be in runs of :data:`RUN_MIN` or more (template sentences agree
    with each other only in short pieces); with ``a_rare`` (over ``a``: is the
    ``shingle``-word shingle starting at each token rare in the batch?) only words covered
    by a rare shingle inside their run count, unless one run is ``LONG_RUN * min_words``
    long. Edge
    blocks of one word are dropped, and
    with the windows' token ``flags`` attribution of at most :data:`EDGE_FRAGMENT` words
    outside the quotation marks is trimmed off either edge. ``a_offset`` and
    ``b_offset`` are where the windows start in their texts.

    >>> k = lambda s: tokenize(s).keys
    >>> al = align(k("he said China also wants to make a deal badly but"),
    ...            k("China also wants to make a deal, Trump wrote, badly but they"),
    ...            min_words=5, min_similarity=0.7)
    >>> [(x.a0, x.a1, x.b0, x.b1, round(x.similarity, 2)) for x in al]
    [(2, 11, 0, 11, 0.9)]
    """
    blocks = matching_blocks(a, b)
    chains: list[list[tuple[int, int, int]]] = []
    for i, j, n in blocks.tolist():
        if chains:
            pi, pj, pn = chains[-1][-1]
            if i - (pi + pn) <= max_gap and j - (pj + pn) <= max_gap:
                chains[-1].append((i, j, n))
                continue
        chains.append([(i, j, n)])
    out: list[Alignment] = []
    for chain in chains:
        for bl in _stretch(chain, min_words, min_similarity, a_flags, b_flags, a_rare, shingle):
            blk = tuple((i + a_offset, j + b_offset, n) for i, j, n in bl)
            out.append(Alignment(blk[0][0], blk[-1][0] + blk[-1][2], blk[0][1], blk[-1][1] + blk[-1][2], blk))
    return out


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """difflib ratio of two key sequences: ``2 * matched / (len(a) + len(b))``.

    >>> similarity(tokenize("a b c d").keys, tokenize("A B x D").keys)
    0.75
    """
    total = a.shape[0] + b.shape[0]
    if total == 0:
        return 1.0
    return 2.0 * float(matching_blocks(a, b)[:, 2].sum()) / total


# ---------------------------------------------------------------------------------------
# character spans and word diffs
# ---------------------------------------------------------------------------------------


def char_span(tokens: Tokens, text: str, t0: int, t1: int) -> tuple[int, int]:
    """Character span of tokens ``[t0, t1)``: first token's start to last token's end.

    Sentence punctuation directly after the last token (``.``, ``!!!``, ``?``) is part of
    the span; commas, closing quote marks and opening quote marks are not.

    >>> text = "“Their top TEAM is on a plane heading to the U.S.”"
    >>> t = tokenize(text)
    >>> s, e = char_span(t, text, 0, len(t))
    >>> text[s:e]
    'Their top TEAM is on a plane heading to the U.S.'
    """
    start = int(tokens.starts[t0])
    end = int(tokens.ends[t1 - 1])
    while end < len(text) and text[end] in _SENT_CHARS:
        end += 1
    return start, end


_PIECE = re.compile(r"\S+\s*")
_NONWORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=64)
def _keyed_pieces(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``text``'s whitespace-separated pieces and what :func:`word_diff` compares of each:
    its folded letters and digits (or the folded piece, when it has none). The text is
    folded once, not piece by piece (offsets are kept), and the canonical text's pieces
    are made once for all its sources."""
    folded = fold_text(text)
    pieces, keys = [], []
    for m in _PIECE.finditer(text):
        s, e = m.span()
        f = folded[s:e]
        pieces.append(m.group())
        keys.append(_NONWORD.sub("", f) or f.strip())
    return tuple(pieces), tuple(keys)


def word_diff(source: str, canonical: str) -> list[list[str]]:
    """Word-level diff of a source variant against the canonical text.

    A list of ``[op, text]``: ``"="`` words both have, ``"-"`` words only the canonical
    text has, ``"+"`` words only the source has. Words are whitespace-separated pieces
    (with their trailing whitespace) compared on their folded letters and digits, so a
    change of case, quote marks or attached punctuation is not a difference. Joining the
    ``"="`` and ``"+"`` texts gives ``source`` exactly; ``"="`` texts are the source's
    spelling. Adjacent pieces with the same op are merged.

    >>> word_diff("We export one-fifth to them, so", "We export one fifth to them. So")
    [['=', 'We export '], ['-', 'one fifth '], ['+', 'one-fifth '], ['=', 'to them, so']]
    """
    src, src_keys = _keyed_pieces(source)
    can, can_keys = _keyed_pieces(canonical)
    sm = difflib.SequenceMatcher(None, can_keys, src_keys, autojunk=False)
    out: list[list[str]] = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if op == "-" and out and not out[-1][1][-1:].isspace():
            text = " " + text  # the source's last word ends the text; keep canonical words apart
        if out and out[-1][0] == op:
            out[-1][1] += text
        else:
            out.append([op, text])

    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            emit("=", "".join(src[j1:j2]))
        else:
            emit("-", "".join(can[i1:i2]))
            emit("+", "".join(src[j1:j2]))
    return out
