"""The main job: inputs → documents.jsonl, passages.jsonl, manifest.json, report.html.

:func:`run` is what ``corpuskit run`` calls. Per-document stages run in a process pool
(order preserved, so the output never depends on the worker count): a record no site
template can change is read and finished in one task, the others finished once the
sites' template lines are known; whole-batch stages
(template lines, deduplication, passages) run in this process over compact state.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar, get_args

import numpy as np
import orjson

from ._version import __version__
from .boilerplate import TemplateIndex
from .checkpoint import Checkpoints, Keyed, Ready
from .config import RunConfig
from .dedup import DedupStats, SignatureRows, deduplicate
from .errors import RejectedRecordError
from .forked import ctrl_c_held, stop_now, worker_init
from .memory import long_lived, map_large_blocks, no_collection, release_memory, reusing_freed_blocks, small_pages
from .passages import drop_passages, find_passages, park_units
from .readers import (
    Discovered,
    JsonlBlock,
    discover_inputs,
    estimate_input_bytes,
    make_unique,
    parse_deferred,
    read_inputs,
)
from .records import Document, DupKind, Passage
from .report import ReportPage
from .signatures import shared_rows
from .spill import TextSpill
from .stages import chunks, finish_documents, prepare_documents, template_lines, template_site
from .writers import prepare_output_dir, staged_output, write_json, write_jsonl

__all__ = ["SMALL_INPUT_BYTES", "Progress", "RunResult", "auto_workers", "run"]

Progress = Callable[[str, int], None]
"""Progress callback: ``(stage, n_done)``, called from this process only."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class RunResult:
    """What a run wrote and counted."""

    out_dir: Path
    counts: dict[str, Any]
    manifest: dict[str, Any]
    passages: list[Passage] = field(default_factory=list, repr=False)
    reused_chunks: dict[str, int] = field(default_factory=dict)
    """Chunks per stage taken from a killed run's checkpoints (``resume=True``)."""

    @property
    def documents(self) -> list[Document]:
        """Every document record the run wrote, read back from ``documents.jsonl`` (a run
        does not hold all texts in memory, so they are loaded only when asked for)."""
        with open(self.out_dir / "documents.jsonl", "rb") as fh:
            return [Document.from_dict(orjson.loads(line)) for line in fh if line.strip()]


SMALL_INPUT_BYTES = 2 << 20
"""Below this much input (decompressed, about), :func:`auto_workers` chooses one process."""


def auto_workers(inputs: Sequence[str], cores: int) -> int:
    """How many worker processes a run over ``inputs`` should use when none is asked for:
    ``cores``, or one for an input under :data:`SMALL_INPUT_BYTES`.

    Workers cost a fixed start: forking them and loading what they share (compiled kernels,
    langdetect's profiles) takes about 0.35 s on two cores, more than a small batch's whole
    per-document work. Measured on two cores, one worker against two: the five seed
    articles 0.75-0.88 against 1.17-1.22 s; 1 MiB of JSONL 0.92 against 1.17 s; 2 MiB
    even; 4 MiB 1.62 against 1.38 s; 10 gzipped HTML pages (0.4 MiB) 1.25 against 1.34 s,
    20 pages 1.52 against 1.34 s. Standard input, of unknown size, gets every core.
    """
    size = estimate_input_bytes(inputs, enough=SMALL_INPUT_BYTES)
    return cores if size is None or size >= SMALL_INPUT_BYTES else 1


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + seconds, 3)

    def since(self, stage: str, t0: float) -> None:
        self.add(stage, time.perf_counter() - t0)


def output_names(report: bool) -> list[str]:
    """What a run writes, for the manifest (the Spark engine may add its Parquet folders)."""
    return ["documents.jsonl", "passages.jsonl", "manifest.json"] + (["report.html"] if report else [])


def manifest_head(
    inputs: Sequence[str],
    found: Discovered,
    cfg: RunConfig,
    counts: dict[str, Any],
    languages: Counter[str],
    outputs: list[str],
) -> dict[str, Any]:
    """The manifest fields every engine writes (an engine or the index adds its own)."""
    return {
        "corpuskit": __version__,
        "inputs": list(inputs),
        "skipped_files": found.skipped,
        "config": cfg.to_dict(),
        "counts": counts,
        "languages": dict(sorted(languages.items())),
        "outputs": outputs,
    }


