"""Certificate policy: trust store, chain, key usage, key size, enterprise-certificate policy,
validity at a time, revocation.

One `CertificateValidator` serves both the XML-DSig verifier and the CMS opener, so a certificate is
judged the same way wherever it turns up. Chains are built and their signatures checked once per
certificate and cached (the key usage and certificate-policy checks with them); validity at the
verification time and revocation are checked every time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final, Generic, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from digidialog.errors import UsageError
from digidialog.security import x509load
from digidialog.security.errors import (
    ExpiredCertificateError,
    InvalidCertificateError,
    NotYetValidCertificateError,
)
from digidialog.security.keys import load_certificates
from digidialog.security.revocation import RevocationChecker, RevocationState, RevocationStatus
from digidialog.security.x509load import READ_ERRORS, UNREADABLE, explain

MIN_RSA_BITS = 2048

HELSENORGE_TEST_POLICIES: Final = frozenset({"2.16.578.1.26.1.0.3.2"})
"""The certificate policy of enterprise certificates (virksomhetssertifikater) in the test
environment, as HITS 1216 (§3, the checklists) names it: Buypass's test policy."""
HELSENORGE_PRODUCTION_POLICIES: Final = frozenset({"2.16.578.1.26.1.3.2"})
"""The certificate policy of enterprise certificates in production, as HITS 1216 names it:
Buypass's. Commfides enterprise certificates carry other OIDs; add them when the trust store
holds Commfides CAs."""
_K = TypeVar("_K")
_V = TypeVar("_V")
_NOT_CHECKED = RevocationStatus(
    RevocationState.NOT_CHECKED, reason="no revocation checker configured"
)
_ANCHOR = RevocationStatus(
    RevocationState.NOT_CHECKED,
    reason="the certificate is itself a self-signed trust anchor, trusted as given",
)


class KeyPurpose(Enum):
    """What a certificate is used for, and the key usage bit HITS 1216 requires for it."""

    SIGNING = "signing"
    """Signatures (XML-DSig, CMS SignedData): keyUsage nonRepudiation."""
    ENCRYPTION = "encryption"
    """Key transport in CMS EnvelopedData: keyUsage keyEncipherment."""


def thumbprint(cert: x509.Certificate) -> str:
    """The SHA-1 thumbprint in upper-case hex, as Helsenorge.Messaging and Windows show it."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - an identifier, not a MAC


def describe(cert: x509.Certificate) -> str:
    """A short human name for a certificate: subject and thumbprint. Used in error messages, so
    a subject that does not decode is said to be unreadable rather than raise."""
    try:
        subject = cert.subject.rfc4514_string()
    except READ_ERRORS:
        subject = "(unreadable subject)"
    return f"{subject} [{thumbprint(cert)}]"


def _unreadable(cert: x509.Certificate, exc: Exception) -> InvalidCertificateError:
    """The refusal of a certificate whose field does not decode (`cryptography` decodes fields
    on first use, so a certificate not read in full by `x509load` may fail in any check)."""
    return InvalidCertificateError(
        f"the certificate {describe(cert)} cannot be read: {explain(cert, exc)}",
        reason=UNREADABLE,
        thumbprint=thumbprint(cert),
        hint="the certificate is malformed; get a well-formed copy from its issuer",
    )


def check_key_usage(cert: x509.Certificate, purpose: KeyPurpose) -> None:
    """Raise unless the certificate's keyUsage allows ``purpose``."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    except READ_ERRORS as exc:
        raise _unreadable(cert, exc) from exc
    if purpose is KeyPurpose.SIGNING:
        ok, wanted = usage is not None and usage.content_commitment, "nonRepudiation"
    else:
        ok, wanted = usage is not None and usage.key_encipherment, "keyEncipherment"
    if not ok:
        raise InvalidCertificateError(
            f"the certificate {describe(cert)} is used for {purpose.value} but its key usage "
            f"lacks {wanted}",
            reason="wrong-key-usage",
            thumbprint=thumbprint(cert),
            hint=f"use the party's {purpose.value} certificate (key usage {wanted})",
        )


