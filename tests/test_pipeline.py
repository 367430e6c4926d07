from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpuskit.config import RunConfig
from corpuskit.errors import OutputError, RejectedRecordError
from corpuskit.normalise import normalise_text
from corpuskit.pipeline import run
from corpuskit.records import DOCUMENT_FIELDS
from corpuskit.report import write_report

from .conftest import SAMPLES, SEEDS, report_data, run_alone

ARTICLE = (
    "The harbour authority said on Monday that the new container terminal would open in the spring, "
    "two years later than planned, after a dispute with the builder over the cost of dredging the channel.\n\n"
    "Officials told reporters that the delay would not change the fees paid by shipping lines, and that "
    "the authority expected traffic through the port to grow by a fifth over the next five years."
)


def _docs(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]


def _mixed_corpus(root: Path) -> Path:
    d = root / "in"
    d.mkdir()
    (d / "a.txt").write_text("Home | World | Sport\n\n" + ARTICLE + "\n\nShare on Facebook\n", encoding="utf-8")
    (d / "b.jsonl").write_text(
        json.dumps({"id": "j1", "text": ARTICLE.replace("Monday", "Tuesday"), "date": "2025-04-08"})
        + "\nnot json\n"
        + json.dumps({"id": "j2", "title": "no body"})
        + "\n",
        encoding="utf-8",
    )
    (d / "login.html").write_text(
        "<html><head><title>Sign in</title></head><body><form><input name=u></form></body></html>", encoding="utf-8"
    )
    (d / "blob").write_bytes(bytes(range(32)) * 64)
    (d / "empty.txt").write_bytes(b"")
    return d


