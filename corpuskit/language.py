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

import contextlib
import hashlib
import marshal
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from .memory import no_collection
from .stopwords import stopwords

__all__ = ["detect_language", "load_profiles", "unload_profiles"]

_LOCK = threading.Lock()
_FACTORY: Any = None


_DENSE_FROM = 8
"""An n-gram found in this many languages or more keeps a list over all of them (4% of the
n-grams, but the most common in any text): updating it sparsely would cost more."""


def _sparse_factory() -> Any:
    """A langdetect ``DetectorFactory`` that keeps, for each n-gram, only the languages it
    occurs in: ``(indices, probabilities)`` instead of a list over all 55 languages, 96%
    of whose entries are 0.0. The profiles take 25 MiB of Python objects instead of 56
    (tracemalloc; 87,598 n-grams, 184,129 non-zero entries). Every process a run forks
    from the main one shares them, and what the main process cannot give back to the
    system after it lets them go (their memory is interleaved with the records read
    meanwhile) shrinks with them.

    Its detectors compute exactly what langdetect's do, float for float: an n-gram
    multiplies the probability of language ``i`` by ``weight + p[i]``, which for an
    absent language is ``weight + 0.0``; the sparse update multiplies every probability
    by that same value, then the ones the n-gram occurs in by ``weight + p[i]`` instead
    (the property test holds the two to the same probabilities). The n-grams found in
    many languages (:data:`_DENSE_FROM`) stay dense and take langdetect's own loop: they
    are 4% of the table but 97% of the updates on text that is not clearly English, where
    a sparse update would cost more. Detection takes as long as langdetect's (4.69 against
    4.58 ms a text, 150 texts of the memory benchmark's corpus, best of seven).

    The table is built once and kept in a cache file (:func:`_cache_file`, in
    :func:`_cache_dir`): loading it takes 0.08 s, building it from langdetect's 55 JSON
    profiles 0.4-0.5 s, paid by every run that meets a text that is not clearly English and
    by every run with workers (the main process loads the profiles for them).
    """
    from langdetect.detector import Detector
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException

    class SparseDetector(Detector):
        def _update_lang_prob(self, prob: list[float], word: str | None, alpha: float) -> bool:
            entry = self.word_lang_prob_map.get(word) if word is not None else None
            if entry is None:
                return False
            weight = alpha / self.BASE_FREQ
            if type(entry) is list:  # dense: langdetect's own loop
                for i in range(len(prob)):
                    prob[i] *= weight + entry[i]
                return True
            where, probs = entry
            absent = weight + 0.0
            new = [p * absent for p in prob]
            for i, q in zip(where, probs, strict=True):
                new[i] = prob[i] * (weight + q)
            prob[:] = new
            return True

    class SparseFactory(DetectorFactory):
        def add_profile(self, profile: Any, index: int, langsize: int) -> None:
            if profile.name in self.langlist:
                raise LangDetectException(ErrorCode.DuplicateLangError, "Duplicate the same language profile.")
            self.langlist.append(profile.name)
            table = self.word_lang_prob_map
            for word in profile.freq:
                entry = table.get(word)
                if entry is None:  # kept even when its length gives it no probability, as langdetect does
                    entry = table[word] = ([], [])
                length = len(word)
                if 1 <= length <= 3:
                    entry[0].append(index)
                    entry[1].append(1.0 * profile.freq.get(word) / profile.n_words[length - 1])

        def _create_detector(self) -> Any:
            if not self.langlist:
                raise LangDetectException(ErrorCode.NeedLoadProfileError, "Need to load profiles.")
            return SparseDetector(self)

    factory = SparseFactory()
    path = _cache_file(PROFILES_DIRECTORY)
    cached = _read_cache(path) if path is not None else None
    if cached is not None:
        factory.langlist, factory.word_lang_prob_map = cached
        return factory
    factory.load_profile(PROFILES_DIRECTORY)
    table = factory.word_lang_prob_map
    size = len(factory.langlist)
    for word, (where, probs) in table.items():
        if len(where) >= _DENSE_FROM:
            dense = [0.0] * size
            for i, q in zip(where, probs, strict=True):
                dense[i] = q
            table[word] = dense
        else:  # bytes and a tuple: no spare room
            table[word] = (bytes(where), tuple(probs))
    if path is not None:
        _write_cache(path, factory.langlist, table)
    return factory


