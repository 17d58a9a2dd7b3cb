"""Revocation defects found in the security audit, each pinned down: several CRLs for one issuer,
delta and partial-scope CRLs, pinned certificates, OCSP CertID / freshness / responder checks,
malformed answers, and what "not checked" may claim. Nothing here touches the network: fetched
answers come from a ``fetch`` stub (which is what an on-path attacker controls)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import ocsp as aocsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from digidialog.cli.main import main
from digidialog.errors import UsageError
from digidialog.security import (
    CertificateValidator,
    KeyPurpose,
    RevocationChecker,
    RevocationPolicy,
    RevocationState,
    RevocationUnavailableError,
    RevokedCertificateError,
    Signer,
    TrustStore,
    Verifier,
)
from digidialog.security.devpki import Credential, DevPki
from digidialog.security.revocation import OCSP_MAX_AGE

from . import x509make
from .conftest import MESSAGE
from .x509make import NOW

OCSP_URL = "http://ocsp.invalid/ocsp"
CRL_URL = "http://crl.invalid/ca.crl"
POLICIES = pytest.mark.parametrize(
    ("policy", "retryable"),
    [(RevocationPolicy.FAIL_CLOSED, False), (RevocationPolicy.RETRY_LATER, True)],
)
"""Each policy, with whether it makes an unavailable answer retryable."""


def _crl(
    pki: DevPki, revoked: Sequence[int] = (), **options: Any
) -> x509.CertificateRevocationList:
    """A CRL in the dev CA's name listing ``revoked``, with `x509make.crl`'s ``options``."""
    return x509make.crl(pki.ca.certificate, pki.ca.key, revoked, **options)


def _idp(**fields: object) -> x509.IssuingDistributionPoint:
    values: dict[str, object] = {
        "full_name": None,
        "relative_name": None,
        "only_contains_user_certs": False,
        "only_contains_ca_certs": False,
        "only_some_reasons": None,
        "indirect_crl": False,
        "only_contains_attribute_certs": False,
    }
    values.update(fields)
    return x509.IssuingDistributionPoint(**values)  # type: ignore[arg-type]


def _signed(cred: Credential) -> bytes:
    return Signer(cred.key, cred.certificate).sign(MESSAGE)


def _verifier(pki: DevPki, checker: RevocationChecker) -> Verifier:
    return Verifier(CertificateValidator(pki.trust_store(), revocation=checker))


def _der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)


# --- 1. several CRLs for one issuer; delta and partial-scope CRLs -------------------------------


@pytest.mark.parametrize("order", ["old-first", "new-first"])
def test_a_revocation_on_any_current_crl_counts(pki: DevPki, order: str) -> None:
    cred = pki.issue(f"audit-crl-order-{order}", KeyPurpose.SIGNING)
    old = _crl(pki, this_update=NOW - dt.timedelta(days=1), next_update=NOW + dt.timedelta(days=6))
    new = _crl(pki, [cred.certificate.serial_number])
    crls = [old, new] if order == "old-first" else [new, old]
    with pytest.raises(RevokedCertificateError) as info:
        _verifier(pki, RevocationChecker(crls, use_network=False)).verify(_signed(cred))
    assert info.value.code == "transport:revoked-certificate"
    assert info.value.reason == "revoked"


def test_cli_verify_with_two_crls_refuses_what_either_lists(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cred = pki.issue("audit-cli-crl-order", KeyPurpose.SIGNING)
    (tmp_path / "m.xml").write_bytes(_signed(cred))
    old = _crl(pki, this_update=NOW - dt.timedelta(days=1), next_update=NOW + dt.timedelta(days=6))
    (tmp_path / "old.crl").write_bytes(old.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "new.crl").write_bytes(_der(_crl(pki, [cred.certificate.serial_number])))
    base = ["verify", str(tmp_path / "m.xml"), "--trust", str(pki.ca.cert_path)]
    assert main([*base, "--crl", str(tmp_path / "old.crl")]) == 0
    capsys.readouterr()
    assert (
        main([*base, "--crl", str(tmp_path / "old.crl"), "--crl", str(tmp_path / "new.crl")]) == 1
    )
    assert "transport:revoked-certificate" in capsys.readouterr().err


def test_delta_crl_lists_but_never_answers_good(pki: DevPki) -> None:
    cred = pki.issue("audit-delta", KeyPurpose.SIGNING)
    base = _crl(pki, [cred.certificate.serial_number], extensions=[(x509.CRLNumber(10), False)])
    delta = _crl(
        pki,
        extensions=[(x509.CRLNumber(11), False), (x509.DeltaCRLIndicator(10), True)],
        this_update=NOW - dt.timedelta(minutes=30),
    )
    checker = RevocationChecker([delta, base], use_network=False)
    with pytest.raises(RevokedCertificateError):
        checker.check(cred.certificate, pki.ca.certificate, NOW)
    # The delta alone (no complete CRL) cannot say "good".
    other = pki.issue("audit-delta-other", KeyPurpose.SIGNING)
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker([delta], use_network=False).check(
            other.certificate, pki.ca.certificate, NOW
        )
    assert "delta CRL" in str(info.value)
    assert info.value.code == "transport:revoked-certificate"
    # A revocation in a delta counts.
    listed = _crl(
        pki, [other.certificate.serial_number], extensions=[(x509.DeltaCRLIndicator(10), True)]
    )
    with pytest.raises(RevokedCertificateError):
        RevocationChecker([base, listed]).check(other.certificate, pki.ca.certificate, NOW)


@pytest.mark.parametrize(
    ("idp", "words"),
    [
        (_idp(only_contains_ca_certs=True), "CA certificates only"),
        (_idp(only_contains_attribute_certs=True), "attribute certificates only"),
        (_idp(only_some_reasons=frozenset({x509.ReasonFlags.key_compromise})), "some revocation"),
        (_idp(indirect_crl=True), "indirect CRL"),
        (
            _idp(full_name=[x509.UniformResourceIdentifier("http://crl.invalid/part2.crl")]),
            "partitioned",
        ),
    ],
    ids=["ca-only", "attribute-only", "some-reasons", "indirect", "other-partition"],
)
def test_crl_whose_scope_misses_the_certificate_is_no_answer(
    pki: DevPki, idp: x509.IssuingDistributionPoint, words: str
) -> None:
    cred = pki.issue("audit-scope", KeyPurpose.SIGNING)
    scoped = _crl(pki, extensions=[(idp, True)])
    for policy, retryable in (
        (RevocationPolicy.FAIL_CLOSED, False),
        (RevocationPolicy.RETRY_LATER, True),
    ):
        checker = RevocationChecker([scoped], use_network=False, policy=policy)
        with pytest.raises(RevocationUnavailableError) as info:
            checker.check(cred.certificate, pki.ca.certificate, NOW)
        assert words in str(info.value)
        assert info.value.retryable is retryable
    # Beside a complete CRL it does no harm.
    status = RevocationChecker([scoped, _crl(pki)]).check(cred.certificate, pki.ca.certificate, NOW)
    assert status.state is RevocationState.GOOD


def test_partitioned_crl_answers_for_its_own_partition(pki: DevPki) -> None:
    cred = pki.issue("audit-partition", KeyPurpose.SIGNING, crl_url=CRL_URL)
    mine = _idp(full_name=[x509.UniformResourceIdentifier(CRL_URL)], only_contains_user_certs=True)
    status = RevocationChecker([_crl(pki, extensions=[(mine, True)])]).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD
    with pytest.raises(RevokedCertificateError):
        RevocationChecker(
            [_crl(pki, [cred.certificate.serial_number], extensions=[(mine, True)])]
        ).check(cred.certificate, pki.ca.certificate, NOW)


def test_user_only_crl_does_not_answer_for_a_ca(pki: DevPki) -> None:
    sub = x509make.certificate(
        "audit sub-CA", x509make.key(), pki.ca.certificate, pki.ca.key, ca=True
    )
    crl = _crl(pki, extensions=[(_idp(only_contains_user_certs=True), True)])
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker([crl]).check(sub, pki.ca.certificate, NOW)
    assert "end-entity certificates only" in str(info.value)


def test_unknown_critical_crl_extension_makes_it_incomplete(pki: DevPki) -> None:
    cred = pki.issue("audit-critical", KeyPurpose.SIGNING)
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker([_crl(pki, extensions=[(odd, True)])]).check(
            cred.certificate, pki.ca.certificate, NOW
        )
    assert "unknown critical extension" in str(info.value)


def test_remove_from_crl_entry_is_not_a_good_answer(pki: DevPki) -> None:
    cred = pki.issue("audit-remove", KeyPurpose.SIGNING)
    crl = _crl(pki, [cred.certificate.serial_number], reason=x509.ReasonFlags.remove_from_crl)
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker([crl]).check(cred.certificate, pki.ca.certificate, NOW)
    assert "removeFromCRL" in str(info.value)


def test_fetched_crls_every_distribution_point_is_read(pki: DevPki) -> None:
    """The first distribution point's (older, still current) CRL says nothing; the second lists
    the certificate."""
    first, second = "http://crl.invalid/a.crl", "http://crl.invalid/b.crl"
    cdp = x509.CRLDistributionPoints(
        [
            x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
            for url in (first, second)
        ]
    )
    cert = x509make.certificate(
        "audit two CDPs", x509make.key(), pki.ca.certificate, pki.ca.key, extensions=[(cdp, False)]
    )
    bodies = {
        first: _der(_crl(pki, this_update=NOW - dt.timedelta(days=1))),
        second: _der(_crl(pki, [cert.serial_number])),
    }
    checker = RevocationChecker(fetch=lambda url, body: bodies[url])
    with pytest.raises(RevokedCertificateError) as info:
        checker.check(cert, pki.ca.certificate, NOW)
    assert second in str(info.value)
    bodies[second] = bodies[first]
    status = RevocationChecker(fetch=lambda url, body: bodies[url]).check(
        cert, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD
    assert status.source == f"CRL {first}"


# --- 2. pinned certificates, unknown issuers --------------------------------------------------


@POLICIES
def test_pinned_only_with_a_crl_is_never_silently_skipped(
    pki: DevPki, policy: RevocationPolicy, retryable: bool
) -> None:
    checker = RevocationChecker([pki.crl], use_network=False, policy=policy)
    validator = CertificateValidator(pinned=[pki.revoked.certificate], revocation=checker)
    with pytest.raises(RevocationUnavailableError) as info:
        Verifier(validator).verify(_signed(pki.revoked))
    assert info.value.code == "transport:revoked-certificate"
    assert info.value.retryable is retryable
    assert "no CRL given" not in str(info.value)
    assert "issuer's certificate is unknown" in str(info.value)
    assert info.value.hint is not None
    assert "trust store" in info.value.hint


def test_pinned_and_trust_store_checks_the_crl(pki: DevPki) -> None:
    checker = RevocationChecker([pki.crl], use_network=False)
    validator = CertificateValidator(
        pki.trust_store(), pinned=[pki.revoked.certificate], revocation=checker
    )
    with pytest.raises(RevokedCertificateError) as info:
        validator.validate(pki.revoked.certificate, KeyPurpose.SIGNING)
    assert type(info.value) is RevokedCertificateError


def test_pinned_only_certificate_naming_sources(pki: DevPki) -> None:
    cred = pki.issue("audit-pinned-ocsp", KeyPurpose.SIGNING, ocsp_url=OCSP_URL)
    fetched: list[str] = []

    def fetch(url: str, body: bytes | None) -> bytes:
        fetched.append(url)
        raise OSError("no network in this test")

    online = CertificateValidator(
        pinned=[cred.certificate], revocation=RevocationChecker(fetch=fetch)
    )
    with pytest.raises(RevocationUnavailableError) as info:
        online.validate(cred.certificate, KeyPurpose.SIGNING)
    assert "issuer's certificate is unknown" in str(info.value)
    assert not fetched  # nothing it could answer would be verifiable
    offline = CertificateValidator(
        pinned=[cred.certificate], revocation=RevocationChecker(use_network=False, fetch=fetch)
    )
    status = offline.validate(cred.certificate, KeyPurpose.SIGNING).revocation
    assert status.state is RevocationState.NOT_CHECKED
    assert "network use is off" in str(status)
    assert not fetched


def test_pinned_only_certificate_without_sources_is_not_checked_and_says_so(pki: DevPki) -> None:
    validator = CertificateValidator(
        pinned=[pki.gp_office.signing.certificate], revocation=RevocationChecker()
    )
    status = validator.validate(pki.gp_office.signing.certificate, KeyPurpose.SIGNING).revocation
    assert status.state is RevocationState.NOT_CHECKED
    assert "names no CRL or OCSP source" in str(status)


def test_no_checker_says_so(pki: DevPki) -> None:
    status = (
        CertificateValidator(pki.trust_store())
        .validate(pki.gp_office.signing.certificate, KeyPurpose.SIGNING)
        .revocation
    )
    assert str(status) == "not checked (no revocation checker configured)"


def test_leaf_in_the_trust_store_is_still_checked_against_its_issuer(pki: DevPki) -> None:
    """A leaf given as a trust anchor (instead of being pinned) beside its CA: its CA is found and
    its CRL read, not skipped because the chain ends at the leaf."""
    store = TrustStore([pki.revoked.certificate, pki.ca.certificate])
    validator = CertificateValidator(store, revocation=RevocationChecker([pki.crl]))
    with pytest.raises(RevokedCertificateError):
        validator.validate(pki.revoked.certificate, KeyPurpose.SIGNING)
    alone = CertificateValidator(
        TrustStore([pki.revoked.certificate]), revocation=RevocationChecker([pki.crl])
    )
    with pytest.raises(RevocationUnavailableError):
        alone.validate(pki.revoked.certificate, KeyPurpose.SIGNING)


def test_self_signed_anchor_is_trusted_as_given(pki: DevPki) -> None:
    usage = pki.helsenorge.signing.certificate.extensions.get_extension_for_class(x509.KeyUsage)
    cert = x509make.certificate("audit self-signed signer", x509make.key(), usage=usage.value)
    check = CertificateValidator(TrustStore([cert]), revocation=RevocationChecker()).validate(
        cert, KeyPurpose.SIGNING
    )
    assert check.revocation.state is RevocationState.NOT_CHECKED
    assert "trust anchor" in str(check.revocation)


def test_cli_pinned_certificate_naming_ocsp_is_refused(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`verify --cert` builds a revocation checker like `--trust` does: a pinned certificate that
    names a source cannot have its answers verified, so under fail-closed it is refused."""
    cred = pki.issue("audit-cli-pinned-ocsp", KeyPurpose.SIGNING, ocsp_url="http://127.0.0.1:9/")
    (tmp_path / "m.xml").write_bytes(_signed(cred))
    assert main(["verify", str(tmp_path / "m.xml"), "--cert", str(cred.cert_path)]) == 1
    err = capsys.readouterr().err
    assert "transport:revoked-certificate" in err
    assert "unknown" in err


