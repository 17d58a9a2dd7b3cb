"""Defects an audit found in the business rules, each pinned by the messages that showed it.

- Rules read an element's value whole: a comment or processing instruction inside a value (legal
  in every simple-typed element) neither hides the text after it nor makes a value look empty,
  as the codec (`digidialog.model.base.element_text`) reads it.
- Every coded element of a known code list is checked where it stands: TypeHealthcareProfessional
  (9060) and Address/Type (3401) were not, and a test over the examples keeps the next gap out.
- Standalone AppRecs got no DD070-DD073 at all, and Dialogmelding 1.0's TypeForesp and TemaKodet
  were read against no code list (issue #2: unknown codes are reported, never dropped); the
  coverage test now also reads AppRecs, those the services build among them.
- "The" Dialogmelding is the first in document order, whatever the line breaks; the length
  limits hold for Dialogmelding 1.0 as for 1.1.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from digidialog.codes import AppRecFeil, find_system
from digidialog.model import MsgHead
from digidialog.services import CitizenStatus, ReceiptError, Receipts, TransportInfo
from digidialog.services.types import Office
from digidialog.validation import RULES, check_rules, validate
from digidialog.validation.context import Context, element_text
from digidialog.validation.engine import _checks_for
from digidialog.validation.rules.coded import checked
from digidialog.xml import namespaces as ns
from tests.conftest import EXAMPLES, REFERENCE, ROOT
from tests.validation import messages as m

Change = Callable[[etree._Element], object]

_FK1 = "http://www.kith.no/xmlstds/felleskomponent1"
_ICAL = m.NS["x"]
_DM10 = "http://www.kith.no/xmlstds/dialog/2006-10-11"
_PNG64 = base64.b64encode(m.PNG).decode()


def _both(*changes: Change) -> Change:
    def change(root: etree._Element) -> None:
        for c in changes:
            c(root)

    return change


def _split(path: str, before: str, after: str, pi: bool = False) -> Change:
    """Make the element at ``path`` hold ``before``, a comment (or PI), then ``after``."""

    def change(root: etree._Element) -> None:
        element = m.one(root, path)
        element.text = before
        splitter = etree.PI("epj", "id=7") if pi else etree.Comment(" fra EPJ ")
        splitter.tail = after
        element.append(splitter)

    return change


def _calendar(props: str) -> Change:
    """Append a Document with one xCal appointment whose vevent properties are ``props``."""

    def change(root: etree._Element) -> None:
        root.append(
            etree.fromstring(
                f"""<Document xmlns="{m.MH}"><RefDoc><IssueDate V="2026-11-02T10:15:00Z"/>
            <MsgType V="XML" DN="XML-instans"/><Content>
            <icalendar xmlns="{_ICAL}"><vcalendar><properties><prodid><text>T</text></prodid>
            <version><text>2.0</text></version></properties>
            <components><vevent><properties>{props}</properties><components/></vevent>
            </components></vcalendar></icalendar></Content></RefDoc></Document>"""
            )
        )

    return change


_EVENT = (
    "<dtstart><date-time>2026-11-10T09:<!-- lokal tid -->00:00</date-time></dtstart>"
    "<dtend><date-time>2026-11-10T09:20:00</date-time></dtend>"
    "<uid><text>7d0c4a52-9f1b-4c33-8a0e-5b2d6c7e8f90</text></uid>"
)

# --- values split by comments and processing instructions ---------------------------------

# Schema-valid messages that break no rule: the value read whole is right.
WHOLE_VALUES: dict[str, tuple[Callable[[], bytes], Change]] = {
    "GivenName after a comment": (m.request, _split("//m:Patient/m:GivenName", "", "Ola")),
    "FamilyName after a PI": (m.request, _split("//m:Patient/m:FamilyName", "", "Testesen", True)),
    "FNR split by a comment": (m.request, _split("//m:Patient/m:Ident/m:Id", "150575", "12315")),
    "HER-id after a PI": (
        m.request,
        _split("//m:Receiver/m:Organisation/m:Ident[2]/m:Id", "", "800001", True),
    ),
    "organisation number split": (
        m.request,
        _split("//m:Receiver/m:Organisation/m:Ident[1]/m:Id", "9100", "00004"),
    ),
    "MsgId split": (m.request, _split("//m:MsgId", m.REQUEST_ID[:8], m.REQUEST_ID[8:])),
    "GenDate split": (m.request, _split("//m:GenDate", "2026-11-02", "T10:15:00Z")),
    "RefToParent split": (m.reply, _split("//m:RefToParent", m.REQUEST_ID[:9], m.REQUEST_ID[9:])),
    "OriginalMsgId split": (
        m.apprec,
        _split("//a:OriginalMsgId/a:Id", m.REQUEST_ID[:4], m.REQUEST_ID[4:], True),
    ),
    "MimeType and Base64Container split": (
        m.request,
        _both(
            m.add_attachment("image/png"),
            _split("//m:MimeType", "image/", "png"),
            _split("//b:Base64Container", _PNG64[:8], _PNG64[8:]),
        ),
    ),
    "xCal values split": (
        m.request,
        _calendar(
            _EVENT + "<contact><text><!-- HER -->800002</text></contact>"
            "<status><text>CONF<!---->IRMED</text></status>"
            "<categories><text>Vid<?epj x?>eo</text></categories>"
        ),
    ),
}

# The part after the comment makes the value wrong: the rule must see it.
SPLIT_ERRORS: dict[str, tuple[Callable[[], bytes], Change, str, str]] = {
    "MsgId": (
        m.request,
        _split("//m:MsgId", m.REQUEST_ID, "-not-a-uuid"),
        "DD001",
        f"MsgId '{m.REQUEST_ID}-not-a-uuid' is not a UUID",
    ),
    "FNR of 12 digits": (
        m.request,
        _split("//m:Patient/m:Ident/m:Id", m.PATIENT_FNR, "9"),
        "DD023",
        "12 digits",
    ),
    "HER-id": (
        m.request,
        _split("//m:Receiver/m:Organisation/m:Ident[2]/m:Id", "800001", "x"),
        "DD013",
        "Receiver",
    ),
    "RefToParent": (
        m.reply,
        _split("//m:RefToParent", m.REQUEST_ID, "0"),
        "DD006",
        f"RefToParent '{m.REQUEST_ID}0' is not a UUID",
    ),
    "blank GivenName around a comment": (
        m.request,
        _split("//m:Patient/m:GivenName", " ", " "),
        "DD021",
        "Patient has no GivenName",
    ),
    "OriginalMsgId": (
        m.apprec,
        _split("//a:OriginalMsgId/a:Id", m.REQUEST_ID, "x"),
        "DD094",
        f"OriginalMsgId/Id '{m.REQUEST_ID}x' is not a digital-dialog MsgId (UUID)",
    ),
    "contact": (
        m.request,
        _calendar(_EVENT + "<contact><text>800002<!---->x</text></contact>"),
        "DD083",
        "contact '800002x' is not a HER-id",
    ),
    "status": (
        m.request,
        _calendar(
            _EVENT + "<contact><text>800002</text></contact>"
            "<status><text>CONFIRMED<!---->X</text></status>"
        ),
        "DD085",
        "status 'CONFIRMEDX' is not one of",
    ),
    "Base64Container": (
        m.request,
        _both(m.add_attachment("image/png"), _split("//b:Base64Container", _PNG64, "!!")),
        "DD063",
        "does not hold valid base64",
    ),
}


@pytest.mark.parametrize(("factory", "change"), WHOLE_VALUES.values(), ids=list(WHOLE_VALUES))
def test_a_comment_or_pi_does_not_split_a_value(
    factory: Callable[[], bytes], change: Change
) -> None:
    data = m.edit(factory(), change)
    assert b"<!--" in data or b"<?epj" in data
    assert validate(data).issues == []


@pytest.mark.parametrize(
    ("factory", "change", "rule", "message"), SPLIT_ERRORS.values(), ids=list(SPLIT_ERRORS)
)
def test_the_text_after_a_comment_is_read(
    factory: Callable[[], bytes], change: Change, rule: str, message: str
) -> None:
    report = validate(m.edit(factory(), change))
    assert "XSD" not in {i.rule for i in report.issues}, report.issues
    assert [i.rule for i in report.issues] == [rule], report.issues
    assert message in report.issues[0].message


def test_values_are_read_as_the_codec_reads_them() -> None:
    from digidialog.model.base import element_text as codec_text

    root = etree.fromstring(
        m.edit(m.request(), _both(*(c for f, c in WHOLE_VALUES.values() if f is m.request)))
    )
    leaves = [e for e in root.iter(etree.Element) if not any(isinstance(c.tag, str) for c in e)]
    assert any(len(e) for e in leaves)  # some are split
    for element in leaves:
        ours = element_text(element) or ""
        assert codec_text(element) == (ours if ours.strip(" \t\r\n") else ""), element.tag


def test_one_comment_anywhere_takes_the_careful_reading_for_the_whole_message() -> None:
    """Without comments or PIs the rules read ``.text`` directly (`Context.plain`); with one,
    anywhere, every value is read whole — and a clean message stays clean either way."""
    root = etree.fromstring(m.request())
    assert Context.build(root, "msghead").plain
    root.insert(0, etree.Comment(" generert av EPJ "))
    assert not Context.build(root, "msghead").plain
    assert check_rules(root) == []


def _with_comment(factory: Callable[[], bytes]) -> Callable[[], bytes]:
    def commented() -> bytes:
        return m.edit(factory(), lambda root: root.insert(0, etree.Comment(" EPJ ")))

    return commented


def test_every_rule_reads_the_same_with_and_without_comments() -> None:
    """The rule-breaking messages of test_rules.py give the same reports on both reading paths."""
    from tests.validation.test_rules import TRIGGERS

    for rule, cases in TRIGGERS.items():
        for factory, change in cases:
            plain = validate(m.edit(factory(), change)).issues
            careful = validate(m.edit(_with_comment(factory)(), change)).issues
            assert [(i.rule, i.message) for i in careful] == [(i.rule, i.message) for i in plain], (
                rule
            )
            assert any(i.rule == rule for i in careful), rule


# --- coded elements: every place of a known code list is checked --------------------------


def _before(path: str, xml: str) -> Change:
    return lambda root: m.one(root, path).addprevious(etree.fromstring(xml))


def _after(path: str, xml: str) -> Change:
    return lambda root: m.one(root, path).addnext(etree.fromstring(xml))


def _append(path: str, xml: str) -> Change:
    return lambda root: m.one(root, path).append(etree.fromstring(xml))


def _msghead_hcp_type(code: str, name: str) -> Change:
    return _before(
        "//m:Receiver//m:HealthcareProfessional/m:RoleToPatient",
        f'<TypeHealthcareProfessional xmlns="{m.MH}" V="{code}" DN="{name}"/>',
    )


def _address(path: str, code: str, name: str) -> Change:
    return _after(path, f'<Address xmlns="{m.MH}"><Type V="{code}" DN="{name}"/></Address>')


def _dialog_hcp(namespace: str, code: str, name: str, address: str = "") -> Change:
    """A RollerRelatertNotat naming a HealthcareProfessional of category ``code`` (9060)."""
    return _append(
        "//*[local-name()='Foresporsel']",
        f'<RollerRelatertNotat xmlns="{namespace}" xmlns:fk1="{_FK1}">'
        '<RoleToPatient V="6" S="2.16.578.1.12.4.1.1.9034" DN="Fastlege"/>'
        f'<HealthcareProfessional><TypeHealthcareProfessional V="{code}" DN="{name}"/>'
        f"<FamilyName>Lege</FamilyName>{address}</HealthcareProfessional></RollerRelatertNotat>",
    )


def _fk1_address(code: str, name: str) -> str:
    return f'<Address><fk1:Type V="{code}" DN="{name}"/><fk1:City>Bakkebyen</fk1:City></Address>'


def _dialog_1_0() -> bytes:
    # Dialogmelding 1.0 has no EmneSporsmal; the rest of the request reads the same.
    return (
        m.request()
        .replace(b"dialog/2013-01-23", b"dialog/2006-10-11")
        .replace(b"<EmneSporsmal>Hoste</EmneSporsmal>", b"")
    )


_AR10 = ns.APPREC_1_0


def _full_apprec(namespace: str = m.AR) -> bytes:
    """A rejecting AppRec with every coded element DD070-DD073 read in it (HIS 80415 §4), all
    codes right: Inst, Dept and HCPerson ids, an Address, and a HCProf as receiver."""
    mig = "v1.1 2012-02-15" if namespace == m.AR else "1.0 2004-11-21"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<AppRec xmlns="{namespace}">
  <MsgType V="APPREC" DN="Applikasjonskvittering"/>
  <MIGversion>{mig}</MIGversion>
  <GenDate>2026-11-02T10:16:00</GenDate>
  <Id>3a5b7c9d-1e2f-4a6b-8c0d-2e4f6a8b0c1d</Id>
  <Sender>
    <Role V="PRIM" DN="Primærmottaker"/>
    <HCP>
      <Inst><Name>Bakkebyen legesenter</Name><Id>800001</Id><TypeId V="HER" DN="HER-id"/>
        <Dept><Name>Fastlegekontor</Name><Id>800003</Id><TypeId V="HER" DN="HER-id"/></Dept>
        <HCPerson><Name>Kari Lege</Name><Id>800002</Id><TypeId V="HER" DN="HER-id"/></HCPerson>
      </Inst>
      <Address><Type V="RES" DN="Besøksadresse"/><City>Bakkebyen</City></Address>
    </HCP>
  </Sender>
  <Receiver>
    <Role V="AVS" DN="Avsender"/>
    <HCP><HCProf><Type V="LE" DN="Lege"/><Name>Per Berg</Name><Id>9144901</Id>
      <TypeId V="HPR" DN="HPR-nummer"/></HCProf></HCP>
  </Receiver>
  <Status V="2" DN="Avvist"/>
  <Error V="E21" S="2.16.578.1.12.4.1.1.8221" DN="Mottaker finnes ikke"/>
  <OriginalMsgId>
    <MsgType V="DIALOG_INNBYGGER_EKONSULTASJON" DN="Dialog med innbygger - eKonsultasjon"/>
    <IssueDate>2026-11-02T10:15:00</IssueDate>
    <Id>{m.REQUEST_ID}</Id>
  </OriginalMsgId>
</AppRec>
""".encode()