_CACHE_FORMAT = 1
"""Raise when the table :func:`_sparse_factory` builds changes shape (an edit of this
file changes the cache key too)."""


def _cache_dir() -> Path | None:
    """Where corpuskit keeps what it can rebuild: ``$CORPUSKIT_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/corpuskit``, else ``~/.cache/corpuskit``; ``None`` (no cache) when
    there is no home directory to put it in."""
    if root := os.environ.get("CORPUSKIT_CACHE_DIR"):
        return Path(root)
    base = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    return base / "corpuskit" if base.is_absolute() else None  # "~" stays when HOME is unknown


def _cache_file(profiles_dir: str) -> Path | None:
    """The cache file of the sparse table built from ``profiles_dir``:
    ``langdetect-profiles-<install>-<content>.marshal``. ``install`` names where the
    profiles and this module are (and the Python version: marshal's format is not stable
    across versions), ``content`` everything the table depends on there: the profile files
    and this module (name, size, mtime) and the format. ``None`` when the profiles cannot
    be listed (langdetect then reports why) or there is no cache directory."""
    root = _cache_dir()
    if root is None:
        return None
    try:
        files = sorted(os.scandir(profiles_dir), key=lambda e: e.name)
        stats = [(e.name, e.stat()) for e in files] + [("", os.stat(__file__))]
    except OSError:
        return None
    where = hashlib.blake2b(
        repr((profiles_dir, __file__, sys.version_info[:2], marshal.version)).encode(), digest_size=6
    )
    what = hashlib.blake2b(repr((_CACHE_FORMAT, _DENSE_FROM)).encode(), digest_size=10)
    for name, st in stats:
        what.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return root / f"langdetect-profiles-{where.hexdigest()}-{what.hexdigest()}.marshal"


def _read_cache(path: Path) -> tuple[list[str], dict[str, Any]] | None:
    """The cached ``(langlist, table)``, or ``None`` when it is missing or unreadable
    (it is then built and written again)."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], list) and isinstance(data[1], dict):
        return data
    return None


def _write_cache(path: Path, langlist: list[str], table: dict[str, Any]) -> None:
    """Write the cache atomically (concurrent runs each write a whole file, and the last
    rename wins), and remove the same install's older tables; a cache that cannot be
    written is no error: the next run builds again."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps((langlist, table)))
        os.replace(tmp, path)
        tmp = None
        install = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{install}-*.marshal"):
            if old != path:
                old.unlink(missing_ok=True)  # the same install's table before an upgrade
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _factory() -> Any:
    global _FACTORY
    if _FACTORY is None:
        with _LOCK:
            if _FACTORY is None:
                with no_collection():
                    _FACTORY = _sparse_factory()
    return _FACTORY


def load_profiles() -> None:
    """Load langdetect's language profiles now (25 MiB of Python objects: see
    :func:`_sparse_factory`).

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
        _FACTORY = None
        return True


_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LATIN_RANGES = ((0x0000, 0x024F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF))
_NON_LATIN = re.compile("[^" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _LATIN_RANGES) + "]")


def _latin_words() -> re.Pattern[str]:
    """:data:`_WORDS` for lower-cased text :data:`_NON_LATIN` passed: the same matches,
    about twice as fast. For ``[^\\W\\d_]`` the regex engine looks each character up in
    the Unicode database; a class listing the letters those ranges and their lower cases
    hold (found by ``_WORDS``'s own class, so they agree) is a table lookup."""
    letter = re.compile(r"[^\W\d_]")
    found = {x for lo, hi in _LATIN_RANGES for cp in range(lo, hi + 1) for x in (chr(cp), *chr(cp).lower())}
    cls = "".join(sorted(re.escape(c) for c in found if letter.fullmatch(c)))
    return re.compile(f"[{cls}]+(?:'[{cls}]+)?")


_LATIN_WORDS = _latin_words()


def _is_clearly_english(sample: str) -> bool:
    if _NON_LATIN.search(sample):
        return False
    words = _LATIN_WORDS.findall(sample.lower())
    if len(words) < 40:
        return False
    return sum(map(stopwords("en").__contains__, words)) >= 0.4 * len(words)


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
