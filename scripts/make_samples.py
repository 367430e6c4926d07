"""Write the generated files of the ``samples/`` corpus, byte for byte reproducibly.

Most of ``samples/`` is hand-written (the ``.txt`` and UTF-8 ``.html`` pages, ``bad/``,
``README.md``, ``EXPECTED.json``). The files that are awkward or impossible to edit by hand
are built here from the texts below:

- ``samples/wire.jsonl``: three wire records (JSON escaping by hand is error-prone);
- ``samples/feed.jsonl.gz``: an aggregator feed, gzip with ``mtime=0`` and no file name;
- ``samples/crawl.warc.gz``: a ``warcinfo``, a ``request`` and three HTML ``response``
  records, with fixed record ids and dates (warcio would otherwise stamp random uuids
  and the current time);
- ``samples/sites/coastal-dispatch/south-korea-team-on-a-plane.html``: a page encoded in
  windows-1252, declared in its ``<meta http-equiv>``.

Re-running the script gives identical bytes; ``tests/test_samples_corpus.py`` checks that
the committed files are exactly what :func:`build` writes.

Usage: ``python scripts/make_samples.py [OUT_DIR]`` (default: the repo's ``samples/``).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = ["GENERATED", "build", "main"]

# Every file build() writes, relative to the samples directory.
GENERATED: tuple[str, ...] = (
    "wire.jsonl",
    "feed.jsonl.gz",
    "crawl.warc.gz",
    "sites/coastal-dispatch/south-korea-team-on-a-plane.html",
)

_UUID_NS = uuid.UUID("5b0f3f4e-8d51-4c53-9a57-c0a1b5e7d201")


def _paras(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


# --------------------------------------------------------------------------------------
# wire.jsonl: Continental Press Wire (CPW)
# --------------------------------------------------------------------------------------

# The original of the reprinted story: Valley Tribune reprints it with a local intro and
# one paragraph cut; the feed carries a truncated teaser of it.
PORT_STORY: tuple[str, ...] = (
    "CARROW BAY, Calif. (CPW) — Container trucks were lined up more than two miles back from "
    "the gates of the Port of Carrow Bay before sunrise on Wednesday, as exporters and "
    "importers alike tried to move cargo before a new round of U.S. tariffs takes effect at "
    "midnight.",
    "The port's harbor master, Alonzo Reyes, said the terminal handled 14,200 container moves "
    "on Tuesday, its busiest single day since the pandemic-era backlog of 2021. Three vessels "
    "were waiting at anchor in the outer roads, and a fourth was diverted to Long Beach "
    "overnight.",
    '"Everybody is trying to beat the clock, and the clock is the same for all of them," Reyes '
    'said. "We have crews on double shifts and the gates open around the clock until Friday, '
    'but the yard only holds so many boxes."',
    "Most of the cargo heading out is agricultural. Almonds, walnuts, hay and frozen beef make "
    "up the bulk of the port's exports to South Korea, Japan and Taiwan, and shippers fear "
    "retaliation if talks between Washington and its trading partners break down. Inbound, "
    "importers are clearing furniture, auto parts and consumer electronics that have sat in "
    "bonded warehouses since last week.",
    "Freight rates have moved with the rush. The spot price to ship a 40-foot container from "
    "Carrow Bay to Busan rose 18 percent in a week, according to Tidewater Freight Analytics, "
    "which tracks bookings on the trans-Pacific lanes.",
    '"What you are seeing is a year\'s worth of hedging compressed into ten days," said Priya '
    'Ramaswamy, an analyst at the firm. "When the deadline passes, volumes will fall off a '
    'cliff, and the ports will be left with empty chassis and idle cranes in May."',
    "The dockworkers' union local that staffs the terminal said its members were glad of the "
    "overtime but worried about the weeks that follow. A union spokesperson, Dolores Fimbres, "
    "said dispatchers had been told to expect fewer shifts from the end of the month.",
    "Port officials said they had asked the state for emergency permission to keep an overflow "
    "lot at the former naval air station open for another 60 days. The request was pending on "
    "Wednesday.",
    "Trucking companies said drivers were spending as long as six hours in line for a single "
    "pickup. Several small carriers have stopped taking port jobs altogether, saying the waits "
    "make the trips unprofitable at current rates.",
    "The port authority's board is scheduled to meet on Thursday to discuss extending gate "
    "hours through the end of April.",
)

_DELEGATION_HTML = """<article>
<h1>South Korean trade team departs for Washington with shipbuilding offer</h1>
<p class="byline">By Ha-eun Bae</p>
<p>SEOUL (CPW) &#8212; A South Korean delegation left for Washington on Wednesday to open talks \
on the tariffs President Donald Trump imposed on the country&#8217;s exports last week, carrying \
what officials described as an offer built around shipbuilding cooperation and larger purchases \
of American energy.</p>
<p>Seo Dong-hyun, the deputy minister leading the team, spoke briefly to reporters at Incheon \
International Airport before boarding.</p>
<p>&#8220;We are going to Washington with a detailed package on shipbuilding and energy \
purchases, and we expect a frank and productive first round,&#8221; he said, adding that the \
delegation would also raise the treatment of Korean cars and steel.</p>
<p>The trip follows a telephone call on Tuesday between Trump and South Korea&#8217;s acting \
president that both governments described in warm terms. Seoul&#8217;s readout said the two \
sides had agreed to keep talking at the ministerial level.</p>
<p>Korean officials have said privately that their first aim is to secure terms no worse than \
those Japan obtains. Tokyo&#8217;s negotiators are expected in Washington later this month.</p>
<p>The 25 percent rate on Korean goods is scheduled to take effect at 12:01 a.m. Washington \
time on Wednesday. Exporters&#8217; associations in Seoul estimate that, if it stays in place, \
shipments to the United States could fall by as much as a fifth this year.</p>
<p>Shares of Korean shipbuilders rallied in Seoul trading on the hope that work with American \
yards will form part of any agreement, with the sector&#8217;s index closing up more than 5 \
percent.</p>
<p>The delegation plans to stay in Washington through the weekend. A second round, led by \
ministers, could follow in May if the first meetings go well, officials said.</p>
</article>"""

_JAPAN_STORY: tuple[str, ...] = (
    "TOKYO (CPW) — Japan's government said on Wednesday that it would name a cabinet-level "
    "negotiator within days and ask Washington for an early meeting, as automakers and their "
    "suppliers warned that the new American duties threatened thin profit margins across the "
    "industry.",
    "Government officials said the prime minister had instructed "
    "ministries to prepare a list of possible concessions, including expanded purchases of "
    "American farm goods and cooperation on energy, but would not trade away protections for "
    "Japanese rice.",
    "Car parts makers, many of them small family firms in Aichi and Shizuoka prefectures, say "
    "they have little room to absorb the costs. Kenji Moriyama, who chairs a federation of "
    "about 140 component suppliers in the Chubu region, said members had begun to delay "
    "hiring and capital spending.",
    '"Our customers are asking us to share the burden, and we simply do not have the margin '
    'to do it," Moriyama said in an interview. "If this lasts into the summer, some of our '
    'smallest members will not survive it."',
    "Japanese officials noted that the country has been the largest foreign investor in the "
    "United States for several years running and said they would press that point in the "
    "talks.",
    "Trade specialists in Tokyo said the government's room to maneuver was limited by an "
    "upper house election due in the summer, which makes concessions on agriculture "
    "politically costly. Farm groups have already warned lawmakers against any deal that "
    "opens the domestic market to more American beef or rice.",
    "Toyota City and other manufacturing towns have set up consultation desks for suppliers, "
    "and regional banks said they were preparing emergency credit lines in case orders from "
    "North American plants fall sharply in the second half of the year.",
    "The yen strengthened modestly against the dollar, while the Nikkei average swung between "
    "gains and losses before closing little changed.",
)

WIRE: tuple[dict[str, Any], ...] = (
    {
        "id": "cpw-20250409-0612",
        "url": "https://wire.continentalpress.example/2025/04/09/exporters-race-tariff-deadline-carrow-bay",
        "title": "Exporters race tariff deadline as Carrow Bay port backs up",
        "date": "2025-04-09T06:12:00Z",
        "authors": ["Miriam Okafor"],
        "text": _paras(*PORT_STORY),
    },
    {
        "id": "cpw-20250409-0630",
        "url": "https://wire.continentalpress.example/2025/04/09/korea-trade-team-departs",
        "title": "South Korean trade team departs for Washington with shipbuilding offer",
        "date": "2025-04-09T06:30:00Z",
        "authors": ["Ha-eun Bae"],
        "html": _DELEGATION_HTML,
    },
    {
        # No id on purpose: the pipeline derives one from the path and line.
        "url": "https://wire.continentalpress.example/2025/04/09/japan-seeks-early-tariff-talks",
        "title": "Japan to name tariff negotiator and seek early meeting",
        "date": "2025-04-09T08:05:00Z",
        "authors": ["Kaito Fujimura", "Miriam Okafor"],
        "text": _paras(*_JAPAN_STORY),
    },
)


# --------------------------------------------------------------------------------------
# feed.jsonl.gz: a news aggregator's export (no ids: ids come from the line number)
# --------------------------------------------------------------------------------------

# About 40% of PORT_STORY, cut mid-sentence the way feed teasers are.
_TEASER = (
    _paras(*PORT_STORY[:3])
    + "\n\nMost of the cargo heading out is agricultural. Almonds, walnuts, hay and frozen beef "
    "make up the bulk of the port's exports to South Korea, Japan and…"
)

_MARKETS_BRIEF: tuple[str, ...] = (
    "Asian exporters' shares swung sharply on Wednesday as investors weighed signs that "
    "Washington was willing to negotiate against the reality of duties that were hours from "
    "taking effect.",
    "Korean carmakers and chipmakers led early gains in Seoul before giving back part of them, "
    "as investors bet that Seoul, facing one of the steepest of the new tariffs, would move "
    "fastest to strike a deal. Taiwan's benchmark index fell for a fourth session. In New "
    "York, futures pointed to a lower open after a volatile Tuesday in which the S&P 500 erased a rally of more than "
    "3 percent.",
    'Dana Whitlock, chief economist at Brightwater Capital, said: "Markets are pricing in a '
    "deal that has not been written yet, and that is a dangerous place to be for anyone "
    "holding exporters' shares.\"",
    "Currency traders were more cautious. The won and the Taiwan dollar were little changed, "
    "and demand for short-dated Treasury bills rose as funds moved cash out of riskier assets. "
    "Gold touched a record intraday high before easing.",
    "Strategists at several banks said the next few days would depend less on headlines about "
    "talks than on whether any government announced concrete measures, such as cuts to its "
    "own tariffs or purchase commitments. Until then, they said, rallies were likely to fade.",
    "Shipping stocks were a rare bright spot. Container lines listed in Hong Kong and Tokyo "
    "rose on reports that exporters were paying premium rates to move goods before the "
    "deadline, though analysts warned that the rush would be followed by a sharp lull.",
    "Oil slipped for a fifth day on worries that a drawn-out trade fight would slow global "
    "demand, with Brent crude trading near its lowest level in four years.",
)

_JAPANESE_STORY: tuple[str, ...] = (
    "静岡県浜松市の自動車部品メーカー「東海精機工業」は9日、米国の新たな関税措置を受けて、"
    "今年度の北米向け受注見通しを当初計画から約15%引き下げると発表した。"
    "同社は米国の完成車メーカー向けにブレーキ部品やシート用の金属部品を供給しており、"
    "売上高の3割近くを北米向けが占める。",
    "記者会見した杉浦和也社長は「顧客からはすでに価格の見直しを求められている。"
    "関税分をすべて吸収する体力は中小企業にはない」と述べ、"
    "政府に対して早期の交渉妥結と資金繰り支援を求めた。",
    "同社によると、米国の取引先2社が夏以降の発注量を確定できないと連絡してきたという。"
    "生産ラインの一部は来月から稼働日を減らし、従業員の残業も抑える方針だ。"
    "一方で、雇用は維持するとしている。",
    "浜松商工会議所が3月末に会員企業を対象に行った調査では、"
    "回答した製造業のおよそ4割が「米国の通商政策が業績に影響する」と答えた。"
    "同会議所の担当者は「影響は部品の二次、三次の取引先にまで広がる可能性がある」と話している。",
    "東海精機工業は1970年創業で、従業員は約380人。"
    "2010年代に米国南部の完成車工場向けの取引を広げ、北米事業を成長の柱としてきた。"
    "杉浦社長は「メキシコ経由の供給網も見直しを迫られる。"
    "状況が落ち着くまでは新たな設備投資は見送る」と語った。",
    "市は今月中に中小企業向けの相談窓口を設け、制度融資の利子補給を拡充することを検討している。",
)

FEED: tuple[dict[str, Any], ...] = (
    {
        "url": "https://newsroll.example/r/cpw/exporters-race-tariff-deadline-carrow-bay",
        "title": "Exporters race tariff deadline as Carrow Bay port backs up",
        "date": "2025-04-09T07:40:00Z",
        "authors": ["Miriam Okafor"],
        "text": _TEASER,
    },
    {
        "url": "https://newsroll.example/r/tidewire/asia-exporters-swing-tariff-deadline",
        "title": "Asian exporters swing as tariff deadline nears; gold hits record",
        "date": "2025-04-09T09:15:00Z",
        "authors": ["Tidewire Markets Desk"],
        "text": _paras(*_MARKETS_BRIEF),
    },
    {
        "url": "https://newsroll.example/r/chubu-keizai/tokai-seiki-outlook-cut",
        "title": "浜松の部品メーカー、米関税で北米受注見通しを下方修正",
        "date": "2025-04-09T17:30:00+09:00",
        "authors": ["中部経済ウォッチ 編集部"],
        "text": _paras(*_JAPANESE_STORY),
    },
)


# --------------------------------------------------------------------------------------
# crawl.warc.gz: two Northgate Times pages (same template) and one German page
# --------------------------------------------------------------------------------------

_NORTHGATE_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | The Northgate Times</title>
<meta property="og:site_name" content="The Northgate Times">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{date}">
<link rel="canonical" href="{url}">
<script async src="https://cdn.northgatetimes.example/js/metrics.js"></script>
</head>
<body>
<div id="cookie-banner">We use cookies to improve your experience. <button>Accept all</button> <button>Manage preferences</button></div>
<header class="nt-header">
<a class="nt-logo" href="/">The Northgate Times</a>
<ul class="nt-nav">
<li><a href="/politics">Politics</a></li>
<li><a href="/economy">Economy</a></li>
<li><a href="/world">World</a></li>
<li><a href="/climate">Climate</a></li>
<li><a href="/culture">Culture</a></li>
<li><a href="/podcasts">Podcasts</a></li>
</ul>
<a class="nt-donate" href="/support">Support independent journalism</a>
</header>
<main>
<article>
<h1>{title}</h1>
<div class="nt-meta"><span class="nt-author">By {author}</span> <time datetime="{date}">{date_text}</time></div>
<ul class="nt-share"><li>Share</li><li><a href="#">Copy link</a></li><li><a href="#">Bluesky</a></li><li><a href="#">LinkedIn</a></li></ul>
"""

