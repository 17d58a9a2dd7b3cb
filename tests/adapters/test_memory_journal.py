"""The journal behind every simulator: what it refuses, how the demo office answers by itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from lxml import etree

from digidialog.adapters import AutoAnswer, MemoryJournal, demo_journal, memory_adapter
from digidialog.adapters.memory import DEMO_OFFICE, OSLO, demo_slots, simulated_m1
from digidialog.adapters.ports import JournalRefusal, RefusalReason
from digidialog.adapters.testing import contract_journal
from digidialog.services import GpOffice, ServiceContext
from digidialog.services.types import (
    Citizen,
    DeliveryMethod,
    InboxItem,
    RenewalRequest,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)
from digidialog.xml.namespaces import M1_2013

NOW = datetime(2030, 1, 4, 12, 0, tzinfo=OSLO)  # a Friday
PER = Citizen("01017012345", "Per", "Pasient")
KARI, OLA = DEMO_OFFICE.practitioners


def _journal() -> MemoryJournal:
    return demo_journal(clock=lambda: NOW)


def _item(kind: str, service: ServiceName, msg_id: str = "m-1", **extra: object) -> InboxItem:
    fields: dict[str, object] = {
        "service": service,
        "process": "P",
        "kind": kind,
        "conversation_id": f"c-{msg_id}",
        "msg_id": msg_id,
        "citizen": PER,
        "practitioner_her_id": KARI.her_id,
        "subject": "Emne",
        "text": "Tekst",
        "received": NOW,
    }
    return InboxItem(**{**fields, **extra})  # type: ignore[arg-type]


def _reply(journal: MemoryJournal) -> Reply:
    (message,) = journal.outgoing()
    assert isinstance(message.content, Reply)
    return message.content


def test_demo_slots_are_on_working_days_from_eight() -> None:
    slots = demo_slots(DEMO_OFFICE, date(2030, 1, 5), days=2, per_day=3)  # from a Saturday
    assert len(slots) == 2 * 3 * 2
    assert {s.start.date() for s in slots} == {date(2030, 1, 7), date(2030, 1, 8)}
    assert min(s.start for s in slots).hour == 8
    assert len({s.uid for s in slots}) == len(slots)


@pytest.mark.parametrize(
    ("service", "kind", "expected"),
    [
        (ServiceName.E_CONSULTATION, "SB", ReplyKind.ANSWER),
        (ServiceName.CONTACT_OFFICE, "HE", ReplyKind.OFFICE_ANSWER),
    ],
)
def test_auto_answers(service: ServiceName, kind: str, expected: ReplyKind) -> None:
    journal = _journal()
    journal.deliver(_item(kind, service))
    reply = _reply(journal)
    assert reply.kind is expected
    assert reply.responder == KARI


def test_citizen_answer_gets_no_auto_reply() -> None:
    journal = _journal()
    journal.deliver(_item("22", ServiceName.E_CONSULTATION))
    assert journal.outgoing() == []


def test_wish_books_the_first_free_slot_then_moves_and_cancels_it() -> None:
    journal = _journal()
    journal.deliver(_item("OT", ServiceName.BOOKING, "ot", wish=TimeWish("Helst morgen")))
    booked = _reply(journal)
    assert booked.kind is ReplyKind.BOOKED
    assert booked.appointment is not None
    assert booked.appointment.practitioner == KARI
    assert booked.appointment.start == datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)
    assert journal.appointments(PER) == [booked.appointment]
    journal.acknowledge(journal.outgoing()[0].id)

    move = TimeWish("Senere", appointment=booked.appointment)
    journal.deliver(_item("OET", ServiceName.BOOKING, "oet", wish=move))
    moved = _reply(journal)
    assert moved.kind is ReplyKind.CHANGED
    assert moved.appointment is not None
    assert moved.appointment.start > booked.appointment.start
    journal.acknowledge(journal.outgoing()[0].id)

    cancel = TimeWish("Avlys", appointment=moved.appointment)
    journal.deliver(_item("OAT", ServiceName.BOOKING, "oat", wish=cancel))
    assert _reply(journal).kind is ReplyKind.CANCELLED
    assert journal.appointments(PER) == []


def test_wish_with_another_doctor_allowed_says_so() -> None:
    journal = _journal()
    kari_slots = journal.free_slots(KARI.her_id, NOW, NOW + timedelta(weeks=4))
    for n, slot in enumerate(kari_slots):
        journal.reserve(slot.uid, PER, request_id=f"fill-{n}")
    wish = TimeWish("Hvem som helst", accepts_other_practitioner=True)
    journal.deliver(_item("OT", ServiceName.BOOKING, "ot", wish=wish))
    reply = _reply(journal)
    assert reply.kind is ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER
    assert reply.appointment is not None
    assert reply.appointment.practitioner == OLA


def test_wish_without_free_slots_is_not_available() -> None:
    journal = MemoryJournal(DEMO_OFFICE, auto=AutoAnswer(time_wishes=True), clock=lambda: NOW)
    journal.deliver(_item("OT", ServiceName.BOOKING, wish=TimeWish("Snart")))
    assert _reply(journal).kind is ReplyKind.NOT_AVAILABLE


def test_unknown_cancel_wish_is_not_cancelled() -> None:
    journal = _journal()
    journal.deliver(_item("OAT", ServiceName.BOOKING, wish=TimeWish("Avlys")))
    assert _reply(journal).kind is ReplyKind.NOT_CANCELLED


def test_renewal_is_assigned_and_renewed_with_one_m1_each() -> None:
    journal = _journal()
    request = RenewalRequest(
        conversation_id="c-rf",
        msg_id="rf",
        citizen=PER,
        practitioner_her_id=OLA.her_id,
        kind="RF",
        text="Fornyelse",
        prescriptions=("Metformin 500 mg", "Atorvastatin <20 mg>"),
        delivery=DeliveryMethod.PHARMACY,
        received=NOW,
    )
    assigned = journal.receive_renewal(request)
    assert assigned.assignee == "Reseptansvarlig sykepleier"
    (decision,) = journal.renewal_outcomes()
    assert decision.outcome.result is RenewalResult.RENEWED
    assert decision.outcome.m1_documents == (
        simulated_m1("Metformin 500 mg", prescribed=NOW.date(), number=1),
        simulated_m1("Atorvastatin <20 mg>", prescribed=NOW.date(), number=2),
    )
    assert b"&lt;20 mg&gt;" in decision.outcome.m1_documents[1]


def test_simulated_m1_is_an_official_e_prescription(official_schema: etree.XMLSchema) -> None:
    m1 = etree.fromstring(simulated_m1("Ventoline <inhalator>", prescribed=date(2030, 1, 4)))
    assert etree.QName(m1).namespace == M1_2013
    assert official_schema.validate(m1), official_schema.error_log
    assert m1.findtext(".//{*}NavnFormStyrke") == "Ventoline <inhalator>"
    assert m1.findtext(f"{{{M1_2013}}}Utloper") == "2031-01-04"


def test_renewal_answer_with_simulated_m1s_validates_whole(
    official_schema: etree.XMLSchema,
) -> None:
    journal = _journal()
    office = GpOffice(ServiceContext(DEMO_OFFICE))
    line = Citizen("13116900216", "Line", "Danser")  # a valid synthetic fødselsnummer
    asked = office.renewal.request(
        line, KARI.her_id, "Metformin 500 mg\nVentoline inhalator", DeliveryMethod.PHARMACY
    )
    received = office.receive(asked.message)
    assert received.incoming is not None
    assert received.incoming.renewal is not None
    journal.receive_renewal(received.incoming.renewal)
    (decision,) = journal.renewal_outcomes()
    answer = office.renewal.answer(decision.conversation_id, decision.outcome)  # SV015 otherwise
    tree = etree.fromstring(answer.message.to_xml())
    assert len(tree.findall(f".//{{{M1_2013}}}Resept")) == 2  # distinct Ids side by side
    assert official_schema.validate(tree), official_schema.error_log


def test_renewal_assignee_defaults_to_the_gp() -> None:
    journal = MemoryJournal(DEMO_OFFICE)
    request = RenewalRequest(
        "c", "m", PER, KARI.her_id, "RF", "x", (), DeliveryMethod.PHARMACY, NOW
    )
    assert journal.receive_renewal(request).assignee == KARI.full_name
    assert journal.renewal_outcomes() == []  # quiet journal: the GP has not decided yet


def _rfer(*m1_documents: bytes) -> RenewalRequest:
    return RenewalRequest(
        conversation_id="c-rfer",
        msg_id="rfer",
        citizen=PER,
        practitioner_her_id=KARI.her_id,
        kind="RFER",
        text="Fornyelse",
        prescriptions=("Fornyelse",),
        delivery=DeliveryMethod.PHARMACY,
        received=NOW,
        m1_documents=m1_documents,
    )


def test_rfer_renews_all_but_a_and_b_medicines_from_their_m1() -> None:
    journal = _journal()
    last_year = date(2029, 2, 1)
    journal.receive_renewal(
        _rfer(
            simulated_m1("Metformin 500 mg", prescribed=last_year, number=1),
            simulated_m1("Sobril 10 mg", prescribed=last_year, number=2, group="B"),
            simulated_m1("Levaxin 50 mikrog", prescribed=last_year, number=3),
        )
    )
    (decision,) = journal.renewal_outcomes()
    assert decision.outcome.result is RenewalResult.PARTLY_RENEWED
    assert decision.outcome.m1_documents == (  # new M1s, renewed today, for the renewed part
        simulated_m1("Metformin 500 mg", prescribed=NOW.date(), number=1),
        simulated_m1("Levaxin 50 mikrog", prescribed=NOW.date(), number=2),
    )
    assert "Sobril 10 mg" in decision.outcome.text


def test_rfer_for_a_and_b_medicines_only_is_not_renewed() -> None:
    journal = _journal()
    journal.receive_renewal(
        _rfer(
            simulated_m1("Paralgin forte", prescribed=NOW.date(), number=1, group="B"),
            simulated_m1("OxyContin 10 mg", prescribed=NOW.date(), number=2, group="A"),
        )
    )
    (decision,) = journal.renewal_outcomes()
    assert decision.outcome.result is RenewalResult.NOT_RENEWED
    assert decision.outcome.m1_documents == ()
    assert "Paralgin forte, OxyContin 10 mg" in decision.outcome.text


def test_rfer_with_group_c_only_is_renewed() -> None:
    journal = _journal()
    journal.receive_renewal(_rfer(simulated_m1("Ventoline", prescribed=NOW.date())))
    (decision,) = journal.renewal_outcomes()
    assert decision.outcome.result is RenewalResult.RENEWED
    assert decision.outcome.m1_documents == (simulated_m1("Ventoline", prescribed=NOW.date()),)


def test_simulated_m1_in_group_b_is_valid(official_schema: etree.XMLSchema) -> None:
    m1 = etree.fromstring(simulated_m1("Sobril 10 mg", prescribed=NOW.date(), group="B"))
    assert official_schema.validate(m1), official_schema.error_log
    group = m1.find(".//{*}Reseptgruppe")
    assert group is not None
    assert (group.get("V"), group.get("DN")) == ("B", "Reseptgruppe B")


def test_book_elsewhere_takes_the_slot_and_announces_it() -> None:
    journal = _journal()
    slot = journal.free_slots(OLA.her_id, NOW, NOW + timedelta(weeks=1))[0]
    notice = journal.book_elsewhere(slot, PER)
    assert notice.in_reply_to is None
    assert notice.practitioner_her_id == OLA.her_id
    assert slot not in journal.free_slots(OLA.her_id, NOW, NOW + timedelta(weeks=1))


def _push(journal: MemoryJournal) -> Reply:
    message = journal.outgoing()[-1]
    assert message.in_reply_to is None
    assert message.conversation_id is None  # a push starts no conversation
    assert isinstance(message.content, Reply)
    return message.content


def test_desk_changes_cancels_and_records_a_no_show() -> None:
    journal = _journal()
    week = (NOW, NOW + timedelta(weeks=1))
    first, second, third = journal.free_slots(KARI.her_id, *week)[:3]
    journal.book_elsewhere(first, PER)

    journal.change_elsewhere(first.uid, second, PER)
    changed = _push(journal)
    assert (changed.kind, changed.appointment) == (ReplyKind.CHANGED, second)
    assert journal.appointments(PER) == [second]
    assert first in journal.free_slots(KARI.her_id, *week)  # the old time opens again

    journal.cancel_elsewhere(second.uid, PER)
    cancelled = _push(journal)
    assert (cancelled.kind, cancelled.appointment) == (ReplyKind.CANCELLED, second)
    assert journal.appointments(PER) == []
    assert second in journal.free_slots(KARI.her_id, *week)

    journal.book_elsewhere(third, PER)
    journal.record_no_show(third.uid, PER)
    missed = _push(journal)
    assert (missed.kind, missed.appointment) == (ReplyKind.NO_SHOW, third)
    assert journal.appointments(PER) == []
    assert third not in journal.free_slots(KARI.her_id, *week)  # the time is gone


STRANGER = Citizen("13116900216", "Line", "Danser")
DeskHand = Callable[[MemoryJournal, Slot, Slot], object]


@pytest.mark.parametrize(
    "hand",
    [
        lambda journal, slot, other: journal.change_elsewhere(slot.uid, other, STRANGER),
        lambda journal, slot, other: journal.cancel_elsewhere(slot.uid, STRANGER),
        lambda journal, slot, other: journal.record_no_show(other.uid, PER),
    ],
    ids=["change-not-theirs", "cancel-not-theirs", "no-show-not-booked"],
)
def test_desk_cannot_push_for_an_appointment_the_citizen_does_not_have(hand: DeskHand) -> None:
    journal = _journal()
    slot, other = journal.free_slots(KARI.her_id, NOW, NOW + timedelta(weeks=1))[:2]
    journal.book_elsewhere(slot, PER)
    queued = len(journal.outgoing())
    with pytest.raises(JournalRefusal) as caught:
        hand(journal, slot, other)
    assert caught.value.reason is RefusalReason.NOT_FOUND
    assert len(journal.outgoing()) == queued
    assert journal.appointments(PER) == [slot]


def test_answer_to_unknown_message_is_refused() -> None:
    with pytest.raises(JournalRefusal) as caught:
        contract_journal().answer("nope", Reply(ReplyKind.ANSWER, "x"))
    assert caught.value.reason is RefusalReason.NOT_FOUND


def test_memory_adapter_goes_through_the_wire_encoding() -> None:
    journal = _journal()
    adapter = memory_adapter(journal)
    item = _item("SB", ServiceName.E_CONSULTATION)
    assert adapter.inbox.deliver(item).duplicate is False
    (reply,) = adapter.inbox.outgoing()
    assert reply == journal.outgoing()[0]
    assert reply is not journal.outgoing()[0]  # decoded copy, not the journal's object
    renamed = dataclasses.replace(item, msg_id="m-2", practitioner_her_id="999")
    with pytest.raises(JournalRefusal):
        adapter.inbox.deliver(renamed)
