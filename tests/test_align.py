"""Tokens, matching blocks, aligned stretches and word diffs (corpuskit.align)."""

from __future__ import annotations

import difflib
import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit import align as A
from corpuskit.align import (
    BARRIER,
    CLOSE_QUOTE,
    OPEN_QUOTE,
    align,
    char_span,
    matching_blocks,
    similarity,
    tokenize,
    word_diff,
)
from corpuskit.normalise import fold_text

CASES = Path(__file__).parent / "cases"


def _load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CASES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _token_view(text: str) -> dict[str, list[str]]:
    t = tokenize(text)
    toks = [text[s:e] for s, e in zip(t.starts, t.ends, strict=True)]
    return {
        "tokens": toks,
        "paragraphs": [w for w, f in zip(toks, t.flags, strict=True) if f & BARRIER],
        "open": [w for w, f in zip(toks, t.flags, strict=True) if f & OPEN_QUOTE],
        "close": [w for w, f in zip(toks, t.flags, strict=True) if f & CLOSE_QUOTE],
    }


@pytest.mark.parametrize("case", _load("passages_tokens.jsonl"), ids=lambda c: c["label"])
def test_tokenize_cases(case: dict[str, Any]) -> None:
    assert _token_view(case["input"]) == case["expected"]


def _stretches(a: str, b: str, min_words: int = 8) -> list[list[str]]:
    ta, tb = tokenize(a), tokenize(b)
    out = []
    for al in align(ta.keys, tb.keys, min_words=min_words, min_similarity=0.7, a_flags=ta.flags, b_flags=tb.flags):
        s0, e0 = char_span(ta, a, al.a0, al.a1)
        s1, e1 = char_span(tb, b, al.b0, al.b1)
        out.append([a[s0:e0], b[s1:e1]])
    return out


@pytest.mark.parametrize("case", _load("passages_align.jsonl"), ids=lambda c: c["label"])
def test_align_cases(case: dict[str, Any]) -> None:
    assert _stretches(case["input"]["a"], case["input"]["b"]) == case["expected"]


def test_tokens_compare_folded() -> None:
    a, b = tokenize("“Their TEAM’s plane” — on time"), tokenize('"their team\'s PLANE" - on time')
    assert a.keys.tolist() == b.keys.tolist()
    assert tokenize("team").keys[0] != tokenize("teams").keys[0]


def test_empty_and_punctuation_only_texts() -> None:
    for text in ("", "   \n\n ", "— … !!!"):
        t = tokenize(text)
        assert len(t) == 0
        assert t.paragraphs().tolist() == [0]
    assert matching_blocks(np.zeros(0, np.uint64), tokenize("a b").keys).shape == (0, 3)
    assert similarity(np.zeros(0, np.uint64), np.zeros(0, np.uint64)) == 1.0


def test_paragraphs_are_token_starts_of_blocks() -> None:
    text = "One two three.\n\nFour five.\nSix seven"
    assert tokenize(text).paragraphs().tolist() == [0, 3, 5, 7]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab cdé’'\"“”.,!?-—\n中")), max_size=80))
def test_token_offsets_cover_words(text: str) -> None:
    t = tokenize(text)
    prev = 0
    for s, e, key in zip(t.starts.tolist(), t.ends.tolist(), t.keys.tolist(), strict=True):
        assert prev <= s < e <= len(text)
        word = text[s:e]
        # A token is the same word wherever it occurs, case and quote style aside.
        assert tokenize(word).keys.tolist() == [key]
        assert any(ch.isalnum() for ch in word)
        prev = e
    # Words never straddle a token boundary: every alphanumeric character is in a token.
    covered = np.zeros(len(text), dtype=bool)
    for s, e in zip(t.starts.tolist(), t.ends.tolist(), strict=True):
        covered[s:e] = True
    assert all(covered[i] for i, ch in enumerate(text) if ch.isalnum())


_keys = st.lists(st.integers(0, 5), max_size=40).map(lambda xs: np.array(xs, dtype=np.uint64))


@settings(max_examples=300, deadline=None)
@given(_keys, _keys)
def test_matching_blocks_equal_difflib(a: np.ndarray, b: np.ndarray) -> None:
    ref = difflib.SequenceMatcher(None, a.tolist(), b.tolist(), autojunk=False).get_matching_blocks()
    assert matching_blocks(a, b).tolist() == [list(m) for m in ref if m.size]


