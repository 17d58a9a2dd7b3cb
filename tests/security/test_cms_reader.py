"""`cms._parse_signed_data` (one forward cursor over `der.head`) against the reader it replaced.

The reference below is the earlier parser, built on `der.Reader`, which lists every container's
children. The cursor must accept exactly what it accepted and read the same fields from it: the
tests feed both the SignedData shapes in use (ours, `cryptography`'s builders with and without
certificates and signed attributes, SHA-384/512) and many thousand damaged copies of them.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from digidialog.security import Sealer, cms, der
from digidialog.security.devpki import DevPki


def _reference_parse(data: bytes) -> cms._SignedData:
    """The parser before the cursor, kept verbatim as the oracle."""
    reader = der.Reader(data)
    info = reader.children(reader.whole(), der.SEQUENCE, "ContentInfo")
    if len(info) != 2 or reader.value(info[0], der.OID, "contentType") != cms._ID_SIGNED_DATA:
        raise der.DerError(
            "the envelope does not hold SignedData (the profile signs, then encrypts)"
        )
    (signed,) = reader.children(info[1], 0xA0, "content")
    parts = reader.children(signed, der.SEQUENCE, "SignedData")
    if len(parts) < 4:
        raise der.DerError("SignedData is incomplete")
    encap = reader.children(parts[2], der.SEQUENCE, "encapContentInfo")
    if reader.value(encap[0], der.OID, "eContentType") != cms._ID_DATA:
        raise der.DerError("the signed content type is not id-data")
    if len(encap) != 2:
        raise der.DerError("the signature is detached; the profile encapsulates the content")
    (econtent,) = reader.children(encap[1], 0xA0, "eContent")
    content = reader.value(econtent, der.OCTET_STRING, "eContent")
    certificates: list[bytes] = []
    rest = parts[3:]
    if rest[0][0] == 0xA0:
        certificates = [
            reader.raw(c)
            for c in reader.children(rest[0], 0xA0, "certificates")
            if c[0] == der.SEQUENCE
        ]
        rest = rest[1:]
    if rest and rest[0][0] == 0xA1:
        rest = rest[1:]
    if len(rest) != 1:
        raise der.DerError("unexpected fields after the certificates")
    signer_infos = reader.children(rest[0], der.SET, "signerInfos")
    if len(signer_infos) != 1:
        raise der.DerError(f"{len(signer_infos)} signers; the profile has exactly one")
    fields = reader.children(signer_infos[0], der.SEQUENCE, "SignerInfo")
    if len(fields) < 5:
        raise der.DerError("SignerInfo is incomplete")
    sid = fields[1]
    sid_issuer = sid_serial = sid_ski = None
    if sid[0] == der.SEQUENCE:
        issuer, serial = reader.children(sid, der.SEQUENCE, "issuerAndSerialNumber")
        sid_issuer = reader.raw(der.expect(issuer, der.SEQUENCE, "issuer"))
        sid_serial = reader.integer(serial, "serialNumber")
    else:
        sid_ski = reader.value(sid, 0x80, "subjectKeyIdentifier")
    digest_oid = reader.algorithm(fields[2], "digestAlgorithm")
    index = 3
    signed_attrs = content_type = message_digest = None
    if fields[index][0] == 0xA0:
        signed_attrs = reader.raw(fields[index])
        seen: set[bytes] = set()
        for attribute in reader.children(fields[index], 0xA0, "signedAttrs"):
            attr_type, values = reader.children(attribute, der.SEQUENCE, "Attribute")
            kind = reader.value(attr_type, der.OID, "attrType")
            members = reader.children(values, der.SET, "attrValues")
            if kind in seen or len(members) != 1:
                raise der.DerError("a signed attribute appears twice or has several values")
            seen.add(kind)
            if kind == cms._ATTR_CONTENT_TYPE:
                content_type = reader.value(members[0], der.OID, "content-type")
            elif kind == cms._ATTR_MESSAGE_DIGEST:
                message_digest = reader.value(members[0], der.OCTET_STRING, "message-digest")
        index += 1
    signature_oid = reader.algorithm(fields[index], "signatureAlgorithm")
    signature = reader.value(fields[index + 1], der.OCTET_STRING, "signature")
    return cms._SignedData(
        content, certificates, sid_issuer, sid_serial, sid_ski, digest_oid, signature_oid,
        signed_attrs, content_type, message_digest, signature,
    )  # fmt: skip


def _outcome(parse: object, data: bytes) -> object:
    assert callable(parse)
    try:
        return parse(data)
    except (ValueError, IndexError):  # what `Opener` turns into "invalid-structure"
        return "refused"


CONTENT = b"<MsgHead/>"
LARGE = b"<MsgHead>" + b"<Notat>Kan jeg f\xc3\xa5 time neste uke?</Notat>\n" * 120 + b"</MsgHead>"
"""Content of 256 octets or more: every length in the SignedData takes the two-octet form."""


def _built(
    pki: DevPki,
    digest: hashes.HashAlgorithm,
    *options: pkcs7.PKCS7Options,
    content: bytes = CONTENT,
) -> bytes:
    signing = pki.helsenorge.signing
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(signing.certificate, signing.key, digest)  # type: ignore[arg-type]
        .sign(Encoding.DER, [pkcs7.PKCS7Options.Binary, *options])
    )


@pytest.fixture(scope="module")
def shapes(pki: DevPki) -> dict[str, bytes]:
    signing = pki.helsenorge.signing
    sealer = Sealer(signing.key, signing.certificate)
    when = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    return {
        "sealer": sealer._signed_data(CONTENT, when),
        "sealer-large": sealer._signed_data(LARGE, when),
        "builder-large": _built(pki, hashes.SHA256(), content=LARGE),
        "builder-sha256": _built(pki, hashes.SHA256()),
        "builder-sha384": _built(pki, hashes.SHA384()),
        "builder-sha512": _built(pki, hashes.SHA512()),
        "builder-no-certs": _built(pki, hashes.SHA256(), pkcs7.PKCS7Options.NoCerts),
        "builder-no-attributes": _built(pki, hashes.SHA256(), pkcs7.PKCS7Options.NoAttributes),
        "builder-no-capabilities": _built(pki, hashes.SHA256(), pkcs7.PKCS7Options.NoCapabilities),
    }


def test_shapes_in_use_are_read_as_before(shapes: dict[str, bytes]) -> None:
    for name, data in shapes.items():
        parsed = cms._parse_signed_data(data)
        assert parsed == _reference_parse(data), name
        assert parsed.content == (LARGE if name.endswith("large") else CONTENT)
    assert len(LARGE) > 4000


def _headers(data: bytes, pos: int, end: int, found: list[int], depth: int = 0) -> list[int]:
    """Where the tag and length octets of every TLV in ``data[pos:end]`` are (what a reader
    checks), descending into constructed values but not into certificates' insides."""
    while pos < end:
        tag, body, stop = der.head(data, pos, end)
        found.extend(range(pos, body))
        if tag & 0x20 and (depth < 4 or stop - body < 600):
            _headers(data, body, stop, found, depth + 1)
        pos = stop
    return found


