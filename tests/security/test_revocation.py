"""Revocation: given CRLs, CRLs and OCSP fetched from a real loopback server, caching, policy."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from digidialog.security import (
    CertificateValidator,
    KeyPurpose,
    RevocationChecker,
    RevocationPolicy,
    RevocationState,
    RevocationUnavailableError,
    RevokedCertificateError,
    Signer,
    Verifier,
    load_certificate,
    load_private_key,
)
from digidialog.security.devpki import DevPki

from .conftest import forged_crl
from .servers import Publisher, closed_port_url, serve

NOW = dt.datetime.now(dt.UTC)


def _publisher(pki: DevPki) -> Publisher:
    return Publisher(
        issuer=pki.ca.certificate,
        signer_key=pki.ca.key,
        crl_der=pki.crl.public_bytes(serialization.Encoding.DER),
    )


def test_given_crl_good_and_revoked(pki: DevPki) -> None:
    checker = RevocationChecker([pki.crl])
    status = checker.check(pki.helsenorge.signing.certificate, pki.ca.certificate, NOW)
    assert status.state is RevocationState.GOOD
    with pytest.raises(RevokedCertificateError) as info:
        checker.check(pki.revoked.certificate, pki.ca.certificate, NOW)
    assert info.value.code == "transport:revoked-certificate"
    assert info.value.thumbprint


def test_revocation_after_the_verification_time_does_not_count(pki: DevPki) -> None:
    checker = RevocationChecker([pki.crl])
    before = NOW - dt.timedelta(days=1)  # the dev CRL revokes one hour before "now"
    status = checker.check(pki.revoked.certificate, pki.ca.certificate, before)
    assert status.state is RevocationState.GOOD


@pytest.mark.parametrize(
    ("policy", "retryable"),
    [(RevocationPolicy.FAIL_CLOSED, False), (RevocationPolicy.RETRY_LATER, True)],
)
def test_stale_crl_is_unavailable_never_valid(
    pki: DevPki, policy: RevocationPolicy, retryable: bool
) -> None:
    stale = pki.sign_crl(
        [], this_update=NOW - dt.timedelta(days=10), next_update=NOW - dt.timedelta(days=3)
    )
    checker = RevocationChecker([stale], policy=policy)
    with pytest.raises(RevocationUnavailableError) as info:
        checker.check(pki.helsenorge.signing.certificate, pki.ca.certificate, NOW)
    assert info.value.retryable is retryable
    assert "out of date" in str(info.value)


def test_crl_signed_by_another_key_is_not_trusted(pki: DevPki) -> None:
    forged = forged_crl(pki, NOW)
    with pytest.raises(RevocationUnavailableError) as info:
        RevocationChecker([forged]).check(pki.revoked.certificate, pki.ca.certificate, NOW)
    assert "not signed by the certificate's issuer" in str(info.value)


def test_no_source_means_not_checked_and_says_so(pki: DevPki) -> None:
    status = RevocationChecker().check(pki.helsenorge.signing.certificate, pki.ca.certificate, NOW)
    assert status.state is RevocationState.NOT_CHECKED
    assert "not checked" in str(status)


def test_crl_distribution_point_fetched_once_and_cached(pki: DevPki) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue("cdp-good", KeyPurpose.SIGNING, crl_url=f"{server.base_url}/ca.crl")
        checker = RevocationChecker()
        for _ in range(3):
            status = checker.check(cred.certificate, pki.ca.certificate, NOW)
            assert status.state is RevocationState.GOOD
            assert status.source == f"CRL {server.base_url}/ca.crl"
        assert server.hits["crl"] == 1
        assert checker.fetches == 1


def test_crl_distribution_point_lists_the_revoked_certificate(pki: DevPki) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue("cdp-revoked", KeyPurpose.SIGNING, crl_url=f"{server.base_url}/ca.crl")
        server.crl_der = pki.sign_crl(
            [(cred.certificate.serial_number, NOW - dt.timedelta(minutes=5))],
            this_update=NOW - dt.timedelta(minutes=5),
            next_update=NOW + dt.timedelta(days=1),
        ).public_bytes(serialization.Encoding.DER)
        with pytest.raises(RevokedCertificateError):
            RevocationChecker().check(cred.certificate, pki.ca.certificate, NOW)


@pytest.mark.parametrize(
    ("policy", "retryable"),
    [(RevocationPolicy.FAIL_CLOSED, False), (RevocationPolicy.RETRY_LATER, True)],
)
def test_unreachable_crl_is_unavailable(
    pki: DevPki, policy: RevocationPolicy, retryable: bool
) -> None:
    cred = pki.issue(
        f"cdp-down-{policy.value}", KeyPurpose.SIGNING, crl_url=f"{closed_port_url()}/ca.crl"
    )
    checker = RevocationChecker(policy=policy, timeout=2.0)
    with pytest.raises(RevocationUnavailableError) as info:
        checker.check(cred.certificate, pki.ca.certificate, NOW)
    assert info.value.retryable is retryable
    assert "could not be fetched" in str(info.value)


def test_offline_checker_does_not_fetch(pki: DevPki) -> None:
    cred = pki.issue("cdp-offline", KeyPurpose.SIGNING, crl_url=f"{closed_port_url()}/ca.crl")
    status = RevocationChecker(use_network=False).check(cred.certificate, pki.ca.certificate, NOW)
    assert status.state is RevocationState.NOT_CHECKED


def test_ocsp_good_is_cached(pki: DevPki) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue("ocsp-good", KeyPurpose.SIGNING, ocsp_url=f"{server.base_url}/ocsp")
        server.statuses[cred.certificate.serial_number] = ocsp.OCSPCertStatus.GOOD
        checker = RevocationChecker()
        for _ in range(2):
            status = checker.check(cred.certificate, pki.ca.certificate, NOW)
            assert status.state is RevocationState.GOOD
            assert status.source == f"OCSP {server.base_url}/ocsp"
        assert server.hits["ocsp"] == 1


def test_ocsp_revoked_refuses_a_signed_message(pki: DevPki, message: bytes) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue("ocsp-revoked", KeyPurpose.SIGNING, ocsp_url=f"{server.base_url}/ocsp")
        server.statuses[cred.certificate.serial_number] = ocsp.OCSPCertStatus.REVOKED
        verifier = Verifier(CertificateValidator(pki.trust_store(), revocation=RevocationChecker()))
        data = Signer(cred.key, cred.certificate).sign(message)
        with pytest.raises(RevokedCertificateError) as info:
            verifier.verify(data)
        assert "OCSP" in str(info.value)


def test_ocsp_unknown_is_unavailable(pki: DevPki) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue("ocsp-unknown", KeyPurpose.SIGNING, ocsp_url=f"{server.base_url}/ocsp")
        with pytest.raises(RevocationUnavailableError) as info:
            RevocationChecker().check(cred.certificate, pki.ca.certificate, NOW)
        assert "does not know" in str(info.value)


def test_ocsp_answer_signed_by_someone_else_is_not_trusted(pki: DevPki) -> None:
    publisher = _publisher(pki)
    publisher.signer_key = load_private_key(pki.directory / "untrusted-ca.key")
    publisher.responder = load_certificate(pki.directory / "untrusted-ca.pem")
    with serve(publisher) as server:
        cred = pki.issue("ocsp-forged", KeyPurpose.SIGNING, ocsp_url=f"{server.base_url}/ocsp")
        server.statuses[cred.certificate.serial_number] = ocsp.OCSPCertStatus.GOOD
        with pytest.raises(RevocationUnavailableError) as info:
            RevocationChecker().check(cred.certificate, pki.ca.certificate, NOW)
        assert "not signed by the issuer" in str(info.value)


def test_ocsp_down_falls_back_to_the_crl(pki: DevPki) -> None:
    with serve(_publisher(pki)) as server:
        cred = pki.issue(
            "ocsp-down-crl-up",
            KeyPurpose.SIGNING,
            ocsp_url=f"{closed_port_url()}/ocsp",
            crl_url=f"{server.base_url}/ca.crl",
        )
        status = RevocationChecker(timeout=2.0).check(cred.certificate, pki.ca.certificate, NOW)
        assert status.state is RevocationState.GOOD
        assert status.source is not None
        assert status.source.startswith("CRL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _index_line(cert: object, status: str, revoked: str = "") -> str:
    from cryptography import x509

    assert isinstance(cert, x509.Certificate)
    expiry = cert.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
    return f"{status}\t{expiry}\t{revoked}\t{cert.serial_number:X}\tunknown\t/CN=x\n"


@pytest.mark.tools
def test_openssl_ocsp_responder(pki: DevPki, tmp_path: Path) -> None:
    """`openssl ocsp` as the responder on loopback: good and revoked answers."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    good = pki.issue("openssl-ocsp-good", KeyPurpose.SIGNING, ocsp_url=url)
    revoked = pki.issue("openssl-ocsp-revoked", KeyPurpose.SIGNING, ocsp_url=url)
    index = tmp_path / "index.txt"
    index.write_text(
        _index_line(good.certificate, "V")
        + _index_line(
            revoked.certificate, "R", (NOW - dt.timedelta(hours=2)).strftime("%y%m%d%H%M%SZ")
        )
    )
    responder = subprocess.Popen(
        [openssl, "ocsp", "-index", str(index), "-port", str(port),
         "-rsigner", str(pki.ca.cert_path), "-rkey", str(pki.ca.key_path),
         "-CA", str(pki.ca.cert_path), "-nmin", "10", "-nrequest", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert responder.stderr is not None
        for _ in range(5):  # it says so once it listens
            if b"waiting for OCSP client" in responder.stderr.readline():
                break
        checker = RevocationChecker(timeout=5.0)
        status = checker.check(good.certificate, pki.ca.certificate, NOW)
        assert status.state is RevocationState.GOOD
        assert status.source == f"OCSP {url}"
        with pytest.raises((RevokedCertificateError, RevocationUnavailableError)) as info:
            checker.check(revoked.certificate, pki.ca.certificate, NOW)
        if isinstance(info.value, RevocationUnavailableError):
            pytest.fail(f"openssl ocsp did not answer the second request: {info.value}")
    finally:
        responder.kill()
        responder.wait(timeout=5)