_NORTHGATE_FOOT = """</article>
<section class="nt-read-next">
<h2>Read next</h2>
<ol>
<li><a href="/economy/2025/04/07/what-reciprocal-means">What &#8216;reciprocal&#8217; means in the new tariff schedule</a></li>
<li><a href="/world/2025/04/06/eu-countermeasures-list">The EU drafts its countermeasures list</a></li>
<li><a href="/podcasts/the-ledger-line-ep-212">Podcast: Who pays a tariff?</a></li>
</ol>
</section>
</main>
<footer class="nt-footer">
<p>The Northgate Times is a nonprofit newsroom. Donations are tax-deductible.</p>
<p><a href="/about">About</a> | <a href="/ethics">Ethics policy</a> | <a href="/jobs">Jobs</a> | <a href="/privacy">Privacy</a></p>
<p>&#169; 2025 Northgate Media Foundation</p>
</footer>
</body>
</html>
"""

_SCRAMBLE_BODY = """<p>For most of Monday, the phones in the trade representative&#8217;s office rang with \
the same question from a dozen capitals: who do we talk to, and when? By Tuesday morning the \
White House had started to answer it, and the order it chose says a good deal about what the \
administration wants from the talks.</p>
<p>South Korea went first. After a call with the country&#8217;s acting president, the president \
told his followers that Seoul was already sending negotiators, writing that "their top TEAM is on \
a plane heading to the U.S., and things are looking good" &#8212; a line that aides repeated \
to reporters for the rest of the day as evidence that the tariffs were working as leverage.</p>
<p>Japan is expected next, followed by a group of smaller economies in Southeast Asia whose \
surpluses with the United States grew quickly in recent years as manufacturers moved \
production out of China. European officials, who have prepared their own list of \
countermeasures, have not yet been offered a date.</p>
<p>Inside the administration, officials describe a process run out of two rooms: one at the \
trade representative&#8217;s office, where staff are drafting what a model agreement would \
look like, and one at the National Economic Council, which is ranking countries by the size \
of their surpluses and their strategic value.</p>
<p>Marisa Colquitt, a deputy trade representative who has spent the week briefing farm groups, \
tried to lower expectations. "We will listen to every proposal, but no country should expect \
the baseline tariff to vanish in a single meeting," she told growers in Nebraska.</p>
<p>Trade lawyers say the bigger question is what the United States would accept in return. \
Previous agreements took years to negotiate and ran to thousands of pages. The current talks \
are moving on a timetable of days, and several people involved said there was no common \
template yet for what a country would have to offer.</p>
<p>&#8220;Everyone is negotiating against a moving target,&#8221; said Ruth Abernathy, who \
worked on Asian trade agreements in two previous administrations and now advises exporters. \
&#8220;You can&#8217;t price a concession until you know what the other side will count.&#8221;</p>
<p>For now, the line of countries waiting is long. Officials said more than 50 governments had \
made contact by Tuesday night.</p>
"""

