"""The codec's reading rules: text values, what it refuses (with source, line and XPath), and
what it carries through untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import digidialog
from digidialog.errors import ParseError, UnsafeXMLError
from digidialog.model import AppRec, Message, MsgHead, Notat, RawXml
from digidialog.xml.namespaces import DS, MSGHEAD
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
    assert location.line is not None
    assert location.line > 1
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
