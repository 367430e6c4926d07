"""The ``samples/`` corpus meets its own spec (``samples/README.md``, ``samples/EXPECTED.json``).

These tests read the samples with the plain format libraries (json, gzip, warcio, lxml), not
with corpuskit, so they check the *data*: every file parses in its format, the generated
files are exactly what ``scripts/make_samples.py`` writes, and the gold in ``EXPECTED.json``
is true of the raw text (the quote really is in three records, the reprint really overlaps
its original, unrelated records really share no passage-length run of words).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EXPECTED = json.loads((SAMPLES / "EXPECTED.json").read_text(encoding="utf-8"))

# A shared run this long (in words) is a passage; shorter shared phrases are not.
PASSAGE_MIN_WORDS = 8
INPUT_SUFFIXES = (".html", ".htm", ".txt", ".jsonl", ".jsonl.gz", ".ndjson", ".warc", ".warc.gz")


# --------------------------------------------------------------------------------------
# A plain loader: hint -> raw record, independent of corpuskit
# --------------------------------------------------------------------------------------


def _html_charset(data: bytes) -> str:
    m = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", data[:2048])
    assert m, "every sample HTML page declares its charset"
    return m.group(1).decode("ascii")


def _html_text(html: str) -> str:
    """All visible text of a page, one block per line (no article extraction: the raw view)."""
    tree = lxml.html.document_fromstring(html)  # str: the meta charset must not re-decode it
    for bad in tree.xpath("//script|//style|//head"):
        bad.drop_tree()
    blocks = tree.xpath("//p|//h1|//h2|//h3|//li|//figcaption|//td|//a[not(ancestor::p)]|//div[not(*)]")
    return "\n".join(b.text_content().strip() for b in blocks if b.text_content().strip())


def _jsonl_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for n, line in enumerate(data.splitlines(), start=1):
        if line.strip():
            yield n, line


def _iter_records() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every input record under ``samples/`` as ``(hint, record)``.

    ``record`` has ``raw`` (bytes or str as stored), ``kind`` (html | text | bad) and, where
    the format carries them, ``url``/``title``/``id``.
    """
    for path in sorted(SAMPLES.rglob("*")):
        rel = path.relative_to(SAMPLES).as_posix()
        if not path.is_file() or not rel.endswith(INPUT_SUFFIXES):
            continue
        data = path.read_bytes()
        if rel.endswith((".html", ".htm")):
            yield rel, {"raw": data, "kind": "html", "text": _html_text(data.decode(_html_charset(data)))}
        elif rel.endswith(".txt"):
            yield rel, {"raw": data, "kind": "text", "text": data.decode("utf-8")}
        elif rel.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
            if rel.endswith(".gz"):
                data = gzip.decompress(data)
            for n, line in _jsonl_lines(data):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    yield f"{rel}:{n}", {"raw": line, "kind": "bad"}
                    continue
                if "text" in obj:
                    yield f"{rel}:{n}", {**obj, "raw": line, "kind": "text"}
                elif "html" in obj:
                    yield f"{rel}:{n}", {**obj, "raw": line, "kind": "html", "text": _html_text(obj["html"])}
                else:
                    yield f"{rel}:{n}", {**obj, "raw": line, "kind": "bad"}
        elif rel.endswith((".warc", ".warc.gz")):
            with io.BytesIO(data) as f:
                index = 0  # 1-based over response records, as corpuskit numbers them
                for rec in ArchiveIterator(f):
                    if rec.rec_type != "response":
                        continue
                    index += 1
                    body = rec.content_stream().read()
                    yield (
                        f"{rel}#{index}",
                        {
                            "raw": body,
                            "kind": "html",
                            "url": rec.rec_headers.get_header("WARC-Target-URI"),
                            "text": _html_text(body.decode("utf-8")),
                        },
                    )


@cache
def records() -> dict[str, dict[str, Any]]:
    return dict(_iter_records())


