"""Building blocks shared by the standards: coded values (KITH CS/CV), TS, URL, Ident, Address,
TeleCom, and the felleskomponent1 person/professional/organisation types.

`Ident`, `Address` and `TeleCom` take their namespace from where they are used (MsgHead's own,
or felleskomponent1 inside Dialogmelding and the register documents), so one class serves every
schema. Date and time values are kept as the text the message carries (lossless); builders may
pass `datetime`/`date` objects, which are written in ISO 8601.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Protocol

from pydantic import BeforeValidator

from digidialog.codes import lookup
from digidialog.codes.base import Code, CodeSystem
from digidialog.model.base import Attr, XmlModel
from digidialog.xml.namespaces import FELLESKOMPONENT1

FK1: Final = FELLESKOMPONENT1
"""KITH felleskomponent1: Ident/Address/TeleCom/Person/HealthcareProfessional/Organisation types."""
XHTML: Final = "http://www.w3.org/1999/xhtml"


def _datetime_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _date_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


DateTimeText = Annotated[str, BeforeValidator(_datetime_text)]
"""xs:dateTime as written; a `datetime` given when building is formatted with `isoformat()`."""
DateText = Annotated[str, BeforeValidator(_date_text)]
"""xs:date as written; a `date` given when building is formatted with `isoformat()`."""


def now_text() -> str:
    """Now, as an xs:dateTime with milliseconds and UTC offset (the default GenDate)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id() -> str:
    """A new message id: a random UUID as text (HITS 1217 requires MsgId to be a UUID)."""
    return str(uuid.uuid4())


