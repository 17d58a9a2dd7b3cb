"""Plenario passes the contract kit against its simulator, over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digidialog.adapters.testing import AdapterContract, ContractBackend, simulator_backend


class TestPlenarioContract(AdapterContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[ContractBackend]:
        with simulator_backend("plenario", tmp_path) as backend:
            yield backend
