"""CMS sign-then-encrypt as helsenorge.no and Helsenorge.Messaging do it (HITS 1216 §2.1.5).

`Sealer.seal`: SignedData with the content encapsulated (not detached), signed by the sender's
signing certificate, then EnvelopedData with AES-256-CBC for the receiver's encryption certificate,
recipient identified by issuer and serial number. Both layers are written as DER here, from
templates, with `cryptography` for every primitive (RSA, AES, SHA-256; keys and IVs from
`os.urandom`): its PKCS#7 builders cost a quarter of an RSA signature more per message. They
have the builders' shape, and `openssl cms` and `cryptography` read them (tests). `cryptography`
decrypts.

`Opener.open`: decrypt, then verify the SignedData ourselves — `cryptography` has no public CMS
signature verification — with a strict DER reader (`der`) for the structure and `cryptography` for
the primitives (asn1crypto only explains envelopes that failed to decrypt): one signer, algorithms
from an allow-list, signed attributes required (content-type and message-digest checked), signer
identifier matched to the certificate, certificate policy applied, and the signer checked against
the expected sender. AES-128-CBC and AES-256-CBC are taken on receipt, with the content key in RSA
PKCS#1 v1.5 for a recipient named by issuer and serial number or by subject key identifier;
AES-192, DES, 3DES and RC2, RSA-OAEP and RSASSA-PSS are refused, each by name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import struct
import threading
from collections.abc import Iterable
from typing import Any, Final, NamedTuple

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import pkcs7

from digidialog.security import der
from digidialog.security.certificates import (
    CertificateCheck,
    CertificateValidator,
    IdentityCache,
    KeyPurpose,
    aware_time,
    check_key_usage,
    check_rsa_key,
    check_signing_key,
    check_validity,
    describe,
    thumbprint,
)
from digidialog.security.errors import (
    DecryptionFailedError,
    InvalidCertificateError,
    InvalidCmsError,
    InvalidSignatureError,
    TransportSecurityError,
)
from digidialog.security.resolver import CertificateResolver, check_sender
from digidialog.security.x509load import (
    UnreadableCertificate,
    check_policy_certificates,
    check_readable,
    load_der,
)

CONTENT_TYPE: Final = "application/pkcs7-mime; smime-type=signed-and-enveloped-data"
"""The AMQP ContentType of a signed-and-encrypted payload (HITS 1216 §2.1.5)."""

_CIPHERS: Final = frozenset({"aes128_cbc", "aes256_cbc"})
"""The content-encryption algorithms taken on receipt (asn1crypto's names): those `cryptography`
decrypts. AES-256-CBC is what `Sealer` writes."""
_CIPHER_HINT: Final = (
    "the sender must encrypt with AES-256-CBC (AES-128-CBC is accepted too; AES-192-CBC, "
    "AES-GCM, DES, 3DES and RC2 are refused)"
)
_SHA256, _SHA384, _SHA512 = (der.oid(f"2.16.840.1.101.3.4.2.{n}") for n in (1, 2, 3))
_DIGESTS: Final[dict[bytes, hashes.HashAlgorithm]] = {
    _SHA256: hashes.SHA256(),
    _SHA384: hashes.SHA384(),
    _SHA512: hashes.SHA512(),
}
_HASHLIB: Final = {_SHA256: hashlib.sha256, _SHA384: hashlib.sha384, _SHA512: hashlib.sha512}
"""Digest OID -> hashlib constructor, for the message-digest check (`hashlib.new` by name)."""
_PKCS1V15: Final = padding.PKCS1v15()
# Signature algorithm OID -> the digest it is bound to (b"" for plain rsaEncryption).
_RSA_ENCRYPTION: Final = der.oid("1.2.840.113549.1.1.1")
_RSASSA_PSS: Final = der.oid("1.2.840.113549.1.1.10")
_SIGNATURES: Final[dict[bytes, bytes]] = {
    _RSA_ENCRYPTION: b"",
    der.oid("1.2.840.113549.1.1.11"): _SHA256,
    der.oid("1.2.840.113549.1.1.12"): _SHA384,
    der.oid("1.2.840.113549.1.1.13"): _SHA512,
}
_ID_DATA: Final = der.oid("1.2.840.113549.1.7.1")
_ID_SIGNED_DATA: Final = der.oid("1.2.840.113549.1.7.2")
_ATTR_CONTENT_TYPE: Final = der.oid("1.2.840.113549.1.9.3")
_ATTR_MESSAGE_DIGEST: Final = der.oid("1.2.840.113549.1.9.4")
_ATTR_SIGNING_TIME: Final = der.oid("1.2.840.113549.1.9.5")
# Fixed DER pieces of the SignedData `Sealer` writes.
_NULL_TLV: Final = der.encode(der.NULL, b"")
_SHA256_ALGORITHM: Final = der.encode(der.SEQUENCE, der.encode(der.OID, _SHA256) + _NULL_TLV)
_RSA_ALGORITHM: Final = der.encode(der.SEQUENCE, der.encode(der.OID, _RSA_ENCRYPTION) + _NULL_TLV)
_ID_DATA_TLV: Final = der.encode(der.OID, _ID_DATA)
_ID_SIGNED_DATA_TLV: Final = der.encode(der.OID, _ID_SIGNED_DATA)
_ID_ENVELOPED_DATA_TLV: Final = der.encode(der.OID, der.oid("1.2.840.113549.1.7.3"))
_AES256_CBC_TLV: Final = der.encode(der.OID, der.oid("2.16.840.1.101.3.4.1.42"))
_MESSAGE_DIGEST_PREFIX: Final = der.encode(
    der.SEQUENCE,
    der.encode(der.OID, _ATTR_MESSAGE_DIGEST)
    + der.encode(der.SET, der.encode(der.OCTET_STRING, bytes(32))),
)[:-32]
"""The message-digest attribute up to its 32 SHA-256 octets."""
_VERSION_0: Final = der.encode_integer(0)
_VERSION_1: Final = der.encode_integer(1)
_CONTENT_TYPE_DATA_ATTRIBUTE: Final = der.encode(
    der.SEQUENCE,
    der.encode(der.OID, _ATTR_CONTENT_TYPE) + der.encode(der.SET, _ID_DATA_TLV),
)
_SIGNED_HEAD: Final = _VERSION_1 + der.encode(der.SET, _SHA256_ALGORITHM)
"""SignedData up to the content: version 1, digestAlgorithms {SHA-256}."""
_SIGNED_HEAD_SIZE: Final = len(_SIGNED_HEAD)
_ENCRYPTED_CONTENT_INFO_HEAD: Final = (
    _ID_DATA_TLV
    + der.encode(der.SEQUENCE, _AES256_CBC_TLV + der.encode(der.OCTET_STRING, bytes(16)))[:-16]
)
"""EncryptedContentInfo's content type and algorithm (AES-256-CBC) up to the IV's 16 octets."""
# The headers `Sealer` writes around the content of either layer when every length takes two
# octets (0x82: content of 256 octets or more, the whole under 64 KiB), packed in one go.
_SIGNED_DATA_HEAD: Final = struct.Struct(
    f">BBH{len(_ID_SIGNED_DATA_TLV)}s BBH BBH{_SIGNED_HEAD_SIZE}s BBH{len(_ID_DATA_TLV)}s BBH BBH"
)
"""ContentInfo, [0], SignedData (to the content), encapContentInfo, [0], OCTET STRING."""
_ENVELOPED_DATA_HEAD: Final = struct.Struct(
    f">BBH{len(_ID_ENVELOPED_DATA_TLV)}s BBH BBH{len(_VERSION_0)}s"
)
"""ContentInfo, [0], EnvelopedData up to its recipientInfos."""
_ENCRYPTED_CONTENT_HEAD: Final = struct.Struct(f">BBH{len(_ENCRYPTED_CONTENT_INFO_HEAD)}s16s BBH")
"""EncryptedContentInfo up to the ciphertext: content type, algorithm and IV, [0] IMPLICIT."""


class _SigningTime(NamedTuple):
    """What a `Sealer` writes the same way for every message signed within one second."""

    start: dt.datetime
    """The second (UTC) these octets were written for; ``stop`` is one second later."""
    stop: dt.datetime
    attributes: bytes
    """The signed attributes as signed (a SET), up to the message digest's 32 octets."""
    signer_info: bytes
    """The certificates, signerInfos up to the same point (the attributes with their [0] tag)."""
    signature_head: bytes
    """signatureAlgorithm and the signature's header, for a signature of ``signature_size``."""
    signature_size: int
    tail_size: int
    """How long the SignedData is after the encapsulated content."""


class Sealer:
    """Signs and encrypts payloads for one sender; build once (keys are loaded by the caller).

    The fixed parts of the SignedData (certificate, signer identifier, algorithms, content-type
    attribute) are encoded once, here, and the signed attributes with the signer information
    around them once per second of signing time, so a message costs one SHA-256, one RSA
    signature, the envelope (AES-256-CBC, one RSA public-key operation) and a few headers and
    joins. The shape is `cryptography`'s `PKCS7SignatureBuilder`'s: version 1, issuer-and-serial
    signer, signed attributes content-type, signing-time and message-digest, rsaEncryption.
    """

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        *,
        validator: CertificateValidator | None = None,
    ) -> None:
        check_readable(certificate, "signing")
        check_signing_key(key, certificate)
        if validator is not None:
            check_policy_certificates(validator)
        self._key = key
        self.certificate = certificate
        self.validator = validator
        """When given, recipient certificates are checked against it (chain, revocation)."""
        # SignerInfo up to the signed attributes: version 1, issuer and serial, SHA-256.
        self._signer_head = _VERSION_1 + _issuer_and_serial(certificate) + _SHA256_ALGORITHM
        self._certificates = der.encode(0xA0, certificate.public_bytes(serialization.Encoding.DER))
        # An RSA signature is as long as the modulus.
        self._time = self._signing_time(dt.datetime.now(dt.UTC), (key.key_size + 7) // 8)

    def seal(
        self,
        content: bytes,
        recipient: x509.Certificate,
        *,
        verification_time: dt.datetime | None = None,
    ) -> bytes:
        """DER EnvelopedData(SignedData(content)) for ``recipient``'s encryption certificate."""
        now = dt.datetime.now(dt.UTC)
        at = now if verification_time is None else aware_time(verification_time)
        _readable_recipient(recipient)  # before any check reads a field of it
        if self.validator is not None:
            self.validator.validate(recipient, KeyPurpose.ENCRYPTION, at)
        public_key, recipient_id, recipients, valid_from, valid_until = _recipient(recipient)
        if not valid_from <= at <= valid_until:
            check_validity(recipient, at)  # raises, saying which way
        parts = self._signed_parts(content, now)
        # PKCS#7 padding (always at least one octet), joined with the rest: one copy, one update.
        size = len(content) + parts[-1]
        padded = b"".join((*parts[:-1], _PADDING[size % 16]))
        secret = os.urandom(48)
        key, iv = secret[:32], secret[32:]
        encryptor = Cipher(algorithms.AES256(key), modes.CBC(iv)).encryptor()
        encrypted, final = encryptor.update(padded), encryptor.finalize()
        encrypted_key = public_key.encrypt(key, _PKCS1V15)
        if recipients[1] != len(encrypted_key):  # never: it is as long as the modulus
            recipients = _recipient_infos(recipient_id, len(encrypted_key))
        # ContentInfo { id-envelopedData, [0] EnvelopedData { version 0, recipientInfos (one,
        # ending with the encrypted key), encryptedContentInfo { id-data, aes256-CBC with the
        # IV, [0] IMPLICIT the ciphertext } } }
        size = len(encrypted) + len(final)
        info = _ENCRYPTED_CONTENT_HEAD.size - 4 + size
        enveloped = len(_VERSION_0) + len(recipients[0]) + len(encrypted_key) + 4 + info
        if size >= 0x100 and enveloped + 19 <= 0xFFFF:
            head = _ENVELOPED_DATA_HEAD.pack(
                der.SEQUENCE, 0x82, enveloped + 19, _ID_ENVELOPED_DATA_TLV,
                0xA0, 0x82, enveloped + 4,
                der.SEQUENCE, 0x82, enveloped, _VERSION_0,
            )  # fmt: skip
            info_head = _ENCRYPTED_CONTENT_HEAD.pack(
                der.SEQUENCE, 0x82, info, _ENCRYPTED_CONTENT_INFO_HEAD, iv, 0x80, 0x82, size
            )
        else:
            content_head = der.header(0x80, size)
            size += _ENCRYPTED_CONTENT_INFO_SIZE + len(content_head)
            info_head = der.header(der.SEQUENCE, size)
            size += len(info_head) + len(recipients[0]) + len(encrypted_key) + len(_VERSION_0)
            enveloped_head = der.header(der.SEQUENCE, size)
            size += len(enveloped_head)
            explicit_head = der.header(0xA0, size)
            size += len(explicit_head) + len(_ID_ENVELOPED_DATA_TLV)
            head = b"".join((
                der.header(der.SEQUENCE, size), _ID_ENVELOPED_DATA_TLV, explicit_head,
                enveloped_head, _VERSION_0,
            ))  # fmt: skip
            info_head += _ENCRYPTED_CONTENT_INFO_HEAD + iv + content_head
        return b"".join((head, recipients[0], encrypted_key, info_head, encrypted, final))

    def _signed_data(self, content: bytes, signing_time: dt.datetime) -> bytes:
        """DER ContentInfo(SignedData) with ``content`` encapsulated (the inner layer of `seal`)."""
        return b"".join(self._signed_parts(content, signing_time)[:-1])

    def _signed_parts(
        self, content: bytes, signing_time: dt.datetime
    ) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes, int]:
        """`_signed_data` in the parts to join, and how long it is beyond the content."""
        time = self._time
        if not time.start <= signing_time < time.stop:
            time = self._time = self._signing_time(signing_time, time.signature_size)
        digest = hashlib.sha256(content).digest()
        # Signed as a SET; carried with the [0] IMPLICIT tag.
        signature = self._key.sign(time.attributes + digest, _PKCS1V15, _SHA256_HASH)
        if len(signature) != time.signature_size:  # never: it is as long as the modulus
            time = self._time = self._signing_time(signing_time, len(signature))
        # ContentInfo { id-signedData, [0] SignedData { version, digestAlgorithms,
        # encapContentInfo { id-data, [0] OCTET STRING content }, certificates, signerInfos } }
        size = len(content)
        whole = _SIGNED_DATA_HEAD.size + size + time.tail_size
        if size >= 0x100 and whole - 4 <= 0xFFFF:
            head = _SIGNED_DATA_HEAD.pack(
                der.SEQUENCE, 0x82, whole - 4, _ID_SIGNED_DATA_TLV,
                0xA0, 0x82, whole - 19,
                der.SEQUENCE, 0x82, whole - 23, _SIGNED_HEAD,
                der.SEQUENCE, 0x82, size + 19, _ID_DATA_TLV,
                0xA0, 0x82, size + 4,
                der.OCTET_STRING, 0x82, size,
            )  # fmt: skip
        else:
            octets_head = der.header(der.OCTET_STRING, size)
            size += len(octets_head)
            e_content_head = der.header(0xA0, size)
            size += len(e_content_head) + len(_ID_DATA_TLV)
            encap_head = der.header(der.SEQUENCE, size)
            size += len(encap_head) + _SIGNED_HEAD_SIZE + time.tail_size
            signed_data_head = der.header(der.SEQUENCE, size)
            size += len(signed_data_head)
            explicit_head = der.header(0xA0, size)
            size += len(explicit_head) + len(_ID_SIGNED_DATA_TLV)
            head = b"".join((
                der.header(der.SEQUENCE, size), _ID_SIGNED_DATA_TLV, explicit_head,
                signed_data_head, _SIGNED_HEAD, encap_head, _ID_DATA_TLV, e_content_head,
                octets_head,
            ))  # fmt: skip
        return (
            head, content, time.signer_info, digest, time.signature_head, signature,
            len(head) + time.tail_size,
        )  # fmt: skip

    def _signing_time(self, when: dt.datetime, signature_size: int) -> _SigningTime:
        """The signed attributes and the signer information for ``when``'s second and a
        signature of ``signature_size`` octets."""
        start = when.astimezone(dt.UTC).replace(microsecond=0)
        signing_time = _attribute(_ATTR_SIGNING_TIME, der.encode_time(start))
        low, high = (
            der.encode_set_of(
                (_CONTENT_TYPE_DATA_ATTRIBUTE, signing_time, _MESSAGE_DIGEST_PREFIX + digest)
            )
            for digest in (bytes(32), b"\xff" * 32)
        )
        if low[:-32] != high[:-32]:  # never: the message digest sorts last, whatever its value
            raise AssertionError("the signed attributes have no fixed order")
        attributes = low[:-32]
        # The certificates; signerInfos { SignerInfo { version, sid, digestAlgorithm, [0] the
        # attributes, signatureAlgorithm, signature } }, split around the digest.
        body = self._signer_head + b"\xa0" + attributes[1:]
        signature_head = _RSA_ALGORITHM + der.header(der.OCTET_STRING, signature_size)
        size = len(body) + 32 + len(signature_head) + signature_size
        info_head = der.header(der.SEQUENCE, size)
        size += len(info_head)
        infos_head = der.header(der.SET, size)
        size += len(infos_head) + len(self._certificates)
        return _SigningTime(
            start, start + dt.timedelta(seconds=1), attributes,
            self._certificates + infos_head + info_head + body, signature_head, signature_size,
            size,
        )  # fmt: skip


