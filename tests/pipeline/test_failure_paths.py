"""The failure branches of both ends, driven end to end (real keys, sqlite stores, journal).

Office (`OfficePipeline`): a schema-valid message that breaks business rules is rejected with the
AppRec codes the receipts choose (or X99 naming the rule); a synchronous one, which gets no
AppRec, with a 26 (or, where nobody can answer, a warning), its reason kept on the row; an AppRec
that matches nothing sent, or repeats one, is ignored; a journal answer the services cannot turn
into a reply fails the message (its AppRec OK still goes out); a journal error is answered with
31 and kept on the row (or, retryable, kept pending), and one while collecting does not stop
sending; a journal message built but not queued is queued as built; a ``pending`` answer reaches
the journal after a restart even when its dialog was closed meanwhile, and one no service
handles is failed; what the journal wants sent but cannot be built stays in the journal and is
reported once; a citizen's answer after the GP closed the dialog (13) reaches the journal.
Portal (`PortalEndpoint`): an office message that breaks business rules is rejected and not
kept; a second AppRec for a receipted message is a duplicate.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digidialog.adapters import (
    Delivery,
    Inbox,
    OfficeMessage,
    OutgoingMessage,
    Undelivered,
    memory_adapter,
)
from digidialog.errors import AdapterError, JournalUnavailableError, ServiceError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline import (
    Outcome,
    Packed,
    Queued,
    SecureChannel,
    Status,
    StoreError,
)
from digidialog.services import (
    HELSENORGE_TEST,
    Citizen,
    DeliveryMethod,
    GpOffice,
    GpSettings,
    InboxItem,
    OfficeSettings,
    Outgoing,
    Practitioner,
    RecordingNotifier,
    Reply,
    ReplyKind,
    ServiceContext,
    ServiceName,
)
from digidialog.xml.parser import parse_bytes

from .conftest import (
    CITIZEN,
    GP,
    OFFICE,
    Parties,
    make_parties,
    office_journal,
    restart_office,
)

PORTAL = HELSENORGE_TEST.unit_her_id
NEVER_SENT = "5f0e4c1a-9a53-4c55-8d0e-2b7f3c9d1e42"


# -- helpers -----------------------------------------------------------------------------------


def tampered(message: MsgHead, old: bytes, new: bytes) -> MsgHead:
    """`message` with one piece of its XML replaced, read back (it is signed when packed)."""
    xml = message.to_xml()
    assert xml.count(old) == 1
    return MsgHead.from_tree(parse_bytes(xml.replace(old, new)))


def to_office(parties: Parties, message: Outgoing | MsgHead) -> Outcome:
    """Queue `message` at the portal and hand its envelope to the office; the office's outcome.
    (The portal's own flush later brings the same envelope again: a duplicate, dropped.)"""
    return parties.office.receive(parties.portal.send(message).envelope)


def forged(apprec: AppRec, *, original: str | None = None) -> AppRec:
    """A second AppRec like `apprec`: a new id, and maybe another OriginalMsgId."""
    update: dict[str, Any] = {"id": str(uuid.uuid4())}
    if original is not None:
        update["original_msg_id"] = apprec.original_msg_id.model_copy(update={"id": original})
    return apprec.model_copy(update=update)


def report_digital_status(parties: Parties, *, active: bool) -> None:
    """helsenorge.no tells the office (Digitalbruker, SDAB) whether the citizen is digital."""
    parties.portal.send(parties.portal.services.status_notice(CITIZEN, GP, active=active))
    parties.exchange()
    assert parties.office.office.context.citizens.is_active(CITIZEN.national_id) is active


def answered_dialog(parties: Parties) -> tuple[MsgHead, Outgoing]:
    """The GP starts an e-consultation dialog (DI) and the citizen's answer (22) reaches the
    journal: the DI as the portal received it, and that answer."""
    parties.journal.start_dialog(
        CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Prøvesvar", "Alt fint.")
    )
    parties.exchange()
    [di] = parties.portal.messages.values()
    answer = parties.portal.services.e_consultation.citizen_reply(di.msg_id, "Takk!")
    parties.portal.send(answer)
    parties.exchange()
    assert [i.msg_id for i in parties.journal.inbox_items()] == [answer.msg_id]
    return di, answer


def close_dialog(parties: Parties, answer: Outgoing) -> None:
    """The GP closes the dialog (13) in reply to `answer`; the 13 is queued, not yet sent."""
    parties.journal.answer(answer.msg_id, Reply(ReplyKind.DIALOG_CLOSED, "Vi avslutter her."))
    assert len(parties.office.collect().queued) == 1


class FaultyInbox:
    """The journal's inbox port, failing with ``deliver_error`` / ``outgoing_error`` /
    ``undelivered_error`` while they are set (a journal down, a token expired, a record the
    adapter cannot read)."""

    def __init__(
        self,
        inner: Inbox,
        *,
        deliver_error: AdapterError | None = None,
        outgoing_error: AdapterError | None = None,
        undelivered_error: AdapterError | None = None,
    ) -> None:
        self.inner = inner
        self.deliver_error = deliver_error
        self.outgoing_error = outgoing_error
        self.undelivered_error = undelivered_error

    def deliver(self, item: InboxItem) -> Delivery:
        if self.deliver_error is not None:
            raise self.deliver_error
        return self.inner.deliver(item)

    def outgoing(self, limit: int = 100) -> list[OutgoingMessage]:
        if self.outgoing_error is not None:
            raise self.outgoing_error
        return list(self.inner.outgoing(limit))

    def acknowledge(self, outgoing_id: str) -> None:
        self.inner.acknowledge(outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        if self.undelivered_error is not None:
            raise self.undelivered_error
        self.inner.undelivered(notice)


def faulty_inbox(parties: Parties, **errors: AdapterError) -> FaultyInbox:
    """Put a `FaultyInbox` with ``errors`` in front of the office's journal inbox."""
    adapter = parties.office.bridge.adapter
    inbox = FaultyInbox(adapter.inbox, **errors)
    adapter.inbox = inbox
    return inbox


# -- office: receiving -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "code", "detail"),
    [
        # DD023: the patient's fødselsnummer fails its check digits; the receipts name it E31.
        (CITIZEN.national_id.encode(), b"13116900217", "E31", "fødselsnummer"),
        # DD053: a subject over 50 characters; no 8221 code fits, so X99 names the rule.
        (b">Adresse<", b">" + b"A" * 60 + b"<", "X99", "DD053: EmneSporsmal has 60 characters"),
    ],
    ids=["bad-national-id-E31", "long-subject-X99"],
)
def test_a_message_breaking_business_rules_is_rejected(
    parties: Parties, old: bytes, new: bytes, code: str, detail: str
) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    outcome = to_office(parties, tampered(request.message, old, new))
    assert (outcome.status, outcome.code) == (Status.REJECTED, code)
    assert detail in outcome.detail
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "rejected"

    parties.exchange()
    receipt = parties.portal.receipts_received[request.msg_id]
    assert not receipt.is_ok
    assert [e.v for e in receipt.error] == [code]
    assert parties.journal.inbox_items() == []
    assert list(parties.portal.messages) == []  # no reply either
    [sent] = parties.portal.store.outbox()  # the sender's own entry says it did not land
    assert (sent.envelope.message_id, sent.state) == (request.msg_id, "rejected")
    error = receipt.error[0]
    assert sent.last_error == f"AppRec {receipt.id}: {code} {error.ot or error.dn}"


@pytest.mark.parametrize(
    ("original", "why"),
    [(None, "already has an AppRec"), (NEVER_SENT, "which we did not send")],
    ids=["second-apprec-SV022", "unknown-original-SV021"],
)
def test_an_apprec_matching_nothing_sent_is_ignored(
    parties: Parties, original: str | None, why: str
) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.exchange()
    [reply_id] = [m for m in parties.portal.messages if m != request.msg_id]  # the 19
    first = parties.portal.receipts.issued(reply_id)
    assert first is not None
    assert parties.office.receipts.awaiting() == []  # the 19's AppRec was matched
    queued = len(parties.office.store.outbox())

    apprec = forged(first, original=original)
    outcome = parties.office.receive(parties.portal.channel.pack(apprec, OFFICE.her_id).envelope)
    assert (outcome.status, outcome.msg_id, outcome.msg_type) == (
        Status.IGNORED, apprec.id, "AppRec"
    )  # fmt: skip
    assert why in outcome.detail
    row = parties.office.store.received(PORTAL, apprec.id)
    assert row is not None
    assert row.state == "receipt"  # kept, for a person to look at
    assert len(parties.office.store.outbox()) == queued  # nothing answers an AppRec
    assert parties.office.receipts.awaiting() == []


def test_a_confirmation_the_services_refuse_fails_the_message(parties: Parties) -> None:
    # helsenorge.no said the citizen is no longer a digital user; a reservation already on its way
    # arrives after that. The journal books the slot, but the services will not write the 05 to
    # a citizen who is not digitally active (SV009): the message is kept as failed, for a person.
    report_digital_status(parties, active=False)
    now = datetime.now(UTC)
    slot = parties.journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    rt = parties.portal.services.booking.reserve(
        CITIZEN, GP, slot, accepts_other_practitioner=False
    )
    outcome = to_office(parties, rt)
    assert (outcome.status, outcome.code) == (Status.FAILED, "SV009")
    assert "not a digitally active user" in outcome.detail
    assert outcome.apprec is not None
    assert outcome.apprec.is_ok
    row = parties.office.store.received(PORTAL, rt.msg_id)
    assert row is not None
    assert row.state == "failed"
    assert row.last_error == outcome.detail
    assert [a.uid for a in parties.journal.appointments(CITIZEN)] == [slot.uid]

    parties.exchange()
    assert parties.portal.receipts_received[rt.msg_id].is_ok  # stored, so receipted OK
    assert [m for m in parties.portal.messages.values() if m.ref_to_parent == rt.msg_id] == []
    assert parties.office.retry_pending() == []  # failed is final


def test_an_answer_after_the_gp_closed_the_dialog_reaches_the_journal(parties: Parties) -> None:
    # The GP closes the dialog (13); the citizen writes again. HITS 1217 §3.2: helsenorge.no
    # shows «Dialog avsluttet», "men innbygger kan fortsette dialogen" — the GP must see it.
    di, answer = answered_dialog(parties)
    late = parties.portal.services.e_consultation.citizen_reply(di.msg_id, "Ett spørsmål til.")
    close_dialog(parties, answer)
    outcome = to_office(parties, late)
    assert (outcome.status, outcome.replies) == (Status.ACCEPTED, ())
    assert outcome.apprec is not None
    assert outcome.apprec.is_ok
    row = parties.office.store.received(PORTAL, late.msg_id)
    assert row is not None
    assert (row.state, row.last_error) == ("delivered", None)
    assert [i.msg_id for i in parties.journal.inbox_items()] == [answer.msg_id, late.msg_id]
    thread = parties.office.office.context.store.get(di.msg_id)
    assert thread is not None
    assert [t.code for t in thread.turns] == ["DI", "22", "13", "22"]
    assert not thread.closed  # the GP may answer again


def test_an_asynchronous_request_claiming_ack_n_is_answered_with_26(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    # DD030: e-kontakt is asynchronous, but this request says Ack N, so it gets no AppRec. The
    # sender must still learn it was rejected: a 26 in its thread (with the catalogue's Ack J).
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    bad = tampered(request.message, b'<Ack V="J"', b'<Ack V="N"')
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        outcome = to_office(parties, bad)
    assert (outcome.status, outcome.code, outcome.apprec) == (Status.REJECTED, "X99", None)
    assert "DD030" in outcome.detail
    [refusal] = outcome.replies
    assert refusal.ref_to_parent == request.msg_id
    assert caplog.records == []  # answered, so nothing to warn about
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "rejected"
    assert row.last_error == f"rejected (X99): {outcome.detail}"

    parties.exchange()
    assert request.msg_id not in parties.portal.receipts_received  # Ack N: none
    answer = parties.portal.messages[refusal.msg_id]
    dialog = answer.dialogmelding
    assert dialog is not None
    assert dialog.notat[0].tema_kodet.v == "26"
    assert parties.portal.receipts.issued(refusal.msg_id) is not None  # the 26 is receipted
    assert parties.office.receipts.awaiting() == []
    assert parties.journal.inbox_items() == []


def test_free_slots_asked_of_a_gp_not_here_are_rejected_and_the_reason_kept(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    # HLT (synchronous) to a GP helsenorge.no still lists but who has left the office: E20, which
    # no AppRec can carry. The demo office has no front desk to answer from, so no 26 either: the
    # message is rejected, not "answered", and the reason is logged and kept on the row.
    left = Practitioner("8140013", "Per", "Sluttet", hpr="9144891")
    stale = dataclasses.replace(OFFICE, practitioners=(*OFFICE.practitioners, left))
    today = datetime.now(UTC).date()
    hlt = GpOffice(ServiceContext(stale)).booking.fetch_free_slots(
        CITIZEN, left.her_id, today, today + timedelta(days=13)
    )
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        outcome = to_office(parties, hlt)
    assert (outcome.status, outcome.code, outcome.apprec, outcome.replies) == (
        Status.REJECTED, "E20", None, ()
    )  # fmt: skip
    [warning] = caplog.records
    assert warning.getMessage().startswith(
        f"synchronous message {hlt.msg_id} rejected and not answered: [SV024] "
    )
    row = parties.office.store.received(PORTAL, hlt.msg_id)
    assert row is not None
    assert row.state == "rejected"
    assert row.last_error is not None
    assert row.last_error.startswith("rejected (E20): ")
    assert parties.office.store.outbox() == []


@pytest.mark.parametrize("retryable", [False, True], ids=["for-good-31", "retryable-pending"])
def test_a_journal_error_on_delivery_is_answered_or_retried_and_kept(
    parties: Parties, caplog: pytest.LogCaptureFixture, retryable: bool
) -> None:
    # A journal error that retrying will not mend (an expired token, an answer the adapter cannot
    # read) is answered with 31 — and the row says the journal does not have the message. One the
    # adapter marks retryable is kept pending, as an unavailable journal.
    failure = AdapterError("POST /inbox: 401 Unauthorized", retryable=retryable)
    faulty_inbox(parties, deliver_error=failure)
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Tre uker.")
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        outcome = to_office(parties, request)
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert outcome.apprec is not None
    assert outcome.apprec.is_ok
    assert parties.journal.inbox_items() == []
    [logged] = caplog.records
    if retryable:
        assert (outcome.status, row.state, outcome.replies) == (Status.PENDING, "pending", ())
        assert logged.levelno == logging.WARNING
        return
    assert (outcome.status, row.state) == (Status.ACCEPTED, "answered")
    assert row.last_error == "journal: POST /inbox: 401 Unauthorized"
    assert outcome.detail == row.last_error
    assert logged.levelno == logging.ERROR
    assert logged.getMessage().startswith(f"journal did not take {request.msg_id}, answered 31")
    [reply] = outcome.replies
    assert reply.dialogmelding is not None
    assert reply.dialogmelding.notat[0].tema_kodet.v == "31"


def test_a_journal_error_while_collecting_does_not_stop_sending(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    # Reading the journal's outbox fails (a record the adapter cannot read): the pass reports it,
    # and what is due still goes out — here the AppRec for a request just taken.
    broken = AdapterError("outgoing record 7 cannot be read")
    faulty_inbox(parties, outgoing_error=broken)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.portal.flush()
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        result = parties.office.run_once()
    assert result.collected.errors == [("journal", broken)]
    assert result.flushed.sent == [outbox.envelope.message_id for outbox in
                                   parties.office.store.outbox()]  # fmt: skip
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    parties.portal.flush()
    assert parties.portal.receipts_received[request.msg_id].is_ok


def test_a_journal_message_built_but_not_queued_is_queued_as_built(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    # Building the renewal decision's answer records it in the thread; then the store is locked
    # and queueing it fails. The next collect must queue that same answer, not build it again
    # against a thread that already holds it (SV004, closed by the answer itself).
    journal = office_journal()  # decides renewals by itself
    parties, _ = make_parties(
        tmp_path, channels, memory_adapter(journal), journal, office_busy_timeout=0.05
    )
    asked = parties.portal.services.renewal.request(
        CITIZEN, GP, "Ventoline inhalator", DeliveryMethod.PHARMACY
    )
    parties.portal.send(asked)
    parties.portal.flush()
    [decision] = journal.renewal_outcomes()
    holder = sqlite3.connect(tmp_path / "office.db", isolation_level=None)

    def lock_store(message: Message, packed: Packed) -> None:
        if isinstance(message, MsgHead) and not holder.in_transaction:
            holder.execute("BEGIN IMMEDIATE")

    parties.office.on_packed = lock_store
    with pytest.raises(StoreError):
        parties.office.collect()
    holder.execute("ROLLBACK")
    holder.close()
    parties.office.on_packed = None
    assert journal.renewal_outcomes() == [decision]  # not acknowledged: still the journal's

    again = parties.office.collect()
    assert again.errors == []
    [answer] = again.queued
    assert journal.renewal_outcomes() == []
    parties.exchange()
    assert parties.portal.messages[answer.msg_id].ref_to_parent == asked.msg_id
    assert parties.office.collect().queued == []  # queued once


def test_a_request_neither_delivered_nor_answered_keeps_why(parties: Parties) -> None:
    # helsenorge.no said the citizen is not digital; the GP has e-consultation switched off. The
    # request must be refused with 26, which cannot be written to an inactive citizen (SV009):
    # the row is settled, and says why nothing went out.
    report_digital_status(parties, active=False)
    parties.office.office.context.settings = OfficeSettings(
        per_gp={GP: GpSettings(services=frozenset({ServiceName.BOOKING}))}
    )
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Tre uker.")
    outcome = to_office(parties, request)
    assert (outcome.status, outcome.replies) == (Status.ACCEPTED, ())
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "answered"
    assert row.last_error is not None
    assert row.last_error.startswith("[SV009] ")
    assert parties.journal.inbox_items() == []


# -- office: after a restart -------------------------------------------------------------------


def test_a_pending_answer_reaches_the_journal_after_a_restart(parties: Parties) -> None:
    # The citizen's second answer waits for the journal (down); the GP, seeing only the first,
    # closes the dialog. After a restart the thread is rebuilt with the waiting answer where it
    # stood (before the 13), and the retry delivers it, as it would have without the restart.
    di, answer = answered_dialog(parties)
    inbox = faulty_inbox(parties, deliver_error=JournalUnavailableError("journal is down"))
    late = parties.portal.services.e_consultation.citizen_reply(di.msg_id, "Ett spørsmål til.")
    assert to_office(parties, late).status is Status.PENDING
    close_dialog(parties, answer)

    inbox.deliver_error = None
    restarted = restart_office(parties)
    assert restarted.restored.left_out == []
    thread = restarted.office.context.store.get(di.msg_id)
    assert thread is not None
    assert [t.code for t in thread.turns] == ["DI", "22", "22", "13"]
    parties.clock.advance(3600)
    [outcome] = restarted.retry_pending()
    assert (outcome.status, outcome.msg_id) == (Status.ACCEPTED, late.msg_id)
    assert outcome.apprec is None  # its AppRec OK went out when it was stored
    row = restarted.store.received(PORTAL, late.msg_id)
    assert row is not None
    assert row.state == "delivered"
    assert [i.msg_id for i in parties.journal.inbox_items()] == [answer.msg_id, late.msg_id]
    assert restarted.retry_pending() == []


def test_a_pending_message_no_service_handles_is_failed(parties: Parties) -> None:
    # The office keeps only messages its services threaded pending. Should its store hold another
    # one (written by a build with other processes), the retry cannot thread it: SV013, failed.
    kt = parties.portal.services.communication_test(CITIZEN, GP)
    assert to_office(parties, kt).status is Status.ACCEPTED
    row = parties.office.store.received(PORTAL, kt.msg_id)
    assert row is not None
    parties.office.store.settle(row.id, "pending", next_attempt=parties.clock())

    restarted = restart_office(parties)
    [outcome] = restarted.retry_pending()
    assert (outcome.status, outcome.code) == (Status.FAILED, "SV013")
    assert outcome.detail == "[SV013] no service handles DIALOG_INNBYGGER_TEST"
    row = restarted.store.received(PORTAL, kt.msg_id)
    assert row is not None
    assert (row.state, row.last_error) == ("failed", outcome.detail)
    assert restarted.retry_pending() == []


# -- office: sending ---------------------------------------------------------------------------


def test_what_cannot_be_built_stays_in_the_journal_and_is_logged_once(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    report_digital_status(parties, active=False)
    queued = len(parties.office.store.outbox())  # the AppRec for the status notice
    out = parties.journal.start_dialog(
        CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Prøvesvar", "Alt fint.")
    )
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        first = parties.office.collect()
        second = parties.office.collect()
    for result in (first, second):
        assert result.queued == []
        [(journal_id, error)] = result.errors
        assert journal_id == f"inbox:{out.id}"
        assert isinstance(error, ServiceError)
        assert error.rule == "SV009"
    [logged] = caplog.records  # the second pass says nothing new
    assert logged.getMessage().startswith(f"cannot send inbox:{out.id}: [SV009] ")
    assert [m.id for m in parties.journal.outgoing()] == [out.id]  # not acknowledged
    assert len(parties.office.store.outbox()) == queued

    report_digital_status(parties, active=True)  # a digital user again: it goes out now
    assert [m.id for m in parties.journal.sent()] == [out.id]
    [di] = parties.portal.messages.values()
    assert di.msg_id == parties.office.store.collected(f"inbox:{out.id}")


def test_messages_that_cannot_be_built_do_not_hold_up_the_rest(parties: Parties) -> None:
    # Three DIs to a citizen helsenorge.no says is not digital stay unacknowledged at the head of
    # the journal's list; with a limit of three, the DI to another citizen behind them still goes.
    report_digital_status(parties, active=False)
    for n in range(3):
        parties.journal.start_dialog(
            CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", f"Info {n}", "Hei.")
        )
    other = Citizen("13115710057", "Far", "Danser")
    good = parties.journal.start_dialog(
        other, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Prøvesvar", "Alt fint.")
    )
    first = parties.office.collect(limit=3)
    assert (len(first.errors), first.queued) == (3, [])
    second = parties.office.collect(limit=3)
    assert len(second.errors) == 3
    [sent] = second.queued
    patient = sent.message.msg_info.patient
    assert patient is not None
    assert [i.id for i in patient.ident] == [other.national_id]
    assert [m.id for m in parties.journal.sent()] == [good.id]
    assert len(parties.journal.outgoing()) == 3  # still the journal's, unacknowledged


class FlakyGateway(RecordingNotifier):
    """An SMS gateway that times out ``failures`` times, then works."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def send_sms(self, mobile: str | None, text: str) -> None:
        if self.failures:
            self.failures -= 1
            raise TimeoutError("SMS gateway timed out")
        super().send_sms(mobile, text)


def test_an_sms_the_gateway_failed_is_sent_by_a_later_flush_once(parties: Parties) -> None:
    # The 05 (a booked time) owes the citizen an SMS; the gateway times out the first time.
    gateway = FlakyGateway(failures=1)
    parties.office.notifier = gateway
    now = datetime.now(UTC)
    slot = parties.journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    rt = parties.portal.services.booking.reserve(
        CITIZEN, GP, slot, accepts_other_practitioner=False
    )
    parties.portal.send(rt)
    parties.exchange()
    [owes] = [i for i in parties.office.store.outbox() if i.sms is not None]
    assert (owes.state, owes.sms_sent, gateway.sent) == ("sent", False, [])
    assert owes.last_error == "SMS: TimeoutError: SMS gateway timed out"
    parties.exchange()  # not due yet: the backoff
    assert gateway.sent == []

    parties.clock.advance(3600)
    parties.exchange()
    parties.clock.advance(3600)
    parties.exchange()
    assert len(gateway.sent) == 1  # once, however many flushes ran
    [owes] = [i for i in parties.office.store.outbox() if i.sms is not None]
    assert owes.sms_sent


# -- portal ------------------------------------------------------------------------------------


def test_the_portal_rejects_an_office_message_breaking_business_rules(parties: Parties) -> None:
    # The office's DI names the patient with a fødselsnummer that fails its check digits (DD023).
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    bad = tampered(start.message, CITIZEN.national_id.encode(), b"13116900217")
    outcome = parties.portal.receive(parties.office.pack_reply(bad).envelope)
    assert (outcome.status, outcome.code) == (Status.REJECTED, "E31")
    assert outcome.apprec is not None
    assert [e.v for e in outcome.apprec.error] == ["E31"]
    row = parties.portal.store.received(OFFICE.her_id, bad.msg_id)
    assert row is not None
    assert row.state == "rejected"
    assert bad.msg_id not in parties.portal.messages
    assert parties.portal.services.context.store.get(bad.msg_id) is None  # not threaded

    assert parties.office.receipts.awaiting() == [bad.msg_id]
    parties.portal.flush()  # the rejection reaches the office, which matches it to its DI
    assert parties.office.receipts.awaiting() == []
    kept = parties.office.store.received(PORTAL, outcome.apprec.id)
    assert kept is not None
    assert kept.state == "receipt"


def test_a_rejection_of_a_sent_message_is_kept_on_its_outbox_entry(
    parties: Parties, caplog: pytest.LogCaptureFixture
) -> None:
    # The office's DI names the patient with a bad fødselsnummer; helsenorge.no rejects it (E31).
    # The office's outbox entry for it says so, and a warning too: the message did not land.
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    bad = tampered(start.message, CITIZEN.national_id.encode(), b"13116900217")
    packed = parties.office.pack_reply(bad)
    parties.office.store.enqueue(Queued(packed.envelope, packed.xml), now=parties.clock())
    assert parties.office.flush().sent == [bad.msg_id]
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.endpoint"):
        parties.portal.flush()  # its AppRec E31 reaches the office
    [entry] = parties.office.store.outbox()
    assert (entry.envelope.message_id, entry.state) == (bad.msg_id, "rejected")
    assert entry.last_error is not None
    assert entry.last_error.startswith("AppRec ")
    assert ": E31 " in entry.last_error
    [warning] = caplog.records
    assert warning.getMessage().startswith(f"{bad.msg_id} rejected by its receiver (AppRec ")
    assert parties.office.flush().sent == []  # nothing is sent again


def test_a_second_apprec_for_a_receipted_message_is_a_duplicate(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.exchange()
    first = parties.portal.receipts_received[request.msg_id]

    again = forged(first)
    outcome = parties.portal.receive(parties.office.channel.pack(again, PORTAL).envelope)
    assert (outcome.status, outcome.msg_id) == (Status.DUPLICATE, again.id)
    assert outcome.detail == f"a receipt for {request.msg_id} arrived before"
    assert parties.portal.receipts_received[request.msg_id].id == first.id  # the first one kept
    row = parties.portal.store.received(OFFICE.her_id, again.id)
    assert row is not None
    assert row.state == "receipt"
