"""digidialog adapter for SystemX (HOVE): exchange folders, with a folder-watching simulator.

Registered in the `digidialog.adapters` entry-point group as `systemx` (see `SPEC`).
"""

from digidialog.adapters.registry import AdapterSpec
from digidialog_systemx.client import CAPABILITIES, CONFIG_KEYS, SystemXClient, create_adapter
from digidialog_systemx.simulator import SystemXSimulator, create_simulator

SPEC = AdapterSpec(
    name="systemx",
    vendor="HOVE",
    description="SystemX: exchange folders (import/export/error), whole-file writes, lock files",
    capabilities=CAPABILITIES,
    factory=create_adapter,
    simulator=create_simulator,
    config_keys=CONFIG_KEYS,
)

__all__ = ["SPEC", "SystemXClient", "SystemXSimulator", "create_adapter", "create_simulator"]
