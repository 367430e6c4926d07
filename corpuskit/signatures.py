"""MinHash signatures over word shingles, datasketch-compatible, without per-shingle objects.

datasketch's ``MinHash.update_batch`` spends its time building one Python ``bytes`` per
shingle and hashing it with SHA-1; the arithmetic is cheap. Here one compiled loop (numba,
with a pure-numpy fallback) walks the UTF-8 bytes, hashes each word once, combines word
hashes into shingle hashes numerically and applies datasketch's permutations directly.

Compatibility contract: for any text, ``minhash_signature(text, num_perm=p, shingle=n,
seed=s)`` equals ``MinHash(num_perm=p, seed=s, hashfunc=shingle_hash32)`` after
``update_batch(shingles(text, n))`` value for value, so ``to_lean_minhash`` gives a
``datasketch.LeanMinHash`` whose ``jaccard`` and ``count`` agree with datasketch's own.
The hash function is **not** datasketch's default (SHA-1); it is :func:`shingle_hash32`:

* a *word* is a maximal run of ASCII letters/digits or non-ASCII characters other than
  U+0080–U+00BF (Latin-1 punctuation, NBSP) and U+2000–U+207F (general punctuation:
  dashes, curly quotes, ellipsis, bullets; superscripts) — everything else separates words;
* word hash: 64-bit FNV-1a over the word's UTF-8 bytes;
* shingle hash: ``h = k`` (words in the shingle), then ``h = h * 0x9E3779B97F4A7C15 + w``
  for each word hash ``w`` (mod 2**64), then the murmur3 ``fmix64`` finaliser;
  :func:`shingle_hash32` is its low 32 bits (what MinHash permutes), the full 64 bits
  are what :func:`shingle_hashes` returns for exact set comparisons;
* a text of ``k`` words gives ``k - n + 1`` shingles, or one shingle of all its words when
  ``0 < k < n``, or none (an empty MinHash: every value ``2**32 - 1``).

Matching callers pass ``normalise.fold_text(text)``: tokens are taken as given, not
case-folded here, so that the Python reference and the kernel stay trivially equal.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .kernels import HAVE_NUMBA, kernel

if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHash

__all__ = [
    "HAVE_NUMBA",
    "count_common",
    "minhash_signature",
    "permutations",
    "shared_rows",
    "shingle_hash32",
    "shingle_hashes",
    "shingles",
    "signature_matrix",
    "to_lean_minhash",
    "to_minhash",
    "tokenize",
]

_MASK64 = (1 << 64) - 1
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MIX = 0x9E3779B97F4A7C15
_MERSENNE = (1 << 61) - 1
_MAX_HASH = (1 << 32) - 1

_U_FNV_OFFSET = np.uint64(_FNV_OFFSET)
_U_FNV_PRIME = np.uint64(_FNV_PRIME)
_U_MIX = np.uint64(_MIX)
_U_MERSENNE = np.uint64(_MERSENNE)
_U_MAX_HASH = np.uint64(_MAX_HASH)
_U_FM1 = np.uint64(0xFF51AFD7ED558CCD)
_U_FM2 = np.uint64(0xC4CEB9FE1A85EC53)
_U33 = np.uint64(33)
_U61 = np.uint64(61)

# Same word definition as the byte kernel (see the module docstring).
_WORD = re.compile("[0-9A-Za-z\u00c0-\u1fff\u2080-\U0010ffff]+")


def tokenize(text: str) -> list[str]:
    """The words MinHash shingles are made of, exactly as the kernel sees them.

    >>> tokenize('"their top team" - said Han Duck-soo…')
    ['their', 'top', 'team', 'said', 'Han', 'Duck', 'soo']
    """
    return _WORD.findall(text)


def shingles(text: str, n: int) -> list[str]:
    """Word ``n``-grams of ``text`` joined by one space: the items fed to datasketch.

    >>> shingles("a b c d", 3)
    ['a b c', 'b c d']
    >>> shingles("a b", 3)
    ['a b']
    """
    words = tokenize(text)
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def _fnv1a(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    h ^= h >> 33
    return h


def _shingle_hash64(shingle: str | bytes) -> int:
    raw = shingle.encode("utf-8", "surrogatepass") if isinstance(shingle, str) else shingle
    words = raw.split(b" ")
    h = len(words)
    for w in words:
        h = (h * _MIX + _fnv1a(w)) & _MASK64
    return _fmix64(h)


def shingle_hash32(shingle: str | bytes) -> int:
    """The ``hashfunc`` that makes datasketch reproduce our signatures.

    Takes one item of :func:`shingles` (``str`` or its UTF-8 ``bytes``).

    >>> from datasketch import MinHash
    >>> m = MinHash(num_perm=16, seed=1, hashfunc=shingle_hash32)
    >>> m.update_batch(shingles("one two three four five six", 5))
    >>> bool((m.hashvalues == minhash_signature("one two three four five six",
    ...       num_perm=16, shingle=5, seed=1)).all())
    True
    """
    return _shingle_hash64(shingle) & _MAX_HASH


@lru_cache(maxsize=32)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters ``(a, b)`` for ``MinHash(num_perm, seed)``.

    Drawn from the same ``RandomState`` sequence datasketch uses; read-only arrays.
    """
    gen = np.random.RandomState(seed)
    ab = np.array(
        [
            (gen.randint(1, _U_MERSENNE, dtype=np.uint64), gen.randint(0, _U_MERSENNE, dtype=np.uint64))
            for _ in range(num_perm)
        ],
        dtype=np.uint64,
    ).T
    a = np.ascontiguousarray(ab[0])
    b = np.ascontiguousarray(ab[1])
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


