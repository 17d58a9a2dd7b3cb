"""National identifiers: fødselsnummer (with D- and H-numbers), HER-id and organisation number.

Each scheme has the same face, in the spirit of python-stdnum::

    fodselsnummer.is_valid("13116900216")      # -> True
    fodselsnummer.validate("13116900217")      # raises InvalidIdentifierError (check digit)
    herid.validate("8093248")                  # -> "8093248"
    orgnr.is_valid("971318864")                # -> True
    kind("41018036736")                        # -> IdTypePerson.DNR
    mask("13116900216")                        # -> "131169*****"
    scheme_for("ENH")                          # the scheme for a TypeId value (8116 / 9051)

Rules:
- Fødselsnummer: 11 digits, two mod-11 check digits, a real birth date, not in the future
  (python-stdnum's `stdnum.no.fodselsnummer`, which also understands D-numbers, day + 40, and
  H-numbers, month + 40). FH-numbers (first digit 8 or 9) carry no birth date and are refused.
- HER-id: the Adresseregister (NHN) assigns HER-ids as plain positive integers without a check
  digit, so only the form is checked: 1 to 9 digits, no leading zero.
- Organisation number (ENH): 9 digits with a mod-11 check digit (`stdnum.no.orgnr`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.no import fodselsnummer as _fnr
from stdnum.no import orgnr as _orgnr

from digidialog.codes.lists import IdTypeOrganisasjon, IdTypePerson
from digidialog.errors import DigidialogError, Location


class InvalidIdentifierError(DigidialogError):
    """A national identifier, HER-id or organisation number is malformed or fails its check."""

    code = "codes:invalid-identifier"

    def __init__(
        self,
        message: str,
        *,
        scheme: str,
        value: str,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.scheme = scheme
        self.value = value
        super().__init__(message, location=location, hint=hint)


def mask(number: str) -> str:
    """Hide the personal part of a fødselsnummer for display: ``131169*****``.

    Anything that is not 11 digits is masked entirely, so nothing leaks from bad input.
    """
    if len(number) == 11 and number.isdigit():
        return number[:6] + "*" * 5
    return "*" * len(number)


_DIGITS = re.compile(r"[0-9]+")


def _digits_problem(value: str, length: int | None, what: str) -> str | None:
    """The form check all three schemes share: only ASCII digits (the right number of them
    when ``length`` is given)."""
    if not _DIGITS.fullmatch(value):
        return "is empty" if not value else "contains characters other than digits 0-9"
    if length is not None and len(value) != length:
        return f"has {len(value)} digits; {what} has {length}"
    return None


def _check_fnr(number: str) -> str | None:
    """Why ``number`` is not a fødselsnummer / D- / H-number, or None when it is one."""
    problem = _digits_problem(number, 11, "a fødselsnummer")
    if problem is not None:
        return problem
    try:
        _fnr.validate(number)
    except InvalidChecksum:
        return "fails the check digits (mod 11)"
    except InvalidComponent as exc:
        if int(number[0]) >= 8:
            return "is an FH-number (felles hjelpenummer), not a fødselsnummer or D-number"
        if "not been born" in str(exc):
            return "has a birth date in the future"
        return "does not hold a valid birth date"
    except StdnumValidationError:  # any other refusal python-stdnum may add later
        return "is not a valid fødselsnummer"
    if int(number[0]) >= 4 and int(number[2]) >= 4:
        return "has both the D-number (day + 40) and H-number (month + 40) markers"
    return None


_HERID = re.compile(r"[1-9][0-9]{0,8}")


def _check_herid(value: str) -> str | None:
    problem = _digits_problem(value, None, "a HER-id")
    if problem is not None:
        return problem
    if value.startswith("0"):
        return "starts with 0"
    if not _HERID.fullmatch(value):
        return f"has {len(value)} digits; a HER-id has at most 9"
    return None


def _check_orgnr(value: str) -> str | None:
    problem = _digits_problem(value, 9, "an organisation number")
    if problem is not None:
        return problem
    if not _orgnr.is_valid(value):
        return "fails the check digit (mod 11)"
    return None


@dataclass(frozen=True, slots=True)
class Scheme:
    """One identifier scheme with python-stdnum's face: `is_valid` and `validate`."""

    name: str
    type_ids: tuple[str, ...]
    """The TypeId values (code lists 8116 / 9051) whose Id this scheme checks."""
    _problem: Callable[[str], str | None]
    hint: str

    def validate(self, value: str, *, location: Location | None = None) -> str:
        """Return ``value`` when valid; raise `InvalidIdentifierError` saying why not."""
        problem = self._problem(value)
        if problem is not None:
            shown = mask(value) if "FNR" in self.type_ids else value
            raise InvalidIdentifierError(
                f"{self.name} {shown!r} {problem}",
                scheme=self.name,
                value=value,
                location=location,
                hint=self.hint,
            )
        return value

    def is_valid(self, value: str) -> bool:
        """True when ``value`` passes; `validate` says why not."""
        return self._problem(value) is None


fodselsnummer = Scheme(
    "fødselsnummer",
    (IdTypePerson.FNR, IdTypePerson.DNR, IdTypePerson.HNR),
    _check_fnr,
    "give the patient's 11-digit fødselsnummer or D-number as registered in Folkeregisteret",
)
"""Fødselsnummer, D-number (day + 40) and H-number (month + 40)."""

herid = Scheme(
    "HER-id",
    (IdTypeOrganisasjon.HER,),
    _check_herid,
    "use the HER-id from the Adresseregister (a positive whole number, no check digit)",
)
"""HER-id from NHN's Adresseregister: form only, HER-ids have no check digit."""

orgnr = Scheme(
    "organisasjonsnummer",
    (IdTypeOrganisasjon.ENH,),
    _check_orgnr,
    "use the 9-digit number from Enhetsregisteret (Brønnøysund)",
)
"""Organisation number from Enhetsregisteret (TypeId ENH)."""

SCHEMES: tuple[Scheme, ...] = (fodselsnummer, herid, orgnr)


def scheme_for(type_id: str) -> Scheme | None:
    """The scheme that checks an Ident whose TypeId is ``type_id`` (FNR, DNR, HNR, HER, ENH)."""
    for scheme in SCHEMES:
        if type_id in scheme.type_ids:
            return scheme
    return None


def kind(number: str) -> IdTypePerson:
    """Whether a valid ``number`` is a fødselsnummer, D-number or H-number.

    Raises `InvalidIdentifierError` when it is none of them.
    """
    fodselsnummer.validate(number)
    if int(number[0]) >= 4:
        return IdTypePerson.DNR
    if int(number[2]) >= 4:
        return IdTypePerson.HNR
    return IdTypePerson.FNR


__all__ = [
    "SCHEMES",
    "InvalidIdentifierError",
    "Scheme",
    "fodselsnummer",
    "herid",
    "kind",
    "mask",
    "orgnr",
    "scheme_for",
]