# --- 6. use_network=False ------------------------------------------------------------------------


def test_offline_checker_says_the_sources_were_not_consulted(pki: DevPki) -> None:
    cred = pki.issue("audit-offline", KeyPurpose.SIGNING, crl_url=CRL_URL, ocsp_url=OCSP_URL)

    def fetch(url: str, body: bytes | None) -> bytes:
        raise AssertionError("fetched with use_network=False")

    status = RevocationChecker(use_network=False, fetch=fetch).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.NOT_CHECKED
    assert "network use is off" in str(status)
    assert "names no CRL or OCSP source" not in str(status)


# --- 4. OCSP --------------------------------------------------------------------------------------


def _ocsp(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    key: rsa.RSAPrivateKey,
    status: ocsp.OCSPCertStatus = ocsp.OCSPCertStatus.GOOD,
    *,
    this_update: dt.datetime | None = None,
    next_update: dt.datetime | None = NOW + dt.timedelta(hours=1),
    responder: x509.Certificate | None = None,
    signer: x509.Certificate | None = None,
    extra: Sequence[bytes] = (),
    algorithm: hashes.HashAlgorithm | None = None,
) -> bytes:
    """A DER OCSP answer about ``cert``; ``extra`` appends single responses (re-signed)."""
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=cert,
        issuer=issuer,
        algorithm=algorithm or hashes.SHA1(),
        cert_status=status,
        this_update=this_update or NOW - dt.timedelta(minutes=1),
        next_update=next_update,
        revocation_time=NOW - dt.timedelta(hours=2)
        if status is ocsp.OCSPCertStatus.REVOKED
        else None,
        revocation_reason=None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer or responder or issuer)
    if responder is not None:
        builder = builder.certificates([responder])
    raw = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return _with_singles(raw, key, extra) if extra else raw


