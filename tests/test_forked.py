"""fork_map: the same list as a plain map, however the work is done."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from corpuskit.forked import fork_map, fork_slot, thread_map

from .conftest import run_alone


def test_results_come_back_in_task_order_from_the_children() -> None:
    parent = os.getpid()
    table = {i: i * i for i in range(50)}  # a closure over this process's state, never pickled

    def square(i: int) -> tuple[int, bool]:
        return table[i], os.getpid() != parent

    got = fork_map(square, list(range(50)), 3)
    assert [v for v, _ in got] == [i * i for i in range(50)]
    assert all(child for _, child in got)
    assert fork_map(square, [7], 3) == [(49, False)]  # one task: no fork
    assert fork_map(square, [1, 2], 1) == [(1, False), (4, False)]


def test_each_child_has_a_slot_of_its_own() -> None:
    """A child's slot is the index of its first task, the same for all its tasks: tasks
    computed at once never share one (each may own a file). Here (no child), slot 0."""
    parent = os.getpid()

    def where(i: int) -> tuple[int, int]:
        return os.getpid(), fork_slot()

    got = fork_map(where, list(range(40)), 3)
    assert [s for _, s in got[:3]] == [0, 1, 2]
    slots = {pid: s for pid, s in got}
    assert len(slots) == 3 and sorted(slots.values()) == [0, 1, 2]
    assert all(slots[pid] == s for pid, s in got) and parent not in slots
    assert fork_map(where, [0, 1], 1) == [(parent, 0), (parent, 0)]
    assert fork_slot() == 0


def test_an_error_in_a_child_is_raised_here() -> None:
    def fail(i: int) -> int:
        if i == 3:
            raise ValueError(f"bad task {i}")
        return i

    with pytest.raises(ValueError, match="bad task 3") as raised:
        fork_map(fail, list(range(8)), 2)
    assert "in fail" in str(raised.value.__cause__)  # the child's traceback

    def unpicklable(i: int) -> object:
        return lambda: i

    with pytest.raises(RuntimeError, match=r"task [01]: .*pickle"):
        fork_map(unpicklable, [0, 1], 2)


def test_a_child_that_dies_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def die_in_a_child(i: int) -> int:
        if os.getpid() != parent and i == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        return i + 1

    assert fork_map(die_in_a_child, list(range(6)), 2) == [1, 2, 3, 4, 5, 6]


def test_on_result_runs_here_once_per_task_as_its_result_arrives() -> None:
    """However the task was computed: here, in a child, or here after its child died. A
    task a child died on is reported once, by this process, after computing it again."""
    parent = os.getpid()

    def times_ten(i: int) -> int:
        return i * 10

    def die_in_a_child(i: int) -> int:
        if os.getpid() != parent and i == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return i * 10

    for procs, fn in ((1, times_ten), (2, times_ten), (2, die_in_a_child)):
        seen: list[tuple[int, int]] = []
        got = fork_map(fn, list(range(8)), procs, on_result=lambda i, seen=seen: seen.append((i, os.getpid())))
        assert got == [i * 10 for i in range(8)]
        assert sorted(i for i, _ in seen) == list(range(8)), (procs, fn.__name__)
        assert {pid for _, pid in seen} == {parent}


def test_thread_map_keeps_order_and_bounds_what_is_in_flight() -> None:
    import threading
    import time

    started: list[int] = []
    lock = threading.Lock()

    def slow(x: int) -> int:
        with lock:
            started.append(x)
        time.sleep(0.002 * (x % 3))  # later items often finish first
        return x * x

    def items() -> Iterator[int]:
        for x in range(40):
            with lock:
                assert x - len(consumed) <= 2 * 3  # never more than 2 * threads ahead
            yield x

    consumed: list[int] = []
    for r in thread_map(slow, items(), 3):
        consumed.append(r)
    assert consumed == [x * x for x in range(40)] and sorted(started) == list(range(40))
    assert list(thread_map(slow, range(5), 1)) == [0, 1, 4, 9, 16]  # one thread: plain map


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_ctrl_c_while_a_child_is_forked_never_runs_this_process_handler_there() -> None:
    # A terminal's Ctrl-C reaches a child forked a moment before, which still has the
    # parent's handler: held back from the fork until the child ignores it, it is dropped
    # (without ``ctrl_c_held`` the child raises KeyboardInterrupt: exit 3). The parent
    # still gets its own.
    code = """
import os, signal, time
from corpuskit.forked import ctrl_c_held, worker_init

def handler(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGINT, handler)
parent = os.getpid()
with ctrl_c_held():
    pid = os.fork()
if pid == 0:
    try:
        os.kill(os.getpid(), signal.SIGINT)  # the Ctrl-C, before the child is set up
        worker_init(parent)
        time.sleep(0.05)
        os._exit(0)
    except BaseException:
        os._exit(3)
_, status = os.waitpid(pid, 0)
try:
    os.kill(parent, signal.SIGINT)
    time.sleep(5)
    interrupted = False
except KeyboardInterrupt:
    interrupted = True
print(os.waitstatus_to_exitcode(status), interrupted)
"""
    assert run_alone(code) == "0 True"


def test_a_worker_freezes_what_it_inherits_out_of_its_collector() -> None:
    # Its first collections would otherwise visit (and copy the pages of) every object it
    # was forked with; the parent's own collector is left as it was.
    code = """
import gc, os
from corpuskit.forked import worker_init

inherited = [[i] for i in range(10_000)]
parent = os.getpid()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    worker_init(parent)
    os.write(w, str(gc.get_freeze_count() >= len(inherited)).encode())
    os._exit(0)
os.waitpid(pid, 0)
print(os.read(r, 10).decode(), gc.get_freeze_count())
"""
    assert run_alone(code) == "True 0"
