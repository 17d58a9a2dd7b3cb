"""A throwaway PKI for tests, demos and vendor CI — never for real messages.

`create_dev_pki(dir)` writes a CA, a signing certificate (nonRepudiation) and an encryption
certificate (keyEncipherment) for two parties — a helsenorge.no-like sender and a GP office — plus
expired, not-yet-valid, wrong-usage, revoked and untrusted (other CA) certificates, a CRL listing
the revoked one, a resolver folder (``<her-id>.signing.pem`` / ``<her-id>.encryption.pem``) and a
``manifest.json``. `load_dev_pki(dir)` reads it back; `DevPki.issue` makes more certificates from
the same CA (for example ones naming an OCSP responder or CRL URL). Every end-entity certificate
carries a (non-critical) CertificatePolicies extension with the enterprise-certificate test policy
of HITS 1216 (`HELSENORGE_TEST_POLICIES`), so a validator built with
``policies=HELSENORGE_TEST_POLICIES`` takes them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from digidialog.errors import Location, UsageError
from digidialog.files import default_file_mode, fsync_folder, write_atomic
from digidialog.security.certificates import HELSENORGE_TEST_POLICIES, KeyPurpose, TrustStore
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

_POLICIES = x509.CertificatePolicies(
    [
        x509.PolicyInformation(x509.ObjectIdentifier(oid), None)
        for oid in sorted(HELSENORGE_TEST_POLICIES)
    ]
)
"""What an enterprise certificate in helsenorge.no's test environment names (HITS 1216)."""


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
    directory: Path,
    name: str,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    *,
    into: Path | None = None,
) -> Credential:
    """Write ``<name>.key`` (mode 0600 from the start) and ``<name>.pem``; the `Credential` names
    them in ``directory``. With ``into`` (a new folder being built) the files are created there,
    each new; without it they replace any in ``directory`` atomically, links not followed."""
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    if into is None:
        write_atomic(key_path, key_pem, mode=_KEY_MODE)
        write_atomic(cert_path, cert_pem, mode=default_file_mode())
    else:
        _create(into / key_path.name, key_pem, _KEY_MODE)
        _create(into / cert_path.name, cert_pem, 0o666)
    return Credential(key, cert, key_path, cert_path)


_KEY_MODE = 0o600


