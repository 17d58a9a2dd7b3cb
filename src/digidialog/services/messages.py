"""The one place where the services meet the message model: building and reading MsgHeads.

Every service builds its messages through `compose()` and reads them through `read()`, so the rules
HITS 1217 sets for all processes live here once:

- MsgInfo/Type, Ack (J for asynchronous, N for synchronous, from the catalogue) and code-list OIDs
  come from `digidialog.codes` and `digidialog.codes.processes`;
- the first message of a thread has no ConversationRef; every later one has RefToParent (the message
  answered) and RefToConversation (the first message) (§2.3);
- sender and receiver carry HER-ids on two levels: helsenorge.no as organisation + communication
  party, the office as organisation + the GP (HealthcareProfessional) (§2.3, tjenestebasert
  adressering);
- the Dialogmelding 1.1 is the first Document; xCal, Pasientrelasjon, Helsepersonell, attachments
  and M1 prescriptions follow in their own Documents (§2.3).

`read()` turns a received MsgHead into a plain `Envelope` (no XML types), which the services use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from lxml import etree

from digidialog.codes import (
    HelsepersonellsFunksjon,
    IdTypeOrganisasjon,
    IdTypePerson,
    JaNei,
    Leveringsmate,
    MeldingensFunksjon,
    Representasjonsrolle,
    Timetype,
)
from digidialog.codes.identifiers import kind as id_kind
from digidialog.codes.processes import Party, ReplyKind, RequestKind, find_process, find_request
from digidialog.errors import DigidialogError, ParseError, ServiceError
from digidialog.model import (
    Base64Container,
    CalComponent,
    CalComponents,
    CalProperties,
    CalProperty,
    CalValue,
    CodedValue,
    ConversationRef,
    DialogHealthcareProfessional,
    Dialogmelding,
    Document,
    Fk1HealthcareProfessional,
    Fk1Person,
    Foresporsel,
    HealthcareProfessional,
    HelsepersonelListe,
    HelsepersonellMedMerknad,
    Icalendar,
    Ident,
    MsgHead,
    MsgInfo,
    Notat,
    Organisation,
    Pasientrelasjon,
    Patient,
    RawXml,
    Receiver,
    RollerRelatertNotat,
    Sender,
    parse_datetime,
)
from digidialog.services.deadlines import NORWAY
from digidialog.services.types import (
    AppointmentType,
    Attachment,
    Citizen,
    Office,
    Practitioner,
    ServiceName,
    Slot,
)
from digidialog.xml.parser import parse_bytes

__all__ = [
    "HELSENORGE_TEST",
    "Envelope",
    "Portal",
    "coded",
    "compose",
    "office_organisation",
    "portal_organisation",
    "read",
    "service_for",
]

_M1_NAMESPACE_PREFIX = "http://www.kith.no/xmlstds/eresept/m1/"


@dataclass(frozen=True, slots=True)
class Portal:
    """helsenorge.no as a party: its organisation and its communication party (two HER-ids)."""

    org_her_id: str
    org_name: str
    unit_her_id: str
    unit_name: str


#: The test-environment helsenorge.no addressing the official examples use.
HELSENORGE_TEST = Portal(
    "115851", "DIREKTORATET FOR E-HELSE", "8093248", "Digitale innbyggertjenester"
)


_SERVICE_OF: dict[str, ServiceName] = {
    "DIALOG_INNBYGGER_EKONSULTASJON": ServiceName.E_CONSULTATION,
    "DIALOG_INNBYGGER_EKONTAKT": ServiceName.CONTACT_OFFICE,
    "DIALOG_INNBYGGER_RESEPTFORNYELSE": ServiceName.PRESCRIPTION_RENEWAL,
    "DIALOG_INNBYGGER_TIMERESERVASJON": ServiceName.BOOKING,
    "DIALOG_INNBYGGER_TIMEONSKE": ServiceName.BOOKING,
    "DIALOG_INNBYGGER_AVTALEUTSENDING": ServiceName.BOOKING,
}


def service_for(msg_type: str) -> ServiceName:
    """The GP service a process (MsgInfo/Type) belongs to; `ServiceError` SV013 for others."""
    found = _SERVICE_OF.get(msg_type)
    if found is None:
        raise ServiceError(
            f"{msg_type!r} is not a process of the four GP services",
            rule="SV013",
            hint="known: " + ", ".join(_SERVICE_OF),
        )
    return found


# -- parties ---------------------------------------------------------------------------------


def _org_ident(her_id: str) -> Ident:
    return Ident.of(her_id, IdTypeOrganisasjon.HER)


def portal_organisation(portal: Portal) -> Organisation:
    """helsenorge.no on two levels: organisation and communication party, both with HER-ids."""
    return Organisation(
        organisation_name=portal.org_name,
        ident=[_org_ident(portal.org_her_id)],
        organisation=Organisation(
            organisation_name=portal.unit_name, ident=[_org_ident(portal.unit_her_id)]
        ),
    )


def office_organisation(office: Office, gp: Practitioner | None) -> Organisation:
    """The office on two levels: with the GP as HealthcareProfessional (HER-id from 8116), or,
    for a message to the office itself (`gp` None), with its front desk as sub-organisation."""
    idents = [_org_ident(office.her_id)]
    if office.org_number:
        idents.insert(0, Ident.of(office.org_number, IdTypeOrganisasjon.ENH))
    if gp is None:
        if office.front_desk_her_id is None:
            raise ServiceError(
                f"{office.name} has no front desk to address a message to the office itself",
                rule="SV017",
                hint="set Office.front_desk_her_id, or address a GP",
            )
        return Organisation(
            organisation_name=office.name,
            ident=idents,
            organisation=Organisation(
                organisation_name=office.front_desk_name,
                ident=[_org_ident(office.front_desk_her_id)],
            ),
        )
    gp_idents = [Ident.of(gp.her_id, IdTypePerson.HER)]
    if gp.hpr:
        gp_idents.append(Ident.of(gp.hpr, IdTypePerson.HPR))
    return Organisation(
        organisation_name=office.name,
        ident=idents,
        healthcare_professional=HealthcareProfessional(
            role_to_patient=CodedValue.of(HelsepersonellsFunksjon.FASTLEGE),
            family_name=gp.family_name,
            given_name=gp.given_name,
            ident=gp_idents,
        ),
    )


def _person_ident(national_id: str) -> Ident:
    try:
        id_type = id_kind(national_id)
    except DigidialogError as exc:
        raise ServiceError(
            f"national id {national_id[:6]}***** is not a valid fødselsnummer or D-number",
            rule="SV102",
            hint=exc.message,
        ) from exc
    return Ident.of(national_id, id_type)


def _patient(citizen: Citizen) -> Patient:
    return Patient(
        family_name=citizen.family_name,
        middle_name=citizen.middle_name,
        given_name=citizen.given_name,
        ident=[_person_ident(citizen.national_id)],
    )


def _citizen(
    given: str | None, middle: str | None, family: str | None, national_id: str | None
) -> Citizen | None:
    if not national_id or not given or not family:
        return None
    try:
        return Citizen(national_id, given, family, middle)
    except ServiceError:
        return None


def _dialog_professional(who: Practitioner, role: HelsepersonellsFunksjon) -> RollerRelatertNotat:
    idents = [Ident.of(who.hpr, IdTypePerson.HPR)] if who.hpr else []
    idents.append(Ident.of(who.her_id, IdTypePerson.HER))
    return RollerRelatertNotat(
        role_to_patient=CodedValue.of(role),
        healthcare_professional=DialogHealthcareProfessional(
            family_name=who.family_name, given_name=who.given_name, ident=idents
        ),
    )


# -- slots <-> xCal --------------------------------------------------------------------------


def _local_text(value: datetime) -> str:
    # The official examples write Norwegian local time without offset; so do we.
    return value.astimezone(NORWAY).replace(tzinfo=None).isoformat(timespec="seconds")


def _unreadable(text: str, what: str) -> ServiceError:
    return ServiceError(
        f"{what} {text!r} is not an ISO 8601 date or time",
        rule="SV023",
        hint="write e.g. 2027-04-06 or 2027-04-06T09:45:00",
    )


def _read_time(text: str, what: str = "time") -> datetime:
    """A received date-time; without zone it is Norwegian local time, as the examples write it."""
    try:
        value = parse_datetime(text)
    except ValueError:
        raise _unreadable(text, what) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=NORWAY)


def _prop(name: str, value: str, kind: str = "text") -> CalProperty:
    return CalProperty(name=name, values=[CalValue(name=kind, value=value)])


def slot_event(slot: Slot, contact_her_id: str) -> CalComponent:
    """One xCal vevent for `slot` (contact: the HER-id of the GP the time belongs to)."""
    props = [
        _prop("dtstart", _local_text(slot.start), "date-time"),
        _prop("dtend", _local_text(slot.end), "date-time"),
        _prop("uid", slot.uid),
        _prop("contact", contact_her_id),
    ]
    if slot.appointment_id:
        props.append(_prop("related-to", slot.appointment_id, "uri"))
    if slot.description:
        props.append(_prop("description", slot.description))
    if slot.location:
        props.append(_prop("location", slot.location))
    props.append(_prop("categories", Timetype(slot.type.value).value))
    return CalComponent(
        name="vevent", properties=CalProperties(properties=props), components=CalComponents()
    )


def _event_slot(event: CalComponent, office: Office | None) -> Slot:
    uid, start, end = event.uid, event.dtstart, event.dtend
    if not uid or not start or not end:
        raise ServiceError(
            "an xCal vevent lacks uid, dtstart or dtend",
            rule="SV014",
            hint="HITS 1217 §2.8 makes dtstart, dtend, uid and contact mandatory",
        )
    contact = (event.text("contact") or "").strip()
    category = event.text("categories")
    try:
        slot_type = AppointmentType(category) if category else AppointmentType.ORDINARY
    except ValueError:
        slot_type = AppointmentType.ORDINARY
    return Slot(
        uid=uid.strip(),
        start=_read_time(start, "xCal dtstart"),
        end=_read_time(end, "xCal dtend"),
        type=slot_type,
        location=event.text("location"),
        practitioner=office.practitioner(contact) if office and contact else None,
        description=event.text("description"),
        appointment_id=(event.text("related-to") or None),
    )


# -- building ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Body:
    """The content of one message, XML-free: the services fill it, `compose()` writes it."""

    subject: str | None = None
    text: str | None = None
    coded: CodedValue | None = None
    """Foresporsel/KodetOpplysning (8324 delivery method, 1101 yes/no)."""
    from_date: date | None = None
    to_date: date | None = None
    slots: tuple[Slot, ...] = ()
    other_practitioners: tuple[Practitioner, ...] = ()
    """Helsepersonell document: the professional a time was booked with instead (reply 10)."""
    responder: Practitioner | None = None
    """RollerRelatertNotat: who answered, when not the addressed GP."""
    wanted: Practitioner | None = None
    """RollerRelatertNotat 23 "ønsket behandler" on a citizen's request."""
    attachments: tuple[Attachment, ...] = ()
    m1_documents: tuple[bytes, ...] = ()
    acting_person: Citizen | None = None
    """Pasientrelasjon: the person who acts for the patient."""
    relation: str = "FU"
    """Representasjonsrolle (7611) of `acting_person`: FO, FU or VE."""