_EXPLAINER_BODY = """<p>The talks with Seoul that begin this week will not look like the trade \
negotiations of the past, which ran for years and covered tariff lines one by one. Here is what \
people following them expect to be on the table.</p>
<h2>Ships</h2>
<p>American shipbuilding has shrunk to a handful of yards, and the Navy&#8217;s repair backlog \
is long. Korean firms are among the few in the world able to build large vessels quickly, and \
Seoul is expected to offer investment in American yards and training for welders and \
engineers.</p>
<h2>Gas</h2>
<p>South Korea already buys liquefied natural gas from the United States. A deal could commit \
it to buy more for a decade or longer, and perhaps to take a stake in an export project in \
Alaska that has struggled for years to find partners.</p>
<h2>Cars and steel</h2>
<p>Korean carmakers build hundreds of thousands of vehicles a year in Georgia and Alabama but \
still ship many more across the Pacific. Seoul wants relief from the separate duties on \
vehicles and steel, which sit on top of the country-by-country rates.</p>
<h2>Troops</h2>
<p>The president has long argued that Seoul should pay more toward the cost of the roughly \
28,500 American troops stationed on the peninsula. Korean officials would prefer to keep that \
question out of a trade agreement, but may not get the choice.</p>
<h2>What is unlikely</h2>
<p>Few analysts expect the 10 percent rate that applies to almost every country to go away. \
The open question is whether Seoul can get its own, higher rate brought down to that level, \
and how quickly.</p>
"""

