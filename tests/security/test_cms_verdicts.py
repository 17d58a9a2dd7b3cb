"""`Opener`'s verdicts on good, damaged, misaddressed and spoofed envelopes, and that they do not
depend on what it read before (its certificate cache; the signer's certificate is looked for
among the embedded, then the pinned, then the sender's registered ones)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from digidialog.security import (
    CertificateValidator,
    Opener,
    Sealer,
    TransportSecurityError,
    cms,
    der,
)
from digidialog.security.devpki import DevPki

from .conftest import MESSAGE
from .test_cms import _seal_signed

LARGE = MESSAGE * 3


def _signed_data(
    pki: DevPki,
    content: bytes,
    *,
    signed_content: bytes | None = None,
    certificates: bytes | None = None,
    damage_signature: bool = False,
) -> bytes:
    """A SignedData in `Sealer`'s shape, encoded level by level, with the changes asked for."""
    signing = pki.helsenorge.signing
    when = dt.datetime.now(dt.UTC)
    attributes = der.encode_set_of((
        cms._CONTENT_TYPE_DATA_ATTRIBUTE,
        cms._attribute(cms._ATTR_SIGNING_TIME, der.encode_time(when)),
        cms._attribute(
            cms._ATTR_MESSAGE_DIGEST,
            der.encode(der.OCTET_STRING, hashlib.sha256(signed_content or content).digest()),
        ),
    ))  # fmt: skip
    signature = signing.key.sign(attributes, padding.PKCS1v15(), hashes.SHA256())
    if damage_signature:
        signature = signature[:-1] + bytes((signature[-1] ^ 1,))
    signer_info = der.encode(
        der.SEQUENCE,
        der.encode_integer(1)
        + cms._issuer_and_serial(signing.certificate)
        + cms._SHA256_ALGORITHM
        + b"\xa0"
        + attributes[1:]
        + cms._RSA_ALGORITHM
        + der.encode(der.OCTET_STRING, signature),
    )
    if certificates is None:
        certificates = signing.certificate.public_bytes(serialization.Encoding.DER)
    signed_data = der.encode(
        der.SEQUENCE,
        cms._SIGNED_HEAD
        + der.encode(
            der.SEQUENCE,
            cms._ID_DATA_TLV + der.encode(0xA0, der.encode(der.OCTET_STRING, content)),
        )
        + (der.encode(0xA0, certificates) if certificates else b"")
        + der.encode(der.SET, signer_info),
    )
    return der.encode(der.SEQUENCE, cms._ID_SIGNED_DATA_TLV + der.encode(0xA0, signed_data))


def _triple_des(sealed: bytes) -> bytes:
    """``sealed`` claiming 3DES-CBC for its content (the ciphertext left as it is)."""
    info = asn1_cms.ContentInfo.load(sealed)
    algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
    algorithm["algorithm"] = "tripledes_3key"
    algorithm["parameters"] = bytes(8)
    return bytes(info.dump(force=True))


def _flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes((data[at] ^ 0x5A,)) + data[at + 1 :]


