"""Fixtures for the schema tests: a real enveloped XML signature over one of our seeds."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.signer import XMLSigner
from signxml.verifier import XMLVerifier

from digidialog.xml.parser import parse_xml

SEEDS = Path(__file__).parent / "seeds"


@pytest.fixture(scope="session")
def signing_material() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "digidialog schema test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def signed(signing_material: tuple[bytes, str]) -> etree._Element:
    key_pem, cert_pem = signing_material
    unsigned = parse_xml(SEEDS / "msghead-xcal.xml").getroot()
    root = XMLSigner().sign(unsigned, key=key_pem, cert=cert_pem)
    XMLVerifier().verify(root, x509_cert=cert_pem)  # a real, verifiable enveloped signature
    return root
