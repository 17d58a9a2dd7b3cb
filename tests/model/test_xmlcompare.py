"""The information check behind every round-trip test must see real differences, or those tests
could not fail: differing text, attributes, order, names and namespaces count; prefixes,
whitespace-only text, comments and ``xsi:schemaLocation`` do not."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.model.xmlcompare import first_difference, information

BASE = b'<a:R xmlns:a="urn:r"><a:X k="1">tekst</a:X><a:Y/><a:Z>2</a:Z></a:R>'


def _differ(left: bytes, right: bytes) -> str | None:
    return first_difference(
        information(etree.fromstring(left)), information(etree.fromstring(right))
    )


@pytest.mark.parametrize(
    "same",
    [
        b'<R xmlns="urn:r"><X k="1">tekst</X><Y/><Z>2</Z></R>',  # other prefix
        b'<a:R xmlns:a="urn:r">\n  <a:X k="1">tekst</a:X>\n  <a:Y> </a:Y>\n  <a:Z>2</a:Z>\n</a:R>',
        b'<a:R xmlns:a="urn:r"><a:X k="1">te<!-- c -->kst</a:X><a:Y/><a:Z>2</a:Z></a:R>',
        b'<a:R xmlns:a="urn:r" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        b' xsi:schemaLocation="urn:r r.xsd"><a:X k="1">tekst</a:X><a:Y/><a:Z>2</a:Z></a:R>',
    ],
    ids=["prefix", "whitespace", "comment", "schema-location"],
)
def test_what_is_ignored(same: bytes) -> None:
    assert _differ(BASE, same) is None


@pytest.mark.parametrize(
    ("other", "where"),
    [
        (BASE.replace(b"tekst", b"tekst "), "/R/X[0]: text"),
        (BASE.replace(b'k="1"', b'k="2"'), "/R/X: attributes"),
        (BASE.replace(b'k="1"', b'k="1" l="1"'), "/R/X: attributes"),
        (BASE.replace(b"<a:Y/><a:Z>2</a:Z>", b"<a:Z>2</a:Z><a:Y/>"), "/R: element"),
        (BASE.replace(b"<a:Y/>", b""), "/R: element"),
        (BASE.replace(b"<a:Z>2</a:Z>", b"<a:Z>2</a:Z><a:Z>2</a:Z>"), "/R: 3 content nodes"),
        (BASE.replace(b"<a:Y/>", b'<b:Y xmlns:b="urn:other"/>'), "/R: element"),
        (BASE.replace(b"<a:Y/>", b"<a:Y>ny</a:Y>"), "/R/Y: 0 content nodes"),
        (BASE.replace(b"<a:Y/>", b"<a:Y/>stray"), "/R[2]: text"),
    ],
    ids=[
        "text",
        "attribute-value",
        "extra-attribute",
        "order",
        "missing-element",
        "extra-element",
        "namespace",
        "added-text",
        "stray-text",
    ],
)
def test_what_counts_as_a_difference(other: bytes, where: str) -> None:
    found = _differ(BASE, other)
    assert found is not None
    assert found.startswith(where), found
