"""Chain constraints found missing in the security audit: CAs in the chain are checked for
revocation too, pathLenConstraint holds (the trust anchor's included), and an issuer needs
keyCertSign when it has a keyUsage."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509

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

from . import x509make
from .conftest import MESSAGE
from .x509make import NOW

CA_USAGE = x509make.key_usage(key_cert_sign=True, crl_sign=True)
SIGNING_USAGE = x509make.key_usage(digital_signature=True, content_commitment=True)


class Chain:
    """Root → intermediate → leaf, each with its key."""

    def __init__(
        self,
        *,
        root_path_length: int | None = None,
        inter_usage: x509.KeyUsage | None = CA_USAGE,
    ) -> None:
        self.root_key, self.inter_key, self.leaf_key = (x509make.key() for _ in range(3))
        self.root = x509make.certificate(
            "Audit Root", self.root_key, ca=True, path_length=root_path_length, usage=CA_USAGE
        )
        self.inter = x509make.certificate(
            "Audit Intermediate",
            self.inter_key,
            self.root,
            self.root_key,
            ca=True,
            path_length=0,
            usage=inter_usage,
        )
        self.leaf = x509make.certificate(
            "Audit Leaf", self.leaf_key, self.inter, self.inter_key, ca=False, usage=SIGNING_USAGE
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
            x509make.crl(chain.root, chain.root_key, [chain.inter.serial_number]),
            x509make.crl(chain.inter, chain.inter_key),
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
            x509make.crl(chain.root, chain.root_key),
            x509make.crl(chain.inter, chain.inter_key, [chain.leaf.serial_number]),
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
        [x509make.crl(chain.root, chain.root_key), x509make.crl(chain.inter, chain.inter_key)],
        use_network=False,
    )
    result = Verifier(CertificateValidator(chain.store(), revocation=checker)).verify(
        chain.signed()
    )
    assert result.revocation.state is RevocationState.GOOD


def test_intermediate_not_checked_is_said() -> None:
    """Only the intermediate's CRL given; the intermediate names no source: the leaf is good,
    but the result must not claim the chain was checked."""
    chain = Chain()
    checker = RevocationChecker([x509make.crl(chain.inter, chain.inter_key)], use_network=False)
    check = CertificateValidator(chain.store(), revocation=checker).validate(
        chain.leaf, KeyPurpose.SIGNING
    )
    assert check.revocation.state is RevocationState.NOT_CHECKED
    assert "Audit Intermediate" in str(check.revocation)


def test_stale_root_crl_makes_the_intermediate_unavailable() -> None:
    chain = Chain()
    stale = x509make.crl(
        chain.root,
        chain.root_key,
        this_update=NOW - dt.timedelta(days=10),
        next_update=NOW - dt.timedelta(days=3),
    )
    checker = RevocationChecker(
        [stale, x509make.crl(chain.inter, chain.inter_key)], use_network=False
    )
    with pytest.raises(RevocationUnavailableError):
        CertificateValidator(chain.store(), revocation=checker).validate(
            chain.leaf, KeyPurpose.SIGNING
        )


def test_trust_anchor_itself_is_not_asked_about(pki: DevPki) -> None:
    """The CA's own CRL listing the CA's serial does not matter: the anchor is trusted as given."""
    crl = x509make.crl(pki.ca.certificate, pki.ca.key, [pki.ca.certificate.serial_number])
    check = CertificateValidator(pki.trust_store(), revocation=RevocationChecker([crl])).validate(
        pki.helsenorge.signing.certificate, KeyPurpose.SIGNING
    )
    assert check.revocation.state is RevocationState.GOOD


# --- pathLenConstraint ---------------------------------------------------------------------------


def test_dev_ca_path_length_zero_refuses_a_sub_ca(pki: DevPki) -> None:
    sub_key, leaf_key = x509make.key(), x509make.key()
    sub = x509make.certificate(
        "Sub-CA", sub_key, pki.ca.certificate, pki.ca.key, ca=True, usage=CA_USAGE
    )
    leaf = x509make.certificate(
        "Leaf under sub-CA", leaf_key, sub, sub_key, ca=False, usage=SIGNING_USAGE
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
    sub_key, leaf_key = x509make.key(), x509make.key()
    sub = x509make.certificate(
        "Audit Sub-CA", sub_key, chain.inter, chain.inter_key, ca=True, usage=CA_USAGE
    )
    leaf = x509make.certificate(
        "Audit deep leaf", leaf_key, sub, sub_key, ca=False, usage=SIGNING_USAGE
    )
    store = TrustStore([chain.root], [chain.inter, sub])
    with pytest.raises(InvalidCertificateError) as info:
        CertificateValidator(store).validate(leaf, KeyPurpose.SIGNING)
    assert info.value.reason == "path-length-exceeded"


def test_self_issued_rollover_certificate_does_not_count() -> None:
    """RFC 5280 §4.2.1.9: self-issued intermediates (key rollover) do not use up the length."""
    old_key, new_key, leaf_key = (x509make.key() for _ in range(3))
    root = x509make.certificate("Rollover Root", old_key, ca=True, path_length=0, usage=CA_USAGE)
    new_with_old = x509make.certificate(
        root.subject, new_key, root, old_key, ca=True, path_length=0, usage=CA_USAGE
    )
    # Issued under the new key: the chain runs through the self-issued certificate.
    leaf = x509make.certificate(
        "Rollover leaf", leaf_key, new_with_old, new_key, ca=False, usage=SIGNING_USAGE
    )
    check = CertificateValidator(TrustStore([root], [new_with_old])).validate(
        leaf, KeyPurpose.SIGNING
    )
    assert check.chain == (leaf, new_with_old, root)


# --- keyCertSign ---------------------------------------------------------------------------


def test_issuer_without_key_cert_sign_is_not_an_issuer() -> None:
    chain = Chain(inter_usage=x509make.key_usage(digital_signature=True, crl_sign=True))
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
    leaf_key = x509make.key()
    signer = pki.helsenorge.signing
    leaf = x509make.certificate(
        "issued by a leaf", leaf_key, signer.certificate, signer.key, ca=False, usage=SIGNING_USAGE
    )
    with pytest.raises(InvalidCertificateError) as info:
        CertificateValidator(TrustStore([pki.ca.certificate], [signer.certificate])).validate(
            leaf, KeyPurpose.SIGNING
        )
    assert info.value.reason == "untrusted"
