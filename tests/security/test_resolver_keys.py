"""HER-id resolver and key loading (PEM, encrypted PEM, PKCS#12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from digidialog.errors import UsageError
from digidialog.security import (
    DirectoryResolver,
    InMemoryResolver,
    InvalidCertificateError,
    KeyPurpose,
    SpoofingError,
    check_sender,
    load_certificates,
    load_key_pair,
    load_private_key,
)
from digidialog.security.devpki import DevPki


def test_in_memory_resolver(pki: DevPki) -> None:
    resolver = InMemoryResolver(
        {pki.helsenorge.her_id: {KeyPurpose.SIGNING: [pki.helsenorge.signing.certificate]}}
    )
    assert resolver.certificates(pki.helsenorge.her_id, KeyPurpose.SIGNING) == (
        pki.helsenorge.signing.certificate,
    )
    assert resolver.certificates(pki.helsenorge.her_id, KeyPurpose.ENCRYPTION) == ()
    check_sender(
        resolver, pki.helsenorge.her_id, pki.helsenorge.signing.certificate, KeyPurpose.SIGNING
    )
    with pytest.raises(SpoofingError) as info:
        check_sender(resolver, pki.helsenorge.her_id, pki.untrusted.certificate, KeyPurpose.SIGNING)
    assert info.value.code == "abuse:spoofing-attack"
    with pytest.raises(InvalidCertificateError):
        check_sender(resolver, "424242", pki.untrusted.certificate, KeyPurpose.SIGNING)


def test_directory_resolver_reads_dev_pki_layout_and_parallel_certificates(
    pki: DevPki, tmp_path: Path
) -> None:
    resolver = DirectoryResolver(pki.resolver_dir)
    assert resolver.certificates(pki.gp_office.her_id, KeyPurpose.ENCRYPTION) == (
        pki.gp_office.encryption.certificate,
    )
    # A party switching certificates lists both, newest first.
    both = tmp_path / f"{pki.gp_office.her_id}.signing.pem"
    both.write_bytes(
        pki.revoked.cert_path.read_bytes() + pki.gp_office.signing.cert_path.read_bytes()
    )
    rolling = DirectoryResolver(tmp_path)
    check_sender(
        rolling, pki.gp_office.her_id, pki.gp_office.signing.certificate, KeyPurpose.SIGNING
    )
    both.write_bytes(pki.revoked.cert_path.read_bytes())
    check_sender(
        rolling, pki.gp_office.her_id, pki.gp_office.signing.certificate, KeyPurpose.SIGNING
    )
    rolling.refresh()  # now the file is read again
    with pytest.raises(SpoofingError):
        check_sender(
            rolling, pki.gp_office.her_id, pki.gp_office.signing.certificate, KeyPurpose.SIGNING
        )


def test_encrypted_pem_and_pkcs12(pki: DevPki, tmp_path: Path) -> None:
    cred = pki.gp_office.signing
    encrypted = tmp_path / "enc.key"
    encrypted.write_bytes(cred.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"hemmelig"),
    ))  # fmt: skip
    with pytest.raises(UsageError, match="is encrypted and needs a password"):
        load_private_key(encrypted)
    with pytest.raises(UsageError, match="cannot load the private key"):
        load_private_key(encrypted, b"wrong")
    with pytest.raises(UsageError, match="is not encrypted, but a password was given") as plain:
        load_private_key(cred.key_path, b"hemmelig")
    assert plain.value.hint == "leave out --password-env for this key"
    assert load_private_key(encrypted, b"hemmelig").private_numbers() == cred.key.private_numbers()

    p12 = tmp_path / "signing.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"gp", cred.key, cred.certificate, None, serialization.BestAvailableEncryption(b"hemmelig")
    ))  # fmt: skip
    pair = load_key_pair(p12, password=b"hemmelig")
    assert pair.certificate == cred.certificate


def test_key_and_certificate_must_match(pki: DevPki) -> None:
    with pytest.raises(UsageError):
        load_key_pair(pki.gp_office.signing.key_path, pki.helsenorge.signing.cert_path)
    with pytest.raises(UsageError):
        load_key_pair(pki.gp_office.signing.key_path)  # a PEM key alone has no certificate


def test_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_certificates(tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(UsageError):
        load_certificates(junk)


def test_expected_sender_without_a_resolver_is_a_usage_error(pki: DevPki, signed: bytes) -> None:
    from digidialog.security import CertificateValidator, Verifier

    verifier = Verifier(CertificateValidator(pki.trust_store()))
    with pytest.raises(UsageError):
        verifier.verify(signed, expected_sender=pki.helsenorge.her_id)
