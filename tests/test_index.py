"""The persistent index: batches run one after another equal one run over all of them.

The samples split in three batches (by date, each site's pages together) go through
``run(..., index=...)`` and must give the same duplicate links and passages (ids, sources,
canonical occurrence) as one run over the three. The rest checks the pieces: the dedup
``prior`` hook against a single run, idempotent re-runs, the passage-merge policy,
fingerprints and key runs, settings, file format, concurrency, export and vacuum.
"""

from __future__ import annotations

import io
import json
import random
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corpuskit.index as index_mod
from corpuskit.config import DedupConfig, PassageConfig, RunConfig
from corpuskit.dedup import deduplicate
from corpuskit.errors import ConfigError
from corpuskit.index import (
    SCHEMA_VERSION,
    CorpusIndex,
    IndexBusyError,
    IndexFormatError,
    _Postings,
    colocated_pairs,
    fingerprint_window,
    winnow,
)
from corpuskit.normalise import normalise_text
from corpuskit.passages import drop_passages, find_passages
from corpuskit.pipeline import run
from corpuskit.records import Document

from .conftest import ROOT, SAMPLES

# Three daily batches of the samples: every site's pages in one batch (template lines
# are learnt per batch), later batches dated later, so earlier decisions are final ones.
BATCHES = [
    ["wire.jsonl", "sites/harbor-post", "bad"],
    ["feed.jsonl.gz", "sites/coastal-dispatch", "sites/valley-tribune"],
    ["crawl.warc.gz", "sites/midland-ledger"],
]
CFG = RunConfig(workers=1)


def _inputs(batch: list[str]) -> list[str]:
    return [str(SAMPLES / p) for p in batch]


def _links(docs: list[Document]) -> dict[str, tuple[Any, ...]]:
    return {d.id: (d.status, d.duplicate_of, d.dup_kind, d.similarity) for d in docs}


def _export(path: Path) -> list[dict[str, Any]]:
    buf = io.BytesIO()
    with CorpusIndex(path, create=False) as idx:
        idx.export(buf)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def _passages(records: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        p["passage_id"]: (
            sorted((s["doc_id"], s["start"], s["end"]) for s in p["sources"]),
            (p["canonical"]["doc_id"], p["canonical"]["start"], p["canonical"]["end"]),
            p["text"],
        )
        for p in records
        if p.get("type", "passage") == "passage"
    }


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run over all three batches, and the three batches run one after another."""
    tmp = tmp_path_factory.mktemp("index-split")
    one = run([p for b in BATCHES for p in _inputs(b)], tmp / "one", CFG, write_report_html=False)
    db = tmp / "corpus.db"
    batches = [run(_inputs(b), tmp / f"b{i}", CFG, write_report_html=False, index=db) for i, b in enumerate(BATCHES)]
    return {"one": one, "batches": batches, "db": db, "tmp": tmp}


# ---------------------------------------------------------------------------------------
# the done-when: batches in sequence == one run
# ---------------------------------------------------------------------------------------


def test_batches_in_sequence_give_the_links_of_one_run(split: dict[str, Any]) -> None:
    incremental: dict[str, tuple[Any, ...]] = {}
    for r in split["batches"]:
        incremental.update(_links(r.documents))
    assert incremental == _links(split["one"].documents)
    # The gold duplicates cross batches: the teaser and the reprint (batch 2) point at the
    # wire original of batch 1, which stays kept; its cluster grew in the index.
    assert incremental[str(SAMPLES / "feed.jsonl.gz") + ":1"][:3] == ("duplicate", "cpw-20250409-0612", "contained")
    clusters = [c for c in _export(split["db"]) if c["type"] == "cluster"]
    assert [(c["kept"], c["size"]) for c in clusters] == [("cpw-20250409-0612", 3)]


def test_batches_in_sequence_give_the_passages_of_one_run(split: dict[str, Any]) -> None:
    one = _passages([p.to_dict() for p in split["one"].passages])
    assert len(one) == 4
    assert _passages(_export(split["db"])) == one


def test_workers_give_the_same_index(split: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With workers, an update aligns and builds passages in processes forked inside its
    open transaction (they never touch the connection): the index holds the same."""
    from corpuskit import passages

    monkeypatch.setattr(passages, "_FORK_MIN_PAIRS", 0)
    monkeypatch.setattr(passages, "_FORK_MIN_MATCHES", 0)
    monkeypatch.setattr(passages, "_FORK_MIN_GROUPS", 0)
    db = tmp_path / "corpus.db"
    for i, b in enumerate(BATCHES):
        run(_inputs(b), tmp_path / f"b{i}", RunConfig(workers=2), write_report_html=False, index=db)
    got, want = _export(db), _export(split["db"])
    assert _passages(got) == _passages(want)
    assert [c for c in got if c["type"] == "cluster"] == [c for c in want if c["type"] == "cluster"]


