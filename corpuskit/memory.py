"""Memory over a long run: giving it back to the system between stages (glibc only), and
keeping long-lived objects out of the garbage collector's sight."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "anything_frozen",
    "keep_freed_blocks",
    "long_lived",
    "map_large_blocks",
    "no_collection",
    "release_memory",
    "reusing_freed_blocks",
    "small_pages",
    "usual_blocks",
]

_M_TRIM_THRESHOLD = -1  # mallopt parameters (glibc malloc.h)
_M_MMAP_THRESHOLD = -3


def _glibc(name: str) -> Any:
    """The C library's function ``name``, or ``None`` (not Linux, or not glibc: musl has
    neither ``malloc_trim`` nor these ``mallopt`` settings)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Hand the heap's free pages back to the system (``malloc_trim``).

    After a stage that made and dropped many objects, glibc keeps the freed pages (in the
    main heap and in each thread's arena) for reuse, while the next stage's large arrays
    are mapped anew: resident memory would climb stage by stage. Cheap (milliseconds).
    """
    if (trim := _glibc("malloc_trim")) is not None:
        trim(0)


def map_large_blocks(threshold: int = 1 << 20) -> None:
    """Have glibc map every allocation of ``threshold`` bytes or more on its own, so it goes
    back to the system the moment it is freed.

    By default glibc raises this threshold each time such a block is freed (up to 32 MB),
    after which the passage stage's per-block arrays land in the heaps of the threads that
    made them and stay resident there; how much depends on thread timing (measured: peak
    RSS at 100k documents varied from 529 to 681 MiB between identical runs). Process-wide
    and idempotent.
    """
    global _large
    if (mallopt := _glibc("mallopt")) is not None:
        mallopt(_M_MMAP_THRESHOLD, threshold)
        _large = threshold


_KEEP_MMAP = 32 << 20  # glibc's largest threshold
_KEEP_TRIM = 1 << 30
_GLIBC_DEFAULT = 128 << 10  # both thresholds' initial values
_large: int | None = None  # the threshold map_large_blocks set


def keep_freed_blocks() -> None:
    """Have glibc keep the memory this process frees, instead of handing large blocks
    back to the system the moment they are freed (:func:`map_large_blocks`): for a
    short-lived process, whose memory goes back when it ends. See
    :func:`reusing_freed_blocks`."""
    if (mallopt := _glibc("mallopt")) is not None:
        mallopt(_M_MMAP_THRESHOLD, _KEEP_MMAP)
        mallopt(_M_TRIM_THRESHOLD, _KEEP_TRIM)


@contextlib.contextmanager
def reusing_freed_blocks() -> Iterator[None]:
    """Within the block, glibc keeps what is freed (:func:`keep_freed_blocks`); after it,
    the thresholds are as :func:`map_large_blocks` set them (glibc's initial ones if it
    was never called) and the free memory goes back to the system.

    For work that allocates the same large arrays again and again on one thread: mapped
    anew each time, every page of them costs a fault when first written (the passage
    stage's signing spent 40% of its time in those faults). Not for threads: each one's
    freed blocks would stay in its own arena.
    """
    keep_freed_blocks()
    try:
        yield
    finally:
        usual_blocks()
        release_memory()


def usual_blocks() -> None:
    """The thresholds :func:`map_large_blocks` set (glibc's initial ones if it was never
    called): for a process forked inside :func:`reusing_freed_blocks` that must not keep
    what it frees."""
    if (mallopt := _glibc("mallopt")) is not None:
        mallopt(_M_MMAP_THRESHOLD, _large if _large is not None else _GLIBC_DEFAULT)
        mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """Within the block (and in the processes forked inside it), numpy does not ask for
    its large arrays (4 MiB or more) to be mapped in 2 MiB pages (``MADV_HUGEPAGE``); the
    setting it had is restored after.

    On a virtual machine that hands its free memory back to the host (virtio-balloon free
    page reporting, in blocks of 2 MiB, as on this project's 2-core benchmark VM), a fresh
    2 MiB page is, after a few idle seconds, one the host must back again (at the rate
    measured, 4 KiB at a time), while 4 KiB pages come from memory kept in use: fresh
    8 MiB arrays were filled at 93-94 MB/s after 3 s idle, against 2.7-2.8 GB/s in 4 KiB
    pages (300 MB, measured), about 19 ms for each 2 MiB page. A two-worker run of 20,000
    documents faults in about 27 of them (``thp_fault_alloc``): up to half a second. Where
    they are cheap, the run is no faster with them (20,000 documents, one worker and two,
    measured on the same VM). Process-wide, like :func:`map_large_blocks`.
    """
    setter = _numpy_hugepage_setter()
    before = setter(False) if setter is not None else None
    try:
        yield
    finally:
        if setter is not None and before is not None:
            setter(bool(before))


def _numpy_hugepage_setter() -> Callable[[bool], bool] | None:
    """numpy's switch for ``MADV_HUGEPAGE`` (returns the previous value), if it has one."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray  # type: ignore[no-redef]
    setter: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return setter


_blocks_frozen = 0  # long_lived blocks whose objects are frozen now


def anything_frozen() -> bool:
    """Whether any object is frozen out of the collector (``gc.freeze``). Known at once
    inside a :func:`long_lived` block that has frozen; else ``gc.get_freeze_count() > 0``,
    which walks every frozen object (22 ms at 20,000 documents' records)."""
    return _blocks_frozen > 0 or gc.get_freeze_count() > 0


@contextlib.contextmanager
def long_lived() -> Iterator[Callable[[], None]]:
    """Within the block, the function given freezes every object alive at the time
    (``gc.freeze``): the collector's full collections no longer visit them, and a forked
    worker's collections no longer write to (and so copy) the pages holding them. Left
    frozen until the block ends, and only if nothing was frozen when it began (a caller's
    own freeze is left as it is, and the function does nothing then).

    A run's records live until its output is written: a full collection visiting 20,000 of
    them costs about 0.1 s each time the collector decides to run one, and finds nothing
    (records hold no reference cycles; they are freed by reference counting, frozen or not).
    """
    global _blocks_frozen
    own = not anything_frozen()
    froze = False

    def freeze() -> None:
        nonlocal froze
        global _blocks_frozen
        gc.freeze()
        if not froze:
            froze = True
            _blocks_frozen += 1

    try:
        yield freeze if own else _nothing
    finally:
        if own:
            gc.unfreeze()
        if froze:
            _blocks_frozen -= 1


def _nothing() -> None:
    pass


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """The collector off for the block: for code that builds a million objects and no
    garbage (loading langdetect's profiles set off full collections costing 0.09 s)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
