"""Plain domain objects shared by the services and the journal-side adapter ports.

Nothing here knows XML, MsgHead or code-list OIDs: these are the words an EHR developer already
uses (citizen, GP, slot, renewal). The service layer (`digidialog.services`) turns them into
HITS 1217 messages and back; adapter ports (`digidialog.adapters`) hand them to and take them from
the journal.

All objects are frozen dataclasses: safe to share, hash (where every field is hashable) and compare.
Enum values that correspond to a code list carry that list's code value (`DeliveryMethod.PHARMACY ==
"AP"` in 8324, `ReplyKind.ANSWER == "12"` in 7602), so `.value` is what goes on the wire.

Times are timezone-aware `datetime`s; a naive one is refused because appointment times and deadlines
are only meaningful with a zone (Norway switches between +01:00 and +02:00).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from digidialog.errors import ServiceError

__all__ = [
    "Appointment",
    "AppointmentType",
    "Attachment",
    "BookingMode",
    "Citizen",
    "ClinicalFlag",
    "DeliveryMethod",
    "GpSettings",
    "InboxItem",
    "Office",
    "OfficeSettings",
    "Practitioner",
    "RenewalOutcome",
    "RenewalRequest",
    "RenewalResult",
    "Reply",
    "ReplyKind",
    "ServiceName",
    "Slot",
    "TimeWish",
]

_HER_ID = re.compile(r"^[0-9]{1,9}$")
_NATIONAL_ID = re.compile(r"^[0-9]{11}$")


def require_aware(value: datetime, what: str) -> None:
    """SV100 for a naive time: appointment times and deadlines need a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ServiceError(
            f"{what} {value.isoformat()} has no time zone",
            rule="SV100",
            hint="pass an aware datetime, e.g. datetime(..., tzinfo=ZoneInfo('Europe/Oslo'))",
        )


def _require_her_id(value: str, what: str) -> None:
    if not _HER_ID.match(value):
        raise ServiceError(
            f"{what} HER-id {value!r} is not 1-9 digits",
            rule="SV101",
            hint="use the HER-id from the Adresseregister (digits only)",
        )


class ServiceName(StrEnum):
    """The four GP services a citizen can use on helsenorge.no (what an office switches on/off)."""

    BOOKING = "booking"
    PRESCRIPTION_RENEWAL = "prescription_renewal"
    E_CONSULTATION = "e_consultation"
    CONTACT_OFFICE = "contact_office"


class BookingMode(StrEnum):
    """How a GP takes electronic bookings.

    `SLOT_PICKING`: the citizen may fetch free slots (HLT) and reserve one (RT), and may also send
    free-text wishes. `WISHES_ONLY`: only free-text wishes (OT/OET/OAT); HLT gets "no free slots"
    (04) and RT is refused.
    """

    SLOT_PICKING = "slot_picking"
    WISHES_ONLY = "wishes_only"


class DeliveryMethod(StrEnum):
    """How a renewed prescription reaches the citizen; values are code list 8324 (Leveringsmåte)."""

    PHARMACY = "AP"
    PICK_UP_AT_OFFICE = "HE"
    POST_TO_JOURNAL_ADDRESS = "JA"
    POST_TO_GIVEN_ADDRESS = "AA"


class AppointmentType(StrEnum):
    """Type of an appointment or slot; values are code list 7617 (Timetype Innbyggerportal)."""

    URGENT = "Hastetime"
    ORDINARY = "Ordinær"
    TIME_WINDOW = "Tidsvindu"
    VIDEO = "Video"


class ReplyKind(StrEnum):
    """Every reply a GP office or citizen sends in the four services; values are code list 7602.

    Which kinds fit which request is decided by the HITS 1217 catalogue in
    `digidialog.codes.processes`, not here.
    """

    FREE_SLOTS = "03"
    NO_FREE_SLOTS = "04"
    BOOKED = "05"
    NOT_AVAILABLE = "06"
    CHANGED = "07"
    CANCELLED = "08"
    NOT_CANCELLED = "09"
    BOOKED_WITH_OTHER_PRACTITIONER = "10"
    NO_SHOW = "11"
    ANSWER = "12"
    DIALOG_CLOSED = "13"
    RENEWED = "14"
    NOT_RENEWED = "15"
    CERTIFICATE_READY = "17"
    CERTIFICATE_REFUSED = "18"
    OFFICE_ANSWER = "19"
    CITIZEN_ANSWER = "22"
    REJECTED = "26"
    NO_ACCESS = "30"
    GENERAL_ERROR = "31"
    PARTLY_RENEWED = "32"
    NOT_CHANGED = "34"