_PADDING: Final = tuple(bytes((16 - n,)) * (16 - n) for n in range(16))
"""PKCS#7 padding for AES (always at least one octet), by the length to pad modulo 16."""
_SHA256_HASH: Final = _DIGESTS[_SHA256]
_ENCRYPTED_CONTENT_INFO_SIZE: Final = len(_ENCRYPTED_CONTENT_INFO_HEAD) + 16


def _recipient_facts(
    cert: x509.Certificate,
) -> tuple[rsa.RSAPublicKey, bytes, tuple[bytes, int], dt.datetime, dt.datetime]:
    """A recipient certificate's RSA key (2048 bits or more, keyEncipherment), its
    IssuerAndSerialNumber, the recipientInfos for it (`_recipient_infos`) and its validity
    period, worked out once per certificate; refusals are not cached."""
    check_key_usage(cert, KeyPurpose.ENCRYPTION)
    key = check_rsa_key(cert)
    recipient_id = _issuer_and_serial(cert)
    # The encrypted key is as long as the modulus.
    recipients = _recipient_infos(recipient_id, (key.key_size + 7) // 8)
    return key, recipient_id, recipients, cert.not_valid_before_utc, cert.not_valid_after_utc


def _recipient_infos(recipient_id: bytes, key_size: int) -> tuple[bytes, int]:
    """recipientInfos (one KeyTransRecipientInfo: version 0, ``recipient_id``, rsaEncryption,
    the encrypted key of ``key_size`` octets as an OCTET STRING) up to the key's octets, and
    ``key_size``."""
    body = _VERSION_0 + recipient_id + _RSA_ALGORITHM + der.header(der.OCTET_STRING, key_size)
    info = der.header(der.SEQUENCE, len(body) + key_size) + body
    return der.header(der.SET, len(info) + key_size) + info, key_size


_recipient = IdentityCache(_recipient_facts)
_readable_recipient: IdentityCache[x509.Certificate, None] = IdentityCache(
    lambda cert: check_readable(cert, "recipient's encryption")
)
"""A recipient certificate (the caller's choice) read in full once, so a malformed one is
refused by name, not with a `cryptography` exception from the first check that reads it."""


def _issuer_and_serial(cert: x509.Certificate) -> bytes:
    return der.encode(
        der.SEQUENCE, cert.issuer.public_bytes() + der.encode_integer(cert.serial_number)
    )


def _attribute(kind: bytes, value: bytes) -> bytes:
    """A CMS Attribute with one value: SEQUENCE { type, SET { value } }."""
    return der.encode(der.SEQUENCE, der.encode(der.OID, kind) + der.encode(der.SET, value))


class OpenedMessage:
    """The payload of a sealed message and what was established about its signer."""

    def __init__(
        self, content: bytes, certificate_check: CertificateCheck, verification_time: dt.datetime
    ) -> None:
        self.content = content
        """The encapsulated content exactly as signed (for helsenorge.no: the MsgHead bytes)."""
        self.certificate_check = certificate_check
        self.verification_time = verification_time

    @property
    def signer(self) -> x509.Certificate:
        return self.certificate_check.certificate


def _invalid_cms(
    message: str,
    reason: str = "invalid-structure",
    *,
    thumbprint: str | None = None,
    hint: str = "the sender must send CMS EnvelopedData holding SignedData (sign, then encrypt)",
) -> InvalidCmsError:
    return InvalidCmsError(message, reason=reason, thumbprint=thumbprint, hint=hint)


def _refused(message: str, cert: x509.Certificate | None = None) -> InvalidSignatureError:
    return InvalidSignatureError(
        message,
        reason="refused-algorithm",
        thumbprint=thumbprint(cert) if cert is not None else None,
        hint="the profile signs with RSA PKCS#1 v1.5 and SHA-256 (SHA-384/512 accepted)",
    )


def _digest_name(name: object) -> str:
    """asn1crypto's name of a digest (``sha256``) as it is written (``SHA-256``)."""
    return str(name).upper().replace("SHA", "SHA-", 1) if str(name).startswith("sha") else str(name)


def _pss_refused(digest: str | None, cert: x509.Certificate | None) -> InvalidSignatureError:
    named = f" ({_digest_name(digest)})" if digest else ""
    return _refused(
        f"the signature is RSASSA-PSS{named}, which is refused; the profile signs with RSA "
        "PKCS#1 v1.5 (sha256WithRSAEncryption or rsaEncryption)",
        cert,
    )


class Opener:
    """Decrypts and verifies sealed payloads addressed to one receiver; build once, reuse."""

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        validator: CertificateValidator,
        *,
        resolver: CertificateResolver | None = None,
    ) -> None:
        check_readable(certificate, "encryption")
        check_key_usage(certificate, KeyPurpose.ENCRYPTION)
        check_policy_certificates(validator)
        self._key = key
        self.certificate = certificate
        self.validator = validator
        self.resolver = resolver
        self._issuer_der = certificate.issuer.public_bytes()
        self._ski = _ski(certificate)
        self._certs: dict[bytes, x509.Certificate] = {}
        self._lock = threading.Lock()

    def open(
        self,
        data: bytes,
        *,
        expected_sender: str | None = None,
        verification_time: dt.datetime | None = None,
    ) -> OpenedMessage:
        """Decrypt, verify and return the content; raise a `TransportSecurityError` otherwise
        (a `UsageError` for a ``verification_time`` without a time zone)."""
        at = aware_time(verification_time)
        signed_der = self._decrypt(data)
        content, signer = self._verify_signed_data(signed_der, expected_sender)
        check = self.validator.validate(signer, KeyPurpose.SIGNING, at)
        if expected_sender is not None:
            check_sender(self.resolver, expected_sender, signer, KeyPurpose.SIGNING)
        return OpenedMessage(content, check, at)

    def _decrypt(self, data: bytes) -> bytes:
        # Fast path first: `cryptography` refuses anything but AES-128/256-CBC, RSA PKCS#1 v1.5
        # and recipients by issuer and serial number for us. Only when it fails is the envelope
        # taken apart, to say precisely why — or, when it names us in a way `cryptography` does
        # not read, to hand it over again with our RecipientInfo alone.
        try:
            return pkcs7.pkcs7_decrypt_der(data, self.certificate, self._key, [])
        except (ValueError, UnsupportedAlgorithm) as exc:
            verdict = self._why_not(data, exc)
            if isinstance(verdict, TransportSecurityError):
                raise verdict from exc
        try:
            return pkcs7.pkcs7_decrypt_der(verdict, self.certificate, self._key, [])
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise self._undecryptable(exc) from exc

    def _why_not(self, data: bytes, exc: Exception) -> TransportSecurityError | bytes:
        """Why ``data`` did not decrypt, as the refusal to raise; or, for an envelope that names
        this receiver by subject key identifier or holds recipients `cryptography` cannot read
        (it reads key-transport recipients by issuer and serial number only, and fails on any
        other, ours or not), the envelope with our RecipientInfo alone, by issuer and serial."""
        try:
            der.Reader(data).whole()
        except der.DerError as der_exc:
            return _invalid_cms(
                f"the payload is not CMS in DER: {der_exc}",
                "not-der" if "BER" in str(der_exc) else "invalid-structure",
            )
        try:
            info = asn1_cms.ContentInfo.load(data, strict=True)
            if info["content_type"].native != "enveloped_data":
                return _invalid_cms(
                    f"expected CMS EnvelopedData, got {info['content_type'].native}",
                    "not-enveloped-data",
                )
            enveloped = info["content"]
            cipher = enveloped["encrypted_content_info"]["content_encryption_algorithm"][
                "algorithm"
            ].native
            recipients = list(enveloped["recipient_infos"])
            ours = next((r for r in recipients if self._addressed_to_us(r)), None)
            unreadable = [  # by `cryptography`
                r
                for r in recipients
                if r.name != "ktri" or r.chosen["rid"].name != "issuer_and_serial_number"
            ]
            key_refusal = None if ours is None else self._key_refusal(ours)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as parse_exc:
            return _invalid_cms(f"the payload is not readable CMS (DER): {parse_exc}")
        if cipher not in _CIPHERS:
            return DecryptionFailedError(
                f"the content is encrypted with {cipher}, which is refused",
                reason="refused-cipher",
                hint=_CIPHER_HINT,
            )
        if ours is None:
            return InvalidCertificateError(
                "the message is not encrypted for this receiver's certificate "
                f"{describe(self.certificate)}",
                reason="not-addressed-to-us",
                expected_thumbprint=thumbprint(self.certificate),
                hint="the sender used another (old or wrong) encryption certificate; it must "
                "fetch ours from the address register and resend",
            )
        if key_refusal is not None:
            return key_refusal
        if not unreadable:
            return self._undecryptable(exc)
        try:
            return self._readdressed(info, ours)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as parse_exc:
            return _invalid_cms(f"the payload is not readable CMS (DER): {parse_exc}")

    def _readdressed(self, info: Any, ours: Any) -> bytes:
        """The EnvelopedData ``info`` with ``ours`` (a KeyTransRecipientInfo for us, checked to be
        RSA PKCS#1 v1.5) as its only recipient, named by issuer and serial number, for
        `cryptography` to decrypt: the content, its algorithm and the encrypted key are kept as
        they are, so it decrypts as it would have (RFC 5652 §6.2.1: a receiver takes either
        form of recipient identifier)."""
        recipient = ours.chosen
        recipient["version"] = "v0"
        recipient["rid"] = asn1_cms.RecipientIdentifier(
            name="issuer_and_serial_number",
            value=asn1_cms.IssuerAndSerialNumber(
                {
                    "issuer": asn1_x509.Name.load(self._issuer_der),
                    "serial_number": self.certificate.serial_number,
                }
            ),
        )
        enveloped = info["content"]
        enveloped["recipient_infos"] = asn1_cms.RecipientInfos([ours])
        if enveloped["originator_info"].native is None and (
            enveloped["unprotected_attrs"].native is None
        ):
            enveloped["version"] = "v0"
        return bytes(info.dump(force=True))

    def _key_refusal(self, ours: Any) -> DecryptionFailedError | None:
        """The refusal of our RecipientInfo's key transport, unless it is RSA PKCS#1 v1.5."""
        algorithm = ours.chosen["key_encryption_algorithm"]
        name = algorithm["algorithm"].native
        if name == "rsaes_pkcs1v15":
            return None
        if name == "rsaes_oaep":
            digest = algorithm["parameters"]["hash_algorithm"]["algorithm"].native
            name = f"RSA-OAEP ({_digest_name(digest)})"
        return DecryptionFailedError(
            f"the content key is encrypted with {name}, which is refused; the profile uses RSA "
            "PKCS#1 v1.5",
            reason="refused-key-transport",
            thumbprint=thumbprint(self.certificate),
            hint="the sender must encrypt the content key with RSA PKCS#1 v1.5 (rsaEncryption, "
            "as Helsenorge.Messaging does), not RSA-OAEP",
        )

    def _undecryptable(self, exc: Exception) -> DecryptionFailedError:
        return DecryptionFailedError(
            f"the message could not be decrypted: {exc}",
            reason="decryption-failed",
            thumbprint=thumbprint(self.certificate),
            hint="the message is damaged, or encrypted with another key; ask for a resend",
        )

    def _addressed_to_us(self, recipient: Any) -> bool:
        return _addressed_to(recipient, self._issuer_der, self.certificate.serial_number, self._ski)

    def _verify_signed_data(
        self, signed_der: bytes, expected_sender: str | None
    ) -> tuple[bytes, x509.Certificate]:
        try:
            parsed = _parse_signed_data(signed_der)
        except (ValueError, IndexError) as exc:  # DerError, or a field missing or one too many
            pss = self._pss_signer(signed_der, expected_sender)
            if pss is not None:
                raise pss from exc
            why = str(exc) if isinstance(exc, der.DerError) else "a field is missing or extra"
            raise _invalid_cms(f"the signed content is not CMS SignedData in DER: {why}") from exc
        signer = self._find_signer(parsed, expected_sender)
        hash_alg = _DIGESTS.get(parsed.digest_oid)
        if hash_alg is None:
            raise _refused("the digest algorithm is not SHA-256/384/512", signer)
        allowed = _SIGNATURES.get(parsed.signature_oid)
        if allowed is None or (allowed and allowed != parsed.digest_oid):
            if parsed.signature_oid == _RSASSA_PSS:  # without its parameters
                raise _pss_refused(None, signer)
            raise _refused("the signature algorithm is not RSA with SHA-256/384/512", signer)
        if parsed.signed_attrs is None:
            raise InvalidSignatureError(
                "the signature has no signed attributes; the profile requires them",
                reason="missing-signed-attributes",
                thumbprint=thumbprint(signer),
            )
        if parsed.content_type_attr != _ID_DATA:
            raise InvalidSignatureError(
                "the signed content-type attribute is missing or does not match the content",
                reason="content-type-mismatch",
                thumbprint=thumbprint(signer),
            )
        if parsed.message_digest is None or not hmac.compare_digest(
            parsed.message_digest, _HASHLIB[parsed.digest_oid](parsed.content).digest()
        ):
            raise InvalidSignatureError(
                "the content does not match the signed message digest; it was altered",
                reason="digest-mismatch",
                thumbprint=thumbprint(signer),
                hint="do not process it; ask the sender to resend",
            )
        # Signed attributes are signed as a DER SET, not with the [0] IMPLICIT tag they carry.
        to_verify = b"\x31" + parsed.signed_attrs[1:]
        try:
            _verification_key(signer).verify(parsed.signature, to_verify, _PKCS1V15, hash_alg)
        except InvalidSignature:
            raise InvalidSignatureError(
                "the CMS signature does not verify with the signer's certificate",
                reason="signature-mismatch",
                thumbprint=thumbprint(signer),
                hint="the message was altered or signed with another key; ask for a resend",
            ) from None
        return parsed.content, signer

    def _pss_signer(
        self, signed_der: bytes, expected_sender: str | None
    ) -> TransportSecurityError | None:
        """The refusal of a SignedData `_parse_signed_data` refused, when its one signer signed
        with RSASSA-PSS (whose parameters the reader does not take): read with asn1crypto (on
        this failure path only), the signer looked for as on the ordinary path — its refusals
        first, as there — then refused as an algorithm. None for anything else."""
        try:
            info = asn1_cms.ContentInfo.load(signed_der, strict=True)
            if info["content_type"].native != "signed_data":
                return None
            signed = info["content"]
            (signer_info,) = signed["signer_infos"]
            algorithm = signer_info["signature_algorithm"]
            if algorithm["algorithm"].dotted != "1.2.840.113549.1.1.10":
                return None
            digest = algorithm["parameters"]["hash_algorithm"]["algorithm"].native
            sid = signer_info["sid"]
            issuer = serial = ski = None
            if sid.name == "issuer_and_serial_number":
                issuer, serial = sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native
            else:
                ski = sid.chosen.native
            certificates = [
                c.chosen.dump() for c in signed["certificates"] if c.name == "certificate"
            ]
        except (ValueError, TypeError, KeyError, IndexError, OverflowError):
            return None
        named = _SignedData(
            b"", certificates, issuer, serial, ski, b"", _RSASSA_PSS, None, None, None, b""
        )
        try:
            signer = self._find_signer(named, expected_sender)
        except TransportSecurityError as exc:
            return exc
        return _pss_refused(digest, signer)

    def _find_signer(self, parsed: _SignedData, expected_sender: str | None) -> x509.Certificate:
        # The candidates in order: the certificates in the message (all read first, so an
        # unreadable one is refused wherever it is), the pinned ones, the sender's registered
        # ones; the resolver is asked only when the others do not name the signer.
        embedded = [self._load(raw) for raw in parsed.certificates]
        signer = _named(parsed, embedded)
        if signer is None:
            signer = _named(parsed, self.validator.pinned)
        if signer is not None:
            return signer
        if expected_sender is not None and self.resolver is not None:
            signer = _named(parsed, self.resolver.certificates(expected_sender, KeyPurpose.SIGNING))
            if signer is not None:
                return signer
        raise InvalidSignatureError(
            "the signer's certificate is neither in the message nor known for the sender",
            reason="missing-certificate",
            hint="the sender must include its signing certificate",
        )

    def _load(self, raw: bytes) -> x509.Certificate:
        """An embedded certificate, read in full (`x509load.load_der`) before it is cached: the
        certificates field is not signed, so anyone who can encrypt to us can put anything there,
        and it is read before any signature is checked. Refused as the SignedData's structure
        (``invalid-structure``), whichever field of the certificate does not decode."""
        cached = self._certs.get(raw)  # one dict lookup: atomic; writers hold the lock
        if cached is None:
            try:
                cached = load_der(raw)
            except UnreadableCertificate as exc:
                raise _invalid_cms(
                    f"an embedded certificate [{exc.thumbprint}] cannot be read: {exc}",
                    thumbprint=exc.thumbprint,
                    hint="the sender must embed its well-formed signing certificate",
                ) from exc
            with self._lock:
                if len(self._certs) > 1024:
                    self._certs.clear()
                self._certs[raw] = cached
        return cached


