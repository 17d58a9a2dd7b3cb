"""Revocation checking: CRLs given by the caller or named by the certificate, OCSP where named.

Sources, in order: a CRL the caller gave for the certificate's issuer; the OCSP responder in the
certificate's Authority Information Access; the CRL distribution points it names (over HTTP).
Fetched answers are cached until their ``nextUpdate``. When no source exists the status is
`RevocationState.NOT_CHECKED` and the result says so; when sources exist but none answers, the
status is *unavailable*, which is never taken as valid: `RevocationPolicy` decides whether that is a
final refusal or a temporary one to retry later (HITS 1216 §2.1.4).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from digidialog.security.errors import RevocationUnavailableError, RevokedCertificateError

Fetch = Callable[[str, bytes | None], bytes]
"""``fetch(url, body)``: GET when ``body`` is None, else POST an OCSP request; returns the body."""


class RevocationPolicy(Enum):
    """What an unavailable revocation status means. Neither choice lets the certificate pass."""

    FAIL_CLOSED = "fail-closed"
    """Refuse for good (`RevocationUnavailableError` with ``retryable=False``)."""
    RETRY_LATER = "retry-later"
    """Refuse for now, keep the message (`RevocationUnavailableError` with ``retryable=True``)."""


class RevocationState(Enum):
    GOOD = "good"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True)
class RevocationStatus:
    """The outcome for one certificate; `source` names the CRL or OCSP responder that answered."""

    state: RevocationState
    source: str | None = None

    def __str__(self) -> str:
        if self.state is RevocationState.NOT_CHECKED:
            return "not checked (no CRL given and the certificate names no CRL or OCSP source)"
        return f"good ({self.source})"


def http_fetch(timeout: float) -> Fetch:
    """The default fetcher: plain HTTP(S), as CRL and OCSP are published; no retries here."""

    def fetch(url: str, body: bytes | None) -> bytes:
        if body is None:
            response = requests.get(url, timeout=timeout)
        else:
            response = requests.post(
                url,
                data=body,
                headers={"Content-Type": "application/ocsp-request"},
                timeout=timeout,
            )
        response.raise_for_status()
        return response.content

    return fetch


def _thumb(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - a display id, as .NET shows it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RevocationChecker:
    """Checks revocation with caching; build once and share (it is thread-safe)."""

    def __init__(
        self,
        crls: Iterable[x509.CertificateRevocationList] = (),
        *,
        policy: RevocationPolicy = RevocationPolicy.FAIL_CLOSED,
        use_network: bool = True,
        timeout: float = 5.0,
        fetch: Fetch | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.policy = policy
        self._given: dict[bytes, list[x509.CertificateRevocationList]] = {}
        for crl in crls:
            self._given.setdefault(crl.issuer.public_bytes(), []).append(crl)
        self._use_network = use_network
        self._fetch = fetch or http_fetch(timeout)
        self._clock = clock
        self._lock = threading.Lock()
        self._crl_cache: dict[str, x509.CertificateRevocationList] = {}
        self._crl_signatures: set[tuple[bytes, x509.Certificate]] = set()
        self._ocsp_cache: dict[tuple[str, int], tuple[dt.datetime, ocsp.OCSPResponse]] = {}
        self.fetches = 0
        """How many network fetches were made (for callers watching the cache)."""

    @classmethod
    def from_files(cls, paths: Iterable[str], **kwargs: object) -> RevocationChecker:
        """Load CRLs (PEM or DER) once; keyword arguments as for the constructor."""
        crls: list[x509.CertificateRevocationList] = []
        for path in paths:
            with open(path, "rb") as handle:
                data = handle.read()
            if b"-----BEGIN" in data:
                crls.append(x509.load_pem_x509_crl(data))
            else:
                crls.append(x509.load_der_x509_crl(data))
        return cls(crls, **kwargs)  # type: ignore[arg-type]

    def check(
        self, cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
    ) -> RevocationStatus:
        """The revocation status of ``cert`` at ``at``; raises when revoked or unknowable."""
        problems: list[str] = []
        given = self._given.get(cert.issuer.public_bytes())
        if given:
            for crl in given:
                status = self._from_crl(
                    crl, cert, issuer, at, source="CRL given by the caller", problems=problems
                )
                if status is not None:
                    return status
            raise self._unavailable(cert, problems)
        if not self._use_network:
            return RevocationStatus(RevocationState.NOT_CHECKED)
        ocsp_urls, crl_urls = _sources(cert)
        if not ocsp_urls and not crl_urls:
            return RevocationStatus(RevocationState.NOT_CHECKED)
        for url in ocsp_urls:
            status = self._from_ocsp(url, cert, issuer, at, problems)
            if status is not None:
                return status
        for url in crl_urls:
            fetched = self._fetched_crl(url, problems)
            if fetched is not None:
                status = self._from_crl(
                    fetched, cert, issuer, at, source=f"CRL {url}", problems=problems
                )
                if status is not None:
                    return status
        raise self._unavailable(cert, problems)

    def _unavailable(
        self, cert: x509.Certificate, problems: list[str]
    ) -> RevocationUnavailableError:
        retry = self.policy is RevocationPolicy.RETRY_LATER
        return RevocationUnavailableError(
            "revocation status of the certificate "
            f"{cert.subject.rfc4514_string()} is unavailable: " + "; ".join(problems),
            thumbprint=_thumb(cert),
            retryable=retry,
            hint="keep the message and try again later"
            if retry
            else "refused under the fail-closed revocation policy; check the CRL/OCSP sources",
        )

    def _from_crl(
        self,
        crl: x509.CertificateRevocationList,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: dt.datetime,
        *,
        source: str,
        problems: list[str],
    ) -> RevocationStatus | None:
        if crl.issuer != issuer.subject:
            problems.append(f"{source} is from another issuer")
            return None
        if not self._crl_signed_by(crl, issuer):
            problems.append(f"{source} is not signed by the certificate's issuer")
            return None
        now = self._clock()
        next_update = crl.next_update_utc
        if next_update is not None and next_update < now:
            problems.append(
                f"{source} is out of date (next update was {next_update:%Y-%m-%d %H:%M}Z)"
            )
            return None
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None and entry.revocation_date_utc <= at:
            raise RevokedCertificateError(
                f"the certificate {cert.subject.rfc4514_string()} (serial {cert.serial_number:x}) "
                f"was revoked on {entry.revocation_date_utc:%Y-%m-%d %H:%M}Z ({source})",
                thumbprint=_thumb(cert),
                hint="the sender must get a new certificate and send again",
            )
        return RevocationStatus(RevocationState.GOOD, source)

    def _crl_signed_by(self, crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
        """Whether ``issuer`` signed ``crl``; a signature never changes, so each (CRL, issuer)
        pair is checked once, keyed by the SHA-256 of the whole CRL. Only passes are kept."""
        key = (crl.fingerprint(hashes.SHA256()), issuer)
        with self._lock:
            if key in self._crl_signatures:
                return True
        issuer_key = issuer.public_key()
        if not isinstance(issuer_key, rsa.RSAPublicKey) or not crl.is_signature_valid(issuer_key):
            return False
        with self._lock:
            if len(self._crl_signatures) > 1024:
                self._crl_signatures.clear()
            self._crl_signatures.add(key)
        return True

    def _fetched_crl(self, url: str, problems: list[str]) -> x509.CertificateRevocationList | None:
        with self._lock:
            cached = self._crl_cache.get(url)
        now = self._clock()
        if cached is not None and (cached.next_update_utc is None or cached.next_update_utc >= now):
            return cached
        try:
            self.fetches += 1
            data = self._fetch(url, None)
            crl = (
                x509.load_pem_x509_crl(data)
                if data.lstrip().startswith(b"-----BEGIN")
                else x509.load_der_x509_crl(data)
            )
        except (OSError, requests.RequestException, ValueError) as exc:
            problems.append(f"CRL {url} could not be fetched: {exc}")
            return None
        with self._lock:
            self._crl_cache[url] = crl
        return crl

    def _from_ocsp(
        self,
        url: str,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: dt.datetime,
        problems: list[str],
    ) -> RevocationStatus | None:
        now = self._clock()
        key = (url, cert.serial_number)
        with self._lock:
            cached = self._ocsp_cache.get(key)
        if cached is not None and cached[0] >= now:
            response = cached[1]
        else:
            request = (
                ocsp.OCSPRequestBuilder()
                .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - CertID hash, per RFC 6960
                .build()
            )
            try:
                self.fetches += 1
                response = ocsp.load_der_ocsp_response(
                    self._fetch(url, request.public_bytes(serialization.Encoding.DER))
                )
            except (OSError, requests.RequestException, ValueError) as exc:
                problems.append(f"OCSP responder {url} did not answer: {exc}")
                return None
            problem = _ocsp_problem(response, cert, issuer, now)
            if problem is not None:
                problems.append(f"OCSP responder {url}: {problem}")
                return None
            expires = response.next_update_utc or now + dt.timedelta(minutes=5)
            with self._lock:
                self._ocsp_cache[key] = (expires, response)
        if response.certificate_status is ocsp.OCSPCertStatus.REVOKED:
            revoked_at = response.revocation_time_utc
            if revoked_at is None or revoked_at <= at:
                raise RevokedCertificateError(
                    f"the certificate {cert.subject.rfc4514_string()} is revoked "
                    f"(OCSP {url}, since {revoked_at or 'an unknown time'})",
                    thumbprint=_thumb(cert),
                    hint="the sender must get a new certificate and send again",
                )
        elif response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
            problems.append(f"OCSP responder {url} does not know the certificate")
            return None
        return RevocationStatus(RevocationState.GOOD, f"OCSP {url}")


def _sources(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    ocsp_urls: list[str] = []
    crl_urls: list[str] = []
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp_urls = [
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl_urls = [
            name.value
            for point in cdp
            for name in point.full_name or ()
            if isinstance(name, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    return ocsp_urls, crl_urls


def _ocsp_problem(
    response: ocsp.OCSPResponse,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    now: dt.datetime,
) -> str | None:
    """Why this OCSP response cannot be trusted for ``cert``, or None when it can."""
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"status {response.response_status.name}"
    if response.serial_number != cert.serial_number:
        return "the answer is about another certificate"
    signer = _ocsp_signer(response, issuer)
    if signer is None:
        return "the answer is not signed by the issuer or a responder it authorised"
    hash_alg = response.signature_hash_algorithm
    key = signer.public_key()
    if hash_alg is None or not isinstance(key, rsa.RSAPublicKey):
        return "unsupported signature on the answer"
    try:
        key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hash_alg)
    except InvalidSignature:
        return "the signature on the answer does not verify"
    skew = dt.timedelta(minutes=5)
    if response.this_update_utc > now + skew:
        return "the answer is dated in the future"
    if response.next_update_utc is not None and response.next_update_utc < now - skew:
        return "the answer is out of date"
    return None


def _ocsp_signer(response: ocsp.OCSPResponse, issuer: x509.Certificate) -> x509.Certificate | None:
    """The issuer itself, or a delegated responder certificate the issuer signed for OCSP."""
    if response.responder_name == issuer.subject or (
        response.responder_key_hash is not None
        and response.responder_key_hash
        == x509.SubjectKeyIdentifier.from_public_key(issuer.public_key()).digest
    ):
        return issuer
    for candidate in response.certificates:
        try:
            candidate.verify_directly_issued_by(issuer)
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING in eku:
            return candidate
    return None
