"""Text normalisation, and the fold used only for matching.

:func:`normalise_text` is what every document's ``text`` goes through: it repairs mojibake
(ftfy), composes Unicode (NFC), and tidies whitespace while keeping the author's characters
(curly quotes stay curly). It is idempotent: ``normalise_text(normalise_text(t)) ==
normalise_text(t)``.

:func:`fold_text` is for comparing texts, never for output: it maps quote marks, dashes and
case to one form *character by character*, so offsets in the folded text are offsets in the
original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import ftfy
import numpy as np

__all__ = ["SUSPECT", "bmp_chars", "class_table", "fold_text", "has_suspect", "is_normal_join", "normalise_text"]

# Lean ftfy config: we do our own whitespace/NFC steps and must not touch quotes.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_line_breaks=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    normalization="NFC",
    explain=False,
)

# ftfy repairs mojibake, C1 controls, terminal escapes and surrogates. UTF-8 read as
# Latin-1 or Windows-1252 always shows a lead byte in U+00C0..U+00FF (or a C1 control),
# and the control characters ftfy removes are listed too, so text with none of these has
# nothing ftfy would change (a property test checks it), and skips its cost (curly
# quotes and dashes alone are the common case in English news). The price: mojibake of
# the rarer codepages ftfy also knows (MacRoman "»¨", Cyrillic Windows-1251 "Р°") is
# repaired only when the text also shows one of these characters; ftfy's own detector
# would cost more than ftfy's whole fix on clean text (about 0.75 ms per article).
_FTFY_NEEDED = re.compile(
    "[\u0080-\u009f\u00c0-\u00ff\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ud800-\udfff\ufff9-\ufffd"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)

# Zero-width and control characters that carry no text (keep \n and \t for the steps below).
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_SEPS = re.compile("\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Any character one of the three substitutions above would change: clean text (most
# text) skips them, since a regex that finds nothing costs a fraction of one that rewrites.
_UNTIDY = re.compile(
    "[\r\x85\u2028\u2029\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\u00ad"
    "\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
)
_SUSPECT = re.compile(f"{_FTFY_NEEDED.pattern}|{_UNTIDY.pattern}")
SUSPECT = _SUSPECT.pattern
"""The characters :func:`normalise_text` repairs or tidies (as a regular expression): a
text without any of them skips ftfy and the tidy steps."""


@lru_cache(maxsize=1)
def bmp_chars() -> str:
    """Every character of the Basic Multilingual Plane in code-point order (lone surrogates
    included): what the character tables here and in :mod:`corpuskit.align` and
    :mod:`corpuskit.wordstats` are made from, once per process."""
    return "".join(map(chr, range(0x10000)))


@lru_cache(maxsize=8)
def class_table(pattern: str) -> np.ndarray:
    """bool per BMP code point: ``pattern`` (character classes, each match one run of
    them) matches it. Made by the regex itself (about 10 ms), so it cannot disagree.

    >>> bool(class_table("[a-c]")[ord("b")]), bool(class_table("[a-c]")[ord("d")])
    (True, False)
    """
    table = np.zeros(0x10000, dtype=np.bool_)
    for m in re.finditer(pattern, bmp_chars()):
        table[m.start() : m.end()] = True
    return table


_ASCII_CLEAN = bytes(range(0x20, 0x7F)) + b"\n"


def has_suspect(text: str) -> bool:
    """Whether a character of ``text`` matches :data:`SUSPECT` (what ``re.search`` tells).

    Asked of every text read, and mostly answered no. The regex engine takes 10-15 ns a
    character over a class this large. A lookup of the text's UTF-16 code units in
    :func:`class_table` takes a third of that, and ASCII text one byte deletion (a
    fifteenth; measured on news articles). A character outside the BMP (two units) is
    left to the regex.

    >>> has_suspect("“Clean” text — fine"), has_suspect("Caf\\u00c3\\u00a9"), has_suspect("a\\tb")
    (False, True, True)
    """
    if text.isascii():  # only the controls but "\n" can match: are there bytes left?
        return bool(text.encode("ascii").translate(None, _ASCII_CLEAN))
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) != 2 * len(text):
        return _SUSPECT.search(text) is not None
    return bool(class_table(SUSPECT)[np.frombuffer(units, dtype=np.uint16)].any())


def normalise_text(text: str) -> str:
    """Repair and tidy ``text`` for output.

    Lines are stripped, runs of spaces (including non-breaking ones) become one space,
    and paragraphs end up separated by exactly one blank line. A single newline inside a
    paragraph is kept (it is a line break the source had).

    >>> normalise_text("  Hello\\u00a0 world\\r\\n\\r\\n\\r\\n  \\nSecond  para.  ")
    'Hello world\\n\\nSecond para.'
    """
    if not text:
        return ""
    for _ in range(_MAX_PASSES):
        text, again = _normalise_once(text)
        if not again:
            break
    return text


def is_normal_join(text: str, *, tidy: bool) -> bool:
    """Whether ``normalise_text(text) == text``, for a ``text`` made of stripped, non-empty
    lines joined by one or two newlines (what :func:`~corpuskit.boilerplate.strip_boilerplate`
    returns), given ``tidy``: that none of its characters matches :data:`SUSPECT`.

    Such a text skips ftfy and the tidy steps, its lines are stripped and it has no run of
    three newlines: what is left to check is a run of spaces and NFC.

    >>> is_normal_join("Café au lait.\\nIt was cold.", tidy=True)
    True
    >>> is_normal_join("Cafe\\u0301 au lait.", tidy=True)
    False
    """
    return tidy and "  " not in text and (text.isascii() or unicodedata.is_normalized("NFC", text))


# ftfy is not always idempotent ("À\r\x83¢"), and what the steps after it change can make
# new mojibake ("\xadÀ\x86" → "À†", which is "ˠ"; "Â\t0" → "Â 0"): a text ftfy saw and
# changed goes round again, until a pass changes nothing (rare: only repaired text pays).
_MAX_PASSES = 4


def _normalise_once(text: str) -> tuple[str, bool]:
    """One pass of :func:`normalise_text`, and whether another one may change the text."""
    given = text
    suspect = has_suspect(text)  # one scan instead of two on clean text
    repaired = False
    if not text.isascii():
        if suspect and _FTFY_NEEDED.search(text):
            text = ftfy.fix_text(text, _FTFY)
            repaired = True
        text = unicodedata.normalize("NFC", text)
    if suspect and _UNTIDY.search(text):
        text = _LINE_SEPS.sub("\n", text)
        text = _INVISIBLE.sub("", text)
        text = _SPACES.sub(" ", text)
        if not text.isascii():  # a letter and its accent, apart until an invisible went: join them
            text = unicodedata.normalize("NFC", text)
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    text = text.strip("\n ")
    return text, repaired and text != given and _FTFY_NEEDED.search(text) is not None


_FOLD_MAP = {
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b"), "-"),
    **dict.fromkeys(map(ord, "\n\t\r\u00a0"), " "),
}


_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD_MAP.items())


def fold_text(text: str) -> str:
    """Fold quotes, dashes, whitespace and case for matching, keeping length and offsets.

    >>> fold_text("“Their top TEAM” — said")
    '"their top team" - said'
    """
    if text.isascii():
        return text.translate(_FOLD_MAP).lower()
    # str.translate with a dict is slow on non-ASCII text; a few replace() calls are not
    for src, dst in _FOLD_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    low = text.lower()
    if len(low) == len(text):
        return low
    # Some character lowers to two (İ): lower each one alone and keep those as they are.
    return "".join([lc if len(lc) == 1 else c for c, lc in zip(text, map(str.lower, text), strict=True)])