def _addressed_to(recipient: Any, issuer_der: bytes, serial: int, ski: bytes | None) -> bool:
    """Whether an asn1crypto RecipientInfo names the certificate with ``issuer_der``,
    ``serial`` and subject key identifier ``ski`` (key transport recipients only)."""
    if recipient.name != "ktri":
        return False
    rid = recipient.chosen["rid"]
    if rid.name == "issuer_and_serial_number":
        return bool(
            rid.chosen["issuer"].dump() == issuer_der
            and rid.chosen["serial_number"].native == serial
        )
    return ski is not None and rid.chosen.native == ski


def sealed_for(data: bytes, certificate: x509.Certificate) -> bool:
    """Whether the sealed payload ``data`` (ContentInfo(EnvelopedData)) is addressed to
    ``certificate``; False when it is not, or cannot be read. For a sender deciding whether a
    refused envelope is worth sealing again for the receiver's current certificate."""
    issuer_der, serial, ski = (
        certificate.issuer.public_bytes(),
        certificate.serial_number,
        _ski(certificate),
    )
    try:
        info = asn1_cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "enveloped_data":
            return False
        return any(
            _addressed_to(r, issuer_der, serial, ski) for r in info["content"]["recipient_infos"]
        )
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return False


def _named(parsed: _SignedData, candidates: Iterable[x509.Certificate]) -> x509.Certificate | None:
    """The first of ``candidates`` that the SignerInfo's identifier names."""
    for cert in candidates:
        serial, issuer, ski = _identifiers(cert)
        if parsed.sid_ski is not None:
            if ski == parsed.sid_ski:
                return cert
        elif parsed.sid_serial == serial and parsed.sid_issuer == issuer:
            return cert
    return None