def _full_apprec_1_0() -> bytes:
    return _full_apprec(_AR10)


def _at(path: str) -> str:
    """A namespace-free XPath (``Inst/TypeId`` -> any version's element at that place)."""
    return "//" + "/".join(f"*[local-name()='{step}']" for step in path.split("/"))


def _code(path: str, value: str, name: str | None = None) -> Change:
    """Set V (and DN, or drop it when ``name`` is None) of the element at ``path``."""

    def change(root: etree._Element) -> None:
        element = m.one(root, _at(path))
        element.set("V", value)
        if name is None:
            element.attrib.pop("DN", "")
        else:
            element.set("DN", name)

    return change


# Each standalone AppRec place, with the code list it is read against (AppRec 1.1 and 1.0).
_APPREC_PLACES: dict[str, tuple[str, str]] = {
    "Status": ("AppRec/Status", "8258"),
    "Error": ("AppRec/Error", "8221"),
    "OriginalMsgId/MsgType": ("OriginalMsgId/MsgType", "8279"),
    "Address/Type": ("Address/Type", "3401"),
    "HCProf/Type": ("HCProf/Type", "9060"),
    "Sender/Role": ("AppRec/Sender/Role", "8112"),  # 1.1 only
    "Inst/TypeId": ("Inst/TypeId", "9051"),  # 1.1 only
    "Dept/TypeId": ("Dept/TypeId", "9051"),  # 1.1 only
    "HCPerson/TypeId": ("HCPerson/TypeId", "8116"),  # 1.1 only
    "HCProf/TypeId": ("HCProf/TypeId", "8116"),  # 1.1 only
}
_APPREC_1_0_PLACES = ("Status", "Error", "OriginalMsgId/MsgType", "Address/Type", "HCProf/Type")
# Codes of a neighbouring list (so the test is not won by any odd value) or none at all.
_UNKNOWN_IN = {
    "8258": "4",
    "8221": "E99",
    "8279": "DIALOG_INNBYGGER_EKONSULT",
    "3401": "ENH",
    "9060": "HPR",
    "8112": "AVS",
    "9051": "HPR",
    "8116": "ENH",
}


