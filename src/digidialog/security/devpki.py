"""A throwaway PKI for tests, demos and vendor CI — never for real messages.

`create_dev_pki(dir)` writes a CA, a signing certificate (nonRepudiation) and an encryption
certificate (keyEncipherment) for two parties — a helsenorge.no-like sender and a GP office — plus
expired, not-yet-valid, wrong-usage, revoked and untrusted (other CA) certificates, a CRL listing
the revoked one, a resolver folder (``<her-id>.signing.pem`` / ``<her-id>.encryption.pem``) and a
``manifest.json``. `load_dev_pki(dir)` reads it back; `DevPki.issue` makes more certificates from
the same CA (for example ones naming an OCSP responder or CRL URL).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from digidialog.security.certificates import KeyPurpose, TrustStore
from digidialog.security.keys import load_certificate, load_private_key
from digidialog.security.resolver import DirectoryResolver

HELSENORGE_HER_ID = "8093248"
"""HER-id of the helsenorge.no-like sender (Digitale innbyggertjenester in official examples)."""
GP_OFFICE_HER_ID = "1234"
"""HER-id of the GP office (Nanset legekontor in the official examples)."""

_USAGE: dict[KeyPurpose | None, x509.KeyUsage] = {
    KeyPurpose.SIGNING: x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    ),
    KeyPurpose.ENCRYPTION: x509.KeyUsage(
        digital_signature=False, content_commitment=False, key_encipherment=True,
        data_encipherment=True, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    ),
    None: x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Credential:
    """A private key and its certificate, in memory and on disk (PEM, key unencrypted)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    key_path: Path
    cert_path: Path


@dataclass(frozen=True, slots=True)
class DevParty:
    """One communication party: HER-id, name, signing and encryption credentials."""

    name: str
    her_id: str
    signing: Credential
    encryption: Credential


@dataclass(slots=True)
class DevPki:
    """Everything `create_dev_pki` wrote, with the CA key to issue more."""

    directory: Path
    ca: Credential
    crl_path: Path
    helsenorge: DevParty
    gp_office: DevParty
    expired: Credential
    not_yet_valid: Credential
    wrong_usage: Credential
    revoked: Credential
    untrusted: Credential
    """A signing certificate with the GP office's name, issued by a CA outside the trust store."""
    resolver_dir: Path
    crl: x509.CertificateRevocationList = field(repr=False)

    def trust_store(self) -> TrustStore:
        return TrustStore([self.ca.certificate])

    def resolver(self) -> DirectoryResolver:
        return DirectoryResolver(self.resolver_dir)

    def issue(
        self,
        name: str,
        purpose: KeyPurpose | None,
        *,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
        key_bits: int = 2048,
    ) -> Credential:
        """A new certificate from the dev CA, written as ``<name>.pem`` / ``<name>.key``."""
        now = dt.datetime.now(dt.UTC)
        return _issue(
            self.directory,
            name,
            self.ca,
            purpose,
            not_before=not_before or now - dt.timedelta(days=1),
            not_after=not_after or now + dt.timedelta(days=365),
            ocsp_url=ocsp_url,
            crl_url=crl_url,
            key_bits=key_bits,
        )

    def sign_crl(
        self,
        revoked: list[tuple[int, dt.datetime]],
        *,
        this_update: dt.datetime,
        next_update: dt.datetime,
    ) -> x509.CertificateRevocationList:
        """A CRL from the dev CA listing ``(serial, revocation time)`` pairs."""
        return _crl(self.ca, revoked, this_update, next_update)


def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name: str, organisation: str = "Digidialog dev PKI") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write(
    directory: Path, name: str, key: rsa.RSAPrivateKey, cert: x509.Certificate
) -> Credential:
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Credential(key, cert, key_path, cert_path)


def _ca(directory: Path, name: str, common_name: str, now: dt.datetime) -> Credential:
    key = _key()
    subject = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=365))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(directory, name, key, cert)


def _issue(
    directory: Path,
    name: str,
    ca: Credential,
    purpose: KeyPurpose | None,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    common_name: str | None = None,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    key_bits: int = 2048,
) -> Credential:
    key = _key(key_bits)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name or name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_USAGE[purpose], critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    return _write(directory, name, key, builder.sign(ca.key, hashes.SHA256()))


def _crl(
    ca: Credential,
    revoked: list[tuple[int, dt.datetime]],
    this_update: dt.datetime,
    next_update: dt.datetime,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca.key, hashes.SHA256())


