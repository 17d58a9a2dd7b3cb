"""helsenorge.no's end, for demos, tests and vendor CI: the citizen's requests out, answers in.

`PortalEndpoint` sends what the services' citizen-side builders produce (signed, sealed, through
the same durable outbox) and reads what the office sends back with the same checks as the office.
It answers every asynchronous message with an AppRec, as helsenorge.no does, threads dialogs the
office starts (so the citizen can answer them) and keeps what arrived for inspection:
`receipts_received` (AppRecs by original MsgId) and `messages` (MsgHeads by MsgId, in arrival
order). When settling a message fails after its AppRec was issued (the store was locked, say),
`retry_pending()` queues that same AppRec later, as the office's does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from digidialog.errors import DigidialogError
from digidialog.model import AppRec, MsgHead
from digidialog.pipeline.channel import Packed, SecureChannel
from digidialog.pipeline.endpoint import (
    Endpoint,
    OnPacked,
    Outcome,
    Settlement,
    Status,
    receiver_her_id,
    rejection,
)
from digidialog.pipeline.retry import RetryPolicy
from digidialog.pipeline.store import MessageStore, StoredMessage
from digidialog.services import (
    CitizenStatus,
    Conversation,
    GpOffice,
    Office,
    Outgoing,
    Receipts,
    ServiceContext,
)
from digidialog.transport import BaseTransport, Envelope
from digidialog.validation import Issue

log = logging.getLogger(__name__)


class PortalEndpoint(Endpoint):
    """helsenorge.no talking to one GP office (``context.office``) through its services."""

    def __init__(
        self,
        context: ServiceContext,
        *,
        channel: SecureChannel,
        store: MessageStore,
        transport: BaseTransport,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        on_packed: OnPacked | None = None,
    ) -> None:
        portal = context.portal
        receipts = Receipts(
            Office(portal.unit_her_id, portal.unit_name),
            CitizenStatus(),
            clock=context.clock,
            new_id=context.new_id,
        )
        super().__init__(
            channel=channel, store=store, transport=transport, receipts=receipts, retry=retry,
            clock=clock, on_packed=on_packed,
        )  # fmt: skip
        self.services = GpOffice(context)
        """The citizen-side builders (`services.e_consultation.request(...)` …)."""
        self.receipts_received: dict[str, AppRec] = {}
        self.messages: dict[str, MsgHead] = {}

    def send(self, outgoing: Outgoing | MsgHead) -> Packed:
        """Sign, seal and queue a message for the office; `flush()` sends it."""
        message = outgoing.message if isinstance(outgoing, Outgoing) else outgoing
        packed = self._pack(message, receiver_her_id(message))
        self.store.enqueue(self._queued(packed), now=self.clock())
        return packed

    def _on_apprec(self, envelope: Envelope, apprec: AppRec) -> Outcome:
        from digidialog.errors import ServiceError
        from digidialog.pipeline.channel import APPREC_SUBJECT
        from digidialog.services.receipts import require_receipt_from

        original = apprec.original_msg_id.id
        # Only the party a message went to may receipt it (SV025): the receiver of its outbox
        # entry, else (an envelope handed over outside the outbox) the office this portal talks
        # to. The envelope's sender is the CMS signer (`SecureChannel.unpack`).
        sent = [item.envelope for item in self.store.outbox()
                if item.envelope.message_id == original
                and item.envelope.subject != APPREC_SUBJECT]  # fmt: skip
        expected = sent[0].receiver if sent else self.services.context.office.her_id
        try:
            require_receipt_from(apprec, expected, envelope.sender)
        except ServiceError as exc:
            log.warning("AppRec %s from %s ignored: %s", apprec.id, envelope.sender, exc)
            return Outcome(Status.IGNORED, envelope.message_id, apprec.id, "AppRec",
                           detail=str(exc))  # fmt: skip
        if original in self.receipts_received:
            return Outcome(Status.DUPLICATE, envelope.message_id, apprec.id, "AppRec",
                           detail=f"a receipt for {original} arrived before")  # fmt: skip
        self.receipts_received[original] = apprec
        self._note_receipt_errors(apprec)
        codes = ",".join(e.v or "" for e in apprec.error) or None
        return Outcome(Status.RECEIPT, envelope.message_id, apprec.id, "AppRec", code=codes,
                       detail=f"receipt for {original}")  # fmt: skip

    def _on_message(
        self, row: StoredMessage, message: MsgHead, rule_issues: Sequence[Issue]
    ) -> Outcome:
        transport = self._transport_info(row)
        errors = self._rule_receipt(message, transport, rule_issues)
        apprec = self.receipts.issue(message, errors)
        if errors:  # an AppRec says so; a synchronous message gets none, and is only kept
            rejected, why = rejection(row, errors, apprec)
            if apprec is None:
                log.warning("synchronous message %s %s", row.msg_id, why)
            return self._commit(row, Settlement("rejected", rejected, apprec, error=why))
        # Kept before settling: if settling fails, `retry_pending` queues this same AppRec.
        self.messages[message.msg_id] = message
        if message.ref_to_parent is None:
            self._thread(message)
        accepted = Outcome(Status.ACCEPTED, row.msg_id, row.msg_id, row.msg_type, apprec=apprec)
        return self._commit(row, Settlement("delivered", accepted, apprec))

    def _thread(self, message: MsgHead) -> None:
        """Open the conversation an office-started message begins, so the citizen can answer."""
        context = self.services.context
        try:
            context.store.save(Conversation.from_messages([message], office=context.office))
        except DigidialogError as exc:  # kept and receipted already; threading is a convenience
            log.info("office message %s not threaded: %s", message.msg_id, exc)