def _fold(text: str) -> str:
    """Quotes, dashes, case and width folded; what a matcher would compare."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.translate(str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\"", ""))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+(?:'\w+)*", _fold(text))


def _longest_shared_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive words common to ``a`` and ``b``."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _shingles(words: list[str], k: int = 5) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def _body_words(hint: str) -> list[str]:
    return _words(records()[hint]["text"])


# --------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------


def test_generated_files_are_exactly_what_the_script_writes(tmp_path: Path) -> None:
    script = load_script("make_samples")
    written = script.build(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(script.GENERATED)
    for rel in script.GENERATED:
        assert (tmp_path / rel).read_bytes() == (SAMPLES / rel).read_bytes(), (
            f"samples/{rel} is stale: run scripts/make_samples.py"
        )
    # Twice in a row: no clock, no random ids.
    again = tmp_path / "again"
    script.build(again)
    for rel in script.GENERATED:
        assert (again / rel).read_bytes() == (tmp_path / rel).read_bytes()


def test_corpus_size_and_formats() -> None:
    recs = records()
    assert 14 <= len(recs) <= 18
    formats = {re.sub(r"[:#]\d+$", "", h).rsplit("/", 1)[-1].split(".", 1)[-1] for h in recs}
    assert {"html", "txt", "jsonl", "jsonl.gz", "warc.gz"} <= formats
    assert set(recs) == {r["hint"] for r in EXPECTED["records"]}, "EXPECTED.json lists every record"


def test_wire_jsonl_records_have_the_documented_fields() -> None:
    lines = (SAMPLES / "wire.jsonl").read_bytes().splitlines()
    objs = [json.loads(line) for line in lines]
    assert len(objs) == 3
    for obj in objs:
        assert {"url", "title", "date", "authors"} <= set(obj)
        assert ("text" in obj) != ("html" in obj)
        assert isinstance(obj["authors"], list)
    assert [("id" in o) for o in objs] == [True, True, False], "one line relies on a derived id"
    assert any("html" in o for o in objs), "one wire record carries html, not text"


def test_feed_is_deterministic_gzip_of_jsonl() -> None:
    data = (SAMPLES / "feed.jsonl.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\0\0\0\0", "gzip mtime is 0"
    assert not data[3] & 0x08, "no file name in the gzip header"
    objs = [json.loads(line) for line in gzip.decompress(data).splitlines()]
    assert len(objs) == 3 and all("text" in o and "id" not in o for o in objs)


def test_warc_has_skippable_records_then_html_responses() -> None:
    with (SAMPLES / "crawl.warc.gz").open("rb") as f:
        recs = [(r.rec_type, r.http_headers) for r in ArchiveIterator(f)]
    assert [t for t, _ in recs] == ["warcinfo", "request", "response", "response", "response"]
    for rec_type, http in recs:
        if rec_type == "response":
            assert http is not None and http.get_statuscode() == "200"
            assert http.get_header("Content-Type").startswith("text/html")


def test_windows_1252_page_declares_its_charset_and_is_not_utf8() -> None:
    data = (SAMPLES / "sites/coastal-dispatch/south-korea-team-on-a-plane.html").read_bytes()
    assert _html_charset(data) == "windows-1252"
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    for ch in "‘’“”—…•é°":
        assert ch in text


def test_utf8_pages_declare_utf8() -> None:
    for hint, rec in records().items():
        if hint.endswith(".html") and "coastal-dispatch" not in hint:
            assert _html_charset(rec["raw"]).lower() == "utf-8", hint
            rec["raw"].decode("utf-8")


def test_one_outlet_has_two_pages_with_the_same_template() -> None:
    a = records()["sites/harbor-post/korea-trade-team.txt"]["text"].splitlines()
    b = records()["sites/harbor-post/ferry-terminal-vote.txt"]["text"].splitlines()
    shared = {line for line in a if line.strip()} & {line for line in b if line.strip()}
    for line in (
        "• Waterfront",
        "Sign up for The Morning Tide, our free daily newsletter.",
        "© 2025 Harbor Post Media LLC. All rights reserved.",
        "Share on Facebook",
    ):
        assert line in shared
    # Template lines only: nothing shared falls inside either article body.
    for hint in ("sites/harbor-post/korea-trade-team.txt", "sites/harbor-post/ferry-terminal-vote.txt"):
        body = " ".join(_article(hint))
        assert not any(len(_words(line)) >= 4 and " ".join(_words(line)) in body for line in shared), hint


def test_txt_pages_carry_scraper_mess() -> None:
    hp = records()["sites/harbor-post/korea-trade-team.txt"]["text"]
    vt = records()["sites/valley-tribune/carrow-bay-almond-growers.txt"]["text"]
    assert hp.count("By Evan Castellanos") == 2, "byline printed twice"
    for furniture in (
        "Down Arrow Button Icon",
        "Recommended Video",
        "Latest in Agriculture",
        "#Tariffs",
        "Reach Jordan Pell at",
    ):
        assert furniture in vt
    for furniture in ("Most Popular", "Share on X", "(Photo: Greta Moss / Harbor Post)", "on X @ecastellanos_hp"):
        assert furniture in hp


# --------------------------------------------------------------------------------------
# The gold: EXPECTED.json is true of the raw records
# --------------------------------------------------------------------------------------


def test_expected_record_table_matches_the_files() -> None:
    recs = records()
    for row in EXPECTED["records"]:
        rec = recs[row["hint"]]
        if row.get("url") and rec.get("url"):
            assert rec["url"] == row["url"]
        if "id" in rec:
            assert row["id"] == rec["id"]
        assert row["status"] in ("kept", "duplicate", "rejected")
    statuses = {row["hint"]: row["status"] for row in EXPECTED["records"]}
    assert {d for d, _ in EXPECTED["duplicates"]} == {h for h, s in statuses.items() if s == "duplicate"}
    assert {r["hint"] for r in EXPECTED["rejected"]} == {h for h, s in statuses.items() if s == "rejected"}
    counts = EXPECTED["counts"]
    assert counts["read"] == len(statuses) == counts["kept"] + counts["duplicate"] + counts["rejected"]
    assert counts["kept"] == sum(s == "kept" for s in statuses.values())
    assert counts["passages"] == len(EXPECTED["passages"])


def test_rejected_records_are_really_bad() -> None:
    recs = records()
    reasons = {r["hint"]: r["reason"] for r in EXPECTED["rejected"]}
    assert reasons == {
        "bad/broken.jsonl:1": "invalid_json",
        "bad/broken.jsonl:2": "no_text",
        "bad/login.html": "no_article",
    }
    assert recs["bad/broken.jsonl:1"]["kind"] == "bad"
    with pytest.raises(json.JSONDecodeError):
        json.loads(recs["bad/broken.jsonl:1"]["raw"])
    body = json.loads(recs["bad/broken.jsonl:2"]["raw"])
    assert "text" not in body and "html" not in body
    login = lxml.html.document_fromstring(recs["bad/login.html"]["raw"])
    assert not login.xpath("//article") and login.xpath("//form")
    assert len(_words(recs["bad/login.html"]["text"])) < 60


def _article(hint: str) -> list[str]:
    """Words of the article body only: from ``body_first`` through ``body_last`` (the gold)."""
    row = next(r for r in EXPECTED["records"] if r["hint"] == hint)
    text = records()[hint]["text"]
    start = text.index(row["body_first"]) if row["body_first"] else 0
    end = text.index(row["body_last"], start) + len(row["body_last"]) if row["body_last"] else len(text)
    return _words(text[start:end])


def test_duplicates_overlap_their_originals() -> None:
    """Article bodies (what a good cleaner leaves) clear the default dedup thresholds."""
    kinds = {r["hint"]: r["dup_kind"] for r in EXPECTED["records"]}
    for dup, kept in EXPECTED["duplicates"]:
        d, k = _shingles(_article(dup)), _shingles(_article(kept))
        if kinds[dup] == "contained":
            assert len(d & k) / len(d) >= 0.9, (dup, kept)
        else:
            assert kinds[dup] == "near"
            assert len(d & k) / len(d | k) >= 0.6, (dup, kept)
    # The teaser is about 40% of the original.
    ratio = len(_article("feed.jsonl.gz:1")) / len(_article("wire.jsonl:1"))
    assert 0.3 <= ratio <= 0.5


def test_kept_copy_is_the_earliest_dated() -> None:
    dates = {h: records()[h].get("date") for pair in EXPECTED["duplicates"] for h in pair}
    for dup, kept in EXPECTED["duplicates"]:
        dup_date, kept_date = dates[dup], dates[kept]
        assert kept_date is not None
        assert dup_date is None or dup_date > kept_date, (dup, kept)


def test_reprint_is_edited_not_copied() -> None:
    original = records()["wire.jsonl:1"]["text"]
    reprint = records()["sites/valley-tribune/carrow-bay-almond-growers.txt"]["text"]
    assert "Dolores Fimbres" in original and "Dolores Fimbres" not in reprint, "a paragraph was cut"
    assert "Teresa Lindqvist" in reprint and "Teresa Lindqvist" not in original, "a local intro was added"
    o_title = json.loads(records()["wire.jsonl:1"]["raw"])["title"]
    assert o_title not in reprint, "new headline"


def _best_window_similarity(needle: list[str], hay: list[str]) -> float:
    """Best share of ``needle`` words matched in order by a same-length window of ``hay``."""
    n, best = len(needle), 0.0
    for i in range(max(1, len(hay) - n + 1)):
        window = hay[i : i + n + 2]
        hits = sum(1 for w in needle if w in window)
        best = max(best, hits / n)
    return best


@pytest.mark.parametrize("passage", EXPECTED["passages"], ids=lambda p: p["label"])
def test_passages_occur_in_each_listed_record(passage: dict[str, Any]) -> None:
    needle = _words(passage["text"])
    assert len(needle) >= PASSAGE_MIN_WORDS
    assert len(passage["records"]) >= 2
    for hint in passage["records"]:
        raw = records()[hint]["text"]
        variant = passage["variants"][hint]
        assert variant in raw, (hint, variant)
        assert _best_window_similarity(needle, _body_words(hint)) >= 0.9, hint
    # Each outlet's wording differs from the canonical one somewhere (quotes, case, a word).
    assert len(set(passage["variants"].values())) >= 2


def test_top_team_quote_three_outlets_three_wordings() -> None:
    [p] = [p for p in EXPECTED["passages"] if p["label"] == "top-team"]
    assert len(p["records"]) == 3
    variants = [records()[h]["text"] for h in p["records"]]
    folded = "their top team is on a plane heading to the u.s., and things are looking good"
    assert all(folded in _fold(t) for t in variants)
    # Own paragraph (curly), joined to a preceding sentence (curly), mid-paragraph (straight).
    assert "\n“Their top TEAM is on a plane heading to the U.S., and things are looking good.”\n" in variants[0]
    assert "South Korea … Their top TEAM" in variants[1]
    assert '"their top TEAM is on a plane' in variants[2]


def test_unrelated_records_share_no_passage_length_run() -> None:
    """Hard negatives: only the listed passages and duplicates share >= 8 consecutive words."""
    allowed: set[frozenset[str]] = {frozenset(pair) for pair in EXPECTED["duplicates"]}
    allowed |= {frozenset(pair) for pair in EXPECTED["same_site"]}
    for p in EXPECTED["passages"]:
        allowed |= {frozenset((a, b)) for a in p["records"] for b in p["records"] if a != b}
    dup_of = dict(EXPECTED["duplicates"])
    good = [h for h, r in records().items() if r["kind"] != "bad"]
    for i, a in enumerate(good):
        for b in good[i + 1 :]:
            pair = frozenset((a, b))
            if pair in allowed or (dup_of.get(a) == dup_of.get(b) and a in dup_of):
                continue
            run = _longest_shared_run(_body_words(a), _body_words(b))
            assert run < PASSAGE_MIN_WORDS, (a, b, run)


@pytest.mark.parametrize("neg", EXPECTED["hard_negatives"], ids=lambda n: n["phrase"])
def test_hard_negative_phrases_are_shared_but_short(neg: dict[str, Any]) -> None:
    assert len(_words(neg["phrase"])) < PASSAGE_MIN_WORDS
    assert len(neg["records"]) >= 2
    for hint in neg["records"]:
        assert _fold(neg["phrase"]) in _fold(records()[hint]["text"]), hint


def test_languages() -> None:
    langdetect = pytest.importorskip("langdetect")
    langdetect.DetectorFactory.seed = 0
    for row in EXPECTED["records"]:
        if row["status"] == "rejected":
            continue
        text = records()[row["hint"]]["text"]
        assert langdetect.detect(text) == row["lang"], row["hint"]
    assert {row["lang"] for row in EXPECTED["records"] if row.get("lang")} == {"en", "de", "ja"}