def create_dev_pki(directory: str | Path, *, now: dt.datetime | None = None) -> DevPki:
    """Write a fresh dev PKI into ``directory`` (created if needed) and return it."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    ca = _ca(root, "ca", "Digidialog Dev CA", now)

    def issue(name: str, purpose: KeyPurpose | None, **kw: Any) -> Credential:
        kw.setdefault("not_before", start)
        kw.setdefault("not_after", end)
        return _issue(root, name, kw.pop("ca", ca), purpose, **kw)

    def party(key_name: str, name: str, her_id: str) -> DevParty:
        signing = issue(f"{key_name}-signing", KeyPurpose.SIGNING, common_name=f"{name} (signing)")
        encryption = issue(
            f"{key_name}-encryption", KeyPurpose.ENCRYPTION, common_name=f"{name} (encryption)"
        )
        return DevParty(name, her_id, signing, encryption)

    helsenorge = party("helsenorge", "Helsenorge innbyggertjenester DEV", HELSENORGE_HER_ID)
    gp_office = party("gp-office", "Nanset legekontor DEV", GP_OFFICE_HER_ID)
    expired = issue(
        "expired",
        KeyPurpose.SIGNING,
        not_before=now - dt.timedelta(days=60),
        not_after=now - dt.timedelta(days=1),
    )
    not_yet_valid = issue(
        "not-yet-valid",
        KeyPurpose.SIGNING,
        not_before=now + dt.timedelta(days=30),
        not_after=now + dt.timedelta(days=400),
    )
    wrong_usage = issue("wrong-usage", None)
    revoked = issue("revoked", KeyPurpose.SIGNING)
    # Same CA name as the real dev CA, different key: only signature checks tell them apart.
    rogue_ca = _ca(root, "untrusted-ca", "Digidialog Dev CA", now)
    untrusted = issue(
        "untrusted", KeyPurpose.SIGNING, ca=rogue_ca, common_name=f"{gp_office.name} (signing)"
    )
    an_hour_ago = now - dt.timedelta(hours=1)
    crl = _crl(
        ca,
        [(revoked.certificate.serial_number, an_hour_ago)],
        an_hour_ago,
        now + dt.timedelta(days=30),
    )
    crl_path = root / "ca.crl"
    crl_path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))

    resolver_dir = root / "resolver"
    resolver_dir.mkdir(exist_ok=True)
    for p in (helsenorge, gp_office):
        for purpose, cred in (
            (KeyPurpose.SIGNING, p.signing),
            (KeyPurpose.ENCRYPTION, p.encryption),
        ):
            (resolver_dir / f"{p.her_id}.{purpose.value}.pem").write_bytes(
                cred.cert_path.read_bytes()
            )

    pki = DevPki(
        root, ca, crl_path, helsenorge, gp_office, expired, not_yet_valid, wrong_usage, revoked,
        untrusted, resolver_dir, crl,
    )  # fmt: skip
    (root / "manifest.json").write_text(json.dumps(_manifest(pki), indent=2) + "\n", "utf-8")
    return pki


def _cred_entry(cred: Credential, root: Path) -> dict[str, str]:
    return {
        "cert": str(cred.cert_path.relative_to(root)),
        "key": str(cred.key_path.relative_to(root)),
    }


def _manifest(pki: DevPki) -> dict[str, Any]:
    root = pki.directory
    return {
        "warning": "throwaway test PKI: never use these keys for real messages",
        "ca": _cred_entry(pki.ca, root),
        "crl": str(pki.crl_path.relative_to(root)),
        "resolver": str(pki.resolver_dir.relative_to(root)),
        "parties": {
            role: {
                "name": p.name,
                "her_id": p.her_id,
                "signing": _cred_entry(p.signing, root),
                "encryption": _cred_entry(p.encryption, root),
            }
            for role, p in (("helsenorge", pki.helsenorge), ("gp_office", pki.gp_office))
        },
        "special": {
            name: _cred_entry(getattr(pki, name), root)
            for name in ("expired", "not_yet_valid", "wrong_usage", "revoked", "untrusted")
        },
    }


def load_dev_pki(directory: str | Path) -> DevPki:
    """Read a dev PKI written by `create_dev_pki` (from its ``manifest.json``)."""
    root = Path(directory)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))

    def cred(entry: dict[str, str]) -> Credential:
        key_path, cert_path = root / entry["key"], root / entry["cert"]
        return Credential(
            load_private_key(key_path), load_certificate(cert_path), key_path, cert_path
        )

    def party(entry: dict[str, Any]) -> DevParty:
        return DevParty(
            entry["name"], entry["her_id"], cred(entry["signing"]), cred(entry["encryption"])
        )

    special = manifest["special"]
    crl_path = root / manifest["crl"]
    return DevPki(
        root,
        cred(manifest["ca"]),
        crl_path,
        party(manifest["parties"]["helsenorge"]),
        party(manifest["parties"]["gp_office"]),
        cred(special["expired"]),
        cred(special["not_yet_valid"]),
        cred(special["wrong_usage"]),
        cred(special["revoked"]),
        cred(special["untrusted"]),
        root / manifest["resolver"],
        x509.load_pem_x509_crl(crl_path.read_bytes()),
    )