def policy_set(policies: Iterable[str]) -> frozenset[str]:
    """``policies`` as a set of canonical dotted OIDs; a `UsageError` for a value that is not an
    OID, for a bare string (which would be read character by character) and for an empty set
    (which no certificate could meet: pass None to leave the check out)."""
    if isinstance(policies, str | bytes):
        raise UsageError(
            f"the certificate policies must be a collection of OIDs, not the string {policies!r}",
            hint="e.g. policies=HELSENORGE_PRODUCTION_POLICIES or policies={'2.16.578.1.26.1.3.2'}",
        )
    found: set[str] = set()
    for policy in policies:
        try:
            found.add(x509.ObjectIdentifier(policy).dotted_string)
        except (ValueError, TypeError) as exc:
            raise UsageError(
                f"the certificate policy {policy!r} is not an object identifier",
                hint="give dotted decimal, e.g. 2.16.578.1.26.1.3.2 (enterprise certificates, "
                "production)",
            ) from exc
    if not found:
        raise UsageError(
            "no certificate policy given: every certificate would be refused",
            hint="give at least one policy OID, or None to leave the policy check out",
        )
    return frozenset(found)


def certificate_policies(cert: x509.Certificate) -> tuple[str, ...] | None:
    """The policy OIDs of the certificate's CertificatePolicies extension (dotted, in its order),
    or None when it has none. A certificate whose extensions do not decode is refused by name."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return None
    except READ_ERRORS as exc:
        raise _unreadable(cert, exc) from exc
    return tuple(info.policy_identifier.dotted_string for info in extension.value)


def check_certificate_policy(cert: x509.Certificate, policies: frozenset[str]) -> None:
    """Raise unless the certificate names one of ``policies`` (canonical dotted OIDs, see
    `policy_set`) in its CertificatePolicies extension: HITS 1216 has both parties check that the
    signing and encryption certificates are enterprise certificates by their policy OID."""
    found = certificate_policies(cert)
    if found is not None and not policies.isdisjoint(found):
        return
    ordered = sorted(policies)
    required = ordered[0] if len(ordered) == 1 else f"one of {', '.join(ordered)}"
    if found is None:
        has = "has no certificate policies extension"
    elif not found:
        has = "has a certificate policies extension naming no policy"
    else:
        has = f"has the certificate polic{'y' if len(found) == 1 else 'ies'} {', '.join(found)}"
    raise InvalidCertificateError(
        f"the certificate {describe(cert)} {has}; an enterprise certificate under {required} is "
        "required",
        reason="wrong-certificate-policy",
        thumbprint=thumbprint(cert),
        hint="HITS 1216 names 2.16.578.1.26.1.0.3.2 (test) and 2.16.578.1.26.1.3.2 (production): "
        "the party must use its enterprise certificate (virksomhetssertifikat) for this "
        "environment, and the policies required must be those of the CAs in the trust store",
    )


def check_rsa_key(cert: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's RSA public key, refused when it is not RSA or shorter than 2048 bits."""
    try:
        key = cert.public_key()
    except READ_ERRORS as exc:
        raise _unreadable(cert, exc) from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        kind = f"RSA-{key.key_size}" if isinstance(key, rsa.RSAPublicKey) else type(key).__name__
        raise InvalidCertificateError(
            f"the certificate {describe(cert)} has a {kind} key; the profile needs RSA-2048+",
            reason="weak-key",
            thumbprint=thumbprint(cert),
        )
    return key


def check_key_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """Raise unless ``key`` is the private half of ``cert``'s public key."""
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise InvalidCertificateError(
            "the signing key does not belong to the certificate",
            reason="key-mismatch",
            thumbprint=thumbprint(cert),
            hint="pass the certificate issued for this key",
        )


