"""Per-language stopword lists, one small text file per language langdetect knows.

Stopword density is the strongest single sign that a line of page text is prose rather than
page furniture (menus, teasers, credits), in any language, which is why jusText uses it. The
files are generated once by ``_build.py`` (sources and licences in each file's header) and
shipped as package data; they are read lazily, one language at a time.

Chinese, Japanese and Thai are written without spaces between words, so their lists are
matched as substrings (:data:`UNSPACED`), not as tokens.

>>> "the" in stopwords("en"), "und" in stopwords("de"), "и" in stopwords("ru")
(True, True, True)
>>> canonical_lang("zh"), canonical_lang("pt-BR"), canonical_lang("xx")
('zh-cn', 'pt', None)
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["LANGUAGES", "UNSPACED", "canonical_lang", "stopwords"]

LANGUAGES: tuple[str, ...] = (
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi",
    "fr", "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml",
    "mr", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh-cn", "zh-tw",
)  # fmt: skip
"""Every language langdetect can return, each with a list here."""

UNSPACED: frozenset[str] = frozenset({"ja", "zh-cn", "zh-tw", "th"})
"""Languages written without spaces between words: their lists match as substrings."""

_ALIASES = {"zh": "zh-cn", "zh-hans": "zh-cn", "zh-hant": "zh-tw", "nb": "no", "nn": "no", "iw": "he", "fil": "tl"}


def canonical_lang(lang: str | None) -> str | None:
    """Map a language tag to the code of one of our lists, or ``None`` if we have none."""
    if not lang:
        return None
    tag = lang.strip().lower().replace("_", "-")
    if tag in _ALIASES:
        return _ALIASES[tag]
    if tag in LANGUAGES:
        return tag
    if tag.startswith("zh-"):
        return "zh-tw" if tag in ("zh-tw", "zh-hk", "zh-mo") else "zh-cn"
    base = tag.split("-", 1)[0]
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else None


@cache
def stopwords(lang: str) -> frozenset[str]:
    """The lower-cased stopwords of ``lang`` (any tag :func:`canonical_lang` knows), or empty."""
    code = canonical_lang(lang)
    if code is None:
        return frozenset()
    text = resources.files(__name__).joinpath(f"{code}.txt").read_text(encoding="utf-8")
    return frozenset(w for w in text.split("\n") if w and not w.startswith("#"))
