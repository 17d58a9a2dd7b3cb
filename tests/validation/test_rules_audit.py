"""Defects an audit found in the business rules, each pinned by the messages that showed it.

- Rules read an element's value whole: a comment or processing instruction inside a value (legal
  in every simple-typed element) neither hides the text after it nor makes a value look empty,
  as the codec (`digidialog.model.base.element_text`) reads it.
- Every coded element of a known code list is checked where it stands: TypeHealthcareProfessional
  (9060) and Address/Type (3401) were not, and a test over the examples keeps the next gap out.
- "The" Dialogmelding is the first in document order, whatever the line breaks; the length
  limits hold for Dialogmelding 1.0 as for 1.1.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from digidialog.codes import find_system
from digidialog.validation import check_rules, validate
from digidialog.validation.context import Context, element_text
from digidialog.validation.rules.coded import checked
from digidialog.xml import namespaces as ns
from tests.conftest import EXAMPLES, REFERENCE
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


def _example_paths() -> list[Path]:
    paths = sorted(EXAMPLES.rglob("*.xml"))
    samples = REFERENCE / "samples"
    if samples.is_dir():
        paths += sorted(samples.rglob("*.xml"))  # the 69 official examples and Dialogmelding 1.1's
    return paths


def test_every_coded_element_in_the_examples_is_checked() -> None:
    """A coded element naming a known code list (S), or with a V in a standard the rules read,
    stands at a place DD070-DD073 check — or is listed above with the reason it is not."""
    paths = _example_paths()
    assert len(paths) >= 45
    unchecked: set[tuple[str, str, str, str]] = set()
    seen_exempt: set[tuple[str, str, str]] = set()
    for path in paths:
        for element in etree.parse(str(path)).iter(etree.Element):
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
            if where in NOT_CODE_LIST_PLACES and not known:
                seen_exempt.add(where)
                continue
            unchecked.add((*where, path.name))
    assert not unchecked, "coded elements no _PLACES entry covers: " + repr(sorted(unchecked))
    if len(paths) > 45:  # with the reference samples, every exemption is still needed
        assert seen_exempt == set(NOT_CODE_LIST_PLACES)


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