class RenewalResult(StrEnum):
    """Outcome of a prescription renewal; values are the matching 7602 reply codes."""

    RENEWED = "14"
    NOT_RENEWED = "15"
    PARTLY_RENEWED = "32"

    @property
    def reply_kind(self) -> ReplyKind:
        return ReplyKind(self.value)


class ClinicalFlag(StrEnum):
    """Things an e-consultation answer should not do (HITS 1217 §3.2 service description).

    The GP's journal sets these explicitly on a `Reply`; the e-consultation service also detects
    them heuristically in text and attachments and turns each into a warning rule.
    """

    SICK_LEAVE = "sick_leave"
    REFERRAL = "referral"
    AB_PREPARATION = "ab_preparation"
    ACUTE_WORSENING = "acute_worsening"


@dataclass(frozen=True, slots=True)
class Citizen:
    """The patient as helsenorge.no identifies them.

    `national_id` is the fødselsnummer or D-number (11 digits). `sms_notification` is False when the
    citizen turned SMS notification off; then no SMS is sent when a time is assigned.
    `mobile` is where an SMS goes (None: the notifier looks it up or skips).
    """

    national_id: str
    given_name: str
    family_name: str
    middle_name: str | None = None
    sms_notification: bool = True
    mobile: str | None = None

    def __post_init__(self) -> None:
        if not _NATIONAL_ID.match(self.national_id):
            raise ServiceError(
                f"national id {self.national_id!r} is not 11 digits",
                rule="SV102",
                hint="use the fødselsnummer or D-number without spaces",
            )

    @property
    def full_name(self) -> str:
        parts = [self.given_name, self.middle_name, self.family_name]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Practitioner:
    """A GP (or other health professional) at the office.

    `her_id` addresses them in MsgHead (the person level under the office); `hpr` is the HPR number.
    `specialist_general_practice` (spesialist i allmennmedisin) adds tariff 2dd to e-consultations.
    """

    her_id: str
    given_name: str
    family_name: str
    hpr: str | None = None
    specialist_general_practice: bool = False

    def __post_init__(self) -> None:
        _require_her_id(self.her_id, "practitioner")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class Office:
    """A GP office (legekontor): the organisation level of MsgHead sender/receiver.

    `practitioners` are the GPs whose lists the office serves; `practitioner(her_id)` finds one.
    `front_desk_her_id` is the office's own communication party (e.g. the reception), used as the
    second address level when a message is for the office rather than one GP (contact-the-office).
    """

    her_id: str
    name: str
    org_number: str | None = None
    practitioners: tuple[Practitioner, ...] = ()
    front_desk_her_id: str | None = None
    front_desk_name: str = "Ekspedisjon"

    def __post_init__(self) -> None:
        _require_her_id(self.her_id, "office")
        if self.front_desk_her_id is not None:
            _require_her_id(self.front_desk_her_id, "front desk")

    def practitioner(self, her_id: str) -> Practitioner | None:
        """The office's practitioner with this HER-id, or None."""
        return next((p for p in self.practitioners if p.her_id == her_id), None)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file carried with a message (Vedlegg): raw bytes, media type and a short description."""

    data: bytes
    media_type: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Slot:
    """A time that can be offered or has been booked (one xCal vevent).

    `uid` identifies it in the calendar (xCal UID) so a reservation can name it back. `start`/`end`
    are aware datetimes. `practitioner` is None when any GP at the office may take it.
    `appointment_id` is the journal's id of the booked appointment (xCal related-to); it is kept
    when the time changes and must be sent back when the citizen cancels.
    """

    uid: str
    start: datetime
    end: datetime
    type: AppointmentType = AppointmentType.ORDINARY
    location: str | None = None
    practitioner: Practitioner | None = None
    description: str | None = None
    appointment_id: str | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "slot start")
        require_aware(self.end, "slot end")
        if self.end <= self.start:
            raise ServiceError(
                f"slot {self.uid!r} ends ({self.end.isoformat()}) before it starts",
                rule="SV103",
                hint="end must be after start",
            )


#: A booked appointment has the same shape as a slot; the name says which role it plays.
Appointment = Slot


@dataclass(frozen=True, slots=True)
class TimeWish:
    """A free-text booking wish (Timeønske: OT new, OET change, OAT cancel).

    `accepts_other_practitioner` is code list 1101 in the message (Ja/Nei). `appointment` is the
    existing appointment a change/cancel wish is about, when helsenorge.no sent it.
    """

    text: str
    accepts_other_practitioner: bool = False
    appointment: Slot | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One incoming message as the journal's inbox sees it.

    `service` is the GP service, `process` the MsgInfo/Type (e.g. "DIALOG_INNBYGGER_EKONSULTASJON"),
    `kind` the request code (7601, e.g. "SB") or reply code (7602, e.g. "22") the message carries.
    `conversation_id` is RefToConversation (the first message's id), `msg_id` this message's MsgId,
    `parent_msg_id` the message answered (RefToParent) or None for a new request. `due` is the
    answer deadline where the service sets one (e-consultation: five working days).
    `practitioner_her_id` is the GP the citizen addressed; `acting_for` is set when someone other
    than the patient sent the message on the patient's behalf (Pasientrelasjon).
    """

    service: ServiceName
    process: str
    kind: str
    conversation_id: str
    msg_id: str
    citizen: Citizen
    practitioner_her_id: str | None
    subject: str
    text: str
    received: datetime
    parent_msg_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    due: date | None = None
    wish: TimeWish | None = None
    acting_for: Citizen | None = None

    def __post_init__(self) -> None:
        require_aware(self.received, "received time")


