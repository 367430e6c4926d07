"""Per-document stages: pure functions of one :class:`Document` and the config.

They run in worker processes, so they take and return the record (no shared state) and
never raise on bad data: a document that cannot be processed comes back ``rejected`` with a
reason. Two passes, because plain-text boilerplate stripping needs to know which lines a
site repeats across the whole batch:

* :func:`prepare_document` — decode, extract HTML (trafilatura), normalise plain text
  and hash its lines (what the site templates are counted from);
* :func:`finish_document` — strip boilerplate (with the site's template lines), normalise,
  detect language, compute the MinHash signature used by deduplication.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import numpy as np

from .boilerplate import line_hashes, postfilter_extracted, site_key, strip_boilerplate
from .config import RunConfig
from .dedup import text_key, word_count
from .extract import extract_html
from .language import detect_language
from .normalise import fold_text, is_normal_join, normalise_text
from .readers import Decoded, JsonlBlock, decode_bytes, parse_deferred, text_encoding
from .records import Document
from .signatures import minhash_signature

__all__ = [
    "LINES_KEY",
    "chunks",
    "finish_document",
    "finish_documents",
    "prepare_document",
    "prepare_documents",
    "template_lines",
    "template_site",
]

LINES_KEY = "lines"
"""``doc.work`` key of a prepared page's :func:`~corpuskit.boilerplate.line_hashes`."""


_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def count_words(text: str) -> int:
    """Words in ``text``; in scripts written without spaces, two characters count as one.

    >>> count_words("Talks begin today."), count_words("交渉は今日始まる。")
    (3, 5)
    """
    spaced = len(text.split())
    unspaced = len(_UNSPACED.findall(text))
    return spaced + unspaced // 2 if unspaced else spaced


def prepare_document(doc: Document, cfg: RunConfig) -> Document:
    """Raw input → normalised text (HTML extracted, plain text not yet stripped).

    Never raises: whatever a hostile page makes the decoder or the HTML parser throw
    rejects this document only, with the exception named in the reason. A JSONL line
    the reader deferred is parsed first (:func:`~corpuskit.readers.parse_deferred`).
    """
    doc = parse_deferred(doc)
    if doc.status == "rejected":
        return doc
    raw = doc.raw
    doc.raw = None
    if raw is None:
        return doc.reject("no content")
    try:
        doc = _prepare(doc, raw, cfg)
        if cfg.boilerplate.enabled and template_site(doc) is not None:
            # What the site's template is counted from, made here rather than by the main
            # process, which would have to read every text back to hash its lines.
            doc.work[LINES_KEY] = line_hashes(doc.text)
        return doc
    except RecursionError:
        return doc.reject("document too deeply nested")
    except Exception as e:  # third-party parsers on hostile input: reject, never crash
        return doc.reject(f"extraction failed: {type(e).__name__}: {str(e)[:200]}")


def template_site(doc: Document) -> str | None:
    """The site whose template lines a prepared document counts towards (plain text only),
    or ``None``. A JSONL or WARC record without a URL has no site we can tell: a sentence
    two such records share is re-reporting, never template."""
    if doc.status == "rejected" or doc.raw_kind != "text":
        return None
    if not doc.url and doc.input_format in ("jsonl", "warc"):
        return None
    return site_key(doc.source, doc.url)


def template_lines(doc: Document) -> np.ndarray:
    """A prepared page's :func:`~corpuskit.boilerplate.line_hashes`, taken out of
    ``doc.work`` where :func:`prepare_document` put them; made from the text for a record
    prepared without them (a chunk an earlier version saved)."""
    lines = doc.work.pop(LINES_KEY, None)
    return lines if lines is not None else line_hashes(doc.read_text())


def _prepare(doc: Document, raw: str | bytes, cfg: RunConfig) -> Document:
    if isinstance(raw, bytes):
        charset = doc.meta.pop("charset", None)
        decoded = decode_bytes(raw, html=doc.raw_kind == "html")
        if decoded is None:
            return doc.reject("binary content")
        codec = text_encoding(charset) if charset else None
        if codec and decoded.encoding != "utf-8":
            decoded = Decoded(raw.decode(codec, errors="replace"), charset)
        if decoded.encoding != "utf-8":
            doc.meta["encoding"] = decoded.encoding
        raw = decoded.text
    if "\x00" in raw:
        raw = raw.replace("\x00", "")
    if doc.raw_kind == "html":
        ex = extract_html(raw, doc.url, fallback=cfg.html_fallback)
        if not ex.text.strip():
            return doc.reject("no article text found in HTML")
        doc.text = normalise_text(ex.text)
        doc.title = doc.title or ex.title
        doc.date = doc.date or ex.date
        doc.authors = doc.authors or list(ex.authors)
        doc.url = doc.url or ex.url
        doc.sitename = doc.sitename or ex.sitename
    else:
        doc.text = normalise_text(raw)
    if not doc.text:
        return doc.reject("empty text")
    return doc


