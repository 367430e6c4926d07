"""MinHash signatures: datasketch compatibility, kernel vs numpy fallback, tokenisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit import signatures
from corpuskit.normalise import fold_text
from corpuskit.signatures import (
    count_common,
    minhash_signature,
    permutations,
    shingle_hash32,
    shingle_hashes,
    shingles,
    signature_matrix,
    to_lean_minhash,
    to_minhash,
    tokenize,
)

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "dedup" / "tokenize_cases.jsonl").read_text("utf-8").splitlines()
]

# Text with the characters the tokeniser treats specially: ASCII punctuation, Latin-1
# punctuation, general punctuation (quotes, dashes, ellipsis), letters beyond ASCII.
_ALPHABET = st.sampled_from(
    [*"abcdefghij KLM 0123 ,.;'\"-\n", *"\u00e9\u00fc\u00a0\u00ab\u00b7\u2014\u2019\u201c\u2026\u2070\u6771\u0416"]
)
TEXTS = st.text(_ALPHABET, max_size=300)

ARTICLE = (
    "PORT ELLERY — City officials closed the Calder Street Bridge to all traffic on Tuesday after a "
    "routine inspection found a crack in a steel girder beneath the northern span. About 38,000 vehicles "
    "cross the bridge on an average weekday, and buses on six routes were diverted upstream. “We are not "
    "going to take any chances,” said the city’s chief structural engineer."
)


@contextmanager
def numpy_fallback() -> Iterator[None]:
    old = signatures._USE_KERNEL
    signatures._USE_KERNEL = False
    try:
        yield
    finally:
        signatures._USE_KERNEL = old


def datasketch_minhash(text: str, num_perm: int, shingle: int, seed: int) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
    m.update_batch(shingles(text, shingle))
    return m


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_tokenize_cases(case: dict[str, object]) -> None:
    assert tokenize(str(case["input"])) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_kernel_tokenises_like_tokenize(case: dict[str, object]) -> None:
    text = str(case["input"])
    expected = sorted({signatures._shingle_hash64(w) for w in shingles(text, 1)})
    assert shingle_hashes(text, 1).tolist() == expected


def test_permutations_are_datasketchs() -> None:
    a, b = permutations(64, 7)
    ref = MinHash(num_perm=64, seed=7).permutations
    assert np.array_equal(a, ref[0]) and np.array_equal(b, ref[1])
    assert not a.flags.writeable


@settings(max_examples=150, deadline=None)
@given(text=TEXTS, shingle=st.integers(1, 6), seed=st.integers(0, 5))
def test_signature_equals_datasketch_with_shingle_hash32(text: str, shingle: int, seed: int) -> None:
    ours = minhash_signature(text, num_perm=32, shingle=shingle, seed=seed)
    assert ours.dtype == np.uint64 and ours.shape == (32,)
    assert np.array_equal(ours, datasketch_minhash(text, 32, shingle, seed).hashvalues)


@settings(max_examples=100, deadline=None)
@given(text=TEXTS, shingle=st.integers(1, 6))
def test_numpy_fallback_agrees_with_kernel(text: str, shingle: int) -> None:
    sig = minhash_signature(text, num_perm=48, shingle=shingle, seed=3)
    sets = shingle_hashes(text, shingle)
    with numpy_fallback():
        assert np.array_equal(minhash_signature(text, num_perm=48, shingle=shingle, seed=3), sig)
        assert np.array_equal(shingle_hashes(text, shingle), sets)


def test_lean_minhash_estimates_match_datasketch() -> None:
    a = fold_text(ARTICLE)
    variants = [
        a,
        a.replace("closed", "shut").replace("northern", "north"),
        a[: len(a) // 2],
        fold_text("An unrelated story about bees in city gardens, counted over three summers in four cities."),
    ]
    ours = [to_lean_minhash(minhash_signature(t, num_perm=128, shingle=3, seed=1), seed=1) for t in variants]
    theirs = [datasketch_minhash(t, 128, 3, 1) for t in variants]
    for x in range(len(variants)):
        assert isinstance(ours[x], LeanMinHash)
        assert ours[x].count() == pytest.approx(theirs[x].count())
        for y in range(len(variants)):
            assert ours[x].jaccard(ours[y]) == theirs[x].jaccard(theirs[y])
    # The estimates mean something: the edited copy is close, the unrelated text is not.
    assert ours[0].jaccard(ours[1]) > 0.5 > ours[0].jaccard(ours[3])


def test_to_minhash_can_be_updated_like_datasketch() -> None:
    m = to_minhash(minhash_signature("one two three four", num_perm=16, shingle=2, seed=2), seed=2)
    m.update("four five")
    ref = datasketch_minhash("one two three four", 16, 2, 2)
    ref.update("four five")
    assert np.array_equal(m.hashvalues, ref.hashvalues)


def test_signature_matrix_rows_equal_single_signatures() -> None:
    texts = [ARTICLE, "", "short text", ARTICLE.upper(), "ünïcödé wörds — here"]
    mat = signature_matrix(texts, num_perm=64, shingle=5, seed=1)
    assert mat.shape == (5, 64) and mat.dtype == np.uint64
    for row, t in zip(mat, texts, strict=True):
        assert np.array_equal(row, minhash_signature(t, num_perm=64, shingle=5, seed=1))
    assert (mat[1] == 2**32 - 1).all()  # no shingles: datasketch's empty MinHash
    assert signature_matrix([], num_perm=16, shingle=5, seed=1).shape == (0, 16)


def test_short_text_is_one_shingle_of_all_words() -> None:
    assert shingles("a b", 5) == ["a b"]
    assert shingle_hashes("a b", 5).size == 1
    assert np.array_equal(
        minhash_signature("a b", num_perm=16, shingle=5, seed=1),
        minhash_signature("a b", num_perm=16, shingle=2, seed=1),
    )


def test_word_order_matters_within_a_shingle() -> None:
    assert shingle_hash32("a b c") != shingle_hash32("c b a")
    assert shingle_hash32("a b c") == shingle_hash32(b"a b c")


@settings(max_examples=100, deadline=None)
@given(
    x=st.sets(st.integers(0, 2**64 - 1), max_size=60),
    y=st.sets(st.integers(0, 2**64 - 1), max_size=60),
    shared=st.sets(st.integers(0, 2**64 - 1), max_size=30),
)
def test_count_common_is_intersection_size(x: set[int], y: set[int], shared: set[int]) -> None:
    a = np.array(sorted(x | shared), dtype=np.uint64)
    b = np.array(sorted(y | shared), dtype=np.uint64)
    expected = len((x | shared) & (y | shared))
    assert count_common(a, b) == expected
    with numpy_fallback():
        assert count_common(a, b) == expected


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError):
        minhash_signature("x", num_perm=0, shingle=5, seed=1)
    with pytest.raises(ValueError):
        shingle_hashes("x", 0)