_verification_key = IdentityCache(check_rsa_key)
"""A signer certificate's RSA key, checked (2048 bits or more) once per certificate object."""


def _identifiers_of(cert: x509.Certificate) -> tuple[int, bytes, bytes | None]:
    # Embedded and pinned certificates were read in full already; one a resolver gave was not.
    check_readable(cert, "sender's registered signing")
    return cert.serial_number, cert.issuer.public_bytes(), _ski(cert)


_identifiers = IdentityCache(_identifiers_of)
"""What a SignerInfo may name a certificate by: serial, issuer (DER) and subject key id."""


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


class _SignedData(NamedTuple):  # a NamedTuple: a frozen dataclass cost microseconds to build
    content: bytes
    certificates: list[bytes]
    sid_issuer: bytes | None
    sid_serial: int | None
    sid_ski: bytes | None
    digest_oid: bytes
    signature_oid: bytes
    signed_attrs: bytes | None
    content_type_attr: bytes | None
    message_digest: bytes | None
    signature: bytes


_MISSING: Final = "a field is missing or extra"
_CONTENT_TYPE_DATA_SIZE: Final = len(_CONTENT_TYPE_DATA_ATTRIBUTE)
_MESSAGE_DIGEST_SIZE: Final = len(_MESSAGE_DIGEST_PREFIX) + 32
_SIGNING_TIME_ATTRIBUTE: Final = _attribute(_ATTR_SIGNING_TIME, der.encode(der.UTC_TIME, bytes(13)))
_SIGNING_TIME_SIZE: Final = len(_SIGNING_TIME_ATTRIBUTE)
_SIGNING_TIME_PREFIX: Final = _SIGNING_TIME_ATTRIBUTE[:-13]
"""The signing-time attribute (a UTCTime, as `Sealer` writes it) up to its 13 time octets."""
_SEALER_ATTRIBUTES_HEAD: Final = _CONTENT_TYPE_DATA_ATTRIBUTE + _SIGNING_TIME_PREFIX
_SEALER_ATTRIBUTES_SIZE: Final = _CONTENT_TYPE_DATA_SIZE + _SIGNING_TIME_SIZE + _MESSAGE_DIGEST_SIZE
"""The signed attributes `Sealer` writes, in their order (`_parse_signed_data`)."""
_KNOWN_ALGORITHMS: Final[dict[bytes, bytes]] = {
    der.encode(der.SEQUENCE, der.encode(der.OID, algorithm) + parameters): algorithm
    for algorithm in (*_DIGESTS, *_SIGNATURES)
    for parameters in (b"", _NULL_TLV)
}
"""The allowed AlgorithmIdentifiers as DER (parameters absent or NULL) -> their OIDs: `_parse_
signed_data` takes one of these as is, without reading its headers (the outcome is the same)."""


