"""Code lists, the HITS 1217 process catalogue and national identifiers.

A uniform face in the spirit of python-stdnum: every code list is a `CodeSystem` whose codes are
members of a `Code` enum (``str(member)`` is the ``V`` value, ``member.display_name`` the ``DN``).

    code_system("7601")                          # by number, full OID or the short "8324" form
    lookup("2.16.578.1.12.4.1.1.7602", "14")     # -> SvarDigitalDialog.RESEPT_ER_FORNYET
    lookup("7602", "99")                         # -> None: unknown code, report it, never drop it
    code("7602", "99")                           # strict: raises UnknownCodeError
    systems()                                    # every known CodeSystem

Sub-modules: `digidialog.codes.processes` (which requests and replies each process allows) and
`digidialog.codes.identifiers` (fødselsnummer/D-/H-number, HER-id, organisation number).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from digidialog.codes.base import OID_PREFIX, Code, CodeSystem, UnknownCodeError, normalise_key
from digidialog.codes.lists import (
    SYSTEMS,
    Adressetype,
    AppRecFeil,
    HelsepersonellsFunksjon,
    IdTypeOrganisasjon,
    IdTypePerson,
    JaNei,
    KategoriHelsepersonell,
    Kommunikasjonstest,
    Leveringsmate,
    MeldingensFunksjon,
    Representasjonsrolle,
    RolleMottaker,
    RolleNotat,
    StatusMottak,
    SvarDigitalDialog,
    Timetype,
    TypeDokumentreferanse,
    TypeForesporsel,
)

_BY_NUMBER: Mapping[str, CodeSystem] = MappingProxyType({s.number: s for s in SYSTEMS})


def systems() -> tuple[CodeSystem, ...]:
    """Every code list this package knows."""
    return SYSTEMS


def find_system(key: str) -> CodeSystem | None:
    """The code list for ``key`` (number, OID — stray spaces tolerated — or short form), or None."""
    return _BY_NUMBER.get(normalise_key(key))


def code_system(key: str) -> CodeSystem:
    """The code list for ``key``; raises `UnknownCodeError` when no known list matches."""
    found = find_system(key)
    if found is None:
        raise UnknownCodeError(
            f"unknown code system {key!r}",
            system=key,
            hint="give a list number such as 7601 or an OID " + OID_PREFIX + "<number>; "
            "run `digidialog codes` to list them",
        )
    return found


def lookup(system: str | CodeSystem, value: str) -> Code | None:
    """The code ``value`` in ``system``, or None when the system or the value is unknown."""
    found = system if isinstance(system, CodeSystem) else find_system(system)
    return None if found is None else found.get(value)


def code(system: str | CodeSystem, value: str) -> Code:
    """Strict `lookup`: raises `UnknownCodeError` naming the system and the value."""
    found = system if isinstance(system, CodeSystem) else code_system(system)
    return found[value]


__all__ = [
    "OID_PREFIX",
    "Adressetype",
    "AppRecFeil",
    "Code",
    "CodeSystem",
    "HelsepersonellsFunksjon",
    "IdTypeOrganisasjon",
    "IdTypePerson",
    "JaNei",
    "KategoriHelsepersonell",
    "Kommunikasjonstest",
    "Leveringsmate",
    "MeldingensFunksjon",
    "Representasjonsrolle",
    "RolleMottaker",
    "RolleNotat",
    "StatusMottak",
    "SvarDigitalDialog",
    "Timetype",
    "TypeDokumentreferanse",
    "TypeForesporsel",
    "UnknownCodeError",
    "code",
    "code_system",
    "find_system",
    "lookup",
    "systems",
]
