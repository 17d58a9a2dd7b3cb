"""The verifier's cheaper checks against the code they replaced: same verdict, same words.

`Verifier` reads the ID attributes of the five signature elements outside `SignedInfo` directly
(searching `SignedInfo` only when its canonical bytes hold ``id="`` in any case), looks for
``id="`` in the canonical document with a look-behind instead of in a lowered copy, decodes
base64 on a strict fast path, compares a node list's tags in one go and remembers the last signer
certificate.

The references below are the code before, kept verbatim as oracles. A verifier built on them
and the verifier as it is (fresh, and warm — its caches filled by good messages) must end every
case the same way: the same error class, reason and message, or the same signed bytes and
signer. The cases put ID attributes in every spelling on every element of the signature and of
the document, alone and in pairs, give `SignatureValue`, `X509Certificate` and `DigestValue`
children, put comments, processing instructions and text between the signature's elements, damage
the base64, and replay the wrapping attacks of ``test_xmldsig``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import functools
import hashlib
import itertools
import random
from collections.abc import Callable, Iterator, Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from digidialog.security import (
    CertificateValidator,
    InMemoryResolver,
    InvalidCertificateError,
    KeyPurpose,
    Signer,
    SpoofingError,
    Verifier,
    xmldsig,
)
from digidialog.security.devpki import DevPki
from digidialog.security.xmldsig import _ID_VALUES, _fail

from .conftest import MESSAGE, MSGHEAD_NS
from .test_xmldsig import XSW

DS = "http://www.w3.org/2000/09/xmldsig#"
XML = "http://www.w3.org/XML/1998/namespace"
NS = {"ds": DS, "m": MSGHEAD_NS}
NOW = dt.datetime.now(dt.UTC)


# --- the code before, verbatim ----------------------------------------------------------------


def _reference_children(
    element: etree._Element, expected: Sequence[str], source: str | None
) -> list[etree._Element]:
    nodes = list(element)
    children = nodes
    if len(nodes) != len(expected) or not all(
        c.tag == t for c, t in zip(nodes, expected, strict=True)
    ):
        children = [c for c in nodes if isinstance(c.tag, str)]
        if [c.tag for c in children] != list(expected):
            found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
            wanted = ", ".join(etree.QName(t).localname for t in expected)
            raise _fail(
                "unexpected-structure",
                f"{etree.QName(element).localname} holds {found}; the profile allows exactly "
                f"{wanted}",
                source,
            )
    if (element.text and element.text.strip()) or any(c.tail and c.tail.strip() for c in nodes):
        raise _fail(
            "unexpected-structure",
            f"{etree.QName(element).localname} contains stray text",
            source,
        )
    return children


def _reference_b64(element: etree._Element, what: str, source: str | None) -> bytes:
    try:
        return base64.b64decode("".join((element.text or "").split()), validate=True)
    except binascii.Error as exc:
        raise _fail("unexpected-structure", f"{what} is not base64: {exc}", source) from exc


def _reference_no_strays(
    root: etree._Element, signature: etree._Element, signed: bytes, source: str | None
) -> None:
    if xmldsig._DS_URI in signed and next(root.iter(f"{{{DS}}}*"), None) is not None:
        raise _fail(
            "stray-xmldsig-element",
            "XML-DSig elements (ds:Object, ds:Manifest, …) appear outside the signature",
            source,
        )
    ids: list[str] = [str(v) for v in _ID_VALUES(signature)]  # type: ignore[union-attr]
    if b'id="' in signed.lower():
        ids += [str(v) for v in _ID_VALUES(root)]  # type: ignore[union-attr]
    if len(ids) != len(set(ids)):
        duplicates = sorted({v for v in ids if ids.count(v) > 1})
        raise _fail(
            "duplicate-id",
            f"ID value(s) {', '.join(duplicates)} appear more than once (Id/ID/id/xml:id)",
            source,
        )


class _ReferenceVerifier(Verifier):
    """`Verifier` with the checks as they were: no memo of the last certificate, the whole
    signature searched for IDs (and `_children`/`_b64` patched in by
    `_reference_outcome`)."""

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
        _reference_no_strays(root, outside_signed_info[0], signed, source)

    def _certificate(
        self, element: etree._Element, source: str | None
    ) -> tuple[x509.Certificate, rsa.RSAPublicKey]:
        self._last_cert = None
        return super()._certificate(element, source)


# --- outcomes ---------------------------------------------------------------------------------

Outcome = tuple[object, ...]


def _outcome(verify: Callable[[], xmldsig.VerifiedXml]) -> Outcome:
    try:
        result = verify()
    except Exception as exc:  # every error, not only ours: a ValueError must stay a ValueError
        return type(exc).__name__, getattr(exc, "reason", None), str(exc)
    return "ok", result.signed_xml, result.signer.public_bytes(Encoding.DER)


def _reference_outcome(
    validator: CertificateValidator, resolver: object, data: bytes, sender: str | None
) -> Outcome:
    verifier = _ReferenceVerifier(validator, resolver=resolver)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xmldsig, "_children", _reference_children)
        patch.setattr(xmldsig, "_b64", _reference_b64)
        return _outcome(
            lambda: verifier.verify(data, expected_sender=sender, verification_time=NOW)
        )


class _Judges:
    """The reference, a fresh verifier per case and one warm verifier, on one validator."""

    def __init__(self, pki: DevPki) -> None:
        self.validator = CertificateValidator(pki.trust_store())
        self.resolver = pki.resolver()
        self.warm = Verifier(self.validator, resolver=self.resolver)
        good = Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)
        other = Signer(pki.gp_office.signing.key, pki.gp_office.signing.certificate)
        for data in (good.sign(MESSAGE), other.sign(MESSAGE), good.sign(MESSAGE)):
            self.warm.verify(data, verification_time=NOW)

    def agree(self, data: bytes, sender: str | None = None) -> Outcome:
        expected = _reference_outcome(self.validator, self.resolver, data, sender)
        fresh = Verifier(self.validator, resolver=self.resolver)
        for verifier in (fresh, self.warm, fresh):  # fresh twice: its caches were just filled
            got = _outcome(
                functools.partial(
                    verifier.verify, data, expected_sender=sender, verification_time=NOW
                )
            )
            assert got == expected
        return expected


@pytest.fixture(scope="module")
def judges(pki: DevPki) -> _Judges:
    return _Judges(pki)


# --- editing signed documents -----------------------------------------------------------------


def _signature(root: etree._Element) -> etree._Element:
    sig = root.find("ds:Signature", NS)
    assert sig is not None
    return sig


def _resign(root: etree._Element, pki: DevPki) -> None:
    """A valid digest of the edited document and signature over the edited SignedInfo, so only
    the check under test refuses."""
    unsigned = copy.deepcopy(root)
    sig = _signature(unsigned)
    previous = sig.getprevious()
    assert previous is not None
    previous.tail = (previous.tail or "") + (sig.tail or "")
    unsigned.remove(sig)
    document = etree.tostring(
        unsigned.getroottree(), method="c14n", exclusive=True, with_comments=False
    )
    sig = _signature(root)
    digest = sig.find("ds:SignedInfo/ds:Reference/ds:DigestValue", NS)
    assert digest is not None
    digest.text = base64.b64encode(hashlib.sha256(document).digest()).decode()
    signed_info = sig.find("ds:SignedInfo", NS)  # not sig[0]: that may be a comment
    assert signed_info is not None
    canonical = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    value = pki.helsenorge.signing.key.sign(canonical, padding.PKCS1v15(), hashes.SHA256())
    node = sig.find("ds:SignatureValue", NS)
    assert node is not None
    node.text = base64.b64encode(value).decode()


# Where an attribute goes: the document's elements and every element of the signature.
PLACES: dict[str, str] = {
    "MsgHead": ".",
    "MsgInfo": "m:MsgInfo",
    "Amount": "m:MsgInfo/m:Amount",
    "Document": "m:Document",
    "Dialogmelding": ".//*[local-name()='Dialogmelding']",
    "Signature": "ds:Signature",
    "SignedInfo": "ds:Signature/ds:SignedInfo",
    "CanonicalizationMethod": "ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod",
    "SignatureMethod": "ds:Signature/ds:SignedInfo/ds:SignatureMethod",
    "Reference": "ds:Signature/ds:SignedInfo/ds:Reference",
    "Transforms": "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms",
    "Transform1": "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform[1]",
    "Transform2": "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform[2]",
    "DigestMethod": "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod",
    "DigestValue": "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue",
    "SignatureValue": "ds:Signature/ds:SignatureValue",
    "KeyInfo": "ds:Signature/ds:KeyInfo",
    "X509Data": "ds:Signature/ds:KeyInfo/ds:X509Data",
    "X509Certificate": "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate",
}
# ID spellings (Id, ID, id, xml:id, any namespace) and look-alikes that are not IDs.
SPELLINGS = (
    "Id",
    "ID",
    "id",
    f"{{{XML}}}id",
    "{urn:x}Id",
    "{urn:x}ID",
    "{urn:x}id",
    "iD",
    "{urn:x}iD",
    "Ids",
    "xid",
)


def _at(root: etree._Element, place: str) -> etree._Element:
    found = root.xpath(PLACES[place], namespaces=NS)
    assert isinstance(found, list)
    assert len(found) == 1, place
    element = found[0]
    assert isinstance(element, etree._Element), place
    return element


def _with_attributes(
    signed: bytes, pki: DevPki, attributes: Sequence[tuple[str, str, str]]
) -> bytes:
    root = etree.fromstring(signed)
    for place, name, value in attributes:
        _at(root, place).set(name, value)
    _resign(root, pki)
    return etree.tostring(root)


def _edited(signed: bytes, pki: DevPki, edit: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(signed)
    edit(root)
    _resign(root, pki)
    return etree.tostring(root)


# --- the cases --------------------------------------------------------------------------------


def test_one_id_attribute_anywhere(judges: _Judges, signed: bytes, pki: DevPki) -> None:
    verdicts = set()
    for place, name in itertools.product(PLACES, SPELLINGS):
        outcome = judges.agree(_with_attributes(signed, pki, [(place, name, "a")]))
        verdicts.add(outcome[1] if outcome[0] != "ok" else "ok")
    assert "ok" in verdicts
    assert "refused-reference" in verdicts  # a Reference attribute other than URI and Id


def test_the_same_id_value_in_two_places(judges: _Judges, signed: bytes, pki: DevPki) -> None:
    rng = random.Random(1216)
    reasons: dict[str, int] = {}
    for first, second in itertools.product(PLACES, repeat=2):
        names = rng.sample(SPELLINGS, 2)
        outcome = judges.agree(
            _with_attributes(signed, pki, [(first, names[0], "x"), (second, names[1], "x")])
        )
        reason = str(outcome[1]) if outcome[0] != "ok" else "ok"
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons["duplicate-id"] > 100
    assert reasons["ok"] > 10  # look-alikes, or both names on one element (one wins)


def test_ids_in_three_places_at_random(judges: _Judges, signed: bytes, pki: DevPki) -> None:
    rng = random.Random(8093248)
    for _ in range(150):
        attributes = [
            (rng.choice(list(PLACES)), rng.choice(SPELLINGS), rng.choice("xyz")) for _ in range(3)
        ]
        judges.agree(_with_attributes(signed, pki, attributes))


def _child(place: str, make: Callable[[], etree._Element]) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        _at(root, place).append(make())

    return edit


def _text_between(place: str, index: int, text: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        element = _at(root, place)
        if index < 0:
            element.text = text
        else:
            element[index].tail = text

    return edit


def _node_between(
    place: str, index: int, make: Callable[[], etree._Element]
) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        _at(root, place).insert(index, make())

    return edit


def _structures() -> Iterator[tuple[str, Callable[[etree._Element], None]]]:
    def with_id(tag: str, value: str = "x") -> Callable[[], etree._Element]:
        return lambda: etree.Element(tag, Id=value)

    def comment() -> etree._Element:
        return etree.Comment(" c ")

    def pi() -> etree._Element:
        return etree.ProcessingInstruction("pi", "Id='x'")

    for place in ("SignatureValue", "X509Certificate", "DigestValue", "KeyInfo", "X509Data"):
        yield f"{place}: child with an Id", _child(place, with_id("{urn:x}c"))
        yield f"{place}: ds child with an Id", _child(place, with_id(f"{{{DS}}}Object"))
        yield f"{place}: comment", _child(place, comment)
        yield f"{place}: processing instruction", _child(place, pi)
    for place, count in (("Signature", 3), ("KeyInfo", 1), ("X509Data", 1), ("SignedInfo", 3)):
        for index in range(-1, count):
            for text in ("\n  ", "\xa0", "\u200b", "x", ""):
                yield f"{place}: text {text!r} at {index}", _text_between(place, index, text)
        for index in range(count + 1):
            yield f"{place}: comment at {index}", _node_between(place, index, comment)
            yield f"{place}: PI at {index}", _node_between(place, index, pi)
            yield (
                f"{place}: element at {index}",
                _node_between(place, index, with_id(f"{{{DS}}}KeyName")),
            )

    def two_ids(root: etree._Element) -> None:
        _at(root, "SignatureValue").append(etree.Element("{urn:x}c", Id="x"))
        _at(root, "MsgInfo").set("ID", "x")

    yield "SignatureValue child repeats a document ID", two_ids

    def cert_child_repeats(root: etree._Element) -> None:
        _at(root, "X509Certificate").append(etree.Element("{urn:x}c", id="y"))
        _at(root, "Signature").set("Id", "y")

    yield "X509Certificate child repeats the Signature's Id", cert_child_repeats

    def digest_child_repeats(root: etree._Element) -> None:
        _at(root, "DigestValue").append(etree.Element("{urn:x}c", id="z"))
        _at(root, "KeyInfo").set(f"{{{XML}}}id", "z")

    yield "DigestValue child repeats the KeyInfo's xml:id", digest_child_repeats

    def ds_namespace_declared_unused(root: etree._Element) -> None:
        msg_info = _at(root, "MsgInfo")
        holder = etree.SubElement(msg_info, f"{{{MSGHEAD_NS}}}X", nsmap={"ds": DS})
        holder.set(f"{{{DS}}}Id", "q")

    yield "ds-namespaced Id attribute in the document", ds_namespace_declared_unused

    def ds_element_in_document(root: etree._Element) -> None:
        etree.SubElement(_at(root, "Document"), f"{{{DS}}}Manifest", Id="m")

    yield "ds:Manifest in the document", ds_element_in_document

    def id_lookalike_text(root: etree._Element) -> None:
        _at(root, "Amount").tail = 'Id="a" iD="a" id="a" ID="a"'

    yield "ID look-alikes in the document's text", id_lookalike_text


STRUCTURES = dict(_structures())


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_structure_around_the_signature_elements(
    judges: _Judges, signed: bytes, pki: DevPki, name: str
) -> None:
    judges.agree(_edited(signed, pki, STRUCTURES[name]))


def _base64_cases() -> Iterator[tuple[str, str, Callable[[str], str]]]:
    for place in ("SignatureValue", "DigestValue", "X509Certificate"):
        yield place, "as is", lambda t: t
        yield (
            place,
            "wrapped at 64",
            lambda t: "\n".join(t[i : i + 64] for i in range(0, len(t), 64)),
        )
        yield place, "blanks around", lambda t: f"\n   {t}\n  "
        yield place, "tab inside", lambda t: t[:8] + "\t" + t[8:]
        yield place, "no-break space inside", lambda t: t[:8] + "\xa0" + t[8:]
        yield place, "non-ASCII letter", lambda t: t[:8] + "å" + t[9:]
        yield place, "padding dropped", lambda t: t.rstrip("=")
        yield place, "padding doubled", lambda t: t + "=="
        yield place, "data after padding", lambda t: t + "QQ=="
        yield place, "a character off the alphabet", lambda t: t[:8] + "-" + t[9:]
        yield place, "one character short", lambda t: t[:-5] + t[-4:]
        yield place, "empty", lambda t: ""


BASE64 = {f"{place}: {what}": (place, change) for place, what, change in _base64_cases()}


@pytest.mark.parametrize("name", sorted(BASE64))
def test_base64_in_the_signature(judges: _Judges, signed: bytes, name: str) -> None:
    place, change = BASE64[name]
    root = etree.fromstring(signed)
    element = _at(root, place)
    element.text = change(element.text or "")
    judges.agree(etree.tostring(root))  # not re-signed: the values themselves are under test


@pytest.mark.parametrize("attack", sorted(XSW))
def test_wrapping_attacks(judges: _Judges, signed: bytes, attack: str) -> None:
    tree = etree.fromstring(signed).getroottree()
    XSW[attack][0](tree)
    assert judges.agree(etree.tostring(tree))[1] == XSW[attack][1]


def test_signers_and_senders(judges: _Judges, pki: DevPki) -> None:
    hn, gp = pki.helsenorge, pki.gp_office
    by_hn = Signer(hn.signing.key, hn.signing.certificate).sign(MESSAGE)
    by_gp = Signer(gp.signing.key, gp.signing.certificate).sign(MESSAGE)
    for _ in range(3):  # alternating signers: the last-certificate memo changes every time
        for data in (by_hn, by_gp):
            for sender in (None, hn.her_id, gp.her_id, "999999"):
                judges.agree(data, sender)


# --- the pieces one by one --------------------------------------------------------------------


def test_id_hint_says_what_a_lowered_copy_says() -> None:
    alphabet = b'iIdD="x'
    for size in range(7):
        for letters in itertools.product(alphabet, repeat=size):
            data = bytes(letters)
            assert xmldsig._may_hold_ids(data) == (b'id="' in data.lower()), data
    rng = random.Random(4)
    noisy = alphabet + b" <>:/\xc3\xa5\n"
    for _ in range(20000):
        data = bytes(rng.choice(noisy) for _ in range(rng.randrange(40)))
        assert xmldsig._may_hold_ids(data) == (b'id="' in data.lower()), data


def _error(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:
        return type(exc).__name__, getattr(exc, "reason", None), str(exc)


def test_base64_fast_path_decodes_and_refuses_as_before() -> None:
    rng = random.Random(99)
    alphabet = "AQgw+/=" + "  \n\t\r\xa0\u2003å-"
    element = etree.Element("{urn:x}v")
    cases = ["", "QQ==", "QUJD", "QQ=", "QQ==QQ==", "=", "==", "===", "A", "AB", "ABC"]
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(14))) for _ in range(20000)]
    for text in cases:
        element.text = text
        new = _error(lambda: xmldsig._b64(element, "Value", "s.xml"))
        old = _error(lambda: _reference_b64(element, "Value", "s.xml"))
        assert new == old, repr(text)


def test_children_are_judged_as_before() -> None:
    rng = random.Random(7)
    tags = [f"{{{DS}}}SignedInfo", f"{{{DS}}}SignatureValue", f"{{{DS}}}KeyInfo"]
    texts = [None, "", " \n ", "\xa0", "\u200b", "x"]
    makers: list[Callable[[], etree._Element]] = [
        *(functools.partial(etree.Element, t) for t in tags),
        lambda: etree.Element("{urn:x}Other"),
        lambda: etree.Comment("c"),
        lambda: etree.ProcessingInstruction("p", "d"),
    ]
    expectations = [tags, tags[:1], [], [tags[0], tags[0]]]
    for _ in range(5000):
        parent = etree.Element(f"{{{DS}}}Signature")
        parent.text = rng.choice(texts)
        for _ in range(rng.choice([0, 1, 2, 3, 3, 3, 4])):
            node = rng.choice(makers)()
            node.tail = rng.choice(texts)
            parent.append(node)
        if rng.random() < 0.5:  # mostly the expected children, so the pass path is exercised
            for child in list(parent):
                parent.remove(child)
            for tag in tags:
                etree.SubElement(parent, tag).tail = rng.choice(texts)
        for expected in expectations:
            new = _error(functools.partial(xmldsig._children, parent, expected, None))
            old = _error(functools.partial(_reference_children, parent, expected, None))
            assert new == old


# --- the sender memo --------------------------------------------------------------------------


def test_a_sender_dropped_from_the_register_is_refused_after_a_pass(
    pki: DevPki, signed: bytes
) -> None:
    """The memo holds for one tuple object only: a resolver that answers with a new tuple (a
    refreshed register) is searched again, and a list is searched every time."""
    hn, gp = pki.helsenorge, pki.gp_office
    register: dict[str, Sequence[x509.Certificate]] = {hn.her_id: (hn.signing.certificate,)}

    class Register:
        def certificates(self, her_id: str, purpose: KeyPurpose) -> Sequence[x509.Certificate]:
            return register.get(her_id, ())

    verifier = Verifier(CertificateValidator(pki.trust_store()), resolver=Register())
    for _ in range(3):
        verifier.verify(signed, expected_sender=hn.her_id)
    register[hn.her_id] = (gp.signing.certificate,)
    with pytest.raises(SpoofingError):
        verifier.verify(signed, expected_sender=hn.her_id)
    register[hn.her_id] = ()
    with pytest.raises(InvalidCertificateError) as info:
        verifier.verify(signed, expected_sender=hn.her_id)
    assert info.value.reason == "unknown-sender"

    listed = [hn.signing.certificate]
    register[hn.her_id] = listed
    for _ in range(3):
        verifier.verify(signed, expected_sender=hn.her_id)
    listed[0] = gp.signing.certificate  # the same list object, changed in place
    with pytest.raises(SpoofingError):
        verifier.verify(signed, expected_sender=hn.her_id)


def test_in_memory_resolver_agrees_with_the_reference(pki: DevPki, signed: bytes) -> None:
    hn = pki.helsenorge
    resolver = InMemoryResolver({hn.her_id: {KeyPurpose.SIGNING: [hn.signing.certificate]}})
    validator = CertificateValidator(pki.trust_store())
    verifier = Verifier(validator, resolver=resolver)
    for sender in (hn.her_id, hn.her_id, "123", None):
        expected = _reference_outcome(validator, resolver, signed, sender)
        got = _outcome(
            functools.partial(
                verifier.verify, signed, expected_sender=sender, verification_time=NOW
            )
        )
        assert got == expected
    without = Verifier(validator)  # an expected sender but no resolver: a usage error
    assert _outcome(lambda: without.verify(signed, expected_sender=hn.her_id)) == (
        _reference_outcome(validator, None, signed, hn.her_id)
    )
