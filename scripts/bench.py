"""End-to-end benchmark: corpuskit vs a baseline pipeline written as the datasketch docs show it.

Generates a reproducible synthetic news corpus (N documents of about 600 words, with
near-duplicate reprints, quotes re-reported across documents and page boilerplate lines),
then measures in one run:

* ``corpuskit run`` end to end with 1 and 2 workers (subprocesses; docs/s, seconds per stage
  from the manifest, peak RSS from ``wait4``);
* the baseline: ftfy ``fix_text`` + langdetect on the whole text + datasketch ``MinHash``
  (128 permutations, word 5-grams, ``update_batch``) + ``MinHashLSH`` insert/query;
* optionally HTML: trafilatura's own extraction vs ``corpuskit run`` on the same pages.

Usage::

    python scripts/bench.py --docs 20000 --workers 1 2 --baseline-docs 2000 --html-docs 2000 \\
        --html-dir ../shared/benchmarks/scrapinghub-aeb/html
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

# A small vocabulary of our own: function words make langdetect and the stripper see
# English; content words are drawn with a Zipf-like weight.
FUNCTION = (
    "the of and to a in that is was he for it with as his on be at by had are but from or have an they "
    "which one you were her all she there would their we him been has when who will more no if out so said "
    "what up its about into than them can only other new some could time these two may then do first any "
    "my now such like our over man me even most made after also did many before must through back years "
    "where much your way well down should because each just those people how too little state good very"
).split()
CONTENT = (
    "tariff trade talks minister official government president market port ship exports imports deal "
    "negotiator delegation economy growth council harbor city budget vote plan terminal ferry workers "
    "union farmers growers almonds shipping container price prices percent billion million week month "
    "year policy agreement partner allies security defense energy gas pipeline steel cars chips factory "
    "company shares investors bank rate rates inflation jobs wages report analysts forecast statement "
    "meeting spokesperson capital region province mayor residents court ruling election campaign "
    "spending deficit surplus customs duties quota retaliation concessions framework schedule summit"
).split()
BOILER = [
    "Share on Facebook",
    "Share on X",
    "Sign up for our newsletter",
    "Most Popular",
    "Advertisement",
    "© 2025 The Example Gazette. All rights reserved.",
    "Related stories",
]


def _sentence(rng: random.Random) -> str:
    n = rng.randint(10, 24)
    words = []
    for _ in range(n):
        if rng.random() < 0.55:
            words.append(rng.choice(FUNCTION))
        else:
            k = min(int(rng.paretovariate(1.2)) - 1, len(CONTENT) - 1)
            words.append(CONTENT[k] if rng.random() < 0.5 else rng.choice(CONTENT))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def make_corpus(n: int, seed: int = 0, words: int = 600) -> list[dict[str, str]]:
    """``n`` records: 80% originals, 10% edited reprints, 10% sharing a re-reported quote."""
    rng = random.Random(seed)
    quotes = [
        "\u201c" + " ".join(_sentence(rng) for _ in range(2)) + "\u201d the minister said."
        for _ in range(max(1, n // 50))
    ]
    records: list[dict[str, str]] = []
    originals: list[list[str]] = []
    for i in range(n):
        r = rng.random()
        if originals and r < 0.10:
            paras = list(rng.choice(originals))
            del paras[rng.randrange(len(paras))]
            paras.insert(0, _sentence(rng) + " " + _sentence(rng))
        else:
            paras = []
            count = 0
            while count < words:
                p = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
                paras.append(p)
                count += len(p.split())
            if r < 0.20:
                paras.insert(rng.randrange(len(paras)), rng.choice(quotes))
            originals.append(paras)
            if len(originals) > 200:
                originals.pop(0)
        text = "\n\n".join([rng.choice(BOILER), *paras, rng.choice(BOILER), BOILER[5]])
        records.append({"id": f"b{i:07d}", "text": text, "date": f"2025-04-{1 + i % 28:02d}"})
    return records


def write_jsonl(path: Path, records: list[dict[str, str]]) -> None:
    with open(path, "wb") as fh:
        for r in records:
            fh.write(orjson.dumps(r) + b"\n")


def installed_env() -> dict[str, str]:
    """This environment, for a timed ``corpuskit`` run as installed: bytecode cached (a
    sandbox may set PYTHONDONTWRITEBYTECODE, and then every run compiles the package
    again, about 0.08 s)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _command(inp: Path, out: Path, workers: int, extra: list[str] | None = None, *, report: bool = False) -> list[str]:
    exe = Path(sys.executable).with_name("corpuskit")
    cmd = [str(exe), "run", str(inp), "-o", str(out), "--workers", str(workers), "-q"]
    return [*cmd, *([] if report else ["--no-report"]), *(extra or [])]


