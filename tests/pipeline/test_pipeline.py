"""Both ends for real: dev PKI keys, CMS + XML-DSig, sqlite stores, the journal behind its port."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digidialog.adapters import (
    Delivery,
    Inbox,
    OfficeMessage,
    OutgoingMessage,
    Undelivered,
    memory_adapter,
    start_with_simulator,
)
from digidialog.errors import JournalUnavailableError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline import (
    MessageStore,
    OfficePipeline,
    Packed,
    SecureChannel,
    Status,
    StoredMessage,
    StoreError,
)
from digidialog.security import Sealer, Signer
from digidialog.security.devpki import DevPki
from digidialog.services import (
    SMS_TEXT,
    GpOffice,
    GpSettings,
    InboxItem,
    OfficeSettings,
    Portal,
    RecordingNotifier,
    ServiceContext,
    ServiceName,
)
from digidialog.transport import (
    CMS_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    Envelope,
    FolderInbox,
    FolderTransport,
    HttpTransport,
    InProcessTransport,
    LoopbackServer,
)

from .conftest import (
    CITIZEN,
    GP,
    OFFICE,
    Parties,
    kept_before_a_crash,
    make_parties,
    office_journal,
)


def code_of(message: MsgHead) -> str:
    dialog = message.dialogmelding
    assert dialog is not None
    if dialog.notat:
        return dialog.notat[0].tema_kodet.v or ""
    return dialog.foresporsel[0].type_foresp.v or ""


def state_of(row: StoredMessage | None) -> str | None:
    return None if row is None else row.state


def replies_to(parties: Parties, msg_id: str) -> list[str]:
    return [code_of(m) for m in parties.portal.messages.values() if m.ref_to_parent == msg_id]


def test_e_consultation_round_trip(parties: Parties) -> None:
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Tre uker nå.")
    parties.portal.send(request)
    parties.exchange()

    receipt = parties.portal.receipts_received[request.msg_id]
    assert receipt.is_ok
    [item] = parties.journal.inbox_items()
    assert (item.msg_id, item.text) == (request.msg_id, "Tre uker nå.")
    assert replies_to(parties, request.msg_id) == ["12"]
    # The portal receipted the answer, and the office matched that receipt.
    [answer] = [m for m in parties.portal.messages.values() if m.ref_to_parent == request.msg_id]
    assert parties.office.receipts.awaiting() == []
    assert parties.portal.receipts.issued(answer.msg_id) is not None
    assert state_of(parties.office.store.received("8093248", request.msg_id)) == "delivered"


def test_booking_free_slots_and_reservation(parties: Parties) -> None:
    booking = parties.portal.services.booking
    start = date.today() + timedelta(days=1)
    hlt = booking.fetch_free_slots(CITIZEN, GP, start, start + timedelta(days=13))
    parties.portal.send(hlt)
    parties.exchange()
    assert hlt.msg_id not in parties.portal.receipts_received  # synchronous: no AppRec
    [slots_reply] = [m for m in parties.portal.messages.values() if m.ref_to_parent == hlt.msg_id]
    assert code_of(slots_reply) == "03"

    now = datetime.now(UTC)
    slot = parties.journal.free_slots(GP, now, now + timedelta(weeks=2))[0]
    rt = booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False)
    parties.portal.send(rt)
    parties.exchange()
    assert parties.portal.receipts_received[rt.msg_id].is_ok
    assert replies_to(parties, rt.msg_id) == ["05"]
    assert [a.uid for a in parties.journal.appointments(CITIZEN)] == [slot.uid]
    # Reserving the same slot again: the journal refuses, the citizen gets 06.
    again = booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False)
    parties.portal.send(again)
    parties.exchange()
    assert replies_to(parties, again.msg_id) == ["06"]


def test_communication_test_is_answered_through_the_pipeline(parties: Parties) -> None:
    """HITS 1217 §3.10: helsenorge.no's KT gets RKT back, signed and sealed, with no AppRec either
    way and nothing in the journal."""
    kt = parties.portal.services.communication_test(CITIZEN, GP)
    inbox_before = len(parties.journal.inbox_items())
    parties.portal.send(kt)
    parties.exchange()
    assert kt.msg_id not in parties.portal.receipts_received  # synchronous: no AppRec
    [rkt] = [m for m in parties.portal.messages.values() if m.ref_to_parent == kt.msg_id]
    assert rkt.msg_type == "DIALOG_INNBYGGER_TEST"
    assert code_of(rkt) == "RKT"
    assert rkt.msg_id not in parties.office.receipts.awaiting()  # nor for the answer
    assert state_of(parties.office.store.received("8093248", kt.msg_id)) == "answered"
    assert len(parties.journal.inbox_items()) == inbox_before


def test_duplicate_is_delivered_once(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    packed = parties.portal.send(request)
    parties.exchange()
    outcome = parties.office.receive(packed.envelope)
    assert outcome.status is Status.DUPLICATE
    assert len(parties.journal.inbox_items()) == 1
    assert len(replies_to(parties, request.msg_id)) == 1


def test_not_xml_gets_t01(parties: Parties, pki: DevPki) -> None:
    sealed = Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).seal(
        b"this is not XML", pki.gp_office.encryption.certificate
    )
    outcome = parties.office.receive(
        Envelope(
            sealed,
            "8093248",
            OFFICE.her_id,
            CMS_CONTENT_TYPE,
            "m-garbage",
            subject="DIALOG_INNBYGGER_EKONTAKT",
        )
    )
    assert (outcome.status, outcome.code) == (Status.REJECTED, "T01")
    parties.exchange()
    receipt = parties.portal.receipts_received["m-garbage"]
    assert [e.v for e in receipt.error] == ["T01"]


def test_unsealed_content_that_is_not_xml_is_refused_not_answered(parties: Parties) -> None:
    # Nothing proves who sent it: a T01 would send an AppRec wherever the envelope points.
    envelope = Envelope(b"this is not XML", "8093248", OFFICE.her_id, XML_CONTENT_TYPE,
                        "m-unsigned-garbage", subject="DIALOG_INNBYGGER_EKONTAKT")  # fmt: skip
    outcome = parties.office.receive(envelope)
    assert (outcome.status, outcome.code) == (Status.REFUSED, "abuse:spoofing-attack")
    assert outcome.apprec is None
    assert parties.office.store.outbox() == []
    [kept] = parties.office.store.refused()
    assert (kept.envelope.message_id, kept.refusal.reason) == (
        "m-unsigned-garbage", "unsigned-document"
    )  # fmt: skip


def test_an_invalid_apprec_is_kept_and_not_answered(parties: Parties, pki: DevPki) -> None:
    # No AppRec answers an AppRec (HITS 1168): a schema-invalid one from an authenticated party
    # is kept for a person, with why, and nothing goes back.
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.exchange()
    receipt = parties.portal.receipts_received[request.msg_id]
    xml = receipt.to_xml().replace(b"<MsgType", b"<Ukjent/><MsgType", 1)
    sealed = Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).seal(
        xml, pki.gp_office.encryption.certificate
    )
    envelope = Envelope(sealed, "8093248", OFFICE.her_id, CMS_CONTENT_TYPE, "a-invalid",
                        subject="APPREC")  # fmt: skip
    before = len(parties.office.store.outbox())
    outcome = parties.office.receive(envelope)
    assert (outcome.status, outcome.apprec) == (Status.IGNORED, None)
    assert outcome.detail.startswith("invalid AppRec: ")
    assert len(parties.office.store.outbox()) == before
    row = parties.office.store.received("8093248", "a-invalid")
    assert row is not None
    assert (row.state, (row.last_error or "").startswith("invalid AppRec: ")) == ("ignored", True)
    assert parties.office.receive(envelope).status is Status.DUPLICATE


def test_schema_invalid_gets_t02(parties: Parties, pki: DevPki) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    xml = request.message.to_xml().replace(b"<MsgId>", b"<Ukjent/><MsgId>", 1)
    assert b"<Ukjent/>" in xml
    signed = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).sign(xml)
    sealed = Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).seal(
        signed, pki.gp_office.encryption.certificate
    )
    outcome = parties.office.receive(
        Envelope(sealed, "8093248", OFFICE.her_id, CMS_CONTENT_TYPE, request.msg_id)
    )
    assert (outcome.status, outcome.code) == (Status.REJECTED, "T02")
    assert parties.journal.inbox_items() == []


def test_her_id_mismatch_gets_e10(parties: Parties) -> None:
    # The message says it comes from another communication party than the signed envelope.
    other = Portal("115851", "DIREKTORATET FOR E-HELSE", "8093249", "Annen enhet")
    builder = GpOffice(ServiceContext(OFFICE, portal=other)).contact
    request = builder.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.exchange()
    receipt = parties.portal.receipts_received[request.msg_id]
    assert not receipt.is_ok
    assert "E10" in [e.v for e in receipt.error]
    assert parties.journal.inbox_items() == []


def test_spoofed_sender_is_refused_without_apprec(parties: Parties, pki: DevPki) -> None:
    # Sealed and signed with the office's own key, but claiming to come from helsenorge.no.
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    key, cert = pki.gp_office.signing.key, pki.gp_office.signing.certificate
    signed = Signer(key, cert).sign(request.message.to_xml())
    sealed = Sealer(key, cert).seal(signed, pki.gp_office.encryption.certificate)
    outcome = parties.office.receive(
        Envelope(sealed, "8093248", OFFICE.her_id, CMS_CONTENT_TYPE, request.msg_id)
    )
    assert (outcome.status, outcome.code) == (Status.REFUSED, "abuse:spoofing-attack")
    assert parties.office.store.outbox() == []
    assert parties.office.store.received("8093248", request.msg_id) is None


def test_unsealed_apprec_is_refused(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.exchange()
    receipt = parties.portal.receipts_received[request.msg_id]
    outcome = parties.portal.receive(
        Envelope(receipt.to_xml(), OFFICE.her_id, "8093248", XML_CONTENT_TYPE, "forged")
    )
    assert outcome.status is Status.REFUSED


def test_journal_down_keeps_message_and_retries(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    with start_with_simulator(
        "plenario", tmp_path / "sim", journal=journal, config={"retries": 0, "timeout": 2}
    ) as (adapter, sim):
        parties, _ = make_parties(tmp_path, channels, adapter, journal)
        sim.faults.set_down(True)
        request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Hjelp")
        parties.portal.send(request)
        parties.portal.flush()
        row = parties.office.store.received("8093248", request.msg_id)
        assert row is not None
        assert (row.state, row.attempts) == ("pending", 1)
        parties.office.flush()
        # Stored safely, so the AppRec OK may go; nothing reached the journal yet.
        assert parties.portal.receipts_received[request.msg_id].is_ok
        assert journal.inbox_items() == []

        # Not due yet: no call; due but still down: another attempt, longer wait.
        assert parties.office.retry_pending() == []
        parties.clock.advance(10)
        [outcome] = parties.office.retry_pending()
        assert outcome.status is Status.PENDING
        sim.faults.set_down(False)
        parties.clock.advance(20)
        parties.exchange()
        assert [i.msg_id for i in journal.inbox_items()] == [request.msg_id]
        assert replies_to(parties, request.msg_id) == ["12"]
        assert state_of(parties.office.store.received("8093248", request.msg_id)) == "delivered"


def test_pending_message_survives_restart(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    with start_with_simulator(
        "systemx", tmp_path / "sim", journal=journal, config={"timeout": 1}
    ) as (adapter, sim):
        parties, wire = make_parties(tmp_path, channels, adapter, journal)
        sim.faults.set_down(True)
        request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse")
        parties.portal.send(request)
        parties.portal.flush()
        assert state_of(parties.office.store.received("8093248", request.msg_id)) == "pending"
        parties.office.store.close()

        # A new process: new services (empty memory), same store file.
        sim.faults.set_down(False)
        restarted = OfficePipeline(
            GpOffice(ServiceContext(OFFICE, notifier=RecordingNotifier())),
            adapter,
            channel=channels[0],
            store=MessageStore(tmp_path / "office.db"),
            transport=wire,
            clock=parties.clock,
        )
        parties.clock.advance(3600)
        [outcome] = restarted.retry_pending()
        assert outcome.status is Status.ACCEPTED
        assert [i.msg_id for i in journal.inbox_items()] == [request.msg_id]


def test_over_http_loopback(tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]) -> None:
    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    with LoopbackServer(parties.office.receive) as server, HttpTransport(server.url) as http:
        parties.portal.transport = http
        request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Over HTTP")
        parties.portal.send(request)
        assert parties.portal.flush().sent == [request.msg_id]
    parties.office.run_once()
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert replies_to(parties, request.msg_id) == ["19"]


def test_unreachable_office_is_retried_with_backoff(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    server = LoopbackServer(parties.office.receive)
    url = server.url
    server.stop()  # nobody listens there
    parties.portal.transport = HttpTransport(url, timeout=2)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    assert parties.portal.flush().deferred == [request.msg_id]
    assert parties.portal.flush().deferred == []  # not due before the backoff
    [item] = parties.portal.store.outbox("pending")
    assert item.attempts == 1
    assert item.last_error is not None


@pytest.mark.parametrize("vendor", ["plenario", "systemx", "cgm"])
def test_every_vendor_simulator(
    vendor: str, tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    with start_with_simulator(vendor, tmp_path / "sim", journal=journal) as (adapter, _):
        parties, _ = make_parties(tmp_path, channels, adapter, journal)
        request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Utslett", "Kløe")
        parties.portal.send(request)
        parties.exchange()
        assert parties.portal.receipts_received[request.msg_id].is_ok
        assert replies_to(parties, request.msg_id) == ["12"]


def test_office_started_dialog_and_citizen_answer(parties: Parties) -> None:
    parties.journal.start_dialog(
        CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Prøvesvar", "Alt fint.")
    )
    parties.exchange()
    [started] = parties.portal.messages.values()
    assert code_of(started) == "DI"
    assert parties.journal.outgoing() == []  # collected, then acknowledged to the journal
    answer = parties.portal.services.e_consultation.citizen_reply(started.msg_id, "Takk!")
    parties.portal.send(answer)
    parties.exchange()
    [item] = parties.journal.inbox_items()
    assert (item.kind, item.parent_msg_id, item.text) == ("22", started.msg_id, "Takk!")
    assert parties.portal.receipts_received[answer.msg_id].is_ok


def test_journal_refusal_becomes_the_fitting_reply(parties: Parties) -> None:
    # The journal has e-consultation switched off for the GP; the services did not know.
    off = GpSettings(services=frozenset(ServiceName) - {ServiceName.E_CONSULTATION})
    parties.journal.set_settings(OfficeSettings(per_gp={GP: off}))
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Hjelp")
    parties.portal.send(request)
    parties.exchange()
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert replies_to(parties, request.msg_id) == ["26"]
    assert parties.journal.inbox_items() == []


class AckLostOnce:
    """The journal's inbox port, except that the first acknowledgement's answer is lost."""

    def __init__(self, inner: Inbox) -> None:
        self.inner = inner
        self.lost = False

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(item)

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return self.inner.outgoing(limit)

    def acknowledge(self, outgoing_id: str) -> None:
        if not self.lost:
            self.lost = True
            raise JournalUnavailableError("acknowledgement timed out")
        self.inner.acknowledge(outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        self.inner.undelivered(notice)


def test_lost_acknowledgement_does_not_send_twice(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    adapter = memory_adapter(journal)
    adapter.inbox = AckLostOnce(adapter.inbox)
    parties, _ = make_parties(tmp_path, channels, adapter, journal)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.portal.flush()
    first = parties.office.collect()
    assert len(first.queued) == 1
    assert [journal_id for journal_id, _ in first.errors] == ["journal"]
    assert len(journal.outgoing()) == 1  # the journal still thinks it is unsent
    second = parties.office.collect()
    assert second.queued == []
    assert journal.outgoing() == []
    parties.exchange()
    assert replies_to(parties, request.msg_id) == ["19"]


def test_concurrent_http_deliveries_are_each_kept_once(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    import threading

    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    contact = parties.portal.services.contact
    for n in range(6):
        parties.portal.send(contact.request(CITIZEN, GP, f"Sak {n}", "Tekst"))
    envelopes = [item.envelope for item in parties.portal.store.outbox("pending")]
    assert len(envelopes) == 6
    failures: list[BaseException] = []
    with LoopbackServer(parties.office.receive) as server:

        def post(envelope: Envelope) -> None:
            try:
                with HttpTransport(server.url) as http:
                    http.send(envelope)
                    http.send(envelope)  # and once more: a carrier's redelivery
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=post, args=(e,)) for e in envelopes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    assert sorted(i.msg_id for i in journal.inbox_items()) == sorted(
        e.message_id for e in envelopes
    )


def test_message_kept_but_not_handled_before_a_crash_is_handled_after(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, wire = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    msg_id, envelope = kept_before_a_crash(parties)
    restarted = OfficePipeline(
        GpOffice(ServiceContext(OFFICE)), memory_adapter(journal), channel=channels[0],
        store=MessageStore(tmp_path / "office.db"), transport=wire, clock=parties.clock,
    )  # fmt: skip
    [outcome] = restarted.retry_pending()
    assert outcome.status is Status.ACCEPTED
    assert outcome.apprec is not None
    assert [i.msg_id for i in journal.inbox_items()] == [msg_id]
    # The carrier redelivers the envelope: a duplicate, nothing new.
    assert restarted.receive(envelope).status is Status.DUPLICATE
    assert len(journal.inbox_items()) == 1


def test_through_exchange_folders(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    exchange = tmp_path / "exchange"
    parties.portal.transport = FolderTransport(exchange)
    parties.office.transport = FolderTransport(exchange)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Via mapper")
    parties.portal.send(request)
    parties.portal.flush()
    assert (exchange / OFFICE.her_id / f"{request.msg_id}.bin").exists()
    assert FolderInbox(exchange, OFFICE.her_id).poll(parties.office.receive) == 1
    parties.office.run_once()
    assert FolderInbox(exchange, "8093248").poll(parties.portal.receive) == 2  # AppRec + 19
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert replies_to(parties, request.msg_id) == ["19"]


def test_restart_keeps_conversations_and_receipts(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    adapter = memory_adapter(journal)
    parties, wire = make_parties(tmp_path, channels, adapter, journal)
    journal.start_dialog(
        CITIZEN, GP, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Prøvesvar", "Alt fint.")
    )
    parties.office.run_once()  # the DI goes out; the portal queues its AppRec but sends nothing
    [di] = parties.portal.messages.values()
    assert parties.office.receipts.awaiting() == [di.msg_id]
    parties.office.store.close()

    # A new process: new services (empty memory), same store file, same journal.
    restarted = OfficePipeline(
        GpOffice(ServiceContext(OFFICE, notifier=RecordingNotifier())),
        adapter,
        channel=channels[0],
        store=MessageStore(tmp_path / "office.db"),
        transport=wire,
        clock=parties.clock,
    )
    wire.register(channels[0].her_id, restarted.receive)
    assert restarted.restored.conversations == 1
    assert restarted.receipts.awaiting() == [di.msg_id]
    conversation = restarted.office.context.store.get(di.msg_id)
    assert conversation is not None
    assert [t.code for t in conversation.turns] == ["DI"]

    answer = parties.portal.services.e_consultation.citizen_reply(di.msg_id, "Takk, bra nå.")
    parties.portal.send(answer)
    parties.portal.flush()  # the AppRec for the DI (sent before the restart), then the 22
    restarted.run_once()

    assert restarted.receipts.awaiting() == []  # matched, not SV021 "we did not send it"
    assert parties.portal.receipts_received[answer.msg_id].is_ok
    assert state_of(restarted.store.received("8093248", answer.msg_id)) == "delivered"
    [item] = journal.inbox_items()
    assert (item.msg_id, item.kind, item.conversation_id) == (answer.msg_id, "22", di.msg_id)
    conversation = restarted.office.context.store.get(di.msg_id)
    assert conversation is not None
    assert [t.code for t in conversation.turns] == ["DI", "22"]
    restarted.store.close()

    # And once more: both the reply and the receipt are in the store for the next start.
    again = OfficePipeline(
        GpOffice(ServiceContext(OFFICE)), adapter, channel=channels[0],
        store=MessageStore(tmp_path / "office.db"), transport=wire, clock=parties.clock,
    )  # fmt: skip
    assert again.receipts.awaiting() == []
    rebuilt = again.office.context.store.get(di.msg_id)
    assert rebuilt is not None
    assert [t.code for t in rebuilt.turns] == ["DI", "22"]
    again.store.close()


def test_sms_only_after_the_confirmation_is_sent_and_only_once(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    notifier = parties.office.office.context.notifier
    assert isinstance(notifier, RecordingNotifier)
    now = datetime.now(UTC)
    slot = journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    parties.portal.send(
        parties.portal.services.booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False)
    )
    cut_off = InProcessTransport()  # the office's line to helsenorge.no is down: nobody there
    parties.office.transport = cut_off
    parties.portal.flush()  # the office books the slot and queues AppRec + 05
    assert notifier.sent == []  # built and queued, not sent: no SMS

    failed = parties.office.flush()
    assert len(failed.deferred) == 1  # the AppRec; the 05 waits behind it (FIFO per receiver)
    assert notifier.sent == []  # the send failed: still no SMS

    parties.clock.advance(3600)
    cut_off.register(channels[1].her_id, parties.portal.receive)  # the line is back
    assert len(parties.office.flush().sent) == 2
    assert len(notifier.sent) == 1
    assert notifier.sent[0].text == SMS_TEXT
    parties.clock.advance(3600)
    parties.exchange()
    assert len(notifier.sent) == 1  # exactly once
    [confirmation] = parties.portal.messages.values()
    assert code_of(confirmation) == "05"


def test_no_apprec_before_the_message_is_stored(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    # The office's store cannot be written (another process holds it): the message must not be
    # receipted, and the carrier keeps the envelope until the store takes it.
    journal = office_journal()
    parties, _ = make_parties(
        tmp_path, channels, memory_adapter(journal), journal, office_busy_timeout=0.05
    )
    exchange = tmp_path / "exchange"
    parties.portal.transport = FolderTransport(exchange)
    parties.office.transport = FolderTransport(exchange)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.portal.flush()
    inbox = FolderInbox(exchange, OFFICE.her_id)

    holder = sqlite3.connect(tmp_path / "office.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError):
        inbox.poll(parties.office.receive)
    holder.execute("ROLLBACK")
    holder.close()
    assert parties.office.store.outbox() == []  # no AppRec, nothing else queued
    assert parties.office.store.received("8093248", request.msg_id) is None
    assert journal.inbox_items() == []
    assert inbox.pending() == [request.msg_id]  # kept for the next poll

    assert inbox.poll(parties.office.receive) == 1
    parties.office.run_once()
    assert FolderInbox(exchange, "8093248").poll(parties.portal.receive) == 2  # AppRec + 19
    assert parties.portal.receipts_received[request.msg_id].is_ok
    assert [i.msg_id for i in journal.inbox_items()] == [request.msg_id]


def _book(parties: Parties) -> None:
    journal = parties.journal
    now = datetime.now(UTC)
    slot = journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    parties.portal.send(
        parties.portal.services.booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False)
    )


def test_no_sms_when_the_sent_mark_is_not_stored(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    # The transport took the confirmation but the store could not record that: as after a crash
    # right there, no SMS yet; the next flush sends again (the receiver drops the duplicate)
    # and texts once.
    journal = office_journal()
    parties, _ = make_parties(
        tmp_path, channels, memory_adapter(journal), journal, office_busy_timeout=0.05
    )
    notifier = parties.office.office.context.notifier
    assert isinstance(notifier, RecordingNotifier)
    _book(parties)
    holder = sqlite3.connect(tmp_path / "office.db", isolation_level=None)

    class LockAfterSend(InProcessTransport):
        def send(self, envelope: Envelope) -> None:
            super().send(envelope)
            if not holder.in_transaction:
                holder.execute("BEGIN IMMEDIATE")  # mark_sent will find the store locked

    wire = LockAfterSend()
    wire.register(channels[1].her_id, parties.portal.receive)
    parties.office.transport = wire
    parties.portal.flush()  # the office books and queues AppRec + 05
    with pytest.raises(StoreError):
        parties.office.flush()
    assert notifier.sent == []
    holder.execute("ROLLBACK")
    holder.close()
    parties.office.transport = parties.portal.transport  # a plain line again
    parties.office.flush()
    parties.exchange()
    assert len(notifier.sent) == 1


def test_two_flushes_at_once_text_once(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, wire = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    notifier = parties.office.office.context.notifier
    assert isinstance(notifier, RecordingNotifier)
    _book(parties)
    parties.portal.flush()  # AppRec + 05 (which owes an SMS) wait in the office's outbox

    class SecondFlusher(InProcessTransport):
        """While the first flush is sending, a second one (another thread) runs to the end."""

        def __init__(self) -> None:
            super().__init__()
            self.inside = False

        def send(self, envelope: Envelope) -> None:
            wire.send(envelope)
            if not self.inside:
                self.inside = True
                parties.office.flush()

    parties.office.transport = SecondFlusher()
    parties.office.flush()
    assert len(notifier.sent) == 1
    assert [i.state for i in parties.office.store.outbox()] == ["sent", "sent"]


class BrokenFor:
    """The journal's inbox port, with a bug that crashes on one message (not a journal error)."""

    def __init__(self, inner: Inbox, subject: str) -> None:
        self.inner = inner
        self.subject = subject

    def deliver(self, item: InboxItem) -> Delivery:
        if item.subject == self.subject:
            raise RuntimeError("adapter bug")
        return self.inner.deliver(item)

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return self.inner.outgoing(limit)

    def acknowledge(self, outgoing_id: str) -> None:
        self.inner.acknowledge(outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        self.inner.undelivered(notice)


def test_an_adapter_bug_keeps_the_message_and_retries_it(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    adapter = memory_adapter(journal)
    honest = adapter.inbox
    adapter.inbox = BrokenFor(honest, "Giftig")
    parties, _ = make_parties(tmp_path, channels, adapter, journal)
    contact = parties.portal.services.contact
    poison = contact.request(CITIZEN, GP, "Giftig", "Krasjer adapteren")
    fine = contact.request(CITIZEN, GP, "Vanlig", "Helt vanlig")
    parties.portal.send(poison)
    parties.portal.send(fine)
    parties.portal.flush()
    row = parties.office.store.received("8093248", poison.msg_id)
    assert row is not None
    assert (row.state, row.attempts, row.last_error) == ("pending", 1, "RuntimeError: adapter bug")
    parties.exchange()
    # Stored, so receipted OK; the other message went on to the journal and was answered.
    assert parties.portal.receipts_received[poison.msg_id].is_ok
    assert replies_to(parties, fine.msg_id) == ["19"]
    assert [i.msg_id for i in journal.inbox_items()] == [fine.msg_id]
    adapter.inbox = honest  # the bug is fixed
    parties.clock.advance(3600)
    parties.exchange()
    assert state_of(parties.office.store.received("8093248", poison.msg_id)) == "delivered"
    assert replies_to(parties, poison.msg_id) == ["19"]


def test_one_crashing_message_does_not_stall_the_others(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, wire = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    stuck = parties.portal.services.contact.request(CITIZEN, GP, "Sak", "Lagret før krasjet")
    envelope = parties.portal.send(stuck).envelope
    # Kept before a crash, not yet handled (as in the test above) …
    parties.office.store.add_received(
        sender=envelope.sender, msg_id=stuck.msg_id, msg_type=envelope.subject, envelope=envelope,
        signed_xml=parties.office.channel.unpack(envelope).xml, now=parties.clock(),
    )  # fmt: skip
    parties.office.store.close()

    def disk_full_for_stuck(message: Message, packed: Packed) -> None:
        # … and handling it fails on something outside the services, e.g. a full disk.
        if isinstance(message, AppRec) and message.original_msg_id.id == stuck.msg_id:
            raise OSError(28, "No space left on device")

    restarted = OfficePipeline(
        GpOffice(ServiceContext(OFFICE)), memory_adapter(journal), channel=channels[0],
        store=MessageStore(tmp_path / "office.db"), transport=wire, clock=parties.clock,
        on_packed=disk_full_for_stuck,
    )  # fmt: skip
    wire.register(channels[0].her_id, restarted.receive)
    fine = parties.portal.services.contact.request(CITIZEN, GP, "Vanlig", "Helt vanlig")
    parties.portal.send(fine)
    parties.portal.flush()
    run = restarted.run_once()  # does not raise: the failing message is put off, not the rest
    assert [(o.msg_id, o.status, o.code) for o in run.retried] == [
        (stuck.msg_id, Status.PENDING, "pipeline:internal")
    ]
    assert replies_to(parties, fine.msg_id) == ["19"]
    row = restarted.store.received("8093248", stuck.msg_id)
    assert row is not None
    assert (row.state, row.attempts) == ("stored", 1)
    assert row.last_error is not None
    assert "No space left" in row.last_error
    assert restarted.retry_pending() == []  # backed off, not retried in a loop
    restarted.store.close()
