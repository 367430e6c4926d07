from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit import readers
from corpuskit.errors import InputError
from corpuskit.readers import (
    JsonlBlock,
    decode_bytes,
    detect_format,
    discover_inputs,
    estimate_input_bytes,
    expand_inputs,
    read_inputs,
)

LIMIT = 1_000_000


def read(*paths: Path | str, stdin: bytes | None = None, limit: int = LIMIT) -> list:
    return list(
        read_inputs(
            [str(p) for p in paths], max_doc_bytes=limit, stdin=io.BytesIO(stdin) if stdin is not None else None
        )
    )


def read_deferred(path: Path, limit: int = LIMIT) -> list:
    """``read_inputs`` with ``defer_parsing``, each :class:`JsonlBlock` split into its lines."""
    out: list = []
    for item in read_inputs([str(path)], max_doc_bytes=limit, defer_parsing=True):
        out.extend(item.records(limit, defer=True) if isinstance(item, JsonlBlock) else [item])
    return out


def test_formats_by_extension_and_sniffing() -> None:
    assert detect_format("a.html", b"") == "html"
    assert detect_format("a.txt", b"<html>") == "text"
    assert detect_format("a.jsonl.gz", b"") == "jsonl"
    assert detect_format("a.warc.gz", b"") == "warc"
    assert detect_format("a.HTM.gz", b"") == "html"
    assert detect_format("a.txt.gzip", b"") == "text"
    assert detect_format("noext", b"  <!DOCTYPE html><html>") == "html"
    assert detect_format("noext", b'{"text": "x"}') == "jsonl"
    assert detect_format("noext", b"WARC/1.0\r\n") == "warc"
    assert detect_format("noext", gzip.compress(b'{"a":1}\n')) == "jsonl"
    assert detect_format("noext", b"Plain words.") == "text"


def test_jsonl_records_fields_and_ids(tmp_path: Path) -> None:
    f = tmp_path / "feed.jsonl"
    f.write_text(
        '{"id": "w1", "text": "Body one.", "url": "https://x.example/a", "title": "T", '
        '"date": "2025-04-08", "authors": ["A B", "C D"], "section": "world"}\n'
        "\n"
        '{"html": "<html><body><p>x</p></body></html>", "author": "E F; G H"}\n',
        encoding="utf-8",
    )
    docs = read(f)
    assert [d.id for d in docs] == ["w1", f"{f}:3"]
    a, b = docs
    assert (a.source_line, a.url, a.title, a.date, a.authors) == (
        1,
        "https://x.example/a",
        "T",
        "2025-04-08",
        ["A B", "C D"],
    )
    assert a.raw_kind == "text" and a.raw == "Body one." and a.meta["input"] == {"section": "world"}
    assert b.raw_kind == "html" and b.authors == ["E F", "G H"]
    assert [d.order for d in docs] == [0, 1]


def test_bad_jsonl_lines_are_rejected_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(
        'not json\n{"title": "no body"}\n[1, 2]\n{"text": "fine"}\n{"text": "\\ud800 lone"}\n', encoding="utf-8"
    )
    docs = read(f)
    assert [d.status for d in docs] == ["rejected", "rejected", "rejected", "kept", "kept"]
    assert docs[0].reject_reason.startswith("invalid JSON") and f"{f}:1" in docs[0].reject_reason
    assert docs[1].reject_reason.startswith("no text or html field") and f"{f}:2" in docs[1].reject_reason
    assert docs[2].reject_reason.startswith("not a JSON object")
    assert docs[4].raw == "\ufffd lone"


def test_truncated_gzip_keeps_earlier_lines(tmp_path: Path) -> None:
    body = b"".join(b'{"text": "record %d with some words"}\n' % i for i in range(2000))
    data = gzip.compress(body)
    f = tmp_path / "cut.jsonl.gz"
    f.write_bytes(data[: len(data) // 2])
    docs = read(f)
    assert docs[-1].status == "rejected" and "truncated or corrupt stream" in docs[-1].reject_reason
    assert all(d.status == "kept" for d in docs[:-1]) and len(docs) > 10


def test_empty_binary_and_invalid_utf8_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "latin.txt").write_bytes("Zölle für Käse – “sagte er”".encode("cp1252"))
    docs = {Path(d.id).name: d for d in read(*sorted(tmp_path.iterdir()))}
    assert docs["empty.txt"].reject_reason.startswith("empty file")
    assert docs["latin.txt"].status == "kept" and isinstance(docs["latin.txt"].raw, bytes)
    # binary is detected when decoding (in the worker stage), see test_pipeline
    assert docs["blob.bin"].status == "kept"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Zölle für Käse – “sagte er”", "cp1252"),
        (
            "トランプ大統領は火曜日、韓国との貿易交渉が順調に進んでいると述べた。"
            "交渉団はすでにワシントンに向かっており、関税の引き下げについて協議する予定だという。",
            "shift_jis",
        ),
        ("한국 정부는 화요일 미국과의 무역 협상이 순조롭게 진행되고 있다고 밝혔다.", "cp949"),
        ("Президент заявил во вторник о переговорах", "cp1251"),
        ("Grüße aus Köln", "utf-16"),
        ("Grüße aus Köln", "utf-8-sig"),
    ],
)
def test_decode_legacy_encodings(text: str, encoding: str) -> None:
    decoded = decode_bytes(text.encode(encoding))
    assert decoded is not None and decoded.text == text