def write_documents(
    stage: Path, records: Iterable[dict[str, Any]], passages: Sequence[Passage], report: bool
) -> tuple[ReportPage | None, float]:
    """``documents.jsonl`` from ``records``, then ``passages.jsonl``; with ``report``, each
    record is also added to the report's page on its way, so the report never reads the
    file back (a large run's records are made and parsed once, not twice), and the
    passages' records are made once for both. Returns the page and the seconds it took,
    which count as the report's, not the write's (both engines write through here)."""
    page = ReportPage(p.to_dict() for p in passages) if report else None
    write_jsonl(stage / "documents.jsonl", records if page is None else page.passing(records))
    write_jsonl(stage / "passages.jsonl", page.passages if page is not None else (p.to_dict() for p in passages))
    return page, page.seconds if page is not None else 0.0


def write_report_and_manifest(
    stage: Path,
    page: ReportPage | None,
    manifest: dict[str, Any],
    timings: dict[str, float],
    timed: Callable[[str, float], None],
    t_all: float,
) -> None:
    """The last writes of a run into its staging area: the report, from the ``page`` that
    took each record as :func:`write_documents` wrote it (it shows the timings of all the
    stages but its own), then the manifest with the final timings, ``total`` among them.
    ``timed(stage, t0)`` adds the seconds since ``t0`` to ``timings``."""
    if page is not None:
        t = time.perf_counter() - page.seconds
        manifest["timings"] = dict(timings)
        page.save(stage, manifest)
        timed("report", t)
    timed("total", t_all)
    manifest["timings"] = dict(timings)
    write_json(stage / "manifest.json", manifest)


def _write_outputs(
    stage: Path, docs: list[Document], passages: Sequence[Passage], timer: _Timer, t0: float, report: bool
) -> ReportPage | None:
    """:func:`write_documents` of ``docs``; ``write`` counts from ``t0`` (the counts and
    the manifest's head are made since). Consumes ``docs``: each record is let go once
    written, and the page grows into the memory they held."""

    def records() -> Iterator[dict[str, Any]]:
        docs.reverse()
        while docs:
            yield docs.pop().to_dict()

    page, fed = write_documents(stage, records(), passages, report)
    timer.since("write", t0 + fed)
    return page


def _fork_workers(cfg: RunConfig, freeze: Callable[[], None], *, helper: bool) -> tuple[_Workers, _Workers | None]:
    """The pool of ``cfg.workers`` processes every per-document stage runs in, and with
    ``helper`` the process the passage stage counts shingles in beside deduplication
    (:func:`~corpuskit.passages.find_passages`), each forked once what it inherits is
    loaded: numba itself (:mod:`corpuskit.kernels`), the compiled signature, passage-unit
    and scan kernels and langdetect's profiles, about 110 MiB a process (64 of it the
    kernels). Forked after the load, the workers share these pages with this process
    instead of building a copy each; frozen (:func:`~corpuskit.memory.long_lived`), the
    objects are never visited by a worker's garbage collector, which would write to (and
    so copy) every page holding one. :func:`_unshare` lets the profiles go once the pool
    is gone.

    The run waits for the load (about 0.4 s on one core, numba's BLAS probe skipped). Until iteration 42 a reading
    pool, forked at once, prepared records meanwhile: with JSONL the read ended before the
    load did, so those records were all finished after it, parked, read back and handed
    over once more, which cost more than the wait. The helper is forked first, once numba
    and the two kernels it runs are loaded: before the profiles, which it never uses and
    would keep a copy of once this process lets them go, and before any record (forked
    after the reading, it kept a copy of every page of records that deduplication touches,
    their reference counts changing: about 230 MiB more at 100k documents). Forks stay in
    the main thread: a child set to die with its parent
    (:func:`~corpuskit.forked.worker_init`) dies when the *thread* that forked it ends.
    """
    from .language import load_profiles
    from .passages import warm_scan

    forked: _Workers | None = None
    try:
        if helper:
            with no_collection():  # about a million objects and no garbage
                warm_scan()  # numba, and the kernels the helper runs: all it inherits
                freeze()  # or the collector's first run visits them all (13 ms)
            forked = _Workers(1, start=True)  # with the collector on, before the rest loads
        with no_collection():
            _load_kernels(cfg)
            load_profiles()
            freeze()  # before the collector runs again: it would find nothing, in 0.1 s
        return _Workers(cfg.workers, start=True, keep_freed=True), forked
    except BaseException:
        if forked is not None:
            forked.shutdown(kill=True)
        raise


