"""AppRecs are bound to the party a message was sent to (SV025), end to end with real keys.

Another registered party (its certificates in the address register, so its CMS verifies) sends
the office an E35 AppRec for a message the office sent helsenorge.no: it is ignored with a
warning, nothing changes (the citizen stays digitally active, the outbox entry is not rejected,
the AppRec is still awaited) and helsenorge.no's own AppRec is taken afterwards — also after a
restart. An AppRec from helsenorge.no whose Sender names another party is ignored as well. The
portal binds the AppRecs it gets to its outbox the same way.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digidialog.adapters import memory_adapter
from digidialog.codes import AppRecFeil
from digidialog.model import HCP, AppRec, CodedValue, Inst, MsgHead
from digidialog.pipeline import (
    OfficePipeline,
    Outcome,
    SecureChannel,
    Status,
    dev_channels,
)
from digidialog.pipeline.channel import Identity
from digidialog.pipeline.store import Queued
from digidialog.security import CertificateValidator, InMemoryResolver, KeyPurpose
from digidialog.security.devpki import DevPki
from digidialog.services import (
    HELSENORGE_TEST,
    CitizenStatus,
    Office,
    ReceiptError,
    Receipts,
)
from digidialog.transport import Envelope, InProcessTransport

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
EVIL = "7777777"
"""Another registered party: a valid signer, but not the receiver of anything we sent."""


@pytest.fixture(scope="module")
def bound(pki: DevPki) -> tuple[SecureChannel, SecureChannel, SecureChannel]:
    """Office, portal and a third registered party, all in one address register."""
    office, portal = dev_channels(pki, office_her_id=OFFICE.her_id, portal_her_id=PORTAL)
    signing = pki.issue("another-party-signing", KeyPurpose.SIGNING)
    encryption = pki.issue("another-party-encryption", KeyPurpose.ENCRYPTION)
    register = office.resolver  # shared by both channels (`dev_channels`)
    assert isinstance(register, InMemoryResolver)
    register.add(EVIL, KeyPurpose.SIGNING, signing.certificate)
    register.add(EVIL, KeyPurpose.ENCRYPTION, encryption.certificate)
    identity = Identity(
        EVIL, signing.key, signing.certificate, encryption.key, encryption.certificate
    )
    evil = SecureChannel(identity, CertificateValidator(pki.trust_store()), register)
    return office, portal, evil


@pytest.fixture
def parties(
    tmp_path: Path, bound: tuple[SecureChannel, SecureChannel, SecureChannel]
) -> Iterator[Parties]:
    journal = office_journal()
    made, _ = make_parties(tmp_path, bound[:2], memory_adapter(journal), journal)
    yield made
    made.office.store.close()
    made.portal.store.close()


@pytest.fixture
def evil(bound: tuple[SecureChannel, SecureChannel, SecureChannel]) -> SecureChannel:
    return bound[2]


def evil_receipts() -> Receipts:
    ids = (f"00000000-0000-4000-9777-{n:012d}" for n in itertools.count(1))
    return Receipts(
        Office(EVIL, "Another party"),
        CitizenStatus(),
        clock=lambda: datetime(2027, 3, 19, 10, 0, tzinfo=UTC),
        new_id=lambda: next(ids),
    )


def office_sends(parties: Parties) -> tuple[MsgHead, Envelope]:
    """The GP starts a dialog; its envelope is sent, but held on the wire before the portal."""
    start = parties.office.office.contact.start(CITIZEN, GP, "Vaksine", "Vaksinen er kommet.")
    packed = parties.office.pack_reply(start.message)
    parties.office.store.enqueue(Queued(packed.envelope, packed.xml), now=parties.clock())
    held: list[Envelope] = []
    wire = parties.office.transport
    assert isinstance(wire, InProcessTransport)
    wire.register(PORTAL, held.append)
    assert parties.office.flush().sent == [start.msg_id]
    wire.register(PORTAL, parties.portal.receive)
    assert parties.office.receipts.awaiting() == [start.msg_id]
    return start.message, held[0]


def forged_e35(message: MsgHead) -> AppRec:
    """An E35 another party builds for `message`; its Sender copies the real receiver's."""
    receipt = evil_receipts().issue(message, [ReceiptError(AppRecFeil.E35, "forged")])
    assert receipt is not None
    return receipt


def genuine_apprec(parties: Parties, held: Envelope) -> Envelope:
    """helsenorge.no receives the held message and answers with its own AppRec (OK)."""
    outcome = parties.portal.receive(held)
    assert outcome.status is Status.ACCEPTED
    assert outcome.apprec is not None
    assert outcome.apprec.is_ok
    apprec_id = outcome.apprec.id
    [item] = [i for i in parties.portal.store.outbox() if i.envelope.message_id == apprec_id]
    return item.envelope


