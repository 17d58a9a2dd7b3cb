"""The per-object caches that keep per-message work small never change an outcome.

What is cached: a certificate's chain, key and usage checks (per certificate and purpose, passes
only), a decoded signer certificate (per exact KeyInfo text), a SignedInfo shape that passed the
profile checks (per canonical form but for the digest value), a CRL's signature (per CRL digest
and issuer, passes only). Validity at the verification time and revocation are checked on every
call. Each test warms a cache with something good and then shows that something bad — expired,
not yet valid, revoked, wrongly used, untrusted, out of profile — is still refused, and that a
cold and a warm object give the same answer for every case.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from digidialog.security import (
    CertificateValidator,
    ExpiredCertificateError,
    InvalidCertificateError,
    InvalidSignatureError,
    KeyPurpose,
    NotYetValidCertificateError,
    Opener,
    RevocationChecker,
    RevocationUnavailableError,
    RevokedCertificateError,
    Sealer,
    Signer,
    TransportSecurityError,
    Verifier,
)
from digidialog.security.certificates import IdentityCache, check_key_usage
from digidialog.security.devpki import DevPki
from digidialog.security.keys import load_certificates

from .conftest import MESSAGE, forged_crl

DS = "http://www.w3.org/2000/09/xmldsig#"
NOW = dt.datetime.now(dt.UTC)


def _validator(pki: DevPki) -> CertificateValidator:
    return CertificateValidator(pki.trust_store(), revocation=RevocationChecker([pki.crl]))


def _outcome(call: Callable[[], object]) -> tuple[str, str]:
    """What a call ended in: the error class and reason, or 'ok'."""
    try:
        call()
    except TransportSecurityError as exc:
        return type(exc).__name__, exc.reason
    return "ok", ""


def test_validator_cache_still_checks_time_for_every_call(pki: DevPki) -> None:
    validator = _validator(pki)
    cert = pki.helsenorge.signing.certificate
    assert validator.validate(cert, KeyPurpose.SIGNING).chain  # warm
    with pytest.raises(ExpiredCertificateError):
        validator.validate(cert, KeyPurpose.SIGNING, cert.not_valid_after_utc + dt.timedelta(1))
    with pytest.raises(NotYetValidCertificateError):
        validator.validate(cert, KeyPurpose.SIGNING, cert.not_valid_before_utc - dt.timedelta(1))
    assert validator.validate(cert, KeyPurpose.SIGNING, NOW).certificate == cert


def test_validator_cache_checks_the_whole_chain_period(pki: DevPki) -> None:
    """The cached period is the chain's: a time when the CA is expired fails even though the
    leaf itself is still valid then."""
    validator = CertificateValidator(pki.trust_store())
    ca_end = pki.ca.certificate.not_valid_after_utc
    leaf = pki.issue(
        "outlives-ca", KeyPurpose.SIGNING, not_after=ca_end + dt.timedelta(days=30)
    ).certificate
    assert validator.validate(leaf, KeyPurpose.SIGNING).chain[-1] == pki.ca.certificate
    after_ca = pki.ca.certificate.not_valid_after_utc + dt.timedelta(seconds=1)
    with pytest.raises(ExpiredCertificateError) as info:
        validator.validate(leaf, KeyPurpose.SIGNING, after_ca)
    assert "Dev CA" in str(info.value)  # the CA is named, not the (still valid) leaf


def test_validator_cache_is_per_purpose(pki: DevPki) -> None:
    validator = _validator(pki)
    cert = pki.helsenorge.signing.certificate
    validator.validate(cert, KeyPurpose.SIGNING)
    with pytest.raises(InvalidCertificateError) as info:
        validator.validate(cert, KeyPurpose.ENCRYPTION)
    assert info.value.reason == "wrong-key-usage"


def test_validator_cache_still_checks_revocation_for_every_call(pki: DevPki) -> None:
    validator = _validator(pki)
    validator.validate(pki.helsenorge.signing.certificate, KeyPurpose.SIGNING)  # CRL cached
    with pytest.raises(RevokedCertificateError):
        validator.validate(pki.revoked.certificate, KeyPurpose.SIGNING)
    with pytest.raises(RevokedCertificateError):  # and again, from a warm cache
        validator.validate(pki.revoked.certificate, KeyPurpose.SIGNING)
    revoked_at = pki.crl.get_revoked_certificate_by_serial_number(
        pki.revoked.certificate.serial_number
    )
    assert revoked_at is not None
    before = revoked_at.revocation_date_utc - dt.timedelta(seconds=1)
    if before >= pki.revoked.certificate.not_valid_before_utc:
        validator.validate(pki.revoked.certificate, KeyPurpose.SIGNING, before)


def test_failures_are_not_cached_as_passes(pki: DevPki) -> None:
    validator = _validator(pki)
    for _ in range(2):
        with pytest.raises(InvalidCertificateError) as info:
            validator.validate(pki.untrusted.certificate, KeyPurpose.SIGNING)
        assert info.value.reason == "untrusted"
        with pytest.raises(InvalidCertificateError) as info:
            validator.validate(pki.wrong_usage.certificate, KeyPurpose.SIGNING)
        assert info.value.reason == "wrong-key-usage"


def test_crl_signature_cache_does_not_accept_a_forged_crl(pki: DevPki) -> None:
    """A CRL with the dev CA's name signed by the rogue CA (same name, other key) is refused,
    also after the genuine CRL's signature was checked and remembered."""
    (rogue_ca,) = load_certificates(pki.directory / "untrusted-ca.pem")
    forged = forged_crl(pki, NOW)
    genuine = RevocationChecker([pki.crl])
    genuine.check(pki.helsenorge.signing.certificate, pki.ca.certificate, NOW)  # warm
    forged_only = RevocationChecker([forged])
    for checker in (forged_only, forged_only):
        with pytest.raises(RevocationUnavailableError):
            checker.check(pki.helsenorge.signing.certificate, pki.ca.certificate, NOW)
    # A CRL's signature counts only for the issuer that made it.
    with pytest.raises(RevocationUnavailableError):
        genuine.check(pki.untrusted.certificate, rogue_ca, NOW)


