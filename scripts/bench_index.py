"""Incremental runs against a persistent index: does a day's batch cost the same on day 10?

    python scripts/bench_index.py                         # 10 batches of 10,000 documents
    python scripts/bench_index.py --batches 5 --docs 2000 --workers 2

Each batch is one day of synthetic news (generated here, nothing read from ``../shared``):
articles of about ``--words`` words from a Zipf vocabulary, 8% reprints of an article from
the last three days (near-duplicates across batches, a paragraph cut and a line added),
4% reprints from the same day, and statements quoted by several articles over the
following days (passages that grow across batches). Every batch runs as
``corpuskit run BATCH -o OUT --index INDEX`` in a fresh process, as a daily job would.

Reported per batch: wall time of the run, the index step alone (``timings.index`` of the
manifest: lookup, deduplication, passages, writes), earlier documents loaded as
candidates, documents and passages in the index, and the index file size per document.
The check: the run time of the last batch is at most ``--max-growth`` times the first's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

_FUNCTION = (
    "the of and to a in that is was he for it with as his on be at by had are but from or have an they which "
    "one you were her all she there would their we him been has when who will more no if out so said what up "
    "its about into than them can only other new some could time these two may then do first any my now such"
)
_SYLLABLES = "ka ri to mo an el si pa nu der ver ten lo ga mi ro sta pre con tra ment ing al or ble ous ist ive"


def _vocabulary(n: int, rng: np.random.Generator) -> np.ndarray:
    syl = np.array(_SYLLABLES.split())
    words = {"".join(rng.choice(syl, size=int(rng.integers(2, 5)))) for _ in range(n * 2)}
    return np.array(sorted(words)[:n])


class _Generator:
    """Days of news: fresh articles, reprints across days, statements quoted for days."""

    def __init__(self, words: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.vocab = self.rng.permutation(_vocabulary(30_000, self.rng))
        # Zipf's law, head flattened as in running text: the commonest content word is
        # about 1% of the words, not a quarter (as numpy's zipf(1.3) would make it).
        rank = np.arange(len(self.vocab), dtype=np.float64)
        self.freq = 1.0 / (rank + 30.0)
        self.freq /= self.freq.sum()
        self.func = np.array(_FUNCTION.split())
        self.words = words
        self.recent: list[list[str]] = []  # texts of the last days, for reprints
        self.statements: list[tuple[int, str]] = []  # (day introduced, sentence)

    def _sentences(self, n_words: int) -> list[str]:
        content = self.vocab[self.rng.choice(len(self.vocab), size=n_words, p=self.freq)]
        mask = self.rng.random(n_words) < 0.45
        tokens = np.where(mask, self.func[self.rng.integers(0, len(self.func), size=n_words)], content)
        return [" ".join(s).capitalize() + "." for s in np.array_split(tokens, max(1, n_words // 18))]

    def _article(self, day: int) -> str:
        sents = self._sentences(self.words)
        paras = [" ".join(p) for p in np.array_split(np.array(sents, dtype=object), 6) if len(p)]
        live = [s for d, s in self.statements if day - d <= 3]
        if live and self.rng.random() < 0.3:
            paras.insert(
                int(self.rng.integers(1, len(paras))), f"“{live[int(self.rng.integers(len(live)))]}” an official said."
            )
        return "\n\n".join(paras)

    def day(self, day: int, n: int) -> list[dict[str, object]]:
        for _ in range(20):  # statements of the day, quoted today and on the next days
            self.statements.append((day, " ".join(self._sentences(24)[:1]).rstrip(".")))
        texts: list[str] = []
        for _ in range(n):
            r = self.rng.random()
            if r < 0.08 and self.recent:
                pool = [t for batch in self.recent for t in batch]
                paras = pool[int(self.rng.integers(len(pool)))].split("\n\n")
                del paras[int(self.rng.integers(len(paras)))]
                texts.append("\n\n".join(paras) + "\n\nThis story was first published earlier this week.")
            elif r < 0.12 and texts:
                texts.append(texts[int(self.rng.integers(len(texts)))] + "\n\nUpdated with details.")
            else:
                texts.append(self._article(day))
        self.recent = [*self.recent[-2:], texts]
        date = f"2025-03-{day + 1:02d}"
        return [
            {"id": f"d{day:02d}-{i:05d}", "url": f"https://site{i % 60}.example/{day}/{i}", "date": date, "text": t}
            for i, t in enumerate(texts)
        ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--docs", type=int, default=10_000, help="documents per batch")
    ap.add_argument("--words", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-growth", type=float, default=1.5)
    ap.add_argument("--tmp", type=Path, default=None, help="where batches, outputs and the index go")
    args = ap.parse_args(argv)

    gen = _Generator(args.words, args.seed)
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="corpuskit-index-") as d:
        root = Path(d)
        db = root / "corpus.db"
        rows = []
        print(
            f"{'batch':>5} {'wall s':>7} {'index s':>8} {'prior dd':>8} {'prior pa':>8}"
            f" {'docs':>8} {'passages':>8} {'MiB':>7} {'KiB/doc':>8}",
            flush=True,
        )
        for day in range(args.batches):
            batch = root / f"day{day:02d}.jsonl"
            batch.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in gen.day(day, args.docs)))
            out = root / f"out{day:02d}"
            cmd = [sys.executable, "-m", "corpuskit", "run", str(batch), "-o", str(out), "-q", "--no-report"]
            cmd += ["--workers", str(args.workers), "--index", str(db)]
            t = time.perf_counter()
            subprocess.run(cmd, check=True)
            wall = time.perf_counter() - t
            manifest = json.loads((out / "manifest.json").read_text())
            stats = json.loads(
                subprocess.run(
                    [sys.executable, "-m", "corpuskit", "index", "stats", str(db)], check=True, capture_output=True
                ).stdout
            )
            ix = manifest["index"]
            row = {
                "batch": day + 1,
                "wall": wall,
                "index": manifest["timings"]["index"],
                "prior_for_dedup": ix["prior_for_dedup"],
                "prior_for_passages": ix["prior_for_passages"],
                "documents": stats["documents"],
                "passages": stats["passages"],
                "bytes": stats["file_bytes"],
            }
            rows.append(row)
            print(
                f"{row['batch']:>5} {wall:>7.1f} {row['index']:>8.1f} {row['prior_for_dedup']:>8} "
                f"{row['prior_for_passages']:>8} {row['documents']:>8} {row['passages']:>8} "
                f"{row['bytes'] / 2**20:>7.1f} {row['bytes'] / row['documents'] / 1024:>8.2f}",
                flush=True,
            )
            batch.unlink()
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "corpuskit", "index", "vacuum", str(db)], check=True)
        vacuum = time.perf_counter() - t
        size = db.stat().st_size
    first, last = rows[0], rows[-1]
    growth = last["wall"] / first["wall"]
    print(
        f"\nper-batch time, batch {last['batch']} / batch 1: {growth:.2f}x (limit {args.max_growth}x); "
        f"index step {last['index'] / max(first['index'], 1e-9):.2f}x"
    )
    print(
        f"index after vacuum ({vacuum:.1f} s): {size / 2**20:.1f} MiB for {last['documents']:,} documents, "
        f"{size / last['documents'] / 1024:.2f} KiB per document"
    )
    return 0 if growth <= args.max_growth else 1


if __name__ == "__main__":
    sys.exit(main())
