"""Giving memory back to the system between the stages of a long run."""

from __future__ import annotations

import sys

__all__ = ["release_memory"]


def release_memory() -> None:
    """Hand the heap's free pages back to the system (glibc ``malloc_trim``).

    After a stage that made and dropped many objects, glibc keeps the freed pages (in the
    main heap and in each thread's arena) for reuse, while the next stage's large arrays
    are mapped anew: resident memory would climb stage by stage. Cheap (milliseconds); a
    no-op where the C library has no ``malloc_trim``.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        pass
