"""Peak memory of ``corpuskit run`` over synthetic corpora of growing size.

    python scripts/bench_memory.py                       # 10k and 100k documents
    python scripts/bench_memory.py --sizes 2000 20000 --workers 2 --words 600

Each size gets a synthetic JSONL corpus (news-like paragraphs of about ``--words`` words
from a Zipf-distributed vocabulary, 10% reprints, a few quotes shared across documents),
and one ``corpuskit run`` in a subprocess. Reported per size:

* ``max proc``: the largest resident set of any one process of the run (the main process
  or a worker), from ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a fresh helper process;
* ``tree``: the peak of main + workers together (proportional set size, so pages the
  forked workers share with the main process count once), sampled every 0.1 s;
* ``disk``: the peak of the disk the run holds in its output directory, which is where its
  spill and scratch files go (:func:`_tree_disk`), sampled every 0.5 s;
* ``per doc``: the growth of ``max proc`` from the smallest size, divided by the extra
  documents: what each more document costs, which shows what dominates (the text, or the
  index: signatures and passage units).

Nothing from the benchmark inputs in ``../shared`` is used; the text is generated here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import orjson
from bench import installed_env  # scripts/bench.py: run as a script, this folder is on sys.path

_FUNCTION = (
    "the of and to a in that is was he for it with as his on be at by had are but from or have an they which "
    "one you were her all she there would their we him been has when who will more no if out so said what up "
    "its about into than them can only other new some could time these two may then do first any my now such "
    "like our over man me even most made after also did many before must through back years where much your way"
)
FUNCTION_WORDS = _FUNCTION.split()
SYLLABLES = "ka ri to mo an el si pa nu der ver ten lo ga mi ro sta pre con tra ment ing al or ble ous ist ive"
QUOTES = [
    "“We will keep the line open through the winter, whatever it costs,” the transport minister said on Monday.",
    "“Nobody in this valley has seen water this high since records began,” said the head of the rescue service.",
    "“The agreement protects jobs on both sides of the border and we intend to honour it,” the spokesman said.",
]


def _vocabulary(n: int, rng: np.random.Generator) -> np.ndarray:
    syllables = np.array(SYLLABLES.split())
    words = {"".join(rng.choice(syllables, size=rng.integers(2, 4))) for _ in range(n * 2)}
    return np.array(sorted(words)[:n])


def write_corpus(path: Path, n_docs: int, words: int, seed: int = 1) -> int:
    """Write ``n_docs`` JSONL records to ``path``; return its size in bytes."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(20_000, rng)
    func = np.array(FUNCTION_WORDS)
    texts: list[str] = []
    with open(path, "wb") as fh:
        for i in range(n_docs):
            if i >= 20 and rng.random() < 0.1:  # a reprint of a recent story
                text = texts[int(rng.integers(len(texts) - 20, len(texts)))] + "\n\nThis story has been updated."
            else:
                content = vocab[np.minimum(rng.zipf(1.3, size=words) - 1, len(vocab) - 1)]
                mask = rng.random(words) < 0.45
                tokens = np.where(mask, func[rng.integers(0, len(func), size=words)], content)
                sentences = [" ".join(s).capitalize() + "." for s in np.array_split(tokens, max(1, words // 18))]
                paras = [" ".join(p) for p in np.array_split(np.array(sentences, dtype=object), 6) if len(p)]
                if rng.random() < 0.2:
                    paras.insert(1, QUOTES[int(rng.integers(len(QUOTES)))])
                text = "\n\n".join(paras)
            texts.append(text)
            if len(texts) > 64:
                texts.pop(0)
            rec = {"id": f"doc{i}", "url": f"https://site{i % 50}.example/n/{i}", "date": "2025-03-01", "text": text}
            fh.write(orjson.dumps(rec) + b"\n")
    return path.stat().st_size


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc), parents first."""
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return out


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
    except (OSError, ValueError, StopIteration):
        return 0


def _tree_pss(pid: int) -> int:
    """Proportional set size of ``pid`` and all its descendants (Linux /proc): pages a forked
    worker shares with the main process are counted once, not once per process.

    Taken again when a process started or ended while it was read: a parent read just
    before a fork counts its pages whole, and its new child then counts half of them
    again (one such sample read 596 MiB where the tree held about 450)."""
    total, pids = 0, _tree_pids(pid)
    for _ in range(10):
        total = sum(_pss(p) for p in pids)
        after = _tree_pids(pid)
        if after == pids:
            break
        pids = after  # the process set read after is the one to sample next
    return total


def _tree_disk(pid: int, root: Path) -> int:
    """Bytes of disk held under ``root`` (the output directory, where the run keeps its
    spill and scratch files): every file there, and every file the process tree holds open
    there, unlinked ones too (``/proc/PID/fd``; the spill and scratch files have no name),
    each counted once by its allocated blocks, so the holes of a sparse file count nothing."""
    seen: dict[tuple[int, int], int] = {}
    prefix = os.path.join(root.resolve(), "")  # what /proc shows: absolute, and not out1 for out10
    for p in _tree_pids(pid):
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            link = f"/proc/{p}/fd/{fd}"
            try:
                if os.readlink(link).startswith(prefix):
                    st = os.stat(link)
                    seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
            except OSError:
                continue  # closed meanwhile
    for d, _, files in os.walk(root):
        for name in files:
            try:
                st = os.stat(os.path.join(d, name), follow_symlinks=False)
            except OSError:
                continue
            seen[(st.st_dev, st.st_ino)] = st.st_blocks * 512
    return sum(seen.values())


def measure(corpus: Path, out: Path, workers: int, passages: str) -> dict[str, float]:
    """Run corpuskit once (this process should be fresh: ru_maxrss of children is a maximum)."""
    cmd = [sys.executable, "-m", "corpuskit", "run", str(corpus), "-o", str(out), "-q", "--workers", str(workers)]
    cmd += ["--passages", passages]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=installed_env())
    peak = disk = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, disk
        for n in itertools.count():
            if done.wait(0.1):
                break
            peak = max(peak, _tree_pss(proc.pid))
            if n % 5 == 4:  # disk use changes slowly, and its scan takes longer
                disk = max(disk, _tree_disk(proc.pid, out))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t
    if rc != 0:
        raise SystemExit(f"corpuskit exited with {rc}")
    max_proc = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "wall": wall,
        "max_proc": max_proc,
        "tree": peak,
        "disk": disk,
        **{f"t_{k}": v for k, v in manifest["timings"].items()},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--passages", default="mark", help="passages mode: mark, drop or off (to measure the rest)")
    ap.add_argument("--tmp", type=Path, default=None, help="where to put corpora and outputs (default: a temp dir)")
    ap.add_argument("--measure", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:  # the fresh helper process of one measurement
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]), args.workers, args.passages)))
        return 0
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="corpuskit-mem-") as d:
        rows = []
        for n in args.sizes:
            corpus = Path(d) / f"docs{n}.jsonl"
            t = time.perf_counter()
            size = write_corpus(corpus, n, args.words)
            print(f"generated {n:,} documents ({size / 2**20:.0f} MiB) in {time.perf_counter() - t:.0f}s", flush=True)
            helper = [sys.executable, __file__, "--workers", str(args.workers), "--passages", args.passages]
            helper += ["--measure", str(corpus), f"{d}/out{n}"]
            res = json.loads(subprocess.run(helper, check=True, capture_output=True, text=True).stdout)
            rows.append((n, size, res))
            print(f"  {json.dumps(res)}", flush=True)
            corpus.unlink()
    mib = 2**20
    print(
        f"\n{'docs':>8} {'input MiB':>9} {'wall s':>7} {'max proc MiB':>12} {'tree MiB':>9} {'KiB/doc':>8}"
        f" {'disk MiB':>9}  stages (s)"
    )
    n0, _, r0 = rows[0]
    for n, size, r in rows:
        per_doc = (r["max_proc"] - r0["max_proc"]) / (n - n0) / 1024 if n > n0 else r["max_proc"] / n / 1024
        stages = ", ".join(f"{k[2:]} {v:.0f}" for k, v in r.items() if k.startswith("t_") and k != "t_total")
        print(
            f"{n:>8,} {size / mib:>9.0f} {r['wall']:>7.0f} {r['max_proc'] / mib:>12.0f} {r['tree'] / mib:>9.0f}"
            f" {per_doc:>8.1f} {r['disk'] / mib:>9.0f}  {stages}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
