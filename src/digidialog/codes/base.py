"""The uniform face every code list shares: `Code`, `CodeSystem` and `UnknownCodeError`.

Each Volven code list is a `Code` subclass (a `StrEnum`): a member *is* its value ``V`` (so it
compares equal to the string in the XML) and carries its display name ``DN``. The list itself is
described by a `CodeSystem` (number, OID, Norwegian name), reachable as ``TheEnum.system``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Self

from digidialog.errors import DigidialogError, Location

OID_PREFIX = "2.16.578.1.12.4.1.1."
"""Volven's OID arc; a code list's OID is this prefix plus its number."""


class UnknownCodeError(DigidialogError):
    """A code system, code value or process is not known (strict lookups only)."""

    code = "codes:unknown"

    def __init__(
        self,
        message: str,
        *,
        system: str | None = None,
        value: str | None = None,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.system = system
        self.value = value
        super().__init__(message, location=location, hint=hint)


class Code(StrEnum):
    """Base of every code-list enum: ``str(member) == V`` and ``member.display_name == DN``."""

    _value_: str
    display_name: str
    system: ClassVar[CodeSystem]

    def __new__(cls, value: str, display_name: str = "") -> Self:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.display_name = display_name
        return obj

    @property
    def oid(self) -> str:
        """The OID of the code system this member belongs to (the ``S`` attribute)."""
        return self.system.oid


@dataclass(frozen=True, slots=True)
class CodeSystem:
    """One code list: its number (``"7601"``), Norwegian name and the enum holding its codes."""

    number: str
    name: str
    enum: type[Code] = field(repr=False)
    used_in: str = ""

    @property
    def oid(self) -> str:
        """The list's OID, the ``S`` attribute of a coded value from it."""
        return OID_PREFIX + self.number

    def __iter__(self) -> Iterator[Code]:
        return iter(self.enum)

    def __len__(self) -> int:
        return len(self.enum)

    def get(self, value: str) -> Code | None:
        """The code with value ``value``, or None when this list does not know it."""
        try:
            return self.enum(value)
        except ValueError:
            return None

    def __getitem__(self, value: str) -> Code:
        """The code with value ``value``; raises `UnknownCodeError` when this list lacks it."""
        found = self.get(value)
        if found is None:
            raise UnknownCodeError(
                f"code {value!r} is not in code list {self.number} ({self.name})",
                system=self.oid,
                value=value,
                hint=f"run `digidialog codes {self.number}` to list its codes",
            )
        return found


_SPACES = re.compile(r"\s+")


def normalise_key(key: str) -> str:
    """Reduce a system key to its list number: full OID, OID with stray spaces, or bare number."""
    compact = _SPACES.sub("", key)
    if compact.startswith(OID_PREFIX):
        return compact[len(OID_PREFIX) :]
    return compact


def register(system: CodeSystem) -> CodeSystem:
    """Bind ``system`` to its enum so that ``Enum.system`` and ``member.oid`` work."""
    system.enum.system = system
    return system
