"""A failure between receipting a stored message and queueing its AppRec, without a restart.

The services keep the AppRecs they issued in memory and refuse a second one (SV020). When
something fails after the AppRec was issued but before it entered the outbox, the retry must
still get exactly that one AppRec out, and must not ask the services (or the journal) again.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digidialog.adapters import memory_adapter
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline import MessageStore, Packed, SecureChannel, Status, StoreError
from digidialog.security import Sealer
from digidialog.security.devpki import DevPki
from digidialog.services import GpOffice, Received, TransportInfo
from digidialog.transport import CMS_CONTENT_TYPE, Envelope
from digidialog.xml.parser import parse_bytes

from .conftest import CITIZEN, GP, OFFICE, Parties, make_parties, office_journal

PORTAL = "8093248"


def apprecs_for(parties: Parties, msg_id: str) -> list[AppRec]:
    """The AppRecs the office queued (sent or not) for the message `msg_id`."""
    found = []
    for item in parties.office.store.outbox():
        message = Message.from_tree(parse_bytes(item.xml))
        if isinstance(message, AppRec) and message.original_msg_id.id == msg_id:
            found.append(message)
    return found


def replies_to(parties: Parties, msg_id: str) -> list[str]:
    codes = []
    for message in parties.portal.messages.values():
        if message.ref_to_parent == msg_id and message.dialogmelding is not None:
            dialog = message.dialogmelding
            notat, foresporsel = dialog.notat, dialog.foresporsel
            codes.append(notat[0].tema_kodet.v if notat else foresporsel[0].type_foresp.v)
    return [c or "" for c in codes]


def test_apprec_lost_on_the_way_to_the_outbox_is_queued_by_the_retry(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    broken = [request.msg_id]

    def disk_full_once(message: Message, packed: Packed) -> None:
        # Packing the AppRec fails once, after the services issued it and the journal took the
        # message, before anything was queued.
        if isinstance(message, AppRec) and message.original_msg_id.id in broken:
            broken.clear()
            raise OSError(28, "No space left on device")

    parties.office.on_packed = disk_full_once
    parties.portal.send(request)
    assert parties.portal.flush().deferred == [request.msg_id]  # the office's receive raised
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "stored"
    assert apprecs_for(parties, request.msg_id) == []

    parties.clock.advance(3600)
    parties.exchange()  # the portal sends again (a duplicate now), the office retries the row
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert len(apprecs_for(parties, request.msg_id)) == 1
    assert [i.msg_id for i in parties.journal.inbox_items()] == [request.msg_id]  # taken once
    assert replies_to(parties, request.msg_id) == ["19"]
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "delivered"


def test_a_booking_settled_after_a_store_failure_is_not_booked_again(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, _ = make_parties(
        tmp_path, channels, memory_adapter(journal), journal, office_busy_timeout=0.05
    )
    holder = sqlite3.connect(tmp_path / "office.db", isolation_level=None)

    def lock_at_the_confirmation(message: Message, packed: Packed) -> None:
        # The journal booked the slot and the 05 is built; now another process holds the store,
        # so the transaction settling the message (AppRec + 05) fails.
        if isinstance(message, MsgHead) and not holder.in_transaction:
            holder.execute("BEGIN IMMEDIATE")

    now = datetime.now(UTC)
    slot = journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    booking = parties.portal.services.booking
    rt = booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False)
    parties.office.on_packed = lock_at_the_confirmation
    parties.portal.send(rt)
    assert parties.portal.flush().deferred == [rt.msg_id]
    holder.execute("ROLLBACK")
    holder.close()
    parties.office.on_packed = None
    assert [a.uid for a in journal.appointments(CITIZEN)] == [slot.uid]
    assert parties.office.store.outbox() == []

    parties.clock.advance(3600)
    parties.exchange()
    assert parties.portal.receipts_received[rt.msg_id].is_ok
    assert len(apprecs_for(parties, rt.msg_id)) == 1
    assert replies_to(parties, rt.msg_id) == ["05"]  # the booking made, not 06 "taken"
    assert [a.uid for a in journal.appointments(CITIZEN)] == [slot.uid]
    row = parties.office.store.received(PORTAL, rt.msg_id)
    assert row is not None
    assert row.state == "delivered"


def test_a_rejection_not_queued_is_queued_when_the_envelope_comes_again(
    parties: Parties, pki: DevPki, tmp_path: Path
) -> None:
    sealed = Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).seal(
        b"this is not XML", pki.gp_office.encryption.certificate
    )
    envelope = Envelope(sealed, PORTAL, OFFICE.her_id, CMS_CONTENT_TYPE, "m-garbage",
                        subject="DIALOG_INNBYGGER_EKONTAKT")  # fmt: skip
    parties.office.store.close()
    parties.office.store = MessageStore(tmp_path / "office.db", busy_timeout=0.05)
    holder = sqlite3.connect(tmp_path / "office.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError):  # the T01 is issued, but cannot be queued
        parties.office.receive(envelope)
    holder.execute("ROLLBACK")
    holder.close()

    again = parties.office.receive(envelope)  # the carrier kept the envelope
    assert (again.status, again.code) == (Status.REJECTED, "T01")
    assert parties.office.receive(envelope).status is Status.DUPLICATE
    parties.exchange()
    receipt = parties.portal.receipts_received["m-garbage"]
    assert [e.v for e in receipt.error] == ["T01"]
    assert len(apprecs_for(parties, "m-garbage")) == 1


def test_an_apprec_issued_by_services_that_then_failed_still_goes_out(
    parties: Parties, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug in the services after the AppRec was issued: what the services made of the message
    # is lost with the exception, but its AppRec is not; the message is kept for a person.
    real = GpOffice.receive

    def receive_then_crash(
        self: GpOffice, msg: MsgHead, transport: TransportInfo | None = None
    ) -> Received:
        real(self, msg, transport)
        raise RuntimeError("bug after the AppRec")

    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    monkeypatch.setattr(GpOffice, "receive", receive_then_crash)
    parties.portal.send(request)
    assert parties.portal.flush().deferred == [request.msg_id]
    monkeypatch.undo()

    [outcome] = parties.office.retry_pending()
    assert outcome.status is Status.FAILED
    assert outcome.apprec is not None
    row = parties.office.store.received(PORTAL, request.msg_id)
    assert row is not None
    assert row.state == "failed"
    assert row.last_error is not None
    parties.clock.advance(3600)
    parties.exchange()
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert len(apprecs_for(parties, request.msg_id)) == 1
    assert parties.office.retry_pending() == []


def test_the_portal_receipts_a_reply_it_could_not_settle_at_first(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    # helsenorge.no's side has the same gap as the office: the reply is stored and its AppRec
    # issued, then the transaction queueing that AppRec fails. The retry queues that same AppRec.
    journal = office_journal()
    parties, _ = make_parties(
        tmp_path, channels, memory_adapter(journal), journal, portal_busy_timeout=0.05
    )
    holder = sqlite3.connect(tmp_path / "portal.db", isolation_level=None)

    def lock_before_settling(message: Message, packed: Packed) -> None:
        if isinstance(message, AppRec) and not holder.in_transaction:
            holder.execute("BEGIN IMMEDIATE")

    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.portal.flush()
    parties.portal.on_packed = lock_before_settling
    flushed = parties.office.run_once().flushed  # AppRec for the request, then the reply (19)
    holder.execute("ROLLBACK")
    holder.close()
    parties.portal.on_packed = None
    [reply_id] = flushed.deferred  # the portal's receive raised for the reply: sent again later
    row = parties.portal.store.received(OFFICE.her_id, reply_id)
    assert row is not None
    assert row.state == "stored"
    assert reply_id in parties.portal.messages  # kept, its AppRec issued but not queued
    assert parties.office.office.context.receipts.awaiting() == [reply_id]

    [outcome] = parties.portal.retry_pending()
    assert (outcome.status, outcome.msg_id) == (Status.ACCEPTED, reply_id)
    assert outcome.apprec is not None
    assert parties.portal.retry_pending() == []
    parties.clock.advance(3600)
    parties.exchange()  # the office sends the reply again (a duplicate now) and gets the AppRec
    assert parties.office.office.context.receipts.awaiting() == []
    row = parties.portal.store.received(OFFICE.her_id, reply_id)
    assert row is not None
    assert row.state == "delivered"
    queued = [Message.from_tree(parse_bytes(item.xml)) for item in parties.portal.store.outbox()]
    receipts = [m for m in queued if isinstance(m, AppRec) and m.original_msg_id.id == reply_id]
    assert len(receipts) == 1
    assert replies_to(parties, request.msg_id) == ["19"]


def test_a_pending_message_in_the_portals_store_is_left_for_a_person(parties: Parties) -> None:
    # Only the office keeps messages pending (its journal away); the portal never writes one.
    # Should its store hold one anyway, the retry does not guess: it is failed, for a person.
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.exchange()
    [reply_id] = [m for m in parties.portal.messages if m != request.msg_id]
    row = parties.portal.store.received(OFFICE.her_id, reply_id)
    assert row is not None
    parties.portal.store.settle(row.id, "pending", next_attempt=parties.clock())
    [outcome] = parties.portal.retry_pending()
    assert outcome.status is Status.FAILED
    assert "PortalEndpoint keeps no pending messages" in outcome.detail
    row = parties.portal.store.received(OFFICE.her_id, reply_id)
    assert row is not None
    assert row.state == "failed"