UNKNOWN_CODES: dict[str, tuple[Callable[[], bytes], Change, str]] = {
    "MsgHead TypeHealthcareProfessional": (m.request, _msghead_hcp_type("ZZ", "x"), "9060"),
    "Dialogmelding 1.1 TypeHealthcareProfessional": (
        m.request,
        _dialog_hcp(m.DM, "ZZ", "x"),
        "9060",
    ),
    "Dialogmelding 1.0 TypeHealthcareProfessional": (
        _dialog_1_0,
        _dialog_hcp(_DM10, "ZZ", "x"),
        "9060",
    ),
    "Dialogmelding 1.0 RoleToPatient": (
        _dialog_1_0,
        _append(
            "//*[local-name()='Foresporsel']",
            f'<RollerRelatertNotat xmlns="{_DM10}"><RoleToPatient V="999" DN="x" '
            'S="2.16.578.1.12.4.1.1.9034"/><HealthcareProfessional><FamilyName>Lege</FamilyName>'
            "</HealthcareProfessional></RollerRelatertNotat>",
        ),
        "9034",
    ),
    "Patient Address/Type": (m.request, _address("//m:Patient/m:Ident", "ZZZ", "x"), "3401"),
    "Organisation Address/Type": (
        m.request,
        _address("//m:Receiver/m:Organisation/m:Ident[2]", "ZZZ", "x"),
        "3401",
    ),
    "felleskomponent1 Address/Type": (
        m.request,
        _dialog_hcp(m.DM, "LE", "Lege", _fk1_address("ZZZ", "x")),
        "3401",
    ),
    **{
        f"AppRec 1.1 {place}": (_full_apprec, _code(path, _UNKNOWN_IN[system], "x"), system)
        for place, (path, system) in _APPREC_PLACES.items()
    },
    **{
        f"AppRec 1.0 {place}": (
            _full_apprec_1_0,
            _code(_APPREC_PLACES[place][0], _UNKNOWN_IN[_APPREC_PLACES[place][1]], "x"),
            _APPREC_PLACES[place][1],
        )
        for place in _APPREC_1_0_PLACES
    },
    "AppRec without DN": (_full_apprec, _code("Inst/TypeId", "XYZ"), "9051"),
}


