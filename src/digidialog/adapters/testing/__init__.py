"""The contract kit: a pytest suite any journal adapter runs to prove it honours the ports.

Subclass `AdapterContract` in a test module and provide a `backend` fixture that yields a
`ContractBackend`: the adapter under test, connected to a journal the kit can drive
(`JournalControl`, e.g. a `MemoryJournal` behind your simulator or test system) and a fault switch
(`FaultControl`). With a registered simulator this is three lines::

    from digidialog.adapters.testing import AdapterContract, simulator_backend

    class TestMyAdapterContract(AdapterContract):
        @pytest.fixture
        def backend(self, tmp_path):
            with simulator_backend("myvendor", tmp_path) as backend:
                yield backend

The journal must start quiet (no automatic answers) with `CONTRACT_OFFICE` as its office, and the
adapter's timeout must be well below `AdapterContract.stall_seconds`.

Beyond each call working, the kit holds an adapter to full fidelity (every field of every record
that crosses the ports, byte for byte, times with their UTC offset), the journal's order of the
outboxes, idempotency of repeated calendar requests (also after a lost answer) and acknowledgements,
and `JournalUnavailableError` from every operation while the journal is down (docs/adapters.md).
"""

import pytest

# The kit's asserts explain themselves when a vendor's test run fails (pytest rewrites only test
# modules and what is registered before it is imported).
pytest.register_assert_rewrite("digidialog.adapters.testing.contract")

from digidialog.adapters.testing.contract import (  # noqa: E402
    CONTRACT_CONFIG,
    CONTRACT_OFFICE,
    AdapterContract,
    ContractBackend,
    FaultControl,
    JournalControl,
    contract_journal,
    simulator_backend,
)

__all__ = [
    "CONTRACT_CONFIG",
    "CONTRACT_OFFICE",
    "AdapterContract",
    "ContractBackend",
    "FaultControl",
    "JournalControl",
    "contract_journal",
    "simulator_backend",
]
