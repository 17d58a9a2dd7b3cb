"""The contract kit passes an honest adapter and catches broken ones."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from digidialog.adapters import AutoAnswer, Faults, JournalRefusal, MemoryJournal, memory_adapter
from digidialog.adapters.memory import OSLO
from digidialog.adapters.ports import (
    Adapter,
    Calendar,
    Delivery,
    Inbox,
    OutgoingMessage,
    PrescriptionRenewals,
    RefusalReason,
    RenewalDecision,
    Undelivered,
)
from digidialog.adapters.testing import (
    CONTRACT_OFFICE,
    AdapterContract,
    ContractBackend,
    contract_journal,
)
from digidialog.adapters.testing.contract import KARI, OLA, PER
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import (
    Appointment,
    Citizen,
    DeliveryMethod,
    GpSettings,
    InboxItem,
    OfficeSettings,
    RenewalRequest,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)


def _backend() -> ContractBackend:
    journal, faults = contract_journal(), Faults()
    return ContractBackend(memory_adapter(journal, faults=faults, timeout=0.3), journal, faults)


class TestInProcessContract(AdapterContract):
    """The in-process adapter honours the whole contract (so pipeline tests can rely on it)."""

    stall_seconds = 0.6

    @pytest.fixture
    def backend(self) -> ContractBackend:
        return _backend()


class _Wrapped:
    """An inbox that passes everything through; subclasses break one promise."""

    def __init__(self, inner: Inbox) -> None:
        self.inner = inner

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(item)

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return self.inner.outgoing(limit)

    def acknowledge(self, outgoing_id: str) -> None:
        self.inner.acknowledge(outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        self.inner.undelivered(notice)


class _DropsNoticeErrors(_Wrapped):
    """Tells the GP that a message did not arrive, but not the receiver's error codes."""

    def undelivered(self, notice: Undelivered) -> None:
        self.inner.undelivered(dataclasses.replace(notice, errors=()))


class _NoticeRefusedForALeaver(_Wrapped):
    """Refuses a notice for a GP the journal no longer knows, instead of telling the office."""

    def undelivered(self, notice: Undelivered) -> None:
        if notice.practitioner_her_id not in (None, KARI.her_id, OLA.her_id):
            raise JournalRefusal("no such GP", reason=RefusalReason.UNKNOWN_PRACTITIONER)
        self.inner.undelivered(notice)


class _NoticeSwallowsOutages(_Wrapped):
    def undelivered(self, notice: Undelivered) -> None:
        with contextlib.suppress(JournalUnavailableError):
            self.inner.undelivered(notice)


class _NewIdEveryTime(_Wrapped):
    """Gives each delivery a fresh id, as an adapter that ignores the MsgId would."""

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, msg_id=uuid.uuid4().hex))


class _SwallowsOutages(_Wrapped):
    """Reports a down journal as an empty outbox instead of raising."""

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        try:
            return self.inner.outgoing(limit)
        except JournalUnavailableError:
            return []


class _ForgetsUnacknowledged(_Wrapped):
    """Hands each message out once only (not at-least-once)."""

    def __init__(self, inner: Inbox) -> None:
        super().__init__(inner)
        self.seen: set[str] = set()

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        fresh = [m for m in self.inner.outgoing(limit) if m.id not in self.seen]
        self.seen.update(m.id for m in fresh)
        return fresh


class _RefusalAsPlainError(_Wrapped):
    """Loses the refusal's reason: every refusal becomes a plain AdapterError."""

    def deliver(self, item: InboxItem) -> Delivery:
        try:
            return self.inner.deliver(item)
        except JournalRefusal as refusal:
            raise AdapterError(str(refusal)) from refusal


class _OutageAsPlainError(_Wrapped):
    """Reports a down journal as a non-retryable error (the pipeline would give up on it)."""

    def deliver(self, item: InboxItem) -> Delivery:
        try:
            return self.inner.deliver(item)
        except JournalUnavailableError as exc:
            raise AdapterError(str(exc)) from exc


