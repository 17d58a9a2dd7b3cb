"""The `digidialog` command: a thin shell over the public API.

Each sub-command lives in its own module under `digidialog.cli` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``handler`` to a function
``(argparse.Namespace) -> int`` returning the exit code. Exit codes: 0 ok, 1 the input is bad
(invalid, forged …), 2 usage errors or unreadable paths.

Errors reach the user as one line on stderr, ``digidialog COMMAND: [code: ]where: what (hint)``,
never as a Python traceback: `DigidialogError` is the library's own (exit 1, or 2 for a
`UsageError`), an `OSError` that escaped a command names its path (exit 2), and anything else is a
bug reported as ``internal error`` (exit 1, failing closed; ``DIGIDIALOG_TRACEBACK=1`` shows it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence

from digidialog.errors import DigidialogError, UsageError

# Modules in digidialog.cli that add a sub-command, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "validate",
    "inspect",
    "codes",
    "security",
    "adapters",
    "simulate",
    "demo",
)

TRACEBACK_VARIABLE = "DIGIDIALOG_TRACEBACK"
"""Set (to anything but empty) to let unexpected errors end in a traceback, for bug reports."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for every sub-command, or just for ``only`` (a module named like its command).

    Loading one module is what keeps `digidialog validate` from importing every other command's
    dependencies at start-up; without a match the full parser is built.
    """
    parser = argparse.ArgumentParser(
        prog="digidialog",
        description="Digital dialog med fastlegen: validate, inspect, sign and seal messages.",
        epilog="Exit codes: 0 ok, 1 invalid or refused input, 2 usage error or unreadable path. "
        "`digidialog COMMAND --help` describes each command.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"digidialog.cli.{name}").register(sub)
    if only is not None and only not in sub.choices:
        return build_parser()
    return parser


def describe_error(exc: DigidialogError) -> str:
    """``[code: ]where: what (hint)`` for one line on stderr, the file named once.

    Errors that carry their file in ``location`` often name it in the message too ("cannot read
    x.pem: …"); the location prefix is dropped then rather than printing the name twice.
    """
    location = exc.location
    text = str(exc)
    if location.source and location.line is None and not location.xpath:
        # The name as a whole word of a path: a file "a" is not named by "cannot".
        named = re.search(rf"(?<![\w./-]){re.escape(location.source)}(?![\w./-])", exc.message)
        if named:
            text = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    if isinstance(exc, UsageError) and exc.code == UsageError.code:
        return text
    return f"{exc.code}: {text}"


def _subcommand_parser(
    parser: argparse.ArgumentParser, command: str | None
) -> argparse.ArgumentParser:
    """The parser of ``command`` (so its errors show its own usage line), else ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser


def _quiet_stdout() -> None:
    """After a broken pipe (``digidialog codes 7602 | head -1``): send further output nowhere,
    so the interpreter's last flush at exit does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (e.g. under capture)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given and given[0] in COMMANDS else None)
    if not given:
        parser.print_help(sys.stderr)
        print("\ndigidialog: error: no COMMAND given", file=sys.stderr)
        return 2
    args, extra = parser.parse_known_args(given)
    if extra:  # reported by the sub-command's parser, which shows its own usage (exits 2)
        _subcommand_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    command = f"digidialog {args.command}"
    try:
        code: int = args.handler(args)
        sys.stdout.flush()
    except UsageError as exc:
        print(f"{command}: {describe_error(exc)}", file=sys.stderr)
        return 2
    except DigidialogError as exc:
        print(f"{command}: {describe_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except OSError as exc:
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"{command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        print(
            f"{command}: internal error: {type(exc).__name__}: {exc} (a bug in digidialog: "
            f"please report it with the command and its input; {TRACEBACK_VARIABLE}=1 shows "
            "where)",
            file=sys.stderr,
        )
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
