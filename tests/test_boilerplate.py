"""Plain-text boilerplate stripping: sample pages, furniture cases, metadata, template, invariants."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.boilerplate import (
    Stripped,
    TemplateIndex,
    detect_stopword_language,
    line_hash,
    postfilter_extracted,
    site_key,
    strip_boilerplate,
)
from corpuskit.config import BoilerplateConfig
from corpuskit.normalise import normalise_text
from corpuskit.stopwords import LANGUAGES, UNSPACED, canonical_lang, stopwords

HERE = Path(__file__).parent
PAGES = HERE / "data" / "boilerplate"
CASES = HERE / "cases"
CFG = BoilerplateConfig()


def _rows(name: str) -> list[dict[str, object]]:
    with (CASES / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _lines(text: str) -> list[str]:
    return [ln for ln in text.split("\n") if ln]


# An article frame the case lines are dropped into: furniture is hardest to spot inside the body.
HEAD = [
    "Home",
    "World",
    "Ferry services suspended as harbour workers strike",
    "By Jane Smith",
    "March 4, 2025, 7:10 am",
]
BODY = [
    "Ferry services between the islands and the mainland were suspended on Tuesday after harbour workers walked "
    "out over a dispute about night shifts, leaving thousands of travellers stranded on both sides.",
    "The operator said it had cancelled all sailings until at least Thursday and advised passengers not to travel "
    "to the port unless they had been contacted about an alternative route.",
    "Union leaders said the strike could be called off if the company agreed to restore the shift allowance that "
    "was cut last year, but the two sides have not met since the weekend.",
    "Local businesses on the islands said the timing could hardly be worse, with the spring holiday only a week "
    "away and many guesthouses already fully booked for the season.",
]
TAIL = ["Most Popular", "Five things to know before you travel this spring", "© 2025 Example News"]


def _frame(line: str) -> str:
    return "\n\n".join([*HEAD, *BODY[:2], line, *BODY[2:], *TAIL])


# --------------------------------------------------------------------------- sample pages


@pytest.mark.parametrize("page", sorted(p.stem for p in PAGES.glob("*.txt")))
def test_sample_page(page: str) -> None:
    expected = json.loads((PAGES / f"{page}.expected.json").read_text(encoding="utf-8"))
    text = normalise_text((PAGES / f"{page}.txt").read_text(encoding="utf-8"))
    got = strip_boilerplate(text, CFG)
    assert _lines(got.text) == expected["text"]
    assert got.title == expected["title"]
    assert got.date == expected["date"]
    assert got.authors == expected["authors"]
    assert got.removed == len(_lines(text)) - len(expected["text"])


def test_sample_pages_cover_three_scripts() -> None:
    langs = {
        detect_stopword_language((PAGES / f"{p}.txt").read_text(encoding="utf-8"))
        for p in ("en_daily", "de_zeitung", "ja_shinbun")
    }
    assert langs == {"en", "de", "ja"}


# --------------------------------------------------------------------------- furniture cases


@pytest.mark.parametrize("row", _rows("boilerplate.jsonl"), ids=lambda r: str(r["label"]))
def test_furniture_case_inside_article(row: dict[str, object]) -> None:
    line = str(row["input"])
    got = _lines(strip_boilerplate(_frame(line), CFG).text)
    assert got[:2] == BODY[:2] and got[-2:] == BODY[2:], "article paragraphs must survive"
    if row["expected"] == "drop":
        assert line not in got
    else:
        assert line in got


def test_furniture_case_at_end_of_article() -> None:
    for line in ("This story has been updated with additional information.", "Reach Jane Smith on X @janesmithnews."):
        got = _lines(strip_boilerplate("\n".join([*HEAD, *BODY, line]), CFG).text)
        assert got == BODY


@pytest.mark.parametrize("row", _rows("boilerplate_bylines.jsonl"), ids=lambda r: str(r["label"]))
def test_byline_authors(row: dict[str, object]) -> None:
    byline = list(row["input"])  # type: ignore[call-overload]
    text = "\n".join([HEAD[2], *byline, "March 4, 2025", *BODY])
    got = strip_boilerplate(text, CFG)
    assert got.authors == row["expected"]
    assert _lines(got.text) == BODY


@pytest.mark.parametrize("row", _rows("boilerplate_dates.jsonl"), ids=lambda r: str(r["label"]))
def test_date_line(row: dict[str, object]) -> None:
    line = str(row["input"])
    got = strip_boilerplate("\n".join([HEAD[2], line, *BODY]), CFG)
    assert got.date == row["expected"]
    if row["expected"] is not None:
        assert line not in got.text


def test_authors_only_from_head_or_about_section() -> None:
    # "By ..." lines of a teaser list after the story are not the story's authors.
    text = "\n".join(
        [HEAD[2], "By Jane Smith", *BODY, "Latest in World", "Markets rally on rate hopes", "By Someone Else"]
    )
    assert strip_boilerplate(text, CFG).authors == ["Jane Smith"]
    about = "\n".join([HEAD[2], *BODY, "About the Authors", "By Jane Smith", "See full bio"])
    assert strip_boilerplate(about, CFG).authors == ["Jane Smith"]


def test_comments_never_join_the_article() -> None:
    comments = ["12 responses to “Ferry services suspended”", "harbourfan says:", "March 4, 2025 at 8:01 am"]
    comments += [BODY[0].replace("Ferry", "Bus"), "islander99 says:", BODY[1].replace("operator", "council")] * 3
    got = _lines(strip_boilerplate("\n".join([*HEAD, *BODY, *comments]), CFG).text)
    assert got == BODY


def test_short_pages_without_prose_keep_their_sentences() -> None:
    got = strip_boilerplate("Menu\nThe ferry is cancelled today.\nShare", CFG)
    assert got.text == "The ferry is cancelled today."
    assert strip_boilerplate("", CFG) == Stripped(text="", removed=0, words=0, tidy=True)


def test_min_paragraph_words() -> None:
    cfg = BoilerplateConfig(min_paragraph_words=10)
    got = _lines(strip_boilerplate(_frame("“Please be patient.”"), cfg).text)
    assert got == BODY


def test_paragraph_breaks_follow_the_input() -> None:
    single = strip_boilerplate("\n".join([*HEAD, *BODY]), CFG).text
    assert single == "\n".join(BODY)
    double = strip_boilerplate("\n\n".join([*HEAD, *BODY]), CFG).text
    assert double == "\n\n".join(BODY)
    # A dropped line between two kept ones leaves a paragraph break.
    assert "\n\n" in strip_boilerplate("\n".join([*HEAD, BODY[0], "Advertisement", *BODY[1:]]), CFG).text


# --------------------------------------------------------------------------- site template


def test_site_key() -> None:
    assert site_key("x.txt", "https://www.news.example.org/a/b?c=1") == "news.example.org"
    assert site_key("crawl/site-a/page1.txt", None) == "crawl/site-a"
    assert site_key("page.txt", None) == "."
    assert site_key("C:\\crawl\\site\\p.txt", "") == "C:/crawl/site"


def test_line_hash_is_stable_and_folded() -> None:
    assert line_hash("“Quoted” — text") == line_hash('"quoted" -  TEXT')
    assert line_hash("Sign up today") == 1 * line_hash("Sign up today")
    assert line_hash("a") != line_hash("b")


def _site_pages() -> tuple[list[str], str]:
    quote = "“We will not accept a deal that cuts the night shift allowance again,” the union leader told reporters."
    footer = "Example Harbour News is published by Example Media. Tips: newsdesk@example.org"
    pages = [
        "\n".join([f"Headline number {i} about the harbour", BODY[i % 4], quote, BODY[(i + 1) % 4], footer])
        for i in range(3)
    ]
    return pages, quote


def test_template_lines_are_site_repeats_but_not_cross_site_quotes() -> None:
    pages, quote = _site_pages()
    footer = pages[0].split("\n")[-1]
    idx = TemplateIndex(CFG)
    for p in pages:
        idx.add("harbour.example", p)
    # The same quote re-reported by a different outlet: it is content, not template.
    idx.add("other.example", "\n".join(["Another outlet's story", quote, BODY[3]]))
    tpl = idx.template_for("harbour.example")
    assert line_hash(footer) in tpl
    assert line_hash(quote) not in tpl
    assert line_hash(BODY[1]) in tpl  # on pages 0 and 1 of one site only
    got = strip_boilerplate(pages[2], CFG, template=tpl)
    assert footer not in got.text
    assert quote in got.text
    assert idx.template_for("unknown.example") == frozenset()


def test_template_respects_min_pages() -> None:
    pages, _ = _site_pages()
    idx = TemplateIndex(BoilerplateConfig(template_min_pages=3))
    for p in pages[:2]:
        idx.add("s", p)
    assert idx.template_for("s") == frozenset()
    idx.add("s", pages[2])
    assert line_hash(pages[0].split("\n")[-1]) in idx.template_for("s")


def test_a_second_copy_of_a_page_is_not_stripped_as_template() -> None:
    page = "\n".join([HEAD[2], *BODY, "Example Harbour News, all the news from the quay"])
    idx = TemplateIndex(CFG)
    idx.add("s", page)
    idx.add("s", page)
    got = strip_boilerplate(page, CFG, template=idx.template_for("s"))
    assert _lines(got.text) == BODY


# --------------------------------------------------------------------------- language


def test_stopword_lists_cover_every_langdetect_language() -> None:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    known = {p.name for p in Path(PROFILES_DIRECTORY).iterdir()}
    assert known <= set(LANGUAGES)
    for lang in LANGUAGES:
        assert len(stopwords(lang)) >= 30, lang
    for lang in ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "ko", "ar"):
        assert len(stopwords(lang)) >= 200, lang
    assert {"の", "は"} <= stopwords("ja") and {"的", "了"} <= stopwords("zh-cn") and "這" in stopwords("zh-tw")
    assert set(LANGUAGES) >= UNSPACED
    assert canonical_lang("en-GB") == "en" and canonical_lang(None) is None and stopwords("xx") == frozenset()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The minister said that the talks would resume in the spring if both sides agreed.", "en"),
        ("Der Minister sagte, dass die Gespräche im Frühjahr wieder aufgenommen werden könnten.", "de"),
        ("Le ministre a déclaré que les négociations pourraient reprendre au printemps si les deux parties", "fr"),
        ("El ministro dijo que las negociaciones podrían reanudarse en la primavera si ambas partes", "es"),
        ("Министр заявил, что переговоры могут возобновиться весной, если обе стороны согласятся.", "ru"),
        ("市長は記者団に対し、計画を見直す考えを示した。", "ja"),
        ("市长表示，如果双方同意，谈判将在春季恢复。", "zh-cn"),
        ("시장은 기자들에게 계획을 다시 검토하겠다고 말했다.", "ko"),
        ("12345 67890", None),
    ],
)
def test_detect_stopword_language(text: str, lang: str | None) -> None:
    assert detect_stopword_language(text) == lang


def test_russian_page() -> None:
    page = "\n".join(
        [
            "Главная",
            "Политика",
            "Городской совет утвердил новый план развития транспорта",
            "Автор: Иван Петров",
            "19 ноября 2024, 14:35",
            "Поделиться",
            "Городской совет во вторник большинством голосов утвердил новый план развития общественного транспорта, "
            "который будет выполняться в течение пяти лет.",
            "По словам мэра, в первую очередь будут обновлены автобусные маршруты на окраинах города, а в центре "
            "появится новая трамвайная линия.",
            "«Мы долго спорили о расходах, но решение было необходимо», — сказал мэр.",
            "Читайте также",
            "Новые велодорожки появятся в центре",
            "© 2024 Городская газета",
        ]
    )
    got = strip_boilerplate(page, CFG)
    assert got.title == "Городской совет утвердил новый план развития транспорта"
    assert got.date == "2024-11-19T14:35"
    assert got.authors == ["Иван Петров"]
    assert len(_lines(got.text)) == 3 and got.text.startswith("Городской совет во вторник")


# --------------------------------------------------------------------------- invariants

_LINE = st.one_of(
    st.sampled_from([*BODY, *HEAD, *TAIL, "Advertisement", "“Yes,” she said.", "By", "Jane Smith", "", "  "]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=120),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=30))
def test_output_lines_are_a_subsequence_of_input_lines(lines: list[str]) -> None:
    text = normalise_text("\n".join(lines))
    got = strip_boilerplate(text, CFG)
    source = [ln.strip() for ln in text.split("\n") if ln.strip()]
    it = iter(source)
    assert all(any(out == src for src in it) for out in _lines(got.text))
    assert got.removed == len(source) - len(_lines(got.text))
    assert got == strip_boilerplate(text, CFG)  # deterministic
    if got.title is not None:
        # the headline line moves out of the text (a body line that repeats it may stay)
        assert got.title in source and _lines(got.text).count(got.title) < source.count(got.title)


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, max_size=20))
def test_postfilter_only_drops_lines(lines: list[str]) -> None:
    text = normalise_text("\n".join(lines))
    out = postfilter_extracted(text, CFG)
    source = _lines(text)
    it = iter(source)
    assert all(any(o == s for s in it) for o in _lines(out))


@pytest.mark.parametrize(
    "line",
    [
        "a " * 50_000,
        "By " + "Jane " * 20_000,
        "1/" * 50_000,
        "#a " * 33_000,
        "(" * 100_000,
        "— " * 50_000,
        "2019-" * 20_000,
        "January 1, " * 9_000,
        "Photo: " + "x" * 100_000,
        "Getty Images " * 7_700,
        "Register now " * 7_700,
        "\u65e5" * 100_000,
        "\u0e01" * 100_000,
    ],
    ids=lambda s: repr(s[:12]),
)
def test_adversarial_long_lines_are_fast(line: str) -> None:
    page = "\n".join([HEAD[2], line, *BODY, line])
    t0 = time.perf_counter()
    strip_boilerplate(page, CFG)
    postfilter_extracted(page, CFG)
    for lang in (None, "en", "ja", "th"):
        strip_boilerplate(line, CFG, lang=lang)
    assert time.perf_counter() - t0 < 3.0


# --------------------------------------------------------------------------- postfilter


def test_postfilter_drops_leaked_teasers_and_promos() -> None:
    article = "\n".join(BODY)
    leaked = "\n".join([*BODY, "Advertisement", "Related Stories", "Ferry fares to rise in April", "New port opens"])
    assert postfilter_extracted(leaked, CFG) == article
    assert postfilter_extracted(article, CFG) == article
    assert postfilter_extracted("", CFG) == ""


def test_language_profiles_unload_and_reload() -> None:
    from corpuskit import language

    german = "Der Präsident sagte am Dienstag, dass die Gespräche mit der Regierung gut verlaufen."
    language.load_profiles()
    first = language.detect_language(german)
    language.unload_profiles()
    assert language._FACTORY is None
    assert language.detect_language(german) == first == ("de", None)  # loaded again on use
