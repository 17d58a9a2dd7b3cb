"""The codec's public face: bytes/text/path → typed `Message`; ``Message.to_xml()`` goes back.

Parsing goes through the hardened `digidialog.xml.parser`; the element ↔ model binding lives in
`digidialog.model.base`. Nothing here is rebuilt per call.
"""

from __future__ import annotations

import os

from digidialog.model import Message
from digidialog.xml.parser import DEFAULT_LIMITS, ParseLimits, parse_bytes, read_source


def parse(
    data: bytes | str | os.PathLike[str],
    *,
    source: str | None = None,
    limits: ParseLimits = DEFAULT_LIMITS,
) -> Message:
    """Parse a MsgHead or AppRec from bytes, XML text or a path into its typed model.

    A ``str`` is XML text when it starts with ``<`` (after blanks), else a path. Raises
    `ParseError` (source, line, XPath, ``code``) for malformed XML, an unknown root element or
    content that does not fit the model, `UnsafeXMLError` for refused XML features and sizes,
    and `UsageError` for a path that cannot be read. The codec never validates against the
    schema: run `digidialog.validate` first on untrusted input to see every problem at once.
    """
    raw, name = read_source(data, source=source, limits=limits)
    tree = parse_bytes(raw, source=name, limits=limits)
    return Message.from_tree(tree.getroot(), source=name)