@pytest.mark.parametrize(
    ("factory", "change", "system"), UNKNOWN_CODES.values(), ids=list(UNKNOWN_CODES)
)
def test_an_unknown_code_is_found_at_every_coded_place(
    factory: Callable[[], bytes], change: Change, system: str
) -> None:
    clean = {(i.rule, i.message) for i in validate(factory()).issues}
    report = validate(m.edit(factory(), change))
    new = [i for i in report.issues if (i.rule, i.message) not in clean]
    assert [i.rule for i in new] == ["DD071"], report.issues
    assert f"code list {system}" in new[0].message


def test_known_codes_at_those_places_pass() -> None:
    fine = _both(
        _msghead_hcp_type("LE", "Lege"),
        _address("//m:Patient/m:Ident", "H", "Bostedsadresse"),
        _address("//m:Receiver/m:Organisation/m:Ident[2]", "RES", "Besøksadresse"),
        _dialog_hcp(m.DM, "SP", "Sykepleier", _fk1_address("WP", "Arbeidsadresse")),
    )
    assert validate(m.edit(m.request(), fine)).issues == []
    wrong_name = m.edit(m.request(), _msghead_hcp_type("LE", "Tannlege"))
    assert [i.rule for i in validate(wrong_name).issues] == ["DD073"]


def test_apprec_address_type_is_a_coded_place() -> None:
    for version in (ns.APPREC_1_1, ns.APPREC_1_0):
        assert checked(ns.qname(version, "Type"), ns.qname(version, "Address"))
    assert not checked(ns.qname(ns.APPREC_1_1, "Type"), ns.qname(ns.APPREC_1_1, "Dept"))


# --- standalone AppRecs (issue #2) ----------------------------------------------------------


def test_an_apprec_with_every_coded_place_right_passes() -> None:
    assert validate(_full_apprec()).issues == []
    assert [i.rule for i in validate(_full_apprec_1_0()).issues] == ["DD095"]


