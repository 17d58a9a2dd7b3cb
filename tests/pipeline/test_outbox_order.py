"""The outbox is first in, first out per receiver: nothing overtakes an envelope still pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digidialog.model import MsgHead
from digidialog.pipeline import OutboxItem
from digidialog.services import RecordingNotifier
from digidialog.transport import BaseTransport, Envelope, TransportError

from .conftest import CITIZEN, GP, Parties


class DropsFirst(BaseTransport):
    """The office's line to helsenorge.no: the first envelope fails (retryable or not), then
    everything is carried, and `carried` records in what order."""

    def __init__(self, inner: BaseTransport, *, retryable: bool) -> None:
        self.inner = inner
        self.retryable = retryable
        self.dropped = False
        self.carried: list[str] = []

    def send(self, envelope: Envelope) -> None:
        if not self.dropped:
            self.dropped = True
            raise TransportError("connection reset", retryable=self.retryable)
        self.inner.send(envelope)
        self.carried.append(envelope.message_id)


def _reserve(parties: Parties) -> tuple[OutboxItem, OutboxItem]:
    """A reservation: the office queues its AppRec, then the 05 confirming it (owing an SMS)."""
    now = datetime.now(UTC)
    slot = parties.journal.free_slots(GP, now, now + timedelta(weeks=4))[0]
    booking = parties.portal.services.booking
    parties.portal.send(booking.reserve(CITIZEN, GP, slot, accepts_other_practitioner=False))
    parties.portal.flush()
    apprec, reply = parties.office.store.outbox("pending")
    assert apprec.envelope.subject == "APPREC"  # code list 8279
    assert reply.sms is not None
    return apprec, reply


def test_a_reply_does_not_overtake_the_deferred_apprec_before_it(parties: Parties) -> None:
    line = DropsFirst(parties.office.transport, retryable=True)
    parties.office.transport = line
    notifier = parties.office.office.context.notifier
    assert isinstance(notifier, RecordingNotifier)
    apprec, reply = _reserve(parties)

    first = parties.office.flush()
    assert first.deferred == [apprec.envelope.message_id]
    assert first.sent == []  # the 05 waits behind the AppRec for the same receiver …
    assert parties.portal.messages == {}
    assert notifier.sent == []
    parties.clock.advance(1)
    assert parties.office.flush().sent == []  # … also while the AppRec is not due again

    parties.clock.advance(3600)
    second = parties.office.flush()
    assert second.sent == [apprec.envelope.message_id, reply.envelope.message_id]
    assert line.carried == second.sent  # the receipt first, then the answer
    assert len(notifier.sent) == 1  # the 05's SMS, once it went out
    [confirmation] = parties.portal.messages.values()
    assert isinstance(confirmation, MsgHead)
    assert confirmation.msg_id == reply.envelope.message_id


def test_an_envelope_given_up_on_does_not_stop_the_line(parties: Parties) -> None:
    # A transport refusing the AppRec for good marks it failed (for a person to look at); the
    # envelopes behind it are no longer held up by it.
    line = DropsFirst(parties.office.transport, retryable=False)
    parties.office.transport = line
    apprec, reply = _reserve(parties)
    flushed = parties.office.flush()
    assert flushed.failed == [apprec.envelope.message_id]
    assert flushed.sent == [reply.envelope.message_id]
    assert [i.state for i in parties.office.store.outbox()] == ["failed", "sent"]
