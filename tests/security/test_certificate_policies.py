"""Enterprise certificates by their policy OID (HITS 1216, the checklists of §3): with
``CertificateValidator(..., policies=...)`` a certificate must name one of the policies in its
CertificatePolicies extension; without (the default) the policy is not looked at."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

import digidialog.security as security
from digidialog.cli.main import main
from digidialog.errors import UsageError
from digidialog.security import (
    HELSENORGE_PRODUCTION_POLICIES,
    HELSENORGE_TEST_POLICIES,
    CertificateValidator,
    InvalidCertificateError,
    KeyPurpose,
    Opener,
    Sealer,
    Signer,
    Verifier,
    load_certificates,
)
from digidialog.security import certificates as certificates_module
from digidialog.security.certificates import thumbprint
from digidialog.security.devpki import Credential, DevPki

from . import x509make
from .conftest import MESSAGE, write

TEST_OID = "2.16.578.1.26.1.0.3.2"
PRODUCTION_OID = "2.16.578.1.26.1.3.2"
OTHER_OID = "2.16.578.1.29.13.1.1.0"  # some other CA's policy: not HITS 1216's
SIGNING_USAGE = x509make.key_usage(digital_signature=True, content_commitment=True)


def _policies(*oids: str) -> x509.CertificatePolicies:
    return x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in oids]
    )


def _raw_policies(der_value: bytes) -> x509.UnrecognizedExtension:
    """A CertificatePolicies extension with ``der_value`` as its value, as it is."""
    return x509.UnrecognizedExtension(ExtensionOID.CERTIFICATE_POLICIES, der_value)


def _issued(
    pki: DevPki,
    extensions: x509make.Extensions = (),
    key: x509make.Key | None = None,
    usage: x509.KeyUsage = SIGNING_USAGE,
) -> x509.Certificate:
    """An end-entity certificate from the dev CA with ``extensions`` (no policies unless given)."""
    return x509make.certificate(
        "policy test",
        key or x509make.key(),
        pki.ca.certificate,
        pki.ca.key,
        ca=False,
        usage=usage,
        extensions=extensions,
    )


def _refused(call: Callable[[], object], reason: str = "wrong-certificate-policy") -> str:
    """The message of the `InvalidCertificateError` ``call()`` raises, with ``reason``."""
    with pytest.raises(InvalidCertificateError) as info:
        call()
    assert info.value.code == "transport:invalid-certificate"
    assert info.value.reason == reason
    assert info.value.thumbprint is not None
    return info.value.message


def _dev_certificates(pki: DevPki) -> list[tuple[Credential, KeyPurpose]]:
    return [(party.signing, KeyPurpose.SIGNING) for party in (pki.helsenorge, pki.gp_office)] + [
        (party.encryption, KeyPurpose.ENCRYPTION) for party in (pki.helsenorge, pki.gp_office)
    ]


# --- The constants and the argument --------------------------------------------------------------


def test_the_constants_are_hits_1216s_oids() -> None:
    assert frozenset({TEST_OID}) == HELSENORGE_TEST_POLICIES
    assert frozenset({PRODUCTION_OID}) == HELSENORGE_PRODUCTION_POLICIES
    assert isinstance(HELSENORGE_TEST_POLICIES, frozenset)
    assert isinstance(HELSENORGE_PRODUCTION_POLICIES, frozenset)
    assert "HELSENORGE_TEST_POLICIES" in security.__all__
    assert "HELSENORGE_PRODUCTION_POLICIES" in security.__all__


def test_the_default_is_not_to_check(pki: DevPki) -> None:
    assert CertificateValidator(pki.trust_store()).policies is None


def test_policies_are_kept_as_a_frozenset(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store(), policies=[TEST_OID, OTHER_OID, TEST_OID])
    assert validator.policies == frozenset({TEST_OID, OTHER_OID})


@pytest.mark.parametrize(
    ("policies", "match"),
    [
        (["2.16.578.x"], "not an object identifier"),
        ([""], "not an object identifier"),
        (["9.1"], "not an object identifier"),  # no such root arc
        ([TEST_OID, "buypass"], "not an object identifier"),
        (TEST_OID, "not the string"),  # would otherwise be read character by character
        ([], "no certificate policy given"),
    ],
)
def test_a_malformed_policy_argument_is_a_usage_error(
    pki: DevPki, policies: object, match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        CertificateValidator(pki.trust_store(), policies=policies)  # type: ignore[arg-type]


# --- The check -----------------------------------------------------------------------------------


def test_dev_pki_certificates_pass_with_the_test_policy(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    for credential, purpose in _dev_certificates(pki):
        check = validator.validate(credential.certificate, purpose)
        assert check.certificate is credential.certificate


def test_dev_pki_certificates_fail_with_the_production_policy(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    for credential, purpose in _dev_certificates(pki):
        cert = credential.certificate
        with pytest.raises(InvalidCertificateError) as info:
            validator.validate(cert, purpose)
        error = info.value
        assert error.code == "transport:invalid-certificate"
        assert error.reason == "wrong-certificate-policy"
        assert error.thumbprint == thumbprint(cert)
        assert error.condition_data == {"thumbprint": thumbprint(cert)}
        assert TEST_OID in error.message  # what the certificate names
        assert PRODUCTION_OID in error.message  # what is required
        assert error.hint is not None
        assert "enterprise certificate" in error.hint


def test_any_one_of_several_policies_suffices(pki: DevPki) -> None:
    validator = CertificateValidator(
        pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES | {TEST_OID}
    )
    validator.validate(pki.helsenorge.signing.certificate, KeyPurpose.SIGNING)
    several = _issued(pki, [(_policies(OTHER_OID, PRODUCTION_OID), False)])
    CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES).validate(
        several, KeyPurpose.SIGNING
    )


def test_a_certificate_without_the_extension_fails(pki: DevPki) -> None:
    cert = _issued(pki)
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    message = _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))
    assert "no certificate policies extension" in message
    assert TEST_OID in message


def test_a_certificate_with_another_policy_fails(pki: DevPki) -> None:
    cert = _issued(pki, [(_policies(OTHER_OID), False)])
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    message = _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))
    assert OTHER_OID in message
    assert PRODUCTION_OID in message


def test_a_critical_extension_is_read_the_same(pki: DevPki) -> None:
    cert = _issued(pki, [(_policies(PRODUCTION_OID), True)])
    CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES).validate(
        cert, KeyPurpose.SIGNING
    )
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))


def test_an_empty_policies_extension_fails(pki: DevPki) -> None:
    """SEQUENCE SIZE (1..MAX) in RFC 5280, but `cryptography` reads an empty one: no policy."""
    cert = _issued(pki, [(_raw_policies(bytes.fromhex("3000")), False)])
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    message = _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))
    assert "naming no policy" in message


def test_default_none_passes_anything(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store())
    for extensions in ((), [(_policies(OTHER_OID), False)], [(_policies(PRODUCTION_OID), False)]):
        cert = _issued(pki, extensions)
        validator.validate(cert, KeyPurpose.SIGNING)
    validator.validate(pki.helsenorge.signing.certificate, KeyPurpose.SIGNING)


def test_pinned_certificates_are_checked_too(pki: DevPki) -> None:
    cert = pki.helsenorge.signing.certificate
    CertificateValidator(pinned=[cert], policies=HELSENORGE_TEST_POLICIES).validate(
        cert, KeyPurpose.SIGNING
    )
    validator = CertificateValidator(pinned=[cert], policies=HELSENORGE_PRODUCTION_POLICIES)
    _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))


def test_an_untrusted_certificate_is_called_untrusted_first(pki: DevPki) -> None:
    """The policy OID means something only as a trusted CA asserts it: the chain comes first."""
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    cert = pki.untrusted.certificate
    _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING), reason="untrusted")


def test_wrong_key_usage_is_still_reported_as_such(pki: DevPki) -> None:
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    cert = pki.wrong_usage.certificate
    _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING), reason="wrong-key-usage")


# --- Cached with the other time-independent checks ----------------------------------------------


@pytest.fixture
def policy_checks(monkeypatch: pytest.MonkeyPatch) -> list[x509.Certificate]:
    """The certificates the policy check reads, in order (the check itself still runs)."""
    calls: list[x509.Certificate] = []
    real = certificates_module.check_certificate_policy

    def counting(cert: x509.Certificate, policies: frozenset[str]) -> None:
        calls.append(cert)
        real(cert, policies)

    monkeypatch.setattr(certificates_module, "check_certificate_policy", counting)
    return calls


def test_the_check_is_cached_per_certificate(
    pki: DevPki, policy_checks: list[x509.Certificate]
) -> None:
    calls = policy_checks
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    cert = pki.gp_office.signing.certificate
    first = validator.validate(cert, KeyPurpose.SIGNING)
    second = validator.validate(cert, KeyPurpose.SIGNING)
    assert second is first  # the ready result of the cached pass
    assert calls == [cert]


def test_a_refusal_is_not_cached(pki: DevPki, policy_checks: list[x509.Certificate]) -> None:
    calls = policy_checks
    validator = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    cert = pki.gp_office.signing.certificate
    for _ in range(2):
        _refused(lambda: validator.validate(cert, KeyPurpose.SIGNING))
    assert calls == [cert, cert]


def test_without_policies_the_extension_is_never_read(
    pki: DevPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(cert: x509.Certificate, policies: frozenset[str]) -> None:
        raise AssertionError("the policy was checked")

    monkeypatch.setattr(certificates_module, "check_certificate_policy", fail)
    CertificateValidator(pki.trust_store()).validate(
        pki.gp_office.signing.certificate, KeyPurpose.SIGNING
    )


# --- A malformed CertificatePolicies extension ---------------------------------------------------

MALFORMED = {
    "integer": bytes.fromhex("020101"),  # not a SEQUENCE
    "no-oid": bytes.fromhex("30053003020101"),  # PolicyInformation without its OID
    "trailing-data": _policies(TEST_OID).public_bytes() + b"\x00",
    "truncated": bytes.fromhex("3018300b06092a864886f70d010101300b06092a864886f70d01"),
}


@pytest.fixture(params=sorted(MALFORMED))
def malformed_extension(request: pytest.FixtureRequest) -> x509.UnrecognizedExtension:
    return _raw_policies(MALFORMED[str(request.param)])


@pytest.mark.parametrize("policies", [None, HELSENORGE_TEST_POLICIES])
def test_a_malformed_extension_is_refused_by_name(
    pki: DevPki, malformed_extension: x509.UnrecognizedExtension, policies: frozenset[str] | None
) -> None:
    """Given by the caller (not read at load), it is refused, naming the extension, with or
    without the policy check: `cryptography` cannot read any extension of such a certificate."""
    cert = _issued(pki, [(malformed_extension, False)])
    validator = CertificateValidator(pki.trust_store(), policies=policies)
    for _ in range(2):
        message = _refused(
            lambda: validator.validate(cert, KeyPurpose.SIGNING), reason="unreadable-certificate"
        )
        assert "certificatePolicies extension (2.5.29.32)" in message


def test_a_malformed_extension_in_a_file_is_a_usage_error(
    pki: DevPki, malformed_extension: x509.UnrecognizedExtension, tmp_path: Path
) -> None:
    cert = _issued(pki, [(malformed_extension, False)])
    path = write(tmp_path, "bad.pem", cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(UsageError, match=r"certificatePolicies extension \(2\.5\.29\.32\)"):
        load_certificates(path)


def _swap_certificate(signed: bytes, cert: x509.Certificate) -> bytes:
    der = cert.public_bytes(serialization.Encoding.DER)
    return re.sub(
        rb"<X509Certificate>[^<]*</X509Certificate>",
        b"<X509Certificate>" + base64.b64encode(der) + b"</X509Certificate>",
        signed,
    )


def test_a_malformed_extension_in_a_message_is_refused_by_name(
    pki: DevPki,
    malformed_extension: x509.UnrecognizedExtension,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Signed by a good certificate, the KeyInfo then swapped for one of the same key whose
    policies do not decode (KeyInfo is not signed): refused at load, exit 1, no traceback."""
    monkeypatch.delenv("DIGIDIALOG_TRACEBACK", raising=False)
    key = x509make.key()
    good = _issued(pki, [(_policies(TEST_OID), False)], key=key)
    bad = _issued(pki, [(malformed_extension, False)], key=key)
    document = _swap_certificate(Signer(key, good).sign(MESSAGE), bad)
    verifier = Verifier(CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES))
    message = _refused(lambda: verifier.verify(document), reason="unreadable-certificate")
    assert "certificatePolicies extension" in message
    path = write(tmp_path, "m.xml", document)
    args = ["verify", str(path), "--trust", str(pki.ca.cert_path), "--policy", "helsenorge-test"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "unreadable" in err or "cannot be read" in err
    assert "certificatePolicies extension" in err
    assert "internal error" not in err


# --- Verifier, Opener, Sealer and the shorthands -------------------------------------------------


def test_verify_and_open_with_policies(pki: DevPki, signed: bytes) -> None:
    hn, gp = pki.helsenorge, pki.gp_office
    sealed = Sealer(hn.signing.key, hn.signing.certificate).seal(signed, gp.encryption.certificate)
    good = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    bad = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    assert Verifier(good).verify(signed).signer == hn.signing.certificate
    _refused(lambda: Verifier(bad).verify(signed))
    opened = Opener(gp.encryption.key, gp.encryption.certificate, good).open(sealed)
    assert opened.content == signed
    _refused(lambda: Opener(gp.encryption.key, gp.encryption.certificate, bad).open(sealed))


def test_a_sealer_with_a_validator_checks_the_recipient(pki: DevPki) -> None:
    hn, gp = pki.helsenorge, pki.gp_office
    good = CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES)
    bad = CertificateValidator(pki.trust_store(), policies=HELSENORGE_PRODUCTION_POLICIES)
    Sealer(hn.signing.key, hn.signing.certificate, validator=good).seal(
        MESSAGE, gp.encryption.certificate
    )
    sealer = Sealer(hn.signing.key, hn.signing.certificate, validator=bad)
    _refused(lambda: sealer.seal(MESSAGE, gp.encryption.certificate))


