"""What `openssl cms` signs and encrypts, outside our own shape, and how `Opener` judges it.

Each case is built by the real `openssl cms -sign` and `-encrypt` (skipped when openssl is not
installed; the legacy ciphers when its legacy provider is not) and either opens, with the content
as signed, or is refused with an exact class, code and reason:

* taken: AES-128-CBC, recipient by subject key identifier (alone or beside another; damaged, it
  is refused as damage), signer by subject key identifier, no embedded certificate (the signer's
  from the resolver or pinned), SHA-384 and SHA-512 digests;
* refused: AES-192-CBC, DES and RC2 (``refused-cipher``), RSA-OAEP key transport
  (``refused-key-transport``), RSA-PSS signatures (``refused-algorithm``), no signed attributes
  (``missing-signed-attributes``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms

from digidialog.security import (
    CertificateValidator,
    DecryptionFailedError,
    InvalidCertificateError,
    InvalidSignatureError,
    Opener,
    TransportSecurityError,
)
from digidialog.security.certificates import thumbprint
from digidialog.security.devpki import DevPki

from .conftest import require_tool, write
from .test_cms import _seal_signed

pytestmark = pytest.mark.tools

Args = Sequence[str | Path]


def _run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False)


@pytest.fixture(scope="module")
def openssl() -> str:
    return require_tool("openssl")


class Build:
    """Signs ``signed`` as helsenorge with `openssl cms -sign`, then encrypts it for the GP
    office (or whom ``encrypt`` names) with `openssl cms -encrypt`."""

    def __init__(self, openssl: str, pki: DevPki, signed: bytes, folder: Path) -> None:
        self.openssl, self.pki, self.folder = openssl, pki, folder
        self.source = write(folder, "payload.xml", signed)
        self.count = 0

    def signed_data(self, *options: str | Path, md: str = "sha256") -> Path:
        self.count += 1
        out = self.folder / f"signed-{self.count}.der"
        signing = self.pki.helsenorge.signing
        done = _run(self.openssl, "cms", "-sign", "-binary", "-nodetach", "-md", md,
                    "-outform", "DER", "-in", self.source, "-signer", signing.cert_path,
                    "-inkey", signing.key_path, *options, "-out", out)  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        return out

    def envelope(
        self,
        *,
        sign: Args = (),
        md: str = "sha256",
        cipher: str = "-aes256",
        encrypt: Args | None = None,
        before: Args = (),
    ) -> bytes:
        """``encrypt``: the recipients and their options (default: the GP office, by issuer and
        serial number); ``before``: options ahead of the cipher (providers)."""
        inner = self.signed_data(*sign, md=md)
        out = self.folder / f"sealed-{self.count}.der"
        if encrypt is None:
            encrypt = ("-recip", self.pki.gp_office.encryption.cert_path)
        done = _run(self.openssl, "cms", "-encrypt", *before, "-binary", cipher, "-outform", "DER",
                    "-in", inner, "-out", out, *encrypt)  # fmt: skip
        if done.returncode and before:
            pytest.skip(f"openssl cannot encrypt with {cipher}: {done.stderr.decode()[:200]}")
        assert done.returncode == 0, done.stderr.decode()
        return out.read_bytes()


@pytest.fixture(scope="module")
def build(
    openssl: str, pki: DevPki, signed: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Build:
    return Build(openssl, pki, signed, tmp_path_factory.mktemp("openssl-matrix"))


def _opener(pki: DevPki, *, pinned: bool = False, resolver: bool = True) -> Opener:
    gp = pki.gp_office
    validator = CertificateValidator(
        pki.trust_store(), pinned=[pki.helsenorge.signing.certificate] if pinned else ()
    )
    return Opener(
        gp.encryption.key,
        gp.encryption.certificate,
        validator,
        resolver=pki.resolver() if resolver else None,
    )


@pytest.fixture(scope="module")
def opener(pki: DevPki) -> Opener:
    return _opener(pki)


def _opens(opener: Opener, data: bytes, pki: DevPki, signed: bytes, sender: bool = True) -> None:
    opened = opener.open(data, expected_sender=pki.helsenorge.her_id if sender else None)
    assert opened.content == signed
    assert opened.signer == pki.helsenorge.signing.certificate


def _refused(
    opener: Opener,
    data: bytes,
    kind: type[TransportSecurityError],
    code: str,
    reason: str,
    sender: str | None = None,
) -> TransportSecurityError:
    with pytest.raises(TransportSecurityError) as info:
        opener.open(data, expected_sender=sender)
    error = info.value
    assert (type(error), error.code, error.reason) == (kind, code, reason), str(error)
    return error


# --- taken --------------------------------------------------------------------------------------


def test_aes128_cbc_opens(build: Build, opener: Opener, pki: DevPki, signed: bytes) -> None:
    _opens(opener, build.envelope(cipher="-aes128"), pki, signed)


@pytest.mark.parametrize("md", ["sha384", "sha512"])
def test_sha384_and_sha512_digests_open(
    build: Build, opener: Opener, pki: DevPki, signed: bytes, md: str
) -> None:
    _opens(opener, build.envelope(md=md), pki, signed)


def test_signer_by_subject_key_identifier_opens(
    build: Build, opener: Opener, pki: DevPki, signed: bytes
) -> None:
    _opens(opener, build.envelope(sign=["-keyid"]), pki, signed)


def test_no_embedded_certificate_opens_with_the_registered_or_pinned_one(
    build: Build, pki: DevPki, signed: bytes
) -> None:
    data = build.envelope(sign=["-nocerts"])
    _opens(_opener(pki), data, pki, signed)  # the resolver's, for the expected sender
    _opens(_opener(pki, pinned=True, resolver=False), data, pki, signed, sender=False)
    # Neither: nothing names the signer's certificate.
    _refused(
        _opener(pki, resolver=False),
        data,
        InvalidSignatureError,
        "transport:invalid-signature",
        "missing-certificate",
    )


def test_recipient_by_subject_key_identifier_opens(
    build: Build, opener: Opener, pki: DevPki, signed: bytes
) -> None:
    """RFC 5652 §6.2.1 has receivers take either recipient identifier; `cryptography` reads
    issuer and serial only, so `Opener` hands it our RecipientInfo alone, re-addressed."""
    gp, hn = pki.gp_office, pki.helsenorge
    alone = build.envelope(encrypt=["-keyid", "-recip", gp.encryption.cert_path])
    _opens(opener, alone, pki, signed)
    both = build.envelope(
        encrypt=["-keyid", "-recip", hn.encryption.cert_path, "-recip", gp.encryption.cert_path]
    )
    _opens(opener, both, pki, signed)


def test_recipient_by_subject_key_identifier_damaged_is_refused_as_any_damage(
    build: Build, opener: Opener
) -> None:
    # The last octet of the next-to-last ciphertext block flips the top bit of the padding length
    # in the last block: bad padding, refused as damage, by issuer and serial or by key id alike.
    by_key_id: list[str | Path] = ["-keyid", "-recip", build.pki.gp_office.encryption.cert_path]
    for encrypt in (None, by_key_id):
        data = bytearray(build.envelope(encrypt=encrypt))
        data[-17] ^= 0x80
        error = _refused(
            opener,
            bytes(data),
            DecryptionFailedError,
            "transport:decryption-failed",
            "decryption-failed",
        )
        assert error.thumbprint == thumbprint(build.pki.gp_office.encryption.certificate)


def test_recipient_by_subject_key_identifier_for_someone_else_is_not_for_us(
    build: Build, opener: Opener
) -> None:
    data = build.envelope(encrypt=["-keyid", "-recip", build.pki.helsenorge.encryption.cert_path])
    _refused(
        opener,
        data,
        InvalidCertificateError,
        "transport:invalid-certificate",
        "not-addressed-to-us",
    )


# --- refused ------------------------------------------------------------------------------------


def test_aes192_cbc_is_refused_by_name(build: Build, opener: Opener) -> None:
    error = _refused(
        opener,
        build.envelope(cipher="-aes192"),
        DecryptionFailedError,
        "transport:decryption-failed",
        "refused-cipher",
    )
    assert "aes192_cbc" in str(error)
    assert error.hint is not None
    assert "AES-256-CBC" in error.hint
    assert "AES-128-CBC is accepted" in error.hint
    assert "AES-192-CBC" in error.hint


@pytest.mark.parametrize(("cipher", "name"), [("-des", "des"), ("-rc2-40", "rc2"), ("-rc2", "rc2")])
def test_legacy_ciphers_are_refused_by_name(
    build: Build, opener: Opener, cipher: str, name: str
) -> None:
    data = build.envelope(cipher=cipher, before=["-provider", "legacy", "-provider", "default"])
    error = _refused(
        opener, data, DecryptionFailedError, "transport:decryption-failed", "refused-cipher"
    )
    assert f"encrypted with {name}," in str(error)


@pytest.mark.parametrize(("md", "named"), [(None, "SHA-1"), ("sha256", "SHA-256")])
@pytest.mark.parametrize("by_key_id", [False, True])
def test_rsa_oaep_key_transport_is_refused_by_name(
    build: Build, opener: Opener, md: str | None, named: str, by_key_id: bool
) -> None:
    recipient: list[str | Path] = ["-recip", build.pki.gp_office.encryption.cert_path]
    options = ["-keyopt", "rsa_padding_mode:oaep"]
    if md is not None:
        options += ["-keyopt", f"rsa_oaep_md:{md}"]
    data = build.envelope(encrypt=[*(["-keyid"] if by_key_id else []), *recipient, *options])
    error = _refused(
        opener, data, DecryptionFailedError, "transport:decryption-failed", "refused-key-transport"
    )
    assert f"RSA-OAEP ({named})" in str(error)
    assert "PKCS#1 v1.5" in str(error)
    assert error.hint is not None
    assert "PKCS#1 v1.5" in error.hint


def test_rsa_pss_signature_is_refused_as_an_algorithm(
    build: Build, opener: Opener, pki: DevPki
) -> None:
    data = build.envelope(sign=["-keyopt", "rsa_padding_mode:pss"])
    for sender in (None, pki.helsenorge.her_id):
        error = _refused(
            opener,
            data,
            InvalidSignatureError,
            "transport:invalid-signature",
            "refused-algorithm",
            sender,
        )
        assert "RSASSA-PSS (SHA-256)" in str(error)
        assert error.thumbprint == thumbprint(pki.helsenorge.signing.certificate)


def test_rsa_pss_signature_without_a_known_signer_is_refused_as_on_the_ordinary_path(
    build: Build, pki: DevPki
) -> None:
    """The signer is looked for first, as for any signature: with no certificate for it, that
    is the verdict (and with the sender's registered one, the algorithm is)."""
    data = build.envelope(sign=["-nocerts", "-keyopt", "rsa_padding_mode:pss"])
    opener = _opener(pki)
    _refused(
        opener, data, InvalidSignatureError, "transport:invalid-signature", "missing-certificate"
    )
    _refused(
        opener,
        data,
        InvalidSignatureError,
        "transport:invalid-signature",
        "refused-algorithm",
        pki.helsenorge.her_id,
    )


def test_rsa_pss_signature_without_parameters_is_refused_by_name(
    build: Build, opener: Opener, pki: DevPki
) -> None:
    """id-RSASSA-PSS with its parameters left out reads as a SignedData (the parameters are what
    the strict reader does not take) and is refused where any other algorithm is."""
    info = asn1_cms.ContentInfo.load(
        build.signed_data("-keyopt", "rsa_padding_mode:pss").read_bytes()
    )
    (signer_info,) = info["content"]["signer_infos"]
    signer_info["signature_algorithm"] = {"algorithm": "rsassa_pss"}
    data = _seal_signed(info.dump(force=True), pki)
    error = _refused(
        opener, data, InvalidSignatureError, "transport:invalid-signature", "refused-algorithm"
    )
    assert "RSASSA-PSS, which is refused" in str(error)
    assert error.thumbprint == thumbprint(pki.helsenorge.signing.certificate)


def test_no_signed_attributes_is_refused(build: Build, opener: Opener) -> None:
    _refused(
        opener,
        build.envelope(sign=["-noattr"]),
        InvalidSignatureError,
        "transport:invalid-signature",
        "missing-signed-attributes",
    )
