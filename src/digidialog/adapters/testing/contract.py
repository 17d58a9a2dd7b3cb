"""The contract suite itself; see `digidialog.adapters.testing` for how to use it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    Undelivered,
)
from digidialog.adapters.registry import start_with_simulator
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import (
    AppointmentType,
    Attachment,
    BookingMode,
    Citizen,
    ClinicalFlag,
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

    def renewal_requests(self) -> list[RenewalRequest]: ...

    def set_settings(self, settings: OfficeSettings) -> None: ...

    def undelivered_notices(self) -> list[Undelivered]: ...


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

# ----------------------------------------------------------------- full-fidelity records
#: Every byte value, so no encoding (text, a base64 variant, a line-ending fix) goes unnoticed.
ALL_BYTES = bytes(range(256))
_PARAGRAPH = (
    "Hei! Jeg har hatt vondt i kneet siden skituren på Blåfjell – det verker om natta.\r\n"
    "Æ, Ø og Å: «blåbærsyltetøy», «ærfugl», «Østre Toten»; é, ü og 🙂.\n"
    "\tEn linje med tabulator og  doble  mellomrom.\n"
    "\n"
    "Hilsen Åse\r"
)
#: Multi-line Norwegian text far over 64 KiB, with CRLF, LF and lone CR line ends, a tab, a
#: character outside the BMP and spaces at both ends: none of it may be cut, trimmed or rewritten.
LONG_TEXT = "  " + _PARAGRAPH * 450 + "  siste linje, uten linjeskift  "
#: A photo (every byte value, ~75 KiB), an empty file and a text file with CRLF line ends.
ATTACHMENTS = (
    Attachment(ALL_BYTES * 300, "image/jpeg", "Bilde av kneet – tatt på Blåfjell"),
    Attachment(b"", "text/plain", "tom fil"),
    Attachment("Linje 1\r\nLinje 2: æøå ÆØÅ\n".encode(), "text/plain; charset=utf-8", ""),
)
#: A citizen with every field set, and a child she writes for (Pasientrelasjon: `acting_for`).
ASE = Citizen(
    "03039012345",
    "Åse",
    "Ødegård-Ærø",
    middle_name="Øydis",
    sms_notification=False,
    mobile="+4791234567",
)
CHILD = Citizen("15062012345", "Lille", "Ødegård")
SUMMER = datetime(2030, 7, 1, 8, 0, tzinfo=OSLO)  # +02:00 (MONDAY is +01:00)
#: A slot with every field set, in summer time, with a uid that needs escaping in a URL.
RICH_SLOT = Slot(
    uid="k/sommer 1?rom=2&lege=Kari#æ %20",
    start=SUMMER,
    end=SUMMER + timedelta(minutes=30),
    type=AppointmentType.VIDEO,
    location="Kontraktsenteret, rom 2 – 2. etasje",
    practitioner=KARI,
    description="Videotime.\r\nLenken kommer på SMS.",
    appointment_id="avtale-æ/17",
)
#: An M1 as a journal's prescription module may write it: a byte order mark and CRLF.
M1_CRLF = b"\xef\xbb\xbf" + M1.replace("><", ">\r\n<").encode()


def _differences(got: object, expected: object, where: str = "") -> list[str]:
    """Where `got` is not `expected`: the path of each field that differs, and how.

    A time must also keep its UTC offset: `==` on aware datetimes compares instants only, but
    08:00+02:00 sent on as 06:00Z tells the citizen to come at six.
    """
    here = where or "the record"
    if type(got) is not type(expected):
        return [f"{here}: {type(got).__name__} where {type(expected).__name__} belongs"]
    if dataclasses.is_dataclass(got) and not isinstance(got, type):
        return [
            difference
            for f in dataclasses.fields(got)
            for difference in _differences(
                getattr(got, f.name), getattr(expected, f.name), f"{where}.{f.name}"
            )
        ]
    if isinstance(got, list | tuple) and isinstance(expected, list | tuple):
        if len(got) != len(expected):
            return [f"{here}: {len(got)} items where {len(expected)} belong"]
        return [
            difference
            for n, (one, other) in enumerate(zip(got, expected, strict=True))
            for difference in _differences(one, other, f"{where}[{n}]")
        ]
    if isinstance(got, datetime) and isinstance(expected, datetime):
        if got.isoformat() != expected.isoformat():
            return [f"{here}: {got.isoformat()} where {expected.isoformat()} belongs"]
        return []
    if got == expected:
        return []
    if isinstance(got, str | bytes) and isinstance(expected, str | bytes):
        first = next(
            (n for n, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
            min(len(got), len(expected)),
        )
        return [
            f"{here}: {len(got)} {type(got).__name__} units where {len(expected)} belong, "
            f"first different at {first}: {got[first : first + 20]!r} where "
            f"{expected[first : first + 20]!r} belongs"
        ]
    return [f"{here}: {got!r} where {expected!r} belongs"]


def _assert_identical(got: object, expected: object) -> None:
    """`got` is `expected` field for field, byte for byte, every time with its UTC offset."""
    differences = _differences(got, expected)
    shown = "; ".join(differences[:6]) + (
        f" (and {len(differences) - 6} more)" if len(differences) > 6 else ""
    )
    assert not differences, f"not what was sent: {shown}"
    assert got == expected


def _assert_unavailable(what: str, call: Callable[[], object]) -> None:
    """`call` (operation `what`) on a journal that is down raises a retryable unavailable."""
    try:
        call()
    except JournalUnavailableError as exc:
        retryable = exc.retryable
    except AdapterError as exc:
        pytest.fail(f"{what}: {type(exc).__name__} ({exc}) where JournalUnavailableError belongs")
    else:
        pytest.fail(f"{what}: answered as if done while the journal is down")
    assert retryable is True, f"{what}: a JournalUnavailableError that is not retryable"


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

    # ------------------------------------------------------- every field, byte for byte
    def test_deliver_keeps_every_field(self, backend: ContractBackend) -> None:
        follow_up = InboxItem(
            service=ServiceName.E_CONSULTATION,
            process="DIALOG_INNBYGGER_EKONSULTASJON",
            kind="22",
            conversation_id="conv-æ/1",
            msg_id="m-full-22",
            citizen=CHILD,
            practitioner_her_id=KARI.her_id,
            subject="Svar: Vondt i kneet – «Blåfjell»",
            text=LONG_TEXT,
            received=datetime(2030, 1, 7, 7, 59, 58, 123456, tzinfo=UTC),
            parent_msg_id="m-kari-answer-1",
            attachments=ATTACHMENTS,
            due=date(2030, 1, 14),
            acting_for=ASE,
        )
        wish = InboxItem(
            service=ServiceName.BOOKING,
            process="DIALOG_INNBYGGER_TIMEONSKE",
            kind="OET",
            conversation_id="conv-oet",
            msg_id="m-full-oet",
            citizen=CHILD,
            practitioner_her_id=OLA.her_id,
            subject="Flytte time",
            text="Kan timen flyttes\r\ntil etter kl. 15?",
            received=SUMMER - timedelta(days=3),
            wish=TimeWish("Etter kl. 15, helst tirsdag.\nGjerne video.", True, RICH_SLOT),
            acting_for=ASE,
        )
        for item in (follow_up, wish):
            assert not backend.adapter.inbox.deliver(item).duplicate
        _assert_identical(list(backend.journal.inbox_items()), [follow_up, wish])

    def test_replies_keep_every_field(self, backend: ContractBackend) -> None:
        inbox, journal = backend.adapter.inbox, backend.journal
        question = _item("m-full-sb")
        wish = _item("m-full-ot", gp=OLA, service=ServiceName.BOOKING, kind="OT")
        for item in (question, wish):
            inbox.deliver(item)
        answer = Reply(
            ReplyKind.ANSWER,
            LONG_TEXT,
            ATTACHMENTS,
            responder=OLA,
            clinical_flags=frozenset(ClinicalFlag),
        )
        booked = Reply(
            ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER,
            "Du har fått time hos Kari Kontrakt.\r\nMøt ti minutter før.",
            appointment=RICH_SLOT,
            responder=KARI,
        )
        notice = OfficeMessage("EKI", "Beskjed fra kontoret – «viktig»", LONG_TEXT, ATTACHMENTS)
        queued = [
            journal.answer(question.msg_id, answer),
            journal.answer(wish.msg_id, booked),
            journal.start_dialog(ASE, None, ServiceName.CONTACT_OFFICE, notice),
        ]
        collected = {m.id: m for m in inbox.outgoing()}
        assert sorted(collected) == sorted(m.id for m in queued)
        for message in queued:  # content, citizen, GP, conversation, in_reply_to and created
            _assert_identical(collected[message.id], message)

    def test_renewal_request_and_outcome_keep_every_field(self, backend: ContractBackend) -> None:
        renewals, journal = backend.adapter.renewals, backend.journal
        rfer = RenewalRequest(
            conversation_id="conv-rfer-æ",
            msg_id="rfer-full",
            citizen=CHILD,
            practitioner_her_id=OLA.her_id,
            kind="RFER",
            text=LONG_TEXT,
            prescriptions=("Ventoline 0,1 mg/dose inhalasjonsaerosol", "Æ-vitamin «Blå» 10 µg"),
            delivery=DeliveryMethod.POST_TO_GIVEN_ADDRESS,
            received=SUMMER,
            m1_documents=(M1_CRLF, ALL_BYTES),
            acting_for=ASE,
        )
        rf = _renewal("rf-full")
        received = [renewals.receive(rfer), renewals.receive(rf)]
        for request, assigned in zip((rfer, rf), received, strict=True):
            assert assigned.assignee
            _assert_identical(assigned, request.assigned_to(assigned.assignee))
        _assert_identical(list(journal.renewal_requests()), received)
        partly = RenewalOutcome(
            RenewalResult.PARTLY_RENEWED,
            "Fornyet: Ventoline.\r\nIkke fornyet: Æ-vitamin – bestill time.",
            (M1_CRLF, ALL_BYTES * 4, M1.encode()),
            OLA,
        )
        refused = RenewalOutcome(RenewalResult.NOT_RENEWED, "Krever konsultasjon.\n")
        decided = [journal.decide_renewal(rfer.msg_id, partly)]
        decided.append(journal.decide_renewal(rf.msg_id, refused))
        collected = {d.id: d for d in renewals.outcomes()}
        assert sorted(collected) == sorted(d.id for d in decided)
        for decision in decided:
            _assert_identical(collected[decision.id], decision)

    def test_appointment_times_keep_their_offsets(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        winter = _slot(KARI, 0, 8)  # 08:00+01:00
        # across the switch to summer time: starts at +01:00, ends at +02:00
        dst = Slot(
            "k-dst",
            datetime(2030, 3, 31, 1, 50, tzinfo=OSLO),
            datetime(2030, 3, 31, 3, 10, tzinfo=OSLO),
            practitioner=KARI,
        )
        # for any GP, in UTC: 08:30 in Oslo
        utc = Slot(
            "k-utc",
            datetime(2030, 7, 1, 6, 30, tzinfo=UTC),
            datetime(2030, 7, 1, 6, 50, tzinfo=UTC),
            type=AppointmentType.URGENT,
        )
        backend.journal.open_slots([RICH_SLOT, utc, winter, dst])
        year = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
        _assert_identical(
            list(calendar.free_slots(KARI.her_id, *year)), [winter, dst, RICH_SLOT, utc]
        )
        booked = calendar.reserve(
            RICH_SLOT.uid, PER, request_id="rt-tz", practitioner_her_id=KARI.her_id
        )
        _assert_identical(booked, RICH_SLOT)
        _assert_identical(calendar.change(RICH_SLOT.uid, dst.uid, PER, request_id="oet-tz"), dst)
        _assert_identical(calendar.reserve(utc.uid, PER, request_id="rt-utc"), utc)
        _assert_identical(list(calendar.appointments(PER)), [dst, utc])
        _assert_identical(list(calendar.free_slots(None, *year)), [winter, RICH_SLOT])

    # ------------------------------------------------------------- the journal's order
    def test_outbox_keeps_the_journals_order(self, backend: ContractBackend) -> None:
        inbox, journal = backend.adapter.inbox, backend.journal
        questions = [_item(f"m-order-{n}") for n in range(4)]
        for item in questions:
            inbox.deliver(item)
        queued: list[OutgoingMessage] = []
        for n in range(12):  # replies, office dialogs and Avtaleutsending, interleaved
            if n % 3 == 0:
                reply = Reply(ReplyKind.ANSWER, f"Svar nummer {n}.")
                queued.append(journal.answer(questions[n // 3].msg_id, reply))
            elif n % 3 == 1:
                dialog = OfficeMessage("DI", f"Melding {n}", "Blodprøvene er fine.")
                queued.append(
                    journal.start_dialog(PER, KARI.her_id, ServiceName.E_CONSULTATION, dialog)
                )
            else:
                queued.append(journal.book_elsewhere(_slot(OLA, n, 10), EVA, f"Time nummer {n}."))
        order = [m.id for m in queued]  # the journal's ids run past 9: "10" sorts before "9"
        assert [m.id for m in inbox.outgoing()] == order
        assert [m.id for m in inbox.outgoing(limit=5)] == order[:5]
        for message in queued[:3]:
            inbox.acknowledge(message.id)
        assert [m.id for m in inbox.outgoing()] == order[3:]

    def test_renewal_outcomes_keep_the_journals_order(self, backend: ContractBackend) -> None:
        renewals, journal = backend.adapter.renewals, backend.journal
        requests = [_renewal(f"rf-order-{n:02d}") for n in range(12)]
        for request in requests:
            renewals.receive(request)
        decided: list[RenewalDecision] = []
        for n, request in enumerate(requests[7:] + requests[:7]):  # not the order received
            outcome = (
                RenewalOutcome(RenewalResult.RENEWED, f"Fornyet ({n}).", (M1.encode(),))
                if n % 2
                else RenewalOutcome(RenewalResult.NOT_RENEWED, f"Ikke fornyet ({n}).")
            )
            decided.append(journal.decide_renewal(request.msg_id, outcome))
        order = [d.id for d in decided]
        assert [d.id for d in renewals.outcomes()] == order
        assert [d.id for d in renewals.outcomes(limit=5)] == order[:5]
        for decision in decided[:3]:
            renewals.acknowledge(decision.id)
        assert [d.id for d in renewals.outcomes()] == order[3:]

    # ------------------------------------------------------------------ idempotency
    def test_repeated_calendar_requests_act_once(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        first, second = _slot(KARI, 0, 8), _slot(KARI, 0, 9)
        backend.journal.open_slots([first, second])
        assert calendar.reserve(first.uid, PER, request_id="rt-once") == first
        assert calendar.reserve(first.uid, PER, request_id="rt-once") == first
        assert calendar.change(first.uid, second.uid, PER, request_id="oet-once") == second
        # the citizen takes the freed time again; the repeated change is the first move, done:
        # neither "no such appointment" nor "taken", and nothing moves
        assert calendar.reserve(first.uid, PER, request_id="rt-again") == first
        assert calendar.change(first.uid, second.uid, PER, request_id="oet-once") == second
        assert calendar.appointments(PER) == [first, second]
        # a repeated cancel does not cancel the booking made again since
        calendar.cancel(second.uid, PER, request_id="oat-once")
        assert calendar.reserve(second.uid, PER, request_id="rt-second") == second
        calendar.cancel(second.uid, PER, request_id="oat-once")
        assert calendar.appointments(PER) == [first, second]
        # a repeated reservation whose booking was cancelled since does not book it again
        calendar.cancel(first.uid, PER, request_id="oat-first")
        assert calendar.reserve(first.uid, PER, request_id="rt-once") == first
        assert calendar.appointments(PER) == [second]
        day = (MONDAY, MONDAY + timedelta(days=1))
        assert [s.uid for s in calendar.free_slots(KARI.her_id, *day)] == [first.uid]

    def _lose_the_answer(
        self, backend: ContractBackend, what: str, call: Callable[[], object]
    ) -> None:
        """Run `call` with its answer lost: the journal does the work, the adapter times out."""
        backend.faults.stall_next(10, self.stall_seconds)
        try:
            _assert_unavailable(what, call)
        finally:
            backend.faults.clear()
        time.sleep(self.stall_seconds)  # the stalled journal finishes first (see above)

    def test_change_after_a_lost_answer_moves_once(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        first, second = _slot(KARI, 0, 8), _slot(KARI, 0, 9)
        backend.journal.open_slots([first, second])
        calendar.reserve(first.uid, PER, request_id="rt-move")
        move = (first.uid, second.uid, PER)
        self._lose_the_answer(
            backend, "calendar.change", lambda: calendar.change(*move, request_id="oet-slow")
        )
        # the journal moved it; the retry gets that move, not "no such appointment" (34)
        assert calendar.change(*move, request_id="oet-slow") == second
        assert calendar.appointments(PER) == [second]
        day = (MONDAY, MONDAY + timedelta(days=1))
        assert [s.uid for s in calendar.free_slots(KARI.her_id, *day)] == [first.uid]

    def test_cancel_after_a_lost_answer_cancels_once(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        slot = _slot(KARI, 0, 8)
        backend.journal.open_slots([slot])
        calendar.reserve(slot.uid, PER, request_id="rt-keep")
        self._lose_the_answer(
            backend,
            "calendar.cancel",
            lambda: calendar.cancel(slot.uid, PER, request_id="oat-slow"),
        )
        assert calendar.appointments(PER) == [], "a stall must do the work, then lose the answer"
        # the citizen books the time again before the retry arrives: the retry is the first
        # cancel, done, and must not cancel the new booking
        calendar.reserve(slot.uid, PER, request_id="rt-rebook")
        calendar.cancel(slot.uid, PER, request_id="oat-slow")
        assert calendar.appointments(PER) == [slot]

    def test_acknowledging_twice_is_harmless(self, backend: ContractBackend) -> None:
        inbox, renewals, journal = backend.adapter.inbox, backend.adapter.renewals, backend.journal
        message = OfficeMessage("DI", "Prøvesvar", "Blodprøvene er fine.")
        sent, waiting = (
            journal.start_dialog(who, KARI.her_id, ServiceName.E_CONSULTATION, message)
            for who in (PER, EVA)
        )
        assert [m.id for m in inbox.outgoing()] == [sent.id, waiting.id]
        inbox.acknowledge(sent.id)
        inbox.acknowledge(sent.id)
        assert [m.id for m in inbox.outgoing()] == [waiting.id]
        for msg_id in ("rf-ack-1", "rf-ack-2"):
            renewals.receive(_renewal(msg_id))
        outcome = RenewalOutcome(RenewalResult.NOT_RENEWED, "Krever konsultasjon.")
        done, pending = (journal.decide_renewal(m, outcome) for m in ("rf-ack-1", "rf-ack-2"))
        assert [d.id for d in renewals.outcomes()] == [done.id, pending.id]
        renewals.acknowledge(done.id)
        renewals.acknowledge(done.id)
        assert [d.id for d in renewals.outcomes()] == [pending.id]

    def test_undelivered_notice_keeps_every_field(self, backend: ContractBackend) -> None:
        rejected = Undelivered(
            msg_id="m-undelivered-12",
            service=ServiceName.E_CONSULTATION,
            kind="12",
            citizen=CHILD,
            practitioner_her_id=KARI.her_id,
            subject="Svar: Vondt i kneet – «Blåfjell»",
            reason="AppRec a-1: E10 Ugyldig fødselsnummer; E35 Mottaker finnes ikke <kode>",
            errors=("E10", "E35"),
            outgoing_id="out-7",
            in_reply_to="m-kari-question-1",
            conversation_id="conv-æ/1",
        )
        given_up = Undelivered(
            msg_id="m-undelivered-14",
            service=ServiceName.PRESCRIPTION_RENEWAL,
            kind="14",
            citizen=EVA,
            practitioner_her_id=None,
            subject="",
            reason="the transport refused the envelope: 403 Forbidden",
            decision_id="renewal-3",
        )
        backend.adapter.inbox.undelivered(rejected)
        backend.adapter.inbox.undelivered(given_up)
        assert backend.journal.undelivered_notices() == [rejected, given_up]

    def test_undelivered_notice_is_told_once_and_never_refused(
        self, backend: ContractBackend
    ) -> None:
        inbox = backend.adapter.inbox
        # A GP who has left the office still gets the notice told: to the office instead.
        notice = Undelivered(
            msg_id="m-undelivered-gone", service=ServiceName.CONTACT_OFFICE, kind="19",
            citizen=PER, practitioner_her_id="999999", subject="Svar", reason="rejected",
        )  # fmt: skip
        inbox.undelivered(notice)
        inbox.undelivered(notice)
        assert backend.journal.undelivered_notices() == [notice]

    # ------------------------------------------------------- unavailable, every operation
    def test_journal_down_is_unavailable_for_bookings(self, backend: ContractBackend) -> None:
        calendar = backend.adapter.calendar
        booked, free = _slot(KARI, 0, 8), _slot(KARI, 0, 9)
        backend.journal.open_slots([booked, free])
        calendar.reserve(booked.uid, PER, request_id="rt-before")
        backend.faults.set_down(True)
        calls: dict[str, Callable[[], object]] = {
            "calendar.reserve": lambda: calendar.reserve(free.uid, EVA, request_id="rt-down"),
            "calendar.change": lambda: calendar.change(
                booked.uid, free.uid, PER, request_id="oet-down"
            ),
            "calendar.cancel": lambda: calendar.cancel(booked.uid, PER, request_id="oat-down"),
            "calendar.appointments": lambda: calendar.appointments(PER),
        }
        for what, call in calls.items():
            _assert_unavailable(what, call)
        backend.faults.set_down(False)
        assert calendar.appointments(PER) == [booked]  # nothing was done meanwhile
        assert calendar.appointments(EVA) == []
        day = (MONDAY, MONDAY + timedelta(days=1))
        assert [s.uid for s in calendar.free_slots(KARI.her_id, *day)] == [free.uid]

    def test_journal_down_is_unavailable_for_acknowledgements(
        self, backend: ContractBackend
    ) -> None:
        adapter, journal = backend.adapter, backend.journal
        message = OfficeMessage("DI", "Prøvesvar", "Blodprøvene er fine.")
        queued = journal.start_dialog(PER, KARI.her_id, ServiceName.E_CONSULTATION, message)
        adapter.renewals.receive(_renewal("rf-down-ack"))
        outcome = RenewalOutcome(RenewalResult.NOT_RENEWED, "Krever konsultasjon.")
        decision = journal.decide_renewal("rf-down-ack", outcome)
        notice = Undelivered(
            msg_id="m-undelivered-down", service=ServiceName.E_CONSULTATION, kind="DI",
            citizen=PER, practitioner_her_id=KARI.her_id, subject="Prøvesvar", reason="rejected",
            outgoing_id=queued.id,
        )  # fmt: skip
        assert [m.id for m in adapter.inbox.outgoing()] == [queued.id]
        assert [d.id for d in adapter.renewals.outcomes()] == [decision.id]
        backend.faults.set_down(True)
        calls: dict[str, Callable[[], object]] = {
            "inbox.acknowledge": lambda: adapter.inbox.acknowledge(queued.id),
            "inbox.undelivered": lambda: adapter.inbox.undelivered(notice),
            "renewals.outcomes": adapter.renewals.outcomes,
            "renewals.acknowledge": lambda: adapter.renewals.acknowledge(decision.id),
            "practice.settings": adapter.practice.settings,
        }
        for what, call in calls.items():
            _assert_unavailable(what, call)
        backend.faults.set_down(False)
        assert journal.undelivered_notices() == []
        # not acknowledged: both are collected again, to be sent
        assert [m.id for m in adapter.inbox.outgoing()] == [queued.id]
        assert [d.id for d in adapter.renewals.outcomes()] == [decision.id]
