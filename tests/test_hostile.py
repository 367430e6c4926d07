"""Hostile input: every record is accounted for, nothing crashes, nothing hangs.

Each test builds its inputs in a temporary directory (large ones streamed to disk, never
held in memory), runs the readers or the whole pipeline with limits small enough to keep the
test fast, and checks that bad records come out ``rejected`` with a reason naming the file.
:func:`assert_accounted` is the run-level invariant every test corpus is held to.
"""

from __future__ import annotations

import errno
import gzip
import io
import json
import os
import signal
import socket
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from corpuskit import readers
from corpuskit.cli import app
from corpuskit.config import RunConfig
from corpuskit.errors import OutputError
from corpuskit.normalise import normalise_text
from corpuskit.pipeline import run
from corpuskit.readers import decode_bytes, read_inputs
from corpuskit.records import Document
from corpuskit.stages import prepare_document

ARTICLE = (
    "The regional water board approved a plan on Wednesday to raise the height of the old dam "
    "by four metres, ending a dispute with farmers downstream that had lasted for most of a decade.\n\n"
    "Engineers told the board that the work would take three summers and that the reservoir would "
    "stay open for boats and swimmers throughout, although the western car park will close in June."
)
SECOND = (
    "A small bakery in the harbour district has won the national bread prize for the second year "
    "running, beating more than three hundred entries with a rye loaf baked in a wood-fired oven.\n\n"
    "The owner said she would use the prize money to train two apprentices and to repair the "
    "chimney, which had been leaning towards the street since the storm last winter."
)
MB = 1 << 20
SMALL = 64 * 1024  # a max_doc_bytes that keeps the oversized-input tests fast


def assert_accounted(out: Path, n_input: int | None = None) -> list[dict[str, Any]]:
    """The accounting invariant of a finished run in ``out``; returns its documents.

    Every input record is one line of ``documents.jsonl`` with a unique id, and
    ``read == kept + duplicate + rejected`` holds alike in the file and in the manifest.
    """
    docs = [orjson.loads(line) for line in (out / "documents.jsonl").read_bytes().splitlines()]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    c = manifest["counts"]
    status = Counter(d["status"] for d in docs)
    assert set(status) <= {"kept", "duplicate", "rejected"}
    assert len(docs) == c["read"] == c["kept"] + c["duplicate"] + c["rejected"]
    assert (status["kept"], status["duplicate"], status["rejected"]) == (c["kept"], c["duplicate"], c["rejected"])
    assert sum(c["rejected_by_reason"].values()) == c["rejected"]
    assert len({d["id"] for d in docs}) == len(docs)
    for d in docs:
        assert (d["status"] == "rejected") == bool(d["reject_reason"])
        assert d["text"] == normalise_text(d["text"])
    if n_input is not None:
        assert len(docs) == n_input
    return docs


def read(*paths: Path | str, limit: int = MB, **kw: Any) -> list[Document]:
    return list(read_inputs([str(p) for p in paths], max_doc_bytes=limit, **kw))


