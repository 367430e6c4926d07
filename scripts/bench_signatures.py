#!/usr/bin/env python3
"""Signature and banding speed: corpuskit against datasketch, in one run, on one core.

Generates reproducible news-like documents (Zipf-distributed vocabulary, sentences,
paragraphs, some curly quotes and dashes) of ``--words`` words and times:

* ``corpuskit signature_matrix``: one kernel call for the batch;
* ``corpuskit minhash_signature``: one call per document (what the pipeline workers do);
* ``corpuskit numpy fallback``: the no-numba path;
* ``datasketch update_batch``: ``MinHash(num_perm, seed)`` with its default SHA-1 hash,
  fed the word 5-gram shingles as bytes, built from the same texts;
* ``datasketch update loop``: the per-shingle ``update()`` loop (``--slow-docs`` docs).

Every path shingles the same folded text. With ``--lsh N`` it also times
``candidate_pairs`` over an ``N x num_perm`` signature matrix with planted duplicates, and
datasketch's ``MinHashLSH`` (insert + query every document) on the same signatures, with
tracemalloc's peak for both.

    python scripts/bench_signatures.py --docs 3000 --lsh 100000
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from corpuskit import signatures
from corpuskit.lsh import candidate_pairs, optimal_params
from corpuskit.normalise import fold_text
from corpuskit.signatures import minhash_signature, shingles, signature_matrix


def make_docs(n: int, words: int, seed: int = 0) -> list[str]:
    """``n`` news-like documents of ``words`` words each, deterministic for ``seed``."""
    rng = random.Random(seed)
    syll = ["ar", "be", "con", "da", "el", "for", "gra", "hu", "in", "ja", "ker", "lo", "man", "nor", "ost"]
    syll += ["pre", "qua", "ri", "sta", "tor", "un", "ver", "wes", "xi", "yor", "zen", "ment", "tion", "ing"]
    vocab = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(30000)})
    rng.shuffle(vocab)
    weights = [1.0 / (k + 1) for k in range(len(vocab))]
    docs = []
    for _ in range(n):
        toks = rng.choices(vocab, weights, k=words)
        out: list[str] = []
        k = 0
        while k < len(toks):
            length = rng.randint(8, 25)
            sent = toks[k : k + length]
            k += length
            sent[0] = sent[0].capitalize()
            if rng.random() < 0.15:
                sent[0] = "\u201c" + sent[0]
                sent[-1] += ",\u201d said " + rng.choice(vocab).capitalize()
            elif rng.random() < 0.1:
                sent.insert(len(sent) // 2, "\u2014")
            out.append(" ".join(sent) + ".")
            if rng.random() < 0.2:
                out.append("\n\n")
        docs.append(" ".join(out))
    return docs


def _rate(fn: Callable[[], Any], n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n / best


def bench_signatures(
    docs: list[str], slow_docs: int, num_perm: int, shingle: int, seed: int
) -> list[tuple[str, float]]:
    folded = [fold_text(d) for d in docs]
    signature_matrix(folded[:2], num_perm=num_perm, shingle=shingle, seed=seed)  # JIT / cache load
    rows: list[tuple[str, float]] = []
    n = len(folded)
    rows.append(
        (
            "corpuskit signature_matrix (batch)",
            _rate(lambda: signature_matrix(folded, num_perm=num_perm, shingle=shingle, seed=seed), n),
        )
    )
    rows.append(
        (
            "corpuskit minhash_signature (per doc)",
            _rate(lambda: [minhash_signature(t, num_perm=num_perm, shingle=shingle, seed=seed) for t in folded], n),
        )
    )
    sub = folded[:slow_docs]
    signatures._USE_KERNEL = False
    try:
        rows.append(
            (
                "corpuskit numpy fallback",
                _rate(
                    lambda: [minhash_signature(t, num_perm=num_perm, shingle=shingle, seed=seed) for t in sub],
                    len(sub),
                    1,
                ),
            )
        )
    finally:
        signatures._USE_KERNEL = signatures.HAVE_NUMBA

    def ds_batch() -> None:
        for t in sub:
            m = MinHash(num_perm=num_perm, seed=seed)
            m.update_batch([s.encode("utf-8") for s in shingles(t, shingle)])

    def ds_loop() -> None:
        for t in sub[: max(1, len(sub) // 4)]:
            m = MinHash(num_perm=num_perm, seed=seed)
            for s in shingles(t, shingle):
                m.update(s.encode("utf-8"))

    rows.append(("datasketch MinHash.update_batch (SHA-1)", _rate(ds_batch, len(sub), 1)))
    rows.append(("datasketch MinHash.update loop (SHA-1)", _rate(ds_loop, max(1, len(sub) // 4), 1)))
    return rows


def bench_lsh(n: int, num_perm: int, threshold: float) -> list[tuple[str, float, float, int]]:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(n, num_perm), dtype=np.uint64)
    # Plant near-duplicates: every 20th document copies 80% of the previous one's values.
    dup = np.arange(1, n, 20)
    mask = rng.random((len(dup), num_perm)) < 0.8
    sigs[dup] = np.where(mask, sigs[dup - 1], sigs[dup])
    bands, rows = optimal_params(threshold, num_perm)
    out: list[tuple[str, float, float, int]] = []

    tracemalloc.start()
    t = time.perf_counter()
    pairs = candidate_pairs(sigs.astype(np.uint32), bands, rows)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out.append(("corpuskit candidate_pairs (sort)", dt, peak / n, len(pairs)))

    lean = [LeanMinHash(seed=1, hashvalues=s) for s in sigs]

    def datasketch_lsh(ms: list[LeanMinHash]) -> set[tuple[int, int]]:
        index = MinHashLSH(threshold=threshold, num_perm=num_perm)
        with index.insertion_session() as session:
            for i, m in enumerate(ms):
                session.insert(i, m, check_duplication=False)
        found = set()
        for i, m in enumerate(ms):
            for j in index.query(m):
                if j != i:
                    found.add((min(i, j), max(i, j)))
        return found

    t = time.perf_counter()
    found = datasketch_lsh(lean)
    dt = time.perf_counter() - t
    # Memory on a subset: tracemalloc slows pure-Python code several-fold.
    sub = lean[: min(n, 20000)]
    tracemalloc.start()
    datasketch_lsh(sub)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out.append(("datasketch MinHashLSH (insert + query)", dt, peak / len(sub), len(found)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--slow-docs", type=int, default=300, help="documents for the slow (datasketch, numpy) paths")
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--shingle", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lsh", type=int, default=0, help="also time banding over this many signatures")
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the issue measures

    docs = make_docs(args.docs, args.words)
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {'yes' if signatures.HAVE_NUMBA else 'no'}; pinned to 1 core"
    )
    print(f"{args.docs} docs x {args.words} words, {args.num_perm} permutations, word {args.shingle}-grams\n")
    rows = bench_signatures(docs, min(args.slow_docs, args.docs), args.num_perm, args.shingle, args.seed)
    base = dict(rows)["datasketch MinHash.update_batch (SHA-1)"]
    print(f"| {'signatures':<42} | {'docs/s':>9} | {'vs update_batch':>15} |")
    print(f"|{'-' * 44}|{'-' * 11}|{'-' * 17}|")
    for name, rate in rows:
        print(f"| {name:<42} | {rate:>9,.0f} | {rate / base:>14.1f}x |")
    if args.lsh:
        print(
            f"\n{args.lsh:,} signatures, threshold {args.threshold}, bands x rows = {optimal_params(args.threshold, args.num_perm)}\n"
        )
        print(f"| {'banding':<42} | {'seconds':>8} | {'bytes/doc':>9} | {'pairs':>7} |")
        print(f"|{'-' * 44}|{'-' * 10}|{'-' * 11}|{'-' * 9}|")
        for name, dt, per_doc, npairs in bench_lsh(args.lsh, args.num_perm, args.threshold):
            print(f"| {name:<42} | {dt:>8.2f} | {per_doc:>9,.0f} | {npairs:>7,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
