"""HTML extraction (trafilatura) and the post-filter the pipeline runs on its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpuskit.boilerplate import postfilter_extracted
from corpuskit.config import BoilerplateConfig
from corpuskit.extract import Extracted, extract_html
from corpuskit.normalise import normalise_text

PAGE = Path(__file__).parent / "data" / "boilerplate" / "article.html"
URL = "https://harbour.example/news/strike"


def test_article_text_and_metadata() -> None:
    ex = extract_html(PAGE.read_text(encoding="utf-8"), URL)
    paras = ex.text.split("\n\n")
    assert paras[0].startswith("Ferry services between the islands")
    assert "What happens next" in paras  # body subheading stays
    assert "“We are ready to talk at any time,” the union's spokesperson said." in paras
    assert paras[-1].startswith("Local businesses on the islands")
    for furniture in (
        "Home",
        "Related stories",
        "Ferry fares to rise in April",
        "All rights reserved",
        "By Jane Smith",
    ):
        assert furniture not in ex.text
    assert ex.title == "Harbour strike halts ferry services"
    assert ex.title not in paras  # the headline is moved out of the text, not copied
    assert ex.date == "2025-03-04"
    assert ex.authors == ["Jane Smith", "John Roe"]
    assert ex.sitename == "Example Harbour News"
    assert ex.url == URL


def test_extraction_is_deterministic() -> None:
    html = PAGE.read_text(encoding="utf-8")
    assert extract_html(html, URL) == extract_html(html, URL)


def test_page_without_article() -> None:
    ex = extract_html("<html><head><title>x</title></head><body></body></html>")
    assert ex == Extracted(text="")
    # Whatever trafilatura salvages from a menu-only page, the post-filter leaves no text.
    menu = extract_html("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    assert postfilter_extracted(menu.text, BoilerplateConfig()) == ""


def test_postfilter_on_leaked_related_list() -> None:
    html = PAGE.read_text(encoding="utf-8").replace(
        "</article>",
        "<p>Advertisement</p><p>Read more: Ferry fares to rise in April</p></article>",
    )
    text = normalise_text(extract_html(html, URL).text)
    out = postfilter_extracted(text, BoilerplateConfig())
    assert "Read more: Ferry fares to rise in April" not in out
    assert "Advertisement" not in out
    assert out.startswith("Ferry services between the islands")
    assert out.endswith("booked for the season.")


_BODY = "<p>" + " ".join(["The council met on Tuesday to discuss the harbour plans."] * 12) + "</p>"
_LD = (
    '<script type=\'application/ld+json\'>{"@context": "https://schema.org", "@type": "NewsArticle",'
    ' "headline": "Harbour plans approved", "datePublished": "2025-03-04T10:00:00Z", "author": {"@type": "Person", "name": "Jane Smith"}}</script>'
)
# label: (extra <head> markup, <body> markup)
BYLINE_PAGES = {
    "rel-author": ("", f"<article><h1>Harbour plans</h1><a rel='author' href='/a'>Jane Smith</a>{_BODY}</article>"),
    "byline-class-with-date": (
        "",
        "<article><h1>Harbour plans</h1><div class='byline'>By Jane Smith"
        f" <time datetime='2025-03-04'>4 March 2025</time></div>{_BODY}</article>",
    ),
    "author-in-comments-only": (
        "",
        f"<article><h1>Harbour plans</h1>{_BODY}</article>"
        "<section id='comments'><span class='author'>Commenter Joe</span><p>First!</p></section>",
    ),
    "sidebar-author-before-byline": (
        "",
        "<div class='sidebar'><span class='author-name'>Other Writer</span></div><article><h1>Harbour plans</h1>"
        f"<p class='article-author'>Jane Smith and John Roe</p>{_BODY}</article>",
    ),
    "generic-writer-class": ("", f"<article><h1>Harbour plans</h1><em class='writer'>Jane Smith</em>{_BODY}</article>"),
    "itemprop": ("", f"<article><h1>Harbour plans</h1><span itemprop='author'>Jane Smith</span>{_BODY}</article>"),
    "meta-author": (
        "<meta name='author' content='Jane Smith'>",
        f"<article><h1>Harbour plans</h1><span class='byline'>Someone Else</span>{_BODY}</article>",
    ),
    "json-ld": (_LD, f"<article><h1>Harbour plans</h1>{_BODY}</article>"),
    "none": ("", f"<article><h1>Harbour plans</h1>{_BODY}</article>"),
}


def _page(head: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Harbour plans | Example News</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a></nav>{body}</body></html>"
    )


def test_metadata_matches_trafilatura() -> None:
    """Our lean metadata (bylines without regex callbacks; no categories, tags or licence)
    finds what trafilatura's own ``extract_metadata`` finds."""
    from trafilatura.metadata import extract_metadata
    from trafilatura.settings import set_date_params

    from corpuskit.extract import _split_authors

    found = {}
    for label, (head, body) in BYLINE_PAGES.items():
        html = _page(head, body)
        ours = extract_html(html, URL)
        theirs = extract_metadata(html, URL, set_date_params(False))
        assert (ours.title, ours.date, ours.authors, ours.sitename, ours.url) == (
            theirs.title,
            theirs.date,
            _split_authors(theirs.author),
            theirs.sitename,
            theirs.url,
        ), label
        found[label] = ours.authors
    assert found == {
        "rel-author": ["Jane Smith"],
        "byline-class-with-date": ["Jane Smith"],  # the date inside the byline is left out
        "author-in-comments-only": [],
        "sidebar-author-before-byline": ["Jane Smith", "John Roe"],
        "generic-writer-class": ["Jane Smith"],
        "itemprop": ["Jane Smith"],
        "meta-author": ["Jane Smith"],
        "json-ld": ["Jane Smith"],
        "none": [],
    }


def test_fallback_extractors_are_optional() -> None:
    html = PAGE.read_text(encoding="utf-8")
    fast, full = extract_html(html, URL), extract_html(html, URL, fallback=True)
    assert fast.text and full.text
    assert (fast.title, fast.date, fast.authors) == (full.title, full.date, full.authors)


def test_metadata_failure_keeps_the_article(monkeypatch: pytest.MonkeyPatch) -> None:
    import corpuskit.extract as ex

    def broken(tree: object, url: object) -> None:
        raise ValueError("odd markup")

    monkeypatch.setattr(ex, "_metadata", broken)
    got = extract_html(PAGE.read_text(encoding="utf-8"), URL)
    assert "Ferry services between the islands" in got.text
    assert (got.title, got.date, got.authors, got.url) == (None, None, [], URL)
