"""Shared fixtures. Conformance tests read ../shared/reference and skip cleanly without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE = Path(
    __import__("os").environ.get("DIGIDIALOG_REFERENCE", ROOT.parent / "shared" / "reference")
)
OFFICIAL_SAMPLES = REFERENCE / "samples" / "sarepta-digital-dialog"
OFFICIAL_XSD = REFERENCE / "xsd" / "sarepta"


def official_sample_paths() -> list[Path]:
    """The 69 official example messages, or [] when the reference material is absent."""
    if not OFFICIAL_SAMPLES.is_dir():
        return []
    return sorted(OFFICIAL_SAMPLES.rglob("*.xml"))


def sample_id(path: Path) -> str:
    return (
        str(path.relative_to(OFFICIAL_SAMPLES)) if OFFICIAL_SAMPLES in path.parents else path.name
    )


def required(element: etree._Element | None) -> etree._Element:
    """The element a lookup (``find``) must have found; fails the test plainly when it is absent."""
    assert element is not None, "expected element is missing"
    return element


@pytest.fixture(scope="session")
def reference() -> Path:
    """The reference folder; the test is skipped when it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def official_schema(reference: Path) -> etree.XMLSchema:
    """The official Sarepta schema set (all digital-dialog namespaces), compiled once, offline."""
    from digidialog.xml.catalog import CatalogResolver

    xsd = reference / "xsd" / "sarepta"
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver.from_catalog(xsd / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(xsd / "_local" / "digital-dialog-all.xsd"), parser))