def _singles(raw: bytes) -> list[bytes]:
    basic = aocsp.OCSPResponse.load(raw)["response_bytes"]["response"].parsed
    return [single.dump() for single in basic["tbs_response_data"]["responses"]]


def _with_singles(raw: bytes, key: rsa.RSAPrivateKey, extra: Sequence[bytes]) -> bytes:
    basic = aocsp.OCSPResponse.load(raw)["response_bytes"]["response"].parsed
    tbs = basic["tbs_response_data"]
    tbs["responses"] = aocsp.Responses(
        [*tbs["responses"], *(aocsp.SingleResponse.load(s) for s in extra)]
    )
    tbs_der = tbs.dump(force=True)
    rebuilt = aocsp.BasicOCSPResponse(
        {
            "tbs_response_data": aocsp.ResponseData.load(tbs_der),
            "signature_algorithm": basic["signature_algorithm"],
            "signature": key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA256()),
        }
    )
    answer: bytes = aocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": rebuilt},
        }
    ).dump(force=True)
    return answer


def _answering(body: bytes) -> Callable[[str, bytes | None], bytes]:
    return lambda url, request: body


def _ocsp_cred(pki: DevPki, name: str, not_before: dt.datetime | None = None) -> Credential:
    return pki.issue(name, KeyPurpose.SIGNING, ocsp_url=OCSP_URL, not_before=not_before)


