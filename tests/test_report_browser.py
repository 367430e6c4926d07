"""The report in a real browser: headless Chromium driven by Playwright.

Skipped (with the reason) when Chromium or Playwright is missing; ``.ci/run`` installs both.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpuskit.report import render_report, write_report

from .conftest import ROOT, SAMPLES
from .test_report import big_page, build_fixture

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium chromium-driver)", allow_module_level=True)
if importlib.util.find_spec("playwright") is None:
    pytest.skip("the playwright Python package is not installed", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watched:
    """A page plus everything it said: console errors, uncaught exceptions, dialogs."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning"):
            self.errors.append(f"{msg.type}: {msg.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def open_report(browser: Browser) -> Iterator[Any]:
    pages: list[Page] = []

    def _open(path: Path, *, width: int = 1280) -> Watched:
        page = browser.new_page(viewport={"width": width, "height": 900})
        pages.append(page)
        watched = Watched(page)
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("#panel-passages .status-line")
        return watched

    yield _open
    for page in pages:
        page.close()


def _fixture_report(out: Path) -> Path:
    docs, passages, manifest = build_fixture()
    out.mkdir(parents=True, exist_ok=True)
    (out / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    (out / "passages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in passages), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return write_report(out)


def _filter(page: Page, query: str) -> None:
    page.fill("#filter", query)
    page.wait_for_timeout(250)  # the input is debounced


def _check_team_passage(page: Page, card_selector: str, n_sources: int) -> None:
    card = page.locator(card_selector)
    assert card.count() == 1
    rows = card.locator(".source")
    assert rows.count() == n_sources
    assert card.locator(".source .badge.canon").count() == 1
    canonical = " ".join(card.locator(".canonical").inner_text().split())
    marked = 0
    for i in range(n_sources):
        # Every row shows its variant inside its context...
        span = rows.nth(i).locator(".ctx .span")
        assert "top team" in span.inner_text().lower()
        # ...and a variant that differs from the canonical text in any way has it marked.
        if " ".join(span.inner_text().split()) != canonical:
            assert span.locator("ins, del, .alt").count() >= 1, span.inner_text()
            marked += 1
    assert marked >= 1


# --------------------------------------------------------------------------- tests


def test_fixture_report_passages_filter_and_no_console_error(tmp_path: Path, open_report: Any) -> None:
    w = open_report(_fixture_report(tmp_path))
    page = w.page
    _check_team_passage(page, '[data-passage-id="p-5c1e0b7a"]', 3)
    team = page.locator('[data-passage-id="p-5c1e0b7a"]')
    assert team.locator("ins", has_text="very").count() == 1  # the Busan Ledger variant adds "very"
    assert team.locator("del", has_text="U.S.,").count() == 1  # the wire writes "US"
    assert page.locator("#tab-passages .count").inner_text() == "2"

    _filter(page, "harbour gates")
    assert page.locator(".passage").count() == 1
    assert page.locator("#tab-passages .count").inner_text() == "1/2"
    assert page.locator("#tab-documents .count").inner_text() == "2/9"
    _filter(page, "meridian TEAM")  # every word must match
    assert page.locator(".passage").all_inner_texts()[0].count("Meridian Wire") == 1
    _filter(page, "no such words anywhere")
    assert page.locator(".passage").count() == 0
    assert "Nothing matches" in page.locator("#panel-passages .status-line").inner_text()
    page.locator("#filter").press("Escape")
    assert page.locator(".passage").count() == 2

    page.click("#tab-clusters")
    assert page.locator(".cluster .member").count() == 2
    page.locator(".member", has_text="Korean delegation").get_by_role("button").click()
    sbs = page.locator(".sbs")
    assert sbs.locator("ins", has_text="or when").count() == 1
    assert "words shared" in page.locator(".diff-stats").inner_text()
    page.click("#tab-rejected")
    assert page.locator("#panel-rejected .doc").count() == 2
    page.locator(".chip", has_text="not JSON").click()
    assert page.locator("#panel-rejected .doc").count() == 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.click("#tab-passages")
    page.screenshot(path=str(ARTIFACTS / "report-fixture.png"), full_page=True)
    assert w.errors == [] and w.dialogs == []


def _payload_page(tmp_path: Path, *, csp: bool) -> Path:
    docs, passages, manifest = build_fixture()
    page = render_report(docs, passages, manifest)
    if not csp:  # prove the escaping alone holds, without the policy's second line of defence
        page, n = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
        assert n == 1
    path = tmp_path / ("report.html" if csp else "report-no-csp.html")
    path.write_text(page, encoding="utf-8")
    return path


@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "without-csp"])
def test_script_and_onerror_in_articles_never_run(tmp_path: Path, open_report: Any, csp: bool) -> None:
    w = open_report(_payload_page(tmp_path, csp=csp))
    page = w.page
    # Show the payload everywhere it can appear: passage rows, document list, full text.
    _filter(page, "pwned")
    page.click("#tab-documents")
    page.locator(".doc", has_text="Letters").get_by_role("button", name="Show full text").click()
    docs_text = page.locator("#panel-documents").inner_text()
    page.click("#tab-clusters")
    page.click("#tab-passages")
    passages_text = page.locator("#panel-passages").inner_text()
    page.wait_for_timeout(200)  # give any injected handler time to fire

    assert page.evaluate("typeof window.pwned") == "undefined"
    assert w.dialogs == []
    assert page.locator("img").count() == 0  # no element was created from corpus markup
    assert page.locator("a[href^='javascript']").count() == 0  # the javascript: url is not linked
    # The markup is shown as the text it is.
    assert "<script>window.pwned='title'</script>Letters" in docs_text
    assert "<script>window.pwned = 'script'; alert(1)</script>" in docs_text
    assert "</script><script>window.pwned='close'</script>" in docs_text
    assert "<img src=x onerror=\"window.pwned='site'\">" in passages_text
    assert "opener <!-- that must stay text" in passages_text
    assert w.errors == []


def test_sample_run_report_shows_the_top_team_passage(open_report: Any, request: pytest.FixtureRequest) -> None:
    if not any(SAMPLES.rglob("*.*")):
        pytest.skip("samples/ is empty (the sample corpus has not been written yet)")
    for module in ("corpuskit.dedup", "corpuskit.passages"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} does not exist yet: the pipeline cannot run")
    result = request.getfixturevalue("sample_run")
    passages = [p.to_dict() for p in result.passages]
    team = [p for p in passages if "top team" in p["text"].lower()]
    assert team, "no 'top TEAM' passage in the sample run"
    expected = max(team, key=lambda p: p["n_documents"])
    assert expected["n_documents"] >= 3

    w = open_report(result.out_dir / "report.html")
    page = w.page
    _check_team_passage(page, f'[data-passage-id="{expected["passage_id"]}"]', len(expected["sources"]))
    _filter(page, "top TEAM")
    assert page.locator(f'[data-passage-id="{expected["passage_id"]}"]').count() == 1
    assert page.locator(".passage").count() < len(passages) or len(passages) == len(team)
    page.locator("#filter").press("Escape")

    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert w.errors == [] and w.dialogs == []


def test_ten_thousand_passages_stay_responsive(tmp_path: Path, open_report: Any) -> None:
    path = tmp_path / "big.html"
    path.write_text(big_page()[0], encoding="utf-8")
    t = time.perf_counter()
    w = open_report(path)
    page = w.page
    loaded = time.perf_counter() - t
    assert page.locator(".passage").count() == 20  # one page, not 10,000 cards
    assert page.locator("#tab-passages .count").inner_text() == "10,000"
    page.locator("#panel-passages .more").click()
    assert page.locator(".passage").count() == 40

    # Filtering all 10k passages (building the search index on first use) stays interactive.
    t = time.perf_counter()
    page.fill("#filter", "p-00270f")
    expect(page.locator(".passage")).to_have_count(1)
    took = time.perf_counter() - t
    assert loaded < 15, f"load took {loaded:.1f}s"
    assert took < 3, f"filter took {took:.1f}s"
    assert w.errors == []
