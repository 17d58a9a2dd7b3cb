"""Revocation checking: CRLs given by the caller or named by the certificate, OCSP where named.

Sources, in order: the CRLs the caller gave for the certificate's issuer; the OCSP responder in
the certificate's Authority Information Access; the CRL distribution points it names (over HTTP).
Fetched answers are cached until their ``nextUpdate``. A certificate listed on any current,
correctly signed CRL that covers it is revoked; only a *complete* CRL that covers it (not a delta
CRL, not one limited to some reasons, to CA or attribute certificates or to another distribution
point) or an OCSP answer for exactly its CertID can say it is good. When no source exists the
status is `RevocationState.NOT_CHECKED` and the result says why; when sources exist but none
answers, the status is *unavailable*, which is never taken as valid: `RevocationPolicy` decides
whether that is a final refusal or a temporary one to retry later (HITS 1216 §2.1.4).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Final

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from digidialog.errors import UsageError
from digidialog.files import InputTooLargeError, read_bounded
from digidialog.security.errors import RevocationUnavailableError, RevokedCertificateError

Fetch = Callable[[str, bytes | None], bytes]
"""``fetch(url, body)``: GET when ``body`` is None, else POST an OCSP request; returns the body."""

OCSP_MAX_AGE = dt.timedelta(minutes=5)
"""How long after its thisUpdate an OCSP answer *without* nextUpdate counts as current. Such an
answer says nothing about later, and OCSP travels over plain HTTP, so anyone on the path could
replay an old "good" signed before the certificate was revoked."""

MAX_CRL_BYTES = 64 * 1024 * 1024
"""The largest CRL file read (a national CA's full CRL is a few MB)."""

CLOCK_SKEW = dt.timedelta(minutes=5)
"""Tolerance between our clock and a responder's for thisUpdate/nextUpdate of OCSP answers."""

ANSWER_ERRORS: Final = (
    ValueError,
    UnsupportedAlgorithm,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)
"""What reading a malformed CRL, OCSP answer or certificate field raises in `cryptography`. A
revocation answer arrives over plain HTTP (anyone on the path can write it), so these become a
recorded problem — the status is then unavailable under the policy — never a raw exception."""

_GIVEN_SOURCE = "CRL given by the caller"
_NO_SOURCE = "no CRL given and the certificate names no CRL or OCSP source"
_NEED_ISSUER = (
    "give a trust store holding the certificate's issuer, so that CRL and OCSP answers can be "
    "verified; on the command line --trust CA.pem rather than --cert or --sender-cert"
)


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
    """The outcome for one certificate: `source` names the CRL or OCSP responder that answered;
    `reason` says why nothing was consulted (for `RevocationState.NOT_CHECKED`)."""

    state: RevocationState
    source: str | None = None
    reason: str | None = None

    def __str__(self) -> str:
        if self.state is RevocationState.NOT_CHECKED:
            return f"not checked ({self.reason or _NO_SOURCE})"
        return f"good ({self.source})"


_GIVEN = RevocationStatus(RevocationState.GOOD, _GIVEN_SOURCE)


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


@dataclass(frozen=True, slots=True, eq=False)
class _Crl:
    """A CRL and what its extensions say about its scope, read once when it arrives (given or
    fetched), so that per message only the lookup of the serial is left."""

    crl: x509.CertificateRevocationList
    issuer: x509.Name
    next_update: dt.datetime | None
    incomplete: str | None
    """Why it can never say "good" (delta CRL, some reasons only, indirect, unknown critical
    extension), or None for a complete CRL."""
    attribute_only: bool
    only_user: bool
    only_ca: bool
    points: frozenset[x509.GeneralName] | None
    """The distribution point names of a partitioned CRL (IssuingDistributionPoint), else None."""


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """The CRL in ``data``, PEM or DER; raises one of `ANSWER_ERRORS` when it does not load."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def _read_crl(crl: x509.CertificateRevocationList) -> _Crl:
    """Inspect ``crl`` once; raises one of `ANSWER_ERRORS` when it is malformed."""
    issuer = crl.issuer
    issuer.public_bytes()
    incomplete: list[str] = []
    attribute_only = only_user = only_ca = False
    points: frozenset[x509.GeneralName] | None = None
    for extension in crl.extensions:
        value = extension.value
        if isinstance(value, x509.DeltaCRLIndicator):
            incomplete.append("is a delta CRL (it does not repeat its base CRL's entries)")
        elif isinstance(value, x509.IssuingDistributionPoint):
            attribute_only = value.only_contains_attribute_certs
            only_user = value.only_contains_user_certs
            only_ca = value.only_contains_ca_certs
            if value.only_some_reasons:
                incomplete.append("covers only some revocation reasons")
            if value.indirect_crl:
                incomplete.append("is an indirect CRL")
            if value.full_name is not None or value.relative_name is not None:
                points = _point_names(value.full_name, value.relative_name, issuer)
        elif extension.critical and isinstance(value, x509.UnrecognizedExtension):
            incomplete.append(f"has an unknown critical extension {extension.oid.dotted_string}")
    return _Crl(
        crl=crl,
        issuer=issuer,
        next_update=crl.next_update_utc,
        incomplete="; ".join(incomplete) or None,
        attribute_only=attribute_only,
        only_user=only_user,
        only_ca=only_ca,
        points=points,
    )


def _point_names(
    full_name: Iterable[x509.GeneralName] | None,
    relative_name: x509.RelativeDistinguishedName | None,
    issuer: x509.Name,
) -> frozenset[x509.GeneralName]:
    """A distribution point's names; a relative name is relative to the CRL issuer's name."""
    if full_name is not None:
        return frozenset(full_name)
    assert relative_name is not None
    return frozenset({x509.DirectoryName(x509.Name([*issuer.rdns, relative_name]))})


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _out_of_scope(facts: _Crl, cert: x509.Certificate) -> str | None:
    """Why ``facts`` does not cover ``cert`` at all (RFC 5280 §6.3.3 b), or None when it does."""
    if facts.attribute_only:
        return "covers attribute certificates only"
    if facts.only_user or facts.only_ca:
        is_ca = _is_ca(cert)
        if facts.only_user and is_ca:
            return "covers end-entity certificates only"
        if facts.only_ca and not is_ca:
            return "covers CA certificates only"
    if facts.points is not None:
        try:
            cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        except x509.ExtensionNotFound:
            return "is a partitioned CRL and the certificate names no distribution point"
        names: set[x509.GeneralName] = set()
        for point in cdp:
            if point.full_name is not None or point.relative_name is not None:
                names |= _point_names(point.full_name, point.relative_name, cert.issuer)
        if not names & facts.points:
            return "is a partitioned CRL for other distribution points"
    return None


class RevocationChecker:
    """Checks revocation with caching; build once and share (it is thread-safe).

    ``crls`` are inspected here (a malformed one is a `UsageError`); ``use_network=False`` never
    fetches, and says so in the result of a certificate that names sources; ``ocsp_max_age`` is
    how long an OCSP answer without nextUpdate stays current (`OCSP_MAX_AGE`).
    """

    def __init__(
        self,
        crls: Iterable[x509.CertificateRevocationList] = (),
        *,
        policy: RevocationPolicy = RevocationPolicy.FAIL_CLOSED,
        use_network: bool = True,
        timeout: float = 5.0,
        fetch: Fetch | None = None,
        clock: Callable[[], dt.datetime] = _now,
        ocsp_max_age: dt.timedelta = OCSP_MAX_AGE,
    ) -> None:
        self.policy = policy
        self._given: dict[bytes, list[_Crl]] = {}
        for number, crl in enumerate(crls, 1):
            try:
                facts = _read_crl(crl)
                issuer_der = facts.issuer.public_bytes()
            except ANSWER_ERRORS as exc:
                raise UsageError(
                    f"CRL number {number} given for revocation checking is malformed: {exc}",
                    hint="give CRLs as their CA publishes them",
                ) from exc
            self._given.setdefault(issuer_der, []).append(facts)
        self._use_network = use_network
        self._fetch = fetch or http_fetch(timeout)
        self._clock = clock
        self._ocsp_max_age = ocsp_max_age
        self._lock = threading.Lock()
        self._crl_cache: dict[str, _Crl] = {}
        # (id(CRL facts), id(issuer)) -> both objects, for CRLs whose issuer name and signature
        # passed: a signature never changes, so it is checked once per CRL and issuer. Keyed by
        # identity (hashing a certificate goes through its DER); the entry holds both objects, so
        # neither id can be reused while it is kept. Only passes are kept.
        self._crl_passes: dict[tuple[int, int], tuple[_Crl, x509.Certificate]] = {}
        self._issuer_names: dict[int, tuple[x509.Certificate, bytes]] = {}
        self._ocsp_cache: dict[
            tuple[str, bytes, bytes, int], tuple[dt.datetime, ocsp.OCSPSingleResponse]
        ] = {}
        self.fetches = 0
        """How many network fetches were made (for callers watching the cache)."""

    @classmethod
    def from_files(cls, paths: Iterable[str], **kwargs: object) -> RevocationChecker:
        """Load CRLs (PEM or DER, up to `MAX_CRL_BYTES` each) once; keyword arguments as for the
        constructor. An unreadable, oversized or malformed file is a `UsageError` naming it."""
        crls: list[x509.CertificateRevocationList] = []
        for path in paths:
            try:
                crls.append(load_crl(read_bounded(path, MAX_CRL_BYTES)))
            except (OSError, InputTooLargeError) as exc:
                raise UsageError(f"cannot read CRL {path}: {exc}") from exc
            except ANSWER_ERRORS as exc:
                raise UsageError(f"{path} holds no readable CRL: {exc}") from exc
        return cls(crls, **kwargs)  # type: ignore[arg-type]

    def check(
        self, cert: x509.Certificate, issuer: x509.Certificate | None, at: dt.datetime
    ) -> RevocationStatus:
        """The revocation status of ``cert`` at ``at``; raises when revoked or unknowable.

        ``issuer`` None means the issuer's certificate is unknown (a pinned certificate without
        a trust store): no CRL or OCSP answer can then be verified, so a certificate for which
        one was given or could be fetched is *unavailable*, never good or silently skipped.
        """
        problems: list[str] = []
        given = self._given.get(self._issuer_der(cert))
        if given:
            if issuer is None:
                raise self._unavailable(
                    cert,
                    [
                        f"{len(given)} CRL(s) were given for its issuer "
                        f"{cert.issuer.rfc4514_string()}, but the issuer's certificate is unknown "
                        "(no trust store), so their signatures cannot be checked"
                    ],
                    hint=_NEED_ISSUER,
                )
            good = False
            for facts in given:  # every one: a later CRL may list what an earlier one does not
                good = (
                    self._crl_is_good(
                        facts, cert, issuer, at, source=_GIVEN_SOURCE, problems=problems
                    )
                    or good
                )
            if good:
                return _GIVEN
            raise self._unavailable(cert, problems)
        try:
            ocsp_urls, crl_urls = _sources(cert)
        except ANSWER_ERRORS as exc:
            raise self._unavailable(cert, [f"its CRL/OCSP sources cannot be read: {exc}"]) from exc
        if not ocsp_urls and not crl_urls:
            return RevocationStatus(RevocationState.NOT_CHECKED)
        if not self._use_network:
            return RevocationStatus(
                RevocationState.NOT_CHECKED,
                reason="no CRL given for its issuer, and the CRL/OCSP sources the certificate "
                "names were not consulted: network use is off",
            )
        if issuer is None:
            raise self._unavailable(
                cert,
                [
                    "the issuer's certificate is unknown (no trust store), so no CRL or OCSP "
                    "answer about it can be verified"
                ],
                hint=_NEED_ISSUER,
            )
        for url in ocsp_urls:
            status = self._from_ocsp(url, cert, issuer, at, problems)
            if status is not None:
                return status
        answered: str | None = None
        for url in crl_urls:  # every one, as for given CRLs
            fetched = self._fetched_crl(url, problems)
            if fetched is not None and self._crl_is_good(
                fetched, cert, issuer, at, source=f"CRL {url}", problems=problems
            ):
                answered = answered or f"CRL {url}"
        if answered is not None:
            return RevocationStatus(RevocationState.GOOD, answered)
        raise self._unavailable(cert, problems)

    def _issuer_der(self, cert: x509.Certificate) -> bytes:
        """``cert.issuer`` as DER, remembered per certificate object (reading it costs µs)."""
        entry = self._issuer_names.get(id(cert))
        if entry is not None and entry[0] is cert:
            return entry[1]
        der = cert.issuer.public_bytes()
        with self._lock:
            if len(self._issuer_names) >= 1024:
                self._issuer_names.clear()
            self._issuer_names[id(cert)] = (cert, der)
        return der

    def _unavailable(
        self, cert: x509.Certificate, problems: list[str], *, hint: str | None = None
    ) -> RevocationUnavailableError:
        retry = self.policy is RevocationPolicy.RETRY_LATER
        if hint is None:
            hint = (
                "keep the message and try again later"
                if retry
                else "refused under the fail-closed revocation policy; check the CRL/OCSP sources"
            )
        return RevocationUnavailableError(
            "revocation status of the certificate "
            f"{cert.subject.rfc4514_string()} is unavailable: " + "; ".join(problems),
            thumbprint=_thumb(cert),
            retryable=retry,
            hint=hint,
        )

    def _crl_is_good(
        self,
        facts: _Crl,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: dt.datetime,
        *,
        source: str,
        problems: list[str],
    ) -> bool:
        """Whether ``facts`` is a current, genuine, complete CRL covering ``cert`` that does not
        list it; raises `RevokedCertificateError` when such a CRL (complete or not) lists it."""
        try:
            problem = self._crl_trust_problem(facts, issuer)
            if problem is not None:
                problems.append(f"{source} {problem}")
                return False
            next_update = facts.next_update
            if next_update is not None and next_update < self._clock():
                problems.append(
                    f"{source} is out of date (next update was {next_update:%Y-%m-%d %H:%M}Z)"
                )
                return False
            scope = _out_of_scope(facts, cert)
            if scope is not None:
                problems.append(f"{source} {scope}")
                return False
            entry = facts.crl.get_revoked_certificate_by_serial_number(cert.serial_number)
            if entry is not None:
                if _entry_reason(entry) is x509.ReasonFlags.remove_from_crl:
                    problems.append(f"{source} lists the certificate as removed (removeFromCRL)")
                    return False
                if entry.revocation_date_utc <= at:
                    raise RevokedCertificateError(
                        f"the certificate {cert.subject.rfc4514_string()} "
                        f"(serial {cert.serial_number:x}) was revoked on "
                        f"{entry.revocation_date_utc:%Y-%m-%d %H:%M}Z ({source})",
                        thumbprint=_thumb(cert),
                        hint="the sender must get a new certificate and send again",
                    )
        except ANSWER_ERRORS as exc:
            problems.append(f"{source} cannot be read: {exc}")
            return False
        if facts.incomplete is not None:
            problems.append(f"{source} {facts.incomplete}: it cannot say the certificate is good")
            return False
        return True

    def _crl_trust_problem(self, facts: _Crl, issuer: x509.Certificate) -> str | None:
        """Why ``facts`` is not the issuer's own CRL (name and signature), or None; each (CRL,
        issuer) pair is checked once (see ``_crl_passes``)."""
        key = (id(facts), id(issuer))
        passed = self._crl_passes.get(key)
        if passed is not None and passed[0] is facts and passed[1] is issuer:
            return None
        if facts.issuer != issuer.subject:
            return "is from another issuer"
        issuer_key = issuer.public_key()
        if not isinstance(issuer_key, rsa.RSAPublicKey) or not facts.crl.is_signature_valid(
            issuer_key
        ):
            return "is not signed by the certificate's issuer"
        with self._lock:
            if len(self._crl_passes) >= 1024:
                self._crl_passes.clear()
            self._crl_passes[key] = (facts, issuer)
        return None

    def _fetched_crl(self, url: str, problems: list[str]) -> _Crl | None:
        with self._lock:
            cached = self._crl_cache.get(url)
        now = self._clock()
        if cached is not None and (cached.next_update is None or cached.next_update >= now):
            return cached
        try:
            self.fetches += 1
            data = self._fetch(url, None)
        except (OSError, requests.RequestException, ValueError) as exc:
            problems.append(f"CRL {url} could not be fetched: {exc}")
            return None
        try:
            facts = _read_crl(load_crl(data))
        except ANSWER_ERRORS as exc:
            problems.append(f"CRL {url} is malformed: {exc}")
            return None
        with self._lock:
            self._crl_cache[url] = facts
        return facts

    def _from_ocsp(
        self,
        url: str,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        at: dt.datetime,
        problems: list[str],
    ) -> RevocationStatus | None:
        now = self._clock()
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(cert, issuer, hashes.SHA1())  # noqa: S303 - CertID hash, per RFC 6960
            .build()
        )
        # The whole CertID: the same serial from another issuer is another certificate.
        key = (url, request.issuer_name_hash, request.issuer_key_hash, cert.serial_number)
        with self._lock:
            cached = self._ocsp_cache.get(key)
        if cached is not None and cached[0] >= now:
            single = cached[1]
        else:
            try:
                self.fetches += 1
                body = self._fetch(url, request.public_bytes(serialization.Encoding.DER))
            except (OSError, requests.RequestException, ValueError) as exc:
                problems.append(f"OCSP responder {url} did not answer: {exc}")
                return None
            try:
                response = ocsp.load_der_ocsp_response(body)
                answer = _ocsp_answer(
                    response, cert, issuer, request, now, max_age=self._ocsp_max_age
                )
            except ANSWER_ERRORS as exc:
                answer = f"the answer is malformed: {exc}"
            if isinstance(answer, str):
                problems.append(f"OCSP responder {url}: {answer}")
                return None
            single = answer
            expires = single.next_update_utc or single.this_update_utc + self._ocsp_max_age
            with self._lock:
                if len(self._ocsp_cache) >= 4096:
                    self._ocsp_cache.clear()
                self._ocsp_cache[key] = (expires, single)
        if single.certificate_status is ocsp.OCSPCertStatus.REVOKED:
            revoked_at = single.revocation_time_utc
            if revoked_at is None or revoked_at <= at:
                raise RevokedCertificateError(
                    f"the certificate {cert.subject.rfc4514_string()} is revoked "
                    f"(OCSP {url}, since {revoked_at or 'an unknown time'})",
                    thumbprint=_thumb(cert),
                    hint="the sender must get a new certificate and send again",
                )
        elif single.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
            problems.append(f"OCSP responder {url} does not know the certificate")
            return None
        return RevocationStatus(RevocationState.GOOD, f"OCSP {url}")


def _entry_reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None


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


def _ocsp_answer(
    response: ocsp.OCSPResponse,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    request: ocsp.OCSPRequest,
    now: dt.datetime,
    *,
    max_age: dt.timedelta,
) -> ocsp.OCSPSingleResponse | str:
    """The one single response about ``cert`` in a genuine, current answer, or why there is
    none. May raise one of `ANSWER_ERRORS` on a malformed answer."""
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return f"status {response.response_status.name}"
    signer = _ocsp_signer(response, issuer, now)
    if isinstance(signer, str):
        return signer
    hash_alg = response.signature_hash_algorithm
    key = signer.public_key()
    if hash_alg is None or not isinstance(key, rsa.RSAPublicKey):
        return "unsupported signature on the answer"
    try:
        key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), hash_alg)
    except InvalidSignature:
        return "the signature on the answer does not verify"
    matches = [s for s in response.responses if _same_cert_id(s, cert, issuer, request)]
    if not matches:
        return "the answer is about another certificate"
    if len(matches) > 1:
        return f"the answer holds {len(matches)} responses for the certificate"
    single = matches[0]
    if single.this_update_utc > now + CLOCK_SKEW:
        return "the answer is dated in the future"
    if single.next_update_utc is not None:
        if single.next_update_utc < now - CLOCK_SKEW:
            return "the answer is out of date"
    elif now - single.this_update_utc > max_age:
        return (
            f"the answer has no nextUpdate and is older than {max_age} "
            f"(thisUpdate {single.this_update_utc:%Y-%m-%d %H:%M}Z)"
        )
    return single


def _same_cert_id(
    single: ocsp.OCSPSingleResponse,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    request: ocsp.OCSPRequest,
) -> bool:
    """Whether ``single`` answers for ``cert``'s CertID: serial, issuer name and key hashes
    (computed with the hash the responder used)."""
    if single.serial_number != cert.serial_number:
        return False
    try:
        algorithm = single.hash_algorithm
        expected = request
        if algorithm.name != request.hash_algorithm.name:
            expected = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm).build()
    except ANSWER_ERRORS:
        return False
    return (
        single.issuer_name_hash == expected.issuer_name_hash
        and single.issuer_key_hash == expected.issuer_key_hash
    )


def _ocsp_signer(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: dt.datetime
) -> x509.Certificate | str:
    """The issuer itself, or the delegated responder certificate the answer names, which the
    issuer signed, with the OCSP-signing EKU, valid now; else why there is none."""
    name = response.responder_name
    key_hash = response.responder_key_hash
    if name == issuer.subject or (
        key_hash is not None
        and key_hash == x509.SubjectKeyIdentifier.from_public_key(issuer.public_key()).digest
    ):
        return issuer
    problem = "the answer is not signed by the issuer or a responder it authorised"
    for candidate in response.certificates:
        try:
            if name is not None:
                if candidate.subject != name:
                    continue
            elif (
                key_hash is None
                or key_hash
                != x509.SubjectKeyIdentifier.from_public_key(candidate.public_key()).digest
            ):
                continue
            candidate.verify_directly_issued_by(issuer)
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except (InvalidSignature, TypeError, x509.ExtensionNotFound, *ANSWER_ERRORS):
            continue
        if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            continue
        if not candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc:
            problem = (
                f"the responder certificate {candidate.subject.rfc4514_string()} is not valid "
                f"now (valid {candidate.not_valid_before_utc:%Y-%m-%d}"
                f"–{candidate.not_valid_after_utc:%Y-%m-%d})"
            )
            continue
        return candidate
    return problem