@POLICIES
def test_ocsp_two_responses_for_the_certificate_is_unavailable(
    pki: DevPki, policy: RevocationPolicy, retryable: bool
) -> None:
    cred = _ocsp_cred(pki, f"audit-ocsp-dup-{policy.value}")
    good = _ocsp(cred.certificate, pki.ca.certificate, pki.ca.key)
    body = _with_singles(good, pki.ca.key, _singles(good))
    checker = RevocationChecker(fetch=_answering(body), policy=policy)
    with pytest.raises(RevocationUnavailableError) as info:
        _verifier(pki, checker).verify(_signed(cred))
    assert info.value.retryable is retryable
    assert "2 responses" in str(info.value)


def test_ocsp_single_response_is_picked_by_cert_id(pki: DevPki) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-pick")
    other = _ocsp_cred(pki, "audit-ocsp-pick-other")
    about_other = _ocsp(
        other.certificate, pki.ca.certificate, pki.ca.key, ocsp.OCSPCertStatus.REVOKED
    )
    about_mine = _ocsp(cred.certificate, pki.ca.certificate, pki.ca.key)
    body = _with_singles(about_other, pki.ca.key, _singles(about_mine))
    status = RevocationChecker(fetch=_answering(body)).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD
    with pytest.raises(RevokedCertificateError):
        RevocationChecker(fetch=_answering(body)).check(other.certificate, pki.ca.certificate, NOW)


