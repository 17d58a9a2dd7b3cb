"""Malformed certificates are refused with a transport error, never a `cryptography` exception.

`cryptography` decodes a certificate's fields on first use, so a certificate that loads can still
raise `ValueError`, `UnsupportedAlgorithm` or `DuplicateExtension` wherever a field is first read,
and an unknown version raises `InvalidVersion` (no `ValueError`) from loading itself. The
certificates here are well signed but carry one such defect each; in a message they must be refused
before the signature is checked (the CMS certificates field is not signed at all), and given by the
caller they must be refused by name.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from digidialog.cli.main import main
from digidialog.errors import UsageError
from digidialog.security import (
    CertificateResolver,
    CertificateValidator,
    InMemoryResolver,
    InvalidCertificateError,
    InvalidCmsError,
    KeyPurpose,
    Opener,
    Sealer,
    Signer,
    TrustStore,
    Verifier,
)
from digidialog.security import der as asn1
from digidialog.security.certificates import check_key_usage, check_rsa_key, describe
from digidialog.security.devpki import DevPki
from digidialog.security.keys import load_certificates

from . import x509make
from .conftest import MESSAGE, write

# Same-length byte swaps inside the TBSCertificate (the certificate is re-signed afterwards), so
# the result can replace the original in place, inside a SignedData too.
RSA_ENCRYPTION = bytes.fromhex("06092a864886f70d010101")
UNKNOWN_KEY_ALGORITHM = bytes.fromhex("06092a864886f70d010163")  # 1.2.840.113549.1.1.99
SKI = bytes.fromhex("0603551d0e")
KEY_USAGE = bytes.fromhex("0603551d0f")
SKI_VALUE = bytes.fromhex("0603551d0e04160414")  # extnID, extnValue { OCTET STRING (20) }
SKI_AS_INTEGER = bytes.fromhex("0603551d0e04160214")  # ... { INTEGER (20) }: does not decode
CN_UTF8 = bytes.fromhex("06035504030c08")  # commonName, UTF8String of 8 ("attacker")
CN_BOOLEAN = bytes.fromhex("06035504030108")  # commonName, a BOOLEAN of 8 octets
VERSION_3 = bytes.fromhex("a003020102")
VERSION_16 = bytes.fromhex("a003020110")

# Variant -> (the bytes to replace, the replacement, which occurrence: the issuer comes first).
VARIANTS: dict[str, tuple[bytes, bytes, int]] = {
    "unknown-key-algorithm": (RSA_ENCRYPTION, UNKNOWN_KEY_ALGORITHM, 0),  # UnsupportedAlgorithm
    "version-16": (VERSION_3, VERSION_16, 0),  # InvalidVersion, from loading itself
    "duplicate-extension": (SKI, KEY_USAGE, 0),  # DuplicateExtension (two keyUsage)
    "unparsable-extension": (SKI_VALUE, SKI_AS_INTEGER, 0),  # ValueError from .extensions
    "unparsable-issuer": (CN_UTF8, CN_BOOLEAN, 0),  # ValueError from .issuer
    "unparsable-subject": (CN_UTF8, CN_BOOLEAN, 1),  # ValueError from .subject
}
SHA256_WITH_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest().upper()  # a thumbprint, not a MAC


@pytest.fixture
def no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI as users run it: no traceback asked for, so a bug would show as "internal error"."""
    monkeypatch.delenv("DIGIDIALOG_TRACEBACK", raising=False)


