"""The contract suite itself; see `digidialog.adapters.testing` for how to use it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from digidialog.adapters.memory import OSLO, MemoryJournal
from digidialog.adapters.ports import (
    Adapter,
    JournalRefusal,
    OfficeMessage,
    OutgoingMessage,
    RefusalReason,
    RenewalDecision,
)
from digidialog.adapters.registry import start_with_simulator
from digidialog.errors import JournalUnavailableError
from digidialog.services.types import (
    Attachment,
    BookingMode,
    Citizen,
    DeliveryMethod,
    GpSettings,
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
    TimeWish,
)


class JournalControl(Protocol):
    """The journal-side hands the kit needs (a `MemoryJournal` has them all)."""

    def inbox_items(self, practitioner_her_id: str | None = None) -> list[InboxItem]: ...

    def answer(self, msg_id: str, reply: Reply) -> OutgoingMessage: ...

    def start_dialog(
        self,
        citizen: Citizen,
        practitioner_her_id: str | None,
        service: ServiceName,
        message: OfficeMessage,
    ) -> OutgoingMessage: ...

    def open_slots(self, slots: Iterable[Slot]) -> None: ...

    def book_elsewhere(self, slot: Slot, citizen: Citizen, text: str = "") -> OutgoingMessage: ...

    def decide_renewal(self, msg_id: str, outcome: RenewalOutcome) -> RenewalDecision: ...

    def set_settings(self, settings: OfficeSettings) -> None: ...


class FaultControl(Protocol):
    """Switches that make the journal misbehave (a simulator's `Faults` has them all)."""

    def fail_next(self, calls: int) -> None: ...

    def stall_next(self, calls: int, seconds: float) -> None: ...

    def set_down(self, down: bool) -> None: ...

    def clear(self) -> None: ...


@dataclass(frozen=True)
class ContractBackend:
    """What a vendor's `backend` fixture yields."""

    adapter: Adapter
    journal: JournalControl
    faults: FaultControl


KARI = Practitioner("100001", "Kari", "Kontrakt", hpr="9000001", specialist_general_practice=True)
OLA = Practitioner("100002", "Ola", "Kontrakt", hpr="9000002")
CONTRACT_OFFICE = Office(her_id="100000", name="Kontraktsenteret", practitioners=(KARI, OLA))
#: Adapter settings that keep the failure tests short; merge into your adapter's config.
CONTRACT_CONFIG: Mapping[str, Any] = {
    "timeout": 1.0,
    "retries": 1,
    "backoff": 0.01,
    "poll_interval": 0.01,
}

PER = Citizen("01017012345", "Per", "Pasient", mobile="+4790000000")
EVA = Citizen("02028012345", "Eva", "Ærlig-Øyen")
MONDAY = datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)


def contract_journal() -> MemoryJournal:
    """A quiet journal (no automatic answers) for `CONTRACT_OFFICE`."""
    return MemoryJournal(CONTRACT_OFFICE, renewal_assignee="Reseptsykepleier")


@contextmanager
def simulator_backend(
    name: str, workdir: Path, config: Mapping[str, Any] | None = None
) -> Iterator[ContractBackend]:
    """A backend from the adapter's registered simulator, with a contract journal."""
    journal = contract_journal()
    merged = {**CONTRACT_CONFIG, **(config or {})}
    with start_with_simulator(name, workdir, journal=journal, config=merged) as (adapter, sim):
        yield ContractBackend(adapter, journal, sim.faults)


def _slot(gp: Practitioner, day: int, hour: int, minute: int = 0) -> Slot:
    start = MONDAY.replace(hour=hour, minute=minute) + timedelta(days=day)
    return Slot(
        uid=f"k-{gp.her_id}-{day}-{hour}{minute:02d}",
        start=start,
        end=start + timedelta(minutes=20),
        location="Kontraktsenteret, rom 2",
        practitioner=gp,
        description="Ordinær time",
    )


