"""The information-equality check the lossless requirement is stated in.

Two documents carry the same information when they have the same elements (by namespace and local
name), the same attributes and the same text values in the same order — ignoring whitespace-only
text, namespace prefixes, comments/PIs (which never split a text value) and ``xsi:schemaLocation``.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

_IGNORED = frozenset(
    {
        "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation",
        "{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation",
    }
)


def information(element: etree._Element) -> tuple[Any, ...]:
    """A comparable tree: (name, attributes, [text and child entries in order])."""
    attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if k not in _IGNORED))
    content: list[Any] = []
    buffer = element.text or ""
    for child in element:
        if isinstance(child.tag, str):
            if buffer.strip(" \t\r\n"):
                content.append(("#text", buffer))
            content.append(information(child))
            buffer = child.tail or ""
        else:
            buffer += child.tail or ""
    if buffer.strip(" \t\r\n"):
        content.append(("#text", buffer))
    return (element.tag, attributes, tuple(content))


def first_difference(a: tuple[Any, ...], b: tuple[Any, ...], path: str = "") -> str | None:
    """Where two `information` trees first differ (None when they are equal), for test messages."""
    if a[0] != b[0]:
        return f"{path}: element {a[0]} != {b[0]}"
    here = f"{path}/{etree.QName(a[0]).localname}"
    if a[1] != b[1]:
        return f"{here}: attributes {a[1]} != {b[1]}"
    for index, (x, y) in enumerate(zip(a[2], b[2], strict=False)):
        if x[0] == "#text" or y[0] == "#text":
            if x != y:
                return f"{here}[{index}]: text {x!r} != {y!r}"
            continue
        found = first_difference(x, y, here)
        if found:
            return found
    if len(a[2]) != len(b[2]):
        return f"{here}: {len(a[2])} content nodes != {len(b[2])}"
    return None
