"""Score :func:`corpuskit.passages.find_passages` against a gold-span corpus.

The corpus is what ``scripts/make_passage_corpus.py`` writes: ``docs.jsonl`` (``{id, date,
text}``) and ``gold.jsonl`` (``{statement, doc_id, start, end, edits}``, one row per
occurrence of a statement).

**Span match**: a predicted source span matches a gold span of the same document when
their character IoU (overlap / union) is at least ``--iou`` (0.8); matching is one-to-one,
best IoU first. *Span precision* is the share of predicted spans that match a gold span,
*span recall* the share of gold spans matched. *Grouping* is scored over matched spans,
pairwise: precision = pairs put in one passage that belong to one statement, recall =
pairs of one statement put in one passage. Recall is also broken down by edit.

Usage::

    python scripts/score_passages.py DIR [--iou 0.8] [--min-words 8] [--canonical complete]
        [--show-errors 20] [--fail-under 0.95]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpuskit.config import PassageConfig
from corpuskit.passages import find_passages
from corpuskit.records import Document, Passage

__all__ = ["Score", "load", "main", "score"]


@dataclass
class Score:
    n_docs: int
    n_gold: int
    n_pred: int
    matched: int
    precision: float
    recall: float
    group_precision: float
    group_recall: float
    seconds: float
    by_edit: dict[str, tuple[int, int]]  # edit -> (found, total)
    false_pos: list[dict[str, Any]]
    false_neg: list[dict[str, Any]]

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load(corpus: Path) -> tuple[list[Document], list[dict[str, Any]]]:
    docs = []
    with (corpus / "docs.jsonl").open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(Document(id=d["id"], source=d["id"], text=d["text"], date=d.get("date")))
    with (corpus / "gold.jsonl").open(encoding="utf-8") as f:
        gold = [json.loads(line) for line in f]
    return docs, gold


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def _pairs(labels: dict[int, str]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for k, lab in labels.items():
        groups[lab].append(k)
    out = set()
    for members in groups.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                out.add((a, b))
    return out


def score(docs: list[Document], gold: list[dict[str, Any]], cfg: PassageConfig, iou: float = 0.8) -> Score:
    t = time.perf_counter()
    passages: list[Passage] = find_passages(docs, cfg)
    seconds = time.perf_counter() - t
    text = {d.id: d.text for d in docs}
    pred = [(p.passage_id, s.doc_id, s.start, s.end) for p in passages for s in p.sources]
    by_doc_pred: dict[str, list[int]] = defaultdict(list)
    for k, (_, doc, _, _) in enumerate(pred):
        by_doc_pred[doc].append(k)
    by_doc_gold: dict[str, list[int]] = defaultdict(list)
    for k, g in enumerate(gold):
        by_doc_gold[g["doc_id"]].append(k)
    pred_to_gold: dict[int, int] = {}
    for doc in set(by_doc_pred) | set(by_doc_gold):
        cands = []
        for pk in by_doc_pred.get(doc, []):
            for gk in by_doc_gold.get(doc, []):
                v = _iou((pred[pk][2], pred[pk][3]), (gold[gk]["start"], gold[gk]["end"]))
                if v >= iou:
                    cands.append((-v, pk, gk))
        cands.sort()
        used_g: set[int] = set()
        for _, pk, gk in cands:
            if pk not in pred_to_gold and gk not in used_g:
                pred_to_gold[pk] = gk
                used_g.add(gk)
    matched = len(pred_to_gold)
    gold_hit = set(pred_to_gold.values())
    # Grouping over matched spans (keyed by the gold index).
    pred_label = {gk: pred[pk][0] for pk, gk in pred_to_gold.items()}
    gold_label = {gk: gold[gk]["statement"] for gk in gold_hit}
    pp, gp = _pairs(pred_label), _pairs(gold_label)
    by_edit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for gk, g in enumerate(gold):
        for e in {x.split(":")[0] for x in g["edits"]} | set(g["edits"]) | {"all"}:
            by_edit[e][1] += 1
            by_edit[e][0] += gk in gold_hit
    fps = [
        {"passage": pid, "doc_id": d, "start": s, "end": e, "text": text[d][s:e]}
        for k, (pid, d, s, e) in enumerate(pred)
        if k not in pred_to_gold
    ]
    fns = [g for gk, g in enumerate(gold) if gk not in gold_hit]
    return Score(
        n_docs=len(docs),
        n_gold=len(gold),
        n_pred=len(pred),
        matched=matched,
        precision=matched / len(pred) if pred else 1.0,
        recall=matched / len(gold) if gold else 1.0,
        group_precision=len(pp & gp) / len(pp) if pp else 1.0,
        group_recall=len(pp & gp) / len(gp) if gp else 1.0,
        seconds=seconds,
        by_edit={k: (v[0], v[1]) for k, v in sorted(by_edit.items())},
        false_pos=fps,
        false_neg=fns,
    )


def report(s: Score, show: int = 0) -> str:
    rows = [
        ("documents", f"{s.n_docs}"),
        ("gold spans", f"{s.n_gold}"),
        ("predicted spans", f"{s.n_pred}"),
        ("matched (IoU)", f"{s.matched}"),
        ("span precision", f"{s.precision:.4f}"),
        ("span recall", f"{s.recall:.4f}"),
        ("span F1", f"{s.f1:.4f}"),
        ("grouping precision", f"{s.group_precision:.4f}"),
        ("grouping recall", f"{s.group_recall:.4f}"),
        ("find_passages seconds", f"{s.seconds:.2f}"),
    ]
    w = max(len(a) for a, _ in rows)
    out = [f"{a:<{w}}  {b:>8}" for a, b in rows]
    out.append("")
    out.append(f"{'recall by edit':<28} {'found':>6} {'total':>6} {'recall':>7}")
    for k, (found, total) in s.by_edit.items():
        out.append(f"{k:<28} {found:>6} {total:>6} {found / total:>7.3f}")
    if show:
        c = Counter(fp["passage"] for fp in s.false_pos)
        out.append("")
        out.append(f"false positives ({len(s.false_pos)}, in {len(c)} passages):")
        for fp in s.false_pos[:show]:
            out.append(f"  {fp['doc_id']} {fp['start']}-{fp['end']} {fp['passage']}: {fp['text'][:140]!r}")
        out.append(f"false negatives ({len(s.false_neg)}):")
        for fn in s.false_neg[:show]:
            out.append(
                f"  {fn['doc_id']} {fn['start']}-{fn['end']} {fn['statement']} {fn['edits']}: {fn['text'][:140]!r}"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--iou", type=float, default=0.8)
    defaults = PassageConfig()
    ap.add_argument("--min-words", type=int, default=defaults.min_words)
    ap.add_argument("--min-similarity", type=float, default=defaults.min_similarity)
    ap.add_argument("--canonical", default=defaults.canonical)
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("--fail-under", type=float, default=None, help="exit 1 if precision or recall is lower")
    args = ap.parse_args(argv)
    docs, gold = load(args.corpus)
    cfg = PassageConfig(min_words=args.min_words, min_similarity=args.min_similarity, canonical=args.canonical)
    s = score(docs, gold, cfg, args.iou)
    print(report(s, args.show_errors))
    if args.fail_under is not None and min(s.precision, s.recall) < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