def test_html_declared_charset_wins() -> None:
    page = '<html><head><meta charset="windows-1252"></head><body>“Zölle”</body></html>'.encode("cp1252")
    decoded = decode_bytes(page, html=True)
    assert decoded is not None and "“Zölle”" in decoded.text


def test_binary_is_none() -> None:
    assert decode_bytes(bytes(range(32)) * 100) is None


def test_stdin_is_jsonl() -> None:
    docs = read("-", stdin=b'{"id": "s1", "text": "from stdin"}\n')
    assert [(d.id, d.source, d.raw) for d in docs] == [("s1", "-", "from stdin")]


def test_directories_sorted_recursive_and_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two")
    (tmp_path / "a" / "1.txt").write_text("one")
    (tmp_path / ".hidden").write_text("no")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    files = [Path(p).relative_to(tmp_path).as_posix() for p, _ in expand_inputs([str(tmp_path)])]
    assert files == ["a/1.txt", "b/2.txt"]


def test_glob_and_missing_inputs(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x")
    assert [p for p, _ in expand_inputs([str(tmp_path / "*.txt")])] == [str(tmp_path / "x.txt")]
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "missing.txt")])
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.html")])


def test_oversized_records_are_rejected_not_read(tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    f.write_bytes(b'{"text": "' + b"a" * 5000 + b'"}\n{"text": "small"}\n')
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    docs = read(f, big, limit=1024)
    assert [d.status for d in docs] == ["rejected", "kept", "rejected"]
    assert docs[0].reject_reason.startswith("too large") and docs[2].reject_reason.startswith("too large")


def test_duplicate_ids_made_unique(tmp_path: Path) -> None:
    f = tmp_path / "dup.jsonl"
    f.write_text('{"id": "x", "text": "a"}\n{"id": "x", "text": "b"}\n')
    docs = read(f)
    assert [d.id for d in docs] == ["x", "x~2"] and docs[1].meta["given_id"] == "x"


def test_warc_responses(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "c.warc.gz"
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warcinfo_record("c.warc.gz", {"software": "test"}))
        for url, ctype, body in [
            ("https://n.example/a", "text/html; charset=utf-8", b"<html><body><p>Hi</p></body></html>"),
            ("https://n.example/logo.png", "image/png", b"\x89PNG...."),
        ]:
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    docs = read(path)
    assert [(d.id, d.status, d.url) for d in docs] == [
        (f"{path}#1", "kept", "https://n.example/a"),
        (f"{path}#2", "rejected", None),
    ]
    assert docs[0].raw_kind == "html" and b"<p>Hi</p>" in docs[0].raw
    assert "not an HTML response" in docs[1].reject_reason


def test_directory_walk_skips_docs_and_data_files(tmp_path: Path) -> None:
    names = "README.md EXPECTED.json photo.jpg a.txt b.html c.jsonl.gz d.html.gz e.tar.gz noext"
    for name in names.split():
        (tmp_path / name).write_text("x")
    found = discover_inputs([str(tmp_path)])
    assert [Path(p).name for p, _ in found.files] == ["a.txt", "b.html", "c.jsonl.gz", "d.html.gz", "noext"]
    assert [Path(p).name for p in found.skipped] == ["EXPECTED.json", "README.md", "e.tar.gz", "photo.jpg"]
    # named explicitly, any file is read
    assert [Path(p).name for p, _ in discover_inputs([str(tmp_path / "README.md")]).files] == ["README.md"]


def test_gzipped_pages_are_read_expanded(tmp_path: Path) -> None:
    """A crawl often keeps its pages gzipped: they are expanded, and a page's limits apply
    to what it expands to; a corrupt one is rejected with the reason, the others read."""
    html = b"<html><body><article><p>The ferry council met on Tuesday.</p></article></body></html>"
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(html))
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"Plain words from the harbour."))
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(html)[:-12])  # cut short
    (tmp_path / "d.txt.gz").write_bytes(gzip.compress(b"many words " * 20))
    docs = {Path(d.source).name: d for d in read(tmp_path, limit=100)}
    assert docs["a.html.gz"].status == "kept" and docs["a.html.gz"].raw == html
    assert (docs["a.html.gz"].input_format, docs["a.html.gz"].raw_kind) == ("html", "html")
    assert docs["b.txt.gz"].raw == b"Plain words from the harbour." and docs["b.txt.gz"].raw_kind == "text"
    assert docs["c.html.gz"].status == "rejected"
    assert docs["c.html.gz"].reject_reason.startswith("truncated or corrupt stream")
    assert docs["d.txt.gz"].reject_reason.startswith("too large: over max_doc_bytes=100")