def test_the_shorthands_take_policies(pki: DevPki, signed: bytes) -> None:
    store = pki.trust_store()
    security.verify(signed, trust_store=store, policies=HELSENORGE_TEST_POLICIES)
    _refused(
        lambda: security.verify(signed, trust_store=store, policies=HELSENORGE_PRODUCTION_POLICIES)
    )
    hn, gp = pki.helsenorge, pki.gp_office
    sealed = security.seal(
        signed,
        key=hn.signing.key,
        certificate=hn.signing.certificate,
        recipient=gp.encryption.certificate,
    )
    key, cert = gp.encryption.key, gp.encryption.certificate

    def open_with(policies: frozenset[str]) -> object:
        return security.open_sealed(
            sealed, key=key, certificate=cert, trust_store=store, policies=policies
        )

    open_with(HELSENORGE_TEST_POLICIES)
    _refused(lambda: open_with(HELSENORGE_PRODUCTION_POLICIES))


# --- The dev PKI ---------------------------------------------------------------------------------


def test_dev_pki_end_entities_carry_the_test_policy_non_critical(pki: DevPki) -> None:
    end_entities = [
        *(credential for credential, _ in _dev_certificates(pki)),
        pki.expired,
        pki.not_yet_valid,
        pki.wrong_usage,
        pki.revoked,
        pki.untrusted,
    ]
    for credential in end_entities:
        extension = credential.certificate.extensions.get_extension_for_class(
            x509.CertificatePolicies
        )
        assert not extension.critical
        assert [p.policy_identifier.dotted_string for p in extension.value] == [TEST_OID]
        assert all(p.policy_qualifiers is None for p in extension.value)
    with pytest.raises(x509.ExtensionNotFound):
        pki.ca.certificate.extensions.get_extension_for_class(x509.CertificatePolicies)


