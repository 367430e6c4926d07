"""The run report: one self-contained ``report.html`` a person can open after a run.

JSONL answers "what was kept"; the report answers "what did corpuskit decide, and why":
which statements were re-reported and how each outlet changed them, which documents were
folded into which, what was rejected. It is one file with no network access at all (inline
CSS, a little vanilla JS, inline SVG charts), so it can be mailed or archived with the corpus.

How it stays safe and fast:

* Python renders only the overview (numbers, and strings passed through :func:`html.escape`).
  Every list (passages, clusters, documents, rejections) is embedded once as JSON in a
  ``<script type="application/json">`` block, with every ``<`` written as ``\\u003c`` so no
  corpus text can close the block, and rendered page by page in the browser with
  ``textContent`` only. A Content-Security-Policy that allows nothing but the report's own
  script (by hash) is the second line of defence: an injected ``<script>`` or ``onerror``
  attribute could not run even if escaping failed.
* Context snippets and word diffs of passages are computed here; the side-by-side diff of a
  duplicate against its kept document is computed lazily in the browser from the embedded
  texts, so its cost is paid only for the pairs someone opens.
* Document texts are embedded whole for cluster members (the diff needs them) and, while
  the total stays under :data:`FULL_TEXT_BUDGET` characters, for every document; past that
  the others carry a lead of :data:`LEAD_CHARS` characters, keeping 100k-document reports
  openable.

The output is deterministic: the same records and manifest give the same bytes.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from .errors import InputError
from .normalise import fold_text
from .writers import atomic_writer

__all__ = [
    "CONTEXT_CHARS",
    "FULL_TEXT_BUDGET",
    "LEAD_CHARS",
    "ReportPage",
    "context_snippet",
    "mark_spelling",
    "render_report",
    "word_diff",
    "write_report",
]

CONTEXT_CHARS = 150
"""Characters of document text shown on each side of a passage occurrence."""

LEAD_CHARS = 320
"""Characters of a document kept when its full text is not embedded."""

FULL_TEXT_BUDGET = 3_000_000
"""Embed every document's full text while their total stays under this many characters."""

MEMBER_TEXT_BUDGET = 20_000_000
"""Cluster members' texts (for side-by-side diffs) are embedded whole up to this many
characters in all; past it, each member carries a lead only (marked ``cut``)."""

_MAX_DOC_CHARS = 200_000  # one cluster member's embedded text is cut here (diffs stay usable)
_SIZE_BUCKETS = 10  # histogram bars: 2, 3, ..., 9, "10+"

_TOKEN = re.compile(r"\S+\s*")
_SPACE = re.compile(r"\s+")
_BREAK = re.compile(r"\s*\n\s*")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_OPS = frozenset(("=", "-", "+"))
_EDGE_PUNCT = "\"'.,;:!?()[]{}…"


# --------------------------------------------------------------------------- pure helpers


