"""Fixtures for the security tests: one dev PKI per session, a MsgHead-like document, tools."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from digidialog.security import CertificateValidator, Signer, Verifier, load_private_key
from digidialog.security.devpki import DevPki, create_dev_pki

MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"

MESSAGE = f"""<?xml version="1.0" encoding="UTF-8"?>
<MsgHead xmlns="{MSGHEAD_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <MsgInfo>
    <Type V="DIALOG_INNBYGGER_EKONTAKT" DN="Henvendelse fra innbygger"/>
    <MIGversion>v1.2 2006-05-24</MIGversion>
    <GenDate>2026-11-30T10:00:00</GenDate>
    <MsgId>6d5e4a2b-0c1f-4f5e-9a38-3f2f1c0d9e11</MsgId>
    <Amount>500</Amount>
  </MsgInfo>
  <Document>
    <RefDoc>
      <MsgType V="XML" DN="XML-instans"/>
      <Content>
        <d:Dialogmelding xmlns:d="http://www.kith.no/xmlstds/dialog/2013-01-23">
          <d:Notat><d:TekstNotatInnhold>Kan jeg få time neste uke?</d:TekstNotatInnhold></d:Notat>
        </d:Dialogmelding>
      </Content>
    </RefDoc>
  </Document>
</MsgHead>
""".encode()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    """The throwaway PKI `digidialog dev-pki` writes, created once for the session."""
    return create_dev_pki(tmp_path_factory.mktemp("dev-pki"))


@pytest.fixture(scope="session")
def message() -> bytes:
    return MESSAGE


@pytest.fixture(scope="session")
def signer(pki: DevPki) -> Signer:
    return Signer(pki.helsenorge.signing.key, pki.helsenorge.signing.certificate)


@pytest.fixture(scope="session")
def signed(signer: Signer, message: bytes) -> bytes:
    return signer.sign(message)


@pytest.fixture(scope="session")
def verifier(pki: DevPki) -> Verifier:
    return Verifier(CertificateValidator(pki.trust_store()), resolver=pki.resolver())


def forged_crl(pki: DevPki, now: dt.datetime) -> x509.CertificateRevocationList:
    """A CRL current at `now` in the dev CA's name, signed by the untrusted CA: that CA has the
    same name, so only the signature tells the forgery from the genuine CRL."""
    rogue_key = load_private_key(pki.directory / "untrusted-ca.key")
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=1))
        .sign(rogue_key, hashes.SHA256())
    )


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
