"""`digidialog codes [SYSTEM [VALUE]]`: look up a code list or one code.

No argument lists the code lists; SYSTEM (a number such as 7602, or an OID) lists its codes;
SYSTEM VALUE shows one code, or exits 1 when the list does not hold it. ``--json`` for machines;
rich tables on a terminal, tab-separated text when piped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from digidialog.codes import Code, CodeSystem, code, code_system, systems


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``codes`` to the ``digidialog`` command (listed in `digidialog.cli.main.COMMANDS`)."""
    parser = subparsers.add_parser(
        "codes",
        help="look up a code list or a code",
        description="List the code lists, the codes of one list, or one code.",
    )
    parser.add_argument("system", nargs="?", help="code list number (e.g. 7602) or OID")
    parser.add_argument("value", nargs="?", help="code value (V) to show")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def _system_json(s: CodeSystem) -> dict[str, object]:
    return {"number": s.number, "oid": s.oid, "name": s.name, "count": len(s)}


def _code_json(c: Code) -> dict[str, str]:
    return {
        "system": c.system.number,
        "oid": c.oid,
        "value": str(c),
        "display_name": c.display_name,
    }


def _emit(title: str | None, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal, tab-separated lines (no title, no header) when piped."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Plain Text cells: a display name holding "[...]" is shown as it is, not read as markup.
        table = Table(title=Text(title) if title is not None else None)
        for name in header:
            table.add_column(Text(name))
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        Console().print(table)
    else:
        for row in rows:
            print("\t".join(row))


def run(args: argparse.Namespace) -> int:
    """Print what was asked for; an unknown system or code raises `UnknownCodeError` (exit 1)."""
    if args.system is None:
        known = systems()
        if args.json:
            print(json.dumps({"systems": [_system_json(s) for s in known]}, ensure_ascii=False))
        else:
            table = [(s.number, s.oid, s.name, str(len(s))) for s in known]
            _emit("Code lists", ("number", "OID", "name", "codes"), table)
        return 0
    system = code_system(args.system)
    if args.value is None:
        if args.json:
            payload = {**_system_json(system), "codes": [_code_json(c) for c in system]}
            print(json.dumps(payload, ensure_ascii=False))
        else:
            rows = [(str(c), c.display_name) for c in system]
            _emit(f"{system.number} {system.name} ({system.oid})", ("V", "DN"), rows)
        return 0
    found = code(system, args.value)
    if args.json:
        print(json.dumps(_code_json(found), ensure_ascii=False))
    else:
        _emit(
            f"{system.number} {system.name}",
            ("V", "DN", "S"),
            [(str(found), found.display_name, found.oid)],
        )
    return 0
