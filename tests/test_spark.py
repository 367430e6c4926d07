"""The Spark engine makes the local engine's decisions: parity runs in ``local[2]``.

One SparkSession serves the module (no web UI, loopback, two shuffle partitions). The
Spark tests are skipped, with the reason, when pyspark or Java is missing; the pure helpers
and the CLI's message without pyspark are tested either way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corpuskit.boilerplate import TemplateIndex
from corpuskit.cli import app
from corpuskit.config import BoilerplateConfig, DedupConfig, PassageConfig, RunConfig
from corpuskit.errors import RejectedRecordError
from corpuskit.pipeline import run
from corpuskit.readers import make_unique, read_inputs
from corpuskit.records import DOCUMENT_FIELDS, Document
from corpuskit.report import write_report

from .conftest import SAMPLES, load_script, report_data

HAVE_PYSPARK = importlib.util.find_spec("pyspark") is not None
HAVE_JAVA = bool(shutil.which("java") or os.environ.get("JAVA_HOME"))
needs_spark = pytest.mark.skipif(
    not (HAVE_PYSPARK and HAVE_JAVA),
    reason="Spark tests need pyspark (pip install 'corpuskit[spark]') and Java 17 or 21 (java on PATH or JAVA_HOME)",
)
if HAVE_PYSPARK:
    from corpuskit.engines import spark as engine

LOCAL = RunConfig(workers=1)


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _same_output(a: Path, b: Path) -> None:
    """Byte-identical records and passages; the same manifest but for timings and engine."""
    for name in ("documents.jsonl", "passages.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    assert mb.pop("engine")["name"] == "spark"
    for m in (ma, mb):
        m.pop("timings")
    assert ma == mb


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if not (HAVE_PYSPARK and HAVE_JAVA):
        pytest.skip("needs pyspark and Java")
    session = engine.spark_session("local[2]", {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"})
    yield session
    session.stop()


# ---------------------------------------------------------------------------------------
# parity
# ---------------------------------------------------------------------------------------


@needs_spark
def test_samples_same_output_as_local(spark: Any, tmp_path: Path) -> None:
    run([str(SAMPLES)], tmp_path / "local", LOCAL)
    res = engine.run_spark([str(SAMPLES)], tmp_path / "spark", LOCAL, partitions=2)
    _same_output(tmp_path / "local", tmp_path / "spark")
    gold = json.loads((SAMPLES / "EXPECTED.json").read_text())["counts"]
    assert {k: res.counts[k] for k in gold} == gold
    assert (tmp_path / "spark" / "report.html").is_file()
    assert not (tmp_path / "spark" / ".corpuskit-spark").exists()
    # Its report took each record as it was written: the page data of both engines, and
    # of a rebuild from the files, is the same.
    pages = [report_data((tmp_path / e / "report.html").read_text(encoding="utf-8")) for e in ("local", "spark")]
    assert pages[0] == pages[1] == report_data(write_report(tmp_path / "spark").read_text(encoding="utf-8"))


def _tricky_corpus(root: Path) -> Path:
    """The near-duplicate test corpus split over two files, with ids given twice across
    them (and one that looks renamed), plus an exact copy and a rejected line."""
    rows = load_script("make_dedup_corpus").build_corpus(load_script("make_dedup_corpus").load_articles())
    body = rows[0]["text"]
    extra_a = [{"id": "same", "text": body}, {"id": "same~2", "text": rows[1]["text"] + "\n\nA closing line."}]
    extra_b = [{"id": "same", "text": rows[2]["text"]}, {"id": "late-copy", "text": body, "date": "2024-01-01"}]
    d = root / "in"
    d.mkdir()
    _jsonl(d / "a.jsonl", rows[: len(rows) // 2] + extra_a)
    (d / "b.jsonl").write_text("not json\n", encoding="utf-8")
    with (d / "b.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows[len(rows) // 2 :] + extra_b))
    return d


@needs_spark
def test_near_duplicate_corpus_same_output_as_local(spark: Any, tmp_path: Path) -> None:
    """Exact, near and contained duplicates, ids renamed across files, passages dropped,
    another keep policy: every decision and every byte as the local engine's."""
    inp = _tricky_corpus(tmp_path)
    cfg = RunConfig(workers=1, dedup=DedupConfig(keep="longest"), passages=PassageConfig(mode="drop"))
    run([str(inp)], tmp_path / "local", cfg, write_report_html=False)
    res = engine.run_spark([str(inp)], tmp_path / "spark", cfg, partitions=3, write_report_html=False)
    _same_output(tmp_path / "local", tmp_path / "spark")
    kinds = res.counts["duplicate_by_kind"]
    assert kinds["exact"] and kinds["near"] and kinds["contained"], kinds
    ids = [json.loads(line)["id"] for line in (tmp_path / "spark" / "documents.jsonl").read_text().splitlines()]
    assert len(set(ids)) == len(ids) and {"same", "same~2", "same~3"} <= set(ids)
    assert any(
        "dropped_passages" in json.loads(line)["meta"] for line in (tmp_path / "spark" / "documents.jsonl").open()
    )


