"""Key files as users have them, for the CLI tests: encrypted PEM with a password."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PASSWORD = b"s3cret"


def write_encrypted_key(path: Path, key: rsa.RSAPrivateKey, password: bytes = PASSWORD) -> Path:
    """``key`` as PKCS#8 PEM encrypted with ``password``, written to ``path``."""
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    return path
