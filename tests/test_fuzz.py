"""Property tests over the parts that meet untrusted text: readers, normaliser, boilerplate
stripper, passage finder; and a few seconds of the readers' fuzz target
(``scripts/fuzz_readers.py``), as CI runs it.
"""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from corpuskit import readers
from corpuskit.boilerplate import strip_boilerplate
from corpuskit.config import BoilerplateConfig, PassageConfig, RunConfig
from corpuskit.normalise import fold_text, normalise_text
from corpuskit.passages import find_passages
from corpuskit.readers import decode_bytes, read_inputs
from corpuskit.records import Document
from corpuskit.stages import prepare_document

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 4096
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines that look like JSONL records some of the time and like garbage the rest.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
_records = st.fixed_dictionaries(
    {"text": st.text(max_size=60)},
    optional={"id": _json_values, "html": st.text(max_size=60), "title": _json_values, "authors": _json_values},
)
_lines = st.one_of(
    _records.map(lambda r: json.dumps(r).encode()),  # the stdlib writes big ints, NaN, lone surrogates
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ")),
    st.sampled_from([b"", b"   ", b"\t", b"[1]", b'{"text": "\\ud800"}', b"\xef\xbb\xbf{}", b"{" * 50]),
)


def _expected_records(lines: list[bytes]) -> int:
    """One record per line that is not blank (blank lines are not records)."""
    return sum(1 for line in lines if line.strip())


@FAST
@given(st.lists(_lines, max_size=12), st.booleans())
def test_jsonl_one_record_per_line_never_raises(lines: list[bytes], gz: bool) -> None:
    data = b"\n".join(lines) + b"\n"
    assume(not data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")))  # UTF-16/32 files re-split lines
    # A compression magic (gzip, xz, zstd, bz2) starts a stream read as that (corrupt) kind.
    assume(gz or readers._compression(data) is None)
    if data.startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    stdin = io.BytesIO(gzip.compress(data) if gz else data)
    docs = list(read_inputs(["-"], max_doc_bytes=LIMIT, stdin=stdin))
    # Data that starts a JSON array is read as one: its records are the array's elements
    # (a lone "[" is one record, "no closing ]"), which the array tests in test_readers
    # check; it must still never raise.
    if not readers._starts_array(b"\n".join(lines)):
        assert len(docs) == _expected_records(lines)
        assert [d.source_line for d in docs] == [i + 1 for i, line in enumerate(lines) if line.strip()]
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        assert (d.status == "rejected") == (d.reject_reason is not None)
        assert d.status == "rejected" or isinstance(d.raw, str)
        orjson.dumps(d.to_dict())


@FAST
@given(st.binary(max_size=600), st.sampled_from(["a.txt", "a.html", "a.jsonl", "a.warc", "a.jsonl.gz", "noext"]))
def test_any_bytes_in_any_file_never_raise(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / name
        f.write_bytes(data)
        docs = list(read_inputs([str(f)], max_doc_bytes=LIMIT))
        cfg = RunConfig(workers=1)
        for doc in docs:
            assert doc.status == "kept" or (doc.reject_reason and str(f) in doc.reject_reason)
            out = prepare_document(doc, cfg)
            assert out.status == "rejected" or out.text == normalise_text(out.text)
            orjson.dumps(out.to_dict())


@FAST
@given(st.binary(max_size=400), st.booleans())
def test_decode_bytes_never_raises(data: bytes, html: bool) -> None:
    decoded = decode_bytes(data, html=html)
    assert decoded is None or isinstance(decoded.text, str)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=300))
def test_normalise_idempotent_on_any_text(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert len(fold_text(once)) == len(once)


@pytest.mark.parametrize(
    "text",
    [
        "\x80\r\x9b\u00ba",  # found by the property test above: ftfy re-read its own output
        "\xadÀ\x86",  # likewise: the soft hyphen removed after ftfy left new mojibake ("À†" is "ˠ")
        "Â\t0",  # and the tab made a space after ftfy ("Â " is a mis-decoded no-break space)
        "À\r\x83¢",  # ftfy's output read by ftfy again
        "cafe\u200b\u0301",  # the zero-width space between a letter and its accent went after NFC
        "e\u00ad\u0301",  # likewise a soft hyphen
    ],
)
def test_normalise_idempotent_on_found_cases(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


# Page-like text: short furniture lines, bylines, dates and prose, in any order.
_page_lines = st.one_of(
    st.sampled_from(
        [
            "Home | World | Sport",
            "Advertisement",
            "By Jane Doe and John Roe",
            "April 3, 2025, 10:15 am",
            "© 2025 Example News. All rights reserved.",
            "Share on Facebook",
            "Most Popular",
            "“It is a fair deal for both of us,” the minister said.",
            "Ministers agreed on Thursday to share the fishing grounds after a long dispute, officials said.",
            "",
        ]
    ),
    st.text(max_size=80).map(lambda t: t.replace("\n", " ")),
)


@FAST
@given(st.lists(_page_lines, max_size=25))
def test_stripped_text_is_a_subsequence_of_the_input_lines(lines: list[str]) -> None:
    text = normalise_text("\n".join(lines))
    st_ = strip_boilerplate(text, BoilerplateConfig())
    it = iter(text.split("\n"))
    for kept in st_.text.split("\n"):
        if kept:
            assert any(kept == line for line in it), f"{kept!r} is not a line of the input, in order"


_SENTENCES = [
    "The harbour authority said the new terminal would open in the spring after a long dispute.",
    "“We are not going to raise the fees for shipping lines this year,” the director told reporters.",
    "Traffic through the port is expected to grow by a fifth over the next five years.",
    "Local fishermen said they had not been consulted about the dredging of the channel.",
    "The builder declined to comment on the cost of the work.",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.one_of(st.sampled_from(_SENTENCES), st.text(min_size=1, max_size=60)), min_size=1, max_size=6),
        min_size=2,
        max_size=6,
    ),
    st.sampled_from(["complete", "medoid", "earliest"]),
)
def test_passage_offsets_are_valid(bodies: list[list[str]], canonical: str) -> None:
    docs = []
    for i, sentences in enumerate(bodies):
        d = Document(id=f"d{i}", source=f"s{i}.txt", text=normalise_text(" ".join(sentences)), date=f"2025-01-0{1 + i}")
        docs.append(d)
    passages = find_passages(docs, PassageConfig(min_words=5, canonical=canonical))  # type: ignore[arg-type]
    by_id = {d.id: d for d in docs}
    for p in passages:
        assert len({s.doc_id for s in p.sources}) >= 2
        for s in p.sources:
            text = by_id[s.doc_id].text
            assert 0 <= s.start < s.end <= len(text) and text[s.start : s.end] == s.text
    for d in docs:
        for r in d.passages:
            assert 0 <= r.start < r.end <= len(d.text)


def test_fuzz_readers_for_a_few_seconds(tmp_path: Path) -> None:
    fuzz = load_script("fuzz_readers")
    stats = fuzz.fuzz(seconds=4.0, seed=1, crash_dir=tmp_path)
    assert stats.runs > 50 and stats.crashes == 0, stats
