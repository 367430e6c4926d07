"""Re-reported passages (corpuskit.passages): cases, look-alike articles, gold corpus, invariants."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuskit import align as A
from corpuskit import passages as P
from corpuskit.config import PassageConfig
from corpuskit.normalise import normalise_text
from corpuskit.passages import drop_passages, find_passages, passage_units
from corpuskit.records import Document, Passage

from .conftest import holes_free_blocks, load_script

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "cases"
LOOKALIKE = Path(__file__).parent / "data" / "passages" / "lookalike"


def _docs(rows: Sequence[dict[str, Any]]) -> list[Document]:
    return [
        Document(
            id=r["id"],
            source=f"{r['id']}.txt",
            text=r["text"],
            status=r.get("status", "kept"),
            date=r.get("date"),
        )
        for r in rows
    ]


def _grouped(passages: list[Passage]) -> list[str]:
    """Passages as comparable strings: {doc_id: [span texts in text order]}."""
    out = []
    for p in passages:
        m: dict[str, list[str]] = {}
        for s in p.sources:
            m.setdefault(s.doc_id, []).append(s.text)
        out.append(json.dumps(m, sort_keys=True, ensure_ascii=False))
    return sorted(out)


def _check_invariants(docs: Sequence[Document], passages: list[Passage], cfg: PassageConfig) -> None:
    by_id = {d.id: d for d in docs}
    refs: dict[str, list[tuple[str, int, int]]] = {d.id: [] for d in docs}
    ids = [p.passage_id for p in passages]
    assert len(set(ids)) == len(ids)
    assert [(-p.n_documents, p.passage_id) for p in passages] == sorted(
        (-p.n_documents, p.passage_id) for p in passages
    )
    for p in passages:
        assert p.n_documents >= 2
        assert p.passage_id.startswith("p-")
        c = p.canonical
        assert p.text == by_id[c["doc_id"]].text[c["start"] : c["end"]]
        assert c["reason"]
        assert any((s.doc_id, s.start, s.end) == (c["doc_id"], c["start"], c["end"]) for s in p.sources)
        assert [(s.doc_id, s.start) for s in p.sources] == sorted((s.doc_id, s.start) for s in p.sources)
        for s in p.sources:
            doc = by_id[s.doc_id]
            assert doc.status == "kept"
            assert doc.text[s.start : s.end] == s.text
            assert s.source == doc.source
            assert 0.0 < s.similarity <= 1.0
            assert "".join(t for op, t in s.diff if op != "-") == s.text
            # Spans start and end on whole words.
            assert s.text[:1].isalnum() and (s.start == 0 or not doc.text[s.start - 1].isalnum())
            assert s.end == len(doc.text) or not (doc.text[s.end - 1].isalnum() and doc.text[s.end].isalnum())
            refs[s.doc_id].append((p.passage_id, s.start, s.end))
    for d in docs:
        if d.status == "kept" and d.text:
            got = [(r.passage_id, r.start, r.end) for r in d.passages]
            assert got == sorted(refs[d.id], key=lambda r: (r[1], r[2], r[0]))
            assert [(r.start, r.end, r.passage_id) for r in d.passages] == sorted(
                (r.start, r.end, r.passage_id) for r in d.passages
            )


# ---------------------------------------------------------------------------------------
# behaviour cases
# ---------------------------------------------------------------------------------------

FIND_CASES = [json.loads(line) for line in (CASES / "passages_find.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("case", FIND_CASES, ids=lambda c: c["label"])
def test_find_cases(case: dict[str, Any]) -> None:
    docs = _docs(case["input"]["docs"])
    cfg = PassageConfig(**case["input"].get("config", {}))
    passages = find_passages(docs, cfg)
    want = sorted(json.dumps(m, sort_keys=True, ensure_ascii=False) for m in case["expected"])
    assert _grouped(passages) == want
    _check_invariants(docs, passages, cfg)


def _lookalike() -> list[Document]:
    return [
        Document(id=f.stem, source=str(f), text=normalise_text(f.read_text(encoding="utf-8")))
        for f in sorted(LOOKALIKE.glob("*.txt"))
    ]


def test_lookalike_articles() -> None:
    """Five invented articles built like the seeds: every shared statement, exact spans, nothing else.

    The post is printed three ways: as its own paragraph after a paraphrase of its first
    sentence (a), inside a longer paragraph opened with a straight quote mark (b), and
    joined to the sentence before it in one quotation (c).
    """
    docs = _lookalike()
    passages = find_passages(docs, PassageConfig())
    _check_invariants(docs, passages, PassageConfig())
    expected = [
        {
            "a_dispatch": [
                "have the makings and prospect of a great AGREEMENT for both nations.",
                "Their lead DELEGATION is on a train heading to the capital, and things are looking bright",
            ],
            "b_asiawire": [
                "have the makings and prospect of a great AGREEMENT for both nations.” adding, "
                '"Their lead DELEGATION is on a train heading to the capital, and things are looking bright'
            ],
            "c_ledger": [
                "have the makings and prospect of a great AGREEMENT for both nations. Their lead DELEGATION is on "
                "a train heading to the capital, and things are looking bright"
            ],
        },
        # Okafor's two sentences are two passages: a paragraph break in (a) separates them.
        {
            "a_dispatch": [
                "I expect you will see some very large economies with large trade deficits step forward very quickly"
            ],
            "d_herald": [
                "I expect you will see some very large economies with large trade deficits step forward very quickly"
            ],
        },
        {
            "a_dispatch": [
                "If they arrive at the table with serious proposals, I believe we can finish with some good agreements."
            ],
            "d_herald": [
                "If they arrive at the table with serious proposals, I believe we can finish with some good agreements."
            ],
        },
        # "Okafor said on Channel Nine" (5 words) is wider than a bridged gap: two passages.
        {
            "a_dispatch": ["what do we lose when Valdor raises duties on us?"],
            "d_herald": ["What do we lose when Valdor raises duties on us?"],
        },
        {
            "a_dispatch": ["We sell one fifth to them of what they sell to us. So that is a losing bet for them."],
            "d_herald": ["We sell one-fifth to them of what they sell to us, so that is a losing bet for them."],
        },
        {
            "a_dispatch": [
                "Valdor also wants to strike a deal, badly, but they don’t know how to get it going. "
                "We are waiting for their call"
            ],
            "d_herald": [
                "Valdor also wants to strike a deal, badly, but they don’t know how to get it going,” Marlow wrote. "
                "“We are waiting for their call."
            ],
        },
        {
            "a_dispatch": ["ONE STOP SHOPPING’” is a smart and tidy way to do business!!!"],
            "b_asiawire": ["one-stop shopping” is a smart and tidy way to do business."],
        },
        # A short quote inside a long paragraph (containment).
        {
            "b_asiawire": ["President Marlow is plainly prioritizing Estmark and Lunaria"],
            "e_daily": ["President Marlow is plainly prioritizing Estmark and Lunaria."],
        },
        # Reporter's text copied from (a) by (b) is re-reported text too.
        {
            "a_dispatch": ["Marlow said in a Wednesday morning post on Beacon, her social media platform."],
            "b_asiawire": ["Marlow said in a Wednesday morning post on Beacon, her social media platform."],
        },
    ]
    assert _grouped(passages) == sorted(json.dumps(m, sort_keys=True, ensure_ascii=False) for m in expected)
    post = next(p for p in passages if p.n_documents == 3)
    assert post.canonical["doc_id"] == "c_ledger"  # the variant with no unshared words
    assert post.canonical["reason"].startswith("complete:")
    # Not joined: the paraphrase in (e), the stock phrase, the quote sharing four words.
    texts = " ".join(s.text for p in passages for s in p.sources)
    for absent in ("firm offer", "trade surplus with Corvania", "steel mills", "It will come"):
        assert absent not in texts


def test_gold_corpus_scores() -> None:
    """Generated quotes with realistic edits: span precision and recall >= 0.95 (IoU 0.8)."""
    make = load_script("make_passage_corpus")
    score = load_script("score_passages")
    corpus = make.build(n_docs=240, n_statements=90, seed=11)
    docs = [Document(id=d["id"], source=d["id"], text=d["text"], date=d["date"]) for d in corpus.docs]
    s = score.score(docs, corpus.gold, PassageConfig())
    assert s.precision >= 0.95, score.report(s, 10)
    assert s.recall >= 0.95, score.report(s, 10)
    assert s.group_precision >= 0.95 and s.group_recall >= 0.95
    # Every kind of edit is exercised and found.
    for edit in ("quotes", "attribution:middle", "words", "merge", "truncate", "placement:inside", "repeat"):
        found, total = s.by_edit[edit]
        assert total > 0 and found / total >= 0.9, (edit, found, total)


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------

STATEMENTS = [
    "Valdor also wants to strike a deal, badly, but they don’t know how to get it going.",
    "We sell one fifth to them of what they sell to us, so that is a losing bet for them.",
    "The harbour will reopen for grain barges on the first of June if the river stays calm.",
    "I expect you will see some very large economies with large trade deficits step forward quickly.",
    "Nobody in the cabinet has asked us to slow the steel quota talks before the summer recess.",
]
FILLER = [
    "officials",
    "ports",
    "harbour",
    "rates",
    "freight",
    "court",
    "refinery",
    "permit",
    "vote",
    "quota",
    "steel",
    "grain",
    "silo",
    "northern",
    "western",
    "Monday",
    "Friday",
    "capital",
    "province",
    "council",
    "budget",
    "ruling",
    "appeal",
    "tanker",
]


@st.composite
def _corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(2, 6))
    rows = []
    for i in range(n):
        paras = []
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.booleans()):
                s = draw(st.sampled_from(STATEMENTS))
                o, c = draw(st.sampled_from([("“", "”"), ('"', '"'), ("‘", "’"), ("", "")]))
                if draw(st.booleans()):
                    words = s.split()
                    k = draw(st.integers(0, len(words) - 1))
                    words[k] = words[k].upper()
                    s = " ".join(words)
                if draw(st.booleans()):
                    s = s[: draw(st.integers(len(s) // 2, len(s)))]
                lead = draw(st.sampled_from(["", "Marlow said, ", "She added: "]))
                paras.append(f"{lead}{o}{s}{c}")
            else:
                words = draw(st.lists(st.sampled_from(FILLER), min_size=3, max_size=12))
                paras.append(" ".join(words).capitalize() + ".")
        status = draw(st.sampled_from(["kept", "kept", "kept", "duplicate"]))
        rows.append({"id": f"d{i}", "text": "\n\n".join(paras), "status": status, "date": f"2025-05-0{i + 1}"})
    return rows


def _snapshot(docs: Sequence[Document], passages: list[Passage]) -> tuple[Any, ...]:
    return (
        [p.to_dict() for p in passages],
        sorted((d.id, [r.to_dict() for r in d.passages]) for d in docs),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpora(), st.randoms(use_true_random=False), st.sampled_from(["complete", "medoid", "earliest"]))
def test_invariants_and_input_order(rows: list[dict[str, Any]], rnd: random.Random, policy: str) -> None:
    cfg = PassageConfig(canonical=policy)  # type: ignore[arg-type]
    docs = _docs(rows)
    passages = find_passages(docs, cfg)
    _check_invariants(docs, passages, cfg)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    docs2 = _docs(shuffled)
    assert _snapshot(docs2, find_passages(docs2, cfg)) == _snapshot(docs, passages)
    # Dropping: canonical spans stay, the rest is cut, and the log restores the text.
    before = {d.id: d.text for d in docs}
    drop_passages(docs, passages)
    _check_dropped(docs, passages, before)


def _grouped_whole(matches: list[Any]) -> list[list[int]]:
    return [list(range(len(matches)))] if matches else []


def _recorded_components(monkeypatch: pytest.MonkeyPatch) -> list[list[list[int]]]:
    """Every :func:`passages._components` result from now on, in the list returned."""
    parts: list[list[list[int]]] = []
    components = P._components
    monkeypatch.setattr(P, "_components", lambda m: parts.append(components(m)) or parts[-1])
    return parts


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_corpora())
def test_grouping_by_component(rows: list[dict[str, Any]]) -> None:
    """Grouping each component of the matches alone gives the passages of grouping all of
    them at once (what the grouper did before components were grouped apart)."""
    by_part = _snapshot(docs := _docs(rows), find_passages(docs, PassageConfig()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(P, "_components", _grouped_whole)
        whole = _snapshot(docs := _docs(rows), find_passages(docs, PassageConfig()))
    assert whole == by_part


def test_components_grouped_and_built_in_forked_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two quotes, each re-reported by its own pair of documents: two components of the
    same size, grouped and built side by side in forked processes."""
    rows = []
    for i in range(4):
        lead = " ".join(FILLER[6 * i : 6 * i + 6]).capitalize()
        rows.append({"id": f"d{i}", "text": f"{lead}.\n\nShe said: “{STATEMENTS[2 * (i // 2)]}” {lead}."})
    want = _snapshot(docs := _docs(rows), find_passages(docs, PassageConfig()))
    assert len(want[0]) == 2
    parts = _recorded_components(monkeypatch)
    monkeypatch.setattr(P, "_FORK_MIN_MATCHES", 0)
    got = _snapshot(docs := _docs(rows), find_passages(docs, PassageConfig(), workers=2))
    assert [len(p) for p in parts[0]] == [1, 1]
    assert got == want
    assert find_passages(_docs(rows[::2]), PassageConfig(), workers=2) == []  # no match at all


