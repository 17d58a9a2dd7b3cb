"""CMS sign-then-encrypt: round trip, and damaged, misaddressed or spoofed input refused."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from digidialog.security import (
    CONTENT_TYPE,
    CertificateValidator,
    DecryptionFailedError,
    ExpiredCertificateError,
    InvalidCertificateError,
    InvalidCmsError,
    InvalidSignatureError,
    Opener,
    RevocationChecker,
    RevokedCertificateError,
    Sealer,
    SpoofingError,
    open_sealed,
    seal,
)
from digidialog.security.devpki import DevPki


@pytest.fixture(scope="module")
def sealer(pki: DevPki) -> Sealer:
    return Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)


@pytest.fixture(scope="module")
def opener(pki: DevPki) -> Opener:
    gp = pki.gp_office
    return Opener(
        gp.encryption.key,
        gp.encryption.certificate,
        CertificateValidator(pki.trust_store(), revocation=RevocationChecker([pki.crl])),
        resolver=pki.resolver(),
    )


@pytest.fixture(scope="module")
def sealed(sealer: Sealer, signed: bytes, pki: DevPki) -> bytes:
    return sealer.seal(signed, pki.gp_office.encryption.certificate)


def test_round_trip_returns_the_exact_bytes(
    opener: Opener, sealed: bytes, signed: bytes, pki: DevPki
) -> None:
    opened = opener.open(sealed, expected_sender=pki.helsenorge.her_id)
    assert opened.content == signed
    assert opened.signer == pki.helsenorge.signing.certificate
    assert "CRL given" in str(opened.certificate_check.revocation)
    assert CONTENT_TYPE == "application/pkcs7-mime; smime-type=signed-and-enveloped-data"


def test_structure_is_enveloped_aes256_around_encapsulated_signed_data(
    sealed: bytes, pki: DevPki
) -> None:
    info = asn1_cms.ContentInfo.load(sealed)
    assert info["content_type"].native == "enveloped_data"
    enveloped = info["content"]
    algorithm = enveloped["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"]
    assert algorithm.native == "aes256_cbc"
    (recipient,) = list(enveloped["recipient_infos"])
    rid = recipient.chosen["rid"]
    assert rid.name == "issuer_and_serial_number"
    assert rid.chosen["serial_number"].native == pki.gp_office.encryption.certificate.serial_number
    gp = pki.gp_office.encryption
    inner = asn1_cms.ContentInfo.load(pkcs7.pkcs7_decrypt_der(sealed, gp.certificate, gp.key, []))
    assert inner["content_type"].native == "signed_data"
    assert inner["content"]["encap_content_info"]["content"].native is not None  # not detached


def test_convenience_functions(signed: bytes, pki: DevPki) -> None:
    hn, gp = pki.helsenorge, pki.gp_office
    data = seal(signed, key=hn.signing.key, certificate=hn.signing.certificate,
                recipient=gp.encryption.certificate)  # fmt: skip
    opened = open_sealed(data, key=gp.encryption.key, certificate=gp.encryption.certificate,
                         pinned=[hn.signing.certificate])  # fmt: skip
    assert opened.content == signed


@pytest.mark.parametrize("where", ["encrypted-content", "encrypted-key", "recipient-serial"])
def test_tampered_envelope_is_refused(opener: Opener, sealed: bytes, where: str) -> None:
    recipient = next(iter(asn1_cms.ContentInfo.load(sealed)["content"]["recipient_infos"])).chosen
    spots = {
        # CBC is malleable: a flipped ciphertext byte garbles the signed data inside, which the
        # signature check (or the DER reader, or the padding check) then refuses.
        "encrypted-content": (
            len(sealed) - 40,
            {
                "transport:decryption-failed",
                "transport:invalid-cms-pkcs",
                "transport:invalid-signature",
            },
        ),
        "encrypted-key": (
            sealed.index(recipient["encrypted_key"].native) + 100,
            {"transport:decryption-failed", "transport:invalid-cms-pkcs"},
        ),
        "recipient-serial": (
            sealed.index(recipient["rid"].chosen["serial_number"].contents) + 3,
            {"transport:invalid-certificate"},
        ),
    }
    offset, codes = spots[where]
    damaged = bytearray(sealed)
    damaged[offset] ^= 0xFF
    with pytest.raises(
        (DecryptionFailedError, InvalidCmsError, InvalidCertificateError, InvalidSignatureError)
    ) as info:
        opener.open(bytes(damaged))
    assert info.value.code in codes


def test_truncated_input_is_invalid_cms(opener: Opener, sealed: bytes) -> None:
    with pytest.raises(InvalidCmsError):
        opener.open(sealed[: len(sealed) // 2])
    with pytest.raises(InvalidCmsError):
        opener.open(b"<MsgHead/>")


def test_wrongly_addressed_is_refused(
    sealer: Sealer, signed: bytes, pki: DevPki, opener: Opener
) -> None:
    for_someone_else = sealer.seal(signed, pki.helsenorge.encryption.certificate)
    with pytest.raises(InvalidCertificateError) as info:
        opener.open(for_someone_else)
    assert info.value.reason == "not-addressed-to-us"
    assert info.value.condition_data["thumbprint"]["expected"]


def test_encrypted_but_unsigned_is_refused(pki: DevPki, opener: Opener, signed: bytes) -> None:
    only_encrypted = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed)
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(pki.gp_office.encryption.certificate)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    with pytest.raises(InvalidCmsError):
        opener.open(only_encrypted)


def _seal_signed(signed_der: bytes, pki: DevPki) -> bytes:
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed_der)
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(pki.gp_office.encryption.certificate)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def test_signed_content_altered_before_encryption_is_refused(
    pki: DevPki, opener: Opener, signed: bytes
) -> None:
    hn = pki.helsenorge
    signed_der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(signed)
        .add_signer(hn.signing.certificate, hn.signing.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    altered = signed_der.replace(b"<Amount>500</Amount>", b"<Amount>900</Amount>")
    assert altered != signed_der
    with pytest.raises(InvalidSignatureError) as info:
        opener.open(_seal_signed(altered, pki))
    assert info.value.reason == "digest-mismatch"


def test_signature_without_signed_attributes_is_refused(
    pki: DevPki, opener: Opener, signed: bytes
) -> None:
    hn = pki.helsenorge
    bare = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(signed)
        .add_signer(hn.signing.certificate, hn.signing.key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoAttributes]
        )
    )
    with pytest.raises(InvalidSignatureError) as info:
        opener.open(_seal_signed(bare, pki))
    assert info.value.reason == "missing-signed-attributes"


def test_signer_without_certificate_in_message_is_found_via_resolver(
    pki: DevPki, opener: Opener, signed: bytes
) -> None:
    hn = pki.helsenorge
    no_certs = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(signed)
        .add_signer(hn.signing.certificate, hn.signing.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoCerts])
    )
    sealed = _seal_signed(no_certs, pki)
    with pytest.raises(InvalidSignatureError) as info:
        opener.open(sealed)
    assert info.value.reason == "missing-certificate"
    assert opener.open(sealed, expected_sender=hn.her_id).content == signed


def test_signer_not_the_expected_sender_is_spoofing(
    pki: DevPki, opener: Opener, signed: bytes
) -> None:
    gp_sealer = Sealer(pki.gp_office.signing.key, pki.gp_office.signing.certificate)
    sealed = gp_sealer.seal(signed, pki.gp_office.encryption.certificate)
    with pytest.raises(SpoofingError) as info:
        opener.open(sealed, expected_sender=pki.helsenorge.her_id)
    assert info.value.code == "abuse:spoofing-attack"


def test_untrusted_signer_is_refused(pki: DevPki, opener: Opener, signed: bytes) -> None:
    rogue = Sealer(pki.untrusted.key, pki.untrusted.certificate)
    with pytest.raises(InvalidCertificateError) as info:
        opener.open(rogue.seal(signed, pki.gp_office.encryption.certificate))
    assert info.value.reason == "untrusted"


def test_expired_and_revoked_signers_are_refused(
    pki: DevPki, opener: Opener, signed: bytes
) -> None:
    recipient = pki.gp_office.encryption.certificate
    expired = Sealer(pki.expired.key, pki.expired.certificate).seal(signed, recipient)
    with pytest.raises(ExpiredCertificateError):
        opener.open(expired)
    then = pki.expired.certificate.not_valid_after_utc - dt.timedelta(days=1)
    assert opener.open(expired, verification_time=then).content == signed
    revoked = Sealer(pki.revoked.key, pki.revoked.certificate).seal(signed, recipient)
    with pytest.raises(RevokedCertificateError):
        opener.open(revoked)


def test_sealing_for_a_certificate_without_key_encipherment_is_refused(
    sealer: Sealer, signed: bytes, pki: DevPki
) -> None:
    with pytest.raises(InvalidCertificateError) as info:
        sealer.seal(signed, pki.gp_office.signing.certificate)
    assert info.value.reason == "wrong-key-usage"


def test_opener_needs_a_key_encipherment_certificate(pki: DevPki) -> None:
    with pytest.raises(InvalidCertificateError):
        Opener(
            pki.gp_office.signing.key,
            pki.gp_office.signing.certificate,
            CertificateValidator(pki.trust_store()),
        )
