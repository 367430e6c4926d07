"""The compiled word counts (corpuskit.wordstats) are the regex's and str.lower's, exactly."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit import boilerplate as bp
from corpuskit import wordstats
from corpuskit.align import HAVE_NUMBA, python_kernel
from corpuskit.config import BoilerplateConfig
from corpuskit.dedup import word_count
from corpuskit.normalise import SUSPECT, is_normal_join, normalise_text
from corpuskit.stopwords import stopwords
from corpuskit.wordstats import code_points, line_counts, lowered_counts, word_set

PATTERN = bp._WORD.pattern

# Pieces that exercise every rule: cases, stopwords in any case, letters whose lower case
# is two characters (İ) or depends on context (Σ), astral characters (emoji; Deseret has
# a one-character lower case, outside the BMP), combining marks inside words, numbers
# the regex counts as word characters (², Ⅻ), separators, a lone surrogate.
PIECES = [
    *"aAzZ09_ '-.,;\n\t",
    *"éÉßẞıİΣσςЖжǅⅫ²中ー",
    "\u0301",
    "\u0915\u093f",
    "\u00a0",
    "\u2003",
    "\u200b",
    "\x85",
    "\x1f",
    "Ã©",
    "\u2019",
    "\ud800",
    "😀",
    "\U00010400",
    *["the", "The", "THE", "tHe", "and", "And", "To", "Of", "über", "ÜBER", "straße", "STRASSE", "Σοφία", "İstanbul"],
]
STOPS = stopwords("en") | {"über", "straße", "σοφία", "i̇stanbul", "ж"}
CASED = ("And", "To", "Of", "Über", "İstanbul")
FLAG = SUSPECT  # what the stripper flags: the characters normalise_text looks at

texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def _odd(ch: str) -> bool:
    low = ch.lower()
    return ord(ch) >= 0x10000 or len(low) != 1 or ord(low) >= 0x10000 or ch == "Σ"


@settings(max_examples=400, deadline=None)
@given(texts)
def test_line_counts_are_the_regex_counts(text: str) -> None:
    got = line_counts(code_points(text), PATTERN, word_set(STOPS, PATTERN), word_set(CASED, PATTERN), 1, 11, FLAG)
    lines = text.split("\n")
    assert len(got) == len(lines)
    for line, (ok, words, stops, cased, splits, flagged) in zip(lines, got.tolist(), strict=True):
        assert ok == (not any(map(_odd, line))), line  # falls back exactly where it must
        assert splits == len(line.split()), line
        assert flagged == (re.search(FLAG, line) is not None or any(ord(c) >= 0x10000 for c in line)), line
        if ok:
            toks = re.findall(PATTERN, line)
            assert (words, stops, cased) == (
                len(toks),
                sum(t.lower() in STOPS for t in toks),
                sum(t in CASED for t in toks[1:12]),
            ), line


@settings(max_examples=400, deadline=None)
@given(texts)
def test_lowered_counts_are_those_of_the_lower_cased_text(text: str) -> None:
    got = lowered_counts(code_points(text), PATTERN, word_set(STOPS, PATTERN))
    if any(map(_odd, text)):
        assert got is None
    else:
        toks = re.findall(PATTERN, text.lower())
        assert got == (len(toks), sum(t in STOPS for t in toks))


@settings(max_examples=200, deadline=None)
@given(texts, st.sampled_from([None, "en", "de", "el", "tr", "ja"]))
def test_the_stripper_measures_each_line_as_its_regex_path_does(text: str, lang: str | None) -> None:
    """Lines measured by the kernel and those it leaves to ``_features`` are alike."""
    _, lines, _ = bp._prepare(text, lang)
    code = bp.canonical_lang(lang) if lang else bp.detect_stopword_language(text)
    stops = stopwords(code) if code and code not in bp.UNSPACED else frozenset()
    expected = [bp._features(i, s.strip(), code, stops) for i, s in enumerate(text.split("\n")) if s.strip()]
    assert lines == expected


def test_language_guess_takes_the_fast_path_only_when_it_agrees() -> None:
    english = "The minister said that the talks were going well and that a deal was close. " * 5
    assert bp.detect_stopword_language(english) == "en"
    # A capital I with a dot lower-cases to two characters: the guess is made on the words.
    assert bp.detect_stopword_language("İ " + english) == "en"
    assert (
        bp.detect_stopword_language(
            "Der Minister sagte, dass die Gespräche gut laufen und dass es bald eine Einigung gibt."
        )
        == "de"
    )


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled kernels need numba")
def test_python_kernels_count_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "The İstanbul talks AND the Σοφία deal\nStraße To Of the 😀 end\n\nÜBER alles, and more"
    args = (PATTERN, word_set(STOPS, PATTERN), word_set(CASED, PATTERN), 1, 11, FLAG)
    want = line_counts(code_points(text), *args).tolist(), lowered_counts(code_points(text[:40]), PATTERN, args[1])
    for name, obj in list(vars(wordstats).items()):
        if hasattr(obj, "py_func"):
            monkeypatch.setattr(wordstats, name, python_kernel(obj.py_func))
    args = (PATTERN, word_set(STOPS, PATTERN), word_set(CASED, PATTERN), 1, 11, FLAG)
    assert (
        line_counts(code_points(text), *args).tolist(),
        lowered_counts(code_points(text[:40]), PATTERN, args[1]),
    ) == want


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([None, "en", "ja"]))
def test_what_the_stripper_says_of_its_text_holds(text: str, lang: str | None) -> None:
    """``words`` is the text's word count as the keep policy counts it (the pipeline hands
    it to deduplication in place of ``word_count``), and a text it calls normal needs no
    normalising."""
    st_ = bp.strip_boilerplate(text, BoilerplateConfig(), lang=lang)
    assert st_.words == word_count(st_.text) == len(st_.text.split())
    if is_normal_join(st_.text, tidy=st_.tidy):
        assert normalise_text(st_.text) == st_.text
    if st_.tidy:
        assert re.search(SUSPECT, st_.text) is None
