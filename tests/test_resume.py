"""``resume``: a killed run continues from its checkpoints without redoing finished chunks,
and ends with exactly the output an uninterrupted run writes.

Runs are interrupted in-process here (a progress callback raises ``KeyboardInterrupt``, as
Ctrl-C would, at a chosen point) so that the work done on resume can be counted;
``test_interrupt.py`` kills real processes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit import stages
from corpuskit.checkpoint import WORK_DIR, Checkpoints, _scan_log, decode_document, encode_document, saved_chunks
from corpuskit.config import DedupConfig, RunConfig
from corpuskit.pipeline import run
from corpuskit.records import Document, PassageRef

from .test_hostile import assert_accounted

_VOCABULARY = """
the council said on tuesday that a new bridge over river would open next spring after years of delay
while residents in northern district complained about traffic noise and rising rents as mayor promised
more buses fewer parking spaces review building permits officials added budget for schools hospitals
roads grow by fifth despite warnings from economists who expect slower growth lower exports weaker demand
farmers harvest wheat barley drought autumn rain flooded fields valley insurance claims ministry of
agriculture compensation scheme applications deadline october union leaders strike railway workers
wages pensions overtime negotiations collapsed late night talks resumed morning court ruled appeal
judge evidence witnesses testimony prosecutor lawyer sentence prison fine verdict jury trial hearing
police arrested suspect burglary museum paintings stolen recovered warehouse port customs container
shipping company profits quarter shares investors market index fell rose percent analysts forecast
inflation central bank interest rates mortgage borrowers savings households energy prices electricity
gas heating winter tariff regulator consumers complaints hospital doctors nurses shortage waiting lists
patients emergency ambulance minister health reform plan opposition party vote parliament election
campaign candidate polls debate television voters turnout coalition government cabinet reshuffle
school teachers pupils exams results university students tuition fees research scientists laboratory
climate emissions carbon wind solar turbines offshore coast harbour fishermen quotas boats storm
weather forecast snow ice motorway accident closed lanes drivers delays commuters station platform
"""
WORDS = _VOCABULARY.split()
QUOTES = [
    "“We will not let this city be divided by a river again,” the mayor told reporters outside the town hall.",
    "“The numbers simply do not add up for families on ordinary incomes,” said the head of the tenants’ union.",
    "“Every school will get the money it was promised, and not a day later,” the education minister said.",
]


def synthetic_docs(n: int, *, seed: int = 7, words: int = 300, html_every: int = 8) -> list[dict[str, Any]]:
    """``n`` JSONL records of news-like text: some reprints (near-duplicates) and quotes that
    several documents share (passages), so every stage of a run has work to do. One in
    ``html_every`` (0: none) is a page in an ``html`` field: a chunk holding one has its
    preparing checkpointed too (plain text is prepared again on resume)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        if i >= 10 and i % 10 == 0:  # a reprint of an earlier story with a new last line
            base = rows[rng.randrange(i - 10, i)]
            line = "Updated with reporting from agencies."
            if "html" in base:
                rows.append(
                    {**base, "id": f"d{i}", "html": base["html"].replace("</article>", f"<p>{line}</p></article>")}
                )
            else:
                rows.append({**base, "id": f"d{i}", "text": base["text"] + f"\n\n{line}"})
            continue
        paras = []
        for _ in range(4):
            sentences = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 22))).capitalize() + "."
                for _ in range(words // 64)
            ]
            paras.append(" ".join(sentences))
        if i % 3 == 0:
            paras.insert(2, QUOTES[(i // 3) % len(QUOTES)])
        row = {
            "id": f"d{i}",
            "url": f"https://news{i % 7}.example/story/{i}",
            "date": f"2025-0{1 + i % 9}-1{i % 10}",
            "title": f"Story number {i}",
            "text": "\n\n".join(paras),
        }
        if html_every and i % html_every == html_every // 2:
            body = "".join(f"<p>{p}</p>" for p in paras)
            page = f"<html><head><title>Story number {i}</title></head><body><nav>Home | World</nav>"
            row["html"] = page + f"<article><h1>Story number {i}</h1>{body}</article></body></html>"
            del row["text"]
        rows.append(row)
    return rows


def write_corpus(path: Path, n: int, **kw: Any) -> Path:
    """Write :func:`synthetic_docs` as JSONL."""
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in synthetic_docs(n, **kw)))
    return path


def output_bytes(out: Path) -> dict[str, Any]:
    """What must be identical between two runs: the JSONL files byte for byte, and the
    manifest without its timings."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("timings")
    return {
        "documents.jsonl": (out / "documents.jsonl").read_bytes(),
        "passages.jsonl": (out / "passages.jsonl").read_bytes(),
        "manifest": manifest,
    }


def interrupt_at(stage: str, after: int) -> Callable[[str, int], None]:
    """A progress callback that raises ``KeyboardInterrupt`` once ``stage`` has done ``after`` records."""

    def tick(s: str, n: int) -> None:
        if s == stage and n >= after:
            raise KeyboardInterrupt

    return tick


class Counting:
    """Counts the documents the per-document stages really process (workers=1: in-process)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = {"prepare": 0, "finish": 0}
        real_prepare, real_finish = stages.prepare_document, stages.finish_document

        def prepare(doc: Document, cfg: RunConfig) -> Document:
            self.calls["prepare"] += 1
            return real_prepare(doc, cfg)

        def finish(doc: Document, cfg: RunConfig, template: frozenset[int] = frozenset()) -> Document:
            self.calls["finish"] += 1
            return real_finish(doc, cfg, template)

        monkeypatch.setattr(stages, "prepare_document", prepare)
        monkeypatch.setattr(stages, "finish_document", finish)


N = 160
CFG = RunConfig(workers=1, chunk_docs=32)  # several chunks per stage


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The input and the output of one uninterrupted run over it."""
    root = tmp_path_factory.mktemp("resume")
    inp = write_corpus(root / "in.jsonl", N, words=200)
    run([str(inp)], root / "ref", CFG)
    assert_accounted(root / "ref", N)
    return inp, output_bytes(root / "ref")


# (stage, after, records read before, records finished before): the first record
# finished is an HTML page, finished as it is read (its chunk still being read)
@pytest.mark.parametrize(
    ("stage", "after", "done_prepare", "done_finish"),
    [("read", 64, 64, 0), ("clean", 1, 0, 1), ("clean", 96, N, 96), ("dedup", 0, N, N)],
)
def test_resume_after_interrupt_reuses_work_and_matches(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    corpus: tuple[Path, dict[str, Any]],
    stage: str,
    after: int,
    done_prepare: int,
    done_finish: int,
) -> None:
    inp, reference = corpus
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at(stage, after))
    assert not (out / "documents.jsonl").exists() and (out / WORK_DIR).is_dir()
    counting = Counting(monkeypatch)
    res = run([str(inp)], out, CFG, resume=True)
    assert output_bytes(out) == reference
    assert_accounted(out, N)
    # everything finished before the interrupt, to the chunk, is reused
    assert counting.calls["prepare"] <= N - done_prepare + CFG.chunk_docs
    assert counting.calls["finish"] <= N - done_finish + CFG.chunk_docs
    assert res.reused_chunks.get("prepare", 0) >= done_prepare // CFG.chunk_docs
    assert not (out / WORK_DIR).exists()  # a finished run cleans up after itself


def test_without_resume_nothing_is_reused(tmp_path: Path, corpus: tuple[Path, dict[str, Any]]) -> None:
    inp, reference = corpus
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("clean", 64))
    res = run([str(inp)], out, CFG)
    assert res.reused_chunks == {} and output_bytes(out) == reference


def test_changed_options_or_inputs_are_never_served_stale(tmp_path: Path, corpus: tuple[Path, dict[str, Any]]) -> None:
    inp, _ = corpus
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("dedup", 0))
    # other dedup options: every chunk key changes
    other = RunConfig(workers=1, chunk_docs=32, dedup=DedupConfig(threshold=0.8))
    res = run([str(inp)], out, other, resume=True)
    assert res.reused_chunks == {}
    run([str(inp)], tmp_path / "fresh", other)
    assert output_bytes(out) == output_bytes(tmp_path / "fresh")
    # an edited input: chunks holding changed records are recomputed, the rest reused
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("dedup", 0))
    edited = tmp_path / "in.jsonl"
    lines = inp.read_bytes().splitlines(keepends=True)
    lines[5] = orjson.dumps({"id": "d5", "text": "A completely different story about a lost cat."}) + b"\n"
    edited.write_bytes(b"".join(lines))
    inp.rename(tmp_path / "orig.jsonl")  # same path, new content: run over the edited file at the old path
    edited.rename(inp)
    try:
        res = run([str(inp)], out, CFG, resume=True)
        run([str(inp)], tmp_path / "fresh2", CFG)
    finally:
        (tmp_path / "orig.jsonl").replace(inp)
    assert output_bytes(out) == output_bytes(tmp_path / "fresh2")
    assert 0 < res.reused_chunks["prepare"] < N // CFG.chunk_docs + 1


def test_torn_checkpoints_are_recomputed(tmp_path: Path, corpus: tuple[Path, dict[str, Any]]) -> None:
    inp, reference = corpus
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("dedup", 0))
    work = out / WORK_DIR
    saved = saved_chunks(work, "prepare") + saved_chunks(work, "finish")
    (log,) = (work / "chunks" / "finish").glob("*.log")
    data = bytearray(log.read_bytes())
    records = list(_scan_log(log))
    assert len(records) > 4
    _, at, size, _ = records[1]
    data[at + size // 2] ^= 0xFF  # a flipped byte in one record: its CRC fails
    _, at, size, _ = records[-1]
    log.write_bytes(bytes(data[: at + size // 2]))  # torn by a crash: the last record is cut
    (work / "chunks" / "prepare" / "0-foreign.log").write_bytes(b"\0" * 4096)  # zero-filled after a power cut
    res = run([str(inp)], out, CFG, resume=True)
    assert output_bytes(out) == reference
    assert sum(res.reused_chunks.values()) == saved - 2


def test_checkpointing_stops_quietly_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: tuple[Path, dict[str, Any]]
) -> None:
    inp, reference = corpus
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if WORK_DIR in str(self):
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    run([str(inp)], tmp_path / "out", CFG)
    monkeypatch.undo()
    assert output_bytes(tmp_path / "out") == reference


_text = st.text(st.characters(codec="utf-8"), max_size=40)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(
    text=_text,
    meta=st.dictionaries(_text.filter(lambda k: k != "$"), _json, max_size=3),
    sig=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=8),
    status=st.sampled_from(["kept", "duplicate", "rejected"]),
    order=st.integers(0, 10**9),
)
def test_checkpoint_encoding_round_trips(
    text: str, meta: dict[str, Any], sig: list[int], status: str, order: int
) -> None:
    doc = Document(id="x", source="s.jsonl", source_line=3, text=text, meta=meta, order=order, raw_kind="html")
    doc.status = status  # type: ignore[assignment]
    doc.passages = [PassageRef("p1", 0, len(text))]
    doc.work = {"sig": np.array(sig, dtype=np.uint32), "site": "a.example", "_units": object()}
    back = decode_document(orjson.loads(orjson.dumps(encode_document(doc))))
    assert "_units" not in back.work  # a handle valid in one run only is never saved
    assert orjson.dumps(back.to_dict()) == orjson.dumps(doc.to_dict())  # the output bytes
    assert (back.order, back.raw_kind, back.input_format, back.work["site"]) == (order, "html", "", "a.example")
    assert back.work["sig"].dtype == np.uint32 and back.work["sig"].tolist() == sig


def test_keys_cover_raw_bytes_and_config(tmp_path: Path) -> None:
    a, b = Document(id="x", source="s"), Document(id="x", source="s")
    a.raw, b.raw = b"one", b"two"
    c1 = Checkpoints(tmp_path / "o1", RunConfig(workers=1), resume=False)
    c2 = Checkpoints(tmp_path / "o2", RunConfig(workers=1, min_page_words=3), resume=False)
    try:
        assert c1.key("prepare", [a]) != c1.key("prepare", [b])
        assert c1.key("prepare", [a]) != c2.key("prepare", [a])
        assert c1.key("prepare", [a]) != c1.key("finish", [a])
        assert c1.key("finish", [a], b"x") != c1.key("finish", [a], b"y")
        b.raw = b"one"
        assert c1.key("prepare", [a]) == c1.key("prepare", [b])
        b.raw = "one"  # text, not bytes: a different input
        assert c1.key("prepare", [a]) != c1.key("prepare", [b])
    finally:
        c1.close()
        c2.close()


def test_plain_text_is_prepared_again_and_its_finished_chunks_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without HTML, preparing is not checkpointed (it costs less than keying and saving
    # it): the resumed run prepares every document again and finds the finished chunks.
    inp = write_corpus(tmp_path / "in.jsonl", N, words=200, html_every=0)
    run([str(inp)], tmp_path / "ref", CFG)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("clean", 96))
    assert saved_chunks(out / WORK_DIR, "prepare") == 0 and saved_chunks(out / WORK_DIR, "finish") >= 96 // 32
    counting = Counting(monkeypatch)
    res = run([str(inp)], out, CFG, resume=True)
    assert output_bytes(out) == output_bytes(tmp_path / "ref")
    assert counting.calls["prepare"] == N and counting.calls["finish"] <= N - 96 + CFG.chunk_docs
    assert "prepare" not in res.reused_chunks and res.reused_chunks["finish"] >= 96 // 32


def test_records_without_a_url_are_finished_as_read_and_their_block_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No URL, no site template: a JSONL block's records are finished by the task that reads
    # them, and the block is saved by its content; a resumed run does neither again.
    rows = [{k: v for k, v in r.items() if k != "url"} for r in synthetic_docs(N, words=200, html_every=0)]
    inp = tmp_path / "in.jsonl"
    inp.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    run([str(inp)], tmp_path / "ref", CFG)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run([str(inp)], out, CFG, progress=interrupt_at("dedup", 0))
    assert saved_chunks(out / WORK_DIR, "prepare") >= 1 and saved_chunks(out / WORK_DIR, "finish") == 0
    counting = Counting(monkeypatch)
    res = run([str(inp)], out, CFG, resume=True)
    assert output_bytes(out) == output_bytes(tmp_path / "ref")
    assert counting.calls == {"prepare": 0, "finish": 0}
    assert res.reused_chunks["prepare"] >= 1


def test_a_block_is_keyed_by_its_file_first_line_and_bytes(tmp_path: Path) -> None:
    from corpuskit.readers import JsonlBlock

    ck = Checkpoints(tmp_path / "o", RunConfig(workers=1), resume=False)
    try:
        key = ck.key("prepare", JsonlBlock("a.jsonl", 1, b'{"text": "x"}\n'))
        assert key == ck.key("prepare", JsonlBlock("a.jsonl", 1, b'{"text": "x"}\n'))
        assert key != ck.key("prepare", JsonlBlock("b.jsonl", 1, b'{"text": "x"}\n'))
        assert key != ck.key("prepare", JsonlBlock("a.jsonl", 2, b'{"text": "x"}\n'))
        assert key != ck.key("prepare", JsonlBlock("a.jsonl", 1, b'{"text": "y"}\n'))
        assert key != ck.key("prepare", [])
    finally:
        ck.close()
