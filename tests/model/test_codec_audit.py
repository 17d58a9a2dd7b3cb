"""Codec audit findings: attributes on the ``anyType`` elements (HITS 1217 §2.4) and the namespace
context of carried documents survive parse → to_xml; the output carries the same information and
stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import digidialog
from digidialog.errors import ParseError
from digidialog.model import Foresporsel, Markup, Message, MsgHead, Notat, RawXml
from digidialog.model.base import detached_copy, source_line
from digidialog.validation import validate
from digidialog.xml.namespaces import M1_2013, MSGHEAD, XSI
from tests.conftest import OFFICIAL_SAMPLES
from tests.model import builders
from tests.model.xmlcompare import first_difference, information

XS = "http://www.w3.org/2001/XMLSchema"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ROOT = f'<MsgHead xmlns="{MSGHEAD}">'
ROOT_WITH_CONTEXT = f'<MsgHead xmlns="{MSGHEAD}" xmlns:xs="{XS}" xmlns:xsi="{XSI}" xmlns:q="urn:q">'


@pytest.fixture
def request_xml() -> str:
    """A question with an XHTML Sporsmal; its MsgHead declares prefixes no name uses."""
    xml = builders.ekonsultasjon_request().to_xml().decode()
    assert xml.count(ROOT) == 1
    return xml.replace(ROOT, ROOT_WITH_CONTEXT)


@pytest.fixture
def reply_xml() -> str:
    """A reply with a plain-text TekstNotatInnhold."""
    xml = builders.ekonsultasjon_reply(builders.ekonsultasjon_request()).to_xml().decode()
    return xml.replace(ROOT, ROOT_WITH_CONTEXT)


def _round_trip(xml: str) -> Message:
    """parse → to_xml keeps the information, the output is valid and reads back equal."""
    assert validate(xml.encode()).valid, validate(xml.encode()).issues
    message = digidialog.parse(xml)
    written = message.to_xml()
    difference = first_difference(
        information(etree.fromstring(xml.encode())), information(etree.fromstring(written))
    )
    assert difference is None, difference
    report = validate(written)
    assert report.valid, report.issues
    again = digidialog.parse(written)
    assert again == message
    assert again.to_xml() == written  # a fixed point
    return message


def _request(message: Message) -> Foresporsel:
    assert isinstance(message, MsgHead)
    assert message.dialogmelding is not None
    return message.dialogmelding.foresporsel[0]


def _note(message: Message) -> Notat:
    assert isinstance(message, MsgHead)
    assert message.dialogmelding is not None
    return message.dialogmelding.notat[0]


# --------------------------------------------------------------------------------------------------
# Finding 5: attributes on Sporsmal / TekstNotatInnhold (xs:anyType)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('xml:lang="nb"', {XML_LANG: "nb"}),
        (
            'xmlns:o="urn:o" o:b="2" xml:lang="nn" a="1"',  # any namespace, order kept
            {"{urn:o}b": "2", XML_LANG: "nn", "a": "1"},
        ),
        ('xsi:type="xs:anyType"', {f"{{{XSI}}}type": "xs:anyType"}),  # 'xs' bound on MsgHead
    ],
)
def test_attributes_on_xhtml_sporsmal_round_trip(
    request_xml: str, attributes: str, expected: dict[str, str]
) -> None:
    plain = _request(digidialog.parse(request_xml))
    xml = request_xml.replace("<Sporsmal>", f"<Sporsmal {attributes}>", 1)
    request = _request(_round_trip(xml))
    assert isinstance(request.sporsmal, Markup)
    assert request.sporsmal.attributes == expected
    assert list(request.sporsmal.attributes) == list(expected)
    assert request.sporsmal_text == plain.sporsmal_text == "Vondt i kneet\nsiden mandag."
    assert request.sporsmal != plain.sporsmal  # the attributes are part of the value


def test_attributes_on_plain_text_notat_round_trip(reply_xml: str) -> None:
    text = "<TekstNotatInnhold>Kom innom for en sjekk.</TekstNotatInnhold>"
    assert text in reply_xml
    xml = reply_xml.replace(text, text.replace(">", ' xml:lang="nb">', 1))
    note = _note(_round_trip(xml))
    assert isinstance(note.tekst_notat_innhold, Markup)
    assert note.tekst_notat_innhold.attributes == {XML_LANG: "nb"}
    assert note.tekst_notat_innhold_text == "Kom innom for en sjekk."
    # without attributes the text stays a str
    assert _note(digidialog.parse(reply_xml)).tekst_notat_innhold == "Kom innom for en sjekk."


def test_attributes_on_sporsmal_of_an_official_example(reference: Path) -> None:
    path = OFFICIAL_SAMPLES / (
        "DIALOG_INNBYGGER_EKONTAKT/1.2/Henvendelse_-_Foresporsel_innbygger_-_Henvendelse.xml"
    )
    original = path.read_text(encoding="utf-8")
    assert original.count("<Sporsmal>") == 1
    xml = original.replace("<Sporsmal>", '<Sporsmal xml:lang="nb">')
    request = _request(_round_trip(xml))
    assert isinstance(request.sporsmal, Markup)
    assert request.sporsmal_text == _request(digidialog.parse(original)).sporsmal_text


def test_attributes_on_simple_text_elements_are_still_refused(request_xml: str) -> None:
    xml = request_xml.replace("<EmneSporsmal>", '<EmneSporsmal xml:lang="nb">', 1)
    with pytest.raises(ParseError, match="unexpected attribute on 'EmneSporsmal'"):
        digidialog.parse(xml)


def test_markup_equality_and_building_with_attributes(request_xml: str) -> None:
    lang = Markup.of(text="Hei", attributes={XML_LANG: "nb", "a": "1"})
    assert lang == Markup.of(text="Hei", attributes={"a": "1", XML_LANG: "nb"})
    assert hash(lang) == hash(Markup.of(text="Hei", attributes={"a": "1", XML_LANG: "nb"}))
    assert lang != Markup.of(text="Hei", attributes={XML_LANG: "nn", "a": "1"})
    assert lang != Markup.of(text="Hei")
    assert lang.text == str(lang) == "Hei"

    message = digidialog.parse(request_xml)
    assert isinstance(message, MsgHead)
    request = _request(message)
    request.sporsmal = Markup.of(text="Hei", attributes={XML_LANG: "nb"})
    written = message.to_xml()
    assert validate(written).valid, validate(written).issues
    read = _request(digidialog.parse(written))
    assert read.sporsmal == request.sporsmal
    assert read.sporsmal_text == "Hei"
    # pydantic: deep copies compare equal, dumps keep the value
    assert message.model_copy(deep=True) == message
    assert request.model_dump()["sporsmal"] == {"element": request.sporsmal.element}


# --------------------------------------------------------------------------------------------------
# Finding 6: a carried document keeps the namespace bindings in scope where it stood


def _foreign(xml: str, document: str) -> str:
    return xml.replace("</Dialogmelding>", "</Dialogmelding>" + document, 1)


def test_foreign_document_keeps_bindings_used_only_in_qname_values(request_xml: str) -> None:
    # 'xs' and 'q' are declared on MsgHead and used only in an attribute value and in text
    xml = _foreign(request_xml, '<x:Foo xmlns:x="urn:foo" xsi:type="xs:QName">q:val</x:Foo>')
    message = _round_trip(xml)
    assert isinstance(message, MsgHead)
    raw = message.document[0].ref_doc.content.items[-1]  # type: ignore[union-attr]
    assert isinstance(raw, RawXml)
    assert raw.element.nsmap["q"] == "urn:q"
    assert raw.element.nsmap["xs"] == XS
    written = etree.fromstring(message.to_xml())
    foo = written.find(".//{urn:foo}Foo")
    assert foo is not None
    assert foo.nsmap["q"] == "urn:q"
    assert foo.nsmap["xs"] == XS


def test_foreign_document_binding_msgheads_namespace_under_its_own_prefix(
    request_xml: str,
) -> None:
    # the output's MsgHead binds this URI as its default namespace: lxml merges 'mh' into that
    xml = _foreign(
        request_xml,
        f'<x:Foo xmlns:x="urn:foo" xmlns:mh="{MSGHEAD}" xsi:type="xs:QName">mh:T</x:Foo>',
    )
    message = _round_trip(xml)
    foo = etree.fromstring(message.to_xml()).find(".//{urn:foo}Foo")
    assert foo is not None
    assert foo.nsmap["mh"] == MSGHEAD


def test_m1_document_of_an_official_example_keeps_its_context(reference: Path) -> None:
    path = OFFICIAL_SAMPLES / (
        "DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2/"
        "Reseptfornying_-_Svar_helsepersonell_-_Resept_er_fornyet.xml"
    )
    original = etree.parse(str(path)).getroot()
    resept = original.find(f".//{{{M1_2013}}}Resept")
    assert resept is not None
    assert "xsd" in resept.nsmap  # declared on MsgHead, used by no name in the M1 document
    message = digidialog.parse(path)
    [raw] = message.items_of(RawXml)  # type: ignore[attr-defined]
    assert raw.element.nsmap == resept.nsmap
    written = etree.fromstring(message.to_xml())
    assert first_difference(information(original), information(written)) is None
    assert validate(message.to_xml()).valid
    copied = written.find(f".//{{{M1_2013}}}Resept")
    assert copied is not None
    assert all(copied.nsmap.get(prefix) == uri for prefix, uri in resept.nsmap.items())


def test_detached_copy_is_a_private_faithful_copy() -> None:
    source = etree.fromstring(
        b'<r xmlns="urn:r" xmlns:q="urn:q" xmlns:u="urn:unused">\n'
        b'<x:Foo xmlns:x="urn:foo" b="2" xml:lang="nb" a="1">t<!--c--><?pi z?>'
        b'<Bar q:z="3">q:v</Bar>tail</x:Foo>\n</r>'
    )
    foo = source[0]
    copied = detached_copy(foo)
    assert copied.getparent() is None
    assert copied.nsmap == foo.nsmap
    assert copied.items() == foo.items()
    assert source_line(copied) == source_line(foo) == 2
    assert copied.tail == foo.tail
    assert first_difference(information(foo), information(copied)) is None
    assert copied[2].items() == foo[2].items()
    foo.set("a", "changed")
    foo[2].text = "changed"
    assert copied.get("a") == "1"
    assert copied[2].text == "q:v"
    # a document root, or an element declaring every binding in scope itself, is copied as it is
    assert etree.tostring(detached_copy(source)) == etree.tostring(source)
    own = etree.fromstring(b'<r xmlns="urn:r"><m:M xmlns:m="urn:m" xmlns="urn:d"><a/></m:M></r>')[0]
    assert etree.tostring(detached_copy(own)) == etree.tostring(own)
    # re-declaring an ancestor's binding is still in scope on the copy
    again = etree.fromstring(b'<r xmlns:q="urn:q"><M xmlns:q="urn:q" t="q:T"/></r>')[0]
    assert detached_copy(again).nsmap == {"q": "urn:q"}