def assert_nothing_changed(office: OfficePipeline, message: MsgHead) -> None:
    assert office.receipts.awaiting() == [message.msg_id]
    assert office.office.context.citizens.is_active(CITIZEN.national_id)
    [entry] = [i for i in office.store.outbox() if i.envelope.message_id == message.msg_id]
    assert entry.state == "sent"
    assert entry.receipt_errors == ()
    assert office.store.owed_notices() == []


def assert_ignored(outcome: Outcome, apprec: AppRec) -> None:
    assert (outcome.status, outcome.msg_id, outcome.msg_type) == (
        Status.IGNORED, apprec.id, "AppRec"
    )  # fmt: skip
    assert "[SV025]" in outcome.detail


def test_a_forged_apprec_from_another_party_is_ignored_and_changes_nothing(
    parties: Parties, evil: SecureChannel, caplog: pytest.LogCaptureFixture
) -> None:
    message, held = office_sends(parties)
    forged = forged_e35(message)
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.office"):
        outcome = parties.office.receive(evil.pack(forged, OFFICE.her_id).envelope)
    assert_ignored(outcome, forged)
    assert f"sent by HER-id {EVIL}" in outcome.detail
    [warning] = caplog.records
    assert warning.getMessage().startswith(f"AppRec {forged.id} from {EVIL} ignored: [SV025]")
    assert_nothing_changed(parties.office, message)

    genuine = parties.office.receive(genuine_apprec(parties, held))
    assert genuine.status is Status.RECEIPT
    assert genuine.detail == f"receipt for {message.msg_id}: OK"
    assert parties.office.receipts.awaiting() == []
    assert parties.office.office.context.citizens.is_active(CITIZEN.national_id)


def test_an_apprec_naming_another_sender_than_its_envelope_is_ignored(
    parties: Parties,
) -> None:
    message, held = office_sends(parties)
    genuine = genuine_apprec(parties, held)
    # helsenorge.no's own key, but an E35 whose Sender says it comes from another party.
    other = forged_e35(message)
    other.sender.hcp = HCP(inst=Inst(name="Another", id=EVIL, type_id=CodedValue(v="HER")))
    outcome = parties.office.receive(parties.portal.channel.pack(other, OFFICE.her_id).envelope)
    assert_ignored(outcome, other)
    assert f"HER-ids: {EVIL}" in outcome.detail
    assert_nothing_changed(parties.office, message)

    assert parties.office.receive(genuine).status is Status.RECEIPT
    assert parties.office.receipts.awaiting() == []


def test_after_a_restart_the_apprec_is_still_bound_to_the_receiver(
    parties: Parties, evil: SecureChannel
) -> None:
    message, held = office_sends(parties)
    office = restart_office(parties)
    assert office.restored.awaiting == 1

    forged = forged_e35(message)
    assert_ignored(office.receive(evil.pack(forged, OFFICE.her_id).envelope), forged)
    assert_nothing_changed(office, message)
    assert office.receive(genuine_apprec(parties, held)).status is Status.RECEIPT
    assert office.receipts.awaiting() == []


def test_a_forgery_refused_before_a_restart_is_not_taken_back(
    parties: Parties, evil: SecureChannel
) -> None:
    message, held = office_sends(parties)
    forged = forged_e35(message)
    assert_ignored(parties.office.receive(evil.pack(forged, OFFICE.her_id).envelope), forged)
    office = restart_office(parties)
    assert office.restored.awaiting == 1
    assert office.receive(genuine_apprec(parties, held)).status is Status.RECEIPT


def test_the_portal_binds_apprecs_to_its_outbox(parties: Parties, evil: SecureChannel) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    wire = parties.portal.transport
    assert isinstance(wire, InProcessTransport)
    held: list[Envelope] = []
    wire.register(OFFICE.her_id, held.append)
    assert parties.portal.flush().sent == [request.msg_id]
    wire.register(OFFICE.her_id, parties.office.receive)

    forged = evil_receipts().issue(request.message, [ReceiptError(AppRecFeil.E21, "forged")])
    assert forged is not None
    outcome = parties.portal.receive(evil.pack(forged, PORTAL).envelope)
    assert_ignored(outcome, forged)
    assert request.msg_id not in parties.portal.receipts_received
    [entry] = [i for i in parties.portal.store.outbox() if i.envelope.message_id == request.msg_id]
    assert entry.state == "sent"

    parties.office.receive(held[0])  # the office's own AppRec reaches the portal
    parties.exchange()
    assert parties.portal.receipts_received[request.msg_id].is_ok