def test_dev_pki_issue_carries_the_test_policy(pki: DevPki) -> None:
    extra = pki.issue("policy-extra", KeyPurpose.ENCRYPTION)
    CertificateValidator(pki.trust_store(), policies=HELSENORGE_TEST_POLICIES).validate(
        extra.certificate, KeyPurpose.ENCRYPTION
    )


# --- The command line ----------------------------------------------------------------------------


@pytest.fixture
def files(pki: DevPki, signed: bytes, tmp_path: Path) -> dict[str, Path]:
    hn, gp = pki.helsenorge, pki.gp_office
    sealed = Sealer(hn.signing.key, hn.signing.certificate).seal(signed, gp.encryption.certificate)
    return {
        "signed": write(tmp_path, "signed.xml", signed),
        "sealed": write(tmp_path, "sealed.p7m", sealed),
    }


def _verify(pki: DevPki, files: dict[str, Path], *policy: str) -> list[str]:
    return ["verify", str(files["signed"]), "--trust", str(pki.ca.cert_path), *policy]


def _open(pki: DevPki, files: dict[str, Path], tmp_path: Path, *policy: str) -> list[str]:
    gp = pki.gp_office.encryption
    return ["open", str(files["sealed"]), "--key", str(gp.key_path), "--cert", str(gp.cert_path),
            "--trust", str(pki.ca.cert_path), "-o", str(tmp_path / "opened.xml"),
            *policy]  # fmt: skip