def check_signing_key(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """Raise unless ``cert`` is an RSA certificate for signing and ``key`` its private half."""
    check_rsa_key(cert)
    check_key_usage(cert, KeyPurpose.SIGNING)
    check_key_pair(key, cert)


def aware_time(at: dt.datetime | None) -> dt.datetime:
    """``at``, or now (UTC) when it is None. A naive ``at`` is refused with a `UsageError`: it
    would meet the certificates' UTC validity in a comparison that raises a bare `TypeError`,
    and guessing its zone could shift an archive check by hours (the CLI's ``--at`` says UTC)."""
    if at is None:
        return dt.datetime.now(dt.UTC)
    if at.utcoffset() is None:
        raise UsageError(
            f"the verification time {at.isoformat()} has no time zone; it must be timezone-aware",
            hint="e.g. datetime(2026, 6, 1, tzinfo=datetime.UTC)",
        )
    return at


def check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    """Raise unless ``at`` falls inside the certificate's validity period."""
    aware_time(at)  # a naive ``at`` is a UsageError, not a TypeError below
    if at < cert.not_valid_before_utc:
        raise NotYetValidCertificateError(
            f"the certificate {describe(cert)} is not valid until "
            f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M}Z (checked at {at:%Y-%m-%d %H:%M}Z)",
            thumbprint=thumbprint(cert),
            hint="check the clocks, or wait until the certificate becomes valid",
        )
    if at > cert.not_valid_after_utc:
        raise ExpiredCertificateError(
            f"the certificate {describe(cert)} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M}Z (checked at {at:%Y-%m-%d %H:%M}Z)",
            thumbprint=thumbprint(cert),
            hint="the sender must renew the certificate; for archived messages pass the "
            "time of receipt as verification_time",
        )


class IdentityCache(Generic[_K, _V]):
    """``compute(obj)`` worked out once per object and found again by identity.

    Hashing or comparing a `x509.Certificate` costs microseconds (both go through its DER), so
    per-message lookups use ``id()``; an entry holds its object, so the id cannot be reused while
    it is cached. An equal but distinct object is simply computed again. Only results are kept —
    when ``compute`` raises, nothing is.
    """

    def __init__(self, compute: Callable[[_K], _V], *, size: int = 1024) -> None:
        self._compute = compute
        self._size = size
        self._entries: dict[int, tuple[_K, _V]] = {}
        self._lock = threading.Lock()

    def __call__(self, obj: _K) -> _V:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        value = self._compute(obj)
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[id(obj)] = (obj, value)
        return value


