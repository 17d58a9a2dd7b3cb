"""Namespaces and compiled XPath expressions shared by the rules (compiled once, at import)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from lxml import etree

from digidialog.xml import namespaces as ns

NS: Final = {
    "m": ns.MSGHEAD,
    "d": ns.DIALOG_1_1,
    "d0": ns.DIALOG_1_0,
    "b": ns.BASE64,
    "x": ns.XCAL,
    "a": ns.APPREC_1_1,
    "a0": ns.APPREC_1_0,
    "pr": ns.PASIENTRELASJON,
}


def xp(expression: str) -> etree.XPath:
    """Compile ``expression`` with the rule namespaces."""
    return etree.XPath(expression, namespaces=NS)


def elements(path: etree.XPath, node: etree._Element) -> Iterator[etree._Element]:
    """The element results of ``path`` on ``node`` (typed for mypy; XPath results are untyped)."""
    result = path(node)
    if isinstance(result, list):
        for item in result:
            if isinstance(item, etree._Element):
                yield item


def first(path: etree.XPath, node: etree._Element) -> etree._Element | None:
    return next(elements(path, node), None)


def text(element: etree._Element | None) -> str:
    """All text below ``element`` (xhtml content included), stripped; '' for None."""
    if element is None:
        return ""
    return "".join(str(part) for part in element.itertext()).strip()