class _WrappedCalendar:
    """A calendar that passes everything through; subclasses break one promise."""

    def __init__(self, inner: Calendar) -> None:
        self.inner = inner

    def free_slots(self, practitioner_her_id: str | None, start: datetime,
                   end: datetime) -> Sequence[Slot]:  # fmt: skip
        return self.inner.free_slots(practitioner_her_id, start, end)

    def reserve(self, slot_uid: str, citizen: Citizen, *, request_id: str,
                practitioner_her_id: str | None = None) -> Appointment:  # fmt: skip
        return self.inner.reserve(slot_uid, citizen, request_id=request_id,
                                  practitioner_her_id=practitioner_her_id)  # fmt: skip

    def change(self, appointment_uid: str, new_slot_uid: str, citizen: Citizen, *,
               request_id: str) -> Appointment:  # fmt: skip
        return self.inner.change(appointment_uid, new_slot_uid, citizen, request_id=request_id)

    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        self.inner.cancel(appointment_uid, citizen, request_id=request_id)

    def appointments(self, citizen: Citizen) -> Sequence[Appointment]:
        return self.inner.appointments(citizen)


class _ReserveNotIdempotent(_WrappedCalendar):
    """Sends each reservation with a fresh request id: a retried booking is refused as taken."""

    def reserve(self, slot_uid: str, citizen: Citizen, *, request_id: str,
                practitioner_her_id: str | None = None) -> Appointment:  # fmt: skip
        return super().reserve(slot_uid, citizen, request_id=uuid.uuid4().hex,
                               practitioner_her_id=practitioner_her_id)  # fmt: skip


def _broken_calendar(wrapper: type[_WrappedCalendar]) -> ContractBackend:
    honest = _backend()
    honest.adapter.calendar = wrapper(honest.adapter.calendar)
    return honest


@pytest.mark.parametrize(
    ("wrapper", "test"),
    [
        (_ReserveNotIdempotent, "test_reserve_change_cancel"),
        (_ReserveNotIdempotent, "test_timeout_on_a_booking_and_the_retry_books_once"),
    ],
)
def test_the_kit_catches_a_broken_calendar(wrapper: type[_WrappedCalendar], test: str) -> None:
    kit = _kit()
    getattr(kit, test)(_broken_calendar(_WrappedCalendar))  # the faithful wrapper passes
    with pytest.raises((AssertionError, pytest.fail.Exception, JournalRefusal)):
        getattr(kit, test)(_broken_calendar(wrapper))


def _broken(wrapper: type[_Wrapped]) -> ContractBackend:
    honest = _backend()
    adapter = honest.adapter
    broken = Adapter(
        name="broken",
        vendor="test",
        version="0",
        capabilities=adapter.capabilities,
        practice=adapter.practice,
        inbox=wrapper(adapter.inbox),
        calendar=adapter.calendar,
        renewals=adapter.renewals,
    )
    return ContractBackend(broken, honest.journal, honest.faults)


def test_a_faithful_wrapper_passes() -> None:
    AdapterContract().test_same_message_twice_is_one_inbox_item(_broken(_Wrapped))


@pytest.mark.parametrize(
    ("wrapper", "test"),
    [
        (_NewIdEveryTime, "test_same_message_twice_is_one_inbox_item"),
        (_SwallowsOutages, "test_journal_down_is_unavailable_on_every_port"),
        (_ForgetsUnacknowledged, "test_replies_wait_until_acknowledged"),
        (_RefusalAsPlainError, "test_unknown_gp_is_refused"),
        (_RefusalAsPlainError, "test_switched_off_service_is_refused"),
        (_OutageAsPlainError, "test_journal_down_is_unavailable_on_every_port"),
    ],
)
def test_the_kit_catches_a_broken_adapter(wrapper: type[_Wrapped], test: str) -> None:
    kit = AdapterContract()
    getattr(kit, test)(_backend())  # the honest adapter passes, the broken one fails:
    with pytest.raises((AssertionError, pytest.fail.Exception, AdapterError)):
        getattr(kit, test)(_broken(wrapper))


# --------------------------------------------------------------------------------------------
# Lossy adapters: each breaks one promise of fidelity, order, idempotency or availability that
# no journal would notice, and one named contract test catches it (the audit's broken adapter
# did all of these at once and passed the earlier kit).


def _kit() -> AdapterContract:
    kit = AdapterContract()
    kit.stall_seconds = TestInProcessContract.stall_seconds  # the in-process adapter times out fast
    return kit


class _DropsActingFor(_Wrapped):
    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, acting_for=None))


class _DropsWishAndParent(_Wrapped):
    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, wish=None, parent_msg_id=None))


class _TruncatesText(_Wrapped):
    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, text=item.text[:2000]))