def run_corpuskit(
    inp: Path, out: Path, workers: int, extra: list[str] | None = None, *, report: bool = False
) -> dict[str, object]:
    cmd = _command(inp, out, workers, extra, report=report)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=installed_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"corpuskit failed: {' '.join(cmd)}")
    manifest = json.loads((out / "manifest.json").read_text())
    cpu = usage.ru_utime + usage.ru_stime  # the whole tree's: wait4 counts the workers it reaped
    return {"wall": wall, "cpu": cpu, "rss_mb": usage.ru_maxrss / 1024, "manifest": manifest}


def side_by_side(inp: Path, out: Path, copies: int) -> float:
    """Wall seconds for ``copies`` one-worker runs of the same corpus started together
    (until the last ends): beside one run alone, the speed-up this machine gives this very
    work now, with nothing shared between the processes. The ceiling for ``copies``
    workers, measured on the workload itself rather than on pure arithmetic."""
    t = time.perf_counter()
    cmds = [_command(inp, out / str(i), 1) for i in range(copies)]
    procs = [subprocess.Popen(cmd, env=installed_env()) for cmd in cmds]
    codes = [p.wait() for p in procs]  # every run ends before the next is timed
    wall = time.perf_counter() - t
    for cmd, code in zip(cmds, codes, strict=True):
        if code != 0:
            raise SystemExit(f"corpuskit failed: {' '.join(cmd)}")
    return wall


def _wall(res: dict[str, object]) -> float:
    wall = res["wall"]
    assert isinstance(wall, float)
    return wall


def _spin(_: int = 0) -> float:
    """Seconds for a fixed amount of pure-Python arithmetic (no memory traffic, no I/O)."""
    t = time.perf_counter()
    x = 0
    for i in range(15_000_000):
        x += i * i
    return time.perf_counter() - t


def machine_scaling(procs: int) -> float:
    """How much more work ``procs`` processes of pure compute do in the same time as one,
    on this machine now: the ceiling for any parallel speed-up. A VM's cores may be
    hyperthreads of one physical core, or shared with other guests; then this is well
    under ``procs``, and it changes from minute to minute."""
    import multiprocessing

    one = _spin()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        many = pool.map(_spin, range(procs))
    one = min(one, _spin())  # one process timed before and after: the faster is the truer
    return procs * one / max(many)


def baseline(records: list[dict[str, str]]) -> dict[str, float]:
    """The pipeline as the datasketch/langdetect/ftfy docs show it, in this process."""
    import ftfy
    from datasketch import MinHash, MinHashLSH
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    times = {"ftfy": 0.0, "langdetect": 0.0, "minhash": 0.0, "lsh": 0.0}
    t0 = time.perf_counter()
    for r in records:
        t = time.perf_counter()
        text = ftfy.fix_text(r["text"])
        times["ftfy"] += time.perf_counter() - t
        t = time.perf_counter()
        detect(text)
        times["langdetect"] += time.perf_counter() - t
        t = time.perf_counter()
        words = text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[i : i + 5]).encode("utf8") for i in range(max(1, len(words) - 4))])
        times["minhash"] += time.perf_counter() - t
        t = time.perf_counter()
        lsh.query(m)
        lsh.insert(r["id"], m)
        times["lsh"] += time.perf_counter() - t
    total = time.perf_counter() - t0
    n = len(records)
    return {"docs_per_s": n / total, **{f"{k}_docs_per_s": n / v for k, v in times.items() if v}}


