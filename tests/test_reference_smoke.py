"""The official set loads offline through our catalog resolver and accepts every example."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import official_sample_paths, sample_id


@pytest.mark.reference
@pytest.mark.parametrize("path", official_sample_paths(), ids=sample_id)
def test_official_examples_are_valid_against_official_set(
    path: Path, official_schema: etree.XMLSchema
) -> None:
    assert official_schema.validate(etree.parse(str(path))), official_schema.error_log
