"""The small register documents digital dialog carries in ``Content``: Pasientrelasjon
(2014-03-28), Personer (2014-03-28) and Helsepersonell (2014-03-28 list; 2015-05-04
HelsepersonelListe with Merknad).
"""

from __future__ import annotations

from digidialog.model.base import XmlModel
from digidialog.model.common import FK1, CodedValue, Fk1HealthcareProfessional, Fk1Person
from digidialog.xml.namespaces import (
    HELSEPERSONELL_2014,
    HELSEPERSONELL_2015,
    PASIENTRELASJON,
    PERSONER,
)

_FK1_PREFIX: dict[str | None, str] = {"fk1": FK1}


class Pasientrelasjon(XmlModel):
    """Persons related to the patient and the relation (e.g. a parent acting for a child)."""

    xml_ns = PASIENTRELASJON
    xml_tag = "Pasientrelasjon"
    xml_nsmap = _FK1_PREFIX

    person: list[Fk1Person] = []
    relasjon: CodedValue | None = None


class Personer(XmlModel):
    """A list of persons (e.g. the citizens in a "digitalt aktiv" check)."""

    xml_ns = PERSONER
    xml_tag = "Personer"
    xml_nsmap = _FK1_PREFIX

    person: list[Fk1Person] = []


class Helsepersonell(XmlModel):
    """Helsepersonell 2014-03-28: a list of healthcare professionals."""

    xml_ns = HELSEPERSONELL_2014
    xml_tag = "Helsepersonell"
    xml_nsmap = _FK1_PREFIX

    helsepersonell: list[Fk1HealthcareProfessional] = []


class HelsepersonellMedMerknad(XmlModel):
    """Helsepersonell 2015-05-04 entry: professionals plus a remark (Merknad)."""

    xml_ns = HELSEPERSONELL_2015
    xml_tag = "Helsepersonell"

    helsepersonell: list[Fk1HealthcareProfessional] = []
    merknad: str | None = None


class HelsepersonelListe(XmlModel):
    """Helsepersonell 2015-05-04 root (the standard spells it with one "l")."""

    xml_ns = HELSEPERSONELL_2015
    xml_tag = "HelsepersonelListe"
    xml_nsmap = _FK1_PREFIX

    helsepersonell: list[HelsepersonellMedMerknad] = []