class TrustStore:
    """The CAs the caller trusts (e.g. Buypass and Commfides), never the public web PKI bundle."""

    def __init__(
        self, anchors: Iterable[x509.Certificate], intermediates: Iterable[x509.Certificate] = ()
    ) -> None:
        self.anchors: tuple[x509.Certificate, ...] = tuple(anchors)
        if not self.anchors:
            raise UsageError("a trust store needs at least one CA certificate")
        self._by_subject: dict[bytes, list[x509.Certificate]] = {}
        for cert in (*self.anchors, *intermediates):
            try:
                x509load.inspect(cert)
            except x509load.UnreadableCertificate as exc:
                raise UsageError(
                    f"a trust store certificate (SHA-1 {exc.thumbprint}) cannot be read: {exc}"
                ) from exc
            self._by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
        self._anchor_ders = {a.fingerprint(hashes.SHA256()) for a in self.anchors}
        self._chains: dict[bytes, tuple[x509.Certificate, ...]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_pem(cls, *paths: str | Path, intermediates: Iterable[str | Path] = ()) -> TrustStore:
        """Read the CA files once (PEM bundles or DER)."""
        anchors = [c for p in paths for c in load_certificates(p)]
        extra = [c for p in intermediates for c in load_certificates(p)]
        return cls(anchors, extra)

    def chain(self, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
        """``cert`` and its issuers up to a trusted CA, signatures checked; cached per cert."""
        key = cert.fingerprint(hashes.SHA256())
        with self._lock:
            cached = self._chains.get(key)
        if cached is not None:
            return cached
        chain = self._build(cert)
        with self._lock:
            self._chains[key] = chain
        return chain

    def _build(self, cert: x509.Certificate) -> tuple[x509.Certificate, ...]:
        chain = [cert]
        current = cert
        for _ in range(8):
            if current.fingerprint(hashes.SHA256()) in self._anchor_ders:
                _check_path_lengths(chain)
                return tuple(chain)
            issuer = self._issuer_of(current)
            if issuer is None:
                break
            chain.append(issuer)
            current = issuer
        raise InvalidCertificateError(
            f"the certificate {describe(cert)} (issued by {cert.issuer.rfc4514_string()}) does not "
            "chain to a CA in the trust store",
            reason="untrusted",
            thumbprint=thumbprint(cert),
            hint="add the issuing CA to the trust store if this party is to be trusted",
        )

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        for candidate in self._by_subject.get(cert.issuer.public_bytes(), ()):
            if candidate is cert or not _is_ca(candidate):
                continue
            try:
                cert.verify_directly_issued_by(candidate)
            except (InvalidSignature, ValueError, TypeError):
                continue
            return candidate
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    """Whether ``cert`` may issue certificates (RFC 5280 §4.2.1.3, §4.2.1.9): basicConstraints
    cA, and keyCertSign when it has a keyUsage. A CA key meant only for, say, CRLs or signatures
    must not vouch for other certificates."""
    try:
        extensions = cert.extensions
        if not extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except (x509.ExtensionNotFound, *READ_ERRORS):
        return False
    try:
        return extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def _self_signed(cert: x509.Certificate) -> bool:
    try:
        if cert.subject != cert.issuer:
            return False
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, TypeError, *READ_ERRORS):
        return False
    return True


def _check_path_lengths(chain: list[x509.Certificate]) -> None:
    """Raise unless every CA in ``chain`` (leaf first, trust anchor last — the anchor's own
    constraint counts too) has at most its pathLenConstraint of non-self-issued intermediate CAs
    below it (RFC 5280 §4.2.1.9): a CA limited to issuing end entities must not gain sub-CAs."""
    below = 0  # non-self-issued intermediates between chain[index] and the leaf
    for index in range(1, len(chain)):
        ca = chain[index]
        limit = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
        if limit is not None and below > limit:
            raise InvalidCertificateError(
                f"the CA {describe(ca)} allows {limit} intermediate CA(s) below it "
                f"(pathLenConstraint), but the chain of {describe(chain[0])} has {below}",
                reason="path-length-exceeded",
                thumbprint=thumbprint(chain[0]),
                hint="the issuing CA is not allowed to issue certificates through sub-CAs",
            )
        if ca.subject != ca.issuer:
            below += 1


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """What was established about a certificate: its chain (if a trust store was used) and
    revocation status."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    revocation: RevocationStatus
    pinned: bool


class CertificateValidator:
    """Judges certificates against one policy: a trust store and/or pinned certificates,
    key usage, key size, optionally the certificate policy (enterprise certificates), validity at
    a time, and revocation. Build once, share freely.

    With ``policies`` (policy OIDs, e.g. `HELSENORGE_PRODUCTION_POLICIES`) every certificate
    validated must name at least one of them in its CertificatePolicies extension, or it is
    refused (`InvalidCertificateError`, reason ``wrong-certificate-policy``). None (the default)
    leaves the check out: see docs/security.md, *Certificates*, for why."""

    def __init__(
        self,
        trust_store: TrustStore | None = None,
        *,
        pinned: Sequence[x509.Certificate] = (),
        revocation: RevocationChecker | None = None,
        policies: Iterable[str] | None = None,
    ) -> None:
        if trust_store is None and not pinned:
            raise UsageError(
                "nothing to trust: give a trust store or the expected (pinned) certificate",
                hint="--trust CA.pem or --cert SENDER.pem on the command line",
            )
        self.trust_store = trust_store
        self.pinned = tuple(pinned)
        self.revocation = revocation
        self.policies: frozenset[str] | None = None if policies is None else policy_set(policies)
        # The time-independent outcome per (certificate, purpose): the chain, the period in
        # which every member of it is valid, the result to hand out when revocation is not
        # checked, and the (certificate, issuer) pairs to ask the revocation checker about.
        # Only passes are kept; time and revocation are checked on every call.
        self._passed: dict[
            tuple[int, KeyPurpose],
            tuple[
                tuple[x509.Certificate, ...],
                dt.datetime,
                dt.datetime,
                CertificateCheck,
                tuple[tuple[x509.Certificate, x509.Certificate | None], ...],
            ],
        ] = {}
        self._lock = threading.Lock()

    def validate(
        self, cert: x509.Certificate, purpose: KeyPurpose, at: dt.datetime | None = None
    ) -> CertificateCheck:
        """Raise a `TransportSecurityError` unless ``cert`` suits ``purpose`` at time ``at``."""
        when = aware_time(at)
        # Keyed by identity: hashing or comparing a Certificate costs microseconds (its DER),
        # and the verifiers hand over the same object for the same certificate. The entry holds
        # the certificate, so its id cannot be reused while it is cached.
        passed = self._passed.get((id(cert), purpose))
        if passed is None or passed[3].certificate is not cert:
            chain = self._static_checks(cert, purpose)
            passed = (
                chain,
                max(member.not_valid_before_utc for member in chain),
                min(member.not_valid_after_utc for member in chain),
                CertificateCheck(cert, chain, _NOT_CHECKED, pinned=bool(self.pinned)),
                self._revocable(chain),
            )
            with self._lock:
                if len(self._passed) > 4096:
                    self._passed.clear()
                self._passed[(id(cert), purpose)] = passed
        chain, valid_from, valid_until, unchecked, revocable = passed
        if not valid_from <= when <= valid_until:
            for member in chain:  # raises, naming the certificate that is out of its period
                check_validity(member, when)
        if self.revocation is None:
            return unchecked
        if len(revocable) == 1:  # the usual chain: leaf and the CA that issued it
            status = self.revocation.check(revocable[0][0], revocable[0][1], when)
        else:
            status = self._chain_revocation(revocable, when)
        return CertificateCheck(cert, chain, status, pinned=unchecked.pinned)

    def _revocable(
        self, chain: tuple[x509.Certificate, ...]
    ) -> tuple[tuple[x509.Certificate, x509.Certificate | None], ...]:
        """Each certificate below the trust anchor with its issuer, leaf first: CAs are asked
        about too, since a revoked CA voids all it issued. The anchor is trusted as given (RFC
        5280 §6.1), so a self-signed anchor is never asked about. A certificate with no known
        issuer (pinned without a trust store, or an anchor that is not self-signed and whose
        issuer the store lacks) is paired with None: the checker then refuses to call it good
        when a CRL or OCSP source exists, since no answer can be verified."""
        if len(chain) > 1:
            return tuple((chain[i], chain[i + 1]) for i in range(len(chain) - 1))
        cert = chain[0]
        if self.trust_store is None:
            return ((cert, None),)
        if _self_signed(cert):
            return ()
        return ((cert, self.trust_store._issuer_of(cert)),)

    def _chain_revocation(
        self,
        revocable: tuple[tuple[x509.Certificate, x509.Certificate | None], ...],
        when: dt.datetime,
    ) -> RevocationStatus:
        """The leaf's status once every CA below the anchor was checked (top-down, so a revoked
        CA is what is reported); a CA not checked makes the whole result not checked."""
        assert self.revocation is not None
        if not revocable:
            return _ANCHOR
        gap: str | None = None
        for member, issuer in reversed(revocable[1:]):
            status = self.revocation.check(member, issuer, when)
            if status.state is RevocationState.NOT_CHECKED and gap is None:
                gap = f"its issuing CA {member.subject.rfc4514_string()} was {status}"
        leaf = self.revocation.check(revocable[0][0], revocable[0][1], when)
        if gap is None or leaf.state is RevocationState.NOT_CHECKED:
            return leaf
        return RevocationStatus(
            RevocationState.NOT_CHECKED, reason=f"the certificate is {leaf}, but {gap}"
        )

    def _static_checks(
        self, cert: x509.Certificate, purpose: KeyPurpose
    ) -> tuple[x509.Certificate, ...]:
        """The time-independent checks (pin, key, usage, chain, certificate policy); their
        outcome is cached. The policy is checked once the chain is known: the OID means something
        only as asserted by a trusted CA."""
        if self.pinned and cert not in self.pinned:
            raise InvalidCertificateError(
                f"the message carries the certificate {describe(cert)}, not the expected one",
                reason="not-pinned-certificate",
                thumbprint=thumbprint(cert),
                expected_thumbprint=thumbprint(self.pinned[0]),
                hint="a key in the message is never trusted by itself; check which certificate "
                "the sender uses",
            )
        check_rsa_key(cert)
        check_key_usage(cert, purpose)
        chain = self.trust_store.chain(cert) if self.trust_store is not None else (cert,)
        if self.policies is not None:
            check_certificate_policy(cert, self.policies)
        return chain
