"""Batch LSH banding: same parameters and same candidates as datasketch, without its index."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from corpuskit import signatures
from corpuskit.lsh import candidate_pairs, collision_probability, optimal_params, recall_params, sorted_unique


@pytest.mark.parametrize("num_perm", [16, 32, 64, 128, 256])
def test_optimal_params_match_datasketch(num_perm: int) -> None:
    for threshold in (0.1, 0.25, 0.3, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0):
        assert optimal_params(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_optimal_params_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        optimal_params(0.0, 128)
    with pytest.raises(ValueError):
        optimal_params(0.5, 0)


@pytest.mark.parametrize("similarity", [0.2, 0.27, 0.4, 0.6])
def test_recall_params_reach_the_recall(similarity: float) -> None:
    bands, rows = recall_params(similarity, 128, recall=0.98)
    assert bands * rows <= 128
    assert collision_probability(similarity, bands, rows) >= 0.98
    if rows < 128:  # and one more row per band would not
        assert collision_probability(similarity, 128 // (rows + 1), rows + 1) < 0.98


def brute_force(sigs: np.ndarray, bands: int, rows: int) -> list[list[int]]:
    out = []
    for i, j in itertools.combinations(range(len(sigs)), 2):
        if any(
            np.array_equal(sigs[i, b * rows : (b + 1) * rows], sigs[j, b * rows : (b + 1) * rows]) for b in range(bands)
        ):
            out.append([i, j])
    return out


# Small value range so that equal bands actually happen.
SIGS = arrays(np.uint64, st.tuples(st.integers(0, 14), st.just(12)), elements=st.integers(0, 2))


@settings(max_examples=150, deadline=None)
@given(sigs=SIGS, layout=st.sampled_from([(1, 12), (2, 6), (3, 4), (4, 3), (6, 2), (12, 1), (5, 2)]))
def test_candidate_pairs_is_exactly_the_band_collisions(sigs: np.ndarray, layout: tuple[int, int]) -> None:
    bands, rows = layout
    expected = brute_force(sigs, bands, rows)
    for kernel in (True, False):  # numba kernel, then the numpy fallback
        old, signatures._USE_KERNEL = signatures._USE_KERNEL, kernel and signatures.HAVE_NUMBA
        try:
            got = candidate_pairs(sigs, bands, rows)
        finally:
            signatures._USE_KERNEL = old
        assert got.dtype == np.int64 and got.shape[1] == 2
        assert got.tolist() == expected  # sorted, unique, i < j
    assert candidate_pairs(sigs, bands, rows, threads=3).tolist() == expected  # bands on threads


def test_a_large_cluster_is_emitted_once_per_pair() -> None:
    # 300 copies collide in every band: 44,850 pairs, each once.
    sigs = np.zeros((300, 16), dtype=np.uint64)
    got = candidate_pairs(sigs, 8, 2)
    assert len(got) == 300 * 299 // 2
    assert np.array_equal(got, np.array(list(itertools.combinations(range(300), 2))))


def test_sorted_unique_handles_structured_keys() -> None:
    keys = (np.arange(2000)[:, None] * 5000 + np.arange(50)[None, :]).ravel()
    got = sorted_unique(np.concatenate([keys, keys[::-1]]))
    assert np.array_equal(got, np.sort(keys))


@settings(max_examples=50, deadline=None)
@given(sigs=SIGS, perm_seed=st.integers(0, 1000))
def test_candidate_pairs_do_not_depend_on_row_order(sigs: np.ndarray, perm_seed: int) -> None:
    perm = np.random.default_rng(perm_seed).permutation(len(sigs))
    base = {tuple(p) for p in candidate_pairs(sigs, 4, 3).tolist()}
    moved = {tuple(sorted((int(perm[i]), int(perm[j])))) for i, j in candidate_pairs(sigs[perm], 4, 3).tolist()}
    assert moved == base


def test_same_candidates_as_datasketch_minhashlsh() -> None:
    rng = np.random.default_rng(5)
    n, num_perm = 400, 128
    sigs = rng.integers(0, 2**32, size=(n, num_perm), dtype=np.uint64)
    # Near-duplicates at several similarities, so some pairs collide and some do not.
    for k, share in enumerate((0.9, 0.7, 0.5, 0.4, 0.3)):
        src, dst = np.arange(k, n, 40), np.arange(k + 20, n, 40)
        keep = rng.random((len(dst), num_perm)) < share
        sigs[dst] = np.where(keep, sigs[src], sigs[dst])
    bands, rows = optimal_params(0.5, num_perm)
    index = MinHashLSH(num_perm=num_perm, params=(bands, rows))
    lean = [LeanMinHash(seed=1, hashvalues=s) for s in sigs]
    for i, m in enumerate(lean):
        index.insert(i, m)
    theirs = sorted({(min(i, j), max(i, j)) for i, m in enumerate(lean) for j in index.query(m) if j != i})
    ours = [tuple(p) for p in candidate_pairs(sigs, bands, rows).tolist()]
    assert ours == theirs
    assert 20 <= len(ours) < 200


def test_uint32_and_uint64_signatures_give_the_same_pairs() -> None:
    rng = np.random.default_rng(1)
    sigs = rng.integers(0, 4, size=(50, 8), dtype=np.uint64)
    assert np.array_equal(candidate_pairs(sigs, 4, 2), candidate_pairs(sigs.astype(np.uint32), 4, 2))


def test_candidate_pairs_edge_cases() -> None:
    assert candidate_pairs(np.zeros((1, 8), dtype=np.uint64), 2, 4).shape == (0, 2)
    assert candidate_pairs(np.zeros((3, 8), dtype=np.uint64), 2, 4).tolist() == [[0, 1], [0, 2], [1, 2]]
    with pytest.raises(ValueError):
        candidate_pairs(np.zeros((3, 8), dtype=np.uint64), 3, 4)
    with pytest.raises(ValueError):
        candidate_pairs(np.zeros(8, dtype=np.uint64), 2, 4)
