"""`MemoryJournal`: a small journal system in memory — the state behind every simulator.

It keeps an inbox, an outbox, a calendar of slots and a renewal work list, enforces what a real
journal would (unknown GP, switched-off service, slot already taken, idempotency by message and
request id) and can answer by itself (`AutoAnswer`) so the demo has an office on the other side.
The three vendor simulators put their wire (REST, folders, SOAP) in front of one of these; tests and
the contract kit use its journal-side methods (`answer`, `book_elsewhere`, `decide_renewal`, …) to
play the GP. `digidialog.adapters.rpc.memory_adapter()` exposes it in-process through the ports.

Thread-safe: every method takes one lock.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from digidialog.adapters.ports import (
    Delivery,
    JournalRefusal,
    OfficeMessage,
    OutgoingMessage,
    RefusalReason,
    RenewalDecision,
    Undelivered,
)
from digidialog.errors import DigidialogError
from digidialog.services.types import (
    Appointment,
    BookingMode,
    Citizen,
    InboxItem,
    Office,
    OfficeSettings,
    Practitioner,
    RenewalOutcome,
    RenewalRequest,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
)
from digidialog.xml.parser import parse_bytes

OSLO = ZoneInfo("Europe/Oslo")


def _now() -> datetime:
    return datetime.now(OSLO)


@dataclass(frozen=True, slots=True)
class AutoAnswer:
    """Which requests the simulated office answers by itself, right after they land."""

    e_consultation: bool = False  # SB → 12
    contact_office: bool = False  # HE → 19
    time_wishes: bool = False  # OT → 05/06, OET → 07/34, OAT → 08/09
    renewals: bool = False  # RF/RFER → 14 / 32 / 15, one M1 (`simulated_m1`) per renewed

    @classmethod
    def everything(cls) -> AutoAnswer:
        return cls(e_consultation=True, contact_office=True, time_wishes=True, renewals=True)


_M1 = "http://www.kith.no/xmlstds/eresept/m1/2013-10-08"
_FORSKRIVNING = "http://www.kith.no/xmlstds/eresept/forskrivning/2013-10-08"
# Default-namespace maps (lxml takes None as the key; its stubs only know str keys).
_DEFAULT_M1: Any = {None: _M1}
_DEFAULT_FORSKRIVNING: Any = {None: _FORSKRIVNING}


def simulated_m1(
    prescription: str, *, prescribed: date, number: int = 1, group: str = "C"
) -> bytes:
    """The e-prescription (ER-M1 2013-10-08 ``Resept``) a journal's prescription module would write
    when the GP renews `prescription`, so the demo's 14 / 32 carries a real, schema-valid M1 (and
    the demo citizen's RFER the M1 of the prescription to renew).

    The simulator knows the medicine only by its name: it prescribes it by that name
    (``NavnFormStyrke``) without an ATC code, in prescription `group` (code list 7421: A, B or C),
    valid for a year, and says in ``Merknad`` that it is simulated. `number` makes the ``Id``
    unique among the M1 documents of one message (an xs:ID must be unique in the whole MsgHead).
    """
    m1 = f"{{{_M1}}}"
    fs = f"{{{_FORSKRIVNING}}}"
    resept = etree.Element(f"{m1}Resept", nsmap=_DEFAULT_M1)
    etree.SubElement(resept, f"{m1}Forskrivningsdato").text = prescribed.isoformat()
    etree.SubElement(resept, f"{m1}Utloper").text = (prescribed + timedelta(days=365)).isoformat()
    etree.SubElement(
        resept, f"{m1}Spesialitet", V="1", S="2.16.578.1.12.4.1.1.7426", DN="Allmennmedisin"
    )
    document = etree.SubElement(resept, f"{m1}ReseptDokLegemiddel")
    etree.SubElement(document, f"{m1}Varegruppekode", V="L", DN="Legemiddel")
    etree.SubElement(document, f"{m1}Antall").text = "1"
    etree.SubElement(document, f"{m1}Merknad").text = "Simulert resept (digidialog-demo)."
    etree.SubElement(document, f"{m1}Reiterasjon").text = "0"
    forskrivning = etree.SubElement(document, f"{fs}Forskrivning", nsmap=_DEFAULT_FORSKRIVNING)
    etree.SubElement(forskrivning, f"{fs}DosVeiledEnkel").text = "Som tidligere forskrevet."
    medicine = etree.SubElement(forskrivning, f"{fs}LegemiddelVirkestoff")
    etree.SubElement(medicine, f"{fs}NavnFormStyrke").text = prescription
    etree.SubElement(medicine, f"{fs}Reseptgruppe", V=group, DN=f"Reseptgruppe {group}")
    etree.SubElement(medicine, f"{fs}Id").text = f"ID_LEGEMIDDEL_{number}"
    updated = datetime.combine(prescribed, time(0, 0))
    etree.SubElement(resept, f"{m1}OppdatertFest").text = updated.isoformat()
    return etree.tostring(resept, xml_declaration=True, encoding="UTF-8")


NOT_RENEWED_ELECTRONICALLY = frozenset({"A", "B"})
"""Prescription groups the simulated office renews only after a consultation (narcotics and other
addictive medicines), so an RFER asking for them is answered partly renewed (32) or not (15)."""


def _prescribed(m1: bytes) -> tuple[str, str]:
    """The medicine's name and prescription group in an M1 the citizen sent (RFER)."""
    root = parse_bytes(m1, source="M1").getroot()
    name = root.findtext(f".//{{{_FORSKRIVNING}}}NavnFormStyrke") or ""
    group = root.find(f".//{{{_FORSKRIVNING}}}Reseptgruppe")
    return name.strip(), "" if group is None else group.get("V", "")


