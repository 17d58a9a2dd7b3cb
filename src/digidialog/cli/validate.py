"""`digidialog validate PATH...`: validate files, directories (recursively, *.xml) or stdin (``-``).

Exit 0 when every file is valid, 1 when any is invalid, 2 for usage errors or unreadable paths.
Warnings alone do not make a file invalid. On a terminal, large batches show a progress bar; piped
output is plain, so the per-file cost stays that of parsing and validating.

Large batches fan out to worker processes (``--jobs``), each compiling the schema set once; the
reports come back in input order, so the output is the same as with ``--jobs 1``.

A PATH may be anything that is not a directory (a file, a pipe such as ``<(cat x.xml)``, a
device). Each file is read up to `ParseLimits.max_bytes`: a larger one (a regular file is looked
at before reading) gets an ``XML`` error "the file is over the limit of N bytes", as other content
that is not a message does. Reports keep each file's name as given; the formats make it printable
(`digidialog.validation.formats`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from digidialog.errors import UsageError
from digidialog.files import InputTooLargeError, display_name, read_bounded
from digidialog.validation import Issue, Report, Severity, validate
from digidialog.validation.formats import FORMATS, RENDERERS, text_lines, text_summary
from digidialog.validation.report import XML_RULE
from digidialog.xml.parser import DEFAULT_LIMITS
from digidialog.xml.schema import SchemaSet

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

STDIN = "-"
PROGRESS_THRESHOLD = 50
"""Batches at least this large get a progress bar (on a terminal only)."""
PARALLEL_THRESHOLD = 500
"""Batches at least this large use one worker process per CPU unless ``--jobs`` says otherwise;
below it, starting workers costs more than it saves."""

MAX_BYTES = DEFAULT_LIMITS.max_bytes
"""Files (and standard input) larger than this are reported, not read: the parser's own cap."""
_MAX_CHUNK = 256
"""Files per hand-over to a worker at most (5,000 files on 2 workers: chunks of 256)."""

