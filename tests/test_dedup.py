"""Near-duplicate documents: clusters, keep policy, order independence, the scored corpus."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.config import DedupConfig
from corpuskit.dedup import DedupStats, deduplicate, parse_date
from corpuskit.normalise import fold_text, normalise_text
from corpuskit.records import Document
from corpuskit.signatures import minhash_signature, shingle_hashes

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


make_corpus = load_script("make_dedup_corpus")
score_dedup = load_script("score_dedup")
ARTICLES = {a.id: a for a in make_corpus.load_articles()}


def paragraphs(*ids: str) -> list[str]:
    return [p for i in ids for p in ARTICLES[i].paragraphs]


def doc(id: str, text: str, date: str | None = None, url: str | None = None, **kw: Any) -> Document:
    d = Document(id=id, source="test.jsonl", url=url, date=date, text=normalise_text(text), **kw)
    return d


def outcome(docs: list[Document]) -> dict[str, tuple[Any, ...]]:
    return {
        d.id: (d.status, d.duplicate_of, d.dup_kind, d.similarity, d.cluster_id, d.cluster_size, d.keep_reason)
        for d in docs
    }


CFG = DedupConfig()


def test_exact_copies_keep_the_earliest() -> None:
    text = "\n\n".join(paragraphs("bees-study"))
    docs = [doc("late", text, "2025-06-04"), doc("early", text, "2025-06-02"), doc("mid", text, "2025-06-03")]
    stats = deduplicate(docs, CFG)
    early, late, mid = sorted(docs, key=lambda d: d.id)
    assert early.status == "kept" and early.keep_reason == "earliest date 2025-06-02"
    assert early.cluster_size == 3 and early.cluster_id is not None and early.cluster_id.startswith("c-")
    for d in (late, mid):
        assert (d.status, d.duplicate_of, d.dup_kind, d.similarity) == ("duplicate", "early", "exact", 1.0)
    assert (stats.exact, stats.near, stats.contained, stats.clusters) == (2, 0, 0, 1)


def test_near_duplicate_with_new_headline_and_cut_paragraph() -> None:
    paras = paragraphs("library-reopens")
    original = doc("orig", "\n\n".join(["Marlow Falls library reopens", *paras]), "2025-09-06")
    reprint = doc(
        "copy", "\n\n".join(["Flood-hit library opens its doors again", *paras[:3], *paras[4:]]), "2025-09-07"
    )
    deduplicate([original, reprint], CFG)
    assert reprint.status == "duplicate" and reprint.duplicate_of == "orig" and reprint.dup_kind == "near"
    assert reprint.similarity is not None and 0.5 <= reprint.similarity < 1.0
    assert reprint.similarity == round(reprint.similarity, 4)


def test_teaser_is_the_duplicate_even_when_it_is_earlier() -> None:
    paras = paragraphs("fire-wire")
    full = doc("full", "\n\n".join(paras), "2025-08-12")
    teaser = doc("teaser", "\n\n".join(paras[:3]) + "…", "2025-08-11")
    assert len(teaser.text.split()) < 0.45 * len(full.text.split())
    stats = deduplicate([teaser, full], CFG)
    assert teaser.status == "duplicate" and teaser.duplicate_of == "full" and teaser.dup_kind == "contained"
    assert teaser.similarity is not None and teaser.similarity >= CFG.containment
    assert full.keep_reason == f"most complete ({len(full.text.split())} words)"
    assert stats.contained == 1


def test_no_chaining_every_member_is_similar_to_its_kept_document() -> None:
    # A = P1..P8, B = P3..P10, C = P5..P12: A~B and B~C (Jaccard about 0.6) but A !~ C.
    paras = paragraphs("drought-wire", "drought-farm")[:12]
    a = doc("a", "\n\n".join(paras[0:8]), "2025-03-20")
    b = doc("b", "\n\n".join(paras[2:10]), "2025-03-21")
    c = doc("c", "\n\n".join(paras[4:12]), "2025-03-22")
    sets = {d.id: set(shingle_hashes(fold_text(d.text), CFG.shingle).tolist()) for d in (a, b, c)}

    def jaccard(x: str, y: str) -> float:
        return len(sets[x] & sets[y]) / len(sets[x] | sets[y])

    assert jaccard("a", "b") >= 0.5 and jaccard("b", "c") >= 0.5 and jaccard("a", "c") < 0.5
    deduplicate([c, b, a], CFG)
    assert (a.status, b.status, b.duplicate_of) == ("kept", "duplicate", "a")
    assert c.status == "kept" and c.cluster_id is None  # nothing like A: not pulled in through B


def test_same_story_articles_sharing_quotes_stay_kept() -> None:
    docs = [doc(a.id, "\n\n".join([a.title, *a.paragraphs]), a.date) for a in ARTICLES.values()]
    stats = deduplicate(docs, CFG)
    assert all(d.status == "kept" for d in docs)
    assert stats.clusters == 0 and stats.candidate_pairs >= 0


def test_keep_policies_and_reasons() -> None:
    paras = paragraphs("layoffs-wire")
    longer = "\n\n".join([*paras, "Additional reporting by staff writers in Brennan Falls and the capital."])
    shorter = "\n\n".join(paras)

    def run(cfg: DedupConfig) -> dict[str, Document]:
        docs = [
            doc("local", longer, "2025-05-12", url="https://bftribune.example/a"),
            doc("wire", shorter, "2025-05-13", url="https://businessnewswire.example/b"),
        ]
        deduplicate(docs, cfg)
        return {d.id: d for d in docs}

    earliest = run(CFG)
    assert earliest["local"].status == "kept" and earliest["local"].keep_reason == "earliest date 2025-05-12"
    prio = run(replace(CFG, keep="priority", source_priority=("newswire",)))
    assert prio["wire"].status == "kept" and prio["wire"].keep_reason == "source priority: newswire"
    assert prio["local"].duplicate_of == "wire"
    longest = run(replace(CFG, keep="longest"))
    words = len(normalise_text(longer).split())
    assert longest["local"].status == "kept" and longest["local"].keep_reason == f"longest ({words} words)"


def test_ties_are_broken_by_id_not_input_position() -> None:
    text = "\n\n".join(paragraphs("election-council"))
    for order in (["b", "a", "c"], ["c", "b", "a"], ["a", "c", "b"]):
        docs = [doc(i, text, "2025-11-05") for i in order]
        deduplicate(docs, CFG)
        kept = [d.id for d in docs if d.status == "kept"]
        assert kept == ["a"]
        assert next(d for d in docs if d.id == "a").keep_reason == "tie: first by id"


def test_missing_or_unparseable_dates_come_last() -> None:
    text = "\n\n".join(paragraphs("bees-study"))
    docs = [
        doc("a-undated", text),
        doc("b-garbled", text, "last Tuesday"),
        doc("c-dated", text, "2025-06-09T10:00:00+02:00"),
    ]
    deduplicate(docs, CFG)
    assert [d.id for d in docs if d.status == "kept"] == ["c-dated"]
    assert parse_date("2025-06-09T10:00:00+02:00") == parse_date("2025-06-09T08:00:00Z")


def test_only_kept_documents_are_considered_and_others_untouched() -> None:
    text = "\n\n".join(paragraphs("bees-study"))
    rejected = doc("r", text, "2025-01-01")
    rejected.reject("too short")
    kept = doc("k", text, "2025-06-02")
    stats = deduplicate([rejected, kept], CFG)
    assert kept.status == "kept" and kept.cluster_id is None
    assert rejected.status == "rejected" and rejected.duplicate_of is None
    assert stats.documents == 1


def test_disabled_config_changes_nothing() -> None:
    text = "\n\n".join(paragraphs("bees-study"))
    docs = [doc("a", text), doc("b", text)]
    assert deduplicate(docs, replace(CFG, enabled=False)) == DedupStats()
    assert all(d.status == "kept" for d in docs)


def corpus_docs(seed: int = 7) -> tuple[list[dict[str, Any]], list[Document]]:
    rows = make_corpus.build_corpus(list(ARTICLES.values()), seed)
    return rows, score_dedup._documents(rows)


def test_precomputed_signatures_give_the_same_result_and_are_consumed() -> None:
    _, plain = corpus_docs()
    _, pre = corpus_docs()
    for d in pre:
        d.work["sig"] = minhash_signature(fold_text(d.text), num_perm=CFG.num_perm, shingle=CFG.shingle, seed=CFG.seed)
    assert deduplicate(plain, CFG) == deduplicate(pre, CFG)
    assert outcome(plain) == outcome(pre)
    assert all("sig" not in d.work for d in pre)


def test_signatures_gathered_in_rows_give_the_same_result() -> None:
    """Signatures moved into rows as documents finish (a few left on the record, as after
    a resumed chunk) decide exactly as per-record ones, and are let go."""
    from corpuskit.dedup import SignatureRows

    _, plain = corpus_docs()
    _, pre = corpus_docs()
    for d in pre:
        d.work["sig"] = minhash_signature(fold_text(d.text), num_perm=CFG.num_perm, shingle=CFG.shingle, seed=CFG.seed)
    stored = SignatureRows(CFG.num_perm, capacity=2)  # grows as rows come
    stored.take(pre[3:])
    assert all("sig" not in d.work and "sig_row" in d.work for d in pre[3:])
    assert deduplicate(plain, CFG) == deduplicate(pre, CFG, signatures=stored)
    assert outcome(plain) == outcome(pre)
    assert stored.rows == 0 and stored.matrix.size == 0
    assert not any({"sig", "sig_row"} & set(d.work) for d in pre)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    wanted=st.integers(0, 50),
    missing=st.integers(0, 5),
    seed=st.integers(0, 10_000),
    capacity=st.integers(1, 60),
)
def test_signature_rows_are_gathered_in_place_in_any_order(
    n: int, wanted: int, missing: int, seed: int, capacity: int
) -> None:
    """Any distinct rows in any order, some rows not wanted and some records without a row:
    each gathered row is the one taken, whatever the capacity (the matrix grows)."""
    from corpuskit.dedup import SignatureRows

    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 2**32, size=(n, 4), dtype=np.uint64).astype(np.uint32)
    docs = [Document(f"d{i}", "s", work={"sig": sigs[i]}) for i in range(n)]
    rows = SignatureRows(4, capacity=capacity)
    rows.take(docs)
    picked = rng.permutation(n)[: min(wanted, n)]
    order = np.concatenate([picked, np.full(missing, -1)]).astype(np.int64)
    rng.shuffle(order)
    got = rows.gather(order)
    assert got.shape == (len(order), 4)
    for i, r in enumerate(order.tolist()):
        if r >= 0:
            assert got[i].tolist() == sigs[r].tolist()
    assert rows.rows == 0


def test_output_does_not_depend_on_input_order() -> None:
    _, docs = corpus_docs()
    stats = deduplicate(docs, CFG)
    expected = outcome(docs)
    for seed in range(3):
        _, again = corpus_docs()
        random.Random(seed).shuffle(again)
        for k, d in enumerate(again):
            d.order = k
        assert deduplicate(again, CFG) == stats
        assert outcome(again) == expected


@pytest.mark.parametrize("seed", [3, 7])
def test_threads_compare_ahead_with_the_same_outcome_and_stats(seed: int) -> None:
    """With threads, every candidate pair is compared up front; the clustering, the
    similarities and the count of comparisons it asked for are those of one thread."""
    _, docs = corpus_docs(seed=seed)
    stats = deduplicate(docs, CFG)
    assert stats.verified_pairs > 0
    for threads in (2, 3):
        _, again = corpus_docs(seed=seed)
        assert deduplicate(again, CFG, threads=threads) == stats
        assert outcome(again) == outcome(docs)


def test_stats_and_cluster_fields_are_consistent() -> None:
    _, docs = corpus_docs(seed=3)
    stats = deduplicate(docs, CFG)
    dups = [d for d in docs if d.status == "duplicate"]
    heads = {d.id: d for d in docs if d.cluster_id}
    assert stats.duplicates == len(dups) == stats.exact + stats.near + stats.contained
    assert stats.clusters == len(heads)
    for d in dups:
        head = heads[d.duplicate_of or ""]
        assert head.status == "kept" and d.cluster_id is None
        if d.dup_kind == "near":
            assert d.similarity is not None and d.similarity >= CFG.threshold - 5e-5
    for h in heads.values():
        assert h.cluster_size == 1 + sum(d.duplicate_of == h.id for d in dups)
        assert h.keep_reason


@pytest.mark.parametrize("seed", [7, 11])
def test_scored_corpus_meets_the_targets(seed: int) -> None:
    rows, _ = corpus_docs(seed)
    result = score_dedup.score(rows, CFG)
    assert result["precision"] >= 0.98
    assert result["recall"] >= 0.95
    assert result["documents"] == len(ARTICLES) * len(make_corpus.VARIANTS) + 4  # + one roundup per story


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seed articles not available")
def test_seed_articles_all_stay_kept() -> None:
    assert [s for _, s in score_dedup.check_seeds(SEEDS, CFG)] == ["kept"] * 5