@pytest.fixture(scope="module")
def cases(pki: DevPki) -> dict[str, tuple[bytes, str | None]]:
    """Name -> (envelope, expected sender)."""
    hn, gp = pki.helsenorge, pki.gp_office
    recipient = gp.encryption.certificate
    ours = Sealer(hn.signing.key, hn.signing.certificate)
    good, large = ours.seal(MESSAGE, recipient), ours.seal(LARGE, recipient)
    bogus = der.encode(der.SEQUENCE, der.encode_integer(1))
    certificate = hn.signing.certificate.public_bytes(serialization.Encoding.DER)
    return {
        "good": (good, None),
        "good-large": (large, None),
        "good-from-sender": (good, hn.her_id),
        "other-signer-as-sender": (
            Sealer(gp.signing.key, gp.signing.certificate).seal(MESSAGE, recipient),
            hn.her_id,
        ),
        "unknown-sender": (good, "999999"),
        "untrusted-signer": (
            Sealer(pki.untrusted.key, pki.untrusted.certificate).seal(MESSAGE, recipient),
            None,
        ),
        "expired-signer": (
            Sealer(pki.expired.key, pki.expired.certificate).seal(MESSAGE, recipient),
            None,
        ),
        "for-someone-else": (ours.seal(MESSAGE, hn.encryption.certificate), None),
        "triple-des": (_triple_des(good), None),
        "truncated": (good[: len(good) // 2], None),
        "last-block-damaged": (_flipped(good, len(good) - 20), None),
        "middle-block-damaged": (_flipped(large, len(large) // 2), None),
        "encrypted-key-damaged": (_flipped(good, 200), None),
        "not-der": (b"<MsgHead/>", None),
        "content-altered": (
            _seal_signed(_signed_data(pki, LARGE, signed_content=MESSAGE), pki),
            None,
        ),
        "signature-damaged": (
            _seal_signed(_signed_data(pki, LARGE, damage_signature=True), pki),
            None,
        ),
        "unreadable-certificate-after-the-signer's": (
            _seal_signed(_signed_data(pki, LARGE, certificates=certificate + bogus), pki),
            None,
        ),
        "unreadable-certificate-before-the-signer's": (
            _seal_signed(_signed_data(pki, LARGE, certificates=bogus + certificate), pki),
            None,
        ),
        "no-certificate": (_seal_signed(_signed_data(pki, LARGE, certificates=b""), pki), None),
        "no-certificate-signer-registered": (
            _seal_signed(_signed_data(pki, LARGE, certificates=b""), pki),
            hn.her_id,
        ),
        "rebuilt-good": (_seal_signed(_signed_data(pki, LARGE), pki), hn.her_id),
    }


EXPECTED = {
    "good": "ok",
    "good-large": "ok",
    "good-from-sender": "ok",
    "other-signer-as-sender": "SpoofingError abuse:spoofing-attack signer-is-not-sender",
    "unknown-sender": "InvalidCertificateError transport:invalid-certificate unknown-sender",
    "untrusted-signer": "InvalidCertificateError transport:invalid-certificate untrusted",
    "expired-signer": "ExpiredCertificateError transport:expired-certificate expired",
    "for-someone-else": (
        "InvalidCertificateError transport:invalid-certificate not-addressed-to-us"
    ),
    "triple-des": "DecryptionFailedError transport:decryption-failed refused-cipher",
    "truncated": "InvalidCmsError transport:invalid-cms-pkcs invalid-structure",
    "last-block-damaged": "DecryptionFailedError transport:decryption-failed decryption-failed",
    "middle-block-damaged": "InvalidSignatureError transport:invalid-signature digest-mismatch",
    "encrypted-key-damaged": (
        "DecryptionFailedError transport:decryption-failed decryption-failed"
    ),
    "not-der": "InvalidCmsError transport:invalid-cms-pkcs invalid-structure",
    "content-altered": "InvalidSignatureError transport:invalid-signature digest-mismatch",
    "signature-damaged": "InvalidSignatureError transport:invalid-signature signature-mismatch",
    "unreadable-certificate-after-the-signer's": (
        "InvalidCmsError transport:invalid-cms-pkcs invalid-structure"
    ),
    "unreadable-certificate-before-the-signer's": (
        "InvalidCmsError transport:invalid-cms-pkcs invalid-structure"
    ),
    "no-certificate": "InvalidSignatureError transport:invalid-signature missing-certificate",
    "no-certificate-signer-registered": "ok",
    "rebuilt-good": "ok",
}


AT = dt.datetime.now(dt.UTC)
"""One verification time for every verdict: messages name it to the minute ("checked at …"),
so verdicts taken on either side of a minute would differ in text alone."""


def _verdict(opener: Opener, data: bytes, sender: str | None) -> tuple[str, str]:
    """(kind code reason, message) — or ("ok", the content)."""
    try:
        opened = opener.open(data, expected_sender=sender, verification_time=AT)
        return "ok", opened.content.decode()
    except TransportSecurityError as exc:
        return f"{type(exc).__name__} {exc.code} {exc.reason}", str(exc)


@pytest.fixture(scope="module")
def new_opener(pki: DevPki) -> Callable[[], Opener]:
    gp = pki.gp_office

    def build() -> Opener:
        return Opener(gp.encryption.key, gp.encryption.certificate,
                      CertificateValidator(pki.trust_store()), resolver=pki.resolver())  # fmt: skip

    return build


RANDOM_KEY = "encrypted-key-damaged"
"""An encrypted key that does not decrypt is replaced by a random one (OpenSSL's defence against
padding oracles), so the content decrypts to garbage: about 1 time in 256 its padding looks
right and the garbage is refused as invalid CMS instead. Refused either way — not always with
the same code, and the two verdicts below allow for that."""
RANDOM_KEY_ALSO = "InvalidCmsError transport:invalid-cms-pkcs invalid-structure"


def _expected(name: str, verdict: str) -> bool:
    return verdict == EXPECTED[name] or (name == RANDOM_KEY and verdict == RANDOM_KEY_ALSO)


def test_each_envelope_gets_its_verdict(
    cases: dict[str, tuple[bytes, str | None]], new_opener: Callable[[], Opener]
) -> None:
    assert set(cases) == set(EXPECTED)
    for name, (data, sender) in cases.items():
        assert _expected(name, _verdict(new_opener(), data, sender)[0]), name


def test_verdicts_do_not_depend_on_what_was_read_before(
    cases: dict[str, tuple[bytes, str | None]], new_opener: Callable[[], Opener]
) -> None:
    fresh = {}
    for name, (data, sender) in cases.items():
        fresh[name] = _verdict(new_opener(), data, sender)
    warm = new_opener()
    for before, (primer, primer_sender) in cases.items():
        for name, (data, sender) in cases.items():
            _verdict(warm, primer, primer_sender)
            verdict = _verdict(warm, data, sender)
            if name == RANDOM_KEY:  # random by design (see RANDOM_KEY): refused, in one of two
                assert _expected(name, verdict[0]), (before, name)
                continue
            assert verdict == fresh[name], (before, name)