def test_each_batch_lists_its_passages_to_date(split: dict[str, Any]) -> None:
    last = split["batches"][-1]
    exported = {p["passage_id"]: p for p in _export(split["db"]) if p["type"] == "passage"}
    ids = {d.id for d in last.documents}
    assert {p.passage_id for p in last.passages} == {
        pid for pid, p in exported.items() if any(s["doc_id"] in ids for s in p["sources"])
    }
    for p in last.passages:  # sources of earlier batches included
        assert len(p.sources) == len(exported[p.passage_id]["sources"])
    for d in last.documents:
        for ref in d.passages:
            assert (d.id, ref.start, ref.end) in {
                (s["doc_id"], s["start"], s["end"]) for s in exported[ref.passage_id]["sources"]
            }


def test_canonical_change_is_recorded(split: dict[str, Any]) -> None:
    # The Top-TEAM quote appears in batch 2 (Harbor Post + Coastal Dispatch) and is
    # re-reported in batch 3, whose variant the policy prefers: the id stays, the change
    # is recorded with the run that made it.
    p = next(p for p in _export(split["db"]) if p["type"] == "passage" and p["n_documents"] == 3)
    assert p["first_run"] == 2 and p["last_run"] == 3
    [change] = p["canonical_history"]
    assert change["run"] == 3
    assert change["to"]["doc_id"] == p["canonical"]["doc_id"] == str(SAMPLES / "crawl.warc.gz") + "#1"
    assert change["from"]["doc_id"] != change["to"]["doc_id"]


def test_manifest_reports_the_index(split: dict[str, Any]) -> None:
    summaries = [r.manifest["index"] for r in split["batches"]]
    assert [s["run"] for s in summaries] == [1, 2, 3]
    assert [s["new"] for s in summaries] == [5, 5, 4]
    assert summaries[1]["prior_for_dedup"] >= 1  # the wire original, found by band lookup
    assert summaries[2]["passages_grown"] == 1 and summaries[2]["canonical_changes"] == 1


def test_rerunning_a_batch_changes_nothing(split: dict[str, Any]) -> None:
    db, tmp = split["db"], split["tmp"]
    with CorpusIndex(db) as idx:
        before = idx.stats()
    exported = _export(db)
    again = run(_inputs(BATCHES[1]), tmp / "again", CFG, write_report_html=False, index=db)
    with CorpusIndex(db) as idx:
        after = idx.stats()
    assert {k: v for k, v in after.items() if k != "file_bytes"} == {
        k: v for k, v in before.items() if k != "file_bytes"
    }
    assert _export(db) == exported
    assert again.manifest["index"]["run"] is None and again.manifest["index"]["replayed"] == 5
    assert _links(again.documents) == _links(split["batches"][1].documents)
    first = {d.id: [r.to_dict() for r in d.passages] for d in split["batches"][1].documents}
    # the same passage ids; the Top-TEAM quote gained batch 3's source since
    assert {d.id: [r["passage_id"] for r in first[d.id]] for d in again.documents} == {
        d.id: [r.passage_id for r in d.passages] for d in again.documents
    }


# ---------------------------------------------------------------------------------------
# dedup: the prior hook is the single run's decision
# ---------------------------------------------------------------------------------------


