"""Certificate policy: trust store and chains, key usage, key size, validity at a time, pins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509

from digidialog.errors import UsageError
from digidialog.security import (
    CertificateValidator,
    ExpiredCertificateError,
    InvalidCertificateError,
    KeyPurpose,
    NotYetValidCertificateError,
    RevocationState,
    TrustStore,
)
from digidialog.security.devpki import DevPki

from . import x509make


def test_trust_store_is_only_what_the_caller_gives(pki: DevPki) -> None:
    with pytest.raises(UsageError):
        TrustStore([])
    store = TrustStore.from_pem(pki.ca.cert_path)
    assert store.anchors == (pki.ca.certificate,)
    assert store.chain(pki.helsenorge.signing.certificate) == (
        pki.helsenorge.signing.certificate,
        pki.ca.certificate,
    )


def test_certificate_from_a_ca_with_the_same_name_is_untrusted(pki: DevPki) -> None:
    with pytest.raises(InvalidCertificateError) as info:
        pki.trust_store().chain(pki.untrusted.certificate)
    assert info.value.reason == "untrusted"


def test_chain_through_an_intermediate(pki: DevPki, tmp_path: Path) -> None:
    # The dev CA allows no CA below it (pathLen 0): the chain is built under a root that does.
    root_key, inter_key, leaf_key = (x509make.key() for _ in range(3))
    root = x509make.certificate("Dev Root", root_key, ca=True)
    intermediate = x509make.certificate("Dev Intermediate", inter_key, root, root_key, ca=True)
    usage = pki.helsenorge.signing.certificate.extensions.get_extension_for_class(x509.KeyUsage)
    leaf = x509make.certificate("leaf", leaf_key, intermediate, inter_key, usage=usage.value)
    with pytest.raises(InvalidCertificateError):
        TrustStore([root]).chain(leaf)
    store = TrustStore([root], intermediates=[intermediate])
    assert store.chain(leaf) == (leaf, intermediate, root)
    check = CertificateValidator(store).validate(leaf, KeyPurpose.SIGNING)
    assert len(check.chain) == 3


@pytest.mark.parametrize(
    ("party", "purpose", "ok"),
    [
        ("signing", KeyPurpose.SIGNING, True),
        ("signing", KeyPurpose.ENCRYPTION, False),
        ("encryption", KeyPurpose.ENCRYPTION, True),
        ("encryption", KeyPurpose.SIGNING, False),
    ],
)
def test_key_usage_per_purpose(pki: DevPki, party: str, purpose: KeyPurpose, ok: bool) -> None:
    cert = getattr(pki.gp_office, party).certificate
    validator = CertificateValidator(pki.trust_store())
    if ok:
        assert validator.validate(cert, purpose).certificate == cert
    else:
        with pytest.raises(InvalidCertificateError) as info:
            validator.validate(cert, purpose)
        assert info.value.reason == "wrong-key-usage"


def test_wrong_usage_certificate_fits_neither_purpose(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store())
    for purpose in KeyPurpose:
        with pytest.raises(InvalidCertificateError):
            validator.validate(pki.wrong_usage.certificate, purpose)


def test_validity_at_the_verification_time(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store())
    with pytest.raises(ExpiredCertificateError):
        validator.validate(pki.expired.certificate, KeyPurpose.SIGNING)
    with pytest.raises(NotYetValidCertificateError):
        validator.validate(pki.not_yet_valid.certificate, KeyPurpose.SIGNING)
    later = pki.not_yet_valid.certificate.not_valid_before_utc + dt.timedelta(days=1)
    assert validator.validate(pki.not_yet_valid.certificate, KeyPurpose.SIGNING, later)
    # Cached static checks never hide a time problem: a second call at "now" still fails.
    with pytest.raises(NotYetValidCertificateError):
        validator.validate(pki.not_yet_valid.certificate, KeyPurpose.SIGNING)


def test_short_rsa_keys_are_refused(pki: DevPki) -> None:
    weak = pki.issue("weak-1024", KeyPurpose.SIGNING, key_bits=1024)
    with pytest.raises(InvalidCertificateError) as info:
        CertificateValidator(pki.trust_store()).validate(weak.certificate, KeyPurpose.SIGNING)
    assert info.value.reason == "weak-key"


def test_validator_needs_something_to_trust(pki: DevPki) -> None:
    with pytest.raises(UsageError):
        CertificateValidator()
    pinned = CertificateValidator(pinned=[pki.gp_office.signing.certificate])
    check = pinned.validate(pki.gp_office.signing.certificate, KeyPurpose.SIGNING)
    assert check.pinned
    assert check.revocation.state is RevocationState.NOT_CHECKED