def _load_kernels(cfg: RunConfig) -> None:
    """Compile or load from numba's cache the kernels every finishing worker runs."""
    from .boilerplate import strip_boilerplate
    from .passages import warm_units
    from .signatures import minhash_signature

    text = "a few words that make each kernel the workers run load before they fork"
    if cfg.boilerplate.enabled:
        strip_boilerplate(text, cfg.boilerplate)  # its character tables and word counts
    if cfg.dedup.enabled:
        d = cfg.dedup
        minhash_signature(text, num_perm=d.num_perm, shingle=d.shingle, seed=d.seed)
    if cfg.passages.mode != "off":
        warm_units(cfg.passages)


_WARM_QUOTE = (
    "The delegation is on a plane heading to the capital, and the talks are looking good "
    "for farmers, for shippers and for everyone who has waited a very long time for this."
)


def _warm_corpus_stages(cfg: RunConfig, scratch_dir: Path) -> Iterator[str]:
    """Deduplicate and find the passages of four small documents, to load the compiled
    kernels of both stages while the workers clean the batch, not while every core waits
    for this process. The processes these stages fork inherit them. Never fails the run:
    whatever went wrong here happens again, and is reported, where the stages run for real.

    One step (``"dedup"``, then ``"passages"``) each time the caller asks for the next: the
    workers hold a few chunks each, and this process feeds them no more until a step ends.
    Both at once took 0.4 s (0.13 + 0.27) and left both workers idle 0.17 s. The reading
    takes a step at each of its first chunks (:func:`_prepare`); the steps a short read
    left, the clean stage takes at its first chunk and once as many chunks are left to
    hand out as the workers hold (taken once the last was out, the second ended 25-37 ms
    after the workers' last chunk, and the next stage waited for it)."""
    words = "harbor council tariff ferry summit almond container energy region minister vote".split()
    docs = []
    for i in range(3):
        x = i + 1  # a different order of words in each: they share only the quote
        picks = []
        for _ in range(80):
            x = (x * 1103515245 + 12345) % 2**31
            picks.append(words[x % len(words)])
        filler = " ".join(picks)
        docs.append(Document(f"warm-{i}", "warm", text=f'{filler}.\n\nShe said: "{_WARM_QUOTE}" {filler}.'))
    docs.append(Document("warm-3", "warm", text=docs[0].text + " And more."))
    if cfg.dedup.enabled:
        with contextlib.suppress(Exception):  # see above
            deduplicate(docs, cfg.dedup)
        yield "dedup"
    if cfg.passages.mode != "off":
        with contextlib.suppress(Exception):
            find_passages(docs, cfg.passages, scratch_dir=scratch_dir)
        yield "passages"


def _unshare() -> None:
    """Let langdetect's profiles go once the finishing workers are done with them (the main
    process detects no language itself; frozen, they are still freed): 0.04 s, which a run
    with a helper spends while the helper counts (:func:`_corpus_stages`)."""
    from .language import unload_profiles

    if unload_profiles():
        release_memory()


class _Workers:
    """A process pool that survives a worker dying (segfault, OOM kill) mid-task.

    ``multiprocessing.Pool`` waits forever for the result of a task whose worker died;
    ``ProcessPoolExecutor`` reports it (``BrokenProcessPool``), and we start a new pool.
    ``keep_freed``: see :func:`~corpuskit.forked.worker_init`. The per-document pools keep
    what they free: each of their chunks allocates about what the one before freed, and
    handing it back and faulting it in again cost the two-worker benchmark's workers about
    230,000 page faults and a second of system time (20,000 documents; 540,000 faults in
    the whole run against 310,000 with it, measured). The passage helper does not: it
    runs one task of large arrays, while deduplication brings the run to its peak.
    """

    def __init__(self, workers: int, *, start: bool = False, keep_freed: bool = False) -> None:
        self.workers = workers
        self.keep_freed = keep_freed
        self._ctx = multiprocessing.get_context("fork")
        self.pool = self._new()
        if start:
            self._start()

    def _new(self) -> ProcessPoolExecutor:
        # Workers ignore Ctrl-C: the main process gets it, stops them and reports once.
        return ProcessPoolExecutor(
            self.workers, mp_context=self._ctx, initializer=worker_init, initargs=(os.getpid(), self.keep_freed)
        )

    def _start(self) -> None:
        with ctrl_c_held():
            self.pool.submit(os.getpid)  # forks them all now, from this thread (not at the first task)

    def restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()
        self._start()

    def shutdown(self, *, kill: bool = False) -> None:
        if kill:
            stop_now(self.pool)
        else:
            self.pool.shutdown(cancel_futures=True)