class _NormalisesLineEnds(_Wrapped):
    def deliver(self, item: InboxItem) -> Delivery:
        text = item.text.replace("\r\n", "\n").strip()
        return self.inner.deliver(dataclasses.replace(item, text=text))


class _AttachmentsAsText(_Wrapped):
    """Sends attachments through a text decoding: bytes that are not UTF-8 are replaced."""

    def deliver(self, item: InboxItem) -> Delivery:
        attachments = tuple(
            dataclasses.replace(a, data=a.data.decode("utf-8", "replace").encode())
            for a in item.attachments
        )
        return self.inner.deliver(dataclasses.replace(item, attachments=attachments))


class _ReceivedInUtc(_Wrapped):
    """Keeps the instant but not the offset (08:00+01:00 arrives as 07:00Z)."""

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, received=item.received.astimezone(UTC)))


def _without_flags(message: OutgoingMessage) -> OutgoingMessage:
    if not isinstance(message.content, Reply):
        return message
    content = dataclasses.replace(message.content, clinical_flags=frozenset())
    return dataclasses.replace(message, content=content)


def _without_attachments(message: OutgoingMessage) -> OutgoingMessage:
    if not isinstance(message.content, Reply):
        return message
    content = dataclasses.replace(message.content, attachments=())
    return dataclasses.replace(message, content=content)


class _DropsClinicalFlags(_Wrapped):
    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return [_without_flags(m) for m in self.inner.outgoing(limit)]


class _DropsReplyAttachments(_Wrapped):
    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return [_without_attachments(m) for m in self.inner.outgoing(limit)]


class _NewestFirst(_Wrapped):
    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return list(self.inner.outgoing(limit))[::-1]


class _SortedByName(_Wrapped):
    """Hands the outbox on in the order of its ids as text ("out-10" before "out-9")."""

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return sorted(self.inner.outgoing(limit), key=lambda m: m.id)


class _SecondAcknowledgementRefused(_Wrapped):
    def __init__(self, inner: Inbox) -> None:
        super().__init__(inner)
        self.done: set[str] = set()

    def acknowledge(self, outgoing_id: str) -> None:
        if outgoing_id in self.done:
            raise JournalRefusal("already acknowledged", reason=RefusalReason.NOT_FOUND)
        self.inner.acknowledge(outgoing_id)
        self.done.add(outgoing_id)


class _AcknowledgementSwallowsOutages(_Wrapped):
    """Reports an acknowledgement that never reached the journal as done."""

    def acknowledge(self, outgoing_id: str) -> None:
        with contextlib.suppress(JournalUnavailableError):
            self.inner.acknowledge(outgoing_id)


class _ChangeNotIdempotent(_WrappedCalendar):
    def change(self, appointment_uid: str, new_slot_uid: str, citizen: Citizen, *,
               request_id: str) -> Appointment:  # fmt: skip
        return super().change(appointment_uid, new_slot_uid, citizen, request_id=uuid.uuid4().hex)


class _CancelNotIdempotent(_WrappedCalendar):
    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        super().cancel(appointment_uid, citizen, request_id=uuid.uuid4().hex)


class _CancelTolerant(_WrappedCalendar):
    """Takes "no such appointment" on a repeated cancel for success, but cancels again."""

    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        try:
            super().cancel(appointment_uid, citizen, request_id=uuid.uuid4().hex)
        except JournalRefusal as refusal:
            if refusal.reason is not RefusalReason.NOT_FOUND:
                raise


class _SlotsInUtc(_WrappedCalendar):
    def free_slots(self, practitioner_her_id: str | None, start: datetime,
                   end: datetime) -> Sequence[Slot]:  # fmt: skip
        return [
            dataclasses.replace(s, start=s.start.astimezone(UTC), end=s.end.astimezone(UTC))
            for s in super().free_slots(practitioner_her_id, start, end)
        ]


class _OutageAsTaken(_WrappedCalendar):
    """A down journal reported as a taken slot: the citizen is told 06 for a free time."""

    def reserve(self, slot_uid: str, citizen: Citizen, *, request_id: str,
                practitioner_her_id: str | None = None) -> Appointment:  # fmt: skip
        try:
            return super().reserve(slot_uid, citizen, request_id=request_id,
                                   practitioner_her_id=practitioner_her_id)  # fmt: skip
        except JournalUnavailableError as exc:
            raise JournalRefusal(str(exc), reason=RefusalReason.SLOT_UNAVAILABLE) from exc