def test_ocsp_answer_with_sha256_cert_id_is_matched(pki: DevPki) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-sha256")
    body = _ocsp(cred.certificate, pki.ca.certificate, pki.ca.key, algorithm=hashes.SHA256())
    status = RevocationChecker(fetch=_answering(body)).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD


def test_ocsp_answer_about_the_same_serial_from_another_issuer(pki: DevPki) -> None:
    """Signed by the right issuer, right serial, but the CertID names another issuer."""
    cred = _ocsp_cred(pki, "audit-ocsp-certid")
    other_ca = pki.untrusted.certificate  # any certificate: only its name and key are hashed
    body = _ocsp(cred.certificate, other_ca, pki.ca.key, signer=pki.ca.certificate)
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker(fetch=_answering(body)).check(cred.certificate, pki.ca.certificate, NOW)
    assert "another certificate" in str(info.value)


def test_ocsp_cache_is_per_issuer(pki: DevPki) -> None:
    """Two CAs, one serial, one responder URL: the first CA's "good" is not the second's."""
    cred = _ocsp_cred(pki, "audit-ocsp-cache")
    other_key = x509make.key()
    other_ca = x509make.certificate("audit other CA", other_key, ca=True)
    aia = cred.certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    twin = x509make.certificate(
        cred.certificate.subject,
        cred.key,
        other_ca,
        other_key,
        serial=cred.certificate.serial_number,
        extensions=[(aia.value, False)],
    )
    answers = {
        pki.ca.certificate.subject: _ocsp(cred.certificate, pki.ca.certificate, pki.ca.key),
        other_ca.subject: _ocsp(twin, other_ca, other_key, ocsp.OCSPCertStatus.REVOKED),
    }
    asked: list[x509.Name] = []

    def fetch(url: str, body: bytes | None) -> bytes:
        assert body is not None
        request = ocsp.load_der_ocsp_request(body)
        for issuer in answers:
            digest = hashes.Hash(hashes.SHA1())
            digest.update(issuer.public_bytes())
            if digest.finalize() == request.issuer_name_hash:
                asked.append(issuer)
                return answers[issuer]
        raise OSError("unknown issuer")

    checker = RevocationChecker(fetch=fetch)
    assert checker.check(cred.certificate, pki.ca.certificate, NOW).state is RevocationState.GOOD
    with pytest.raises(RevokedCertificateError):
        checker.check(twin, other_ca, NOW)
    assert asked == [pki.ca.certificate.subject, other_ca.subject]
    checker.check(cred.certificate, pki.ca.certificate, NOW)
    assert checker.fetches == 2  # the first answer still comes from the cache


