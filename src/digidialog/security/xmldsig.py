"""Enveloped XML-DSig inside MsgHead: one strict profile, signed and verified on a lean path.

Profile: RSA-SHA256 with RSA-2048 or more, exclusive C14N (no comments), exactly one ``Reference``
with ``URI=""`` and the transforms enveloped-signature then exclusive C14N, the signer certificate
in ``KeyInfo/X509Data/X509Certificate``, and the ``Signature`` as the last child of the root.

Verification fails closed: anything outside the profile is refused before any cryptography, and the
caller gets back only what was signed — the canonical bytes the digest covered, re-parsed — so
nothing beside, around or inside the signature can be smuggled in (signature wrapping), and a
comment inside a signed text node (``5<!---->00``) cannot change what is read (``500``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import threading
from collections.abc import Sequence
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from digidialog.errors import Location
from digidialog.security.certificates import (
    CertificateCheck,
    CertificateValidator,
    KeyPurpose,
    aware_time,
    check_rsa_key,
    check_signing_key,
)
from digidialog.security.errors import InvalidCertificateError, InvalidSignatureError
from digidialog.security.resolver import CertificateResolver, check_sender
from digidialog.security.revocation import RevocationStatus
from digidialog.security.x509load import (
    UNREADABLE,
    UnreadableCertificate,
    check_policy_certificates,
    check_readable,
    load_der,
)
from digidialog.xml.namespaces import DS, MSGHEAD, qname
from digidialog.xml.parser import parse_bytes

MSGHEAD_ROOT: Final = qname(MSGHEAD, "MsgHead")

EXC_C14N: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"

# Verification accepts SHA-256 and stronger; SHA-1, MD5, HMAC, DSA and the rest are refused.
_SIGNATURE_METHODS: Final[dict[str, hashes.HashAlgorithm]] = {
    RSA_SHA256: hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
}
_DIGEST_METHODS: Final[dict[str, str]] = {
    SHA256: "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_TRANSFORMS: Final = (ENVELOPED, EXC_C14N)

_SIGNATURE = qname(DS, "Signature")
_SIGNED_INFO = qname(DS, "SignedInfo")
_SIGNATURE_VALUE = qname(DS, "SignatureValue")
_KEY_INFO = qname(DS, "KeyInfo")
_X509_DATA = qname(DS, "X509Data")
_X509_CERTIFICATE = qname(DS, "X509Certificate")
_C14N_METHOD = qname(DS, "CanonicalizationMethod")
_SIGNATURE_METHOD = qname(DS, "SignatureMethod")
_REFERENCE = qname(DS, "Reference")
_TRANSFORMS_EL = qname(DS, "Transforms")
_TRANSFORM = qname(DS, "Transform")
_DIGEST_METHOD = qname(DS, "DigestMethod")
_DIGEST_VALUE = qname(DS, "DigestValue")

# Every spelling of an ID attribute a resolver might honour; xml:id has local-name 'id'.
_ID_VALUES = etree.XPath(
    "descendant-or-self::*/@*[local-name()='Id' or local-name()='ID' or local-name()='id']"
)
_ID_NAMES: Final = frozenset(("Id", "ID", "id"))
# ``="`` preceded by ``id`` in any case: the regular expression engine finds the literal ``="``
# quickly (faster than a search for ``id="`` in a lowered copy) and checks the two bytes before.
_ID_HINT: Final = re.compile(rb'="(?<=[iI][dD]=")')
_DS_URI: Final = DS.encode("ascii")
_PKCS1: Final = padding.PKCS1v15()

# The element children the profile allows, in order.
_SIGNATURE_CHILDREN: Final = [_SIGNED_INFO, _SIGNATURE_VALUE, _KEY_INFO]
_SIGNED_INFO_CHILDREN: Final = [_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE]
_REFERENCE_CHILDREN: Final = [_TRANSFORMS_EL, _DIGEST_METHOD, _DIGEST_VALUE]
_TRANSFORMS_CHILDREN: Final = [_TRANSFORM, _TRANSFORM]
_KEY_INFO_CHILDREN: Final = [_X509_DATA]
_X509_DATA_CHILDREN: Final = [_X509_CERTIFICATE]


def _c14n(node: etree._Element | etree._ElementTree) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)


class Signer:
    """Signs MsgHead documents with one key; build once (key loading is not per-message work).

    The `Signature` element is built once, here, with lxml; what a message needs of it — the
    canonical `SignedInfo` and the serialised element — is kept as text around two slots (the
    digest and the signature value). Per message: one hardened parse, one exclusive C14N of the
    document, one SHA-256, one RSA signature, and the element written in front of the root's
    end tag, the input bytes otherwise kept as they are.
    """

    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        *,
        root: str | None = MSGHEAD_ROOT,
    ) -> None:
        check_readable(certificate, "signing")
        check_signing_key(key, certificate)
        self._key = key
        self.certificate = certificate
        self._root = root
        cert_b64 = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER))
        template = _signature_template(cert_b64.decode("ascii"))
        # Exclusive C14N of SignedInfo depends on nothing outside it (only the namespaces it
        # uses, no inherited xml:* attributes), so it is the same standalone as in a document.
        self._signed_info = _c14n(template[0]).split(_DIGEST_SLOT)
        element = etree.tostring(template, encoding="UTF-8").replace(b"%", b"%%")
        self._element = element.replace(_DIGEST_SLOT, b"%s").replace(_VALUE_SLOT, b"%s")

    def sign(self, data: bytes, *, source: str | None = None) -> bytes:
        """Return ``data`` (a MsgHead document) with an enveloped signature appended to its root."""
        tree = parse_bytes(data, source=source)
        return _insert_last_child(data, tree, self._signature(tree, source))

    def sign_tree(self, tree: etree._ElementTree, *, source: str | None = None) -> None:
        """Sign ``tree`` in place (for callers that already hold a tree, e.g. from the codec)."""
        element = parse_bytes(self._signature(tree, source)).getroot()
        tree.getroot().append(element)

    def _signature(self, tree: etree._ElementTree, source: str | None) -> bytes:
        """The serialised `Signature` element for ``tree``, which must be an unsigned document."""
        root = tree.getroot()
        if self._root is not None and root.tag != self._root:
            raise InvalidSignatureError(
                f"refusing to sign a <{root.tag}> document; the profile signs <{self._root}>",
                reason="wrong-root",
                location=Location(source),
            )
        if next(root.iter(_SIGNATURE), None) is not None:
            raise InvalidSignatureError(
                "the document is already signed",
                reason="already-signed",
                location=Location(source),
                hint="sign the unsigned document; the profile allows exactly one signature",
            )
        digest = base64.b64encode(hashlib.sha256(_c14n(tree)).digest())
        value = self._key.sign(digest.join(self._signed_info), padding.PKCS1v15(), hashes.SHA256())
        return self._element % (digest, base64.b64encode(value))


_DIGEST_SLOT: Final = b"DIGEST-VALUE-SLOT"
_VALUE_SLOT: Final = b"SIGNATURE-VALUE-SLOT"
_ROOT_END = re.compile(rb"</([^\s>]+)\s*>\s*\Z")


def _signature_template(cert_b64: str) -> etree._Element:
    """The profile's `Signature` element, with slots for the digest and the signature value."""
    signature = etree.Element(_SIGNATURE, nsmap={None: DS})  # type: ignore[dict-item]
    signed_info = etree.SubElement(signature, _SIGNED_INFO)
    etree.SubElement(signed_info, _C14N_METHOD, Algorithm=EXC_C14N)
    etree.SubElement(signed_info, _SIGNATURE_METHOD, Algorithm=RSA_SHA256)
    reference = etree.SubElement(signed_info, _REFERENCE, URI="")
    transforms = etree.SubElement(reference, _TRANSFORMS_EL)
    for algorithm in _TRANSFORMS:
        etree.SubElement(transforms, _TRANSFORM, Algorithm=algorithm)
    etree.SubElement(reference, _DIGEST_METHOD, Algorithm=SHA256)
    etree.SubElement(reference, _DIGEST_VALUE).text = _DIGEST_SLOT.decode("ascii")
    etree.SubElement(signature, _SIGNATURE_VALUE).text = _VALUE_SLOT.decode("ascii")
    key_info = etree.SubElement(signature, _KEY_INFO)
    x509_data = etree.SubElement(key_info, _X509_DATA)
    etree.SubElement(x509_data, _X509_CERTIFICATE).text = cert_b64
    return signature


