"""Every official example: parse → to_xml keeps the information, and the output is schema-valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import digidialog
from digidialog.model import Message, MsgHead
from tests.conftest import official_sample_paths, sample_id
from tests.model.xmlcompare import first_difference, information

SAMPLES = official_sample_paths()

pytestmark = pytest.mark.reference


def test_all_69_examples_are_present(reference: Path) -> None:
    assert len(SAMPLES) == 69


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_roundtrip_keeps_information(path: Path, reference: Path) -> None:
    original = etree.parse(str(path)).getroot()
    written = etree.fromstring(digidialog.parse(path).to_xml())
    assert first_difference(information(original), information(written)) is None


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_output_validates_against_official_schema(
    path: Path, official_schema: etree.XMLSchema
) -> None:
    written = etree.fromstring(digidialog.parse(path).to_xml())
    assert official_schema.validate(written), official_schema.error_log


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_from_tree_equals_parse_and_to_tree_is_stable(path: Path, reference: Path) -> None:
    tree = etree.parse(str(path))
    from_tree = Message.from_tree(tree)
    assert from_tree == digidialog.parse(path)
    # writing, reading and writing again changes nothing: the model is a fixed point
    again = Message.from_tree(from_tree.to_tree())
    assert again == from_tree
    assert again.to_xml() == from_tree.to_xml()


def test_every_example_has_a_first_dialogmelding(reference: Path) -> None:
    for path in SAMPLES:
        message = digidialog.parse(path)
        assert isinstance(message, MsgHead)
        assert message.dialogmelding is not None, path.name
        first = message.document[0].ref_doc.first_item
        assert first is message.dialogmelding, path.name
