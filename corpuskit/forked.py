"""Work on several cores: worker processes forked from this one (how they start, and an
ordered map over them), and an ordered map over threads.

The pipeline's pool and the passage stage's helpers both fork: a forked child sees the
parent's memory as it is (open scratch files, large arrays, caches) without pickling any of
it. :func:`worker_init` is how every such child starts; :func:`fork_map` runs a function
that exists only in this process (a closure over the stage's state) on forked children.
:func:`thread_map` is for compiled kernels and sorts, which let go of the GIL.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar

from .memory import anything_frozen, keep_freed_blocks, reusing_freed_blocks, usual_blocks

__all__ = ["REAPER", "ctrl_c_held", "fork_map", "fork_slot", "stop_now", "thread_map", "worker_init"]

T = TypeVar("T")
R = TypeVar("R")


def worker_init(parent: int, keep_freed: bool = False) -> None:
    """Workers ignore Ctrl-C (the main process stops them and reports once) and die with
    the main process: a killed run must not leave workers behind holding its pipes.

    ``keep_freed``: the worker keeps the memory it frees (:func:`~corpuskit.memory.keep_freed_blocks`),
    for one that does the same bounded work again and again (a chunk at a time): with the
    main process's thresholds (:func:`~corpuskit.memory.map_large_blocks`) glibc hands the
    top of the heap back after each chunk, and every page costs a fault again in the next.
    Otherwise it has those thresholds (:func:`~corpuskit.memory.usual_blocks`), also when
    forked while the main process keeps what it frees.

    What the worker inherits (modules, the records read so far) is frozen out of its
    garbage collector (``gc.freeze``): none of it is garbage, and the worker's first
    collections would visit all of it, writing to (and so copying) the pages that hold it.
    A reading worker's first full collection took 16-33 ms on them, the passage helper's
    first collections 52 ms (20,000 documents, measured).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C held back meanwhile is dropped
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # see ctrl_c_held
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    gc.freeze()  # what it inherits lives as long as it does: see worker_init's docstring
    if keep_freed:
        keep_freed_blocks()
    else:
        usual_blocks()


@contextlib.contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Fork inside this: Ctrl-C (``SIGINT``) is held back in this thread meanwhile.

    A terminal's Ctrl-C goes to every process of the group, so also to a child forked a
    moment before, which still has this process's handler: it raised in the child's own
    after-fork bookkeeping, whose traceback the child printed. Held back, the signal
    reaches this process after the fork (another thread may take it meanwhile), and a
    child keeps it held back, also past the end of this block, until :func:`worker_init`
    has it ignored (which drops one already there).
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    here = os.getpid()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if os.getpid() == here:  # not in a child forked inside
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Child:
    """A process forked by :func:`fork_map`, and this process's end of the socket pair the
    two talk over: task indices go one way, ``(ok, result or exception)`` the other."""

    __slots__ = ("conn", "pid", "task")

    def __init__(self, pid: int, conn: Connection, task: int) -> None:
        self.pid = pid
        self.conn = conn
        self.task: int | None = task  # the one it is computing


class _ChildTraceback(Exception):
    """Where in the child an exception raised again by :func:`fork_map` came from."""


def _serve(conn: Connection, fn: Callable[[Any], Any], tasks: Sequence[Any], first: int) -> None:
    """A child's loop: compute task ``first``, then each task whose index comes in, sending
    each result back, until ``None`` comes. The tasks are not sent: the child has them
    already, as forked."""
    i: int | None = first
    while i is not None:
        try:
            out: tuple[bool, Any] = (True, fn(tasks[i]))
        except BaseException as e:  # raised again in the parent
            out = (False, (e, traceback.format_exc()))
        try:
            conn.send(out)
        except Exception as e:  # a result or an exception that does not pickle
            conn.send((False, (RuntimeError(f"task {i}: {type(e).__name__}: {e}"), traceback.format_exc())))
        i = conn.recv()


_slot = 0  # see fork_slot


def fork_slot() -> int:
    """Which of :func:`fork_map`'s children computes the task at hand: ``0`` to ``procs - 1``
    (the index of its first task), and ``0`` in the calling process, which computes tasks
    only while no child runs. Two tasks computed at once never have the same slot: each
    may write to a file of its slot's own (a file written by two processes at once has
    them queue on its lock)."""
    return _slot