def test_every_record_accounted_for(tmp_path: Path) -> None:
    res = run([str(_mixed_corpus(tmp_path))], tmp_path / "out", RunConfig(workers=1))
    docs = _docs(tmp_path / "out")
    assert len(docs) == 7 == res.counts["read"]
    c = res.counts
    assert c["kept"] + c["duplicate"] + c["rejected"] == c["read"]
    assert sum(c["rejected_by_reason"].values()) == c["rejected"]
    reasons = {Path(d["id"]).name: d["reject_reason"] for d in docs if d["status"] == "rejected"}
    assert reasons["blob"].startswith("binary content")
    assert reasons["empty.txt"].startswith("empty file")
    assert reasons["login.html"].startswith("no article text")
    assert any(r.startswith("invalid JSON") and r.endswith("b.jsonl:2)") for r in reasons.values())
    assert any(r.startswith("no text or html field") for r in reasons.values())
    for d in docs:
        assert tuple(d) == DOCUMENT_FIELDS
        assert d["text"] == normalise_text(d["text"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"] == c and set(manifest["timings"]) >= {"read+extract", "dedup", "passages", "total"}


def test_output_does_not_depend_on_worker_count(tmp_path: Path) -> None:
    inp = _mixed_corpus(tmp_path)
    outs = []
    # Workers, and how the documents are chunked for them: neither shows in the output.
    for w, chunk in ((1, 128), (2, 128), (2, 3)):
        run([str(inp)], tmp_path / f"w{w}-{chunk}", RunConfig(workers=w, chunk_docs=chunk))
        outs.append(tmp_path / f"w{w}-{chunk}")
    manifests = []
    for o in outs:
        for name in ("documents.jsonl", "passages.jsonl"):
            assert (o / name).read_bytes() == (outs[0] / name).read_bytes()
        manifests.append(json.loads((o / "manifest.json").read_text()))
        manifests[-1].pop("timings")
    assert manifests[0] == manifests[1] == manifests[2]
    # The run renders its report from the records in memory (beside the data writes with
    # two workers): the same page data as rebuilding it from the files it wrote.
    pages = [report_data((o / "report.html").read_text(encoding="utf-8")) for o in outs]
    assert pages[0] == pages[1] == pages[2] == report_data(write_report(outs[1]).read_text(encoding="utf-8"))
    # What the main process loaded for its workers to share is let go once they are done.
    import gc

    from corpuskit import language

    assert gc.get_freeze_count() == 0
    assert language._FACTORY is None


def test_prepared_texts_give_their_disk_back_and_are_never_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a chunk's finished records are here (their texts parked anew), the disk under
    its prepared texts is given back. Nothing reads those ranges afterwards, and the output
    is that of a run that keeps them."""
    from corpuskit.spill import Parked, TextSpill

    inp = SAMPLES  # HTML, plain text, JSONL and WARC records
    with monkeypatch.context() as m:
        m.setattr(TextSpill, "release", lambda self, refs: None)
        run([str(inp)], tmp_path / "kept", RunConfig(workers=1, chunk_docs=2))
    released: list[tuple[int, int]] = []
    late: list[tuple[int, int]] = []
    real_release, real_read = TextSpill.release, TextSpill.read_bytes

    def release(self: TextSpill, refs: list[Parked]) -> None:
        released.extend((r.offset, r.size) for r in refs)
        real_release(self, refs)

    def read_bytes(self: TextSpill, offset: int, size: int) -> bytes:
        late.extend((a, n) for a, n in released if offset < a + n and a < offset + size)
        return real_read(self, offset, size)

    monkeypatch.setattr(TextSpill, "release", release)
    monkeypatch.setattr(TextSpill, "read_bytes", read_bytes)
    run([str(inp)], tmp_path / "out", RunConfig(workers=1, chunk_docs=2))
    # the texts of the sites' records (the others are finished where they are read)
    assert len(released) >= 5 and len(set(released)) == len(released)
    assert late == []
    for name in ("documents.jsonl", "passages.jsonl"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes()


def test_strict_stops_at_first_rejected_record(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    # line 2 fails parsing, line 3 finishing, in the same task: the first in input order wins
    f.write_text(json.dumps({"text": ARTICLE}) + '\nnot json\n{"text": "too short"}\n')
    with pytest.raises(RejectedRecordError) as e:
        run([str(f)], tmp_path / "out", RunConfig(workers=1, strict=True))
    assert e.value.line == 2 and str(f) in str(e.value)
    assert not (tmp_path / "out" / "documents.jsonl").exists()


def test_unwritable_output(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError):
        run([str(tmp_path / "file")], tmp_path / "file" / "out", RunConfig(workers=1))


def test_outputs_get_the_mode_a_plain_open_would_give(tmp_path: Path) -> None:
    # Written to temporary files (owner-only) and renamed: the mode is set, not inherited.
    old = os.umask(0o027)
    try:
        run([str(_mixed_corpus(tmp_path))], tmp_path / "out", RunConfig(workers=1))
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").iterdir()}
    assert modes == dict.fromkeys(["documents.jsonl", "passages.jsonl", "report.html", "manifest.json"], 0o640)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
def test_seeds_run_end_to_end(tmp_path: Path) -> None:
    res = run([str(SEEDS)], tmp_path / "out", RunConfig(workers=1))
    docs = _docs(tmp_path / "out")
    assert len(docs) == 5 and res.counts["kept"] == 5
    for d in docs:
        assert d["text"] and d["text"] == normalise_text(d["text"]) and d["lang"] == "en"
    # 002 and 003 were scraped without their headline; the other three have one
    titled = {Path(d["id"]).name[:3] for d in docs if d["title"]}
    assert titled == {"000", "001", "004"}
    assert all(d["title"] not in d["text"] for d in docs if d["title"])


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not present")
def test_sample_run_contract(sample_run) -> None:  # type: ignore[no-untyped-def]
    out = sample_run.out_dir
    docs = _docs(out)
    ids = [d["id"] for d in docs]
    assert len(ids) == len(set(ids)) == sample_run.counts["read"]
    by_id = {d["id"]: d for d in docs}
    passages = [json.loads(line) for line in (out / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    for p in passages:
        assert len({s["doc_id"] for s in p["sources"]}) >= 2
        for s in p["sources"]:
            assert by_id[s["doc_id"]]["text"][s["start"] : s["end"]] == s["text"]
            assert any(r["passage_id"] == p["passage_id"] for r in by_id[s["doc_id"]]["passages"])
    for d in docs:
        for r in d["passages"]:
            assert 0 <= r["start"] < r["end"] <= len(d["text"])
        if d["status"] == "duplicate":
            assert by_id[d["duplicate_of"]]["status"] == "kept"
    assert (out / "report.html").is_file()


def test_a_worker_that_dies_rejects_its_record_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    from corpuskit import stages

    main_pid = os.getpid()
    real = stages.finish_document

    def deadly(doc, cfg, template=frozenset()):  # type: ignore[no-untyped-def]
        if doc.id == "boom" and os.getpid() != main_pid:
            os.kill(os.getpid(), signal.SIGKILL)  # what a segfault in a C extension looks like
        return real(doc, cfg, template)

    monkeypatch.setattr(stages, "finish_document", deadly)
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": i, "text": ARTICLE}) + "\n" for i in ("a", "boom", "c")) * 1)
    res = run([str(f)], tmp_path / "out", RunConfig(workers=2, dedup=RunConfig().dedup))
    docs = {d["id"]: d for d in _docs(tmp_path / "out")}
    assert docs["boom"]["status"] == "rejected" and "worker process died" in docs["boom"]["reject_reason"]
    assert docs["a"]["status"] == "kept" and docs["c"]["status"] == "duplicate"
    assert res.counts["read"] == 3


def test_a_worker_that_dies_splitting_a_block_rejects_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSONL file goes to the reading workers as blocks of lines they split and parse
    (:class:`~corpuskit.readers.JsonlBlock`). When one dies on a record, the block is split
    here and its lines retried one by one: only the line that kills a worker is rejected,
    by its id, file and line."""
    import os
    import signal

    from corpuskit import stages

    main_pid = os.getpid()
    real = stages.prepare_document

    def deadly(doc, cfg):  # type: ignore[no-untyped-def]
        boom = doc.id == "boom" or (isinstance(doc.raw, bytes) and b'"boom"' in doc.raw)  # parsed, or a line
        if boom and os.getpid() != main_pid:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(doc, cfg)

    monkeypatch.setattr(stages, "prepare_document", deadly)
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": i, "text": f"{i} {ARTICLE}"}) + "\n" for i in ("a", "boom", "c")))
    res = run([str(f)], tmp_path / "out", RunConfig(workers=2))
    docs = {d["id"]: d for d in _docs(tmp_path / "out")}
    assert set(docs) == {"a", "boom", "c"}  # the line is parsed here to name its record
    dead = docs["boom"]
    assert dead["status"] == "rejected" and "worker process died" in dead["reject_reason"]
    assert dead["source_line"] == 2 and docs["a"]["status"] == "kept" and docs["c"]["status"] == "duplicate"
    assert res.counts["read"] == 3


def test_a_document_crosses_to_a_worker_and_back_whole(tmp_path: Path) -> None:
    """Records are pickled into worker processes and back (by their constructor, which is
    faster): every field survives, a parked text included."""
    import copy
    import pickle

    import numpy as np

    from corpuskit.records import Document, PassageRef
    from corpuskit.spill import TextSpill

    doc = Document(
        "d1", "feed.jsonl", 3, url="https://x.test/a", title="T", date="2025-04-01", authors=["Ann Lee"],
        sitename="X", lang="en", lang_reason="short", text="Talks begin today.", status="duplicate",
        duplicate_of="d0", similarity=0.91, dup_kind="near", cluster_id="c1", cluster_size=2,
        keep_reason="k", reject_reason=None, passages=[PassageRef("p-1", 0, 5)], meta={"input": {"a": 1}},
        input_format="jsonl", order=7, raw=b"\xff", raw_kind="html", work={"sig": np.arange(4, dtype=np.uint32)},
    )  # fmt: skip
    back = pickle.loads(pickle.dumps(doc))
    assert back.to_dict() == doc.to_dict()
    assert (back.order, back.raw, back.raw_kind, back.input_format) == (7, b"\xff", "html", "jsonl")
    assert np.array_equal(back.work["sig"], doc.work["sig"])
    assert copy.deepcopy(doc).to_dict() == doc.to_dict()
    with TextSpill(tmp_path) as spill:
        spill.park(doc)
        back = pickle.loads(pickle.dumps(doc))
        assert back.text == "" and back.parked is not None and back.parked.spill is spill
        assert back.read_text() == "Talks begin today."


def test_templates_from_the_workers_line_hashes_or_from_the_text() -> None:
    """Workers hash each page's lines while preparing it; a record without them (a chunk
    saved by an earlier version) is hashed from its text, to the same templates."""
    from corpuskit.pipeline import _templates, _Timer
    from corpuskit.records import Document
    from corpuskit.stages import LINES_KEY, prepare_document

    cfg = RunConfig(workers=1)
    menu = "Home | World | Sport | Business\nSubscribe to our newsletter"

    def pages() -> list[Document]:
        raws = [f"{menu}\nStory {i} begins here and goes on.\nShare this" for i in range(4)]
        docs = [Document(f"d{i}", "site.txt", url=f"https://example.com/{i}", raw=r) for i, r in enumerate(raws)]
        docs.append(Document("x", "other.jsonl", input_format="jsonl", raw="Share this\nNo URL here."))
        return [prepare_document(d, cfg) for d in docs]

    with_hashes = pages()
    assert all(LINES_KEY in d.work for d in with_hashes[:4]) and LINES_KEY not in with_hashes[4].work
    without = pages()
    for d in without:
        d.work.pop(LINES_KEY, None)
    got = _templates(with_hashes, cfg, _Timer())
    assert got == _templates(without, cfg, _Timer()) and set(got) == {"example.com"}
    assert len(got["example.com"]) == 3  # the menu's two lines and "Share this"
    assert all(LINES_KEY not in d.work for d in with_hashes)  # counted, then let go


def test_the_warm_up_runs_both_corpus_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What a run with workers does while they clean: its documents must reach every kernel
    # of deduplication (a near-duplicate pair) and of the passage stage (a shared quote).
    from corpuskit import pipeline

    found: list[Any] = []
    real_find, real_dedup = pipeline.find_passages, pipeline.deduplicate

    def find(docs: Any, cfg: Any, **kw: Any) -> Any:
        found.append(real_find(docs, cfg, **kw))
        return found[-1]

    def dedup(docs: Any, cfg: Any, **kw: Any) -> Any:
        found.append(real_dedup(docs, cfg, **kw))
        return found[-1]

    monkeypatch.setattr(pipeline, "find_passages", find)
    monkeypatch.setattr(pipeline, "deduplicate", dedup)
    assert list(pipeline._warm_corpus_stages(RunConfig(), tmp_path)) == ["dedup", "passages"]
    stats, passages = found
    assert stats.near + stats.contained >= 1
    assert len(passages) == 1 and len(passages[0].sources) == 3


def test_with_workers_the_collector_waits_while_the_records_come_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process takes the finished records in with its collector off (they hold no
    cycles; visiting them as they come cost the workers' cores 40 ms at 20,000 documents),
    and the run leaves the collector as it found it: on, nothing frozen."""
    import gc

    from corpuskit.dedup import SignatureRows

    seen: list[bool] = []
    real_take = SignatureRows.take

    def take(self: SignatureRows, docs: Any) -> None:  # the main process, once a chunk per result
        seen.append(gc.isenabled())
        real_take(self, docs)

    monkeypatch.setattr(SignatureRows, "take", take)
    corpus = str(_mixed_corpus(tmp_path))
    res = run([corpus], tmp_path / "out", RunConfig(workers=2, chunk_docs=2))
    assert res.counts["read"] >= 6 and len(seen) >= 3
    assert not any(seen)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    seen.clear()
    run([corpus], tmp_path / "one", RunConfig(workers=1, chunk_docs=2))
    assert seen and all(seen)  # one worker: the records are made here, garbage and all


def test_a_failing_warm_up_does_not_fail_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from corpuskit import pipeline

    def broken(*a: Any, **kw: Any) -> Any:
        raise OSError("no room for scratch files")

    monkeypatch.setattr(pipeline, "find_passages", broken)
    assert len(list(pipeline._warm_corpus_stages(RunConfig(), tmp_path))) == 2  # the real stage reports it


_SHARING_CHECK = """
import sys
from corpuskit import language, passages, pipeline
from corpuskit.config import RunConfig

def loaded():  # before numba is loaded, a kernel is a stand-in without signatures
    return language._FACTORY is not None, bool(getattr(passages._count_over, "signatures", ()))

assert loaded() == (False, False) and "numba" not in sys.modules
pool, helper = pipeline._fork_workers(RunConfig(workers=2), lambda: None, helper=True)
assert helper.pool.submit(loaded).result() == (False, True)
assert pool.pool.submit(loaded).result() == (True, True)
for workers in (pool, helper):
    workers.shutdown(kill=True)
print("ok")
"""


def test_sharing_forks_the_helper_before_the_profiles_and_the_pool_after() -> None:
    # In a fresh process, where nothing is loaded yet: the helper inherits the scan kernels
    # but never the profiles (it would keep their pages once the main process lets them
    # go); the finishing pool inherits both.
    assert run_alone(_SHARING_CHECK) == "ok"


def test_a_failure_while_sharing_is_raised_in_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from corpuskit import language

    def broken() -> None:
        raise RuntimeError("profiles unreadable")

    monkeypatch.setattr(language, "load_profiles", broken)
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps({"id": str(i), "text": f"{i} {ARTICLE}"}) + "\n" for i in range(40)))
    with pytest.raises(RuntimeError, match="profiles unreadable"):
        run([str(f)], tmp_path / "out", RunConfig(workers=2))
    assert not (tmp_path / "out" / "documents.jsonl").exists()


def test_a_chunk_a_worker_finishes_hands_its_signatures_back_as_one_array() -> None:
    import pickle
    from multiprocessing.reduction import ForkingPickler

    from corpuskit.pipeline import _finish_chunk
    from corpuskit.records import Document
    from corpuskit.stages import prepare_documents

    words = "harbor council tariff ferry summit almond container energy region minister vote".split()
    texts = [" ".join(words[(i * j) % len(words)] for j in range(120)) + "." for i in range(1, 13)]

    def finished(workers: int) -> list[Document]:
        cfg = RunConfig(workers=workers)
        docs = [Document(f"d{i}", "t.txt", raw=t.encode(), raw_kind="text") for i, t in enumerate(texts)]
        docs = prepare_documents((docs, cfg))
        return _finish_chunk((docs, cfg, {}, None))

    alone, pooled = finished(1), finished(2)
    sent = ForkingPickler.dumps(pooled)
    back = pickle.loads(sent)
    assert [d.work["sig"].tolist() for d in back] == [d.work["sig"].tolist() for d in alone]
    matrix = back[0].work["sig"].base
    assert matrix is not None and all(d.work["sig"].base is matrix for d in back)  # views of one matrix
    assert all(type(d.work["sig"]) is np.ndarray for d in back)


def test_a_reading_task_finishes_only_the_records_no_site_template_can_change() -> None:
    from corpuskit.pipeline import _FINISHED, _prepare_chunk
    from corpuskit.records import Document

    raw = ARTICLE.encode()
    docs = [
        Document("a", "in.jsonl", raw=raw, input_format="jsonl"),  # no URL: no site
        Document("b", "in.jsonl", raw=raw, input_format="jsonl", url="https://news.example/b"),
        Document("c", "site/c.txt", raw=raw, input_format="text"),  # a folder's site
        Document("d", "in.jsonl", raw=b"", input_format="jsonl"),  # rejected while prepared
    ]
    out = _prepare_chunk((docs, RunConfig(workers=1), None))
    assert [_FINISHED in d.work for d in out] == [True, False, False, True]
    assert out[0].lang == "en" and "sig" in out[0].work and "text_key" in out[0].work
    assert out[1].lang is None and "sig" not in out[1].work and out[2].lang is None
    assert out[3].status == "rejected"
