"""Our own small digital-dialog messages for the rule tests, and helpers to break them one way.

``request()`` is an eKonsultasjon question from a citizen (TypeForesp SB), ``reply()`` the GP's
answer (TemaKodet 12), ``apprec()`` a positive AppRec for it. All three pass every rule; each test
changes one thing with ``edit`` and checks which rule fires.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from lxml import etree

MH = "http://www.kith.no/xmlstds/msghead/2006-05-24"
DM = "http://www.kith.no/xmlstds/dialog/2013-01-23"
AR = "http://www.kith.no/xmlstds/apprec/2012-02-15"
NS = {
    "m": MH,
    "d": DM,
    "a": AR,
    "b": "http://www.kith.no/xmlstds/base64container",
    "x": "urn:ietf:params:xml:ns:icalendar-2.0",
}

REQUEST_ID = "6c1b7d6e-2f4a-4c1e-9a51-0b7f1e2d3c4a"
REPLY_ID = "0f3e2d1c-5b6a-4789-8abc-def012345678"
PATIENT_FNR = "15057512315"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

_CITIZEN_SIDE = """
      <Organisation>
        <OrganisationName>Helsenorge testmiljø</OrganisationName>
        <Ident><Id>700001</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident>
        <Organisation>
          <OrganisationName>Innbyggertjenester test</OrganisationName>
          <Ident><Id>700002</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident>
        </Organisation>
      </Organisation>"""
_GP_SIDE = """
      <Organisation>
        <OrganisationName>Bakkebyen legesenter</OrganisationName>
        <Ident><Id>910000004</Id>
          <TypeId V="ENH" S="2.16.578.1.12.4.1.1.9051" DN="Organisasjonsnummeret i Enhetsregister"/>
        </Ident>
        <Ident><Id>800001</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"/></Ident>
        <HealthcareProfessional>
          <RoleToPatient V="6" S="2.16.578.1.12.4.1.1.9034" DN="Fastlege"/>
          <FamilyName>Lege</FamilyName>
          <GivenName>Kari</GivenName>
          <Ident><Id>800002</Id><TypeId V="HER" S="2.16.578.1.12.4.1.1.8116" DN="HER-id"/></Ident>
        </HealthcareProfessional>
      </Organisation>"""
_PATIENT = f"""
    <Patient>
      <FamilyName>Testesen</FamilyName>
      <GivenName>Ola</GivenName>
      <Ident><Id>{PATIENT_FNR}</Id>
        <TypeId V="FNR" S="2.16.578.1.12.4.1.1.8116" DN="Fødselsnummer"/></Ident>
    </Patient>"""


def _msghead(msg_id: str, conversation: str, sender: str, receiver: str, dialog: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="{MH}">
  <MsgInfo>
    <Type V="DIALOG_INNBYGGER_EKONSULTASJON" DN="Dialog med innbygger - eKonsultasjon"/>
    <MIGversion>v1.2 2006-05-24</MIGversion>
    <GenDate>2026-11-02T10:15:00Z</GenDate>
    <MsgId>{msg_id}</MsgId>
    <Ack V="J" DN="Ja"/>{conversation}
    <Sender>{sender}
    </Sender>
    <Receiver>{receiver}
    </Receiver>{_PATIENT}
  </MsgInfo>
  <Document>
    <RefDoc>
      <IssueDate V="2026-11-02T10:15:00Z"/>
      <MsgType V="XML" DN="XML-instans"/>
      <Content>
        <Dialogmelding xmlns="{DM}">{dialog}
        </Dialogmelding>
      </Content>
    </RefDoc>
  </Document>
</MsgHead>
""".encode()


def request() -> bytes:
    return _msghead(
        REQUEST_ID,
        "",
        _CITIZEN_SIDE,
        _GP_SIDE,
        """
          <Foresporsel>
            <TypeForesp V="SB" S="2.16.578.1.12.4.1.1.7601" DN="Spørsmål til behandler"/>
            <EmneSporsmal>Hoste</EmneSporsmal>
            <Sporsmal>Jeg har hostet i tre uker. Bør jeg komme inn?</Sporsmal>
          </Foresporsel>""",
    )


def reply() -> bytes:
    conversation = f"""
    <ConversationRef>
      <RefToParent>{REQUEST_ID}</RefToParent>
      <RefToConversation>{REQUEST_ID}</RefToConversation>
    </ConversationRef>"""
    return _msghead(
        REPLY_ID,
        conversation,
        _GP_SIDE,
        _CITIZEN_SIDE,
        """
          <Notat>
            <TemaKodet V="12" S="2.16.578.1.12.4.1.1.7602" DN="Svar på spørsmål, fra behandler"/>
            <TekstNotatInnhold>Kom gjerne innom for en sjekk.</TekstNotatInnhold>
          </Notat>""",
    )


_STATUS_NAMES = {"1": "OK", "2": "Avvist", "3": "OK, feil i delmelding"}
"""Code list 8258: the DN each Status gets, so the receipts break no coded-value rule."""


def apprec(status: str = "1", errors: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AppRec xmlns="{AR}">
  <MsgType V="APPREC"/>
  <MIGversion>v1.1 2012-02-15</MIGversion>
  <GenDate>2026-11-02T10:16:00</GenDate>
  <Id>3a5b7c9d-1e2f-4a6b-8c0d-2e4f6a8b0c1d</Id>
  <Sender>
    <Role V="PRIM" DN="Primærmottaker"/>
    <HCP><Inst><Name>Bakkebyen legesenter</Name><Id>800001</Id>
      <TypeId V="HER" DN="HER-id"/></Inst></HCP>
  </Sender>
  <Receiver>
    <HCP><Inst><Name>Helsenorge testmiljø</Name><Id>700001</Id>
      <TypeId V="HER" DN="HER-id"/></Inst></HCP>
  </Receiver>
  <Status V="{status}" DN="{_STATUS_NAMES.get(status, "Avvist")}"/>{errors}
  <OriginalMsgId>
    <MsgType V="DIALOG_INNBYGGER_EKONSULTASJON" DN="Dialog med innbygger - eKonsultasjon"/>
    <IssueDate>2026-11-02T10:15:00</IssueDate>
    <Id>{REQUEST_ID}</Id>
  </OriginalMsgId>
</AppRec>
""".encode()


def edit(data: bytes, change: Callable[[etree._Element], object]) -> bytes:
    """``data`` with ``change`` applied to its parsed root."""
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list), path
    assert found, path
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def set_attr(path: str, name: str, value: str) -> Callable[[etree._Element], None]:
    return lambda root: one(root, path).set(name, value)


def set_text(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        one(root, path).text = value

    return change


def remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = one(root, path)
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)

    return change


def add_attachment(
    mime: str, payload: bytes = PNG, msg_type: str = "A"
) -> Callable[[etree._Element], None]:
    """Append a Document carrying ``payload`` as a Base64Container attachment."""

    encoded = base64.b64encode(payload).decode()

    def change(root: etree._Element) -> None:
        document = etree.fromstring(
            f"""<Document xmlns="{MH}"><RefDoc>
              <IssueDate V="2026-11-02T10:15:00Z"/>
              <MsgType V="{msg_type}" DN="Vedlegg"/>
              <MimeType>{mime}</MimeType>
              <Description>Bilde</Description>
              <Content><Base64Container xmlns="{NS["b"]}">{encoded}</Base64Container></Content>
            </RefDoc></Document>"""
        )
        root.append(document)

    return change
