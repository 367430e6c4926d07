from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.normalise import fold_text, normalise_text

CASES = [json.loads(line) for line in (Path(__file__).parent / "cases" / "normalise.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_normalise_cases(case: dict[str, str]) -> None:
    assert normalise_text(case["input"]) == case["expected"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert "\r" not in once and "\n\n\n" not in once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fold_keeps_length(text: str) -> None:
    folded = fold_text(text)
    assert len(folded) == len(text)
    assert fold_text(folded) == folded


def test_fold_maps_quotes_dashes_case() -> None:
    assert fold_text("“Top TEAM’s” – here") == '"top team\'s" - here'


def _reference_normalise(text: str) -> str:
    """normalise_text with ftfy always applied: the gate must never change the result."""
    import unicodedata

    import ftfy

    from corpuskit import normalise as n

    if not text.isascii():
        text = unicodedata.normalize("NFC", ftfy.fix_text(text, n._FTFY))
    text = n._LINE_SEPS.sub("\n", text)
    text = n._INVISIBLE.sub("", text)
    text = n._SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return n._BLANK_RUNS.sub("\n\n", text).strip("\n ")


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from("“”‘’—–…éèüöäßçñ€™•\u00a0\u200b\r\n  abcdefghij.,"),
        ),
        max_size=120,
    )
)
def test_skipping_ftfy_never_changes_the_result(text: str) -> None:
    assert normalise_text(text) == _reference_normalise(text)


@pytest.mark.parametrize("mojibake", ["The president\u00e2\u20ac\u2122s plan", "caf\u00c3\u00a9", "\u00c2\u00a0nbsp"])
def test_mojibake_still_repaired(mojibake: str) -> None:
    assert normalise_text(mojibake) != mojibake
