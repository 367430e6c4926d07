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