@dataclass(frozen=True, slots=True)
class RenewalRequest:
    """A citizen's request to renew prescriptions (RF free text, RFER structured).

    `prescriptions` are the medicines the citizen asked for, one entry per line of free text (RF)
    or one per M1 (RFER, raw bytes are kept in `m1_documents`). `assignee` is who at the office
    prepares the renewal; the journal side sets it with `assigned_to()`.
    """

    conversation_id: str
    msg_id: str
    citizen: Citizen
    practitioner_her_id: str | None
    kind: str
    text: str
    prescriptions: tuple[str, ...]
    delivery: DeliveryMethod
    received: datetime
    assignee: str | None = None
    m1_documents: tuple[bytes, ...] = ()
    acting_for: Citizen | None = None

    def __post_init__(self) -> None:
        require_aware(self.received, "received time")

    def assigned_to(self, assignee: str) -> RenewalRequest:
        """A copy with `assignee` set (the office decides who prepares the renewal)."""
        return dataclasses.replace(self, assignee=assignee)


@dataclass(frozen=True, slots=True)
class RenewalOutcome:
    """The journal's answer to a renewal: renewed, not renewed or partly renewed.

    `m1_documents` are the M1 prescription messages, one per renewed prescription, exactly as the
    journal's e-prescription module produced them (passed through untouched). Renewed and partly
    renewed need at least one; not renewed carries none.
    """

    result: RenewalResult
    text: str
    m1_documents: tuple[bytes, ...] = ()
    responder: Practitioner | None = None

    def __post_init__(self) -> None:
        if self.result is RenewalResult.NOT_RENEWED and self.m1_documents:
            raise ServiceError(
                "a 'not renewed' outcome carries M1 documents",
                rule="SV104",
                hint="use PARTLY_RENEWED when some prescriptions were renewed",
            )
        if self.result is not RenewalResult.NOT_RENEWED and not self.m1_documents:
            raise ServiceError(
                f"a '{self.result.name.lower()}' outcome carries no M1 document",
                rule="SV105",
                hint="attach one M1 per renewed prescription (HITS 1217 §3.1, svar)",
            )


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply the journal wants sent: what kind, the text, and what it carries.

    `appointment` goes with booking replies (05, 07, 10, …); `clinical_flags` mark an e-consultation
    answer that issues a sick-leave note, a referral, starts A/B-preparations or handles acute
    worsening (each becomes a warning rule); `responder` is the professional who answered
    (RollerRelatertNotat), when different from the addressed GP.
    """

    kind: ReplyKind
    text: str
    attachments: tuple[Attachment, ...] = ()
    appointment: Slot | None = None
    responder: Practitioner | None = None
    clinical_flags: frozenset[ClinicalFlag] = frozenset()


@dataclass(frozen=True, slots=True)
class GpSettings:
    """One GP's choices: which services are open and how bookings are taken."""

    services: frozenset[ServiceName] = frozenset(ServiceName)
    booking_mode: BookingMode = BookingMode.SLOT_PICKING

    def offers(self, service: ServiceName) -> bool:
        return service in self.services


@dataclass(frozen=True)
class OfficeSettings:
    """The office's settings: a default for every GP plus per-GP overrides keyed by HER-id.

    A request for a service the addressed GP has switched off is answered with a refusal (never
    dropped); see `digidialog.services` for which code.
    """

    default: GpSettings = GpSettings()
    per_gp: Mapping[str, GpSettings] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_gp", MappingProxyType(dict(self.per_gp)))

    def for_gp(self, her_id: str | None) -> GpSettings:
        """The settings that apply to the GP with this HER-id (the default when none is named)."""
        if her_id is None:
            return self.default
        return self.per_gp.get(her_id, self.default)

    def offers(self, her_id: str | None, service: ServiceName) -> bool:
        return self.for_gp(her_id).offers(service)
