"""CRL files are read once, bounded, and any file that is not a CRL is a usage error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from digidialog.errors import UsageError
from digidialog.security import RevocationChecker, revocation
from digidialog.security.devpki import DevPki


def test_crl_files_in_pem_and_der_are_read(pki: DevPki, tmp_path: Path) -> None:
    der = tmp_path / "ca.der"
    der.write_bytes(pki.crl.public_bytes(Encoding.DER))
    checker = RevocationChecker.from_files([str(pki.crl_path), str(der)])
    assert isinstance(checker, RevocationChecker)


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.crl"
    with pytest.raises(UsageError, match=f"cannot read CRL {missing}"):
        RevocationChecker.from_files([str(missing)])


def test_a_file_over_the_cap_is_refused_unread(
    pki: DevPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revocation, "MAX_CRL_BYTES", 100)
    with pytest.raises(UsageError, match="over the limit of 100 bytes"):
        RevocationChecker.from_files([str(pki.crl_path)])


def test_a_file_that_is_no_crl_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.crl"
    junk.write_bytes(b"-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n")
    with pytest.raises(UsageError, match=f"{junk} holds no readable CRL"):
        RevocationChecker.from_files([str(junk)])