class MemoryJournal:
    """An in-memory journal system for one GP office."""

    def __init__(
        self,
        office: Office,
        settings: OfficeSettings | None = None,
        *,
        renewal_assignee: str | None = None,
        auto: AutoAnswer | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._lock = threading.RLock()
        self._office = office
        self._settings = settings or OfficeSettings()
        self._renewal_assignee = renewal_assignee
        self.auto = auto or AutoAnswer()
        self._clock = clock
        self._ids = itertools.count(1)
        self._inbox: dict[str, tuple[str, InboxItem]] = {}
        self._open: dict[str, Slot] = {}
        self._booked: dict[str, tuple[Slot, Citizen]] = {}
        self._requests: dict[str, Appointment | None] = {}
        self._renewals: dict[str, RenewalRequest] = {}
        self._outbox: dict[str, OutgoingMessage] = {}
        self._sent: set[str] = set()
        self._decisions: dict[str, RenewalDecision] = {}
        self._acked_decisions: set[str] = set()
        self._undelivered: dict[str, Undelivered] = {}

    # ----------------------------------------------------------------- practice
    def office(self) -> Office:
        return self._office

    def settings(self) -> OfficeSettings:
        with self._lock:
            return self._settings

    def set_settings(self, settings: OfficeSettings) -> None:
        """The office changes which services its GPs offer."""
        with self._lock:
            self._settings = settings

    def _practitioner(self, her_id: str | None) -> Practitioner | None:
        if her_id is None:
            return None
        found = self._office.practitioner(her_id)
        if found is None:
            raise JournalRefusal(
                f"no GP with HER-id {her_id} at {self._office.name}",
                reason=RefusalReason.UNKNOWN_PRACTITIONER,
                hint="address one of the office's practitioners (Practice.office())",
            )
        return found

    def _require_service(self, her_id: str | None, service: ServiceName) -> None:
        if not self._settings.offers(her_id, service):
            raise JournalRefusal(
                f"{service.value} is switched off for GP {her_id or '(office)'}",
                reason=RefusalReason.SERVICE_OFF,
            )

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    # -------------------------------------------------------------------- inbox
    def deliver(self, item: InboxItem) -> Delivery:
        with self._lock:
            if item.msg_id in self._inbox:
                return Delivery(self._inbox[item.msg_id][0], duplicate=True)
            self._practitioner(item.practitioner_her_id)
            self._require_service(item.practitioner_her_id, item.service)
            # All or nothing: the automatic answer is worked out before the item is stored, and
            # cannot refuse the delivery (a journal that kept the message must not say no).
            reply = self._auto_reply(item)
            journal_id = self._next("inbox")
            self._inbox[item.msg_id] = (journal_id, item)
            if reply is not None:
                self.answer(item.msg_id, reply)
            return Delivery(journal_id, duplicate=False)

    def inbox_items(self, practitioner_her_id: str | None = None) -> list[InboxItem]:
        """What landed in the inbox (of one GP, or all), in arrival order."""
        with self._lock:
            items = [item for _, item in self._inbox.values()]
        if practitioner_her_id is None:
            return items
        return [i for i in items if i.practitioner_her_id == practitioner_her_id]

    def outgoing(self, limit: int = 100) -> list[OutgoingMessage]:
        with self._lock:
            pending = [m for m in self._outbox.values() if m.id not in self._sent]
        return pending[:limit]

    def acknowledge(self, outgoing_id: str) -> None:
        with self._lock:
            if outgoing_id not in self._outbox:
                raise JournalRefusal(
                    f"no outgoing message {outgoing_id!r}", reason=RefusalReason.NOT_FOUND
                )
            self._sent.add(outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        with self._lock:
            self._undelivered.setdefault(notice.msg_id, notice)

    def undelivered_notices(self) -> list[Undelivered]:
        """The notices of messages that did not reach the citizen, in the order they came."""
        with self._lock:
            return list(self._undelivered.values())

    def sent(self) -> list[OutgoingMessage]:
        """Outgoing messages acknowledged as sent, in the order they were created."""
        with self._lock:
            return [m for m in self._outbox.values() if m.id in self._sent]

    def answer(self, msg_id: str, reply: Reply) -> OutgoingMessage:
        """The GP answers the inbox item `msg_id`; the reply waits in the outbox."""
        with self._lock:
            if msg_id not in self._inbox:
                raise JournalRefusal(f"no inbox item {msg_id!r}", reason=RefusalReason.NOT_FOUND)
            item = self._inbox[msg_id][1]
            return self._queue(
                item.service,
                item.citizen,
                item.practitioner_her_id,
                reply,
                conversation_id=item.conversation_id,
                in_reply_to=item.msg_id,
            )

    def start_dialog(
        self,
        citizen: Citizen,
        practitioner_her_id: str | None,
        service: ServiceName,
        message: OfficeMessage,
    ) -> OutgoingMessage:
        """The office starts a dialog with a citizen (DI / EKI)."""
        with self._lock:
            self._practitioner(practitioner_her_id)
            return self._queue(service, citizen, practitioner_her_id, message)

    def _queue(
        self,
        service: ServiceName,
        citizen: Citizen,
        practitioner_her_id: str | None,
        content: Reply | OfficeMessage,
        *,
        conversation_id: str | None = None,
        in_reply_to: str | None = None,
    ) -> OutgoingMessage:
        message = OutgoingMessage(
            id=self._next("out"),
            service=service,
            citizen=citizen,
            practitioner_her_id=practitioner_her_id,
            content=content,
            conversation_id=conversation_id,
            in_reply_to=in_reply_to,
            created=self._clock(),
        )
        self._outbox[message.id] = message
        return message

    # ----------------------------------------------------------------- calendar
    def open_slots(self, slots: Iterable[Slot]) -> None:
        """The GP opens slots for electronic booking."""
        with self._lock:
            for slot in slots:
                if slot.practitioner is not None:
                    self._practitioner(slot.practitioner.her_id)
                self._open[slot.uid] = slot

    def free_slots(
        self, practitioner_her_id: str | None, start: datetime, end: datetime
    ) -> list[Slot]:
        with self._lock:
            self._practitioner(practitioner_her_id)
            self._require_service(practitioner_her_id, ServiceName.BOOKING)
            if self._settings.for_gp(practitioner_her_id).booking_mode is BookingMode.WISHES_ONLY:
                return []
            slots = [
                s
                for s in self._open.values()
                if start <= s.start < end and _for_gp(s, practitioner_her_id)
            ]
        return sorted(slots, key=lambda s: (s.start, s.uid))

    def reserve(
        self,
        slot_uid: str,
        citizen: Citizen,
        *,
        request_id: str,
        practitioner_her_id: str | None = None,
    ) -> Appointment:
        with self._lock:
            if request_id in self._requests:
                return self._repeat(request_id)
            self._practitioner(practitioner_her_id)
            self._require_service(practitioner_her_id, ServiceName.BOOKING)
            if self._settings.for_gp(practitioner_her_id).booking_mode is BookingMode.WISHES_ONLY:
                raise JournalRefusal(
                    f"GP {practitioner_her_id} takes free-text wishes only",
                    reason=RefusalReason.SERVICE_OFF,
                )
            slot = self._open.get(slot_uid)
            if slot is None or not _for_gp(slot, practitioner_her_id):
                raise JournalRefusal(
                    f"slot {slot_uid!r} is not free for electronic booking",
                    reason=RefusalReason.SLOT_UNAVAILABLE,
                    hint="fetch free slots again and pick another",
                )
            del self._open[slot_uid]
            self._booked[slot_uid] = (slot, citizen)
            self._requests[request_id] = slot
            return slot

    def _repeat(self, request_id: str) -> Appointment:
        done = self._requests[request_id]
        if done is None:
            raise JournalRefusal(
                f"request {request_id!r} has no appointment as its result",
                reason=RefusalReason.INVALID,
            )
        return done

    def _own(self, appointment_uid: str, citizen: Citizen) -> Slot:
        booked = self._booked.get(appointment_uid)
        if booked is None or booked[1].national_id != citizen.national_id:
            raise JournalRefusal(
                f"the citizen has no appointment {appointment_uid!r}",
                reason=RefusalReason.NOT_FOUND,
            )
        return booked[0]

    def change(
        self, appointment_uid: str, new_slot_uid: str, citizen: Citizen, *, request_id: str
    ) -> Appointment:
        with self._lock:
            if request_id in self._requests:
                return self._repeat(request_id)
            old = self._own(appointment_uid, citizen)
            new = self._open.get(new_slot_uid)
            if new is None:
                raise JournalRefusal(
                    f"slot {new_slot_uid!r} is not free for electronic booking",
                    reason=RefusalReason.SLOT_UNAVAILABLE,
                )
            del self._booked[appointment_uid]
            self._open[old.uid] = old
            del self._open[new_slot_uid]
            self._booked[new.uid] = (new, citizen)
            self._requests[request_id] = new
            return new

    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        with self._lock:
            if request_id in self._requests:
                return
            slot = self._own(appointment_uid, citizen)
            del self._booked[appointment_uid]
            self._open[slot.uid] = slot
            self._requests[request_id] = None

    def appointments(self, citizen: Citizen) -> list[Appointment]:
        with self._lock:
            mine = [s for s, c in self._booked.values() if c.national_id == citizen.national_id]
        return sorted(mine, key=lambda s: (s.start, s.uid))

    def book_elsewhere(self, slot: Slot, citizen: Citizen, text: str = "") -> OutgoingMessage:
        """The office books an appointment in the journal (phone, desk): Avtaleutsending 05."""
        with self._lock:
            self._open.pop(slot.uid, None)
            self._booked[slot.uid] = (slot, citizen)
            return self._push(ReplyKind.BOOKED, slot, citizen, text or "Du har fått time.")

    def change_elsewhere(
        self, appointment_uid: str, new_slot: Slot, citizen: Citizen, text: str = ""
    ) -> OutgoingMessage:
        """The office moves the citizen's appointment to `new_slot`: Avtaleutsending 07."""
        with self._lock:
            old = self._own(appointment_uid, citizen)
            del self._booked[appointment_uid]
            self._open[old.uid] = old
            self._open.pop(new_slot.uid, None)
            self._booked[new_slot.uid] = (new_slot, citizen)
            return self._push(ReplyKind.CHANGED, new_slot, citizen, text or "Timen er flyttet.")

    def cancel_elsewhere(
        self, appointment_uid: str, citizen: Citizen, text: str = ""
    ) -> OutgoingMessage:
        """The office cancels the citizen's appointment (the slot opens again): Avtaleutsending
        08."""
        with self._lock:
            slot = self._own(appointment_uid, citizen)
            del self._booked[appointment_uid]
            self._open[slot.uid] = slot
            return self._push(ReplyKind.CANCELLED, slot, citizen, text or "Timen er avbestilt.")

    def record_no_show(
        self, appointment_uid: str, citizen: Citizen, text: str = ""
    ) -> OutgoingMessage:
        """The citizen did not come to the appointment (it leaves their list, the time is
        gone): Avtaleutsending 11."""
        with self._lock:
            slot = self._own(appointment_uid, citizen)
            del self._booked[appointment_uid]
            return self._push(ReplyKind.NO_SHOW, slot, citizen, text or "Du møtte ikke til timen.")

    def _push(self, kind: ReplyKind, slot: Slot, citizen: Citizen, text: str) -> OutgoingMessage:
        her_id = slot.practitioner.her_id if slot.practitioner else None
        reply = Reply(kind, text, appointment=slot)
        return self._queue(ServiceName.BOOKING, citizen, her_id, reply)

    # ----------------------------------------------------------------- renewals
    def receive_renewal(self, request: RenewalRequest) -> RenewalRequest:
        with self._lock:
            if request.msg_id in self._renewals:
                return self._renewals[request.msg_id]
            gp = self._practitioner(request.practitioner_her_id)
            self._require_service(request.practitioner_her_id, ServiceName.PRESCRIPTION_RENEWAL)
            assignee = (
                request.assignee
                or self._renewal_assignee
                or (gp.full_name if gp else self._office.name)
            )
            assigned = request.assigned_to(assignee)
            # All or nothing, as `deliver`: the automatic decision is made before storing.
            outcome = self._auto_outcome(assigned, gp) if self.auto.renewals else None
            self._renewals[request.msg_id] = assigned
            if outcome is not None:
                self.decide_renewal(assigned.msg_id, outcome)
            return assigned

    def _auto_outcome(
        self, request: RenewalRequest, gp: Practitioner | None
    ) -> RenewalOutcome | None:
        """`_auto_renewal`, or None (the GP decides by hand) for an M1 the office cannot read."""
        try:
            return self._auto_renewal(request, gp)
        except DigidialogError:
            return None

    def _auto_renewal(self, request: RenewalRequest, gp: Practitioner | None) -> RenewalOutcome:
        """Renew what may be renewed without a consultation: the medicines of an RF's lines, or
        of an RFER's M1 documents unless in group A or B (`NOT_RENEWED_ELECTRONICALLY`)."""
        if request.m1_documents:
            asked = [_prescribed(m1) for m1 in request.m1_documents]
        else:
            asked = [(m, "") for m in request.prescriptions or (request.text,)]
        renew = [name for name, group in asked if group not in NOT_RENEWED_ELECTRONICALLY]
        kept = [name for name, group in asked if group in NOT_RENEWED_ELECTRONICALLY]
        if not renew:
            return RenewalOutcome(
                RenewalResult.NOT_RENEWED,
                f"Resepten på {', '.join(kept)} kan ikke fornyes uten konsultasjon."
                " Bestill time hos legen.",
                responder=gp,
            )
        m1_documents = tuple(
            simulated_m1(name, prescribed=self._clock().date(), number=n)
            for n, name in enumerate(renew, start=1)
        )
        if not kept:
            return RenewalOutcome(
                RenewalResult.RENEWED, "Resepten er fornyet.", m1_documents, responder=gp
            )
        return RenewalOutcome(
            RenewalResult.PARTLY_RENEWED,
            f"Fornyet: {', '.join(renew)}. Ikke fornyet, krever konsultasjon: {', '.join(kept)}.",
            m1_documents,
            responder=gp,
        )

    def renewal_requests(self) -> list[RenewalRequest]:
        with self._lock:
            return list(self._renewals.values())

    def decide_renewal(self, msg_id: str, outcome: RenewalOutcome) -> RenewalDecision:
        """The GP decides a renewal; the decision waits until acknowledged."""
        with self._lock:
            request = self._renewals.get(msg_id)
            if request is None:
                raise JournalRefusal(
                    f"no renewal request {msg_id!r}", reason=RefusalReason.NOT_FOUND
                )
            decision = RenewalDecision(
                id=self._next("renewal"),
                request_msg_id=msg_id,
                conversation_id=request.conversation_id,
                citizen=request.citizen,
                practitioner_her_id=request.practitioner_her_id,
                outcome=outcome,
            )
            self._decisions[decision.id] = decision
            return decision

    def renewal_outcomes(self, limit: int = 100) -> list[RenewalDecision]:
        with self._lock:
            pending = [d for d in self._decisions.values() if d.id not in self._acked_decisions]
        return pending[:limit]

    def acknowledge_outcome(self, decision_id: str) -> None:
        with self._lock:
            if decision_id not in self._decisions:
                raise JournalRefusal(
                    f"no renewal decision {decision_id!r}", reason=RefusalReason.NOT_FOUND
                )
            self._acked_decisions.add(decision_id)

    # -------------------------------------------------------------- auto office
    def _auto_reply(self, item: InboxItem) -> Reply | None:
        """The simulated office's automatic answer to `item` (None: a GP answers it by hand).

        Worked out before `item` is stored, so it must not raise: a refusal on the way (no
        bookable GP, say) leaves the message for the GP instead of failing its delivery.
        """
        gp = self._office.practitioner(item.practitioner_her_id or "")
        if item.service is ServiceName.E_CONSULTATION and item.kind == "SB":
            if self.auto.e_consultation:
                text = "Takk for spørsmålet. Fortsett som før, og ta kontakt om det ikke går over."
                return Reply(ReplyKind.ANSWER, text, responder=gp)
        elif item.service is ServiceName.CONTACT_OFFICE and item.kind == "HE":
            if self.auto.contact_office:
                text = "Takk for beskjeden, vi har notert den."
                return Reply(ReplyKind.OFFICE_ANSWER, text, responder=gp)
        elif item.service is ServiceName.BOOKING and self.auto.time_wishes:
            try:
                return self._handle_wish(item)
            except JournalRefusal:
                return None
        return None

    def _wish_slots(self, item: InboxItem, start: datetime, end: datetime) -> list[Slot]:
        """Free slots for a time wish: the addressed GP's, or — when the citizen accepts another
        GP — those of every GP who takes electronic bookings (not office-wide, where booking may be
        switched off while the addressed GP has it on)."""
        if item.wish is None or not item.wish.accepts_other_practitioner:
            return self.free_slots(item.practitioner_her_id, start, end)
        found: dict[str, Slot] = {}
        for gp in self._office.practitioners:
            settings = self._settings.for_gp(gp.her_id)
            if settings.offers(ServiceName.BOOKING):
                found.update((s.uid, s) for s in self.free_slots(gp.her_id, start, end))
        return sorted(found.values(), key=lambda s: (s.start, s.uid))

    def _handle_wish(self, item: InboxItem) -> Reply:
        wish_for = item.wish.appointment if item.wish else None
        if item.kind == "OAT":
            try:
                self.cancel(wish_for.uid if wish_for else "", item.citizen, request_id=item.msg_id)
            except JournalRefusal:
                return Reply(ReplyKind.NOT_CANCELLED, "Vi fant ikke timen du vil avbestille.")
            return Reply(ReplyKind.CANCELLED, "Timen er avbestilt.")
        now = self._clock()
        candidates = [
            s for s in self._wish_slots(item, now, now + timedelta(weeks=4)) if s.start > now
        ]
        if item.kind == "OET":
            if wish_for is None or not candidates:
                return Reply(ReplyKind.NOT_CHANGED, "Vi kunne ikke flytte timen.")
            try:
                moved = self.change(
                    wish_for.uid, candidates[0].uid, item.citizen, request_id=item.msg_id
                )
            except JournalRefusal:
                return Reply(ReplyKind.NOT_CHANGED, "Vi kunne ikke flytte timen.")
            return Reply(ReplyKind.CHANGED, "Timen er flyttet.", appointment=moved)
        if not candidates:
            return Reply(ReplyKind.NOT_AVAILABLE, "Vi har dessverre ingen ledig time.")
        first = candidates[0]
        slot = self.reserve(
            first.uid,
            item.citizen,
            request_id=item.msg_id,
            # the slot's GP (who offers booking), not the office default, decides whether it may
            # be booked; a slot for any GP goes by the addressed one
            practitioner_her_id=first.practitioner.her_id
            if first.practitioner
            else item.practitioner_her_id,
        )
        gp = slot.practitioner
        other = gp is not None and gp.her_id != item.practitioner_her_id
        kind = ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER if other else ReplyKind.BOOKED
        return Reply(kind, "Du har fått time.", appointment=slot)


def _for_gp(slot: Slot, her_id: str | None) -> bool:
    return her_id is None or slot.practitioner is None or slot.practitioner.her_id == her_id


# ----------------------------------------------------------------------------- demo office
DEMO_OFFICE = Office(
    her_id="8140001",
    name="Fjellsiden legekontor (simulert)",
    org_number="999888771",  # passes the mod-11 check digit (rule DD013)
    practitioners=(
        Practitioner(
            "8140011", "Kari", "Nordmann", hpr="9144889", specialist_general_practice=True
        ),
        Practitioner("8140012", "Ola", "Hansen", hpr="9144890"),
    ),
)


def demo_slots(
    office: Office, first_day: date, *, days: int = 10, per_day: int = 6, minutes: int = 20
) -> list[Slot]:
    """Morning slots from 08:00 Oslo time on the next `days` working days, for every GP."""
    slots: list[Slot] = []
    day = first_day
    while len(slots) < days * per_day * len(office.practitioners):
        if day.weekday() < 5:
            for gp in office.practitioners:
                for n in range(per_day):
                    start = datetime.combine(day, time(8, 0), OSLO) + timedelta(minutes=minutes * n)
                    slots.append(
                        Slot(
                            uid=f"slot-{gp.her_id}-{start:%Y%m%d%H%M}",
                            start=start,
                            end=start + timedelta(minutes=minutes),
                            location=office.name,
                            practitioner=gp,
                        )
                    )
        day += timedelta(days=1)
    return slots


def demo_journal(
    *, auto: AutoAnswer | None = None, clock: Callable[[], datetime] = _now
) -> MemoryJournal:
    """The demo office: two GPs, slots on the next ten working days, answering by itself."""
    journal = MemoryJournal(
        DEMO_OFFICE,
        renewal_assignee="Reseptansvarlig sykepleier",
        auto=auto or AutoAnswer.everything(),
        clock=clock,
    )
    journal.open_slots(demo_slots(DEMO_OFFICE, clock().date() + timedelta(days=1)))
    return journal
