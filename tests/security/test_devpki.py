"""The dev PKI: what it writes, and that it reads back the same."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509

from digidialog.errors import UsageError
from digidialog.security.devpki import (
    GP_OFFICE_HER_ID,
    HELSENORGE_HER_ID,
    PKI_NAMES,
    DevPki,
    create_dev_pki,
    load_dev_pki,
)


def _usage(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


def test_parties_have_signing_and_encryption_certificates(pki: DevPki) -> None:
    assert (pki.helsenorge.her_id, pki.gp_office.her_id) == (HELSENORGE_HER_ID, GP_OFFICE_HER_ID)
    for party in (pki.helsenorge, pki.gp_office):
        assert _usage(party.signing.certificate).content_commitment
        assert not _usage(party.signing.certificate).key_encipherment
        assert _usage(party.encryption.certificate).key_encipherment
        assert not _usage(party.encryption.certificate).content_commitment
        assert party.signing.certificate.issuer == pki.ca.certificate.subject


def test_special_certificates(pki: DevPki) -> None:
    now = dt.datetime.now(dt.UTC)
    assert pki.expired.certificate.not_valid_after_utc < now
    assert pki.not_yet_valid.certificate.not_valid_before_utc > now
    usage = _usage(pki.wrong_usage.certificate)
    assert not usage.content_commitment
    assert not usage.key_encipherment
    entry = pki.crl.get_revoked_certificate_by_serial_number(pki.revoked.certificate.serial_number)
    assert entry is not None
    assert (
        pki.crl.get_revoked_certificate_by_serial_number(
            pki.helsenorge.signing.certificate.serial_number
        )
        is None
    )


def test_manifest_and_load_round_trip(pki: DevPki) -> None:
    manifest = json.loads((pki.directory / "manifest.json").read_text())
    assert manifest["parties"]["gp_office"]["her_id"] == GP_OFFICE_HER_ID
    for entry in manifest["special"].values():
        assert (pki.directory / entry["cert"]).is_file()
    again = load_dev_pki(pki.directory)
    assert again.gp_office.signing.certificate == pki.gp_office.signing.certificate
    assert (
        again.helsenorge.encryption.key.private_numbers()
        == pki.helsenorge.encryption.key.private_numbers()
    )
    assert again.crl == pki.crl
    assert sorted(p.name for p in pki.resolver_dir.iterdir()) == sorted(
        f"{her}.{kind}.pem"
        for her in (HELSENORGE_HER_ID, GP_OFFICE_HER_ID)
        for kind in ("signing", "encryption")
    )


def test_the_pki_writes_exactly_its_names_keys_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "pki"
    pki = create_dev_pki(folder)
    assert sorted(os.listdir(folder)) == sorted(PKI_NAMES)
    for name in PKI_NAMES:
        if name.endswith(".key"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert load_dev_pki(folder).ca.certificate == pki.ca.certificate
    assert sorted(os.listdir(tmp_path / "new")) == ["pki"]  # no temporary folder left


def test_an_existing_folder_keeps_its_other_files_and_a_pki_needs_force(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("mine")
    first = create_dev_pki(tmp_path)
    assert (tmp_path / "README").read_text() == "mine"
    with pytest.raises(UsageError, match="already holds a dev PKI"):
        create_dev_pki(tmp_path)
    second = create_dev_pki(tmp_path, force=True)
    assert second.ca.certificate != first.ca.certificate
    assert load_dev_pki(tmp_path).ca.certificate == second.ca.certificate
    assert sorted(os.listdir(tmp_path)) == sorted([*PKI_NAMES, "README"])