@pytest.fixture(scope="module")
def attacker() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A self-issued RSA-2048 key and certificate (CN=attacker, nonRepudiation and
    keyEncipherment, a subject key identifier): anyone can make one."""
    key = x509make.key()
    usage = x509make.key_usage(
        digital_signature=True, content_commitment=True, key_encipherment=True
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = x509make.certificate("attacker", key, usage=usage, extensions=[(ski, False)])
    return key, cert


def malformed(key: rsa.RSAPrivateKey, cert: x509.Certificate, variant: str) -> bytes:
    """``cert`` with the defect ``variant`` names, re-signed by ``key`` (same length)."""
    old, new, occurrence = VARIANTS[variant]
    tbs = cert.tbs_certificate_bytes
    starts = [m.start() for m in re.finditer(re.escape(old), tbs)]
    at = starts[occurrence]
    tbs = tbs[:at] + new + tbs[at + len(old) :]
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    bad = asn1.encode(asn1.SEQUENCE, tbs + SHA256_WITH_RSA + asn1.encode(0x03, b"\x00" + signature))
    assert len(bad) == len(_der(cert))
    return bad


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def bad_der(attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], variant: str) -> bytes:
    return malformed(*attacker, variant)


LOADABLE = sorted(set(VARIANTS) - {"version-16"})
"""The variants a caller can hand over: a version-16 certificate does not even load."""


@pytest.fixture(scope="module", params=LOADABLE)
def bad_cert(
    request: pytest.FixtureRequest, attacker: tuple[rsa.RSAPrivateKey, x509.Certificate]
) -> x509.Certificate:
    """A malformed certificate as a caller would hand it over (it loads; reading fails)."""
    return x509.load_der_x509_certificate(malformed(*attacker, str(request.param)))


def test_every_variant_fails_in_cryptography_as_described(
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate],
) -> None:
    """The fixtures do break what they say (guards the tests below against a changed library)."""
    raised: dict[str, type[BaseException]] = {}
    for name in VARIANTS:
        try:
            cert = x509.load_der_x509_certificate(malformed(*attacker, name))
            _ = (cert.subject, cert.issuer, cert.extensions, cert.public_key())
        except Exception as exc:  # what is raised is the point
            raised[name] = type(exc)
    assert raised == {
        "unknown-key-algorithm": UnsupportedAlgorithm,
        "version-16": x509.InvalidVersion,
        "duplicate-extension": x509.DuplicateExtension,
        "unparsable-extension": ValueError,
        "unparsable-issuer": ValueError,
        "unparsable-subject": ValueError,
    }


# --- XML-DSig: the signer certificate in KeyInfo ------------------------------------------------


def _swap_certificate(signed: bytes, new_der: bytes) -> bytes:
    return re.sub(
        rb"<X509Certificate>[^<]*</X509Certificate>",
        b"<X509Certificate>" + base64.b64encode(new_der) + b"</X509Certificate>",
        signed,
    )


@pytest.fixture(scope="module")
def attacker_signed(attacker: tuple[rsa.RSAPrivateKey, x509.Certificate]) -> bytes:
    """MESSAGE signed by the attacker: the signature verifies with the malformed certificates'
    keys too (same key), so nothing but the certificate can refuse it."""
    return Signer(*attacker).sign(MESSAGE)


def test_verify_refuses_a_malformed_signer_certificate(
    pki: DevPki, attacker_signed: bytes, bad_der: bytes
) -> None:
    verifier = Verifier(CertificateValidator(pki.trust_store()), resolver=pki.resolver())
    document = _swap_certificate(attacker_signed, bad_der)
    for _ in range(2):  # refused again, not cached
        with pytest.raises(InvalidCertificateError) as info:
            verifier.verify(document, source="m.xml")
        assert info.value.code == "transport:invalid-certificate"
        assert info.value.reason == "unreadable-certificate"
        assert info.value.thumbprint == _sha1(bad_der)
        assert info.value.location.source == "m.xml"
    assert verifier._certs == {}  # only certificates read in full are cached


def test_verify_refuses_it_before_the_signature_is_checked(
    pki: DevPki, signed: bytes, bad_der: bytes
) -> None:
    """In a message signed by someone else, the verdict is still the certificate's."""
    verifier = Verifier(CertificateValidator(pki.trust_store()))
    with pytest.raises(InvalidCertificateError) as info:
        verifier.verify(_swap_certificate(signed, bad_der))
    assert info.value.reason == "unreadable-certificate"


@pytest.mark.usefixtures("no_traceback")
def test_cli_verify_exits_1_with_the_code(
    pki: DevPki,
    attacker_signed: bytes,
    bad_der: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = write(tmp_path, "m.xml", _swap_certificate(attacker_signed, bad_der))
    assert main(["verify", str(document), "--trust", str(pki.ca.cert_path)]) == 1
    err = capsys.readouterr().err
    assert "transport:invalid-certificate" in err
    assert "internal error" not in err


# --- CMS: the embedded certificates (unsigned) ---------------------------------------------------


def _envelope(signed_data: bytes, recipient: x509.Certificate) -> bytes:
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(signed_data)
        .add_recipient(recipient)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


@pytest.fixture(scope="module")
def attacker_signed_data(attacker: tuple[rsa.RSAPrivateKey, x509.Certificate]) -> bytes:
    return Sealer(*attacker)._signed_data(MESSAGE, dt.datetime.now(dt.UTC))


def _opener(pki: DevPki, resolver: CertificateResolver | None = None) -> Opener:
    receiver = pki.gp_office.encryption
    validator = CertificateValidator(pki.trust_store())
    return Opener(receiver.key, receiver.certificate, validator, resolver=resolver)


def test_open_refuses_a_malformed_embedded_certificate(
    pki: DevPki,
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate],
    attacker_signed_data: bytes,
    bad_der: bytes,
) -> None:
    """No key of the receiver's is needed: its public certificate is enough to send this."""
    inner = attacker_signed_data.replace(_der(attacker[1]), bad_der)
    sealed = _envelope(inner, pki.gp_office.encryption.certificate)
    opener = _opener(pki, resolver=pki.resolver())
    for _ in range(2):  # refused again, not cached
        with pytest.raises(InvalidCmsError) as info:
            opener.open(sealed)
        assert info.value.code == "transport:invalid-cms-pkcs"
        assert info.value.reason == "invalid-structure"  # as for any unreadable certificate
        assert info.value.thumbprint == _sha1(bad_der)
        assert "cannot be read" in info.value.message
    assert opener._certs == {}  # only certificates read in full are cached


