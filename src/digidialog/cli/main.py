"""The `digidialog` command: a thin shell over the public API.

Each sub-command lives in its own module under `digidialog.cli` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``handler`` to a function
``(argparse.Namespace) -> int`` returning the exit code. Exit codes: 0 ok, 1 the input is bad
(invalid, forged …), 2 usage errors or unreadable paths.
"""

from __future__ import annotations

import argparse
import importlib
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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser for every sub-command, or just for ``only`` (a module named like its command).

    Loading one module is what keeps `digidialog validate` from importing every other command's
    dependencies at start-up; without a match the full parser is built.
    """
    parser = argparse.ArgumentParser(
        prog="digidialog",
        description="Digital dialog med fastlegen: validate, inspect, sign and seal messages.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"digidialog.cli.{name}").register(sub)
    if only is not None and only not in sub.choices:
        return build_parser()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(given[0] if given and given[0] in COMMANDS else None)
    args = parser.parse_args(given)
    try:
        code: int = args.handler(args)
    except UsageError as exc:
        print(f"digidialog {args.command}: {exc}", file=sys.stderr)
        return 2
    except DigidialogError as exc:
        print(f"digidialog {args.command}: {exc.code}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