def jsonl(path: Path, *rows: Any) -> Path:
    path.write_bytes(b"".join(r if isinstance(r, bytes) else orjson.dumps(r) + b"\n" for r in rows))
    return path


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging CI) when the block runs longer than ``seconds``."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"took longer than {seconds}s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def gzip_bomb(path: Path, *, prefix: bytes, fill: bytes, gigabytes: int) -> Path:
    """A gzip file that expands ~1000x: one small member repeated (gzip allows many members)."""
    member = gzip.compress(fill * (16 * MB // len(fill)), compresslevel=9)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(prefix))
        for _ in range(gigabytes * 64):
            fh.write(member)
    return path


def stream_file(path: Path, head: bytes, fill: bytes, size: int, tail: bytes = b"") -> Path:
    """Write ``head + fill * n + tail`` of about ``size`` bytes without holding it in memory."""
    block = fill * (MB // len(fill))
    with open(path, "wb") as fh:
        fh.write(head)
        for _ in range(size // len(block)):
            fh.write(block)
        fh.write(tail)
    return path


# ------------------------------------------------------------------ encodings and bytes


ENCODED = [
    ("cp1252.txt", "Zölle für Käse – “sagte er” à la carte.", "cp1252"),
    (
        "sjis.txt",
        "トランプ大統領は火曜日、韓国との貿易交渉が順調に進んでいると述べた。交渉団はすでに出発した。",
        "shift_jis",
    ),
    ("bom16.txt", "Grüße aus Köln, sagte der Bürgermeister.", "utf-16"),
    ("bom8.txt", "Grüße aus Köln, sagte der Bürgermeister.", "utf-8-sig"),
    ("nobom16.txt", "Plain words in UTF-16 with no byte order mark at all.", "utf-16-le"),
]


@pytest.mark.parametrize(("name", "text", "encoding"), ENCODED, ids=[e[0] for e in ENCODED])
def test_legacy_and_utf16_files_decode(tmp_path: Path, name: str, text: str, encoding: str) -> None:
    f = tmp_path / name
    f.write_bytes(text.encode(encoding))
    [doc] = read(f)
    assert doc.status == "kept" and isinstance(doc.raw, bytes)
    assert prepare_document(doc, RunConfig(workers=1)).text == text


def test_mixed_utf8_and_cp1252_in_one_file() -> None:
    data = "Le café “Chez Zoë” – ".encode() + "naïve crème brûlée".encode("cp1252") + " — fin.".encode()
    decoded = decode_bytes(data)
    assert decoded is not None
    assert decoded.text == "Le café “Chez Zoë” – naïve crème brûlée — fin." and decoded.encoding == "utf-8+cp1252"


def test_jsonl_in_other_encodings_and_lone_surrogates(tmp_path: Path) -> None:
    u16 = tmp_path / "u16.jsonl"
    u16.write_bytes(('{"id": "a", "text": "Grüße"}\n{"id": "b", "text": "二つ目"}\n').encode("utf-16"))
    mixed = jsonl(
        tmp_path / "mixed.jsonl",
        b'{"id": "c", "text": "Caf' + "é naïve".encode("cp1252") + b'"}\n',
        b'{"id": "d", "text": "' + "交渉団はすでにワシントンに向かっており".encode("shift_jis") + b'"}\n',
        b'{"id": "e\\ud800", "text": "lone \\udc00 surrogate", "title": "\\ud83d", "\\udfff": ["\\ud800"]}\n',
        b'\xef\xbb\xbf{"id": "f", "text": "BOM mid-file is not JSON"}\n',
    )
    docs = read(u16, mixed)
    assert [d.raw for d in docs[:5]] == [
        "Grüße",
        "二つ目",
        "Café naïve",
        "交渉団はすでにワシントンに向かっており",
        "lone \ufffd surrogate",
    ]
    assert docs[2].meta["encoding"] == "cp1252" and docs[4].id == "e\ufffd" and docs[4].title == "\ufffd"
    assert docs[4].meta["input"] == {"\ufffd": ["\ufffd"]}
    assert docs[5].status == "rejected" and docs[5].reject_reason.startswith("invalid JSON")
    for d in docs:
        orjson.dumps(d.to_dict())  # whatever came in, the record can be written


def test_nul_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(ARTICLE.encode().replace(b"dam", b"d\x00am"))
    (tmp_path / "nul.bin").write_bytes(b"\x00" * 5000)
    jsonl(tmp_path / "b.jsonl", {"id": "esc", "text": "escaped \u0000 nul"}, b'{"id": "raw", "text": "raw \x00 nul"}\n')
    docs = read(tmp_path / "a.txt", tmp_path / "nul.bin", tmp_path / "b.jsonl")
    cfg = RunConfig(workers=1)
    prepared = [prepare_document(d, cfg) for d in docs]
    assert prepared[0].text == normalise_text(ARTICLE)
    assert prepared[1].status == "rejected" and prepared[1].reject_reason.startswith("binary content")
    assert [d.text for d in prepared[2:]] == ["escaped nul", "raw nul"]


def test_strange_json_values_never_break_the_writer(tmp_path: Path) -> None:
    f = jsonl(
        tmp_path / "odd.jsonl",
        b'{"text": "x", "big": ' + b"9" * 40 + b', "nan": NaN, "deep": ' + b"[" * 300 + b"]" * 300 + b"}\n",
        b"[" * 100_000 + b"]" * 100_000 + b"\n",
        b'{"id": {"nested": 1}, "text": "id is not a string", "title": ["list"], "authors": [1, null, {"a": 2}]}\n',
        b'"just a string"\n',
        b"\xff\xfe garbage \x00\x01\n",
    )
    docs = read(f)
    assert [d.status for d in docs] == ["kept", "rejected", "kept", "rejected", "rejected"]
    assert docs[0].meta["input"]["big"] == "9" * 40 and docs[0].meta["input"]["nan"] is None
    assert docs[1].reject_reason.startswith("invalid JSON: nested too deeply")
    assert docs[2].id == f"{f}:3" and docs[2].title is None and docs[2].authors == ["1"]
    assert docs[3].reject_reason.startswith("not a JSON object: str")
    for d in docs:
        orjson.dumps(d.to_dict())


# ------------------------------------------------------------------ size limits


def test_200mb_single_line_is_rejected_without_reading_it_whole(tmp_path: Path) -> None:
    big_jsonl = stream_file(tmp_path / "big.jsonl", b'{"text": "', b"word ", 200 * MB, b'"}\n{"text": "after"}\n')
    big_txt = stream_file(tmp_path / "big.txt", b"", b"word ", 200 * MB)
    big_warc = stream_file(tmp_path / "big.warc", b"WARC/1.0 ", b"x", 200 * MB)
    limit = 20_000_000  # the default max_doc_bytes
    tracemalloc.start()
    try:
        with time_limit(30):
            docs = read(big_jsonl, big_txt, big_warc, limit=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.status for d in docs] == ["rejected", "kept", "rejected", "rejected"]
    assert all(d.reject_reason.startswith("too large") for d in docs if d.status == "rejected")
    assert docs[1].raw == "after"
    assert peak < 3 * limit, f"peak {peak / MB:.0f} MiB while reading 200 MiB lines"


def test_jsonl_line_with_10mb_of_whitespace(tmp_path: Path) -> None:
    ws = b" \t" * (5 * MB)
    f = jsonl(
        tmp_path / "ws.jsonl",
        ws + b"\n",  # a blank line: not a record
        b"{" + ws + b'"text": "padded"' + ws + b"}\n",
        b'{"text": "' + ws + b'"}\n',
        b"\n" * 100_000 + b'{"text": "after many blank lines"}\n',
    )
    with time_limit(20):
        docs = read(f, limit=32 * MB)
    assert [(d.status, d.source_line) for d in docs] == [("kept", 2), ("rejected", 3), ("kept", 100_004)]
    assert docs[0].raw == "padded" and docs[1].reject_reason.startswith("no text or html field")


@pytest.mark.parametrize("fill", [b"a", b"\n"], ids=["one-line", "blank-lines"])
def test_jsonl_gz_decompression_bomb(tmp_path: Path, fill: bytes) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.jsonl.gz", prefix=b'{"text": "before the bomb"}\n', fill=fill, gigabytes=4)
    assert bomb.stat().st_size < 5 * MB
    with time_limit(20):
        docs = read(bomb, limit=SMALL)
    assert docs[0].raw == "before the bomb"
    assert len(docs) == 2 and docs[1].status == "rejected"
    assert docs[1].reject_reason.startswith(("decompression bomb", "too large"))


def test_total_decompressed_bytes_per_file_is_bounded(tmp_path: Path) -> None:
    rows = [{"text": f"record {i} " + "x" * 1000} for i in range(3000)]  # ~3 MB, compresses ~100x
    f = tmp_path / "many.jsonl.gz"
    f.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in rows)))
    docs = read(f, limit=SMALL, max_input_bytes=MB)
    assert docs[-1].status == "rejected" and "max_input_bytes=1048576" in docs[-1].reject_reason
    assert all(d.status == "kept" for d in docs[:-1]) and 900 < len(docs) < 1100


def _warc_bytes(bodies: list[tuple[str, bytes]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for url, body in bodies:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return buf.getvalue()


def test_warc_gz_decompression_bomb(tmp_path: Path) -> None:
    good = _warc_bytes([("https://a.example/1", f"<html><body><p>{ARTICLE}</p></body></html>".encode())])
    header = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://b.example/\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: 4294967296\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    )
    f = tmp_path / "bomb.warc.gz"
    f.write_bytes(good)
    with open(f, "ab") as fh:
        fh.write(gzip_bomb(tmp_path / "member.gz", prefix=header, fill=b"\0", gigabytes=4).read_bytes())
    with time_limit(20):
        docs = read(f, limit=SMALL)
    # The bomb record is rejected as too large; skipping its remainder then trips a
    # whole-file bound, and the rest of the file is one more rejected entry.
    assert (docs[0].id, docs[0].status) == (f"{f}#1", "kept") and 2 <= len(docs) <= 3
    assert all(
        d.status == "rejected" and d.reject_reason.startswith(("decompression bomb", "too large")) for d in docs[1:]
    )


def test_corrupt_warcs(tmp_path: Path) -> None:
    good = _warc_bytes([(f"https://a.example/{i}", b"<p>page %d</p>" % i) for i in range(3)])
    (tmp_path / "cut.warc.gz").write_bytes(good[:-40])
    (tmp_path / "junk.warc").write_bytes(b"WARC/1.0\r\nContent-Length: abc\r\n\r\nxx")
    (tmp_path / "text.warc").write_bytes(b"this is not a WARC file at all\n")
    (tmp_path / "chunked.warc").write_bytes(
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://c.example/\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: 80\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nbad\r\n\r\n\r\n"
    )
    with time_limit(20):
        docs = read(*(tmp_path / n for n in ("cut.warc.gz", "junk.warc", "text.warc", "chunked.warc")))
    by_file: dict[str, list[str]] = {}
    for d in docs:
        by_file.setdefault(Path(d.source).name, []).append(d.status)
        assert d.status == "kept" or Path(d.source).name in d.reject_reason
    assert by_file["cut.warc.gz"][:2] == ["kept", "kept"] and by_file["cut.warc.gz"][-1] == "rejected"
    assert by_file["junk.warc"] == ["rejected"] and by_file["text.warc"] == ["rejected"]
    assert len(by_file["chunked.warc"]) == 1


# ------------------------------------------------------------------ HTML parser attacks


def _html_doc(html: str) -> Document:
    doc = Document(id="page", source="page.html")
    doc.raw, doc.raw_kind = html.encode(), "html"
    return doc


def test_html_nested_100000_levels(tmp_path: Path) -> None:
    for tag in ("div", "span", "li", "table"):
        html = "<html><body>" + f"<{tag}>" * 100_000 + f"<p>{ARTICLE}</p>" + f"</{tag}>" * 100_000 + "</body></html>"
        with time_limit(60):
            doc = prepare_document(_html_doc(html), RunConfig(workers=1))
        assert doc.status in ("kept", "rejected")
        assert doc.status == "rejected" or "regional water board" in doc.text


def test_xml_entity_expansion_is_not_performed() -> None:
    lol = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    head = (
        '<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        f'"http://127.0.0.1:9/xhtml1-strict.dtd" [{lol}<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    )
    body = f"<html xmlns='http://www.w3.org/1999/xhtml'><body><article><p>&lol9; &xxe; {ARTICLE}</p></article></body></html>"
    with time_limit(20):
        doc = prepare_document(_html_doc(head + body), RunConfig(workers=1))
    assert doc.status == "kept" and "regional water board" in doc.text
    assert "lollollol" not in doc.text and "root:" not in doc.text and len(doc.text) < 2 * len(ARTICLE)


# ------------------------------------------------------------------ files and directories


def test_symlink_loops_and_special_files(tmp_path: Path) -> None:
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "a.txt").write_text(ARTICLE)
    os.symlink(d, d / "sub" / "up")  # loop back to the top
    os.symlink(d / "sub", d / "sub" / "self")
    os.symlink(tmp_path / "missing.txt", d / "dangling.txt")
    os.mkfifo(d / "pipe")  # opening a FIFO would block forever
    with time_limit(10):
        docs = read(d)
    names = {Path(x.source).name: x for x in docs}
    assert sorted(names) == ["a.txt", "dangling.txt", "pipe"]
    assert names["a.txt"].status == "kept"
    assert names["dangling.txt"].reject_reason.startswith("unreadable: No such file")
    assert names["pipe"].reject_reason.startswith("not a regular file")


def test_file_vanishes_between_discovery_and_reading(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(ARTICLE)
    it = read_inputs([str(tmp_path)], max_doc_bytes=MB)  # discovers now, reads lazily
    (tmp_path / "b.txt").unlink()
    docs = list(it)
    assert [(Path(d.source).name, d.status) for d in docs] == [
        ("a.txt", "kept"),
        ("b.txt", "rejected"),
        ("c.txt", "kept"),
    ]
    assert "No such file" in docs[1].reject_reason and "b.txt" in docs[1].reject_reason


class _FailingFile(io.BufferedReader):
    """A file whose reads fail with EIO once ``good`` bytes have been read (a dying disk)."""

    def __init__(self, path: str, good: int) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self._left = good

    def read(self, n: int | None = -1) -> bytes:
        if self._left <= 0:
            raise OSError(errno.EIO, "Input/output error")
        data = super().read(n if n is not None and 0 <= n <= self._left else self._left)
        self._left -= len(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        return self.read(n)


def test_unreadable_and_failing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked.txt").write_text(ARTICLE)
    jsonl(tmp_path / "dying.jsonl", *({"text": f"record {i} {ARTICLE}"} for i in range(200)))
    (tmp_path / "sub").mkdir()
    real_open = open

    def fake_open(path: Any, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if str(path).endswith("locked.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        if str(path).endswith("dying.jsonl"):
            return _FailingFile(str(path), 20_000)
        return real_open(path, mode, *args, **kw)

    monkeypatch.setattr(readers, "open", fake_open, raising=False)
    real_scandir = os.scandir
    monkeypatch.setattr(
        readers.os,
        "scandir",
        lambda p: (
            (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied"))
            if str(p).endswith("sub")
            else real_scandir(p)
        ),
    )
    docs = read(tmp_path)
    by = Counter((Path(d.source).name, d.status) for d in docs)
    assert by[("locked.txt", "rejected")] == 1 and by[("sub", "rejected")] == 1
    assert by[("dying.jsonl", "kept")] > 10 and by[("dying.jsonl", "rejected")] == 1
    reasons = {Path(d.source).name: d.reject_reason for d in docs if d.status == "rejected"}
    assert reasons["locked.txt"].startswith("unreadable: Permission denied")
    assert reasons["sub"].startswith("unreadable directory: Permission denied")
    assert "Input/output error" in reasons["dying.jsonl"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_chmod_000(tmp_path: Path) -> None:  # pragma: no cover - CI runs unprivileged
    f = tmp_path / "locked.txt"
    f.write_text(ARTICLE)
    f.chmod(0)
    try:
        [doc] = read(f)
    finally:
        f.chmod(0o644)
    assert doc.reject_reason.startswith("unreadable: Permission denied")


def test_duplicate_ids_across_inputs(tmp_path: Path) -> None:
    a = jsonl(tmp_path / "a.jsonl", {"id": "x", "text": ARTICLE}, {"id": "x~2", "text": SECOND})
    b = jsonl(tmp_path / "b.jsonl", {"id": "x", "text": SECOND + " More."}, {"id": "x", "text": "Short one."})
    docs = read(a, b)
    assert [d.id for d in docs] == ["x", "x~2", "x~3", "x~4"]
    assert [d.meta.get("given_id") for d in docs] == [None, None, "x", "x"]
    run([str(a), str(b)], tmp_path / "out", RunConfig(workers=1))
    assert_accounted(tmp_path / "out", 4)
    # A run's workers parse the lines; ids are still settled in input order, the same
    # with any number of workers, and the given id is the renamed record's first meta key.
    bad = tmp_path / "c.jsonl"
    bad.write_bytes(b'{"id": "x", "text": "One more.", "topic": "t"}\n{"id": "x", "text": \n[1]\n')
    outs = []
    for w in (1, 2):
        run([str(a), str(b), str(bad)], tmp_path / f"out{w}", RunConfig(workers=w))
        outs.append((tmp_path / f"out{w}" / "documents.jsonl").read_bytes())
    assert outs[0] == outs[1]
    got = [orjson.loads(line) for line in outs[0].splitlines()]
    assert [d["id"] for d in got] == ["x", "x~2", "x~3", "x~4", "x~5", f"{bad}:2", f"{bad}:3"]
    assert list(got[4]["meta"])[:2] == ["given_id", "input"]
    assert got[5]["reject_reason"].startswith("invalid JSON") and got[5]["reject_reason"].endswith(f"({bad}:2)")
    assert got[6]["reject_reason"] == f"not a JSON object: list ({bad}:3)"


# ------------------------------------------------------------------ whole runs


def _hostile_corpus(root: Path) -> tuple[Path, int]:
    """One directory of everything above, small enough for a quick run; and its record count."""
    d = root / "hostile"
    d.mkdir()
    (d / "good.txt").write_text(ARTICLE)
    (d / "cp1252.txt").write_bytes(SECOND.encode("cp1252").replace(b"bakery", b"b\xe4kery"))
    (d / "sjis.html").write_bytes(
        b'<html><head><meta charset="shift_jis"></head><body><article><p>'
        + ("交渉団はすでにワシントンに向かっており、関税の引き下げについて協議する予定だという。" * 4).encode(
            "shift_jis"
        )
        + b"</p></article></body></html>"
    )
    (d / "deep.html").write_text("<html><body>" + "<div>" * 100_000 + f"<p>{ARTICLE}</p>" + "</div>" * 100_000)
    (d / "empty.txt").write_bytes(b"")
    (d / "nul.txt").write_bytes(b"\x00\x01\x02" * 2000)
    jsonl(
        d / "feed.jsonl",
        {"id": "x", "text": SECOND},
        b'{"id": "x", "text": "lone \\ud800 ' + ARTICLE.replace("\n", "\\n").encode() + b'"}\n',
        b"not json\n",
        b'{"text": "' + b"y" * (2 * MB + 10) + b'"}\n',
        b"[" * 50_000 + b"\n",
    )
    gzip_bomb(d / "bomb.jsonl.gz", prefix=b'{"id": "g", "text": "gz before the bomb"}\n', fill=b"\n", gigabytes=1)
    (d / "cut.warc.gz").write_bytes(_warc_bytes([("https://w.example/1", f"<p>{ARTICLE}</p>".encode())] * 2)[:-30])
    os.symlink(d, d / "loop")
    # good, cp1252, sjis, deep, empty, nul: 6; feed: 5; bomb: 2; cut.warc: 2
    return d, 15


def test_hostile_corpus_runs_and_accounts_for_every_record(tmp_path: Path) -> None:
    d, n = _hostile_corpus(tmp_path)
    with time_limit(120):
        # min_page_words=0: the word count splits on spaces, which Japanese does not have
        res = run([str(d)], tmp_path / "out", RunConfig(workers=2, max_doc_bytes=2 * MB, min_page_words=0))
    docs = assert_accounted(tmp_path / "out", n)
    by_id = {Path(x["id"]).name: x for x in docs}
    assert by_id["good.txt"]["status"] != "rejected" and by_id["cp1252.txt"]["status"] != "rejected"
    assert "bäkery" in by_id["cp1252.txt"]["text"] and "交渉団" in by_id["sjis.html"]["text"]
    assert res.counts["rejected"] >= 6
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "documents.jsonl",
        "manifest.json",
        "passages.jsonl",
        "report.html",
    ]


def _outputs(out: Path) -> dict[str, bytes]:
    """The output files (the hidden work directory, kept for --resume, aside)."""
    return {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}


def test_output_on_a_full_disk_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE}, {"id": "b", "text": SECOND})
    out = tmp_path / "out"
    run([str(f)], out, RunConfig(workers=1))
    before = _outputs(out)
    jsonl(f, {"id": "c", "text": SECOND})

    def full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    import corpuskit.writers as writers

    monkeypatch.setattr(writers.os, "fsync", full)
    with pytest.raises(OutputError, match="No space left"):
        run([str(f)], out, RunConfig(workers=1))
    r = CliRunner().invoke(app, ["run", str(f), "-o", str(out), "--workers", "1"])
    assert r.exit_code == 3 and "No space left on device" in r.output
    monkeypatch.undo()
    assert _outputs(out) == before and not (out / ".corpuskit-work" / "output").exists()


def test_write_error_midway_keeps_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = jsonl(tmp_path / "in.jsonl", *({"id": str(i), "text": f"{i} {ARTICLE}"} for i in range(50)))
    out = tmp_path / "out"
    run([str(f)], out, RunConfig(workers=1, passages=RunConfig().passages.__class__(mode="off")))
    before = _outputs(out)
    import corpuskit.writers as writers

    real_fdopen = os.fdopen

    class Full(io.BufferedWriter):
        def write(self, b: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.os, "fdopen", lambda fd, mode, **kw: Full(real_fdopen(fd, "wb", buffering=0)))
    with pytest.raises(OutputError):
        run([str(f)], out, RunConfig(workers=1))
    monkeypatch.undo()
    assert _outputs(out) == before and not (out / ".corpuskit-work" / "output").exists()


def test_full_disk_under_the_parked_texts_keeps_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = jsonl(tmp_path / "in.jsonl", {"id": "a", "text": ARTICLE}, {"id": "b", "text": SECOND})
    out = tmp_path / "out"
    run([str(f)], out, RunConfig(workers=1))
    before = _outputs(out)
    import corpuskit.spill as spill

    def full(*args: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spill.os, "pwrite", full)
    with pytest.raises(OutputError, match="text spill file: No space left"):
        run([str(f)], out, RunConfig(workers=1))
    monkeypatch.undo()
    assert _outputs(out) == before


def test_texts_are_parked_on_disk_while_the_run_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No stage after reading holds the texts of the batch: each is parked in the spill
    file and read back where needed; the output is the same as with the texts in memory."""
    import corpuskit.pipeline as pipeline

    rows = [{"id": f"d{i}", "text": f"{i} {ARTICLE}" if i % 3 else SECOND} for i in range(12)]
    f = jsonl(tmp_path / "in.jsonl", *rows)
    seen: list[list[Document]] = []
    real = pipeline.deduplicate

    def spy(docs: list[Document], cfg: Any, **kw: Any) -> Any:
        if any(d.source != str(f) for d in docs):  # the kernels' warm-up batch (workers > 1)
            return real(docs, cfg, **kw)
        seen.append(list(docs))
        assert all(d.text == "" and d.parked is not None for d in docs if d.status != "rejected")
        assert all("sig" not in d.work for d in docs)  # the signatures wait in blocks
        return real(docs, cfg, **kw)

    monkeypatch.setattr(pipeline, "deduplicate", spy)
    result = run([str(f)], tmp_path / "out", RunConfig(workers=2))
    assert seen and result.counts["kept"] >= 2
    written = [orjson.loads(line) for line in (tmp_path / "out" / "documents.jsonl").read_bytes().splitlines()]
    assert [d.to_dict() for d in result.documents] == written  # read back from the output
    assert all(d["text"] for d in written if d["status"] != "rejected")
    assert not (tmp_path / "out" / ".corpuskit-work").exists()


def test_another_run_into_the_same_directory_is_refused(tmp_path: Path) -> None:
    from corpuskit.checkpoint import Checkpoints

    f = jsonl(tmp_path / "in.jsonl", {"text": ARTICLE})
    holder = Checkpoints(tmp_path / "out", RunConfig(workers=1), resume=False)
    try:
        with pytest.raises(OutputError, match="another corpuskit run"):
            run([str(f)], tmp_path / "out", RunConfig(workers=1))
    finally:
        holder.close()
    run([str(f)], tmp_path / "out", RunConfig(workers=1))
    assert_accounted(tmp_path / "out", 1)


# ------------------------------------------------------------------ security


def test_no_network_access_during_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def refuse(*args: Any, **kw: Any) -> Any:
        attempts.append(args)
        raise OSError(errno.ENETUNREACH, "network access during a run")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    page = (
        '<?xml version="1.0"?><!DOCTYPE html SYSTEM "http://127.0.0.1:9/x.dtd">'
        '<html><head><base href="http://127.0.0.1:9/"><link rel="stylesheet" href="http://127.0.0.1:9/s.css">'
        '<meta http-equiv="refresh" content="0; url=http://127.0.0.1:9/"><link rel="canonical" href="/a">'
        '<script src="http://127.0.0.1:9/x.js"></script></head><body><iframe src="http://127.0.0.1:9/"></iframe>'
        f'<article><h1>Dam plan</h1><p>{ARTICLE}</p><img src="http://127.0.0.1:9/i.png"></article></body></html>'
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.html").write_text(page)
    jsonl(tmp_path / "in" / "feed.jsonl", {"url": "http://127.0.0.1:9/story", "html": page})
    run([str(tmp_path / "in")], tmp_path / "out", RunConfig(workers=1))
    docs = assert_accounted(tmp_path / "out", 2)
    assert all("regional water board" in d["text"] for d in docs)
    assert attempts == []


def test_nothing_is_written_outside_the_output_directory(tmp_path: Path) -> None:
    evil = ["../../../escape", "/tmp/corpuskit-escape", "..", "report.html", "con:aux", "a/../../b"]
    d = tmp_path / "in"
    d.mkdir()
    rows = [{"id": e, "url": f"file:///{e}", "title": e, "sitename": e, "text": f"{e} {ARTICLE}"} for e in evil]
    jsonl(d / "weird ..name;rm -rf.jsonl", *rows)
    (d / "sub..").mkdir()
    (d / "sub..").joinpath("x.txt").write_text(SECOND)
    before = {p for p in tmp_path.rglob("*")}
    run([str(d)], tmp_path / "out", RunConfig(workers=1))
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.is_relative_to(tmp_path / "out") for p in created)
    assert sorted(p.name for p in created) == [
        "documents.jsonl",
        "manifest.json",
        "out",
        "passages.jsonl",
        "report.html",
    ]
    assert not Path("/tmp/corpuskit-escape").exists()
    assert_accounted(tmp_path / "out", len(evil) + 1)


CRAFTED_LINES = {
    "spaces": " " * 200_000 + "x",
    "tabs-and-nbsp": "\t\u00a0 " * 60_000 + "end",
    "dots": ". " * 80_000,
    "words": "a " * 100_000,
    "capitalised": "By " + "John Smith and " * 10_000,
    "digits": "1, " * 60_000 + "2025",
    "date-like": "April 3, 2025, 10:15 am " * 8_000,
    "url": "https://" + "a." * 60_000 + "com/" + "b/" * 20_000,
    "email-like": "x@" * 60_000,
    "quotes": "“" * 50_000 + "’" * 50_000,
    "pipes": "Home | " * 30_000,
    "credit": "Photo: " + "Getty Images / " * 10_000,
    "copyright": "© " * 50_000 + "2025",
    "hashtags": "#a " * 60_000,
    "brackets": "[" * 50_000 + "(" * 50_000,
    "meta-charset": "<meta " + " " * 100_000 + "charset",
    "xml-decl": "<?xml " + "a" * 100_000,
    "mixed-scripts": "Москва 東京 القاهرة " * 10_000,
}


@pytest.mark.parametrize("name", sorted(CRAFTED_LINES))
def test_regexes_are_safe_on_crafted_lines(name: str) -> None:
    """Readers, normaliser and boilerplate stripper stay near-linear on adversarial lines."""
    from corpuskit.boilerplate import postfilter_extracted, strip_boilerplate
    from corpuskit.config import BoilerplateConfig

    line = CRAFTED_LINES[name]
    page = "\n".join(["Home | World", line, ARTICLE, line[: len(line) // 2], "© 2025 Example News"])
    t = time.perf_counter()
    with time_limit(30):
        decode_bytes(page.encode("cp1252", errors="replace"), html=True)
        readers._META_CHARSET.search(line.encode("utf-8")[:4096])
        readers._XML_ENCODING.search(line.encode("utf-8")[:4096])
        text = normalise_text(page)
        strip_boilerplate(text, BoilerplateConfig())
        postfilter_extracted(text, BoilerplateConfig())
    elapsed = time.perf_counter() - t
    assert elapsed < 10, f"{name}: {elapsed:.1f}s for a {len(page):,}-character page"


def test_cli_help_documents_the_limits() -> None:
    r = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert r.exit_code == 0
    for option in ("--max-doc-bytes", "--max-input-bytes", "--max-compression-ratio", "--resume"):
        assert option in r.output


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX-specific checks (FIFOs, signals, flock)")