Outcome = Report | str
"""What checking one file yields: its report, or why it could not be read."""
IssueRow = tuple[str, str, str, int | None, str | None]
"""An `Issue` as plain values (rule, severity, message, line, XPath)."""
Compact = tuple[IssueRow, ...] | str
"""What a worker sends back for one file: its issues as plain tuples (none for a clean file), or
why it could not be read. The parent knows the file's name; plain tuples pickle about a hundred
times faster than `Report` objects."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate messages: well-formed XML, schema, HITS 1217 business rules",
        description="Validate digital-dialog messages. PATH is a file, a directory (searched "
        "recursively for *.xml) or - for standard input.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or -")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--schemas",
        action="append",
        default=[],
        metavar="DIR",
        type=str,
        help="add a directory of further schemas (may hold a catalog.xml); repeatable",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes (default: one per CPU for batches of "
        f"{PARALLEL_THRESHOLD}+ files, else 1); the output does not depend on it",
    )
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def cpu_count() -> int:
    """CPUs this process may run on (its affinity where the OS tells, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def default_jobs(files: int) -> int:
    """The worker count `digidialog validate` uses for ``files`` files without ``--jobs``."""
    return max(1, min(cpu_count(), files)) if files >= PARALLEL_THRESHOLD else 1


def _expand(paths: list[str], problems: list[str]) -> Iterator[str]:
    """Files to validate in the order given, directories sorted; bad paths go to ``problems``."""
    for given in paths:
        if given == STDIN:
            yield STDIN
            continue
        if os.path.isdir(given):
            found = sorted(_xml_files(given))
            if not found:
                problems.append(f"{display_name(given)}: no .xml files in this directory")
            yield from found
        elif given and os.path.exists(given):  # a file, or a pipe such as <(cat x.xml)
            yield given
        else:
            problems.append(f"{display_name(given)}: no such file or directory")


def _xml_files(directory: str, seen: set[tuple[int, int]] | None = None) -> Iterator[str]:
    """Every ``*.xml`` file below ``directory``; `os.scandir` answers file-or-folder without a stat
    per file on common file systems. Linked folders are followed, each real folder once, so a
    link loop ends instead of recursing until the system refuses."""
    seen = set() if seen is None else seen
    info = os.stat(directory)
    if (info.st_dev, info.st_ino) in seen:
        return
    seen.add((info.st_dev, info.st_ino))
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir():
                yield from _xml_files(entry.path, seen)
            elif entry.name.endswith(".xml") and entry.is_file():
                yield entry.path


def _check_one(name: str, schemas: SchemaSet, stdin_data: bytes | None) -> Outcome:
    if name == STDIN:
        if stdin_data is not None and len(stdin_data) > MAX_BYTES:
            return too_large("<stdin>", MAX_BYTES)
        return validate(stdin_data or b"", source="<stdin>", schemas=schemas)
    try:
        data = read_file(name)
    except InputTooLargeError as exc:
        return too_large(name, exc.limit)
    except OSError as exc:
        return f"{display_name(name)}: cannot read: {exc.strerror or exc}"
    return validate(data, source=name, schemas=schemas)


def too_large(source: str, limit: int) -> Report:
    """The report for a file over the size limit: an ``XML`` error, as for any content that is
    not a message digidialog can read."""
    message = f"the file is over the limit of {limit} bytes (ParseLimits.max_bytes)"
    return Report(source, [Issue(XML_RULE, Severity.ERROR, message)])


def read_file(name: str, limit: int = MAX_BYTES) -> bytes:
    """The bytes of file ``name``, at most ``limit`` (`InputTooLargeError` beyond).

    Plain file descriptors (`digidialog.files.read_bounded`): the buffered file object
    `open(name, "rb")` builds around each file costs more than reading a message of a few
    kilobytes. A regular file larger than ``limit`` is refused from its size, unread.
    """
    return read_bounded(name, limit)


def _read_stdin() -> bytes:
    """Standard input, at most one byte over `MAX_BYTES` (so `_check_one` can tell it is over)."""
    data: bytes = sys.stdin.buffer.read(MAX_BYTES + 1)
    return data


def _schemas(extra: list[Path]) -> SchemaSet:
    return SchemaSet.with_extra(extra) if extra else SchemaSet.default()


_worker: dict[str, tuple[SchemaSet, bytes | None]] = {}
"""State of a worker process, set once by `_start_worker`."""


def _start_worker(extra: list[Path], stdin_data: bytes | None) -> None:
    """Compile (or, after fork, inherit) the schema set once per worker.

    Ctrl-C is left to the parent, which stops the pool; workers would only print tracebacks.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker["state"] = (_schemas(extra), stdin_data)


def _check_in_worker(name: str) -> Compact:
    return _compact(_check_one(name, *_worker["state"]))


def _compact(outcome: Outcome) -> Compact:
    if isinstance(outcome, str):
        return outcome
    return tuple((i.rule, i.severity.value, i.message, i.line, i.xpath) for i in outcome.issues)


def _from_worker(name: str, compact: Compact) -> Outcome:
    """The `Outcome` `_check_one` gave in the worker, rebuilt from ``compact``."""
    if isinstance(compact, str):
        return compact
    source = "<stdin>" if name == STDIN else name
    return Report(source, [Issue(r, Severity(s), m, line, x) for r, s, m, line, x in compact])


def _outcomes(
    files: list[str], extra: list[Path], stdin_data: bytes | None, jobs: int
) -> Iterator[Outcome]:
    """The outcome for each file, in the order of ``files``, from ``jobs`` processes."""
    if jobs <= 1:
        schemas = _schemas(extra)
        for name in files:
            yield _check_one(name, schemas, stdin_data)
        return
    with _pool(jobs, extra, stdin_data) as pool:
        # Large chunks keep the hand-over cheap; several per worker keep all busy to the end.
        chunk = max(1, min(_MAX_CHUNK, len(files) // (jobs * 8)))
        compacts = pool.imap(_check_in_worker, files, chunksize=chunk)
        for name, compact in zip(files, compacts, strict=True):
            yield _from_worker(name, compact)


def _pool(jobs: int, extra: list[Path], stdin_data: bytes | None) -> Pool:
    import multiprocessing

    # fork (Linux) hands workers the imported modules and compiled schema for free; elsewhere
    # the platform default starts fresh interpreters that compile the schema in `_start_worker`.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    return context.Pool(jobs, initializer=_start_worker, initargs=(extra, stdin_data))


def _check_schema_folders(folders: list[str]) -> None:
    """``--schemas`` names folders: a file (or an empty name) is a usage error saying so."""
    for folder in folders:
        if not folder:
            raise UsageError("the --schemas path is empty", hint="give a folder of .xsd files")
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise UsageError(
                f"--schemas {display_name(folder)}: not a directory",
                hint="give the folder that holds the .xsd files, and any catalog.xml",
            )


def run(args: argparse.Namespace) -> int:
    _check_schema_folders(args.schemas)
    extra = [Path(folder) for folder in args.schemas]
    _schemas(extra)  # compile (or refuse) the schema set before any worker starts
    paths: list[str] = args.paths
    if paths.count(STDIN) > 1:
        raise UsageError("standard input (-) can be read only once")
    problems: list[str] = []
    files = list(_expand(paths, problems))
    stdin_data = _read_stdin() if STDIN in files else None
    jobs = default_jobs(len(files)) if args.jobs is None else min(args.jobs, max(1, len(files)))
    out = sys.stdout
    streaming = args.format == "text"
    reports: list[Report] = []
    outcomes: Iterable[Outcome] = _outcomes(files, extra, stdin_data, jobs)
    if out.isatty() and len(files) >= PROGRESS_THRESHOLD:
        outcomes = _with_progress(outcomes, len(files))
    for outcome in outcomes:
        if isinstance(outcome, str):
            problems.append(outcome)
            continue
        reports.append(outcome)
        if streaming:
            # sys.stdout looked up each time: under the progress bar rich redirects it.
            sys.stdout.write("".join(line + "\n" for line in text_lines(outcome)))

    if streaming:
        out.write(text_summary(reports) + "\n")
    else:
        out.write(RENDERERS[args.format](reports))
    out.flush()
    for problem in problems:
        print(f"digidialog validate: {problem}", file=sys.stderr)
    if problems:
        return 2
    return 0 if all(report.valid for report in reports) else 1


def _with_progress(outcomes: Iterable[Outcome], total: int) -> Iterator[Outcome]:
    """Pass ``outcomes`` through under a rich progress bar (terminal only; imported lazily)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task("validating", total=total)
        for outcome in outcomes:
            yield outcome
            progress.advance(task)
