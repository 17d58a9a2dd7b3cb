"""Journal-system adapters: the ports, the registry that finds vendor adapters, and their helpers.

The core never imports a vendor: `registry.create("plenario", config)` finds the package through
the `digidialog.adapters` entry-point group. `registry.start_with_simulator(name)` pairs an adapter
with its vendor's simulator; `MemoryJournal` is the journal every simulator serves;
`digidialog.adapters.testing` is the contract kit.
"""

from digidialog.adapters.capabilities import PROCESSES, Capabilities
from digidialog.adapters.faults import Faults
from digidialog.adapters.memory import AutoAnswer, MemoryJournal, demo_journal
from digidialog.adapters.ports import (
    Adapter,
    Calendar,
    Delivery,
    Inbox,
    JournalRefusal,
    OfficeMessage,
    OutgoingMessage,
    Practice,
    PrescriptionRenewals,
    RefusalReason,
    RenewalDecision,
    Undelivered,
)
from digidialog.adapters.registry import (
    AdapterInfo,
    AdapterSpec,
    available,
    create,
    start_with_simulator,
)
from digidialog.adapters.rpc import memory_adapter
from digidialog.adapters.simulator import Simulator, SimulatorOptions

__all__ = [
    "PROCESSES",
    "Adapter",
    "AdapterInfo",
    "AdapterSpec",
    "AutoAnswer",
    "Calendar",
    "Capabilities",
    "Delivery",
    "Faults",
    "Inbox",
    "JournalRefusal",
    "MemoryJournal",
    "OfficeMessage",
    "OutgoingMessage",
    "Practice",
    "PrescriptionRenewals",
    "RefusalReason",
    "RenewalDecision",
    "Simulator",
    "SimulatorOptions",
    "Undelivered",
    "available",
    "create",
    "demo_journal",
    "memory_adapter",
    "start_with_simulator",
]
