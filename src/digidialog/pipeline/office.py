"""The GP office's pipeline: messages from helsenorge.no into the journal, answers back out.

`OfficePipeline.receive(envelope)` runs the shared reading steps (see `endpoint`), then hands the
stored message to the services (`GpOffice.receive`: AppRec, routing by MsgInfo/Type) and through
`JournalBridge` to the journal's hooks. The AppRec and any immediate reply are queued in the same
transaction that settles the message. When the journal is unavailable the message stays
``pending`` with its AppRec OK already queued (it is safely stored), and `retry_pending()`
delivers it later with backoff. `collect()` turns what the journal wants sent into signed,
sealed envelopes in the outbox and only then acknowledges them to the journal; `flush()` sends
(and then sends the SMS a sent message owes). A sent message that never arrived (helsenorge.no
rejected it, or the transport gave it up) is told to the journal by `tell_journal()`, since the
journal took it as sent when it was collected. `run_once()` does all four.

The services keep conversations and AppRec expectations in memory; a new `OfficePipeline` on an
existing store rebuilds them from the stored messages (`restore()`), so after a restart replies in
older conversations and AppRecs for messages sent before it are handled as if nothing happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from digidialog.adapters import Adapter, Undelivered
from digidialog.errors import AdapterError, DigidialogError, ParseError, ServiceError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline.channel import SecureChannel
from digidialog.pipeline.endpoint import (
    Endpoint,
    FlushResult,
    OnPacked,
    Outcome,
    Settlement,
    Status,
    rejection,
)
from digidialog.pipeline.journal import JournalBridge
from digidialog.pipeline.retry import RetryPolicy
from digidialog.pipeline.store import MessageStore, StoredMessage
from digidialog.services import (
    GpOffice,
    Incoming,
    Outgoing,
    ReceiptError,
    rebuild_conversations,
)
from digidialog.transport import BaseTransport, Envelope
from digidialog.validation import Issue
from digidialog.xml.parser import parse_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CollectResult:
    """What one `collect()` took from the journal."""

    queued: list[Outgoing] = field(default_factory=list)
    """Messages built and put in the outbox (and acknowledged to the journal)."""
    errors: list[tuple[str, DigidialogError]] = field(default_factory=list)
    """Journal ids that could not be turned into a message, with why; left in the journal."""


@dataclass(frozen=True, slots=True)
class NoticeResult:
    """What one `tell_journal()` told the journal."""

    told: list[Undelivered] = field(default_factory=list)
    """Messages the journal now knows never reached the citizen."""
    errors: list[tuple[str, DigidialogError]] = field(default_factory=list)
    """MsgIds whose notice failed, with why: a retryable error is told again next time (and ends
    the pass), any other is kept for a person (the outbox entry's `last_error`)."""


@dataclass(frozen=True, slots=True)
class Restored:
    """What `restore()` took back from the store."""

    conversations: int
    """Threads rebuilt into the services' conversation store."""
    awaiting: int
    """Sent messages whose AppRec is still expected."""
    left_out: list[tuple[str, ServiceError]] = field(default_factory=list)
    """Messages or whole threads not rebuilt (MsgId or conversation id, why): what the services
    refused when it came (a reply to a closed thread, a refusal of an unknown request)."""


# Received messages the services threaded: settled for good, or ``pending`` (threaded, waiting
# for the journal; `retry_pending()` delivers it from its rebuilt thread). ``stored`` ones are
# handled from the start by `retry_pending()`, ``rejected`` ones never were threaded.
_THREADED = ("delivered", "answered", "failed", "pending")


@dataclass(frozen=True, slots=True)
class RunResult:
    """One `run_once()`: deliveries retried, messages collected, envelopes sent, journal told."""

    retried: list[Outcome]
    collected: CollectResult
    flushed: FlushResult
    told: NoticeResult = field(default_factory=NoticeResult)


class OfficePipeline(Endpoint):
    """One GP office: its services (`GpOffice`), journal (`Adapter`), keys, store and transport."""

    owes_notices = True

    def __init__(
        self,
        office: GpOffice,
        adapter: Adapter,
        *,
        channel: SecureChannel,
        store: MessageStore,
        transport: BaseTransport,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] | None = None,
        on_packed: OnPacked | None = None,
    ) -> None:
        super().__init__(
            channel=channel, store=store, transport=transport, receipts=office.context.receipts,
            retry=retry, clock=clock, on_packed=on_packed, notifier=office.context.notifier,
        )  # fmt: skip
        self.office = office
        self.bridge = JournalBridge(office, adapter)
        self._waiting: dict[int, Incoming] = {}
        self._unsendable: set[str] = set()
        self._built: dict[str, Outgoing] = {}
        """What the journal wants sent, built (its turn recorded in the thread, its AppRec
        expected) but not yet queued because packing or the transaction failed, by journal id:
        the next collect queues this same message instead of building it again against a thread
        that already holds it."""
        self.restored = self.restore()
        """What was rebuilt from the store when this pipeline started."""

    # -- starting again ----------------------------------------------------------------------

    def restore(self) -> Restored:
        """Rebuild the services' memory from the store: every settled thread (received messages
        and the messages sent in reply, `rebuild_conversations`), the AppRecs issued, and the
        AppRecs expected and received for what was sent. Run once, on start, before any message.
        """
        with self._lock:
            rows = self.store.received_in((*_THREADED, "receipt"))
            received = [_message(row.signed_xml, row.msg_id) for row in rows]
            sent = [_message(item.xml, item.envelope.message_id) for item in self.store.outbox()]
            context = self.office.context
            threaded = [m for m in received + sent if isinstance(m, MsgHead)
                        and self.office.service_for(m.msg_type or "") is not None]  # fmt: skip
            before = len(list(context.store))
            left_out = rebuild_conversations(context.store, threaded, office=context.office)
            for msg_id, error in left_out:
                log.info("%s left out when rebuilding conversations: %s", msg_id, error)
            context.receipts.restore(
                issued=[m for m in sent if isinstance(m, AppRec)],
                sent=[m for m in sent if isinstance(m, MsgHead)],
                # with the party each came from: one another party sent is not taken back (SV025)
                received_from=[
                    (row.sender, m)
                    for row, m in zip(rows, received, strict=True)
                    if isinstance(m, AppRec)
                ],
            )
            rebuilt = len(list(context.store)) - before
            return Restored(rebuilt, len(context.receipts.awaiting()), left_out)

    # -- receiving ---------------------------------------------------------------------------

    def _on_apprec(self, envelope: Envelope, apprec: AppRec) -> Outcome:
        original = apprec.original_msg_id.id
        try:
            # The envelope's sender is the CMS signer (`SecureChannel.unpack`): only the party
            # the message was sent to may receipt it (SV025); a refused AppRec changes nothing.
            matched = self.office.receive_receipt(apprec, from_her_id=envelope.sender)
        except ServiceError as exc:
            log.warning("AppRec %s from %s ignored: %s", apprec.id, envelope.sender, exc)
            return Outcome(Status.IGNORED, envelope.message_id, apprec.id, "AppRec",
                           detail=str(exc))  # fmt: skip
        self._note_receipt_errors(apprec)
        codes = ",".join(e.code.value for e in matched.errors) or None
        return Outcome(
            Status.RECEIPT, envelope.message_id, apprec.id, "AppRec", code=codes,
            detail=f"receipt for {original}: {'OK' if matched.ok else 'rejected'}",
        )  # fmt: skip

    def _on_message(
        self, row: StoredMessage, message: MsgHead, rule_issues: Sequence[Issue]
    ) -> Outcome:
        transport = self._transport_info(row)
        if rule_issues:
            errors = self._rule_receipt(message, transport, rule_issues)
            received = self.office.reject(message, errors)
        else:
            received = self.office.receive(message, transport)
        apprec = received.receipt
        if received.errors:  # in the AppRec; a synchronous message gets the 26 alone
            if apprec is None and received.refusal is None:
                log.warning("synchronous message %s rejected and not answered: %s",
                            row.msg_id, received.error)  # fmt: skip
            refusal = [] if received.refusal is None else [received.refusal]
            return self._settle(row, message, "rejected", apprec, refusal, errors=received.errors)
        answer = received.refusal or received.answer  # a 26, or RKT to a communication test
        if answer is not None:
            if received.refusal is not None:
                log.warning("message %s answered with 26: %s", message.msg_id, received.error)
            return self._settle(row, message, "answered", apprec, [answer])
        incoming = received.incoming
        if incoming is None:  # taken by the services alone (a status notice), or not at all
            why = None if received.error is None else str(received.error)
            if why is not None:
                log.warning("message %s not handled: %s", message.msg_id, why)
            return self._settle(row, message, "answered", apprec, [], error=why)
        if incoming.response is not None:
            return self._settle(row, message, "answered", apprec, [incoming.response])
        return self._deliver(row, message, incoming, apprec)

    def _deliver(
        self, row: StoredMessage, message: MsgHead, incoming: Incoming, apprec: AppRec | None
    ) -> Outcome:
        try:
            handed = self.bridge.deliver(incoming)
        except ServiceError as exc:  # the journal answered, but no valid reply can be built
            log.error("message %s cannot be answered: %s", row.msg_id, exc)
            failed = Outcome(Status.FAILED, row.msg_id, row.msg_id, row.msg_type,
                             code=exc.rule, detail=str(exc), apprec=apprec)  # fmt: skip
            return self._commit(row, Settlement("failed", failed, apprec, error=str(exc)))
        except AdapterError as exc:  # retryable (the bridge answers the others): unavailable
            log.warning("journal unavailable for %s: %s", row.msg_id, exc)
            return self._keep_pending(row, incoming, apprec, exc.code, str(exc))
        except Exception as exc:  # a bug in the adapter: the message is stored; keep and retry
            log.exception("journal delivery of %s failed unexpectedly", row.msg_id)
            detail = f"{type(exc).__name__}: {exc}"
            return self._keep_pending(row, incoming, apprec, "pipeline:internal", detail)
        self._waiting.pop(row.id, None)
        if handed.journal_error is not None:  # answered 31; the journal does not have it
            log.error("journal did not take %s, answered 31: %s", row.msg_id,
                      handed.journal_error)  # fmt: skip
            return self._settle(row, message, "answered", apprec, handed.replies,
                                error=f"journal: {handed.journal_error}")  # fmt: skip
        return self._settle(row, message, "delivered", apprec, handed.replies)

    def _keep_pending(
        self, row: StoredMessage, incoming: Incoming, apprec: AppRec | None, code: str, why: str
    ) -> Outcome:
        """The journal did not take the message: keep it ``pending`` (its AppRec OK goes out) and
        deliver it again after the backoff."""
        self._waiting[row.id] = incoming
        wait = self.retry.delay(row.attempts + 1)
        log.info("delivery of %s retried in %.0fs", row.msg_id, wait)
        pending = Outcome(Status.PENDING, row.msg_id, row.msg_id, row.msg_type,
                          code=code, detail=why, apprec=apprec)  # fmt: skip
        return self._commit(row, Settlement("pending", pending, apprec, error=why,
                                            next_attempt=self.clock() + wait))  # fmt: skip

    def _settle(
        self,
        row: StoredMessage,
        message: MsgHead,
        state: str,
        apprec: AppRec | None,
        replies: Sequence[Outgoing],
        *,
        errors: Sequence[ReceiptError] = (),
        error: str | None = None,
    ) -> Outcome:
        """Settle a handled message in ``state``; a rejection for ``errors`` (8221), anything
        else accepted. ``error`` is kept as the row's `last_error`: why it was answered but the
        journal does not have it."""
        if state == "rejected":
            outcome, error = rejection(row, errors, apprec, replies)
            return self._commit(row, Settlement(state, outcome, apprec, tuple(replies), error))
        outcome = Outcome(Status.ACCEPTED, row.msg_id, row.msg_id, message.msg_type,
                          detail=error or "", apprec=apprec,
                          replies=tuple(r.message for r in replies))  # fmt: skip
        return self._commit(row, Settlement(state, outcome, apprec, tuple(replies), error))

    def _resume(self, row: StoredMessage, message: MsgHead) -> Outcome:
        """Deliver a ``pending`` message to the journal again (no second AppRec)."""
        incoming = self._waiting.get(row.id)
        if incoming is None:  # after a restart: `restore` threaded it again, as it was
            service = self.office.service_for(row.msg_type)
            try:
                if service is None:
                    raise ServiceError(f"no service handles {row.msg_type}", rule="SV013")
                incoming = service.resume(message)
            except ServiceError as exc:
                log.error("stored message %s cannot be handled again: %s", row.msg_id, exc)
                self.store.settle(row.id, "failed", error=str(exc), now=self.clock())
                return Outcome(Status.FAILED, row.msg_id, row.msg_id, row.msg_type,
                               code=exc.rule, detail=str(exc))  # fmt: skip
        return self._deliver(row, message, incoming, None)

    # -- sending -----------------------------------------------------------------------------

    def collect(self, limit: int = 100) -> CollectResult:
        """Turn what the journal wants sent into queued envelopes, then acknowledge each.

        A journal id collected before (acknowledgement lost) is only acknowledged again. One that
        cannot be built (`ServiceError`, e.g. a citizen not digitally active) stays in the journal
        and is reported, and read past (`limit` counts only the others). One built but not queued
        (the store locked) is queued as built on the next pass. A journal error ends the pass
        (reported in `errors` as ``"journal"``, logged) without raising, so `run_once` still
        sends what is due.
        """
        with self._lock:
            return self._collect(limit)

    def _collect(self, limit: int) -> CollectResult:
        result = CollectResult()
        try:
            # What cannot be built stays at the head of the journal's list: read past it.
            for item in self.bridge.collect(limit + len(self._unsendable)):
                if self.store.collected(item.journal_id) is None:
                    outgoing = self._built.get(item.journal_id)
                    if outgoing is None:
                        try:
                            outgoing = item.build()
                        except ServiceError as exc:
                            if item.journal_id not in self._unsendable:  # once, not per pass
                                log.warning("cannot send %s: %s", item.journal_id, exc)
                                self._unsendable.add(item.journal_id)
                            result.errors.append((item.journal_id, exc))
                            continue
                        self._built[item.journal_id] = outgoing
                    queued = self._queued(self.pack_reply(outgoing.message), outgoing.sms)
                    self.store.record_collected(
                        item.journal_id, outgoing.msg_id, queued, now=self.clock()
                    )
                    del self._built[item.journal_id]
                    self._unsendable.discard(item.journal_id)
                    result.queued.append(outgoing)
                item.acknowledge()
        except AdapterError as exc:  # what is not acknowledged stays in the journal
            if exc.retryable:
                log.warning("journal unavailable while collecting: %s", exc)
            else:
                log.error("journal error while collecting: %s", exc)
            result.errors.append(("journal", exc))
        return result

    def tell_journal(self, limit: int = 100) -> NoticeResult:
        """Tell the journal about each message it sent that never arrived (`Inbox.undelivered`):
        rejected by helsenorge.no's AppRec, or given up on by the transport.

        Each notice is told once, oldest first, and marked told in the store only after the
        journal took it. An unavailable journal ends the pass (told again next time); a notice
        the journal refuses, or one that cannot be built, is kept for a person with why. Never
        raises an `AdapterError`, so `run_once` goes on.
        """
        result = NoticeResult()
        for item in self.store.owed_notices(limit):
            msg_id = item.envelope.message_id
            try:
                message = MsgHead.from_tree(parse_bytes(item.xml, source=msg_id), source=msg_id)
                notice = self.bridge.tell_undelivered(
                    message, item.last_error or "not delivered", item.receipt_errors,
                    self.store.collected_as(msg_id),
                )  # fmt: skip
            except AdapterError as exc:
                result.errors.append((msg_id, exc))
                if exc.retryable:
                    log.warning("journal unavailable, not told that %s never arrived: %s",
                                msg_id, exc)  # fmt: skip
                    break
                log.error("journal refused the notice that %s never arrived: %s", msg_id, exc)
                self.store.notice_refused(item.id, str(exc))
                continue
            except (ParseError, ServiceError) as exc:
                result.errors.append((msg_id, exc))
                log.error("cannot tell the journal that %s never arrived: %s", msg_id, exc)
                self.store.notice_refused(item.id, str(exc))
                continue
            self.store.notice_told(item.id)
            result.told.append(notice)
        return result

    def run_once(self) -> RunResult:
        """Retry due deliveries, collect from the journal, send what is due, tell the journal
        what never arrived."""
        retried = self.retry_pending()
        collected = self.collect()
        flushed = self.flush()
        return RunResult(retried, collected, flushed, self.tell_journal())


def _message(xml: bytes, source: str) -> Message:
    return Message.from_tree(parse_bytes(xml, source=source), source=source)
