"""corpuskit on Apache Spark: the local engine's decisions, computed on a cluster.

:func:`run_spark` is ``corpuskit run --engine spark``: the same inputs give the same output
files, byte for byte, as :func:`corpuskit.pipeline.run`. :func:`process_dataframe` does the
same work for a Spark job that already has its articles in a DataFrame. Every decision is
made by the code the local engine runs; Spark only decides *where* it runs:

1. **read**: one task per input file (executors open the files themselves, so on a
   cluster the inputs must be on a filesystem every executor mounts). Record ids are made
   unique and records numbered across files exactly as one sequential reader would.
2. **prepare**, **finish**: :func:`~corpuskit.stages.prepare_document` and
   :func:`~corpuskit.stages.finish_document` in ``mapPartitions``, the same per-record
   calls the local engine's worker processes make.
3. **template lines**: a distributed count of ``(site, line hash)`` over the plain-text
   pages, reduced per line hash so that a line two sites share is never template; the
   small result is broadcast to the finish stage.
4. **near-duplicates**: exact groups by a shuffle on the text hash; LSH candidates by a
   shuffle on ``(banding, band, band key)`` (the self-join of the band table); signature
   agreement and exact shingle overlap are checked on the executors, after two joins that
   bring each candidate pair its two documents' signatures and shingle sets. The verified
   overlaps (one per duplicate relation: small) are collected, and the driver runs
   :func:`corpuskit.dedup.resolve_clusters`, the local engine's own greedy, no-chaining
   clustering and keep policy, on just the documents concerned; the decisions are
   broadcast back.
5. **passages**: see :meth:`_Job.passages`.
6. **output**: records sorted by input position (a range partitioning on the record
   number: no sampling job), streamed to the driver and written with the local engine's
   writers; or DataFrames (and Parquet), written by the executors.

No pandas or pyarrow is needed: records travel as pickled :class:`Document` objects, as
they do between the local engine's worker processes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import islice
from operator import add, itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..config import DedupConfig, RunConfig
from ..dedup import (
    DEDUP_WORK_KEYS,
    Overlap,
    OverlapVerifier,
    agreement_floor,
    banding,
    doc_text_key,
    doc_words,
    keep_key,
    linked_roots,
    resolve_clusters,
    shingle_overlap,
)
from ..errors import ConfigError, CorpuskitError, RejectedRecordError
from ..lsh import band_keys, run_pairs
from ..normalise import fold_text
from ..passages import drop_passages, find_passages
from ..pipeline import (
    Progress,
    RunResult,
    manifest_head,
    output_names,
    write_documents,
    write_report_and_manifest,
)
from ..readers import Discovered, discover_inputs, make_unique, read_inputs, record_authors, record_body, rename
from ..records import Document, Passage, PassageRef
from ..signatures import minhash_signature, shingle_hashes
from ..spill import TextSpill
from ..stages import LINES_KEY, finish_document, prepare_document, template_lines, template_site
from ..writers import prepare_output_dir, staged_output
from . import SPARK_INSTALL_HINT

try:
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T
except ImportError as e:  # pragma: no cover - the CLI checks before importing this module
    raise ImportError(f"the Spark engine needs pyspark: {SPARK_INSTALL_HINT}") from e

if TYPE_CHECKING:
    from pyspark import RDD, Broadcast, SparkContext
    from pyspark.sql import DataFrame

__all__ = [
    "DAEMON_MODULE",
    "DOCUMENT_SCHEMA",
    "PASSAGE_SCHEMA",
    "process_dataframe",
    "row_document",
    "run_spark",
    "spark_session",
]

_KEEP = StorageLevel.MEMORY_AND_DISK
_STAGE_DIR = ".corpuskit-spark"  # hidden: directory walks skip it
_OUT_PARTITION_DOCS = 20_000  # records per partition when streaming output to the driver
_BAND_BATCH = 8192  # representatives banded at once on an executor
_SUFFIXED = re.compile(r"~\d+$")

DAEMON_MODULE = "corpuskit.engines.spark"
"""Value for ``spark.python.daemon.module``: the process that forks Spark's Python workers
imports corpuskit and loads its compiled kernels once, so a new worker starts warm instead
of spending seconds on imports (set by default for local sessions; see the README (Spark) for a
cluster, where the executors' Python must have corpuskit installed)."""

# A new local session: loopback only, no web UI, warm Python workers.
_LOCAL_CONF = {
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",  # large task results are fetched from this address
    "spark.ui.enabled": "false",
    "spark.log.level": "ERROR",
    "spark.python.daemon.module": DAEMON_MODULE,
    # Local mode keeps every executor's cache in the driver JVM (default 1 GiB).
    "spark.driver.memory": "2g",
}


# ---------------------------------------------------------------------------------------
# session
# ---------------------------------------------------------------------------------------


def spark_session(master: str | None = "local[2]", conf: Mapping[str, str] | None = None) -> SparkSession:
    """The active Spark session, else a new one for ``master`` with ``conf``.

    An active session (inside ``spark-submit``, a notebook, a test fixture) is used as it
    is: its master and settings win. A new ``local[...]`` session binds to 127.0.0.1, has
    no web UI and, unless ``PYSPARK_PYTHON`` says otherwise, runs its Python workers with
    this interpreter (so they import the same corpuskit). Raises :class:`CorpuskitError` when Spark cannot start (no Java, a bad
    master URL).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings = {"spark.ui.showConsoleProgress": "false"}
    builder = SparkSession.builder.appName("corpuskit")
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            settings.update(_LOCAL_CONF)
            # pyspark starts its workers with $PYSPARK_PYTHON, else whatever "python3" is
            # on PATH, which may not have corpuskit: default it to this interpreter.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as e:  # pyspark raises several kinds for a missing JVM or a bad URL
        raise CorpuskitError(
            f"cannot start Spark (master {master or 'from spark-submit'}): {_first_line(e)}; "
            "Spark needs Java 17 or 21 (java on PATH or JAVA_HOME)"
        ) from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _partitions(sc: SparkContext, partitions: int | None) -> int:
    if partitions is None:
        return max(2, 2 * sc.defaultParallelism)
    if partitions < 1:
        raise ConfigError("partitions must be >= 1")
    return partitions


# ---------------------------------------------------------------------------------------
# reading and numbering
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ReadTask:
    """One input file; ``records`` holds stdin's records, read on the driver."""

    file: int
    path: str
    arg: str
    records: tuple[Document, ...] | None = None


def _read_options(cfg: RunConfig) -> dict[str, Any]:
    return {
        "max_doc_bytes": cfg.max_doc_bytes,
        "max_input_bytes": cfg.max_input_bytes,
        "max_compression_ratio": cfg.max_compression_ratio,
    }


def _read_task(task: _ReadTask, cfg: RunConfig) -> Iterator[tuple[int, Document]]:
    """The file's records as ``(file, record)``, ``order`` counted within the file and the
    id as given: uniqueness is a property of the whole input, settled by :func:`_number`."""
    if task.records is not None:
        records: Iterable[Document] = task.records
    else:
        found = Discovered(files=[(task.path, task.arg)], skipped=[])
        records = read_inputs([task.arg], discovered=found, **_read_options(cfg))
    for doc in records:
        given = doc.meta.pop("given_id", None)
        if given is not None:
            doc.id = given
        yield task.file, doc


def _unique_ids(rows: Iterable[tuple[int, str]]) -> dict[int, str]:
    """New ids, by record number, of the records a sequential reader renames.

    ``rows`` are ``(record number, given id)`` of every record whose id is given more than
    once or looks like a renamed one (``x~2``): no other record can be renamed or collide
    with a new name, since new names always end in ``~N``.
    """
    seen: dict[str, int] = {}
    renamed: dict[int, str] = {}
    for order, given in sorted(rows):
        doc = Document(id=given, source="")
        make_unique(doc, seen)
        if doc.id != given:
            renamed[order] = doc.id
    return renamed


def _record_key(item: tuple[int, Document]) -> tuple[int, int, str]:
    return item[0], item[1].order, item[1].id


def _tallies(key: tuple[int, int, str]) -> tuple[tuple[tuple[int, int | str], int], ...]:
    """One record counts once for its file (tag 0) and once for its id (tag 1)."""
    return ((0, key[0]), 1), ((1, key[2]), 1)


def _wanted_tally(item: tuple[tuple[int, int | str], int]) -> bool:
    """Every file's count; an id's only when it may be renamed (given twice, or like ``x~2``)."""
    (tag, name), n = item
    return tag == 0 or n > 1 or _SUFFIXED.search(str(name)) is not None


def _place(
    item: tuple[int, Document], offsets: Broadcast[dict[int, int]], renamed: Broadcast[dict[int, str]]
) -> Document:
    file, doc = item
    doc.order = offsets.value[file] + doc.order
    new = renamed.value.get(doc.order)
    if new is not None:
        rename(doc, new)
    return doc


def _number(sc: SparkContext, records: RDD[tuple[int, Document]], broadcasts: list[Any]) -> tuple[RDD[Document], int]:
    """Records with their position in the whole input and unique ids, and how many there are.

    One job counts records per file and per id over ``(file, position, id)`` only; a
    second, only when some id is given twice, fetches those records' positions. The
    records themselves are read again by the next stage (reading is a small share of the
    per-record cost, and keeping raw input in Spark's storage would cost more).
    """
    keys = records.map(_record_key).persist(_KEEP)
    try:
        per_file: dict[int, int] = {}
        suspects: set[str] = set()
        for (tag, name), n in keys.flatMap(_tallies).reduceByKey(add).filter(_wanted_tally).collect():
            if tag == 0:
                per_file[int(name)] = n
            else:
                suspects.add(str(name))
        offsets: dict[int, int] = {}
        total = 0
        for f in sorted(per_file):
            offsets[f] = total
            total += per_file[f]
        bc_offsets = sc.broadcast(offsets)
        broadcasts.append(bc_offsets)
        renamed: dict[int, str] = {}
        if suspects:
            bc_suspects = sc.broadcast(frozenset(suspects))
            broadcasts.append(bc_suspects)
            rows = (
                keys.filter(lambda k: k[2] in bc_suspects.value)
                .map(lambda k: (bc_offsets.value[k[0]] + k[1], k[2]))
                .collect()
            )
            renamed = _unique_ids(rows)
    finally:
        keys.unpersist()
    bc_renamed = sc.broadcast(renamed)
    broadcasts.append(bc_renamed)
    return records.map(partial(_place, offsets=bc_offsets, renamed=bc_renamed)), total


# ---------------------------------------------------------------------------------------
# DataFrame rows
# ---------------------------------------------------------------------------------------

_ROW_FIELDS = frozenset({"id", "text", "html", "url", "title", "date", "authors", "author", "source"})


def _scalar(v: object) -> str | None:
    if v is None:
        return None
    s = v.isoformat() if isinstance(v, (date, datetime)) else str(v)
    return s.strip() or None


def _json_default(v: object) -> str:
    return v.isoformat() if isinstance(v, (date, datetime)) else str(v)


def row_document(
    row: Mapping[str, Any], index: int, *, source: str = "dataframe", max_doc_bytes: int = 20_000_000
) -> Document:
    """A DataFrame row as a record, read the way a JSONL line is.

    ``text`` (else ``html``) is the body; ``id``, ``url``, ``title``, ``date`` and
    ``authors`` (a list, or names separated by ``;``) are taken as in JSONL; a ``source``
    column names the record's source (default ``source``); other non-null columns go to
    ``meta["input"]``. ``index`` is the row's position (0-based): the record is line
    ``index + 1`` of its source, which names it when there is no ``id``. Dates may be
    strings or ``date``/``datetime`` values (written in ISO 8601).

    >>> d = row_document({"id": "a1", "text": "Rain.", "date": date(2025, 4, 8), "desk": "metro"}, 0)
    >>> d.id, d.raw, d.date, d.meta
    ('a1', 'Rain.', '2025-04-08', {'input': {'desk': 'metro'}})
    >>> row_document({"title": "no body"}, 6).reject_reason
    'no text or html field (dataframe:7)'
    """
    src = _scalar(row.get("source")) or source
    line = index + 1
    raw_id = row.get("id")
    doc_id = str(raw_id) if raw_id not in (None, "") else f"{src}:{line}"
    doc = Document(id=doc_id, source=src, source_line=line)
    doc.input_format = "jsonl"  # template lines: a row without a URL has no site, like a JSONL record
    doc.order = index
    found = record_body(row)
    if found is None:
        return doc.reject("no text or html field")
    if len(found[0].encode("utf-8")) > max_doc_bytes:
        return doc.reject(f"too large: over max_doc_bytes={max_doc_bytes}")
    doc.raw, doc.raw_kind = found
    doc.url = _scalar(row.get("url"))
    doc.title = _scalar(row.get("title"))
    doc.date = _scalar(row.get("date"))
    doc.authors = record_authors(row.get("authors", row.get("author")))
    extra = {k: v for k, v in row.items() if k not in _ROW_FIELDS and v is not None}
    if extra:
        doc.meta["input"] = json.loads(json.dumps(extra, ensure_ascii=True, default=_json_default))
    return doc


def _row_record(item: tuple[Any, int], source: str, max_doc_bytes: int) -> tuple[int, Document]:
    row, index = item
    return 0, row_document(row.asDict(recursive=True), index, source=source, max_doc_bytes=max_doc_bytes)


# ---------------------------------------------------------------------------------------
# per-record stages
# ---------------------------------------------------------------------------------------


def _prepare_part(docs: Iterable[Document], cfg: RunConfig) -> Iterator[Document]:
    for d in docs:
        yield prepare_document(d, cfg)


def _page_lines(docs: Iterable[Document]) -> Iterator[tuple[int, tuple[str | None, int]]]:
    """``(line hash, (site, 1))`` for each distinct non-blank line of each page."""
    for d in docs:
        site = template_site(d)
        if site is not None:
            for h in template_lines(d).tolist():
                yield h, (site, 1)


def _merge_line(a: tuple[str | None, int], b: tuple[str | None, int]) -> tuple[str | None, int]:
    """Pages of one line hash: summed for one site; ``(None, 0)`` once two sites have it."""
    if a[0] is None or a[0] != b[0]:
        return None, 0
    return a[0], a[1] + b[1]


def _template_line(item: tuple[int, tuple[str | None, int]], need: int) -> Iterator[tuple[str, int]]:
    h, (site, pages) = item
    if site is not None and pages >= need:
        yield site, h


def _finish_part(
    docs: Iterable[Document], cfg: RunConfig, templates: Broadcast[dict[str, frozenset[int]]]
) -> Iterator[Document]:
    tpl = templates.value
    for d in docs:
        d.work.pop(LINES_KEY, None)  # counted into the templates already
        if cfg.boilerplate.enabled and (site := template_site(d)) is not None:
            d.work["site"] = site
        yield finish_document(d, cfg, tpl.get(d.work.get("site", ""), frozenset()))


def _is_rejected(doc: Document) -> bool:
    return doc.status == "rejected"


def _rejection(doc: Document) -> tuple[int, str, str, int | None]:
    return doc.order, doc.source, doc.reject_reason or "rejected", doc.source_line


def _raise_first_rejected(docs: RDD[Document]) -> None:
    """``strict``: stop at the first rejected record in input order, as the local engine does."""
    first = docs.filter(_is_rejected).map(_rejection).takeOrdered(1)
    if first:
        _, source, reason, line = first[0]
        raise RejectedRecordError(source, reason, line)


# ---------------------------------------------------------------------------------------
# near-duplicates
# ---------------------------------------------------------------------------------------

# One exact group after ranking: (representative's record number, members in keep order).
_Ranked = tuple[int, list[tuple[Document, int]]]
_Member = tuple[Document, int]  # (skeleton, words)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _skeleton(d: Document) -> Document:
    """What the keep policy and the cluster marks need of a record (no text)."""
    return Document(id=d.id, source=d.source, url=d.url, date=d.date, sitename=d.sitename, order=d.order)


def _group_records(docs: Iterable[Document]) -> Iterator[tuple[bytes, _Member]]:
    """Per kept record: its exact-group key, skeleton and words."""
    for d in docs:
        if d.status == "kept":
            yield doc_text_key(d), (_skeleton(d), doc_words(d))


def _member_key(m: _Member, cfg: DedupConfig) -> tuple[Any, ...]:
    # keep_key ends with the id, which is unique; the record number only keeps the sort total.
    return keep_key(m[0], cfg, m[1]), m[0].order


def _rank_group(item: tuple[bytes, list[_Member]], cfg: DedupConfig) -> _Ranked:
    members = sorted(item[1], key=partial(_member_key, cfg=cfg))
    return members[0][0].order, members


def _in_sorted(values: np.ndarray, x: int) -> bool:
    k = int(np.searchsorted(values, x))
    return k < values.size and int(values[k]) == x


def _is_rep(d: Document, copies: Broadcast[np.ndarray]) -> bool:
    """A kept record that stands for its exact group (every copy but the first is left out)."""
    return d.status == "kept" and not _in_sorted(copies.value, d.order)


def _signature(d: Document, cfg: DedupConfig) -> np.ndarray:
    sig = d.work.get("sig")
    if sig is None or len(sig) != cfg.num_perm:
        sig = minhash_signature(fold_text(d.text), num_perm=cfg.num_perm, shingle=cfg.shingle, seed=cfg.seed)
    return np.asarray(sig, dtype=np.uint32)


_Block = tuple[np.ndarray, np.ndarray, np.ndarray]  # band tags, band keys, record numbers


def _band_blocks(reps: Iterable[Document], cfg: DedupConfig, parts: int) -> Iterator[tuple[int, _Block]]:
    """The band table of the representatives, as arrays routed by bucket: ``(partition,
    (tags, keys, records))`` where a tag names the banding and the band. Equal buckets
    land in one partition, so the self-join on ``(tag, key)`` is local to it."""
    near, teaser = banding(cfg)
    it = iter(reps)
    while batch := list(islice(it, _BAND_BATCH)):
        sigs = np.stack([_signature(d, cfg) for d in batch])
        orders = np.array([d.order for d in batch], dtype=np.int64)
        tags, keys = [], []
        for which, (bands, rows) in enumerate((near, teaser)):
            for band in range(bands):
                tags.append(np.full(len(batch), which << 16 | band, dtype=np.uint64))
                keys.append(band_keys(sigs, band, rows))
        tag, key = np.concatenate(tags), np.concatenate(keys)
        rec = np.tile(orders, len(tags))
        with np.errstate(over="ignore"):
            dest = ((key ^ (tag * _GOLDEN)) % np.uint64(parts)).astype(np.int64)
        for p in np.unique(dest).tolist():
            m = dest == p
            yield p, (tag[m], key[m], rec[m])


def _pairs_in_runs(run_start: np.ndarray, ids: np.ndarray, n_records: int) -> np.ndarray:
    """Codes ``lo * n_records + hi`` of every pair of ``ids`` within a run (``run_start[k]``:
    element ``k`` starts a new run), unique and sorted."""
    return np.unique(run_pairs(run_start, ids, n_records))


def _bucket_pairs(blocks: Iterable[tuple[int, _Block]], n_records: int, parts: int) -> Iterator[tuple[int, np.ndarray]]:
    """Candidate pairs of one partition's buckets, routed by pair for the global ``distinct``."""
    got = [b for _, b in blocks]
    if not got:
        return
    tag = np.concatenate([b[0] for b in got])
    key = np.concatenate([b[1] for b in got])
    rec = np.concatenate([b[2] for b in got])
    order = np.lexsort((key, tag))
    tag, key, rec = tag[order], key[order], rec[order]
    run_start = np.ones(rec.size, dtype=bool)
    run_start[1:] = (tag[1:] != tag[:-1]) | (key[1:] != key[:-1])
    codes = _pairs_in_runs(run_start, rec, n_records)
    dest = codes % parts
    for p in np.unique(dest).tolist():
        yield p, codes[dest == p]


def _unique_codes(blocks: Iterable[tuple[int, np.ndarray]]) -> Iterator[np.ndarray]:
    got = [c for _, c in blocks]
    if got:
        yield np.unique(np.concatenate(got))


def _endpoints(codes: np.ndarray, n_records: int) -> np.ndarray:
    return np.unique(np.concatenate([codes // n_records, codes % n_records]))


def _code_pairs(codes: np.ndarray, n_records: int) -> Iterator[tuple[int, int]]:
    return zip((codes // n_records).tolist(), (codes % n_records).tolist(), strict=True)


def _payload(d: Document, cfg: DedupConfig) -> tuple[int, tuple[bytes, bytes, _Member]]:
    """What verification needs of a representative: signature, exact shingle set, skeleton."""
    sets = shingle_hashes(fold_text(d.text), cfg.shingle)
    return d.order, (_signature(d, cfg).tobytes(), sets.tobytes(), (_skeleton(d), doc_words(d)))


def _verify(
    rows: Iterable[tuple[int, tuple[tuple[int, tuple[bytes, bytes, _Member]], tuple[bytes, bytes, _Member]]]],
    cfg: DedupConfig,
    min_agreeing: int,
) -> Iterator[tuple[Overlap, _Member, _Member]]:
    """Candidate pairs → verified overlaps (with both representatives): the local checks, in order."""
    for j, ((i, (sig_i, set_i, rep_i)), (sig_j, set_j, rep_j)) in rows:
        agree = np.count_nonzero(np.frombuffer(sig_i, np.uint32) == np.frombuffer(sig_j, np.uint32))
        if agree < min_agreeing:
            continue
        o = shingle_overlap(i, j, int(agree), np.frombuffer(set_i, np.uint64), np.frombuffer(set_j, np.uint64), cfg)
        if o is not None:
            yield o, rep_i, rep_j


def _identity(p: int) -> int:
    return p


def _swap_to_j(kv: tuple[int, tuple[int, Any]]) -> tuple[int, tuple[int, Any]]:
    i, (j, payload_i) = kv
    return j, (i, payload_i)


def _containment_components(overlaps: Sequence[Overlap], cfg: DedupConfig) -> set[int]:
    """Every document connected to a containment (a pair related only by one being inside
    the other): the clustering may compare a truncated copy with any head of its component,
    beyond its own pairs, so these are the shingle sets the driver must have."""
    find = linked_roots((o.i, o.j) for o in overlaps)
    roots = {find(o.i) for o in overlaps if o.common / (o.size_i + o.size_j - o.common) < cfg.threshold}
    return {x for o in overlaps for x in (o.i, o.j) if find(x) in roots}


_Decision = tuple[Any, ...]


def _by_rank(o: Overlap, index: Mapping[int, int]) -> Overlap:
    """``o`` between representatives by rank (``i < j``), not by record number."""
    i, j = index[o.i], index[o.j]
    return (
        Overlap(i, j, o.agree, o.common, o.size_i, o.size_j)
        if i < j
        else Overlap(j, i, o.agree, o.common, o.size_j, o.size_i)
    )


def _decision(d: Document) -> _Decision:
    return d.status, d.duplicate_of, d.similarity, d.dup_kind, d.cluster_id, d.cluster_size, d.keep_reason


def _resolve(
    picked: Iterable[tuple[int, list[tuple[Document, int]]]],
    overlaps: Sequence[Overlap],
    sets: Mapping[int, bytes],
    cfg: DedupConfig,
) -> dict[int, _Decision]:
    """Driver side: the local clustering over the groups that have copies or overlaps.

    Groups are put in the local engine's rank order (their best member's keep key), so
    representative indices keep their relative order and every tie breaks the same way.
    """
    ranked = sorted(picked, key=lambda g: _member_key(g[1][0], cfg))
    live: list[Document] = []
    words: list[int] = []
    groups: list[list[int]] = []
    index: dict[int, int] = {}
    for r, (rep, members) in enumerate(ranked):
        index[rep] = r
        groups.append(list(range(len(live), len(live) + len(members))))
        for skel, w in members:
            live.append(skel)
            words.append(w)
    ranks = [_by_rank(o, index) for o in overlaps]
    pairs = np.array([(o.i, o.j) for o in ranks], dtype=np.int64).reshape(-1, 2)
    agree = np.array([o.agree for o in ranks], dtype=np.int64)
    verifier = OverlapVerifier(ranks, {index[k]: np.frombuffer(v, dtype=np.uint64) for k, v in sets.items()})
    resolve_clusters(live, words, groups, pairs, agree, verifier, cfg)
    return {d.order: _decision(d) for d in live if d.status == "duplicate" or d.cluster_id is not None}


def _apply_decisions(doc: Document, decisions: Broadcast[dict[int, _Decision]]) -> Document:
    for key in DEDUP_WORK_KEYS:  # consumed, as the local deduplicate does
        doc.work.pop(key, None)
    dec = decisions.value.get(doc.order)
    if dec is not None:
        (
            doc.status,
            doc.duplicate_of,
            doc.similarity,
            doc.dup_kind,
            doc.cluster_id,
            doc.cluster_size,
            doc.keep_reason,
        ) = dec
    return doc


# ---------------------------------------------------------------------------------------
# passages
# ---------------------------------------------------------------------------------------


def _passage_candidate(doc: Document) -> bool:
    return doc.status == "kept" and bool(doc.text)


def _passage_view(d: Document) -> Document:
    """What passage finding reads of a record: identity, date and text."""
    return Document(id=d.id, source=d.source, source_line=d.source_line, date=d.date, text=d.text, order=d.order)


_PassageUpdate = tuple[list[PassageRef], str | None, list[dict[str, Any]] | None]


def _apply_passages(doc: Document, updates: Broadcast[dict[int, _PassageUpdate]]) -> Document:
    up = updates.value.get(doc.order)
    if up is not None:
        refs, text, dropped = up
        doc.passages = refs
        if text is not None:
            doc.text = text
        if dropped is not None:
            doc.meta["dropped_passages"] = dropped
    return doc


# ---------------------------------------------------------------------------------------
# the job
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    """One run's stages over an RDD of records, and what they leave to clean up."""

    sc: SparkContext
    cfg: RunConfig
    parts: int
    tick: Progress
    timings: dict[str, float] = field(default_factory=dict)
    broadcasts: list[Any] = field(default_factory=list)
    cached: list[Any] = field(default_factory=list)

    def timed(self, stage: str, t0: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - t0, 3)

    def broadcast(self, value: Any) -> Broadcast[Any]:
        bc = self.sc.broadcast(value)
        self.broadcasts.append(bc)
        return bc

    def keep(self, rdd: RDD[Any]) -> RDD[Any]:
        self.cached.append(rdd.persist(_KEEP))
        return rdd

    def release(self) -> None:
        """Unpersist cached RDDs and destroy broadcasts (after the output is written)."""
        for rdd in self.cached:
            rdd.unpersist()
        for bc in self.broadcasts:
            bc.destroy()
        self.cached.clear()
        self.broadcasts.clear()

    def per_record(
        self,
        docs: RDD[Document],
        fn: Callable[[Iterable[Document]], Iterator[Document]],
        job: str,
        stage: str,
        tick: str,
        n: int,
    ) -> RDD[Document]:
        """A per-record stage, computed and kept now (timed as ``stage``); under ``strict``
        the first rejected record stops the run here."""
        t = time.perf_counter()
        self.sc.setJobDescription(f"corpuskit: {job}")
        out = self.keep(docs.mapPartitions(fn))
        out.count()
        self.timed(stage, t)
        self.tick(tick, n)
        if self.cfg.strict:
            _raise_first_rejected(out)
        return out

    def process(self, docs: RDD[Document], n: int) -> tuple[RDD[Document], list[Passage]]:
        """Every stage after reading: the final records (any order) and the passages."""
        cfg, sc = self.cfg, self.sc
        prepared = self.per_record(docs, partial(_prepare_part, cfg=cfg), "read and extract", "read+extract", "read", n)

        t = time.perf_counter()
        sc.setJobDescription("corpuskit: template lines")
        templates = self.broadcast(self.templates(prepared))
        self.timed("templates", t)

        finish = partial(_finish_part, cfg=cfg, templates=templates)
        finished = self.per_record(prepared, finish, "clean, language, signatures", "clean+lang+signatures", "clean", n)
        prepared.unpersist()

        t = time.perf_counter()
        sc.setJobDescription("corpuskit: near-duplicates")
        decisions = self.broadcast(self.dedup(finished, n) if cfg.dedup.enabled else {})
        deduped = finished.map(partial(_apply_decisions, decisions=decisions))
        self.timed("dedup", t)
        self.tick("dedup", n)

        t = time.perf_counter()
        sc.setJobDescription("corpuskit: passages")
        passages, updates = self.passages(deduped)
        final = deduped.map(partial(_apply_passages, updates=self.broadcast(updates))) if updates else deduped
        self.timed("passages", t)
        self.tick("passages", len(passages))
        return final, passages

    def templates(self, prepared: RDD[Document]) -> dict[str, frozenset[int]]:
        """Lines each site repeats on ``template_min_pages`` pages and no other site has."""
        bp = self.cfg.boilerplate
        if not bp.enabled:
            return {}
        lines = prepared.mapPartitions(_page_lines).reduceByKey(_merge_line, self.parts)
        per_site = lines.flatMap(partial(_template_line, need=bp.template_min_pages)).groupByKey()
        return {site: frozenset(hashes) for site, hashes in per_site.collect()}

    def dedup(self, finished: RDD[Document], n: int) -> dict[int, _Decision]:
        """Decisions (by record number) for every record that is a duplicate or keeps one."""
        d, parts = self.cfg.dedup, self.parts
        # 1. exact groups (small records: skeletons); the copies are left out of the search.
        groups = finished.mapPartitions(_group_records).groupByKey(parts).map(partial(_rank_group, cfg=d))
        picked = dict(groups.filter(lambda g: len(g[1]) > 1).collect())
        copies = self.broadcast(np.array(sorted(m[0].order for g in picked.values() for m in g[1:]), dtype=np.int64))
        reps = finished.filter(partial(_is_rep, copies=copies))

        # 2. candidate pairs: band arrays shuffled by bucket, pairs shuffled by pair.
        codes = self.keep(
            reps.mapPartitions(partial(_band_blocks, cfg=d, parts=parts))
            .partitionBy(parts, _identity)
            .mapPartitions(partial(_bucket_pairs, n_records=n, parts=parts))
            .partitionBy(parts, _identity)
            .mapPartitions(_unique_codes)
        )
        ends = codes.map(partial(_endpoints, n_records=n)).collect()
        involved = self.broadcast(np.unique(np.concatenate(ends)) if ends else np.zeros(0, dtype=np.int64))

        # 3. verification where the records are, after two joins on the pairs' ends.
        payload = self.keep(
            reps.filter(lambda doc: _in_sorted(involved.value, doc.order)).map(partial(_payload, cfg=d))
        )
        found = (
            codes.flatMap(partial(_code_pairs, n_records=n))
            .join(payload, parts)
            .map(_swap_to_j)
            .join(payload, parts)
            .mapPartitions(partial(_verify, cfg=d, min_agreeing=agreement_floor(d)))
            .collect()
        )
        overlaps = [o for o, _, _ in found]
        for o, rep_i, rep_j in found:
            picked.setdefault(o.i, [rep_i])
            picked.setdefault(o.j, [rep_j])
        sets: dict[int, bytes] = {}
        need = _containment_components(overlaps, d)
        if need:
            wanted = self.broadcast(need)
            sets = dict(payload.filter(lambda kv: kv[0] in wanted.value).map(lambda kv: (kv[0], kv[1][1])).collect())
        codes.unpersist()
        payload.unpersist()
        return _resolve(picked.items(), overlaps, sets, d)

    def passages(self, deduped: RDD[Document]) -> tuple[list[Passage], dict[int, _PassageUpdate]]:
        """Passages, and the per-record changes they make (spans; text in ``drop`` mode).

        Passage finding runs on the driver over the kept records: its units are grouped
        greedily across the whole batch, so (unlike near-duplicates) there is no small
        summary to collect instead. Texts arrive partition by partition and wait in a spill
        file; passage state goes to scratch files beside it (the driver's temporary
        directory), so the driver's memory holds records, not texts.
        """
        pc = self.cfg.passages
        if pc.mode == "off":
            return [], {}
        with tempfile.TemporaryDirectory(prefix="corpuskit-passages-") as tmp, TextSpill(tmp) as spill:
            rows = deduped.filter(_passage_candidate).map(_passage_view).toLocalIterator(prefetchPartitions=True)
            kept = [spill.park(d) for d in rows]
            passages = find_passages(kept, pc, scratch_dir=tmp)
            before = {d.order: d.parked for d in kept}
            if pc.mode == "drop":
                drop_passages(kept, passages)
            updates: dict[int, _PassageUpdate] = {}
            for d in kept:
                if not d.passages:
                    continue
                changed = d.parked is not before[d.order]  # drop_passages rewrote the text
                updates[d.order] = (d.passages, d.read_text() if changed else None, d.meta.get("dropped_passages"))
        return passages, updates


# ---------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------


def _order_of(d: Document) -> int:
    return d.order


def _range_part(order: int, per: int) -> int:
    return order // per


def _sorted_values(items: Iterable[tuple[int, Document]]) -> Iterator[Document]:
    for _, d in sorted(items, key=itemgetter(0)):
        yield d


def _in_order(docs: RDD[Document], n: int) -> RDD[Document]:
    """Records in input order: record numbers are dense, so a range partitioning needs no
    sampling job. Partitions of ``_OUT_PARTITION_DOCS`` records: the driver fetches one at
    a time, and each is sorted in one executor's memory."""
    parts = max(1, -(-n // _OUT_PARTITION_DOCS))
    per = max(1, -(-n // parts))
    keyed = docs.keyBy(_order_of).partitionBy(parts, partial(_range_part, per=per))
    return keyed.mapPartitions(_sorted_values)


class _Tally:
    """The manifest's counts, taken while the records stream past (same as the local engine's)."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.kinds: Counter[str | None] = Counter()
        self.reasons: Counter[str | None] = Counter()
        self.languages: Counter[str] = Counter()
        self.clusters = 0

    def add(self, d: Document) -> dict[str, Any]:
        self.status[d.status] += 1
        if d.status == "duplicate":
            self.kinds[d.dup_kind] += 1
        if d.status == "rejected":
            self.reasons[d.reject_code] += 1
        else:
            self.languages[d.lang or "null"] += 1
        if d.status == "kept" and d.cluster_id:
            self.clusters += 1
        return d.to_dict()

    def counts(self, passages: Sequence[Passage]) -> dict[str, Any]:
        s = self.status
        return {
            "read": sum(s.values()),
            "kept": s["kept"],
            "duplicate": s["duplicate"],
            "rejected": s["rejected"],
            "duplicate_by_kind": {k: self.kinds[k] for k in ("exact", "near", "contained")},
            "rejected_by_reason": dict(sorted((str(k), v) for k, v in self.reasons.items())),
            "clusters": self.clusters,
            "passages": len(passages),
            "passage_sources": sum(len(p.sources) for p in passages),
        }


def _document_schema() -> T.StructType:
    s, n = T.StringType(), T.LongType()
    ref = T.StructType(
        [T.StructField("passage_id", s, False), T.StructField("start", n, False), T.StructField("end", n, False)]
    )
    fields: list[tuple[str, T.DataType, bool]] = [("id", s, False), ("source", s, False), ("source_line", n, True)]
    fields += [(name, s, True) for name in ("url", "title", "date")]
    fields += [("authors", T.ArrayType(s, False), False)]
    fields += [(name, s, True) for name in ("sitename", "lang", "lang_reason")]
    fields += [
        ("text", s, False),
        ("status", s, False),
        ("duplicate_of", s, True),
        ("similarity", T.DoubleType(), True),
    ]
    fields += [("dup_kind", s, True), ("cluster_id", s, True), ("cluster_size", n, True)]
    fields += [("keep_reason", s, True), ("reject_reason", s, True)]
    fields += [("passages", T.ArrayType(ref, False), False), ("meta", s, False)]
    return T.StructType([T.StructField(name, kind, nullable) for name, kind, nullable in fields])


def _passage_schema() -> T.StructType:
    s, n = T.StringType(), T.LongType()
    canonical = T.StructType(
        [T.StructField("doc_id", s), T.StructField("start", n), T.StructField("end", n), T.StructField("reason", s)]
    )
    span = T.StructType(
        [
            T.StructField("doc_id", s, False),
            T.StructField("source", s, False),
            T.StructField("start", n, False),
            T.StructField("end", n, False),
            T.StructField("text", s, False),
            T.StructField("similarity", T.DoubleType(), False),
            T.StructField("diff", T.ArrayType(T.ArrayType(s, False), False), False),
        ]
    )
    return T.StructType(
        [
            T.StructField("passage_id", s, False),
            T.StructField("text", s, False),
            T.StructField("canonical", canonical, False),
            T.StructField("n_documents", n, False),
            T.StructField("sources", T.ArrayType(span, False), False),
        ]
    )


DOCUMENT_SCHEMA: T.StructType = _document_schema()
"""Columns of the documents DataFrame: the JSONL record's fields in its order; ``meta``
(free-form) is its JSON text."""

PASSAGE_SCHEMA: T.StructType = _passage_schema()
"""Columns of the passages DataFrame: the JSONL record's fields in its order."""


def _document_row(d: Document) -> tuple[Any, ...]:
    rec = d.to_dict()
    rec["passages"] = [(p["passage_id"], p["start"], p["end"]) for p in rec["passages"]]
    rec["meta"] = json.dumps(rec["meta"], ensure_ascii=False, sort_keys=False)
    return tuple(rec[name] for name in DOCUMENT_SCHEMA.names)


def _passage_row(p: Passage) -> tuple[Any, ...]:
    c = p.canonical
    sources = [(s.doc_id, s.source, s.start, s.end, s.text, float(s.similarity), s.diff) for s in p.sources]
    return (
        p.passage_id,
        p.text,
        (c.get("doc_id"), c.get("start"), c.get("end"), c.get("reason")),
        p.n_documents,
        sources,
    )


def _frames(spark: SparkSession, docs: RDD[Document], passages: Sequence[Passage]) -> tuple[DataFrame, DataFrame]:
    documents = spark.createDataFrame(docs.map(_document_row), DOCUMENT_SCHEMA)
    rows = [_passage_row(p) for p in passages]
    return documents, spark.createDataFrame(spark.sparkContext.parallelize(rows, 1), PASSAGE_SCHEMA)


# ---------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------


def process_dataframe(
    df: DataFrame,
    cfg: RunConfig | None = None,
    *,
    partitions: int | None = None,
    source: str = "dataframe",
) -> tuple[DataFrame, DataFrame]:
    """Clean, deduplicate and link a DataFrame of articles: ``(documents, passages)``.

    ``df`` has a ``text`` or an ``html`` column, and optionally ``id``, ``url``, ``title``,
    ``date``, ``authors`` and ``source`` (see :func:`row_document`). The documents
    DataFrame has one row per input row, in input order, with the columns of
    ``documents.jsonl`` (:data:`DOCUMENT_SCHEMA`); the passages one has those of
    ``passages.jsonl``. Decisions are the local engine's for the same records given as
    JSONL. The batch stages run here (this call starts Spark jobs); the returned
    DataFrames are lazy over cached results that Spark frees once they are dropped.
    """
    cfg = cfg or RunConfig()
    if "text" not in df.columns and "html" not in df.columns:
        raise ConfigError(f"process_dataframe needs a 'text' or an 'html' column, not {df.columns}")
    spark = df.sparkSession
    sc = spark.sparkContext
    job = _Job(sc, cfg, _partitions(sc, partitions), lambda stage, n: None)
    t = time.perf_counter()
    sc.setJobDescription("corpuskit: number records")
    rows = df.rdd.zipWithIndex().map(partial(_row_record, source=source, max_doc_bytes=cfg.max_doc_bytes))
    docs, n = _number(sc, rows, job.broadcasts)
    job.timed("read+extract", t)
    if df.rdd.getNumPartitions() < job.parts:
        docs = docs.repartition(job.parts)
    final, passages = job.process(docs, n)
    return _frames(spark, _in_order(final, n), passages)


def run_spark(
    inputs: Sequence[str],
    out_dir: Path | str,
    cfg: RunConfig | None = None,
    *,
    master: str | None = "local[2]",
    conf: Mapping[str, str] | None = None,
    partitions: int | None = None,
    parquet: bool = False,
    progress: Progress | None = None,
    stdin: IO[bytes] | None = None,
    write_report_html: bool = True,
) -> RunResult:
    """:func:`corpuskit.pipeline.run` on Spark: same arguments, same output files.

    ``master`` is the Spark master URL of a new session (``None``: whatever
    ``spark-submit`` set); an active session is used as it is (see :func:`spark_session`),
    and a session started here is stopped at the end. ``partitions`` is the shuffle width
    (default: twice the default parallelism). ``parquet`` also writes
    ``documents.parquet/`` and ``passages.parquet/`` (written by the executors: on a
    cluster, ``out_dir`` must be on a filesystem they share). ``cfg.workers`` is ignored:
    the master says how many cores work.

    Returns the counts, the manifest and the passages; ``documents`` is left empty (the
    records are in ``documents.jsonl``, never all in the driver's memory).
    """
    cfg = cfg or RunConfig()
    out = prepare_output_dir(out_dir)
    t_all = time.perf_counter()
    tick = progress or (lambda stage, n: None)
    found = discover_inputs(inputs)  # a missing input fails here, before Spark starts
    had_session = SparkSession.getActiveSession() is not None
    spark = spark_session(master, conf)
    sc = spark.sparkContext
    job = _Job(sc, cfg, _partitions(sc, partitions), tick)
    try:
        tasks = [
            _ReadTask(i, path, arg, _stdin_records(cfg, stdin) if path == "-" else None)
            for i, (path, arg) in enumerate(found.files)
        ]
        t = time.perf_counter()
        sc.setJobDescription("corpuskit: number records")
        records = sc.parallelize(tasks, max(1, min(len(tasks), 4 * job.parts))).flatMap(partial(_read_task, cfg=cfg))
        docs, n = _number(sc, records, job.broadcasts)
        job.timed("read+extract", t)
        if len(tasks) < 2 * job.parts:
            docs = docs.repartition(job.parts)  # few files: spread their records over the cores
        final, passages = job.process(docs, n)
        ordered = _in_order(final, n)
        result = _write(spark, ordered, passages, out, inputs, found, cfg, job, parquet, write_report_html, t_all)
    finally:
        job.release()
        if not had_session:
            spark.stop()
    return result


def _stdin_records(cfg: RunConfig, stdin: IO[bytes] | None) -> tuple[Document, ...]:
    found = Discovered(files=[("-", "-")], skipped=[])
    return tuple(read_inputs(["-"], discovered=found, stdin=stdin, **_read_options(cfg)))


def _write(
    spark: SparkSession,
    ordered: RDD[Document],
    passages: list[Passage],
    out: Path,
    inputs: Sequence[str],
    found: Discovered,
    cfg: RunConfig,
    job: _Job,
    parquet: bool,
    write_report_html: bool,
    t_all: float,
) -> RunResult:
    """The local engine's files, from records streamed in order; Parquet on request."""
    t = time.perf_counter()
    spark.sparkContext.setJobDescription("corpuskit: write")
    outputs = output_names(write_report_html)
    if parquet:
        outputs += ["documents.parquet", "passages.parquet"]
    tally = _Tally()
    manifest: dict[str, Any] = {}
    try:
        with staged_output(
            out, out / _STAGE_DIR, on_commit=lambda: job.tick("written", sum(tally.status.values()))
        ) as stage:
            if parquet:  # written by the executors, into the staging area like the rest
                documents, passages_df = _frames(spark, ordered, passages)
                documents.write.parquet((stage / "documents.parquet").resolve().as_uri())
                passages_df.write.parquet((stage / "passages.parquet").resolve().as_uri())
            records = (tally.add(d) for d in ordered.toLocalIterator(prefetchPartitions=True))
            page, fed = write_documents(stage, records, passages, write_report_html)
            manifest = manifest_head(inputs, found, cfg, tally.counts(passages), tally.languages, outputs)
            manifest["engine"] = {
                "name": "spark",
                "spark": spark.version,
                "master": spark.sparkContext.master,
                "partitions": job.parts,
            }
            job.timed("write", t + fed)
            write_report_and_manifest(stage, page, manifest, job.timings, job.timed, t_all)
    finally:
        shutil.rmtree(out / _STAGE_DIR, ignore_errors=True)
    return RunResult(out_dir=out, counts=manifest["counts"], manifest=manifest, passages=passages)


# ---------------------------------------------------------------------------------------
# worker daemon
# ---------------------------------------------------------------------------------------

_WARM_TEXT = (
    "The harbour authority said on Monday that the new terminal would open in the spring, "
    "two years later than planned, after a long dispute with the builder over dredging costs."
)


def _warm_up() -> None:
    """Run every per-record stage once on a tiny record: imports, language profiles and the
    numba kernels are then loaded in the daemon, and every forked worker inherits them."""
    cfg = RunConfig()
    html = f"<html><body><article><p>{_WARM_TEXT}</p></article></body></html>"
    for doc in (
        Document("warm-up", "warm-up", raw=_WARM_TEXT),
        Document("warm-up", "warm-up", raw=html, raw_kind="html"),
    ):
        doc = finish_document(prepare_document(doc, cfg), cfg)
        if doc.text:
            _payload(doc, cfg.dedup)


if __name__ == "__main__":  # pragma: no cover - started by Spark as spark.python.daemon.module
    from pyspark import daemon

    _warm_up()
    daemon.manager()
