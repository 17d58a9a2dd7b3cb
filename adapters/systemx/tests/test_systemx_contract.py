"""SystemX passes the contract kit against its simulator, through real exchange folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digidialog.adapters.testing import AdapterContract, ContractBackend, simulator_backend


class TestSystemXContract(AdapterContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[ContractBackend]:
        with simulator_backend("systemx", tmp_path) as backend:
            yield backend