def finish_document(doc: Document, cfg: RunConfig, template: frozenset[int] = frozenset()) -> Document:
    """Prepared text → final text, metadata, language and signature.

    Never raises: an unexpected failure on one document rejects that document only.
    """
    if doc.status == "rejected":
        return doc
    try:
        return _finish(doc, cfg, template)
    except RecursionError:
        return doc.reject("document too deeply nested")
    except Exception as e:  # one bad document must not end a run over millions
        return doc.reject(f"processing failed: {type(e).__name__}: {str(e)[:200]}")


def _finish(doc: Document, cfg: RunConfig, template: frozenset[int]) -> Document:
    words: int | None = None  # len(doc.text.split()), when counted on the way
    if doc.raw_kind == "text" and cfg.boilerplate.enabled:
        st = strip_boilerplate(doc.text, cfg.boilerplate, template=template)
        if is_normal_join(st.text, tidy=st.tidy):  # most pages: nothing to normalise again
            doc.text, words = st.text, st.words
        else:
            doc.text = normalise_text(st.text)
        doc.title = doc.title or st.title
        doc.date = doc.date or st.date
        if not doc.authors:
            doc.authors = list(st.authors)
        if st.removed:
            doc.meta["boilerplate_lines_removed"] = st.removed
    elif doc.raw_kind == "html" and cfg.boilerplate.enabled:
        kept = postfilter_extracted(doc.text, cfg.boilerplate)
        if kept is not doc.text:  # unchanged text is already normal
            doc.text = normalise_text(kept)
    if len(doc.text) < cfg.min_text_chars or not doc.text.strip():
        return doc.reject("no article text after boilerplate removal")
    if doc.raw_kind == "html" and (n := count_words(doc.text)) < cfg.min_page_words:
        return doc.reject(f"no article text in HTML: {n} words < min_page_words={cfg.min_page_words}")
    doc.lang, doc.lang_reason = detect_language(
        doc.text,
        sample_chars=cfg.lang_sample_chars,
        min_chars=cfg.min_lang_chars,
        seed=cfg.lang_seed,
        trials=cfg.lang_trials,
    )
    if cfg.dedup.enabled:
        d = cfg.dedup
        doc.work["sig"] = minhash_signature(
            fold_text(doc.text), num_perm=d.num_perm, shingle=d.shingle, seed=d.seed
        ).astype(np.uint32)  # values are < 2**32 (datasketch keeps them in uint64): half the memory
        # What deduplication needs of the text, so it never has to read it back.
        doc.work["words"] = word_count(doc.text) if words is None else words
        doc.work["text_key"] = text_key(doc.text).hex()
    return doc


def prepare_documents(args: tuple[list[Document] | JsonlBlock, RunConfig]) -> list[Document]:
    """Batch wrapper for worker pools (one pickled task per chunk, not per document); a
    :class:`~corpuskit.readers.JsonlBlock` is split into its records here."""
    docs, cfg = args
    if isinstance(docs, JsonlBlock):
        docs = docs.records(cfg.max_doc_bytes)
    return [prepare_document(d, cfg) for d in docs]


def finish_documents(args: tuple[list[Document], RunConfig, dict[str, frozenset[int]]]) -> list[Document]:
    """Batch wrapper for :func:`finish_document`; ``templates`` maps site key → template."""
    docs, cfg, templates = args
    return [finish_document(d, cfg, templates.get(d.work.get("site", ""), frozenset())) for d in docs]


_CHUNK_BYTES = 1 << 20
"""Content per chunk (:func:`chunks`) beyond which it ends early."""


def _content_bytes(doc: Document) -> int:
    if doc.raw is not None:
        return len(doc.raw)
    return doc.parked.size if doc.parked is not None else len(doc.text)


def chunks(docs: Iterable[Document], size: int, max_bytes: int = _CHUNK_BYTES) -> Iterator[list[Document]]:
    """Runs of at most ``size`` documents, ended early once their content (raw input, or
    text) reaches ``max_bytes``: a task's cost follows its bytes (an HTML page costs
    about a hundred plain-text records), and chunks stay the same from run to run.

    >>> [len(c) for c in chunks([Document("a", "", text="x" * 10)] * 5, 2, max_bytes=25)]
    [2, 2, 1]
    >>> [len(c) for c in chunks([Document("a", "", text="x" * 10)] * 5, 4, max_bytes=25)]
    [3, 2]
    """
    chunk: list[Document] = []
    nbytes = 0
    for d in docs:
        chunk.append(d)
        nbytes += _content_bytes(d)
        if len(chunk) >= size or nbytes >= max_bytes:
            yield chunk
            chunk, nbytes = [], 0
    if chunk:
        yield chunk