def _isolate(fn: Callable[[Any], Any], task: tuple[Any, ...], workers: _Workers) -> Any:
    """Re-run a chunk whose worker died one document at a time; reject the ones that kill it.

    A :class:`Keyed` chunk is not checkpointed then (a crash is not a result to keep). A
    :class:`~corpuskit.readers.JsonlBlock` is split into its lines here, each parsed by a
    worker of its own."""
    keyed = isinstance(fn, Keyed)
    payload = task[3] if keyed else task  # (documents or a block, config, ...)
    docs = payload[0]
    if isinstance(docs, JsonlBlock):
        docs = docs.records(payload[1].max_doc_bytes, defer=True)
    if isinstance(fn, Keyed):
        fn = Keyed(fn.fn, fn.stage, None, fn.spill)
        tasks = [("", task[1], [doc], ([doc], *payload[1:])) for doc in docs]
    else:
        tasks = [([doc], *payload[1:]) for doc in docs]
    out: list[Document] = []
    for doc, one in zip(docs, tasks, strict=True):
        workers.restart()
        try:
            done = workers.pool.submit(fn, one).result()
            out.extend(done[1] if keyed else done)
        except BrokenProcessPool:
            doc = parse_deferred(doc)  # a JSONL line: its record, to name it by its id
            doc.raw = None
            out.append(doc.reject("processing failed: the worker process died on this record"))
    workers.restart()
    return ("", out, True) if keyed else out


def _pool_map(fn: Callable[[T], R], tasks: Iterable[T | Ready[R]], workers: int, pool: _Workers | None) -> Iterator[R]:
    """Map ``fn`` over ``tasks`` in order, with at most ``2 * workers`` tasks in flight.

    The task iterator is consumed here, in the calling thread, not by the pool's feeder
    thread: an exception in it propagates, and a large input is never read ahead whole.
    A :class:`Ready` task (a checkpointed result) passes through without a worker. Tasks
    are chunks ``(documents, *args)`` and ``fn`` returns their documents: when a worker
    dies, its chunk is retried document by document and the culprit is rejected.
    """
    if pool is None or workers <= 1:
        for task in tasks:
            yield task.value if isinstance(task, Ready) else fn(task)
        return
    pending: deque[tuple[Any, Any]] = deque()

    def result(item: tuple[Any, Any]) -> R:
        task, fut = item
        if isinstance(fut, Ready):
            return fut.value
        try:
            return fut.result()
        except BrokenProcessPool:
            # every task in flight is lost with the pool: resubmit those after this one
            rest = list(pending)
            pending.clear()
            value: R = _isolate(fn, task, pool)
            for t, f in rest:
                pending.append((t, f if isinstance(f, Ready) else pool.pool.submit(fn, t)))
            return value

    for task in tasks:
        pending.append((task, task if isinstance(task, Ready) else pool.pool.submit(fn, task)))
        if len(pending) >= 2 * workers:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


def run(
    inputs: Sequence[str],
    out_dir: Path | str,
    cfg: RunConfig | None = None,
    *,
    progress: Progress | None = None,
    stdin: IO[bytes] | None = None,
    write_report_html: bool = True,
    resume: bool = False,
    index: Path | str | None = None,
) -> RunResult:
    """Process ``inputs`` and write the corpus to ``out_dir``.

    Raises :class:`InputError` for a missing input (or, with ``cfg.strict``, the first
    rejected record) and :class:`OutputError` when ``out_dir`` cannot be written. No
    output file changes before every document has been processed; then all of them are
    replaced together (:func:`~corpuskit.writers.staged_output`), so an interrupted run
    leaves the previous complete output. Finished chunks are checkpointed in
    ``out_dir/.corpuskit-work/``; ``resume=True`` reuses those of a killed run with the
    same inputs and options, and the output is the same as an uninterrupted run's.

    With ``index`` (an SQLite file, created when missing), the batch is deduplicated
    against every document of earlier runs into the same index and its passages are merged
    with theirs (:mod:`corpuskit.index`); the index is updated in one transaction before
    the output is written, and an index built with other options is refused up front.
    """
    cfg = cfg or RunConfig()
    map_large_blocks()
    out = prepare_output_dir(out_dir)
    timer = _Timer()
    tick = progress or (lambda stage, n: None)
    t_all = time.perf_counter()

    found = discover_inputs(inputs)  # a missing input fails here, before any work
    if index is not None:
        from .index import CorpusIndex

        with CorpusIndex(index) as store:  # a wrong file or other options fail here too
            store.check(cfg)
    ckpt = Checkpoints(out, cfg, resume=resume)
    try:
        with TextSpill(ckpt.work_dir) as spill, long_lived() as freeze, small_pages():
            result = _run(
                inputs, out, cfg, found, ckpt, timer, tick, stdin, write_report_html, t_all, index, spill, freeze
            )
    except BaseException:
        ckpt.close()  # checkpoints stay for --resume
        raise
    ckpt.close(success=True)
    return result


