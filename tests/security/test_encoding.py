"""What the lean signing paths write: DER that other readers accept byte for byte, and XML with
the signature spliced in exactly where lxml would have put it.

`Signer` writes its prebuilt `Signature` in front of the root's end tag and `Sealer` writes
SignedData and EnvelopedData from DER templates; these tests hold them to what a general
encoder (asn1crypto, lxml) and the other side (`cryptography`, `openssl cms` in
`test_interop.py`, xmlsec1) make of them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import core
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from lxml import etree

from digidialog.security import (
    CertificateValidator,
    InvalidCertificateError,
    InvalidCmsError,
    Opener,
    Sealer,
    Signer,
    Verifier,
    der,
)
from digidialog.security.devpki import DevPki
from digidialog.xml.parser import parse_bytes

from .conftest import MESSAGE, MSGHEAD_NS, require_tool, write

DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.mark.parametrize(
    "value", [0, 1, 127, 128, 255, 256, 65535, -1, -128, -129, 2**159 + 7, -(2**64)]
)
def test_der_integer_matches_asn1crypto(value: int) -> None:
    assert der.encode_integer(value) == core.Integer(value).dump()


@pytest.mark.parametrize("size", [0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20])
def test_der_lengths_match_asn1crypto(size: int) -> None:
    body = b"x" * size
    encoded = der.encode(der.OCTET_STRING, body)
    assert encoded == core.OctetString(body).dump()
    reader = der.Reader(encoded)
    assert reader.value(reader.whole(), der.OCTET_STRING, "test") == body


@pytest.mark.parametrize(
    ("when", "tag"),
    [
        (dt.datetime(2026, 11, 30, 12, 0, 5, tzinfo=dt.UTC), der.UTC_TIME),
        (dt.datetime(1950, 1, 1, tzinfo=dt.UTC), der.UTC_TIME),
        (dt.datetime(2050, 1, 1, tzinfo=dt.UTC), der.GENERALIZED_TIME),
    ],
)
def test_der_time_is_utc_time_until_2049(when: dt.datetime, tag: int) -> None:
    encoded = der.encode_time(when)
    assert encoded[0] == tag
    assert asn1_cms.Time.load(encoded).native == when


def test_der_reader_refuses_ber_and_non_minimal_lengths() -> None:
    for bad, why in (
        (b"\x30\x80\x04\x00\x00\x00", "BER"),
        (b"\x04\x81\x05hello", "non-minimal"),
        (b"\x04\x05hell", "truncated"),
        (b"\x04\x01ab", "trailing"),
    ):
        with pytest.raises(der.DerError, match=why):
            der.Reader(bad).whole()


@pytest.fixture(scope="module")
def sealer(pki: DevPki) -> Sealer:
    return Sealer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)


def test_sealed_layers_are_canonical_der_in_the_builders_shape(sealer: Sealer, pki: DevPki) -> None:
    gp, hn = pki.gp_office.encryption, pki.helsenorge.signing
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sealed = sealer.seal(MESSAGE, gp.certificate)
    envelope = asn1_cms.ContentInfo.load(sealed, strict=True)
    assert envelope.dump(force=True) == sealed  # re-encoded by asn1crypto: identical DER
    enveloped = envelope["content"]
    assert enveloped["version"].native == "v0"
    (recipient,) = list(enveloped["recipient_infos"])
    assert recipient.chosen["version"].native == "v0"
    assert recipient.chosen["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"
    rid = recipient.chosen["rid"].chosen
    assert rid["serial_number"].native == gp.certificate.serial_number
    assert rid["issuer"].dump() == gp.certificate.issuer.public_bytes()
    algorithm = enveloped["encrypted_content_info"]["content_encryption_algorithm"]
    assert algorithm["algorithm"].native == "aes256_cbc"
    assert len(algorithm["parameters"].native) == 16

    inner = pkcs7.pkcs7_decrypt_der(sealed, gp.certificate, gp.key, [])
    signed = asn1_cms.ContentInfo.load(inner, strict=True)
    assert signed.dump(force=True) == inner
    signed_data = signed["content"]
    assert signed_data["version"].native == "v1"
    assert signed_data["encap_content_info"]["content"].native == MESSAGE
    (cert,) = list(signed_data["certificates"])
    assert cert.dump() == hn.certificate.public_bytes(Encoding.DER)
    (signer_info,) = list(signed_data["signer_infos"])
    assert signer_info["sid"].chosen["serial_number"].native == hn.certificate.serial_number
    assert signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    assert signer_info["signature_algorithm"]["algorithm"].native == "rsassa_pkcs1v15"
    attributes = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    assert set(attributes) == {"content_type", "signing_time", "message_digest"}
    assert attributes["content_type"] == "data"
    assert before <= attributes["signing_time"] <= dt.datetime.now(dt.UTC)


def test_every_seal_has_a_fresh_key_and_iv(sealer: Sealer, pki: DevPki) -> None:
    recipient = pki.gp_office.encryption.certificate
    first, second = (
        asn1_cms.ContentInfo.load(sealer.seal(MESSAGE, recipient))["content"] for _ in range(2)
    )
    iv = [e["encrypted_content_info"]["content_encryption_algorithm"]["parameters"].native
          for e in (first, second)]  # fmt: skip
    keys = [
        next(iter(e["recipient_infos"])).chosen["encrypted_key"].native for e in (first, second)
    ]
    assert iv[0] != iv[1]
    assert keys[0] != keys[1]


def test_sealer_refuses_a_key_that_is_not_the_certificates(pki: DevPki) -> None:
    with pytest.raises(InvalidCertificateError) as info:
        Sealer(pki.gp_office.signing.key, pki.helsenorge.signing.certificate)
    assert info.value.reason == "key-mismatch"


def _seal_raw(inner: bytes, pki: DevPki) -> bytes:
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(inner)
        .set_content_encryption_algorithm(algorithms.AES256)
        .add_recipient(pki.gp_office.encryption.certificate)
        .encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


SIGNED_DATA_OID = der.encode(der.OID, der.oid("1.2.840.113549.1.7.2"))


def _content_info(signed_data_fields: bytes) -> bytes:
    return der.encode(der.SEQUENCE, SIGNED_DATA_OID + der.encode(
        0xA0, der.encode(der.SEQUENCE, signed_data_fields)))  # fmt: skip


@pytest.mark.parametrize(
    "inner",
    [
        # encapContentInfo with no fields at all
        _content_info(
            der.encode_integer(1)
            + der.encode(der.SET, b"")
            + der.encode(der.SEQUENCE, b"")
            + der.encode(der.SET, b"")
        ),
        # a signer identifier with three parts
        _content_info(
            der.encode_integer(1)
            + der.encode(der.SET, b"")
            + der.encode(
                der.SEQUENCE,
                der.encode(der.OID, der.oid("1.2.840.113549.1.7.1"))
                + der.encode(0xA0, der.encode(der.OCTET_STRING, b"x")),
            )
            + der.encode(
                der.SET,
                der.encode(
                    der.SEQUENCE,
                    der.encode_integer(1)
                    + der.encode(der.SEQUENCE, der.encode_integer(1) * 3)
                    + b"\x05\x00" * 3,
                ),
            )
        ),
        b"\x30\x03\x02\x01\x01",
    ],
    ids=["empty-encap", "three-part-sid", "not-content-info"],
)
def test_malformed_signed_data_is_invalid_cms(inner: bytes, pki: DevPki) -> None:
    gp = pki.gp_office
    opener = Opener(
        gp.encryption.key, gp.encryption.certificate, CertificateValidator(pki.trust_store())
    )
    with pytest.raises(InvalidCmsError) as info:
        opener.open(_seal_raw(inner, pki))
    assert info.value.reason == "invalid-structure"


# --- XML-DSig: the signature spliced into the input -------------------------------------------

BODY = "<MsgInfo><MsgId>1</MsgId></MsgInfo>"


def _verified(data: bytes, pki: DevPki, verifier: Verifier) -> bytes:
    """Sign ``data``, verify it, and check the verified content is exactly the input's."""
    signed = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate).sign(data)
    result = verifier.verify(signed)
    original = parse_bytes(data)
    assert result.signed_xml == etree.tostring(
        original, method="c14n", exclusive=True, with_comments=False
    )
    return signed