# ---------------------------------------------------------------------------------------
# numba kernel
# ---------------------------------------------------------------------------------------


_njit: Any = kernel(cache=True, nogil=True, boundscheck=False)


@_njit
def word_hashes(buf: np.ndarray, start: int, end: int, out: np.ndarray) -> int:
    # Word boundaries on UTF-8 bytes: ASCII alnum and non-ASCII sequences are word
    # bytes, except U+0080-U+00BF (C2 80..BF) and U+2000-U+207F (E2 80|81 xx).
    k = 0
    h = _U_FNV_OFFSET
    inword = False
    i = start
    while i < end:
        c = buf[i]
        step = 1
        word = False
        if c >= 0x80:
            word = True
            if c == 0xC2 and i + 1 < end and buf[i + 1] >= 0x80 and buf[i + 1] <= 0xBF:
                word = False
                step = 2
            elif c == 0xE2 and i + 2 < end and (buf[i + 1] == 0x80 or buf[i + 1] == 0x81):
                word = False
                step = 3
        elif (c >= 0x30 and c <= 0x39) or (c >= 0x41 and c <= 0x5A) or (c >= 0x61 and c <= 0x7A):
            word = True
        if word:
            h = (h ^ np.uint64(c)) * _U_FNV_PRIME
            inword = True
        else:
            if inword:
                out[k] = h
                k += 1
                h = _U_FNV_OFFSET
                inword = False
            i += step
            continue
        i += 1
    if inword:
        out[k] = h
        k += 1
    return k


@_njit
def shingle_hashes_k(words: np.ndarray, k: int, n: int, out: np.ndarray) -> int:
    if k == 0:
        return 0
    width = n if k >= n else k
    m = k - width + 1
    for s in range(m):
        h = np.uint64(width)
        for t in range(width):
            h = h * _U_MIX + words[s + t]
        h ^= h >> _U33
        h *= _U_FM1
        h ^= h >> _U33
        h *= _U_FM2
        h ^= h >> _U33
        out[s] = h
    return m