def _run(
    inputs: Sequence[str],
    out: Path,
    cfg: RunConfig,
    found: Discovered,
    ckpt: Checkpoints,
    timer: _Timer,
    tick: Progress,
    stdin: IO[bytes] | None,
    write_report_html: bool,
    t_all: float,
    index: Path | str | None,
    spill: TextSpill,
    freeze: Callable[[], None],
) -> RunResult:
    # Texts wait in ``spill`` between stages: memory holds records and compact state only.
    pool = helper = None
    overlap = cfg.workers > 1 and cfg.dedup.enabled and cfg.passages.mode != "off" and index is None
    try:
        t = time.perf_counter()
        if cfg.workers > 1:
            pool, helper = _fork_workers(cfg, freeze, helper=overlap)
        units = cfg.passages.mode != "off" and index is None  # the index makes its own
        sigs = SignatureRows(cfg.dedup.num_perm) if cfg.dedup.enabled and index is None else None
        read = _prepare(inputs, found, cfg, pool, timer, tick, stdin, ckpt, spill, units, sigs, t)
        docs = read.docs
        freeze()  # records live long: collections need not visit them again and again
        templates = _templates(docs, cfg, timer)
        docs = _finish(docs, cfg, templates, pool, timer, tick, ckpt, spill, units, sigs, freeze, read.warm)
    except BaseException:
        for workers in (pool, helper):
            if workers is not None:
                workers.shutdown(kill=True)
        pool = helper = None
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        if cfg.workers > 1 and helper is None:
            _unshare()
    try:
        dstats, passages, index_summary = _corpus_stages(docs, cfg, timer, tick, ckpt, index, sigs, helper)
    finally:
        if helper is not None:
            helper.shutdown(kill=True)  # done with its job already, or never given it
            _unshare()  # done already, unless deduplication never ran

    t = time.perf_counter()
    counts = _counts(docs, passages, dstats)
    languages = Counter(d.lang or "null" for d in docs if d.status != "rejected")
    manifest = manifest_head(inputs, found, cfg, counts, languages, output_names(write_report_html))
    if index_summary is not None:
        manifest["index"] = {"path": str(index), **index_summary}
    n_docs = len(docs)
    with staged_output(out, ckpt.work_dir / "output", on_commit=lambda: tick("written", n_docs)) as stage:
        page = _write_outputs(stage, docs, passages, timer, t, write_report_html)
        write_report_and_manifest(stage, page, manifest, timer.timings, timer.since, t_all)
    return RunResult(
        out_dir=out,
        counts=counts,
        manifest=manifest,
        passages=passages,
        reused_chunks=dict(ckpt.reused),
    )