_GERMAN_PAGE = """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Maschinenbauer aus Ostwestfalen bangen um das US-Geschäft – Hansekurier</title>
<meta property="og:site_name" content="Hansekurier">
<meta property="og:title" content="Maschinenbauer aus Ostwestfalen bangen um das US-Geschäft">
<meta name="author" content="Jana Meierkord">
<meta property="article:published_time" content="2025-04-09T10:45:00+02:00">
<link rel="canonical" href="https://www.hansekurier.example/wirtschaft/maschinenbau-ostwestfalen-us-zoelle">
</head>
<body>
<nav class="hk-nav"><a href="/">Startseite</a> <a href="/politik">Politik</a> <a href="/wirtschaft">Wirtschaft</a> <a href="/region">Region</a> <a href="/sport">Sport</a> <a href="/abo">Abo</a></nav>
<div class="hk-consent">Wir verwenden Cookies und ähnliche Technologien. <a href="/datenschutz">Mehr erfahren</a></div>
<main>
<article>
<p class="hk-dachzeile">Zölle</p>
<h1>Maschinenbauer aus Ostwestfalen bangen um das US-Geschäft</h1>
<p class="hk-autor">Von Jana Meierkord · 9. April 2025, 10:45 Uhr</p>
<p>Bielefeld. In den Werkshallen der Brackwede Antriebstechnik GmbH stehen die Getriebe für \
amerikanische Kunden fertig verpackt auf Paletten. Ob sie in diesem Monat noch verschifft \
werden, weiß Geschäftsführerin Katrin Oberhaus nicht. „Unsere Kunden in Ohio und Texas haben \
uns gebeten, die Lieferungen zurückzuhalten, bis klar ist, wer den Zoll bezahlt“, sagt sie.</p>
<p>Das Familienunternehmen mit rund 420 Beschäftigten erzielt knapp ein Viertel seines Umsatzes \
in den Vereinigten Staaten. Die neuen Aufschläge auf Einfuhren aus der Europäischen Union \
treffen damit einen Markt, der in den vergangenen Jahren als verlässlichster Wachstumstreiber \
galt.</p>
<p>Ähnlich klingt es bei anderen Betrieben der Region. Nach einer Umfrage des regionalen \
Maschinenbauverbands unter 85 Mitgliedsfirmen rechnet mehr als die Hälfte für dieses Jahr mit \
sinkenden Aufträgen aus Nordamerika. Einzelne Unternehmen prüfen, die Endmontage in ihre \
amerikanischen Niederlassungen zu verlagern – ein Schritt, der Jahre dauern und Arbeitsplätze \
in der Heimat kosten könnte.</p>
<p>Oberhaus hält davon wenig. „Wir können ein Werk nicht einfach über den Atlantik tragen. Die \
Fachkräfte, die unsere Getriebe bauen, sitzen hier“, sagt sie. Kurzfristig setzt das \
Unternehmen auf neue Kunden in Skandinavien und Südostasien sowie auf Ersatzteil- und \
Wartungsverträge, die weniger schwanken als das Neugeschäft.</p>
<p>Die Industrie- und Handelskammer fordert von Berlin und Brüssel eine gemeinsame Linie. \
Gegenzölle, warnt ihr Hauptgeschäftsführer, würden vor allem die Zulieferer treffen, die auf \
amerikanische Bauteile angewiesen seien. Sinnvoller seien Gespräche über einen Abbau der \
Industriezölle auf beiden Seiten des Atlantiks.</p>
<p>Bei Brackwede Antriebstechnik will man die nächsten Wochen abwarten. Kurzarbeit sei derzeit \
kein Thema, sagt Oberhaus. Die Auftragsbücher reichten noch bis in den Sommer.</p>
</article>
<aside class="hk-mehr"><h2>Mehr aus der Wirtschaft</h2><ul>
<li><a href="/wirtschaft/hafen-bremen-umschlag">Hafenumschlag in Bremen stagniert</a></li>
<li><a href="/wirtschaft/energiepreise-mittelstand">Mittelstand klagt über Energiepreise</a></li>
</ul></aside>
</main>
<footer><a href="/impressum">Impressum</a> · <a href="/datenschutz">Datenschutz</a> · <a href="/agb">AGB</a> · © 2025 Hansekurier Verlag</footer>
</body>
</html>
"""


