"""A sender that changed certificates is read again from the register before it is refused.

HITS 1216 §2.1.4: when a certificate check fails, drop the cached certificates, fetch them again
from the address register and retry. The refresh is rate-limited, so forged envelopes cannot make
the register be fetched on every one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from digidialog.pipeline import SecureChannel
from digidialog.pipeline.channel import Identity
from digidialog.security import CertificateValidator, DirectoryResolver, KeyPurpose, SpoofingError
from digidialog.security.devpki import DevPki
from digidialog.services import HELSENORGE_TEST
from digidialog.transport import Envelope

from .conftest import CITIZEN, GP, OFFICE, Parties

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
