"""`digidialog validate PATH...`: validate files, directories (recursively, *.xml) or stdin (``-``).

Exit 0 when every file is valid, 1 when any is invalid, 2 for usage errors or unreadable paths.
Warnings alone do not make a file invalid. On a terminal, large batches show a progress bar; piped
output is plain, so the per-file cost stays that of parsing and validating.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from digidialog.errors import UsageError
from digidialog.validation import Report, validate
from digidialog.validation.formats import FORMATS, RENDERERS, text_lines, text_summary
from digidialog.xml.schema import SchemaSet

STDIN = "-"
PROGRESS_THRESHOLD = 50
"""Batches at least this large get a progress bar (on a terminal only)."""


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
        type=Path,
        help="add a directory of further schemas (may hold a catalog.xml); repeatable",
    )
    parser.set_defaults(handler=run)


def _expand(paths: list[str], problems: list[str]) -> Iterator[str]:
    """Files to validate in the order given, directories sorted; bad paths go to ``problems``."""
    for given in paths:
        if given == STDIN:
            yield STDIN
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*.xml") if p.is_file())
            if not found:
                problems.append(f"{given}: no .xml files in this directory")
            yield from found
        elif path.is_file():
            yield given
        else:
            problems.append(f"{given}: no such file or directory")


def _check_one(name: str, schemas: SchemaSet, stdin_data: bytes | None) -> Report:
    if name == STDIN:
        return validate(stdin_data or b"", source="<stdin>", schemas=schemas)
    with open(name, "rb") as handle:
        data = handle.read()
    return validate(data, source=name, schemas=schemas)


def run(args: argparse.Namespace) -> int:
    schemas = SchemaSet.with_extra(args.schemas) if args.schemas else SchemaSet.default()
    paths: list[str] = args.paths
    if paths.count(STDIN) > 1:
        raise UsageError("standard input (-) can be read only once")
    problems: list[str] = []
    files = list(_expand(paths, problems))
    stdin_data = sys.stdin.buffer.read() if STDIN in files else None
    out = sys.stdout
    streaming = args.format == "text"
    reports: list[Report] = []

    def check(name: str) -> None:
        try:
            report = _check_one(name, schemas, stdin_data)
        except OSError as exc:
            problems.append(f"{name}: cannot read: {exc.strerror or exc}")
            return
        reports.append(report)
        if streaming:
            # sys.stdout looked up each time: under the progress bar rich redirects it.
            sys.stdout.write("".join(line + "\n" for line in text_lines(report)))

    if out.isatty() and len(files) >= PROGRESS_THRESHOLD:
        _with_progress(files, check)
    else:
        for name in files:
            check(name)

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


def _with_progress(files: list[str], check: Callable[[str], None]) -> None:
    """Run ``check`` over ``files`` under a rich progress bar (terminal only; imported lazily)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task("validating", total=len(files))
        for name in files:
            check(name)
            progress.advance(task)
