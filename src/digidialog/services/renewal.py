"""Prescription renewal (Reseptfornying, HITS 1217 §3.1).

The citizen asks in free text (RF) or with one M1 per medicine (RFER, process version 1.3), always
with a delivery method (code list 8324). The office answers renewed (14), cannot be renewed (15) or
partly renewed (32); a renewed or partly renewed answer carries one M1 document per renewed
prescription, exactly as the journal's e-prescription module produced it. Who prepares the renewal
is the office's choice: `RenewalRequest.assigned_to()` on the journal side.
"""

from __future__ import annotations

from collections.abc import Sequence

from digidialog.codes import Leveringsmate
from digidialog.codes.processes import RequestKind
from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services.base import DialogService, Incoming, Outgoing
from digidialog.services.conversation import Conversation
from digidialog.services.messages import Body, Envelope, delivery_code
from digidialog.services.types import (
    Citizen,
    DeliveryMethod,
    InboxItem,
    RenewalOutcome,
    RenewalRequest,
    ServiceName,
)

__all__ = ["PrescriptionRenewal"]

_MSG_TYPE = "DIALOG_INNBYGGER_RESEPTFORNYELSE"


class PrescriptionRenewal(DialogService):
    """Prescription renewal: RF/RFER from the citizen, 14/15/32 (with M1s) from the office."""

    service = ServiceName.PRESCRIPTION_RENEWAL
    processes = frozenset({_MSG_TYPE})

    def request(
        self,
        citizen: Citizen,
        gp_her_id: str | None,
        text: str,
        delivery: DeliveryMethod | str,
        *,
        m1_documents: Sequence[bytes] = (),
        acting_person: Citizen | None = None,
    ) -> Outgoing:
        """The citizen's renewal request: RF (free text, one medicine per line) or, with
        `m1_documents`, RFER (one M1 per medicine). SV012 for a delivery method not in 8324."""
        try:
            method = DeliveryMethod(delivery)
        except ValueError:
            raise ServiceError(
                f"{delivery!r} is not a delivery method of code list 8324",
                rule="SV012",
                hint="use DeliveryMethod: " + ", ".join(m.value for m in DeliveryMethod),
            ) from None
        return self._citizen_request(
            _MSG_TYPE,
            "RFER" if m1_documents else "RF",
            citizen,
            gp_her_id,
            Body(
                text=text,
                coded=delivery_code(method.value),
                m1_documents=tuple(m1_documents),
                acting_person=acting_person,
            ),
        )

    def answer(self, conversation_id: str, outcome: RenewalOutcome) -> Outgoing:
        """Answer with the journal's outcome: 14, 15 or 32, M1 documents passed through."""
        msg, _ = self._office_reply(
            conversation_id,
            outcome.result.reply_kind,
            Body(
                text=outcome.text,
                m1_documents=outcome.m1_documents,
                responder=outcome.responder,
            ),
        )
        return Outgoing(msg, conversation_id)

    def _on_request(
        self,
        msg: MsgHead,
        envelope: Envelope,
        conversation: Conversation,
        item: InboxItem,
        request: RequestKind,
    ) -> Incoming:
        try:
            delivery = DeliveryMethod(Leveringsmate(envelope.coded or "").value)
        except ValueError:
            raise ServiceError(
                f"renewal request {envelope.msg_id} has no delivery method from code list 8324"
                f" (KodetOpplysning: {envelope.coded!r})",
                rule="SV012",
                hint="HITS 1217 §3.1.1 makes KodetOpplysning (AP, HE, JA, AA) mandatory;"
                " answer with refuse()",
            ) from None
        if request.code == "RFER" and not envelope.m1_documents:
            raise ServiceError(
                f"RFER request {envelope.msg_id} carries no M1", rule="SV012", hint="§3.1.2"
            )
        renewal = RenewalRequest(
            conversation_id=conversation.id,
            msg_id=envelope.msg_id,
            citizen=conversation.citizen,
            practitioner_her_id=conversation.practitioner_her_id,
            kind=request.code,
            text=envelope.text,
            prescriptions=tuple(
                line.strip() for line in envelope.text.splitlines() if line.strip()
            ),
            delivery=delivery,
            received=item.received,
            m1_documents=envelope.m1_documents,
            acting_for=envelope.acting_person,
        )
        return Incoming(msg, envelope, conversation, item, renewal=renewal)
