"""Language identification with langdetect, deterministic and of bounded cost.

langdetect is probabilistic: without a fixed seed the same text can get different answers
on different runs. We seed its factory once per process and look at a bounded sample
(the start of the text, cut at a word boundary), which costs a fraction of a whole article
and rarely changes the answer for news text.
"""

from __future__ import annotations

import threading

__all__ = ["detect_language"]

_LOCK = threading.Lock()
_SEEDED: int | None = None


def _ensure_seed(seed: int) -> None:
    global _SEEDED
    if seed == _SEEDED:
        return
    from langdetect import DetectorFactory

    with _LOCK:
        DetectorFactory.seed = seed
        _SEEDED = seed


def _sample(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def detect_language(
    text: str, *, sample_chars: int = 1000, min_chars: int = 20, seed: int = 0
) -> tuple[str | None, str | None]:
    """Return ``(lang, reason)``: an ISO 639-1 code and ``None``, or ``None`` and why not.

    >>> detect_language("Hi")
    (None, 'too short to tell (2 letters < 20)')
    """
    letters = sum(1 for c in text[: sample_chars * 2] if c.isalpha())
    if letters < min_chars:
        return None, f"too short to tell ({letters} letters < {min_chars})"
    from langdetect import LangDetectException, detect

    _ensure_seed(seed)
    try:
        return detect(_sample(text, sample_chars)), None
    except LangDetectException as e:
        return None, f"undetectable: {e}"