def _dedup_corpus() -> list[Document]:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_dedup_corpus import build_corpus, load_articles
        from score_dedup import _documents
    finally:
        sys.path.pop(0)
    return list(_documents(build_corpus(load_articles())))


def _by_day(docs: list[Document], n: int) -> list[list[Document]]:
    """``n`` batches split at date boundaries (undated documents last)."""
    days = sorted({d.date or "~" for d in docs})
    cut = [days[len(days) * k // n] for k in range(1, n)]
    batches: list[list[Document]] = [[] for _ in range(n)]
    for d in docs:
        batches[sum((d.date or "~") >= c for c in cut)].append(d)
    return batches


@pytest.mark.parametrize("n", [2, 3, 5])
def test_prior_documents_decide_like_one_run(n: int) -> None:
    one = _dedup_corpus()
    deduplicate(one, DedupConfig())
    docs = _dedup_corpus()
    prior: list[Document] = []
    for batch in _by_day(docs, n):
        snapshot = [(d.id, d.status, d.duplicate_of, d.work.get("sig")) for d in prior]
        deduplicate(batch, DedupConfig(), prior=prior)
        assert [(d.id, d.status, d.duplicate_of, d.work.get("sig")) for d in prior] == snapshot  # untouched
        prior += [d for d in batch if d.status in ("kept", "duplicate")]
    assert {d.id: (d.status, d.duplicate_of, d.dup_kind) for d in docs} == {
        d.id: (d.status, d.duplicate_of, d.dup_kind) for d in one
    }


def test_an_earlier_kept_document_stays_kept_even_when_a_new_one_ranks_first() -> None:
    text = normalise_text(" ".join(f"word{i} filler{i % 7} tail{i % 11}" for i in range(200)))
    early = Document(id="b", source="x", date="2025-04-02", text=text)
    late = Document(id="a", source="x", date="2025-04-01", text=text)  # earlier date, later batch
    deduplicate([early], DedupConfig())
    deduplicate([late], DedupConfig(), prior=[early])
    assert (early.status, late.status, late.duplicate_of, late.dup_kind) == ("kept", "duplicate", "b", "exact")
    assert early.cluster_id is None  # the index keeps an earlier head's cluster fields


# ---------------------------------------------------------------------------------------
# passages across batches: synthetic articles sharing written quotes
# ---------------------------------------------------------------------------------------

QUOTES = [
    "“We will not reopen the harbour until every pier has been inspected by an independent engineer,” the mayor said.",
    "“Nobody on this council voted for a ferry that leaves half the island without a morning crossing,” Ortega said.",
    "“The reservoir is lower than at any time since the drought of 1976 and we are asking everyone to save water,” the utility said.",
]


def _words(rng: random.Random, n: int) -> str:
    syll = [
        "ka",
        "ri",
        "to",
        "mo",
        "an",
        "el",
        "si",
        "pa",
        "nu",
        "der",
        "ver",
        "ten",
        "lo",
        "ga",
        "mi",
        "ro",
        "sta",
        "pre",
        "con",
        "tra",
        "ment",
        "ing",
        "al",
        "or",
        "ble",
        "ous",
        "ist",
        "ive",
    ]
    words = ["".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(n)]
    sentences = [" ".join(words[i : i + 14]).capitalize() + "." for i in range(0, n, 14)]
    return " ".join(sentences)


def _article(rng: random.Random, id: str, day: int, quotes: list[str]) -> Document:
    paras = [_words(rng, 60) for _ in range(4)]
    for k, q in enumerate(quotes):
        paras.insert(1 + 2 * k, q)
    text = normalise_text("\n\n".join(paras))
    return Document(id=id, source=f"{id}.txt", date=f"2025-05-{day:02d}", text=text)


def _update(db: Path, docs: list[Document], cfg: RunConfig = CFG) -> index_mod.IndexUpdate:
    with CorpusIndex(db) as idx:
        return idx.update(docs, cfg)


def test_a_quote_first_seen_in_one_batch_is_linked_when_a_later_one_repeats_it(tmp_path: Path) -> None:
    rng = random.Random(5)
    db = tmp_path / "i.db"
    first = _update(db, [_article(rng, "a1", 1, [QUOTES[0]]), _article(rng, "a2", 1, [])])
    assert first.passages == []  # a quote in one document is not a passage yet
    second = _update(db, [_article(rng, "b1", 2, [QUOTES[0].replace("“", '"').replace("”", '"')])])
    [p] = second.passages
    assert sorted(s.doc_id for s in p.sources) == ["a1", "b1"]
    third = _update(db, [_article(rng, "c1", 3, [QUOTES[0].lower()])])
    [q] = third.passages
    assert q.passage_id == p.passage_id and sorted(s.doc_id for s in q.sources) == ["a1", "b1", "c1"]
    assert third.summary["passages_grown"] == 1 and third.summary["passages_new"] == 0


def test_a_statement_quoted_beyond_the_fingerprint_cap_keeps_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Once its fingerprints are stock phrases, earlier documents are no longer found
    # through them; the passage found among the new batch has the same canonical words,
    # hence the same id, and joins the stored passage.
    monkeypatch.setattr(index_mod, "FP_CAP", 2)
    rng = random.Random(6)
    db = tmp_path / "i.db"
    p1 = _update(db, [_article(rng, f"a{i}", 1, [QUOTES[1]]) for i in range(3)]).passages
    p2 = _update(db, [_article(rng, f"b{i}", 2, [QUOTES[1]]) for i in range(3)]).passages
    assert p1[0].passage_id == p2[0].passage_id
    assert p2[0].n_documents == 6
    with CorpusIndex(db) as idx:
        assert idx.stats()["common_fingerprints"] > 0


def test_a_statement_shared_in_part_then_in_full_grows_its_spans(tmp_path: Path) -> None:
    rng = random.Random(7)
    db = tmp_path / "i.db"
    short = QUOTES[2].split(" and we are")[0] + ".”"
    a1, a2 = _article(rng, "a1", 1, [QUOTES[2]]), _article(rng, "a2", 1, [short])
    b1, c1 = _article(rng, "b1", 2, [QUOTES[2]]), _article(rng, "c1", 3, [short])
    [p] = _update(db, [a1, a2]).passages
    assert p.canonical["doc_id"] == "a1" and p.text.endswith("since the drought of 1976")  # the shared part
    grown = _update(db, [b1])
    [q] = grown.passages
    # b1 repeats the whole statement: a1's span grows to it, as in one run over a1, a2, b1;
    # the id stays (the canonical text changed: recorded).
    [one] = find_passages([replace(d, work={}) for d in (a1, a2, b1)], PassageConfig())
    assert sorted((s.doc_id, s.start, s.end) for s in q.sources) == sorted(
        (s.doc_id, s.start, s.end) for s in one.sources
    )
    assert (q.canonical["doc_id"], q.canonical["start"], q.canonical["end"]) == (
        one.canonical["doc_id"], one.canonical["start"], one.canonical["end"]
    )  # fmt: skip
    assert q.passage_id == p.passage_id != one.passage_id and q.text == one.text
    assert grown.summary["canonical_changes"] == 1
    later = _update(db, [c1])
    [r] = later.passages
    assert (r.passage_id, r.canonical["doc_id"], later.summary["canonical_changes"], r.n_documents) == (
        p.passage_id, "a1", 0, 4
    )  # fmt: skip
    (hist,) = [x["canonical_history"] for x in _export(db) if x["type"] == "passage"]
    assert [(h["run"], h["from"]["end"] < h["to"]["end"]) for h in hist] == [(2, True)]
    for s in r.sources:  # every source is scored against the current canonical text
        assert s.similarity == 1.0 if s.doc_id in ("a1", "b1") else s.similarity < 1.0


def test_a_changed_text_under_an_indexed_id_is_not_indexed(tmp_path: Path) -> None:
    rng = random.Random(8)
    db = tmp_path / "i.db"
    a = _article(rng, "a1", 1, [QUOTES[0]])
    _update(db, [a])
    changed = replace(a, text=a.text + "\n\nThis story has been updated.", work={}, meta={})
    upd = _update(db, [changed])
    assert upd.summary["not_indexed"] == 1 and "indexed version stands" in changed.meta["index"]
    assert changed.status == "kept"  # its earlier version is not its duplicate-of: it is not compared
    with CorpusIndex(db) as idx:
        assert idx.stats()["documents"] == 1


def test_drop_mode_drops_from_the_output_not_from_the_index(tmp_path: Path) -> None:
    cfg = replace(CFG, passages=PassageConfig(mode="drop"))
    rng = random.Random(9)
    db = tmp_path / "i.db"
    a = _article(rng, "a1", 1, [QUOTES[0]])
    b = _article(rng, "b1", 2, [QUOTES[0]])
    original = b.text
    _update(db, [a], cfg)
    upd = _update(db, [b], cfg)
    drop_passages([b], upd.passages)  # what the pipeline does after the index is updated
    assert "independent engineer" not in b.text  # a1 (earlier, same words) holds the canonical
    with CorpusIndex(db) as idx:
        stored = idx._load([2])[2]
    assert stored.id == "b1" and stored.text == original


# ---------------------------------------------------------------------------------------
# settings, format, concurrency, export, vacuum
# ---------------------------------------------------------------------------------------


def test_other_options_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    _update(db, [_article(random.Random(1), "a1", 1, [])])
    with pytest.raises(ConfigError, match=r"dedup\.threshold = 0\.5 \(this run: 0\.6\)"):
        _update(db, [], replace(CFG, dedup=DedupConfig(threshold=0.6)))
    with pytest.raises(ConfigError, match="no --no-dedup"):
        _update(db, [], replace(CFG, dedup=DedupConfig(enabled=False)))
    # passages mode is not a setting of the index: off, mark and drop share it
    _update(db, [], replace(CFG, passages=PassageConfig(mode="off")))


def test_a_file_that_is_not_an_index_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    with pytest.raises(IndexFormatError, match="not a corpuskit index"):
        CorpusIndex(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(IndexFormatError, match="not a corpuskit index"):
        CorpusIndex(other)
    with pytest.raises(IndexFormatError, match="no such index"):
        CorpusIndex(tmp_path / "missing.db", create=False)
    db = tmp_path / "i.db"
    CorpusIndex(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(IndexFormatError, match=f"schema version {SCHEMA_VERSION + 1}"):
        CorpusIndex(db)


@contextmanager
def _write_lock(db: Path, seconds: float) -> Iterator[None]:
    """Another writer holding ``db``'s write lock for ``seconds`` (or until the block ends)."""
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, lambda: con.execute("ROLLBACK"))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()


def test_a_second_writer_waits_then_fails_naming_the_index(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    CorpusIndex(db).close()
    docs = [_article(random.Random(2), "a1", 1, [])]
    with _write_lock(db, 30.0), CorpusIndex(db, timeout=0.3) as idx:
        t = time.perf_counter()
        with pytest.raises(IndexBusyError, match=rf"{db}: another corpuskit run is writing to this index"):
            idx.update(docs, CFG)
        assert 0.25 < time.perf_counter() - t < 10
    with CorpusIndex(db) as idx:
        assert idx.stats()["documents"] == 0  # nothing half-written


def test_a_second_writer_proceeds_once_the_first_is_done(tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    CorpusIndex(db).close()
    with _write_lock(db, 0.3), CorpusIndex(db, timeout=20) as idx:
        upd = idx.update([_article(random.Random(3), "a1", 1, [])], CFG)
    assert upd.summary["new"] == 1


def test_readers_see_a_snapshot_while_a_writer_holds_the_lock(split: dict[str, Any]) -> None:
    with _write_lock(split["db"], 30.0), CorpusIndex(split["db"], create=False) as idx:
        assert idx.stats()["passages"] == 4


def test_export_is_deterministic_and_complete(split: dict[str, Any]) -> None:
    a, b = _export(split["db"]), _export(split["db"])
    assert a == b
    assert [r["type"] for r in a] == ["cluster"] + ["passage"] * 4
    passages = [r for r in a if r["type"] == "passage"]
    assert [p["passage_id"] for p in passages] == sorted(p["passage_id"] for p in passages)
    for p in passages:
        assert set(p) >= {"passage_id", "text", "canonical", "sources", "first_run", "last_run", "canonical_history"}


def test_vacuum_keeps_every_answer(tmp_path: Path, split: dict[str, Any]) -> None:
    db = tmp_path / "copy.db"
    src = sqlite3.connect(split["db"])
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    before = _export(db)
    with CorpusIndex(db) as idx:
        counts = idx.stats()
        idx.vacuum()
        after = idx.stats()
    assert _export(db) == before
    assert after["key_runs"] <= 3  # band, fp (and common) merged into one run each
    assert {k: after[k] for k in ("documents", "passages", "band_keys", "fingerprints")} == {
        k: counts[k] for k in ("documents", "passages", "band_keys", "fingerprints")
    }
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# ---------------------------------------------------------------------------------------
# pure pieces: winnowing, co-location, key runs
# ---------------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 50), max_size=80), st.integers(1, 8))
def test_winnowing_selects_in_every_window(values: list[int], window: int) -> None:
    h = np.array(values, dtype=np.uint64)
    pos = winnow(h, window)
    assert pos.tolist() == sorted(set(pos.tolist()))
    if len(values) == 0:
        assert pos.size == 0
        return
    chosen = set(pos.tolist())
    for i in range(max(1, len(values) - window + 1)):
        win = range(i, min(len(values), i + window))
        assert chosen & set(win)  # every window holds a fingerprint ...
        m = min(values[j] for j in win)
        assert any(values[j] == m for j in chosen & set(win))  # ... which is its minimum


@given(st.data())
def test_a_shared_run_of_min_words_shares_two_fingerprints(data: st.DataObject) -> None:
    cfg = PassageConfig()
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    shared = rng.integers(0, 2**63, size=cfg.min_words - cfg.shingle + 1, dtype=np.uint64)
    a = np.concatenate([rng.integers(0, 2**63, size=data.draw(st.integers(0, 30)), dtype=np.uint64), shared])
    b = np.concatenate([shared, rng.integers(0, 2**63, size=data.draw(st.integers(0, 30)), dtype=np.uint64)])
    w = fingerprint_window(cfg)
    fa, fb = set(a[winnow(a, w)].tolist()), set(b[winnow(b, w)].tolist())
    assert len(fa & fb & set(shared.tolist())) >= 2


def test_colocated_pairs_need_two_fingerprints_of_one_stretch() -> None:
    q = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    pos = np.array([10, 16, 5, 5, 0, 100, 40, 46])
    other = np.array([7, 7, 8, 8, 9, 9, 6, 6])
    opos = np.array([200, 206, 1, 2, 0, 100, 3, 90])
    # 0-7: six tokens apart in both; 1-8: one position; 2-9: too far apart; 3-6: not aligned
    assert colocated_pairs(q, pos, other, opos).tolist() == [[0, 7]]
    assert colocated_pairs(q, pos, other, opos, span=5).tolist() == []
    assert colocated_pairs(q, pos, other, opos, span=100).tolist() == [[0, 7], [2, 9]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(-20, 20), st.integers(0, 9)), max_size=30), min_size=1, max_size=6))
def test_key_runs_answer_like_a_dictionary(batches: list[list[tuple[int, int]]]) -> None:
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.executescript(index_mod._SCHEMA)
    store = _Postings(con, "t")
    truth: dict[int, list[int]] = {}
    for batch in batches:
        keys = np.array([k for k, _ in batch], dtype=np.int64)
        docs = np.array([d for _, d in batch], dtype=np.int32)
        store.add(keys, docs)
        for k, d in batch:
            truth.setdefault(k, []).append(d)
    query = np.arange(-25, 26, dtype=np.int64)
    qi, vals = store.lookup(query)
    got: dict[int, list[int]] = {}
    for i, (d,) in zip(qi.tolist(), vals.tolist(), strict=True):
        got.setdefault(int(query[i]), []).append(d)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in truth.items()}
    assert len(store.runs()) <= 1 + int(np.log2(max(1, sum(map(len, batches))))) + 1
