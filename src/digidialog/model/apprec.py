"""AppRec 1.0 (2004-11-21) and 1.1 (2012-02-15): the application receipt, a standalone root.

Both versions share one shape; `AppRec.namespace` says which one is written. Status uses code list
8258 (1 OK, 2 avvist, 3 OK med feil i delmelding), errors code list 8221.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from digidialog.model.base import NAMESPACE, El, XmlModel
from digidialog.model.common import URL, CodedValue, DateTimeText, new_id, now_text
from digidialog.model.message import Message
from digidialog.xml.namespaces import APPREC_1_0, APPREC_1_1

MIG_VERSION_1_1 = "v1.1 2012-02-15"
MIG_VERSION_1_0 = "1.0 2004-11-21"


class AdditionalId(XmlModel):
    """A further identifier of a party (e.g. the HER-id beside an organisation number)."""

    id: str
    type: CodedValue


class AppRecAddress(XmlModel):
    """``Address`` of an AppRec party."""

    type: CodedValue
    street_adr: str | None = None
    postal_code: str | None = None
    city: str | None = None
    county: CodedValue | None = None
    country: CodedValue | None = None
    city_distr: CodedValue | None = None
    tele_address: list[URL] = []


class HCPerson(XmlModel):
    """A person in an institution."""

    name: str | None = None
    id: str | None = None
    type_id: CodedValue | None = None
    additional_id: list[AdditionalId] = []


class _TypedParty(XmlModel):
    """Type, name and identifiers: the shape AppRec gives a department and a professional."""

    type: CodedValue | None = None
    name: str | None = None
    id: str | None = None
    type_id: CodedValue | None = None
    additional_id: list[AdditionalId] = []


class Dept(_TypedParty):
    """A department of an institution."""


class Inst(XmlModel):
    """An institution (organisation) with its departments and persons."""

    name: str | None = None
    id: str | None = None
    type_id: CodedValue | None = None
    dept: list[Dept] = []
    additional_id: list[AdditionalId] = []
    hc_person: Annotated[list[HCPerson], El("HCPerson")] = []

    @property
    def her_id(self) -> str | None:
        """The institution's HER-id, from Id/TypeId or AdditionalId."""
        if self.type_id is not None and self.type_id.v == "HER":
            return self.id
        return next((a.id for a in self.additional_id if a.type.v == "HER"), None)


class HCProf(_TypedParty):
    """A healthcare professional as AppRec party."""


class HCP(XmlModel):
    """A health-care party: an institution or a professional."""

    inst: Inst | None = None
    hc_prof: Annotated[HCProf | None, El("HCProf")] = None
    med_speciality: CodedValue | None = None
    address: AppRecAddress | None = None


class AppRecParty(XmlModel):
    """AppRec ``Sender`` or ``Receiver``."""

    role: CodedValue | None = None
    hcp: Annotated[HCP, El("HCP")]


class OriginalMsgId(XmlModel):
    """The message this receipt is for: its MsgInfo/Type, GenDate and MsgId."""

    msg_type: CodedValue
    issue_date: DateTimeText
    id: str


class AppRec(Message):
    """An application receipt (apprec) for a received message."""

    xml_tag = "AppRec"
    xml_namespaces = (APPREC_1_1, APPREC_1_0)

    namespace: Annotated[str, NAMESPACE] = APPREC_1_1
    """APPREC_1_1 (default) or APPREC_1_0."""
    msg_type: CodedValue = Field(
        default_factory=lambda: CodedValue(v="APPREC", dn="Applikasjonskvittering")
    )
    mig_version: Annotated[str, El("MIGversion")] = MIG_VERSION_1_1
    software_name: str | None = None
    software_version: str | None = None
    gen_date: DateTimeText = Field(default_factory=now_text)
    id: str = Field(default_factory=new_id)
    sender: AppRecParty
    receiver: AppRecParty
    status: CodedValue
    error: list[CodedValue] = []
    original_msg_id: OriginalMsgId

    @property
    def version(self) -> str:
        """``"1.1"`` or ``"1.0"``, from the namespace."""
        return "1.0" if self.namespace == APPREC_1_0 else "1.1"

    @property
    def is_ok(self) -> bool:
        """Status 1 (OK) in code list 8258."""
        return self.status.v == "1"
