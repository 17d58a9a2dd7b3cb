"""E-consultation (eKonsultasjon, HITS 1217 §3.2) and contact-the-office (eKontakt, §3.3).

Both are threads in which either side may write again: the citizen asks (SB / HE), the office
answers (12 / 19) or closes (13); or the office starts (DI: the citizen may answer with 22; EKI:
one-way). They differ in what the service description adds:

- an e-consultation is a clinical consultation: the answer is due in five Norwegian working days,
  it suggests tariff 2ae (+2dd for a specialist in general practice), and the warning rules
  SV201-SV204 flag answers that carry a sick-leave note, a referral, A/B preparations or handle
  acute worsening. `ask_to_book()` answers by asking the patient to book an ordinary appointment
  when the question cannot be answered safely without seeing them (bills nothing).
- contact-the-office is administrative and bills nothing; `redirect_to_e_consultation()` answers a
  medical question sent there by telling the citizen to send an e-consultation, which costs a
  co-payment (egenandel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from digidialog.services.base import DialogService, Outgoing
from digidialog.services.billing import suggest_tariffs
from digidialog.services.messages import Body
from digidialog.services.rules import RuleWarning, check_e_consultation_answer
from digidialog.services.types import (
    Attachment,
    Citizen,
    ClinicalFlag,
    Practitioner,
    Reply,
    ReplyKind,
    ServiceName,
)

__all__ = ["ASK_TO_BOOK_TEXT", "REDIRECT_TEXT", "ContactOffice", "EConsultation"]

#: Default text of `EConsultation.ask_to_book()`.
ASK_TO_BOOK_TEXT = (
    "Spørsmålet ditt kan ikke besvares trygt uten at legen undersøker deg. "
    "Vennligst bestill en vanlig time hos legekontoret."
)

#: Default text of `ContactOffice.redirect_to_e_consultation()`.
REDIRECT_TEXT = (
    "Henvendelsen din gjelder et medisinsk spørsmål, som legen ikke kan besvare her. "
    "Send spørsmålet som en e-konsultasjon på helsenorge.no. En e-konsultasjon koster "
    "egenandel på samme måte som en konsultasjon hos legen."
)


def _body(reply: Reply) -> Body:
    return Body(text=reply.text, attachments=reply.attachments, responder=reply.responder)


class _TwoWayDialog(DialogService):
    """What e-consultation and contact-the-office share: ask, answer, close, start, reply."""

    msg_type: ClassVar[str]
    citizen_request: ClassVar[str]
    answer_kind: ClassVar[ReplyKind]

    # -- citizen side (helsenorge.no's role) -------------------------------------------------

    def request(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        subject: str,
        text: str,
        *,
        attachments: Sequence[Attachment] = (),
        acting_person: Citizen | None = None,
    ) -> Outgoing:
        """The citizen's question (SB) or administrative message (HE) to their GP."""
        return self._citizen_request(
            self.msg_type,
            self.citizen_request,
            citizen,
            gp_her_id,
            Body(
                subject=subject,
                text=text,
                attachments=tuple(attachments),
                acting_person=acting_person,
            ),
        )

    def citizen_reply(
        self,
        conversation_id: str,
        text: str,
        *,
        subject: str | None = None,
        attachments: Sequence[Attachment] = (),
        kind: ReplyKind = ReplyKind.CITIZEN_ANSWER,
    ) -> Outgoing:
        """The citizen answers a dialog the office started: 22 "svar fra innbygger", or (from
        helsenorge.no) 26 / 31 when it cannot take the office's message."""
        return self._citizen_reply(
            conversation_id,
            kind.value,
            Body(subject=subject, text=text, attachments=tuple(attachments)),
        )

    # -- office side -------------------------------------------------------------------------

    def start(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        subject: str,
        text: str,
        *,
        one_time: bool = False,
        attachments: Sequence[Attachment] = (),
    ) -> Outgoing:
        """The office writes first: DI (the citizen may answer) or EKI (`one_time`: may not)."""
        msg, conversation = self._office_request(
            self.msg_type,
            "EKI" if one_time else "DI",
            citizen,
            gp_her_id,
            Body(subject=subject, text=text, attachments=tuple(attachments)),
        )
        return Outgoing(msg, conversation.id)

    def close(
        self, conversation_id: str, text: str, *, responder: Practitioner | None = None
    ) -> Outgoing:
        """Close the dialog (13 "dialog avsluttet"): the office writes nothing more in it, but the
        citizen may continue it (HITS 1217 §3.2), and then the office may answer again."""
        msg, _ = self._office_reply(
            conversation_id, ReplyKind.DIALOG_CLOSED, Body(text=text, responder=responder)
        )
        return Outgoing(msg, conversation_id)

    def reply(
        self, conversation_id: str, reply: Reply, *, parent_id: str | None = None
    ) -> Outgoing:
        """Send the journal's `Reply` (any kind the thread allows)."""
        if reply.kind is self.answer_kind:
            return self._answer(conversation_id, reply, parent_id=parent_id)
        msg, _ = self._office_reply(conversation_id, reply.kind, _body(reply), parent_id=parent_id)
        return Outgoing(msg, conversation_id)

    def answer(
        self,
        conversation_id: str,
        text: str,
        *,
        attachments: Sequence[Attachment] = (),
        responder: Practitioner | None = None,
        clinical_flags: frozenset[ClinicalFlag] = frozenset(),
        parent_id: str | None = None,
    ) -> Outgoing:
        """Answer the citizen (12 for an e-consultation, 19 for contact-the-office)."""
        return self._answer(
            conversation_id,
            Reply(
                self.answer_kind,
                text,
                attachments=tuple(attachments),
                responder=responder,
                clinical_flags=clinical_flags,
            ),
            parent_id=parent_id,
        )

    def _answer(
        self, conversation_id: str, reply: Reply, *, parent_id: str | None, billable: bool = True
    ) -> Outgoing:
        msg, conversation = self._office_reply(
            conversation_id, reply.kind, _body(reply), parent_id=parent_id
        )
        answered_by = reply.responder or self.context.office.practitioner(
            conversation.practitioner_her_id or ""
        )
        return Outgoing(
            msg,
            conversation_id,
            warnings=self._warnings(reply),
            tariffs=suggest_tariffs(self.service, reply.kind, answered_by, billable=billable),
        )

    def _warnings(self, reply: Reply) -> tuple[RuleWarning, ...]:
        return ()


