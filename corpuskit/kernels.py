"""Compiled kernels, with numba imported when the first of them runs, not when they are defined.

Importing numba and its BLAS probe takes about 0.45 s. A run imports it when its first
kernel runs (with workers, just before they fork: ``_fork_workers`` in
:mod:`corpuskit.pipeline`); a command that calls no kernel (``corpuskit report``,
``--help``) never imports it.

:func:`kernel` returns a stand-in until then. The first call of any kernel
(:func:`load_kernels`) imports numba, makes every kernel defined so far a numba
dispatcher, and puts the dispatchers in place of the stand-ins in every ``corpuskit``
module's globals: a kernel that calls another finds a dispatcher when numba compiles it,
and Python callers call the dispatcher directly. A stand-in held elsewhere (a test's own
name for a kernel) still works: it calls its dispatcher. Without numba, a kernel is the
plain Python function (:func:`python_kernel`).

>>> @kernel()
... def twice(x):
...     return 2 * x
>>> twice(21)
42
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

__all__ = ["HAVE_NUMBA", "inline_jit", "jit", "kernel", "load_kernels", "python_kernel", "skip_blas_probe"]

F = TypeVar("F", bound=Callable[..., Any])

HAVE_NUMBA: bool = importlib.util.find_spec("numba") is not None
"""Whether numba is installed (found, not imported: see the module's docstring)."""

_BLAS_MODULE = "scipy.linalg.cython_blas"
_probe_blas = True
_lock = threading.RLock()
_make: Callable[..., Any] | None = None  # numba.njit, once loaded
_waiting: list[_Kernel] = []


def python_kernel(f: Any) -> Any:
    """Run a kernel as plain Python (numpy scalars wrap around on overflow, as in numba)."""

    @functools.wraps(f)
    def run(*args: Any) -> Any:
        with np.errstate(over="ignore"):
            return f(*args)

    return run


class _Kernel:
    """A kernel whose numba dispatcher is not made yet: calling it loads them all."""

    def __init__(self, py: Callable[..., Any], options: dict[str, Any]) -> None:
        functools.update_wrapper(self, py)
        self.py = py
        self.options = options
        self.compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self.compiled is None:
            load_kernels()
            assert self.compiled is not None
        return self.compiled(*args)

    def __repr__(self) -> str:
        return f"<kernel {self.py.__module__}.{self.py.__qualname__}>"


def kernel(**options: Any) -> Callable[[F], F]:
    """A decorator that compiles a function with ``numba.njit(**options)`` once a kernel is
    first called (:func:`load_kernels`), or at once if one has been."""

    def decorate(f: F) -> F:
        if not HAVE_NUMBA:
            return cast(F, python_kernel(f))
        with _lock:
            if _make is not None:
                return cast(F, _make(**options)(f))
            k = _Kernel(f, options)
            _waiting.append(k)
            return cast(F, k)

    return decorate


jit = kernel(cache=True, nogil=True)
"""Decorator of the compiled kernels (cached on disk; they let other threads run)."""
inline_jit = kernel(cache=True, nogil=True, inline="always")
"""Decorator of the small kernels other kernels call once per character or word:
compiled into each caller, as a call passing arrays costs more than their work."""


def load_kernels() -> None:
    """Import numba and make every kernel defined so far its dispatcher (see the module's
    docstring); a no-op once done. Thread-safe: a second caller waits for the first.
    Compiling (or loading from numba's cache) happens at each kernel's first call."""
    global _make
    if _make is not None or not HAVE_NUMBA:
        return
    with _lock:
        if _make is not None:
            return
        try:
            make = _import_numba().njit
        except ImportError:  # found but broken (a missing llvmlite): the kernels run as Python
            make = _as_python
        for k in _waiting:
            k.compiled = make(**k.options)(k.py)
        for name, module in list(sys.modules.items()):
            if name == "corpuskit" or name.startswith("corpuskit."):
                for attr, value in list(vars(module).items()):
                    if isinstance(value, _Kernel):  # all of them were waiting: compiled now
                        setattr(module, attr, value.compiled)
        _waiting.clear()
        _make = make


def skip_blas_probe() -> None:
    """Make numba skip its BLAS probe when it loads (the CLI calls this).

    numba looks for a BLAS when it loads its first compiled function, by importing SciPy's
    linear algebra: 0.3 s. corpuskit's kernels call no BLAS (no ``np.dot``, no
    ``np.linalg``); a process that runs no one else's kernels can have the probe fail at
    once (numba then refuses BLAS calls instead of making them). Afterwards SciPy's module
    imports as usual. Process-wide, so it is the CLI's choice, not the library's.
    """
    global _probe_blas
    _probe_blas = False


def _as_python(**options: Any) -> Callable[[Any], Any]:
    return python_kernel


def _import_numba() -> Any:
    if _probe_blas or "numba.np.arraymath" in sys.modules:
        import numba

        return numba
    sys.modules[_BLAS_MODULE] = None  # type: ignore[assignment]  # "import" fails at once
    try:
        import numba
        import numba.np.arraymath  # the probe runs as it is imported
    finally:
        if _BLAS_MODULE in sys.modules and sys.modules[_BLAS_MODULE] is None:
            del sys.modules[_BLAS_MODULE]
    return numba