def _algorithm(data: bytes, field: der.TLV, what: str) -> bytes:
    """The OID of an AlgorithmIdentifier whose parameters are absent or NULL (as
    `der.Reader.algorithm`), ``field`` being its header, already read."""
    tag, start, body, stop = field
    known = _KNOWN_ALGORITHMS.get(data[start:stop])
    if known is not None:
        return known
    if tag != der.SEQUENCE:
        raise der.tag_error(tag, der.SEQUENCE, what)
    if body == stop:
        raise der.DerError(f"{what}: malformed AlgorithmIdentifier")
    oid_tag, oid_body, oid_stop = der.head(data, body, stop)
    if oid_stop != stop:
        param_tag, param_body, param_stop = der.head(data, oid_stop, stop)
        if param_stop != stop:
            der.count(data, param_stop, stop)  # the extra fields' headers, as before
            raise der.DerError(f"{what}: malformed AlgorithmIdentifier")
        if param_tag != der.NULL or param_body != param_stop:
            raise der.DerError(f"{what}: unexpected algorithm parameters")
    if oid_tag != der.OID:
        raise der.tag_error(oid_tag, der.OID, what)
    return data[oid_body:oid_stop]


def _read_attribute(
    data: bytes, at: int, end: int
) -> tuple[bytes, int, tuple[int, int, int] | None]:
    """The Attribute at ``at``: its type, where it stops, and its value's header — None unless
    the SET of values holds exactly one."""
    tag, body, stop = der.head(data, at, end)
    if tag != der.SEQUENCE:
        raise der.tag_error(tag, der.SEQUENCE, "Attribute")
    if body == stop:
        raise der.DerError(_MISSING)
    type_tag, type_body, type_stop = der.head(data, body, stop)
    if type_stop == stop:
        raise der.DerError(_MISSING)
    values_tag, values_body, values_stop = der.head(data, type_stop, stop)
    if values_stop != stop:
        der.count(data, values_stop, stop)
        raise der.DerError(_MISSING)
    if type_tag != der.OID:
        raise der.tag_error(type_tag, der.OID, "attrType")
    if values_tag != der.SET:
        raise der.tag_error(values_tag, der.SET, "attrValues")
    if values_body == values_stop:
        return data[type_body:type_stop], stop, None
    value = der.head(data, values_body, values_stop)
    if value[2] != values_stop:
        der.count(data, value[2], values_stop)
        return data[type_body:type_stop], stop, None
    return data[type_body:type_stop], stop, value


