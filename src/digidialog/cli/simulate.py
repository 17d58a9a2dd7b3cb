"""`digidialog simulate NAME [--port N | --dir D]`: run a vendor's journal simulator until Ctrl-C.

The simulator serves the demo office (two GPs, free slots, automatic answers) and prints the
adapter config that connects to it, e.g. for `digidialog.adapters.registry.create(NAME, config)`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
from pathlib import Path

from digidialog.adapters.memory import AutoAnswer, demo_journal
from digidialog.adapters.registry import names, simulator
from digidialog.adapters.simulator import DEFAULT_TOKEN, SimulatorOptions
from digidialog.errors import UsageError


def _port(text: str) -> int:
    """A TCP port for argparse: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not in 0-65535")
    return port


def _seconds(text: str) -> float:
    """A duration for argparse: a finite number of seconds from 0 to what a wait can take."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds <= threading.TIMEOUT_MAX:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"{text} is not a duration (seconds from 0 to {threading.TIMEOUT_MAX:.0f}; "
            "leave out --seconds to run until Ctrl-C)"
        )
    return seconds


def _folder(text: str) -> Path:
    """A folder name for argparse: not empty (``Path("")`` would be the current folder)."""
    if not text:
        raise argparse.ArgumentTypeError("the folder name is empty")
    return Path(text)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a journal-system simulator (plenario, systemx, cgm, …) until Ctrl-C",
        description="Run the simulator an adapter package ships: a small journal system with "
        "inbox, calendar and prescription renewals, on its vendor's surface.",
    )
    parser.add_argument("name", help=f"adapter name (installed: {', '.join(names()) or 'none'})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=_port, default=0, help="loopback port for HTTP simulators")
    where.add_argument("--dir", type=_folder, help="exchange-folder root for folder simulators")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="credential to require")
    parser.add_argument(
        "--quiet-office", action="store_true", help="do not answer incoming messages automatically"
    )
    parser.add_argument(
        "--seconds",
        type=_seconds,
        default=None,
        help="stop after this many seconds (default: never)",
    )
    parser.add_argument("--json", action="store_true", help="print the adapter config as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    journal = demo_journal(auto=AutoAnswer() if args.quiet_office else None)
    if args.dir is not None:
        _check_folder(args.dir)
    options = SimulatorOptions(workdir=args.dir, port=args.port, journal=journal, token=args.token)
    with contextlib.ExitStack() as stack:
        try:
            sim = stack.enter_context(simulator(args.name, options))
        except OSError as exc:  # port taken or not ours, folder not writable …
            raise UsageError(
                f"cannot start the {args.name} simulator: {exc}",
                hint="choose another --port (0: any free one) or a writable --dir",
            ) from exc
        config = dict(sim.adapter_config())
        if args.json:
            print(json.dumps({"name": args.name, "address": sim.address, "config": config}))
        else:
            office = journal.office()
            print(f"{args.name} simulator running at {sim.address}")
            print(f"office {office.name} (HER-id {office.her_id}); GPs:")
            for gp in office.practitioners:
                print(f"  {gp.her_id}  {gp.full_name}")
            print(f"adapter config: {json.dumps(config)}")
            print("press Ctrl-C to stop")
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way to stop
            threading.Event().wait(args.seconds)
    return 0


def _check_folder(folder: Path) -> None:
    """`--dir` must be (or become) a writable folder: a clear usage error, never a traceback."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--dir {folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--dir {folder}: cannot create the folder: {exc.strerror or exc}"
        ) from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--dir {folder}: the folder is not writable")
