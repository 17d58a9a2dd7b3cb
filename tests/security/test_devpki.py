"""The dev PKI: what it writes, and that it reads back the same."""

from __future__ import annotations

import datetime as dt
import json

from cryptography import x509

from digidialog.security.devpki import GP_OFFICE_HER_ID, HELSENORGE_HER_ID, DevPki, load_dev_pki


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
