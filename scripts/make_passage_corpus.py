"""Generate a news corpus with re-reported quotes and their gold spans.

Every article is invented: background sentences come from a small grammar with many
slots (people, places, organisations, figures) so two articles never share a run of
words by accident (the generator checks: no word 6-gram of background text appears in two
articles, and statements share no 6-gram with anything else). Into these articles it inserts *statements* (one to three sentences, each
generated once) the way outlets re-report a quote:

* ``quotes``: curly, straight, single or guillemet quote marks;
* ``attribution``: before (``X said, "..."``), after (``"...," X said.``), in the middle
  (``"...," X said. "..."``) or in a sentence of its own;
* ``words``: one or two words changed, dropped or added; a word in capitals; ``one-fifth``
  for ``one fifth``, ``US`` for ``U.S.``;
* ``merge``: two sentences joined (``. We`` → ``, and we``);
* ``truncate``: only the first part, or the statement without its first sentence;
* ``placement``: a paragraph of its own, the end of a paragraph, or inside one;
* ``repeat``: the same article quoting it twice (a pull quote).

The first occurrence of each statement is verbatim and the second complete (so the whole
statement is shared text and each occurrence's gold span is simply its printed part). Hard negatives are added too:
*paraphrases* of a statement (most words changed: the same topic, not the same statement)
and stock phrases shorter than a passage repeated across many articles; neither is gold.

Gold span policy (what :mod:`corpuskit.passages` promises): from the first word of the
statement as printed to its last word, plus sentence punctuation directly after it; not
the quote marks; an attribution in the middle is inside the span.

Output: ``DIR/docs.jsonl`` (``{id, date, text}``) and ``DIR/gold.jsonl`` (one row per
occurrence: ``{statement, doc_id, start, end, edits}``), both byte-reproducible for a
given ``--seed``.

Usage: ``python scripts/make_passage_corpus.py OUT_DIR [--docs 300] [--statements 120] [--seed 7]
[--words 600] [--no-check]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Corpus", "build", "main", "write"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------

FIRST = _words(
    "Amara Bogdan Camila Dariusz Elif Farid Greta Hiroshi Ingrid Joaquin Kalani Leona Mateus Nadia "
    "Oskar Priya Quentin Rosalind Soren Tamsin Ulrich Valeria Wendell Ximena Yusuf Zofia Anders "
    "Beatriz Cormac Dilnoza Emeka Fiorella Gunnar Halima Idris Jovana Kwame Lucien Marisol Niamh "
    "Orhan Paloma Rashid Sabine Tobias Umaima Vikram Wilhelmina Yara Zeynep"
)
LAST = _words(
    "Abernathy Bellweather Castellanos Dunmore Eriksen Fairbanks Galloway Hakimi Iverson Jablonski "
    "Kowalczyk Lindqvist Marchetti Nakagawa Okonkwo Pemberton Quintero Rasmussen Szabo Thibodeaux "
    "Underwood Varga Whitcombe Yamamoto Zielinski Ashworth Brannigan Delacroix Esposito Fitzgerald "
    "Gudmundsson Holloway Ibarra Jankowski Kristiansen Lachance Montague Nwachukwu Oyelaran Pacheco "
    "Rutherford Sandoval Tennant Uchenna Valdivia Wexford Yilmaz Zamora Achebe Bronstein"
)
ROLES = (
    "Finance Minister",
    "Trade Minister",
    "Treasury Secretary",
    "Commerce Secretary",
    "central bank governor",
    "chief economist",
    "Energy Minister",
    "Agriculture Secretary",
    "trade envoy",
    "Prime Minister",
    "deputy foreign minister",
    "Labor Secretary",
    "mayor",
    "union leader",
    "industry association chair",
)
COUNTRIES = _words(
    "Norvania Kestria Valdoria Estmark Portavia Luranesia Carthmoor Ostrevia Belmaris Quoranth "
    "Ardenzia Falkmere Solvadia Tremont Varennia Halcyra Drunmoor Zelovia Maratesh Corvalis"
)
CITIES = (
    "Port Ellery",
    "Anvik Falls",
    "Brightwater",
    "Calder Ridge",
    "Dunhollow",
    "Eastbourne Flats",
    "Fenwick",
    "Glenmarch",
    "Harrowgate",
    "Ironbridge",
    "Juniper Bay",
    "Kettering Cove",
    "Lowestone",
    "Marrow Point",
    "Northbridge",
    "Oakhaven",
    "Pellston",
    "Quarry Hill",
    "Redcastle",
    "Saltmarsh",
    "Thornbury",
    "Upton Vale",
    "Westmere",
    "Yarrow Heights",
)
ORG_A = [
    "Meridian",
    "Halcyon",
    "Granite",
    "Bluewater",
    "Northstar",
    "Cobalt",
    "Juniper",
    "Sterling",
    "Redwood",
    "Summit",
    "Harbor",
    "Pioneer",
]
ORG_B = [
    "Freight",
    "Steelworks",
    "Logistics",
    "Agritech",
    "Semiconductor",
    "Shipyards",
    "Pharma",
    "Textiles",
    "Motors",
    "Energy",
    "Grain",
    "Capital",
]
ORG_C = ("Group", "Holdings", "Corp.", "Industries", "Partners", "Co.")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# A small news grammar with large word lists: any run of four words is rare, so articles
# share text only where the generator puts a statement.
NOUNS = _words(
    "budget tariff port council ministry surplus shipment factory union contract loan subsidy harbor "
    "pipeline refinery court ruling election levy quota inspector warehouse mill shipyard railway "
    "convoy auction bond pension dividend merger lawsuit permit licence reactor turbine vaccine "
    "clinic hospital school bridge tunnel dam reservoir orchard vineyard ranch fishery quarry smelter "
    "foundry bakery brewery cannery tannery airline carrier freighter tanker barge depot terminal "
    "customs embargo treaty accord summit panel committee senate tribunal regulator auditor lender "
    "insurer broker exporter importer grower miner trucker dockworker nurse teacher farmer baker "
    "welder engineer economist analyst official envoy minister governor mayor senator judge "
    "prosecutor spokesperson campaign rally strike walkout lockout shortage surge slump rebound "
    "deficit forecast estimate survey index benchmark yield spread margin premium rebate voucher "
    "grant stipend allowance ceiling floor threshold deadline timetable roadmap blueprint charter "
    "statute decree mandate waiver exemption probe audit inquiry hearing verdict appeal settlement"
)
ADJECTIVES = _words(
    "northern southern eastern western coastal inland rural urban regional national federal "
    "provincial municipal foreign domestic bilateral temporary permanent fragile sturdy costly cheap "
    "sudden gradual steep modest sharp mild volatile stable quarterly annual monthly weekly emergency "
    "interim revised disputed landmark controversial overdue delayed expanded reduced frozen renewed "
    "rejected approved unexpected unusual routine informal formal secret public private joint rival "
    "leading struggling thriving ageing modern historic flooded drought-hit cash-strapped debt-laden "
    "state-owned family-run export-driven labour-intensive energy-hungry"
)
VERBS_PAST = _words(
    "approved rejected delayed expanded trimmed froze revived scrapped postponed unveiled blocked "
    "endorsed criticised questioned audited inspected reopened closed relocated merged sold acquired "
    "financed subsidised taxed fined sued cleared overturned upheld extended shortened doubled halved "
    "renegotiated signed drafted amended leaked disclosed flagged tightened loosened capped"
)
VERBS_BASE = _words(
    "approve reject delay expand trim freeze revive scrap postpone unveil block endorse question "
    "inspect reopen close relocate merge sell acquire finance subsidise tax fine sue clear overturn "
    "extend shorten double halve renegotiate sign draft amend disclose flag tighten loosen cap"
)
PREPS = _words("in at near across for against with without under over after before during beyond despite")
DETS = ("the", "a", "its", "their", "this", "that", "one", "another", "every", "no")
ADVERBS = [
    "quietly",
    "abruptly",
    "reluctantly",
    "formally",
    "narrowly",
    "largely",
    "partly",
    "briefly",
    "openly",
    "jointly",
    "swiftly",
    "cautiously",
]

STOCK = (
    "the trade surplus with the U.S.",
    "earlier this month",
    "according to official data",
    "as of Friday",
    "in a statement on Tuesday",
    "did not respond to a request for comment",
)

# Words the word-level edits swap (both directions).
SYNONYMS = {
    "big": "large",
    "very": "really",
    "quickly": "fast",
    "think": "believe",
    "people": "workers",
    "deal": "agreement",
    "help": "support",
    "start": "begin",
    "talks": "negotiations",
    "hard": "difficult",
    "soon": "shortly",
    "good": "great",
    "want": "wish",
    "also": "too",
}
FILLERS = ("very", "really", "just", "also", "now", "still", "all")


def _person(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def _place(r: random.Random) -> str:
    return r.choice((r.choice(COUNTRIES), r.choice(CITIES)))


def _number(r: random.Random) -> str:
    k = r.randrange(4)
    if k == 0:
        return f"{r.randint(1, 59)}.{r.randint(0, 9)}%"
    if k == 1:
        return f"${r.randint(2, 980)}.{r.randint(1, 9)} {r.choice(('million', 'billion'))}"
    if k == 2:
        return f"{r.randint(12, 9800):,}"
    return f"{r.choice(MONTHS)} {r.randint(1, 28)}"


def _np(r: random.Random, depth: int = 0) -> str:
    k = r.randrange(9)
    if k == 0:
        return _person(r) if r.random() < 0.6 else f"{r.choice(ORG_A)} {r.choice(ORG_B)} {r.choice(ORG_C)}"
    if k == 1:
        return f"the {r.choice(ROLES)} of {_place(r)}"
    if k == 2:
        return f"{_number(r)} {r.choice(NOUNS)}s" if r.random() < 0.5 else f"the {_number(r)} {r.choice(NOUNS)}"
    det = r.choice(DETS)
    adj = f"{r.choice(ADJECTIVES)} " if r.random() < 0.6 else ""
    head = f"{det} {adj}{r.choice(NOUNS)}"
    if depth < 1 and r.random() < 0.4:
        head += f" of {_np(r, depth + 1)}"
    elif r.random() < 0.3:
        head += f" in {_place(r)}"
    return head


def _when(r: random.Random) -> str:
    return r.choice(
        (
            f"on {r.choice(WEEKDAYS)}",
            f"in {r.choice(MONTHS)}",
            f"late on {r.choice(WEEKDAYS)}",
            f"since {r.randint(1998, 2024)}",
            f"before {r.choice(MONTHS)} {r.randint(1, 28)}",
            "last week",
            "this year",
        )
    )


def _clause(r: random.Random) -> str:
    k = r.randrange(6)
    subj = _np(r)
    if k == 0:
        return f"{subj} {r.choice(VERBS_PAST)} {_np(r)} {r.choice(PREPS)} {_np(r)}"
    if k == 1:
        return f"{subj} {r.choice(ADVERBS)} {r.choice(VERBS_PAST)} {_np(r)} {_when(r)}"
    if k == 2:
        return (
            f"{subj} {r.choice(('plans', 'wants', 'hopes', 'refuses', 'threatens'))} to {r.choice(VERBS_BASE)} {_np(r)}"
        )
    if k == 3:
        return f"{_np(r)} was {r.choice(VERBS_PAST)} by {subj} {_when(r)}"
    if k == 4:
        return f"{subj} {r.choice(VERBS_PAST)} {_np(r)}, {r.choice(('while', 'after', 'although', 'because'))} {_np(r)} {r.choice(VERBS_PAST)} {_np(r)}"
    return f"{r.choice(PREPS)} {_np(r)}, {subj} {r.choice(VERBS_PAST)} {_np(r)}"


def _background(r: random.Random) -> str:
    k = r.randrange(10)
    if k == 0:
        s = f"{_person(r)}, the {r.choice(ROLES)}, said {_clause(r)}"
    elif k == 1:
        s = f"{_clause(r)}, {r.choice(STOCK)}".removesuffix(".")
    else:
        s = _clause(r)
    return s[0].upper() + s[1:] + "."


# --------------------------------------------------------------------------------------
# statements (the quotes)
# --------------------------------------------------------------------------------------

_OPENERS = (
    "We",
    "I",
    "Our government",
    "My ministry",
    "This administration",
    "Our negotiators",
    "Nobody here",
    "Frankly, we",
    "Their top team",
    "The people of {place}",
)


def _statement_sentence(r: random.Random) -> str:
    """One sentence of a statement, in the first person (without final punctuation)."""
    who = r.choice(_OPENERS).format(place=_place(r))
    singular = who in ("Our government", "My ministry", "This administration", "Their top team", "Nobody here")
    k = r.randrange(6)
    if k == 0:
        verb = "is" if singular else ("am" if who == "I" else "are")
        s = f"{who} {verb} {r.choice(('not going', 'ready', 'determined', 'prepared'))} to {r.choice(VERBS_BASE)} {_np(r)} {_when(r)}"
    elif k == 1:
        s = f"{who} {r.choice(('will', 'cannot', 'must', 'should'))} {r.choice(VERBS_BASE)} {_np(r)} {r.choice(('unless', 'until', 'because', 'even if'))} {_clause(r)}"
    elif k == 2:
        s = f"If {_clause(r)}, {who if who == 'I' else who[0].lower() + who[1:]} {r.choice(('will', 'can', 'might'))} {r.choice(VERBS_BASE)} {_np(r)}"
    elif k == 3:
        s = f"{who} {r.choice(('think', 'believe', 'know', 'expect')) + ('s' if singular else '')} {_clause(r)}"
    elif k == 4:
        s = f"There is {r.choice(('no', 'every', 'little', 'a good'))} reason to {r.choice(VERBS_BASE)} {_np(r)} {r.choice(PREPS)} {_np(r)}"
    else:
        s = f"{who} {r.choice(VERBS_PAST)} {_np(r)} and {r.choice(('we', 'they', 'you'))} {r.choice(('will', 'can', 'should'))} {r.choice(VERBS_BASE)} {_np(r)} {_when(r)}"
    return s[0].upper() + s[1:]


@dataclass
class Statement:
    sid: str
    speaker: str
    role: str
    sentences: list[str]
    end: str  # "." "!" or "?" after each sentence


# --------------------------------------------------------------------------------------
# re-reporting a statement
# --------------------------------------------------------------------------------------

_QUOTES = (("“", "”"), ('"', '"'), ("‘", "’"), ("«", "»"))


def _edit_words(words: list[str], r: random.Random, edits: list[str]) -> list[str]:
    """One small word edit: a synonym, a dropped filler, an added filler or capitals."""
    w = list(words)
    kind = r.randrange(5)
    idx = [i for i, x in enumerate(w) if x.lower().strip(",.") in SYNONYMS]
    if kind == 0 and idx:
        i = r.choice(idx)
        bare = w[i].lower().strip(",.")
        tail = w[i][len(w[i].rstrip(",.")) :]
        w[i] = SYNONYMS[bare] + tail
        edits.append("words:synonym")
    elif kind == 0:
        cands = [i for i in range(1, len(w) - 1) if w[i].isalpha() and w[i].islower() and len(w[i]) > 3]
        if cands:
            i = r.choice(cands)
            w[i] = r.choice(ADJECTIVES if w[i] in ADJECTIVES else NOUNS if w[i] in NOUNS else VERBS_BASE)
            edits.append("words:substitute")
    elif kind == 1 and any(x in FILLERS for x in w[1:-1]):
        i = r.choice([i for i in range(1, len(w) - 1) if w[i] in FILLERS])
        del w[i]
        edits.append("words:drop")
    elif kind == 2:
        i = r.randrange(1, len(w) - 1)
        w.insert(i, r.choice(FILLERS))
        edits.append("words:add")
    elif kind == 3:
        cands = [i for i, x in enumerate(w) if len(x) > 3 and x.isalpha() and x.islower()]
        if cands:
            i = r.choice(cands)
            w[i] = w[i].upper()
            edits.append("words:caps")
    else:
        text = " ".join(w)
        if "one fifth" in text:
            text = text.replace("one fifth", "one-fifth")
            edits.append("words:hyphen")
        elif "U.S." in text:
            text = text.replace("U.S.", "US")
            edits.append("words:us")
        else:
            i = r.randrange(1, len(w) - 1)
            w.insert(i, r.choice(FILLERS))
            edits.append("words:add")
            return w
        return text.split(" ")
    return w


def _variant(st: Statement, r: random.Random, *, edit: bool, truncate: bool) -> tuple[list[str], list[str]]:
    """The sentences as this outlet prints them, and the edits made."""
    edits: list[str] = []
    sents = [s + st.end for s in st.sentences]
    if truncate and len(sents) > 1 and r.random() < 0.25:
        sents = sents[1:]
        edits.append("truncate:head")
    elif truncate and r.random() < 0.2:
        words = " ".join(sents).split(" ")
        if len(words) >= 22:
            keep = r.randint(max(12, int(len(words) * 0.55)), int(len(words) * 0.85))
            cut = " ".join(words[:keep]).rstrip(",;")
            sents = [cut + "."] if not cut.endswith(".") else [cut]
            edits.append("truncate:tail")
    if edit and r.random() < 0.4:
        k = r.randrange(len(sents))
        sents[k] = " ".join(_edit_words(sents[k].split(" "), r, edits))
        if r.random() < 0.3:
            k = r.randrange(len(sents))
            sents[k] = " ".join(_edit_words(sents[k].split(" "), r, edits))
    if edit and len(sents) > 1 and r.random() < 0.3:
        k = r.randrange(len(sents) - 1)
        a, b = sents[k], sents[k + 1]
        joint = r.choice((", and ", "; ", " — "))
        sents[k : k + 2] = [a[:-1] + joint + (b[0].lower() + b[1:] if not b.startswith("I ") else b)]
        edits.append("merge")
    return sents, edits


def _cap_first(s: str) -> str:
    return s[0].upper() + s[1:]


def _quote_block(st: Statement, sents: list[str], r: random.Random, edits: list[str]) -> tuple[str, int, int]:
    """Text of one re-reporting (quote + attribution) and the gold span inside it."""
    o, c = r.choice(_QUOTES)
    if (o, c) != ("“", "”"):
        edits.append("quotes")
    who = r.choice((st.speaker, st.speaker.split()[-1], f"the {st.role}"))
    verb = r.choice(("said", "told reporters", "wrote", "added", "said on Tuesday"))
    body = " ".join(sents)
    mode = r.randrange(4)
    if mode == 1 and len(sents) > 1:
        # Attribution in the middle: "S1," X said. "S2 ..."
        first = sents[0][:-1] + ","
        rest = " ".join(sents[1:])
        short = r.choice(("he said", "she said", f"{st.speaker.split()[-1]} said", "the minister added"))
        text = f"{o}{first}{c} {short}. {o}{rest}{c}"
        edits.append("attribution:middle")
        start = len(o)
        end = len(text) - len(c)
        return text, start, end
    if mode == 2:
        lead = f"{_cap_first(who)} {verb}, " if r.random() < 0.5 else f"{_cap_first(who)} {verb}: "
        text = f"{lead}{o}{body}{c}"
        edits.append("attribution:before")
        return text, len(lead) + len(o), len(text) - len(c)
    if mode == 3:
        text = f"{o}{body}{c}"
        edits.append("attribution:none")
        return text, len(o), len(text) - len(c)
    # After: "S1. S2," X said.
    inner = body[:-1] + "," if body.endswith(".") else body
    text = f"{o}{inner}{c} {who} {verb}."
    edits.append("attribution:after")
    return text, len(o), len(o) + len(inner.rstrip(","))


# --------------------------------------------------------------------------------------
# articles
# --------------------------------------------------------------------------------------


@dataclass
class _Article:
    doc_id: str
    date: str
    paragraphs: list[list[str]] = field(default_factory=list)  # sentences per paragraph


@dataclass
class _Block:
    """A re-reported statement (or a paraphrase, ``statement=None``) waiting for its article."""

    para: int  # placed before, inside or at the end of this paragraph
    order: float
    place: str  # "own", "inside" or "end"
    text: str
    start: int  # gold span inside ``text``
    end: int
    statement: str | None
    edits: list[str]


@dataclass
class Corpus:
    docs: list[dict[str, Any]]
    gold: list[dict[str, Any]]


def _ngrams(text: str, n: int = 5) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _paraphrase(st: Statement, r: random.Random) -> str:
    """Same topic, different statement: most content words replaced or reordered."""
    words = " ".join(st.sentences).split(" ")
    out = []
    for i, w in enumerate(words):
        if i % 2 == 1 or r.random() < 0.3:
            out.append(r.choice(("officials", "perhaps", "quietly", "broadly", "again", "weighed", "several", "local")))
        else:
            out.append(w)
    return _cap_first(" ".join(out)) + "."


def build(n_docs: int = 300, n_statements: int = 120, seed: int = 7, words: int = 0, check: bool = True) -> Corpus:
    """Generate the corpus (deterministic for a seed).

    ``words``: grow each article to about this many words (0: five to nine paragraphs).
    ``check``: enforce that no background 6-gram appears in two articles (memory grows with
    the corpus; benchmarks of tens of thousands of articles switch it off).
    """
    r = random.Random(seed)
    arts = [_Article(f"art-{i:05d}", f"2025-{r.randint(3, 6):02d}-{r.randint(1, 28):02d}") for i in range(n_docs)]
    seen: dict[str, int] = {}  # background 6-gram -> article index
    for ai, art in enumerate(arts):
        n_paras = r.randint(5, 9)
        count = 0
        while len(art.paragraphs) < n_paras or count < words:
            para = []
            for _ in range(r.randint(1, 4)):
                for _attempt in range(50 if check else 1):
                    s = _background(r)
                    if not check:
                        break
                    grams = _ngrams(s, 6)
                    if all(seen.get(g, ai) == ai for g in grams):
                        break
                if check:
                    for g in grams:
                        seen.setdefault(g, ai)
                para.append(s)
                count += s.count(" ") + 1
            art.paragraphs.append(para)

    statements: list[Statement] = []
    taken: set[str] = set(seen)  # every 6-gram in use: statements never share one
    while len(statements) < n_statements:
        k = r.choice((1, 1, 2, 2, 2, 3))
        sents: list[str] = []
        while len(sents) < k:
            s = _statement_sentence(r)
            grams = _ngrams(s, 6)
            if not grams & taken:
                taken |= grams
                sents.append(s)
        sid = f"st-{len(statements):04d}"
        statements.append(Statement(sid, _person(r), r.choice(ROLES), sents, r.choice((".", ".", ".", "!"))))

    blocks: dict[int, list[_Block]] = {}
    for st in statements:
        n = r.choice((2, 2, 3, 3, 4, 5))
        hosts = r.sample(range(n_docs), n)
        for h_i, host in enumerate(hosts):
            times = 2 if r.random() < 0.04 else 1
            for rep in range(times):
                # The first occurrence is verbatim and the second whole: the full statement
                # is shared text, so every occurrence's gold span is its own printed part.
                sents, edits = _variant(st, r, edit=h_i > 0 or rep > 0, truncate=h_i > 1 or rep > 0)
                text, s0, s1 = _quote_block(st, sents, r, edits)
                if rep:
                    edits.append("repeat")
                pi = r.randrange(len(arts[host].paragraphs))
                place = r.choice(("own", "own", "end", "inside"))
                edits.append(f"placement:{place}")
                blocks.setdefault(host, []).append(_Block(pi, r.random(), place, text, s0, s1, st.sid, edits))
        # One paraphrase elsewhere: a hard negative.
        if r.random() < 0.5:
            host = r.randrange(n_docs)
            pi = r.randrange(len(arts[host].paragraphs))
            blocks.setdefault(host, []).append(_Block(pi, r.random(), "own", _paraphrase(st, r), -1, -1, None, []))

    # Lay out every article; each statement block's span becomes a gold row.
    docs: list[dict[str, Any]] = []
    gold: list[dict[str, Any]] = []
    for ai, art in enumerate(arts):
        pending = sorted(blocks.get(ai, []), key=lambda b: (b.para, b.order))
        paras: list[str] = []
        placed: list[tuple[_Block, int]] = []  # block, offset of its text in the article
        offset = 0
        for pi, sents in enumerate(art.paragraphs):
            for b in (b for b in pending if b.para == pi and b.place == "own"):
                paras.append(b.text)
                placed.append((b, offset))
                offset += len(b.text) + 2
            pieces: list[tuple[str, _Block | None]] = [(x, None) for x in sents]
            for b in (b for b in pending if b.para == pi and b.place == "inside"):
                pieces.insert(1 if len(pieces) > 1 else len(pieces), (b.text, b))
            pieces += [(b.text, b) for b in pending if b.para == pi and b.place == "end"]
            text = ""
            for piece, blk in pieces:
                text += " " if text else ""
                if blk is not None:
                    placed.append((blk, offset + len(text)))
                text += piece
            paras.append(text)
            offset += len(text) + 2
        full = "\n\n".join(paras)
        docs.append({"id": art.doc_id, "date": art.date, "text": full})
        for b, at in placed:
            assert full[at : at + len(b.text)] == b.text, (art.doc_id, b.text)
            if b.statement is not None:
                a, e = at + b.start, at + b.end
                gold.append(
                    {
                        "statement": b.statement,
                        "doc_id": art.doc_id,
                        "edits": b.edits,
                        "start": a,
                        "end": e,
                        "text": full[a:e],
                    }
                )
    gold.sort(key=lambda g: (g["doc_id"], g["start"]))
    return Corpus(docs, gold)


def write(corpus: Corpus, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "docs.jsonl").open("w", encoding="utf-8") as f:
        for d in corpus.docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    with (out / "gold.jsonl").open("w", encoding="utf-8") as f:
        for g in corpus.gold:
            f.write(json.dumps(g, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--statements", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--words", type=int, default=0, help="about this many words per article")
    ap.add_argument("--no-check", action="store_true", help="skip the background uniqueness check")
    args = ap.parse_args(argv)
    corpus = build(args.docs, args.statements, args.seed, args.words, not args.no_check)
    write(corpus, args.out)
    print(f"{len(corpus.docs)} documents, {len(corpus.gold)} gold spans -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
