from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.language import (
    _LATIN_RANGES,
    _LATIN_WORDS,
    _WORDS,
    _cache_file,
    _factory,
    _read_cache,
    _write_cache,
    detect_language,
    load_profiles,
    unload_profiles,
)

# Short news sentences written for these tests, one per script or language family.
SENTENCES = [
    "Der Stadtrat hat am Dienstag beschlossen, den Hafen bis zum Sommer zu erweitern.",
    "Le conseil municipal a décidé mardi d'agrandir le port avant l'été prochain.",
    "El ayuntamiento decidió el martes ampliar el puerto antes del próximo verano.",
    "Il consiglio comunale ha deciso martedì di ampliare il porto entro l'estate.",
    "De gemeenteraad besloot dinsdag de haven voor de zomer uit te breiden.",
    "O conselho municipal decidiu na terça-feira ampliar o porto até o verão.",
    "Городской совет во вторник решил расширить порт до начала лета.",
    "市議会は火曜日、夏までに港を拡張することを決めた。",
    "시의회는 화요일 여름 전까지 항구를 확장하기로 결정했다.",
    "Rada miasta postanowiła we wtorek rozbudować port przed latem.",
    "Kaupunginvaltuusto päätti tiistaina laajentaa satamaa ennen kesää.",
    "Το δημοτικό συμβούλιο αποφάσισε την Τρίτη να επεκτείνει το λιμάνι.",
    "The council voted on Tuesday to widen the harbour before the summer.",
]


@pytest.fixture(scope="module")
def stock() -> object:
    """langdetect's own factory, loaded the way ``langdetect.detect`` loads it."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    return factory


def _probabilities(factory: object, text: str, seed: int, trials: int) -> tuple[list[float], str]:
    detector = factory.create()  # type: ignore[attr-defined]
    detector.seed = seed
    detector.n_trial = trials
    detector.append(text)
    lang = detector.detect()
    return detector.langprob, lang


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéèñçабвгдежзийклмн ", max_size=40),
    st.integers(0, 2**31 - 1),
    st.integers(1, 7),
)
def test_the_sparse_profiles_give_langdetects_probabilities_exactly(
    stock: object, sentences: list[str], noise: str, seed: int, trials: int
) -> None:
    """Every language's probability, float for float, and so the same answer, for mixed
    languages, scripts and noise, whatever the seed and the number of trials."""
    text = " ".join(sentences) + " " + noise
    assert _probabilities(_factory(), text, seed, trials) == _probabilities(stock, text, seed, trials)


def test_the_sparse_table_keeps_every_ngram_and_language(stock: object) -> None:
    ours = _factory()
    assert ours.langlist == stock.langlist  # type: ignore[attr-defined]
    table, theirs = ours.word_lang_prob_map, stock.word_lang_prob_map  # type: ignore[attr-defined]
    assert table.keys() == theirs.keys()
    kinds = set()
    for word in list(table)[::37]:
        entry = table[word]
        kinds.add(type(entry))
        if isinstance(entry, list):  # found in many languages: kept dense
            assert entry == theirs[word]
            continue
        where, probs = entry
        dense = [0.0] * len(ours.langlist)
        for i, p in zip(where, probs, strict=True):
            dense[i] = p
        assert dense == theirs[word]
    assert kinds == {list, tuple}


def test_profiles_load_again_after_they_are_let_go() -> None:
    load_profiles()
    assert unload_profiles() is True
    assert unload_profiles() is False
    assert detect_language(SENTENCES[0]) == ("de", None)


def test_latin_words_match_as_the_unicode_class_does() -> None:
    # The English shortcut's word class, listed letter by letter, against the class it
    # stands for: every character the Latin ranges hold, upper and lower case, in a word,
    # at a word's edge and after an apostrophe.
    for lo, hi in _LATIN_RANGES:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            text = f"ab{c}cd {c}x x'{c} {c}'{c}y 9{c}_".lower()
            assert _LATIN_WORDS.findall(text) == _WORDS.findall(text), hex(cp)


_LATIN_ALPHABET = st.sampled_from([chr(cp) for lo, hi in _LATIN_RANGES for cp in range(lo, hi + 1)])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(_LATIN_ALPHABET, st.sampled_from("'’ ab")), max_size=80))
def test_latin_words_agree_on_any_latin_text(text: str) -> None:
    low = text.lower()
    assert _LATIN_WORDS.findall(low) == _WORDS.findall(low)


def _fresh_factory() -> object:
    unload_profiles()
    return _factory()


def test_the_profile_table_is_cached_and_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stock: object
) -> None:
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(tmp_path / "cache"))
    try:
        built = _fresh_factory()
        files = list((tmp_path / "cache").glob("langdetect-profiles-*.marshal"))
        assert len(files) == 1
        read = _fresh_factory()
        assert read is not built
        assert read.langlist == built.langlist == stock.langlist  # type: ignore[attr-defined]
        assert read.word_lang_prob_map == built.word_lang_prob_map  # type: ignore[attr-defined]
        assert _probabilities(read, SENTENCES[3], 7, 3) == _probabilities(stock, SENTENCES[3], 7, 3)
    finally:
        unload_profiles()


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"N"])  # empty, bad marshal, marshalled None
def test_a_damaged_profile_cache_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stock: object, damage: bytes
) -> None:
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(tmp_path))
    try:
        _fresh_factory()
        (path,) = tmp_path.glob("langdetect-profiles-*.marshal")
        path.write_bytes(damage)
        again = _fresh_factory()
        assert again.word_lang_prob_map.keys() == stock.word_lang_prob_map.keys()  # type: ignore[attr-defined]
        assert detect_language(SENTENCES[1]) == ("fr", None)
        assert _read_cache(path) is not None  # written whole again
    finally:
        unload_profiles()


def test_profiles_load_where_no_cache_can_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(blocked / "cache"))
    try:
        _fresh_factory()
        assert detect_language(SENTENCES[0]) == ("de", None)
        assert list(tmp_path.iterdir()) == [blocked]  # no stray temporary file either
    finally:
        unload_profiles()


def test_the_cache_key_follows_the_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(tmp_path / "cache"))
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "xx").write_text("{}")
    first = _cache_file(str(profiles))
    assert first is not None and first.parent == tmp_path / "cache"
    assert _cache_file(str(profiles)) == first
    other = tmp_path / "other-install"
    other.mkdir()
    (other / "xx").write_text("{}")
    theirs = _cache_file(str(other))
    assert theirs is not None and theirs != first
    _write_cache(first, ["xx"], {"a": [0.5]})
    _write_cache(theirs, ["xx"], {"a": [0.5]})
    (profiles / "xx").write_text("{ }")  # another size: another table
    second = _cache_file(str(profiles))
    assert second is not None and second != first
    _write_cache(second, ["xx"], {"a": [0.25]})
    assert sorted((tmp_path / "cache").iterdir()) == sorted([second, theirs])  # the old one is gone
    assert _read_cache(second) == (["xx"], {"a": [0.25]})
    assert _cache_file(str(tmp_path / "missing")) is None


def test_the_cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpuskit.language as language

    monkeypatch.setenv("CORPUSKIT_CACHE_DIR", str(tmp_path / "mine"))
    assert language._cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CORPUSKIT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert language._cache_dir() == tmp_path / "xdg" / "corpuskit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert language._cache_dir() == tmp_path / "home" / ".cache" / "corpuskit"
    monkeypatch.setattr(language.os.path, "expanduser", lambda p: p)  # no home directory known
    assert language._cache_dir() is None
    assert _cache_file(str(tmp_path)) is None
