"""Every business rule: one change that makes it fire, and the clean message where it does not."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from lxml import etree

from digidialog.validation import RULES, Report, Severity, check_rules, validate
from tests.validation import messages as m

Change = Callable[[etree._Element], object]

_ICAL = "urn:ietf:params:xml:ns:icalendar-2.0"


def _insert_after(path: str, xml: str) -> Change:
    def change(root: etree._Element) -> None:
        m.one(root, path).addnext(etree.fromstring(xml))

    return change


def _both(*changes: Change) -> Change:
    def change(root: etree._Element) -> None:
        for c in changes:
            c(root)

    return change


def _calendar(props: str, calendar_props: str | None = None) -> Change:
    """Append a Document with one xCal appointment whose vevent properties are ``props``."""
    header = (
        calendar_props
        if calendar_props is not None
        else ("<prodid><text>Testsystem</text></prodid><version><text>2.0</text></version>")
    )

    def change(root: etree._Element) -> None:
        root.append(
            etree.fromstring(
                f"""<Document xmlns="{m.MH}"><RefDoc><IssueDate V="2026-11-02T10:15:00Z"/>
            <MsgType V="XML" DN="XML-instans"/><Content>
            <icalendar xmlns="{_ICAL}"><vcalendar><properties>{header}</properties>
            <components><vevent><properties>{props}</properties><components/></vevent>
            </components></vcalendar></icalendar></Content></RefDoc></Document>"""
            )
        )

    return change


_EVENT = (
    "<dtstart><date-time>2026-11-10T09:00:00</date-time></dtstart>"
    "<dtend><date-time>2026-11-10T09:20:00</date-time></dtend>"
    "<uid><text>7d0c4a52-9f1b-4c33-8a0e-5b2d6c7e8f90</text></uid>"
    "<contact><text>800002</text></contact>"
)
_CONV_REF = (
    f'<ConversationRef xmlns="{m.MH}"><RefToParent>{m.REPLY_ID}</RefToParent>'
    f"<RefToConversation>{m.REPLY_ID}</RefToConversation></ConversationRef>"
)
_RESEPT = _both(
    m.set_attr("//m:MsgInfo/m:Type", "V", "DIALOG_INNBYGGER_RESEPTFORNYELSE"),
    m.set_attr("//m:MsgInfo/m:Type", "DN", "Dialog med innbygger - reseptfornyelse"),
    m.set_attr("//d:TypeForesp", "V", "RF"),
    m.set_attr("//d:TypeForesp", "DN", "Reseptfornying, fritekst"),
)
_RESERVE = _both(
    m.set_attr("//m:MsgInfo/m:Type", "V", "DIALOG_INNBYGGER_TIMERESERVASJON"),
    m.set_attr("//m:MsgInfo/m:Type", "DN", "Dialog med innbygger - timereservasjon"),
    m.set_attr("//d:TypeForesp", "V", "RT"),
    m.set_attr("//d:TypeForesp", "DN", "Reserver time"),
    _insert_after(
        "//d:Sporsmal",
        f'<KodetOpplysning xmlns="{m.DM}" V="1" S="2.16.578.1.12.4.1.1.1101" DN="Ja"/>',
    ),
)
_ERROR = (
    '<Error xmlns="{}" V="E10" S="2.16.578.1.12.4.1.1.8221" DN="Ugyldig meldingsidentifikator"/>'
)

# rule -> (message factory, change that must make exactly this rule fire)
TRIGGERS: dict[str, list[tuple[Callable[[], bytes], Change]]] = {
    "DD001": [(m.request, m.set_text("//m:MsgId", "melding-1"))],
    "DD002": [(m.request, m.set_attr("//m:MsgInfo/m:Type", "V", "DIALOG_HELSEFAGLIG"))],
    "DD004": [(m.reply, m.remove("//m:ConversationRef"))],
    "DD005": [(m.request, _insert_after("//m:Ack", _CONV_REF))],
    "DD006": [
        (m.reply, m.set_text("//m:RefToParent", "forrige")),
        (m.reply, m.set_text("//m:RefToConversation", m.REPLY_ID)),
    ],
    "DD007": [
        (m.request, m.set_text("//m:GenDate", "2999-01-01T00:00:00Z")),
        (m.request, m.set_text("//m:GenDate", "1999-12-31T23:00:00Z")),
    ],
    "DD010": [(m.request, m.remove("//m:Sender/m:Organisation/m:Organisation"))],
    "DD011": [
        (
            m.request,
            _both(
                m.set_attr("//m:Receiver//m:HealthcareProfessional/m:Ident/m:TypeId", "V", "HPR"),
                m.set_attr(
                    "//m:Receiver//m:HealthcareProfessional/m:Ident/m:TypeId", "DN", "HPR-nummer"
                ),
            ),
        )
    ],
    "DD012": [(m.request, m.remove("//m:Receiver/m:Organisation/m:Ident[2]"))],
    "DD013": [
        (m.request, m.set_text("//m:Receiver/m:Organisation/m:Ident[1]/m:Id", "910000005")),
        (m.request, m.set_text("//m:Sender//m:Organisation/m:Ident/m:Id", "07000")),
    ],
    "DD020": [(m.request, m.remove("//m:Patient"))],
    "DD021": [(m.request, m.remove("//m:Patient/m:GivenName"))],
    "DD022": [
        (m.request, m.set_attr("//m:Patient/m:Ident/m:TypeId", "V", "HNR")),
        (
            m.request,
            _insert_after(
                "//m:Patient/m:Ident",
                f'<Ident xmlns="{m.MH}"><Id>01019052350</Id><TypeId V="FNR" '
                'S="2.16.578.1.12.4.1.1.8116" DN="Fødselsnummer"/></Ident>',
            ),
        ),
    ],
    "DD023": [
        (m.request, m.set_text("//m:Patient/m:Ident/m:Id", "15057512316")),
        (m.request, m.set_text("//m:Patient/m:Ident/m:Id", "41019052344")),  # a D-number as FNR
    ],
    "DD030": [
        (m.request, _both(m.set_attr("//m:Ack", "V", "N"), m.set_attr("//m:Ack", "DN", "Nei")))
    ],
    "DD040": [
        (m.request, lambda root: m.one(root, "//m:Document").addprevious(_attachment_document()))
    ],
    "DD042": [
        (
            m.request,
            lambda root: m.one(root, "//m:Document/m:RefDoc/m:Content").append(
                etree.fromstring(m.apprec())
            ),
        )
    ],
    "DD050": [(m.request, m.remove("//d:Foresporsel"))],
    "DD051": [
        (
            m.request,
            _both(
                m.set_attr("//d:TypeForesp", "V", "RT"),
                m.set_attr("//d:TypeForesp", "DN", "Reserver time"),
            ),
        )
    ],
    "DD052": [
        (
            m.reply,
            _both(
                m.set_attr("//d:TemaKodet", "V", "05"),
                m.set_attr("//d:TemaKodet", "DN", "Timereservasjon bekreftet"),
            ),
        )
    ],
    "DD053": [
        (m.request, m.set_text("//d:EmneSporsmal", "x" * 51)),
        (m.request, m.set_text("//d:Sporsmal", "x" * 1001)),
        (m.reply, m.set_text("//d:TekstNotatInnhold", "x" * 1001)),
    ],
    "DD054": [(m.request, _RESEPT)],
    "DD055": [
        (
            m.reply,
            _insert_after(
                "//d:TekstNotatInnhold",
                f'<Foresporsel xmlns="{m.DM}"><TypeForesp V="SB" S="2.16.578.1.12.4.1.1.7601" '
                'DN="Spørsmål til behandler"/></Foresporsel>',
            ),
        )
    ],
    "DD056": [(m.request, _RESERVE)],
    "DD060": [(m.request, m.add_attachment("image/gif"))],
    "DD061": [(m.request, m.add_attachment("image/jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 8))],
    "DD062": [(m.request, m.add_attachment("image/png", msg_type="XML"))],
    "DD063": [(m.request, m.add_attachment("application/pdf"))],  # PNG bytes declared as PDF
    "DD070": [
        (m.request, m.set_attr("//d:TypeForesp", "S", "2.16.578.1.12.4.1.1.9034")),
        (m.request, m.set_attr("//d:TypeForesp", "S", "7601")),  # the short form
    ],
    "DD071": [(m.request, m.set_attr("//m:Receiver//m:RoleToPatient", "V", "999"))],
    "DD072": [(m.request, m.set_attr("//d:TypeForesp", "DN", "Spørsmål"))],
    "DD073": [(m.reply, _both(m.set_attr("//d:TemaKodet", "V", "13")))],
    "DD080": [
        (
            m.request,
            _calendar(_EVENT, "<prodid><text>T</text></prodid><version><text>1.0</text></version>"),
        ),
        (m.request, _calendar(_EVENT, "<version><text>2.0</text></version>")),
    ],
    "DD081": [(m.request, _calendar(_EVENT.replace("<contact><text>800002</text></contact>", "")))],
    "DD082": [(m.request, _calendar(_EVENT.replace("2026-11-10T09:20:00", "2026-11-10T08:20:00")))],
    "DD083": [
        (m.request, _calendar(_EVENT.replace("<text>800002</text>", "<text>Dr. Lege</text>")))
    ],
    "DD084": [
        (m.request, _calendar(_EVENT + "<categories><text>Konsultasjon</text></categories>"))
    ],
    "DD085": [
        (m.request, _calendar(_EVENT + "<status><text>COMPLETED</text></status>")),
        (m.request, _calendar(_EVENT + "<rrule><recur><freq>MONTHLY</freq></recur></rrule>")),
    ],
    "DD090": [(lambda: m.apprec("2"), lambda root: None)],
    "DD091": [(lambda: m.apprec("1", _ERROR.format(m.AR)), lambda root: None)],
    "DD092": [(lambda: m.apprec("3", _ERROR.format(m.AR)), lambda root: None)],
    "DD093": [
        (m.apprec, m.set_attr("//a:AppRec/a:MsgType", "V", "DIALOG_INNBYGGER_EKONSULTASJON"))
    ],
    "DD094": [(m.apprec, m.set_text("//a:OriginalMsgId/a:Id", "12345"))],
    "DD096": [(m.apprec, m.set_attr("//a:OriginalMsgId/a:MsgType", "V", "DIALOG_INNBYGGER_TEST"))],
}


def _attachment_document() -> etree._Element:
    holder = etree.fromstring(f'<MsgHead xmlns="{m.MH}"/>')
    m.add_attachment("image/png")(holder)
    return holder[0]


def _rules(report: Report) -> set[str]:
    return {issue.rule for issue in report.issues}


CASES = [
    pytest.param(rule, factory, change, id=f"{rule}-{n}")
    for rule, cases in TRIGGERS.items()
    for n, (factory, change) in enumerate(cases)
]


@pytest.mark.parametrize(("rule", "factory", "change"), CASES)
def test_rule_fires(rule: str, factory: Callable[[], bytes], change: Change) -> None:
    report = validate(m.edit(factory(), change))
    assert "XSD" not in _rules(report), report.issues  # the change keeps the message schema-valid
    fired = [i for i in report.issues if i.rule == rule]
    assert fired, report.issues
    assert all(i.severity is RULES[rule].severity for i in fired)
    assert all(i.line and i.xpath for i in fired)
    if RULES[rule].severity is Severity.ERROR:
        assert not report.valid


@pytest.mark.parametrize("factory", [m.request, m.reply, m.apprec])
def test_clean_messages_fire_nothing(factory: Callable[[], bytes]) -> None:
    report = validate(factory())
    assert report.issues == []
    assert report.valid


def test_every_rule_has_a_trigger() -> None:
    untested = set(RULES) - set(TRIGGERS) - set(OTHER_VERSIONS)
    assert not untested


def _dialog_1_0() -> bytes:
    # Dialogmelding 1.0 has no EmneSporsmal; the rest of the request reads the same.
    return (
        m.request()
        .replace(b"dialog/2013-01-23", b"dialog/2006-10-11")
        .replace(b"<EmneSporsmal>Hoste</EmneSporsmal>", b"")
    )


OTHER_VERSIONS: dict[str, Callable[[], bytes]] = {
    "DD041": _dialog_1_0,
    "DD095": lambda: m.apprec().replace(b"apprec/2012-02-15", b"apprec/2004-11-21"),
}


@pytest.mark.parametrize("rule", sorted(OTHER_VERSIONS))
def test_older_versions_are_flagged(rule: str) -> None:
    report = validate(OTHER_VERSIONS[rule]())
    assert [i.rule for i in report.issues] == [rule]
    assert report.valid  # a warning only


def test_near_misses_do_not_fire() -> None:
    """Limits are inclusive; the refusal codes and a D-number typed DNR are fine."""
    at_limit = m.edit(
        m.request(),
        _both(m.set_text("//d:EmneSporsmal", "x" * 50), m.set_text("//d:Sporsmal", "y" * 1000)),
    )
    assert validate(at_limit).issues == []
    refused = m.edit(
        m.reply(),
        _both(
            m.set_attr("//d:TemaKodet", "V", "30"),
            m.set_attr("//d:TemaKodet", "DN", "Ikke tilgang"),
        ),
    )
    assert validate(refused).issues == []
    d_number = m.edit(
        m.request(),
        _both(
            m.set_text("//m:Patient/m:Ident/m:Id", "41019052344"),
            m.set_attr("//m:Patient/m:Ident/m:TypeId", "V", "DNR"),
            m.set_attr("//m:Patient/m:Ident/m:TypeId", "DN", "D-nummer"),
        ),
    )
    assert validate(d_number).issues == []
    jpeg = m.edit(m.request(), m.add_attachment("image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 8))
    assert validate(jpeg).issues == []
    calendar = m.edit(
        m.request(),
        _calendar(_EVENT + "<categories><text>Video</text><text>TjenesteId:12</text></categories>"),
    )
    assert validate(calendar).issues == []
    rejected = m.apprec("2", _ERROR.format(m.AR))
    assert validate(rejected).issues == []


def test_rules_have_ids_sections_and_titles() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert re.fullmatch(r"DD\d{3}", rule_id)
        assert rule.title
        assert rule.section
        assert rule.applies_to in {"msghead", "apprec"}
        assert set(rule.kinds) <= {"msghead", "apprec"}
        assert len(set(rule.kinds)) == len(rule.kinds)


def test_rules_alone_catch_bad_base64() -> None:
    """`check_rules` runs on trees nobody schema-checked; broken base64 is reported, not raised."""
    tree = etree.fromstring(
        m.edit(
            m.request(),
            _both(m.add_attachment("image/png"), m.set_text("//b:Base64Container", "ikke base64!")),
        )
    )
    issues = check_rules(tree)
    assert [i.rule for i in issues] == ["DD063"]


def test_rule_catalogue_is_current() -> None:
    """docs/rules.md is the registry's output; regenerate it when a rule changes."""
    from pathlib import Path

    from digidialog.validation.catalogue import markdown

    docs = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == markdown(), (
        "run: python -m digidialog.validation.catalogue > docs/rules.md"
    )


