"""Regenerate the stopword lists in this folder (a maintainer tool, not used at run time).

Sources, both permissively licensed and credited in each file's header:

* jusText 3.0.2's bundled stoplists (BSD-2-Clause, (c) 2011 Jan Pomikalek, 2013 Michal
  Belica): frequency-ordered words from Wikipedia, the lists jusText's own thresholds were
  tuned on. Used for every language they cover; the most frequent ``_TOP`` kept.
* stopwords-iso via the ``stopwordsiso`` 0.7.1 wheel (MIT): Chinese, Japanese, Thai and
  Somali, which jusText lacks. Chinese/Japanese are reduced to short entries, since those
  scripts are matched as substrings, not tokens.
* Punjabi (Gurmukhi) has neither source; ``_PUNJABI`` is a short hand-written list of
  its commonest function words.

Usage: ``python -m corpuskit.stopwords._build PATH/TO/stopwords-iso.json``
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

__all__ = ["build"]

_TOP = 1000
_HERE = Path(__file__).parent

# langdetect code -> jusText stoplist name.
_JUSTEXT = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fa": "Persian", "fi": "Finnish",
    "fr": "French", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "kn": "Kannada", "ko": "Korean",
    "lt": "Lithuanian", "lv": "Latvian", "mk": "Macedonian", "ml": "Malayalam",
    "mr": "Marathi", "ne": "Nepali", "nl": "Dutch", "no": "Norwegian_Bokmal", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "sq": "Albanian", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu",
    "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
}  # fmt: skip
_ISO = {"ja": "ja", "zh-cn": "zh", "th": "th", "so": "so"}
_PUNJABI = (
    "ਦੇ ਦੀ ਦਾ ਨੂੰ ਨੇ ਵਿੱਚ ਵਿਚ ਹੈ ਹਨ ਅਤੇ ਇਸ ਤੋਂ ਕਿ ਉਹ ਵੀ ਨਾਲ ਲਈ ਇੱਕ ਇਕ ਜੋ ਕੇ ਤੇ ਸੀ ਤਾਂ ਹੀ ਕਰ "
    "ਗਿਆ ਗਈ ਗਏ ਰਹੇ ਰਿਹਾ ਸਨ ਇਹ ਉਸ ਉਨ੍ਹਾਂ ਇਨ੍ਹਾਂ ਕੀ ਨਹੀਂ ਜਾਂ ਪਰ ਕੋਈ ਕਈ ਵਾਲੇ ਵਾਲਾ ਵਾਲੀ ਹੋ ਹੋਇਆ ਕਰਨ "
    "ਕੀਤਾ ਕੀਤੀ ਦਿੱਤਾ ਬਾਅਦ ਪਹਿਲਾਂ ਤਕ ਤੱਕ ਜਦੋਂ ਜਿਸ ਆਪਣੇ ਆਪਣੀ ਸਭ ਹੁਣ"
)
# Simplified -> traditional for the commonest Chinese function characters (zh-tw list).
_TRAD = dict(zip(
    "这们为个说会对将与从后来时没还过让进开关于无发现样问题长经头实给业东车门见两听务",
    "這們為個說會對將與從後來時沒還過讓進開關於無發現樣問題長經頭實給業東車門見兩聽務",
    strict=True,
))  # fmt: skip
# A word: \w plus the combining marks of Indic, Arabic and other scripts (\w alone splits them).
_WORD = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0dff\u0e00-\u0eff]+")
_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff]{1,3}$")


def _justext_list(name: str) -> list[str]:
    import justext  # only the build needs it

    path = Path(justext.__file__).parent / "stoplists" / f"{name}.txt"
    words = path.read_text(encoding="utf-8").split("\n")
    out: dict[str, None] = {}
    for w in words:
        w = w.strip().lower()
        if w and _WORD.fullmatch(w):
            out.setdefault(w)
        if len(out) >= _TOP:
            break
    return list(out)


def _write(code: str, words: list[str], source: str) -> None:
    header = f"# corpuskit stopwords: {code}\n# source: {source}\n"
    (_HERE / f"{code}.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")


def build(iso_json: Path) -> None:
    """Write one ``<code>.txt`` per langdetect language."""
    iso = json.loads(iso_json.read_text(encoding="utf-8"))
    for code, name in _JUSTEXT.items():
        _write(code, _justext_list(name), f"jusText 3.0.2 stoplists/{name}.txt (BSD-2-Clause), top {_TOP}")
    for code, key in _ISO.items():
        words = sorted({w.strip() for w in iso[key] if w.strip()})
        if code in ("ja", "zh-cn"):
            words = [w for w in words if _CJK.match(w)]
        _write(code, words, f"stopwords-iso via stopwordsiso 0.7.1, '{key}' (MIT)")
    zh = (_HERE / "zh-cn.txt").read_text(encoding="utf-8").split("\n")
    trad = sorted({"".join(_TRAD.get(c, c) for c in w) for w in zh if w and not w.startswith("#")})
    _write("zh-tw", trad, "zh-cn list with common characters mapped to traditional forms")
    _write("pa", _PUNJABI.split(), "hand-written list of common Punjabi (Gurmukhi) function words")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