def test_ocsp_without_next_update_is_only_good_briefly(pki: DevPki) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-replay", not_before=NOW - dt.timedelta(days=400))

    def answer(this_update: dt.datetime | None = None) -> bytes:
        """An answer about ``cred`` from its CA, without nextUpdate."""
        return _ocsp(
            cred.certificate,
            pki.ca.certificate,
            pki.ca.key,
            this_update=this_update,
            next_update=None,
        )

    old = answer(NOW - dt.timedelta(days=370))
    with pytest.raises(RevocationUnavailableError) as info:
        _verifier(pki, RevocationChecker(fetch=_answering(old))).verify(_signed(cred))
    assert "no nextUpdate" in str(info.value)
    fresh = answer()
    status = RevocationChecker(fetch=_answering(fresh)).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD
    half_hour = answer(NOW - dt.timedelta(minutes=30))
    assert dt.timedelta(minutes=30) > OCSP_MAX_AGE
    with pytest.raises(RevocationUnavailableError):
        RevocationChecker(fetch=_answering(half_hour)).check(
            cred.certificate, pki.ca.certificate, NOW
        )
    lenient = RevocationChecker(fetch=_answering(half_hour), ocsp_max_age=dt.timedelta(hours=1))
    assert lenient.check(cred.certificate, pki.ca.certificate, NOW).state is RevocationState.GOOD


def test_ocsp_answer_without_next_update_is_cached_only_until_it_is_too_old(pki: DevPki) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-cache-age")
    body = _ocsp(cred.certificate, pki.ca.certificate, pki.ca.key, next_update=None)
    clock = [NOW]
    checker = RevocationChecker(fetch=_answering(body), clock=lambda: clock[0])
    checker.check(cred.certificate, pki.ca.certificate, NOW)
    clock[0] = NOW + dt.timedelta(hours=1)
    with pytest.raises(RevocationUnavailableError):
        checker.check(cred.certificate, pki.ca.certificate, NOW)
    assert checker.fetches == 2