def _item(
    msg_id: str,
    *,
    gp: Practitioner | None = KARI,
    service: ServiceName = ServiceName.E_CONSULTATION,
    kind: str = "SB",
    text: str = "Jeg har hatt vondt i ryggen i tre uker. Hva bør jeg gjøre?",
    attachments: tuple[Attachment, ...] = (),
    wish: TimeWish | None = None,
) -> InboxItem:
    process = {
        ServiceName.E_CONSULTATION: "DIALOG_INNBYGGER_EKONSULTASJON",
        ServiceName.CONTACT_OFFICE: "DIALOG_INNBYGGER_EKONTAKT",
        ServiceName.BOOKING: "DIALOG_INNBYGGER_TIMEONSKE",
    }[service]
    return InboxItem(
        service=service,
        process=process,
        kind=kind,
        conversation_id=f"conv-{msg_id}",
        msg_id=msg_id,
        citizen=PER,
        practitioner_her_id=gp.her_id if gp else None,
        subject="Ryggsmerter",
        text=text,
        received=MONDAY - timedelta(days=3),
        attachments=attachments,
        due=(MONDAY + timedelta(days=4)).date(),
        wish=wish,
    )


def _renewal(msg_id: str, gp: Practitioner = KARI) -> RenewalRequest:
    return RenewalRequest(
        conversation_id=f"conv-{msg_id}",
        msg_id=msg_id,
        citizen=EVA,
        practitioner_her_id=gp.her_id,
        kind="RF",
        text="Trenger ny resept på blodtrykksmedisinen.",
        prescriptions=("Amlodipin 5 mg", "Losartan 50 mg"),
        delivery=DeliveryMethod.PHARMACY,
        received=MONDAY,
    )


M1 = '<?xml version="1.0" encoding="UTF-8"?><M1 xmlns="urn:test"><Navn>Blåbær æøå</Navn></M1>'


