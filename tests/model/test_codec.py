"""The codec's reading rules: text values, what it refuses (with source, line and XPath), and
what it carries through untouched."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from lxml import etree

import digidialog
from digidialog.errors import DigidialogError, ParseError, UnsafeXMLError
from digidialog.model import (
    AppRec,
    Base64Container,
    Document,
    InvalidBase64Error,
    Message,
    MsgHead,
    Notat,
    RawXml,
)
from digidialog.xml.namespaces import DS, MSGHEAD
from digidialog.xml.parser import ParseLimits
from tests.conftest import Tripwire
from tests.model import builders
from tests.model.xmlcompare import first_difference, information


@pytest.fixture
def reply_xml() -> str:
    return builders.ekonsultasjon_reply(builders.ekonsultasjon_request()).to_xml().decode()


def _note(message: Message) -> Notat:
    assert isinstance(message, MsgHead)
    assert message.dialogmelding is not None
    return message.dialogmelding.notat[0]


def test_a_comment_inside_text_does_not_change_the_value(reply_xml: str) -> None:
    xml = reply_xml.replace("<Tema>Kneet</Tema>", "<Tema>5<!---->00</Tema>")
    assert _note(digidialog.parse(xml)).tema == "500"


def test_whitespace_only_text_is_empty_but_other_whitespace_is_kept(reply_xml: str) -> None:
    blank = reply_xml.replace("<Tema>Kneet</Tema>", "<Tema>  \n </Tema>")
    assert _note(digidialog.parse(blank)).tema == ""
    padded = reply_xml.replace("<Tema>Kneet</Tema>", "<Tema> Kneet </Tema>")
    assert _note(digidialog.parse(padded)).tema == " Kneet "


def test_indented_input_reads_like_compact_input(reply_xml: str) -> None:
    compact = digidialog.parse(reply_xml)
    tree = etree.fromstring(reply_xml.encode())
    etree.indent(tree, space="\t")
    assert digidialog.parse(etree.tostring(tree)) == compact


def test_bytes_text_and_path_inputs_agree(reply_xml: str, tmp_path: Path) -> None:
    path = tmp_path / "reply.xml"
    path.write_text(reply_xml, encoding="utf-8")
    from_bytes = digidialog.parse(reply_xml.encode())
    assert digidialog.parse(reply_xml) == from_bytes
    assert digidialog.parse(path) == from_bytes
    assert digidialog.parse(str(path)) == from_bytes


def test_from_tree_takes_elements_and_trees(reply_xml: str) -> None:
    root = etree.fromstring(reply_xml.encode())
    assert Message.from_tree(root) == Message.from_tree(root.getroottree())
    assert isinstance(MsgHead.from_tree(root), MsgHead)
    receipt = builders.apprec().to_tree()
    with pytest.raises(ParseError, match="AppRec"):
        MsgHead.from_tree(receipt)
    assert isinstance(Message.from_tree(receipt), AppRec)


def test_unknown_root_names_source_line_and_xpath(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<Foo xmlns="urn:x"/>')
    with pytest.raises(ParseError) as caught:
        digidialog.parse(path)
    assert caught.value.location.source == str(path)
    assert caught.value.location.line == 2
    assert caught.value.location.xpath == "/Foo"
    assert caught.value.code == "parse:unknown-root"


def _pretty(xml: str) -> bytes:
    tree = etree.fromstring(xml.encode())
    etree.indent(tree)
    return etree.tostring(tree)


@pytest.mark.parametrize(
    ("old", "new", "xpath", "message"),
    [
        (
            "<Tema>Kneet</Tema>",
            "<Tema>Kneet</Tema><Ukjent/>",
            "/MsgHead/Document/RefDoc/Content/Dialogmelding/Notat/Ukjent",
            "unexpected element",
        ),
        ("<MIGversion>", "<Ack V='N'/><MIGversion>", "/MsgHead/MsgInfo/MIGversion", "out of order"),
        ("<MIGversion>", "<Type V='X'/><MIGversion>", "/MsgHead/MsgInfo/Type[2]", "only once"),
        (
            "<Tema>Kneet</Tema>",
            "<Tema>Kneet<b/></Tema>",
            "/MsgHead/Document/RefDoc/Content/Dialogmelding/Notat/Tema",
            "where text was expected",
        ),
        ("<RefDoc>", "<RefDoc Ukjent='1'>", "/MsgHead/Document/RefDoc", "unexpected attribute"),
        ("<Sender>", "<Sender>tekst", "/MsgHead/MsgInfo/Sender", "unexpected text"),
    ],
    ids=[
        "unknown-element",
        "out-of-order",
        "repeated",
        "element-in-text",
        "unknown-attribute",
        "stray-text",
    ],
)
def test_content_that_does_not_fit_is_refused(
    reply_xml: str, old: str, new: str, xpath: str, message: str
) -> None:
    xml = _pretty(reply_xml.replace(old, new, 1))
    with pytest.raises(ParseError, match=message) as caught:
        digidialog.parse(xml, source="reply.xml")
    location = caught.value.location
    assert location.source == "reply.xml"
    assert location.xpath == xpath
    # the line the offending element starts on in the indented text
    name, _, index = xpath.rsplit("/", 1)[1].partition("[")
    starts = re.compile(rf"\s*<{name}[\s/>]")
    lines = [n for n, text in enumerate(xml.decode().splitlines(), 1) if starts.match(text)]
    expected = lines[int(index.rstrip("]") or 1) - 1]
    assert location.line == expected
    assert caught.value.code == "parse:unexpected-content"


def test_missing_required_element_is_refused_not_defaulted(reply_xml: str) -> None:
    start = reply_xml.index("<MsgId>")
    end = reply_xml.index("</MsgId>") + len("</MsgId>")
    with pytest.raises(ParseError, match="'MsgId' is missing") as caught:
        digidialog.parse(reply_xml[:start] + reply_xml[end:])
    assert caught.value.location.xpath == "/MsgHead/MsgInfo"


def test_unsafe_xml_is_refused_by_the_hardened_parser(reply_xml: str) -> None:
    body = reply_xml.split("?>", 1)[1]
    with pytest.raises(UnsafeXMLError):
        digidialog.parse('<!DOCTYPE MsgHead [<!ENTITY x "y">]>' + body)


def test_unknown_codes_are_kept(reply_xml: str) -> None:
    xml = reply_xml.replace('V="12"', 'V="99" OT="eget svar"', 1)
    note = _note(digidialog.parse(xml))
    assert note.tema_kodet.v == "99"
    assert note.tema_kodet.ot == "eget svar"
    assert note.tema_kodet.code is None
    assert b'V="99"' in digidialog.parse(xml).to_xml()


def test_signature_and_unknown_documents_are_carried_untouched(reply_xml: str) -> None:
    signature = (
        f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo><ds:Reference URI=""/></ds:SignedInfo>'
        "<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
    )
    foreign = (
        '<Resept xmlns="urn:example:m1"><Antall>6</Antall><!-- c -->'
        '<x:Y xmlns:x="urn:y" a="b"/></Resept>'
    )
    xml = reply_xml.replace(
        "</MsgHead>",
        "<Document><RefDoc><MsgType V='XML'/><Content>"
        + foreign
        + "</Content></RefDoc></Document>"
        + signature
        + "</MsgHead>",
    )
    message = digidialog.parse(xml)
    assert isinstance(message, MsgHead)
    assert isinstance(message.signature, RawXml)
    assert message.signature.namespace == DS
    raw = message.document[-1].ref_doc.first_item
    assert isinstance(raw, RawXml)
    assert raw.namespace == "urn:example:m1"
    assert raw.tag == "Resept"
    written = etree.fromstring(message.to_xml())
    assert (
        first_difference(information(etree.fromstring(xml.encode())), information(written)) is None
    )
    assert written[-1].tag == f"{{{DS}}}Signature"


def test_raw_xml_is_a_private_copy(reply_xml: str) -> None:
    xml = reply_xml.replace("</MsgHead>", f'<ds:Signature xmlns:ds="{DS}"/></MsgHead>')
    root = etree.fromstring(xml.encode())
    message = MsgHead.from_tree(root)
    root[-1].set("changed", "yes")
    assert message.signature is not None
    assert message.signature.element.get("changed") is None


def test_to_tree_gives_a_fresh_msghead_element(reply_xml: str) -> None:
    message = digidialog.parse(reply_xml)
    tree = message.to_tree()
    assert tree.tag == f"{{{MSGHEAD}}}MsgHead"
    assert tree is not message.to_tree()


# --------------------------------------------------------------------------------------------------
# bad input: always a DigidialogError naming the file, the place and the rule, never a traceback


@pytest.mark.parametrize(
    ("data", "code", "line", "xpath", "message"),
    [
        (bytes(range(256)) * 4, "parse:not-well-formed", 1, None, "not well-formed"),
        (b"", "parse:not-well-formed", None, None, "empty"),
        (
            b'<?xml version="1.0"?>\n<html><body/></html>',
            "parse:unknown-root",
            2,
            "/html",
            "'html'",
        ),
        (
            f'<?xml version="1.0"?>\n<MsgHead xmlns="{MSGHEAD[:-1]}5"/>'.encode(),
            "parse:unknown-root",
            2,
            "/MsgHead",
            "2006-05-25",
        ),
    ],
    ids=["binary-garbage", "empty-file", "not-a-message", "wrong-namespace-version"],
)
def test_bad_input_is_a_clear_parse_error(
    tmp_path: Path, data: bytes, code: str, line: int | None, xpath: str | None, message: str
) -> None:
    path = tmp_path / "input.xml"
    path.write_bytes(data)
    with pytest.raises(ParseError, match=message) as caught:
        digidialog.parse(path)
    assert caught.value.code == code
    assert caught.value.location.source == str(path)
    assert caught.value.location.line == line
    assert caught.value.location.xpath == xpath
    assert str(path) in str(caught.value)


def test_wrong_namespace_version_names_the_expected_namespace() -> None:
    with pytest.raises(ParseError) as caught:
        digidialog.parse(f'<MsgHead xmlns="{MSGHEAD[:-1]}5"/>')
    assert MSGHEAD in (caught.value.hint or "")


def test_unknown_msghead_child_is_named_with_line_and_xpath(reply_xml: str) -> None:
    xml = _pretty(reply_xml.replace("</MsgInfo>", "<Tillegg/></MsgInfo>", 1))
    expected_line = next(
        number
        for number, text in enumerate(xml.decode().splitlines(), start=1)
        if "<Tillegg/>" in text
    )
    with pytest.raises(ParseError, match="unexpected element 'Tillegg' in 'MsgInfo'") as caught:
        digidialog.parse(xml, source="reply.xml")
    assert caught.value.location.line == expected_line
    assert caught.value.location.xpath == "/MsgHead/MsgInfo/Tillegg"
    assert str(caught.value).startswith(f"reply.xml:{expected_line} /MsgHead/MsgInfo/Tillegg:")


def test_utf16_input_reads_like_utf8(reply_xml: str, tmp_path: Path) -> None:
    body = reply_xml.split("?>", 1)[1]
    path = tmp_path / "utf16.xml"
    path.write_bytes(('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16"))
    assert digidialog.parse(path) == digidialog.parse(reply_xml)


def _with_attachment(reply_xml: str, payload: bytes) -> bytes:
    message = digidialog.parse(reply_xml)
    assert isinstance(message, MsgHead)
    message.document.append(Document.attachment(payload, "application/pdf"))
    return message.to_xml()


def test_a_large_attachment_round_trips_exactly(reply_xml: str) -> None:
    payload = os.urandom(6_000_000)  # 8 MB of base64 text in one node
    message = digidialog.parse(_with_attachment(reply_xml, payload))
    assert isinstance(message, MsgHead)
    item = message.attachments[-1].ref_doc.first_item
    assert isinstance(item, Base64Container)
    assert item.data == payload


def test_an_oversized_text_node_is_an_error_with_the_source_not_a_crash(
    reply_xml: str, tmp_path: Path
) -> None:
    """libxml2 refuses text nodes over 10 MB; the codec reports it as unsafe, naming the file."""
    path = tmp_path / "huge.xml"
    path.write_bytes(_with_attachment(reply_xml, os.urandom(9_000_000)))  # 12 MB of base64
    with pytest.raises(UnsafeXMLError, match="10 MB") as info:
        digidialog.parse(path)
    assert info.value.location.source == str(path)
    assert info.value.location.line is not None


# --------------------------------------------------------------------------------------------------
# hardened parsing, through the codec's public face


def _body(reply_xml: str) -> str:
    return reply_xml.split("?>", 1)[1]


def test_external_entities_are_refused_and_never_fetched(
    reply_xml: str, tripwire: Tripwire
) -> None:
    doctype = f'<!DOCTYPE MsgHead [<!ENTITY x SYSTEM "{tripwire.url}/x">]>'
    xml = doctype + _body(reply_xml).replace("<Tema>Kneet</Tema>", "<Tema>&x;</Tema>")
    with pytest.raises(UnsafeXMLError):
        digidialog.parse(xml, source="xxe.xml")
    assert tripwire.requests == []


def test_an_external_dtd_is_refused_and_never_fetched(reply_xml: str, tripwire: Tripwire) -> None:
    xml = f'<!DOCTYPE MsgHead SYSTEM "{tripwire.url}/m.dtd">' + _body(reply_xml)
    with pytest.raises(UnsafeXMLError):
        digidialog.parse(xml)
    assert tripwire.requests == []


def test_xinclude_is_not_processed(reply_xml: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("HEMMELIG", encoding="utf-8")
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret}" parse="text"/>'
    )
    xml = _body(reply_xml).replace("<Tema>Kneet</Tema>", f"<Tema>{include}</Tema>")
    with pytest.raises(ParseError, match="where text was expected") as caught:
        digidialog.parse(xml)
    assert "HEMMELIG" not in str(caught.value)


def test_size_and_depth_caps_are_enforced_by_parse(reply_xml: str) -> None:
    data = reply_xml.encode()
    with pytest.raises(UnsafeXMLError, match="over the limit"):
        digidialog.parse(data, limits=ParseLimits(max_bytes=len(data) - 1))
    assert isinstance(digidialog.parse(data, limits=ParseLimits(max_bytes=len(data))), MsgHead)
    with pytest.raises(UnsafeXMLError, match="deeper than 5"):
        digidialog.parse(data, limits=ParseLimits(max_depth=5))


def test_invalid_base64_is_a_digidialog_error_when_decoded(reply_xml: str) -> None:
    data = _with_attachment(reply_xml, b"%PDF-1.4").replace(b"JVBERi0xLjQ=", b"JVBER*0xLjQ=")
    message = digidialog.parse(data)  # decoding is lazy: parse keeps the text as written
    assert isinstance(message, MsgHead)
    item = message.attachments[-1].ref_doc.first_item
    assert isinstance(item, Base64Container)
    assert item.value == "JVBER*0xLjQ="
    with pytest.raises(InvalidBase64Error) as caught:
        _ = item.data
    assert isinstance(caught.value, DigidialogError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "parse:invalid-base64"
