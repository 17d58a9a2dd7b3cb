"""Between the services and the journal's ports: route what came in, turn what goes out into
messages.

`JournalBridge.deliver(incoming)` hands a handled message to the hook its process calls for —
inbox, calendar or prescription renewals — and returns the replies the services build at once from
the journal's answer (free slots, a confirmed or refused reservation, a cancellation, a refusal
the journal gave). `JournalBridge.collect()` turns what the journal wants sent (its outbox and its
renewal decisions) into service replies, each with the handle that acknowledges it to the journal.
`JournalBridge.tell_undelivered()` tells the journal that a message it sent never reached the
citizen. The bridge never sees XML, keys or transports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from digidialog.adapters import (
    Adapter,
    JournalRefusal,
    OfficeMessage,
    OutgoingMessage,
    RefusalReason,
    RenewalDecision,
    Undelivered,
)
from digidialog.errors import AdapterError, ServiceError
from digidialog.model import MsgHead
from digidialog.services import (
    ContactOffice,
    DialogService,
    EConsultation,
    GpOffice,
    Incoming,
    Outgoing,
    Reply,
    ReplyKind,
    ServiceName,
    read,
)
from digidialog.services.booking import AVTALEUTSENDING
from digidialog.services.messages import service_for

OSLO = ZoneInfo("Europe/Oslo")
_T = TypeVar("_T")
_R = TypeVar("_R")

_REFUSAL_TEXT = {
    RefusalReason.UNKNOWN_PRACTITIONER: "Legen du skrev til finnes ikke ved legekontoret.",
    RefusalReason.SERVICE_OFF: "Legen din tilbyr ikke denne tjenesten på helsenorge.no.",
}
_GENERAL_ERROR_TEXT = "Legekontoret kunne ikke behandle forespørselen. Prøv igjen senere."


@dataclass(frozen=True, slots=True)
class Handed:
    """What `JournalBridge.deliver` made of one message: the replies to send now, and the
    journal's error when it failed in a way retrying will not mend (the reply is then a 31, and
    the journal does not have the message)."""

    replies: list[Outgoing]
    journal_error: AdapterError | None = None


@dataclass(frozen=True, slots=True)
class Collected:
    """One thing the journal wants sent: its journal handle, the way to acknowledge it, and a
    builder that turns it into the services' `Outgoing` (raising `ServiceError` when it cannot)."""

    journal_id: str
    acknowledge: Callable[[], None]
    build: Callable[[], Outgoing]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), OSLO)