WRONG_NAMES: dict[str, tuple[Change, str, str]] = {
    "Inst/TypeId names ENH": (
        _code("Inst/TypeId", "HER", "Organisasjonsnummeret i Enhetsregister"),
        "DD073",
        "Inst/TypeId: V='HER' means 'HER-id' in code list 9051, but DN "
        "'Organisasjonsnummeret i Enhetsregister' names code 'ENH'",
    ),
    "Dept/TypeId names LAV": (
        _code("Dept/TypeId", "HER", "Lokal identifikator for avdelinger"),
        "DD073",
        "names code 'LAV'",
    ),
    "HCPerson/TypeId names FNR": (
        _code("HCPerson/TypeId", "HER", "Fødselsnummer"),
        "DD073",
        "Fødselsnummer' names code 'FNR'",
    ),
    "HCProf/TypeId names HER": (_code("HCProf/TypeId", "HPR", "HER-id"), "DD073", "'HER'"),
    "HCProf/Type names SP": (_code("HCProf/Type", "LE", "Sykepleier"), "DD073", "'SP'"),
    "Sender/Role names COP": (_code("Sender/Role", "PRIM", "Kopimottaker"), "DD073", "'COP'"),
    "Status names OK": (_code("Status", "2", "OK"), "DD073", "names code '1'"),
    "HCProf/Type misspelt": (
        _code("HCProf/Type", "LE", "Legen"),
        "DD072",
        "HCProf/Type: DN 'Legen' differs from code list 9060's name for LE: 'Lege'",
    ),
    "Inst/TypeId misspelt": (_code("Inst/TypeId", "HER", "HER-nummer"), "DD072", "9051"),
}


@pytest.mark.parametrize(("change", "rule", "message"), WRONG_NAMES.values(), ids=list(WRONG_NAMES))
def test_a_wrong_display_name_in_an_apprec_is_found(
    change: Change, rule: str, message: str
) -> None:
    issues = validate(m.edit(_full_apprec(), change)).issues
    assert [i.rule for i in issues] == [rule], issues
    assert message in issues[0].message
    assert issues[0].xpath
    assert issues[0].line


def test_an_apprec_is_not_reported_twice_for_one_element() -> None:
    """AppRec/MsgType is DD093's (any value but APPREC); DD070-DD073 leave it alone. An unknown
    Status or Error is DD071's alone: DD090-DD092 judge only the codes 8258 has."""
    wrong_type = validate(m.edit(_full_apprec(), m.set_attr("//a:AppRec/a:MsgType", "V", "XYZ")))
    assert [i.rule for i in wrong_type.issues] == ["DD093"]
    for status in ("0", "9", "OK"):
        for base in (m.apprec("1"), m.apprec("2", _ERROR)):
            report = validate(m.edit(base, m.set_attr("//a:Status", "V", status)))
            assert [i.rule for i in report.issues] == ["DD071"], (status, report.issues)
    unknown_error = validate(m.edit(m.apprec("2", _ERROR), m.set_attr("//a:Error", "V", "E99")))
    assert [i.rule for i in unknown_error.issues] == ["DD071"]


_ERROR = (
    f'<Error xmlns="{m.AR}" V="E10" S="2.16.578.1.12.4.1.1.8221" '
    'DN="Ugyldig meldingsidentifikator"/>'
)


def test_apprec_1_0_roles_and_identifier_types_are_not_read_against_1_1_lists() -> None:
    """AppRec 1.0 writes the roles of code list 7301 (REQ, SPR, COP; HITS 1168 §6.2) and the
    identifier types from before 1.1 aligned them with MsgHead (HIS 80415 §2): not 8112, 9051,
    8116 — lists of 1.1 that would call valid 1.0 receipts wrong."""
    older = _both(
        _code("Sender/Role", "REQ", "Rekvirent"),
        _code("Receiver/Role", "RECEIVER"),
        _code("HCPerson/TypeId", "HPR", "Helsepersonellnummer"),
        _code("Inst/TypeId", "LIN"),
        _code("Dept/TypeId", "LOP", "Lokal identifikator for helsepersonell"),
    )
    assert [i.rule for i in validate(m.edit(_full_apprec_1_0(), older)).issues] == ["DD095"]
    newer = validate(m.edit(_full_apprec(), older)).issues
    assert [i.rule for i in newer] == ["DD071", "DD071", "DD072"], newer
    assert [i.xpath for i in newer] == [
        "/AppRec/Sender/Role",
        "/AppRec/Sender/HCP/Inst/Dept/TypeId",
        "/AppRec/Sender/HCP/Inst/HCPerson/TypeId",
    ]


def test_an_apprec_for_another_message_type_is_not_called_unknown() -> None:
    """Code list 8279 in digidialog.codes holds every DIALOG* code but not the rest of Volven's
    list: an AppRec for an EPIKRISE (HIS 80415 §5.2, HITS 1168 §10) is fine; a misspelt
    digital-dialog type is not."""
    epikrise = m.edit(_full_apprec(), _code("OriginalMsgId/MsgType", "EPIKRISE", "Epikrise"))
    assert validate(epikrise).issues == []
    assert validate(_HITS_1168_OK).issues == []
    typo = validate(
        m.edit(_full_apprec(), _code("OriginalMsgId/MsgType", "DIALOG_INNBYGER_EKONTAKT"))
    )
    assert [i.rule for i in typo.issues] == ["DD071"]
    assert "code list 8279" in typo.issues[0].message


