"""What `Sealer` writes from templates against the DER the layers should be, at every size.

`Sealer` packs the headers of both layers in one go when every length takes two octets and
writes them one by one otherwise, and it writes the signed attributes and the signer information
once per second of signing time. Both layers must be the canonical DER asn1crypto re-encodes, the
SignedData byte for byte what encoding it level by level gives, and `Opener` must read it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from digidialog.security import CertificateValidator, Opener, Sealer, cms, der
from digidialog.security.certificates import IdentityCache, check_rsa_key
from digidialog.security.devpki import DevPki

# Around 256 octets (where the short forms end), and around 64 KiB, where the SignedData and
# then the envelope need a three-octet length.
SIZES = [0, 1, 200, 255, 256, 257, 5000, *range(62_900, 64_300, 100), 65_536, 70_000]


@pytest.fixture(scope="module")
def sealer(pki: DevPki) -> Sealer:
    return Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)


@pytest.fixture(scope="module")
def opener(pki: DevPki) -> Opener:
    gp = pki.gp_office.encryption
    return Opener(gp.key, gp.certificate, CertificateValidator(pki.trust_store()))


def _content(size: int) -> bytes:
    return (b"<MsgHead>" + b"x" * size)[:size]


def _reference_signed_data(sealer: Sealer, content: bytes, when: dt.datetime) -> bytes:
    """The SignedData `Sealer` writes, encoded level by level with `der.encode`."""
    certificate = sealer.certificate
    attributes = der.encode_set_of((
        cms._CONTENT_TYPE_DATA_ATTRIBUTE,
        cms._attribute(cms._ATTR_SIGNING_TIME, der.encode_time(when)),
        cms._attribute(
            cms._ATTR_MESSAGE_DIGEST,
            der.encode(der.OCTET_STRING, hashlib.sha256(content).digest()),
        ),
    ))  # fmt: skip
    key = sealer._key
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(attributes, padding.PKCS1v15(), hashes.SHA256())
    signer_info = der.encode(
        der.SEQUENCE,
        der.encode_integer(1)
        + cms._issuer_and_serial(certificate)
        + cms._SHA256_ALGORITHM
        + b"\xa0"
        + attributes[1:]
        + cms._RSA_ALGORITHM
        + der.encode(der.OCTET_STRING, signature),
    )
    encapsulated = der.encode(
        der.SEQUENCE,
        cms._ID_DATA_TLV + der.encode(0xA0, der.encode(der.OCTET_STRING, content)),
    )
    signed_data = der.encode(
        der.SEQUENCE,
        der.encode_integer(1)
        + der.encode(der.SET, cms._SHA256_ALGORITHM)
        + encapsulated
        + der.encode(0xA0, certificate.public_bytes(serialization.Encoding.DER))
        + der.encode(der.SET, signer_info),
    )
    return der.encode(der.SEQUENCE, cms._ID_SIGNED_DATA_TLV + der.encode(0xA0, signed_data))


@pytest.mark.parametrize("size", SIZES)
def test_both_layers_are_canonical_der_at_every_size(
    sealer: Sealer, opener: Opener, pki: DevPki, size: int
) -> None:
    gp = pki.gp_office.encryption
    content = _content(size)
    sealed = sealer.seal(content, gp.certificate)
    envelope = asn1_cms.ContentInfo.load(sealed, strict=True)
    assert envelope.dump(force=True) == sealed
    inner = pkcs7.pkcs7_decrypt_der(sealed, gp.certificate, gp.key, [])
    signed = asn1_cms.ContentInfo.load(inner, strict=True)
    assert signed.dump(force=True) == inner
    assert signed["content"]["encap_content_info"]["content"].native == content
    assert opener.open(sealed).content == content


@pytest.mark.parametrize("size", [0, 255, 256, 5000, 63_700, 63_900, 70_000])
def test_signed_data_is_what_encoding_it_level_by_level_gives(sealer: Sealer, size: int) -> None:
    content = _content(size)
    for when in (
        dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 12, 0, 0, 999_999, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 12, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 30, 13, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2050, 1, 1, tzinfo=dt.UTC),  # GeneralizedTime from 2050
        dt.datetime(2049, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC),
    ):
        expected = _reference_signed_data(sealer, content, when.replace(microsecond=0))
        assert sealer._signed_data(content, when) == expected, (size, when)


def test_signing_time_is_written_once_per_second(sealer: Sealer) -> None:
    start = dt.datetime(2026, 11, 30, 12, 0, 0, tzinfo=dt.UTC)
    first = sealer._signed_data(b"<MsgHead/>", start)
    written = sealer._time
    assert sealer._signed_data(b"<MsgHead/>", start.replace(microsecond=999_999)) == first
    assert sealer._time is written
    later = sealer._signed_data(b"<MsgHead/>", start + dt.timedelta(seconds=1))
    assert sealer._time is not written
    assert later != first
    assert b"\x17\x0d261130120001Z" in later
    assert sealer._signed_data(b"<MsgHead/>", start) == first


class _ShortSignatures:
    """A signing key whose signatures are one octet shorter than the modulus."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.key_size = key.key_size

    def sign(self, data: bytes, pad: padding.AsymmetricPadding, alg: hashes.HashAlgorithm) -> bytes:
        return self.key.sign(data, pad, alg)[1:]


class _LongCiphertexts:
    def __init__(self, key: rsa.RSAPublicKey) -> None:
        self.key = key
        self.key_size = key.key_size

    def encrypt(self, data: bytes, pad: padding.AsymmetricPadding) -> bytes:
        return self.key.encrypt(data, pad) + b"\x00"


def test_a_signature_of_another_length_is_still_written_as_der(pki: DevPki) -> None:
    """Never seen (an RSA signature is as long as the modulus), but then the signer information
    is written again for that length rather than used with the wrong lengths in it."""
    hn, gp = pki.helsenorge.signing, pki.gp_office.encryption
    sealer = Sealer(hn.key, hn.certificate)
    sealer._key = _ShortSignatures(hn.key)  # type: ignore[assignment]
    for size in (10, 5000, 5000):
        sealed = sealer.seal(_content(size), gp.certificate)
        inner = pkcs7.pkcs7_decrypt_der(sealed, gp.certificate, gp.key, [])
        signed = asn1_cms.ContentInfo.load(inner, strict=True)
        assert signed.dump(force=True) == inner
        (signer_info,) = list(signed["content"]["signer_infos"])
        assert len(signer_info["signature"].native) == 255
    assert sealer._time.signature_size == 255


def test_an_encrypted_key_of_another_length_is_still_written_as_der(
    pki: DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never seen either (RSA encryption output is as long as the modulus)."""
    hn, gp = pki.helsenorge.signing, pki.gp_office.encryption
    monkeypatch.setattr(cms, "check_rsa_key", lambda cert: _LongCiphertexts(check_rsa_key(cert)))
    monkeypatch.setattr(cms, "_recipient", IdentityCache(cms._recipient_facts))
    sealer = Sealer(hn.key, hn.certificate)
    for size in (10, 5000, 70_000):
        sealed = sealer.seal(_content(size), gp.certificate)
        envelope = asn1_cms.ContentInfo.load(sealed, strict=True)
        assert envelope.dump(force=True) == sealed
        (recipient,) = list(envelope["content"]["recipient_infos"])
        assert len(recipient.chosen["encrypted_key"].native) == 257
