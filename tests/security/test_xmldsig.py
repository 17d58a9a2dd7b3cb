"""The XML-DSig profile: sign/verify, and every form of wrapping and substitution refused."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from digidialog.errors import UnsafeXMLError
from digidialog.security import (
    CertificateValidator,
    ExpiredCertificateError,
    InvalidCertificateError,
    InvalidSignatureError,
    NotYetValidCertificateError,
    RevocationChecker,
    RevokedCertificateError,
    Signer,
    SpoofingError,
    TransportSecurityError,
    Verifier,
)
from digidialog.security.devpki import DevPki
from digidialog.xml.parser import parse_bytes

from .conftest import MSGHEAD_NS

DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"ds": DS, "m": MSGHEAD_NS}


def _tree(data: bytes) -> etree._ElementTree:
    return parse_bytes(data)


def _bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _signature(tree: etree._ElementTree) -> etree._Element:
    sig = tree.getroot().find("ds:Signature", NS)
    assert sig is not None
    return sig


def _resign(
    tree: etree._ElementTree,
    key: rsa.RSAPrivateKey,
    hash_alg: hashes.HashAlgorithm | None = None,
) -> None:
    """Recompute SignatureValue over the (edited) SignedInfo with a trusted key, so that only
    the profile rule under test can refuse the result."""
    sig = _signature(tree)
    signed_info = sig.find("ds:SignedInfo", NS)
    value = sig.find("ds:SignatureValue", NS)
    assert signed_info is not None
    assert value is not None
    c14n = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    raw = key.sign(c14n, padding.PKCS1v15(), hash_alg or hashes.SHA256())
    value.text = base64.b64encode(raw).decode()


def _refused(
    verifier: Verifier, data: bytes, error: type[TransportSecurityError], reason: str, **kw: object
) -> TransportSecurityError:
    with pytest.raises(error) as info:
        verifier.verify(data, **kw)  # type: ignore[arg-type]
    assert info.value.reason == reason, str(info.value)
    return info.value


# --- the happy path ---------------------------------------------------------------------------


def test_signature_is_last_child_of_msghead_in_profile(signed: bytes) -> None:
    root = _tree(signed).getroot()
    assert root[-1].tag == f"{{{DS}}}Signature"
    assert root.xpath(
        "string(ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm)", namespaces=NS
    ) == ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    assert root.xpath(
        "string(ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm)", namespaces=NS
    ) == ("http://www.w3.org/2001/10/xml-exc-c14n#")
    refs = root.findall("ds:Signature/ds:SignedInfo/ds:Reference", NS)
    assert [r.get("URI") for r in refs] == [""]
    assert [t.get("Algorithm") for t in refs[0].findall("ds:Transforms/ds:Transform", NS)] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert root.find("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS) is not None


def test_verify_hands_on_only_the_signed_document(
    verifier: Verifier, signed: bytes, pki: DevPki
) -> None:
    result = verifier.verify(signed, expected_sender=pki.helsenorge.her_id)
    assert result.signer == pki.helsenorge.signing.certificate
    assert b"Signature" not in result.signed_xml
    root = result.tree.getroot()
    assert root.tag == f"{{{MSGHEAD_NS}}}MsgHead"
    assert root.find("ds:Signature", NS) is None
    assert root.findtext("m:MsgInfo/m:Amount", namespaces=NS) == "500"
    assert "not checked" in str(result.revocation)


def test_comment_inside_signed_text_does_not_change_what_is_read(
    verifier: Verifier, signed: bytes
) -> None:
    tricked = signed.replace(b"<Amount>500</Amount>", b"<Amount>5<!---->00</Amount>")
    assert tricked != signed
    # A naive reader of the input sees "5": the comment splits the text node.
    assert _tree(tricked).getroot().findtext("m:MsgInfo/m:Amount", namespaces=NS) == "5"
    result = verifier.verify(tricked)  # comments are outside the signed (c14n) content
    assert result.tree.getroot().findtext("m:MsgInfo/m:Amount", namespaces=NS) == "500"


def test_signing_an_already_signed_document_is_refused(signer: Signer, signed: bytes) -> None:
    with pytest.raises(InvalidSignatureError) as info:
        signer.sign(signed)
    assert info.value.reason == "already-signed"


def test_signer_refuses_other_roots_and_verifier_too(pki: DevPki, verifier: Verifier) -> None:
    other = b"<Other xmlns='urn:x'><a>1</a></Other>"
    with pytest.raises(InvalidSignatureError):
        Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).sign(other)
    any_root = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate, root=None)
    _refused(verifier, any_root.sign(other), InvalidSignatureError, "wrong-root")


def test_signer_refuses_a_certificate_without_non_repudiation(pki: DevPki) -> None:
    with pytest.raises(InvalidCertificateError) as info:
        Signer(pki.wrong_usage.key, pki.wrong_usage.certificate)
    assert info.value.reason == "wrong-key-usage"


# --- altered content --------------------------------------------------------------------------


def test_changed_content_is_refused(verifier: Verifier, signed: bytes) -> None:
    altered = signed.replace(b"<Amount>500</Amount>", b"<Amount>900</Amount>")
    _refused(verifier, altered, InvalidSignatureError, "digest-mismatch")


def test_changed_signature_value_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    value = _signature(tree).find("ds:SignatureValue", NS)
    assert value is not None
    assert value.text
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    _refused(verifier, _bytes(tree), InvalidSignatureError, "signature-mismatch")


def test_unsigned_document_is_refused(verifier: Verifier, message: bytes) -> None:
    _refused(verifier, message, InvalidSignatureError, "unsigned")


# --- placement, count, extra structure --------------------------------------------------------


def test_signature_moved_into_a_child_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    sig = _signature(tree)
    msg_info = tree.getroot().find("m:MsgInfo", NS)
    assert msg_info is not None
    msg_info.append(sig)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "signature-misplaced")


def test_signature_not_last_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    sig = _signature(tree)
    tree.getroot().insert(0, sig)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "signature-misplaced")


def test_two_signatures_are_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    tree.getroot().append(copy.deepcopy(_signature(tree)))
    _refused(verifier, _bytes(tree), InvalidSignatureError, "more-than-one-signature")


def test_ds_object_in_signature_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    obj = etree.SubElement(_signature(tree), f"{{{DS}}}Object")
    etree.SubElement(obj, "Anything").text = "x"
    _refused(verifier, _bytes(tree), InvalidSignatureError, "unexpected-structure")


def test_ds_manifest_is_refused_inside_and_outside_the_signature(
    verifier: Verifier, signed: bytes
) -> None:
    tree = _tree(signed)
    obj = etree.SubElement(_signature(tree), f"{{{DS}}}Object")
    etree.SubElement(obj, f"{{{DS}}}Manifest")
    _refused(verifier, _bytes(tree), InvalidSignatureError, "unexpected-structure")
    tree = _tree(signed)
    doc = tree.getroot().find("m:Document", NS)
    assert doc is not None
    etree.SubElement(doc, f"{{{DS}}}Manifest")
    _refused(verifier, _bytes(tree), InvalidSignatureError, "stray-xmldsig-element")


@pytest.mark.parametrize(
    "uri", ["#msg", "http://example.invalid/doc.xml", "#xpointer(/)", None], ids=repr
)
def test_references_other_than_the_whole_document_are_refused(
    verifier: Verifier, signed: bytes, pki: DevPki, uri: str | None
) -> None:
    tree = _tree(signed)
    reference = _signature(tree).find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    if uri is None:
        del reference.attrib["URI"]
    else:
        reference.set("URI", uri)
    tree.getroot().set("Id", "msg")
    _resign(tree, pki.helsenorge.signing.key)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-reference")


def test_a_second_reference_is_refused(verifier: Verifier, signed: bytes, pki: DevPki) -> None:
    tree = _tree(signed)
    signed_info = _signature(tree).find("ds:SignedInfo", NS)
    assert signed_info is not None
    signed_info.append(copy.deepcopy(signed_info[-1]))
    _resign(tree, pki.helsenorge.signing.key)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "unexpected-structure")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Id", "Id"),
        ("ID", "ID"),
        ("id", "id"),
        ("{http://www.w3.org/XML/1998/namespace}id", "{http://www.w3.org/XML/1998/namespace}id"),
        ("Id", "ID"),
        ("ID", "{http://www.w3.org/XML/1998/namespace}id"),
    ],
)
def test_duplicate_ids_in_any_spelling_are_refused(
    verifier: Verifier, signed: bytes, first: str, second: str
) -> None:
    tree = _tree(signed)
    root = tree.getroot()
    msg_info, document = root.find("m:MsgInfo", NS), root.find("m:Document", NS)
    assert msg_info is not None
    assert document is not None
    msg_info.set(first, "part1")
    document.set(second, "part1")
    _refused(verifier, _bytes(tree), InvalidSignatureError, "duplicate-id")


def test_an_id_on_the_signature_that_repeats_one_in_the_document_is_refused(
    verifier: Verifier, signed: bytes
) -> None:
    tree = _tree(signed)
    _signature(tree).set("Id", "part1")
    msg_info = tree.getroot().find("m:MsgInfo", NS)
    assert msg_info is not None
    msg_info.set("ID", "part1")
    _refused(verifier, _bytes(tree), InvalidSignatureError, "duplicate-id")


def test_id_and_xmldsig_look_alikes_in_text_are_not_refused(
    signer: Signer, verifier: Verifier, message: bytes
) -> None:
    """The cheap pre-checks on the canonical bytes only decide when to search the tree: text
    that looks like an ID attribute or names the XML-DSig namespace is searched and passes."""
    text = f'Id="a" Id="a" id="b" id="b" {DS}'.encode()
    data = message.replace(b"Kan jeg", text.replace(b'"', b"&quot;") + b" Kan jeg")
    assert data != message
    result = verifier.verify(signer.sign(data))
    assert text in result.signed_xml


# --- the XSW family, adapted to an enveloped URI="" signature ---------------------------------


def _forge(tree: etree._ElementTree) -> etree._Element:
    """Replace the visible MsgInfo with a forged one; return the original (signed) MsgInfo."""
    root = tree.getroot()
    original = root.find("m:MsgInfo", NS)
    assert original is not None
    forged = copy.deepcopy(original)
    amount = forged.find("m:Amount", NS)
    assert amount is not None
    amount.text = "99999"
    root.replace(original, forged)
    return original


def _xsw1(tree: etree._ElementTree) -> None:
    # Original content kept inside the Signature (after KeyInfo); forged content in its place.
    _signature(tree).append(_forge(tree))


def _xsw2(tree: etree._ElementTree) -> None:
    # As XSW1, but the original goes before SignedInfo.
    _signature(tree).insert(0, _forge(tree))


def _xsw3(tree: etree._ElementTree) -> None:
    # A forged element beside the signed one (before it), same name.
    root = tree.getroot()
    original = root.find("m:MsgInfo", NS)
    assert original is not None
    forged = copy.deepcopy(original)
    forged.find("m:Amount", NS).text = "99999"  # type: ignore[union-attr]
    root.insert(0, forged)


def _xsw4(tree: etree._ElementTree) -> None:
    # A forged element wrapping the signed one.
    root = tree.getroot()
    original = root.find("m:MsgInfo", NS)
    assert original is not None
    forged = copy.deepcopy(original)
    forged.find("m:Amount", NS).text = "99999"  # type: ignore[union-attr]
    root.replace(original, forged)
    forged.append(original)


def _xsw5(tree: etree._ElementTree) -> None:
    # Original moved into a ds:Object of the signature, forged content in the body.
    obj = etree.SubElement(_signature(tree), f"{{{DS}}}Object")
    obj.append(_forge(tree))


def _xsw6(tree: etree._ElementTree) -> None:
    # The signature moved into the forged element, the original inside the signature.
    sig = _signature(tree)
    original = _forge(tree)
    forged = tree.getroot().find("m:MsgInfo", NS)
    assert forged is not None
    forged.append(sig)
    obj = etree.SubElement(sig, f"{{{DS}}}Object")
    obj.append(original)


def _xsw7(tree: etree._ElementTree) -> None:
    # The original hidden in an extension-like element next to the forged one.
    original = _forge(tree)
    holder = etree.SubElement(tree.getroot(), f"{{{MSGHEAD_NS}}}Extensions")
    holder.append(original)
    tree.getroot().append(_signature(tree))  # keep the signature last


def _xsw8(tree: etree._ElementTree) -> None:
    # The original wrapped inside the signature's KeyInfo.
    key_info = _signature(tree).find("ds:KeyInfo", NS)
    assert key_info is not None
    key_info.append(_forge(tree))


def _whole_document_wrapped(tree: etree._ElementTree) -> None:
    # A forged root around the whole signed MsgHead.
    root = tree.getroot()
    wrapper = etree.Element(f"{{{MSGHEAD_NS}}}MsgHead")
    forged = copy.deepcopy(root.find("m:MsgInfo", NS))
    assert forged is not None
    wrapper.append(forged)
    wrapper.append(root)
    tree._setroot(wrapper)


XSW: dict[str, tuple[Callable[[etree._ElementTree], None], str]] = {
    "XSW1": (_xsw1, "unexpected-structure"),
    "XSW2": (_xsw2, "unexpected-structure"),
    "XSW3": (_xsw3, "digest-mismatch"),
    "XSW4": (_xsw4, "digest-mismatch"),
    "XSW5": (_xsw5, "unexpected-structure"),
    "XSW6": (_xsw6, "signature-misplaced"),
    "XSW7": (_xsw7, "digest-mismatch"),
    "XSW8": (_xsw8, "unexpected-structure"),
    "wrapped-root": (_whole_document_wrapped, "signature-misplaced"),
}


@pytest.mark.parametrize("attack", sorted(XSW))
def test_signature_wrapping_is_refused(verifier: Verifier, signed: bytes, attack: str) -> None:
    mutate, reason = XSW[attack]
    tree = _tree(signed)
    mutate(tree)
    forged = _bytes(tree)
    assert b"99999" in forged or attack == "wrapped-root"
    _refused(verifier, forged, InvalidSignatureError, reason)


# --- keys and algorithms ----------------------------------------------------------------------


def test_key_substitution_by_an_untrusted_certificate_is_refused(
    verifier: Verifier, message: bytes, pki: DevPki
) -> None:
    forged = message.replace(b"<Amount>500</Amount>", b"<Amount>99999</Amount>")
    rogue = Signer(pki.untrusted.key, pki.untrusted.certificate).sign(forged)
    error = _refused(verifier, rogue, InvalidCertificateError, "untrusted")
    assert error.code == "transport:invalid-certificate"


def test_key_substitution_against_a_pinned_certificate_is_refused(
    message: bytes, pki: DevPki
) -> None:
    pinned = Verifier(CertificateValidator(pinned=[pki.helsenorge.signing.certificate]))
    other = Signer(pki.gp_office.signing.key, pki.gp_office.signing.certificate).sign(message)
    error = _refused(pinned, other, InvalidCertificateError, "not-pinned-certificate")
    assert (
        error.condition_data["thumbprint"]["expected"]
        != error.condition_data["thumbprint"]["actual"]
    )
    own = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).sign(message)
    assert pinned.verify(own).certificate_check.pinned


def test_swapping_the_certificate_in_key_info_is_refused(
    verifier: Verifier, signed: bytes, pki: DevPki
) -> None:
    tree = _tree(signed)
    cert_el = _signature(tree).find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert cert_el is not None
    from cryptography.hazmat.primitives import serialization

    cert_el.text = base64.b64encode(
        pki.gp_office.signing.certificate.public_bytes(serialization.Encoding.DER)
    ).decode()
    _refused(verifier, _bytes(tree), InvalidSignatureError, "signature-mismatch")


def test_signer_who_is_not_the_expected_sender_is_a_spoofing_attack(
    verifier: Verifier, message: bytes, pki: DevPki
) -> None:
    by_gp = Signer(pki.gp_office.signing.key, pki.gp_office.signing.certificate).sign(message)
    error = _refused(
        verifier,
        by_gp,
        SpoofingError,
        "signer-is-not-sender",
        expected_sender=pki.helsenorge.her_id,
    )
    assert error.code == "abuse:spoofing-attack"
    assert verifier.verify(by_gp, expected_sender=pki.gp_office.her_id).signer == (
        pki.gp_office.signing.certificate
    )
    _refused(verifier, by_gp, InvalidCertificateError, "unknown-sender", expected_sender="999999")


def test_sha1_signature_method_is_refused(verifier: Verifier, signed: bytes, pki: DevPki) -> None:
    tree = _tree(signed)
    method = _signature(tree).find("ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
    _resign(tree, pki.helsenorge.signing.key, hashes.SHA1())
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-algorithm")


def test_sha1_digest_method_is_refused(verifier: Verifier, signed: bytes, pki: DevPki) -> None:
    tree = _tree(signed)
    sig = _signature(tree)
    reference = sig.find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    reference.find("ds:DigestMethod", NS).set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")  # type: ignore[union-attr]
    unsigned = _tree(signed)
    unsigned.getroot().remove(_signature(unsigned))
    c14n = etree.tostring(unsigned, method="c14n", exclusive=True, with_comments=False)
    digest_value = reference.find("ds:DigestValue", NS)
    assert digest_value is not None
    digest_value.text = base64.b64encode(hashlib.sha1(c14n).digest()).decode()
    _resign(tree, pki.helsenorge.signing.key)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-algorithm")


def test_hmac_signature_method_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    sig = _signature(tree)
    signed_info = sig.find("ds:SignedInfo", NS)
    assert signed_info is not None
    signed_info.find("ds:SignatureMethod", NS).set(  # type: ignore[union-attr]
        "Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
    )
    # The classic HMAC confusion: use the (public) certificate bytes as the shared secret.
    secret = base64.b64decode(
        sig.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS) or ""
    )
    c14n = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    sig.find("ds:SignatureValue", NS).text = base64.b64encode(  # type: ignore[union-attr]
        hmac.new(secret, c14n, hashlib.sha256).digest()
    ).decode()
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-algorithm")


def test_algorithm_parameters_are_refused(verifier: Verifier, signed: bytes, pki: DevPki) -> None:
    tree = _tree(signed)
    c14n = _signature(tree).find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    assert c14n is not None
    etree.SubElement(
        c14n, "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces", PrefixList="xsi"
    )
    _resign(tree, pki.helsenorge.signing.key)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-algorithm")


def test_inclusive_c14n_is_refused(verifier: Verifier, signed: bytes, pki: DevPki) -> None:
    tree = _tree(signed)
    method = _signature(tree).find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    assert method is not None
    method.set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    _resign(tree, pki.helsenorge.signing.key)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "refused-algorithm")


def test_missing_signer_certificate_is_refused(verifier: Verifier, signed: bytes) -> None:
    tree = _tree(signed)
    sig = _signature(tree)
    key_info = sig.find("ds:KeyInfo", NS)
    assert key_info is not None
    sig.remove(key_info)
    _refused(verifier, _bytes(tree), InvalidSignatureError, "missing-certificate")


def test_a_bare_key_value_instead_of_a_certificate_is_refused(
    verifier: Verifier, signed: bytes
) -> None:
    tree = _tree(signed)
    key_info = _signature(tree).find("ds:KeyInfo", NS)
    assert key_info is not None
    key_info.clear()
    etree.SubElement(etree.SubElement(key_info, f"{{{DS}}}KeyValue"), f"{{{DS}}}RSAKeyValue")
    _refused(verifier, _bytes(tree), InvalidSignatureError, "missing-certificate")


def test_dtd_is_refused(verifier: Verifier, signed: bytes) -> None:
    with_dtd = signed.replace(b"?>", b"?>\n<!DOCTYPE MsgHead>", 1)
    with pytest.raises(UnsafeXMLError):
        verifier.verify(with_dtd)


def test_entities_are_refused(verifier: Verifier, signed: bytes) -> None:
    with_entity = signed.replace(
        b"?>", b'?>\n<!DOCTYPE MsgHead [<!ENTITY amount "500">]>', 1
    ).replace(b"<Amount>500</Amount>", b"<Amount>&amount;</Amount>")
    with pytest.raises(UnsafeXMLError):
        verifier.verify(with_entity)


# --- certificate policy through verify --------------------------------------------------------


def test_expired_signer_refused_now_but_valid_for_an_archived_message(
    verifier: Verifier, message: bytes, pki: DevPki
) -> None:
    data = Signer(pki.expired.key, pki.expired.certificate).sign(message)
    error = _refused(verifier, data, ExpiredCertificateError, "expired")
    assert error.code == "transport:expired-certificate"
    then = pki.expired.certificate.not_valid_before_utc + dt.timedelta(days=1)
    assert verifier.verify(data, verification_time=then).verification_time == then


def test_not_yet_valid_signer_is_refused(verifier: Verifier, message: bytes, pki: DevPki) -> None:
    data = Signer(pki.not_yet_valid.key, pki.not_yet_valid.certificate).sign(message)
    error = _refused(verifier, data, NotYetValidCertificateError, "not-yet-valid")
    assert error.code == "transport:expired-certificate"


def test_revoked_signer_is_refused_with_the_crl(message: bytes, pki: DevPki) -> None:
    data = Signer(pki.revoked.key, pki.revoked.certificate).sign(message)
    checked = Verifier(
        CertificateValidator(pki.trust_store(), revocation=RevocationChecker([pki.crl]))
    )
    error = _refused(checked, data, RevokedCertificateError, "revoked")
    assert error.code == "transport:revoked-certificate"
    good = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).sign(message)
    assert "CRL given" in str(checked.verify(good).revocation)