_HITS_1168_OK = """<?xml version="1.0" encoding="UTF-8"?>
<AppRec xmlns="http://www.kith.no/xmlstds/apprec/2012-02-15">
  <MsgType V="APPREC" DN="Applikasjonskvittering"/>
  <MIGversion>v1.1 2012-02-15</MIGversion>
  <GenDate>2016-02-17T10:31:07</GenDate>
  <Id>5e4f20c0-c41b-11e0-962b-0800200c9a66</Id>
  <Sender>
    <Role V="PRIM" DN="Primærmottaker"/>
    <HCP><Inst><Name>Kattskinnet legesenter</Name><Id>56704</Id><TypeId V="HER" DN="HER-id"/>
      <HCPerson><Name>August September</Name><Id>369767</Id><TypeId V="HER" DN="HER-id"/>
      </HCPerson></Inst></HCP>
  </Sender>
  <Receiver>
    <Role V="AVS" DN="Avsender"/>
    <HCP><Inst><Name>St Olavs Hospital HF</Name><Id>59</Id><TypeId V="HER" DN="HER-id"/>
      <Dept><Name>Generell Kirurgi</Name><Id>91965</Id><TypeId V="HER" DN=" HER-id"/></Dept>
    </Inst></HCP>
  </Receiver>
  <Status V="1" DN="OK"/>
  <OriginalMsgId>
    <MsgType V="EPIKRISE" DN="Epikrise"/>
    <IssueDate>2016-02-17T08:32:15</IssueDate>
    <Id>4c793d90-c41b-11e0-962b-0800200c9a66</Id>
  </OriginalMsgId>
</AppRec>
""".encode()
"""The positive AppRec of HITS 1168 §10.1 (as in HIS 80415 §5.2.1, whose text has typos)."""


def test_each_document_kind_keeps_its_own_checks() -> None:
    """DD070-DD073 run on AppRecs through the AppRec tuple of checks; a MsgHead runs exactly the
    MsgHead rules, so it pays nothing for the AppRec's."""
    by_check = {r.check: r.id for r in RULES.values()}
    msghead = [by_check[c] for c in _checks_for("msghead")]
    apprec = [by_check[c] for c in _checks_for("apprec")]
    assert msghead == [r.id for r in RULES.values() if r.applies_to == "msghead"]
    coded = ["DD070", "DD071", "DD072", "DD073"]
    assert apprec == ["DD090", "DD091", "DD092", "DD093", "DD094", "DD095", "DD096", *coded]
    assert RULES["DD071"].kinds == ("msghead", "apprec")
    assert RULES["DD090"].kinds == ("apprec",)
    assert _checks_for("other") == ()


# --- Dialogmelding 1.0: TypeForesp and TemaKodet read as in 1.1 (issue #2) -------------------


def _to_1_0(factory: Callable[[], bytes]) -> Callable[[], bytes]:
    def older() -> bytes:
        data = factory().replace(b"dialog/2013-01-23", b"dialog/2006-10-11")
        return data.replace(b"<EmneSporsmal>Hoste</EmneSporsmal>", b"")  # not in 1.0

    return older


DIALOG_CODES: dict[str, tuple[Callable[[], bytes], Change, str]] = {
    "TypeForesp unknown": (
        m.request,
        m.set_attr("//*[local-name()='TypeForesp']", "V", "ZZ"),
        "DD071",
    ),
    "TypeForesp from another list": (
        m.request,
        m.set_attr("//*[local-name()='TypeForesp']", "S", "2.16.578.1.12.4.1.1.9034"),
        "DD070",
    ),
    "TypeForesp short S": (
        m.request,
        m.set_attr("//*[local-name()='TypeForesp']", "S", "7601"),
        "DD070",
    ),
    "TypeForesp misspelt": (
        m.request,
        m.set_attr("//*[local-name()='TypeForesp']", "DN", "Spørsmål"),
        "DD072",
    ),
    "TypeForesp naming RT": (
        m.request,
        m.set_attr("//*[local-name()='TypeForesp']", "DN", "Reserver time"),
        "DD073",
    ),
    "TemaKodet unknown": (m.reply, m.set_attr("//*[local-name()='TemaKodet']", "V", "99"), "DD071"),
    "TemaKodet from 7601": (
        m.reply,
        m.set_attr("//*[local-name()='TemaKodet']", "S", "2.16.578.1.12.4.1.1.7601"),
        "DD070",
    ),
    "TemaKodet misspelt": (
        m.reply,
        m.set_attr("//*[local-name()='TemaKodet']", "DN", "Svar"),
        "DD072",
    ),
    "TemaKodet 13 named as 12": (
        m.reply,
        m.set_attr("//*[local-name()='TemaKodet']", "V", "13"),
        "DD073",
    ),
}


@pytest.mark.parametrize(
    ("factory", "change", "rule"), DIALOG_CODES.values(), ids=list(DIALOG_CODES)
)
def test_dialogmelding_1_0_codes_are_read_as_in_1_1(
    factory: Callable[[], bytes], change: Change, rule: str
) -> None:
    """The process decides the lists (7601/7602/7603) in both versions: the same change gives
    the same findings, with DD041 (version 1.0) on top."""
    newer = validate(m.edit(factory(), change)).issues
    older = validate(m.edit(_to_1_0(factory)(), change)).issues
    assert "XSD" not in {i.rule for i in older}, older
    assert rule in {i.rule for i in newer}
    version = ("DD041", "Dialogmelding 1.0; digital dialog uses 1.1")
    found = [(i.rule, i.message) for i in older]
    assert version in found
    assert [f for f in found if f != version] == [(i.rule, i.message) for i in newer]