_SIGNED_DATA_START: Final = re.compile(
    b"\x30\x82.."
    + re.escape(_ID_SIGNED_DATA_TLV)
    + b"\xa0\x82..\x30\x82.."
    + re.escape(_SIGNED_HEAD)
    + b"\x30\x82.."
    + re.escape(_ID_DATA_TLV)
    + b"\xa0\x82..\x04\x82..",
    re.DOTALL,
)
"""ContentInfo(SignedData) up to the content as `Sealer` writes it for 256 octets or more: every
header in the two-octet length form, version 1, digestAlgorithms {SHA-256}, eContentType id-data."""
_SIGNED_DATA_LENGTHS: Final = struct.Struct(f">2xH11x2xH2xH{_SIGNED_HEAD_SIZE}x2xH11x2xH2xH")
"""The six lengths in `_SIGNED_DATA_START`, outermost first."""


def _encapsulated(data: bytes) -> tuple[bytes, int, int]:
    """The encapsulated content of a ContentInfo(SignedData), where the field after its
    encapContentInfo starts, and where the SignedData ends.

    What `Sealer` writes is recognised by its shape (`_SIGNED_DATA_START`) and lengths, which
    say as much as reading the headers one by one would (each a two-octet length of at least
    256, so minimal, and each value ending where its container does); anything else is read
    header by header."""
    end = len(data)
    if _SIGNED_DATA_START.match(data) is not None:
        outer, explicit, signed, encap, e_content, size = _SIGNED_DATA_LENGTHS.unpack_from(data)
        start = _SIGNED_DATA_LENGTHS.size
        stop = start + size
        if (
            size >= 0x100
            and e_content == size + 4
            and encap == size + 19
            and signed == end - 23
            and explicit == end - 19
            and outer == end - 4
            and stop < end
        ):
            return data[start:stop], stop, end
    head = der.head
    if not end:
        raise der.DerError("no DER value")
    tag, pos, stop = head(data, 0, end)
    if stop != end:
        raise der.DerError(f"{end - stop} trailing bytes after the DER value")
    if tag != der.SEQUENCE:
        raise der.tag_error(tag, der.SEQUENCE, "ContentInfo")
    # ContentInfo: contentType (id-signedData), content [0] EXPLICIT; nothing else.
    not_signed_data = "the envelope does not hold SignedData (the profile signs, then encrypts)"
    if pos == end:
        raise der.DerError(not_signed_data)
    tag, body, stop = head(data, pos, end)
    if stop == end:
        raise der.DerError(not_signed_data)
    outer_tag, outer_body, outer_stop = head(data, stop, end)
    if outer_stop != end:
        der.count(data, outer_stop, end)
        raise der.DerError(not_signed_data)
    if tag != der.OID:
        raise der.tag_error(tag, der.OID, "contentType")
    if data[body:stop] != _ID_SIGNED_DATA:
        raise der.DerError(not_signed_data)
    if outer_tag != 0xA0:
        raise der.tag_error(outer_tag, 0xA0, "content")
    if outer_body == outer_stop:
        raise der.DerError(_MISSING)
    tag, pos, end = head(data, outer_body, outer_stop)
    if end != outer_stop:
        der.count(data, end, outer_stop)
        raise der.DerError(_MISSING)
    # SignedData: version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls,
    # signerInfos. The first two are not looked at (the SignerInfo names the digest).
    if tag != der.SEQUENCE:
        raise der.tag_error(tag, der.SEQUENCE, "SignedData")
    if data.startswith(_SIGNED_HEAD, pos) and pos + _SIGNED_HEAD_SIZE < end:
        pos += _SIGNED_HEAD_SIZE  # version 1, digestAlgorithms {SHA-256}: what `Sealer` writes
    else:
        for _ in range(2):
            if pos == end:
                raise der.DerError("SignedData is incomplete")
            pos = head(data, pos, end)[2]
    if pos == end:
        raise der.DerError("SignedData is incomplete")
    encap_tag, encap_body, encap_stop = head(data, pos, end)
    pos = encap_stop
    if pos == end:
        raise der.DerError("SignedData is incomplete")
    # encapContentInfo: eContentType id-data, eContent [0] EXPLICIT OCTET STRING.
    if encap_tag != der.SEQUENCE:
        raise der.tag_error(encap_tag, der.SEQUENCE, "encapContentInfo")
    if encap_body == encap_stop:
        raise der.DerError(_MISSING)
    tag, body, stop = head(data, encap_body, encap_stop)
    detached = stop == encap_stop
    if not detached:
        wrapper_tag, wrapper_body, wrapper_stop = head(data, stop, encap_stop)
        if wrapper_stop != encap_stop:
            der.count(data, wrapper_stop, encap_stop)
            detached = True
    if tag != der.OID:
        raise der.tag_error(tag, der.OID, "eContentType")
    if data[body:stop] != _ID_DATA:
        raise der.DerError("the signed content type is not id-data")
    if detached:
        raise der.DerError("the signature is detached; the profile encapsulates the content")
    if wrapper_tag != 0xA0:
        raise der.tag_error(wrapper_tag, 0xA0, "eContent")
    if wrapper_body == wrapper_stop:
        raise der.DerError(_MISSING)
    tag, body, stop = head(data, wrapper_body, wrapper_stop)
    if stop != wrapper_stop:
        der.count(data, stop, wrapper_stop)
        raise der.DerError(_MISSING)
    if tag != der.OCTET_STRING:
        raise der.tag_error(tag, der.OCTET_STRING, "eContent")
    return data[body:stop], pos, end


