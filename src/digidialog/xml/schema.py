"""Compiled XML Schema sets: ours from ``schemas/``, optionally joined by more schema directories.

Compiling a schema set costs milliseconds to tens of milliseconds, validating one message well under
one; so a set is compiled once per process (per distinct list of directories) and then reused.
Compilation is offline: every ``schemaLocation`` is a local file or is mapped to one by a
directory's ``catalog.xml`` through `digidialog.xml.catalog.CatalogResolver`; a remote URL without
a catalog entry stops loading with a `SchemaLoadError` naming the URL — nothing is ever downloaded.

Validation runs on libxml2 through lxml (fast). `SchemaSet.explain` re-checks a document with the
pure-Python ``xmlschema`` package, which reports every problem with its reason; it is 20-100x slower
and meant for people reading a report on an invalid file, never for the per-message path.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from lxml import etree

from digidialog.errors import Location, UsageError
from digidialog.xml import namespaces as ns
from digidialog.xml.catalog import CatalogResolver, offline_parser, read_local_xml
from digidialog.xml.namespaces import readable_path

__all__ = [
    "SchemaIssue",
    "SchemaLoadError",
    "SchemaSet",
    "default_schema_dir",
    "readable_path",
]

_XS: Final = "http://www.w3.org/2001/XMLSchema"
_REMOTE_SCHEMES: Final = frozenset({"http", "https", "ftp"})
_CATALOG_NAME: Final = "catalog.xml"


def default_schema_dir() -> Path:
    """Where our own XSDs live: ``$DIGIDIALOG_SCHEMAS`` if set, else the package's ``schemas``.

    In the source tree ``digidialog/schemas`` is a link to the project's top-level ``schemas/``;
    a built wheel carries the files themselves.
    """
    override = os.environ.get("DIGIDIALOG_SCHEMAS")
    if override:
        return Path(override).resolve()
    # resolved last, so that the link and the folder it points to are one path
    return (Path(__file__).resolve().parent.parent / "schemas").resolve()


class SchemaLoadError(UsageError):
    """A schema directory cannot be compiled (missing file, XSD error, unmapped remote import)."""

    code = "schema:load"


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One schema violation: a readable message, the line, and an XPath of local names."""

    message: str
    line: int | None
    xpath: str | None

    def __str__(self) -> str:
        where = str(Location(None, self.line, self.xpath))
        return f"{where}: {self.message}" if where else self.message


# --------------------------------------------------------------------------------------------------
# Loading


class _OfflineResolver(CatalogResolver):
    """Catalog resolution that refuses (and remembers) every remote URL the catalogs do not map."""

    def __init__(self, mapping: dict[str, Path]) -> None:
        super().__init__(mapping)
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        found = super().resolve(system_url, public_id, context)
        if found is not None:
            return found
        if urlsplit(system_url).scheme.lower() in _REMOTE_SCHEMES:
            self.refused.append(system_url)
            # An empty, non-schema document: libxml2 skips the import instead of fetching it.
            return self.resolve_string("<refused-remote-schema/>", context, base_url=None)
        return None


def _entry_points(directory: Path) -> dict[str, Path]:
    """One top-level file per target namespace in ``directory`` (searched recursively).

    Files pulled in by another file's ``xs:include`` are parts, not entry points. When several files
    declare the same namespace (copies of ``kith.xsd`` in several folders), the one nearest the top
    of the directory, then first by name, is taken.
    """
    files = sorted(directory.rglob("*.xsd"), key=lambda p: (len(p.relative_to(directory).parts), p))
    if not files:
        raise SchemaLoadError(
            "no .xsd files found",
            location=Location(str(directory)),
            hint="pass a directory that holds XML Schema files",
        )
    namespace_of: dict[Path, str] = {}
    included: set[Path] = set()
    for path in files:
        root = read_local_xml(
            path,
            what="schema",
            hint="fix or remove the file from the schema directory",
            error=SchemaLoadError,
        ).getroot()
        if root.tag != f"{{{_XS}}}schema":
            continue
        namespace_of[path] = root.get("targetNamespace", "")
        for inc in root.iter(f"{{{_XS}}}include"):
            location = inc.get("schemaLocation")
            if location and "://" not in location:
                included.add((path.parent / location).resolve())
    if not namespace_of:
        raise SchemaLoadError(
            f"none of the {len(files)} .xsd files is an XML Schema 1.0 document",
            location=Location(str(directory)),
            hint=f"the root element must be {{{_XS}}}schema",
        )
    entries: dict[str, Path] = {}
    for path, namespace in namespace_of.items():
        if path.resolve() not in included:
            entries.setdefault(namespace, path.resolve())
    return entries


