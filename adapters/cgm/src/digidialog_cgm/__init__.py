"""digidialog adapter for CGM Journal/WM3: SOAP 1.1 over HTTP, with a loopback SOAP simulator.

Registered in the `digidialog.adapters` entry-point group as `cgm` (see `SPEC`).
"""

from digidialog.adapters.httpclient import CONFIG_KEYS
from digidialog.adapters.registry import AdapterSpec
from digidialog_cgm.client import CAPABILITIES, CgmClient, create_adapter
from digidialog_cgm.simulator import CgmSimulator, create_simulator

SPEC = AdapterSpec(
    name="cgm",
    vendor="CompuGroup Medical",
    description="CGM Journal/WM3: SOAP 1.1 web service over HTTP(S), faults mapped to errors",
    capabilities=CAPABILITIES,
    factory=create_adapter,
    simulator=create_simulator,
    config_keys=CONFIG_KEYS,
)

__all__ = ["SPEC", "CgmClient", "CgmSimulator", "create_adapter", "create_simulator"]