def delivery_code(method: str) -> CodedValue:
    return CodedValue.of(Leveringsmate(method))


def yes_no_code(value: bool) -> CodedValue:
    return CodedValue.of(JaNei.JA if value else JaNei.NEI)


def _m1_raw(data: bytes, index: int) -> RawXml:
    try:
        element = parse_bytes(data, source=f"M1 document {index + 1}").getroot()
    except ParseError as exc:
        raise ServiceError(
            f"M1 document {index + 1} is not XML: {exc.message}",
            rule="SV015",
            hint="pass the M1 (ER-M1) XML the e-prescription module produced, untouched",
        ) from exc
    namespace = etree.QName(element).namespace or ""
    if not namespace.startswith(_M1_NAMESPACE_PREFIX):
        raise ServiceError(
            f"M1 document {index + 1} is {{{namespace}}}{etree.QName(element).localname},"
            " not an M1 prescription",
            rule="SV015",
            hint="pass the M1 (ER-M1) XML the e-prescription module produced, untouched",
        )
    return RawXml.of(element)


def coded(kind: RequestKind | ReplyKind) -> CodedValue:
    """TypeForesp / TemaKodet for a catalogue request or reply (V, S = its list's OID, DN)."""
    return CodedValue(v=kind.code, s=kind.oid, dn=kind.display_name)