def _catalog_mapping(directories: Iterable[Path]) -> dict[str, Path]:
    mapping: dict[str, Path] = {}
    for directory in directories:
        catalog = directory / _CATALOG_NAME
        if catalog.is_file():
            mapping.update(CatalogResolver.from_catalog(catalog).mapping)
    return mapping


def _wrapper(imports: Sequence[tuple[str, Path]]) -> bytes:
    """A schema document that only imports, so one compiled schema covers every namespace."""
    root = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    root.set("targetNamespace", "urn:digidialog:schema-set")
    for namespace, path in imports:
        imp = etree.SubElement(root, f"{{{_XS}}}import", schemaLocation=path.as_uri())
        if namespace:
            imp.set("namespace", namespace)
    return etree.tostring(root)


def _check_dir(directory: Path) -> Path:
    resolved = directory.expanduser().resolve()
    if not resolved.is_dir():
        raise SchemaLoadError(
            "schema directory not found",
            location=Location(str(directory)),
            hint="pass an existing directory of .xsd files",
        )
    return resolved


@functools.lru_cache(maxsize=16)
def _compile(own: Path | None, extras: tuple[Path, ...], prefer_extra: bool) -> SchemaSet:
    layers: list[dict[str, Path]] = [_entry_points(d) for d in extras]
    if own is not None:
        mine = _entry_points(own)
        layers = [*layers, mine] if prefer_extra else [mine, *layers]
    chosen: dict[str, Path] = {}
    for layer in layers:
        for namespace, path in layer.items():
            chosen.setdefault(namespace, path)
    directories = ([own] if own is not None else []) + list(extras)
    resolver = _OfflineResolver(_catalog_mapping(directories))
    parser = offline_parser()
    parser.resolvers.add(resolver)
    base = (directories[0] / "_schema-set.xsd").as_uri()
    where = Location(", ".join(str(d) for d in directories))
    try:
        document = etree.fromstring(_wrapper(list(chosen.items())), parser, base_url=base)
        schema = etree.XMLSchema(document.getroottree())
    except etree.XMLSchemaParseError as exc:
        if resolver.refused:
            raise _refused(resolver.refused, where) from exc
        log: list[etree._LogEntry] = list(exc.error_log)
        # prefer an entry that names a schema file over libxml2's loader messages ("<string>")
        first = next((e for e in log if (e.filename or "").startswith("file:")), None)
        first = first or (log[0] if log else None)
        raise SchemaLoadError(
            f"schema set does not compile: {_clean(first.message if first else str(exc))}",
            location=_where(first) if first else where,
            hint="fix the named schema file or leave it out of the directory",
        ) from exc
    if resolver.refused:
        raise _refused(resolver.refused, where)
    warnings: etree._ListErrorLog = schema.error_log
    missing = next((e for e in warnings if _MISSING_IMPORT.search(e.message)), None)
    if missing is not None:
        # libxml2 only warns and skips the import; the set would then reject valid documents
        reason = _clean(missing.message).removesuffix(" Skipping the import.")
        raise SchemaLoadError(
            f"schema import cannot be loaded: {reason}",
            location=_where(missing),
            hint="add the imported file to the directory or correct its schemaLocation",
        )
    return SchemaSet(schema, directories=tuple(directories), locations=chosen)


_MISSING_IMPORT = re.compile(r"Failed to locate a schema at location")


def _where(entry: etree._LogEntry) -> Location:
    """The schema file (a path, not a file URI), line and XPath a libxml2 log entry points at."""
    name = entry.filename or None
    if name and name.startswith("file:"):
        from urllib.request import url2pathname  # only on this error path: costs 16 ms to import

        name = url2pathname(urlsplit(name).path)
    return Location(name, entry.line or None, entry.path or None)


@functools.lru_cache(maxsize=4)
def _default_for(override: str | None) -> SchemaSet:
    # Keyed by $DIGIDIALOG_SCHEMAS so that changing it picks another directory.
    return _compile(_check_dir(default_schema_dir()), (), False)


def _refused(urls: list[str], where: Location) -> SchemaLoadError:
    listed = ", ".join(sorted(set(urls)))
    return SchemaLoadError(
        f"schema import needs a remote file that is never downloaded: {listed}",
        location=where,
        hint=f"add a local copy and map the URL in a {_CATALOG_NAME} in the schema directory",
    )


# --------------------------------------------------------------------------------------------------
# Messages


