"""Builders for the throwaway X.509 material the security tests make by hand: keys, keyUsage
values, certificates and CRLs. Times default to around `NOW`, the one clock of the tests that
import it; every key is new (tests rely on their keys being distinct)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)

Key = rsa.RSAPrivateKey
Extensions = Sequence[tuple[x509.ExtensionType, bool]]
"""Extensions to add, each with whether it is critical."""

_KEY_USAGE_BITS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def key() -> Key:
    """A new RSA-2048 key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_usage(**on: bool) -> x509.KeyUsage:
    """A keyUsage with the bits named set and every other bit clear."""
    return x509.KeyUsage(**(dict.fromkeys(_KEY_USAGE_BITS, False) | on))


def certificate(
    subject: x509.Name | str,
    key: Key,
    issuer: x509.Certificate | None = None,
    issuer_key: Key | None = None,
    *,
    ca: bool | None = None,
    path_length: int | None = None,
    usage: x509.KeyUsage | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    serial: int | None = None,
    extensions: Extensions = (),
) -> x509.Certificate:
    """A certificate for ``key`` under ``issuer`` (signed with ``issuer_key``), self-signed when
    neither is given; ``subject`` is a name or just its common name. Valid from ``not_before``
    (default: a day before `NOW`) to ``not_after`` (default: 30 days after). Its extensions, in
    this order: basicConstraints (``ca``, ``path_length``; left out when ``ca`` is None) and
    ``usage``, both critical, then ``extensions``."""
    if isinstance(subject, str):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    if issuer is not None and issuer_key is not None:
        issuer_name, signing_key = issuer.subject, issuer_key
    elif issuer is None and issuer_key is None:
        issuer_name, signing_key = subject, key
    else:
        raise TypeError("give both issuer and issuer_key, or neither for a self-signed one")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(NOW - dt.timedelta(days=1) if not_before is None else not_before)
        .not_valid_after(NOW + dt.timedelta(days=30) if not_after is None else not_after)
    )
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length), critical=True
        )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def crl(
    issuer: x509.Certificate,
    issuer_key: Key,
    revoked: Sequence[int] = (),
    *,
    this_update: dt.datetime = NOW - dt.timedelta(hours=1),
    next_update: dt.datetime = NOW + dt.timedelta(days=1),
    reason: x509.ReasonFlags | None = None,
    extensions: Extensions = (),
) -> x509.CertificateRevocationList:
    """A CRL in ``issuer``'s name listing the serials ``revoked`` (revoked two hours before
    `NOW`, each with ``reason`` if given)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(next_update)
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    for serial in revoked:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - dt.timedelta(hours=2))
        )
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer_key, hashes.SHA256())
