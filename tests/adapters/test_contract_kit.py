"""The contract kit passes an honest adapter and catches broken ones."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

import pytest

from digidialog.adapters import Faults, JournalRefusal, memory_adapter
from digidialog.adapters.ports import Adapter, Calendar, Delivery, Inbox, OutgoingMessage
from digidialog.adapters.testing import AdapterContract, ContractBackend, contract_journal
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import Appointment, Citizen, InboxItem, Slot


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
    kit = AdapterContract()
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