def _northgate(title: str, url: str, author: str, date: str, date_text: str, body: str) -> str:
    head = _NORTHGATE_HEAD.format(title=title, url=url, author=author, date=date, date_text=date_text)
    return head + body + _NORTHGATE_FOOT


_SCRAMBLE_URL = "https://www.northgatetimes.example/economy/2025/04/08/inside-the-scramble-for-tariff-talks"
_EXPLAINER_URL = "https://www.northgatetimes.example/economy/2025/04/09/what-a-deal-with-seoul-could-include"
_GERMAN_URL = "https://www.hansekurier.example/wirtschaft/maschinenbau-ostwestfalen-us-zoelle"

# (target URI, WARC-Date, HTML) for each response, in file order.
WARC_PAGES: tuple[tuple[str, str, str], ...] = (
    (
        _SCRAMBLE_URL,
        "2025-04-09T14:02:11Z",
        _northgate(
            "Inside the scramble to get in line for tariff talks",
            _SCRAMBLE_URL,
            "Leo Marchetti",
            "2025-04-08T21:30:00-04:00",
            "April 8, 2025",
            _SCRAMBLE_BODY,
        ),
    ),
    (
        "https://www.hansekurier.example/wirtschaft/maschinenbau-ostwestfalen-us-zoelle",
        "2025-04-09T14:02:40Z",
        _GERMAN_PAGE,
    ),
    (
        _EXPLAINER_URL,
        "2025-04-09T14:03:05Z",
        _northgate(
            "What a deal with Seoul could include: ships, gas, cars and troops",
            _EXPLAINER_URL,
            "Priyanka Dole",
            "2025-04-09T07:00:00-04:00",
            "April 9, 2025",
            _EXPLAINER_BODY,
        ),
    ),
)


