"""Conversations: threading by ConversationRef, rebuilding from stored messages, the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from digidialog.codes.processes import Party
from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services import (
    Conversation,
    GpOffice,
    InMemoryConversationStore,
    rebuild_conversations,
)

from .conftest import CITIZEN, GP, OFFICE, Clock, wire


def _thread(office: GpOffice, clock: Clock) -> list[MsgHead]:
    """An e-consultation with two answers and a close, as the wire carried it."""
    clock.now = datetime(2027, 3, 19, 9, 0, tzinfo=UTC)
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste i tre uker")
    office.receive(wire(asked.message))
    clock.now = datetime(2027, 3, 22, 9, 0, tzinfo=UTC)
    first = office.e_consultation.answer(asked.msg_id, "Har du feber?")
    clock.now = datetime(2027, 3, 22, 10, 0, tzinfo=UTC)
    second = office.e_consultation.answer(asked.msg_id, "Ta en blodprøve.")
    clock.now = datetime(2027, 3, 23, 10, 0, tzinfo=UTC)
    closed = office.e_consultation.close(asked.msg_id, "Avsluttet.")
    return [wire(m.message) for m in (asked, first, second, closed)]


def test_rebuild_from_stored_messages(office: GpOffice, clock: Clock) -> None:
    messages = _thread(office, clock)
    stored = office.context.store.get(messages[0].msg_id)
    rebuilt = Conversation.from_messages(reversed(messages), office=OFFICE)
    assert rebuilt.id == messages[0].msg_id
    assert [t.msg_id for t in rebuilt.turns] == [m.msg_id for m in messages]
    assert [t.code for t in rebuilt.turns] == ["SB", "12", "12", "13"]
    assert [t.sender for t in rebuilt.turns] == [
        Party.INNBYGGER,
        Party.HELSEPERSONELL,
        Party.HELSEPERSONELL,
        Party.HELSEPERSONELL,
    ]
    assert rebuilt.closed
    assert rebuilt.answered
    assert rebuilt.due == date(2027, 3, 31)
    assert rebuilt.citizen.national_id == CITIZEN.national_id
    assert rebuilt.practitioner_her_id == GP.her_id
    assert stored is not None
    assert [t.msg_id for t in stored.turns] == [t.msg_id for t in rebuilt.turns]
    assert all(t.parent_id == messages[0].msg_id for t in rebuilt.turns[1:])


def test_rebuilt_conversation_keeps_working(office: GpOffice, clock: Clock) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    office.receive(wire(asked.message))
    answered = office.contact.answer(asked.msg_id, "Notert")
    rebuilt = Conversation.from_messages(
        [wire(asked.message), wire(answered.message)], office=OFFICE
    )
    fresh = InMemoryConversationStore([rebuilt])
    assert fresh.by_message(answered.msg_id) == rebuilt
    assert fresh.get(asked.msg_id) == rebuilt
    assert len(fresh) == 1
    assert not rebuilt.closed
    assert rebuilt.parent_for(Party.HELSEPERSONELL) == asked.msg_id
    assert rebuilt.parent_for(Party.INNBYGGER) == answered.msg_id


def test_rebuild_needs_exactly_one_opening(office: GpOffice, clock: Clock) -> None:
    messages = _thread(office, clock)
    with pytest.raises(ServiceError) as missing:
        Conversation.from_messages(messages[1:], office=OFFICE)
    assert missing.value.rule == "SV005"
    other = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    with pytest.raises(ServiceError) as two:
        Conversation.from_messages([*messages, wire(other.message)], office=OFFICE)
    assert two.value.rule == "SV005"


def test_rebuild_refuses_a_thread_that_breaks_the_rules(office: GpOffice, clock: Clock) -> None:
    messages = _thread(office, clock)
    late = messages[1].model_copy(deep=True)
    late.msg_info.msg_id = "11111111-2222-4333-8444-555555555555"
    late.msg_info.gen_date = "2027-03-24T10:00:00+00:00"  # after the close
    with pytest.raises(ServiceError) as error:
        Conversation.from_messages([*messages, late], office=OFFICE)
    assert error.value.rule == "SV004"


def test_rebuild_refuses_a_message_of_another_thread(office: GpOffice, clock: Clock) -> None:
    messages = _thread(office, clock)
    stray = messages[1].model_copy(deep=True)
    assert stray.msg_info.conversation_ref is not None
    stray.msg_info.conversation_ref.ref_to_conversation = "99999999-2222-4333-8444-555555555555"
    stray.msg_info.msg_id = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ServiceError) as error:
        Conversation.from_messages([messages[0], stray], office=OFFICE)
    assert error.value.rule == "SV006"


def test_duplicate_message_is_refused(office: GpOffice) -> None:
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Klare")
    answer = office.e_consultation.citizen_reply(started.conversation_id, "Takk")
    assert office.e_consultation.handle(wire(answer.message)).item.kind == "22"
    with pytest.raises(ServiceError) as error:
        office.e_consultation.handle(wire(answer.message))
    assert error.value.rule == "SV008"


def test_reply_found_by_parent_when_conversation_ref_is_off(office: GpOffice) -> None:
    """RefToConversation naming the parent instead of the first message still threads."""
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Klare")
    answer = wire(office.e_consultation.citizen_reply(started.conversation_id, "Takk").message)
    assert answer.msg_info.conversation_ref is not None
    answer.msg_info.conversation_ref.ref_to_conversation = "99999999-2222-4333-8444-555555555555"
    incoming = office.e_consultation.handle(answer)
    assert incoming.conversation.id == started.conversation_id


def test_rebuild_store_leaves_out_only_what_does_not_fit(office: GpOffice, clock: Clock) -> None:
    messages = _thread(office, clock)
    late = messages[1].model_copy(deep=True)
    late.msg_info.msg_id = "11111111-2222-4333-8444-555555555555"
    late.msg_info.gen_date = "2027-03-24T10:00:00+00:00"  # after the close: refused (SV004)
    contact = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    office.receive(wire(contact.message))
    noted = office.contact.answer(contact.msg_id, "Notert")
    orphan = wire(office.contact.answer(contact.msg_id, "Igjen").message)
    orphan.msg_info.conversation_ref.ref_to_conversation = "22222222-2222-4333-8444-555555555555"  # type: ignore[union-attr]
    orphan.msg_info.conversation_ref.ref_to_parent = "33333333-2222-4333-8444-555555555555"  # type: ignore[union-attr]

    store = InMemoryConversationStore()
    stored = [late, *reversed(messages), wire(noted.message), wire(contact.message), orphan]
    left_out = rebuild_conversations(store, stored, office=OFFICE)

    assert [(key, error.rule) for key, error in left_out] == [
        (late.msg_id, "SV004"),
        ("22222222-2222-4333-8444-555555555555", "SV005"),
    ]
    e_consultation = store.get(messages[0].msg_id)
    assert e_consultation is not None
    assert [t.code for t in e_consultation.turns] == ["SB", "12", "12", "13"]
    assert e_consultation.due == date(2027, 3, 31)
    contact_thread = store.get(contact.msg_id)
    assert contact_thread is not None
    assert [t.msg_id for t in contact_thread.turns] == [contact.msg_id, noted.msg_id]


def test_rebuild_store_threads_by_parent_when_conversation_ref_is_off(office: GpOffice) -> None:
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Klare")
    answer = wire(office.e_consultation.citizen_reply(started.conversation_id, "Takk").message)
    answer.msg_info.conversation_ref.ref_to_conversation = "99999999-2222-4333-8444-555555555555"  # type: ignore[union-attr]
    store = InMemoryConversationStore()
    assert rebuild_conversations(store, [answer, wire(started.message)], office=OFFICE) == []
    rebuilt = store.get(started.conversation_id)
    assert rebuilt is not None
    assert [t.code for t in rebuilt.turns] == ["DI", "22"]


def test_resume_reads_a_threaded_message_back_without_threading_it_again(
    office: GpOffice, make_office: Callable[..., GpOffice]
) -> None:
    # What the office pipeline does for a message still pending when the office stopped:
    # `restore` rebuilt its thread, and `resume` gives what `handle` gave, from that thread.
    asked = wire(office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste.").message)
    handled = office.e_consultation.handle(asked)
    restarted = make_office()
    assert rebuild_conversations(restarted.context.store, [asked], office=OFFICE) == []
    resumed = restarted.e_consultation.resume(asked)
    assert resumed.item == handled.item
    assert resumed.conversation == handled.conversation
    with pytest.raises(ServiceError) as again:  # threading it a second time is refused
        restarted.e_consultation.handle(asked)
    assert again.value.rule == "SV008"
    with pytest.raises(ServiceError) as unknown:  # nothing rebuilt: nothing to resume
        make_office().e_consultation.resume(asked)
    assert unknown.value.rule == "SV005"