def word_diff(canonical: str, variant: str) -> list[list[str]]:
    """Word-level diff of ``variant`` against ``canonical`` as ``[op, text]`` pairs.

    ``"="``: words both have (spelled as in the variant); ``"-"``: canonical words the
    variant lacks; ``"+"``: words only the variant has. Words are compared after
    :func:`~corpuskit.normalise.fold_text` with quotes and punctuation at their edges
    dropped, so case, quote and dash styles and a missing full stop are not changes: the
    reader sees the edits an outlet made to the wording, not its typography.
    Joining the ``"="`` and ``"+"`` texts gives back ``variant`` exactly.

    >>> word_diff("Their top TEAM is here.", "“their top team is on a plane")
    [['=', '“their top team is '], ['-', 'here.'], ['+', 'on a plane']]
    """
    a = _TOKEN.findall(canonical)
    b = _TOKEN.findall(variant)
    lead = variant[: len(variant) - len(variant.lstrip())]
    ka = [_word_key(t) for t in a]
    kb = [_word_key(t) for t in b]
    out: list[list[str]] = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1][0] == op:
            out[-1][1] += text
        else:
            out.append([op, text])

    emit("=" if lead else "+", lead)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if tag == "equal":
            emit("=", "".join(b[j1:j2]))
            continue
        if tag in ("delete", "replace"):
            emit("-", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            emit("+", "".join(b[j1:j2]))
    return out


def mark_spelling(canonical: str, diff: list[list[str]]) -> list[list[str]]:
    """Refine a word diff for display: shared words spelled differently become ``"~"``.

    A diff (ours or the passage finder's) calls words equal when they fold together, so
    "their" vs "Their", "good." vs "good" or curly vs straight quotes vanish from it. The
    report still shows them, subtly: each such word becomes ``["~", variant_word,
    canonical_word]``. When the diff's words cannot be lined up with ``canonical`` (a
    tokenisation we do not recognise) the diff is returned unchanged.

    >>> mark_spelling("Their top TEAM is here.", [["=", "their top TEAM is "], ["-", "here."]])
    [['~', 'their ', 'Their'], ['=', 'top TEAM is '], ['-', 'here.']]
    """
    ctoks = _TOKEN.findall(canonical)
    ptr = 0
    out: list[list[str]] = []
    for op, text in diff:
        if op == "+":
            out.append([op, text])
            continue
        toks = _TOKEN.findall(text)
        if op == "-":
            ptr += len(toks)
            out.append([op, text])
            continue
        lead = text[: len(text) - len(text.lstrip())]
        if lead:
            out.append(["=", lead])
        for tok in toks:
            if ptr >= len(ctoks):
                return diff
            want, got = ctoks[ptr].strip(), tok.strip()
            ptr += 1
            if want != got:  # fold only the words that differ at all
                if _word_key(want) != _word_key(got):
                    return diff
                out.append(["~", tok, want])
            elif out and out[-1][0] == "=":
                out[-1][1] += tok
            else:
                out.append(["=", tok])
    return out


def _word_key(token: str) -> str:
    # Quotes and punctuation hugging a word are typography, not wording: “good.” == good.
    word = fold_text(token.strip())
    return word.strip(_EDGE_PUNCT) or word


def context_snippet(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> tuple[str, str]:
    """About ``width`` characters before and after ``text[start:end]``, cut at word boundaries.

    Line and paragraph breaks become `` ¶ ``, other whitespace runs one space, and ``…``
    marks a cut: the reader sees how the outlet framed the passage without a wall of text.

    >>> context_snippet("One two three four five", 8, 13, width=5)
    ('…two ', ' four…')
    >>> context_snippet("Short text.", 0, 5)
    ('', ' text.')
    """
    lo = max(0, start - width)
    hi = min(len(text), end + width)
    before = text[lo:start]
    after = text[end:hi]
    if lo > 0:
        if lo < len(text) and not text[lo - 1].isspace() and not text[lo].isspace():
            m = _SPACE.search(before)  # the cut fell inside a word: drop that word
            before = before[m.start() :] if m else ""
        before = "…" + before.lstrip()
    if hi < len(text):
        if hi > 0 and not text[hi - 1].isspace() and not text[hi].isspace():
            cut = max(after.rfind(" "), after.rfind("\n"), after.rfind("\t"))
            after = after[:cut] if cut >= 0 else ""
        after = after.rstrip() + "…"
    return _flatten(before), _flatten(after)


def _flatten(s: str) -> str:
    return _SPACE.sub(" ", _BREAK.sub(" ¶ ", s))


def _squash(s: str) -> str:
    return _SPACE.sub("", fold_text(s))


def _valid_diff(diff: Any, variant: str) -> TypeGuard[list[list[str]]]:
    """A diff we can show: well-formed pairs whose ``=``/``+`` text is ``variant`` (folded)."""
    if not isinstance(diff, list) or not diff:
        return False
    for pair in diff:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and pair[0] in _OPS and isinstance(pair[1], str)):
            return False
    return _squash("".join(t for op, t in diff if op != "-")) == _squash(variant)


def _histogram(values: Iterable[int]) -> list[tuple[str, int]]:
    """Counts per size 2..9 and one ``10+`` bar; empty when there are no values."""
    c = Counter(min(int(v), _SIZE_BUCKETS) for v in values if int(v) >= 2)
    if not c:
        return []
    top = max(c)
    return [(f"{k}+" if k == _SIZE_BUCKETS else str(k), c.get(k, 0)) for k in range(2, top + 1)]


def _fmt_int(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else "–"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _svg_bars(bars: Sequence[tuple[str, int]], *, label: str, unit: str) -> str:
    """A small vertical bar chart as inline SVG (colours come from the page CSS)."""
    if not bars:
        return '<p class="empty">Nothing to chart.</p>'
    w, h, pad_top, pad_bottom, pad_x = 320, 150, 18, 22, 6
    slot = (w - 2 * pad_x) / len(bars)
    bar_w = max(4.0, min(36.0, slot * 0.7))
    peak = max(v for _, v in bars) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{_esc(label)}">',
        f'<line class="axis" x1="{pad_x}" y1="{h - pad_bottom}" x2="{w - pad_x}" y2="{h - pad_bottom}"/>',
    ]
    for i, (name, value) in enumerate(bars):
        bh = (h - pad_top - pad_bottom) * value / peak
        cx = pad_x + slot * (i + 0.5)
        y = h - pad_bottom - bh
        parts.append(
            f"<g><title>{_esc(name)} {_esc(unit)}: {value:,}</title>"
            f'<rect class="bar" x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" rx="2"/>'
            f'<text class="val" x="{cx:.1f}" y="{y - 4:.1f}">{value:,}</text>'
            f'<text class="lbl" x="{cx:.1f}" y="{h - 6}">{_esc(name)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _hbars(rows: Sequence[tuple[str, float, str]], *, cls: str = "") -> str:
    """Labelled horizontal bars (languages, stage timings) as a definition-style list."""
    if not rows:
        return '<p class="empty">Not recorded.</p>'
    peak = max(v for _, v, _ in rows) or 1
    out = [f'<ul class="hbars {cls}">']
    for name, value, shown in rows:
        pct = 100 * value / peak
        out.append(
            f'<li><span class="hb-name" title="{_esc(name)}">{_esc(name)}</span>'
            f'<span class="hb-track"><span class="hb-fill" style="width:{pct:.1f}%"></span></span>'
            f'<span class="hb-val">{_esc(shown)}</span></li>'
        )
    out.append("</ul>")
    return "".join(out)


# --------------------------------------------------------------------------- data building


class _DocTable:
    """Compact per-document records for the page, built while streaming documents once.

    Each row is written out as JSON (safe for the page) as soon as it is final; only rows
    that hold a full text stay objects until the text budget is known (past it, they
    keep a lead). So a large run's report holds bytes, not dictionaries.
    """

    def __init__(self, spans: Mapping[str, list[tuple[int, int, str]]]) -> None:
        self.spans = spans
        self.rows: list[bytes | dict[str, Any]] = []
        self.index: dict[str, int] = {}  # row of each document a passage cites
        self.snippets: dict[tuple[str, int, int], tuple[str, str]] = {}
        self.full: list[int] = []  # rows holding a full text that is not a cluster member's
        self.text_chars = 0
        self.member_chars = 0
        self.over_budget = False
        self.status: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.langs: Counter[str] = Counter()
        self.duplicates_of: Counter[str] = Counter()

    def add(self, d: Mapping[str, Any]) -> None:
        doc_id = str(d.get("id", ""))
        text = d.get("text") or ""
        if not isinstance(text, str):
            text = str(text)
        status = str(d.get("status") or "kept")
        self.status[status] += 1
        if status == "duplicate":
            self.kinds[str(d.get("dup_kind") or "near")] += 1
        if status == "rejected":
            self.reasons[_reject_code(d.get("reject_reason"))] += 1
        else:
            self.langs[str(d.get("lang") or "null")] += 1
        for start, end, span_text in self.spans.get(doc_id, ()):
            if 0 <= start <= end <= len(text) and (
                text[start:end] == span_text or _squash(text[start:end]) == _squash(span_text)
            ):
                self.snippets[(doc_id, start, end)] = context_snippet(text, start, end)

        row: dict[str, Any] = {"id": doc_id}
        for key, name in (
            ("source", "src"),
            ("url", "url"),
            ("title", "title"),
            ("date", "date"),
            ("sitename", "site"),
            ("lang", "lang"),
            ("dup_kind", "kind"),
            ("similarity", "sim"),
            ("duplicate_of", "of"),
            ("cluster_id", "cl"),
            ("cluster_size", "cs"),
            ("keep_reason", "kr"),
            ("reject_reason", "rr"),
        ):
            value = d.get(key)
            if value is not None and value != "":
                row[name] = value
        authors = d.get("authors")
        if authors:
            row["by"] = ", ".join(map(str, authors))
        row["st"] = status
        row["n"] = len(text)
        row["np"] = len(d.get("passages") or ())
        if status == "duplicate" and row.get("of"):
            self.duplicates_of[str(row["of"])] += 1
        member = status == "duplicate" or bool(d.get("cluster_id"))
        final = True
        if member and self.member_chars < MEMBER_TEXT_BUDGET:
            row["text"] = text[:_MAX_DOC_CHARS]
            self.member_chars += len(row["text"])
            if len(text) > _MAX_DOC_CHARS:
                row["cut"] = True
        elif member:
            row["text"] = _lead(text)
            row["cut"] = True
        elif not self.over_budget and self.text_chars + len(text) <= FULL_TEXT_BUDGET:
            row["text"] = text
            self.full.append(len(self.rows))
            final = False
        else:
            self._drop_full_texts()
            row["lead"] = _lead(text)
        self.text_chars += len(text)
        if doc_id in self.spans:
            self.index.setdefault(doc_id, len(self.rows))
        self.rows.append(_row_json(row) if final else row)

    def _drop_full_texts(self) -> None:
        # Past the budget every non-member keeps only its lead, whatever came first.
        self.over_budget = True
        for i in self.full:
            row = self.rows[i]
            assert isinstance(row, dict)
            row["lead"] = _lead(row.pop("text"))
            self.rows[i] = _row_json(row)
        self.full.clear()

    def json_rows(self) -> Iterator[bytes]:
        """The rows as page-safe JSON, in order."""
        for row in self.rows:
            yield row if isinstance(row, bytes) else _row_json(row)


def _row_json(row: Mapping[str, Any]) -> bytes:
    # An exact-size copy: orjson's result keeps a buffer several times its length, which
    # adds up over a hundred thousand rows.
    return memoryview(_json_for_script(row)).tobytes()


def _lead(text: str) -> str:
    if len(text) <= LEAD_CHARS:
        return text
    cut = text.rfind(" ", 0, LEAD_CHARS)
    return text[: cut if cut > LEAD_CHARS // 2 else LEAD_CHARS].rstrip() + "…"


def _reject_code(reason: Any) -> str:
    """The reason without its location, as :attr:`Document.reject_code` gives it."""
    if not reason:
        return "unknown"
    return str(reason).split(" (", 1)[0].split(":", 1)[0]


def _passage_rows(passages: Sequence[Mapping[str, Any]], docs: _DocTable) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in passages:
        canon = p.get("canonical") or {}
        text = str(p.get("text") or "")
        sources = [s for s in p.get("sources") or () if isinstance(s, Mapping)]
        out_sources: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        for s in sources:
            doc_id = str(s.get("doc_id", ""))
            start, end = int(s.get("start", 0)), int(s.get("end", 0))
            variant = str(s.get("text") or "")
            is_canon = (
                doc_id == str(canon.get("doc_id", ""))
                and start == canon.get("start", start)
                and end == canon.get("end", end)
            )
            given = s.get("diff")
            diff: list[list[str]] = given if _valid_diff(given, variant) else word_diff(text, variant)
            diff = mark_spelling(text, diff)
            row: dict[str, Any] = {"a": start, "b": end, "diff": diff}
            if doc_id in docs.index:
                row["d"] = docs.index[doc_id]
            else:
                row["doc"] = doc_id
                row["src"] = str(s.get("source") or "")
            sim = s.get("similarity")
            if isinstance(sim, int | float):
                row["sim"] = round(float(sim), 4)
            if is_canon:
                row["can"] = 1
            ctx = docs.snippets.get((doc_id, start, end))
            if ctx:
                row["pre"], row["post"] = ctx
            key = (not is_canon, -(row.get("sim") or 0.0), doc_id, start)
            out_sources.append((key, row))
        out_sources.sort(key=lambda kv: kv[0])
        n_docs = p.get("n_documents")
        if not isinstance(n_docs, int):
            n_docs = len({str(s.get("doc_id", "")) for s in sources})
        row_p: dict[str, Any] = {"id": str(p.get("passage_id", "")), "text": text, "n": n_docs}
        if canon.get("reason"):
            row_p["why"] = str(canon["reason"])
        row_p["s"] = [r for _, r in out_sources]
        rows.append(row_p)
    rows.sort(key=lambda r: (-r["n"], -len(r["s"]), r["id"]))
    return rows


def _cluster_sizes(docs: _DocTable) -> list[int]:
    return [n + 1 for n in docs.duplicates_of.values()]


# --------------------------------------------------------------------------- overview HTML


def _counts(manifest: Mapping[str, Any], docs: _DocTable, n_passages: int, n_clusters: int) -> dict[str, Any]:
    """The manifest's counts where present, else what the records themselves say."""
    given = manifest.get("counts")
    given = given if isinstance(given, Mapping) else {}
    computed: dict[str, Any] = {
        "read": len(docs.rows),
        "kept": docs.status.get("kept", 0),
        "duplicate": docs.status.get("duplicate", 0),
        "rejected": docs.status.get("rejected", 0),
        "duplicate_by_kind": dict(docs.kinds),
        "rejected_by_reason": dict(docs.reasons),
        "passages": n_passages,
        "clusters": n_clusters,
    }
    return {k: given[k] if given.get(k) is not None else v for k, v in computed.items()}


def _card(label: str, value: Any, sub: str = "", cls: str = "") -> str:
    return (
        f'<div class="card {cls}"><div class="card-val">{_fmt_int(value)}</div>'
        f'<div class="card-lbl">{_esc(label)}</div>' + (f'<div class="card-sub">{sub}</div>' if sub else "") + "</div>"
    )


def _breakdown(d: Any) -> str:
    if not isinstance(d, Mapping) or not d:
        return ""
    items = sorted(((str(k), v) for k, v in d.items() if v), key=lambda kv: (-_num(kv[1]), kv[0]))
    return " · ".join(f"{_esc(k)} {_fmt_int(v)}" for k, v in items)


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) else 0.0


def _overview(
    manifest: Mapping[str, Any],
    counts: Mapping[str, Any],
    langs: Mapping[str, Any],
    passage_sizes: Sequence[int],
    cluster_sizes: Sequence[int],
) -> str:
    cards = "".join(
        (
            _card("records read", counts["read"]),
            _card("kept", counts["kept"], cls="c-kept"),
            _card("duplicates", counts["duplicate"], _breakdown(counts["duplicate_by_kind"]), "c-dup"),
            _card("rejected", counts["rejected"], _breakdown(counts["rejected_by_reason"]), "c-rej"),
            _card("re-reported passages", counts["passages"], cls="c-pas"),
            _card("duplicate clusters", counts["clusters"]),
        )
    )
    lang_rows = sorted(((str(k), _num(v)) for k, v in langs.items()), key=lambda kv: (-kv[1], kv[0]))
    lang_html = _hbars([(k if k != "null" else "undetected", v, f"{int(v):,}") for k, v in lang_rows[:12]])
    if len(lang_rows) > 12:
        lang_html += f'<p class="note">and {len(lang_rows) - 12} more</p>'
    timings = manifest.get("timings")
    timings = timings if isinstance(timings, Mapping) else {}
    stage_rows = [(str(k), _num(v), f"{_num(v):.2f} s") for k, v in timings.items() if str(k) != "total"]
    total = timings.get("total")
    total_html = (
        f'<p class="note">total {_num(total):.2f} s</p>'
        if total is not None
        else (f'<p class="note">stages sum {sum(v for _, v, _ in stage_rows):.2f} s</p>' if stage_rows else "")
    )
    panels = (
        f'<section class="panel"><h3>Languages</h3>{lang_html}</section>'
        f'<section class="panel"><h3>Passages by number of sources</h3>'
        f"{_svg_bars(_histogram(passage_sizes), label='Passages by number of sources', unit='sources')}</section>"
        f'<section class="panel"><h3>Duplicate cluster sizes</h3>'
        f"{_svg_bars(_histogram(cluster_sizes), label='Duplicate clusters by size', unit='documents')}</section>"
        f'<section class="panel"><h3>Time per stage</h3>{_hbars(stage_rows, cls="timing")}{total_html}</section>'
    )
    return f'<div class="cards">{cards}</div><div class="panels">{panels}</div>{_run_details(manifest)}'


def _run_details(manifest: Mapping[str, Any]) -> str:
    inputs = manifest.get("inputs")
    inputs = [str(i) for i in inputs] if isinstance(inputs, list) else []
    config = manifest.get("config")
    parts = ['<details class="run"><summary>Run details</summary><dl>']
    if manifest.get("corpuskit"):
        parts.append(f"<dt>corpuskit</dt><dd>{_esc(manifest['corpuskit'])}</dd>")
    if inputs:
        shown = "".join(f"<li><code>{_esc(i)}</code></li>" for i in inputs[:50])
        more = f"<li>… and {len(inputs) - 50:,} more</li>" if len(inputs) > 50 else ""
        parts.append(f"<dt>inputs</dt><dd><ul>{shown}{more}</ul></dd>")
    if isinstance(config, Mapping) and config:
        dumped = orjson.dumps(config, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        parts.append(f"<dt>config</dt><dd><pre>{_esc(dumped)}</pre></dd>")
    parts.append("</dl></details>")
    return "".join(parts)


# --------------------------------------------------------------------------- assembly


def _template(name: str) -> str:
    return resources.files("corpuskit").joinpath("templates", name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> bytes:
    """JSON (UTF-8) safe inside ``<script type="application/json">``: no ``<`` survives
    literally.

    Writing every ``<`` as ``\\u003c`` rules out ``</script>`` and ``<!--`` in any case mix;
    JSON.parse reads it back unchanged. U+2028/U+2029 are escaped too.

    >>> _json_for_script({"t": "</script><!--"})
    b'{"t":"\\\\u003c/script>\\\\u003c!--"}'
    """
    raw = orjson.dumps(data)
    for char, escape in _SCRIPT_ESCAPES:
        if char in raw:
            raw = raw.replace(char, escape)
    return raw


_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def _joined(rows: Iterable[bytes]) -> Iterator[bytes]:
    """``rows`` with a comma between each two (JSON array items)."""
    for i, row in enumerate(rows):
        yield b"," + row if i else row


def render_report(documents: Iterable[dict], passages: Iterable[dict], manifest: dict) -> str:
    """The whole self-contained HTML page for one run, as a string (see
    :func:`render_report_parts`)."""
    return b"".join(render_report_parts(documents, passages, manifest)).decode("utf-8")


def render_report_parts(documents: Iterable[dict], passages: Iterable[dict], manifest: dict) -> list[bytes]:
    """The page in parts, UTF-8: the data block (most of a large report) is many parts,
    one per document row, so it is never copied into one string with the rest.

    ``documents`` and ``passages`` are the output records (``Document.to_dict()``,
    ``Passage.to_dict()``); ``documents`` is read once, in a stream. ``manifest`` may lack
    any key: counts fall back to what the records say. A source without a usable ``diff``
    gets one from :func:`word_diff`.
    """
    page = ReportPage(passages)
    for d in documents:
        page.add(d)
    return page.parts(manifest)


class ReportPage:
    """A report built while the documents stream past once, finished with the manifest.

    A run adds each document record as it writes it (rather than read back the file it
    has just written); :func:`write_report` adds them as it reads them.
    """

    def __init__(self, passages: Iterable[dict]) -> None:
        self.passages = [p for p in passages if isinstance(p, Mapping)]
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for p in self.passages:
            for s in p.get("sources") or ():
                if isinstance(s, Mapping):
                    spans.setdefault(str(s.get("doc_id", "")), []).append(
                        (int(s.get("start", 0)), int(s.get("end", 0)), str(s.get("text") or ""))
                    )
        self.table = _DocTable(spans)
        self.seconds = 0.0  # spent in :meth:`add`: a run counts it as the report's

    def add(self, document: Mapping[str, Any]) -> None:
        """One document record (``Document.to_dict()``), in output order."""
        t = time.perf_counter()
        self.table.add(document)
        self.seconds += time.perf_counter() - t

    def passing(self, documents: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``documents`` as they are, each added to the page on its way (to the writer)."""
        for d in documents:
            self.add(d)
            yield d

    def save(self, out_dir: Path, manifest: dict[str, Any]) -> Path:
        """Write ``OUT_DIR/report.html`` atomically; return its path."""
        target = Path(out_dir) / "report.html"
        with atomic_writer(target) as fh:
            for part in self.parts(manifest):
                fh.write(part)
        return target

    def parts(self, manifest: dict[str, Any]) -> list[bytes]:
        """The page (:func:`render_report_parts`)."""
        table = self.table
        prows = _passage_rows(self.passages, table)
        csizes = _cluster_sizes(table)
        manifest = manifest if isinstance(manifest, Mapping) else {}
        counts = _counts(manifest, table, len(prows), len(csizes))
        langs = manifest.get("languages")
        if not isinstance(langs, Mapping) or not langs:
            langs = dict(table.langs)
        overview = _overview(manifest, counts, langs, [p["n"] for p in prows], csizes)
        return _page(overview, table, prows, manifest)


def _page(overview: str, table: _DocTable, prows: list[dict[str, Any]], manifest: Mapping[str, Any]) -> list[bytes]:
    js = _template("report.js")
    if "</script" in js.lower():
        raise RuntimeError("report.js must not contain '</script'")  # would end the inline block
    script_hash = base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    version = manifest.get("corpuskit")
    values = {
        "CSP": csp,  # our own constant: no quote, ampersand or angle bracket in it
        "TITLE": "corpuskit report" + (f" · {_esc(version)}" if version else ""),
        "VERSION": _esc(version) if version else "",
        "CSS": _template("report.css"),
        "OVERVIEW": overview,
        "JS": js,
    }
    # One pass over the template: substituted values are never scanned for placeholders.
    parts: list[bytes] = []
    template = _template("report.html")
    at = 0
    for m in _PLACEHOLDER.finditer(template):
        parts.append(template[at : m.start()].encode("utf-8"))
        name = m.group(1)
        if name == "DATA":  # {"docs": [...], "passages": [...], "over_budget": ...} in parts
            parts.append(b'{"docs":[')
            parts.extend(_joined(table.json_rows()))
            parts.append(b'],"passages":' + _json_for_script(prows))
            parts.append(b',"over_budget":' + (b"true" if table.over_budget else b"false") + b"}")
        else:
            parts.append(values[name].encode("utf-8"))
        at = m.end()
    parts.append(template[at:].encode("utf-8"))
    return parts


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with below, kept lazy
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from e
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise InputError(str(path), f"not JSON: {e}", n) from e
            if not isinstance(rec, dict):
                raise InputError(str(path), "not a JSON object", n)
            yield rec


def write_report(out_dir: Path) -> Path:
    """Rebuild ``OUT_DIR/report.html`` from the run's ``documents.jsonl``, ``passages.jsonl``
    and ``manifest.json``; return its path.

    A missing ``passages.jsonl`` or ``manifest.json`` means none (passages off, an older
    run); a missing or malformed ``documents.jsonl`` raises :class:`InputError`. The page is
    written to a temporary file beside it and renamed over it, so a reader never sees half
    a report.
    """
    out = Path(out_dir)
    docs_path = out / "documents.jsonl"
    if not docs_path.is_file():
        raise InputError(str(docs_path), "no documents.jsonl (not a corpuskit output directory)")
    passages_path = out / "passages.jsonl"
    passages = _read_jsonl(passages_path) if passages_path.is_file() else iter(())
    manifest: dict[str, Any] = {}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file():
        try:
            loaded = orjson.loads(manifest_path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as e:
            raise InputError(str(manifest_path), f"cannot read manifest: {e}") from e
        if isinstance(loaded, dict):
            manifest = loaded
    page = ReportPage(passages)
    for d in _read_jsonl(docs_path):
        page.add(d)
    return page.save(out, manifest)