# --------------------------------------------------------------------------------------
# The windows-1252 page (Coastal Dispatch)
# --------------------------------------------------------------------------------------

COASTAL_DISPATCH_HTML = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252" />
<title>Trump says South Korean team ‘on a plane’ as tariff talks begin — Coastal Dispatch</title>
<meta name="author" content="Renata Duarte" />
<meta property="og:site_name" content="Coastal Dispatch" />
<meta property="og:title" content="Trump says South Korean team ‘on a plane’ as tariff talks begin" />
<meta property="article:published_time" content="2025-04-08T16:52:00-07:00" />
<link rel="canonical" href="https://www.coastaldispatch.example/business/2025/04/08/south-korea-team-on-a-plane" />
<style type="text/css">.cd-share a{margin-right:8px}.cd-related li{list-style:square}</style>
<script type="text/javascript">var _cdq = _cdq || []; _cdq.push(["section", "business"]);</script>
</head>
<body>
<table class="cd-top" width="100%"><tr>
<td><a href="/">Coastal Dispatch</a></td>
<td>Serving the Central Coast since 1961</td>
<td><a href="/subscribe">Subscribe</a> • <a href="/eedition">e-Edition</a> • <a href="/weather">Weather: 61° Fog</a></td>
</tr></table>
<div class="cd-nav"><a href="/local">Local</a> | <a href="/business">Business</a> | <a href="/agriculture">Ag &amp; Water</a> | <a href="/sports">Sports</a> | <a href="/entertainment">Things to Do</a> | <a href="/opinion">Opinion</a> | <a href="/classifieds">Classifieds</a></div>
<div id="content">
<div class="cd-story">
<h1>Trump says South Korean team ‘on a plane’ as tariff talks begin</h1>
<div class="cd-byline">By Renata Duarte | Coastal Dispatch<br />April 8, 2025 — 4:52 p.m.</div>
<div class="cd-share"><a href="#">Facebook</a><a href="#">X</a><a href="#">Email</a><a href="#">Print</a> <span>Comments (14)</span></div>
<div class="cd-photo"><img src="/photos/2025/0408/port-cranes.jpg" alt="" /><p class="cd-caption">Cranes at the Port of Carrow Bay, where exporters rushed cargo this week. — Photo by Tomás Velarde / Coastal Dispatch</p></div>
<p>President Donald Trump said Tuesday that South Korea had dispatched its top negotiators to Washington, the clearest signal yet that his administration is ready to bargain over the sweeping import duties he announced last week.</p>
<p>“Just had a great call with the Acting President of South Korea … Their top TEAM is on a plane heading to the U.S., and things are looking good,” Trump wrote on Truth Social, his social media platform.</p>
<p>The post landed as investors were searching for any sign that the White House might soften its stance. Stocks opened sharply higher on the East Coast before fading through the afternoon, and the yield on the 10-year Treasury note climbed for a second day.</p>
<p>Dana Whitlock, chief economist at Brightwater Capital in San Luis Obispo, said the swings reflected hope more than information.</p>
<p>“Markets are pricing in a deal that has not been written yet, and that is a dangerous place to be for anyone holding exporters’ shares,” Whitlock said.</p>
<p>South Korea is one of the Central Coast’s most dependable customers. Hay, citrus, wine grapes and beef grown within a day’s drive of the coast end up on Korean tables, and the county agricultural commissioner, Walter Ngata, estimates that Korean buyers took nearly a quarter of the area’s hay exports last year.</p>
<p>“Our growers don’t set tariffs — they live with whatever happens after them,” Ngata said. “If Seoul answers with duties of its own, it is hay and oranges that get hit first, not airplanes.”</p>
<p>At a packing house outside Santa Inés, manager Luis Ybarra said two Korean buyers had asked him this week to hold shipments until the talks produce something firmer. “They are not cancelling. They are waiting,” he said. “But fruit doesn’t wait.”</p>
<p>White House officials said negotiators from Japan were expected later in the month, and that dozens of other governments had asked for meetings. No schedule for talks with Europe or China has been announced.</p>
<p class="cd-tagline">Renata Duarte covers business and the regional economy. Email her at rduarte@coastaldispatch.example.</p>
</div>
<div class="cd-related"><h3>Related Stories</h3><ul>
<li><a href="/business/2025/04/07/hay-exporters-brace">Hay exporters brace for retaliation</a></li>
<li><a href="/local/2025/04/06/carrow-bay-overflow-lot">Carrow Bay asks to keep overflow lot open</a></li>
<li><a href="/opinion/2025/04/05/editorial-tariffs">Editorial: Tariffs are a tax on the coast</a></li>
</ul></div>
</div>
<div class="cd-footer">© 2025 Coastal Dispatch Publishing — All rights reserved. | <a href="/privacy">Privacy</a> | <a href="/terms">Terms of Use</a> | <a href="/contact">Contact Us</a></div>
</body>
</html>
"""


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def _jsonl(records: tuple[dict[str, Any], ...]) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _gzip(data: bytes) -> bytes:
    """Gzip with no file name and ``mtime=0``, so the bytes depend only on ``data``."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_UUID_NS, '|'.join(parts))}>"


