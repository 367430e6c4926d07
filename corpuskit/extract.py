"""HTML → article text and metadata, with trafilatura.

trafilatura does the heavy lifting (main-content detection, metadata from ``<meta>``,
JSON-LD and the page); we only pin its options so results are deterministic and it never
touches the network, and we turn its output into plain paragraphs separated by blank lines.
The headline goes to ``title`` only: when trafilatura also puts it first in the text, that
copy is dropped. The pipeline then runs :func:`corpuskit.boilerplate.postfilter_extracted`
over the text, which removes the teaser lists and promos trafilatura sometimes lets through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .normalise import fold_text

__all__ = ["Extracted", "extract_html"]


@cache
def _config() -> Any:
    # trafilatura (and lxml) load on the first page: a process that never extracts HTML,
    # like the main process of a run with workers, does not carry them.
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeouts in workers
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")  # page-only date search, no guessing from URLs fetched
    return config


@dataclass(frozen=True, slots=True)
class Extracted:
    """What we keep from one HTML page; ``text`` is ``""`` when no article was found."""

    text: str
    title: str | None = None
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    sitename: str | None = None


def _split_authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    seen: dict[str, None] = {}
    for part in raw.replace(" and ", ";").split(";"):
        name = part.strip(" ,")
        if name and name.casefold() not in {s.casefold() for s in seen}:
            seen[name] = None
    return list(seen)


def _same_line(a: str, b: str) -> bool:
    """Equal up to case, quote/dash style and spacing (a headline repeated as the first block)."""
    return " ".join(fold_text(a).split()) == " ".join(fold_text(b).split())


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Extract the article of one page.

    Paragraphs are kept as paragraphs (trafilatura's line per block becomes a blank-line
    separated paragraph). Returns an empty ``text`` when the page has no article.
    """
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        config=_config(),
    )
    if doc is None:
        return Extracted(text="", url=url)
    data = doc if isinstance(doc, dict) else doc.as_dict()
    text = data.get("text") or ""
    title = data.get("title") or None
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if title and paragraphs and _same_line(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline is in ``title``; keep it out of the body
    return Extracted(
        text="\n\n".join(paragraphs),
        title=title,
        date=data.get("date") or None,
        authors=_split_authors(data.get("author")),
        url=data.get("url") or url,
        sitename=data.get("sitename") or None,
    )