def _corpus_stages(
    docs: list[Document],
    cfg: RunConfig,
    timer: _Timer,
    tick: Progress,
    ckpt: Checkpoints,
    index: Path | str | None,
    sigs: SignatureRows | None,
    helper: _Workers | None,
) -> tuple[DedupStats | None, list[Passage], dict[str, Any] | None]:
    """Deduplication and passages over the whole batch (or the index update that does both).
    With a ``helper`` process, the passage stage counts shingles in it while this process
    deduplicates, with a thread for every worker all the same: the helper is done first,
    and its core then helps deduplication instead of waiting for it."""
    passages: list[Passage] = []
    dstats: DedupStats | None = None
    index_summary: dict[str, Any] | None = None
    if index is not None:
        from .index import CorpusIndex

        t = time.perf_counter()
        TextSpill.unpark_all(docs)  # the index stores and compares whole texts
        with CorpusIndex(index) as store:
            update = store.update(docs, cfg)
        dstats, passages, index_summary = update.dedup, update.passages, update.summary
        if cfg.passages.mode == "drop":
            drop_passages(docs, passages)
        timer.add("index", time.perf_counter() - t)
        tick("passages", len(passages))
    else:
        took = 0.0

        def dedup() -> None:
            nonlocal dstats, took
            if helper is not None:
                _unshare()  # while the helper counts: this process would wait for it after
            t = time.perf_counter()
            if cfg.dedup.enabled:
                dstats = deduplicate(docs, cfg.dedup, signatures=sigs, threads=cfg.workers)
                release_memory()
            took = time.perf_counter() - t
            timer.add("dedup", took)
            tick("dedup", len(docs))

        t = time.perf_counter()
        if cfg.passages.mode != "off":
            passages = find_passages(
                docs,
                cfg.passages,
                workers=cfg.workers,
                scratch_dir=ckpt.work_dir,
                alongside=dedup,
                helper=helper.pool if helper is not None else None,
            )
            if cfg.passages.mode == "drop":
                drop_passages(docs, passages)
            release_memory()
        else:
            dedup()
        timer.add("passages", time.perf_counter() - t - took)  # what deduplication did not overlap
        tick("passages", len(passages))
    return dstats, passages, index_summary


@dataclass(slots=True)
class _Read:
    """What :func:`_prepare` hands on: the records in input order (some finished already,
    :func:`_prepare_chunk`) and the warm-up of the corpus stages, if steps of it are left."""

    docs: list[Document]
    warm: Iterator[str] | None


_FINISHED = "finished"
"""``doc.work`` key of a record its reading task finished too (:func:`_prepare_chunk`)."""


def _prepare(
    inputs: Sequence[str],
    found: Discovered,
    cfg: RunConfig,
    pool: _Workers | None,
    timer: _Timer,
    tick: Progress,
    stdin: IO[bytes] | None,
    ckpt: Checkpoints,
    spill: TextSpill,
    units: bool,
    sigs: SignatureRows | None,
    t: float,
) -> _Read:
    """Read and prepare every record, and finish those no site template can change on the
    way (:func:`_prepare_chunk`), with ``units`` (their passage units) and their signatures
    taken into ``sigs``, as :func:`_finish` does for the others. With a ``pool``, this
    process warms the corpus stages up (:func:`_warm_corpus_stages`) while the workers
    hold the first chunks. ``read+extract`` counts from ``t``."""
    reader = read_inputs(
        inputs,
        max_doc_bytes=cfg.max_doc_bytes,
        stdin=stdin,
        discovered=found,
        max_input_bytes=cfg.max_input_bytes,
        max_compression_ratio=cfg.max_compression_ratio,
        defer_parsing=True,  # the workers parse JSONL lines
    )
    docs: list[Document] = []
    seen_ids: dict[str, int] = {}
    tasks = _prepare_tasks(reader, cfg, spill if units else None)
    warm = _warm_corpus_stages(cfg, ckpt.work_dir) if pool is not None else None
    finished = 0
    # What a block or a chunk frees is kept for the next (the megabyte read, the task and
    # result buffers): 80,000 page faults fewer at 20,000 documents, with workers or without.
    # With workers, the collector is off as in :func:`_finish`, and for the same reason.
    with reusing_freed_blocks(), no_collection() if pool is not None else contextlib.nullcontext():
        chunks_done = ckpt.map(
            "prepare", _prepare_chunk, tasks, _mapper(cfg, pool), spill, _worth_saving, keep=_any_finished
        )
        for chunk in chunks_done:
            done = 0
            for d in chunk:
                d.order = len(docs)
                make_unique(d, seen_ids)
                docs.append(d)
                done += _FINISHED in d.work
            if cfg.strict:
                _strict_check(chunk)
            if done and sigs is not None:
                sigs.take(chunk)
            tick("read", len(docs))
            if done:
                finished += done
                tick("clean", finished)
            if warm is not None:  # a step a chunk: the workers hold the next ones
                warm = warm if next(warm, None) else None
    timer.add("read+extract", time.perf_counter() - t)
    return _Read(docs, warm)


