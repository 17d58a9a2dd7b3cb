"""What both ends of a dialog share: read an envelope safely, keep it, queue and send answers.

Receiving, in order: open the CMS and verify the XML-DSig (the signer must be the envelope's
sender HER-id) → validate (schema, then business rules) → parse → deduplicate and store by the
signed sender HER-id + MsgId (committed before any AppRec OK exists) → the party's own handling.
A security failure gets no AppRec: its transport error code is the outcome (HITS 1216), and the
envelope is kept in the store's ``refused`` table before the carrier is answered; the outcome
carries a `Refusal`, so the carrier tells the sender where it can. One that may pass later (the
revocation status unavailable under `RevocationPolicy.RETRY_LATER`) is not taken: the error
propagates and the carrier keeps the envelope. Content that is not XML gets AppRec T01, a
schema-invalid message T02. A MsgId receipted before, now from another sender, is a duplicate
(HITS 1216 §2.2.4): kept as ``duplicate``, without a second AppRec.

Sending: every message is packed (signed, sealed) and put in the durable outbox in the same
transaction as the state change that produced it; `flush()` hands due envelopes to the transport,
first in, first out per receiver, and reschedules failures with backoff. An SMS a message owes
(`Outgoing.sms`: it gives the citizen a time) goes out only after the transport accepted that
message, once.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from digidialog.codes import AppRecFeil
from digidialog.errors import ParseError, ServiceError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline.channel import (
    Packed,
    RefreshPending,
    SecureChannel,
    Unpacked,
    is_apprec_subject,
)
from digidialog.pipeline.retry import RetryPolicy
from digidialog.pipeline.store import MessageStore, OutboxItem, Queued, StoredMessage, StoreError
from digidialog.security import InvalidCertificateError, TransportSecurityError
from digidialog.services import (
    Notifier,
    Outgoing,
    ReceiptError,
    Receipts,
    SmsNotice,
    TransportInfo,
)
from digidialog.transport import BaseTransport, Envelope, Refusal, TransportError
from digidialog.validation import XSD_RULE, Issue, validate_tree
from digidialog.xml.namespaces import APPREC_1_0, APPREC_1_1
from digidialog.xml.parser import parse_bytes

log = logging.getLogger(__name__)

_APPREC_TAGS = frozenset(f"{{{uri}}}AppRec" for uri in (APPREC_1_0, APPREC_1_1))


class Status(StrEnum):
    """What became of one received envelope."""

    ACCEPTED = "accepted"
    """Stored and receipted OK; the journal (or the services) took it."""
    PENDING = "pending"
    """Stored and receipted OK; the journal is unavailable, delivery is retried."""
    DUPLICATE = "duplicate"
    """The same sender sent this MsgId before, or another sender did and it has its AppRec (code
    SV020: kept as ``duplicate``); nothing new was done."""
    REJECTED = "rejected"
    """Answered with an AppRec carrying errors (T01, T02, E10 …)."""
    REFUSED = "refused"
    """A transport security error: no AppRec; `code` is the transport error code. The envelope
    is kept (`MessageStore.refused`) and `Outcome.refusal` tells the carrier."""
    RECEIPT = "receipt"
    """An AppRec for something we sent, matched to it (and kept in the store)."""
    FAILED = "failed"
    """Receipted, but no reply could be built for it; kept with its error for a person."""
    IGNORED = "ignored"
    """An AppRec that matches nothing we sent, or one that is invalid (logged)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of receiving one envelope."""

    status: Status
    envelope_id: str
    msg_id: str | None = None
    msg_type: str | None = None
    code: str | None = None
    """Transport error code (REFUSED), the AppRec's 8221 codes, comma-separated (REJECTED), or
    SV020 (DUPLICATE: the MsgId has its AppRec already, from another sender's message)."""
    detail: str = ""
    apprec: AppRec | None = None
    """The AppRec we answered with, if any."""
    replies: tuple[MsgHead, ...] = ()
    """Replies queued at once (free slots, a reservation's answer, refusals)."""
    refusal: Refusal | None = None
    """For REFUSED: what the carrier tells the sender (`digidialog.transport.refusal_of`)."""


@dataclass(frozen=True, slots=True)
class FlushResult:
    """What one `flush()` did with the due envelopes."""

    sent: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Read:
    unpacked: Unpacked
    message: Message
    rule_issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a handled message is settled: its new state and what goes out for it (its AppRec, the
    replies), queued in the same transaction, and the outcome to report."""

    state: str
    outcome: Outcome
    apprec: AppRec | None = None
    replies: tuple[Outgoing, ...] = ()
    error: str | None = None
    next_attempt: float | None = None


def rejection(
    row: StoredMessage,
    errors: Sequence[ReceiptError],
    apprec: AppRec | None,
    replies: Sequence[Outgoing] = (),
) -> tuple[Outcome, str]:
    """The outcome of rejecting ``row`` for ``errors`` (8221), and why, for the row's
    ``last_error``: the AppRec carries them, but a synchronous message gets none, and the reason
    must not be lost with it."""
    codes = ",".join(e.code.value for e in errors) or None
    detail = "; ".join(e.detail or e.code.display_name for e in errors)
    outcome = Outcome(
        Status.REJECTED, row.msg_id, row.msg_id, row.msg_type, code=codes, detail=detail,
        apprec=apprec, replies=tuple(r.message for r in replies),
    )  # fmt: skip
    return outcome, f"rejected ({codes}): {detail}"


OnPacked = Callable[[Message, Packed], None]
"""Called for every message an endpoint packs for sending (the demo writes them to files)."""


def receiver_her_id(message: MsgHead) -> str:
    """The transport address of a MsgHead's receiver: its deepest organisation level's HER-id."""
    ids = [h for h in message.receiver.her_ids if h]
    if not ids:
        raise ServiceError(
            f"message {message.msg_id} names no receiver HER-id", rule="SV101",
            hint="HITS 1217 §2.5: sender and receiver carry HER-ids on their levels",
        )  # fmt: skip
    return ids[-1]


class Endpoint(ABC):
    """Base of `OfficePipeline` and `PortalEndpoint`."""

    owes_notices: ClassVar[bool] = False
    """A message this party sent that never arrived is owed as a notice to its journal (the
    office's; helsenorge.no's side has none)."""

    def __init__(
        self,
        *,
        channel: SecureChannel,
        store: MessageStore,
        transport: BaseTransport,
        receipts: Receipts,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        on_packed: OnPacked | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.channel = channel
        self.store = store
        self.transport = transport
        self.receipts = receipts
        self.retry = retry or RetryPolicy()
        self.clock = clock or time.time
        self.on_packed = on_packed
        self.notifier = notifier
        """Sends the SMS an outbox entry owes once it is sent (None: this party sends none)."""
        self._lock = threading.RLock()
        self._unsettled: dict[int, Settlement] = {}
        """Messages handled (AppRec issued, the services and the journal done) whose settling
        failed, by row id: the retry commits these instead of handling them a second time."""

    # -- receiving ---------------------------------------------------------------------------

    def receive(self, envelope: Envelope) -> Outcome:
        """Take one envelope from the transport (this is the transport's `Handler`).

        Returns once the envelope is stored or answered for good; one refused for a transport
        security reason is kept in the store's ``refused`` table first (the outcome's `refusal`
        tells the carrier). A `StoreError` propagates, so the carrier keeps the envelope and the
        sender is not told anything; so does a `TransportSecurityError` that is ``retryable``
        (the revocation status unavailable under `RevocationPolicy.RETRY_LATER`: HITS 1216
        §2.1.4 keeps the message and checks again later). Safe to call from a threaded server:
        messages are handled one at a time; `flush` runs without that lock.
        """
        with self._lock:  # the services are not thread-safe; one message at a time
            return self._receive(envelope)

    def _receive(self, envelope: Envelope) -> Outcome:
        read = self._read(envelope)
        if isinstance(read, Outcome):
            return read
        message = read.message
        if isinstance(message, AppRec):
            kept = self.store.add_received(
                sender=envelope.sender, msg_id=message.id, msg_type="AppRec", envelope=envelope,
                signed_xml=read.unpacked.xml, state="receipt", now=self.clock(),
            )  # fmt: skip
            if kept is None:
                return Outcome(Status.DUPLICATE, envelope.message_id, message.id, "AppRec",
                               detail=f"AppRec {message.id} was received before")  # fmt: skip
            return self._on_apprec(envelope, message)
        assert isinstance(message, MsgHead)
        row = self.store.add_received(
            sender=envelope.sender,
            msg_id=message.msg_id,
            msg_type=message.msg_type or "",
            envelope=envelope,
            signed_xml=read.unpacked.xml,
            now=self.clock(),
        )
        if row is None:
            log.info("duplicate %s from %s ignored", message.msg_id, envelope.sender)
            return Outcome(
                Status.DUPLICATE, envelope.message_id, message.msg_id, message.msg_type,
                detail=f"MsgId {message.msg_id} from HER-id {envelope.sender} was received before",
            )  # fmt: skip
        return self._handle(row, message, read.rule_issues)

    def _read(self, envelope: Envelope) -> _Read | Outcome:
        try:
            unpacked = self.channel.unpack(envelope)
        except TransportSecurityError as exc:
            if exc.retryable:  # HITS 1216 §2.1.4: keep the message, check again later
                log.warning("%s from %s not taken, to be delivered again: %s %s",
                            envelope.message_id, envelope.sender, exc.code, exc)  # fmt: skip
                raise
            return self._refuse(envelope, exc)
        except ParseError as exc:
            return self._unreadable(envelope, ReceiptError(AppRecFeil.T01, _short(exc.message)))
        report = validate_tree(unpacked.tree, source=envelope.message_id)
        schema = [i for i in report.errors if i.rule == XSD_RULE]
        detail = None
        if schema:
            first = schema[0]
            detail = f"line {first.line}: {first.message}" if first.line else first.message
        else:
            try:
                message = Message.from_tree(unpacked.tree, source=envelope.message_id)
            except ParseError as exc:
                detail = str(exc)
        if detail is not None:
            if unpacked.tree.getroot().tag in _APPREC_TAGS:
                return self._invalid_receipt(envelope, unpacked, detail)
            return self._unreadable(envelope, ReceiptError(AppRecFeil.T02, _short(detail)))
        rules = tuple(i for i in report.errors if i.rule != XSD_RULE)
        return _Read(unpacked, message, rules)

    def _refuse(self, envelope: Envelope, exc: TransportSecurityError) -> Outcome:
        """A transport security error: no AppRec (HITS 1216 §2.2.3 reports it on the sender's
        AMQP error queue, which this pipeline has not). The envelope is kept with why in the
        store before the carrier is answered, so nothing is lost; the outcome's `refusal` lets
        the carrier tell the sender, and a person finds it in `MessageStore.refused`."""
        refusal = Refusal(exc.code, str(exc), exc.reason, exc.condition_data)
        if self.store.add_refused(envelope, refusal, now=self.clock()):
            log.warning("refused %s from %s, kept for a person: %s %s", envelope.message_id,
                        envelope.sender, exc.code, exc)  # fmt: skip
        else:
            log.info("refused %s from %s again (kept before): %s", envelope.message_id,
                     envelope.sender, exc.code)  # fmt: skip
        return Outcome(Status.REFUSED, envelope.message_id, code=exc.code, detail=str(exc),
                       refusal=refusal)  # fmt: skip

    def _invalid_receipt(self, envelope: Envelope, unpacked: Unpacked, detail: str) -> Outcome:
        """An AppRec from an authenticated party that is not valid: no AppRec answers an AppRec
        (HITS 1168), so it is kept (state ``ignored``, with why) and logged for a person."""
        kept = self.store.add_received(
            sender=envelope.sender, msg_id=envelope.message_id, msg_type="AppRec",
            envelope=envelope, signed_xml=unpacked.xml, state="ignored", now=self.clock(),
        )  # fmt: skip
        if kept is None:
            return Outcome(Status.DUPLICATE, envelope.message_id, envelope.message_id, "AppRec",
                           detail="an invalid AppRec received before")  # fmt: skip
        self.store.settle(kept.id, "ignored", error=f"invalid AppRec: {detail}", now=self.clock())
        log.warning("AppRec %s from %s is not valid, kept and not answered: %s",
                    envelope.message_id, envelope.sender, detail)  # fmt: skip
        return Outcome(Status.IGNORED, envelope.message_id, envelope.message_id, "AppRec",
                       detail=f"invalid AppRec: {_short(detail)}")  # fmt: skip

    def _unreadable(self, envelope: Envelope, error: ReceiptError) -> Outcome:
        """Answer what cannot be read from what the transport knows (T01/T02)."""
        transport = TransportInfo(
            message_id=envelope.message_id,
            msg_type=envelope.subject or "UKJENT",
            from_her_id=envelope.sender,
            to_her_id=envelope.receiver,
            sent=datetime.fromtimestamp(self.clock(), UTC),
        )
        # Answered before (the receipts refuse a second AppRec, SV020): queue that answer again.
        # The outbox keeps one row per AppRec id, so this only adds it when queueing it failed
        # the first time (the store was locked, say); otherwise the envelope is a duplicate.
        apprec = self.receipts.issued(envelope.message_id)
        if apprec is None:
            apprec = self.receipts.reject_unreadable(transport, error)
        queued = self._queued(self._pack(apprec, envelope.sender))
        if not self.store.enqueue(queued, now=self.clock()):
            return Outcome(Status.DUPLICATE, envelope.message_id, code=error.code.value,
                           detail="already answered")  # fmt: skip
        return Outcome(
            Status.REJECTED, envelope.message_id, code=error.code.value,
            detail=error.detail or error.code.display_name, apprec=apprec,
        )  # fmt: skip

    @abstractmethod
    def _on_apprec(self, envelope: Envelope, apprec: AppRec) -> Outcome:
        """Handle a verified AppRec for something this party sent."""

    def _note_receipt_errors(self, apprec: AppRec) -> None:
        """An AppRec that is not OK for a message this party sent: the message did not land
        (status 2) or landed in part (3). Its outbox entry keeps the receiver's reason (and
        becomes ``rejected``, owing its journal a notice), and a warning says so, so a person can
        act on it."""
        if apprec.is_ok:
            return
        original = apprec.original_msg_id.id
        reason = (
            "; ".join(" ".join(p for p in (e.v, e.ot or e.dn) if p) for e in apprec.error)
            or f"status {apprec.status.v} {apprec.status.dn or ''}".strip()
        )
        rejected = apprec.status.v == "2"
        log.warning("%s %s by its receiver (AppRec %s): %s", original,
                    "rejected" if rejected else "taken in part", apprec.id, reason)  # fmt: skip
        codes = [e.v for e in apprec.error if e.v]
        self.store.note_receipt_errors(original, f"AppRec {apprec.id}: {reason}", codes,
                                       rejected=rejected, notice=self.owes_notices)  # fmt: skip

    @abstractmethod
    def _on_message(
        self, row: StoredMessage, message: MsgHead, rule_issues: Sequence[Issue]
    ) -> Outcome:
        """Handle a verified, stored, not yet seen MsgHead."""

    def _handle(
        self, row: StoredMessage, message: MsgHead, rule_issues: Sequence[Issue]
    ) -> Outcome:
        """`_on_message`, but a MsgId that already has its AppRec (the receipts refuse a second
        one, SV020, before anything is handled) settles the row as a duplicate."""
        try:
            return self._on_message(row, message, rule_issues)
        except ServiceError as exc:
            if exc.rule != "SV020":
                raise
            return self._commit(row, self._duplicate_msg_id(row, str(exc)))

    def _duplicate_msg_id(self, row: StoredMessage, why: str) -> Settlement:
        """A stored message whose MsgId was receipted before: another sender's message with that
        MsgId (or an unreadable envelope of that id) got its AppRec. HITS 1216 §2.2.4 takes a
        message with the MsgId of one received before for a duplicate: it is dropped, and the
        MsgId gets its AppRec once. A second AppRec (even a negative one, E10) is not sent: an
        AppRec answers a MsgId (HITS 1217 §2.13) and is final (HIS 80415), so it would contradict
        the one issued. Kept as ``duplicate`` with why, for a person: a sender reusing another's
        MsgId is worth a look."""
        others = sorted({r.sender for r in self.store.received_with_msg_id(row.msg_id)}
                        - {row.sender})  # fmt: skip
        before = f" (received before from HER-id {', '.join(others)})" if others else ""
        detail = (
            f"MsgId {row.msg_id} from HER-id {row.sender} was receipted before{before}: a"
            f" duplicate MsgId, dropped without a second AppRec (HITS 1216 §2.2.4); {why}"
        )
        log.warning("message %s", detail)
        outcome = Outcome(Status.DUPLICATE, row.msg_id, row.msg_id, row.msg_type, code="SV020",
                          detail=detail)  # fmt: skip
        return Settlement("duplicate", outcome, error=detail)

    def _transport_info(self, row: StoredMessage) -> TransportInfo:
        """What the transport said of a stored message: its signed sender and the HER-id its
        envelope was addressed to (HITS 1216 §2.2.3: a toHerId that is not the MsgHead's
        receiver gets E10); a row kept before the store had that was addressed to this party."""
        return TransportInfo(
            message_id=row.msg_id,
            msg_type=row.msg_type,
            from_her_id=row.sender,
            to_her_id=row.receiver or self.channel.her_id,
            sent=datetime.fromtimestamp(self.clock(), UTC),
        )

    def _rule_receipt(
        self, message: MsgHead, transport: TransportInfo, rule_issues: Sequence[Issue]
    ) -> list[ReceiptError]:
        """The AppRec errors for a schema-valid message that breaks business rules: the specific
        8221 codes the receipts find, else X99 naming the rules."""
        errors = self.receipts.check(message, transport)
        if errors or not rule_issues:
            return errors
        detail = "; ".join(f"{i.rule}: {i.message}" for i in rule_issues[:3])
        return [ReceiptError(AppRecFeil.X99, _short(detail))]

    # -- settling ----------------------------------------------------------------------------

    def _commit(self, row: StoredMessage, settlement: Settlement) -> Outcome:
        """Pack the AppRec and the replies, and queue them with the row's new state in one
        transaction.

        By now the services have issued the AppRec (and refuse a second one, SV020), threaded the
        message, and the journal may have taken it: the settlement is all that is left to do. So
        it is kept until it is committed; when packing or the transaction fails, the retry
        (`retry_pending`) commits this same settlement instead of handling the message again.
        """
        self._unsettled[row.id] = settlement
        apprec = settlement.apprec
        outgoing = [] if apprec is None else [self._queued(self._pack(apprec, row.sender))]
        outgoing += [self._queued(self.pack_reply(r.message), r.sms) for r in settlement.replies]
        self.store.settle(row.id, settlement.state, outgoing, error=settlement.error,
                          next_attempt=settlement.next_attempt, now=self.clock())  # fmt: skip
        del self._unsettled[row.id]
        return settlement.outcome

    def retry_pending(self, limit: int = 100) -> list[Outcome]:
        """Settle again what is due: a handled message whose settling failed (its AppRec and
        replies are queued now), a stored one never handled, a pending one (by the backoff)."""
        with self._lock:
            return self._retry_pending(limit)

    def _retry_pending(self, limit: int) -> list[Outcome]:
        outcomes = []
        for row in self.store.due_received(self.clock(), limit):
            try:
                outcomes.append(self._retry_one(row))
            except StoreError:
                raise  # the store itself failed: stop, nothing was lost
            except Exception as exc:  # a bug on this one message must not stall all the others
                wait = self.retry.delay(row.attempts + 1)
                log.exception("message %s failed unexpectedly, retry in %.0fs", row.msg_id, wait)
                detail = f"{type(exc).__name__}: {exc}"
                self.store.settle(row.id, row.state, error=detail,
                                  next_attempt=self.clock() + wait, now=self.clock())  # fmt: skip
                outcomes.append(Outcome(Status.PENDING, row.msg_id, row.msg_id, row.msg_type,
                                        code="pipeline:internal", detail=detail))  # fmt: skip
        return outcomes

    def _retry_one(self, row: StoredMessage) -> Outcome:
        settlement = self._unsettled.get(row.id)
        if settlement is not None:  # handled, but settling it failed: settle it now
            return self._commit(row, settlement)
        tree = parse_bytes(row.signed_xml, source=row.msg_id)
        message = MsgHead.from_tree(tree, source=row.msg_id)
        if row.state == "stored":
            issued = self.receipts.issued(row.msg_id)
            if issued is not None and any(
                r.id < row.id and r.sender != row.sender
                for r in self.store.received_with_msg_id(row.msg_id)
            ):  # the AppRec is an earlier message's, from another sender: this one is a repeat
                return self._commit(row, self._duplicate_msg_id(row, f"AppRec {issued.id}"))
            if issued is not None:  # receipted, then the handling raised: keep it for a person
                return self._commit(row, self._lost(row, issued))
            # kept but never handled (a crash in between, or a failure before the AppRec)
            return self._handle(row, message, validate_tree(tree).errors)
        return self._resume(row, message)

    def _resume(self, row: StoredMessage, message: MsgHead) -> Outcome:
        """Deliver a ``pending`` message again. Only the office keeps messages pending (while
        its journal is unavailable); anywhere else one is a store this endpoint did not write,
        and it is kept as ``failed``, for a person."""
        detail = f"{type(self).__name__} keeps no pending messages; left for a person"
        log.error("message %s: %s", row.msg_id, detail)
        self.store.settle(row.id, "failed", error=detail, now=self.clock())
        return Outcome(Status.FAILED, row.msg_id, row.msg_id, row.msg_type, detail=detail)

    def _lost(self, row: StoredMessage, apprec: AppRec) -> Settlement:
        """A stored message whose AppRec was issued before its handling raised (a bug): what
        the handling made of it went with the exception, and the receipts will not issue a second
        AppRec (SV020). That AppRec goes out and the message is kept as ``failed``, for a
        person."""
        detail = "handling failed after the AppRec was issued"
        if row.last_error:
            detail += f" ({row.last_error})"
        log.error("message %s: %s; AppRec sent, message kept as failed", row.msg_id, detail)
        failed = Outcome(Status.FAILED, row.msg_id, row.msg_id, row.msg_type,
                         code="pipeline:internal", detail=detail, apprec=apprec)  # fmt: skip
        return Settlement("failed", failed, apprec, error=detail)

    # -- sending -----------------------------------------------------------------------------

    def _pack(self, message: Message, receiver: str) -> Packed:
        packed = self.channel.pack(message, receiver)
        if self.on_packed is not None:
            self.on_packed(message, packed)
        return packed

    def pack_reply(self, message: MsgHead) -> Packed:
        """Pack a MsgHead for its receiver (the deepest HER-id of MsgInfo/Receiver)."""
        return self._pack(message, receiver_her_id(message))

    @staticmethod
    def _queued(packed: Packed, sms: SmsNotice | None = None) -> Queued:
        return Queued(packed.envelope, packed.xml, sms)

    def flush(self, limit: int = 100) -> FlushResult:
        """Send what is due, trying at most `limit` envelopes; reschedule retryable failures,
        give up on the others.

        The outbox is first in, first out per receiver (`MessageStore.due_outbox`: only the
        oldest pending envelope of a receiver is due), so the flush asks again after each round:
        the envelope behind one just sent (or given up on) goes next, the one behind a deferred
        envelope waits for it. No envelope is tried twice in one flush.
        """
        result = FlushResult()
        tried: set[int] = set()
        while len(tried) < limit:
            due = self.store.due_outbox(self.clock(), limit - len(tried))
            fresh = [item for item in due if item.id not in tried]
            if not fresh:
                break
            for item in fresh:
                tried.add(item.id)
                self._send(item, result)
        for item in self.store.owed_sms(self.clock(), limit):  # the gateway failed before
            self._notify(item)
        return result

    def _send(self, item: OutboxItem, result: FlushResult) -> None:
        message_id = item.envelope.message_id
        try:
            self.transport.send(item.envelope)
        except TransportError as exc:
            if exc.retryable or self._resealed(item, exc):
                wait = self.retry.delay(item.attempts + 1)
                self.store.defer_outbox(item.id, str(exc), self.clock() + wait)
                result.deferred.append(message_id)
                log.info("send of %s deferred %.0fs: %s", message_id, wait, exc)
            else:
                notice = self.owes_notices and not is_apprec_subject(item.envelope.subject)
                self.store.fail_outbox(item.id, str(exc), notice=notice)
                result.failed.append(message_id)
                log.error("send of %s failed for good: %s", message_id, exc)
            return
        result.sent.append(message_id)
        if self.store.mark_sent(item.id):  # False: a flush running alongside marked it first
            self._notify(item)

    def _resealed(self, item: OutboxItem, exc: TransportError) -> bool:
        """The receiver refused the certificate (HITS 1216 §2.1.4: read the register again and
        retry): when it now lists another encryption certificate for the receiver, the entry is
        sealed again for that one and sent on the next flush. True when it was (or will be
        looked at again: the register was read too recently); False when sealing again cannot
        mend the refusal."""
        if exc.code != InvalidCertificateError.code:
            return False
        try:
            payload = self.channel.reseal(item.envelope, item.xml)
        except RefreshPending:
            return True
        except TransportSecurityError as why:  # the register lists no usable certificate now
            log.error("%s cannot be sealed again: %s", item.envelope.message_id, why)
            return False
        if payload is None:
            return False
        log.warning("%s: the receiver has another encryption certificate now; sealed again",
                    item.envelope.message_id)  # fmt: skip
        self.store.reseal_outbox(item.id, payload)
        return True

    def _notify(self, item: OutboxItem) -> None:
        """The SMS `item` owes, now that the transport has it. It is claimed in the store first,
        so a repeated or concurrent flush never texts twice (a crash while sending loses that one
        SMS rather than sending two). When the gateway fails, the SMS is owed again with backoff
        (the error kept as the entry's `last_error`); the message itself went out regardless."""
        if item.sms is None or self.notifier is None or not self.store.claim_sms(item.id):
            return
        try:
            item.sms.send(self.notifier)
        except Exception as exc:  # the gateway's own errors: retried by a later flush
            wait = self.retry.delay(item.attempts + 1)
            log.warning("SMS for %s not sent, retry in %.0fs: %s",
                        item.envelope.message_id, wait, exc)  # fmt: skip
            self.store.defer_sms(item.id, f"SMS: {type(exc).__name__}: {exc}",
                                 self.clock() + wait)  # fmt: skip
            return
        self.store.sms_sent(item.id)


def _short(text: str, limit: int = 250) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