def _responder(
    pki: DevPki,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    eku: bool = True,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A responder certificate from the dev CA, for OCSP signing (``eku``) or else for client
    authentication."""
    key = x509make.key()
    purpose = ExtendedKeyUsageOID.OCSP_SIGNING if eku else ExtendedKeyUsageOID.CLIENT_AUTH
    cert = x509make.certificate(
        "audit responder",
        key,
        pki.ca.certificate,
        pki.ca.key,
        not_before=not_before,
        not_after=not_after,
        extensions=[(x509.ExtendedKeyUsage([purpose]), False)],
    )
    return key, cert


@pytest.mark.parametrize(
    ("responder_kw", "words"),
    [
        (
            {
                "not_before": NOW - dt.timedelta(days=800),
                "not_after": NOW - dt.timedelta(days=400),
            },
            "not valid now",
        ),
        ({"not_before": NOW + dt.timedelta(days=1)}, "not valid now"),
        ({"eku": False}, "not signed by the issuer or a responder it authorised"),
    ],
    ids=["expired", "not-yet-valid", "no-ocsp-eku"],
)
def test_delegated_responder_must_be_valid_and_authorised(
    pki: DevPki, responder_kw: dict[str, object], words: str
) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-delegated")
    rkey, responder = _responder(pki, **responder_kw)  # type: ignore[arg-type]
    body = _ocsp(cred.certificate, pki.ca.certificate, rkey, responder=responder)
    with pytest.raises(RevocationUnavailableError) as info:
        _verifier(pki, RevocationChecker(fetch=_answering(body))).verify(_signed(cred))
    assert words in str(info.value)


def test_valid_delegated_responder_is_accepted(pki: DevPki) -> None:
    cred = _ocsp_cred(pki, "audit-ocsp-delegated-ok")
    rkey, responder = _responder(pki)
    body = _ocsp(cred.certificate, pki.ca.certificate, rkey, responder=responder)
    status = RevocationChecker(fetch=_answering(body)).check(
        cred.certificate, pki.ca.certificate, NOW
    )
    assert status.state is RevocationState.GOOD


# --- 5. malformed answers become the policy's answer ------------------------------------------

SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")
UNKNOWN_SIG = bytes.fromhex("06092a864886f70d010163")


def _crl_with_bad_version(pki: DevPki) -> bytes:
    return _der(_crl(pki)).replace(b"\x02\x01\x01", b"\x02\x01\x40", 1)


def _crl_with_bad_issuer(pki: DevPki) -> bytes:
    data = _der(_crl(pki))
    org = b"\x0c\x12Digidialog dev PKI"
    assert org in data
    return data.replace(org, b"\x0c\x12\x80igidialog dev PKI", 1)  # invalid UTF-8


def _ocsp_unknown_signature(pki: DevPki, cert: x509.Certificate) -> bytes:
    body = _ocsp(cert, pki.ca.certificate, pki.ca.key)
    assert SHA256_RSA in body
    return body.replace(SHA256_RSA, UNKNOWN_SIG)


def _ocsp_duplicate_extension_responder(pki: DevPki, cert: x509.Certificate) -> bytes:
    """A delegated responder certificate (named by the answer) with its EKU twice."""
    rkey, responder = _responder(pki)
    parsed = ax509.Certificate.load(responder.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_certificate"]
    tbs["extensions"] = ax509.Extensions([*tbs["extensions"], *tbs["extensions"]])
    tbs_der = tbs.dump(force=True)
    doubled = ax509.Certificate(
        {
            "tbs_certificate": ax509.TbsCertificate.load(tbs_der),
            "signature_algorithm": parsed["signature_algorithm"],
            "signature_value": pki.ca.key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA256()),
        }
    ).dump(force=True)
    body = _ocsp(cert, pki.ca.certificate, rkey, responder=responder)
    original = responder.public_bytes(serialization.Encoding.DER)
    response = aocsp.OCSPResponse.load(body)
    basic = response["response_bytes"]["response"].parsed
    assert basic["certs"][0].dump() == original
    basic["certs"] = [ax509.Certificate.load(doubled)]
    answer: bytes = aocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {
                "response_type": "basic_ocsp_response",
                "response": aocsp.BasicOCSPResponse.load(basic.dump(force=True)),
            },
        }
    ).dump(force=True)
    return answer


MALFORMED: dict[str, tuple[bool, Callable[[DevPki, x509.Certificate], bytes]]] = {
    "crl-bad-version": (True, lambda pki, cert: _crl_with_bad_version(pki)),
    "crl-bad-issuer-name": (True, lambda pki, cert: _crl_with_bad_issuer(pki)),
    "crl-garbage": (True, lambda pki, cert: b"not DER at all"),
    "ocsp-unknown-signature-algorithm": (False, _ocsp_unknown_signature),
    "ocsp-responder-duplicate-extension": (False, _ocsp_duplicate_extension_responder),
    "ocsp-no-response-bytes": (False, lambda pki, cert: b"\x30\x03\x0a\x01\x00"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
@POLICIES
def test_malformed_answers_become_unavailable(
    pki: DevPki, kind: str, policy: RevocationPolicy, retryable: bool
) -> None:
    is_crl, make = MALFORMED[kind]
    cred = pki.issue(
        f"audit-malformed-{kind}-{policy.value}",
        KeyPurpose.SIGNING,
        crl_url=CRL_URL if is_crl else None,
        ocsp_url=None if is_crl else OCSP_URL,
    )
    checker = RevocationChecker(fetch=_answering(make(pki, cred.certificate)), policy=policy)
    with pytest.raises(RevocationUnavailableError) as info:
        _verifier(pki, checker).verify(_signed(cred))
    assert info.value.retryable is retryable
    assert info.value.code == "transport:revoked-certificate"


def test_malformed_given_crl_is_a_usage_error(pki: DevPki, tmp_path: Path) -> None:
    bad = x509.load_der_x509_crl(_crl_with_bad_issuer(pki))
    with pytest.raises(UsageError):
        RevocationChecker([bad])
    path = tmp_path / "junk.crl"
    path.write_bytes(b"junk")
    with pytest.raises(UsageError):
        RevocationChecker.from_files([str(path)])