def _parse_signed_data(data: bytes) -> _SignedData:
    """Take a ContentInfo(SignedData) apart, refusing anything outside the profile's shape.

    One forward cursor (`der.head`) reads each header in place where the profile fixes the shape;
    only the certificates and the signed attributes are iterated, and each value is sliced once.
    Every header `der.Reader.children` would check is checked, of fields not looked at too; the
    parts `Sealer` writes from templates are recognised by their DER. Accepts and refuses exactly
    as the list-based reader did (`tests/security/test_cms_reader.py` holds it as an oracle).
    """
    head = der.head
    content, pos, end = _encapsulated(data)
    # [0] certificates (the SEQUENCEs, as received), [1] crls (skipped), signerInfos.
    certificates: list[bytes] = []
    tag, body, stop = head(data, pos, end)
    pos = stop
    unexpected = "unexpected fields after the certificates"
    if tag == 0xA0:
        at = body
        while at < stop:
            cert_tag, _, cert_stop = head(data, at, stop)
            if cert_tag == der.SEQUENCE:
                certificates.append(data[at:cert_stop])
            at = cert_stop
        if pos == end:
            raise der.DerError(unexpected)
        tag, body, stop = head(data, pos, end)
        pos = stop
    if tag == 0xA1:
        if pos == end:
            raise der.DerError(unexpected)
        tag, body, stop = head(data, pos, end)
        pos = stop
    if pos != end:
        der.count(data, pos, end)
        raise der.DerError(unexpected)
    if tag != der.SET:
        raise der.tag_error(tag, der.SET, "signerInfos")
    if body == stop:
        raise der.DerError("0 signers; the profile has exactly one")
    tag, pos, end = head(data, body, stop)
    if end != stop:
        raise der.DerError(f"{1 + der.count(data, end, stop)} signers; the profile has exactly one")
    # SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm,
    # signature, [1] unsignedAttrs (not looked at).
    if tag != der.SEQUENCE:
        raise der.tag_error(tag, der.SEQUENCE, "SignerInfo")
    fields: list[der.TLV] = []  # the first five
    while len(fields) < 5:
        if pos == end:
            raise der.DerError("SignerInfo is incomplete")
        tag, body, stop = head(data, pos, end)
        fields.append((tag, pos, body, stop))
        pos = stop
    sid_tag, _, sid_body, sid_stop = fields[1]
    sid_issuer = sid_serial = sid_ski = None
    if sid_tag == der.SEQUENCE:
        if sid_body == sid_stop:
            raise der.DerError(_MISSING)
        issuer_tag, _, issuer_stop = head(data, sid_body, sid_stop)
        if issuer_stop == sid_stop:
            raise der.DerError(_MISSING)
        serial_tag, serial_body, serial_stop = head(data, issuer_stop, sid_stop)
        if serial_stop != sid_stop:
            der.count(data, serial_stop, sid_stop)
            raise der.DerError(_MISSING)
        if issuer_tag != der.SEQUENCE:
            raise der.tag_error(issuer_tag, der.SEQUENCE, "issuer")
        sid_issuer = data[sid_body:issuer_stop]
        if serial_tag != der.INTEGER:
            raise der.tag_error(serial_tag, der.INTEGER, "serialNumber")
        sid_serial = int.from_bytes(data[serial_body:serial_stop], "big", signed=True)
    elif sid_tag != 0x80:
        raise der.tag_error(sid_tag, 0x80, "subjectKeyIdentifier")
    else:
        sid_ski = data[sid_body:sid_stop]
    digest_oid = _algorithm(data, fields[2], "digestAlgorithm")
    third, fourth = fields[3], fields[4]
    signed_attrs = content_type = message_digest = None
    tag, start, body, stop = third
    if tag == 0xA0:
        signed_attrs = data[start:stop]
        if (
            stop - body == _SEALER_ATTRIBUTES_SIZE
            and data.startswith(_SEALER_ATTRIBUTES_HEAD, body)
            and data.startswith(_MESSAGE_DIGEST_PREFIX, stop - _MESSAGE_DIGEST_SIZE)
        ):
            # What `Sealer` writes: content-type (id-data), signing-time (a UTCTime, its value
            # not looked at), SHA-256 message-digest; the loop below would take them the same.
            content_type = _ID_DATA
            message_digest = data[stop - 32 : stop]
            body = stop
        seen: set[bytes] = set()
        at = body
        while at < stop:
            # The content-type (id-data) and SHA-256 message-digest attributes `Sealer` writes
            # are taken as they are; any other attribute is read header by header.
            value: tuple[int, int, int] | None = None
            if (
                data.startswith(_CONTENT_TYPE_DATA_ATTRIBUTE, at)
                and at + _CONTENT_TYPE_DATA_SIZE <= stop
            ):
                at += _CONTENT_TYPE_DATA_SIZE
                kind = _ATTR_CONTENT_TYPE
                content_type = _ID_DATA
            elif data.startswith(_MESSAGE_DIGEST_PREFIX, at) and at + _MESSAGE_DIGEST_SIZE <= stop:
                at += _MESSAGE_DIGEST_SIZE
                kind = _ATTR_MESSAGE_DIGEST
                message_digest = data[at - 32 : at]
            elif data.startswith(_SIGNING_TIME_PREFIX, at) and at + _SIGNING_TIME_SIZE <= stop:
                at += _SIGNING_TIME_SIZE  # a UTCTime; its value is not looked at
                kind = _ATTR_SIGNING_TIME
            else:
                kind, at, value = _read_attribute(data, at, stop)
                if value is None:
                    raise der.DerError("a signed attribute appears twice or has several values")
            if kind in seen:
                raise der.DerError("a signed attribute appears twice or has several values")
            seen.add(kind)
            if value is not None:
                value_tag, value_body, value_stop = value
                if kind == _ATTR_CONTENT_TYPE:
                    if value_tag != der.OID:
                        raise der.tag_error(value_tag, der.OID, "content-type")
                    content_type = data[value_body:value_stop]
                elif kind == _ATTR_MESSAGE_DIGEST:
                    if value_tag != der.OCTET_STRING:
                        raise der.tag_error(value_tag, der.OCTET_STRING, "message-digest")
                    message_digest = data[value_body:value_stop]
        signature_oid = _algorithm(data, fourth, "signatureAlgorithm")
        if pos == end:
            raise der.DerError(_MISSING)
        tag, body, stop = head(data, pos, end)
        pos = stop
    else:
        signature_oid = _algorithm(data, third, "signatureAlgorithm")
        tag, _, body, stop = fourth
    if pos < end:
        der.count(data, pos, end)  # the headers of what follows (unsignedAttrs)
    if tag != der.OCTET_STRING:
        raise der.tag_error(tag, der.OCTET_STRING, "signature")
    signature = data[body:stop]
    return _SignedData(
        content, certificates, sid_issuer, sid_serial, sid_ski, digest_oid, signature_oid,
        signed_attrs, content_type, message_digest, signature,
    )  # fmt: skip