def test_input_size_estimate(tmp_path: Path) -> None:
    """What chooses the worker count: bytes once expanded (a gzipped file counts four
    times), counted until enough; standard input is of unknown size."""
    (tmp_path / "a.txt").write_bytes(b"x" * 1000)
    (tmp_path / ".hidden").write_bytes(b"x" * 10_000)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.html.gz").write_bytes(b"x" * 100)
    (sub / "loop").symlink_to(tmp_path)  # walked once
    big = sub / "big.jsonl"
    many = 10**9
    assert estimate_input_bytes([str(tmp_path)], enough=many) == 1400
    assert estimate_input_bytes([str(tmp_path / "*.txt"), str(tmp_path / "missing")], enough=many) == 1000
    assert estimate_input_bytes([str(tmp_path), "-"], enough=many) is None
    with open(big, "wb") as fh:
        fh.truncate(5 << 20)
    assert estimate_input_bytes([str(tmp_path)], enough=1 << 20) >= 1 << 20


def _records(path: Path, limit: int = LIMIT) -> list[tuple[str, str, int | None, str | None]]:
    return [(d.id, d.status, d.source_line, d.reject_reason) for d in read(path, limit=limit)]


def test_a_json_array_is_read_element_by_element(tmp_path: Path) -> None:
    """What a scraper's JSON export writes (Scrapy's ``-o items.json``): each element is
    one record, named by its own id, else ``path#N``, its line the one it starts on."""
    items = [{"id": "s1", "text": 'First [story] with a "quote" and a brace }.'}, {"text": "Second, no id."}]
    pretty = tmp_path / "items.json"
    pretty.write_text("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n")
    assert [(d.id, d.raw, d.source_line) for d in read(pretty)] == [
        ("s1", items[0]["text"], 2),
        (f"{pretty}#2", "Second, no id.", 3),
    ]
    one_line = tmp_path / "one.json"  # json.dump without indent, no extension needed
    one_line.write_text(json.dumps([{"text": "a"}, {"text": "b"}, {"text": "c"}]))
    assert [d.id for d in read(one_line)] == [f"{one_line}#{n}" for n in (1, 2, 3)]
    empty = tmp_path / "empty.json"
    empty.write_text("[ ]")
    assert read(empty) == []
    gz = tmp_path / "items.json.gz"
    gz.write_bytes(gzip.compress(pretty.read_bytes()))
    assert [d.raw for d in read(gz)] == [i["text"] for i in items]
    assert [d.raw for d in read("-", stdin=pretty.read_bytes())] == [i["text"] for i in items]


