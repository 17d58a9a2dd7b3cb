"""digidialog adapter for Plenario (Infodoc): REST/JSON over HTTP, with a loopback simulator.

Registered in the `digidialog.adapters` entry-point group as `plenario` (see `SPEC`).
"""

from digidialog.adapters.httpclient import CONFIG_KEYS
from digidialog.adapters.registry import AdapterSpec
from digidialog_plenario.client import CAPABILITIES, PlenarioClient, create_adapter
from digidialog_plenario.simulator import PlenarioSimulator, create_simulator

SPEC = AdapterSpec(
    name="plenario",
    vendor="Infodoc",
    description="Plenario: REST/JSON API over HTTP(S), bearer token, idempotency keys",
    capabilities=CAPABILITIES,
    factory=create_adapter,
    simulator=create_simulator,
    config_keys=CONFIG_KEYS,
)

__all__ = ["SPEC", "PlenarioClient", "PlenarioSimulator", "create_adapter", "create_simulator"]
