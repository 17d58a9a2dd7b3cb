"""A vendor simulator from outside: start, stop, a journal to play, faults to inject.

Each vendor package implements `Simulator` for its own wire (HTTP server, exchange folders, SOAP
endpoint) around a `MemoryJournal`; `adapter_config()` is the config mapping that connects that
vendor's adapter to it, so `registry.start_with_simulator()` can pair the two in one call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from digidialog.adapters.faults import Faults
from digidialog.adapters.memory import MemoryJournal

#: The credential simulators require unless told otherwise (a well-known test value, not a secret).
DEFAULT_TOKEN = "simulator-token"  # noqa: S105


@dataclass(frozen=True, slots=True)
class SimulatorOptions:
    """How to run a simulator.

    `workdir` is where a folder-based simulator keeps its exchange folders (a fresh temporary
    directory when None); `port` the loopback port of an HTTP one (0: any free port); `journal` the
    journal to serve (None: `demo_journal()`, the answering demo office); `token` the credential
    the adapter must present, where the surface has one; `poll_interval` (seconds) how often a
    polling simulator and the adapter it configures (`adapter_config()`) look for new files (None:
    the vendor's defaults, sane for real use; short for demos and tests).
    """

    workdir: Path | None = None
    port: int = 0
    journal: MemoryJournal | None = None
    token: str = DEFAULT_TOKEN
    poll_interval: float | None = None


class Running(ABC):
    """Something a `with` block starts and stops: a simulator, a loopback server."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Simulator(Running):
    """A running stand-in for one vendor's journal system."""

    name: str
    journal: MemoryJournal
    faults: Faults

    @property
    @abstractmethod
    def address(self) -> str:
        """Where it listens: a URL, or the exchange folder."""

    @abstractmethod
    def adapter_config(self) -> Mapping[str, Any]:
        """The config that connects this vendor's adapter to this simulator."""