def test_a_bad_json_array_is_rejected_where_it_goes_wrong(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(
        '[\n{"text": "kept"},\n[1, 2],\n{"text": "' + "x" * 300 + '"},\n{"text": "after"},\n7,\n{"text": "read too"}]'
    )
    assert _records(f, limit=200) == [
        (f"{f}#1", "kept", 2, None),
        (f"{f}:3", "rejected", 3, f"not a JSON object: list ({f}:3)"),
        (f"{f}:4", "rejected", 4, f"too large: an array element over max_doc_bytes=200 ({f}:4)"),
        (f"{f}#4", "kept", 5, None),
        (f"{f}:6", "rejected", 6, f"not a JSON object: int ({f}:6)"),
        (f"{f}#6", "kept", 7, None),
    ]
    stray = tmp_path / "stray.json"
    stray.write_text('[{"text": "read"}, }, {"text": "not read"}]')
    assert _records(stray)[1:] == [
        (
            f"{stray}:1",
            "rejected",
            1,
            f"invalid JSON in the array, or an element over max_doc_bytes; the rest is not read ({stray}:1)",
        )
    ]
    cut = tmp_path / "cut.json"
    cut.write_text('[{"text": "whole"}, {"text": "cut sh')
    assert _records(cut)[1:] == [
        (f"{cut}:1", "rejected", 1, f"truncated JSON array: an element is not closed ({cut}:1)")
    ]
    # An array the file never closes is named by its last line (not by the line after the
    # file's end), the "[" when it has no element.
    unclosed = "truncated JSON array: no closing ] after this line"
    open_ = tmp_path / "open.json"
    open_.write_text('[{"text": "whole"},\n')
    assert _records(open_)[1:] == [(f"{open_}:1", "rejected", 1, f"{unclosed} ({open_}:1)")]
    later = tmp_path / "later.json"
    later.write_text('\n[\n{"text": "one"},\n{"text": "two"}\n\n , \n\n')
    assert _records(later)[2:] == [(f"{later}:4", "rejected", 4, f"{unclosed} ({later}:4)")]
    bare = tmp_path / "bare.jsonl"
    bare.write_text("[\n\n")
    assert _records(bare) == [(f"{bare}:1", "rejected", 1, f"{unclosed} ({bare}:1)")]


def test_json_lines_after_an_array_are_read_as_lines(tmp_path: Path) -> None:
    """A JSONL file whose first line happens to be an array of objects loses no other line."""
    f = tmp_path / "mixed.jsonl"
    f.write_text('[{"text": "in the array"}]\n{"text": "line two"}\n\n{"text": "line four"}\n')
    assert [(d.id, d.raw, d.source_line) for d in read(f)] == [
        (f"{f}#1", "in the array", 1),
        (f"{f}:2", "line two", 2),
        (f"{f}:4", "line four", 4),
    ]


def test_a_json_object_over_several_lines_is_one_record(tmp_path: Path) -> None:
    """``json.dump(obj, indent=2)`` of one record, ``jq .``'s stream of them, and JSON
    lines among them: each object is one record, named and numbered by its first line."""
    story = {"text": 'Talks [resumed] on "Tuesday" with a brace } and {.', "authors": ["A. Reporter", "B. Editor"]}
    single = tmp_path / "story.json"
    single.write_text(json.dumps(story, indent=2) + "\n")
    assert [(d.id, d.raw, d.authors, d.source_line) for d in read(single)] == [
        (f"{single}:1", story["text"], story["authors"], 1)
    ]
    stream = tmp_path / "jq.out"  # no telling name: sniffed as JSON
    lines = [json.dumps({"id": "a", "text": "first"}, indent=4), '{"id": "b", "text": "a JSON line"}', ""]
    lines += [json.dumps({"id": "c", "text": "third", "meta": {"tags": ["x", "y"]}}, indent=2).replace("\n", "\r\n")]
    stream.write_text("\n".join(lines) + "\n")
    assert [(d.id, d.raw, d.source_line) for d in read(stream)] == [
        ("a", "first", 1),
        ("b", "a JSON line", 5),
        ("c", "third", 7),
    ]


def test_lines_that_are_not_one_object_are_read_one_by_one(tmp_path: Path) -> None:
    """Lines are joined only while they can still be one object: a JSON line cut short, or
    left open, costs no line after it, and an object over max_doc_bytes is read line by line."""
    cut = tmp_path / "cut.jsonl"  # the first line ends inside its string
    cut.write_text('{"text": "cut sh\n{"text": "whole"}\n')
    assert [r[1] for r in _records(cut)] == ["rejected", "kept"]
    left_open = tmp_path / "open.jsonl"  # brackets open to the end of the file
    left_open.write_text('{"text": "x", "tags": [\n{"text": "one"}\n{"text": "two"}\n')
    assert [(r[1], r[2]) for r in _records(left_open)] == [("rejected", 1), ("kept", 2), ("kept", 3)]
    closed_twice = tmp_path / "twice.jsonl"  # a stray close ends the joining; the next object is joined
    closed_twice.write_text('{\n"text": "a"}}\n{\n"text": "b"\n}\n')
    assert [(r[1], r[2]) for r in _records(closed_twice)] == [("rejected", 1), ("rejected", 2), ("kept", 3)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"text": "word " * 30, "title": "t"}, indent=2) + '\n{"text": "small"}\n')
    assert [(r[1], r[2]) for r in _records(big, limit=100)] == [
        ("rejected", 1),
        ("rejected", 2),
        ("rejected", 3),
        ("rejected", 4),
        ("kept", 5),
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["text", "title", "x"]), st.text(min_size=1), min_size=1),
            st.sampled_from([None, 1, 2, 4]),
        ),
        max_size=6,
    )
)
def test_pretty_objects_and_json_lines_come_back_whole(items: list[tuple[dict[str, str], int | None]]) -> None:
    """Objects written with any indent (or none: a JSON line) one after another, strings
    holding brackets, quotes and newlines: each record read is the object written, on the
    line it starts."""
    import tempfile

    chunks = [json.dumps(obj, indent=indent, ensure_ascii=False) for obj, indent in items]
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "objects.jsonl"
        f.write_bytes("\n".join(chunks).encode() + b"\n")
        got = read_deferred(f)
    starts = [1 + sum(c.count("\n") + 1 for c in chunks[:i]) for i in range(len(chunks))]
    assert [(json.loads(doc.raw), doc.source_line) for doc in got] == [
        (obj, line) for (obj, _), line in zip(items, starts, strict=True)
    ]