def compose(
    *,
    msg_type: str,
    msg_id: str,
    now: datetime,
    sender: Organisation,
    receiver: Organisation,
    citizen: Citizen | None,
    kind: CodedValue,
    is_reply: bool,
    ack: str,
    body: Body = Body(),
    thread: tuple[str, str] | None = None,
    prodid: str = "digidialog",
    contact_her_id: str | None = None,
) -> MsgHead:
    """Write one message: a request (Foresporsel with TypeForesp `kind`) or a reply (Notat with
    TemaKodet `kind`). `thread` is (RefToParent, RefToConversation); None for the first message
    of a thread. `ack` is the catalogue's J/N. `citizen` None leaves MsgInfo/Patient out."""
    funksjon = MeldingensFunksjon(msg_type)
    if not is_reply:
        dialog = Dialogmelding(
            foresporsel=[
                Foresporsel(
                    type_foresp=kind,
                    emne_sporsmal=body.subject,
                    sporsmal=body.text,
                    fra_dato=None if body.from_date is None else body.from_date.isoformat(),
                    til_dato=None if body.to_date is None else body.to_date.isoformat(),
                    kodet_opplysning=body.coded,
                    roller_relatert_notat=(
                        [
                            _dialog_professional(
                                body.wanted, HelsepersonellsFunksjon.ONSKET_BEHANDLER
                            )
                        ]
                        if body.wanted
                        else []
                    ),
                )
            ]
        )
    else:
        dialog = Dialogmelding(
            notat=[
                Notat(
                    tema_kodet=kind,
                    tema=body.subject,
                    tekst_notat_innhold=body.text,
                    roller_relatert_notat=(
                        [_dialog_professional(body.responder, HelsepersonellsFunksjon.FASTLEGE)]
                        if body.responder
                        else []
                    ),
                )
            ]
        )
    description = kind.dn
    issued = now.astimezone(UTC).isoformat(timespec="milliseconds")
    documents = [Document.of(dialog, content_description=description, issue_date=issued)]
    if body.slots:
        contact = contact_her_id or ""
        events = [
            slot_event(s, s.practitioner.her_id if s.practitioner else contact) for s in body.slots
        ]
        documents.append(
            Document.of(
                Icalendar.of(*events, prodid=prodid), description="iCalendar", issue_date=issued
            )
        )
    if body.other_practitioners:
        listing = HelsepersonelListe(
            helsepersonell=[
                HelsepersonellMedMerknad(
                    helsepersonell=[
                        Fk1HealthcareProfessional(
                            family_name=p.family_name,
                            given_name=p.given_name,
                            ident=[
                                Ident.of(
                                    p.hpr or p.her_id,
                                    IdTypePerson.HPR if p.hpr else IdTypePerson.HER,
                                )
                            ],
                        )
                    ]
                )
                for p in body.other_practitioners
            ]
        )
        documents.append(Document.of(listing, description="Helsepersonell", issue_date=issued))
    if body.acting_person is not None:
        person = body.acting_person
        relation = CodedValue.of(Representasjonsrolle(body.relation))
        documents.append(
            Document.of(
                Pasientrelasjon(
                    person=[
                        Fk1Person(
                            family_name=person.family_name,
                            given_name=person.given_name,
                            ident=[_person_ident(person.national_id)],
                        )
                    ],
                    relasjon=relation,
                ),
                description="Pasientrelasjon",
                issue_date=issued,
            )
        )
    for index, data in enumerate(body.m1_documents):
        documents.append(
            Document.of(_m1_raw(data, index), description="M1 Resept", issue_date=issued)
        )
    for attachment in body.attachments:
        documents.append(
            Document.attachment(
                attachment.data,
                attachment.media_type,
                description=attachment.description or None,
                issue_date=issued,
            )
        )
    return MsgHead(
        msg_info=MsgInfo(
            type=CodedValue.of(funksjon, with_system=False),
            gen_date=issued,
            msg_id=msg_id,
            ack=CodedValue(v=ack, dn="Ja" if ack == "J" else "Nei"),
            conversation_ref=(
                None
                if thread is None
                else ConversationRef(ref_to_parent=thread[0], ref_to_conversation=thread[1])
            ),
            sender=Sender(organisation=sender),
            receiver=Receiver(organisation=receiver),
            patient=None if citizen is None else _patient(citizen),
        ),
        document=documents,
    )


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the services need from a received message, without XML types."""

    msg_id: str
    msg_type: str
    code: str
    """TypeForesp of a request, TemaKodet of a reply."""
    is_reply: bool
    parent_id: str | None
    conversation_id: str | None
    sent: datetime
    sender_her_ids: tuple[str, ...]
    receiver_her_ids: tuple[str, ...]
    sender_gp_her_id: str | None
    receiver_gp_her_id: str | None
    ack: str | None
    citizen: Citizen | None
    subject: str = ""
    text: str = ""
    coded: str | None = None
    """KodetOpplysning V (8324 or 1101)."""
    from_date: date | None = None
    to_date: date | None = None
    slots: tuple[Slot, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    m1_documents: tuple[bytes, ...] = ()
    acting_person: Citizen | None = None
    other_practitioners: tuple[str, ...] = ()
    """Names of professionals in a Helsepersonell document (reply 10)."""

    def sender_party(self, office_her_id: str) -> Party:
        """Which side sent it: the office (its HER-id at any level) or the citizen."""
        return Party.HELSEPERSONELL if office_her_id in self.sender_her_ids else Party.INNBYGGER


def _her_ids(org: Organisation) -> tuple[str, ...]:
    ids = [h for h in org.her_ids if h]
    professional = org.professional
    if professional is not None and professional.her_id:
        ids.append(professional.her_id)
    return tuple(ids)


def _date(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise _unreadable(text, what) from None


def read(msg: MsgHead, office: Office | None = None) -> Envelope:
    """The `Envelope` of a received message; `ServiceError` SV010 when it has no dialog content."""
    dialog = msg.dialogmelding
    msg_type = msg.msg_type or ""
    if dialog is None or not (dialog.foresporsel or dialog.notat):
        raise ServiceError(
            f"message {msg.msg_id} ({msg_type}) has no Dialogmelding with Foresporsel or Notat",
            rule="SV010",
            hint="HITS 1217 §2.3: the first Document holds the Dialogmelding",
        )
    subject = text = ""
    coded = None
    from_date = to_date = None
    if dialog.notat:
        note = dialog.notat[0]
        code = note.tema_kodet.v or ""
        subject = note.tema or ""
        text = note.tekst_notat_innhold_text or ""
        is_reply = True
    else:
        request = dialog.foresporsel[0]
        code = request.type_foresp.v or ""
        subject = request.emne_sporsmal or ""
        text = request.sporsmal_text or ""
        coded = request.kodet_opplysning.v if request.kodet_opplysning else None
        from_date, to_date = _date(request.fra_dato, "FraDato"), _date(request.til_dato, "TilDato")
        is_reply = False
    slots = tuple(
        _event_slot(event, office)
        for calendar in msg.items_of(Icalendar)
        for event in calendar.events
    )
    attachments = []
    for document in msg.attachments:
        item = document.ref_doc.first_item
        if isinstance(item, Base64Container):
            attachments.append(
                Attachment(
                    item.data,
                    document.ref_doc.mime_type or "application/octet-stream",
                    document.ref_doc.description or "",
                )
            )
    m1 = tuple(
        etree.tostring(item.element, encoding="UTF-8")
        for item in msg.items_of(RawXml)
        if (item.namespace or "").startswith(_M1_NAMESPACE_PREFIX)
    )
    acting = None
    for relation in msg.items_of(Pasientrelasjon):
        for person in relation.person:
            acting = _citizen(
                person.given_name,
                person.middle_name,
                person.family_name,
                person.ident_of("FNR", "DNR", "HNR"),
            )
    others = tuple(
        f"{p.given_name or ''} {p.family_name or ''}".strip()
        for listing in msg.items_of(HelsepersonelListe)
        for entry in listing.helsepersonell
        for p in entry.helsepersonell
    )
    patient = msg.patient
    citizen = (
        None
        if patient is None
        else _citizen(
            patient.given_name, patient.middle_name, patient.family_name, patient.national_id
        )
    )
    sender_professional = msg.sender.professional
    receiver_professional = msg.receiver.professional
    return Envelope(
        msg_id=msg.msg_id,
        msg_type=msg_type,
        code=code,
        is_reply=is_reply,
        parent_id=msg.ref_to_parent,
        conversation_id=msg.ref_to_conversation,
        sent=_read_time(msg.msg_info.gen_date, "GenDate"),
        sender_her_ids=_her_ids(msg.sender),
        receiver_her_ids=_her_ids(msg.receiver),
        sender_gp_her_id=sender_professional.her_id if sender_professional else None,
        receiver_gp_her_id=receiver_professional.her_id if receiver_professional else None,
        ack=msg.msg_info.ack.v if msg.msg_info.ack else None,
        citizen=citizen,
        subject=subject,
        text=text,
        coded=coded,
        from_date=from_date,
        to_date=to_date,
        slots=slots,
        attachments=tuple(attachments),
        m1_documents=m1,
        acting_person=acting,
        other_practitioners=others,
    )


def known_request(msg_type: str, code: str) -> RequestKind:
    """The catalogue's request `code` in `msg_type`, or `ServiceError` SV001."""
    found = find_request(msg_type, code)
    if found is None:
        process = find_process(msg_type)
        allowed = ", ".join(sorted(process.request_codes)) if process else "none"
        raise ServiceError(
            f"{code!r} is not a request of {msg_type}",
            rule="SV001",
            hint=f"requests of this process: {allowed}",
        )
    return found
