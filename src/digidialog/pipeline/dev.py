"""Channels for two parties from a dev PKI (`digidialog.security.devpki`): demos, tests, vendor CI.

The dev PKI issues keys for "helsenorge.no" and "a GP office"; `dev_channels` binds them to the
HER-ids actually used (the office of the journal under test, helsenorge.no's communication
party) in one in-memory resolver, so each side checks that the other's signer is who it claims.
"""

from __future__ import annotations

from digidialog.pipeline.channel import Identity, SecureChannel
from digidialog.security import CertificateValidator, InMemoryResolver, KeyPurpose
from digidialog.security.devpki import DevParty, DevPki


def _identity(party: DevParty, her_id: str) -> Identity:
    return Identity(
        her_id=her_id,
        signing_key=party.signing.key,
        signing_certificate=party.signing.certificate,
        encryption_key=party.encryption.key,
        encryption_certificate=party.encryption.certificate,
    )


def dev_channels(
    pki: DevPki, *, office_her_id: str, portal_her_id: str, seal: bool = True
) -> tuple[SecureChannel, SecureChannel]:
    """``(office, portal)`` channels trusting the dev CA, each knowing the other's certificates."""
    resolver = InMemoryResolver()
    for party, her_id in ((pki.gp_office, office_her_id), (pki.helsenorge, portal_her_id)):
        resolver.add(her_id, KeyPurpose.SIGNING, party.signing.certificate)
        resolver.add(her_id, KeyPurpose.ENCRYPTION, party.encryption.certificate)
    validator = CertificateValidator(pki.trust_store())
    office = SecureChannel(_identity(pki.gp_office, office_her_id), validator, resolver, seal=seal)
    portal = SecureChannel(_identity(pki.helsenorge, portal_her_id), validator, resolver, seal=seal)
    return office, portal