def _read_in_chunks(data: bytes, name: str, chunk: int) -> list:
    """``data`` read from a file called ``name`` with a read buffer of ``chunk`` bytes (a
    Hypothesis test cannot take pytest's per-test fixtures)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_CHUNK", chunk)
        f = Path(d) / name
        f.write_bytes(data)
        return read_deferred(f)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["text", "title", "id", "x"]), st.text(min_size=1), min_size=1), max_size=6
    ),
    st.sampled_from([None, 0, 2]),
    st.integers(1, 40),
)
def test_array_elements_come_back_whole_wherever_the_buffer_cuts(
    items: list[dict[str, str]], indent: int | None, chunk: int
) -> None:
    """Strings holding brackets, quotes and escapes, elements cut anywhere by the read
    buffer: each element read is the element written."""
    data = json.dumps(items, indent=indent, ensure_ascii=False).encode()
    got = _read_in_chunks(data, "items.json", chunk)
    if not items:
        assert got == [] or not data.startswith(b"[{")
        return
    assert [json.loads(doc.raw) for doc in got] == items


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(["text", "id"]), st.text(min_size=1), min_size=1), min_size=1, max_size=4),
    st.sampled_from([None, 0, 2]),
    st.data(),
    st.sampled_from(["", "\n", "\n\n", " \r\n ", ",\n"]),
    st.integers(1, 40),
)
def test_a_cut_array_names_only_lines_the_file_has(
    items: list[dict[str, str]], indent: int | None, data: st.DataObject, tail: str, chunk: int
) -> None:
    """A JSON array cut anywhere (a download that stopped), whitespace after the cut: every
    record, the one saying what is wrong included, names a line the file has."""
    whole = json.dumps(items, indent=indent, ensure_ascii=False).encode()
    cut = whole[: data.draw(st.integers(1, len(whole)))] + tail.encode()
    lines = cut.count(b"\n") + (not cut.endswith(b"\n"))
    got = _read_in_chunks(cut, "items.jsonl", chunk)
    assert got or not cut.strip()
    for doc in got:
        assert doc.source_line is not None, doc.reject_reason
        assert 1 <= doc.source_line <= lines, (doc.source_line, lines, doc.reject_reason)


def _packers() -> dict[str, Callable[[bytes], bytes]]:
    import bz2
    import lzma

    import pyzstd

    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress, "zst": pyzstd.compress}


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz", "zst"])
def test_compressed_inputs_of_every_kind(tmp_path: Path, kind: str) -> None:
    """gzip, bzip2, xz and zstd (training-data dumps come as .jsonl.zst): told by their
    first bytes, with or without a telling name; pages too. What the stream expands to
    obeys the same limits, and a cut stream is rejected with the reason."""
    pack = _packers()[kind]
    lines = b"".join(
        json.dumps({"id": f"r{i}", "text": f"Story {i} of the batch."}).encode() + b"\n" for i in range(50)
    )
    (tmp_path / f"feed.jsonl.{kind}").write_bytes(pack(lines))
    (tmp_path / f"page.html.{kind}").write_bytes(pack(b"<html><body><p>A page, packed.</p></body></html>"))
    found = [Path(p).name for p, _ in discover_inputs([str(tmp_path)]).files]
    assert found == [f"feed.jsonl.{kind}", f"page.html.{kind}"]
    docs = read(tmp_path)
    assert [d.id for d in docs[:50]] == [f"r{i}" for i in range(50)] and docs[3].raw == "Story 3 of the batch."
    assert docs[50].raw_kind == "html" and docs[50].raw.startswith(b"<html>")
    noext = tmp_path / "dump"
    noext.write_bytes(pack(lines))
    assert [d.raw for d in read(noext)] == [d.raw for d in docs[:50]]
    cut = tmp_path / f"cut.jsonl.{kind}"
    cut.write_bytes(pack(lines * 40)[:-200])
    last = read(cut)[-1]
    assert last.status == "rejected" and "truncated or corrupt stream" in (last.reject_reason or "")


def test_a_corrupt_zstd_frame_is_rejected(tmp_path: Path) -> None:
    import pyzstd

    packed = pyzstd.compress(os.urandom(100_000))
    bad = tmp_path / "bad.jsonl.zst"
    bad.write_bytes(packed[:6] + b"\xff" * 50 + packed[56:])  # a frame header no decoder accepts
    (doc,) = read(bad)
    assert doc.status == "rejected" and "truncated or corrupt stream: ZstdError" in (doc.reject_reason or "")


def test_a_zstd_bomb_stops_at_the_ratio() -> None:
    import tempfile

    import pyzstd

    with tempfile.TemporaryDirectory() as d:
        bomb = Path(d) / "bomb.jsonl.zst"
        bomb.write_bytes(pyzstd.compress(b'{"text": "x"}\n' + b"\n" * (80 << 20)))
        docs = read(bomb)
    assert docs[0].status != "rejected" and "decompression bomb" in (docs[-1].reject_reason or "")


_LINE_KINDS = st.one_of(
    st.builds(lambda t: json.dumps({"text": t}, ensure_ascii=False), st.text(max_size=30)),
    st.builds(lambda t: json.dumps({"title": "a}", "html": f"<p>{t}</p>"}), st.text(max_size=20)),
    st.builds(lambda t: json.dumps({"text": t, "x": {"y": [1]}}, indent=2), st.text(max_size=20)),
    st.builds(lambda t: json.dumps({"text": t}) + " \t", st.text(max_size=10)),
    st.builds(lambda t: json.dumps({"text": t}) + "\r", st.text(max_size=10)),
    st.builds(lambda n: json.dumps({"text": "x" * n}), st.integers(150, 400)),  # over the limit below
    st.sampled_from(["", "   ", "\r", "not json", "{", '{"text": "open', "}", "[1, 2]", '  {"text": "in"}']),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE_KINDS, max_size=12), st.booleans(), st.integers(1, 300))
def test_blocks_make_the_records_the_lines_make(lines: list[str], newline_at_end: bool, block: int) -> None:
    """Read in blocks of whole lines (split by the workers, :class:`JsonlBlock`), a JSONL
    file gives exactly the records it gives read line by line: wherever the blocks end,
    with objects written over several lines, blank lines, lines over the limit, lines
    that are not JSON, and ``html`` records (which come out one by one)."""
    import tempfile

    from corpuskit.readers import make_unique, parse_deferred

    limit = 200
    data = "\n".join(lines).encode() + (b"\n" if newline_at_end else b"")
    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_BLOCK", block)
        f = Path(d) / "lines.jsonl"
        f.write_bytes(data)
        by_line = list(read_inputs([str(f)], max_doc_bytes=limit))
        items = list(read_inputs([str(f)], max_doc_bytes=limit, defer_parsing=True))
    by_block = []
    for item in items:
        if isinstance(item, JsonlBlock):
            assert b'"html"' not in item.data
            by_block.extend(item.records(limit))
        else:
            by_block.append(parse_deferred(item))
    seen: dict[str, int] = {}
    for doc in by_block:
        make_unique(doc, seen)  # as the pipeline does, and the reader when it parses

    def key(doc: object) -> tuple:
        return tuple(
            getattr(doc, k) for k in ("id", "source_line", "status", "reject_reason", "raw", "raw_kind", "meta")
        )

    assert [key(doc) for doc in by_block] == [key(doc) for doc in by_line]
    if data.startswith(b"["):
        return
    whole = sum(len(item.data) for item in items if isinstance(item, JsonlBlock))
    physical = data.split(b"\n")
    closed = all(line.rstrip().endswith(b"}") or not line.strip() for line in physical)
    if closed and max(map(len, physical)) <= limit + block and b'"html"' not in data:
        assert whole == len(data)  # nothing was read line by line
