"""HTML extraction (trafilatura) and the post-filter the pipeline runs on its output."""

from __future__ import annotations

from pathlib import Path

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
