"""Word counts of a text's lines in one compiled pass: what the plain-text stripper
(:mod:`corpuskit.boilerplate`) measures of every line, without a string per word.

The stripper needs, per line, how many words it has (``pattern.findall(line)``), how many
of them are stopwords (``word.lower() in stops``) and how many of its 2nd to 12th words
are in a given case-sensitive set; for its language guess, the same of the lower-cased
head of the text; and for the text it returns, ``len(line.split())`` and whether a line
holds a character :func:`~corpuskit.normalise.normalise_text` would look at (then the
pipeline need not normalise that text again, nor split it to count its words). Tokenising with the regex and lower-casing every word made
three string objects per word: about two thirds of the stripper's time. Here the text is
one array of code points, words are runs of code points the pattern matches, and a word
is looked up by a hash of its code points, then compared code point by code point (a
hash never decides alone).

The counts are exactly those of the regex and ``str.lower``: the character tables are
made *from* them, one character at a time. A line holding a character whose lower case is
not one character of the Basic Multilingual Plane (``İ``; ``Σ``, whose lower case depends
on its neighbours; anything outside the BMP, such as emoji) is marked, and the caller
measures that line the slow way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .align import inline_jit, jit
from .normalise import bmp_chars, class_table
from .signatures import _U_FNV_OFFSET as _FNV_OFFSET
from .signatures import _U_FNV_PRIME as _FNV_PRIME
from .signatures import _fmix

__all__ = ["WordSet", "code_points", "line_counts", "lowered_counts", "word_set"]

_BMP = 0x10000
_NEWLINE = 10


class _Tables(NamedTuple):
    word: np.ndarray  # bool per BMP code point: the pattern matches it
    lower: np.ndarray  # its lower case (one BMP code point), where not ``odd``
    odd: np.ndarray  # bool: its lower case is not one BMP code point, or depends on context
    space: np.ndarray  # bool: str.isspace (no character outside the BMP is a space)


class WordSet(NamedTuple):
    """Words in an open-addressing hash table: slot ``s`` holds word ``slot[s]`` (-1: empty)
    with hash ``hashes[s]``; word ``i``'s code points are ``flat[at[i]:at[i + 1]]``."""

    slot: np.ndarray
    hashes: np.ndarray
    at: np.ndarray
    flat: np.ndarray
    longest: int


@lru_cache(maxsize=4)
def _tables(pattern: str) -> _Tables:
    """The tables of one word pattern (a character class with ``+``), made by the regex
    itself over every BMP character (about 30 ms, once per process)."""
    chars = bmp_chars()
    word = class_table(pattern)
    lowered = list(map(str.lower, chars))
    size = np.fromiter(map(len, lowered), dtype=np.intp, count=_BMP)  # never 0
    one = size == 1
    firsts = code_points("".join(lowered))[np.cumsum(size) - size]  # each one's first code point
    lower = np.where(one, firsts, 0).astype(np.uint32)
    odd = ~one | (lower >= _BMP)
    odd[0x03A3] = True  # GREEK CAPITAL SIGMA: lower-cases to ς at a word's end, σ elsewhere
    space = np.fromiter(map(str.isspace, chars), dtype=np.bool_, count=_BMP)
    return _Tables(word, lower, odd, space)


def code_points(text: str) -> np.ndarray:
    """``text`` as an array of code points (a lone surrogate is one code point, as in ``str``)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@inline_jit
def _hash(cps: np.ndarray, start: int, end: int, lower: np.ndarray, lowered: bool) -> np.uint64:
    h = _FNV_OFFSET
    for p in range(start, end):
        c = cps[p]
        if lowered:
            c = lower[c]
        h = (h ^ np.uint64(c)) * _FNV_PRIME
    return _fmix(h)  # FNV-1a, then the scanner's finaliser: the table's slots take the low bits


@jit
def _hash_words(flat: np.ndarray, at: np.ndarray, lower: np.ndarray) -> np.ndarray:
    out = np.empty(at.shape[0] - 1, dtype=np.uint64)
    for i in range(out.shape[0]):
        out[i] = _hash(flat, at[i], at[i + 1], lower, False)
    return out


@inline_jit
def _member(
    cps: np.ndarray,
    start: int,
    end: int,
    lower: np.ndarray,
    lowered: bool,
    slot: np.ndarray,
    hashes: np.ndarray,
    at: np.ndarray,
    flat: np.ndarray,
    longest: int,
) -> bool:
    """Whether ``cps[start:end]`` (lower-cased with ``lowered``) is one of the set's words."""
    if end - start > longest:
        return False
    h = _hash(cps, start, end, lower, lowered)
    mask = np.uint64(slot.shape[0] - 1)
    s = h & mask
    while slot[s] >= 0:
        if hashes[s] == h:
            w = slot[s]
            a = at[w]
            if at[w + 1] - a == end - start:
                same = True
                for q in range(end - start):
                    c = cps[start + q]
                    if lowered:
                        c = lower[c]
                    if c != flat[a + q]:
                        same = False
                        break
                if same:
                    return True
        s = (s + np.uint64(1)) & mask
    return False


