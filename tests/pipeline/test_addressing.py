"""What a received envelope is addressed to, and by whom, against what the message says: the
envelope's toHerId (HITS 1216 §2.2.3: E10), a MsgId another sender's message already has (a
duplicate, §2.2.4), and the AppRec's subject (code list 8279), which never decides anything."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digidialog.adapters import MemoryJournal, memory_adapter
from digidialog.pipeline import (
    MessageStore,
    OfficePipeline,
    Queued,
    RetryPolicy,
    SecureChannel,
    Status,
)
from digidialog.pipeline.channel import APPREC_SUBJECT, Identity, is_apprec_subject
from digidialog.security import CertificateValidator, InMemoryResolver, KeyPurpose
from digidialog.security.devpki import DevPki
from digidialog.services import HELSENORGE_TEST, GpOffice, Outgoing, ServiceContext
from digidialog.transport import BaseTransport, Envelope, TransportError

from .conftest import (
    CITIZEN,
    GP,
    OFFICE,
    Parties,
    kept_before_a_crash,
    make_parties,
    office_journal,
)

HN = HELSENORGE_TEST.unit_her_id
OTHER = "7777777"
"""Another communication party, registered in the address register with its own keys."""


def test_an_envelope_addressed_to_another_her_id_gets_e10(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    packed = parties.portal.channel.pack(request.message, OFFICE.her_id)
    misaddressed = dataclasses.replace(packed.envelope, receiver="1234567")
    outcome = parties.office.receive(misaddressed)
    assert outcome.status is Status.REJECTED
    assert outcome.code == "E10"
    assert "transport receiver HER-id 1234567" in outcome.detail
    row = parties.office.store.received(HN, request.msg_id)
    assert row is not None
    assert (row.receiver, row.state) == ("1234567", "rejected")
    parties.exchange()
    receipt = parties.portal.receipts_received[request.msg_id]
    assert [e.v for e in receipt.error] == ["E10"]
    assert parties.journal.inbox_items() == []


def test_an_envelope_addressed_here_keeps_its_receiver(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    envelope = parties.portal.send(request).envelope
    assert parties.office.receive(envelope).status is Status.ACCEPTED
    row = parties.office.store.received(HN, request.msg_id)
    assert row is not None
    assert row.receiver == OFFICE.her_id


def test_a_message_kept_by_a_version_2_store_is_checked_against_this_party(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    journal = office_journal()
    parties, wire = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    # Kept, then the process died before handling it, under a version without toHerId.
    msg_id, _ = kept_before_a_crash(parties)
    old = sqlite3.connect(tmp_path / "office.db", isolation_level=None)
    old.execute("DROP TABLE refused")
    old.execute("ALTER TABLE received DROP COLUMN receiver")
    old.execute("PRAGMA user_version=2")
    old.close()

    restarted = OfficePipeline(
        GpOffice(ServiceContext(OFFICE)), memory_adapter(journal), channel=channels[0],
        store=MessageStore(tmp_path / "office.db"), transport=wire, clock=parties.clock,
    )  # fmt: skip
    version = sqlite3.connect(tmp_path / "office.db").execute("PRAGMA user_version")
    assert version.fetchone()[0] == 3
    row = restarted.store.received(HN, msg_id)
    assert row is not None
    assert row.receiver is None  # not known: it was addressed to this party
    [outcome] = restarted.retry_pending()
    assert outcome.status is Status.ACCEPTED
    assert [i.msg_id for i in journal.inbox_items()] == [msg_id]
    assert restarted.store.refused() == []  # the table is there again
    restarted.store.close()


# -- one MsgId, two senders ---------------------------------------------------------------------


def with_other_party(
    pki: DevPki, channels: tuple[SecureChannel, SecureChannel]
) -> tuple[tuple[SecureChannel, SecureChannel], SecureChannel]:
    """The office's and the portal's channels, and another registered party's (`OTHER`), all
    knowing each other (a resolver of their own: the session's channels stay as they are)."""
    resolver = InMemoryResolver()
    signing = pki.issue("other-party-signing", KeyPurpose.SIGNING)
    encryption = pki.issue("other-party-encryption", KeyPurpose.ENCRYPTION)
    for her_id, party in ((OFFICE.her_id, pki.gp_office), (HN, pki.helsenorge)):
        resolver.add(her_id, KeyPurpose.SIGNING, party.signing.certificate)
        resolver.add(her_id, KeyPurpose.ENCRYPTION, party.encryption.certificate)
    resolver.add(OTHER, KeyPurpose.SIGNING, signing.certificate)
    resolver.add(OTHER, KeyPurpose.ENCRYPTION, encryption.certificate)
    validator = CertificateValidator(pki.trust_store())
    office, portal = (SecureChannel(c.identity, validator, resolver) for c in channels)
    other = SecureChannel(
        Identity(OTHER, signing.key, signing.certificate, encryption.key, encryption.certificate),
        validator, resolver,
    )  # fmt: skip
    return (office, portal), other


@dataclass
class Receipted:
    """A citizen's request the office received, handled and receipted, and another registered
    party (`OTHER`) that could send the same MsgHead again."""

    parties: Parties
    journal: MemoryJournal
    request: Outgoing
    other: SecureChannel


@pytest.fixture
def receipted(
    tmp_path: Path, pki: DevPki, channels: tuple[SecureChannel, SecureChannel]
) -> Iterator[Receipted]:
    both, other = with_other_party(pki, channels)
    journal = office_journal()
    parties, _ = make_parties(tmp_path, both, memory_adapter(journal), journal)
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Tre uker.")
    parties.portal.send(request)
    parties.exchange()
    yield Receipted(parties, journal, request, other)
    parties.office.store.close()
    parties.portal.store.close()


def test_a_msg_id_receipted_before_from_another_sender_is_a_duplicate(receipted: Receipted) -> None:
    parties, journal, request, other = (
        receipted.parties,
        receipted.journal,
        receipted.request,
        receipted.other,
    )
    assert parties.portal.receipts_received[request.msg_id].is_ok
    sent_before = [i.envelope.message_id for i in parties.office.store.outbox()]

    # The same MsgHead, sealed and signed by the other party: its MsgId has its AppRec.
    envelope = other.pack(request.message, OFFICE.her_id).envelope
    outcome = parties.office.receive(envelope)  # no exception out of receive()
    assert (outcome.status, outcome.code) == (Status.DUPLICATE, "SV020")
    assert outcome.apprec is None
    assert f"received before from HER-id {HN}" in outcome.detail
    row = parties.office.store.received(OTHER, request.msg_id)
    assert row is not None
    assert (row.state, row.last_error) == ("duplicate", outcome.detail)

    assert parties.office.receive(envelope).status is Status.DUPLICATE  # redelivered
    parties.clock.advance(3600)
    assert parties.office.retry_pending() == []  # settled: nothing left to retry
    parties.exchange()
    # No second AppRec, nothing for the other party, the journal has the message once.
    assert [i.envelope.message_id for i in parties.office.store.outbox()] == sent_before
    assert [i.msg_id for i in journal.inbox_items()] == [request.msg_id]


def test_a_duplicate_msg_id_kept_before_a_crash_is_settled_as_a_duplicate(
    receipted: Receipted,
) -> None:
    parties, request, other = receipted.parties, receipted.request, receipted.other
    sent_before = [i.envelope.message_id for i in parties.office.store.outbox()]
    # The other party's copy was kept, then the process died before handling it.
    envelope = other.pack(request.message, OFFICE.her_id).envelope
    unpacked = parties.office.channel.unpack(envelope)
    parties.office.store.add_received(
        sender=OTHER, msg_id=request.msg_id, msg_type=envelope.subject, envelope=envelope,
        signed_xml=unpacked.xml, now=parties.clock(),
    )  # fmt: skip
    [outcome] = parties.office.retry_pending()
    assert (outcome.status, outcome.code) == (Status.DUPLICATE, "SV020")
    row = parties.office.store.received(OTHER, request.msg_id)
    assert row is not None
    assert row.state == "duplicate"  # not "failed": nothing went wrong with it
    assert [i.envelope.message_id for i in parties.office.store.outbox()] == sent_before


# -- the AppRec's subject ------------------------------------------------------------------------


def test_an_apprec_goes_out_with_the_8279_subject(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.portal.flush()
    [apprec, *_] = parties.office.store.outbox("pending")
    assert apprec.envelope.subject == APPREC_SUBJECT == "APPREC"
    assert is_apprec_subject("APPREC")
    assert is_apprec_subject("AppRec")  # as older versions wrote it
    assert not is_apprec_subject("DIALOG_INNBYGGER_EKONTAKT")


def test_what_a_received_envelope_is_does_not_depend_on_its_subject(parties: Parties) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    parties.portal.send(request)
    parties.portal.flush()
    [apprec, *_] = parties.office.store.outbox("pending")
    # An AppRec whatever its subject says (the old spelling, none, a MsgHead's) …
    mislabelled = dataclasses.replace(apprec.envelope, subject="DIALOG_INNBYGGER_EKONTAKT")
    outcome = parties.portal.receive(mislabelled)
    assert (outcome.status, outcome.msg_type) == (Status.RECEIPT, "AppRec")
    assert parties.portal.receipts_received[request.msg_id].is_ok
    # … and a MsgHead labelled APPREC is a MsgHead.
    other = parties.portal.services.contact.request(CITIZEN, GP, "Hei igjen", "Tekst")
    envelope = parties.portal.channel.pack(other.message, OFFICE.her_id).envelope
    labelled = dataclasses.replace(envelope, subject=APPREC_SUBJECT)
    accepted = parties.office.receive(labelled)
    assert (accepted.status, accepted.msg_id) == (Status.ACCEPTED, other.msg_id)


def test_an_apprec_queued_under_the_old_subject_owes_no_notice_when_given_up(
    tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]
) -> None:
    class Refusing(BaseTransport):
        def send(self, envelope: Envelope) -> None:
            raise TransportError("refused", retryable=False)

    journal = office_journal()
    parties, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    # Queued by an older version (subject AppRec), given up on by this one.
    old = Envelope(b"x", OFFICE.her_id, HN, "application/xml", "a-old", "AppRec")
    parties.office.store.enqueue(Queued(old, b"<AppRec/>"), now=parties.clock())
    parties.office.transport = Refusing()
    parties.office.retry = RetryPolicy()
    assert parties.office.flush().failed == ["a-old"]
    assert parties.office.store.owed_notices() == []
    parties.office.store.close()
    parties.portal.store.close()