@settings(max_examples=300, deadline=None)
@given(_keys, _keys)
def test_align_stretches_are_well_formed(a: np.ndarray, b: np.ndarray) -> None:
    for al in align(a, b, min_words=3, min_similarity=0.5, a_offset=10, b_offset=20):
        assert al.matched >= 3 and al.similarity >= 0.5
        assert al.blocks[0][:2] == (al.a0, al.b0)
        for i, j, n in al.blocks:
            assert a[i - 10 : i - 10 + n].tolist() == b[j - 20 : j - 20 + n].tolist()
        assert al.swapped().swapped() == al


_words = st.lists(
    st.sampled_from(["We", "sell", "one-fifth", "“them”", "to", "US,", "so", "so.", "\n", "bet!"]), max_size=14
)


@settings(max_examples=300, deadline=None)
@given(_words, _words)
def test_word_diff_rebuilds_the_source(src: list[str], canon: list[str]) -> None:
    source, canonical = " ".join(src), " ".join(canon)
    diff = word_diff(source, canonical)
    assert "".join(t for op, t in diff if op != "-") == source.lstrip()
    assert {op for op, _ in diff} <= {"=", "-", "+"}
    assert all(diff[i][0] != diff[i + 1][0] for i in range(len(diff) - 1))
    # "=" and "-" give the canonical words, up to folding and attached punctuation.
    kept = "".join(t for op, t in diff if op != "+")
    assert A._keyed_pieces(kept)[1] == A._keyed_pieces(canonical)[1]


def test_word_diff_example() -> None:
    assert word_diff("“We export one-fifth to them,” so", "We export one fifth to them. So") == [
        ["=", "“We export "],
        ["-", "one fifth "],
        ["+", "one-fifth "],
        ["=", "to them,” so"],
    ]


def test_char_span_keeps_sentence_punctuation_only() -> None:
    text = "“It is a tidy way to do business!!!” she said, “and fast,” again"
    t = tokenize(text)
    s, e = char_span(t, text, 0, 8)
    assert text[s:e] == "It is a tidy way to do business!!!"
    s, e = char_span(t, text, 10, 12)
    assert text[s:e] == "and fast"


def test_fold_agrees_with_normalise() -> None:
    # The scanner's fold table is built from normalise.fold_text: same length, same result.
    _, fold = A._tables()
    sample = "ÀÉÎ “’” —–‐ ΣΑΣ İ"
    assert "".join(chr(int(fold[ord(c)])) for c in sample) == fold_text(sample)


def test_class_table_agrees_with_one_character_at_a_time() -> None:
    # The table is built by whole-array steps; this is what each character must get.
    cls, fold = A._tables()
    ideographs = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
    want = []
    for cp in range(0x10000):
        orig, f = chr(cp), fold_text(chr(cp))
        if orig in A._NEWLINE_CHARS:
            c = A._NEWLINE
        elif f.isspace():
            c = A._SPACE
        elif any(lo <= cp <= hi for lo, hi in ideographs):
            c = A._IDEO
        elif unicodedata.category(f)[0] in "LNM":
            c = A._WORD
        elif f == "'":
            c = A._APOS
        elif f == '"':
            c = A._QUOTE
        elif f in A._SENT_CHARS:
            c = A._SENT
        elif f in A._COLON_CHARS:
            c = A._COLON
        elif f in A._COMMA_CHARS:
            c = A._COMMA
        else:
            c = A._OTHER
        want.append(c)
        assert fold[cp] == ord(f), hex(cp)
    assert cls.tolist() == want


@pytest.mark.skipif(not A.HAVE_NUMBA, reason="the compiled kernels need numba")
def test_python_kernels_agree_with_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "“Their lead DELEGATION is on a train,” Marlow said.\n\nIt will come! 中文 Café’s"
    want = tokenize(text)
    a, b = tokenize("a b c x d e").keys, tokenize("a b c d e y").keys
    blocks = matching_blocks(a, b).tolist()
    for name in ("_class", "_fmix", "_scan", "_longest", "_blocks"):
        monkeypatch.setattr(A, name, A.python_kernel(getattr(A, name).py_func))
    got = tokenize(text)
    for field in ("starts", "ends", "keys", "flags"):
        assert getattr(got, field).tolist() == getattr(want, field).tolist()
    assert matching_blocks(a, b).tolist() == blocks