class JournalBridge:
    """Routes handled messages to one adapter's ports and builds replies from its outbox."""

    def __init__(self, office: GpOffice, adapter: Adapter) -> None:
        self.office = office
        self.adapter = adapter

    # -- incoming ----------------------------------------------------------------------------

    def deliver(self, incoming: Incoming) -> Handed:
        """Hand ``incoming`` to its hook; return the replies to send now (maybe none).

        A retryable `AdapterError` (`JournalUnavailableError`: down, timed out) propagates: the
        caller keeps the message and retries. A refusal becomes the fitting reply (06/09/34, 26);
        any other error (a bad token, an answer the adapter cannot read) a 31, returned with it.
        """
        service = self._service(incoming.item.service)
        try:
            return Handed(self._deliver(service, incoming))
        except JournalRefusal as refusal:
            return Handed([self._refused(service, incoming, refusal.reason)])
        except AdapterError as error:
            if error.retryable:
                raise
            return Handed([self._general_error(service, incoming)], error)

    def _deliver(self, service: DialogService, incoming: Incoming) -> list[Outgoing]:
        item = incoming.item
        if incoming.is_reply:
            self.adapter.inbox.deliver(item)
            return []
        booking = self.office.booking
        code = incoming.kind
        conversation = incoming.conversation
        if service is booking and code == "HLT" and incoming.period is not None:
            first, last = incoming.period
            slots = self.adapter.calendar.free_slots(
                conversation.practitioner_her_id, _day_start(first), _day_start(last + timedelta(1))
            )
            return [booking.free_slots(conversation.id, slots)]
        if service is booking and code == "RT" and incoming.slot is not None:
            gp = None if incoming.accepts_other_practitioner else conversation.practitioner_her_id
            appointment = self.adapter.calendar.reserve(
                incoming.slot.uid, conversation.citizen, request_id=item.msg_id,
                practitioner_her_id=gp,
            )  # fmt: skip
            return [booking.confirm(conversation.id, appointment, citizen=conversation.citizen)]
        if service is booking and code == "ART" and incoming.slot is not None:
            self.adapter.calendar.cancel(
                incoming.slot.uid, conversation.citizen, request_id=item.msg_id
            )
            return [booking.confirm(conversation.id, text="Timen er avbestilt.")]
        if incoming.renewal is not None:
            self.adapter.renewals.receive(incoming.renewal)
            return []
        self.adapter.inbox.deliver(item)
        return []

    def _refused(
        self, service: DialogService, incoming: Incoming, reason: RefusalReason
    ) -> Outgoing:
        conversation_id = incoming.conversation.id
        booking = self.office.booking
        if (
            service is booking
            and incoming.kind in ("RT", "ART", "OT", "OET", "OAT")
            and (reason in (RefusalReason.SLOT_UNAVAILABLE, RefusalReason.NOT_FOUND))
        ):
            return booking.decline(conversation_id)
        text = _REFUSAL_TEXT.get(reason)
        if text is not None:
            return service.refuse(conversation_id, ReplyKind.REJECTED, text)
        return self._general_error(service, incoming)

    def _general_error(self, service: DialogService, incoming: Incoming) -> Outgoing:
        conversation_id = incoming.conversation.id
        return service.refuse(conversation_id, ReplyKind.GENERAL_ERROR, _GENERAL_ERROR_TEXT)

    # -- what did not arrive -----------------------------------------------------------------

    def tell_undelivered(
        self, message: MsgHead, reason: str, errors: Sequence[str], journal_id: str | None
    ) -> Undelivered:
        """Tell the journal that ``message``, which the office sent, never reached the citizen;
        return the notice told. ``journal_id`` is what `collect` knew it by (None for a reply
        the services made at delivery). `ServiceError` when the message names no citizen or
        no service; the adapter's errors propagate (a retryable one: tell it again later)."""
        sent = read(message, self.office.context.office)
        if sent.citizen is None:
            raise ServiceError(f"message {message.msg_id} names no patient", rule="SV010")
        source, _, handle = (journal_id or "").partition(":")
        notice = Undelivered(
            msg_id=message.msg_id,
            service=service_for(sent.msg_type),
            kind=sent.code,
            citizen=sent.citizen,
            practitioner_her_id=sent.sender_gp_her_id,
            subject=sent.subject,
            reason=reason,
            errors=tuple(errors),
            outgoing_id=handle if source == "inbox" else None,
            decision_id=handle if source == "renewal" else None,
            in_reply_to=sent.parent_id,
            conversation_id=sent.conversation_id,
        )
        self.adapter.inbox.undelivered(notice)
        return notice

    # -- outgoing ----------------------------------------------------------------------------

    def collect(self, limit: int = 100) -> Iterator[Collected]:
        """What the journal wants sent, oldest first: its outbox, then renewal decisions.

        Reading a port may raise `JournalUnavailableError`; nothing is lost, the journal keeps
        everything until it is acknowledged.
        """
        inbox = self.adapter.inbox
        for message in inbox.outgoing(limit):
            yield Collected(
                f"inbox:{message.id}",
                _bind(inbox.acknowledge, message.id),
                _bind(self._build, message),
            )
        renewals = self.adapter.renewals
        for decision in renewals.outcomes(limit):
            yield Collected(
                f"renewal:{decision.id}",
                _bind(renewals.acknowledge, decision.id),
                _bind(self._renewal, decision),
            )

    def _renewal(self, decision: RenewalDecision) -> Outgoing:
        return self.office.renewal.answer(decision.conversation_id, decision.outcome)

    def _build(self, message: OutgoingMessage) -> Outgoing:
        content = message.content
        service = self._service(message.service)
        if isinstance(content, OfficeMessage):
            if not isinstance(service, EConsultation | ContactOffice):
                raise ServiceError(
                    f"the office cannot start a {message.service.value} dialog", rule="SV003"
                )
            return service.start(
                message.citizen,
                self._gp(message),
                content.subject,
                content.text,
                one_time=content.kind == "EKI",
                attachments=content.attachments,
            )
        if message.conversation_id is None:
            return self._appointment_push(message, content)
        if service is self.office.booking:
            return self.office.booking.reply(
                message.conversation_id, content, citizen=message.citizen
            )
        if isinstance(service, EConsultation | ContactOffice):
            return service.reply(message.conversation_id, content, parent_id=message.in_reply_to)
        raise ServiceError(
            f"the journal sent a free reply {content.kind.value} for {message.service.value};"
            " renewal outcomes go through PrescriptionRenewals.outcomes()",
            rule="SV013",
        )

    def _appointment_push(self, message: OutgoingMessage, reply: Reply) -> Outgoing:
        if message.service is not ServiceName.BOOKING or reply.appointment is None:
            raise ServiceError(
                f"outgoing {message.id} starts no conversation and is no appointment push",
                rule="SV012",
                hint="an Avtaleutsending is a booking Reply carrying its appointment",
            )
        return self.office.booking.send_appointment(
            message.citizen, self._gp(message), reply.appointment, reply.kind,
            msg_type=AVTALEUTSENDING,
        )  # fmt: skip

    def _gp(self, message: OutgoingMessage) -> str:
        if message.practitioner_her_id is None:
            raise ServiceError(
                f"outgoing {message.id} names no GP", rule="SV017",
                hint="the office's messages go out in a GP's name",
            )  # fmt: skip
        return message.practitioner_her_id

    def _service(self, name: ServiceName) -> DialogService:
        office = self.office
        return {
            ServiceName.BOOKING: office.booking,
            ServiceName.E_CONSULTATION: office.e_consultation,
            ServiceName.CONTACT_OFFICE: office.contact,
            ServiceName.PRESCRIPTION_RENEWAL: office.renewal,
        }[name]


def _bind(func: Callable[[_T], _R], value: _T) -> Callable[[], _R]:
    return lambda: func(value)
