"""Fuzz the input readers (and the decode/extract stage behind them) for a bounded time.

    python scripts/fuzz_readers.py --seconds 60 [--seed 1] [--crash-dir fuzz-crashes]
    python scripts/fuzz_readers.py --atheris [atheris options]   # coverage-guided, if installed

The target writes one input file (the first byte picks its format: JSONL, gzipped JSONL,
WARC, gzipped WARC, HTML, plain text, no extension), reads it with small limits, and runs
``prepare_document`` on every record. It fails if anything raises, or a record breaks the
readers' contract: every record is kept with content or rejected with a reason naming the
file, ids are unique, and every record can be written as JSON.

Without atheris, a seeded mutation fuzzer (bit flips, splices, truncations, and tokens that
matter to these formats) works from a built-in corpus of valid inputs; the same seed gives
the same inputs, so a CI failure reproduces locally. Crashing inputs are saved to
``--crash-dir`` and can be replayed with ``--replay FILE``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import orjson

from corpuskit.config import RunConfig
from corpuskit.readers import read_inputs
from corpuskit.stages import prepare_document

NAMES = ("in.jsonl", "in.jsonl.gz", "in.warc", "in.warc.gz", "in.html", "in.txt", "noext")
LIMIT = 8192
CFG = RunConfig(workers=1, max_doc_bytes=LIMIT)
TOKENS = [
    b"\n",
    b"\r\n",
    b"{",
    b"}",
    b'"',
    b"\\",
    b"\\ud800",
    b"\\u0000",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x1f\x8b\x08\x00",
    b'{"text": "',
    b'"html": "<p>',
    b"WARC/1.0\r\n",
    b"WARC-Type: response\r\n",
    b"Content-Length: 99999999\r\n",
    b"Content-Type: text/html; charset=shift_jis\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Encoding: gzip\r\n",
    b"\r\n\r\n",
    b"<div>" * 50,
    b"<!DOCTYPE html [<!ENTITY a 'aaaa'>]>",
    b"&a;&a;&a;",
    b'<meta charset="utf-7">',
    b"<![CDATA[",
    b"\x93quoted\x94",
    "日本語のテキスト".encode("shift_jis"),
    b"9" * 30,
    b"[" * 40,
]


@dataclass
class FuzzStats:
    runs: int = 0
    crashes: int = 0
    seconds: float = 0.0


def _warc(bodies: list[bytes], *, gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    for i, body in enumerate(bodies):
        ctype = "text/html; charset=utf-8" if i % 2 == 0 else "text/plain"
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        url = f"https://fuzz.example/{i}"
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return buf.getvalue()


def seed_corpus() -> list[bytes]:
    """Valid inputs of every format; each starts with its format byte."""
    prose = "The ferry company said on Friday that the winter timetable would start a week early."
    page = f"<html><head><title>Ferry</title></head><body><article><p>{prose}</p></article></body></html>"
    jsonl = b"".join(
        orjson.dumps(r) + b"\n"
        for r in (
            {"id": "a", "text": prose, "url": "https://fuzz.example/a", "authors": ["A B"]},
            {"id": "b", "html": page, "date": "2025-01-02"},
            {"text": "Zölle – “quoted”", "extra": {"k": [1, 2]}},
        )
    )
    return [
        bytes([0]) + jsonl,
        bytes([1]) + gzip.compress(jsonl),
        bytes([2]) + _warc([page.encode(), prose.encode()], gz=False),
        bytes([3]) + _warc([page.encode(), prose.encode("cp1252")], gz=True),
        bytes([4]) + page.encode("cp1252"),
        bytes([5]) + f"Home | News\n\n{prose}\n\n© 2025 Fuzz".encode(),
        bytes([6]) + ('{"text": "' + prose + '"}\n').encode("utf-16"),
    ]


def check_one(data: bytes, workdir: Path) -> None:
    """The target: raise ``AssertionError`` (or anything) when a contract is broken."""
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    path = workdir / name
    path.write_bytes(data[1:])
    docs = list(read_inputs([str(path)], max_doc_bytes=LIMIT, max_input_bytes=1 << 20))
    ids = [d.id for d in docs]
    assert len(ids) == len(set(ids)), f"duplicate ids {ids}"
    for d in docs:
        if d.status == "rejected":
            assert d.reject_reason and str(path) in d.reject_reason, d.reject_reason
        else:
            assert d.raw is not None and len(d.raw) <= LIMIT, "kept record without content or over the limit"
        orjson.dumps(d.to_dict())
        out = prepare_document(d, CFG)
        assert out.status in ("kept", "rejected") and out.raw is None
        orjson.dumps(out.to_dict())


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One to four random edits; gzip bodies are sometimes edited inside the compression."""
    fmt, body = data[:1] or b"\0", bytearray(data[1:])
    inner = fmt[0] % len(NAMES) in (1, 3) and rng.random() < 0.5
    if inner:
        try:
            body = bytearray(gzip.decompress(bytes(body)))
        except (OSError, EOFError):
            inner = False
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randint(0, len(body))
        if op == 0 and body:
            i = rng.randrange(len(body))
            body[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            body[pos:pos] = rng.choice(TOKENS)
        elif op == 2 and body:
            del body[pos : pos + rng.randint(1, 64)]
        elif op == 3:
            body[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 4 and body:
            j = rng.randint(pos, min(len(body), pos + 256))
            body[pos:pos] = body[pos:j] * rng.randint(1, 8)
        elif op == 5:
            other = rng.choice(corpus)[1:]
            k = rng.randint(0, len(other))
            body[pos:] = other[k:]
        else:
            del body[rng.randint(0, len(body)) :]
    if inner:
        body = bytearray(gzip.compress(bytes(body)))
    if rng.random() < 0.05:
        fmt = bytes([rng.randrange(len(NAMES))])
    return fmt + bytes(body[: 4 * LIMIT])


def fuzz(seconds: float, seed: int = 0, crash_dir: Path | None = None) -> FuzzStats:
    """Run the mutation fuzzer for ``seconds``; save crashing inputs to ``crash_dir``."""
    rng = random.Random(seed)
    corpus = seed_corpus()
    stats = FuzzStats()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="corpuskit-fuzz-") as d:
        workdir = Path(d)
        queue = list(corpus)  # seeds first, then mutants
        while time.monotonic() - start < seconds:
            data = queue.pop(0) if queue else mutate(rng.choice(corpus), rng, corpus)
            stats.runs += 1
            try:
                check_one(data, workdir)
            except Exception:
                stats.crashes += 1
                if crash_dir is not None:
                    crash_dir.mkdir(parents=True, exist_ok=True)
                    name = hashlib.sha1(data).hexdigest()[:16]
                    (crash_dir / f"crash-{name}.bin").write_bytes(data)
                    (crash_dir / f"crash-{name}.txt").write_text(traceback.format_exc())
    stats.seconds = time.monotonic() - start
    return stats


def _atheris(argv: list[str]) -> None:  # pragma: no cover - optional dependency
    import atheris

    workdir = Path(tempfile.mkdtemp(prefix="corpuskit-fuzz-"))
    atheris.Setup(argv, lambda data: check_one(data, workdir))
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    ap.add_argument("--replay", type=Path, help="run the target once on a saved input and show the error")
    ap.add_argument("--atheris", action="store_true", help="coverage-guided fuzzing with atheris (if installed)")
    args, rest = ap.parse_known_args(argv)
    if args.replay:
        with tempfile.TemporaryDirectory() as d:
            check_one(args.replay.read_bytes(), Path(d))
        print("no error")
        return 0
    if args.atheris:
        _atheris([sys.argv[0], *rest])
        return 0
    stats = fuzz(args.seconds, args.seed, args.crash_dir)
    print(f"{stats.runs} inputs in {stats.seconds:.1f}s ({stats.runs / stats.seconds:.0f}/s), {stats.crashes} crashes")
    if stats.crashes:
        print(f"crashing inputs saved in {args.crash_dir}/")
    return 1 if stats.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
