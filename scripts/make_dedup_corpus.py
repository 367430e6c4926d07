#!/usr/bin/env python3
"""Build the near-duplicate test corpus from hand-written base articles.

Each base article in ``tests/data/dedup/articles.txt`` becomes one gold cluster: the
original, an exact re-crawl, and reprints with the edits a news batch really contains (new
headline, a paragraph added, removed or moved, typos, a 30–60% teaser, different page
furniture, and a combination). Articles of the same story are different articles that
share a quote or two, and each multi-article story also gets a roundup that quotes whole
paragraphs of each: every pair across gold clusters is a negative, and those are the hard
ones.

Deterministic: the same ``--seed`` gives the same bytes.

    python scripts/make_dedup_corpus.py -o /tmp/dedup_corpus.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["VARIANTS", "Article", "build_corpus", "load_articles", "main"]

DEFAULT_ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "dedup" / "articles.txt"

VARIANTS = (
    "original",
    "recrawl",
    "headline",
    "added",
    "removed",
    "reordered",
    "typos",
    "truncated",
    "furniture",
    "combined",
)

# Syndicating outlets (fictional) that reprint an article under their own name.
_OUTLETS = (
    ("Northgate Daily", "northgatedaily.example"),
    ("Riverbend Post", "riverbendpost.example"),
    ("The Lakeside Sentinel", "lakesidesentinel.example"),
    ("Metro Wire Online", "metrowire.example"),
    ("Hillcrest Observer", "hillcrestobserver.example"),
    ("Southport Evening News", "southportnews.example"),
)

# Paragraphs outlets add to copy they reprint: local intros, editor's notes, context.
_ADDED = (
    "This article has been updated with additional reporting and a response from local officials.",
    "Readers in the area are asked to check the council's website for the latest travel and service updates before setting out.",
    "Editor's note: an earlier version of this story gave an incorrect date for a public meeting. It has been corrected.",
    "The Observer contacted several local groups for comment on Tuesday; their responses will be added to this story as they arrive.",
    "Do you have a story to share about this? Our newsroom would like to hear from you. Contact our reporters through the tips page.",
    "Additional reporting by staff writers. This story was produced in partnership with a regional news network.",
)

# Page furniture left in by extraction: navigation, sharing widgets, footers.
_HEADERS = (
    ("Home | News | Sport | Business | Opinion | Weather", "Advertisement"),
    ("Skip to content", "Menu  Search  Subscribe  Sign in"),
    ("LATEST NEWS", "Share this article: Facebook  X  Email  Copy link"),
    ("Breaking: live updates available in our app", "Listen to this article (4 min)"),
)
_FOOTERS = (
    ("Sign up for our morning briefing and get the day's top stories in your inbox.", "© 2025 All rights reserved."),
    ("Related stories", "Most read this week", "Terms of use  Privacy policy  Cookie settings"),
    ("Share on Facebook  Share on X  Share by email", "Comments are closed for this article."),
    ("We use cookies to improve your experience on our site. By continuing you accept our use of cookies.",),
)
_TRAILERS = (
    "Continue reading",
    "Read the full story on our website",
    "Subscribe to keep reading",
    "Read more",
)
_HEADLINE_FORMS = (
    "UPDATED: {title}",
    "{title} - {outlet}",
    "{lead}",
    "What we know: {title}",
)


@dataclass(slots=True)
class Article:
    """One hand-written base article."""

    id: str
    story: str
    date: str
    site: str
    url: str
    title: str
    paragraphs: list[str]
    meta: dict[str, str] = field(default_factory=dict)


def load_articles(path: Path = DEFAULT_ARTICLES) -> list[Article]:
    """Parse the ``=== key: value | ...`` records of the articles file."""
    articles: list[Article] = []
    header: dict[str, str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is None:
            return
        paras = [p.strip() for p in "\n".join(body).strip().split("\n\n") if p.strip()]
        title, *rest = paras
        articles.append(
            Article(
                id=header["id"],
                story=header["story"],
                date=header["date"],
                site=header["site"],
                url=header["url"],
                title=title,
                paragraphs=rest,
            )
        )

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            flush()
            header = dict(part.strip().split(": ", 1) for part in line[4:].split(" | "))
            body = []
        elif header is None:
            continue  # preamble comments
        else:
            body.append(line)
    flush()
    return articles


def _typos(text: str, rng: random.Random, count: int) -> str:
    """Introduce ``count`` single-word typos: swapped, dropped or doubled letters."""
    words = list(re.finditer(r"[A-Za-z]{5,}", text))
    chosen = sorted(rng.sample(range(len(words)), min(count, len(words))), reverse=True)
    for k in chosen:
        m = words[k]
        w = m.group()
        i = rng.randrange(1, len(w) - 2)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        elif kind == "drop":
            w = w[:i] + w[i + 1 :]
        else:
            w = w[:i] + w[i] + w[i:]
        text = text[: m.start()] + w + text[m.end() :]
    return text


def _truncate(paragraphs: list[str], share: float) -> list[str]:
    """The first ``share`` of the words, cut at a word boundary, ending with an ellipsis."""
    total = sum(len(p.split()) for p in paragraphs)
    budget = max(1, round(total * share))
    out: list[str] = []
    for p in paragraphs:
        words = p.split()
        if len(words) <= budget:
            out.append(p)
            budget -= len(words)
            if budget == 0:
                break
        else:
            out.append(" ".join(words[:budget]).rstrip(",;:") + "…")
            break
    return out


def _headline(article: Article, rng: random.Random, outlet: str) -> str:
    form = rng.choice(_HEADLINE_FORMS)
    lead = " ".join(article.paragraphs[0].split()[:10]).rstrip(",;:")
    return form.format(title=article.title, outlet=outlet, lead=lead)


def _variant(article: Article, kind: str, rng: random.Random) -> dict[str, Any]:
    title = article.title
    paras = list(article.paragraphs)
    outlet, host = rng.choice(_OUTLETS)
    site, url = outlet, f"https://{host}/story/{article.id}-{kind}"
    date = dt.date.fromisoformat(article.date) + dt.timedelta(days=rng.randint(0, 2))
    before: list[str] = []
    after: list[str] = []
    if kind in ("original", "recrawl"):
        # A re-crawl is the same page fetched again: same text, maybe a later date.
        site, url = article.site, article.url + ("?utm_source=feed" if kind == "recrawl" else "")
        date = dt.date.fromisoformat(article.date) + dt.timedelta(days=int(kind == "recrawl"))
    if kind in ("headline", "combined"):
        title = _headline(article, rng, outlet)
    if kind == "added":
        paras.insert(rng.choice((0, rng.randrange(1, len(paras)), len(paras))), rng.choice(_ADDED))
    if kind in ("removed", "combined"):
        del paras[rng.randrange(1, len(paras))]
    if kind == "reordered":
        i = rng.randrange(1, len(paras))
        p = paras.pop(i)
        paras.insert(rng.choice([k for k in range(1, len(paras) + 1) if k != i]), p)
    if kind == "truncated":
        paras = _truncate(paras, rng.uniform(0.3, 0.6))
        after = [rng.choice(_TRAILERS)]
    if kind in ("furniture", "combined"):
        before = list(rng.choice(_HEADERS))
        after = list(rng.choice(_FOOTERS))
    text = "\n\n".join([*before, title, *paras, *after])
    if kind in ("typos", "combined"):
        text = _typos(text, rng, rng.randint(3, 6))
    return {
        "id": f"{article.id}/{kind}",
        "cluster": article.id,
        "story": article.story,
        "variant": kind,
        "date": date.isoformat(),
        "url": url,
        "sitename": site,
        "title": title,
        "text": text,
    }


def _roundup(story: str, articles: list[Article]) -> dict[str, Any]:
    """A digest quoting the opening two paragraphs of each article of a story.

    It shares whole paragraphs with every one of them, but is none of them: a hard
    negative of its own gold cluster.
    """
    paras = [f"From {a.site}: {a.paragraphs[0]}" for a in articles]
    paras += [a.paragraphs[1] for a in articles]
    title = f"Roundup: what the papers are saying about the {story} story"
    return {
        "id": f"{story}-roundup/original",
        "cluster": f"{story}-roundup",
        "story": story,
        "variant": "original",
        "date": max(a.date for a in articles),
        "url": f"https://metrowire.example/roundup/{story}",
        "sitename": "Metro Wire Online",
        "title": title,
        "text": "\n\n".join([title, *paras]),
    }


def build_corpus(articles: list[Article], seed: int = 7) -> list[dict[str, Any]]:
    """Every variant of every article and a roundup per multi-article story, seeded-shuffled.

    The shuffle makes sure input order carries no hint of the clusters.
    """
    rng = random.Random(seed)
    rows = [_variant(a, kind, rng) for a in articles for kind in VARIANTS]
    stories: dict[str, list[Article]] = {}
    for a in articles:
        stories.setdefault(a.story, []).append(a)
    rows += [_roundup(story, group) for story, group in stories.items() if len(group) > 1]
    rng.shuffle(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", type=Path, required=True, help="JSONL file to write")
    ap.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rows = build_corpus(load_articles(args.articles), args.seed)
    with args.output.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    clusters = len({r["cluster"] for r in rows})
    print(f"wrote {len(rows)} documents in {clusters} gold clusters to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
