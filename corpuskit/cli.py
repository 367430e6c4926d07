"""Command line: parse options, build a :class:`RunConfig`, call the library, map errors.

Exit codes: 0 success (rejected records are data, not failure); 1 a record was rejected
under ``--strict``; 2 usage error (bad option, missing input); 3 output cannot be written;
130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, Optional

import typer

from ._version import __version__
from .config import (
    DEFAULT_MAX_COMPRESSION_RATIO,
    DEFAULT_MAX_INPUT_BYTES,
    BoilerplateConfig,
    DedupConfig,
    PassageConfig,
    RunConfig,
    _default_workers,
)
from .errors import ConfigError, CorpuskitError, InputError, OutputError, RejectedRecordError

__all__ = ["app", "main"]

app = typer.Typer(
    name="corpuskit",
    help="Turn a messy batch of news articles into a clean, deduplicated JSONL corpus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class KeepPolicy(str, Enum):
    earliest = "earliest"
    longest = "longest"
    priority = "priority"


class PassageMode(str, Enum):
    mark = "mark"
    drop = "drop"
    off = "off"


class Engine(str, Enum):
    local = "local"
    spark = "spark"


class CanonicalPolicy(str, Enum):
    complete = "complete"
    medoid = "medoid"
    earliest = "earliest"


def _err(msg: str) -> None:
    typer.echo(f"corpuskit: error: {msg}", err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"corpuskit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = None,
) -> None:
    """corpuskit: clean, deduplicated news corpora with re-reported passages linked."""


class _Progress:
    """A rich progress display on stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self.stage, self.done = "start", 0  # where the run got to, for the Ctrl-C summary
        self._sigint: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<8}"),
                TextColumn("{task.completed:>9,} records"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
        return self

    def __call__(self, stage: str, n: int) -> None:
        self.stage, self.done = stage, n
        if stage == "written" and self._sigint is None and threading.current_thread() is threading.main_thread():
            # The output is complete: a Ctrl-C from now on (even one held back during the
            # renames) must not report an interruption or end the process with -SIGINT.
            self._sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        if self._bar is None:
            return
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=None)
        self._bar.update(self._tasks[stage], completed=n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def restore_sigint(self) -> None:
        """Give Ctrl-C back, unless this process ends with the command (``main``)."""
        if self._sigint is not None and not _PROCESS_ENDS_WITH_COMMAND:
            signal.signal(signal.SIGINT, self._sigint)
        self._sigint = None


@app.command("run")
def run_cmd(
    inputs: Annotated[
        list[str], typer.Argument(help="Files, directories, globs, or '-' for JSONL on stdin.", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("out"),
    workers: Annotated[
        int, typer.Option(help="Worker processes (default: all cores; one for an input under 2 MiB).")
    ] = 0,
    chunk_docs: Annotated[
        int,
        typer.Option(help="Documents per worker task and per checkpoint (fewer once they pass 1 MiB).", min=1),
    ] = 128,
    strict: Annotated[bool, typer.Option(help="Stop at the first rejected record.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")] = False,
    max_doc_bytes: Annotated[
        int,
        typer.Option(
            help="Reject a record (page, JSONL line, WARC payload) over this many bytes after "
            "decompression; it is never read whole."
        ),
    ] = 20_000_000,
    max_input_bytes: Annotated[
        int, typer.Option(help="Stop reading an input file once it has decompressed to this many bytes.")
    ] = DEFAULT_MAX_INPUT_BYTES,
    max_compression_ratio: Annotated[
        float,
        typer.Option(help="Stop reading a file that expands more than this many times (a decompression bomb)."),
    ] = DEFAULT_MAX_COMPRESSION_RATIO,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a killed run into the same --out, reusing its finished work.")
    ] = False,
    threshold: Annotated[float, typer.Option(help="Near-duplicate Jaccard threshold.")] = 0.5,
    containment: Annotated[float, typer.Option(help="Containment for truncated reprints.")] = 0.9,
    shingle: Annotated[int, typer.Option(help="Words per shingle for duplicates.")] = 5,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = 128,
    seed: Annotated[int, typer.Option(help="MinHash seed.")] = 1,
    keep: Annotated[KeepPolicy, typer.Option(help="Which copy of a duplicate cluster is kept.")] = KeepPolicy.earliest,
    source_priority: Annotated[
        Optional[list[str]], typer.Option(help="With --keep priority: preferred sources, first wins (repeatable).")
    ] = None,
    no_dedup: Annotated[bool, typer.Option("--no-dedup", help="Skip near-duplicate detection.")] = False,
    passages: Annotated[
        PassageMode, typer.Option(help="mark spans, drop repeats from text, or off.")
    ] = PassageMode.mark,
    min_passage_words: Annotated[int, typer.Option(help="Shortest passage, in words.")] = 8,
    canonical: Annotated[
        CanonicalPolicy, typer.Option(help="Which variant is a passage's text.")
    ] = CanonicalPolicy.complete,
    no_boilerplate: Annotated[bool, typer.Option("--no-boilerplate", help="Keep plain text as given.")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write report.html.")] = False,
    html_fallback: Annotated[
        bool,
        typer.Option(
            "--html-fallback", help="Also run trafilatura's backup extractors (readability, jusText) on HTML."
        ),
    ] = False,
    index: Annotated[
        Optional[Path],
        typer.Option(
            help="Persistent index (SQLite, created if missing): deduplicate this batch against every earlier"
            " run into it, keep passage ids across runs.",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="Where the work runs: this machine, or Apache Spark (same output).")
    ] = Engine.local,
    spark_master: Annotated[
        Optional[str],
        typer.Option(
            help="Spark master URL for --engine spark (default: spark-submit's, else local[N], N = --workers).",
            metavar="URL",
        ),
    ] = None,
    parquet: Annotated[
        bool,
        typer.Option("--parquet", help="With --engine spark, also write documents.parquet/ and passages.parquet/."),
    ] = False,
) -> None:
    """Read articles, clean them, link duplicates and re-reported passages, write the corpus."""
    from .kernels import skip_blas_probe
    from .pipeline import auto_workers, run

    if _PROCESS_ENDS_WITH_COMMAND:
        skip_blas_probe()  # the process runs no one else's kernels
    try:
        cfg = RunConfig(
            workers=workers or auto_workers(inputs, _default_workers()),
            chunk_docs=chunk_docs,
            strict=strict,
            max_doc_bytes=max_doc_bytes,
            max_input_bytes=max_input_bytes,
            max_compression_ratio=max_compression_ratio,
            html_fallback=html_fallback,
            boilerplate=BoilerplateConfig(enabled=not no_boilerplate),
            dedup=DedupConfig(
                enabled=not no_dedup,
                threshold=threshold,
                containment=containment,
                shingle=shingle,
                num_perm=num_perm,
                seed=seed,
                keep=keep.value,
                source_priority=tuple(source_priority or ()),
            ),
            passages=PassageConfig(mode=passages.value, min_words=min_passage_words, canonical=canonical.value),
        )
    except ConfigError as e:
        raise _exit(e) from None
    spark = engine is Engine.spark
    for given, flag in ((spark_master is not None, "--spark-master"), (parquet, "--parquet")):
        if given and not spark:
            _err(f"{flag} needs --engine spark")
            raise typer.Exit(2)
    if spark:
        from .engines import SPARK_INSTALL_HINT, spark_available

        if not spark_available():
            _err(f"--engine spark needs pyspark: {SPARK_INSTALL_HINT}")
            raise typer.Exit(2)
        if resume or index is not None:
            _err(f"{'--resume' if resume else '--index'} is for --engine local")
            raise typer.Exit(2)
    prog = _Progress(not quiet)
    with _interrupts_outside_numba():  # outermost: it puts back the handler from before
        try:
            with prog:
                if spark:
                    from .engines.spark import run_spark

                    master = spark_master or (None if _under_spark_submit() else f"local[{cfg.workers}]")
                    result = run_spark(
                        inputs, out, cfg, master=master, parquet=parquet, progress=prog, write_report_html=not no_report
                    )
                else:
                    result = run(
                        inputs, out, cfg, progress=prog, write_report_html=not no_report, resume=resume, index=index
                    )
        except (KeyboardInterrupt, SystemError) as e:
            if isinstance(e, SystemError) and not _from_interrupt(e):
                raise
            _err(
                f"interrupted at {prog.stage} after {prog.done:,} records; {out} is as it was before this run"
                + ("" if spark else " (run again with --resume to continue)")
            )
            raise typer.Exit(130) from None
        except RejectedRecordError as e:
            _err(f"rejected (--strict): {e}")
            raise typer.Exit(1) from None
        except CorpuskitError as e:  # InputError, OutputError, or options that do not fit the --index
            raise _exit(e) from None
        finally:
            prog.restore_sigint()
    if not quiet:
        c = result.counts
        typer.echo(
            f"read {c['read']}: kept {c['kept']}, duplicate {c['duplicate']}, rejected {c['rejected']}; "
            f"{c['passages']} passages -> {out}"
            + (f" (resumed: {sum(result.reused_chunks.values())} chunks reused)" if result.reused_chunks else ""),
            err=True,
        )


@app.command("report")
def report_cmd(out: Annotated[Path, typer.Argument(help="An output directory of 'corpuskit run'.")]) -> None:
    """Rebuild OUT/report.html from the JSONL files of a run."""
    from .report import write_report

    if not (out / "documents.jsonl").is_file():
        _err(f"{out}: no documents.jsonl here (not a corpuskit output directory)")
        raise typer.Exit(2)
    try:
        path = write_report(out)
    except CorpuskitError as e:
        raise _exit(e) from None
    typer.echo(str(path))


index_app = typer.Typer(
    name="index",
    help="Inspect, export and compact a persistent index (see 'corpuskit run --index').",
    no_args_is_help=True,
)
app.add_typer(index_app)

_IndexPath = Annotated[Path, typer.Argument(help="An index file written by 'corpuskit run --index'.")]


def _open_index(path: Path) -> Any:
    from .index import CorpusIndex, IndexFormatError

    try:
        return CorpusIndex(path, create=False)
    except IndexFormatError as e:
        _err(str(e))
        raise typer.Exit(2) from None
    except CorpuskitError as e:  # the file cannot be read: not a usage error, nor output
        _err(str(e))
        raise typer.Exit(1) from None


@index_app.command("stats")
def index_stats_cmd(path: _IndexPath) -> None:
    """Print what the index holds (documents, clusters, passages, keys, file size) as JSON."""
    import json

    with _open_index(path) as idx:
        typer.echo(json.dumps(idx.stats(), indent=2))


@index_app.command("export")
def index_export_cmd(
    path: _IndexPath,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Every duplicate cluster and passage to date, as JSONL (clusters first)."""
    from .writers import atomic_writer

    with _open_index(path) as idx:
        try:
            if out is None:
                idx.export(sys.stdout.buffer)
                sys.stdout.flush()
            else:
                with atomic_writer(out) as fh:
                    n = idx.export(fh)
                typer.echo(f"{n} records -> {out}", err=True)
        except OutputError as e:
            raise _exit(e) from None


@index_app.command("vacuum")
def index_vacuum_cmd(path: _IndexPath) -> None:
    """Merge the index's key runs, drop stock-phrase postings and rebuild the file."""
    with _open_index(path) as idx:
        try:
            before, after = idx.vacuum()
        except CorpuskitError as e:
            raise _exit(e) from None
    typer.echo(f"{path}: {before:,} -> {after:,} bytes")


_PROCESS_ENDS_WITH_COMMAND = False
"""The process is this command's alone (started by :func:`main`): it may change what is
process-wide, and it ends without tearing the interpreter down."""


def _exit(e: CorpuskitError) -> typer.Exit:
    """Print ``e`` and give the exit code its kind maps to: 2 for a usage error (bad input
    or options), 3 when the output cannot be written, 1 for anything else."""
    _err(str(e))
    return typer.Exit(2 if isinstance(e, (InputError, ConfigError)) else 3 if isinstance(e, OutputError) else 1)


@contextlib.contextmanager
def _interrupts_outside_numba() -> Iterator[None]:
    """Ctrl-C as ``KeyboardInterrupt``, except where it would land inside numba's own Python
    callbacks (it unpickles constants while boxing a kernel's results): raised there, it came
    back as a ``SystemError`` (measured: one run in 29 of the interrupt test), so it is
    raised again 10 ms later, in code that can take it. Main thread only; the handler
    before is put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if frame is not None and str(frame.f_globals.get("__name__", "")).startswith(("numba.", "llvmlite.")):
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
            return
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is handler:  # not taken over since (the output is written)
            signal.signal(signal.SIGINT, before)


def _from_interrupt(e: BaseException) -> bool:
    """Whether ``e`` was caused, somewhere down its chain, by a ``KeyboardInterrupt``."""
    seen: set[int] = set()
    cause: BaseException | None = e
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _under_spark_submit() -> bool:
    """Started by ``spark-submit`` (it hands its JVM to the Python process): the master and
    settings are the ones given to ``spark-submit``."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def _one_blas_thread() -> None:
    """Give numpy's OpenBLAS one thread unless the environment already says how many
    (process-wide and before numpy loads, so the script's choice, not the library's).

    corpuskit has processes and threads of its own and makes two tiny BLAS calls (the
    banding search's product and its Gauss-Legendre nodes). OpenBLAS's idle threads spin
    for a while after numpy loads and after each call: 0.2 of the 0.72 core-seconds of a
    run on the five seed articles (measured), CPU that other work on the machine could use.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    """Entry point of the ``corpuskit`` script and ``python -m corpuskit``."""
    global _PROCESS_ENDS_WITH_COMMAND
    _PROCESS_ENDS_WITH_COMMAND = True
    _one_blas_thread()
    try:
        app(prog_name="corpuskit")
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    # Every output is written, renamed and closed by now: the process ends without tearing
    # the interpreter down object by object (0.25 s even after a small run, more after a
    # large one); the OS takes the memory back at once.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(code)
