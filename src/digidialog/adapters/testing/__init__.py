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
"""

from digidialog.adapters.testing.contract import (
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
