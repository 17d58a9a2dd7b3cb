"""The hardened parser refuses DTDs, entities, excess size and depth, and names the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from digidialog.errors import ParseError, UnsafeXMLError, UsageError
from digidialog.xml.parser import LIBXML2_MAX_DEPTH, ParseLimits, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD])
def test_doctype_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(UnsafeXMLError) as info:
        parse_xml(data, source="evil.xml")
    assert "evil.xml" in str(info.value)


def test_undefined_entity_is_refused() -> None:
    with pytest.raises(UnsafeXMLError, match="entity"):
        parse_xml(b"<a>&x;</a>")


def _nested(levels: int) -> bytes:
    return b"<a>" + b"<b>" * (levels - 1) + b"</b>" * (levels - 1) + b"</a>"


def test_depth_cap_asked_for_by_the_caller() -> None:
    deep = _nested(11)
    assert parse_xml(deep, limits=ParseLimits(max_depth=11)).getroot().tag == "a"
    with pytest.raises(UnsafeXMLError, match="deeper than 10"):
        parse_xml(deep, limits=ParseLimits(max_depth=10), source="deep.xml")


def test_default_depth_cap_is_libxml2s_own() -> None:
    # The default needs no check of ours: libxml2 refuses the excess while parsing.
    assert ParseLimits().max_depth == LIBXML2_MAX_DEPTH == 256
    assert parse_xml(_nested(256)).getroot().tag == "a"
    with pytest.raises(UnsafeXMLError, match="deeper than 256 levels") as info:
        parse_xml(_nested(257), source="deep.xml")
    assert info.value.location.source == "deep.xml"
    assert info.value.location.line == 1


@pytest.mark.parametrize("depth", [0, LIBXML2_MAX_DEPTH + 1])
def test_depth_cap_outside_what_libxml2_allows_is_refused(depth: int) -> None:
    with pytest.raises(UsageError, match="max_depth"):
        ParseLimits(max_depth=depth)


def test_size_cap() -> None:
    with pytest.raises(UnsafeXMLError, match="over the limit"):
        parse_xml(b"<a>" + b"x" * 100 + b"</a>", limits=ParseLimits(max_bytes=50))


def test_syntax_error_names_source_and_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_xml(b"<a>\n<b>\n</a>", source="broken.xml")
    assert info.value.location.source == "broken.xml"
    assert info.value.location.line == 3
    assert "broken.xml:3" in str(info.value)


def test_xinclude_is_not_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    doc = (
        '<r xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret}" parse="text"/></r>'
    )
    tree = parse_xml(doc.encode())
    assert b"SECRET" not in __import__("lxml.etree").etree.tostring(tree)


def test_str_paths_and_text(tmp_path: Path) -> None:
    path = tmp_path / "m.xml"
    path.write_bytes('<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe6</a>'.encode("latin-1"))
    assert parse_xml(path).getroot().text == "æ"
    assert parse_xml(str(path)).getroot().text == "æ"
    assert parse_xml('<?xml version="1.0" encoding="ISO-8859-1"?><a>æ</a>').getroot().text == "æ"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        parse_xml(tmp_path / "nope.xml")


def test_doctype_is_refused_before_libxml2_reads_it() -> None:
    # After a BOM, a comment and blanks: still the prolog, still refused, with the plain reason.
    data = b'\xef\xbb\xbf<?xml version="1.0"?><!-- c -->\n<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><r/>'
    with pytest.raises(UnsafeXMLError, match="DOCTYPE declarations are refused"):
        parse_xml(data, source="evil.xml")


def test_doctype_text_inside_the_document_is_not_mistaken_for_one() -> None:
    tree = parse_xml(b"<r><![CDATA[<!DOCTYPE x>]]><!-- <!DOCTYPE y> --></r>")
    assert tree.getroot().text == "<!DOCTYPE x>"


def test_text_node_over_libxml2s_limit_is_unsafe_and_named() -> None:
    data = b"<a>\n<b>" + b"A" * (10 * 1024 * 1024 + 1) + b"</b></a>"
    with pytest.raises(UnsafeXMLError, match="over libxml2's 10 MB limit") as info:
        parse_xml(data, source="big.xml")
    assert info.value.location.source == "big.xml"
