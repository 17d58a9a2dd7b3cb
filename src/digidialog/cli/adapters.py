"""`digidialog adapters [--json]`: the journal adapters installed (entry-point group
`digidialog.adapters`) with their vendor, package, version and capabilities."""

from __future__ import annotations

import argparse
import json

from digidialog.adapters.registry import available


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "adapters",
        help="list the installed journal adapters and what they support",
        description="List the journal-system adapters registered in the digidialog.adapters "
        "entry-point group.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    infos = available()
    if args.json:
        print(json.dumps({"adapters": [i.as_dict() for i in infos]}, indent=2))
        return 0
    if not infos:
        print("no adapters installed (packages register in the digidialog.adapters group)")
        return 0
    for info in infos:
        caps = info.capabilities.as_dict()
        print(f"{info.name}  {info.vendor}  ({info.package} {info.version})")
        print(f"  {info.description}")
        print(f"  services:  {', '.join(caps['services'])}")
        print(f"  processes: {', '.join(caps['processes'])}")
        versions = "; ".join(f"{k} {', '.join(v)}" for k, v in caps["versions"].items())
        print(f"  versions:  {versions}")
        print(f"  features:  {', '.join(caps['features'])}")
        print(f"  config:    {', '.join(info.config_keys)}")
        simulate = f"yes (digidialog simulate {info.name})" if info.simulator else "no"
        print(f"  simulator: {simulate}")
    return 0
