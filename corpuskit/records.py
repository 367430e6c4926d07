"""The records that flow through corpuskit.

One :class:`Document` is created per input record (a file, a JSONL line, a WARC response)
and travels through every stage; stages fill in fields, they never create loose dicts.
:class:`Passage` is the batch-level record of a re-reported passage, with one
:class:`SourceSpan` per occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from .spill import Parked

__all__ = [
    "DOCUMENT_FIELDS",
    "Document",
    "DupKind",
    "Passage",
    "PassageRef",
    "SourceSpan",
    "Status",
    "pickled_by_constructor",
]

Status = Literal["kept", "duplicate", "rejected"]
DupKind = Literal["exact", "near", "contained"]

C = TypeVar("C", bound=type)


def pickled_by_constructor(cls: C) -> C:
    """Class decorator (over ``@dataclass``): instances pickle as the constructor called
    with their fields in order. Several times faster to unpickle than the default for a
    slotted class (a quarter of the time for a frozen one), for the records processes
    hand each other: every document crosses to a worker and back in each per-document
    stage, and alignments and passages come back from forked processes."""
    values = attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
        return cls, values(self)

    setattr(cls, "__reduce__", __reduce__)  # noqa: B010
    return cls


@dataclass(slots=True)
class PassageRef:
    """Where a passage occurs in one document (``doc.text[start:end]``)."""

    passage_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"passage_id": self.passage_id, "start": self.start, "end": self.end}


@pickled_by_constructor
@dataclass(slots=True)
class Document:
    """One input record and everything corpuskit decided about it.

    ``raw`` holds the undecoded or unextracted input until extraction; it is never written
    out. ``raw_kind`` says how to read it: ``"html"``, ``"text"``, or ``"jsonl"`` (a JSONL
    line whose parsing the reader left to the workers: :func:`~corpuskit.readers.parse_deferred`).
    ``work`` carries per-stage intermediates that are never written out (the MinHash
    signature under ``"sig"``, parked passage units under ``"_units"``, ...); keys
    starting with ``_`` hold handles valid only in this run (never checkpointed). While a
    run has ``parked`` the text on disk (:mod:`corpuskit.spill`), ``text`` is empty: read
    it with :meth:`read_text`.
    """

    id: str
    source: str
    source_line: int | None = None
    url: str | None = None
    title: str | None = None
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    sitename: str | None = None
    lang: str | None = None
    lang_reason: str | None = None
    text: str = ""
    status: Status = "kept"
    duplicate_of: str | None = None
    similarity: float | None = None
    dup_kind: DupKind | None = None
    cluster_id: str | None = None
    cluster_size: int | None = None
    keep_reason: str | None = None
    reject_reason: str | None = None
    passages: list[PassageRef] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    input_format: str = ""
    order: int = 0
    raw: str | bytes | None = None
    raw_kind: Literal["html", "text", "jsonl"] = "text"
    work: dict[str, Any] = field(default_factory=dict, repr=False)
    parked: Parked | None = field(default=None, repr=False, compare=False)

    def read_text(self) -> str:
        """The text, also when a run has parked it on disk (:mod:`corpuskit.spill`) and
        ``text`` is empty meanwhile."""
        return self.text if self.parked is None else self.parked.read()

    @property
    def has_text(self) -> bool:
        """Whether there is any text, parked or not (without reading it)."""
        return bool(self.text) or (self.parked is not None and self.parked.size > 0)

    def replace_text(self, text: str) -> None:
        """Set the text; a parked document stays parked (the new text is written out).
        ``work`` entries under keys starting with ``_`` (handles to data made from the old
        text) are dropped."""
        for k in [k for k in self.work if k.startswith("_")]:
            del self.work[k]
        if self.parked is None:
            self.text = text
        else:
            self.parked = self.parked.spill.write(text)

    def reject(self, reason: str) -> Document:
        """Mark the document rejected; the reason names the source and line."""
        where = f"{self.source}:{self.source_line}" if self.source_line is not None else self.source
        self.status = "rejected"
        self.reject_reason = f"{reason} ({where})"
        self.raw = None
        self.text = ""
        self.parked = None
        return self

    @property
    def reject_code(self) -> str | None:
        """The reason without its location: the key the manifest counts by."""
        if self.reject_reason is None:
            return None
        return self.reject_reason.split(" (", 1)[0].split(":", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        """The output record, fields in a fixed order (see ``DOCUMENT_FIELDS``)."""
        return {
            "id": self.id,
            "source": self.source,
            "source_line": self.source_line,
            "url": self.url,
            "title": self.title,
            "date": self.date,
            "authors": list(self.authors),
            "sitename": self.sitename,
            "lang": self.lang,
            "lang_reason": self.lang_reason,
            "text": self.read_text(),
            "status": self.status,
            "duplicate_of": self.duplicate_of,
            "similarity": self.similarity,
            "dup_kind": self.dup_kind,
            "cluster_id": self.cluster_id,
            "cluster_size": self.cluster_size,
            "keep_reason": self.keep_reason,
            "reject_reason": self.reject_reason,
            "passages": [p.to_dict() for p in self.passages],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        """Rebuild a document from its output record (the report and the index use this)."""
        doc = cls(id=d["id"], source=d["source"])
        for name in DOCUMENT_FIELDS:
            if name in ("id", "source", "passages"):
                continue
            if name in d:
                setattr(doc, name, d[name])
        doc.authors = list(d.get("authors") or [])
        doc.meta = dict(d.get("meta") or {})
        doc.passages = [PassageRef(**p) for p in d.get("passages") or []]
        return doc


DOCUMENT_FIELDS: tuple[str, ...] = tuple(Document("", "").to_dict())


@pickled_by_constructor
@dataclass(slots=True)
class SourceSpan:
    """One occurrence of a passage: ``documents[doc_id].text[start:end] == text``."""

    doc_id: str
    source: str
    start: int
    end: int
    text: str
    similarity: float = 1.0
    diff: list[list[str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "similarity": self.similarity,
            "diff": self.diff,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceSpan:
        return cls(
            doc_id=d["doc_id"],
            source=d["source"],
            start=d["start"],
            end=d["end"],
            text=d["text"],
            similarity=d.get("similarity", 1.0),
            diff=[list(x) for x in d.get("diff") or []],
        )


@pickled_by_constructor
@dataclass(slots=True)
class Passage:
    """A statement re-reported by two or more different documents.

    ``text`` is the canonical variant, taken from the source named in ``canonical``
    (``{doc_id, start, end, reason}``); ``sources`` lists every occurrence.
    """

    passage_id: str
    text: str
    canonical: dict[str, Any]
    sources: list[SourceSpan]

    @property
    def n_documents(self) -> int:
        return len({s.doc_id for s in self.sources})

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "text": self.text,
            "canonical": self.canonical,
            "n_documents": self.n_documents,
            "sources": [s.to_dict() for s in self.sources],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Passage:
        return cls(
            passage_id=d["passage_id"],
            text=d["text"],
            canonical=dict(d.get("canonical") or {}),
            sources=[SourceSpan.from_dict(s) for s in d.get("sources") or []],
        )