_QNAME = re.compile(r"\{([^}]*)\}([\w.\-]+)")
_TYPE_NAME = re.compile(r"type '(?:\{[^}]*\}|xs:)?([\w.\-]+)'")
_LABELS: Final = {
    ns.MSGHEAD: "mh",
    ns.DIALOG_1_1: "dialog1.1",
    ns.DIALOG_1_0: "dialog1.0",
    ns.APPREC_1_1: "apprec1.1",
    ns.APPREC_1_0: "apprec1.0",
    ns.KITH: "kith",
    ns.FELLESKOMPONENT1: "fk1",
    ns.BASE64: "base64",
    ns.XCAL: "xcal",
    ns.PASIENTRELASJON: "pasientrelasjon",
    ns.PERSONER: "personer",
    ns.HELSEPERSONELL_2014: "helsepersonell2014",
    ns.HELSEPERSONELL_2015: "helsepersonell2015",
    ns.DS: "ds",
    ns.XSI: "xsi",
    _XS: "xs",
}
_REWRITES: Final = (
    (re.compile(r"\[facet '\w+'\] "), ""),
    (re.compile(r" for <class '[\w.]+'>"), ""),
    (
        re.compile(r"This element is not expected\. Expected is one of \( (.*?) \)\."),
        r"This element is not expected here; expected one of: \1.",
    ),
    (
        re.compile(r"This element is not expected\. Expected is \( (.*?) \)\."),
        r"This element is not expected here; expected \1.",
    ),
    (
        re.compile(r"Missing child element\(s\)\. Expected is one of \( (.*?) \)\."),
        r"Missing child element; expected one of: \1.",
    ),
    (
        re.compile(r"Missing child element\(s\)\. Expected is \( (.*?) \)\."),
        r"Missing child element; expected \1.",
    ),
    (
        re.compile(r"No matching global declaration available for the validation root\."),
        "Not a document this schema set knows (no declaration for this root element).",
    ),
    (
        re.compile(
            r"No matching global element declaration available, but demanded by the strict "
            r"wildcard\."
        ),
        "No schema is loaded for this element, and its place demands one (add it with --schemas).",
    ),
    (re.compile(r"\s+"), " "),
)
_FOLLOW_UP = re.compile(r"is not a valid value of the (local )?(atomic|union|list) type")


def _clean(message: str) -> str:
    """Make a libxml2 message readable: local names instead of {namespace}names, no facet tags."""
    text = _TYPE_NAME.sub(r"type '\1'", message.strip())
    spaces = {m.group(1) for m in _QNAME.finditer(text)}
    if len(spaces) <= 1:
        text = _QNAME.sub(r"\2", text)
    else:
        text = _QNAME.sub(
            lambda m: f"{_LABELS[m.group(1)]}:{m.group(2)}" if m.group(1) in _LABELS else m[0],
            text,
        )
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.strip()


def _prefixes(root: etree._Element) -> dict[str, str]:
    """Every prefix bound in ``root``'s subtree (first binding wins), to evaluate libxml2 paths."""
    found: dict[str, str] = {}
    for element in root.iter(tag=etree.Element):
        for prefix, uri in element.nsmap.items():
            if prefix and uri:
                found.setdefault(prefix, uri)
    return found


def _locate(root: etree._Element, raw_path: str | None, prefixes: dict[str, str]) -> str | None:
    """Turn libxml2's ``/*/*[2]/*[1]`` (relative to the validated root) into a readable path."""
    if not raw_path or not raw_path.startswith("/"):
        return raw_path or None
    _, _, rest = raw_path[1:].partition("/")
    try:
        found = root.xpath("./" + rest, namespaces=prefixes) if rest else [root]
    except etree.XPathError:
        return raw_path
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return readable_path(found[0])
    return raw_path


def _issues(root: etree._Element, log: etree._ListErrorLog) -> list[SchemaIssue]:
    issues: list[SchemaIssue] = []
    prefixes = _prefixes(root)
    for entry in log:
        if entry.level < etree.ErrorLevels.ERROR:
            continue
        line = entry.line or None
        xpath = _locate(root, entry.path, prefixes)
        if (
            issues
            and _FOLLOW_UP.search(entry.message)
            and issues[-1].line == line
            and issues[-1].xpath == xpath
        ):
            continue  # libxml2 restates the facet error just reported for the same node
        issues.append(SchemaIssue(_clean(entry.message), line, xpath))
    return issues


# --------------------------------------------------------------------------------------------------
# The set