def _insert_last_child(data: bytes, tree: etree._ElementTree, element: bytes) -> bytes:
    """``data`` with ``element`` (UTF-8, ASCII only) written as the root's last child.

    Spliced in front of the root's end tag when that tag is certainly the document's last markup:
    an ASCII-compatible encoding, nothing but blanks after the root, and the end tag spelled with
    the root's own name. Otherwise (UTF-16, a trailing comment, ``<MsgHead/>`` …) the tree gets
    the element and is serialised as UTF-8, as lxml writes it.
    """
    root = tree.getroot()
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if encoding in ("UTF-8", "US-ASCII", "ASCII") and root.getnext() is None:
        end = data.rfind(b"</")
        match = _ROOT_END.match(data, end) if end > 0 else None
        name = f"{root.prefix}:{etree.QName(root).localname}" if root.prefix else None
        if match and match.group(1).decode("utf-8", "replace") == (
            name or etree.QName(root).localname
        ):
            return data[:end] + element + data[end:]
    root.append(parse_bytes(element).getroot())
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


class VerifiedXml:
    """What a verification established. `signed_xml` and `tree` hold only what was signed."""

    def __init__(
        self,
        signed_xml: bytes,
        certificate_check: CertificateCheck,
        verification_time: dt.datetime,
        source: str | None,
    ) -> None:
        self.signed_xml = signed_xml
        """The exclusive-C14N bytes the signature's digest covers (the document minus the
        signature, without comments)."""
        self.certificate_check = certificate_check
        self.verification_time = verification_time
        self._source = source
        self._tree: etree._ElementTree | None = None

    @property
    def signer(self) -> x509.Certificate:
        return self.certificate_check.certificate

    @property
    def revocation(self) -> RevocationStatus:
        return self.certificate_check.revocation

    @property
    def tree(self) -> etree._ElementTree:
        """`signed_xml` parsed on first use: read the message from this, not the input."""
        if self._tree is None:
            self._tree = parse_bytes(self.signed_xml, source=self._source)
        return self._tree