@needs_spark
def test_process_dataframe_decides_as_for_jsonl(spark: Any, tmp_path: Path) -> None:
    """A DataFrame row is read like a JSONL line: with ``source`` set to the file, the
    records are the ones the local engine writes for that file."""
    rows = load_script("make_dedup_corpus").build_corpus(load_script("make_dedup_corpus").load_articles())[:60]
    rows += [json.loads(line) for line in (SAMPLES / "wire.jsonl").read_text().splitlines()]
    rows.append({"id": "empty", "title": "no body"})
    path = tmp_path / "rows.jsonl"
    _jsonl(path, rows)
    run([str(path)], tmp_path / "local", LOCAL, write_report_html=False)
    local = [json.loads(line) for line in (tmp_path / "local" / "documents.jsonl").read_text().splitlines()]
    local_passages = [json.loads(line) for line in (tmp_path / "local" / "passages.jsonl").read_text().splitlines()]

    from pyspark.sql import types as T

    names = sorted({k for r in rows for k in r})
    kind = {"authors": T.ArrayType(T.StringType())}
    schema = T.StructType([T.StructField(k, kind.get(k, T.StringType())) for k in [*names, "source"]])
    df = spark.createDataFrame([(*(r.get(k) for k in names), str(path)) for r in rows], schema)
    docs_df, passages_df = engine.process_dataframe(df, LOCAL, partitions=2)
    assert tuple(docs_df.columns) == DOCUMENT_FIELDS
    got = []
    for row in docs_df.collect():
        rec = row.asDict(recursive=True)
        rec["meta"] = json.loads(rec["meta"])
        got.append(rec)
    assert got == _with_null_extras_dropped(local)
    passages = [p.asDict(recursive=True) for p in passages_df.collect()]
    assert len(passages) == len(local_passages) > 0
    assert [p["passage_id"] for p in passages] == [p["passage_id"] for p in local_passages]
    assert [p["sources"] for p in passages] == [p["sources"] for p in local_passages]


