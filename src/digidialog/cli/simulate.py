"""`digidialog simulate NAME [--port N | --dir D]`: run a vendor's journal simulator until Ctrl-C.

The simulator serves the demo office (two GPs, free slots, automatic answers) and prints the
adapter config that connects to it, e.g. for `digidialog.adapters.registry.create(NAME, config)`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from pathlib import Path

from digidialog.adapters.memory import AutoAnswer, demo_journal
from digidialog.adapters.registry import names, simulator
from digidialog.adapters.simulator import DEFAULT_TOKEN, SimulatorOptions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a journal-system simulator (plenario, systemx, cgm, …) until Ctrl-C",
        description="Run the simulator an adapter package ships: a small journal system with "
        "inbox, calendar and prescription renewals, on its vendor's surface.",
    )
    parser.add_argument("name", help=f"adapter name (installed: {', '.join(names()) or 'none'})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=0, help="loopback port for HTTP simulators")
    where.add_argument("--dir", type=Path, help="exchange-folder root for folder simulators")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="credential to require")
    parser.add_argument(
        "--quiet-office", action="store_true", help="do not answer incoming messages automatically"
    )
    parser.add_argument(
        "--seconds", type=float, default=None, help="stop after this many seconds (default: never)"
    )
    parser.add_argument("--json", action="store_true", help="print the adapter config as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    journal = demo_journal(auto=AutoAnswer() if args.quiet_office else None)
    options = SimulatorOptions(workdir=args.dir, port=args.port, journal=journal, token=args.token)
    with simulator(args.name, options) as sim:
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
