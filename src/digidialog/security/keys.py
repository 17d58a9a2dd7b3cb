"""Loading keys and certificates: PEM (optionally encrypted), DER and PKCS#12.

Loading is the slow, once-per-process step; the objects it returns are handed to `Signer`, `Sealer`,
`Opener` and friends, which reuse them for every message.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from digidialog.errors import Location, UsageError
from digidialog.files import InputTooLargeError, read_bounded
from digidialog.security import x509load


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An RSA private key with the certificate that names its public half."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


MAX_FILE_BYTES = 50 * 1024 * 1024
"""Key, certificate and trust files larger than this are refused unread (``/dev/zero`` too)."""


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        return read_bounded(path, MAX_FILE_BYTES)
    except InputTooLargeError as exc:
        raise UsageError(
            f"cannot read {path}: {exc}",
            location=Location(str(path)),
            hint="give the key or certificate file itself",
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror or exc}", location=Location(str(path))
        ) from exc


def load_certificates(path: str | os.PathLike[str]) -> list[x509.Certificate]:
    """All certificates in a PEM file (one or many), or the one in a DER file."""
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
        for cert in certs:
            x509load.inspect(cert)
    except x509load.READ_ERRORS as exc:
        raise UsageError(
            f"{path} holds no readable X.509 certificate: {x509load.why(exc)}",
            location=Location(str(path)),
            hint="give a PEM or DER certificate file",
        ) from exc
    return certs


def load_certificate(path: str | os.PathLike[str]) -> x509.Certificate:
    """The first certificate in a PEM or DER file."""
    return load_certificates(path)[0]


def password_from(env_var: str | None, *, prompt_for: str | None = None) -> bytes | None:
    """A key password from the named environment variable, or asked for on a terminal."""
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise UsageError(f"environment variable {env_var} is not set", hint="export it first")
        return value.encode("utf-8")
    if prompt_for is not None and sys.stdin.isatty():
        return getpass.getpass(f"password for {prompt_for}: ").encode("utf-8")
    return None


def _rsa(key: object, path: str | os.PathLike[str]) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError(
            f"{path} holds a {type(key).__name__}, not an RSA key",
            location=Location(str(path)),
            hint="the helsenorge.no profile uses RSA (2048 bits or more)",
        )
    return key


def load_private_key(
    path: str | os.PathLike[str], password: bytes | None = None
) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (plain or encrypted), DER or PKCS#12."""
    return _load(path, password)[0]


def load_key_pair(
    key_path: str | os.PathLike[str],
    cert_path: str | os.PathLike[str] | None = None,
    password: bytes | None = None,
) -> KeyPair:
    """Key and certificate: from a PKCS#12 file alone, or a key file plus a certificate file."""
    key, bundled = _load(key_path, password)
    cert = load_certificate(cert_path) if cert_path is not None else bundled
    if cert is None:
        raise UsageError(
            f"no certificate for the key in {key_path}",
            location=Location(str(key_path)),
            hint="pass --cert CERT, or use a PKCS#12 file that holds the certificate",
        )
    cert_key = cert.public_key()
    if not isinstance(cert_key, rsa.RSAPublicKey) or (
        cert_key.public_numbers() != key.public_key().public_numbers()
    ):
        raise UsageError(
            f"the certificate does not belong to the key in {key_path}",
            location=Location(str(cert_path or key_path)),
            hint="pass the certificate issued for this key",
        )
    return KeyPair(key, cert)


def _load(
    path: str | os.PathLike[str], password: bytes | None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate | None]:
    data = _read(path)
    cert: x509.Certificate | None = None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password)
        else:
            try:
                key = serialization.load_der_private_key(data, password)
            except ValueError:
                p12 = pkcs12.load_pkcs12(data, password)
                if p12.key is None:
                    raise ValueError("the PKCS#12 file holds no private key") from None
                key = p12.key
                if p12.cert is not None:
                    cert = p12.cert.certificate
    except TypeError as exc:  # cryptography: a password for a plain key, or none for a locked one
        raise _password_problem(path, password) from exc
    except ValueError as exc:
        raise UsageError(
            f"cannot load the private key in {path}: {exc}",
            location=Location(str(path)),
            hint="check the password, and that the file is PEM, DER or PKCS#12",
        ) from exc
    return _rsa(key, path), cert


def _password_problem(path: str | os.PathLike[str], password: bytes | None) -> UsageError:
    """Why a key would not load with ``password``: cryptography takes an empty password for
    none, so an empty one given for an encrypted key is said to be empty, not superfluous."""
    where = Location(str(path))
    if password is None:
        return UsageError(
            f"{path} is encrypted and needs a password",
            location=where,
            hint="give the key password with --password-env VAR (or on the prompt)",
        )
    if not password:
        return UsageError(
            f"{path} is encrypted and needs a password, but the password given is empty",
            location=where,
            hint="set the variable --password-env names to the key's password",
        )
    return UsageError(
        f"{path} is not encrypted, but a password was given",
        location=where,
        hint="leave out --password-env for this key",
    )