def _fail(
    reason: str, message: str, source: str | None, hint: str | None = None
) -> InvalidSignatureError:
    return InvalidSignatureError(
        message,
        reason=reason,
        location=Location(source),
        hint=hint or "the message must be signed exactly as the helsenorge.no profile says",
    )


def _children(
    element: etree._Element, expected: list[str], source: str | None
) -> list[etree._Element]:
    """The element children of ``element``, which must be exactly ``expected`` in order, with no
    text between them (comments and processing instructions are skipped)."""
    nodes: list[etree._Element] = element[:]  # type: ignore[index, assignment]  # cheaper than list()
    children = nodes
    if [c.tag for c in nodes] != expected:
        children = [c for c in nodes if isinstance(c.tag, str)]
        if [c.tag for c in children] != expected:
            found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
            wanted = ", ".join(etree.QName(t).localname for t in expected)
            raise _fail(
                "unexpected-structure",
                f"{etree.QName(element).localname} holds {found}; the profile allows exactly "
                f"{wanted}",
                source,
            )
    text = element.text
    stray = bool(text and not text.isspace())  # the same as a non-empty text.strip()
    for node in nodes:
        tail = node.tail
        if tail and not tail.isspace():
            stray = True
    if stray:
        raise _fail(
            "unexpected-structure",
            f"{etree.QName(element).localname} contains stray text",
            source,
        )
    return children


