"""A message the office sent that never reached the citizen is told to the journal, once.

The journal took each message as sent when `collect()` acknowledged it; when helsenorge.no then
rejects it (AppRec status 2) or the transport gives it up, only `Inbox.undelivered` lets the GP
know that the citizen never got it.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from digidialog.adapters import OfficeMessage
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.model import MsgHead
from digidialog.pipeline import MessageStore, Queued
from digidialog.services import Reply, ReplyKind, ServiceName, SmsNotice
from digidialog.transport import BaseTransport, Envelope, TransportError

from .conftest import CITIZEN, GP, Parties
from .test_failure_paths import faulty_inbox, tampered

BAD_FNR = b"13116900217"  # fails its check digits: helsenorge.no answers E31


def journal_di(parties: Parties, subject: str = "Prøvesvar") -> tuple[str, MsgHead]:
    """The GP starts a dialog (DI) in the journal and the office collects it, but with a
    fødselsnummer helsenorge.no will reject (E31): the journal's outgoing id and the message
    queued in the outbox under that id, as `collect()` queues it."""
    outgoing = parties.journal.start_dialog(
        CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", subject, "Alt fint.")
    )
    start = parties.office.office.e_consultation.start(CITIZEN, GP, subject, "Alt fint.")
    bad = tampered(start.message, CITIZEN.national_id.encode(), BAD_FNR)
    packed = parties.office.pack_reply(bad)
    parties.office.store.record_collected(
        f"inbox:{outgoing.id}", bad.msg_id, Queued(packed.envelope, packed.xml),
        now=parties.clock(),
    )  # fmt: skip
    parties.journal.acknowledge(outgoing.id)
    return outgoing.id, bad


def test_a_message_helsenorge_rejects_is_told_to_the_journal(parties: Parties) -> None:
    outgoing_id, bad = journal_di(parties)
    assert parties.office.flush().sent == [bad.msg_id]
    parties.portal.flush()  # its AppRec E31 reaches the office
    told = parties.office.run_once().told
    [notice] = parties.journal.undelivered_notices()
    assert told.told == [notice]
    assert told.errors == []
    assert (notice.msg_id, notice.outgoing_id, notice.decision_id) == (
        bad.msg_id, outgoing_id, None
    )  # fmt: skip
    assert (notice.service, notice.kind, notice.subject) == (
        ServiceName.E_CONSULTATION, "DI", "Prøvesvar"
    )  # fmt: skip
    assert notice.errors == ("E31",)
    assert notice.reason.startswith("AppRec ")
    assert ": E31 " in notice.reason
    assert notice.citizen.national_id == BAD_FNR.decode()  # as the message named the patient
    assert notice.practitioner_her_id == GP
    assert (notice.in_reply_to, notice.conversation_id) == (None, None)  # it opened a dialog
    [entry] = parties.office.store.outbox("rejected")
    assert entry.journal_told
    assert entry.receipt_errors == ("E31",)

    parties.exchange()  # told once
    assert parties.journal.undelivered_notices() == [notice]
    assert parties.office.tell_journal().told == []


def test_a_reply_given_up_by_the_transport_is_told_to_the_journal(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.exchange()
    [item] = parties.journal.inbox_items()
    answer = parties.journal.answer(item.msg_id, Reply(ReplyKind.OFFICE_ANSWER, "Endret."))

    class Refusing(BaseTransport):
        def send(self, envelope: Envelope) -> None:
            raise TransportError("403 Forbidden: not a receiver here", retryable=False)

    parties.office.transport = Refusing()
    result = parties.office.run_once()
    assert len(result.flushed.failed) == 1
    [notice] = result.told.told
    assert parties.journal.undelivered_notices() == [notice]
    assert (notice.outgoing_id, notice.in_reply_to) == (answer.id, request.msg_id)
    assert notice.conversation_id == request.msg_id
    assert (notice.service, notice.kind, notice.errors) == (ServiceName.CONTACT_OFFICE, "19", ())
    assert notice.reason == "403 Forbidden: not a receiver here"
    assert notice.citizen == CITIZEN


def test_an_apprec_given_up_by_the_transport_owes_no_notice(parties: Parties) -> None:
    # The office's AppRec for a citizen's message never arrives: nothing the GP wrote went
    # missing, so the journal is told nothing of it (helsenorge.no resends what it got no AppRec
    # for). The office's automatic answer, given up on too, is told.
    class Refusing(BaseTransport):
        def send(self, envelope: Envelope) -> None:
            raise TransportError("refused", retryable=False)

    parties.office.transport = Refusing()
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.portal.flush()
    result = parties.office.run_once()
    apprec, answer = parties.office.store.outbox("failed")
    assert apprec.envelope.subject == "APPREC"  # code list 8279
    assert result.flushed.failed == [apprec.envelope.message_id, answer.envelope.message_id]
    assert [n.msg_id for n in result.told.told] == [answer.envelope.message_id]
    assert [n.msg_id for n in parties.journal.undelivered_notices()] == [
        answer.envelope.message_id
    ]  # fmt: skip
    assert parties.office.store.owed_notices() == []


def test_an_unavailable_journal_is_told_later(parties: Parties) -> None:
    _, first = journal_di(parties, "Første")
    _, second = journal_di(parties, "Andre")
    inbox = faulty_inbox(parties, undelivered_error=JournalUnavailableError("journal down"))
    parties.office.flush()
    parties.portal.flush()
    told = parties.office.run_once().told
    assert told.told == []
    assert [msg_id for msg_id, _ in told.errors] == [first.msg_id]  # the pass ends there
    assert [i.envelope.message_id for i in parties.office.store.owed_notices()] == [
        first.msg_id, second.msg_id
    ]  # fmt: skip

    inbox.undelivered_error = None
    assert [n.msg_id for n in parties.office.run_once().told.told] == [first.msg_id, second.msg_id]
    assert [n.msg_id for n in parties.journal.undelivered_notices()] == [
        first.msg_id, second.msg_id
    ]  # fmt: skip
    assert parties.office.store.owed_notices() == []


def test_a_notice_the_journal_refuses_is_kept_for_a_person(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    _, bad = journal_di(parties)
    faulty_inbox(parties, undelivered_error=AdapterError("the journal cannot read the notice"))
    parties.office.flush()
    parties.portal.flush()
    with caplog.at_level(logging.ERROR, logger="digidialog.pipeline.office"):
        told = parties.office.run_once().told
    assert [msg_id for msg_id, _ in told.errors] == [bad.msg_id]
    assert parties.office.store.owed_notices() == []  # not retried: a person must see to it
    [entry] = parties.office.store.outbox("rejected")
    assert not entry.journal_told
    assert entry.last_error is not None
    assert ": E31 " in entry.last_error  # the receiver's reason is kept, the journal's added
    assert entry.last_error.endswith("; journal not told: the journal cannot read the notice")
    assert "journal refused the notice that" in caplog.text


def test_the_portal_owes_no_notices(parties: Parties) -> None:
    # helsenorge.no's side has no journal: what the office rejects is kept, and owed to nobody.
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    bad = tampered(start.message, CITIZEN.national_id.encode(), BAD_FNR)
    parties.portal.store.enqueue(Queued(parties.portal.pack_reply(bad).envelope, b""), now=0.0)
    parties.portal.store.note_receipt_errors(bad.msg_id, "x", ("E31",), rejected=True)
    assert parties.portal.owes_notices is False
    assert parties.portal.store.owed_notices() == []


def test_a_store_from_before_notices_owes_them_for_what_never_arrived(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = MessageStore(path)
    contact = "DIALOG_INNBYGGER_EKONTAKT"
    # AppRecs owe no notice, by either spelling of their subject (AppRec before, 8279's APPREC).
    rows = (("m-rejected", contact), ("m-failed", contact), ("a-failed", "AppRec"),
            ("a-failed-8279", "APPREC"), ("m-sent", contact))  # fmt: skip
    for receiver, (message_id, subject) in enumerate(rows, 2):
        envelope = Envelope(b"x", "1", str(receiver), "application/xml", message_id, subject)
        store.enqueue(Queued(envelope, b"<x/>"), now=0.0)
    items = {i.envelope.message_id: i for i in store.outbox()}
    for item in items.values():
        store.mark_sent(item.id)
    store.note_receipt_errors("m-rejected", "AppRec a: E31", ("E31",), rejected=True)
    store.fail_outbox(items["m-failed"].id, "refused")
    store.fail_outbox(items["a-failed"].id, "refused")
    store.fail_outbox(items["a-failed-8279"].id, "refused")
    store.close()
    old = sqlite3.connect(path, isolation_level=None)  # as version 1 wrote it
    old.execute("DROP INDEX outbox_notice")
    old.execute("ALTER TABLE outbox DROP COLUMN notice")
    old.execute("ALTER TABLE outbox DROP COLUMN receipt_errors")
    old.execute("PRAGMA user_version=1")
    old.close()

    reopened = MessageStore(path)
    owed = [i.envelope.message_id for i in reopened.owed_notices()]
    assert owed == ["m-rejected", "m-failed"]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    reopened.close()
    assert [i.envelope.message_id for i in MessageStore(path).owed_notices()] == owed  # once


def test_a_rejection_that_overtakes_the_flush_is_kept(tmp_path: Path) -> None:
    # The receiver answered before the flush that sent the message marked it sent (a fast
    # broker): the rejection is kept, the journal owed its notice, and no SMS goes out for it.
    store = MessageStore(tmp_path / "s.db")
    envelope = Envelope(
        b"x", "1", "2", "application/xml", "m-fast", "DIALOG_INNBYGGER_TIMEBESTILLING"
    )
    store.enqueue(Queued(envelope, b"<x/>", SmsNotice("+4799887766")), now=0.0)
    [item] = store.due_outbox(now=0.0)
    assert store.note_receipt_errors(
        "m-fast", "AppRec a: E31", ("E31",), rejected=True, notice=True
    )
    assert store.mark_sent(item.id) is False  # so the flush sends no SMS
    [entry] = store.outbox()
    assert (entry.state, entry.receipt_errors, entry.sms_sent) == ("rejected", ("E31",), False)
    assert [i.envelope.message_id for i in store.owed_notices()] == ["m-fast"]
    assert store.owed_sms(now=100.0) == []