def test_signature_is_spliced_in_front_of_the_root_end_tag(pki: DevPki, verifier: Verifier) -> None:
    signed = _verified(MESSAGE, pki, verifier)
    end = MESSAGE.rindex(b"</MsgHead>")
    assert signed.startswith(MESSAGE[:end] + b'<Signature xmlns="' + DS.encode())
    assert signed.endswith(b"</Signature>" + MESSAGE[end:])


@pytest.mark.parametrize(
    "document",
    [
        f'<?xml version="1.0" encoding="UTF-8"?><MsgHead xmlns="{MSGHEAD_NS}">{BODY}'
        "</MsgHead   >\n\n",
        f'<m:MsgHead xmlns:m="{MSGHEAD_NS}"><m:MsgInfo/></m:MsgHead>',
        f'<!-- </MsgHead> --><MsgHead xmlns="{MSGHEAD_NS}"/>',
        f'<MsgHead xmlns="{MSGHEAD_NS}">{BODY}</MsgHead><!-- trailing -->',
        f'<MsgHead xmlns="{MSGHEAD_NS}">{BODY}</MsgHead><?pi after?>',
        f'<MsgHead xmlns="{MSGHEAD_NS}"><![CDATA[</MsgHead>]]></MsgHead>',
        f'<?xml version="1.0" encoding="ISO-8859-1"?><MsgHead xmlns="{MSGHEAD_NS}">'
        f"<MsgInfo>Bjørn</MsgInfo></MsgHead>",
        f'<?xml version="1.0" encoding="UTF-16"?><MsgHead xmlns="{MSGHEAD_NS}">'
        f"<MsgInfo>Bjørn</MsgInfo></MsgHead>",
        f'<?xml version="1.0" encoding="utf-8"?>\r\n<MsgHead xmlns="{MSGHEAD_NS}">\r\n'
        "  <MsgInfo>a\r\nb</MsgInfo>\r\n</MsgHead>\r\n",
    ],
    ids=[
        "blanks-in-end-tag",
        "prefixed-root",
        "empty-root-after-comment",
        "trailing-comment",
        "trailing-pi",
        "cdata",
        "latin-1",
        "utf-16",
        "crlf",
    ],
)
def test_unusual_documents_are_signed_and_verify(
    document: str, pki: DevPki, verifier: Verifier
) -> None:
    if "ISO-8859-1" in document:
        data = document.encode("latin-1")
    elif "UTF-16" in document:
        data = document.encode("utf-16")
    else:
        data = document.encode()
    signed = _verified(data, pki, verifier)
    root = etree.fromstring(signed)
    assert root[-1].tag == f"{{{DS}}}Signature"


def test_sign_and_sign_tree_make_the_same_signature(pki: DevPki) -> None:
    signer = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)
    tree = parse_bytes(MESSAGE)
    signer.sign_tree(tree)
    in_place = etree.tostring(tree, method="c14n")
    spliced = etree.tostring(parse_bytes(signer.sign(MESSAGE)), method="c14n")
    assert in_place == spliced  # PKCS#1 v1.5 is deterministic: same bytes, same signature


def test_our_spliced_signature_verifies_with_xmlsec1(pki: DevPki, tmp_path: Path) -> None:
    xmlsec1 = require_tool("xmlsec1")
    document = f'<m:MsgHead xmlns:m="{MSGHEAD_NS}"><m:MsgInfo>Bjørn</m:MsgInfo></m:MsgHead>'
    signer = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)
    path = write(tmp_path, "signed.xml", signer.sign(document.encode()))
    result = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(pki.ca.cert_path), str(path)],
        capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