def _fork_child(fn: Callable[[Any], Any], tasks: Sequence[Any], first: int, siblings: list[_Child]) -> _Child:
    global _slot
    ours, theirs = multiprocessing.Pipe()
    parent = os.getpid()
    with ctrl_c_held():
        pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        _slot = first
        try:
            ours.close()
            for c in siblings:
                c.conn.close()
            worker_init(parent, keep_freed=True)  # the child is gone once the map is done
            _serve(theirs, fn, tasks, first)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    return _Child(pid, ours, first)


REAPER = "corpuskit-reap"
"""Name of the threads that wait for :func:`fork_map`'s children to end."""


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def fork_map(
    fn: Callable[[T], R], tasks: Sequence[T], procs: int, on_result: Callable[[int], object] | None = None
) -> list[R]:
    """``[fn(t) for t in tasks]``, computed by ``procs`` forked processes (in this one when
    ``procs <= 1`` or there is only one task).

    Neither ``fn`` nor the tasks are pickled (the children inherit them: ``fn`` may be a
    closure over anything this process holds); each child is sent the index of its next
    task as it hands back a result (pickled), so uneven tasks even out. The children are
    plain forks, each given its first task as it is forked: at 20,000 documents the first
    starts 7-10 ms after the call and the second 15-20 ms (a process pool took 35 ms for
    both), and a thread, not this one, waits for them to end.

    The objects alive now are frozen out of the garbage collector first (not collected:
    that costs a tenth of a second on a large batch), so the children's collections do not
    write to (and copy) the pages that hold them. If a child dies (killed, out of memory),
    its task and those not yet done are computed here: the result never depends on how it
    was computed. An exception ``fn`` raises in a child is raised here, from the child's
    traceback. The work keeps the large blocks it frees for reuse
    (:func:`~corpuskit.memory.reusing_freed_blocks`), in the children or here.

    ``on_result(i)`` runs here as task ``i``'s result arrives, whichever process computed
    it: from then on task ``i`` is never computed again, so it may let go of what only that
    task reads (a child that dies later leaves only the tasks it had not reported).
    """
    done = on_result or (lambda i: None)
    if procs <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        out = []
        with reusing_freed_blocks():
            for i, t in enumerate(tasks):
                out.append(fn(t))
                done(i)
        return out
    # Unfrozen at the end only if nothing was frozen before: a caller's own freeze (the
    # pipeline's records) is the caller's to undo, and these objects go with it.
    froze = not anything_frozen()
    gc.freeze()
    children: list[_Child] = []
    results: dict[int, R] = {}
    failed: tuple[BaseException, str] | None = None
    try:
        for first in range(min(procs, len(tasks))):  # each starts on a task of its own at once
            children.append(_fork_child(fn, tasks, first, children))
        todo = iter(range(len(children), len(tasks)))
        busy = {c.conn: c for c in children}
        while busy and failed is None:
            for conn in wait(list(busy)):
                c = busy[conn]  # type: ignore[index]
                finished, data = c.task, c.conn.recv_bytes()
                # The next task goes out before the result is unpickled (25 ms for a
                # slice of alignments): the child works meanwhile instead of waiting.
                c.task = next(todo, None)
                c.conn.send(c.task)  # None: no more
                if c.task is None:
                    del busy[conn]  # type: ignore[arg-type]
                ok, value = ForkingPickler.loads(data)
                if not ok:
                    failed = value
                    break
                assert finished is not None
                results[finished] = value
                done(finished)
    except (EOFError, OSError):  # a child died (or none could fork): the rest is done here
        _stop(children)
        for i, t in enumerate(tasks):
            if i not in results:
                results[i] = fn(t)
                done(i)
        return [results[i] for i in range(len(tasks))]
    except BaseException:
        _stop(children)  # Ctrl-C: the children's other tasks are not waited for
        raise
    finally:
        if froze:
            gc.unfreeze()
    if failed is not None:
        _stop(children)
        raise failed[0] from _ChildTraceback(failed[1])
    for c in children:
        c.conn.close()
    threading.Thread(target=_reap, args=([c.pid for c in children],), name=REAPER, daemon=True).start()
    return [results[i] for i in range(len(tasks))]


def _stop(children: list[_Child]) -> None:
    for c in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(c.pid, signal.SIGKILL)
        c.conn.close()
    _reap([c.pid for c in children])


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
