"""Run configuration: frozen dataclasses, validated when built.

Every option of ``corpuskit run`` maps to one field here, and the whole config is written to
``manifest.json`` so a run can be reproduced from its output.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .errors import ConfigError

__all__ = [
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_INPUT_BYTES",
    "BoilerplateConfig",
    "DedupConfig",
    "PassageConfig",
    "RunConfig",
]


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


@dataclass(frozen=True, slots=True)
class BoilerplateConfig:
    """Plain-text page-furniture stripping.

    ``template_min_pages``: a line that one site (same directory/host) repeats on at least
    this many pages is treated as template and dropped. Lines shared by *different* sites
    are never template: they are re-reported text.
    """

    enabled: bool = True
    template_min_pages: int = 2
    min_paragraph_words: int = 0

    def __post_init__(self) -> None:
        _check(self.template_min_pages >= 2, "template_min_pages must be >= 2")
        _check(self.min_paragraph_words >= 0, "min_paragraph_words must be >= 0")


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Near-duplicate documents by MinHash LSH over word shingles.

    ``threshold``: Jaccard similarity (of ``shingle``-word shingles) at or above which two
    documents are near-duplicates. ``containment``: share of the shorter document's
    shingles found in the longer one at or above which the shorter is a truncated reprint.
    ``keep``: which copy of a cluster is kept: ``earliest`` (date, then most complete, then
    input order), ``longest``, or ``priority`` (``source_priority`` substrings of the
    url/source/sitename first, then ``earliest``).
    """

    enabled: bool = True
    threshold: float = 0.5
    containment: float = 0.9
    shingle: int = 5
    num_perm: int = 128
    seed: int = 1
    keep: Literal["earliest", "longest", "priority"] = "earliest"
    source_priority: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(0.0 < self.threshold <= 1.0, "threshold must be in (0, 1]")
        _check(0.0 < self.containment <= 1.0, "containment must be in (0, 1]")
        _check(1 <= self.shingle <= 32, "shingle must be between 1 and 32")
        _check(16 <= self.num_perm <= 1024, "num_perm must be between 16 and 1024")
        _check(self.seed >= 0, "seed must be >= 0")
        _check(self.keep in ("earliest", "longest", "priority"), f"unknown keep policy {self.keep!r}")
        _check(
            self.keep != "priority" or bool(self.source_priority),
            "keep='priority' needs a non-empty source_priority",
        )


@dataclass(frozen=True, slots=True)
class PassageConfig:
    """Re-reported passages across different documents.

    ``min_words``: shortest passage kept (shorter shared phrases are not passages).
    ``mode``: ``mark`` lists spans and leaves text alone; ``drop`` removes every
    non-canonical occurrence from document text; ``off`` skips the stage.
    ``canonical``: which variant becomes the passage text: ``complete`` (longest, then
    closest to the others), ``medoid`` (closest to all others) or ``earliest`` (by date).
    ``max_doc_fraction``: a passage found in more than this share of documents (and more
    than 10 of them) is boilerplate, not re-reporting.
    """

    mode: Literal["mark", "drop", "off"] = "mark"
    min_words: int = 8
    min_similarity: float = 0.7
    shingle: int = 3
    num_perm: int = 64
    threshold: float = 0.3
    canonical: Literal["complete", "medoid", "earliest"] = "complete"
    max_doc_fraction: float = 0.5

    def __post_init__(self) -> None:
        _check(self.mode in ("mark", "drop", "off"), f"unknown passages mode {self.mode!r}")
        _check(self.min_words >= 3, "min_words must be >= 3")
        _check(0.0 < self.min_similarity <= 1.0, "min_similarity must be in (0, 1]")
        _check(1 <= self.shingle <= 8, "passage shingle must be between 1 and 8")
        _check(16 <= self.num_perm <= 512, "passage num_perm must be between 16 and 512")
        _check(0.0 < self.threshold <= 1.0, "passage threshold must be in (0, 1]")
        _check(
            self.canonical in ("complete", "medoid", "earliest"),
            f"unknown canonical policy {self.canonical!r}",
        )
        _check(0.0 < self.max_doc_fraction <= 1.0, "max_doc_fraction must be in (0, 1]")


DEFAULT_MAX_INPUT_BYTES = 64 << 30
"""Decompressed bytes one input file may yield: 64 GiB, far above any real crawl file."""
DEFAULT_MAX_COMPRESSION_RATIO = 100.0
"""Decompressed over compressed size beyond which a file is a bomb: text gzips 3-15x, bombs ~1000x."""


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one run needs.

    ``max_doc_bytes`` bounds a single record (raw bytes after decompression): larger ones
    are rejected, never read whole. ``lang_sample_chars`` and ``lang_trials`` (langdetect's averaged random trials)
    bound language detection cost;
    texts shorter than ``min_lang_chars`` get ``lang = null`` with a reason.
    ``workers``: processes for the per-document stages; output does not depend on it.
    ``chunk_docs``: documents per task a worker is given, and per checkpoint: at most this
    many, fewer once their content passes 1 MiB (HTML pages), so no worker is left with a
    long last task while the others wait. Output does not depend on it either; smaller
    chunks make progress and ``--resume`` finer and cost more overhead.
    ``min_page_words``: an HTML page whose extracted text has fewer words is not an
    article (a login or landing page) and is rejected; JSONL ``text`` is never held to it.
    ``html_fallback`` also runs trafilatura's backup extractors (readability, jusText) on
    every page: a third slower, and no better on the extraction benchmark.
    ``max_input_bytes`` bounds what one input file may decompress to, and
    ``max_compression_ratio`` what it may expand by (judged past 64 MiB): beyond either,
    the rest of the file is one rejected record, so a decompression bomb costs a few
    kilobytes of reading, not the disk or the memory.
    """

    workers: int = field(default_factory=_default_workers)
    chunk_docs: int = 128
    strict: bool = False
    max_doc_bytes: int = 20_000_000
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO
    min_text_chars: int = 1
    min_page_words: int = 25
    html_fallback: bool = False
    lang_sample_chars: int = 600
    lang_trials: int = 3
    min_lang_chars: int = 20
    lang_seed: int = 0
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)

    def __post_init__(self) -> None:
        _check(self.workers >= 1, "workers must be >= 1")
        _check(self.chunk_docs >= 1, "chunk_docs must be >= 1")
        _check(self.max_doc_bytes >= 1024, "max_doc_bytes must be >= 1024")
        _check(self.max_input_bytes >= self.max_doc_bytes, "max_input_bytes must be >= max_doc_bytes")
        _check(self.max_compression_ratio >= 10, "max_compression_ratio must be >= 10")
        _check(self.min_text_chars >= 1, "min_text_chars must be >= 1")
        _check(self.min_page_words >= 0, "min_page_words must be >= 0")
        _check(self.lang_sample_chars >= 50, "lang_sample_chars must be >= 50")
        _check(1 <= self.lang_trials <= 20, "lang_trials must be between 1 and 20")
        _check(self.min_lang_chars >= 1, "min_lang_chars must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        """The config as written to the manifest and compared by checkpoints and the index.

        ``workers`` and ``chunk_docs`` are left out: they must not change the output bytes.
        """
        d = asdict(self)
        for name in _EXECUTION_ONLY:
            d.pop(name)
        d["dedup"]["source_priority"] = list(self.dedup.source_priority)
        return d


_EXECUTION_ONLY = ("workers", "chunk_docs")  # how a run is carried out, not what it computes
