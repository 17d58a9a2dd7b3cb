"""OASIS XML catalogs, resolved offline: imports by URL map to local files, never the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from digidialog.errors import Location, UsageError

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


def offline_parser() -> etree.XMLParser:
    """A parser for local configuration XML (schemas, catalogs): no network, DTD or entities."""
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def read_local_xml(
    path: Path, *, what: str, hint: str, error: type[UsageError] = UsageError
) -> etree._ElementTree:
    """Parse ``path`` offline; an unreadable or malformed file raises ``error`` naming file and
    line. For files the user points the tool at (``--schemas``), not for messages."""
    try:
        return etree.parse(str(path), offline_parser())
    except etree.XMLSyntaxError as exc:
        raise error(
            f"cannot read {what}: {exc.msg}",
            location=Location(str(path), exc.lineno or None),
            hint=hint,
        ) from exc
    except OSError as exc:
        raise error(
            f"cannot read {what}: {exc.strerror or exc}", location=Location(str(path)), hint=hint
        ) from exc


class CatalogResolver(etree.Resolver):
    """An lxml resolver that serves URLs named in a catalog from local files."""

    def __init__(self, mapping: dict[str, Path]) -> None:
        super().__init__()
        self.mapping = dict(mapping)

    @classmethod
    def from_catalog(cls, catalog: Path) -> CatalogResolver:
        """Read ``uri`` and ``system`` entries of an OASIS catalog file."""
        root = read_local_xml(
            catalog,
            what="XML catalog",
            hint="fix the catalog (OASIS XML Catalogs) or remove it from the schema directory",
        )
        mapping: dict[str, Path] = {}
        base = catalog.parent
        for entry in root.iter(f"{_CATALOG_NS}uri", f"{_CATALOG_NS}system"):
            name = entry.get("name") or entry.get("systemId")
            target = entry.get("uri")
            if name and target:
                mapping[name] = (base / target).resolve()
        return cls(mapping)

    # lxml-stubs lag behind lxml here: resolve() takes a context and resolve_filename() exists.
    def resolve(  # type: ignore[override]
        self, system_url: str, public_id: str, context: Any
    ) -> Any:
        target = self.mapping.get(system_url)
        if target is None:
            return None
        return self.resolve_filename(str(target), context)  # type: ignore[attr-defined]
