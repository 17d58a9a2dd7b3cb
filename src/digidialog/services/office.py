"""`GpOffice`: the four services of one office behind one `receive()`.

`receive(msg)` is what the pipeline calls for every readable, verified message: it checks the
message for AppRec errors, routes it to its service by MsgInfo/Type, and returns a `Received`
holding exactly one AppRec for an asynchronous message (none for a synchronous one), the handled
`Incoming`, and — when the message was readable but its content does not fit the process — the
business refusal (7602 26) that follows the OK AppRec (HITS 1217 §2.13). Digitalbruker status
notices (SDAB) update the citizens' digital-active status. A communication test (KT, HITS 1217
§3.10: every office must answer one) is answered at once with RKT, without the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digidialog.codes import AppRecFeil, JaNei
from digidialog.codes.processes import Party
from digidialog.errors import ServiceError
from digidialog.model import AppRec, MsgHead
from digidialog.services.base import DialogService, Incoming, Outgoing, ServiceContext
from digidialog.services.booking import Booking
from digidialog.services.conversation import Conversation, overdue_conversations
from digidialog.services.dialogs import ContactOffice, EConsultation
from digidialog.services.messages import Body, known_request, read, yes_no_code
from digidialog.services.receipts import ReceiptError, ReceiptOutcome, TransportInfo
from digidialog.services.renewal import PrescriptionRenewal
from digidialog.services.types import Citizen, ReplyKind

__all__ = ["COMMUNICATION_TEST", "DIGITALBRUKER", "GpOffice", "Received"]

DIGITALBRUKER = "DIALOG_INNBYGGER_DIGITALBRUKER"
COMMUNICATION_TEST = "DIALOG_INNBYGGER_TEST"


@dataclass(frozen=True, slots=True)
class Received:
    """The outcome of `GpOffice.receive()` for one message."""

    receipt: AppRec | None
    """The one AppRec for an asynchronous message (OK or rejected); None when synchronous."""
    errors: tuple[ReceiptError, ...] = ()
    """What the message was rejected for (8221): in `receipt`, or — synchronous, no AppRec —
    only here, with `refusal` the 26 that answers it."""
    incoming: Incoming | None = None
    """The handled message; None when rejected or refused."""
    refusal: Outgoing | None = None
    """The 26 refusal sent after an OK AppRec when the content does not fit the process or its
    thread, or in place of the AppRec a rejected synchronous message cannot get (None for a
    repeat, with no patient to answer, or when the citizen is not digitally active)."""
    error: ServiceError | None = None
    """Why the content was refused (rule ID inside)."""
    digitally_active: bool | None = None
    """For a Digitalbruker status notice: the citizen's new status."""
    answer: Outgoing | None = None
    """What the office answers by itself, at once and without the journal: RKT to a
    communication test (KT)."""