def _algorithm(element: etree._Element, allowed: Sequence[str], source: str | None) -> str:
    algorithm = element.get("Algorithm", "")
    if algorithm not in allowed or len(element):
        name = etree.QName(element).localname
        raise _fail(
            "refused-algorithm",
            f"{name} {algorithm or '(none)'} is outside the profile"
            + (" (it has parameters)" if len(element) else ""),
            source,
            hint="allowed: "
            + ", ".join(allowed)
            + "; SHA-1, HMAC and parameterised algorithms are refused",
        )
    return algorithm


def _b64(element: etree._Element, what: str, source: str | None) -> bytes:
    text = element.text or ""
    try:
        # What ``b64decode(validate=True)`` does, minus its wrapping; the strict mode refuses
        # blanks, so text it accepts as it is has none to remove.
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        pass  # line-wrapped, or refused: the full path below decides, with its own message
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise _fail("unexpected-structure", f"{what} is not base64: {exc}", source) from exc


def _may_hold_ids(canonical: bytes) -> bool:
    """Whether ``canonical`` holds ``id="`` in any case (``Id="``, ``ID="``, ``id="``, ``iD="``),
    as ``b'id="' in canonical.lower()`` says, without the copy: `_ID_HINT` scans for ``="``
    and looks behind each."""
    return _ID_HINT.search(canonical) is not None