def _signed_by(pki: DevPki, name: str) -> bytes:
    cred = {
        "helsenorge": pki.helsenorge.signing,
        "gp": pki.gp_office.signing,
        "revoked": pki.revoked,
        "untrusted": pki.untrusted,
    }[name]
    return Signer(cred.key, cred.certificate).sign(MESSAGE)


def _with_comment_in_c14n_method(signed: bytes) -> bytes:
    tree = etree.fromstring(signed)
    method = tree.find(f".//{{{DS}}}CanonicalizationMethod")
    assert method is not None
    method.append(etree.Comment(" parameters? "))
    return etree.tostring(tree)


def _pretty_signed_info(pki: DevPki) -> bytes:
    """A signature whose SignedInfo is indented (another shape) and re-signed, so it is valid."""
    signed = _signed_by(pki, "helsenorge")
    tree = etree.fromstring(signed)
    signed_info = tree.find(f".//{{{DS}}}SignedInfo")
    assert signed_info is not None
    etree.indent(signed_info, space=" ", level=2)
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    value = pki.helsenorge.signing.key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())
    node = tree.find(f".//{{{DS}}}SignatureValue")
    assert node is not None
    node.text = base64.b64encode(value).decode()
    return etree.tostring(tree)


def _cases(pki: DevPki) -> dict[str, tuple[bytes, dt.datetime | None, str | None]]:
    good = _signed_by(pki, "helsenorge")
    expired_at = pki.helsenorge.signing.certificate.not_valid_after_utc + dt.timedelta(days=1)
    early = pki.helsenorge.signing.certificate.not_valid_before_utc - dt.timedelta(days=1)
    return {
        "good": (good, None, "8093248"),
        "good, later expired": (good, expired_at, None),
        "good, too early": (good, early, None),
        "spoofed sender": (_signed_by(pki, "gp"), None, "8093248"),
        "revoked": (_signed_by(pki, "revoked"), None, None),
        "untrusted": (_signed_by(pki, "untrusted"), None, None),
        "tampered": (good.replace(b"<Amount>500<", b"<Amount>900<"), None, None),
        "comment as algorithm parameter": (_with_comment_in_c14n_method(good), None, None),
        "indented SignedInfo": (_pretty_signed_info(pki), None, None),
        "sha1 method": (good.replace(b"xmldsig-more#rsa-sha256", b"xmldsig#rsa-sha1"), None, None),
    }


def test_verifier_cold_and_warm_agree_on_every_case(pki: DevPki) -> None:
    cases = _cases(pki)

    def verify(verifier: Verifier, name: str) -> tuple[str, str]:
        data, at, sender = cases[name]
        return _outcome(lambda: verifier.verify(data, verification_time=at, expected_sender=sender))

    def fresh() -> Verifier:
        return Verifier(_validator(pki), resolver=pki.resolver())

    cold = {name: verify(fresh(), name) for name in cases}
    warm = fresh()
    for name in ("good", "indented SignedInfo", *cases):  # good shapes first, then everything
        assert verify(warm, name) == cold[name], name
    assert cold["good"] == ("ok", "")
    assert cold["indented SignedInfo"] == ("ok", "")
    assert cold["good, later expired"] == ("ExpiredCertificateError", "expired")
    assert cold["good, too early"] == ("NotYetValidCertificateError", "not-yet-valid")
    assert cold["spoofed sender"] == ("SpoofingError", "signer-is-not-sender")
    assert cold["revoked"] == ("RevokedCertificateError", "revoked")
    assert cold["untrusted"] == ("InvalidCertificateError", "untrusted")
    assert cold["tampered"] == ("InvalidSignatureError", "digest-mismatch")
    assert cold["comment as algorithm parameter"] == ("InvalidSignatureError", "refused-algorithm")
    assert cold["sha1 method"] == ("InvalidSignatureError", "refused-algorithm")