def _create(path: Path, data: bytes, mode: int) -> None:
    """A new file holding ``data``, created with ``mode`` (less the umask): never through a
    symlink, never over an existing file, and synced to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _ca(
    directory: Path, name: str, common_name: str, now: dt.datetime, *, into: Path | None = None
) -> Credential:
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
    return _write(directory, name, key, cert, into=into)


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
    into: Path | None = None,
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
        .add_extension(_POLICIES, critical=False)
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
    return _write(directory, name, key, builder.sign(ca.key, hashes.SHA256()), into=into)


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


_CREDENTIALS = (
    "ca", "helsenorge-signing", "helsenorge-encryption", "gp-office-signing",
    "gp-office-encryption", "expired", "not-yet-valid", "wrong-usage", "revoked", "untrusted-ca",
    "untrusted",
)  # fmt: skip
PKI_NAMES: tuple[str, ...] = (
    *(f"{name}.{ext}" for name in _CREDENTIALS for ext in ("key", "pem")),
    "ca.crl",
    "resolver",
    "manifest.json",
)
"""Every name `create_dev_pki` writes into its folder (``resolver`` is a folder)."""


def create_dev_pki(
    directory: str | Path, *, now: dt.datetime | None = None, force: bool = False
) -> DevPki:
    """Write a fresh dev PKI into ``directory`` and return it.

    ``directory`` may be new (it is created, with any missing parents), empty, or hold other
    files. One that already holds any of the PKI's files (`PKI_NAMES`) is refused with a
    `UsageError` unless ``force``, which replaces them (the CA key too). The PKI is built in a
    temporary folder beside ``directory`` and then renamed into place — the whole folder when
    ``directory`` is new, else entry by entry with the manifest last, undone on failure — so a
    failure (disk full, Ctrl-C) leaves nothing behind and an existing PKI as it was. Private keys
    are created with mode 0600; symlinks in the way are replaced, never written through.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(root))
    if not force:
        _refuse_existing(root)
    real = Path(os.path.realpath(root))
    made = _make_folders(real.parent)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent))
        try:
            pki = _build(root, staging, now or dt.datetime.now(dt.UTC))
            _place(staging, real, force=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return pki


def _refuse_existing(root: Path) -> None:
    """A `UsageError` naming the PKI files already in ``root``, if any."""
    if not root.is_dir():
        return
    found = [name for name in PKI_NAMES if os.path.lexists(root / name)]
    if found:
        listed = ", ".join(found[:3]) + (", …" if len(found) > 3 else "")
        raise UsageError(
            f"{root} already holds a dev PKI ({listed}); not replaced",
            location=Location(str(root)),
            hint="choose another folder, or pass --force (force=True) to replace it",
        )


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents; the ones created, outermost first."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    made: list[Path] = []
    try:
        for path in reversed(missing):
            path.mkdir()
            made.append(path)
    except BaseException:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()
        raise
    return made


def _place(staging: Path, target: Path, *, force: bool) -> None:
    """Move what ``staging`` holds to ``target``: one rename when ``target`` is new, else entry by
    entry (the manifest last) — each replaced entry kept aside until all are in, and put back if
    a move fails."""
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's 0700 is for the time being built
    fsync_folder(staging / "resolver")
    fsync_folder(staging)
    if not os.path.lexists(target):
        os.rename(staging, target)
        fsync_folder(target.parent)
        return
    names = sorted(os.listdir(staging), key=lambda n: (n == "manifest.json", n))
    aside = Path(tempfile.mkdtemp(prefix=".replaced.", dir=staging))
    undo: list[Callable[[], None]] = []
    try:
        for name in names:
            source, destination = staging / name, target / name
            if os.path.lexists(destination):
                if not force:
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(destination))
                kept = aside / name
                os.rename(destination, kept)
                undo.append(functools.partial(os.rename, kept, destination))
            os.rename(source, destination)
            undo.append(functools.partial(_remove, destination))
    except BaseException:
        for step in reversed(undo):
            with contextlib.suppress(OSError):
                step()
        raise
    fsync_folder(target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _build(root: Path, staging: Path, now: dt.datetime) -> DevPki:
    """Every file of the PKI, written into ``staging``; the paths returned name ``root``."""
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    ca = _ca(root, "ca", "Digidialog Dev CA", now, into=staging)

    def issue(name: str, purpose: KeyPurpose | None, **kw: Any) -> Credential:
        kw.setdefault("not_before", start)
        kw.setdefault("not_after", end)
        return _issue(root, name, kw.pop("ca", ca), purpose, into=staging, **kw)

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
    rogue_ca = _ca(root, "untrusted-ca", "Digidialog Dev CA", now, into=staging)
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
    _create(staging / crl_path.name, crl.public_bytes(serialization.Encoding.PEM), 0o666)

    resolver_dir = root / "resolver"
    (staging / resolver_dir.name).mkdir()
    for p in (helsenorge, gp_office):
        for purpose, cred in (
            (KeyPurpose.SIGNING, p.signing),
            (KeyPurpose.ENCRYPTION, p.encryption),
        ):
            _create(
                staging / resolver_dir.name / f"{p.her_id}.{purpose.value}.pem",
                cred.certificate.public_bytes(serialization.Encoding.PEM),
                0o666,
            )

    pki = DevPki(
        root, ca, crl_path, helsenorge, gp_office, expired, not_yet_valid, wrong_usage, revoked,
        untrusted, resolver_dir, crl,
    )  # fmt: skip
    manifest = json.dumps(_manifest(pki), indent=2) + "\n"
    _create(staging / "manifest.json", manifest.encode("utf-8"), 0o666)
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