def _prepare_chunk(args: tuple[list[Document] | JsonlBlock, RunConfig, TextSpill | None]) -> list[Document]:
    """:func:`~corpuskit.stages.prepare_documents`, then :func:`_finish_chunk` of each
    record no site template can change (whose :func:`~corpuskit.stages.template_site` is
    ``None``: HTML, JSONL and WARC records without a URL, rejected ones), marked
    :data:`_FINISHED`, its passage units parked in the ``spill`` given. Such a record's
    prepared text is never parked and read back, nor handed to the main process and out
    again: at 20,000 documents of JSONL, parking 0.15 s and reading back 0.05 s of any
    run, and with workers the main process's unpickling of the prepared records (0.17 s),
    pickling them again and the workers' unpickling (measured in one process).
    """
    docs, cfg, spill = args
    out = prepare_documents((docs, cfg))
    at = [i for i, d in enumerate(out) if template_site(d) is None]
    if at:
        done = _finish_chunk(([out[i] for i in at], cfg, {}, spill))
        for i, d in zip(at, done, strict=True):
            d.work[_FINISHED] = True
            out[i] = d
    return out


def _any_finished(docs: Sequence[Document]) -> bool:
    """Whether a reading task's result is worth its checkpoint: it finished a record."""
    return any(_FINISHED in d.work for d in docs)


def _prepare_tasks(
    reader: Iterable[Document | JsonlBlock], cfg: RunConfig, spill: TextSpill | None
) -> Iterator[
    tuple[list[Document] | JsonlBlock, bytes, tuple[list[Document] | JsonlBlock, RunConfig, TextSpill | None]]
]:
    """The reader's records in chunks (:func:`~corpuskit.stages.chunks`), and each
    :class:`~corpuskit.readers.JsonlBlock` a task of its own: its lines are split by the
    worker. ``spill`` takes the passage units of the records a task finishes."""
    items = iter(reader)
    block: JsonlBlock | None = None

    def run() -> Iterator[Document]:  # the records up to the next block
        nonlocal block
        for item in items:
            if isinstance(item, JsonlBlock):
                block = item
                return
            yield item

    while True:
        for chunk in chunks(run(), cfg.chunk_docs):
            yield chunk, b"", (chunk, cfg, spill)
        if block is None:
            return
        yield block, b"", (block, cfg, spill)
        block = None


def _worth_saving(docs: Sequence[Document] | JsonlBlock) -> bool:
    """Whether a reading task may be checkpointed (its worker saves it only if it finished
    a record: :func:`_any_finished`): a block of JSONL lines, or a chunk holding a record
    that no site template can change (HTML, a record without a URL). Extraction costs
    about 8 ms a page and finishing about 0.3 ms a document, while preparing the plain
    text of a site (parsing its JSONL line, normalising) costs about 0.1 ms a document,
    and keying and saving it would add almost half of that to every run (44 µs, measured)
    to spare a resumed run little more. A resumed run prepares such text again, and its
    finished chunks are found by the same keys as before."""
    return isinstance(docs, JsonlBlock) or any(template_site(d) is None for d in docs)


def _mapper(cfg: RunConfig, pool: _Workers | None) -> Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]:
    return lambda fn, tasks: _pool_map(fn, tasks, cfg.workers, pool)


def _strict_check(docs: list[Document]) -> None:
    for d in docs:
        if d.status == "rejected":
            raise RejectedRecordError(d.source, d.reject_reason or "rejected", d.source_line)


def _templates(docs: list[Document], cfg: RunConfig, timer: _Timer) -> dict[str, frozenset[int]]:
    """Lines each site repeats across its pages (plain-text inputs only)."""
    t = time.perf_counter()
    if not cfg.boilerplate.enabled:
        return {}
    index = TemplateIndex(cfg.boilerplate)
    sites: set[str] = set()
    for d in docs:
        site = template_site(d)
        if site is None:
            continue
        d.work["site"] = site
        sites.add(site)
        index.add_hashes(site, template_lines(d))  # hashed by the workers
    templates = {s: tpl for s in sorted(sites) if (tpl := index.template_for(s))}
    timer.add("templates", time.perf_counter() - t)
    return templates