def _mutations(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(7)
    try:  # mostly where the structure is: its headers
        headers = _headers(data, 0, len(data), [])
    except der.DerError:
        headers = []
    at = rng.choice(headers) if headers and rng.random() < 0.7 else rng.randrange(len(data))
    if choice == 0:  # one octet replaced
        return data[:at] + bytes((rng.randrange(256),)) + data[at + 1 :]
    if choice == 1:  # one octet nudged (lengths off by one, tags to their neighbours)
        return (
            data[:at]
            + bytes(((data[at] + rng.choice((-1, 1, 0x20, -0x20))) % 256,))
            + data[at + 1 :]
        )
    if choice == 2:  # cut short
        return data[:at]
    if choice == 3:  # octets inserted
        return data[:at] + rng.randbytes(rng.randrange(1, 4)) + data[at:]
    if choice == 4:  # a range dropped
        return data[:at] + data[at + rng.randrange(1, 40) :]
    if choice == 5:  # a range repeated (duplicate attributes, signers, fields)
        size = rng.randrange(1, 120)
        return data[: at + size] + data[at : at + size] + data[at + size :]
    return data + rng.randbytes(rng.randrange(1, 3))  # trailing octets


@pytest.mark.parametrize("seed", range(4))
def test_damaged_signed_data_is_refused_or_read_exactly_as_before(
    shapes: dict[str, bytes], seed: int
) -> None:
    rng = random.Random(seed)
    accepted = refused = 0
    for name, original in shapes.items():
        for _ in range(2500):
            data = original
            for _ in range(rng.choice((1, 1, 2, 3))):
                data = _mutations(data, rng) or data
            expected = _outcome(_reference_parse, data)
            assert _outcome(cms._parse_signed_data, data) == expected, (name, data.hex())
            if expected == "refused":
                refused += 1
            else:
                accepted += 1
    assert accepted
    assert refused


# --- hand-made shapes: every refusal, and the few accepted variations -----------------------

# A tree of [tag, children or content octets] lists, or raw octets (for broken headers).


def _tree(data: bytes, pos: int, end: int, depth: int = 0) -> list[object]:
    nodes: list[object] = []
    while pos < end:
        tag, body, stop = der.head(data, pos, end)
        # Certificates (large SEQUENCEs from depth 4) are kept whole.
        if tag & 0x20 and (depth < 4 or stop - body < 600 or tag != der.SEQUENCE):
            nodes.append([tag, _tree(data, body, stop, depth + 1)])
        else:
            nodes.append([tag, data[body:stop]])
        pos = stop
    return nodes


def _encode(nodes: list[object]) -> bytes:
    out = b""
    for node in nodes:
        if isinstance(node, bytes):
            out += node
            continue
        assert isinstance(node, list)
        tag, inner = node
        assert isinstance(tag, int)
        out += der.encode(tag, inner if isinstance(inner, bytes) else _encode(inner))
    return out


def _at(nodes: list[object], *path: int) -> list[object]:
    node = nodes[path[0]]
    for step in path[1:]:
        assert isinstance(node, list)
        node = node[1][step]
    assert isinstance(node, list)
    return node


# Paths into the sealer's SignedData tree.
CI = (0,)
SD = (0, 1, 0)
ENCAP = (*SD, 2)
SIGNER = (*SD, 4, 0)
ATTRS = (*SIGNER, 3)
OID_TLV = [der.OID, cms._ID_DATA]
MD5 = [der.OID, der.oid("1.2.840.113549.2.5")]


def _edit(*path: int, tag: int | None = None, children: object = None) -> object:
    """An edit of the node at ``path``: a new tag, and/or children computed from the old ones."""

    def apply(nodes: list[object]) -> None:
        node = _at(nodes, *path)
        if tag is not None:
            node[0] = tag
        if children is not None:
            assert callable(children)
            node[1] = children(node[1])

    return apply


EDITS: dict[str, tuple[bool, object]] = {
    # name: (accepted, edit)
    "as-is": (True, _edit(*CI)),
    "ci-not-sequence": (False, _edit(*CI, tag=der.SET)),
    "ci-empty": (False, _edit(*CI, children=lambda c: [])),
    "ci-one-field": (False, _edit(*CI, children=lambda c: c[:1])),
    "ci-three-fields": (False, _edit(*CI, children=lambda c: [*c, [der.NULL, b""]])),
    "ci-bad-third-header": (False, _edit(*CI, children=lambda c: [*c, b"\x05\x81\x01"])),
    "ci-type-wrong-tag": (False, _edit(0, 0, tag=der.OCTET_STRING)),
    "ci-type-not-signed-data": (False, _edit(0, 0, children=lambda c: cms._ID_DATA)),
    "ci-content-wrong-tag": (False, _edit(0, 1, tag=0xA1)),
    "ci-content-empty": (False, _edit(0, 1, children=lambda c: [])),
    "ci-content-two": (False, _edit(0, 1, children=lambda c: [*c, [der.NULL, b""]])),
    "ci-content-bad-second": (False, _edit(0, 1, children=lambda c: [*c, b"\x05"])),
    "sd-not-sequence": (False, _edit(*SD, tag=der.SET)),
    "sd-no-fields": (False, _edit(*SD, children=lambda c: [])),
    "sd-one-field": (False, _edit(*SD, children=lambda c: c[:1])),
    "sd-two-fields": (False, _edit(*SD, children=lambda c: c[:2])),
    "sd-three-fields": (False, _edit(*SD, children=lambda c: c[:3])),
    "sd-certs-then-nothing": (False, _edit(*SD, children=lambda c: c[:4])),
    "sd-crls-then-nothing": (False, _edit(*SD, children=lambda c: [*c[:4], [0xA1, b""]])),
    "sd-crls": (True, _edit(*SD, children=lambda c: [*c[:4], [0xA1, b""], c[4]])),
    "sd-crls-no-certs": (True, _edit(*SD, children=lambda c: [*c[:3], [0xA1, b""], c[4]])),
    "sd-no-certs": (True, _edit(*SD, children=lambda c: [*c[:3], c[4]])),
    "sd-other-certificate-choice": (
        True,
        _edit(*SD, 3, children=lambda c: [[0xA1, b"\x05\x00"], *c]),
    ),
    "sd-certs-bad-header": (False, _edit(*SD, 3, children=lambda c: [*c, b"\x30\x80"])),
    "sd-twice-certs": (False, _edit(*SD, children=lambda c: [*c[:4], c[3], c[4]])),
    "sd-two-certs-fields-only": (False, _edit(*SD, children=lambda c: [*c[:4], c[3]])),
    "sd-field-after-signers": (False, _edit(*SD, children=lambda c: [*c, [der.NULL, b""]])),
    "sd-bad-header-after-signers": (False, _edit(*SD, children=lambda c: [*c, b"\x05\x02"])),
    "encap-not-sequence": (False, _edit(*ENCAP, tag=der.SET)),
    "encap-empty": (False, _edit(*ENCAP, children=lambda c: [])),
    "encap-detached": (False, _edit(*ENCAP, children=lambda c: c[:1])),
    "encap-detached-type-wrong-tag": (
        False,
        _edit(*ENCAP, children=lambda c: [[der.OCTET_STRING, cms._ID_DATA]]),
    ),
    "encap-detached-not-data": (False, _edit(*ENCAP, children=lambda c: [MD5])),
    "encap-three-fields": (False, _edit(*ENCAP, children=lambda c: [*c, [der.NULL, b""]])),
    "encap-bad-third-header": (False, _edit(*ENCAP, children=lambda c: [*c, b"\x05"])),
    "encap-type-wrong-tag": (False, _edit(*ENCAP, 0, tag=der.OCTET_STRING)),
    "encap-not-data": (False, _edit(*ENCAP, 0, children=lambda c: MD5[1])),
    "econtent-wrong-tag": (False, _edit(*ENCAP, 1, tag=0xA1)),
    "econtent-empty": (False, _edit(*ENCAP, 1, children=lambda c: [])),
    "econtent-two": (False, _edit(*ENCAP, 1, children=lambda c: [*c, c[0]])),
    "econtent-bad-second": (False, _edit(*ENCAP, 1, children=lambda c: [*c, b"\x04\x05"])),
    "econtent-not-octets": (False, _edit(*ENCAP, 1, 0, tag=0x0C)),
    "signers-not-set": (False, _edit(*SD, 4, tag=der.SEQUENCE)),
    "signers-none": (False, _edit(*SD, 4, children=lambda c: [])),
    "signers-two": (False, _edit(*SD, 4, children=lambda c: [*c, *c])),
    "signers-three": (False, _edit(*SD, 4, children=lambda c: [*c, *c, *c])),
    "signers-bad-second": (False, _edit(*SD, 4, children=lambda c: [*c, b"\x30\x80"])),
    "signer-not-sequence": (False, _edit(*SIGNER, tag=der.SET)),
    **{
        f"signer-{n}-fields": (False, _edit(*SIGNER, children=lambda c, n=n: c[:n]))
        for n in range(6)
    },
    "signer-no-attributes": (True, _edit(*SIGNER, children=lambda c: [*c[:3], *c[4:]])),
    "signer-no-attributes-4-fields": (False, _edit(*SIGNER, children=lambda c: [*c[:3], c[4]])),
    "signer-unsigned-attributes": (True, _edit(*SIGNER, children=lambda c: [*c, [0xA1, b""]])),
    "signer-unsigned-bad-header": (False, _edit(*SIGNER, children=lambda c: [*c, b"\xa1\x01"])),
    "signer-no-attributes-unsigned": (
        True,
        _edit(*SIGNER, children=lambda c: [*c[:3], *c[4:], [0xA1, b""]]),
    ),
    "signature-not-octets": (False, _edit(*SIGNER, 5, tag=der.INTEGER)),
    "sid-ski": (True, _edit(*SIGNER, 1, tag=0x80, children=lambda c: b"\x01" * 20)),
    "sid-ski-constructed": (False, _edit(*SIGNER, 1, tag=0xA0, children=lambda c: [])),
    "sid-wrong-tag": (False, _edit(*SIGNER, 1, tag=der.OCTET_STRING, children=lambda c: b"1")),
    "sid-empty": (False, _edit(*SIGNER, 1, children=lambda c: [])),
    "sid-one-part": (False, _edit(*SIGNER, 1, children=lambda c: c[:1])),
    "sid-three-parts": (False, _edit(*SIGNER, 1, children=lambda c: [*c, c[1]])),
    "sid-bad-third-header": (False, _edit(*SIGNER, 1, children=lambda c: [*c, b"\x02"])),
    "sid-issuer-wrong-tag": (False, _edit(*SIGNER, 1, 0, tag=der.SET)),
    "sid-serial-wrong-tag": (False, _edit(*SIGNER, 1, 1, tag=der.OCTET_STRING)),
    "sid-serial-negative": (True, _edit(*SIGNER, 1, 1, children=lambda c: b"\xff\x01")),
    "digest-not-sequence": (False, _edit(*SIGNER, 2, tag=der.SET)),
    "digest-empty": (False, _edit(*SIGNER, 2, children=lambda c: [])),
    "digest-no-parameters": (True, _edit(*SIGNER, 2, children=lambda c: c[:1])),
    "digest-unknown": (True, _edit(*SIGNER, 2, children=lambda c: [MD5, c[1]])),
    "digest-unknown-no-parameters": (True, _edit(*SIGNER, 2, children=lambda c: [MD5])),
    "digest-three-parts": (False, _edit(*SIGNER, 2, children=lambda c: [*c, c[1]])),
    "digest-bad-third-header": (False, _edit(*SIGNER, 2, children=lambda c: [*c, b"\x05"])),
    "digest-parameters-not-null": (
        False,
        _edit(*SIGNER, 2, children=lambda c: [c[0], [der.OCTET_STRING, b""]]),
    ),
    "digest-null-with-content": (
        False,
        _edit(*SIGNER, 2, children=lambda c: [c[0], [der.NULL, b"\x00"]]),
    ),
    "digest-oid-wrong-tag": (
        False,
        _edit(*SIGNER, 2, children=lambda c: [[der.OCTET_STRING, cms._SHA256], c[1]]),
    ),
    "digest-oid-wrong-tag-alone": (
        False,
        _edit(*SIGNER, 2, children=lambda c: [[der.OCTET_STRING, cms._SHA256]]),
    ),
    "signature-algorithm-bad": (False, _edit(*SIGNER, 4, children=lambda c: [])),
    "signature-algorithm-sha256": (
        True,
        _edit(*SIGNER, 4, children=lambda c: [[der.OID, der.oid("1.2.840.113549.1.1.11")]]),
    ),
    "attrs-none": (True, _edit(*ATTRS, children=lambda c: [])),
    "attrs-bad-header": (False, _edit(*ATTRS, children=lambda c: [*c, b"\x30\x81\x05"])),
    "attr-not-sequence": (False, _edit(*ATTRS, 1, tag=der.SET)),
    "attr-empty": (False, _edit(*ATTRS, 1, children=lambda c: [])),
    "attr-one-part": (False, _edit(*ATTRS, 1, children=lambda c: c[:1])),
    "attr-three-parts": (False, _edit(*ATTRS, 1, children=lambda c: [*c, c[1]])),
    "attr-bad-third-header": (False, _edit(*ATTRS, 1, children=lambda c: [*c, b"\x31"])),
    "attr-type-wrong-tag": (False, _edit(*ATTRS, 1, 0, tag=der.OCTET_STRING)),
    "attr-values-wrong-tag": (False, _edit(*ATTRS, 1, 1, tag=der.SEQUENCE)),
    "attr-no-values": (False, _edit(*ATTRS, 1, 1, children=lambda c: [])),
    "attr-two-values": (False, _edit(*ATTRS, 1, 1, children=lambda c: [*c, *c])),
    "attr-bad-second-value": (False, _edit(*ATTRS, 1, 1, children=lambda c: [*c, b"\x17"])),
    "signing-time-generalized": (
        True,
        _edit(*ATTRS, 1, 1, children=lambda c: [[der.GENERALIZED_TIME, b"20500101000000Z"]]),
    ),
    "signing-time-long": (
        True,
        _edit(*ATTRS, 1, 1, children=lambda c: [[der.UTC_TIME, bytes(14)]]),
    ),
    "attr-twice": (False, _edit(*ATTRS, children=lambda c: [*c, c[1]])),
    "content-type-twice": (False, _edit(*ATTRS, children=lambda c: [*c, c[0]])),
    "message-digest-twice": (False, _edit(*ATTRS, children=lambda c: [*c, c[2]])),
    "content-type-other": (True, _edit(*ATTRS, 0, 1, children=lambda c: [MD5])),
    "content-type-other-twice": (
        False,
        _edit(*ATTRS, children=lambda c: [*c, [c[0][0], [c[0][1][0], [der.SET, [MD5]]]]]),
    ),
    "content-type-wrong-tag": (
        False,
        _edit(*ATTRS, 0, 1, children=lambda c: [[der.OCTET_STRING, cms._ID_DATA]]),
    ),
    "content-type-two-values": (False, _edit(*ATTRS, 0, 1, children=lambda c: [*c, *c])),
    "message-digest-sha512-size": (
        True,
        _edit(*ATTRS, 2, 1, children=lambda c: [[der.OCTET_STRING, bytes(64)]]),
    ),
    "message-digest-short": (
        True,
        _edit(*ATTRS, 2, 1, children=lambda c: [[der.OCTET_STRING, bytes(31)]]),
    ),
    "message-digest-wrong-tag": (
        False,
        _edit(*ATTRS, 2, 1, children=lambda c: [[der.OID, bytes(32)]]),
    ),
    "message-digest-two-values": (False, _edit(*ATTRS, 2, 1, children=lambda c: [*c, *c])),
    "message-digest-other-twice": (
        False,
        _edit(*ATTRS, children=lambda c: [*c, [c[2][0], [c[2][1][0], [der.SET, [[4, b"x"]]]]]]),
    ),
}


def _edited(original: bytes, name: str) -> bytes:
    tree = _tree(original, 0, len(original))
    edit = EDITS[name][1]
    assert callable(edit)
    edit(tree)
    return _encode(tree)


@pytest.mark.parametrize("shape", ["sealer", "sealer-large"])
@pytest.mark.parametrize("name", EDITS)
def test_hand_made_shapes_are_judged_as_before(
    shapes: dict[str, bytes], name: str, shape: str
) -> None:
    data = _edited(shapes[shape], name)
    expected = _outcome(_reference_parse, data)
    assert _outcome(cms._parse_signed_data, data) == expected
    assert (expected != "refused") is EDITS[name][0]


def _verdict(data: bytes) -> object:
    """What `_parse_signed_data` reads, or why it refuses."""
    try:
        return cms._parse_signed_data(data)
    except (ValueError, IndexError) as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("shape", ["sealer", "sealer-large", "builder-sha256"])
def test_damage_from_the_signed_attributes_on_is_judged_as_the_reference(
    shapes: dict[str, bytes], shape: str
) -> None:
    """Same-length damage from the signed attributes on (where `Sealer`'s attributes are
    recognised whole): the verdicts are the reference's."""
    original = shapes[shape]
    parsed = cms._parse_signed_data(original)
    assert parsed.signed_attrs is not None
    start = original.rindex(parsed.signed_attrs)  # the fourth SignerInfo field
    headers = [at for at in _headers(original, 0, len(original), []) if at >= start]
    rng = random.Random(shape)
    cases: list[bytes] = []
    # The signed attributes' header claiming all that follows: "SignerInfo is incomplete".
    tag, body, _ = der.head(original, start, len(original))
    rest = len(original) - start - 4
    assert tag == 0xA0
    assert 0x100 <= rest < 0x10000
    grown = bytes((0xA0, 0x82)) + rest.to_bytes(2, "big")
    cases.append(original[:start] + grown + original[body : body + rest])
    for _ in range(1500):
        damaged = bytearray(original)
        for _ in range(rng.choice((1, 1, 2, 3))):
            at = rng.choice(headers) if rng.random() < 0.7 else rng.randrange(start, len(original))
            damaged[at] = rng.randrange(256) if rng.random() < 0.5 else (damaged[at] + 1) % 256
        cases.append(bytes(damaged))
    accepted = 0
    for data in cases:
        assert len(data) == len(original)
        verdict = _verdict(data)
        expected = _outcome(_reference_parse, data)
        assert (verdict if isinstance(verdict, cms._SignedData) else "refused") == expected
        accepted += isinstance(verdict, cms._SignedData)
    assert _verdict(cases[0]) == "DerError: SignerInfo is incomplete"
    assert 0 < accepted < len(cases)


@pytest.mark.parametrize(
    "data", [b"", b"\x30", b"\x30\x00\x00", b"\x30\x80\x00\x00", b"\x31\x00", b"\x30\x00"]
)
def test_not_a_content_info_is_refused_as_before(data: bytes) -> None:
    assert _outcome(cms._parse_signed_data, data) == _outcome(_reference_parse, data) == "refused"


def test_head_reads_and_refuses_as_the_children_reader() -> None:
    """`der.head` against `der._tlvs` on headers of every length form, valid or not."""
    rng = random.Random(7)
    samples = [
        b"\x04\x81\x80" + bytes(128),
        b"\x04\x82\x01\x00" + bytes(256),
        b"\x04\x83\x01\x00\x00" + bytes(65536),
        b"\x04\x84\x00\x01\x00\x00",
        b"\x04\x85\x01\x00\x00\x00\x00",
        b"\x04\x82\x00\x80" + bytes(128),
        b"\x04\x81\x7f" + bytes(127),
        b"\x1f\x01\x00",
    ]
    for _ in range(20000):
        size = rng.randrange(2, 8)
        samples.append(rng.randbytes(size) + bytes(rng.choice((0, 1, 127, 128, 300))))
    for data in samples:
        try:
            (tag, _, body, stop), *_ = der._tlvs(data, 0, len(data), first_only=True)
            expected: object = (tag, body, stop)
        except der.DerError as exc:
            expected = str(exc)
        try:
            found: object = der.head(data, 0, len(data))
        except der.DerError as exc:
            found = str(exc)
        assert found == expected, data[:8].hex()
