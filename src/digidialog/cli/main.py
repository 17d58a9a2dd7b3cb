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
COMMANDS: tuple[str, ...] = ("validate", "inspect", "codes", "security", "adapters", "simulate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digidialog",
        description="Digital dialog med fastlegen: validate, inspect, sign and seal messages.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"digidialog.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