def test_warm_verifier_returns_the_same_result_as_a_cold_one(pki: DevPki) -> None:
    data = _signed_by(pki, "helsenorge")
    warm = Verifier(_validator(pki), resolver=pki.resolver())
    warm.verify(data)
    cold = Verifier(_validator(pki), resolver=pki.resolver())
    cold_result = cold.verify(data, verification_time=NOW)
    warm_result = warm.verify(data, verification_time=NOW)
    assert warm_result.signed_xml == cold_result.signed_xml
    assert warm_result.signer == cold_result.signer
    assert warm_result.certificate_check == cold_result.certificate_check
    assert str(warm_result.revocation) == str(cold_result.revocation)


def test_pinned_verifier_refuses_another_certificate_after_a_warm_hit(pki: DevPki) -> None:
    verifier = Verifier(CertificateValidator(pinned=[pki.helsenorge.signing.certificate]))
    verifier.verify(_signed_by(pki, "helsenorge"))
    with pytest.raises(InvalidCertificateError) as info:
        verifier.verify(_signed_by(pki, "gp"))
    assert info.value.reason == "not-pinned-certificate"


def test_signed_info_shape_cache_never_skips_a_check(pki: DevPki) -> None:
    """A known shape with one algorithm swapped, or a comment added, is a new shape, checked."""
    verifier = Verifier(_validator(pki))
    good = _signed_by(pki, "helsenorge")
    verifier.verify(good)
    for bad, reason in (
        (_with_comment_in_c14n_method(good), "refused-algorithm"),
        (good.replace(b"xmldsig-more#rsa-sha256", b"xmldsig#rsa-sha1"), "refused-algorithm"),
        (good.replace(b'URI=""', b'URI="#x"'), "refused-reference"),
        (good.replace(b'URI=""', b'URI="" Type="urn:x"'), "refused-reference"),
    ):
        with pytest.raises(InvalidSignatureError) as info:
            verifier.verify(bad)
        assert info.value.reason == reason


def test_opener_cold_and_warm_agree(pki: DevPki) -> None:
    gp = pki.gp_office

    def opener() -> Opener:
        return Opener(gp.encryption.key, gp.encryption.certificate, _validator(pki),
                      resolver=pki.resolver())  # fmt: skip

    recipient = gp.encryption.certificate
    good = Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)
    cases = {
        "good": good.seal(MESSAGE, recipient),
        "revoked": Sealer(pki.revoked.key, pki.revoked.certificate).seal(MESSAGE, recipient),
        "untrusted": Sealer(pki.untrusted.key, pki.untrusted.certificate).seal(MESSAGE, recipient),
        "expired": Sealer(pki.expired.key, pki.expired.certificate).seal(MESSAGE, recipient),
    }
    cold = {name: _outcome(lambda: opener().open(cases[name])) for name in cases}  # noqa: B023
    warm = opener()
    for name in ("good", *cases, "good"):
        assert _outcome(lambda: warm.open(cases[name])) == cold[name], name  # noqa: B023
    assert cold == {
        "good": ("ok", ""),
        "revoked": ("RevokedCertificateError", "revoked"),
        "untrusted": ("InvalidCertificateError", "untrusted"),
        "expired": ("ExpiredCertificateError", "expired"),
    }


def test_identity_cache_keeps_results_only_and_tells_objects_apart(pki: DevPki) -> None:
    computed: list[x509.Certificate] = []

    def serial_of_encryption_cert(cert: x509.Certificate) -> int:
        computed.append(cert)
        check_key_usage(cert, KeyPurpose.ENCRYPTION)
        return cert.serial_number

    cache = IdentityCache(serial_of_encryption_cert, size=2)
    cert = pki.gp_office.encryption.certificate
    twin = x509.load_der_x509_certificate(cert.public_bytes(Encoding.DER))  # equal, not the same
    assert cache(cert) == cache(cert) == cert.serial_number
    assert computed == [cert]
    assert cache(twin) == cert.serial_number
    assert len(computed) == 2
    for _ in range(2):  # a refusal is never remembered
        with pytest.raises(InvalidCertificateError):
            cache(pki.gp_office.signing.certificate)
    assert len(computed) == 4
    cache(pki.helsenorge.encryption.certificate)  # over size: starts afresh, still correct
    assert cache(cert) == cert.serial_number


def test_validator_gives_an_equal_certificate_object_the_same_answer(pki: DevPki) -> None:
    validator = _validator(pki)
    for cert in (pki.helsenorge.signing.certificate, pki.revoked.certificate):
        twin = x509.load_der_x509_certificate(cert.public_bytes(Encoding.DER))
        assert _outcome(lambda: validator.validate(cert, KeyPurpose.SIGNING)) == _outcome(  # noqa: B023
            lambda: validator.validate(twin, KeyPurpose.SIGNING)  # noqa: B023
        )
