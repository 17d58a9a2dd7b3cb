"""MsgHead 1.2 (2006-05-24): the envelope of every digital-dialog message.

Field names are the snake_case of the element names; order is the schema's sequence. Building a
message needs only what the standard requires: MIGversion, GenDate and MsgId default to the
fixed version, now and a new UUID.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeAlias, TypeVar

from pydantic import Field

from digidialog.model.attachments import Base64Container
from digidialog.model.base import El, RawXml, XmlModel
from digidialog.model.common import (
    TS,
    Address,
    CodedValue,
    DateTimeText,
    Fk1Person,
    HealthcareProfessionalFields,
    Ident,
    Identified,
    PersonFields,
    TeleCom,
    new_id,
    now_text,
)
from digidialog.model.dialogmelding import Dialogmelding
from digidialog.model.message import Message
from digidialog.model.registers import (
    Helsepersonell,
    HelsepersonelListe,
    Pasientrelasjon,
    Personer,
)
from digidialog.model.xcal import Icalendar
from digidialog.xml.namespaces import DS, MSGHEAD

MIG_VERSION = "v1.2 2006-05-24"

ContentItem: TypeAlias = (
    Dialogmelding
    | Base64Container
    | Icalendar
    | Pasientrelasjon
    | Personer
    | Helsepersonell
    | HelsepersonelListe
    | RawXml
)
"""What ``RefDoc/Content`` may hold: a modelled document, or any other XML carried untouched."""


_T = TypeVar("_T")


class _MsgHeadModel(XmlModel):
    xml_ns = MSGHEAD


class HealthcareProfessional(HealthcareProfessionalFields):
    """A healthcare professional at the deepest organisation level (e.g. the GP)."""

    xml_ns = MSGHEAD


class Organisation(_MsgHeadModel, Identified):
    """An organisation level; sub-level in `organisation`, person in `healthcare_professional`."""

    organisation_name: str
    type_organisation: CodedValue | None = None
    ident: list[Ident] = []
    address: Address | None = None
    tele_com: list[TeleCom] = []
    organisation: Organisation | None = None
    healthcare_professional: HealthcareProfessional | None = None

    @property
    def levels(self) -> list[Organisation]:
        """This organisation and its nested sub-organisations, top first."""
        chain: list[Organisation] = []
        node: Organisation | None = self
        while node is not None:
            chain.append(node)
            node = node.organisation
        return chain

    @property
    def her_ids(self) -> list[str | None]:
        """The HER-id of each organisation level, top first (None where a level has none)."""
        return [level.her_id for level in self.levels]

    @property
    def professional(self) -> HealthcareProfessional | None:
        """The healthcare professional at the deepest level that names one."""
        for level in reversed(self.levels):
            if level.healthcare_professional is not None:
                return level.healthcare_professional
        return None

    @property
    def addressed_her_id(self) -> str | None:
        """The HER-id a message is addressed to: the professional's, else the deepest level's."""
        professional = self.professional
        if professional is not None and professional.her_id:
            return professional.her_id
        for her_id in reversed(self.her_ids):
            if her_id:
                return her_id
        return None


class Patient(PersonFields):
    """The patient the message is about (names and FNR/DNR in HITS 1217)."""

    xml_ns = MSGHEAD

    @property
    def national_id(self) -> str | None:
        """The fødselsnummer, D-number or H-number, whichever the patient is identified by."""
        return self.ident_of("FNR", "DNR", "HNR")


class ConversationRef(_MsgHeadModel):
    """Thread references: the message answered and the first message of the conversation."""

    ref_to_parent: str
    ref_to_conversation: str

    @classmethod
    def reply_to(cls, parent: MsgHead) -> ConversationRef:
        """The references a reply to ``parent`` carries: its MsgId and its conversation."""
        conversation = parent.msg_info.conversation_ref
        return cls(
            ref_to_parent=parent.msg_info.msg_id,
            ref_to_conversation=(
                conversation.ref_to_conversation if conversation else parent.msg_info.msg_id
            ),
        )


class _Addressee(_MsgHeadModel):
    com_method: CodedValue | None = None
    organisation: Organisation


class Sender(_Addressee):
    """``MsgInfo/Sender``: the sending organisation, levels nested top first."""


class Receiver(_Addressee):
    """``MsgInfo/Receiver``: the receiving organisation, levels nested top first."""


class OtherReceiver(_MsgHeadModel):
    """A copy receiver: an organisation, a patient, a person or a professional."""

    com_method: CodedValue | None = None
    role_receiver: CodedValue
    organisation: Organisation | None = None
    patient: Patient | None = None
    person: Fk1Person | None = None
    """A person (felleskomponent1 type, so its children are in the fk1 namespace)."""
    healthcare_professional: HealthcareProfessional | None = None


class MsgInfo(_MsgHeadModel):
    """Message-level information; `type` is the process (code list 8279)."""

    type: CodedValue
    mig_version: Annotated[str, El("MIGversion")] = MIG_VERSION
    gen_date: DateTimeText = Field(default_factory=now_text)
    msg_id: str = Field(default_factory=new_id)
    processing_status: CodedValue | None = None
    requested_priority: CodedValue | None = None
    ack: CodedValue | None = None
    conversation_ref: ConversationRef | None = None
    sender: Sender
    receiver: Receiver
    other_receiver: list[OtherReceiver] = []
    patient: Patient | None = None


class Content(_MsgHeadModel):
    """``RefDoc/Content``: the embedded documents, modelled or raw, in order."""

    items: list[ContentItem] = []


class RefDoc(_MsgHeadModel):
    """The reference to a document: inline `content` or an external `file_reference`."""

    issue_date: TS | None = None
    msg_type: CodedValue
    id: str | None = None
    mime_type: str | None = None
    description: str | None = None
    compression: CodedValue | None = None
    file_reference: str | None = None
    content: Content | None = None

    @property
    def first_item(self) -> ContentItem | None:
        """The first document in ``Content`` (where digital dialog puts the one it carries)."""
        return self.content.items[0] if self.content and self.content.items else None


class Document(_MsgHeadModel):
    """One document of the message. The first one holds the Dialogmelding (HITS 1217)."""

    document_connection: CodedValue | None = None
    content_type: CodedValue | None = None
    content_description: str | None = None
    content_category: CodedValue | None = None
    consent: CodedValue | None = None
    annotation: str | None = None
    from_date: TS | None = None
    to_date: TS | None = None
    oid_ref: str | None = None
    enquiry_ref_id: str | None = None
    ref_doc: RefDoc

    @classmethod
    def of(
        cls,
        item: ContentItem,
        *,
        description: str | None = None,
        content_description: str | None = None,
        issue_date: datetime | str | None = None,
    ) -> Document:
        """A Document holding an XML document (MsgType ``XML``, code list 8114)."""
        return cls(
            content_description=content_description,
            ref_doc=RefDoc(
                issue_date=None if issue_date is None else TS(v=_ts(issue_date)),
                msg_type=CodedValue(v="XML", dn="XML-instans"),
                description=description,
                content=Content(items=[item]),
            ),
        )

    @classmethod
    def attachment(
        cls,
        data: bytes,
        mime_type: str,
        *,
        description: str | None = None,
        issue_date: datetime | str | None = None,
    ) -> Document:
        """A Document holding a binary attachment as Base64Container (MsgType ``A``, Vedlegg)."""
        return cls(
            ref_doc=RefDoc(
                issue_date=None if issue_date is None else TS(v=_ts(issue_date)),
                msg_type=CodedValue(v="A", dn="Vedlegg"),
                mime_type=mime_type,
                description=description,
                content=Content(items=[Base64Container.of(data)]),
            )
        )

    @property
    def is_attachment(self) -> bool:
        """MsgType ``A`` (Vedlegg), or a binary / external reference rather than an XML document."""
        ref = self.ref_doc
        return (
            ref.msg_type.v == "A"
            or ref.file_reference is not None
            or isinstance(ref.first_item, Base64Container)
        )


def _ts(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


class PatientReport(_MsgHeadModel):
    """Reporting to health registers (not used by digital dialog; kept for completeness)."""

    document_connection: CodedValue | None = None
    case_no: str
    document: list[Document] = []
    patient: Patient | None = None


class MsgHead(Message, _MsgHeadModel):
    """The MsgHead root: `msg_info`, the `document` list, and an optional XML-DSig `signature`."""

    xml_tag = "MsgHead"

    msg_info: MsgInfo
    document: list[Document] = []
    patient_report: list[PatientReport] = []
    signature: Annotated[RawXml | None, El("Signature", ns=DS)] = None
    """The enveloped ``ds:Signature``, carried untouched (the security layer signs and verifies)."""

    @property
    def msg_type(self) -> str | None:
        """MsgInfo/Type V, e.g. ``DIALOG_INNBYGGER_EKONTAKT``."""
        return self.msg_info.type.v

    @property
    def msg_id(self) -> str:
        """``MsgInfo/MsgId``: the UUID that replies quote as RefToParent."""
        return self.msg_info.msg_id

    @property
    def dialogmelding(self) -> Dialogmelding | None:
        """The first Dialogmelding in the documents (HITS 1217 puts it in the first Document)."""
        for document in self.document:
            if document.ref_doc.content is None:
                continue
            for item in document.ref_doc.content.items:
                if isinstance(item, Dialogmelding):
                    return item
        return None

    @property
    def patient(self) -> Patient | None:
        """``MsgInfo/Patient`` (None in messages without one, e.g. SIDAB)."""
        return self.msg_info.patient

    @property
    def sender(self) -> Organisation:
        """The top organisation level of ``MsgInfo/Sender``."""
        return self.msg_info.sender.organisation

    @property
    def receiver(self) -> Organisation:
        """The top organisation level of ``MsgInfo/Receiver``."""
        return self.msg_info.receiver.organisation

    @property
    def ref_to_parent(self) -> str | None:
        """The MsgId this message answers (None for a thread's first message)."""
        ref = self.msg_info.conversation_ref
        return ref.ref_to_parent if ref else None

    @property
    def ref_to_conversation(self) -> str | None:
        """The MsgId of the thread's first message (None for that message itself)."""
        ref = self.msg_info.conversation_ref
        return ref.ref_to_conversation if ref else None

    @property
    def attachments(self) -> list[Document]:
        """The documents that are attachments (see `Document.is_attachment`), in order."""
        return [document for document in self.document if document.is_attachment]

    def items_of(self, kind: type[_T]) -> list[_T]:
        """Every content item of one type (e.g. `Icalendar`) across all documents, in order."""
        return [
            item
            for document in self.document
            if document.ref_doc.content is not None
            for item in document.ref_doc.content.items
            if isinstance(item, kind)
        ]