@_njit
def sig_batch(buf: np.ndarray, offsets: np.ndarray, n: int, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    p = a.shape[0]
    longest = 0
    for d in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    words = np.empty(longest // 2 + 2, dtype=np.uint64)
    sh = np.empty(longest // 2 + 2, dtype=np.uint64)
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for j in range(p):
            row[j] = _U_MAX_HASH
        k = word_hashes(buf, offsets[d], offsets[d + 1], words)
        m = shingle_hashes_k(words, k, n, sh)
        for s in range(m):
            hv = sh[s] & _U_MAX_HASH
            for j in range(p):
                # (a*h + b) mod 2**64, then mod 2**61-1 as a Mersenne fold, then 32 bits:
                # bit for bit what datasketch's uint64 numpy expression computes.
                x = a[j] * hv + b[j]
                x = (x & _U_MERSENNE) + (x >> _U61)
                if x >= _U_MERSENNE:
                    x -= _U_MERSENNE
                x &= _U_MAX_HASH
                if x < row[j]:
                    row[j] = x


@_njit
def doc_shingles(buf: np.ndarray, n: int) -> np.ndarray:
    words = np.empty(buf.shape[0] // 2 + 2, dtype=np.uint64)
    k = word_hashes(buf, 0, buf.shape[0], words)
    sh = np.empty(max(k, 1), dtype=np.uint64)
    m = shingle_hashes_k(words, k, n, sh)
    return np.unique(sh[:m])


@_njit
def count_common_k(x: np.ndarray, y: np.ndarray) -> int:
    i = 0
    j = 0
    c = 0
    while i < x.shape[0] and j < y.shape[0]:
        if x[i] < y[j]:
            i += 1
        elif x[i] > y[j]:
            j += 1
        else:
            c += 1
            i += 1
            j += 1
    return c


# Which implementation the public functions use; tests set it to False to check that the
# numpy fallback gives the same answers.
_USE_KERNEL: bool = HAVE_NUMBA


# ---------------------------------------------------------------------------------------
# pure-numpy fallback (same results, slower)
# ---------------------------------------------------------------------------------------


def _word_hashes_numpy(text: str) -> np.ndarray:
    words = [w.encode("utf-8", "surrogatepass") for w in tokenize(text)]
    if not words:
        return np.zeros(0, dtype=np.uint64)
    lens = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    width = int(lens.max())
    mat = np.zeros((len(words), width), dtype=np.uint8)
    flat = np.frombuffer(b"".join(words), dtype=np.uint8)
    rows = np.repeat(np.arange(len(words)), lens)
    cols = np.arange(flat.size) - np.repeat(np.cumsum(lens) - lens, lens)
    mat[rows, cols] = flat
    h = np.full(len(words), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(width):
            live = lens > c
            h[live] = (h[live] ^ mat[live, c].astype(np.uint64)) * _U_FNV_PRIME
    return h


def _shingle_hashes_numpy(text: str, n: int) -> np.ndarray:
    words = _word_hashes_numpy(text)
    k = words.size
    if k == 0:
        return words
    width = min(n, k)
    m = k - width + 1
    h = np.full(m, width, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for t in range(width):
            h = h * _U_MIX + words[t : t + m]
    return fmix_array(h)


def _fmix_steps(h: Any) -> Any:
    # MurmurHash3's 64-bit finaliser: in place on a uint64 array, or on one uint64 value.
    h ^= h >> _U33
    h *= _U_FM1
    h ^= h >> _U33
    h *= _U_FM2
    h ^= h >> _U33
    return h


_fmix = _njit(_fmix_steps)
"""The finaliser on one value, for the kernels that hash as they scan (the alignment
scanner's token keys, the passage and LSH band keys, the word tables)."""


def fmix_array(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser over a ``uint64`` array, in place (it wraps around,
    as the compiled kernels' does): each input bit then flips about half the output bits.

    >>> hex(int(fmix_array(np.array([1], dtype=np.uint64))[0]))
    '0xb456bcfc34c2cb2c'
    """
    with np.errstate(over="ignore"):
        out: np.ndarray = _fmix_steps(h)
    return out


def _signature_numpy(text: str, num_perm: int, shingle: int, seed: int) -> np.ndarray:
    a, b = permutations(num_perm, seed)
    sig = np.full(num_perm, _MAX_HASH, dtype=np.uint64)
    hv = _shingle_hashes_numpy(text, shingle) & _U_MAX_HASH
    # Chunked so a long document never builds a huge (shingles x perms) matrix.
    with np.errstate(over="ignore"):
        for lo in range(0, hv.size, 2048):
            x = hv[lo : lo + 2048, None] * a + b
            x = (x % _U_MERSENNE) & _U_MAX_HASH
            np.minimum(sig, x.min(axis=0), out=sig)
    return sig


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------


def _check(num_perm: int, shingle: int) -> None:
    if num_perm < 1:
        raise ValueError("num_perm must be >= 1")
    if shingle < 1:
        raise ValueError("shingle must be >= 1")


def signature_matrix(texts: Sequence[str], *, num_perm: int, shingle: int, seed: int) -> np.ndarray:
    """Signatures of many texts, one row each: ``uint64`` array of shape ``(n, num_perm)``.

    One kernel call for the whole batch (the words buffer is sized once for the longest
    text), so the per-text cost is the UTF-8 encode and the arithmetic.
    """
    _check(num_perm, shingle)
    out = np.empty((len(texts), num_perm), dtype=np.uint64)
    if not _USE_KERNEL:
        for i, t in enumerate(texts):
            out[i] = _signature_numpy(t, num_perm, shingle, seed)
        return out
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    a, b = permutations(num_perm, seed)
    sig_batch(buf, offsets, shingle, a, b, out)
    return out


def minhash_signature(text: str, *, num_perm: int, shingle: int, seed: int) -> np.ndarray:
    """MinHash signature of ``text`` over word ``shingle``-grams: ``uint64``, ``(num_perm,)``.

    Equal to datasketch's ``MinHash(num_perm, seed, hashfunc=shingle_hash32)`` fed
    :func:`shingles` (see the module docstring).

    >>> s = minhash_signature("the quick brown fox jumps over", num_perm=8, shingle=5, seed=1)
    >>> s.dtype, s.shape, bool((s < 2**32).all())
    (dtype('uint64'), (8,), True)
    """
    return signature_matrix([text], num_perm=num_perm, shingle=shingle, seed=seed)[0]


class _SharedRow(np.ndarray):
    """A row of a matrix, pickled as ``(matrix, row)`` (see :func:`shared_rows`); an array
    made from it (a slice, a copy) pickles as any array."""

    _of: tuple[np.ndarray, int] | None = None

    def __reduce__(self) -> Any:
        if self._of is None:
            return super().__reduce__()
        return operator.getitem, self._of


def shared_rows(matrix: np.ndarray) -> list[np.ndarray]:
    """The rows of ``matrix`` (views), which pickle together: each as the matrix and its
    index, and a pickler writes the matrix once however many of its rows it meets (its
    memo). Signatures cross from a worker process to the main one this way, a chunk's
    rows as one array: an array of its own for each was 45% of the time to pickle a chunk
    of 128 finished documents (0.26 of 0.57 ms, measured). Unpickled, they are plain views
    of one matrix.

    >>> import pickle
    >>> a, b = pickle.loads(pickle.dumps(shared_rows(np.arange(6, dtype=np.uint32).reshape(2, 3))))
    >>> a.tolist(), b.tolist(), a.base is b.base, type(a) is np.ndarray
    ([0, 1, 2], [3, 4, 5], True, True)
    """
    rows = list(matrix.view(_SharedRow))
    for i, row in enumerate(rows):
        row._of = (matrix, i)
    return rows


def to_lean_minhash(sig: np.ndarray, seed: int) -> LeanMinHash:
    """Wrap a signature as a ``datasketch.LeanMinHash`` (for its index, estimates, storage)."""
    from datasketch import LeanMinHash  # loaded on use: it imports SciPy, 0.4 s a process

    return LeanMinHash(seed=seed, hashvalues=np.asarray(sig, dtype=np.uint64))


def to_minhash(sig: np.ndarray, seed: int) -> MinHash:
    """Wrap a signature as an updatable ``datasketch.MinHash`` with :func:`shingle_hash32`."""
    from datasketch import MinHash

    sig = np.asarray(sig, dtype=np.uint64)
    return MinHash(
        seed=seed,
        hashfunc=shingle_hash32,
        hashvalues=sig.copy(),
        permutations=permutations(len(sig), seed),
    )


def shingle_hashes(text: str, shingle: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the text's word shingles: its exact shingle set.

    Used to verify candidate pairs (Jaccard, containment) without keeping shingle strings;
    a 64-bit collision between two different shingles is negligible at news sizes.
    """
    if shingle < 1:
        raise ValueError("shingle must be >= 1")
    if not _USE_KERNEL:
        return np.unique(_shingle_hashes_numpy(text, shingle))
    buf = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    out: np.ndarray = doc_shingles(buf, shingle)
    return out


def count_common(x: np.ndarray, y: np.ndarray) -> int:
    """Size of the intersection of two sorted unique ``uint64`` arrays."""
    if not _USE_KERNEL:
        return int(np.intersect1d(x, y, assume_unique=True).size)
    return int(count_common_k(x, y))
