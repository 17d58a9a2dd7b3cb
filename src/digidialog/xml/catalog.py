"""OASIS XML catalogs, resolved offline: imports by URL map to local files, never the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from digidialog.errors import Location, UsageError

_CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


class CatalogResolver(etree.Resolver):
    """An lxml resolver that serves URLs named in a catalog from local files."""

    def __init__(self, mapping: dict[str, Path]) -> None:
        super().__init__()
        self.mapping = dict(mapping)

    @classmethod
    def from_catalog(cls, catalog: Path) -> CatalogResolver:
        """Read ``uri`` and ``system`` entries of an OASIS catalog file."""
        try:
            root = etree.parse(
                str(catalog), etree.XMLParser(no_network=True, resolve_entities=False)
            )
        except (OSError, etree.XMLSyntaxError) as exc:
            raise UsageError(
                f"cannot read XML catalog: {exc}", location=Location(str(catalog))
            ) from exc
        mapping: dict[str, Path] = {}
        base = catalog.parent
        for entry in root.iter(f"{_CATALOG_NS}uri", f"{_CATALOG_NS}system"):
            name = entry.get("name") or entry.get("systemId")
            target = entry.get("uri")
            if name and target:
                mapping[name] = (base / target).resolve()
        return cls(mapping)

    def merged(self, other: CatalogResolver) -> CatalogResolver:
        return CatalogResolver({**self.mapping, **other.mapping})

    # lxml-stubs lag behind lxml here: resolve() takes a context and resolve_filename() exists.
    def resolve(  # type: ignore[override]
        self, system_url: str, public_id: str, context: Any
    ) -> Any:
        target = self.mapping.get(system_url)
        if target is None:
            return None
        return self.resolve_filename(str(target), context)  # type: ignore[attr-defined]