def test_a_code_is_judged_by_its_place_not_only_its_value() -> None:
    """The same V/S/DN is right in an Organisation Ident (9051) and wrong in the Patient's
    (8116): findings worked out once per combination must still depend on where it stands."""
    org_type = 'V="HER" S="2.16.578.1.12.4.1.1.9051" DN="HER-id"'
    data = m.request()
    assert org_type.encode() in data
    moved = m.edit(
        data,
        _both(
            m.set_attr("//m:MsgInfo/m:Patient/m:Ident/m:TypeId", "V", "HER"),
            m.set_attr("//m:MsgInfo/m:Patient/m:Ident/m:TypeId", "S", "2.16.578.1.12.4.1.1.9051"),
        ),
    )
    for _ in range(2):  # the second time every finding comes from the cache
        found = [i for i in validate(moved).issues if i.rule == "DD070"]
        assert [i.xpath for i in found] == ["/MsgHead/MsgInfo/Patient/Ident/TypeId"]
        assert "8116" in found[0].message


def test_a_batch_gives_each_message_its_own_findings() -> None:
    """Validating many messages in one process (as the CLI does) reuses cached lookups; a
    message's report must not depend on what was validated before it."""
    bad = m.edit(m.reply(), m.set_attr("//d:TemaKodet", "V", "13"))
    alone = validate(bad).issues
    assert alone
    for data, expected in [(m.request(), []), (bad, alone), (m.reply(), []), (bad, alone)]:
        assert validate(data).issues == expected