class AdapterContract:
    """Every behaviour the ports promise. Subclass as `Test<Vendor>Contract` with a `backend`."""

    #: How long a stalled journal waits before answering; must exceed the adapter's timeout.
    stall_seconds: float = 2.5

    @pytest.fixture
    def backend(self) -> Iterator[ContractBackend]:
        raise NotImplementedError("provide a `backend` fixture yielding a ContractBackend")

    # ------------------------------------------------------------------ face
    def test_same_face(self, backend: ContractBackend) -> None:
        adapter = backend.adapter
        assert adapter.name
        assert adapter.vendor
        assert adapter.version
        assert adapter.capabilities.processes
        for port in (adapter.inbox, adapter.calendar, adapter.renewals, adapter.practice):
            assert port is not None

    def test_office_and_settings(self, backend: ContractBackend) -> None:
        office = backend.adapter.practice.office()
        assert office.her_id == CONTRACT_OFFICE.her_id
        assert [p.her_id for p in office.practitioners] == [KARI.her_id, OLA.her_id]
        assert office.practitioner(KARI.her_id) == KARI
        settings = OfficeSettings(
            per_gp={
                OLA.her_id: GpSettings(
                    services=frozenset({ServiceName.BOOKING}),
                    booking_mode=BookingMode.WISHES_ONLY,
                )
            }
        )
        backend.journal.set_settings(settings)
        seen = backend.adapter.practice.settings()
        assert seen.for_gp(OLA.her_id) == settings.for_gp(OLA.her_id)
        assert seen.for_gp(KARI.her_id) == GpSettings()

    # ----------------------------------------------------------------- inbox
    def test_deliver_lands_in_the_gps_inbox_intact(self, backend: ContractBackend) -> None:
        photo = Attachment(bytes(range(256)), "image/jpeg", "Bilde av ryggen")
        item = _item("m-deliver", attachments=(photo,))
        delivery = backend.adapter.inbox.deliver(item)
        assert not delivery.duplicate
        assert delivery.journal_id
        assert backend.journal.inbox_items(KARI.her_id) == [item]
        assert backend.journal.inbox_items(OLA.her_id) == []

    def test_same_message_twice_is_one_inbox_item(self, backend: ContractBackend) -> None:
        item = _item("m-twice")
        first = backend.adapter.inbox.deliver(item)
        second = backend.adapter.inbox.deliver(item)
        assert second.duplicate
        assert second.journal_id == first.journal_id
        assert len(backend.journal.inbox_items()) == 1

    def test_office_inbox_when_no_gp_is_named(self, backend: ContractBackend) -> None:
        item = _item("m-office", gp=None, service=ServiceName.CONTACT_OFFICE, kind="HE")
        backend.adapter.inbox.deliver(item)
        assert backend.journal.inbox_items() == [item]

    def test_unknown_gp_is_refused(self, backend: ContractBackend) -> None:
        stranger = Practitioner("999999", "Ukjent", "Lege")
        with pytest.raises(JournalRefusal) as caught:
            backend.adapter.inbox.deliver(_item("m-stranger", gp=stranger))
        assert caught.value.reason is RefusalReason.UNKNOWN_PRACTITIONER
        assert caught.value.retryable is False
        assert backend.journal.inbox_items() == []

    def test_switched_off_service_is_refused(self, backend: ContractBackend) -> None:
        backend.journal.set_settings(
            OfficeSettings(per_gp={KARI.her_id: GpSettings(services=frozenset())})
        )
        with pytest.raises(JournalRefusal) as caught:
            backend.adapter.inbox.deliver(_item("m-off"))
        assert caught.value.reason is RefusalReason.SERVICE_OFF

    def test_replies_wait_until_acknowledged(self, backend: ContractBackend) -> None:
        inbox = backend.adapter.inbox
        item = _item("m-reply")
        inbox.deliver(item)
        reply = Reply(ReplyKind.ANSWER, "Prøv varme og bevegelse.", responder=KARI)
        queued = backend.journal.answer(item.msg_id, reply)
        pending = inbox.outgoing()
        assert [m.id for m in pending] == [queued.id]
        message = pending[0]
        assert message.content == reply
        assert message.in_reply_to == item.msg_id
        assert message.conversation_id == item.conversation_id
        assert message.citizen == PER
        assert [m.id for m in inbox.outgoing()] == [queued.id]  # still there until acknowledged
        inbox.acknowledge(queued.id)
        inbox.acknowledge(queued.id)  # idempotent
        assert inbox.outgoing() == []
        with pytest.raises(JournalRefusal) as caught:
            inbox.acknowledge("no-such-id")
        assert caught.value.reason is RefusalReason.NOT_FOUND

    def test_office_started_dialog_is_collected(self, backend: ContractBackend) -> None:
        message = OfficeMessage("DI", "Prøvesvar", "Blodprøvene er fine.")
        service = ServiceName.E_CONSULTATION
        queued = backend.journal.start_dialog(PER, KARI.her_id, service, message)
        (collected,) = backend.adapter.inbox.outgoing()
        assert collected.id == queued.id
        assert collected.content == message
        assert collected.conversation_id is None
        assert collected.in_reply_to is None

    # -------------------------------------------------------------- calendar
    def test_free_slots_in_period_for_the_gp(self, backend: ContractBackend) -> None:
        kari = [_slot(KARI, 1, 9), _slot(KARI, 0, 8), _slot(KARI, 0, 8, 20), _slot(KARI, 9, 8)]
        backend.journal.open_slots([*kari, _slot(OLA, 0, 10)])
        found = backend.adapter.calendar.free_slots(KARI.her_id, MONDAY, MONDAY + timedelta(days=7))
        assert [s.uid for s in found] == [kari[1].uid, kari[2].uid, kari[0].uid]
        assert found[0] == kari[1]
        everyone = backend.adapter.calendar.free_slots(None, MONDAY, MONDAY + timedelta(days=1))
        assert {s.uid for s in everyone} == {kari[1].uid, kari[2].uid, f"k-{OLA.her_id}-0-1000"}

    def test_reserve_change_cancel(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        first, second = _slot(KARI, 0, 8), _slot(KARI, 0, 9)
        backend.journal.open_slots([first, second])
        booked = calendar.reserve(
            first.uid, PER, request_id="rt-1", practitioner_her_id=KARI.her_id
        )
        assert booked == first
        assert calendar.appointments(PER) == [first]
        assert calendar.appointments(EVA) == []
        week = (MONDAY, MONDAY + timedelta(days=7))
        assert [s.uid for s in calendar.free_slots(KARI.her_id, *week)] == [second.uid]
        # the same request again is the same booking, not a refusal
        assert calendar.reserve(first.uid, PER, request_id="rt-1") == first
        moved = calendar.change(first.uid, second.uid, PER, request_id="oet-1")
        assert moved == second
        assert calendar.appointments(PER) == [second]
        assert [s.uid for s in calendar.free_slots(KARI.her_id, *week)] == [first.uid]
        calendar.cancel(second.uid, PER, request_id="oat-1")
        calendar.cancel(second.uid, PER, request_id="oat-1")  # repeated request: no error
        assert calendar.appointments(PER) == []
        assert len(calendar.free_slots(KARI.her_id, *week)) == 2

    def test_calendar_refusals(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        slot = _slot(KARI, 0, 8)
        backend.journal.open_slots([slot])
        calendar.reserve(slot.uid, PER, request_id="rt-a")
        with pytest.raises(JournalRefusal) as taken:
            calendar.reserve(slot.uid, EVA, request_id="rt-b")
        assert taken.value.reason is RefusalReason.SLOT_UNAVAILABLE
        with pytest.raises(JournalRefusal) as foreign:
            calendar.cancel(slot.uid, EVA, request_id="oat-b")
        assert foreign.value.reason is RefusalReason.NOT_FOUND
        with pytest.raises(JournalRefusal) as unknown:
            calendar.free_slots("999999", MONDAY, MONDAY + timedelta(days=1))
        assert unknown.value.reason is RefusalReason.UNKNOWN_PRACTITIONER

    def test_wishes_only_gp_offers_no_slots(self, backend: ContractBackend) -> None:
        slot = _slot(OLA, 0, 8)
        backend.journal.open_slots([slot])
        backend.journal.set_settings(
            OfficeSettings(per_gp={OLA.her_id: GpSettings(booking_mode=BookingMode.WISHES_ONLY)})
        )
        calendar = backend.adapter.calendar
        assert calendar.free_slots(OLA.her_id, MONDAY, MONDAY + timedelta(days=1)) == []
        with pytest.raises(JournalRefusal) as caught:
            calendar.reserve(slot.uid, PER, request_id="rt-w", practitioner_her_id=OLA.her_id)
        assert caught.value.reason is RefusalReason.SERVICE_OFF

    def test_appointments_made_elsewhere_are_sent_out(self, backend: ContractBackend) -> None:
        slot = _slot(OLA, 2, 14)
        queued = backend.journal.book_elsewhere(slot, EVA, "Time hos Ola Kontrakt.")
        (notice,) = backend.adapter.inbox.outgoing()
        assert notice.id == queued.id
        assert notice.service is ServiceName.BOOKING
        assert isinstance(notice.content, Reply)
        assert notice.content.kind is ReplyKind.BOOKED
        assert notice.content.appointment == slot
        assert notice.in_reply_to is None
        assert backend.adapter.calendar.appointments(EVA) == [slot]

    # -------------------------------------------------------------- renewals
    def test_renewal_gets_assignee_and_outcome(self, backend: ContractBackend) -> None:
        renewals = backend.adapter.renewals
        request = _renewal("rf-1")
        assigned = renewals.receive(request)
        assert assigned.assignee
        assert assigned == request.assigned_to(assigned.assignee)
        assert renewals.receive(request) == assigned  # idempotent
        assert renewals.outcomes() == []
        m1 = (M1.encode(), M1.replace("Blåbær", "Tyttebær").encode())
        outcome = RenewalOutcome(RenewalResult.PARTLY_RENEWED, "Én er fornyet.", m1, KARI)
        backend.journal.decide_renewal("rf-1", outcome)
        (decision,) = renewals.outcomes()
        assert decision.request_msg_id == "rf-1"
        assert decision.conversation_id == request.conversation_id
        assert decision.outcome == outcome
        assert decision.outcome.m1_documents == m1  # byte for byte
        renewals.acknowledge(decision.id)
        assert renewals.outcomes() == []

    def test_renewal_for_unknown_gp_is_refused(self, backend: ContractBackend) -> None:
        with pytest.raises(JournalRefusal) as caught:
            backend.adapter.renewals.receive(_renewal("rf-x", Practitioner("999999", "A", "B")))
        assert caught.value.reason is RefusalReason.UNKNOWN_PRACTITIONER

    # -------------------------------------------------------------- failures
    def test_journal_down_is_unavailable_on_every_port(self, backend: ContractBackend) -> None:
        adapter = backend.adapter
        backend.faults.set_down(True)
        calls: list[Callable[[], object]] = [
            lambda: adapter.inbox.deliver(_item("m-down")),
            adapter.inbox.outgoing,
            lambda: adapter.calendar.free_slots(KARI.her_id, MONDAY, MONDAY + timedelta(days=1)),
            lambda: adapter.renewals.receive(_renewal("rf-down")),
            adapter.practice.office,
        ]
        for call in calls:
            with pytest.raises(JournalUnavailableError) as caught:
                call()
            assert caught.value.retryable is True
        backend.faults.set_down(False)
        adapter.inbox.deliver(_item("m-down"))
        assert [i.msg_id for i in backend.journal.inbox_items()] == ["m-down"]

    def test_timeout_is_unavailable_and_the_retry_makes_no_duplicate(
        self, backend: ContractBackend
    ) -> None:
        item = _item("m-slow")
        backend.faults.stall_next(10, self.stall_seconds)
        started = time.monotonic()
        with pytest.raises(JournalUnavailableError):
            backend.adapter.inbox.deliver(item)
        assert time.monotonic() - started < self.stall_seconds * 5
        backend.faults.clear()
        # Let the stalled journal finish what it started: no condition to wait on is common to
        # every vendor (a folder journal may have done the work and still be busy answering).
        time.sleep(self.stall_seconds)
        backend.adapter.inbox.deliver(item)
        assert [i.msg_id for i in backend.journal.inbox_items()] == ["m-slow"]

    def test_timeout_on_a_booking_and_the_retry_books_once(self, backend: ContractBackend) -> None:
        slot = _slot(KARI, 0, 8)
        backend.journal.open_slots([slot])
        calendar = backend.adapter.calendar
        backend.faults.stall_next(10, self.stall_seconds)
        with pytest.raises(JournalUnavailableError):
            calendar.reserve(slot.uid, PER, request_id="rt-slow")
        backend.faults.clear()
        time.sleep(self.stall_seconds)  # as above: the stalled journal finishes first
        # The answer was lost, not the booking: the same request again is the same booking,
        # not "taken" (which would tell the citizen 06 for the slot they hold).
        assert calendar.reserve(slot.uid, PER, request_id="rt-slow") == slot
        assert calendar.appointments(PER) == [slot]

    def test_transient_failures_never_duplicate(self, backend: ContractBackend) -> None:
        item = _item("m-flaky")
        slot = _slot(KARI, 0, 8)
        backend.journal.open_slots([slot])
        calls: list[Callable[[], object]] = [
            lambda: backend.adapter.inbox.deliver(item),
            lambda: backend.adapter.calendar.reserve(slot.uid, PER, request_id="rt-flaky"),
        ]
        for call in calls:
            backend.faults.fail_next(1)
            try:  # an adapter may absorb the failure by retrying, or raise it for the pipeline
                call()
            except JournalUnavailableError as exc:
                retryable = exc.retryable
                assert retryable is True
        backend.faults.clear()
        backend.adapter.inbox.deliver(item)
        assert backend.adapter.calendar.reserve(slot.uid, PER, request_id="rt-flaky") == slot
        assert len(backend.journal.inbox_items()) == 1
        assert backend.adapter.calendar.appointments(PER) == [slot]