def test_dialogmelding_1_0_with_known_codes_passes() -> None:
    for factory in (m.request, m.reply):
        assert [i.rule for i in validate(_to_1_0(factory)()).issues] == ["DD041"]


_FAMILY = frozenset(
    {ns.MSGHEAD, ns.DIALOG_1_1, _DM10, _FK1, ns.APPREC_1_1, ns.APPREC_1_0, ns.PASIENTRELASJON}
)
"""The standards whose coded elements the rules check (others in Documents are not read)."""

NOT_CODE_LIST_PLACES = {
    (ns.MSGHEAD, "Ack", "MsgInfo"): "J/N, checked against the service by DD030",
    (ns.MSGHEAD, "IssueDate", "RefDoc"): "a date (TS), not a code",
    (ns.MSGHEAD, "Sex", "Patient"): "code list 3101, not in digidialog.codes",
    (ns.MSGHEAD, "RoleReceiver", "OtherReceiver"): "code list 9033, not in digidialog.codes",
    (_FK1, "TeleAddress", "TeleCom"): "a URL (tel:, mailto:), not a code",
}
"""Elements with a V attribute in the examples that no code list of ours covers, and why."""

APPREC_NOT_CODE_LIST_PLACES = {
    **{
        (version, local, parent): why
        for version in (ns.APPREC_1_1, _AR10)
        for (local, parent), why in {
            ("MsgType", "AppRec"): "always APPREC: DD093 reports any other value",
            ("Role", "Receiver"): "a fixed value, AVS (HIS 80415 §4.4.5), in no code list",
            ("Type", "AdditionalId"): "code list 8268, not in digidialog.codes",
            ("Type", "Dept"): "code list 8624, not in digidialog.codes",
            ("MedSpeciality", "HCP"): "code lists 8451 and 7426, not in digidialog.codes",
            ("County", "Address"): "code list 3402, not in digidialog.codes",
            ("Country", "Address"): "code list 9043, not in digidialog.codes",
            ("CityDistr", "Address"): "code list 3403, not in digidialog.codes",
            ("TeleAddress", "Address"): "a URL (tel:, mailto:), not a code",
        }.items()
    },
    (_AR10, "Role", "Sender"): "code list 7301 in AppRec 1.0 (HITS 1168 §6.2), not in our codes",
    **{
        (_AR10, "TypeId", parent): "AppRec 1.0's identifier lists predate 1.1's 9051/8116"
        for parent in ("Inst", "Dept", "HCPerson", "HCProf")
    },
}
"""The same for AppRecs, both versions (the docstring of `digidialog.validation.rules.coded`)."""


def _example_paths() -> list[Path]:
    paths = sorted(EXAMPLES.rglob("*.xml"))
    samples = REFERENCE / "samples"
    if samples.is_dir():
        paths += sorted(samples.rglob("*.xml"))  # the 69 official examples and Dialogmelding 1.1's
    return paths


def _receipts(her_id: str) -> Receipts:
    ids = (f"00000000-0000-4000-9000-{n:012d}" for n in itertools.count(1))
    return Receipts(
        Office(her_id, "Bakkebyen legesenter"),
        CitizenStatus(),
        clock=lambda: datetime(2026, 11, 2, 10, 16, tzinfo=UTC),
        new_id=lambda: next(ids),
    )


def _built_apprecs() -> dict[str, bytes]:
    """The AppRecs the services build for our examples (`Receipts`): accepting, rejecting and
    for an unreadable message (T02)."""
    built: dict[str, bytes] = {}
    for path in sorted(EXAMPLES.rglob("*.xml")):
        msg = MsgHead.from_tree(etree.parse(str(path)))
        her_id = next((h for h in msg.receiver.her_ids if h), "800001")
        errors = [ReceiptError(AppRecFeil.E31, "kontrollsiffer"), ReceiptError(AppRecFeil.E21)]
        for label, found in (("ok", []), ("rejected", errors)):
            receipt = _receipts(her_id).issue(msg, found)
            if receipt is not None:  # synchronous messages get none
                built[f"{path.name} ({label})"] = receipt.to_xml()
        transport = TransportInfo(
            msg.msg_id, msg.msg_type or "", "700001", her_id, datetime(2026, 11, 2, tzinfo=UTC)
        )
        unreadable = _receipts(her_id).reject_unreadable(transport, ReceiptError(AppRecFeil.T02))
        built[f"{path.name} (T02)"] = unreadable.to_xml()
    return built


def _apprecs() -> dict[str, bytes]:
    """AppRecs to read: the services' own, the schema tests' seeds (every HCP branch), ours here
    and HITS 1168's example; each also as AppRec 1.0."""
    seeds = ROOT / "tests" / "schemas" / "seeds"
    found = {
        **_built_apprecs(),
        **{path.name: path.read_bytes() for path in sorted(seeds.glob("apprec-*.xml"))},
        "_full_apprec": _full_apprec(),
        "HITS 1168 §10.1": _HITS_1168_OK,
    }
    for name, data in list(found.items()):
        if ns.APPREC_1_1.encode() in data:
            found[f"{name} as 1.0"] = data.replace(ns.APPREC_1_1.encode(), _AR10.encode())
    return found