class _CancelSwallowsOutages(_WrappedCalendar):
    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        with contextlib.suppress(JournalUnavailableError):
            super().cancel(appointment_uid, citizen, request_id=request_id)


class _WrappedRenewals:
    """Renewals that pass everything through; subclasses break one promise."""

    def __init__(self, inner: PrescriptionRenewals) -> None:
        self.inner = inner

    def receive(self, request: RenewalRequest) -> RenewalRequest:
        return self.inner.receive(request)

    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        return self.inner.outcomes(limit)

    def acknowledge(self, decision_id: str) -> None:
        self.inner.acknowledge(decision_id)


class _DropsM1Documents(_WrappedRenewals):
    def receive(self, request: RenewalRequest) -> RenewalRequest:
        return self.inner.receive(dataclasses.replace(request, m1_documents=()))


class _DropsRenewalActingFor(_WrappedRenewals):
    def receive(self, request: RenewalRequest) -> RenewalRequest:
        return self.inner.receive(dataclasses.replace(request, acting_for=None))


class _DropsOutcomeResponder(_WrappedRenewals):
    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        return [
            dataclasses.replace(d, outcome=dataclasses.replace(d.outcome, responder=None))
            for d in self.inner.outcomes(limit)
        ]


class _OutcomesNewestFirst(_WrappedRenewals):
    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        return list(self.inner.outcomes(limit))[::-1]


class _OutcomesSwallowOutages(_WrappedRenewals):
    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        try:
            return self.inner.outcomes(limit)
        except JournalUnavailableError:
            return []


Lossy = type[_Wrapped] | type[_WrappedCalendar] | type[_WrappedRenewals]


def _lossy(wrapper: Lossy) -> ContractBackend:
    """The in-process adapter with one port wrapped by `wrapper`."""
    honest = _backend()
    adapter = honest.adapter
    if issubclass(wrapper, _Wrapped):
        adapter.inbox = wrapper(adapter.inbox)
    elif issubclass(wrapper, _WrappedCalendar):
        adapter.calendar = wrapper(adapter.calendar)
    else:
        adapter.renewals = wrapper(adapter.renewals)
    return honest


def _faithful(wrapper: Lossy) -> Lossy:
    for base in (_Wrapped, _WrappedCalendar, _WrappedRenewals):
        if issubclass(wrapper, base):
            return base
    raise AssertionError(wrapper)


@pytest.mark.parametrize(
    ("wrapper", "test"),
    [
        (_DropsActingFor, "test_deliver_keeps_every_field"),
        (_DropsWishAndParent, "test_deliver_keeps_every_field"),
        (_TruncatesText, "test_deliver_keeps_every_field"),
        (_NormalisesLineEnds, "test_deliver_keeps_every_field"),
        (_AttachmentsAsText, "test_deliver_keeps_every_field"),
        (_ReceivedInUtc, "test_deliver_keeps_every_field"),
        (_DropsClinicalFlags, "test_replies_keep_every_field"),
        (_DropsReplyAttachments, "test_replies_keep_every_field"),
        (_DropsM1Documents, "test_renewal_request_and_outcome_keep_every_field"),
        (_DropsRenewalActingFor, "test_renewal_request_and_outcome_keep_every_field"),
        (_DropsOutcomeResponder, "test_renewal_request_and_outcome_keep_every_field"),
        (_SlotsInUtc, "test_appointment_times_keep_their_offsets"),
        (_NewestFirst, "test_outbox_keeps_the_journals_order"),
        (_SortedByName, "test_outbox_keeps_the_journals_order"),
        (_OutcomesNewestFirst, "test_renewal_outcomes_keep_the_journals_order"),
        (_ReserveNotIdempotent, "test_repeated_calendar_requests_act_once"),
        (_ChangeNotIdempotent, "test_repeated_calendar_requests_act_once"),
        (_ChangeNotIdempotent, "test_change_after_a_lost_answer_moves_once"),
        (_CancelNotIdempotent, "test_repeated_calendar_requests_act_once"),
        (_CancelTolerant, "test_cancel_after_a_lost_answer_cancels_once"),
        (_SecondAcknowledgementRefused, "test_acknowledging_twice_is_harmless"),
        (_OutageAsTaken, "test_journal_down_is_unavailable_for_bookings"),
        (_CancelSwallowsOutages, "test_journal_down_is_unavailable_for_bookings"),
        (_AcknowledgementSwallowsOutages, "test_journal_down_is_unavailable_for_acknowledgements"),
        (_OutcomesSwallowOutages, "test_journal_down_is_unavailable_for_acknowledgements"),
        (_DropsNoticeErrors, "test_undelivered_notice_keeps_every_field"),
        (_NoticeRefusedForALeaver, "test_undelivered_notice_is_told_once_and_never_refused"),
        (_NoticeSwallowsOutages, "test_journal_down_is_unavailable_for_acknowledgements"),
    ],
)
def test_the_kit_catches_a_lossy_adapter(wrapper: Lossy, test: str) -> None:
    kit = _kit()
    getattr(kit, test)(_lossy(_faithful(wrapper)))  # a faithful wrapper passes, the lossy fails:
    with pytest.raises((AssertionError, pytest.fail.Exception, AdapterError)):
        getattr(kit, test)(_lossy(wrapper))