def _seal(pki: DevPki, files: dict[str, Path], tmp_path: Path, *policy: str) -> list[str]:
    hn, gp = pki.helsenorge, pki.gp_office
    return ["seal", str(files["signed"]), "--key", str(hn.signing.key_path), "--cert",
            str(hn.signing.cert_path), "--to", str(gp.encryption.cert_path),
            "-o", str(tmp_path / "out.p7m"), *policy]  # fmt: skip


PASSING = [
    ["--policy", "helsenorge-test"],
    ["--policy", TEST_OID],
    ["--policy", "helsenorge-production", "--policy", "helsenorge-test"],
    ["--policy", OTHER_OID, "--policy", TEST_OID],
]
FAILING = [
    ["--policy", "helsenorge-production"],
    ["--policy", PRODUCTION_OID, "--policy", OTHER_OID],
]
MALFORMED_OPTIONS = [["--policy", "2.16.578.x"], ["--policy", ""], ["--policy", "helsenorge"]]


@pytest.mark.parametrize("policy", PASSING)
def test_cli_verify_and_open_pass(
    pki: DevPki,
    files: dict[str, Path],
    tmp_path: Path,
    policy: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(_verify(pki, files, *policy)) == 0
    assert "valid: signed by" in capsys.readouterr().out
    assert main(_open(pki, files, tmp_path, *policy)) == 0
    assert (tmp_path / "opened.xml").read_bytes() == files["signed"].read_bytes()


@pytest.mark.parametrize("policy", FAILING)
def test_cli_verify_and_open_fail_with_exit_1(
    pki: DevPki,
    files: dict[str, Path],
    tmp_path: Path,
    policy: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    for args in (_verify(pki, files, *policy), _open(pki, files, tmp_path, *policy)):
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "transport:invalid-certificate" in err
        assert TEST_OID in err
        assert PRODUCTION_OID in err
    assert not (tmp_path / "opened.xml").exists()


@pytest.mark.parametrize("policy", MALFORMED_OPTIONS)
def test_cli_malformed_policy_is_a_usage_error(
    pki: DevPki,
    files: dict[str, Path],
    tmp_path: Path,
    policy: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    for args in (
        _verify(pki, files, *policy),
        _open(pki, files, tmp_path, *policy),
        _seal(pki, files, tmp_path, *policy),
    ):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "--policy" in err
        assert "not a certificate policy OID" in err
    assert not (tmp_path / "out.p7m").exists()


def test_cli_seal_checks_the_recipient(
    pki: DevPki, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_seal(pki, files, tmp_path, "--policy", "helsenorge-test")) == 0
    assert (tmp_path / "out.p7m").read_bytes()[:1] == b"\x30"
    (tmp_path / "out.p7m").unlink()
    capsys.readouterr()
    # A certificate given as an option that cannot do the job: a usage error, code kept.
    assert main(_seal(pki, files, tmp_path, "--policy", "helsenorge-production")) == 2
    err = capsys.readouterr().err
    assert "transport:invalid-certificate" in err
    assert "--to" in err
    assert PRODUCTION_OID in err
    assert not (tmp_path / "out.p7m").exists()


def test_cli_without_policy_does_not_check(
    pki: DevPki, files: dict[str, Path], tmp_path: Path
) -> None:
    cert = _issued(pki, [(_policies(OTHER_OID), False)], usage=x509make.key_usage(
        key_encipherment=True
    ))  # fmt: skip
    to = write(tmp_path, "other.pem", cert.public_bytes(serialization.Encoding.PEM))
    args = _seal(pki, files, tmp_path)
    args[args.index("--to") + 1] = str(to)
    assert main(args) == 0
    assert main(_verify(pki, files)) == 0