def html_pages(records: list[dict[str, str]]) -> list[dict[str, str]]:
    pages = []
    for r in records:
        paras = r["text"].split("\n\n")
        body = "".join(f"<p>{p}</p>" for p in paras[1:-2])
        pages.append(
            {
                "id": r["id"],
                "html": "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Story</title></head><body>"
                "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/business'>Business</a></nav>"
                f"<article><h1>Story {r['id']}</h1><p class='byline'>By A. Writer</p>{body}</article>"
                "<aside><h2>Most Popular</h2><ul><li><a href='/1'>One story</a></li><li><a href='/2'>Two</a></li></ul></aside>"
                "<footer>© 2025 The Example Gazette</footer></body></html>",
            }
        )
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--baseline-docs", type=int, default=2000, help="baseline is slow: measured on the first N")
    ap.add_argument("--html-docs", type=int, default=0)
    ap.add_argument(
        "--html-dir",
        type=Path,
        default=None,
        help="real pages too: a folder of *.html or *.html.gz (e.g. the benchmark's html/), read as given",
    )
    ap.add_argument(
        "--html-repeat", type=int, default=10, help="passes over --html-dir (start-up is amortised over them)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs per worker count, interleaved (and pairs of HTML runs); the tables show the median",
    )
    ap.add_argument(
        "--side-by-side",
        action="store_true",
        help="in each round also run as many one-worker runs at once as the most workers asked for: "
        "the speed-up the machine gives this work now, the ceiling for the workers' one",
    )
    ap.add_argument(
        "--with-report",
        action="store_true",
        help="then one more run per worker count that writes report.html too (what `corpuskit run` does by default)",
    )
    args = ap.parse_args(argv)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    records = make_corpus(args.docs, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "corpus.jsonl"
        write_jsonl(inp, records)
        # One small run first: the compiled kernels are cached on first use, and a timed
        # run must not pay for that (a fresh install pays it once, ~10 s).
        warm = Path(tmp) / "warm.jsonl"
        write_jsonl(warm, records[:300])
        run_corpuskit(warm, Path(tmp) / "warm-out", 1)
        runs: dict[int, list[dict[str, object]]] = {w: [] for w in args.workers}
        ceilings = []
        sides: list[float] = []
        for _ in range(args.repeat):  # interleaved: a slow spell of the host hits all counts alike
            if len(args.workers) > 1:
                ceilings.append(machine_scaling(max(args.workers)))
            for w in args.workers:
                runs[w].append(run_corpuskit(inp, Path(tmp) / f"out{w}", w))
            if args.side_by_side and 1 in runs:
                sides.append(
                    max(args.workers) * _wall(runs[1][-1]) / side_by_side(inp, Path(tmp) / "side", max(args.workers))
                )
        rows = []
        for w in args.workers:
            res = sorted(runs[w], key=_wall)[len(runs[w]) // 2]
            m = res["manifest"]
            assert isinstance(m, dict)
            rows.append((w, res, m))
        base = baseline(records[: args.baseline_docs])
        print(f"\n{args.docs} synthetic documents (~600 words, JSONL)\n")
        print("| pipeline | workers | docs/s | docs/s per core | peak RSS MB | passages | duplicates |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        print(
            f"| baseline (ftfy + langdetect + datasketch MinHash/LSH) | 1 | {base['docs_per_s']:.0f} | {base['docs_per_s']:.0f} | | | |"
        )
        one = None
        for w, res, m in rows:
            rate = args.docs / _wall(res)
            one = one or rate
            c = m["counts"]
            print(
                f"| corpuskit run | {w} | {rate:.0f} | {rate / w:.0f} | {res['rss_mb']:.0f} | {c['passages']} | {c['duplicate']} |"
            )
        print("\nseconds per stage (corpuskit, from manifest.json):\n")
        stages = list(rows[0][2]["timings"])
        print("| workers | " + " | ".join(stages) + " |")
        print("|---:|" + "---:|" * len(stages))
        for w, _res, m in rows:
            print(f"| {w} | " + " | ".join(f"{m['timings'].get(s, 0):.2f}" for s in stages) + " |")
        print("\nbaseline per stage (docs/s): " + ", ".join(f"{k} {v:.0f}" for k, v in base.items()))
        if len(rows) > 1 and one:
            best = args.docs / _wall(rows[-1][1])
            print(
                f"\nspeed-up {rows[-1][0]} workers vs 1 (median of {args.repeat}): {best / one:.2f}x; "
                f"vs baseline: {best / base['docs_per_s']:.1f}x"
            )
            w_hi = max(args.workers)
            for w in args.workers:
                print(
                    f"{w} workers, each run: " + ", ".join(f"{args.docs / _wall(r):.0f}" for r in runs[w]) + " docs/s"
                )
            pairs: list[float] = []
            if 1 in runs:
                pairs = [_wall(a) / _wall(b) for a, b in zip(runs[1], runs[w_hi], strict=True)]
                print(f"speed-up of each pair of runs: {', '.join(f'{x:.2f}x' for x in pairs)}")
            print(
                f"machine: {w_hi} processes of pure Python compute did {', '.join(f'{c:.2f}x' for c in ceilings)} "
                f"the work of one (measured before each pair of runs): the ceiling of any speed-up here"
            )
            if sides:
                print(
                    f"{w_hi} one-worker runs side by side did {', '.join(f'{c:.2f}x' for c in sides)} the work "
                    f"of one alone (after each pair): this work's ceiling on this machine then"
                )
                if len(pairs) == len(sides):  # what hosts differ in most, taken out
                    print(
                        f"{w_hi} workers reached {', '.join(f'{p / c:.0%}' for p, c in zip(pairs, sides, strict=True))} "
                        "of that ceiling (each pair against the runs side by side after it)"
                    )
        if args.with_report:
            print("\nwith report.html (the default; one run per worker count, after the runs above):")
            for w in args.workers:
                res = run_corpuskit(inp, Path(tmp) / f"report{w}", w, report=True)
                m = res["manifest"]
                assert isinstance(m, dict)
                print(
                    f"{w} workers: {args.docs / _wall(res):.0f} docs/s, peak RSS {res['rss_mb']:.0f} MB, "
                    f"report {m['timings'].get('report', 0):.2f} s, "
                    f"{(Path(tmp) / f'report{w}' / 'report.html').stat().st_size / 2**20:.1f} MiB"
                )

        if args.html_docs:
            import trafilatura

            pages = html_pages(records[: args.html_docs])
            t = time.perf_counter()
            for p in pages:
                trafilatura.extract(p["html"])
            traf = len(pages) / (time.perf_counter() - t)
            hinp = Path(tmp) / "pages.jsonl"
            write_jsonl(hinp, pages)
            res = run_corpuskit(hinp, Path(tmp) / "html-out", 1)
            ours = len(pages) / _wall(res)
            print(
                f"\nHTML, {len(pages)} pages, 1 core: trafilatura.extract {traf:.0f} pages/s; corpuskit run {ours:.0f} pages/s ({ours / traf:.0%})"
            )
        if args.html_dir:
            html_real(args.html_dir, args.html_repeat, Path(tmp), args.repeat)
    return 0


def html_real(folder: Path, passes: int, tmp: Path, repeat: int = 1) -> None:
    """Real pages: ``trafilatura.extract`` in this process against ``corpuskit run`` over the
    same pages as JSONL, ``repeat`` times interleaved (this host's speed drifts by 10-20%
    between minutes: each pair is timed close together, and the median pair is the
    figure). Besides wall time, CPU time (``process_time`` here, the child's user + system
    time there), which a busy host's other guests disturb less. Once, after the pairs:
    ``extract`` without its fallback extractors (as corpuskit runs it) and with the
    metadata corpuskit also extracts."""
    import gzip
    import statistics

    import trafilatura

    files = sorted([*folder.glob("*.html"), *folder.glob("*.html.gz")])
    pages = [
        (gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()).decode("utf-8", "replace")
        for f in files
    ]
    n = passes * len(pages)
    inp = tmp / "real-pages.jsonl"
    with open(inp, "wb") as fh:
        for k in range(passes):  # each pass a distinct record (ids), same page
            for i, page in enumerate(pages):
                fh.write(orjson.dumps({"id": f"p{k}-{i}", "html": page}) + b"\n")

    def extract_all(**kw: bool) -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        for _ in range(passes):
            for page in pages:
                trafilatura.extract(page, **kw)
        return n / (time.perf_counter() - t), n / (time.process_time() - c)

    pairs = []
    for _ in range(repeat):
        traf, traf_cpu = extract_all()
        res = run_corpuskit(inp, tmp / "real-out", 1)
        ours, ours_cpu = n / _wall(res), n / float(res["cpu"])  # type: ignore[arg-type]
        pairs.append((traf, ours, traf_cpu, ours_cpu))
    rates = {"fast": extract_all(fast=True)[0], "with_metadata": extract_all(with_metadata=True)[0]}
    one = tmp / "one-page.jsonl"
    with open(one, "wb") as fh:
        fh.write(orjson.dumps({"id": "p", "html": pages[0]}) + b"\n")
    start = _wall(run_corpuskit(one, tmp / "one-out", 1))

    print(f"\nReal pages ({len(pages)} from {folder}, {passes} passes), 1 core, {repeat} pairs of runs:")
    print("| pair | trafilatura.extract (default) pages/s | corpuskit run pages/s | ratio | ratio of CPU time |")
    print("|---:|---:|---:|---:|---:|")
    for k, (traf, ours, traf_cpu, ours_cpu) in enumerate(pairs, 1):
        print(f"| {k} | {traf:.1f} | {ours:.1f} | {ours / traf:.0%} | {ours_cpu / traf_cpu:.0%} |")
    ratios = [ours / traf for traf, ours, _, _ in pairs]
    cpu_ratios = [ours_cpu / traf_cpu for _, _, traf_cpu, ours_cpu in pairs]
    print(
        f"median pair: {statistics.median(ratios):.0%} of trafilatura.extract's pages/s "
        f"({statistics.median(cpu_ratios):.0%} by CPU time)"
    )
    ours = statistics.median(p[1] for p in pairs)
    print(
        f"trafilatura.extract(fast=True) (no fallback extractors): {rates['fast']:.1f} pages/s ({ours / rates['fast']:.0%})"
    )
    print(
        f"trafilatura.extract(with_metadata=True): {rates['with_metadata']:.1f} pages/s ({ours / rates['with_metadata']:.0%})"
    )
    print(
        "(corpuskit run: extraction, metadata, post-filter, language, signatures, dedup, passages, "
        f"start-up included: a one-page run takes {start:.1f} s; trafilatura's import is not timed)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