def _documents() -> list[tuple[str, etree._Element]]:
    documents = [(path.name, etree.parse(str(path)).getroot()) for path in _example_paths()]
    documents += [(name, etree.fromstring(data)) for name, data in _apprecs().items()]
    documents += [
        (f"Dialogmelding 1.0 {f.__name__}", etree.fromstring(_to_1_0(f)()))
        for f in (m.request, m.reply)
    ]
    return documents


def test_every_coded_element_in_the_examples_is_checked() -> None:
    """A coded element naming a known code list (S), or with a V in a standard the rules read,
    stands at a place DD070-DD073 check — or is listed above with the reason it is not. Read in
    the examples, in AppRecs (those the services build among them) and in Dialogmelding 1.0."""
    documents = _documents()
    assert len(documents) >= 45 + 2 * 45
    exempt = {**NOT_CODE_LIST_PLACES, **APPREC_NOT_CODE_LIST_PLACES}
    unchecked: set[tuple[str, str, str, str]] = set()
    seen_exempt: set[tuple[str, str, str]] = set()
    for name, root in documents:
        for element in root.iter(etree.Element):
            parent = element.getparent()
            value, system = element.get("V"), element.get("S")
            if value is None or parent is None:
                continue
            qname = etree.QName(element)
            where = (qname.namespace or "", qname.localname, etree.QName(parent).localname)
            known = system is not None and find_system(system) is not None
            if not known and qname.namespace not in _FAMILY:
                continue
            if checked(str(element.tag), str(parent.tag)):
                continue
            if where in exempt and not known:
                seen_exempt.add(where)
                continue
            unchecked.add((*where, name))
    assert not unchecked, "coded elements no _PLACES entry covers: " + repr(sorted(unchecked))
    assert set(APPREC_NOT_CODE_LIST_PLACES) <= seen_exempt  # every exemption is still needed
    if (REFERENCE / "samples").is_dir():  # with the reference samples, the MsgHead ones too
        assert seen_exempt == set(exempt)


def test_the_apprecs_the_services_build_break_no_coded_value_rule() -> None:
    built = _built_apprecs()
    assert len(built) >= 45 + 30
    for name, data in built.items():
        issues = validate(data, source=name).issues
        assert not [i for i in issues if i.rule in ("DD070", "DD071", "DD072", "DD073")], issues
        older = data.replace(ns.APPREC_1_1.encode(), _AR10.encode())
        assert {i.rule for i in validate(older).issues} - {i.rule for i in issues} == {"DD095"}


# --- which Dialogmelding, and the limits of version 1.0 -----------------------------------

_DIALOG_1_0_DOCUMENT = f"""<Document xmlns="{m.MH}"><RefDoc><IssueDate V="2026-11-02T10:15:00Z"/>
  <MsgType V="XML" DN="XML-instans"/><Content>
    <Dialogmelding xmlns="{_DM10}"><Foresporsel>
      <TypeForesp V="SB" S="2.16.578.1.12.4.1.1.7601" DN="Spørsmål til behandler"/>
      <Sporsmal>Jeg har hostet i tre uker.</Sporsmal>
    </Foresporsel></Dialogmelding>
  </Content></RefDoc></Document>"""


def _one_line(data: bytes) -> bytes:
    return re.sub(rb">\s+<", b"><", data)


@pytest.mark.parametrize("first", [True, False], ids=["1.0 first", "1.0 second"])
def test_the_dialogmelding_is_the_first_in_document_order(first: bool) -> None:
    """Dialogmelding 1.0 in one Document, 1.1 in another: the first Document's is "the"
    Dialogmelding (§2.3.7), on one line as on many — source lines cannot tell them apart."""

    def add(root: etree._Element) -> None:
        document = etree.fromstring(_DIALOG_1_0_DOCUMENT)
        if first:
            m.one(root, "//m:Document").addprevious(document)
        else:
            root.append(document)

    data = m.edit(m.request(), add)
    for variant in (data, _one_line(data)):
        rules = [i.rule for i in validate(variant).issues]
        assert rules == (["DD041"] if first else []), rules


@pytest.mark.parametrize(
    ("factory", "path", "limit"),
    [
        (_dialog_1_0, "//*[local-name()='Sporsmal']", 1000),
        (
            lambda: m.reply().replace(b"dialog/2013-01-23", b"dialog/2006-10-11"),
            "//*[local-name()='TekstNotatInnhold']",
            1000,
        ),
    ],
    ids=["Sporsmal", "TekstNotatInnhold"],
)
def test_length_limits_hold_for_dialogmelding_1_0(
    factory: Callable[[], bytes], path: str, limit: int
) -> None:
    at_limit = m.edit(factory(), m.set_text(path, "x" * limit))
    assert [i.rule for i in validate(at_limit).issues] == ["DD041"]
    over = validate(m.edit(factory(), m.set_text(path, "x" * (limit + 1)))).issues
    assert [i.rule for i in over] == ["DD041", "DD053"]
    assert f"has {limit + 1} characters; at most {limit} are allowed" in over[1].message
