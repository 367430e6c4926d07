"""Score article extraction on the Zyte/Scrapinghub Article Extraction Benchmark.

Usage::

    python scripts/bench_extract.py --bench ../shared/benchmarks/scrapinghub-aeb [--only corpuskit-text]

The benchmark folder holds ``html/<id>.html.gz``, ``ground-truth.json`` (``{id: {"articleBody",
"url"}}``) and ``reference-outputs/html-text.json.gz``: the whole visible text of every page, one
block per line, which is what a naive scraper saves and what the plain-text stripper is scored on.

Systems, all scored the same way on the same pages:

* ``corpuskit-text``: :func:`corpuskit.boilerplate.strip_boilerplate` over the page text
  (normalised first, as the pipeline does);
* ``justext-text``: jusText (English stoplist, default settings) over the same text, one
  ``<p>`` per line;
* ``raw-text``: the page text kept whole;
* ``corpuskit-html``: :func:`corpuskit.extract.extract_html` then
  :func:`corpuskit.boilerplate.postfilter_extracted`, as the pipeline does for HTML;
* ``trafilatura-html``: plain ``trafilatura.extract(html)``.

The metric is the benchmark's own: token (``\\w+``) 4-gram shingle multisets per document,
precision and recall per document, each averaged over documents, F1 of the two means. Prints a
markdown table; ``--json`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

__all__ = ["Score", "main", "score", "shingle_counts"]

_TOKEN = re.compile(r"\w+")


def shingle_counts(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of token n-grams; a text shorter than ``n`` tokens is one short shingle."""
    toks = _TOKEN.findall(text or "")
    if len(toks) < n:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def _tp_fp_fn(true: str, pred: str) -> tuple[int, int, int]:
    t, p = shingle_counts(true), shingle_counts(pred)
    tp = sum((t & p).values())
    return tp, sum(p.values()) - tp, sum(t.values()) - tp


class Score:
    """Mean per-document precision and recall, F1 of the means (the benchmark's definitions)."""

    def __init__(self) -> None:
        self.precisions: list[float] = []
        self.recalls: list[float] = []

    def add(self, true: str, pred: str) -> None:
        tp, fp, fn = _tp_fp_fn(true, pred)
        if tp + fp > 0:
            self.precisions.append(1.0 if fp == fn == 0 else tp / (tp + fp))
        if tp + fn > 0:
            self.recalls.append(1.0 if fp == fn == 0 else tp / (tp + fn))

    @property
    def precision(self) -> float:
        return sum(self.precisions) / len(self.precisions) if self.precisions else 0.0

    @property
    def recall(self) -> float:
        return sum(self.recalls) / len(self.recalls) if self.recalls else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(truth: dict[str, str], preds: dict[str, str]) -> Score:
    """Score predictions (missing ones count as empty) against gold article bodies."""
    s = Score()
    for key, body in truth.items():
        s.add(body, preds.get(key, ""))
    return s


def _load(bench: Path) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    gt = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    truth = {k: v.get("articleBody", "") for k, v in gt.items()}
    urls = {k: v.get("url", "") for k, v in gt.items()}
    with gzip.open(bench / "reference-outputs" / "html-text.json.gz", "rt", encoding="utf-8") as f:
        page_text = {k: v.get("articleBody", "") for k, v in json.load(f)["output"].items()}
    return truth, urls, page_text


def _html(bench: Path, key: str) -> str:
    from corpuskit.readers import decode_bytes

    raw = gzip.decompress((bench / "html" / f"{key}.html.gz").read_bytes())
    decoded = decode_bytes(raw, html=True)
    return decoded.text if decoded is not None else raw.decode("utf-8", errors="replace")


def _systems(bench: Path, urls: dict[str, str], page_text: dict[str, str]) -> dict[str, Callable[[str], str]]:
    from corpuskit.boilerplate import postfilter_extracted, strip_boilerplate
    from corpuskit.config import BoilerplateConfig
    from corpuskit.extract import extract_html
    from corpuskit.normalise import normalise_text

    cfg = BoilerplateConfig()

    def corpuskit_text(key: str) -> str:
        return normalise_text(strip_boilerplate(normalise_text(page_text[key]), cfg).text)

    def justext_text(key: str) -> str:
        import justext

        lines = [ln for ln in page_text[key].split("\n") if ln.strip()]
        page = "<html><body>" + "".join(f"<p>{html.escape(ln)}</p>" for ln in lines) + "</body></html>"
        paras = justext.justext(page, justext.get_stoplist("English"))
        return "\n".join(p.text for p in paras if not p.is_boilerplate)

    def raw_text(key: str) -> str:
        return page_text[key]

    def corpuskit_html(key: str) -> str:
        ex = extract_html(_html(bench, key), urls.get(key) or None)
        return normalise_text(postfilter_extracted(normalise_text(ex.text), cfg))

    def trafilatura_html(key: str) -> str:
        import trafilatura

        return trafilatura.extract(_html(bench, key), url=urls.get(key) or None) or ""

    return {
        "corpuskit-text": corpuskit_text,
        "justext-text": justext_text,
        "raw-text": raw_text,
        "corpuskit-html": corpuskit_html,
        "trafilatura-html": trafilatura_html,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", type=Path, required=True, help="folder of the Article Extraction Benchmark")
    ap.add_argument("--only", action="append", default=[], help="run only this system (repeatable)")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N pages (sorted ids)")
    ap.add_argument("--json", type=Path, help="also write the scores here")
    args = ap.parse_args(argv)

    truth, urls, page_text = _load(args.bench)
    keys = sorted(truth)[: args.limit or None]
    truth = {k: truth[k] for k in keys}
    systems = _systems(args.bench, urls, page_text)
    unknown = [s for s in args.only if s not in systems]
    if unknown:
        ap.error(f"unknown system(s) {unknown}; choose from {sorted(systems)}")
    rows = []
    for name, fn in systems.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        preds = {k: fn(k) for k in keys}
        dt = time.perf_counter() - t0
        s = score(truth, preds)
        rows.append(
            {"system": name, "precision": s.precision, "recall": s.recall, "f1": s.f1, "docs_per_s": len(keys) / dt}
        )
        print(f"{name}: F1 {s.f1:.3f}", file=sys.stderr)
    print(f"{len(keys)} pages; token 4-gram shingles, per-document P/R averaged, F1 of the means\n")
    print("| system | precision | recall | F1 | docs/s |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['system']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['docs_per_s']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
