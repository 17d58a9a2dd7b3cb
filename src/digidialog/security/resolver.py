"""Which certificates belong to which HER-id: the address register's role, as an interface.

The signer of a message must be the party it claims to come from; `check_sender` compares the
signer's certificate with those the resolver knows for the expected HER-id and raises
`SpoofingError` (``abuse:spoofing-attack``) on a mismatch. A production resolver would ask the
address register (Adresseregisteret) and cache; these two read memory or a folder.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography import x509

from digidialog.errors import UsageError
from digidialog.security.certificates import KeyPurpose, describe, thumbprint
from digidialog.security.errors import InvalidCertificateError, SpoofingError
from digidialog.security.keys import load_certificates

_HER_ID = re.compile(r"[0-9]{1,20}")


def is_her_id(value: object) -> bool:
    """Whether ``value`` has the form of a HER-id: ASCII digits only (at most 20)."""
    return isinstance(value, str) and _HER_ID.fullmatch(value) is not None


class CertificateResolver(Protocol):
    """Certificates registered for a HER-id: several when a party is switching certificates."""

    def certificates(self, her_id: str, purpose: KeyPurpose) -> Sequence[x509.Certificate]:
        """The party's current certificates for ``purpose``, newest first; empty when unknown."""
        ...


@runtime_checkable
class Refreshable(Protocol):
    """A resolver that caches and can forget what it read, to read the register again when a
    certificate fails (HITS 1216 §2.1.4: the party may have changed certificates)."""

    def refresh(self) -> None: ...


class InMemoryResolver:
    """A resolver filled by the caller: ``{her_id: {KeyPurpose: [cert, ...]}}``."""

    def __init__(
        self, entries: Mapping[str, Mapping[KeyPurpose, Iterable[x509.Certificate]]] | None = None
    ) -> None:
        self._entries: dict[str, dict[KeyPurpose, list[x509.Certificate]]] = {}
        for her_id, by_purpose in (entries or {}).items():
            for purpose, certs in by_purpose.items():
                self.add(her_id, purpose, *certs)

    def add(self, her_id: str, purpose: KeyPurpose, *certs: x509.Certificate) -> None:
        """Register certificates for a party (newest first)."""
        self._entries.setdefault(str(her_id), {}).setdefault(purpose, []).extend(certs)

    def certificates(self, her_id: str, purpose: KeyPurpose) -> Sequence[x509.Certificate]:
        return tuple(self._entries.get(str(her_id), {}).get(purpose, ()))


class DirectoryResolver:
    """Reads ``<her-id>.signing.pem`` and ``<her-id>.encryption.pem`` from a folder, once per party.

    A PEM file may hold several certificates (newest first). `refresh` forgets what was read, as
    HITS 1216 asks when a certificate fails: fetch again and retry.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[tuple[str, KeyPurpose], tuple[x509.Certificate, ...]] = {}
        self._lock = threading.Lock()

    def certificates(self, her_id: str, purpose: KeyPurpose) -> Sequence[x509.Certificate]:
        """The certificates in ``<her_id>.<purpose>.pem``; none for an unknown party, and none
        for an ``her_id`` that is not a HER-id (digits only): a name such as ``../keys/x`` from a
        message or an option never reaches the file system."""
        if not is_her_id(str(her_id)):
            return ()
        key = (str(her_id), purpose)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        path = self.folder / f"{her_id}.{purpose.value}.pem"
        certs = tuple(load_certificates(path)) if path.is_file() else ()
        with self._lock:
            self._cache[key] = certs
        return certs

    def refresh(self) -> None:
        with self._lock:
            self._cache.clear()


def check_sender(
    resolver: CertificateResolver | None,
    her_id: str,
    cert: x509.Certificate,
    purpose: KeyPurpose,
) -> None:
    """Raise unless ``cert`` is one the resolver lists for ``her_id`` and ``purpose``."""
    if resolver is None:
        raise UsageError(
            f"an expected sender ({her_id}) was given but no certificate resolver to check it",
            hint="pass resolver=… (e.g. DirectoryResolver) when building the Verifier/Opener",
        )
    known = resolver.certificates(her_id, purpose)
    if not known:
        raise InvalidCertificateError(
            f"no {purpose.value} certificate is registered for HER-id {her_id}",
            reason="unknown-sender",
            thumbprint=thumbprint(cert),
            hint="check the sender's HER-id, or register its certificate in the resolver",
        )
    if cert not in known:
        raise SpoofingError(
            f"the message claims to come from HER-id {her_id} but is signed by {describe(cert)}, "
            "which is not registered for that party",
            thumbprint=thumbprint(cert),
            expected_thumbprint=thumbprint(known[0]),
            hint="do not process the message; report it as a possible spoofing attack",
        )