@jit
def _line_counts(
    cps: np.ndarray,
    word: np.ndarray,
    lower: np.ndarray,
    odd: np.ndarray,
    space: np.ndarray,
    flag: np.ndarray,
    s_slot: np.ndarray,
    s_hashes: np.ndarray,
    s_at: np.ndarray,
    s_flat: np.ndarray,
    s_longest: int,
    c_slot: np.ndarray,
    c_hashes: np.ndarray,
    c_at: np.ndarray,
    c_flat: np.ndarray,
    c_longest: int,
    first: int,
    last: int,
    out: np.ndarray,
) -> None:
    line = 0
    ok = 1
    words = 0
    stops = 0
    cased = 0
    splits = 0
    flagged = 0
    start = -1
    gap = True  # the last character was a space (or the line's start)
    n = cps.shape[0]
    for p in range(n + 1):
        c = cps[p] if p < n else _NEWLINE
        w = False
        if c != _NEWLINE:
            if c >= _BMP:
                ok = 0
                flagged = 1  # no table out there: flagged, whatever it is
                if gap:
                    splits += 1
                gap = False
            else:
                if flag[c]:
                    flagged = 1
                if space[c]:
                    gap = True
                else:
                    if gap:
                        splits += 1
                    gap = False
                if odd[c]:
                    ok = 0
                else:
                    w = word[c]
        if w:
            if start < 0:
                start = p
            continue
        if start >= 0:
            if ok:
                if _member(cps, start, p, lower, True, s_slot, s_hashes, s_at, s_flat, s_longest):
                    stops += 1
                if first <= words <= last and _member(
                    cps, start, p, lower, False, c_slot, c_hashes, c_at, c_flat, c_longest
                ):
                    cased += 1
            words += 1
            start = -1
        if c == _NEWLINE:
            out[line, 0] = ok
            out[line, 1] = words
            out[line, 2] = stops
            out[line, 3] = cased
            out[line, 4] = splits
            out[line, 5] = flagged
            line += 1
            ok = 1
            words = stops = cased = splits = flagged = 0
            gap = True


@jit
def _lowered_counts(
    cps: np.ndarray,
    word: np.ndarray,
    lower: np.ndarray,
    odd: np.ndarray,
    slot: np.ndarray,
    hashes: np.ndarray,
    at: np.ndarray,
    flat: np.ndarray,
    longest: int,
) -> tuple[bool, int, int]:
    words = 0
    stops = 0
    start = -1
    n = cps.shape[0]
    for p in range(n + 1):
        w = False
        if p < n:
            c = cps[p]
            if c >= _BMP or odd[c]:
                return False, 0, 0
            w = word[lower[c]]
        if w:
            if start < 0:
                start = p
            continue
        if start >= 0:
            if _member(cps, start, p, lower, True, slot, hashes, at, flat, longest):
                stops += 1
            words += 1
            start = -1
    return True, words, stops


def word_set(words: frozenset[str] | tuple[str, ...], pattern: str) -> WordSet:
    """``words`` as a :class:`WordSet` for :func:`line_counts` and :func:`lowered_counts`."""
    tables = _tables(pattern)
    cps = [code_points(w) for w in sorted(words)]
    at = np.zeros(len(cps) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in cps], out=at[1:])
    flat = np.concatenate(cps) if cps else np.zeros(0, dtype=np.uint32)
    size = 1 << max(4, (4 * len(cps)).bit_length())  # at most a quarter full: short probes
    slot = np.full(size, -1, dtype=np.int64)
    hashes = np.zeros(size, dtype=np.uint64)
    for i, h in enumerate(_hash_words(flat, at, tables.lower).tolist() if cps else []):
        s = h & (size - 1)
        while slot[s] >= 0:
            s = (s + 1) & (size - 1)
        slot[s], hashes[s] = i, h
    return WordSet(slot, hashes, at, flat, max((len(c) for c in cps), default=0))


def line_counts(
    cps: np.ndarray, pattern: str, stops: WordSet, cased: WordSet, first: int, last: int, flag: str
) -> np.ndarray:
    """Per line of ``cps`` (split at ``\\n``): ``[ok, words, stopwords, cased, splits,
    flagged]``, where ``words`` is ``len(re.findall(pattern, line))``, ``stopwords`` how
    many of those words lower-cased are in ``stops``, ``cased`` how many of words
    ``first..last`` (0-based) are in ``cased`` as they are, ``splits`` is
    ``len(line.split())`` and ``flagged`` whether a character of the line matches ``flag``
    (character classes; a character outside the BMP is always flagged). ``ok`` is 0 on a
    line whose first three counts cannot be trusted (see the module's docstring); the last
    two always can.

    >>> pat = r"\\w+"
    >>> line_counts(code_points("The cat And\\nİstanbul\\t2"), pat, word_set(frozenset({"the"}), pat),
    ...             word_set(("And",), pat), 1, 11, "[\\t]").tolist()
    [[1, 3, 1, 1, 3, 0], [0, 2, 0, 0, 2, 1]]
    """
    t = _tables(pattern)
    out = np.zeros((int(np.count_nonzero(cps == _NEWLINE)) + 1, 6), dtype=np.int64)
    _line_counts(cps, t.word, t.lower, t.odd, t.space, class_table(flag), *stops, *cased, first, last, out)
    return out


def lowered_counts(cps: np.ndarray, pattern: str, stops: WordSet) -> tuple[int, int] | None:
    """``(words, stopwords)`` of ``re.findall(pattern, text.lower())`` for the text of
    ``cps``, or ``None`` when a character's lower case is not one BMP code point (the
    caller lowers the text itself then).

    >>> pat = r"\\w+"
    >>> lowered_counts(code_points("THE Cat"), pat, word_set(frozenset({"the"}), pat))
    (2, 1)
    """
    t = _tables(pattern)
    ok, words, hits = _lowered_counts(cps, t.word, t.lower, t.odd, *stops)
    return (int(words), int(hits)) if ok else None
