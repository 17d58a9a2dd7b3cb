"""Signed envelopes: XML-DSig in MsgHead, certificate policy, revocation, CMS seal/open, dev PKI.

Knows bytes and lxml trees only (parsed through the hardened parser), never the message model.
For many messages build `Signer`, `Verifier`, `Sealer` and `Opener` once and reuse them; the
functions `sign`, `verify`, `seal` and `open_sealed` are one-off shorthands that build them per
call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from digidialog.security.certificates import (
    HELSENORGE_PRODUCTION_POLICIES,
    HELSENORGE_TEST_POLICIES,
    CertificateCheck,
    CertificateValidator,
    KeyPurpose,
    TrustStore,
    thumbprint,
)
from digidialog.security.cms import CONTENT_TYPE, OpenedMessage, Opener, Sealer
from digidialog.security.errors import (
    DecryptionFailedError,
    ExpiredCertificateError,
    InvalidCertificateError,
    InvalidCmsError,
    InvalidSignatureError,
    NotYetValidCertificateError,
    RevocationUnavailableError,
    RevokedCertificateError,
    SpoofingError,
    TransportSecurityError,
)
from digidialog.security.keys import (
    KeyPair,
    load_certificate,
    load_certificates,
    load_key_pair,
    load_private_key,
)
from digidialog.security.resolver import (
    CertificateResolver,
    DirectoryResolver,
    InMemoryResolver,
    Refreshable,
    check_sender,
)
from digidialog.security.revocation import (
    RevocationChecker,
    RevocationPolicy,
    RevocationState,
    RevocationStatus,
)
from digidialog.security.xmldsig import Signer, VerifiedXml, Verifier


def sign(xml: bytes, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bytes:
    """Sign a MsgHead document (enveloped XML-DSig); see `Signer` for repeated use."""
    return Signer(key, certificate).sign(xml)


def verify(
    xml: bytes,
    *,
    trust_store: TrustStore | None = None,
    pinned: Sequence[x509.Certificate] = (),
    revocation: RevocationChecker | None = None,
    resolver: CertificateResolver | None = None,
    expected_sender: str | None = None,
    verification_time: dt.datetime | None = None,
    policies: Iterable[str] | None = None,
) -> VerifiedXml:
    """Verify a signed MsgHead document and return only what was signed; see `Verifier`."""
    validator = CertificateValidator(
        trust_store, pinned=pinned, revocation=revocation, policies=policies
    )
    return Verifier(validator, resolver=resolver).verify(
        xml, expected_sender=expected_sender, verification_time=verification_time
    )


def seal(
    content: bytes,
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    recipient: x509.Certificate,
) -> bytes:
    """Sign then encrypt ``content`` for ``recipient`` (CMS, DER); see `Sealer`."""
    return Sealer(key, certificate).seal(content, recipient)


def open_sealed(
    data: bytes,
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    trust_store: TrustStore | None = None,
    pinned: Sequence[x509.Certificate] = (),
    revocation: RevocationChecker | None = None,
    resolver: CertificateResolver | None = None,
    expected_sender: str | None = None,
    verification_time: dt.datetime | None = None,
    policies: Iterable[str] | None = None,
) -> OpenedMessage:
    """Decrypt and verify a sealed payload; see `Opener`."""
    validator = CertificateValidator(
        trust_store, pinned=pinned, revocation=revocation, policies=policies
    )
    return Opener(key, certificate, validator, resolver=resolver).open(
        data, expected_sender=expected_sender, verification_time=verification_time
    )


__all__ = [
    "CONTENT_TYPE",
    "HELSENORGE_PRODUCTION_POLICIES",
    "HELSENORGE_TEST_POLICIES",
    "CertificateCheck",
    "CertificateResolver",
    "CertificateValidator",
    "DecryptionFailedError",
    "DirectoryResolver",
    "ExpiredCertificateError",
    "InMemoryResolver",
    "InvalidCertificateError",
    "InvalidCmsError",
    "InvalidSignatureError",
    "KeyPair",
    "KeyPurpose",
    "NotYetValidCertificateError",
    "OpenedMessage",
    "Opener",
    "Refreshable",
    "RevocationChecker",
    "RevocationPolicy",
    "RevocationState",
    "RevocationStatus",
    "RevocationUnavailableError",
    "RevokedCertificateError",
    "Sealer",
    "Signer",
    "SpoofingError",
    "TransportSecurityError",
    "TrustStore",
    "VerifiedXml",
    "Verifier",
    "check_sender",
    "load_certificate",
    "load_certificates",
    "load_key_pair",
    "load_private_key",
    "open_sealed",
    "seal",
    "sign",
    "thumbprint",
    "verify",
]