class Verifier:
    """Verifies signed MsgHead documents against one certificate policy; build once, reuse.

    Give a `CertificateValidator` (trust store and/or pinned certificates, revocation), and a
    `CertificateResolver` to check that the signer is the expected sender.
    """

    def __init__(
        self,
        validator: CertificateValidator,
        *,
        resolver: CertificateResolver | None = None,
        root: str | None = MSGHEAD_ROOT,
    ) -> None:
        check_policy_certificates(validator)
        self.validator = validator
        self.resolver = resolver
        self._root = root
        self._certs: dict[str, tuple[x509.Certificate, rsa.RSAPublicKey]] = {}
        self._last_cert: tuple[str, tuple[x509.Certificate, rsa.RSAPublicKey]] | None = None
        self._shapes: dict[bytes, tuple[hashes.HashAlgorithm, str]] = {}
        self._lock = threading.Lock()

    def verify(
        self,
        data: bytes,
        *,
        expected_sender: str | None = None,
        verification_time: dt.datetime | None = None,
        source: str | None = None,
    ) -> VerifiedXml:
        """Verify and return only what was signed; raise a `TransportSecurityError` otherwise
        (a `UsageError` for a ``verification_time`` without a time zone)."""
        at = aware_time(verification_time)
        tree = parse_bytes(data, source=source)
        root = tree.getroot()
        if self._root is not None and root.tag != self._root:
            raise _fail("wrong-root", f"the document is a {root.tag}, not {self._root}", source)
        signature = self._the_signature(root, source)
        if next(signature.iter(_X509_CERTIFICATE), None) is None:
            raise _fail(
                "missing-certificate",
                "the signature carries no signer certificate (KeyInfo/X509Data/X509Certificate)",
                source,
                hint="the signer's certificate must be in the signature so it can be checked",
            )
        signed_info, signature_value, key_info = _children(signature, _SIGNATURE_CHILDREN, source)
        canonical_signed_info = _c14n(signed_info)
        hash_alg, digest_name, digest_value = self._signed_info(
            signed_info, canonical_signed_info, source
        )
        (x509_data,) = _children(key_info, _KEY_INFO_CHILDREN, source)
        (cert_element,) = _children(x509_data, _X509_DATA_CHILDREN, source)
        cert, key = self._certificate(cert_element, source)

        # The enveloped transform: drop the Signature element, keep the text around it.
        previous = signature.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + (signature.tail or "")
        else:
            root.text = (root.text or "") + (signature.tail or "")
        root.remove(signature)
        signed = _c14n(tree)
        self._no_strays(
            root,
            signed,
            signed_info=signed_info,
            canonical_signed_info=canonical_signed_info,
            outside_signed_info=(signature, signature_value, key_info, x509_data, cert_element),
            source=source,
        )
        try:
            key.verify(
                _b64(signature_value, "SignatureValue", source),
                canonical_signed_info,
                _PKCS1,
                hash_alg,
            )
        except InvalidSignature:
            raise _fail(
                "signature-mismatch",
                "the signature value does not match SignedInfo and the signer's key",
                source,
                hint="the message was altered or signed with another key; ask the sender to resend",
            ) from None
        if not hmac.compare_digest(
            hashlib.new(digest_name, signed).digest(), _b64(digest_value, "DigestValue", source)
        ):
            raise _fail(
                "digest-mismatch",
                "the document was changed after it was signed (digest mismatch)",
                source,
                hint="do not process it; ask the sender to resend",
            )
        check = self.validator.validate(cert, KeyPurpose.SIGNING, at)
        if expected_sender is not None:
            check_sender(self.resolver, expected_sender, cert, KeyPurpose.SIGNING)
        return VerifiedXml(signed, check, at, source)

    def _signed_info(
        self, signed_info: etree._Element, canonical: bytes, source: str | None
    ) -> tuple[hashes.HashAlgorithm, str, etree._Element]:
        """Check `SignedInfo` against the profile: the signature's hash, the digest's name and
        the `DigestValue` element.

        A SignedInfo whose canonical form, but for the digest value, is one that passed before
        has the same elements, attributes and text, so it passes again: such shapes (a handful
        per sender) are remembered and the element-by-element checks skipped. Comments and
        processing instructions vanish from or break the canonical form, so a SignedInfo with
        any is always checked element by element.
        """
        # The shape: the canonical bytes without the text after the first "DigestValue>" (the
        # start tag's end, whatever its prefix). Equal shapes differ at most in that text.
        start = canonical.find(b"DigestValue>") + len(b"DigestValue>")
        end = canonical.find(b"<", start)
        plain = next(signed_info.iter(etree.Comment, etree.ProcessingInstruction), None) is None
        found = start >= len(b"DigestValue>") and end >= 0
        shape = canonical[:start] + canonical[end:] if found and plain else None
        known = self._shapes.get(shape) if shape is not None else None
        if known is not None:
            return known[0], known[1], signed_info[2][2]
        c14n_method, signature_method, reference = _children(
            signed_info, _SIGNED_INFO_CHILDREN, source
        )
        _algorithm(c14n_method, (EXC_C14N,), source)
        hash_alg = _SIGNATURE_METHODS[
            _algorithm(signature_method, tuple(_SIGNATURE_METHODS), source)
        ]
        if reference.get("URI") != "" or set(reference.attrib) - {"URI", "Id"}:
            raise _fail(
                "refused-reference",
                'the Reference must be URI="" (the whole document) and nothing else; '
                f"found URI={reference.get('URI')!r}",
                source,
            )
        transforms, digest_method, digest_value = _children(reference, _REFERENCE_CHILDREN, source)
        for transform, algorithm in zip(
            _children(transforms, _TRANSFORMS_CHILDREN, source), _TRANSFORMS, strict=True
        ):
            _algorithm(transform, (algorithm,), source)
        digest_name = _DIGEST_METHODS[_algorithm(digest_method, tuple(_DIGEST_METHODS), source)]
        if shape is not None:
            with self._lock:
                if len(self._shapes) > 64:
                    self._shapes.clear()
                self._shapes[shape] = (hash_alg, digest_name)
        return hash_alg, digest_name, digest_value

    def _the_signature(self, root: etree._Element, source: str | None) -> etree._Element:
        signatures = list(root.iter(_SIGNATURE))
        if not signatures:
            raise _fail("unsigned", "the document has no ds:Signature", source)
        if len(signatures) > 1:
            raise _fail(
                "more-than-one-signature",
                f"the document has {len(signatures)} ds:Signature elements; the profile allows one",
                source,
            )
        signature = signatures[0]
        if signature.getparent() is not root or signature.getnext() is not None:
            raise _fail(
                "signature-misplaced",
                "the ds:Signature must be the last child of the root element",
                source,
            )
        if (signature.tail or "").strip():
            raise _fail("signature-misplaced", "text follows the ds:Signature", source)
        return signature

    def _no_strays(
        self,
        root: etree._Element,
        signed: bytes,
        *,
        signed_info: etree._Element,
        canonical_signed_info: bytes,
        outside_signed_info: tuple[etree._Element, ...],
        source: str | None,
    ) -> None:
        """No XML-DSig element outside the (already removed) signature, no ID value twice.

        Canonical bytes rule most cases out cheaply: exclusive C14N writes every attribute of
        every element as `` name="value"`` and declares a namespace where an element uses it, so
        without the XML-DSig namespace URI in ``signed`` (the document without the signature)
        there is no XML-DSig element in it, and without ``Id="``/``ID="``/``id="`` (in any case)
        in ``signed`` or ``canonical_signed_info`` no ID attribute in the document or in
        `SignedInfo`. Only when those bytes occur is that tree searched. The rest of the
        signature is, once the profile's structure checks passed, the five elements in
        ``outside_signed_info`` (`Signature`, `SignatureValue`, `KeyInfo`, `X509Data`,
        `X509Certificate`) besides comments and processing instructions; their attributes are
        read directly, unless `SignatureValue` or `X509Certificate` has children, when the
        whole signature is searched.
        """
        if _DS_URI in signed and next(root.iter(f"{{{DS}}}*"), None) is not None:
            raise _fail(
                "stray-xmldsig-element",
                "XML-DSig elements (ds:Object, ds:Manifest, …) appear outside the signature",
                source,
            )
        signature, signature_value, _, _, cert_element = outside_signed_info
        ids: list[str]
        if len(signature_value) or len(cert_element):
            ids = [str(v) for v in _ID_VALUES(signature)]  # type: ignore[union-attr]
        else:
            ids = [
                str(value)
                for element in outside_signed_info
                for name, value in element.items()
                if str(name).rpartition("}")[2] in _ID_NAMES
            ]
            if _may_hold_ids(canonical_signed_info):
                ids += [str(v) for v in _ID_VALUES(signed_info)]  # type: ignore[union-attr]
        if _may_hold_ids(signed):
            ids += [str(v) for v in _ID_VALUES(root)]  # type: ignore[union-attr]
        if len(ids) != len(set(ids)):
            duplicates = sorted({v for v in ids if ids.count(v) > 1})
            raise _fail(
                "duplicate-id",
                f"ID value(s) {', '.join(duplicates)} appear more than once (Id/ID/id/xml:id)",
                source,
            )

    def _certificate(
        self, element: etree._Element, source: str | None
    ) -> tuple[x509.Certificate, rsa.RSAPublicKey]:
        """The signer certificate and its RSA key, decoded once per distinct certificate (keyed
        by the element's text as it is: the last one is compared first — a string comparison,
        no hashing of the 1-2 KB — then the dictionary is asked). The certificate is read in
        full (`x509load.load_der`) before it is cached, so an unreadable one is refused here,
        before the signature is checked, and a cached one cannot raise later."""
        text = element.text or ""
        last = self._last_cert
        if last is not None and last[0] == text:
            return last[1]
        with self._lock:
            cached = self._certs.get(text)
        if cached is not None:
            self._last_cert = (text, cached)
            return cached
        try:
            der = base64.b64decode("".join(text.split()), validate=True)
        except (ValueError, binascii.Error) as exc:
            raise InvalidCertificateError(
                f"the signer certificate in KeyInfo cannot be read: {exc}",
                reason=UNREADABLE,
                location=Location(source),
            ) from exc
        try:
            cert = load_der(der)
        except UnreadableCertificate as exc:
            raise InvalidCertificateError(
                f"the signer certificate in KeyInfo [{exc.thumbprint}] cannot be read: {exc}",
                reason=UNREADABLE,
                thumbprint=exc.thumbprint,
                location=Location(source),
                hint="the sender's certificate is malformed; it must sign with a well-formed one",
            ) from exc
        entry = (cert, check_rsa_key(cert))
        with self._lock:
            if len(self._certs) > 1024:
                self._certs.clear()
            self._certs[text] = entry
        self._last_cert = (text, entry)
        return entry