@pytest.mark.usefixtures("no_traceback")
def test_cli_open_exits_1_with_the_code(
    pki: DevPki,
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate],
    attacker_signed_data: bytes,
    bad_der: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inner = attacker_signed_data.replace(_der(attacker[1]), bad_der)
    sealed = write(tmp_path, "m.p7m", _envelope(inner, pki.gp_office.encryption.certificate))
    receiver = pki.gp_office.encryption
    code = main([
        "open", str(sealed), "--key", str(receiver.key_path), "--cert", str(receiver.cert_path),
        "--trust", str(pki.ca.cert_path), "-o", str(tmp_path / "out.xml"),
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1, err
    assert "transport:invalid-cms-pkcs" in err
    assert "internal error" not in err


def test_open_refuses_a_malformed_certificate_from_the_resolver(
    pki: DevPki, bad_cert: x509.Certificate
) -> None:
    """A message without embedded certificates: the signer is looked for among the sender's
    registered ones, and a malformed one there is refused by name."""
    sender = pki.helsenorge.signing
    signed_data = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(MESSAGE)
        .add_signer(sender.certificate, sender.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.NoCerts, pkcs7.PKCS7Options.Binary])
    )
    sealed = _envelope(signed_data, pki.gp_office.encryption.certificate)
    resolver = InMemoryResolver({"42": {KeyPurpose.SIGNING: [bad_cert, sender.certificate]}})
    with pytest.raises(InvalidCertificateError) as info:
        _opener(pki, resolver=resolver).open(sealed, expected_sender="42")
    assert info.value.code == "transport:invalid-certificate"
    assert info.value.reason == "unreadable-certificate"
    # Registered well-formed, the same message opens (the test reaches the resolver).
    resolver = InMemoryResolver({"42": {KeyPurpose.SIGNING: [sender.certificate]}})
    assert _opener(pki, resolver=resolver).open(sealed, expected_sender="42").content == MESSAGE


# --- Certificates the caller gives ---------------------------------------------------------------


def _refused_by_name(call: Callable[[], object]) -> InvalidCertificateError:
    """What ``call()`` raises: the certificate it cannot read refused, named by thumbprint."""
    with pytest.raises(InvalidCertificateError) as info:
        call()
    assert info.value.code == "transport:invalid-certificate"
    assert info.value.reason == "unreadable-certificate"
    assert info.value.thumbprint is not None
    return info.value


def test_signer_refuses_a_malformed_own_certificate(
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], bad_cert: x509.Certificate
) -> None:
    _refused_by_name(lambda: Signer(attacker[0], bad_cert))


def test_sealer_refuses_a_malformed_own_certificate(
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], bad_cert: x509.Certificate
) -> None:
    _refused_by_name(lambda: Sealer(attacker[0], bad_cert))


def test_opener_refuses_a_malformed_own_certificate(
    pki: DevPki, attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], bad_cert: x509.Certificate
) -> None:
    _refused_by_name(lambda: Opener(attacker[0], bad_cert, CertificateValidator(pki.trust_store())))


@pytest.mark.parametrize("with_validator", [False, True])
def test_seal_refuses_a_malformed_recipient(
    pki: DevPki, bad_cert: x509.Certificate, with_validator: bool
) -> None:
    sender = pki.helsenorge.signing
    validator = CertificateValidator(pki.trust_store()) if with_validator else None
    sealer = Sealer(sender.key, sender.certificate, validator=validator)
    _refused_by_name(lambda: sealer.seal(MESSAGE, bad_cert))


def test_a_malformed_pinned_certificate_is_a_usage_error(
    pki: DevPki, bad_cert: x509.Certificate
) -> None:
    validator = CertificateValidator(pinned=[pki.helsenorge.signing.certificate, bad_cert])
    receiver = pki.gp_office.encryption
    with pytest.raises(UsageError, match=r"pinned certificate .* cannot be read"):
        Verifier(validator)
    with pytest.raises(UsageError, match=r"pinned certificate .* cannot be read"):
        Opener(receiver.key, receiver.certificate, validator)
    sender = pki.helsenorge.signing
    with pytest.raises(UsageError, match=r"pinned certificate .* cannot be read"):
        Sealer(sender.key, sender.certificate, validator=validator)


