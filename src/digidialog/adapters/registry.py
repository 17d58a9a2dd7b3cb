"""Find adapters through the `digidialog.adapters` entry-point group; the core names no vendor.

A vendor package registers one `AdapterSpec` object, e.g. in its pyproject::

    [project.entry-points."digidialog.adapters"]
    plenario = "digidialog_plenario:SPEC"

The spec is the adapter factory (call it with a config mapping) and carries the vendor's static
description and, optionally, a simulator factory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.memory import MemoryJournal
from digidialog.adapters.ports import Adapter
from digidialog.adapters.simulator import Simulator, SimulatorOptions
from digidialog.errors import UsageError

GROUP = "digidialog.adapters"


@dataclass(frozen=True)
class AdapterSpec:
    """What a vendor package registers: how to build its adapter (and its simulator)."""

    name: str
    vendor: str
    description: str
    capabilities: Capabilities
    factory: Callable[[Mapping[str, Any]], Adapter]
    simulator: Callable[[SimulatorOptions], Simulator] | None = None
    config_keys: tuple[str, ...] = field(default=())

    def __call__(self, config: Mapping[str, Any]) -> Adapter:
        return self.factory(config)


@dataclass(frozen=True)
class AdapterInfo:
    """One installed adapter as `digidialog adapters` lists it."""

    name: str
    vendor: str
    package: str
    version: str
    description: str
    capabilities: Capabilities
    simulator: bool
    config_keys: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "vendor": self.vendor,
            "package": self.package,
            "version": self.version,
            "description": self.description,
            "simulator": self.simulator,
            "config": list(self.config_keys),
            "capabilities": self.capabilities.as_dict(),
        }


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def _load(ep: EntryPoint) -> AdapterSpec:
    spec = ep.load()
    if not isinstance(spec, AdapterSpec):
        raise UsageError(
            f"entry point {ep.name} = {ep.value} in group {GROUP} is not an AdapterSpec",
            hint="register a digidialog.adapters.AdapterSpec instance",
        )
    return spec


def names() -> list[str]:
    """Names of the installed adapters, sorted."""
    return sorted(_entry_points())


def get(name: str) -> AdapterSpec:
    """The spec registered as `name`; a `UsageError` listing what is installed otherwise."""
    ep = _entry_points().get(name)
    if ep is None:
        raise UsageError(
            f"no adapter named {name!r} is installed",
            hint=f"installed: {', '.join(names()) or 'none'}; vendor packages register in {GROUP}",
        )
    return _load(ep)


def available() -> list[AdapterInfo]:
    """Every installed adapter, with the package that provides it."""
    found: list[AdapterInfo] = []
    for name, ep in sorted(_entry_points().items()):
        spec = _load(ep)
        dist = ep.dist
        found.append(
            AdapterInfo(
                name=name,
                vendor=spec.vendor,
                package=dist.name if dist else ep.module,
                version=dist.version if dist else "unknown",
                description=spec.description,
                capabilities=spec.capabilities,
                simulator=spec.simulator is not None,
                config_keys=spec.config_keys,
            )
        )
    return found


def create(name: str, config: Mapping[str, Any]) -> Adapter:
    """Build the adapter `name` from a config mapping (base URL, folders, token, …)."""
    return get(name)(config)


def simulator(name: str, options: SimulatorOptions | None = None) -> Simulator:
    """An (unstarted) simulator of adapter `name`'s journal system."""
    spec = get(name)
    if spec.simulator is None:
        raise UsageError(f"adapter {name!r} ships no simulator")
    return spec.simulator(options or SimulatorOptions())


@contextmanager
def start_with_simulator(
    name: str,
    workdir: Path | None = None,
    *,
    journal: MemoryJournal | None = None,
    config: Mapping[str, Any] | None = None,
    poll_interval: float | None = None,
) -> Iterator[tuple[Adapter, Simulator]]:
    """Start `name`'s simulator and an adapter connected to it; stop both on exit.

    `workdir` holds the simulator's files (a temporary directory when None); `journal` is the
    journal it serves (the answering demo office when None); `config` overrides adapter settings
    such as timeouts; `poll_interval` is `SimulatorOptions.poll_interval` (polling vendors only).
    """
    with tempfile.TemporaryDirectory(prefix=f"digidialog-{name}-") as tmp:
        options = SimulatorOptions(
            workdir=workdir or Path(tmp), journal=journal, poll_interval=poll_interval
        )
        with simulator(name, options) as sim:
            adapter = create(name, {**sim.adapter_config(), **(config or {})})
            with adapter:
                yield adapter, sim