class EConsultation(_TwoWayDialog):
    """E-consultation (eKonsultasjon): clinical questions, answered within 5 working days."""

    service = ServiceName.E_CONSULTATION
    processes = frozenset({"DIALOG_INNBYGGER_EKONSULTASJON"})
    msg_type = "DIALOG_INNBYGGER_EKONSULTASJON"
    citizen_request = "SB"
    answer_kind = ReplyKind.ANSWER

    def ask_to_book(
        self,
        conversation_id: str,
        text: str = ASK_TO_BOOK_TEXT,
        *,
        responder: Practitioner | None = None,
    ) -> Outgoing:
        """Answer by asking the patient to book an ordinary appointment (12; bills nothing)."""
        return self._answer(
            conversation_id,
            Reply(ReplyKind.ANSWER, text, responder=responder),
            parent_id=None,
            billable=False,
        )

    def _warnings(self, reply: Reply) -> tuple[RuleWarning, ...]:
        return check_e_consultation_answer(reply)


class ContactOffice(_TwoWayDialog):
    """Contact-the-office (eKontakt): administrative messages; replies bill nothing."""

    service = ServiceName.CONTACT_OFFICE
    processes = frozenset({"DIALOG_INNBYGGER_EKONTAKT"})
    msg_type = "DIALOG_INNBYGGER_EKONTAKT"
    citizen_request = "HE"
    answer_kind = ReplyKind.OFFICE_ANSWER

    def redirect_to_e_consultation(
        self,
        conversation_id: str,
        text: str = REDIRECT_TEXT,
        *,
        responder: Practitioner | None = None,
    ) -> Outgoing:
        """Answer a medical question sent here: "send an e-consultation (egenandel)" (19)."""
        return self.answer(conversation_id, text, responder=responder)