@pytest.mark.parametrize("name", LOADABLE)
@pytest.mark.parametrize("role", ["anchor", "intermediate"])
def test_a_malformed_trust_store_certificate_is_a_usage_error(
    pki: DevPki, attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], name: str, role: str
) -> None:
    """`TrustStore` reads every certificate whole when it is built, so none can fail later."""
    bad_cert = x509.load_der_x509_certificate(malformed(*attacker, name))
    given = ([pki.ca.certificate, bad_cert], []) if role == "anchor" else (
        [pki.ca.certificate], [bad_cert]
    )  # fmt: skip
    with pytest.raises(UsageError, match=r"trust store certificate .* cannot be read"):
        TrustStore(*given)


def test_a_malformed_certificate_file_is_a_usage_error(
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate], tmp_path: Path
) -> None:
    # --trust, --cert, --to, --sender-cert and a DirectoryResolver folder all read through it;
    # version 16 fails at loading (no ValueError), the others on a field.
    for name in VARIANTS:
        path = write(tmp_path, f"{name}.der", malformed(*attacker, name))
        with pytest.raises(UsageError, match=r"holds no readable X\.509 certificate"):
            load_certificates(path)


def test_a_naive_time_given_to_the_validator_is_a_usage_error(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store())
    with pytest.raises(UsageError, match="timezone-aware"):
        validator.validate(pki.helsenorge.signing.certificate, KeyPurpose.SIGNING, NAIVE)


def test_certificate_helpers_refuse_what_they_cannot_read(
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate],
) -> None:
    """The checks read fields themselves, so they refuse by name too (the CLI checks ``--to``
    with them), and `describe`, used in error messages, never raises."""

    def loaded(name: str) -> x509.Certificate:
        return x509.load_der_x509_certificate(malformed(*attacker, name))

    _refused_by_name(lambda: check_rsa_key(loaded("unknown-key-algorithm")))
    error = _refused_by_name(
        lambda: check_key_usage(loaded("duplicate-extension"), KeyPurpose.SIGNING)
    )
    assert "2.5.29.15" in error.message
    _refused_by_name(lambda: check_key_usage(loaded("unparsable-extension"), KeyPurpose.ENCRYPTION))
    assert describe(loaded("unparsable-subject")).startswith("(unreadable subject) [")


@pytest.mark.usefixtures("no_traceback")
def test_cli_seal_to_a_malformed_recipient_is_a_usage_error(
    pki: DevPki,
    attacker: tuple[rsa.RSAPrivateKey, x509.Certificate],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    to = write(tmp_path, "to.der", malformed(*attacker, "duplicate-extension"))
    payload = write(tmp_path, "m.xml", MESSAGE)
    sender = pki.helsenorge.signing
    code = main([
        "seal", str(payload), "--key", str(sender.key_path), "--cert", str(sender.cert_path),
        "--to", str(to), "-o", str(tmp_path / "out.p7m"),
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{to} holds no readable X.509 certificate: the extension 2.5.29.15 appears" in err
    assert "internal error" not in err


# --- verification_time without a time zone -------------------------------------------------------

NAIVE = dt.datetime(2026, 6, 1, 12, 0)


@pytest.fixture
def naive_calls(pki: DevPki, signed: bytes) -> dict[str, Callable[[], object]]:
    sender, receiver = pki.helsenorge.signing, pki.gp_office.encryption
    sealer = Sealer(sender.key, sender.certificate)
    sealed = sealer.seal(MESSAGE, receiver.certificate)
    opener = _opener(pki)
    verifier = Verifier(CertificateValidator(pki.trust_store()))
    return {
        "verify": lambda: verifier.verify(signed, verification_time=NAIVE),
        "open": lambda: opener.open(sealed, verification_time=NAIVE),
        "seal": lambda: sealer.seal(MESSAGE, receiver.certificate, verification_time=NAIVE),
    }


@pytest.mark.parametrize("call", ["verify", "open", "seal"])
def test_a_naive_verification_time_is_a_usage_error(
    naive_calls: dict[str, Callable[[], object]], call: str
) -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        naive_calls[call]()


def test_an_aware_verification_time_in_another_zone_is_taken(pki: DevPki, signed: bytes) -> None:
    oslo = dt.timezone(dt.timedelta(hours=2))
    verifier = Verifier(CertificateValidator(pki.trust_store()))
    at = dt.datetime.now(oslo)
    assert verifier.verify(signed, verification_time=at).verification_time == at
