#!/usr/bin/env python3
"""Scaling of the Spark engine in local mode: cores (``local[N]``) by corpus size.

Writes the synthetic corpus of ``scripts/bench.py`` (same generator and seed: ~600-word
articles, 10% edited reprints, 10% sharing a re-reported quote, page boilerplate lines)
as several JSONL files, then for each (documents, cores) runs ``corpuskit run --engine
spark --spark-master local[N]`` in a fresh process, so every run pays its own JVM start,
as a user's does. Reports wall seconds, documents per second, and the stage seconds the
manifest records; ``--local`` adds ``--engine local`` runs with the same worker counts as a
reference. Runs that would overrun ``--budget`` (estimated from the previous runs'
throughput) are skipped and listed as such: the table only holds measured numbers.

    python scripts/bench_spark.py --docs 10000 100000 --cores 1 2 --budget 600 --markdown
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STAGES = ("read+extract", "templates", "clean+lang+signatures", "dedup", "passages", "write")


def _bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("corpuskit_bench", HERE / "bench.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_corpus(n: int, root: Path, files: int, seed: int) -> Path:
    """``n`` records of ``scripts/bench.py``'s corpus, dealt round-robin into ``files`` files."""
    bench = _bench_module()
    out = root / f"docs{n}"
    if out.is_dir():
        return out
    out.mkdir(parents=True)
    records = bench.make_corpus(n, seed=seed)
    for k in range(files):
        bench.write_jsonl(out / f"part-{k:02d}.jsonl", records[k::files])
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    import pyspark

    return {
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "java": java[0] if java else "",
        "load_average_at_start": os.getloadavg(),
    }


def run_one(corpus: Path, out: Path, engine: str, cores: int, extra: list[str]) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("corpuskit")
    cmd = [str(exe), "run", str(corpus), "-o", str(out), "-q", "--no-report", "--engine", engine]
    cmd += ["--spark-master", f"local[{cores}]"] if engine == "spark" else ["--workers", str(cores)]
    cmd += extra
    load = os.getloadavg()[0]
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "engine": engine,
        "cores": cores,
        "wall": round(wall, 1),
        "timings": manifest["timings"],
        "counts": manifest["counts"],
        "load_average_before": round(load, 2),
    }


def markdown(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    head = "| documents | engine | cores | wall s | docs/s | " + " | ".join(STAGES) + " |"
    lines = [head, "|" + "---|" * (5 + len(STAGES))]
    for r in rows:
        if "skipped" in r:
            lines.append(
                f"| {r['docs']:,} | {r['engine']} | {r['cores']} | not run: {r['skipped']} |" + " |" * (1 + len(STAGES))
            )
            continue
        stages = " | ".join(f"{r['timings'].get(s, 0.0):.1f}" for s in STAGES)
        lines.append(
            f"| {r['docs']:,} | {r['engine']} | {r['cores']} | {r['wall']:.1f} | {r['docs'] / r['wall']:.0f} | {stages} |"
        )
    lines.append("")
    lines.append(
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, Python {info['python']}, "
        f"pyspark {info['pyspark']}, {info['java']}; load average at start {info['load_average_at_start'][0]:.1f}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--local", action="store_true", help="also run --engine local with the same worker counts")
    ap.add_argument("--files", type=int, default=8, help="JSONL files the corpus is split into")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds for all runs; later runs are skipped")
    ap.add_argument("--tmp", type=Path, default=None, help="where corpora and outputs go (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("extra", nargs="*", help="more options for 'corpuskit run' (after --)")
    args = ap.parse_args(argv)

    root = args.tmp or Path(tempfile.mkdtemp(prefix="corpuskit-bench-spark-"))
    info = machine()
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    rate: dict[tuple[str, int], float] = {}  # docs/s seen so far, for the budget estimate
    engines = ["spark", "local"] if args.local else ["spark"]
    for n in sorted(args.docs):
        corpus = write_corpus(n, root, args.files, args.seed)
        for engine in engines:
            for cores in args.cores:
                left = args.budget - (time.perf_counter() - started)
                seen = rate.get((engine, cores))
                estimate = n / seen if seen else 0.0
                if left <= 0 or estimate > left:
                    rows.append(
                        {"docs": n, "engine": engine, "cores": cores, "skipped": f"over budget (~{estimate:.0f} s)"}
                    )
                    print(f"skip {engine} local[{cores}] {n}: ~{estimate:.0f} s > {left:.0f} s left", file=sys.stderr)
                    continue
                out = root / f"out-{engine}-{cores}-{n}"
                shutil.rmtree(out, ignore_errors=True)
                r = {"docs": n, **run_one(corpus, out, engine, cores, args.extra)}
                rate[(engine, cores)] = n / r["wall"]
                rows.append(r)
                print(f"{engine} local[{cores}] {n}: {r['wall']:.1f} s", file=sys.stderr)
    result = {"machine": info, "runs": rows, "corpus": "scripts/bench.py make_corpus", "files": args.files}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        print(markdown(rows, info))
    if args.tmp is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
