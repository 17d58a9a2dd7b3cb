"""Every official example message signs and verifies, and verification hands back its content."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from digidialog.security import Signer, Verifier
from digidialog.xml.parser import parse_bytes
from tests.conftest import official_sample_paths, sample_id

SAMPLES = official_sample_paths()


@pytest.mark.reference
@pytest.mark.skipif(not SAMPLES, reason="reference material not found")
@pytest.mark.parametrize("path", SAMPLES, ids=[sample_id(p) for p in SAMPLES])
def test_official_sample_round_trip(path: Path, signer: Signer, verifier: Verifier) -> None:
    original = path.read_bytes()
    signed = signer.sign(original, source=str(path))
    result = verifier.verify(signed, expected_sender="8093248")
    expected = etree.tostring(
        parse_bytes(original), method="c14n", exclusive=True, with_comments=False
    )
    assert result.signed_xml == expected