class SchemaSet:
    """A compiled schema set. Get one with `default`, `load` or `with_extra`; all are cached.

    Namespace precedence: when an extra directory declares a namespace our own set already has
    (the official Sarepta set declares all of them), ours is kept — only namespaces we do not write
    (e.g. e-prescription M1, TjenesteOversikt) come from the extra directory. Pass
    ``prefer_extra=True`` to take the extra directories' schemas for every namespace they declare,
    ours filling the rest. Between extra directories, the first one given wins.
    """

    def __init__(
        self,
        schema: etree.XMLSchema,
        *,
        directories: tuple[Path, ...],
        locations: dict[str, Path],
    ) -> None:
        self._schema = schema
        self._lock = threading.Lock()
        self.directories = directories
        """The schema directories compiled into this set (ours first)."""
        self.locations = dict(locations)
        """Namespace -> the top-level schema file that declares it in this set."""
        self._explainer: Any = None
        self._explain_lock = threading.Lock()

    @property
    def namespaces(self) -> frozenset[str]:
        """The target namespaces this set can validate."""
        return frozenset(self.locations)

    @classmethod
    def default(cls) -> SchemaSet:
        """Our own schema set (``schemas/``), compiled on first use and shared afterwards.

        Cheap to call per message: after the first call it is one dictionary lookup.
        """
        return _default_for(os.environ.get("DIGIDIALOG_SCHEMAS"))

    @classmethod
    def load(
        cls,
        extra_dirs: Sequence[Path | str] = (),
        *,
        prefer_extra: bool = False,
        own: bool = True,
    ) -> SchemaSet:
        """Our set plus ``extra_dirs`` (each may hold a ``catalog.xml`` mapping remote imports).

        ``own=False`` compiles only the extra directories (e.g. the official set on its own).
        The result is cached per distinct argument list.
        """
        extras = tuple(_check_dir(Path(d)) for d in extra_dirs)
        if own and not extras:
            return cls.default()
        if not own and not extras:
            raise SchemaLoadError("no schema directory given", hint="pass at least one directory")
        mine = _check_dir(default_schema_dir()) if own else None
        return _compile(mine, extras, prefer_extra)

    @classmethod
    def with_extra(cls, dirs: Sequence[Path | str], *, prefer_extra: bool = False) -> SchemaSet:
        """Our set joined by ``dirs``; the same as ``load(dirs, prefer_extra=...)``."""
        return cls.load(dirs, prefer_extra=prefer_extra)

    def wrapper_xsd(self) -> bytes:
        """One XSD that imports every namespace of this set, in precedence order.

        For tools that take a single schema file, e.g. ``xmllint --schema`` (write it next to
        nothing in particular: all locations are absolute file URIs).
        """
        return _wrapper(list(self.locations.items()))

    def validate(self, document: etree._ElementTree | etree._Element) -> list[SchemaIssue]:
        """All schema violations libxml2 reports for ``document`` (empty when valid)."""
        root = document.getroot() if isinstance(document, etree._ElementTree) else document
        with self._lock:  # the compiled schema is shared; its error log is per call
            if self._schema.validate(document):
                return []
            log = self._schema.error_log
        return _issues(root, log)

    def is_valid(self, document: etree._ElementTree | etree._Element) -> bool:
        """True when ``document`` validates; cheaper than `validate` on invalid input."""
        with self._lock:
            return bool(self._schema.validate(document))

    def explain(self, document: etree._ElementTree | etree._Element) -> list[SchemaIssue]:
        """Every violation with ``xmlschema``'s fuller reasons; slow, for reports on bad files."""
        import xmlschema

        with self._explain_lock:  # built once, on first use, away from the validation lock
            if self._explainer is None:
                try:
                    self._explainer = xmlschema.XMLSchema(
                        [path.as_uri() for path in self.locations.values()],
                        uri_mapper=_catalog_uri_mapper(self.directories),
                        allow="local",
                    )
                except (xmlschema.XMLSchemaException, OSError) as exc:
                    raise SchemaLoadError(
                        f"xmlschema cannot load this schema set: {exc}",
                        location=Location(", ".join(str(d) for d in self.directories)),
                        hint="use validate(), which does not need xmlschema",
                    ) from exc
        root = document.getroot() if isinstance(document, etree._ElementTree) else document
        issues: list[SchemaIssue] = []
        for error in self._explainer.iter_errors(root):
            element = error.elem if isinstance(error.elem, etree._Element) else None
            line = element.sourceline if element is not None else None
            line = line if isinstance(line, int) else None
            reason = _clean(error.reason or error.message)
            if element is not None:
                reason = f"Element '{etree.QName(element).localname}': {reason}"
            issues.append(
                SchemaIssue(
                    reason,
                    line,
                    readable_path(element) if element is not None else error.path,
                )
            )
        return issues


def _catalog_uri_mapper(directories: Iterable[Path]) -> Any:
    mapping = {url: path.as_uri() for url, path in _catalog_mapping(directories).items()}

    def mapper(uri: str) -> str:
        return mapping.get(uri, uri)

    return mapper