def parse_datetime(text: str) -> datetime:
    """Read an xs:dateTime (``2017-05-12T09:41:02.0Z``, with or without zone) as a `datetime`."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


class CodedValue(XmlModel):
    """A KITH coded value (CS or CV): ``V`` code, ``S`` code-system OID, ``DN`` display name,
    ``OT`` original text. Unknown codes are kept as they are; resolve with `code`."""

    v: Annotated[str | None, Attr("V")] = None
    s: Annotated[str | None, Attr("S")] = None
    dn: Annotated[str | None, Attr("DN")] = None
    ot: Annotated[str | None, Attr("OT")] = None

    @classmethod
    def of(cls, code: Code, *, with_system: bool = True) -> CodedValue:
        """A CV from a code-list member (``V``, ``DN`` and, unless ``with_system`` is False, ``S``).

        Use ``with_system=False`` for CS elements (MsgInfo/Type, Ack, MsgType), which have no ``S``.
        """
        return cls(v=str(code), s=code.oid if with_system else None, dn=code.display_name)

    @property
    def code(self) -> Code | None:
        """The code-list member this value names (via ``S``); None if system or code is unknown."""
        if self.v is None or self.s is None:
            return None
        return lookup(self.s, self.v)

    def code_in(self, system: str | CodeSystem) -> Code | None:
        """The member of ``system`` (number, OID or `CodeSystem`) this value names — for CS
        elements, which carry no ``S`` (MsgInfo/Type is code list 8279)."""
        return None if self.v is None else lookup(system, self.v)

    def __str__(self) -> str:
        return f"{self.v} ({self.dn})" if self.dn else str(self.v)


CV = CodedValue
CS = CodedValue


class TS(XmlModel):
    """KITH TS: a point in time in the ``V`` attribute (RefDoc/IssueDate)."""

    v: Annotated[DateTimeText | None, Attr("V")] = None


class URL(XmlModel):
    """KITH URL: an address in the ``V`` attribute (``tel:``, ``mailto:``, ``http:``)."""

    v: Annotated[str | None, Attr("V")] = None


class Ident(XmlModel):
    """An identifier and its type (``TypeId``: FNR, DNR, HNR, HPR, HER, ENH, …)."""

    id: str
    type_id: CodedValue

    @classmethod
    def of(cls, id: str, type_id: Code) -> Ident:
        """``Ident.of("1234", IdTypeOrganisasjon.HER)``."""
        return cls(id=id, type_id=CodedValue.of(type_id))


class Address(XmlModel):
    """A postal address (MsgHead and felleskomponent1 share the shape)."""

    type: CodedValue | None = None
    street_adr: str | None = None
    postal_code: str | None = None
    city: str | None = None
    postbox: str | None = None
    county: CodedValue | None = None
    country: CodedValue | None = None


class TeleCom(XmlModel):
    """A telecommunication address: ``TypeTelecom`` and ``TeleAddress V="tel:…"``."""

    type_telecom: CodedValue | None = None
    tele_address: URL


class _HasIdent(Protocol):
    @property
    def ident(self) -> list[Ident]: ...


class Identified:
    """Helpers for every model with a list of `Ident` (a mixin: the field stays in schema order)."""

    def ident_of(self: _HasIdent, *types: str) -> str | None:
        """The first Id whose TypeId V is one of ``types`` (e.g. ``"HER"``, ``"FNR"``)."""
        for ident in self.ident:
            if ident.type_id.v in types:
                return ident.id
        return None

    @property
    def her_id(self: _HasIdent) -> str | None:
        """The HER-id (TypeId V="HER"), if the party has one."""
        return Identified.ident_of(self, "HER")


class PersonFields(XmlModel, Identified):
    """The fields of the KITH person type, in schema order; each standard binds it in its own
    namespace (MsgHead `Patient`, felleskomponent1 `Fk1Person`)."""

    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    date_of_birth: DateText | None = None
    sex: CodedValue | None = None
    nationality: CodedValue | None = None
    ident: list[Ident] = []
    address: Address | None = None
    tele_com: list[TeleCom] = []


class HealthcareProfessionalFields(XmlModel, Identified):
    """The fields of the KITH healthcare-professional type, in schema order: the person fields
    after the professional's type and role. Bound by MsgHead, felleskomponent1 and Dialogmelding.

    (Not a `PersonFields` subclass: pydantic puts inherited fields first, the schema does not.)
    """

    type_healthcare_professional: CodedValue | None = None
    role_to_patient: CodedValue | None = None
    family_name: str | None = None
    middle_name: str | None = None
    given_name: str | None = None
    date_of_birth: DateText | None = None
    sex: CodedValue | None = None
    nationality: CodedValue | None = None
    ident: list[Ident] = []
    address: Address | None = None
    tele_com: list[TeleCom] = []

    @property
    def hpr_number(self) -> str | None:
        """The HPR number (TypeId V="HPR"), if the professional has one."""
        return self.ident_of("HPR")


class Fk1Person(PersonFields):
    """felleskomponent1 Person (Personer, Pasientrelasjon)."""

    xml_ns = FK1


class Fk1HealthcareProfessional(HealthcareProfessionalFields):
    """felleskomponent1 HealthcareProfessional (Helsepersonell 2014/2015)."""

    xml_ns = FK1


class Fk1Organisation(XmlModel, Identified):
    """felleskomponent1 Organisation (Dialogmelding TilknyttetEnhet/Kontaktenhet)."""

    xml_ns = FK1

    type_organisation: CodedValue | None = None
    organisation_name: str
    ident: list[Ident] = []
    address: Address | None = None
    tele_com: list[TeleCom] = []
    organisation: Fk1Organisation | None = None


__all__ = [
    "CS",
    "CV",
    "FK1",
    "TS",
    "URL",
    "XHTML",
    "Address",
    "CodedValue",
    "DateText",
    "DateTimeText",
    "Fk1HealthcareProfessional",
    "Fk1Organisation",
    "Fk1Person",
    "HealthcareProfessionalFields",
    "Ident",
    "Identified",
    "PersonFields",
    "TeleCom",
    "new_id",
    "now_text",
    "parse_datetime",
]