def _timereservasjon_reply(code: str, name: str, ack: str) -> bytes:
    def change(root: etree._Element) -> None:
        m.set_attr("//m:Type", "V", "DIALOG_INNBYGGER_TIMERESERVASJON")(root)
        m.set_attr("//m:Type", "DN", "Dialog med innbygger - timereservasjon")(root)
        m.set_attr("//d:TemaKodet", "V", code)(root)
        m.set_attr("//d:TemaKodet", "DN", name)(root)
        m.set_attr("//m:Ack", "V", ack)(root)
        m.set_attr("//m:Ack", "DN", "Ja" if ack == "J" else "Nei")(root)

    return m.edit(m.reply(), change)


@pytest.mark.parametrize("ack", ["J", "N"])
def test_ack_of_a_refusal_that_may_answer_a_synchronous_or_an_asynchronous_request(
    ack: str,
) -> None:
    # 26 in Timereservasjon answers HLT (synchronous, Ack N) or RT/ART (Ack J): either fits.
    data = _timereservasjon_reply("26", "Forespørsel avvist", ack)
    assert "DD030" not in {i.rule for i in validate(data).issues}


def test_ack_of_a_reply_only_an_asynchronous_request_gets_is_checked() -> None:
    # 05 answers only RT (asynchronous): Ack N is wrong.
    data = _timereservasjon_reply("05", "Timereservasjon bekreftet", "N")
    assert "DD030" in {i.rule for i in validate(data).issues}
    fine = _timereservasjon_reply("05", "Timereservasjon bekreftet", "J")
    assert "DD030" not in {i.rule for i in validate(fine).issues}
