"""The one way bytes become an XML tree in digidialog: hardened, offline, bounded.

No DTDs, no entity expansion, no network, no XInclude; a size cap and a depth cap. Every refusal is
an `UnsafeXMLError`, every syntax error a `ParseError`, both naming the source and line.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from lxml import etree

from digidialog.errors import Location, ParseError, UnsafeXMLError, UsageError

XmlSource = bytes | str | os.PathLike[str] | IO[bytes]


LIBXML2_MAX_DEPTH: Final = 256
"""The nesting libxml2 itself allows without ``huge_tree`` (which we never set): deeper input is
refused inside the parser ("Excessive depth"), before any tree exists, at no extra cost."""


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps that bound the work one document can cause.

    ``max_depth`` defaults to libxml2's own cap, so the common case needs no check of ours; a
    smaller value costs one extra pass over the tree. It cannot be raised above that cap.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_depth: int = LIBXML2_MAX_DEPTH

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= LIBXML2_MAX_DEPTH:
            raise UsageError(
                f"ParseLimits.max_depth must be between 1 and {LIBXML2_MAX_DEPTH}, "
                f"not {self.max_depth}",
                hint=f"libxml2 refuses nesting deeper than {LIBXML2_MAX_DEPTH} levels anyway",
            )


DEFAULT_LIMITS: Final = ParseLimits()

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread is reused.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def read_source(data: XmlSource, *, source: str | None = None) -> tuple[bytes, str | None]:
    """Return the raw bytes of ``data`` and a name for it in messages.

    ``str`` is taken as XML text when it starts with ``<`` (after blanks), otherwise as a path.
    """
    if isinstance(data, bytes):
        return data, source
    if isinstance(data, str) and data.lstrip("\ufeff \t\r\n").startswith("<"):
        return _text_to_bytes(data), source
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        try:
            return path.read_bytes(), source or str(path)
        except OSError as exc:
            raise UsageError(
                f"cannot read {path}: {exc.strerror or exc}", location=Location(str(path))
            ) from exc
    return data.read(), source or getattr(data, "name", None)


def _text_to_bytes(text: str) -> bytes:
    # A str is already decoded: drop any declared encoding so libxml2 reads it as UTF-8.
    if text.startswith("<?xml"):
        end = text.find("?>")
        if end != -1:
            text = text[end + 2 :]
    return text.encode("utf-8")


def parse_xml(
    data: XmlSource, *, source: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> etree._ElementTree:
    """Parse ``data`` into an lxml tree, refusing anything unsafe."""
    raw, name = read_source(data, source=source)
    return parse_bytes(raw, source=name, limits=limits)


def parse_bytes(
    raw: bytes, *, source: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> etree._ElementTree:
    """Parse bytes already in memory; see `parse_xml`."""
    if len(raw) > limits.max_bytes:
        raise UnsafeXMLError(
            f"document is {len(raw)} bytes, over the limit of {limits.max_bytes}",
            location=Location(source),
            hint="raise ParseLimits.max_bytes if this size is expected",
        )
    if not raw.strip():
        raise ParseError("document is empty", location=Location(source))
    if _prolog_has_doctype(raw):
        raise UnsafeXMLError(
            "DOCTYPE declarations are refused (no DTDs, no entities; nothing is fetched)",
            location=Location(source, 1),
        )
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg or str(exc)
        if "Excessive depth" in message:
            raise UnsafeXMLError(
                f"element nesting is deeper than {LIBXML2_MAX_DEPTH} levels",
                location=Location(source, line),
            ) from exc
        if "Huge input" in message or "Text node too long" in message:
            raise UnsafeXMLError(
                "a text node is over libxml2's 10 MB limit (an attachment of about 7.5 MB)",
                location=Location(source, line),
                hint="send large files as several attachments",
            ) from exc
        if "Entity" in message or "entity" in message:
            raise UnsafeXMLError(
                f"entity references are refused: {message}", location=Location(source, line)
            ) from exc
        raise ParseError(
            f"not well-formed XML: {message}", location=Location(source, line)
        ) from exc
    tree = root.getroottree()
    docinfo: Any = tree.docinfo  # lxml-stubs do not know DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXMLError(
            "DOCTYPE declarations are refused (no DTDs, no entities)",
            location=Location(source, 1),
        )
    if limits.max_depth < LIBXML2_MAX_DEPTH and _deeper_than(tree, limits.max_depth):
        raise UnsafeXMLError(
            f"element nesting is deeper than {limits.max_depth} levels",
            location=Location(source),
        )
    return tree


def _prolog_has_doctype(raw: bytes) -> bool:
    """True when a DOCTYPE stands before the root element (single-byte encodings; libxml2's
    own DocInfo check afterwards covers the rest). Refusing it here means libxml2 never reads it.
    """
    position = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    size = len(raw)
    while position < size:
        if raw[position] in b" \t\r\n":
            position += 1
        elif raw.startswith(b"<?", position):
            end = raw.find(b"?>", position)
            position = size if end == -1 else end + 2
        elif raw.startswith(b"<!--", position):
            end = raw.find(b"-->", position)
            position = size if end == -1 else end + 3
        else:
            return raw.startswith(b"<!DOCTYPE", position)
    return False


def _deeper_than(tree: etree._ElementTree, depth: int) -> bool:
    # Only for caps below libxml2's own. One XPath evaluated in libxml2: any element at depth+1?
    return bool(tree.xpath("boolean(/" + "/".join(["*"] * (depth + 1)) + ")"))
