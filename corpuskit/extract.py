"""HTML → article text and metadata, with trafilatura.

trafilatura does the heavy lifting (main-content detection, metadata from ``<meta>``,
JSON-LD and the page); we only pin its options so results are deterministic and it never
touches the network, and we turn its output into plain paragraphs separated by blank lines.
The headline goes to ``title`` only: when trafilatura also puts it first in the text, that
copy is dropped. The pipeline then runs :func:`corpuskit.boilerplate.postfilter_extracted`
over the text, which removes the teaser lists and promos trafilatura sometimes lets through.

Three choices make a page cost about what ``trafilatura.extract`` alone costs:

* the page is parsed once; metadata is read from that tree and trafilatura extracts from
  a copy of it;
* metadata takes what we keep (title, date, authors, URL, site name) the way
  trafilatura's ``extract_metadata`` finds them, but skips what we drop (categories, tags,
  licence: a third of its time), and its byline search, the costliest part, is one Python
  pass over the elements instead of XPath regular expressions calling back into Python for
  every element, on the page as it is instead of a pruned copy. The same metadata on every
  page of the extraction benchmark, at a third of the cost (1.8 instead of 5.7 ms a page);
* trafilatura's fallback extractors (readability, jusText) run only with
  ``fallback=True``: without them the benchmark's F1 is no lower (0.966 against 0.964),
  and a page costs a quarter less.
"""

from __future__ import annotations

import re
from copy import deepcopy
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


# Bylines: trafilatura's author search (three tiers, most specific markup first, nothing
# inside comments, sidebars, quotes, captions or dates), evaluated in one Python pass over
# the elements. As XPath with regular expressions called back into Python for every
# element, the same search was most of a page's metadata time.
_TIER1_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_TIER2_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_TIER1_CLASS = re.compile("author-?name|AuthorName|authorName")
_TIER2_ID = re.compile("author|zuozhe|bianji|xiaobian")
_TIER2_CLASS = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_TIER3_ID = re.compile("[Aa]uthor")
_TIER3_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_ASIDE_TAGS = frozenset({"a", "div", "section", "span"})
_ASIDE_ID = re.compile("^comments|comment-?list|ProductReviews")
_ASIDE_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram"
    "|article-(?:share|support)|print|category|meta-date|meta-reviewer"
)


def _tiers(el: Any) -> int:
    """Bit ``k`` set when ``el`` matches byline tier ``k`` (0: explicit markup, 1: byline
    classes, 2: anything author-like); each tier is a search of its own."""
    tag = el.tag
    if tag == "author":
        return 1
    get = el.attrib.get
    cls, ident, prop = get("class") or "", get("id") or "", get("itemprop") or ""
    mask = 0
    if tag in _TIER1_TAGS and (
        get("rel") == "author"
        or ident == "author"
        or cls == "author"
        or prop == "author name"
        or get("data-testid") in ("AuthorCard", "AuthorURL")
        or _TIER1_CLASS.search(cls)
    ):
        mask |= 1
    if tag in _TIER2_TAGS and (
        cls in ("byline", "username", "byl", "BBL")
        or "author" in prop
        or _TIER2_ID.search(ident)
        or _TIER2_CLASS.search(cls)
    ):
        mask |= 2
    if (
        "Byline" in (get("data-component") or "")
        or "author" in prop
        or _TIER3_ID.search(ident)
        or _TIER3_CLASS.search(cls)
    ):
        mask |= 4
    return mask


def _aside(el: Any) -> bool:
    """Comments, sidebars, quotes, captions, dates: a name there is not the article's byline."""
    tag = el.tag
    if tag in ("time", "figure"):
        return True
    if tag not in _ASIDE_TAGS or not el.attrib:
        return False
    get = el.attrib.get
    cls, ident = get("class") or "", get("id") or ""
    return bool(
        ident == "comments"
        or cls in ("comments", "title", "date")
        or _ASIDE_ID.search(ident)
        or _ASIDE_CLASS.search(cls)
        or "Figure" in (get("data-component") or "")
    )


def _byline(tree: Any) -> str | None:
    """The first byline-like element's text outside comments, sidebars and captions."""
    from lxml.etree import Element
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.utils import trim

    tiers: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for el in tree.iter(Element):
        if (el.attrib or el.tag == "author") and (mask := _tiers(el)):
            for k in range(3):
                if mask >> k & 1:
                    tiers[k].append(el)
    for candidates in tiers:
        for elem in candidates:
            if _aside(elem) or any(_aside(a) for a in elem.iterancestors()):
                continue
            if any(_aside(sub) for sub in elem.iterdescendants(Element)):
                # A date or caption inside the byline: its text is left out (tails stay).
                elem = deepcopy(elem)
                for sub in [sub for sub in elem.iterdescendants(Element) if _aside(sub)]:
                    sub.drop_tree()  # one inside another goes with it either way
            content = trim(" ".join(elem.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


_META_FIELDS = ("title", "author", "url", "date", "sitename")  # what we keep of a page's metadata


def _metadata(tree: Any, url: str | None) -> dict[str, Any]:
    """Title, date, authors, canonical URL and site name of a parsed page."""
    from htmldate import find_date
    from trafilatura.metadata import (
        META_URL,
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )
    from trafilatura.settings import set_date_params

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a handle, not a name
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # malformed JSON-LD: the meta tags stand
        pass
    title = meta.title or extract_title(tree)
    author = meta.author or _byline(tree)
    page_url = meta.url or extract_url(tree, url)
    dates = set_date_params(False)  # the page only: no date guessed from elsewhere
    dates["url"] = page_url
    date = find_date(tree, **dates)
    sitename = meta.sitename or extract_sitename(tree)
    if sitename:
        sitename = sitename.lstrip("@")
        if sitename and "." not in sitename and not sitename[0].isupper():
            sitename = sitename.title()
    elif page_url and (m := META_URL.match(page_url)):
        sitename = m[1]
    meta.title, meta.author, meta.url, meta.date, meta.sitename = title, author, page_url, date, sitename
    meta.clean_and_trim()
    return {k: getattr(meta, k) for k in _META_FIELDS}


def extract_html(html: str, url: str | None = None, *, fallback: bool = False) -> Extracted:
    """Extract the article of one page.

    Paragraphs are kept as paragraphs (trafilatura's line per block becomes a blank-line
    separated paragraph). Returns an empty ``text`` when the page has no article.
    ``fallback`` also runs trafilatura's backup extractors (readability, jusText) and keeps
    the best of their results.
    """
    import trafilatura
    from trafilatura.utils import load_html

    config = _config()
    tree = load_html(html, config.getint("DEFAULT", "MAX_FILE_SIZE"))
    if tree is None:
        return Extracted(text="", url=url)
    try:
        meta = _metadata(tree, url)
    except (RecursionError, MemoryError):
        raise
    except Exception:  # metadata is best effort: a page whose markup trips it keeps its article
        meta = dict.fromkeys(_META_FIELDS)
    doc = trafilatura.bare_extraction(
        tree,  # trafilatura extracts from a copy: the tree stays as the metadata read it
        url=url or meta["url"],
        fast=not fallback,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        config=config,
    )
    if doc is None:
        return Extracted(text="", url=url)
    data = doc if isinstance(doc, dict) else doc.as_dict()
    text = data.get("text") or ""
    title = meta["title"] or None
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if title and paragraphs and _same_line(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline is in ``title``; keep it out of the body
    return Extracted(
        text="\n\n".join(paragraphs),
        title=title,
        date=meta["date"] or None,
        authors=_split_authors(meta["author"]),
        url=meta["url"] or url,
        sitename=meta["sitename"] or None,
    )