class GpOffice:
    """The four GP services of one office, plus receipts and digital-active status."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.booking = Booking(context)
        self.e_consultation = EConsultation(context)
        self.contact = ContactOffice(context)
        self.renewal = PrescriptionRenewal(context)
        self._services: tuple[DialogService, ...] = (
            self.booking,
            self.e_consultation,
            self.contact,
            self.renewal,
        )

    def service_for(self, msg_type: str) -> DialogService | None:
        """The service that handles process `msg_type`, or None."""
        return next((s for s in self._services if msg_type in s.processes), None)

    def receive(self, msg: MsgHead, transport: TransportInfo | None = None) -> Received:
        """Receipt and handle one received message (see the module docs)."""
        receipts = self.context.receipts
        receipts.require_new(msg.msg_id)  # before handling: a redelivery must not touch threads
        errors = receipts.check(msg, transport)
        if errors:
            return self.reject(msg, errors)
        msg_type = msg.msg_type or ""
        if msg_type == DIGITALBRUKER:
            return self._digital_status(msg)
        if msg_type == COMMUNICATION_TEST:
            return self._communication_test(msg)
        service = self.service_for(msg_type)
        if service is None:
            unsupported = ReceiptError(AppRecFeil.T10, f"process {msg_type} is not supported here")
            return self.reject(
                msg,
                [unsupported],
                why=ServiceError(f"{msg_type} is not handled by this office", rule="SV013"),
            )
        try:
            incoming = service.handle(msg)
        except ServiceError as error:
            receipt = receipts.issue(msg)
            return Received(receipt, refusal=self._refuse(service, msg, error), error=error)
        return Received(receipts.issue(msg), incoming=incoming)

    def reject(
        self,
        msg: MsgHead,
        errors: Sequence[ReceiptError],
        *,
        why: ServiceError | None = None,
    ) -> Received:
        """Reject `msg` for `errors` (8221) with its one AppRec. A synchronous message (Ack N)
        gets no AppRec, so a 26 in its own thread answers it instead (HITS 1217 §2.4.3: the
        refusal codes answer synchronous calls), and `error` says why (SV024, or `why`)."""
        errors = tuple(errors)
        receipt = self.context.receipts.issue(msg, errors)
        if receipt is not None:
            return Received(receipt, error=why, errors=errors)
        error = why or ServiceError(
            f"synchronous message {msg.msg_id} rejected, so answered with 26: "
            + "; ".join(e.detail or e.code.display_name for e in errors),
            rule="SV024",
        )
        service = self.service_for(msg.msg_type or "")
        refusal = service.refuse_message(msg, error) if service is not None else None
        return Received(None, refusal=refusal, error=error, errors=errors)

    def receive_receipt(self, receipt: AppRec, *, from_her_id: str | None = None) -> ReceiptOutcome:
        """Match an AppRec from helsenorge.no to what we sent (E35 marks the citizen inactive).

        `from_her_id` is the transport-authenticated sender (the envelope's sender HER-id): the
        AppRec is taken only from the party the message was sent to, and only when its own
        Sender names that party (SV025, `Receipts.match`). The pipeline always passes it;
        without it (tests, demos) only the AppRec's Sender is checked — unchecked against the
        transport, so never call it so for AppRecs read off a transport.
        """
        return self.context.receipts.match(receipt, from_her_id=from_her_id)

    def overdue(self, now: datetime) -> list[Conversation]:
        """Every open conversation whose answer deadline has passed at `now`."""
        return overdue_conversations(self.context.store, now)

    def status_notice(self, citizen: Citizen, gp_her_id: str | None, *, active: bool) -> MsgHead:
        """A Digitalbruker status notice (SDAB) as helsenorge.no sends it (for demos and tests)."""
        return self.context.new_request(
            DIGITALBRUKER,
            "SDAB",
            citizen,
            gp_her_id,
            Body(coded=yes_no_code(active)),
            sender=Party.INNBYGGER,
        )

    def communication_test(self, citizen: Citizen, gp_her_id: str | None = None) -> MsgHead:
        """A communication test (KT) as helsenorge.no sends it (for demos and tests): synchronous,
        about a test person, to the GP `gp_her_id` or the front desk."""
        return self.context.new_request(
            COMMUNICATION_TEST, "KT", citizen, gp_her_id, Body(), sender=Party.INNBYGGER
        )

    def _digital_status(self, msg: MsgHead) -> Received:
        receipts = self.context.receipts
        try:
            envelope = read(msg, self.context.office)
        except ServiceError as unreadable:  # SV010/SV023: readable XML, but no notice in it
            return Received(receipts.issue(msg), error=unreadable)
        if envelope.code != "SDAB" or envelope.citizen is None or envelope.coded is None:
            error = ServiceError(
                f"Digitalbruker message {msg.msg_id} is not a status notice with a patient",
                rule="SV019",
            )
            return Received(receipts.issue(msg), error=error)
        active = envelope.coded == JaNei.JA.value
        if active:
            self.context.citizens.mark_active(envelope.citizen.national_id)
        else:
            self.context.citizens.mark_inactive(envelope.citizen.national_id)
        return Received(receipts.issue(msg), digitally_active=active)

    def _communication_test(self, msg: MsgHead) -> Received:
        """RKT for a KT (HITS 1217 §3.10): a reply in the test's own thread, with its Ack (N:
        synchronous), no patient and no conversation kept; anything else in the process is
        receipted and reported (SV001 for another request, SV005 for a reply: we send no KT)."""
        ctx = self.context
        receipts = ctx.receipts
        try:
            envelope = read(msg, ctx.office)
            if envelope.is_reply or envelope.parent_id is not None:
                raise ServiceError(
                    f"{envelope.code} {envelope.msg_id} answers a communication test this"
                    " office did not send",
                    rule="SV005",
                )
            request = known_request(envelope.msg_type, envelope.code)
            answer = ctx.compose(
                from_office=True,
                gp_her_id=envelope.receiver_gp_her_id,
                msg_type=COMMUNICATION_TEST,
                citizen=None,
                kind=request.replies[0],
                is_reply=True,
                ack=request.ack,
                body=Body(),
                thread=(envelope.msg_id, envelope.conversation_id or envelope.msg_id),
            )
        except ServiceError as error:  # SV010/SV023 unreadable, SV001, SV005, SV017
            return Received(receipts.issue(msg), error=error)
        receipts.expect(answer)
        return Received(receipts.issue(msg), answer=Outgoing(answer, envelope.msg_id))

    def _refuse(self, service: DialogService, msg: MsgHead, error: ServiceError) -> Outgoing | None:
        """The 26 that follows the OK AppRec of a message the services could not take (HITS
        1217 §2.13): in the conversation `msg` opened, when it was stored before its content
        failed; outside any conversation when `msg` could not be threaded (an unknown request
        code, a reply to a closed or unknown conversation). None for a repeat (its thread is
        answered already), a one-way request, or when nothing may be sent (SV009: the citizen is
        not digitally active): the OK AppRec is already issued, so `receive` must not raise."""
        if error.rule == "SV008":
            return None
        try:
            conversation = self.context.store.get(msg.msg_id)
            if conversation is None:
                return service.refuse_message(msg, error)
            if conversation.closed:
                return None
            detail = f"Forespørselen kunne ikke behandles ({error.rule or 'feil'})."
            return service.refuse(conversation.id, ReplyKind.REJECTED, detail)
        except ServiceError:
            return None
