"""Messages built from scratch: defaults, helpers, and schema-valid output for every root kind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

import digidialog
from digidialog.model import (
    AppRec,
    Base64Container,
    Dialogmelding,
    DialogPerson,
    Document,
    Fk1HealthcareProfessional,
    Fk1Person,
    Foresporsel,
    Helsepersonell,
    HelsepersonelListe,
    HelsepersonellMedMerknad,
    Icalendar,
    Ident,
    Markup,
    Message,
    MsgHead,
    MsgInfo,
    Notat,
    OtherReceiver,
    Pasientrelasjon,
    Personer,
    RollerRelatertNotat,
    parse_datetime,
)
from digidialog.model.common import CodedValue
from digidialog.xml.namespaces import APPREC_1_0, DIALOG_1_0
from tests.model import builders


def _registers_message() -> MsgHead:
    person = Fk1Person(
        family_name="Nordmann",
        given_name="Ola",
        ident=[Ident(id="13116900216", type_id=CodedValue(v="FNR"))],
    )
    gp = Fk1HealthcareProfessional(
        family_name="Lege",
        given_name="Line",
        ident=[Ident(id="8100002", type_id=CodedValue(v="HER"))],
    )
    message = builders.ekonsultasjon_reply(builders.ekonsultasjon_request())
    message.msg_info.other_receiver.append(
        OtherReceiver(
            role_receiver=CodedValue(v="FOR", dn="Foresatt"),
            person=Fk1Person(family_name="Nordmann", given_name="Ola"),
        )
    )
    message.document.extend(
        [
            Document.of(Personer(person=[person])),
            Document.of(Pasientrelasjon(person=[person], relasjon=CodedValue(v="MOR"))),
            Document.of(Helsepersonell(helsepersonell=[gp])),
            Document.of(
                HelsepersonelListe(
                    helsepersonell=[HelsepersonellMedMerknad(helsepersonell=[gp], merknad="Vikar")]
                )
            ),
        ]
    )
    return message


def _dialog_1_0_message() -> MsgHead:
    request = Foresporsel(
        type_foresp=CodedValue(v="SB", s="2.16.578.1.12.4.1.1.7601", dn="Spørsmål til behandler"),
        sporsmal="Hei",
        roller_relatert_notat=[
            RollerRelatertNotat(
                person=DialogPerson(
                    given_name="Ola", ident=[Ident(id="1", type_id=CodedValue(v="FNR"))]
                )
            )
        ],
    )
    message = builders.ekonsultasjon_request()
    message.document = [Document.of(Dialogmelding(namespace=DIALOG_1_0, foresporsel=[request]))]
    return message


BUILT: dict[str, Callable[[], Message]] = {
    "msghead-request-xhtml-attachment": builders.ekonsultasjon_request,
    "msghead-reply": lambda: builders.ekonsultasjon_reply(builders.ekonsultasjon_request()),
    "msghead-xcal": builders.appointment_message,
    "msghead-registers": _registers_message,
    "msghead-dialogmelding-1.0": _dialog_1_0_message,
    "apprec-1.1": builders.apprec,
    "apprec-1.0": lambda: builders.apprec(APPREC_1_0),
}


@pytest.mark.parametrize("build", BUILT.values(), ids=BUILT.keys())
def test_built_message_validates_against_official_schema(
    build: Callable[[], Message], official_schema: etree.XMLSchema
) -> None:
    tree = etree.fromstring(build().to_xml())
    assert official_schema.validate(tree), official_schema.error_log


@pytest.mark.parametrize("build", BUILT.values(), ids=BUILT.keys())
def test_built_message_reads_back_equal(build: Callable[[], Message]) -> None:
    message = build()
    assert digidialog.parse(message.to_xml()) == message


def test_msginfo_defaults() -> None:
    first = builders.msg_info("DIALOG_INNBYGGER_EKONTAKT")
    second = builders.msg_info("DIALOG_INNBYGGER_EKONTAKT")
    assert first.mig_version == "v1.2 2006-05-24"
    assert str(uuid.UUID(first.msg_id)) == first.msg_id
    assert first.msg_id != second.msg_id
    assert abs(parse_datetime(first.gen_date) - datetime.now(UTC)) < timedelta(seconds=5)


def test_datetime_objects_are_written_iso() -> None:
    info = builders.msg_info("DIALOG_INNBYGGER_EKONTAKT").model_copy()
    built = MsgInfo(**{**dict(info), "gen_date": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)})
    assert built.gen_date == "2026-01-02T03:04:05+00:00"


def test_to_xml_is_utf8_with_declaration() -> None:
    data = builders.ekonsultasjon_request().to_xml()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Spørsmål til behandler".encode() in data


def test_helpers_on_a_built_request_and_reply() -> None:
    request = builders.ekonsultasjon_request()
    reply = builders.ekonsultasjon_reply(request)
    assert request.msg_type == "DIALOG_INNBYGGER_EKONSULTASJON"
    assert request.sender.her_ids == ["8200001", "8200002"]
    assert request.receiver.her_ids == ["8100001"]
    assert request.receiver.addressed_her_id == "8100002"  # the GP, below the office
    assert request.sender.addressed_her_id == "8200002"  # the deepest level
    assert request.patient is not None
    assert request.patient.national_id == "13116900216"
    assert request.ref_to_parent is None
    assert reply.ref_to_parent == request.msg_id
    assert reply.ref_to_conversation == request.msg_id
    follow_up = builders.ekonsultasjon_reply(reply)
    assert follow_up.ref_to_parent == reply.msg_id
    assert follow_up.ref_to_conversation == request.msg_id
    [attachment] = request.attachments
    item = attachment.ref_doc.first_item
    assert isinstance(item, Base64Container)
    assert item.data == builders.PDF
    dialog = request.dialogmelding
    assert dialog is not None
    assert dialog.version == "1.1"
    assert dialog.foresporsel[0].sporsmal_text == "Vondt i kneet\nsiden mandag."
    assert reply.dialogmelding is not None
    assert reply.dialogmelding.notat[0].tekst_notat_innhold_text == "Kom innom for en sjekk."


def test_markup_survives_a_round_trip() -> None:
    request = digidialog.parse(builders.ekonsultasjon_request().to_xml())
    assert isinstance(request, MsgHead)
    assert request.dialogmelding is not None
    sporsmal = request.dialogmelding.foresporsel[0].sporsmal
    assert isinstance(sporsmal, Markup)
    [div] = sporsmal.element
    assert etree.QName(div).namespace == "http://www.w3.org/1999/xhtml"
    assert div[0][0].tail == "siden mandag."


def test_xcal_accessors() -> None:
    message = digidialog.parse(builders.appointment_message().to_xml())
    assert isinstance(message, MsgHead)
    [calendar] = message.items_of(Icalendar)
    [event] = calendar.events
    assert event.dtstart == "2026-12-01T09:00:00"
    assert event.uid == "7f7b0c9e-6f1e-4d0e-9a53-8c3f2f2c1a11"
    assert event.text("x-available-at") == "2026-11-30T08:00:00"
    assert event.get("dtstart").values[0].name == "date-time"  # type: ignore[union-attr]
    assert calendar.vcalendar[0].properties is not None
    assert [p.name for p in calendar.vcalendar[0].properties.properties] == ["version", "prodid"]


def test_apprec_versions() -> None:
    for namespace, version in ((None, "1.1"), (APPREC_1_0, "1.0")):
        receipt = digidialog.parse(builders.apprec(namespace).to_xml())
        assert isinstance(receipt, AppRec)
        assert receipt.version == version
        assert receipt.is_ok


def test_dialogmelding_1_0_reads_as_1_0() -> None:
    message = digidialog.parse(_dialog_1_0_message().to_xml())
    assert isinstance(message, MsgHead)
    assert message.dialogmelding is not None
    assert message.dialogmelding.version == "1.0"
    assert message.dialogmelding.namespace == DIALOG_1_0


def test_notat_with_coded_reply_resolves_through_codes() -> None:
    note = Notat(tema_kodet=CodedValue(v="14", s="2.16.578.1.12.4.1.1.7602"))
    assert note.tema_kodet.code is not None
    assert note.tema_kodet.code.display_name == "Resept er fornyet"
