"""Work on several cores: worker processes forked from this one (how they start, and an
ordered map over them), and an ordered map over threads.

The pipeline's pool and the passage stage's helpers both fork: a forked child sees the
parent's memory as it is (open scratch files, large arrays, caches) without pickling any of
it. :func:`worker_init` is how every such child starts; :func:`fork_map` runs a function
that exists only in this process (a closure over the stage's state) on forked children.
:func:`thread_map` is for compiled kernels and sorts, which let go of the GIL.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from .memory import keep_freed_blocks, reusing_freed_blocks

__all__ = ["fork_map", "stop_now", "thread_map", "worker_init"]

T = TypeVar("T")
R = TypeVar("R")


def worker_init(parent: int) -> None:
    """Workers ignore Ctrl-C (the main process stops them and reports once) and die with
    the main process: a killed run must not leave workers behind holding its pipes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_FN: Callable[[Any], Any] | None = None  # what the children of fork_map call (set before they fork)


def _child_init(parent: int) -> None:
    worker_init(parent)
    keep_freed_blocks()  # the child is gone once the map is done


def _call(task: Any) -> Any:
    assert _FN is not None
    return _FN(task)


def fork_map(fn: Callable[[T], R], tasks: Sequence[T], procs: int) -> list[R]:
    """``[fn(t) for t in tasks]``, computed by ``procs`` forked processes (in this one when
    ``procs <= 1`` or there is only one task).

    ``fn`` is not pickled (the children inherit it), so it may be a closure over anything
    this process holds; tasks and results are pickled. The objects alive now are frozen
    out of the garbage collector first (not collected: that costs a tenth of a second on a
    large batch), so the children's collections do not write to (and copy) the pages that
    hold them. If a child dies (killed, out of memory), the tasks are computed here
    instead: the result never depends on how it was computed. An exception ``fn`` raises
    in a child is raised here. The work keeps the large blocks it frees for reuse
    (:func:`~corpuskit.memory.reusing_freed_blocks`), in the children or here.
    """
    global _FN
    if procs <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        with reusing_freed_blocks():
            return [fn(t) for t in tasks]
    _FN = fn
    # Unfrozen at the end only if nothing was frozen before: a caller's own freeze (the
    # pipeline's records) is the caller's to undo, and these objects go with it.
    froze = gc.get_freeze_count() == 0
    gc.freeze()
    pool = ProcessPoolExecutor(
        min(procs, len(tasks)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_child_init,
        initargs=(os.getpid(),),
    )
    try:
        futures = [pool.submit(_call, t) for t in tasks]
        out = [f.result() for f in futures]
    except BrokenProcessPool:
        out = [fn(t) for t in tasks]
    except BaseException:
        stop_now(pool)  # an error or Ctrl-C: the children's other tasks are not waited for
        raise
    finally:
        _FN = None
        if froze:
            gc.unfreeze()
    pool.shutdown()
    return out


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Terminate ``pool``'s processes and shut it down without waiting for its tasks (an
    error or Ctrl-C in the process that owns it). Safe on a pool already shut down."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def thread_map(fn: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``map(fn, items)`` in order, on ``threads`` threads (the compiled kernels release the
    GIL), with at most ``2 * threads`` items in flight: results can be large, and while the
    caller handles one result every thread still has an item to work on."""
    if threads <= 1:
        yield from map(fn, items)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(threads) as ex:
        for x in items:
            pending.append(ex.submit(fn, x))
            if len(pending) >= 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
