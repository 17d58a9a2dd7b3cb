"""A sender that changed certificates is read again from the register before it is refused.

HITS 1216 §2.1.4: when a certificate check fails, drop the cached certificates, fetch them again
from the address register and retry. The refresh is rate-limited, so forged envelopes cannot make
the register be fetched on every one.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from digidialog.adapters import memory_adapter
from digidialog.pipeline import Queued, SecureChannel
from digidialog.pipeline.channel import Identity
from digidialog.security import (
    CertificateResolver,
    CertificateValidator,
    DirectoryResolver,
    InMemoryResolver,
    KeyPurpose,
    SpoofingError,
)
from digidialog.security.devpki import Credential, DevParty, DevPki
from digidialog.services import HELSENORGE_TEST
from digidialog.transport import BaseTransport, Envelope, TransportError

from .conftest import CITIZEN, GP, OFFICE, Parties, make_parties, office_journal

PORTAL = HELSENORGE_TEST.unit_her_id


class CountingResolver(DirectoryResolver):
    refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1
        super().refresh()


def _register(folder: Path, her_id: str, purpose: KeyPurpose, pem: bytes) -> None:
    (folder / f"{her_id}.{purpose.value}.pem").write_bytes(pem)


@pytest.fixture
def office(pki: DevPki, tmp_path: Path) -> tuple[SecureChannel, CountingResolver]:
    """The office's channel, reading the register from a folder that lists helsenorge.no's
    encryption certificate and, as its signing certificate, another one (an old one)."""
    folder = tmp_path / "register"
    folder.mkdir()
    pem = {name: cred.certificate.public_bytes(Encoding.PEM) for name, cred in (
        ("encryption", pki.helsenorge.encryption), ("old", pki.gp_office.signing),
    )}  # fmt: skip
    _register(folder, PORTAL, KeyPurpose.ENCRYPTION, pem["encryption"])
    _register(folder, PORTAL, KeyPurpose.SIGNING, pem["old"])
    resolver = CountingResolver(folder)
    gp = pki.gp_office
    identity = Identity(OFFICE.her_id, gp.signing.key, gp.signing.certificate,
                        gp.encryption.key, gp.encryption.certificate)  # fmt: skip
    return SecureChannel(identity, CertificateValidator(pki.trust_store()), resolver), resolver


@pytest.fixture
def envelope(parties: Parties, channels: tuple[SecureChannel, SecureChannel]) -> Envelope:
    """A request from helsenorge.no to the office, signed and sealed with its current keys."""
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    return channels[1].pack(request.message, OFFICE.her_id).envelope


def test_a_sender_that_changed_certificates_is_read_again(
    pki: DevPki, office: tuple[SecureChannel, CountingResolver], envelope: Envelope
) -> None:
    channel, resolver = office
    assert resolver.certificates(PORTAL, KeyPurpose.SIGNING)  # the office read the old one
    # helsenorge.no registers its new certificate; the office's cache does not know yet.
    new = pki.helsenorge.signing.certificate.public_bytes(Encoding.PEM)
    _register(resolver.folder, PORTAL, KeyPurpose.SIGNING, new)
    assert channel.unpack(envelope).is_msghead
    assert resolver.refreshed == 1


def test_a_forgery_is_refused_and_refreshes_at_most_once_a_minute(
    office: tuple[SecureChannel, CountingResolver], envelope: Envelope
) -> None:
    # The register really lists another certificate for the sender: after one fresh look the
    # envelope is refused, and the next ones are refused without fetching the register again.
    channel, resolver = office
    for _ in range(3):
        with pytest.raises(SpoofingError):
            channel.unpack(envelope)
    assert resolver.refreshed == 1


# -- sending: the receiver changed its encryption certificate --------------------------------


def _channel(pki: DevPki, her_id: str, party: DevParty, encryption: Credential,
             resolver: CertificateResolver) -> SecureChannel:  # fmt: skip
    identity = Identity(her_id, party.signing.key, party.signing.certificate,
                        encryption.key, encryption.certificate)  # fmt: skip
    return SecureChannel(identity, CertificateValidator(pki.trust_store()), resolver)


def test_an_envelope_refused_for_an_old_certificate_is_sealed_again(
    pki: DevPki, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # helsenorge.no has a new encryption certificate; the office's register still hands out the
    # old one, so helsenorge.no cannot open what the office seals and refuses it
    # (transport:invalid-certificate, not-addressed-to-us). The office reads the register again,
    # seals the same signed message for the new certificate and sends it on the next flush.
    new = pki.issue(f"helsenorge-encryption-{uuid.uuid4().hex[:8]}", KeyPurpose.ENCRYPTION)
    folder = tmp_path / "register"
    folder.mkdir()
    for her_id, party in ((OFFICE.her_id, pki.gp_office), (PORTAL, pki.helsenorge)):
        for purpose, cred in ((KeyPurpose.SIGNING, party.signing),
                              (KeyPurpose.ENCRYPTION, party.encryption)):  # fmt: skip
            _register(folder, her_id, purpose, cred.certificate.public_bytes(Encoding.PEM))
    office_register = CountingResolver(folder)
    assert office_register.certificates(PORTAL, KeyPurpose.ENCRYPTION)  # cached: the old one
    _register(folder, PORTAL, KeyPurpose.ENCRYPTION, new.certificate.public_bytes(Encoding.PEM))
    portal_register = DirectoryResolver(folder)
    office_channel = _channel(pki, OFFICE.her_id, pki.gp_office, pki.gp_office.encryption,
                              office_register)  # fmt: skip
    portal_channel = _channel(pki, PORTAL, pki.helsenorge, new, portal_register)
    journal = office_journal()
    parties, _ = make_parties(tmp_path, (office_channel, portal_channel), memory_adapter(journal),
                              journal)  # fmt: skip
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    packed = parties.office.pack_reply(start.message)
    parties.office.store.enqueue(Queued(packed.envelope, packed.xml), now=parties.clock())
    [queued] = parties.office.store.outbox()
    with caplog.at_level(logging.WARNING, logger="digidialog.pipeline.endpoint"):
        first = parties.office.flush()
    assert first.deferred == [start.msg_id]  # refused, sealed again: not failed
    assert office_register.refreshed == 1
    [entry] = parties.office.store.outbox()
    assert entry.envelope.payload != queued.envelope.payload
    assert "transport:invalid-certificate" in (entry.last_error or "")
    parties.clock.advance(3600)
    assert parties.office.flush().sent == [start.msg_id]
    assert start.msg_id in parties.portal.messages
    assert parties.office.store.outbox("failed") == []
    assert "sealed again" in caplog.text


def test_a_refusal_sealing_again_cannot_mend_fails(parties: Parties) -> None:
    # The receiver refuses the certificate, but the register lists the one the envelope was
    # sealed for: sealing again would change nothing, so the entry fails as before.
    class RefusesTheCertificate(BaseTransport):
        def send(self, envelope: Envelope) -> None:
            raise TransportError("refused", retryable=False, code="transport:invalid-certificate")

    parties.office.transport = RefusesTheCertificate()
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    packed = parties.office.pack_reply(start.message)
    parties.office.store.enqueue(Queued(packed.envelope, packed.xml), now=parties.clock())
    assert parties.office.flush().failed == [start.msg_id]
    [entry] = parties.office.store.outbox()
    assert entry.envelope.payload == packed.envelope.payload


def test_a_receiver_no_longer_registered_fails_without_raising(
    parties: Parties, pki: DevPki
) -> None:
    # The receiver refuses the certificate, and the register now lists none for it: the entry
    # fails (with the receiver's code) instead of the flush raising.
    class RefusesTheCertificate(BaseTransport):
        def send(self, envelope: Envelope) -> None:
            raise TransportError("refused", retryable=False, code="transport:invalid-certificate")

    parties.office.transport = RefusesTheCertificate()
    start = parties.office.office.e_consultation.start(CITIZEN, GP, "Prøvesvar", "Alt fint.")
    packed = parties.office.pack_reply(start.message)
    parties.office.store.enqueue(Queued(packed.envelope, packed.xml), now=parties.clock())
    office = parties.office.channel
    parties.office.channel = SecureChannel(
        office.identity, CertificateValidator(pki.trust_store()), InMemoryResolver()
    )
    assert parties.office.flush().failed == [start.msg_id]
