#!/usr/bin/env python3
"""Score corpuskit's near-duplicate detection pairwise against gold clusters.

Input: a JSONL corpus whose rows have ``id``, ``text``, ``cluster`` (gold label) and
optionally ``date``, ``url``, ``sitename``, ``variant`` (as written by
``scripts/make_dedup_corpus.py``; without ``--corpus`` that corpus is built in memory).
Each document's text goes through ``normalise_text`` as in the pipeline, then
:func:`corpuskit.dedup.deduplicate`; a document's predicted cluster is the kept document it
points to. Over all unordered pairs: precision, recall and F1 of "same cluster", plus the
adjusted Rand index (the measure NEWS-COPY reports), and recall per edit type.

    python scripts/score_dedup.py                       # default threshold, table
    python scripts/score_dedup.py --sweep 0.3,0.4,0.5,0.6,0.7
    python scripts/score_dedup.py --corpus my.jsonl --seeds ../shared/seeds
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from math import comb
from pathlib import Path
from typing import Any

from corpuskit.config import DedupConfig
from corpuskit.dedup import deduplicate
from corpuskit.normalise import normalise_text
from corpuskit.records import Document

__all__ = ["adjusted_rand_index", "check_seeds", "main", "predicted_clusters", "score"]


def _documents(rows: Sequence[dict[str, Any]]) -> list[Document]:
    docs = []
    for k, r in enumerate(rows):
        d = Document(id=str(r["id"]), source="corpus", source_line=k + 1, order=k)
        d.text = normalise_text(r["text"])
        d.date, d.url, d.sitename, d.title = r.get("date"), r.get("url"), r.get("sitename"), r.get("title")
        docs.append(d)
    return docs


def predicted_clusters(docs: Sequence[Document]) -> dict[str, str]:
    """Document id → id of the kept document representing it."""
    return {d.id: d.duplicate_of if d.status == "duplicate" and d.duplicate_of else d.id for d in docs}


def adjusted_rand_index(gold: Sequence[Any], pred: Sequence[Any]) -> float:
    """Hubert–Arabie adjusted Rand index of two labelings of the same items."""
    n = len(gold)
    cells = Counter(zip(gold, pred, strict=True))
    sum_cells = sum(comb(c, 2) for c in cells.values())
    sum_gold = sum(comb(c, 2) for c in Counter(gold).values())
    sum_pred = sum(comb(c, 2) for c in Counter(pred).values())
    expected = sum_gold * sum_pred / comb(n, 2) if n > 1 else 0.0
    top = (sum_gold + sum_pred) / 2
    return 1.0 if top == expected else (sum_cells - expected) / (top - expected)


def score(rows: Sequence[dict[str, Any]], cfg: DedupConfig) -> dict[str, Any]:
    """Run deduplication over ``rows`` and score it against their ``cluster`` labels."""
    docs = _documents(rows)
    t = time.perf_counter()
    stats = deduplicate(docs, cfg)
    seconds = time.perf_counter() - t
    pred = predicted_clusters(docs)
    gold = {str(r["id"]): r["cluster"] for r in rows}
    ids = [d.id for d in docs]
    tp = fp = fn = 0
    missed: list[tuple[str, str]] = []
    wrong: list[tuple[str, str]] = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            same_gold = gold[ids[a]] == gold[ids[b]]
            same_pred = pred[ids[a]] == pred[ids[b]]
            tp += same_gold and same_pred
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
            if same_gold and not same_pred:
                missed.append((ids[a], ids[b]))
            if same_pred and not same_gold:
                wrong.append((ids[a], ids[b]))
    # Per edit type: is the variant in the same predicted cluster as its original?
    by_variant: dict[str, list[bool]] = defaultdict(list)
    originals = {r["cluster"]: str(r["id"]) for r in rows if r.get("variant") == "original"}
    for r in rows:
        v = r.get("variant")
        if v and v != "original" and r["cluster"] in originals:
            by_variant[v].append(pred[str(r["id"])] == pred[originals[r["cluster"]]])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": cfg.threshold,
        "containment": cfg.containment,
        "documents": len(docs),
        "gold_clusters": len(set(gold.values())),
        "predicted_clusters": len(set(pred.values())),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": adjusted_rand_index([gold[i] for i in ids], [pred[i] for i in ids]),
        "variant_recall": {v: sum(ok) / len(ok) for v, ok in sorted(by_variant.items())},
        "kinds": {"exact": stats.exact, "near": stats.near, "contained": stats.contained},
        "candidate_pairs": stats.candidate_pairs,
        "seconds": seconds,
        "missed": missed,
        "wrong": wrong,
    }


def check_seeds(seed_dir: Path, cfg: DedupConfig) -> list[tuple[str, str]]:
    """``(file, status)`` for each ``*.txt`` in ``seed_dir`` after deduplicating them together."""
    files = sorted(seed_dir.glob("*.txt"))
    docs = [Document(id=f.name, source=str(f), text=normalise_text(f.read_text(encoding="utf-8"))) for f in files]
    deduplicate(docs, cfg)
    return [(d.id, d.status) for d in docs]


def _default_rows(seed: int = 7) -> list[dict[str, Any]]:
    path = Path(__file__).resolve().parent / "make_dedup_corpus.py"
    spec = importlib.util.spec_from_file_location("make_dedup_corpus", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    rows: list[dict[str, Any]] = mod.build_corpus(mod.load_articles(), seed)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="JSONL corpus (default: build the test corpus in memory)")
    ap.add_argument("--threshold", type=float, default=DedupConfig().threshold)
    ap.add_argument("--containment", type=float, default=DedupConfig().containment)
    ap.add_argument("--shingle", type=int, default=DedupConfig().shingle)
    ap.add_argument("--num-perm", type=int, default=DedupConfig().num_perm)
    ap.add_argument("--seed", type=int, default=DedupConfig().seed)
    ap.add_argument("--corpus-seed", type=int, default=7, help="seed of the in-memory test corpus")
    ap.add_argument("--sweep", help="comma-separated thresholds to score as well")
    ap.add_argument("--seeds", type=Path, help="directory of *.txt articles that must all stay kept")
    ap.add_argument("--errors", action="store_true", help="list missed and wrong pairs")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    if args.corpus:
        with args.corpus.open(encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        rows = _default_rows(args.corpus_seed)
    base = DedupConfig(
        threshold=args.threshold,
        containment=args.containment,
        shingle=args.shingle,
        num_perm=args.num_perm,
        seed=args.seed,
    )
    thresholds = [args.threshold]
    if args.sweep:
        thresholds += [float(x) for x in args.sweep.split(",") if float(x) != args.threshold]
    results = [score(rows, replace(base, threshold=t)) for t in sorted(thresholds)]

    head = f"{'threshold':>9} {'docs':>5} {'gold':>5} {'pred':>5} {'TP':>6} {'FP':>5} {'FN':>5} "
    head += f"{'precision':>9} {'recall':>7} {'F1':>6} {'ARI':>6} {'exact':>5} {'near':>5} {'contained':>9} {'ms':>6}"
    print(head)
    for r in results:
        mark = " *" if r["threshold"] == args.threshold else ""
        print(
            f"{r['threshold']:>9.2f} {r['documents']:>5} {r['gold_clusters']:>5} {r['predicted_clusters']:>5} "
            f"{r['tp']:>6} {r['fp']:>5} {r['fn']:>5} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>6.4f} "
            f"{r['ari']:>6.4f} {r['kinds']['exact']:>5} {r['kinds']['near']:>5} {r['kinds']['contained']:>9} "
            f"{r['seconds'] * 1000:>6.1f}{mark}"
        )
    main_result = next(r for r in results if r["threshold"] == args.threshold)
    print(f"\nrecall per edit (variant in its original's cluster), threshold {args.threshold}:")
    for v, rec in main_result["variant_recall"].items():
        print(f"  {v:<10} {rec:.3f}")
    if args.errors:
        for name in ("missed", "wrong"):
            for a, b in main_result[name]:
                print(f"{name}: {a} ~ {b}")
    status = 0
    if args.seeds:
        seeds = check_seeds(args.seeds, base)
        kept = sum(s == "kept" for _, s in seeds)
        print(f"\nseeds: {kept}/{len(seeds)} kept at threshold {args.threshold}")
        for name, s in seeds:
            print(f"  {name}: {s}")
        status = 0 if kept == len(seeds) else 1
    if args.json:
        slim = [{k: v for k, v in r.items() if k not in ("missed", "wrong")} for r in results]
        args.json.write_text(json.dumps(slim, indent=2) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
