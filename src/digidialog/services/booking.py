"""Booking: Timereservasjon (§3.4), Timeønske (§3.5) and Avtaleutsending (§3.4.1, §3.6).

- Timereservasjon: the citizen fetches free slots (HLT, synchronous, at most four weeks) and gets
  them (03) or none (04); reserves one (RT, with whether another GP is acceptable, 1101) and gets
  05 or 06; cancels it (ART) and gets 08 or 09.
- Timeønske: free-text wishes for a new (OT), changed (OET) or cancelled (OAT) time, answered 05 /
  07 / 08, 10 (booked with another GP, who goes in a Helsepersonell document), 06 / 34 / 09.
- Avtaleutsending: the office tells helsenorge.no about appointments made elsewhere (05, 07, 08,
  11 no-show; one-way, answered only by an AppRec).

Office settings: a GP in `BookingMode.WISHES_ONLY` gets HLT answered with 04 and RT refused with 26
automatically. When a time is assigned (05, 07, 10 and their pushes) the `Outgoing` carries the
SMS the citizen gets once it is sent (`Outgoing.sms`), unless they turned notification off; the
text says only that something waits on helsenorge.no.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta

from digidialog.codes import JaNei
from digidialog.codes.processes import RequestKind, Requirement
from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services.base import DialogService, Incoming, Outgoing, one_of
from digidialog.services.conversation import Conversation
from digidialog.services.messages import Body, Envelope, yes_no_code
from digidialog.services.notify import SmsNotice
from digidialog.services.types import (
    BookingMode,
    Citizen,
    InboxItem,
    Practitioner,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)

__all__ = [
    "AVTALEUTSENDING",
    "MAX_FREE_SLOT_PERIOD",
    "TIMEONSKE",
    "TIMERESERVASJON",
    "Booking",
]

TIMERESERVASJON = "DIALOG_INNBYGGER_TIMERESERVASJON"
TIMEONSKE = "DIALOG_INNBYGGER_TIMEONSKE"
AVTALEUTSENDING = "DIALOG_INNBYGGER_AVTALEUTSENDING"

#: HITS 1217 §3.4.2.1: at most four weeks between FraDato and TilDato.
MAX_FREE_SLOT_PERIOD = timedelta(weeks=4)

#: Replies that give the citizen a time (and so owe an SMS once sent).
_ASSIGNING = frozenset(
    {ReplyKind.BOOKED, ReplyKind.CHANGED, ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER}
)

#: What the office may push about an appointment made elsewhere (Avtaleutsending).
_PUSHES = (ReplyKind.BOOKED, ReplyKind.CHANGED, ReplyKind.CANCELLED, ReplyKind.NO_SHOW)

#: Per request: the reply that says yes and the one that says no.
_YES_NO: dict[str, tuple[ReplyKind, ReplyKind]] = {
    "RT": (ReplyKind.BOOKED, ReplyKind.NOT_AVAILABLE),
    "OT": (ReplyKind.BOOKED, ReplyKind.NOT_AVAILABLE),
    "OET": (ReplyKind.CHANGED, ReplyKind.NOT_CHANGED),
    "ART": (ReplyKind.CANCELLED, ReplyKind.NOT_CANCELLED),
    "OAT": (ReplyKind.CANCELLED, ReplyKind.NOT_CANCELLED),
}

WISHES_ONLY_TEXT = (
    "Legen din tar ikke imot bestilling av valgt time på helsenorge.no. Send et timeønske i stedet."
)


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ServiceError(
            f"free-slot period ends ({end}) before it starts ({start})",
            rule="SV007",
            hint="FraDato must not be after TilDato",
        )
    if end - start > MAX_FREE_SLOT_PERIOD:
        raise ServiceError(
            f"free-slot period {start} to {end} is {(end - start).days} days;"
            " at most 28 days (four weeks) are allowed",
            rule="SV007",
            hint="HITS 1217 §3.4.2.1: ask for at most four weeks at a time",
        )


class Booking(DialogService):
    """Booking: free slots, reservations, wishes and appointment pushes."""

    service = ServiceName.BOOKING
    processes = frozenset({TIMERESERVASJON, TIMEONSKE, AVTALEUTSENDING})

    # -- citizen side (helsenorge.no's role) -------------------------------------------------

    def fetch_free_slots(
        self, citizen: Citizen, gp_her_id: str | None, start: date, end: date
    ) -> Outgoing:
        """HLT: ask for the GP's free slots from `start` to `end` (at most four weeks, SV007)."""
        _check_period(start, end)
        return self._citizen_request(
            TIMERESERVASJON, "HLT", citizen, gp_her_id, Body(from_date=start, to_date=end)
        )

    def reserve(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        slot: Slot,
        *,
        accepts_other_practitioner: bool,
        text: str | None = None,
    ) -> Outgoing:
        """RT: reserve `slot` (from a free-slot answer)."""
        return self._citizen_request(
            TIMERESERVASJON,
            "RT",
            citizen,
            gp_her_id,
            Body(text=text, coded=yes_no_code(accepts_other_practitioner), slots=(slot,)),
        )

    def cancel_reserved(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        appointment: Slot,
        *,
        reason: str | None = None,
    ) -> Outgoing:
        """ART: cancel a reserved appointment (its `appointment_id` goes back as related-to)."""
        return self._citizen_request(
            TIMERESERVASJON,
            "ART",
            citizen,
            gp_her_id,
            Body(text=reason, coded=yes_no_code(False), slots=(appointment,)),
        )

    def wish_time(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        text: str,
        *,
        accepts_other_practitioner: bool,
    ) -> Outgoing:
        """OT: a free-text wish for a new time (no iCalendar, HITS 1217 §3.5.1)."""
        return self._citizen_request(
            TIMEONSKE,
            "OT",
            citizen,
            gp_her_id,
            Body(text=text, coded=yes_no_code(accepts_other_practitioner)),
        )

    def wish_change(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        appointment: Slot,
        text: str,
        *,
        accepts_other_practitioner: bool,
    ) -> Outgoing:
        """OET: a wish to move an existing appointment."""
        return self._citizen_request(
            TIMEONSKE,
            "OET",
            citizen,
            gp_her_id,
            Body(text=text, coded=yes_no_code(accepts_other_practitioner), slots=(appointment,)),
        )

    def wish_cancel(
        self, citizen: Citizen, gp_her_id: str | None, appointment: Slot, text: str | None = None
    ) -> Outgoing:
        """OAT: a wish to cancel an existing appointment."""
        return self._citizen_request(
            TIMEONSKE,
            "OAT",
            citizen,
            gp_her_id,
            Body(text=text, coded=yes_no_code(False), slots=(appointment,)),
        )

    # -- office side -------------------------------------------------------------------------

    def free_slots(self, conversation_id: str, slots: Sequence[Slot]) -> Outgoing:
        """Answer HLT: 03 with the slots, or 04 when there are none."""
        kind = ReplyKind.FREE_SLOTS if slots else ReplyKind.NO_FREE_SLOTS
        msg, _ = self._office_reply(conversation_id, kind, Body(slots=tuple(slots)))
        return Outgoing(msg, conversation_id)

    def confirm(
        self,
        conversation_id: str,
        appointment: Slot | None = None,
        *,
        text: str | None = None,
        other_practitioner: Practitioner | None = None,
        citizen: Citizen | None = None,
    ) -> Outgoing:
        """Say yes: 05 (RT, OT), 07 (OET), 08 (ART, OAT), or 10 when `other_practitioner` takes
        a wished time. `citizen` is the journal's view of the patient (SMS preference, mobile)."""
        yes, _ = self._yes_no(conversation_id)
        kind = ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER if other_practitioner else yes
        return self.reply(
            conversation_id,
            Reply(kind, text or "", appointment=appointment, responder=None),
            other_practitioner=other_practitioner,
            citizen=citizen,
        )

    def decline(self, conversation_id: str, *, text: str | None = None) -> Outgoing:
        """Say no: 06 (RT, OT), 34 (OET) or 09 (ART, OAT)."""
        _, no = self._yes_no(conversation_id)
        return self.reply(conversation_id, Reply(no, text or ""))

    def reply(
        self,
        conversation_id: str,
        reply: Reply,
        *,
        other_practitioner: Practitioner | None = None,
        citizen: Citizen | None = None,
    ) -> Outgoing:
        """Send the journal's `Reply` in a booking thread; a time-assigning reply needs its
        appointment (SV012) and owes the SMS (`Outgoing.sms`)."""
        conversation = self._conversation(conversation_id)
        if reply.kind in _ASSIGNING and reply.appointment is None:
            raise ServiceError(
                f"reply {reply.kind.value} gives a time but carries no appointment",
                rule="SV012",
                hint="pass the booked Slot (HITS 1217 §3.4.3.2: iCalendar is mandatory)",
            )
        if reply.kind is ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER and other_practitioner is None:
            other_practitioner = reply.appointment.practitioner if reply.appointment else None
            if other_practitioner is None:
                raise ServiceError(
                    "reply 10 (booked with another GP) names no practitioner",
                    rule="SV012",
                    hint="HITS 1217 §3.5.2: the professional goes in a Helsepersonell document",
                )
        body = Body(
            text=reply.text or None,
            slots=(reply.appointment,) if reply.appointment else (),
            responder=reply.responder,
            attachments=reply.attachments,
            other_practitioners=(other_practitioner,) if other_practitioner else (),
        )
        sms = None
        if reply.kind in _ASSIGNING:  # checked before the reply is recorded (SV018)
            sms = SmsNotice.for_citizen(self._contact(conversation.citizen, citizen))
        msg, _ = self._office_reply(conversation_id, reply.kind, body)
        return Outgoing(msg, conversation_id, sms=sms)

    def send_appointment(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        appointment: Slot,
        kind: ReplyKind | str = ReplyKind.BOOKED,
        *,
        msg_type: str = TIMERESERVASJON,
    ) -> Outgoing:
        """Avtaleutsending: tell helsenorge.no about an appointment made in the journal —
        05 booked, 07 changed, 08 cancelled, 11 patient did not show up. One-way."""
        push = one_of(kind, _PUSHES, rule="SV001", what="an appointment push")
        msg, conversation = self._office_request(
            msg_type, push.value, citizen, gp_her_id, Body(slots=(appointment,))
        )
        sms = SmsNotice.for_citizen(citizen) if push in _ASSIGNING else None
        return Outgoing(msg, conversation.id, sms=sms)

    # -- handling ----------------------------------------------------------------------------

    def _on_request(
        self,
        msg: MsgHead,
        envelope: Envelope,
        conversation: Conversation,
        item: InboxItem,
        request: RequestKind,
    ) -> Incoming:
        mode = self.context.settings.for_gp(conversation.practitioner_her_id).booking_mode
        code = request.code
        if code == "HLT":
            if envelope.from_date is None or envelope.to_date is None:
                raise ServiceError(
                    f"HLT {envelope.msg_id} lacks FraDato or TilDato",
                    rule="SV012",
                    hint="HITS 1217 §3.4.2.1",
                )
            _check_period(envelope.from_date, envelope.to_date)
            period = (envelope.from_date, envelope.to_date)
            response = (
                self.free_slots(conversation.id, []) if mode is BookingMode.WISHES_ONLY else None
            )
            return Incoming(msg, envelope, conversation, item, response=response, period=period)
        accepts = None if envelope.coded is None else envelope.coded == JaNei.JA.value
        if code == "RT" and mode is BookingMode.WISHES_ONLY:
            refusal = self.refuse(conversation.id, ReplyKind.REJECTED, WISHES_ONLY_TEXT)
            return Incoming(msg, envelope, conversation, item, response=refusal)
        if request.icalendar is Requirement.REQUIRED and not envelope.slots:
            raise ServiceError(
                f"{code} {envelope.msg_id} carries no iCalendar time",
                rule="SV012",
                hint="HITS 1217 §3.4.3.1 / §3.5.1: the slot or appointment goes in xCal",
            )
        slot = envelope.slots[0] if envelope.slots else None
        wish = None
        if code in ("OT", "OET", "OAT"):
            wish = TimeWish(envelope.text, bool(accepts), slot)
            item = dataclasses.replace(item, wish=wish)
        return Incoming(
            msg,
            envelope,
            conversation,
            item,
            slot=slot,
            wish=wish,
            accepts_other_practitioner=accepts,
        )

    # -- helpers -----------------------------------------------------------------------------

    def _yes_no(self, conversation_id: str) -> tuple[ReplyKind, ReplyKind]:
        conversation = self._conversation(conversation_id)
        found = _YES_NO.get(conversation.opening.code)
        if found is None:
            raise ServiceError(
                f"conversation {conversation_id} ({conversation.opening.code}) is not a"
                " reservation, cancellation or wish",
                rule="SV002",
                hint="answer HLT with free_slots()",
            )
        return found

    @staticmethod
    def _contact(known: Citizen, journal: Citizen | None) -> Citizen:
        if journal is None:
            return known
        if journal.national_id != known.national_id:
            raise ServiceError(
                "the journal's citizen is not the patient of this conversation",
                rule="SV018",
                hint="pass the same patient the conversation is about",
            )
        return journal
