"""Language identification with langdetect, deterministic and of bounded cost.

langdetect is probabilistic: unseeded, the same text can get different answers on
different runs. Each call here builds a detector seeded from the config, so the answer
depends only on the text. Cost is bounded twice: only a sample from the start of the text is
read (cut at a word boundary), and the detector averages fewer random trials than its
default seven; on news text both change the answer rarely and cut the cost about fourfold
(``scripts/bench.py`` measures it).

Most news is English, and English prose is about half stopwords while no other language
written in Latin script comes near (Dutch, the closest, scores about 0.2 on our English
list): a sample of at least 40 words, all Latin script, of which 40% or more are English
stopwords, is English without asking langdetect. On the extraction benchmark's 181 gold
article bodies this shortcut and langdetect agree on every page it applies to.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .memory import no_collection
from .stopwords import stopwords

__all__ = ["detect_language", "load_profiles", "unload_profiles"]

_LOCK = threading.Lock()
_FACTORY: Any = None


def _factory() -> Any:
    global _FACTORY
    if _FACTORY is None:
        with _LOCK:
            if _FACTORY is None:
                from langdetect import detector_factory

                with no_collection():
                    detector_factory.init_factory()
                _FACTORY = detector_factory._factory
    return _FACTORY


def load_profiles() -> None:
    """Load langdetect's language profiles now (about 60 MB of Python objects, 0.2 s with
    the garbage collector off, 0.4 with it on).

    A run with workers loads them in the main process before the workers fork: they then
    share one copy instead of building one each.
    """
    _factory()


def unload_profiles() -> bool:
    """Let the profiles go (the next detection loads them again); whether they were loaded."""
    global _FACTORY
    with _LOCK:
        if _FACTORY is None:
            return False
        from langdetect import detector_factory

        detector_factory._factory = None
        _FACTORY = None
        return True


_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_NON_LATIN = re.compile(r"[^\u0000-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf]")


def _is_clearly_english(sample: str) -> bool:
    if _NON_LATIN.search(sample):
        return False
    words = _WORDS.findall(sample.lower())
    if len(words) < 40:
        return False
    common = stopwords("en")
    return sum(1 for w in words if w in common) >= 0.4 * len(words)


def _sample(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def detect_language(
    text: str, *, sample_chars: int = 600, min_chars: int = 20, seed: int = 0, trials: int = 3
) -> tuple[str | None, str | None]:
    """Return ``(lang, reason)``: an ISO 639-1 code and ``None``, or ``None`` and why not.

    >>> detect_language("Hi")
    (None, 'too short to tell (2 letters < 20)')
    >>> detect_language("Der Präsident sagte am Dienstag, dass die Gespräche gut verlaufen.")
    ('de', None)
    """
    sample = _sample(text, sample_chars)
    if _is_clearly_english(sample):
        return "en", None
    letters = sum(1 for c in sample if c.isalpha())
    if letters < min_chars:
        return None, f"too short to tell ({letters} letters < {min_chars})"
    from langdetect import LangDetectException

    detector = _factory().create()
    detector.seed = seed
    detector.n_trial = trials
    detector.append(sample)
    try:
        return detector.detect(), None
    except LangDetectException as e:
        return None, f"undetectable: {e}"
