"""The project's own examples/ round-trip through the model without losing information."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import digidialog
from tests.conftest import EXAMPLES
from tests.model.xmlcompare import first_difference, information

PATHS = sorted(EXAMPLES.rglob("*.xml")) if EXAMPLES.is_dir() else []


@pytest.mark.parametrize("path", PATHS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_roundtrip_keeps_information(path: Path) -> None:
    original = etree.parse(str(path)).getroot()
    written = etree.fromstring(digidialog.parse(path).to_xml())
    assert first_difference(information(original), information(written)) is None
