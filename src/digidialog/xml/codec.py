"""The codec's public face: bytes/text/path → typed `Message`, and `Message` → bytes.

Parsing goes through the hardened `digidialog.xml.parser`; the element ↔ model binding lives in
`digidialog.model.base`. Nothing here is rebuilt per call.
"""

from __future__ import annotations

import os

from lxml import etree

from digidialog.model import Message
from digidialog.xml.parser import DEFAULT_LIMITS, ParseLimits, parse_bytes, read_source


def parse(
    data: bytes | str | os.PathLike[str],
    *,
    source: str | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> Message:
    """Parse a MsgHead or AppRec from bytes, XML text or a path into its typed model.

    Raises `ParseError` (source, line, XPath) for malformed XML, an unknown root element or content
    that does not fit the model, and `UnsafeXMLError` for refused XML features.
    """
    raw, name = read_source(data, source=source)
    tree = parse_bytes(raw, source=name, limits=limits)
    return Message.from_tree(tree.getroot(), source=name)


def to_xml(message: Message) -> bytes:
    """``message.to_xml()``: UTF-8 bytes with an XML declaration."""
    return message.to_xml()


def to_tree(message: Message) -> etree._Element:
    """``message.to_tree()``: a fresh lxml element for signing or validation."""
    return message.to_tree()
