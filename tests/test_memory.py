"""memory: the collector's state is what it was after each helper, whatever happens inside."""

from __future__ import annotations

import gc

import pytest

from corpuskit.forked import fork_map
from corpuskit.memory import _glibc, long_lived, map_large_blocks, no_collection, reusing_freed_blocks


def test_long_lived_freezes_on_request_and_unfreezes_at_the_end() -> None:
    assert gc.get_freeze_count() == 0
    with long_lived() as freeze:
        kept = [object() for _ in range(100)]
        assert gc.get_freeze_count() == 0  # nothing until asked
        freeze()
        assert gc.get_freeze_count() >= 100
        # A forked map inside leaves the freeze in place (it is the block's to undo).
        assert fork_map(len, [[1], [1, 2]], 2) == [1, 2]
        assert gc.get_freeze_count() >= 100
    assert gc.get_freeze_count() == 0
    assert len(kept) == 100


def test_a_callers_own_freeze_is_left_alone() -> None:
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert before > 0
        with long_lived() as freeze:
            _ = [object() for _ in range(100)]
            freeze()  # does nothing: the freeze is the caller's
            assert gc.get_freeze_count() == before
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_fork_map_unfreezes_what_it_froze() -> None:
    assert gc.get_freeze_count() == 0
    assert fork_map(len, [[1], [1, 2]], 2) == [1, 2]
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_no_collection_restores_the_collector_even_on_error(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError), no_collection():
            assert not gc.isenabled()
            raise RuntimeError("inside")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def _faults_allocating(times: int) -> int:
    import resource

    import numpy as np

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        np.ones(3 << 16)  # 1.5 MiB (under a huge page), written, then freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(_glibc("mallopt") is None, reason="glibc only")
def test_freed_blocks_are_reused_inside_the_block_and_mapped_afresh_after() -> None:
    map_large_blocks()  # as a run sets it: each large block is mapped on its own
    pages = (3 << 19) // 4096
    assert _faults_allocating(8) >= 7 * pages  # every allocation faults its pages in
    with reusing_freed_blocks():
        assert _faults_allocating(8) <= 3 * pages  # the first one does; the others reuse it
    assert _faults_allocating(8) >= 7 * pages  # back as it was, the memory given back
