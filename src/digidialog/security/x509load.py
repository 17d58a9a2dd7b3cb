"""Certificates read whole, once: from a message's bytes, or as the caller hands them over.

`cryptography` parses a certificate lazily. Loading checks the outer structure (and raises
`x509.InvalidVersion`, which is no `ValueError`, for an unknown version); the subject, issuer,
extensions and public key are decoded on first use, each failing its own way (`ValueError`,
`x509.DuplicateExtension`, `UnsupportedAlgorithm`). So a certificate is read in full here, right
after loading: every way a certificate can be unreadable becomes one refusal in one place, before
any signature check, and a certificate that passed (and is cached as such) cannot raise later,
wherever it is used. The decoded fields are kept by the object, so reading them again is cheap.
An extension that does not decode (a malformed CertificatePolicies, say) makes every extension
unreadable in `cryptography`; the refusal then names the extension (`explain`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from asn1crypto.core import ObjectIdentifier
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from digidialog.errors import UsageError
from digidialog.security import der
from digidialog.security.errors import InvalidCertificateError

if TYPE_CHECKING:
    from digidialog.security.certificates import CertificateValidator

READ_ERRORS: Final = (
    ValueError,
    UnsupportedAlgorithm,
    x509.InvalidVersion,
    x509.DuplicateExtension,
)
"""What `cryptography` raises for a certificate it cannot load, or a field it cannot decode."""

UNREADABLE: Final = "unreadable-certificate"
"""The `reason` of every refusal of an unreadable certificate."""


class UnreadableCertificate(ValueError):
    """A certificate that does not load, or has a field that does not decode. `thumbprint` is the
    SHA-1 of its DER in upper-case hex (as `certificates.thumbprint`), for the error's data."""

    def __init__(self, message: str, thumbprint: str) -> None:
        super().__init__(message)
        self.thumbprint = thumbprint


def why(exc: BaseException) -> str:
    """What a `READ_ERRORS` exception means, in words."""
    if isinstance(exc, x509.InvalidVersion):
        return f"unknown X.509 version {exc.parsed_version}"
    if isinstance(exc, x509.DuplicateExtension):
        return f"the extension {exc.oid.dotted_string} appears more than once"
    if isinstance(exc, UnsupportedAlgorithm):
        return f"unsupported public key algorithm ({exc})"
    return str(exc)


def explain(cert: x509.Certificate, exc: BaseException) -> str:
    """What a `READ_ERRORS` exception raised by reading ``cert`` means, in words (`why`), naming
    the extension when one that does not decode is the cause."""
    if type(exc) is ValueError:
        name = undecodable_extension(cert)
        if name is not None:
            return f"its {name} does not decode ({exc})"
    return why(exc)


def undecodable_extension(cert: x509.Certificate) -> str | None:
    """The first extension of ``cert`` that does not decode by itself, e.g. ``"certificatePolicies
    extension (2.5.29.32)"``; None when each decodes alone (or the certificate's layout cannot be
    followed). Only for refusals: `cryptography` decodes all extensions at once and does not say
    which failed, so each is tried alone in a copy of the certificate that holds no other (its
    signature no longer matches; nothing but the extensions is read from the copy)."""
    data = cert.public_bytes(serialization.Encoding.DER)
    try:
        _, body, end = der.head(data, 0, len(data))
        _, tbs_body, tbs_end = der.head(data, body, end)
        outer = data[tbs_end:end]  # signatureAlgorithm and signatureValue
        pos = tbs_body
        while pos < tbs_end:
            tag, field_body, field_end = der.head(data, pos, tbs_end)
            if tag == 0xA3:  # [3] EXPLICIT Extensions
                break
            pos = field_end
        else:
            return None
        before = data[tbs_body:pos]
        _, at, stop = der.head(data, field_body, field_end)
        while at < stop:
            _, ext_body, ext_end = der.head(data, at, stop)
            oid_end = der.head(data, ext_body, ext_end)[2]
            extensions = der.encode(0xA3, der.encode(der.SEQUENCE, data[at:ext_end]))
            tbs = der.encode(der.SEQUENCE, before + extensions)
            alone = x509.load_der_x509_certificate(der.encode(der.SEQUENCE, tbs + outer))
            try:
                _ = alone.extensions
            except READ_ERRORS:
                oid = x509.ObjectIdentifier(ObjectIdentifier.load(data[ext_body:oid_end]).dotted)
                known = oid._name  # e.g. "certificatePolicies"; "Unknown OID" for others
                dotted = oid.dotted_string
                return (
                    f"extension {dotted}"
                    if known == "Unknown OID"
                    else f"{known} extension ({dotted})"
                )
            at = ext_end
    except (*READ_ERRORS, der.DerError):
        return None
    return None


def inspect(cert: x509.Certificate) -> x509.Certificate:
    """``cert``, every field verification reads decoded now; `UnreadableCertificate` if one
    does not decode."""
    try:
        # Each read decodes the field (the object keeps it), raising if it cannot.
        _ = (cert.version, cert.serial_number, cert.subject, cert.issuer, cert.extensions)
        _ = (cert.not_valid_before_utc, cert.not_valid_after_utc, cert.public_key())
    except READ_ERRORS as exc:
        thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - an identifier
        raise UnreadableCertificate(explain(cert, exc), thumbprint) from exc
    return cert


def load_der(data: bytes) -> x509.Certificate:
    """The certificate in ``data`` (DER), loaded and read in full (`inspect`);
    `UnreadableCertificate` when it does not load or a field does not decode."""
    try:
        cert = x509.load_der_x509_certificate(data)
    except READ_ERRORS as exc:
        thumbprint = hashes.Hash(hashes.SHA1())  # noqa: S303 - an identifier
        thumbprint.update(data)
        raise UnreadableCertificate(why(exc), thumbprint.finalize().hex().upper()) from exc
    return inspect(cert)


def check_readable(cert: x509.Certificate, role: str) -> None:
    """Raise `InvalidCertificateError` unless ``cert`` (the caller's own, a recipient's, one a
    resolver gave: ``role`` says which) reads in full, so it is refused by name, not by a
    `cryptography` exception from wherever a field is first read."""
    try:
        inspect(cert)
    except UnreadableCertificate as exc:
        raise InvalidCertificateError(
            f"the {role} certificate [{exc.thumbprint}] cannot be read: {exc}",
            reason=UNREADABLE,
            thumbprint=exc.thumbprint,
            hint="the certificate is malformed; get a well-formed copy from its issuer",
        ) from exc


def check_policy_certificates(validator: CertificateValidator) -> None:
    """Raise `UsageError` unless the trust anchors and pinned certificates ``validator`` was
    built with all read in full: a malformed one is a mistake in the configuration, said when
    the verifier is built, not a `cryptography` exception on some later message."""
    store = validator.trust_store
    groups: Iterable[tuple[str, Iterable[x509.Certificate]]] = (
        ("trust store", store.anchors if store is not None else ()),
        ("pinned", validator.pinned),
    )
    for what, certs in groups:
        for cert in certs:
            try:
                inspect(cert)
            except UnreadableCertificate as exc:
                raise UsageError(
                    f"a {what} certificate [{exc.thumbprint}] cannot be read: {exc}",
                    hint="replace it with a well-formed copy of the certificate",
                ) from exc