# --------------------------------------------------------------------------------------------
# The journal behind the kit and every simulator: a delivery is all or nothing. The automatic
# answer is worked out before the message is stored and never refuses a message it kept.

NO_BOOKING = OfficeSettings(
    default=GpSettings(services=frozenset(ServiceName) - {ServiceName.BOOKING}),
    per_gp={KARI.her_id: GpSettings()},  # Kari takes bookings; Ola (the default) does not
)


def _ot_accepting_any_gp(msg_id: str) -> InboxItem:
    return InboxItem(
        ServiceName.BOOKING,
        "DIALOG_INNBYGGER_TIMEONSKE",
        "OT",
        f"conv-{msg_id}",
        msg_id,
        PER,
        KARI.her_id,
        "Time",
        "Når som helst",
        datetime(2030, 1, 7, tzinfo=OSLO),
        wish=TimeWish("Når som helst", accepts_other_practitioner=True),
    )


def _answering(settings: OfficeSettings) -> MemoryJournal:
    return MemoryJournal(
        CONTRACT_OFFICE,
        settings,
        auto=AutoAnswer(time_wishes=True, renewals=True),
        clock=lambda: datetime(2030, 1, 4, 12, 0, tzinfo=OSLO),
    )


def test_a_wish_for_any_gp_is_kept_and_answered_where_the_office_books_nothing() -> None:
    journal = _answering(NO_BOOKING)
    adapter = memory_adapter(journal)
    item = _ot_accepting_any_gp("m-ot-any")
    delivery = adapter.inbox.deliver(item)  # not SERVICE_OFF: Kari, who was asked, takes bookings
    assert not delivery.duplicate
    assert journal.inbox_items() == [item]
    (answer,) = adapter.inbox.outgoing()
    assert isinstance(answer.content, Reply)
    assert answer.content.kind is ReplyKind.NOT_AVAILABLE  # no free slot anywhere
    assert answer.in_reply_to == item.msg_id


def test_a_wish_for_any_gp_books_only_gps_who_take_bookings() -> None:
    journal = _answering(NO_BOOKING)
    monday = datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)
    olas = Slot("s-ola", monday, monday + timedelta(minutes=20), practitioner=OLA)
    karis = Slot("s-kari", monday + timedelta(hours=1), monday + timedelta(hours=1, minutes=20),
                 practitioner=KARI)  # fmt: skip
    journal.open_slots([olas, karis])
    adapter = memory_adapter(journal)
    adapter.inbox.deliver(_ot_accepting_any_gp("m-ot-book"))
    (answer,) = adapter.inbox.outgoing()
    assert isinstance(answer.content, Reply)
    assert answer.content.kind is ReplyKind.BOOKED
    assert answer.content.appointment == karis  # not Ola's earlier slot: he books nothing
    assert adapter.calendar.appointments(PER) == [karis]


def test_a_renewal_with_an_unreadable_m1_is_kept_for_the_gp() -> None:
    journal = _answering(OfficeSettings())
    adapter = memory_adapter(journal)
    request = RenewalRequest(
        "conv-rfer-bad",
        "rfer-bad",
        PER,
        KARI.her_id,
        "RFER",
        "Forny, takk.",
        ("Ukjent",),
        DeliveryMethod.PHARMACY,
        datetime(2030, 1, 7, tzinfo=OSLO),
        m1_documents=(b"not an M1 <",),
    )
    assigned = adapter.renewals.receive(request)  # no error for a request the journal keeps
    assert journal.renewal_requests() == [assigned]
    assert adapter.renewals.outcomes() == []  # no automatic decision: the GP reads it
