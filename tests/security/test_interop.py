"""Interop both ways: our signatures verify with signxml and xmlsec1, theirs verify with us;
what we seal, `openssl cms` opens; what OpenSSL signs and encrypts, we open."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import InvalidSignature as SignxmlInvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from digidialog.security import (
    CertificateValidator,
    DecryptionFailedError,
    InvalidCertificateError,
    InvalidCmsError,
    InvalidSignatureError,
    Opener,
    Sealer,
    Verifier,
)
from digidialog.security.devpki import DevPki
from digidialog.xml.parser import parse_bytes

from .conftest import require_tool, write

pytestmark = pytest.mark.tools

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
OUR_PROFILE = SignatureConfiguration(
    signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
)
TEMPLATE = (
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
    f'<CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
    '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<Reference URI=""><Transforms>'
    '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    f'<Transform Algorithm="{EXC_C14N}"/></Transforms>'
    '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/>'
    "</Reference></SignedInfo><SignatureValue/>"
    "<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>"
)


def _run(*args: str | Path, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], input=data, capture_output=True, check=False)


# --- signxml ----------------------------------------------------------------------------------


def test_our_signature_verifies_with_signxml(signed: bytes, pki: DevPki) -> None:
    result = XMLVerifier().verify(
        signed, ca_pem_file=str(pki.ca.cert_path), expect_config=OUR_PROFILE
    )
    assert isinstance(result, VerifyResult)  # one result: no expect_references given
    assert etree.QName(result.signed_xml).localname == "MsgHead"


def test_signxml_rejects_our_signature_after_tampering(signed: bytes, pki: DevPki) -> None:
    # The oracle is meaningful: it does fail when the content changes.
    with pytest.raises(SignxmlInvalidSignature):
        XMLVerifier().verify(
            signed.replace(b"500", b"900"),
            ca_pem_file=str(pki.ca.cert_path),
            expect_config=OUR_PROFILE,
        )


def test_signxml_signature_in_our_profile_verifies_with_us(
    message: bytes, pki: DevPki, verifier: Verifier
) -> None:
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    root = parse_bytes(message).getroot()
    theirs = etree.tostring(
        signer.sign(root, key=pki.helsenorge.signing.key, cert=[pki.helsenorge.signing.certificate])
    )
    result = verifier.verify(theirs, expected_sender=pki.helsenorge.her_id)
    assert result.signer == pki.helsenorge.signing.certificate


def test_signxml_signature_outside_our_profile_is_refused(
    message: bytes, pki: DevPki, verifier: Verifier
) -> None:
    # signxml's default (inclusive C14N 1.1) is not our profile: refused, not guessed at.
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped)
    root = parse_bytes(message).getroot()
    theirs = etree.tostring(
        signer.sign(root, key=pki.helsenorge.signing.key, cert=[pki.helsenorge.signing.certificate])
    )
    with pytest.raises(InvalidSignatureError) as info:
        verifier.verify(theirs)
    assert info.value.reason == "refused-algorithm"


# --- xmlsec1 ----------------------------------------------------------------------------------


def test_our_signature_verifies_with_xmlsec1(signed: bytes, pki: DevPki, tmp_path: Path) -> None:
    xmlsec1 = require_tool("xmlsec1")
    path = write(tmp_path, "signed.xml", signed)
    trusted = _run(xmlsec1, "--verify", "--trusted-pem", pki.ca.cert_path, path)
    assert trusted.returncode == 0, trusted.stderr.decode()
    pinned = _run(xmlsec1, "--verify", "--pubkey-cert-pem", pki.helsenorge.signing.cert_path, path)
    assert pinned.returncode == 0, pinned.stderr.decode()
    tampered = write(tmp_path, "tampered.xml", signed.replace(b"500", b"900"))
    assert _run(xmlsec1, "--verify", "--trusted-pem", pki.ca.cert_path, tampered).returncode != 0


def test_xmlsec1_signature_from_a_template_verifies_with_us(
    message: bytes, pki: DevPki, verifier: Verifier, tmp_path: Path
) -> None:
    xmlsec1 = require_tool("xmlsec1")
    template = write(
        tmp_path, "template.xml", message.replace(b"</MsgHead>", TEMPLATE.encode() + b"</MsgHead>")
    )
    out = tmp_path / "xmlsec-signed.xml"
    key = f"{pki.helsenorge.signing.key_path},{pki.helsenorge.signing.cert_path}"
    done = _run(xmlsec1, "--sign", "--privkey-pem", key, "--output", out, template)
    assert done.returncode == 0, done.stderr.decode()
    result = verifier.verify(out.read_bytes(), expected_sender=pki.helsenorge.her_id)
    assert result.signer == pki.helsenorge.signing.certificate


# --- openssl cms ------------------------------------------------------------------------------


def test_what_we_seal_openssl_decrypts_and_verifies(
    signed: bytes, pki: DevPki, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    hn, gp = pki.helsenorge, pki.gp_office
    sealed = write(
        tmp_path,
        "sealed.der",
        Sealer(hn.signing.key, hn.signing.certificate).seal(signed, gp.encryption.certificate),
    )
    inner = tmp_path / "inner.der"
    decrypted = _run(openssl, "cms", "-decrypt", "-inform", "DER", "-in", sealed, "-binary",
                     "-recip", gp.encryption.cert_path, "-inkey", gp.encryption.key_path,
                     "-out", inner)  # fmt: skip
    assert decrypted.returncode == 0, decrypted.stderr.decode()
    content = tmp_path / "content.xml"
    verified = _run(openssl, "cms", "-verify", "-inform", "DER", "-in", inner, "-binary",
                    "-CAfile", pki.ca.cert_path, "-out", content)  # fmt: skip
    assert verified.returncode == 0, verified.stderr.decode()
    assert content.read_bytes() == signed
    cipher = _run(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sealed)
    assert b"aes-256-cbc" in cipher.stdout


def _openssl_seal(
    openssl: str,
    pki: DevPki,
    tmp_path: Path,
    payload: bytes,
    *,
    cipher: str = "-aes256",
    detached: bool = False,
    recipient: Path | None = None,
    md: str = "sha256",
) -> bytes:
    hn = pki.helsenorge
    src = write(tmp_path, "payload.xml", payload)
    inner = tmp_path / "signed.der"
    sign: list[str | Path] = [
        openssl, "cms", "-sign", "-binary", "-md", md, "-outform", "DER", "-in", src,
        "-signer", hn.signing.cert_path, "-inkey", hn.signing.key_path, "-out", inner,
    ]  # fmt: skip
    if not detached:
        sign.append("-nodetach")
    assert _run(*sign).returncode == 0
    out = tmp_path / "sealed.der"
    encrypted = _run(openssl, "cms", "-encrypt", "-binary", cipher, "-outform", "DER", "-in", inner,
                     "-out", out, recipient or pki.gp_office.encryption.cert_path)  # fmt: skip
    assert encrypted.returncode == 0, encrypted.stderr.decode()
    return out.read_bytes()


@pytest.fixture
def opener(pki: DevPki) -> Opener:
    gp = pki.gp_office
    return Opener(
        gp.encryption.key,
        gp.encryption.certificate,
        CertificateValidator(pki.trust_store()),
        resolver=pki.resolver(),
    )


def test_what_openssl_signs_and_encrypts_we_open(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    sealed = _openssl_seal(openssl, pki, tmp_path, signed)
    opened = opener.open(sealed, expected_sender=pki.helsenorge.her_id)
    assert opened.content == signed
    assert opened.signer == pki.helsenorge.signing.certificate


def test_openssl_3des_envelope_is_refused(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    sealed = _openssl_seal(openssl, pki, tmp_path, signed, cipher="-des3")
    with pytest.raises(DecryptionFailedError) as info:
        opener.open(sealed)
    assert (info.value.code, info.value.reason) == (
        "transport:decryption-failed",
        "refused-cipher",
    )


def test_openssl_detached_signature_is_refused(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    sealed = _openssl_seal(openssl, pki, tmp_path, signed, detached=True)
    with pytest.raises(InvalidCmsError) as info:
        opener.open(sealed)
    assert info.value.code == "transport:invalid-cms-pkcs"
    assert "detached" in str(info.value)


def test_openssl_envelope_for_someone_else_is_refused(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    sealed = _openssl_seal(
        openssl, pki, tmp_path, signed, recipient=pki.helsenorge.encryption.cert_path
    )
    with pytest.raises(InvalidCertificateError) as info:
        opener.open(sealed)
    assert (info.value.code, info.value.reason) == (
        "transport:invalid-certificate",
        "not-addressed-to-us",
    )


def test_openssl_sha1_signature_is_refused(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")
    sealed = _openssl_seal(openssl, pki, tmp_path, signed, md="sha1")
    with pytest.raises(InvalidSignatureError) as info:
        opener.open(sealed)
    assert info.value.reason == "refused-algorithm"


def test_openssl_streamed_ber_is_refused_as_invalid_cms(
    signed: bytes, pki: DevPki, opener: Opener, tmp_path: Path
) -> None:
    """`-stream` writes BER with indefinite lengths; the profile (and .NET) use DER."""
    openssl = require_tool("openssl")
    src = write(tmp_path, "payload.xml", signed)
    inner, out = tmp_path / "signed.der", tmp_path / "sealed.der"
    hn = pki.helsenorge
    assert _run(openssl, "cms", "-sign", "-binary", "-nodetach", "-stream", "-md", "sha256",
                "-outform", "DER", "-in", src, "-signer", hn.signing.cert_path,
                "-inkey", hn.signing.key_path, "-out", inner).returncode == 0  # fmt: skip
    recipient = pki.gp_office.encryption.cert_path
    assert _run(openssl, "cms", "-encrypt", "-stream", "-binary", "-aes256", "-outform", "DER",
                "-in", inner, "-out", out, recipient).returncode == 0  # fmt: skip
    with pytest.raises(InvalidCmsError) as info:
        opener.open(out.read_bytes())
    assert info.value.reason == "not-der"
