"""Dialogmelding 1.1 (2013-01-23) and 1.0 (2006-10-11): the content of every digital-dialog
message.

One class set serves both versions: the children take the namespace of their `Dialogmelding`,
whose `namespace` says the version. 1.1 added EmneSporsmal, Formål, KodetOpplysning,
TilknyttetEnhet and made Sporsmal ``anyType`` (XHTML allowed); a 1.0 message simply leaves those
empty. Persons and professionals inside use the felleskomponent1 types for Ident, Address and
TeleCom.
"""

from __future__ import annotations

from typing import Annotated

from digidialog.model.base import NAMESPACE, El, Markup, XmlModel
from digidialog.model.common import (
    FK1,
    Address,
    CodedValue,
    DateText,
    Fk1Organisation,
    HealthcareProfessionalFields,
    Ident,
    Identified,
    TeleCom,
)
from digidialog.xml.namespaces import DIALOG_1_0, DIALOG_1_1


class DialogHealthcareProfessional(HealthcareProfessionalFields):
    """``HealthcareProfessional`` inside Dialogmelding (RollerRelatertNotat, TilknyttetEnhet):
    its own children in the Dialogmelding namespace, Ident/Address/TeleCom's in felleskomponent1.
    """

    ident: Annotated[list[Ident], El(type_ns=FK1)] = []
    address: Annotated[Address | None, El(type_ns=FK1)] = None
    tele_com: Annotated[list[TeleCom], El(type_ns=FK1)] = []


class DialogPerson(XmlModel, Identified):
    """``Person`` inside Dialogmelding (note: GivenName comes before FamilyName here)."""

    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    date_of_birth: DateText | None = None
    sex: CodedValue | None = None
    nationality: CodedValue | None = None
    ident: Annotated[list[Ident], El(type_ns=FK1)] = []
    address: Annotated[Address | None, El(type_ns=FK1)] = None
    tele_com: Annotated[list[TeleCom], El(type_ns=FK1)] = []


class TilknyttetEnhet(XmlModel):
    """A unit the note relates to (1.1, added 2017): Kontaktenhet and an optional person."""

    kontaktenhet: Annotated[Fk1Organisation, El(type_ns=FK1)]
    merknad: str | None = None
    healthcare_professional: DialogHealthcareProfessional | None = None
    person: DialogPerson | None = None


class RollerRelatertNotat(XmlModel):
    """The role a related person has (e.g. RoleToPatient 9034, RolleNotat 7611) and who it is."""

    rolle_notat: CodedValue | None = None
    role_to_patient: CodedValue | None = None
    tilknyttet_enhet: TilknyttetEnhet | None = None
    healthcare_professional: DialogHealthcareProfessional | None = None
    person: DialogPerson | None = None


class Foresporsel(XmlModel):
    """A request: TypeForesp (code list 7601) and its question."""

    type_foresp: CodedValue
    emne_sporsmal: str | None = None
    sporsmal: str | Markup | None = None
    """Plain text, or `Markup` when the sender used XHTML (1.1: anyType)."""
    formal: Annotated[CodedValue | None, El("Formål")] = None
    begrunnelse: str | None = None
    hastegrad: CodedValue | None = None
    fra_dato: DateText | None = None
    til_dato: DateText | None = None
    type_journalinfo: list[CodedValue] = []
    kodet_opplysning: CodedValue | None = None
    dok_id_foresp: str | None = None
    roller_relatert_notat: list[RollerRelatertNotat] = []

    @property
    def sporsmal_text(self) -> str | None:
        """The question as plain text, whether it was written as text or XHTML."""
        return None if self.sporsmal is None else str(self.sporsmal)


class Notat(XmlModel):
    """A note or reply: TemaKodet (e.g. 7602 reply codes), text and the request it answers."""

    tema_kodet: CodedValue
    tema: str | None = None
    tekst_notat_innhold: str | Markup | None = None
    merknad: str | None = None
    dok_id_notat: str | None = None
    dato_notat: DateText | None = None
    foresporsel: Foresporsel | None = None
    roller_relatert_notat: list[RollerRelatertNotat] = []

    @property
    def tekst_notat_innhold_text(self) -> str | None:
        """The note's text as plain text, whether it was written as text or XHTML."""
        return None if self.tekst_notat_innhold is None else str(self.tekst_notat_innhold)


class Dialogmelding(XmlModel):
    """The Dialogmelding document: requests (`foresporsel`) or notes/replies (`notat`), not both."""

    xml_tag = "Dialogmelding"
    xml_namespaces = (DIALOG_1_1, DIALOG_1_0)
    xml_nsmap = {"fk1": FK1}

    namespace: Annotated[str, NAMESPACE] = DIALOG_1_1
    """DIALOG_1_1 (default) or DIALOG_1_0 — the version this document is written in."""
    sakstype_kodet: CodedValue | None = None
    sakstype: str | None = None
    foresporsel: list[Foresporsel] = []
    notat: list[Notat] = []

    @property
    def version(self) -> str:
        """``"1.1"`` or ``"1.0"``."""
        return "1.0" if self.namespace == DIALOG_1_0 else "1.1"
