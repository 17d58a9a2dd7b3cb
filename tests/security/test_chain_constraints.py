"""Chain constraints found missing in the security audit: CAs in the chain are checked for
revocation too, pathLenConstraint holds (the trust anchor's included), and an issuer needs
keyCertSign when it has a keyUsage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from digidialog.security import (
    CertificateValidator,
    InvalidCertificateError,
    KeyPurpose,
    RevocationChecker,
    RevocationState,
    RevocationUnavailableError,
    RevokedCertificateError,
    Signer,
    TrustStore,
    Verifier,
)
from digidialog.security.devpki import DevPki

from .conftest import MESSAGE

NOW = dt.datetime.now(dt.UTC)
Key = rsa.RSAPrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(**on: bool) -> x509.KeyUsage:
    fields = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    fields.update(on)
    return x509.KeyUsage(**fields)


CA_USAGE = _usage(key_cert_sign=True, crl_sign=True)
SIGNING_USAGE = _usage(digital_signature=True, content_commitment=True)


def _key() -> Key:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    key: Key,
    issuer_key: Key,
    *,
    ca: bool,
    path_length: int | None = None,
    usage: x509.KeyUsage | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _crl(
    issuer: x509.Certificate, key: Key, revoked: Sequence[int] = ()
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(NOW - dt.timedelta(hours=1))
        .next_update(NOW + dt.timedelta(days=1))
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - dt.timedelta(hours=2))
            .build()
        )
    return builder.sign(key, hashes.SHA256())


class Chain:
    """Root → intermediate → leaf, each with its key."""

    def __init__(
        self,
        *,
        root_path_length: int | None = None,
        inter_usage: x509.KeyUsage | None = CA_USAGE,
    ) -> None:
        self.root_key, self.inter_key, self.leaf_key = _key(), _key(), _key()
        self.root = _cert(
            _name("Audit Root"),
            _name("Audit Root"),
            self.root_key,
            self.root_key,
            ca=True,
            path_length=root_path_length,
            usage=CA_USAGE,
        )
        self.inter = _cert(
            _name("Audit Intermediate"),
            self.root.subject,
            self.inter_key,
            self.root_key,
            ca=True,
            path_length=0,
            usage=inter_usage,
        )
        self.leaf = _cert(
            _name("Audit Leaf"),
            self.inter.subject,
            self.leaf_key,
            self.inter_key,
            ca=False,
            usage=SIGNING_USAGE,
        )

    def store(self) -> TrustStore:
        return TrustStore([self.root], [self.inter])

    def signed(self) -> bytes:
        return Signer(self.leaf_key, self.leaf).sign(MESSAGE)


# --- intermediates are checked for revocation --------------------------------------------------


def test_revoked_intermediate_voids_its_leaves() -> None:
    chain = Chain()
    checker = RevocationChecker(
        [
            _crl(chain.root, chain.root_key, [chain.inter.serial_number]),
            _crl(chain.inter, chain.inter_key),
        ],
        use_network=False,
    )
    verifier = Verifier(CertificateValidator(chain.store(), revocation=checker))
    with pytest.raises(RevokedCertificateError) as info:
        verifier.verify(chain.signed())
    assert info.value.code == "transport:revoked-certificate"
    assert "Audit Intermediate" in str(info.value)


def test_revoked_leaf_under_an_intermediate() -> None:
    chain = Chain()
    checker = RevocationChecker(
        [
            _crl(chain.root, chain.root_key),
            _crl(chain.inter, chain.inter_key, [chain.leaf.serial_number]),
        ],
        use_network=False,
    )
    with pytest.raises(RevokedCertificateError) as info:
        CertificateValidator(chain.store(), revocation=checker).validate(
            chain.leaf, KeyPurpose.SIGNING
        )
    assert "Audit Leaf" in str(info.value)


def test_whole_chain_good() -> None:
    chain = Chain()
    checker = RevocationChecker(
        [_crl(chain.root, chain.root_key), _crl(chain.inter, chain.inter_key)], use_network=False
    )
    result = Verifier(CertificateValidator(chain.store(), revocation=checker)).verify(
        chain.signed()
    )
    assert result.revocation.state is RevocationState.GOOD


def test_intermediate_not_checked_is_said() -> None:
    """Only the intermediate's CRL given; the intermediate names no source: the leaf is good,
    but the result must not claim the chain was checked."""
    chain = Chain()
    checker = RevocationChecker([_crl(chain.inter, chain.inter_key)], use_network=False)
    check = CertificateValidator(chain.store(), revocation=checker).validate(
        chain.leaf, KeyPurpose.SIGNING
    )
    assert check.revocation.state is RevocationState.NOT_CHECKED
    assert "Audit Intermediate" in str(check.revocation)


def test_stale_root_crl_makes_the_intermediate_unavailable() -> None:
    chain = Chain()
    stale = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(chain.root.subject)
        .last_update(NOW - dt.timedelta(days=10))
        .next_update(NOW - dt.timedelta(days=3))
        .sign(chain.root_key, hashes.SHA256())
    )
    checker = RevocationChecker([stale, _crl(chain.inter, chain.inter_key)], use_network=False)
    with pytest.raises(RevocationUnavailableError):
        CertificateValidator(chain.store(), revocation=checker).validate(
            chain.leaf, KeyPurpose.SIGNING
        )


def test_trust_anchor_itself_is_not_asked_about(pki: DevPki) -> None:
    """The CA's own CRL listing the CA's serial does not matter: the anchor is trusted as given."""
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.certificate.subject)
        .last_update(NOW - dt.timedelta(hours=1))
        .next_update(NOW + dt.timedelta(days=1))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(pki.ca.certificate.serial_number)
            .revocation_date(NOW - dt.timedelta(hours=2))
            .build()
        )
        .sign(pki.ca.key, hashes.SHA256())
    )
    check = CertificateValidator(pki.trust_store(), revocation=RevocationChecker([crl])).validate(
        pki.helsenorge.signing.certificate, KeyPurpose.SIGNING
    )
    assert check.revocation.state is RevocationState.GOOD


# --- pathLenConstraint ---------------------------------------------------------------------------


def test_dev_ca_path_length_zero_refuses_a_sub_ca(pki: DevPki) -> None:
    sub_key, leaf_key = _key(), _key()
    sub = _cert(
        _name("Sub-CA"), pki.ca.certificate.subject, sub_key, pki.ca.key, ca=True, usage=CA_USAGE
    )
    leaf = _cert(
        _name("Leaf under sub-CA"), sub.subject, leaf_key, sub_key, ca=False, usage=SIGNING_USAGE
    )
    verifier = Verifier(CertificateValidator(TrustStore([pki.ca.certificate], [sub])))
    with pytest.raises(InvalidCertificateError) as info:
        verifier.verify(Signer(leaf_key, leaf).sign(MESSAGE))
    assert info.value.code == "transport:invalid-certificate"
    assert info.value.reason == "path-length-exceeded"


@pytest.mark.parametrize(("root_path_length", "ok"), [(None, True), (1, True), (0, False)])
def test_root_path_length(root_path_length: int | None, ok: bool) -> None:
    chain = Chain(root_path_length=root_path_length)
    validator = CertificateValidator(chain.store())
    if ok:
        assert validator.validate(chain.leaf, KeyPurpose.SIGNING).chain == (
            chain.leaf,
            chain.inter,
            chain.root,
        )
    else:
        with pytest.raises(InvalidCertificateError) as info:
            validator.validate(chain.leaf, KeyPurpose.SIGNING)
        assert info.value.reason == "path-length-exceeded"


def test_intermediate_path_length_zero_refuses_a_sub_ca() -> None:
    chain = Chain()  # the intermediate has pathLen=0
    sub_key, leaf_key = _key(), _key()
    sub = _cert(
        _name("Audit Sub-CA"),
        chain.inter.subject,
        sub_key,
        chain.inter_key,
        ca=True,
        usage=CA_USAGE,
    )
    leaf = _cert(
        _name("Audit deep leaf"), sub.subject, leaf_key, sub_key, ca=False, usage=SIGNING_USAGE
    )
    store = TrustStore([chain.root], [chain.inter, sub])
    with pytest.raises(InvalidCertificateError) as info:
        CertificateValidator(store).validate(leaf, KeyPurpose.SIGNING)
    assert info.value.reason == "path-length-exceeded"


def test_self_issued_rollover_certificate_does_not_count() -> None:
    """RFC 5280 §4.2.1.9: self-issued intermediates (key rollover) do not use up the length."""
    old_key, new_key, leaf_key = _key(), _key(), _key()
    root = _cert(
        _name("Rollover Root"),
        _name("Rollover Root"),
        old_key,
        old_key,
        ca=True,
        path_length=0,
        usage=CA_USAGE,
    )
    new_with_old = _cert(
        root.subject, root.subject, new_key, old_key, ca=True, path_length=0, usage=CA_USAGE
    )
    leaf = _cert(
        _name("Rollover leaf"), root.subject, leaf_key, new_key, ca=False, usage=SIGNING_USAGE
    )
    check = CertificateValidator(TrustStore([root], [new_with_old])).validate(
        leaf, KeyPurpose.SIGNING
    )
    assert check.chain == (leaf, new_with_old, root)


# --- keyCertSign ---------------------------------------------------------------------------


def test_issuer_without_key_cert_sign_is_not_an_issuer() -> None:
    chain = Chain(inter_usage=_usage(digital_signature=True, crl_sign=True))
    verifier = Verifier(CertificateValidator(chain.store()))
    with pytest.raises(InvalidCertificateError) as info:
        verifier.verify(chain.signed())
    assert info.value.code == "transport:invalid-certificate"
    assert info.value.reason == "untrusted"


def test_issuer_without_key_usage_is_allowed() -> None:
    """RFC 5280 asks for keyCertSign only when keyUsage is present."""
    chain = Chain(inter_usage=None)
    assert CertificateValidator(chain.store()).validate(chain.leaf, KeyPurpose.SIGNING)


def test_issuer_that_is_not_a_ca_is_not_an_issuer(pki: DevPki) -> None:
    leaf_key = _key()
    signer = pki.helsenorge.signing
    leaf = _cert(
        _name("issued by a leaf"),
        signer.certificate.subject,
        leaf_key,
        signer.key,
        ca=False,
        usage=SIGNING_USAGE,
    )
    with pytest.raises(InvalidCertificateError) as info:
        CertificateValidator(TrustStore([pki.ca.certificate], [signer.certificate])).validate(
            leaf, KeyPurpose.SIGNING
        )
    assert info.value.reason == "untrusted"
