"""Shared fixtures. Conformance tests read ../shared/reference and skip cleanly without it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass
class Tripwire:
    """A loopback HTTP server that answers every GET with `body` and records its path: the proof
    that hardened parsing and schema loading never fetch anything (`requests` stays empty)."""

    url: str = ""
    body: bytes = b"FETCHED"
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            wire.requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(wire.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    wire.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield wire
    finally:
        server.shutdown()
        server.server_close()


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
