"""Kernels load numba on their first call (corpuskit.kernels); each case runs in a process of
its own, since loading is process-wide."""

from __future__ import annotations

import pytest

from corpuskit.kernels import HAVE_NUMBA

from .conftest import run_alone

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="the stand-ins exist only with numba")

_TEXT = "Their top TEAM is on a plane heading to the U.S., and things are looking good."


def test_nothing_imports_numba_until_a_kernel_runs_and_a_name_taken_before_still_works() -> None:
    code = f"""
import sys
from corpuskit import align, kernels, passages, pipeline, signatures
from corpuskit.align import _fmix  # a stand-in, held under a name of this test's
assert "numba" not in sys.modules
assert type(align._fmix).__name__ == "_Kernel"
tokens = align.tokenize({_TEXT!r})  # the first kernel call loads them all
assert "numba" in sys.modules
assert type(align._fmix).__name__ == "CPUDispatcher" and passages._fmix is align._fmix
assert _fmix(5) == align._fmix(5)  # the stand-in calls the dispatcher
print(len(tokens.keys))
"""
    assert run_alone(code) == "17"


def test_a_numba_that_fails_to_import_leaves_the_kernels_running_as_python() -> None:
    # Found but broken (llvmlite missing, say): the same answers, from the Python functions.
    sig = f"signatures.minhash_signature({_TEXT!r}, num_perm=16, shingle=3, seed=1).tolist()"
    keys = f"align.tokenize({_TEXT!r}).keys.tolist()"
    compiled = run_alone(f"from corpuskit import align, signatures\nprint({sig}, {keys})")
    code = f"""
from corpuskit import align, kernels, signatures

def broken():
    raise ImportError("libllvmlite.so: cannot open shared object file")

kernels._import_numba = broken
print({sig}, {keys})
assert type(align._fmix).__name__ == "function"
"""
    assert run_alone(code) == compiled
