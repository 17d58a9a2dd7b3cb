"""Messages built from scratch with the model, as a service would build them (no reference data)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from digidialog.codes import (
    IdTypeOrganisasjon,
    IdTypePerson,
    MeldingensFunksjon,
    SvarDigitalDialog,
    TypeForesporsel,
)
from digidialog.model import (
    HCP,
    URL,
    Address,
    AppRec,
    AppRecParty,
    CalComponent,
    CalComponents,
    CalProperties,
    CalProperty,
    CodedValue,
    ConversationRef,
    DialogHealthcareProfessional,
    Dialogmelding,
    Document,
    Fk1Organisation,
    Foresporsel,
    HealthcareProfessional,
    Icalendar,
    Ident,
    Inst,
    Markup,
    MsgHead,
    MsgInfo,
    Notat,
    Organisation,
    OriginalMsgId,
    Patient,
    Receiver,
    RollerRelatertNotat,
    Sender,
    TeleCom,
    TilknyttetEnhet,
)
from digidialog.model.common import XHTML

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def gp_office() -> Organisation:
    """A GP office with an organisation number, a HER-id and the GP as professional."""
    return Organisation(
        organisation_name="Testbyen legesenter",
        ident=[
            Ident.of("974589095", IdTypeOrganisasjon("ENH")),
            Ident.of("8100001", IdTypeOrganisasjon("HER")),
        ],
        address=Address(
            type=CodedValue(v="PST", dn="Postadresse"),
            street_adr="Storgata 1",
            postal_code="0155",
            city="Oslo",
        ),
        tele_com=[
            TeleCom(
                type_telecom=CodedValue(v="WP", dn="Arbeid"), tele_address=URL(v="tel:+4722000000")
            )
        ],
        healthcare_professional=HealthcareProfessional(
            role_to_patient=CodedValue(v="6", s="2.16.578.1.12.4.1.1.9034", dn="Fastlege"),
            family_name="Lege",
            given_name="Line",
            ident=[Ident.of("8100002", IdTypePerson("HER"))],
        ),
    )


def helsenorge() -> Organisation:
    """The citizen portal: two organisation levels, both with HER-ids."""
    return Organisation(
        organisation_name="Norsk helsenett",
        ident=[Ident.of("8200001", IdTypeOrganisasjon("HER"))],
        organisation=Organisation(
            organisation_name="Helsenorge",
            ident=[Ident.of("8200002", IdTypeOrganisasjon("HER"))],
        ),
    )


def patient() -> Patient:
    return Patient(
        family_name="Nordmann",
        given_name="Kari",
        ident=[Ident.of("13116900216", IdTypePerson("FNR"))],
    )


def msg_info(process: str, *, parent: MsgHead | None = None, from_gp: bool = False) -> MsgInfo:
    gp, portal = gp_office(), helsenorge()
    return MsgInfo(
        type=CodedValue.of(MeldingensFunksjon(process), with_system=False),
        ack=CodedValue(v="J", dn="Ja"),
        conversation_ref=None if parent is None else ConversationRef.reply_to(parent),
        sender=Sender(organisation=gp if from_gp else portal),
        receiver=Receiver(organisation=portal if from_gp else gp),
        patient=patient(),
    )


def ekonsultasjon_request() -> MsgHead:
    """A citizen's question to the GP with an XHTML body and a PDF attachment."""
    div = etree.Element(f"{{{XHTML}}}div", nsmap={None: XHTML})  # type: ignore[dict-item]  # lxml-stubs: no None key
    paragraph = etree.SubElement(div, f"{{{XHTML}}}p")
    paragraph.text = "Vondt i kneet"
    etree.SubElement(paragraph, f"{{{XHTML}}}br").tail = "siden mandag."
    request = Foresporsel(
        type_foresp=CodedValue.of(TypeForesporsel("SB")),
        emne_sporsmal="Kneet",
        sporsmal=Markup.of(div),
    )
    return MsgHead(
        msg_info=msg_info("DIALOG_INNBYGGER_EKONSULTASJON"),
        document=[
            Document.of(
                Dialogmelding(foresporsel=[request]),
                content_description="eKonsultasjon",
                issue_date=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
            ),
            Document.attachment(PDF, "application/pdf", description="Bilde"),
        ],
    )


def ekonsultasjon_reply(parent: MsgHead) -> MsgHead:
    note = Notat(
        tema_kodet=CodedValue.of(SvarDigitalDialog("12")),
        tema="Kneet",
        tekst_notat_innhold="Kom innom for en sjekk.",
        roller_relatert_notat=[
            RollerRelatertNotat(
                role_to_patient=CodedValue(v="6", s="2.16.578.1.12.4.1.1.9034", dn="Fastlege"),
                tilknyttet_enhet=TilknyttetEnhet(
                    kontaktenhet=Fk1Organisation(
                        organisation_name="Testbyen legesenter",
                        ident=[Ident.of("8100001", IdTypeOrganisasjon("HER"))],
                    )
                ),
                healthcare_professional=DialogHealthcareProfessional(
                    family_name="Lege",
                    given_name="Line",
                    ident=[Ident.of("8100002", IdTypePerson("HER"))],
                ),
            )
        ],
    )
    return MsgHead(
        msg_info=msg_info("DIALOG_INNBYGGER_EKONSULTASJON", parent=parent, from_gp=True),
        document=[Document.of(Dialogmelding(notat=[note]))],
    )


def appointment_message() -> MsgHead:
    """Avtaleutsending: a note plus an xCal appointment with the Fastlege extension."""
    event = CalComponent(
        name="vevent",
        properties=CalProperties(
            properties=[
                CalProperty.of("dtstart", datetime(2026, 12, 1, 9, 0)),
                CalProperty.of("dtend", datetime(2026, 12, 1, 9, 15)),
                CalProperty.of("uid", "7f7b0c9e-6f1e-4d0e-9a53-8c3f2f2c1a11"),
                CalProperty.of("contact", "8100002"),
                CalProperty.of("x-available-at", datetime(2026, 11, 30, 8, 0)),
            ]
        ),
        components=CalComponents(),
    )
    note = Notat(tema_kodet=CodedValue.of(SvarDigitalDialog("01")))
    return MsgHead(
        msg_info=msg_info("DIALOG_INNBYGGER_TIMERESERVASJON", from_gp=True),
        document=[
            Document.of(Dialogmelding(notat=[note])),
            Document.of(Icalendar.of(event, prodid="digidialog-test")),
        ],
    )


def apprec(namespace: str | None = None) -> AppRec:
    """An OK receipt for a MsgHead (version 1.1, or 1.0 when ``namespace`` says so)."""
    original = ekonsultasjon_request()
    extra = {} if namespace is None else {"namespace": namespace, "mig_version": "1.0 2004-11-21"}
    return AppRec(
        sender=AppRecParty(hcp=HCP(inst=Inst(name="Testbyen legesenter", id="8100001"))),
        receiver=AppRecParty(hcp=HCP(inst=Inst(name="Helsenorge", id="8200002"))),
        status=CodedValue(v="1", dn="OK"),
        original_msg_id=OriginalMsgId(
            msg_type=original.msg_info.type,
            issue_date=original.msg_info.gen_date,
            id=original.msg_id,
        ),
        **extra,
    )