def _warc() -> bytes:
    """The crawl: ``warcinfo``, one ``request``, then the HTML ``response`` records.

    Record ids and dates are fixed (warcio would stamp random uuids and the clock).
    """
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.0")

    info = (
        b"software: corpuskit scripts/make_samples.py\r\n"
        b"format: WARC File Format 1.0\r\n"
        b"description: sample crawl for the corpuskit quickstart\r\n"
        b"robots: obey\r\n"
    )
    writer.write_record(
        writer.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(info),
            length=len(info),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Record-ID": _record_id("warcinfo"),
                "WARC-Date": "2025-04-09T14:02:00Z",
                "WARC-Filename": "crawl.warc.gz",
            },
        )
    )

    first_url, first_date, _ = WARC_PAGES[0]
    host = first_url.split("/")[2]
    path = "/" + first_url.split("/", 3)[3]
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "User-Agent: corpuskit-samples/1.0 (+https://corpuskit.example/bot)\r\n"
        "Accept: text/html,application/xhtml+xml\r\n"
        "Accept-Language: en-US,en;q=0.8\r\n"
        "\r\n"
    ).encode()
    writer.write_record(
        writer.create_warc_record(
            first_url,
            "request",
            payload=io.BytesIO(request),
            length=len(request),
            warc_headers_dict={
                "WARC-Record-ID": _record_id("request", first_url),
                "WARC-Date": first_date,
            },
        )
    )

    for url, date, html in WARC_PAGES:
        body = html.encode("utf-8")
        http_headers = StatusAndHeaders(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Server", "nginx"),
                ("Cache-Control", "max-age=300"),
            ],
            protocol="HTTP/1.1",
        )
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http_headers,
                warc_headers_dict={"WARC-Record-ID": _record_id("response", url), "WARC-Date": date},
            )
        )
    return buf.getvalue()


def build(out_dir: Path) -> list[Path]:
    """Write every file in :data:`GENERATED` under ``out_dir``; return their paths."""
    contents: dict[str, bytes] = {
        "wire.jsonl": _jsonl(WIRE),
        "feed.jsonl.gz": _gzip(_jsonl(FEED)),
        "crawl.warc.gz": _warc(),
        "sites/coastal-dispatch/south-korea-team-on-a-plane.html": COASTAL_DISPATCH_HTML.encode("cp1252"),
    }
    assert tuple(contents) == GENERATED
    written = []
    for rel, data in contents.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "samples"
    for path in build(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
