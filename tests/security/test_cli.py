"""`digidialog sign | verify | seal | open | dev-pki`, run as a user would, exit codes included."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from digidialog.cli.main import main
from digidialog.security.devpki import DevPki, load_dev_pki
from tests.keyfiles import write_encrypted_key

from .conftest import MESSAGE


@pytest.fixture(scope="module")
def cli_pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    folder = tmp_path_factory.mktemp("cli") / "pki"
    assert main(["dev-pki", str(folder)]) == 0
    return load_dev_pki(folder)


@pytest.fixture
def message_file(tmp_path: Path) -> Path:
    path = tmp_path / "msg.xml"
    path.write_bytes(MESSAGE)
    return path


def _sign(pki: DevPki, src: Path, out: Path, who: str = "helsenorge") -> Path:
    cred = getattr(pki, who).signing if who in ("helsenorge", "gp_office") else getattr(pki, who)
    assert main(["sign", str(src), "--key", str(cred.key_path), "--cert", str(cred.cert_path),
                 "-o", str(out)]) == 0  # fmt: skip
    return out


def test_dev_pki_writes_the_files(cli_pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("ca.pem", "ca.crl", "manifest.json", "revoked.pem", "expired.pem"):
        assert (cli_pki.directory / name).is_file()


def test_sign_then_verify_with_trust_or_pinned_cert(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml")
    capsys.readouterr()
    assert main(["verify", str(signed), "--trust", str(cli_pki.ca.cert_path)]) == 0
    out, err = capsys.readouterr()
    assert "valid: signed by" in out
    assert "not checked" in out
    assert err.startswith("digidialog verify: warning: revocation not checked")  # for CI logs
    assert main(["verify", str(signed), "--trust", str(cli_pki.ca.cert_path),
                 "--crl", str(cli_pki.crl_path)]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert "CRL given" in out
    assert err == ""
    assert main(["verify", str(signed), "--cert", str(cli_pki.helsenorge.signing.cert_path)]) == 0
    assert main(["verify", str(signed), "--cert", str(cli_pki.gp_office.signing.cert_path)]) == 1
    assert "transport:invalid-certificate" in capsys.readouterr().err


def test_verify_tampered_exits_1_with_code_and_reason(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml")
    signed.write_bytes(signed.read_bytes().replace(b">500<", b">900<"))
    capsys.readouterr()
    assert main(["verify", str(signed), "--trust", str(cli_pki.ca.cert_path)]) == 1
    err = capsys.readouterr().err
    assert "transport:invalid-signature" in err
    assert "changed after it was signed" in err


def test_verify_usage_errors_exit_2(cli_pki: DevPki, message_file: Path, tmp_path: Path) -> None:
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml")
    with pytest.raises(SystemExit) as info:
        main(["verify", str(signed)])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["verify", str(signed), "--trust", "a.pem", "--cert", "b.pem"])
    assert info.value.code == 2
    assert main(["verify", str(signed), "--trust", str(cli_pki.ca.cert_path), "--at", "soon"]) == 2
    assert (
        main(["verify", str(tmp_path / "nothing.xml"), "--trust", str(cli_pki.ca.cert_path)]) == 2
    )
    assert main(["verify", str(signed), "--cert", str(cli_pki.ca.cert_path),
                 "--crl", str(cli_pki.crl_path)]) == 2  # fmt: skip


def test_revoked_and_expired_signers(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    revoked = _sign(cli_pki, message_file, tmp_path / "revoked.xml", "revoked")
    assert main(["verify", str(revoked), "--trust", str(cli_pki.ca.cert_path),
                 "--crl", str(cli_pki.crl_path)]) == 1  # fmt: skip
    assert "transport:revoked-certificate" in capsys.readouterr().err
    expired = _sign(cli_pki, message_file, tmp_path / "expired.xml", "expired")
    assert main(["verify", str(expired), "--trust", str(cli_pki.ca.cert_path)]) == 1
    assert "transport:expired-certificate" in capsys.readouterr().err
    then = (cli_pki.expired.certificate.not_valid_after_utc - dt.timedelta(days=2)).isoformat()
    assert main(["verify", str(expired), "--trust", str(cli_pki.ca.cert_path), "--at", then]) == 0


def test_expected_sender_through_the_resolver(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml", "gp_office")
    base = ["verify", str(signed), "--trust", str(cli_pki.ca.cert_path),
            "--resolver", str(cli_pki.resolver_dir)]  # fmt: skip
    assert main([*base, "--sender", cli_pki.gp_office.her_id]) == 0
    assert main([*base, "--sender", cli_pki.helsenorge.her_id]) == 1
    assert "abuse:spoofing-attack" in capsys.readouterr().err


def test_seal_then_open(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hn, gp = cli_pki.helsenorge, cli_pki.gp_office
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml")
    sealed = tmp_path / "sealed.der"
    assert main(["seal", str(signed), "--key", str(hn.signing.key_path), "--cert",
                 str(hn.signing.cert_path), "--to", str(gp.encryption.cert_path),
                 "-o", str(sealed)]) == 0  # fmt: skip
    assert sealed.read_bytes()[:1] == b"\x30"  # DER
    opened = tmp_path / "opened.xml"
    own = ["--key", str(gp.encryption.key_path), "--cert", str(gp.encryption.cert_path)]
    assert main(["open", str(sealed), *own, "--trust", str(cli_pki.ca.cert_path),
                 "-o", str(opened)]) == 0  # fmt: skip
    assert opened.read_bytes() == signed.read_bytes()
    assert main(["open", str(sealed), *own, "--sender-cert", str(hn.signing.cert_path),
                 "-o", str(opened)]) == 0  # fmt: skip
    capsys.readouterr()
    wrong = ["--key", str(hn.encryption.key_path), "--cert", str(hn.encryption.cert_path)]
    assert main(["open", str(sealed), *wrong, "--trust", str(cli_pki.ca.cert_path)]) == 1
    assert "transport:invalid-certificate" in capsys.readouterr().err


def test_encrypted_pem_from_env_and_pkcs12(
    cli_pki: DevPki, message_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = cli_pki.gp_office.signing
    key = write_encrypted_key(tmp_path / "enc.key", cred.key)
    monkeypatch.setenv("GP_KEY_PASSWORD", "s3cret")
    out = tmp_path / "signed.xml"
    assert main(["sign", str(message_file), "--key", str(key), "--cert", str(cred.cert_path),
                 "--password-env", "GP_KEY_PASSWORD", "-o", str(out)]) == 0  # fmt: skip
    assert main(["sign", str(message_file), "--key", str(key), "--cert", str(cred.cert_path),
                 "-o", str(out)]) == 2  # no password, no terminal  # fmt: skip
    p12 = tmp_path / "gp.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"gp", cred.key, cred.certificate, None, serialization.BestAvailableEncryption(b"s3cret")
    ))  # fmt: skip
    out2 = tmp_path / "signed2.xml"
    assert main(["sign", str(message_file), "--key", str(p12), "--password-env", "GP_KEY_PASSWORD",
                 "-o", str(out2)]) == 0  # fmt: skip
    assert main(["verify", str(out2), "--trust", str(cli_pki.ca.cert_path)]) == 0


def test_console_exit_codes_in_a_real_process(
    cli_pki: DevPki, message_file: Path, tmp_path: Path
) -> None:
    signed = _sign(cli_pki, message_file, tmp_path / "signed.xml")
    run = [sys.executable, "-m", "digidialog.cli.main", "verify"]
    ok = subprocess.run([*run, str(signed), "--trust", str(cli_pki.ca.cert_path)],
                        capture_output=True, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    signed.write_bytes(signed.read_bytes().replace(b">500<", b">501<"))
    bad = subprocess.run([*run, str(signed), "--trust", str(cli_pki.ca.cert_path)],
                         capture_output=True, check=False)  # fmt: skip
    assert bad.returncode == 1
    assert b"transport:invalid-signature" in bad.stderr