def _finish(
    docs: list[Document],
    cfg: RunConfig,
    templates: dict[str, frozenset[int]],
    pool: _Workers | None,
    timer: _Timer,
    tick: Progress,
    ckpt: Checkpoints,
    spill: TextSpill,
    units: bool,
    sigs: SignatureRows | None,
    freeze: Callable[[], None],
    warm: Iterator[str] | None,
) -> list[Document]:
    """Finish the records :func:`_prepare` did not (those of a site, cleaned with its
    template lines), in place in ``docs``: with worker processes the finished records are
    new objects, and each prepared one is let go as its finished one comes back instead of
    living on beside it until the stage ends. With ``units``, the workers also make each
    document's passage units (:func:`~corpuskit.passages.park_units`); ``sigs`` takes
    the signatures out of the records as they come. With a pool, this process carries
    out the steps of ``warm`` (:func:`_warm_corpus_stages`) the reading left, meanwhile
    if there is work. The records are frozen (``freeze``,
    :func:`~corpuskit.memory.long_lived`) as the stage ends."""
    t = time.perf_counter()
    at = [i for i, d in enumerate(docs) if d.work.pop(_FINISHED, None) is None]
    pending = deque(docs[i] for i in at)
    place = iter(at)
    finished = len(docs) - len(at)

    def consumed() -> Iterator[Document]:
        while pending:
            yield pending.popleft()

    def tasks() -> Iterator[tuple[list[Document], bytes, Any]]:
        for chunk in chunks(consumed(), cfg.chunk_docs):
            tpl = {s: templates[s] for s in sorted({d.work.get("site", "") for d in chunk}) if s in templates}
            yield (
                chunk,
                orjson.dumps({s: sorted(v) for s, v in tpl.items()}),
                (chunk, cfg, tpl, spill if units else None),
            )

    last = 2 * cfg.workers * cfg.chunk_docs  # as many chunks left as the workers hold
    # In this process, as in the workers (:class:`_Workers`), what a chunk frees is kept
    # for the next: 200,000 page faults fewer at 20,000 documents. With workers, this
    # process only takes the finished records in (no cycles among them; frozen once the
    # stage ends): the collector off, it no longer visits them as they come (40 ms of
    # this process's CPU, mostly in the pool's thread that unpickles them; perf, 20,000
    # documents), time the workers would lose to it.
    with reusing_freed_blocks() if pool is None else no_collection():
        for n, chunk in enumerate(ckpt.map("finish", _finish_chunk, tasks(), _mapper(cfg, pool), spill)):
            if cfg.strict:
                _strict_check(chunk)
            if sigs is not None:
                sigs.take(chunk)
            for d in chunk:
                docs[next(place)] = d
            finished += len(chunk)
            tick("clean", finished)
            if warm is not None and (n == 0 or len(pending) <= last):  # the workers have chunks in hand
                warm = warm if next(warm, None) else None  # the second step near the end
        for _ in warm or ():  # the steps the work left no time for
            pass
        freeze()  # with workers, before the collector is on again: it would visit them all (14 ms)
    timer.add("clean+lang+signatures", time.perf_counter() - t)
    return docs


def _finish_chunk(
    args: tuple[list[Document], RunConfig, dict[str, frozenset[int]], TextSpill | None],
) -> list[Document]:
    docs, cfg, templates, spill = args
    out = finish_documents((docs, cfg, templates))
    if spill is not None:
        park_units(out, cfg.passages, spill)
    if cfg.workers > 1:  # handed back pickled: the chunk's signatures as one array
        signed = [d for d in out if isinstance(d.work.get("sig"), np.ndarray)]
        if len(signed) > 1:
            for d, row in zip(signed, shared_rows(np.stack([d.work["sig"] for d in signed])), strict=True):
                d.work["sig"] = row
    return out


def _counts(docs: list[Document], passages: list[Passage], dstats: Any) -> dict[str, Any]:
    status = Counter(d.status for d in docs)
    kinds = Counter(d.dup_kind for d in docs if d.status == "duplicate")
    reasons = Counter(d.reject_code for d in docs if d.status == "rejected")
    return {
        "read": len(docs),
        "kept": status["kept"],
        "duplicate": status["duplicate"],
        "rejected": status["rejected"],
        "duplicate_by_kind": {k: kinds[k] for k in get_args(DupKind)},
        "rejected_by_reason": dict(sorted((str(k), v) for k, v in reasons.items())),
        "clusters": sum(1 for d in docs if d.status == "kept" and d.cluster_id),
        "passages": len(passages),
        "passage_sources": sum(len(p.sources) for p in passages),
    }