def _with_null_extras_dropped(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A DataFrame has every column in every row: null extras are not carried to ``meta``."""
    for r in records:
        extra = r["meta"].get("input")
        if extra is not None:
            r["meta"]["input"] = {k: v for k, v in extra.items() if v is not None}
            if not r["meta"]["input"]:
                del r["meta"]["input"]
    return records


@needs_spark
def test_strict_stops_at_the_first_rejected_record(spark: Any, tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_text('{"text": "fine words here"}\nnot json\n{"nope": 1}\n')
    with pytest.raises(RejectedRecordError) as e:
        engine.run_spark([str(f)], tmp_path / "out", RunConfig(workers=1, strict=True), partitions=2)
    assert e.value.line == 2 and str(f) in str(e.value)
    assert not (tmp_path / "out" / "documents.jsonl").exists()


@needs_spark
def test_cli_engine_spark(spark: Any, tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    _jsonl(f, [{"id": "a", "text": "The council voted on Tuesday to keep the library open on Sundays."}])
    out = tmp_path / "out"
    for _ in range(2):  # the second run replaces the first one's Parquet directories
        r = CliRunner().invoke(app, ["run", str(f), "-o", str(out), "--engine", "spark", "--no-report", "--parquet"])
        assert r.exit_code == 0, r.output
        assert "read 1: kept 1" in r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"]["name"] == "spark"
    assert "documents.parquet" in manifest["outputs"]
    rows = spark.read.parquet(str(out / "documents.parquet")).collect()
    assert [(r["id"], r["status"]) for r in rows] == [("a", "kept")]
    assert spark.read.parquet(str(out / "passages.parquet")).count() == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "documents.jsonl",
        "documents.parquet",
        "manifest.json",
        "passages.jsonl",
        "passages.parquet",
    ]
    # a local run afterwards leaves no stale Parquet beside its own output
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(out), "--no-report", "--quiet"])
    assert r.exit_code == 0, r.output
    assert not (out / "documents.parquet").exists()


def test_parquet_needs_the_spark_engine(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    _jsonl(f, [{"id": "a", "text": "The council voted on Tuesday to keep the library open on Sundays."}])
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(tmp_path / "out"), "--parquet"])
    assert r.exit_code == 2
    assert "--parquet needs --engine spark" in r.output


# ---------------------------------------------------------------------------------------
# without Spark
# ---------------------------------------------------------------------------------------


def test_cli_engine_spark_without_pyspark(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("corpuskit.engines.spark_available", lambda: False)
    f = tmp_path / "in.jsonl"
    _jsonl(f, [{"text": "x"}])
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(tmp_path / "o"), "--engine", "spark"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == [
        "corpuskit: error: --engine spark needs pyspark: pip install 'corpuskit[spark]'"
    ]
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(tmp_path / "o"), "--spark-master", "local[1]"])
    assert r.exit_code == 2 and "--engine spark" in r.output


needs_pyspark = pytest.mark.skipif(not HAVE_PYSPARK, reason="the Spark module needs pyspark to import")


@needs_pyspark
@pytest.mark.parametrize(
    ("env", "args", "master"),
    [
        ({}, ["--workers", "3"], "local[3]"),
        ({"PYSPARK_GATEWAY_PORT": "40000"}, [], None),  # under spark-submit: its master
        ({"PYSPARK_GATEWAY_PORT": "40000"}, ["--spark-master", "local[1]"], "local[1]"),
    ],
)
def test_cli_spark_master(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], args: list[str], master: str | None
) -> None:
    seen: dict[str, Any] = {}

    def fake_run_spark(inputs: Any, out: Any, cfg: Any, *, master: str | None, **kw: Any) -> Any:
        seen["master"] = master
        raise RejectedRecordError("x", "stop here")

    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(engine, "run_spark", fake_run_spark)
    f = tmp_path / "in.jsonl"
    _jsonl(f, [{"text": "x"}])
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(tmp_path / "o"), "--engine", "spark", *args])
    assert r.exit_code == 1, r.output
    assert seen == {"master": master}


_ID = st.sampled_from(["a", "b", "a~2", "a~3", "b~2", "a~2~2", "c"])


@needs_pyspark
@settings(max_examples=200, deadline=None)
@given(st.lists(_ID, max_size=30))
def test_renames_from_suspects_only_match_a_sequential_reader(ids: list[str]) -> None:
    """Renaming only ids given twice or looking renamed gives the sequential reader's ids."""
    seen: dict[str, int] = {}
    expected = []
    for given_id in ids:
        d = Document(id=given_id, source="")
        make_unique(d, seen)
        expected.append(d.id)
    counts = Counter(ids)
    suspects = [(i, x) for i, x in enumerate(ids) if counts[x] > 1 or engine._SUFFIXED.search(x)]
    renamed = engine._unique_ids(suspects)
    assert [renamed.get(i, x) for i, x in enumerate(ids)] == expected


_LINE = st.sampled_from(["Menu", "Share", "Story one.", "Story two.", "A shared quote.", "  ", "MENU"])


@needs_pyspark
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a.com", "b.com", "c.org"]), st.lists(_LINE, max_size=6)), max_size=12))
def test_distributed_template_count_matches_template_index(pages: list[tuple[str, list[str]]]) -> None:
    """The map/reduce over (line hash, site) finds exactly the TemplateIndex's lines."""
    cfg = BoilerplateConfig()
    index = TemplateIndex(cfg)
    docs = []
    for site, lines in pages:
        text = "\n".join(lines)
        index.add(site, text)
        docs.append(Document(id=site, source="x", url=f"https://{site}/p", text=text, input_format="jsonl"))
    reduced: dict[int, tuple[str | None, int]] = {}
    for h, v in engine._page_lines(random.Random(len(docs)).sample(docs, len(docs))):
        reduced[h] = engine._merge_line(reduced[h], v) if h in reduced else v
    found: dict[str, set[int]] = {}
    for item in reduced.items():
        for site, h in engine._template_line(item, need=cfg.template_min_pages):
            found.setdefault(site, set()).add(h)
    for site in {s for s, _ in pages}:
        assert found.get(site, set()) == set(index.template_for(site))


@needs_pyspark
def test_row_document_reads_a_row_like_a_jsonl_line(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": "Body one.", "url": "https://x.example/1", "date": "2025-04-08", "authors": "A B; C D"},
        {"html": "<p>Body</p>", "title": " T ", "authors": ["E F", ""], "desk": "metro", "n": 3},
        {"id": "", "text": "   ", "html": None},
        {"id": 7, "text": "Seven."},
    ]
    path = tmp_path / "r.jsonl"
    _jsonl(path, rows)
    from_file = list(read_inputs([str(path)], max_doc_bytes=1 << 20))
    for i, (row, want) in enumerate(zip(rows, from_file, strict=True)):
        got = engine.row_document(row, i, source=str(path))
        assert (got.to_dict(), got.raw, got.raw_kind, got.input_format) == (
            want.to_dict(),
            want.raw,
            want.raw_kind,
            want.input_format,
        )


@needs_pyspark
def test_schemas_follow_the_jsonl_records() -> None:
    assert tuple(engine.DOCUMENT_SCHEMA.names) == DOCUMENT_FIELDS
    assert tuple(engine.PASSAGE_SCHEMA.names) == ("passage_id", "text", "canonical", "n_documents", "sources")
