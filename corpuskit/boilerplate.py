"""Strip page furniture from text that was pulled off a web page with everything left in.

A naive scraper's text holds the article plus menus, share bars, bylines, photo captions and
credits, promos, "Most Popular" lists and footers, one block per line. :func:`strip_boilerplate`
keeps the article and moves the headline, date and authors into fields. It works in four
steps, each cheap and deterministic:

1. **Patterns** mark lines that are furniture whatever their context: UI words ("Advertisement",
   "Down Arrow Button Icon", share/print/font buttons), captions with photo credits, copyright,
   hashtags, "Reach X on X @handle", lorem ipsum, promos ending in a call to action, section
   headers of teaser lists ("Latest in Politics", "Most Popular"), and lines the same site
   repeats on its other pages (:class:`TemplateIndex`). Bylines and date lines are parsed.
2. **Classification** of every other line, in the spirit of jusText but for text without
   markup: length, stopword density in the page's language (lists in
   :mod:`corpuskit.stopwords`), sentence punctuation.
3. **Context**: short lines (subheadings, one-line quotes) and borderline lines take the class
   of their neighbours, so a subheading between two paragraphs stays.
4. **Region**: the article is the run of lines with the best balance of prose over furniture
   (a maximum-sum segment), so teaser paragraphs in the footer do not leak in, and lines left
   outside it are dropped.

Lines are kept or dropped whole: the output never contains text that was not in the input.

Across the batch, a line that one site prints on many of its pages is template; a line found
on *different* sites is re-reported text (a quote, a wire paragraph) and is never template.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np

from .config import BoilerplateConfig
from .normalise import SUSPECT, fold_text
from .stopwords import LANGUAGES, UNSPACED, canonical_lang, stopwords
from .wordstats import WordSet, code_points, line_counts, lowered_counts, word_set

__all__ = [
    "Stripped",
    "TemplateIndex",
    "detect_stopword_language",
    "line_hash",
    "line_hashes",
    "postfilter_extracted",
    "site_key",
    "strip_boilerplate",
]


@dataclass(frozen=True, slots=True)
class Stripped:
    """The article part of a page's text, with the metadata found in its furniture.

    ``text``: kept lines in input order (each one a whole input line); ``title``, ``date``
    (ISO 8601) and ``authors`` were moved out of it; ``removed`` counts dropped lines.
    ``words`` is ``len(text.split())``, counted on the way (``None``: not counted);
    ``tidy``: no character of ``text`` is one :func:`~corpuskit.normalise.normalise_text`
    repairs or tidies (:func:`~corpuskit.normalise.is_normal_join` tells whether it is
    normal already).
    """

    text: str
    title: str | None = None
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    removed: int = 0
    words: int | None = None
    tidy: bool = False


# --------------------------------------------------------------------------- site template


def site_key(source: str, url: str | None) -> str:
    """The site a document belongs to: its URL's host, else its source file's directory.

    Pages of one site repeat the same menus and footers; pages saved from one site usually
    sit in one directory.

    >>> site_key("dump/a.txt", "https://www.Example.com:443/news/1")
    'example.com'
    >>> site_key("crawl/fortune/2025-04-25.txt", None)
    'crawl/fortune'
    """
    if url:
        host = urlsplit(url.strip()).hostname or ""
        host = host.lower().rstrip(".")
        if host.startswith("www."):
            host = host[4:]
        if host:
            return host
    path = source.replace("\\", "/")
    parent = path.rsplit("/", 1)[0] if "/" in path else "."
    return parent or "/"


def line_hash(line: str) -> int:
    """Stable 64-bit hash of a line, folded (case, quotes, dashes, spaces) so trivial variants match.

    Stable across processes and runs (unlike ``hash``), so workers agree.
    """
    key = " ".join(fold_text(line).split())
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def line_hashes(text: str) -> np.ndarray:
    """The distinct :func:`line_hash` values of ``text``'s non-blank lines, sorted: what
    :class:`TemplateIndex` counts of a page (a worker can make them, the index only counts).

    >>> line_hashes("Menu\\n\\nStory.\\nMENU").tolist() == sorted({line_hash("Menu"), line_hash("Story.")})
    True
    """
    return np.array(sorted({line_hash(s) for s in text.split("\n") if s.strip()}), dtype=np.uint64)


class TemplateIndex:
    """Which lines each site repeats across its pages, kept as hashes and counts only.

    Call :meth:`add` (or :meth:`add_hashes`) once per page, then :meth:`template_for`. A
    line counts as template for a site when it is on at least ``cfg.template_min_pages`` of
    that site's pages and on no other site's page: text shared between *different* sites is
    re-reported content, which the passage stage must still see.

    >>> idx = TemplateIndex(BoilerplateConfig())
    >>> idx.add("a.com", "Menu\\nStory one.\\nShared quote.")
    >>> idx.add("a.com", "Menu\\nStory two.\\nShared quote.")
    >>> idx.add("b.com", "Shared quote.")
    >>> idx.template_for("a.com") == frozenset({line_hash("Menu")})
    True
    """

    __slots__ = ("_cfg", "_counts", "_owner")

    _SHARED = ""  # owner value of a line seen on two or more sites

    def __init__(self, cfg: BoilerplateConfig) -> None:
        self._cfg = cfg
        self._counts: dict[str, Counter[int]] = {}
        self._owner: dict[int, str] = {}

    def add(self, site: str, text: str) -> None:
        """Count the distinct lines of one page of ``site``."""
        self.add_hashes(site, line_hashes(text))

    def add_hashes(self, site: str, page: np.ndarray) -> None:
        """Count one page of ``site`` given as its :func:`line_hashes`."""
        hashes = page.tolist()
        self._counts.setdefault(site, Counter()).update(hashes)
        owner = self._owner
        for h in hashes:
            prev = owner.get(h)
            if prev is None:
                owner[h] = site
            elif prev != site:
                owner[h] = self._SHARED

    def template_for(self, site: str) -> frozenset[int]:
        """Hashes of the lines ``site`` repeats on enough pages and no other site has."""
        counts = self._counts.get(site)
        if not counts:
            return frozenset()
        need = self._cfg.template_min_pages
        return frozenset(h for h, n in counts.items() if n >= need and self._owner.get(h) == site)


# --------------------------------------------------------------------------- tokens, language

# A word: \w plus the combining marks of Indic, Arabic, Thai and similar scripts.
_WORD = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff\u0e00-\u0eff]+")
_UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Characters common in traditional but not simplified Chinese text (and vice versa).
_TRAD_ONLY = frozenset("這們為個說會對將與從後來時沒還過讓進開關於無發現樣問題長經頭實給業東車門見兩聽務國")
_SIMP_ONLY = frozenset("这们为个说会对将与从后来时没还过让进开关于无发现样问题长经头实给业东车门见两听务国")


@lru_cache(maxsize=1)
def _stop_index() -> dict[str, tuple[int, ...]]:
    """Token -> indices (in ``LANGUAGES``) of the spaced languages whose list holds it."""
    index: dict[str, list[int]] = {}
    for i, lang in enumerate(LANGUAGES):
        if lang not in UNSPACED:
            for w in stopwords(lang):
                index.setdefault(w, []).append(i)
    return {w: tuple(v) for w, v in index.items()}


@lru_cache(maxsize=64)
def _stop_set(code: str) -> WordSet:
    """:func:`stopwords` of ``code`` for :mod:`corpuskit.wordstats`."""
    return word_set(stopwords(code), _WORD.pattern)


_OTHER_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def detect_stopword_language(text: str, *, sample_chars: int = 2000, cps: np.ndarray | None = None) -> str | None:
    """Guess the language of ``text`` cheaply: script first, then best stopword coverage.

    Good enough to pick a stopword list (close languages share most function words);
    ``None`` when nothing fits. ``cps``: the text's :func:`~corpuskit.wordstats.code_points`,
    when the caller has them.

    >>> detect_stopword_language("Der Bundestag hat am Donnerstag über das Gesetz abgestimmt, und die")
    'de'
    >>> detect_stopword_language("政府は木曜日、新しい関税について発表した。")
    'ja'
    """
    head = text[:sample_chars]
    counts: tuple[int, int] | None = None  # words of head.lower(), English stopwords among them
    if _OTHER_SCRIPT.search(head):
        letters = sum(map(str.isalpha, head)) or 1
        n_kana = len(_KANA.findall(head))
        n_han = len(_HAN.findall(head))
        if n_kana >= 0.05 * letters and n_kana + n_han >= 0.3 * letters:
            return "ja"
        if n_han >= 0.3 * letters:
            trad = sum(1 for c in head if c in _TRAD_ONLY)
            simp = sum(1 for c in head if c in _SIMP_ONLY)
            return "zh-tw" if trad > simp else "zh-cn"
        if len(_THAI.findall(head)) >= 0.3 * letters:
            return "th"
        if len(_HANGUL.findall(head)) >= 0.3 * letters:
            return "ko"
    else:
        # Fast path: most news is English, and English prose is a third stopwords
        # (compiled; made on the words themselves below when it cannot count them).
        counts = lowered_counts(
            code_points(head) if cps is None else cps[:sample_chars], _WORD.pattern, _stop_set("en")
        )
        if counts is not None and counts[0] and counts[1] / counts[0] >= 0.3:
            return "en"
    toks = _WORD.findall(head.lower())
    if not toks:
        return None
    if counts is None and _density(toks, stopwords("en")) >= 0.3:
        return "en"
    index = _stop_index()
    scores = [0] * len(LANGUAGES)
    for t in toks:
        for i in index.get(t, ()):
            scores[i] += 1
    best = max(range(len(LANGUAGES)), key=lambda i: (scores[i], -i))
    if scores[best] < max(2, 0.1 * len(toks)):
        return None
    return LANGUAGES[best]


@lru_cache(maxsize=8)
def _unspaced_matcher(lang: str) -> re.Pattern[str] | None:
    words = sorted(stopwords(lang), key=lambda w: (-len(w), w))
    if not words:
        return None
    return re.compile("|".join(map(re.escape, words)))


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _month_list in (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "januar februar märz april mai juni juli august september oktober november dezember",
    "jänner jan feb mär apr mai jun jul aug sept okt nov dez",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "januari februari maart april mei juni juli augustus september oktober november december",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
):
    for _i, _n in enumerate(_month_list.split()):
        # "jänner" is January; every other list is in calendar order.
        _MONTHS.setdefault(_n, 1 if _n == "jänner" else _i + 1)
_MONTHS.update({"sept": 9, "setiembre": 9})
del _month_list, _i, _n
_MON = "|".join(sorted(map(re.escape, _MONTHS), key=lambda s: (-len(s), s)))

_DATE_PATTERNS = [
    re.compile(
        rf"(?<!\w)(?P<mon>{_MON})\.?\s{{1,3}}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s{{1,3}}(?P<y>\d{{4}})(?!\d)", re.I
    ),
    re.compile(
        rf"(?<!\d)(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th|er|º)?\s{{1,3}}(?:de\s)?(?P<mon>{_MON})\.?,?\s{{1,3}}(?:de\s)?(?P<y>\d{{4}})(?!\d)",
        re.I,
    ),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?:[T ](?P<H>\d\d):(?P<M>\d\d))?"),
    re.compile(r"(?P<y>(?:19|20)\d\d)\s?[年년]\s?(?P<m>\d{1,2})\s?[月월]\s?(?P<d>\d{1,2})\s?[日일]"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?!\d)"),
    re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d\d)\.\s?(?P<m>\d{1,2})\.\s?(?P<d>\d{1,2})\.?(?![\d])"),
    re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])"),
]
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_TIME = re.compile(r"(?<!\d)(?P<H>\d{1,2}):(?P<M>\d\d)(?::\d\d)?\s?(?P<ap>[ap]\.?\s?m\.?)?", re.I)

# Words a date line may carry besides the date itself ("Updated", "ET", "2 min read", weekdays).
_DATE_FILLER = frozenset(
    (
        "updated published posted first last modified created on at am pm a m p et est edt pt pst pdt ct "
        "cst cdt mt mst gmt utc bst cet cest ist kst jst aest min mins minute minutes read reading time "
        "local hour hours ago monday tuesday wednesday thursday friday saturday sunday mon tue tues wed "
        "thu thur thurs fri sat sun aktualisiert veröffentlicht am um uhr stand publié mis à jour le "
        "publicado actualizado el las a pubblicato aggiornato il alle gepubliceerd bijgewerkt om "
        "обновлено опубликовано в г года date dated montag dienstag mittwoch donnerstag freitag samstag "
        "sonntag lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes miércoles jueves "
        "viernes sábado domingo time"
    ).split()
)


def _parse_date(s: str) -> tuple[str, int, int] | None:
    """First date in ``s`` as (ISO string, start, end); a time right after it is included."""
    if _YEAR.search(s) is None:
        return None  # every pattern below needs a four-digit year
    best: tuple[str, int, int] | None = None
    for pat in _DATE_PATTERNS:
        m = pat.search(s)
        if m is None or (best is not None and m.start() >= best[1]):
            continue
        g = m.groupdict()
        try:
            y = int(g["y"])
            if g.get("mon"):
                mo, d = _MONTHS[g["mon"].lower()], int(g["d"])
            elif g.get("a"):
                a, b = int(g["a"]), int(g["b"])
                if a > 12 >= b:
                    d, mo = a, b
                elif b > 12 >= a or a == b:
                    mo, d = a, b
                else:
                    continue  # 03/04/2025: day and month cannot be told apart
            else:
                mo, d = int(g["m"]), int(g["d"])
            day = _dt.date(y, mo, d)
        except (ValueError, KeyError):
            continue
        if not 1990 <= y <= 2100:
            continue
        iso, end = day.isoformat(), m.end()
        hh, mm = g.get("H"), g.get("M")
        if hh is None:
            t = _TIME.search(s, m.end(), m.end() + 30)
            if t is not None:
                hh, mm, end = t.group("H"), t.group("M"), t.end()
                ap = (t.group("ap") or "").lower()
                if ap.startswith("p") and int(hh) < 12:
                    hh = str(int(hh) + 12)
                elif ap.startswith("a") and int(hh) == 12:
                    hh = "0"
        if hh is not None and mm is not None and int(hh) < 24 and int(mm) < 60:
            iso = f"{iso}T{int(hh):02d}:{int(mm):02d}"
        best = (iso, m.start(), end)
    return best


def _date_line(s: str) -> str | None:
    """The date of a line that is mostly a date ("Apr 09, 2025, 09:18 am", "Updated: 19.11.2019")."""
    if len(s) > 140 or _DIGIT.search(s) is None:
        return None
    found = _parse_date(s)
    if found is None:
        return None
    iso, start, end = found
    rest = s[:start] + " " + s[end:]
    words = [w for w in _WORD.findall(rest.lower()) if w not in _DATE_FILLER and not w.isdigit()]
    if len(words) > 6 or (rest.rstrip().endswith(".") and len(words) > 2):
        return None
    return iso


# --------------------------------------------------------------------------- bylines

_BYLINE = re.compile(
    r"^(?:written by|words by|reporting by|story by|text by|posted by|published by|by|von|par|por|door|av|af|di|"
    r"autor(?:in|es)?|author(?:s)?|autore|auteur|text|texto|автор|текст)(?:\s{0,3}[:：]|\s)\s{0,3}(?P<rest>.*)$|^(?:by|von|par|por|door)$",
    re.I,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\bog\b|\boch\b|\ben\b|\bи\b)\s*", re.I)
_CONNECTOR = re.compile(r"^(?:,|;|&|and|und|et|y|e|og|och|en|и|with|mit)$", re.I)
_PARTICLES = frozenset("de da das del della der den di du dos van von la le bin ibn al el zu ten ter mc".split())
_ROLES = frozenset(
    (
        "staff writer reporter correspondent editor editors columnist contributor contributing senior "
        "chief political business bureau news desk opinion special to the associated press"
    ).split()
)


def _valid_name(part: str) -> bool:
    toks = part.split()
    if not 1 <= len(toks) <= 5 or len(part) > 60 or any(c.isdigit() for c in part):
        return False
    if any(c in part for c in '@/|:()[]!?“”"«»'):
        return False
    cased = False
    for t in toks:
        c = t[0]
        if c.isupper():
            cased = True
        elif t.lower() in _PARTICLES or not c.isalpha():
            continue
        elif c.islower():
            return False
    return cased or not any(ch.isalpha() and ch.lower() != ch.upper() for ch in part)


def _names(rest: str) -> list[str] | None:
    """Author names in a byline remainder, or ``None`` if it is not a list of names."""
    cut = len(rest)
    found = _parse_date(rest)
    if found is not None:
        cut = found[1]
    for sep in (" - ", " | ", " • ", " · ", " — ", " – ", "|", "•", "@"):
        k = rest.find(sep)
        if 0 <= k < cut:
            cut = k
    rest = rest[:cut].strip(" ,;-–—|")
    words = rest.split()
    while words and words[-1].lower() in ("on", "at", "am", "le", "el", "il", "den", "der", "du"):
        words.pop()  # "Posted by Jane Smith on <date>"
    rest = " ".join(words)
    if not rest:
        return []
    names: list[str] = []
    for part in _NAME_SPLIT.split(rest):
        part = part.strip(" .")
        if not part:
            continue
        if all(t.lower() in _ROLES for t in part.split()):
            continue
        toks = part.split()
        half = len(toks) // 2
        if len(toks) % 2 == 0 and toks[:half] == toks[half:]:
            part = " ".join(toks[:half])  # "Jane Doe Jane Doe": name text printed twice
        if not _valid_name(part):
            return None
        names.append(part)
    return names


# --------------------------------------------------------------------------- furniture patterns

_P = r"[\s:|»›>\-–—.…•·]*"  # trailing punctuation allowed after a UI word
# Whole-line UI furniture (lines up to 200 chars; matched case-insensitively, after bullets).
_UI = re.compile(
    r"(?:"
    r"skip to (?:the )?(?:main )?(?:content|navigation|search|footer|site index)(?: skip to .{0,40})?"
    r"|(?:show|hide|view|close|expand|toggle|enlarge|open) (?:caption|captions|gallery|photos?|images?|menu|comments?|"
    r"more|all|full (?:image|caption)|slideshow|video)"
    r"|play|pause|close|menu|search|share|shares|tweet|e-?mail|print|comment|comments|home|next|previous|prev|back|"
    r"more|login|log in|log out|sign in|sign out|sign up|subscribe|register|follow|advertisement|advertising|ad|ads|"
    r"sponsored(?: content| by .{1,40})?|loading|video|audio|listen|watch|save|copy link|link copied|copied|reprints?|"
    r"story continues below(?: advertisement)?|article continues below(?: advertisement)?|"
    r"continue reading(?: the main story| below| the rest of the story)?|supported by|"
    r"recommended(?: video| videos| for you| stories| reading| articles)?|"
    r"related(?: articles?| stories| story| content| coverage| news| links| reading| videos?| topics| posts)?|"
    r"(?:more|latest|top) (?:from|on|in|about|news|stories|headlines|videos?) ?.{0,40}|latest(?: news)?|"
    r"most (?:popular|read|viewed|shared|emailed|watched|commented|recent)(?: .{0,30})?|"
    r"trending(?: now| stories| topics)?|up next|read next|what to read next|you (?:may|might) also like|"
    r"don'?t miss|editor'?s picks?|top stories|popular (?:now|stories|articles)|in case you missed it|"
    r"listen to (?:this|the) (?:article|story)(?: .{0,30})?|\d+ ?min(?:ute)?s? (?:read|listen)|"
    r"(?:print|save|share|email|e-mail)(?: this)? (?:article|story|page|post)|"
    r"(?:facebook|twitter|linkedin|whatsapp|reddit|pinterest|instagram|youtube|flipboard|telegram|tiktok|rss|"
    r"x|threads|bluesky|email|mail|sms)(?: share| icon| logo| link| feed)?|"
    r"share (?:on|via|to|with) .{0,25}|share this (?:on|via) .{0,25}|follow (?:us|\w+) on .{0,40}|"
    r"(?:font|text) (?:size|resize)(?: .{0,30})?|print page(?: .{0,40})?|(?:small|big|large|larger|smaller) font(?: .{0,30})?|"
    r"[\w ]{0,30}button icon|see full bio(?: .{0,30})?|full bio|about the authors?|about us|placeholder alt text|"
    r"\d+ (?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?) ago(?: .{0,20})?|rating: .{0,20}|"
    r"image \d+ of \d+|photo \d+ of \d+|\d+ ?/ ?\d+|(?:back to|view|open) (?:the )?(?:gallery|slideshow|article)|"
    r"newsletters?|sign up for (?:our|the|free)? ?.{0,40}newsletters?.{0,40}|you are (?:at|here)|breaking(?: news)?|"
    r"share this(?: article| story| page)?|opens in a new (?:window|tab)|click (?:here|to) .{0,60}|"
    r"(?:accept|reject|manage)(?: all)? cookies?(?: .{0,30})?|leave a (?:comment|reply)|\d+ comments?|comments? \(\d+\)|"
    r"(?:previous|next) (?:article|story|post|page|slide)(?: .{0,80})?|go to (?:home ?page|top)(?: .{0,20})?|"
    r"(?:back|scroll) to top|top of page|site ?map|terms of (?:use|service)|privacy(?: policy| notice)?|"
    r"cookie (?:policy|settings)|contact us|help|faq|jobs|careers|reply|report(?: this)?(?: comment)?|"
    # German, French, Spanish, Italian, Portuguese, Dutch, Russian, Japanese, Chinese, Korean
    r"anzeige|werbung|teilen|drucken|artikel teilen|mehr zum thema|lesen sie auch|auch interessant|"
    r"zur startseite|startseite|kommentare|newsletter abonnieren|weitere artikel|das könnte sie auch interessieren|"
    r"publicité|partager|imprimer|lire aussi|à lire aussi|publicidad|compartir|imprimir|lee también|"
    r"leer más|más noticias|pubblicità|condividi|stampa|leggi anche|compartilhar|leia também|publicidade|"
    r"delen|lees ook|advertentie|реклама|поделиться|читайте также|главная|подписаться|комментарии|"
    r"все новости|популярное|новости по теме|広告|シェア|ツイート|印刷|関連記事|あわせて読みたい|続きを読む|"
    r"トップへ戻る|ホーム|おすすめ|人気記事|ランキング|コメント|分享|打印|相关新闻|相关阅读|广告|首页|"
    r"광고|공유|인쇄|관련기사|많이 본 뉴스"
    r")" + _P,
    re.I,
)
# Lines that open a teaser list or the page footer: the article does not go on past them.
_SECTION = re.compile(
    r"(?:latest (?:in|from|news|stories)(?: .{0,40})?|most (?:popular|read|viewed|shared|emailed|watched|commented)"
    r"(?: .{0,30})?|related(?: articles?| stories| content| coverage| news| links| reading| videos?| posts)?|"
    r"recommended(?: for you| stories| reading| articles)?|more (?:from|on|in|about) .{0,40}|"
    r"you (?:may|might) also like|read next|what to read next|up next|trending(?: now| stories)?|"
    r"editor'?s picks?|top stories|about the authors?|comments?|leave a (?:comment|reply)|"
    r"(?:sign up for|subscribe to) .{0,40}newsletters?|\d+ (?:responses?|comments?|replies|reactions|thoughts) (?:to|on)\b.{0,120}|newsletters?|sponsored(?: content| stories)?|"
    r"mehr zum thema|das könnte sie auch interessieren|weitere artikel|lire aussi|à lire aussi|"
    r"más noticias|leggi anche|читайте также|новости по теме|関連記事|あわせて読みたい|人気記事|相关新闻|相关阅读|"
    r"관련기사|많이 본 뉴스)" + _P,
    re.I,
)
# Photo credits: at the end of a caption, or a line of their own.
_CREDIT_TAIL = re.compile(
    r"(?:[/|·]\s{0,3}(?:source|courtesy of|courtesy|photo|photograph|image|picture|credit|foto|bild|quelle|fuente|"
    r"источник|фото)\s{0,3}[:=]?\s{0,3}\S"
    r"|[—–/|]\s{0,3}(?:[\w.'’-]{1,20}\s){0,5}(?:getty images|afp|reuters|ap|epa|efe|ansa|bloomberg|shutterstock|istock|"
    r"istockphoto|alamy|dpa|xinhua|yonhap|sipa|redux|nurphoto|anadolu|kyodo|tass|imago|picture alliance|"
    r"the new york times|the washington post)(?: news| photo| images| via getty images| pool)?\W{0,3}$"
    r"|\b(?:via getty images|getty images|shutterstock|istockphoto|ap photo(?:/[\w. ]{1,40})?)\W{0,3}$"
    r"|(?:^|[\s.])(?:photo|foto|bild|image|credit|quelle|fuente|фото|источник)\s{0,2}:\s{0,2}[^.!?:]{1,60}$"
    r"|[(\[](?:ap|afp|reuters|getty|epa|dpa|photo|foto|image|picture|credit|file|photo illustration)\b[^)\]]{0,80}[)\]]\W{0,2}$)",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^(?:photo|photos|photograph|image|images|picture|pictures|credit|image credit|photo credit|foto|fotos|bild|"
    r"quelle|source|fuente|crédito|crédit|写真|画像|출처|사진|фото|источник|illustration|video)\s{0,3}(?::|…|\.\.\.|：|=)",
    re.I,
)
_CAPTION_START = re.compile(
    r"^(?:above|below|pictured|top|left|right|file|file photo|in this photo)\s{0,3}[:\-–—]", re.I
)
_CONTACT = re.compile(
    r"^(?:reach|follow|contact|email|write to|you can reach|send tips to)\b.{0,80}?(?:@[\w.]{2,}|\bon (?:x|twitter)\b)",
    re.I,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b|all rights reserved|alle rechte vorbehalten|tous droits réservés)", re.I
)
_UPDATED = re.compile(
    r"^(?:this (?:story|article|post|report) (?:has been|was|is being) (?:updated|corrected|originally published)|"
    r"(?:correction|clarification|editor'?s note)\s{0,3}:|this story is developing|"
    r"\((?:reporting|writing|editing|additional reporting|compiled) by\b)",
    re.I,
)
_HASHTAGS = re.compile(r"^(?:#\w[\w-]{0,40}\s{0,3}){1,30}$")
_HANDLE = re.compile(r"^@\w{1,30}$")
# Calls to action that end a promo paragraph ("... Register now.").
_CTA = (
    "register now", "subscribe now", "subscribe today", "sign up now", "sign up today", "sign up here",
    "buy tickets", "get tickets", "book now", "learn more", "apply now", "join now", "download the app",
    "get the app", "jetzt anmelden", "jetzt abonnieren", "inscrivez-vous", "abonnez-vous", "suscríbete",
)  # fmt: skip
# Words one of which every caption credit holds: a cheap test before the credit regex.
_CREDIT_HINTS = (
    "source", "courtesy", "photo", "credit", "image", "picture", "foto", "bild", "quelle", "fuente",
    "источник", "фото", "getty", "afp", "reuters", "ap", "epa", "efe", "ansa", "bloomberg", "shutterstock",
    "istock", "alamy", "dpa", "xinhua", "yonhap", "sipa", "redux", "nurphoto", "anadolu", "kyodo", "tass",
    "imago", "alliance", "times", "post", "file",
)  # fmt: skip
_PROMO = re.compile(r"^(?:join us (?:at|for)|register (?:now|today) for|don'?t miss)\b", re.I)
_REL_PREFIX = re.compile(
    r"^(?:related|read more|read also|also read|see also|more|watch|listen|recommended|lesen sie auch|"
    r"mehr zum thema|lire aussi|à lire aussi|lee también|leggi anche|leia também|читайте также|関連)\s{0,3}[:|»›>]",
    re.I,
)
# Reader comments: "34 responses to ...", "jane_doe says:", "Reply".
_COMMENT = re.compile(
    r"^(?:\d+ (?:responses?|comments?|replies|reactions|thoughts) (?:to|on)\b.*|[^\s:]{1,40}(?: [^\s:]{1,30}){0,3} "
    r"(?:says|said|wrote|commented|replied)\s?:|(?:show|view|load) (?:more )?(?:comments|replies).*|"
    r"join the (?:conversation|discussion).*|comments? (?:are|have been) (?:closed|disabled).*|"
    r"\[? ?\d+ comments? ?\]?|top rated comments|(?:newest|oldest|best) comments|\(view all\))$",
    re.I,
)
_COOKIES = re.compile(
    r"^(?:this (?:web)?site uses cookies|we use cookies|we and our partners|by (?:continuing|using)\b.{0,40}\b(?:site|website)\b|"
    r"(?:necessary|non-necessary|functional|analytics|performance|advertisement|marketing|strictly necessary) cookies|"
    r"any cookies that|privacy overview|cookie (?:settings|policy|consent|preferences)|manage (?:consent|cookies))",
    re.I,
)
_BULLET = re.compile(r"^[•·*▪►▸‣◦\-–—>]+\s*")
_SENT_END = frozenset(".!?…。！？")


def _ends_sentence(s: str) -> bool:
    """Ends with sentence punctuation, possibly inside a closing quote or bracket."""
    end = s.rstrip("\"'”’»)」』 ")
    return bool(end) and end[-1] in _SENT_END


def _furniture(s: str) -> str:
    """Why a line is page furniture wherever it stands, or ``""``."""
    low = s.lower()
    if "lorem ipsum" in low:
        return "lorem"
    n = len(s)
    if n <= 200:
        core = _BULLET.sub("", s)
        if _UI.fullmatch(core):
            return "ui"
        if _HASHTAGS.match(core) or _HANDLE.match(core):
            return "social"
        if _CONTACT.match(core):
            return "contact"
        if _REL_PREFIX.match(core):
            return "related"
    if _COPYRIGHT.match(s) or (n <= 300 and ("all rights reserved" in low or "alle rechte vorbehalten" in low)):
        return "copyright"
    if _UPDATED.match(s):
        return "note"
    if _CREDIT_LINE.match(s):
        return "caption"
    if n <= 400:
        tail = low[-160:]
        gate = any(c in tail for c in "/|·—–([:") or tail.rstrip(" .)").endswith(
            ("getty images", "shutterstock", "istockphoto")
        )
        if gate and any(h in tail for h in _CREDIT_HINTS) and _CREDIT_TAIL.search(s[-160:]):
            return "caption"
        if _CAPTION_START.match(s):
            return "caption"
    if n <= 120 and _COMMENT.match(s):
        return "comments"
    if _COOKIES.match(s):
        return "cookies"
    if _PROMO.match(s) or low.rstrip(" .!").endswith(_CTA):
        return "promo"
    return ""


# --------------------------------------------------------------------------- classification

_BAD, _SHORT, _NEAR, _GOOD = 0, 1, 2, 3

# jusText's defaults, in characters of Latin text; unspaced scripts count 3 per character.
_LENGTH_LOW = 70
_LENGTH_HIGH = 200
_STOP_LOW = 0.30
_STOP_HIGH = 0.32
_ANCHOR_BONUS = 60.0  # words' worth of credit for the prose that follows the first byline/date


@dataclass(slots=True)
class _Line:
    idx: int  # index in the input's line list
    text: str
    size: int  # length in Latin-equivalent characters
    words: int
    density: float
    sentence: bool  # ends like a sentence
    why: str = ""  # furniture reason ("" = none)
    cls: int = _BAD
    section: bool = False


def _density(toks: Sequence[str], stops: frozenset[str]) -> float:
    """Share of tokens that are stopwords."""
    return sum(map(stops.__contains__, map(str.lower, toks))) / len(toks)


def _features(idx: int, s: str, lang: str | None, stops: frozenset[str]) -> _Line:
    toks = _WORD.findall(s)
    if lang in UNSPACED:
        n_unspaced = len(_UNSPACED_CHAR.findall(s))
        per_word = 4 if lang == "th" else 2
        words = max(len(toks), n_unspaced // per_word + sum(1 for t in toks if t.isascii()))
        size = len(s) + 2 * n_unspaced
        matcher = _unspaced_matcher(lang)
        covered = sum(len(m) for m in matcher.findall(s)) if matcher is not None else 0
        letters = sum(len(t) for t in toks) or 1
        # Coverage of function characters runs lower than token density; scale to jusText's range.
        density = min(1.0, 1.5 * covered / letters)
    else:
        words = len(toks)
        size = len(s)
        # No list for this language: a neutral density, so length and punctuation decide.
        density = _STOP_HIGH if not stops else _density(toks, stops) if words else 0.0
    ln = _Line(idx, s, size, words, density, _ends_sentence(s))
    if lang == "en" and words >= 8 and _headline_case(toks):
        ln.why = "teaser"
    return ln


_TITLE_CASE_WORDS = frozenset(
    ("To Of In At On For And With From By As Is Are After Over Into Up Its Has Be Not Or Will Was Your How").split()
)


@lru_cache(maxsize=1)
def _title_case_set() -> WordSet:
    return word_set(_TITLE_CASE_WORDS, _WORD.pattern)


def _headline_case(toks: Sequence[str]) -> bool:
    """English Title Case ("Michigan To Mail Panel Applications To 250,000 The state ..."):
    a teaser that glues a headline to its summary. Prose does not capitalise "To", "Of", "In"."""
    return sum(1 for t in toks[1:12] if t in _TITLE_CASE_WORDS) >= 2


def _classify(ln: _Line) -> int:
    if ln.why:
        return _BAD
    if ln.size < _LENGTH_LOW:
        if ln.sentence and ln.words >= 4 and ln.density >= 0.2:
            return _NEAR
        return _SHORT
    if ln.density >= _STOP_HIGH and ln.size >= _LENGTH_HIGH:
        return _GOOD
    if ln.density >= _STOP_LOW or (ln.sentence and ln.density >= 0.15):
        return _NEAR
    return _BAD


def _neighbour(lines: Sequence[_Line], i: int, step: int, skip: tuple[int, ...]) -> int:
    j = i + step
    while 0 <= j < len(lines):
        if lines[j].cls not in skip:
            return lines[j].cls
        j += step
    return _BAD


def _promote_clusters(lines: list[_Line]) -> None:
    """Borderline sentences in a run of other sentences are prose: articles of one-sentence paragraphs."""
    cand = [ln.cls in (_NEAR, _GOOD) and ln.sentence and ln.words >= 8 for ln in lines]
    for _ in range(3):  # a chain of sentences settles in a few passes
        changed = False
        for i, ln in enumerate(lines):
            if ln.cls != _NEAR or not cand[i]:
                continue
            near = [j for j in range(max(0, i - 3), min(len(lines), i + 4)) if j != i and cand[j]]
            if len(near) >= 2 or any(lines[j].cls == _GOOD for j in near):
                ln.cls = _GOOD
                changed = True
        if not changed:
            break


def _context(lines: list[_Line]) -> None:
    """Short and borderline lines take the class of the prose around them (jusText's idea)."""
    _promote_clusters(lines)
    initial = [ln.cls for ln in lines]
    for i, ln in enumerate(lines):
        if initial[i] != _SHORT:
            continue
        prev = _neighbour(lines, i, -1, (_SHORT, _NEAR))
        nxt = _neighbour(lines, i, 1, (_SHORT, _NEAR))
        if prev == _GOOD and nxt == _GOOD:
            ln.cls = _GOOD
        elif prev == _BAD and nxt == _BAD:
            ln.cls = _BAD
        else:
            ln.cls = _BAD  # decided again below, after borderline lines settle
    for i, ln in enumerate(lines):
        if initial[i] != _NEAR:
            continue
        prev = _neighbour(lines, i, -1, (_SHORT, _NEAR))
        nxt = _neighbour(lines, i, 1, (_SHORT, _NEAR))
        ln.cls = _GOOD if _GOOD in (prev, nxt) else _BAD
    # A short line right next to good prose on one side is a subheading or a one-line quote
    # only if it reads like one; a lone menu word beside the article is not.
    for i, ln in enumerate(lines):
        quote_like = initial[i] == _SHORT and ln.cls == _BAD and ln.sentence and ln.words >= 3 and ln.density >= 0.15
        beside_prose = (i > 0 and lines[i - 1].cls == _GOOD) or (i + 1 < len(lines) and lines[i + 1].cls == _GOOD)
        if quote_like and beside_prose:
            ln.cls = _GOOD


def _anchor(lines: Sequence[_Line], meta: set[int]) -> int | None:
    """The first prose line right after the page's first byline/date (where articles start).

    Teaser lists further down carry bylines and dates too, so only the first counts.
    """
    for i in sorted(meta):
        for j in range(i + 1, min(len(lines), i + 6)):
            if lines[j].cls == _GOOD:
                return j
    return None


def _region(lines: Sequence[_Line], anchor: int | None = None) -> tuple[int, int]:
    """The maximum-sum run of lines: prose scores its words, furniture costs (lines [a, b)).

    The ``anchor`` line (see :func:`_anchor`) gets a bonus, so a long teaser list cannot
    outweigh a short article that starts where the byline says it does.
    """
    best, best_a, best_b = 0.0, 0, 0
    run, a = 0.0, 0
    for i, ln in enumerate(lines):
        if ln.why == "comments":
            if best > 0:
                break  # reader comments follow an article: it never goes on past them
            w = -1e9
        elif ln.section:
            w = -40.0
        elif ln.cls == _GOOD:
            w = float(min(ln.words, 200)) if ln.words >= 5 else 1.0
        else:
            w = -(3.0 + 0.5 * min(ln.words, 60))
        if i == anchor:
            w += _ANCHOR_BONUS
        if run <= 0:
            run, a = 0.0, i
        run += w
        if run > best:
            best, best_a, best_b = run, a, i + 1
    return best_a, best_b


# --------------------------------------------------------------------------- metadata


def _is_headline(ln: _Line) -> bool:
    s = ln.text
    if ln.why or not 2 <= ln.words <= 30 or ln.size > 250:
        return False
    if s[-1] in ".:;,。、：；" and not s.endswith("..."):
        return False
    first = next((c for c in s if c.isalpha()), "")
    return bool(first) and not first.islower() and not _BULLET.match(s)


def _pick_title(lines: Sequence[_Line], start: int, meta: set[int]) -> int | None:
    """Index (in ``lines``) of the headline among the lines before the article, or ``None``."""
    lo = max(0, start - 60)
    texts = [ln.text.casefold() for ln in lines]
    best: tuple[float, int] | None = None
    for j in range(start - 1, lo - 1, -1):
        ln = lines[j]
        if j in meta or not _is_headline(ln):
            continue
        key = texts[j]
        repeated = any(k != key and k.startswith(key) for k in texts[lo:start]) or texts.count(key) > 1
        score = (3.0 if repeated else 0.0) + (1.0 if ln.words >= 5 else 0.0) - (start - j) / 15
        if best is None or score > best[0]:
            best = (score, j)
    return best[1] if best is not None else None


def _bylines(lines: Sequence[_Line]) -> dict[int, list[str]]:
    """Byline positions -> names; a bare "By" takes the name lines after it ("By / Jane Doe / , / ...")."""
    found: dict[int, list[str]] = {}
    consumed: set[int] = set()
    for i, ln in enumerate(lines):
        if i in consumed or ln.size > 160:
            continue
        m = _BYLINE.match(ln.text)
        if m is None:
            continue
        rest = (m.group("rest") or "").strip()
        if rest:
            names = _names(rest)
            if names:
                found[i] = names
            continue
        names = []
        j = i + 1
        while j < len(lines) and j - i <= 24:
            t = lines[j].text.strip()
            if _CONNECTOR.match(t):
                j += 1
                continue
            if len(t) > 60 or _furniture(t) or _BYLINE.match(t):
                break
            got = _names(t)
            if not got:
                break
            names.extend(got)
            j += 1
        if names:
            found[i] = names
            for k in range(i + 1, j):
                consumed.add(k)
                found[k] = []
    return found


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for n in names:
        seen.setdefault(n.casefold(), n)
    return list(seen.values())


# --------------------------------------------------------------------------- entry points


def _prepare(text: str, lang: str | None) -> tuple[list[str], list[_Line], list[list[int]]]:
    """The input's lines, the non-blank ones measured, and the counts of every input line
    (:func:`~corpuskit.wordstats.line_counts`, flagging what normalise_text looks at)."""
    raw = text.split("\n")
    cps = code_points(text)
    code = canonical_lang(lang) if lang else None
    if code is None:
        code = detect_stopword_language(text, cps=cps)
    stops = stopwords(code) if code and code not in UNSPACED else frozenset()
    # Words, stopwords and Title Case words of every line in one compiled pass; a line it
    # cannot count exactly (see corpuskit.wordstats) is measured by _features, and so is
    # every line of an unspaced language (no stopword set is made for those).
    stop_set = _stop_set(code if code and stops else "")
    counts = line_counts(cps, _WORD.pattern, stop_set, _title_case_set(), 1, 11, SUSPECT).tolist()
    if code in UNSPACED:
        return raw, [_features(i, s.strip(), code, stops) for i, s in enumerate(raw) if s.strip()], counts
    lines = []
    for i, (s, (ok, words, hits, cased, _, _)) in enumerate(zip(raw, counts, strict=True)):
        s = s.strip()
        if not s:
            continue
        if not ok:
            lines.append(_features(i, s, code, stops))
            continue
        density = _STOP_HIGH if not stops else hits / words if words else 0.0
        ln = _Line(i, s, len(s), words, density, _ends_sentence(s))
        if code == "en" and words >= 8 and cased >= 2:
            ln.why = "teaser"
        lines.append(ln)
    return raw, lines, counts


def _mark_captions(lines: list[_Line]) -> None:
    """A line repeated (whole, or as the start of a credited caption) just before a credit is a caption."""
    for i, ln in enumerate(lines):
        if ln.why or ln.size < 30:
            continue
        key = ln.text
        for j in range(i + 1, min(len(lines), i + 4)):
            other = lines[j]
            if other.text.startswith(key) and (other.why == "caption" or other.text == key):
                tail = lines[j + 1].why if j + 1 < len(lines) else ""
                if other.why == "caption" or tail == "caption":
                    ln.why = "caption"
                    other.why = other.why or "caption"
                break


def _drop_copies(lines: Sequence[_Line], keep: list[bool]) -> None:
    """Drop second copies: a long line printed twice, or one line holding several kept paragraphs
    (a page's "print version" or summary block repeating the article in one run)."""
    seen: set[str] = set()
    kept = [ln.text for ln, k in zip(lines, keep, strict=True) if k and ln.size >= 80]
    for i, ln in enumerate(lines):
        if not keep[i] or ln.size < 80:
            continue
        if ln.text in seen:
            keep[i] = False
            continue
        seen.add(ln.text)
        if ln.size >= 1000 and sum(1 for t in kept if t is not ln.text and len(t) < ln.size and t in ln.text) >= 2:
            keep[i] = False


def strip_boilerplate(
    text: str,
    cfg: BoilerplateConfig,
    *,
    template: frozenset[int] = frozenset(),
    lang: str | None = None,
) -> Stripped:
    """Keep the article of a page's plain text; move its headline, date and authors to fields.

    ``text`` is already normalised (paragraphs split by blank lines or single newlines).
    ``template``: hashes (:func:`line_hash`) of lines this page's site repeats on its other
    pages (:meth:`TemplateIndex.template_for`). ``lang``: the page's language if known, else
    it is guessed from stopwords. Deterministic; every output line is an input line.

    >>> page = "\\n".join([
    ...     "Home", "World", "Ministers agree on a new fisheries deal",
    ...     "By Jane Doe and John Roe", "April 3, 2025, 10:15 am",
    ...     "Ministers from the two countries agreed on Thursday to share the fishing grounds that "
    ...     "have been at the heart of a dispute for more than a decade, officials said.",
    ...     "“It is a fair deal for both of us,” the minister said.",
    ...     "The agreement will be signed in the capital next month, after both parliaments have "
    ...     "had the chance to debate it in full.",
    ...     "Advertisement", "Most Popular", "Five things to know about the fishing rules",
    ...     "© 2025 Example News. All rights reserved."])
    >>> st = strip_boilerplate(page, BoilerplateConfig())
    >>> st.title, st.date, st.authors
    ('Ministers agree on a new fisheries deal', '2025-04-03T10:15', ['Jane Doe', 'John Roe'])
    >>> print(st.text)
    Ministers from the two countries agreed on Thursday to share the fishing grounds that have been at the heart of a dispute for more than a decade, officials said.
    “It is a fair deal for both of us,” the minister said.
    The agreement will be signed in the capital next month, after both parliaments have had the chance to debate it in full.
    """
    raw, lines, counts = _prepare(text, lang)
    if not lines:
        return Stripped(text="", removed=0, words=0, tidy=True)
    min_words = cfg.min_paragraph_words

    # 1. Patterns, bylines, dates, template lines.
    for ln in lines:
        ln.why = _furniture(ln.text) or ln.why
        ln.section = bool(ln.why) and ln.size <= 80 and _SECTION.fullmatch(_BULLET.sub("", ln.text)) is not None
    _mark_captions(lines)
    bylines = _bylines(lines)
    dates: dict[int, str] = {}
    for i, ln in enumerate(lines):
        if i in bylines:
            ln.why = "byline"
            continue
        if not ln.why or ln.why == "ui":
            d = _date_line(ln.text)
            if d is not None:
                dates[i] = d
                ln.why = "date"
    if template:
        hashes = [line_hash(ln.text) for ln in lines]
        tpl = [h in template for h in hashes]
        # A page whose prose is mostly "template" is a second copy of a page, not template.
        prose = [not ln.why and ln.sentence and ln.size >= _LENGTH_LOW for ln in lines]
        copied = sum(1 for p, t in zip(prose, tpl, strict=True) if p and t)
        dup_page = copied * 2 > sum(prose)
        for ln, p, t in zip(lines, prose, tpl, strict=True):
            if t and not ln.why and not (dup_page and p):
                ln.why = "template"

    # 2-3. Classify, then let context decide short and borderline lines.
    for ln in lines:
        ln.cls = _classify(ln)
    _context(lines)

    # 4. The article region.
    a, b = _region(lines, _anchor(lines, set(bylines) | set(dates)))
    keep = [a <= i < b and ln.cls == _GOOD for i, ln in enumerate(lines)]
    if not any(keep):
        # No prose at all: keep what reads like sentences rather than return nothing.
        keep = [not ln.why and ln.sentence and ln.words >= 4 for ln in lines]
    _drop_copies(lines, keep)
    if min_words:
        keep = [k and ln.words >= min_words for k, ln in zip(keep, lines, strict=True)]
    first = next((i for i, k in enumerate(keep) if k), len(lines))
    title_at = _pick_title(lines, first, set(bylines) | set(dates))
    if title_at is not None:
        keep[title_at] = False
    kept = [counts[ln.idx] for ln, k in zip(lines, keep, strict=True) if k]
    return Stripped(
        text=_join(raw, lines, keep),
        title=lines[title_at].text if title_at is not None else None,
        date=_pick_date(lines, dates, first),
        authors=_pick_authors(lines, bylines, first, b),
        removed=len(lines) - sum(keep),
        words=sum(c[4] for c in kept),
        tidy=not any(c[5] for c in kept),
    )


_REACH = re.compile(r"^(?:reach|contact|email|write to)\s+(.{3,50}?)\s+(?:on|at)\s", re.I)
_PUBLISHED = re.compile(r"publish|posted|veröffentlicht|publié|publicado|pubblicato|опубликовано", re.I)


def _pick_authors(lines: Sequence[_Line], bylines: dict[int, list[str]], first: int, end: int) -> list[str]:
    """Bylines before the article or in its "About the author" section; else a "Reach X on X" line."""
    authors: list[str] = []
    about = False
    for i, ln in enumerate(lines):
        if ln.section:
            about = ln.text.lower().startswith("about the author")
        if i in bylines and (i < first or about):
            authors.extend(bylines[i])
    if not authors:
        for ln in [*lines[:first], *lines[end:]]:
            m = _REACH.match(ln.text) if ln.why == "contact" else None
            if m is not None:
                authors.extend(_names(m.group(1)) or [])
    return _dedupe(authors)


def _pick_date(lines: Sequence[_Line], dates: dict[int, str], first: int) -> str | None:
    """The earliest date line above the article (published before updated); else a "Published" line below it."""
    head = [d for i, d in dates.items() if i < first]
    tail = [d for i, d in dates.items() if i >= first and _PUBLISHED.search(lines[i].text)]
    return min(head or tail) if head or tail else None


def _join(raw: Sequence[str], lines: Sequence[_Line], keep: Sequence[bool]) -> str:
    """Kept lines in order; a paragraph break wherever the input had one or a line was dropped."""
    out: list[str] = []
    prev: int | None = None
    for ln, k in zip(lines, keep, strict=True):
        if not k:
            continue
        if prev is not None:
            out.append("\n\n" if ln.idx - prev > 1 else "\n")
        out.append(raw[ln.idx].strip())
        prev = ln.idx
    return "".join(out)


def postfilter_extracted(text: str, cfg: BoilerplateConfig, *, lang: str | None = None) -> str:
    """Drop what trafilatura sometimes leaks from a page: teaser lists and promos after the story.

    Only furniture that no article sentence looks like is dropped (UI words, credits,
    promos), plus everything after a teaser-list header ("Related stories", "Most Popular")
    near the end of the text when what follows is a list of headlines, not prose.
    """
    raw, lines, _ = _prepare(text, lang)
    if not lines:
        return text
    drop = [False] * len(lines)
    for i, ln in enumerate(lines):
        why = _furniture(ln.text)
        if why in ("ui", "lorem", "social", "contact", "related", "promo", "copyright"):
            drop[i] = True
    # A teaser list at the end: header, then short headline-like lines only.
    for i, ln in enumerate(lines):
        if _SECTION.fullmatch(_BULLET.sub("", ln.text)) and i >= len(lines) // 2:
            tail = lines[i + 1 :]
            if all(t.size < _LENGTH_HIGH or not t.sentence for t in tail):
                for k in range(i, len(lines)):
                    drop[k] = True
                break
    if not any(drop):
        return text
    return _join(raw, lines, [not d for d in drop])
