"""memory: the collector's state is what it was after each helper, whatever happens inside."""

from __future__ import annotations

import gc
import threading

import pytest

from corpuskit.forked import REAPER, fork_map
from corpuskit.memory import _glibc, _numpy_hugepage_setter, anything_frozen, long_lived, no_collection, small_pages

from .conftest import run_alone


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
    for t in threading.enumerate():
        if t.name == REAPER:  # its objects, frozen below, would be freed as the counts are compared
            t.join()
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


def test_a_block_that_froze_is_known_without_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    """``gc.get_freeze_count`` walks every frozen object (22 ms at 20,000 records, paid at
    each forked map before): inside a block that froze, the answer is known at once."""
    assert not anything_frozen()
    with long_lived() as freeze:
        assert not anything_frozen()  # nothing asked yet: counted (nothing to walk)
        freeze()

        def walk() -> int:
            raise AssertionError("counted the frozen objects")

        with monkeypatch.context() as m:
            m.setattr(gc, "get_freeze_count", walk)
            assert anything_frozen()
            assert fork_map(len, [[1], [1, 2]], 2) == [1, 2]
        assert gc.get_freeze_count() > 0
    assert not anything_frozen()


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


_MAPPED = """
import ctypes
import numpy as np
from corpuskit.memory import _glibc, map_large_blocks, reusing_freed_blocks

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

info = _glibc("mallinfo2")
info.restype = Info

# Larger than any free chunk the imports leave in the heap, which glibc would hand out
# whatever its thresholds (1.5 MiB was, once numba was no longer imported with corpuskit).
SIZE = 8 << 20

def mapped_on_its_own(nbytes):
    before = info().hblkhd
    block = np.ones(nbytes // 8)
    after = info().hblkhd
    del block
    return after - before
"""

_REUSE_CHECK = (
    _MAPPED
    + """
map_large_blocks()  # as a run sets it: each large block is mapped on its own
assert mapped_on_its_own(SIZE) >= SIZE
with reusing_freed_blocks():
    assert mapped_on_its_own(SIZE) == 0  # from the heap, where freed blocks stay
map_large_blocks()
assert mapped_on_its_own(4 * SIZE) >= 4 * SIZE  # larger than any block the heap kept
print("ok")
"""
)

_POOL_CHECK = (
    _MAPPED
    + """
from corpuskit.pipeline import _Workers

def in_worker():
    return mapped_on_its_own(SIZE)

map_large_blocks()  # as a run sets it before it forks its pools
kept, plain = _Workers(1, start=True, keep_freed=True), _Workers(1, start=True)
try:
    assert kept.pool.submit(in_worker).result() == 0  # from its heap
    assert plain.pool.submit(in_worker).result() >= SIZE  # mapped, and handed back when freed
finally:
    kept.shutdown()
    plain.shutdown()
print("ok")
"""
)


@pytest.mark.skipif(_glibc("mallinfo2") is None, reason="glibc 2.33+ only")
def test_freed_blocks_are_reused_inside_the_block() -> None:
    # In a process of its own: what the heap holds depends on everything run before.
    assert run_alone(_REUSE_CHECK) == "ok"


@pytest.mark.skipif(_glibc("mallinfo2") is None, reason="glibc 2.33+ only")
def test_pool_workers_asked_to_keep_freed_blocks_reuse_them() -> None:
    assert run_alone(_POOL_CHECK) == "ok"


@pytest.mark.parametrize("was", [True, False])
def test_small_pages_turns_numpys_huge_pages_off_and_back(was: bool) -> None:
    """Off inside the block (also for a process forked there), as before after it, also
    when the block raises."""
    setter = _numpy_hugepage_setter()
    assert setter is not None  # numpy 1.26-2.x have it
    before = setter(was)
    try:
        with pytest.raises(KeyError), small_pages():
            assert setter(False) is False  # reads the setting: off
            assert fork_map(lambda _: setter(False), [0], 2) == [False]
            raise KeyError
        assert setter(was) is was
    finally:
        setter(before)
