"""The HTML report: structure, escaping, data it embeds, scale. No browser here (see
``test_report_browser.py``)."""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corpuskit.report as report
from corpuskit.errors import InputError
from corpuskit.normalise import fold_text
from corpuskit.records import Document, Passage, PassageRef, SourceSpan
from corpuskit.report import context_snippet, mark_spelling, render_report, word_diff, write_report

from .conftest import report_data

CASES = Path(__file__).parent / "cases" / "report.jsonl"

# --------------------------------------------------------------------------- fixtures
# Three different articles of our own quoting one public post with small changes, a reprint,
# a teaser, two rejections and an article that tries to inject script into the report.

TEAM = "Their top TEAM is on a plane heading to the U.S., and things are looking good"

ARTICLE_A = (
    "Seoul sends negotiators as tariff deadline nears\n\n"
    "South Korea's trade ministry said on Tuesday that a delegation led by its industry minister would fly "
    "to Washington this week, the first of the large exporters to open formal talks since the new duties "
    "were announced.\n\n"
    "Shortly after a phone call with the acting president, the US president wrote on his social network: "
    f"\u201c{TEAM}.\u201d He did not say which officials would attend.\n\n"
    "Analysts in Seoul said the visit was meant to buy time for carmakers and chip producers, whose shipments "
    "to the United States face the steepest increases under the new schedule."
)
ARTICLE_B = (
    "Markets steady as allies line up for talks\n\n"
    "Asian shares edged higher on Wednesday as investors bet that a wave of bilateral talks would soften the "
    'tariffs that rattled markets last week. "We had a great call," the president told reporters. '
    '"Their top team is on a plane heading to the US and things are looking good," he added, without '
    "giving a date for the meeting.\n\n"
    "The won rose 0.4 percent against the dollar, and the benchmark index in Seoul closed up 1.1 percent."
)
ARTICLE_C = (
    "Exporters cautious despite upbeat message from Washington\n\n"
    "Trade groups in Busan said their members would wait for details before changing shipping plans.\n\n"
    "Their top TEAM is on a plane heading to the U.S., and things are looking very good\n\n"
    "That was how the president summed up the state of talks on Tuesday, in a post that lifted shipping "
    "stocks in afternoon trade."
)
REPRINT_A = ARTICLE_A.replace(
    "Seoul sends negotiators as tariff deadline nears", "Korean delegation heads to Washington"
).replace("He did not say which officials would attend.", "He did not say which officials would attend, or when.")
TEASER_A = ARTICLE_A[: len(ARTICLE_A) * 2 // 5].rsplit(" ", 1)[0]

PAYLOAD_TEXT = (
    "A reader wrote in with a strange comment: <script>window.pwned = 'script'; alert(1)</script> and then "
    "<img src=x onerror=\"window.pwned = 'img'; alert(2)\"> followed by </script><script>window.pwned='close'</script> "
    "and an HTML comment opener <!-- that must stay text. The newsroom replied that the portal quoted the minister "
    "as saying every shipment would be inspected twice before it leaves the harbour gates."
)
PAYLOAD_OTHER = (
    "Officials repeated that every shipment would be inspected twice before it leaves the harbour gates, "
    "according to a statement <b>published</b> on Friday."
)


def _span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def _source(doc: Document, needle: str, canonical: str, *, sim: float, diff: bool = True) -> SourceSpan:
    start, end = _span(doc.text, needle)
    variant = doc.text[start:end]
    return SourceSpan(
        doc_id=doc.id,
        source=doc.source,
        start=start,
        end=end,
        text=variant,
        similarity=sim,
        diff=word_diff(canonical, variant) if diff else [],
    )


def build_fixture() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Records as a run would write them (``to_dict()``), plus a manifest."""
    a = Document(
        "harbor-post/seoul-talks.txt",
        "samples/sites/harbor-post/seoul-talks.txt",
        title="Seoul sends negotiators as tariff deadline nears",
        date="2025-04-08",
        sitename="Harbor Post",
        lang="en",
        text=ARTICLE_A,
        url="https://harbor-post.example/2025/04/seoul-talks",
        authors=["Mina Park"],
    )
    b = Document(
        "wire-0412",
        "samples/wire.jsonl",
        source_line=2,
        title="Markets steady as allies line up for talks",
        date="2025-04-09",
        sitename="Meridian Wire",
        lang="en",
        text=ARTICLE_B,
        url="https://meridianwire.example/markets-steady",
    )
    c = Document(
        "crawl.warc.gz#2",
        "samples/crawl.warc.gz",
        title="Exporters cautious despite upbeat message from Washington",
        date="2025-04-08",
        sitename="Busan Ledger",
        lang="en",
        text=ARTICLE_C,
        url="https://busan-ledger.example/exporters",
    )
    a.cluster_id, a.cluster_size, a.keep_reason = "c-3f2a9e", 3, "earliest date 2025-04-08"
    reprint = Document(
        "bay-times/korea-delegation.txt",
        "samples/sites/bay-times/korea-delegation.txt",
        title="Korean delegation heads to Washington",
        date="2025-04-09",
        lang="en",
        text=REPRINT_A,
        status="duplicate",
        duplicate_of=a.id,
        similarity=0.8731,
        dup_kind="near",
    )
    teaser = Document(
        "feed.jsonl.gz:3",
        "samples/feed.jsonl.gz",
        source_line=3,
        title="Seoul sends negotiators",
        date="2025-04-08",
        lang="en",
        text=TEASER_A,
        status="duplicate",
        duplicate_of=a.id,
        similarity=0.9712,
        dup_kind="contained",
    )
    xss = Document(
        "portal/letters.html",
        "samples/sites/portal/letters.html",
        title="<script>window.pwned='title'</script>Letters",
        date="2025-04-10",
        lang="en",
        text=PAYLOAD_TEXT,
        url="javascript:window.pwned='url'",
        sitename="<img src=x onerror=\"window.pwned='site'\">",
    )
    other = Document(
        "wire-0413",
        "samples/wire.jsonl",
        source_line=3,
        title="Inspections to double at harbour gates",
        date="2025-04-11",
        lang="en",
        text=PAYLOAD_OTHER,
    )
    bad_json = Document("wire.jsonl:5", "samples/bad/wire.jsonl", source_line=5).reject(
        "not JSON: unexpected character"
    )
    login = Document("bad/login.html", "samples/bad/login.html").reject("no article text")

    canonical = a.text[slice(*_span(a.text, TEAM + "."))]
    team = Passage(
        passage_id="p-5c1e0b7a",
        text=canonical,
        canonical={
            "doc_id": a.id,
            "start": _span(a.text, canonical)[0],
            "end": _span(a.text, canonical)[1],
            "reason": "most complete variant (17 words), closest to the others",
        },
        sources=[
            _source(
                b, "Their top team is on a plane heading to the US and things are looking good", canonical, sim=0.94
            ),
            _source(a, canonical, canonical, sim=1.0),
            _source(
                c,
                "Their top TEAM is on a plane heading to the U.S., and things are looking very good",
                canonical,
                sim=0.96,
                diff=False,
            ),
        ],
    )
    inspect = Passage(
        passage_id="p-09d4c2aa",
        text="every shipment would be inspected twice before it leaves the harbour gates",
        canonical={"doc_id": xss.id, "start": 0, "end": 0, "reason": "earliest date"},
        sources=[],
    )
    for doc in (xss, other):
        s, e = _span(doc.text, inspect.text)
        inspect.sources.append(SourceSpan(doc.id, doc.source, s, e, doc.text[s:e], 1.0, [["=", doc.text[s:e]]]))
    inspect.canonical["start"], inspect.canonical["end"] = inspect.sources[0].start, inspect.sources[0].end
    for p in (team, inspect):
        for s in p.sources:
            doc = {d.id: d for d in (a, b, c, xss, other)}[s.doc_id]
            doc.passages.append(PassageRef(p.passage_id, s.start, s.end))

    docs = [a, b, c, reprint, teaser, xss, other, bad_json, login]
    manifest = {
        "corpuskit": "0.1.0",
        "inputs": ["samples"],
        "config": {"dedup": {"threshold": 0.5}, "passages": {"mode": "mark"}},
        "counts": {
            "read": 9,
            "kept": 5,
            "duplicate": 2,
            "rejected": 2,
            "duplicate_by_kind": {"exact": 0, "near": 1, "contained": 1},
            "rejected_by_reason": {"not JSON": 1, "no article text": 1},
            "passages": 2,
            "clusters": 1,
        },
        "languages": {"en": 7},
        "timings": {"read+extract": 0.412, "templates": 0.003, "dedup": 0.051, "passages": 0.127, "write": 0.009},
    }
    return [d.to_dict() for d in docs], [team.to_dict(), inspect.to_dict()], manifest


@pytest.fixture(scope="module")
def page() -> str:
    docs, passages, manifest = build_fixture()
    return render_report(docs, passages, manifest)


# --------------------------------------------------------------------------- structure


def test_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no external src/href, no stylesheet links, no imports.
    for attr in re.findall(r'\b(?:src|href|action)\s*=\s*"([^"]*)"', page):
        assert attr.startswith(("data:", "#")), attr
    assert '<link rel="stylesheet"' not in page
    assert "@import" not in page
    assert "{{" not in page  # every placeholder filled


def test_csp_allows_only_the_report_script(page: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]


def test_overview_counts_languages_charts_timings(page: str) -> None:
    overview = page.split('id="overview"', 1)[1].split('id="toolbar"', 1)[0]
    text = re.sub(r"<[^>]+>", " ", overview)
    for needle in (
        "records read",
        "duplicates",
        "near 1",
        "contained 1",
        "not JSON 1",
        "no article text 1",
        "re-reported passages",
    ):
        assert needle in text, needle
    assert "Languages" in text and " en " in text
    assert overview.count("<svg") == 2  # passages by sources, cluster sizes
    assert "read+extract" in text and "0.41 s" in text
    # Bars: one passage with 3 sources, one with 2; one cluster of 3 documents.
    assert "<title>3 sources: 1</title>" in overview and "<title>2 sources: 1</title>" in overview
    assert "<title>3 documents: 1</title>" in overview


def test_counts_fall_back_to_the_records_without_manifest() -> None:
    docs, passages, _ = build_fixture()
    page = render_report(docs, passages, {})
    text = re.sub(r"<[^>]+>", " ", page.split('id="overview"', 1)[1].split('id="toolbar"', 1)[0])
    assert re.search(r"\b9\s+records read", text)
    assert re.search(r"\b2\s+duplicates\s+contained 1 · near 1", text)
    assert "not JSON 1" in text and "Not recorded." in text  # no timings in an empty manifest


def test_render_is_deterministic() -> None:
    docs, passages, manifest = build_fixture()
    assert render_report(docs, passages, manifest) == render_report(iter(docs), iter(passages), manifest)


# --------------------------------------------------------------------------- embedded data


def test_passages_most_reported_first_with_every_source(page: str) -> None:
    data = report_data(page)
    ids = [d["id"] for d in data["docs"]]
    team, inspect = data["passages"]
    assert (team["id"], team["n"], inspect["n"]) == ("p-5c1e0b7a", 3, 2)
    assert team["text"].startswith("Their top TEAM") and "most complete" in team["why"]
    names = [ids[s["d"]] for s in team["s"]]
    assert names[0] == "harbor-post/seoul-talks.txt" and team["s"][0]["can"] == 1  # canonical first
    assert names[1:] == ["crawl.warc.gz#2", "wire-0412"]  # then by similarity


def test_source_rows_carry_diff_and_context(page: str) -> None:
    data = report_data(page)
    docs = {d["id"]: d for d in data["docs"]}
    by_doc = {data["docs"][s["d"]]["id"]: s for s in data["passages"][0]["s"]}
    wire = by_doc["wire-0412"]
    assert ["-", "U.S., "] in wire["diff"] and ["+", "US "] in wire["diff"]
    # Same word, other spelling: not a change of wording, but shown with the canonical form.
    assert ["~", "team ", "TEAM"] in wire["diff"] and wire["diff"][-1] == ["~", "good", "good."]
    # Context: the text just around the span, and the span is exactly what the document says.
    text = docs["wire-0412"]["text"]
    assert wire["pre"].endswith('told reporters. "') and wire["post"].startswith('," he added')
    assert text[wire["a"] : wire["b"]] == "".join(x[1] for x in wire["diff"] if x[0] != "-")
    # A source without a diff got one computed here.
    busan = by_doc["crawl.warc.gz#2"]
    assert busan["diff"] and any(op == "+" and "very" in t for op, t in busan["diff"])


def test_cluster_members_carry_full_text(page: str) -> None:
    docs = {d["id"]: d for d in report_data(page)["docs"]}
    kept = docs["harbor-post/seoul-talks.txt"]
    assert kept["cl"] == "c-3f2a9e" and kept["text"] == ARTICLE_A
    assert docs["feed.jsonl.gz:3"]["kind"] == "contained" and docs["feed.jsonl.gz:3"]["of"] == kept["id"]
    assert docs["bay-times/korea-delegation.txt"]["text"] == REPRINT_A
    assert docs["bad/login.html"]["rr"].startswith("no article text")


def test_text_budget_keeps_cluster_members_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "FULL_TEXT_BUDGET", 1500)
    docs, passages, manifest = build_fixture()
    data = report_data(render_report(docs, passages, manifest))
    rows = {d["id"]: d for d in data["docs"]}
    assert data["over_budget"] is True
    assert rows["bay-times/korea-delegation.txt"]["text"] == REPRINT_A  # needed by the side-by-side diff
    assert "text" not in rows["wire-0412"] and rows["wire-0412"]["lead"].endswith("…")
    assert len(rows["wire-0412"]["lead"]) <= report.LEAD_CHARS + 1


# --------------------------------------------------------------------------- escaping


def test_corpus_markup_never_reaches_the_page_as_markup(page: str) -> None:
    # Exactly our own two script elements; no corpus tag survives anywhere in the page.
    assert len(re.findall(r"<script\b", page, re.I)) == 2
    assert len(re.findall(r"</script", page, re.I)) == 2
    for needle in ("<img", "<b>published", "<!-- that", "window.pwned='title'</script>"):
        assert needle not in page, needle
    # ...yet the text is all there, to be shown as text.
    data = report_data(page)
    xss = next(d for d in data["docs"] if d["id"] == "portal/letters.html")
    assert "<script>window.pwned = 'script'" in xss["text"] and xss["title"].startswith("<script>")
    assert xss["url"] == "javascript:window.pwned='url'"  # kept as data; the page never links it


def test_json_block_escapes_every_angle_bracket() -> None:
    tricky = "</SCRIPT ><!--<script>\u2028\u2029"
    out = report._json_for_script({"t": tricky}).decode("utf-8")
    assert "<" not in out and "\u2028" not in out and json.loads(out) == {"t": tricky}


def test_overview_strings_are_escaped() -> None:
    manifest = {
        "corpuskit": "<b>v</b>",
        "inputs": ["<img src=x onerror=alert(1)>"],
        "languages": {"<i>xx</i>": 2},
        "timings": {"<script>": 1.0},
        "config": {"k": "</pre><script>alert(1)</script>"},
    }
    page = render_report([], [], manifest)
    assert "<img" not in page and "<i>xx" not in page and "<b>v" not in page
    assert len(re.findall(r"<script\b", page)) == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


_hostile = st.text(alphabet=st.sampled_from(list("<>/!-'\"& =scriptSCRIPTimgonerror\u2028\u2029\n")), max_size=60)


@settings(max_examples=60, deadline=None)
@given(title=_hostile, text=_hostile, url=_hostile, reason=_hostile, lang=_hostile)
def test_any_corpus_text_staysreport_data(title: str, text: str, url: str, reason: str, lang: str) -> None:
    doc = Document("d1", "in/a.txt", title=title, text=text + " filler words here", url=url, lang=lang)
    rej = Document("d2", "in/b.txt").reject(reason)
    page = render_report([doc.to_dict(), rej.to_dict()], [], {"languages": {lang: 1}, "inputs": [url]})
    assert len(re.findall(r"<script\b", page, re.I)) == 2
    assert len(re.findall(r"</script", page, re.I)) == 2
    assert "<!--" not in page and "<img" not in page.lower()
    rows = report_data(page)["docs"]
    assert rows[0].get("title", "") == title and rows[0]["text"] == doc.text
    assert rows[1]["rr"] == rej.reject_reason


# --------------------------------------------------------------------------- pure helpers


def _cases(kind: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["kind"] == kind]


@pytest.mark.parametrize("case", _cases("word_diff"), ids=lambda c: c["label"])
def test_word_diff_cases(case: dict[str, Any]) -> None:
    assert word_diff(*case["input"]) == case["expected"]


@pytest.mark.parametrize("case", _cases("mark_spelling"), ids=lambda c: c["label"])
def test_mark_spelling_cases(case: dict[str, Any]) -> None:
    assert mark_spelling(*case["input"]) == case["expected"]


@pytest.mark.parametrize("case", _cases("context"), ids=lambda c: c["label"])
def test_context_snippet_cases(case: dict[str, Any]) -> None:
    text, start, end, width = case["input"]
    assert list(context_snippet(text, start, end, width)) == case["expected"]


def _squash_word(w: str) -> str:
    return re.sub(r"[\s\"'.,]", "", fold_text(w))


_words = st.lists(
    st.sampled_from(
        ["the", "The", "top", "TEAM", "team", "“team”", "U.S.,", "US", "is", "on", "a", "plane", "good", "—", "-"]
    ),
    max_size=25,
)
_seps = st.sampled_from([" ", "  ", "\n", " \n\n"])


@settings(max_examples=150, deadline=None)
@given(a=_words, b=_words, sep=_seps)
def test_word_diff_rebuilds_both_sides(a: list[str], b: list[str], sep: str) -> None:
    canonical, variant = sep.join(a), sep.join(b)
    diff = word_diff(canonical, variant)
    assert all(op in "=-+" and t for op, t in diff)
    assert all(x[0] != y[0] for x, y in itertools.pairwise(diff))  # runs are merged
    assert "".join(t for op, t in diff if op != "-") == variant
    marked = mark_spelling(canonical, diff)
    assert "".join(x[1] for x in marked if x[0] != "-") == variant  # marking never changes the text
    assert all(x[0] != "~" or _squash_word(x[1]) == _squash_word(x[2]) for x in marked)
    left = "".join(t for op, t in diff if op != "+")
    squash = lambda s: re.sub(r"[\s\"'.,]", "", fold_text(s))  # noqa: E731
    assert squash(left) == squash(canonical)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab c\n"), max_size=80), data=st.data())
def test_context_snippet_is_a_tidy_slice(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    width = data.draw(st.integers(1, 30))
    before, after = context_snippet(text, start, end, width)
    squash = lambda s: re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", " ¶ ", s))  # noqa: E731
    assert squash(text[:start]).endswith(before.removeprefix("…")) or not before.strip("…")
    assert squash(text[end:]).startswith(after.removesuffix("…"))
    assert len(before.replace("¶ ", "")) <= width + 1 and len(after.replace(" ¶", "")) <= width + 1
    assert "\n" not in before + after


# --------------------------------------------------------------------------- write_report


def _write_run(out: Path, *, passages: bool = True, manifest: bool = True) -> None:
    docs, ps, man = build_fixture()
    out.mkdir(parents=True, exist_ok=True)
    (out / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    if passages:
        (out / "passages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in ps), encoding="utf-8")
    if manifest:
        (out / "manifest.json").write_text(json.dumps(man), encoding="utf-8")


def test_write_report_matches_render_and_leaves_no_temp_files(tmp_path: Path) -> None:
    _write_run(tmp_path)
    (tmp_path / "report.html").write_text("old", encoding="utf-8")
    path = write_report(tmp_path)
    assert path == tmp_path / "report.html"
    docs, ps, man = build_fixture()
    assert path.read_text(encoding="utf-8") == render_report(docs, ps, man)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "documents.jsonl",
        "manifest.json",
        "passages.jsonl",
        "report.html",
    ]


def test_write_report_without_passages_or_manifest(tmp_path: Path) -> None:
    _write_run(tmp_path, passages=False, manifest=False)
    data = report_data(write_report(tmp_path).read_text(encoding="utf-8"))
    assert data["passages"] == [] and len(data["docs"]) == 9


def test_write_report_errors_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"documents\.jsonl"):
        write_report(tmp_path)
    _write_run(tmp_path)
    with open(tmp_path / "documents.jsonl", "a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    with pytest.raises(InputError, match=r"documents\.jsonl:10"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


# --------------------------------------------------------------------------- scale


def big_corpus(n_passages: int = 10_000, n_docs: int = 5_000) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Synthetic records at the scale the issue names: 10k passages, 3 sources each."""
    words = ["harbour", "minister", "tariff", "shipment", "delegation", "exporters", "market", "officials"]
    docs: list[dict[str, Any]] = []
    for i in range(n_docs):
        body = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(260))
        docs.append(
            Document(f"d{i:05d}", f"in/site{i % 40}/a{i}.txt", title=f"Story {i}", lang="en", text=f"{body}.").to_dict()
        )
    passages = []
    for j in range(n_passages):
        srcs = []
        for k in range(3):
            d = docs[(j * 3 + k) % n_docs]
            start = (j * 13 + k * 5) % 1200
            end = start + 120
            text = d["text"][start:end]
            diff = [["=", text]] if k != 2 else []
            srcs.append(
                {
                    "doc_id": d["id"],
                    "source": d["source"],
                    "start": start,
                    "end": end,
                    "text": text,
                    "similarity": 0.9,
                    "diff": diff,
                }
            )
        passages.append(
            {
                "passage_id": f"p-{j:06x}",
                "text": srcs[0]["text"],
                "canonical": {
                    "doc_id": srcs[0]["doc_id"],
                    "start": srcs[0]["start"],
                    "end": srcs[0]["end"],
                    "reason": "most complete",
                },
                "n_documents": 3,
                "sources": srcs,
            }
        )
    return docs, passages


@functools.cache
def big_page() -> tuple[str, float]:
    """The 10k-passage report and its render time, built once per session (the browser test reuses it)."""
    docs, passages = big_corpus()
    t = time.perf_counter()
    page = render_report(docs, passages, {})
    return page, time.perf_counter() - t


def test_ten_thousand_passages_render_fast_and_small() -> None:
    page, elapsed = big_page()
    size_mb = len(page.encode()) / 1e6
    assert elapsed < 20, f"render took {elapsed:.1f}s"
    assert size_mb < 40, f"{size_mb:.1f} MB"
    data = report_data(page)
    assert len(data["passages"]) == 10_000 and all(len(p["s"]) == 3 for p in data["passages"][:50])