def test_gold_corpus_grouped_by_component(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = _recorded_components(monkeypatch)
    by_part = _snapshot(docs := _gold_docs(), find_passages(docs, PassageConfig()))
    assert len(parts[0]) > 1  # independent groupings
    monkeypatch.setattr(P, "_components", _grouped_whole)
    whole = _snapshot(docs := _gold_docs(), find_passages(docs, PassageConfig()))
    assert whole == by_part


@given(
    st.lists(st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 2**63, 2**64 - 1])), max_size=40),
    st.integers(1, 9),
)
@settings(deadline=None)  # the first example loads the kernels
def test_rolled_token_shingles_are_each_shingle_hashed_alone(keys: list[int], k: int) -> None:
    """The rolling hash gives, bit for bit, what hashing each run of k keys on its own gives
    (wrapping arithmetic), for any keys, any width, and texts shorter than a shingle."""
    arr = np.array(keys, dtype=np.uint64)
    want = [int(P._shingle(arr, s, k)) for s in range(len(keys) - k + 1)]
    assert P._token_shingles(arr, k).tolist() == want


def test_unit_shingles_left_out_of_parked_units_are_gathered_again_exactly() -> None:
    """A parked blob keeps neither token nor unit shingles; signing makes them again from
    the keys, for a block of documents at once: the same arrays as :func:`passage_units`
    makes for each (short units, long windowed ones, one-word texts)."""
    texts = [
        "Short one.",
        " ".join(f"w{i}" for i in range(90)),  # one long unit, cut into windows
        "A b.\n\nC d e f g h i j, k l m n o p q r s.\n\nT u.",
        "word",
    ]
    cfg = PassageConfig()
    blobs = [P._scan_blob(pu.tokens, pu.units) for pu in (passage_units(t, cfg) for t in texts)]
    at = np.cumsum([0] + [(len(b) + 7) // 8 * 8 for b in blobs])
    buf = np.zeros(int(at[-1]), dtype=np.uint8)
    for a, b in zip(at.tolist(), blobs, strict=False):
        buf[a : a + len(b)] = np.frombuffer(b, dtype=np.uint8)
    keys, ts, _, _, units_flat, _, counts = P._gather(buf, at[:-1].astype(np.int64), cfg.shingle)
    units = units_flat.reshape(-1, 2)
    off = P._unit_offsets(units, cfg.shingle)
    sizes = np.stack([counts[:, 0], counts[:, 1], counts[:, 4] // 2], axis=1)
    got = P._unit_shingles(keys, ts, units, sizes, off, cfg.shingle)
    want = np.concatenate([passage_units(t, cfg).shingles for t in texts])
    assert got.tolist() == want.tolist()
    assert ts.tolist() == np.concatenate([passage_units(t, cfg).token_shingles for t in texts]).tolist()
    assert len(passage_units(texts[1], cfg).units) > 1  # windows were cut


_PIECES = ["tariff", "port", "Minister", "a", "x.", "said:", "—", "“", "”", "1,000", "\n", "\n\n", "\n\n\n"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=120), min_size=2, max_size=4))
def test_state_blobs_fit_the_regions_reserved_for_them(texts: list[list[str]]) -> None:
    """Signing reserves each document's state region from its scan blob's size
    (``_state_bound``) and asserts the state fits; one document per block makes that a
    check of every document: short units, one-word paragraphs, runs of paragraph breaks."""
    docs = [Document(id=f"d{i}", source="s", text=" ".join(t).strip()) for i, t in enumerate(texts)]
    docs.append(Document(id="z", source="s", text=" ".join(_PIECES[:5] * 20)))  # one long text
    old = P._SIGN_BLOCK
    P._SIGN_BLOCK = 1
    try:
        find_passages([d for d in docs if d.text], PassageConfig())
    finally:
        P._SIGN_BLOCK = old


def _check_dropped(docs: Sequence[Document], passages: list[Passage], before: dict[str, str]) -> None:
    by_id = {d.id: d for d in docs}
    for p in passages:
        c = p.canonical
        assert by_id[c["doc_id"]].text[c["start"] : c["end"]] == p.text
        for s in p.sources:
            assert by_id[s.doc_id].text[s.start : s.end] == s.text
            if (s.doc_id, s.start, s.end) != (c["doc_id"], c["start"], c["end"]):
                assert s.start == s.end and s.text == ""
    for d in docs:
        refs = {(r.passage_id, r.start, r.end) for r in d.passages}
        mine = {(p.passage_id, s.start, s.end) for p in passages for s in p.sources if s.doc_id == d.id}
        assert refs == mine
        text = d.text
        for cut in reversed(d.meta.get("dropped_passages", [])):
            text = text[: cut["at"]] + cut["text"] + text[cut["at"] :]
        assert text == before[d.id]


# ---------------------------------------------------------------------------------------
# --passages drop
# ---------------------------------------------------------------------------------------


def test_drop_keeps_one_copy_of_each_passage() -> None:
    docs = _lookalike()
    passages = find_passages(docs, PassageConfig())
    before = {d.id: d.text for d in docs}
    drop_passages(docs, passages)
    _check_dropped(docs, passages, before)
    by_id = {d.id: d for d in docs}
    # The post survives only in its canonical article; quote marks around a cut go with it.
    assert "Their lead DELEGATION" in by_id["c_ledger"].text
    assert "Their lead DELEGATION" not in by_id["a_dispatch"].text
    assert "“”" not in by_id["a_dispatch"].text and '""' not in by_id["a_dispatch"].text
    assert "Their lead DELEGATION" not in by_id["b_asiawire"].text
    dropped = by_id["a_dispatch"].meta["dropped_passages"]
    assert [c["at"] for c in dropped] == sorted(c["at"] for c in dropped)
    assert any("ONE STOP SHOPPING" in c["text"] for c in dropped) or any(
        "one-stop shopping” is a smart" in c["text"] for c in by_id["b_asiawire"].meta.get("dropped_passages", [])
    )


def test_drop_with_a_self_repeating_canonical_article() -> None:
    s = STATEMENTS[2]
    docs = _docs(
        [
            {"id": "a", "text": f"“{s}” she said.\n\nLater: “{s}”"},
            {"id": "b", "text": f"Officials said on Monday: “{s}”"},
        ]
    )
    passages = find_passages(docs, PassageConfig())
    assert len(passages) == 1 and len(passages[0].sources) == 3
    before = {d.id: d.text for d in docs}
    drop_passages(docs, passages)
    _check_dropped(docs, passages, before)
    assert sum(d.text.count("grain barges") for d in docs) == 1


def test_drop_without_passages_changes_nothing() -> None:
    docs = _docs([{"id": "a", "text": "Nothing shared here at all."}])
    drop_passages(docs, [])
    assert docs[0].text == "Nothing shared here at all." and "dropped_passages" not in docs[0].meta


# ---------------------------------------------------------------------------------------
# options, ids, state
# ---------------------------------------------------------------------------------------


def _three_variants(dates: tuple[str, str, str]) -> list[Document]:
    s = "If they arrive at the table with serious proposals, I believe we can finish with some good agreements."
    return _docs(
        [
            {"id": "a", "text": f"“{s}”", "date": dates[0]},
            {"id": "b", "text": "“" + s.replace("I believe", "I really believe") + "”", "date": dates[1]},
            {"id": "c", "text": "“" + s.replace("some good", "some") + "”", "date": dates[2]},
        ]
    )


def test_canonical_policies_and_reasons() -> None:
    docs = _three_variants(("2025-05-03", "2025-05-01", "2025-05-02"))
    (p,) = find_passages(docs, PassageConfig(canonical="complete"))
    assert p.canonical["doc_id"] == "a" and p.canonical["reason"].startswith("complete:")
    (p,) = find_passages(docs, PassageConfig(canonical="medoid"))
    assert p.canonical["doc_id"] == "a" and p.canonical["reason"].startswith("medoid:")
    (p,) = find_passages(docs, PassageConfig(canonical="earliest"))
    assert p.canonical["doc_id"] == "b" and p.canonical["reason"] == "earliest: dated 2025-05-01"
    for s in p.sources:
        if s.doc_id == "a":
            assert ["-", "really "] in s.diff and s.similarity < 1.0
    undated = _three_variants(("", "", ""))
    (p,) = find_passages(undated, PassageConfig(canonical="earliest"))
    assert p.canonical["doc_id"] == "a" and p.canonical["reason"].startswith("earliest: no source is dated")


def test_passage_ids_are_content_hashes() -> None:
    docs = _three_variants(("2025-05-03", "2025-05-01", "2025-05-02"))
    (p,) = find_passages(docs, PassageConfig())
    renamed = _docs([{"id": f"x-{d.id}", "text": d.text} for d in docs])
    (q,) = find_passages(renamed, PassageConfig())
    assert p.passage_id == q.passage_id == P._passage_id(p.text)
    assert len(p.passage_id) == 2 + 2 * P._ID_BYTES


def test_boilerplate_in_most_documents_is_not_a_passage() -> None:
    line = "Sign up for our morning newsletter to get every trade story in your inbox."
    rows = [{"id": f"d{i:02d}", "text": f"Story number {i} about ports.\n\n{line}"} for i in range(12)]
    rows += [{"id": f"e{i:02d}", "text": f"Another item {i} on grain."} for i in range(8)]
    assert find_passages(_docs(rows), PassageConfig()) == []
    assert len(find_passages(_docs(rows), PassageConfig(max_doc_fraction=1.0))) == 1


def test_units_are_reused_and_recomputed_when_stale() -> None:
    docs = _lookalike()
    cfg = PassageConfig()
    for d in docs:
        d.work["units"] = passage_units(d.text, cfg)
    marker = docs[0].work["units"]
    first = _grouped(find_passages(docs, cfg))
    assert docs[0].work["units"] is marker
    docs[1].work["units"] = passage_units("stale text", cfg)
    assert _grouped(find_passages(docs, cfg)) == first  # the stale entry is not trusted
    # Nothing is stored either: units are most of the memory passage finding uses.
    assert docs[1].work["units"].fingerprint[0] == len("stale text")
    fresh = _lookalike()
    assert _grouped(find_passages(fresh, cfg)) == first
    assert not any("units" in d.work for d in fresh)


def test_nothing_to_compare() -> None:
    assert find_passages([], PassageConfig()) == []
    one = _docs([{"id": "a", "text": STATEMENTS[0]}])
    assert find_passages(one, PassageConfig()) == [] and one[0].passages == []
    rejected = _docs([{"id": "a", "text": STATEMENTS[0]}, {"id": "b", "text": STATEMENTS[0], "status": "rejected"}])
    assert find_passages(rejected, PassageConfig()) == []


@pytest.mark.skipif(not A.HAVE_NUMBA, reason="the compiled kernels need numba")
def test_python_kernels_give_the_same_passages(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _lookalike()
    want = [p.to_dict() for p in find_passages(docs, PassageConfig())]
    for mod in (A, P):
        for name, obj in list(vars(mod).items()):
            if hasattr(obj, "py_func"):
                monkeypatch.setattr(mod, name, A.python_kernel(obj.py_func))
    docs = _lookalike()
    assert [p.to_dict() for p in find_passages(docs, PassageConfig())] == want


# ---------------------------------------------------------------------------------------
# out of core: the same passages however the work is split, spilled and cached
# ---------------------------------------------------------------------------------------


def _gold_docs() -> list[Document]:
    corpus = load_script("make_passage_corpus").build(n_docs=160, n_statements=60, seed=5)
    return [Document(id=d["id"], source=d["id"], text=d["text"], date=d["date"]) for d in corpus.docs]


def test_same_passages_however_the_work_is_split(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from corpuskit.spill import TextSpill

    want = _snapshot(docs := _gold_docs(), find_passages(docs, PassageConfig()))
    assert len(want[0]) > 20
    # Counting on disk partitions, signatures in many small blocks signed in forked
    # processes, candidate pairs in passes on threads, a cache that holds about one
    # document (every lookup reads the state file again), and alignment and building in
    # forked processes.
    monkeypatch.setattr(P, "_COUNT_BUFFER", 1000)
    monkeypatch.setattr(P, "_SIGN_BLOCK", 64)
    monkeypatch.setattr(P, "_CACHE_BYTES", 1)
    monkeypatch.setattr(P, "_PAIR_PASS_UNITS", 500)  # candidate pairs found in several passes
    monkeypatch.setattr(P, "_FORK_MIN_PAIRS", 0)  # aligned, grouped and built in forked processes
    monkeypatch.setattr(P, "_FORK_MIN_MATCHES", 0)
    monkeypatch.setattr(P, "_FORK_MIN_GROUPS", 0)
    docs = _gold_docs()
    got = find_passages(docs, PassageConfig(), workers=2, scratch_dir=tmp_path)
    assert _snapshot(docs, got) == want
    assert list(tmp_path.iterdir()) == []  # scratch files are anonymous: nothing left behind
    # Texts parked on disk (as a run parks them) give the same passages too.
    with TextSpill(tmp_path) as spill:
        docs = _gold_docs()
        spill.park_all(docs)
        assert all(d.text == "" for d in docs)
        got = find_passages(docs, PassageConfig())
        assert _snapshot(docs, got) == want
        drop_passages(docs, got)  # rewritten texts stay parked, offsets follow them
        for p in got:
            for s in p.sources:
                assert next(d for d in docs if d.id == s.doc_id).read_text()[s.start : s.end] == s.text


def test_shingles_counted_by_a_helper_alongside_a_job(tmp_path: Path) -> None:
    """Deduplication runs here while a helper process (forked before the records existed)
    counts the shingles of every document kept before it; the counts of those it takes out
    are then taken away. The passages are those of running the job first, however the
    counting went: in the helper, here after the helper died, or here after the job when
    some document has no units parked."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor

    from corpuskit.passages import UNITS_KEY, park_units
    from corpuskit.spill import TextSpill

    def drop_some(docs: list[Document]) -> None:
        for d in docs[::4]:  # some of them hold shared statements
            d.status = "duplicate"

    docs = _gold_docs()
    drop_some(docs)
    want = _snapshot(docs, find_passages(docs, PassageConfig()))
    assert len(want[0]) > 20
    with TextSpill(tmp_path) as spill:
        for case in ("helper", "dead helper", "not all parked"):
            helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            helper.submit(P.warm_scan).result()
            if case == "dead helper":
                os.kill(next(iter(helper._processes)), signal.SIGKILL)  # type: ignore[attr-defined]
            docs = _gold_docs()
            park_units(docs if case != "not all parked" else docs[1:], PassageConfig(), spill)
            ran_in: list[int] = []

            def job(docs: list[Document] = docs, ran_in: list[int] = ran_in) -> None:
                ran_in.append(os.getpid())
                drop_some(docs)

            got = find_passages(docs, PassageConfig(), workers=2, scratch_dir=tmp_path, alongside=job, helper=helper)
            assert helper._shutdown_thread, case  # type: ignore[attr-defined]  # let go before the passages
            assert ran_in == [os.getpid()], case  # here: its marks are what the passages go by
            assert _snapshot(docs, got) == want, case
            assert not any(UNITS_KEY in d.work for d in docs)
    # A job that fails: its error comes out here (the helper is its owner's to stop).
    helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    with TextSpill(tmp_path) as spill:
        docs = _gold_docs()
        park_units(docs, PassageConfig(), spill)

        def fail() -> None:
            raise ValueError("deduplication failed")

        with pytest.raises(ValueError, match="deduplication failed"):
            find_passages(docs, PassageConfig(), workers=2, alongside=fail, helper=helper)
    helper.shutdown(cancel_futures=True)


def test_counts_taken_away_are_exactly_those_of_the_rest(tmp_path: Path) -> None:
    from corpuskit.passages import park_units
    from corpuskit.spill import TextSpill

    with TextSpill(tmp_path) as spill:
        docs = _gold_docs()
        park_units(docs, PassageConfig(), spill)
        rows = P._parked_rows(docs, PassageConfig())
        assert rows is not None
        gone = np.zeros(len(docs), dtype=bool)
        gone[::4] = True
        _, keys, counts = P.scan_parked(rows, PassageConfig().shingle, tmp_path)
        _, rest_keys, rest_counts = P.scan_parked(rows[~gone], PassageConfig().shingle, tmp_path)
        assert rest_keys.shape[0] < keys.shape[0]  # some shingles fell to DF_DAMP or below
        got, want = P._Frequent(keys, counts), P._Frequent(rest_keys, rest_counts)
        got.less(P._token_shingles_of(rows[gone], PassageConfig().shingle))
        everything = np.concatenate([keys, np.arange(50, dtype=np.uint64)])  # and some never seen
        assert got(everything).tolist() == want(everything).tolist()
    d = P.DF_DAMP  # shingle 0 is counted aside
    freq = P._Frequent(np.array([0, 5, 7], dtype=np.uint64), np.array([d + 2, d + 4, d + 1], dtype=np.int64))
    freq.less(np.array([0, 0, 5, 7, 7, 9], dtype=np.uint64))  # 9 was never over: nothing to take
    assert freq(np.array([0, 5, 7, 9], dtype=np.uint64)).tolist() == [1, d + 3, 1, 1]


def test_units_parked_by_workers_give_the_same_passages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Units the pipeline's workers made and parked (some documents only, as after a
    resume) are used in place of tokenising again, with the same result; units made with
    other settings, or from a text since rewritten, are not trusted."""
    import multiprocessing

    from corpuskit.passages import UNITS_KEY, park_units
    from corpuskit.spill import TextSpill

    want = _snapshot(docs := _gold_docs(), find_passages(docs, PassageConfig()))
    with TextSpill(tmp_path) as spill:
        docs = _gold_docs()
        half = len(docs) // 2
        # Made in a forked process, as a pool worker makes them: the handles come back pickled.
        with multiprocessing.get_context("fork").Pool(1) as pool:
            done = pool.apply(_park_in_worker, (docs[:half], spill))
        docs[:half] = done
        park_units(docs[half : half + 10], PassageConfig(shingle=4), spill)  # other settings
        assert all(UNITS_KEY in d.work for d in docs[: half + 10])
        spill.park_all(docs)
        made: list[str] = []
        real = P._units_and_shingles
        monkeypatch.setattr(P, "_units_and_shingles", lambda text, cfg: made.append(text) or real(text, cfg))
        got = find_passages(docs, PassageConfig(), scratch_dir=tmp_path)
        monkeypatch.undo()
        assert _snapshot(docs, got) == want
        assert len(made) == len(docs) - half  # the parked units were read, not made again
        assert not any(UNITS_KEY in d.work for d in docs)  # handles are let go
        doc = docs[0]
        park_units([doc], PassageConfig(), spill)
        doc.replace_text("Something else entirely.")
        assert UNITS_KEY not in doc.work


@pytest.mark.parametrize("helper", [False, True])
def test_the_disk_under_parked_units_is_given_back_once_they_are_signed(tmp_path: Path, helper: bool) -> None:
    """The packed units are read once, to be signed; after that the spill file holds only
    the texts (where the filesystem can punch holes). The passages are the same. With a
    helper counting beside a job that takes documents out, theirs are given back too."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from corpuskit.passages import park_units
    from corpuskit.spill import TextSpill

    def drop_some(docs: list[Document]) -> None:
        for d in docs[::4]:
            d.status = "duplicate"

    docs = _gold_docs()
    if helper:
        drop_some(docs)
    want = _snapshot(docs, find_passages(docs, PassageConfig()))
    with TextSpill(tmp_path) as spill:
        docs = _gold_docs()
        park_units(docs, PassageConfig(), spill)  # as the workers do: units first, then texts
        os.fsync(spill.fileno())
        units = os.fstat(spill.fileno()).st_blocks * 512
        spill.park_all(docs)
        os.fsync(spill.fileno())
        texts = os.fstat(spill.fileno()).st_blocks * 512 - units
        assert units > 2 * texts  # token keys and offsets: several times the text
        if helper:
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            got = find_passages(
                docs, PassageConfig(), workers=2, scratch_dir=tmp_path, alongside=lambda: drop_some(docs), helper=pool
            )
            pool.shutdown()
        else:
            got = find_passages(docs, PassageConfig(), workers=2, scratch_dir=tmp_path)
        assert _snapshot(docs, got) == want
        left = os.fstat(spill.fileno()).st_blocks * 512 - texts
        if holes_free_blocks(tmp_path):
            assert left < units // 20, (units, left)  # what a block shared with a text keeps
        assert [d.read_text() for d in docs] == [d.read_text() for d in _gold_docs()]


def _park_in_worker(docs: list[Document], spill: Any) -> list[Document]:
    from corpuskit.passages import park_units

    park_units(docs, PassageConfig(), spill)
    return docs


def test_counts_are_exact_in_memory_and_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(1, 400, size=20_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    want = {int(v): int(c) for v, c in zip(*np.unique(values, return_counts=True), strict=True)}
    for buffer in (1 << 22, 777):
        monkeypatch.setattr(P, "_COUNT_BUFFER", buffer)
        scratch = P._Scratch(None)
        counts = P._Counts(scratch)
        for lo in range(0, values.shape[0], 1000):
            counts.add(values[lo : lo + 1000])
        freq = P._Frequent(*counts.over(P.DF_DAMP))
        got = freq(np.array(sorted(want), dtype=np.uint64)).tolist()
        assert got == [c if c > P.DF_DAMP else 1 for _, c in sorted(want.items())]
        assert freq(np.array([0, 12345], dtype=np.uint64)).tolist() == [1, 1]  # never seen
        # On disk: one scratch file for every round and part, emptied once counted.
        assert len(scratch.files) == (0 if buffer > values.shape[0] else 1)
        assert all(os.fstat(fh.fileno()).st_size == 0 for fh in scratch.files)
        scratch.close()


def test_scratch_directory_that_cannot_be_written(tmp_path: Path) -> None:
    from corpuskit.errors import OutputError

    with pytest.raises(OutputError, match="passage scratch"):
        find_passages(_lookalike(), PassageConfig(), scratch_dir=tmp_path / "missing")


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_agreement_counted_by_column_group_on_threads(tmp_path: Path, threads: int) -> None:
    """Pairs' agreeing signature values, counted a column group at a time on threads that
    each keep a count of their own, in buffers used again group after group, are the
    plain count; the last group may be narrower than the rest."""
    import tempfile

    from corpuskit.spill import pwrite_all

    rng = np.random.default_rng(3)
    num_perm, rows, sizes = 20, 3, [7, 12, 5]  # groups of 3 columns, the last of 2
    sigs = rng.integers(0, 4, size=(sum(sizes), num_perm), dtype=np.uint32)  # many agree
    with tempfile.TemporaryFile(dir=tmp_path) as fh:
        signed = P._Signed([fh], sizes, [0] * len(sizes), num_perm, rows)
        u0 = 0
        for n in sizes:  # laid out as _sign_units writes them
            for g in range(signed.groups):
                cols = np.ascontiguousarray(sigs[u0 : u0 + n, g * rows : (g + 1) * rows])
                pwrite_all(fh.fileno(), cols, (u0 * num_perm + n * g * rows) * 4)
            u0 += n
        lo = rng.integers(0, u0, size=500).astype(np.int32)
        hi = rng.integers(0, u0, size=500).astype(np.int32)
        got = P._agreeing(signed, lo, hi, threads)
    assert got.tolist() == (sigs[lo] == sigs[hi]).sum(axis=1).tolist()


def test_band_keys_with_ids_are_lsh_band_keys_of_shared_buckets() -> None:
    """The kernel yields the LSH band key (with the unit id below) of every live unit whose
    bucket another live unit shares; singletons it lets through are few and harmless (a
    bucket of one makes no pair)."""
    from collections import Counter

    from corpuskit.lsh import _filter_bits, band_keys

    rng = np.random.default_rng(7)
    sigs = rng.integers(0, 2**32, size=(5000, 6), dtype=np.uint64).astype(np.uint32)
    sigs[4000:] = sigs[rng.integers(0, 4000, size=1000)]  # 1000 units share all bands with another
    live = rng.random(5000) < 0.9
    bits = 13
    low = np.uint64((1 << bits) - 1)
    # The bit filters are used again from band to band: what the last band left in them
    # (here: every bit set) must not leak into the next.
    nbytes = (1 << _filter_bits(5000)) >> 3
    once, twice = np.full(nbytes, 255, dtype=np.uint8), np.full(nbytes, 255, dtype=np.uint8)
    for band in range(3):
        keys = (band_keys(sigs, band, 2) & ~low) | np.arange(5000, dtype=np.uint64)
        buckets = Counter((keys[live] & ~low).tolist())
        shared = [int(k) for k, ok in zip(keys, live, strict=True) if ok and buckets[int(k) & ~int(low)] > 1]
        cols = np.ascontiguousarray(sigs[:, 2 * band : 2 * band + 2])
        got = P._band_keys_with_ids(cols, band, bits, live, once, twice)
        assert set(shared) <= set(got.tolist()) <= set(keys[live].tolist())
        assert np.all(np.diff((got & low).astype(np.int64)) > 0)  # in unit order
        assert len(got) - len(shared) < 0.1 * live.sum()


def test_what_forked_processes_hand_back_pickles_to_equal_records() -> None:
    """Alignments, matches, passages and their sources come back from forked processes
    pickled by their constructors (:meth:`__reduce__`): every field survives."""
    import pickle

    from corpuskit.align import Alignment
    from corpuskit.records import SourceSpan

    al = Alignment(3, 9, 40, 47, ((3, 40, 4), (7, 45, 2)))
    match = P._Match(0, 5, al, al.swapped())
    span = SourceSpan("d1", "feed.jsonl", 10, 42, "a quoted line", 0.93, [["-", "a"], ["+", "the"]])
    passage = Passage("p-abc", "a quoted line", {"doc_id": "d1", "start": 10, "end": 42}, [span])
    for obj in (al, match, span, passage):
        back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == obj and type(back) is type(obj)
