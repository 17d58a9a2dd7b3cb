"""The message store on real sqlite files: durable across reopen, deduplicating, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

import pytest

from digidialog.pipeline import MessageStore, Queued, RetryPolicy, StoredMessage, StoreError
from digidialog.services import SmsNotice
from digidialog.transport import CMS_CONTENT_TYPE, Envelope, Refusal


def envelope(
    message_id: str = "m-1", payload: bytes = b"\x30\x80sealed", receiver: str = "8140001"
) -> Envelope:
    return Envelope(
        payload,
        sender="8093248",
        receiver=receiver,
        content_type=CMS_CONTENT_TYPE,
        message_id=message_id,
        subject="X",
    )


def state_of(row: StoredMessage | None) -> str | None:
    return None if row is None else row.state


def queued(message_id: str, sms: SmsNotice | None = None, receiver: str = "8140001") -> Queued:
    return Queued(envelope(message_id, receiver=receiver), f"<m id='{message_id}'/>".encode(), sms)


def due_ids(store: MessageStore, now: float) -> list[str]:
    return [i.envelope.message_id for i in store.due_outbox(now=now)]


def test_wal_and_full_sync_are_on(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    store.close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    # synchronous is a setting of the connection, not of the file: ask the store's own.
    reopened = MessageStore(tmp_path / "s.db")
    assert reopened._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    reopened.close()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    row = store.add_received(
        sender="1", msg_id="a", msg_type="T", envelope=envelope(), signed_xml=b"<x/>", now=0.0
    )
    assert row is not None
    unbindable = Queued(envelope("bad"), cast(bytes, object()))  # sqlite cannot store it
    with pytest.raises(StoreError, match="write failed"):
        store.settle(row.id, "delivered", [queued("apprec-1"), unbindable], now=0.0)
    # The state change and the first queued envelope were rolled back with the failure …
    assert state_of(store.received("1", "a")) == "stored"
    assert store.outbox() == []
    # … and the store takes the next transaction.
    store.settle(row.id, "delivered", [queued("apprec-1")], now=0.0)
    assert [i.envelope.message_id for i in store.outbox()] == ["apprec-1"]


def test_a_locked_store_fails_the_write_and_recovers(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db", busy_timeout=0.05)
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    with pytest.raises(StoreError):
        store.enqueue(queued("o-1"))
    other.execute("ROLLBACK")
    other.close()
    assert store.enqueue(queued("o-1"))
    assert [i.envelope.message_id for i in store.outbox()] == ["o-1"]


def test_mark_sent_only_once(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    store.enqueue(queued("o-1"), now=0.0)
    [item] = store.due_outbox(now=0.0)
    assert store.mark_sent(item.id) is True
    assert store.mark_sent(item.id) is False  # a second flush that sent it too: no second SMS


def test_received_survives_reopen_and_deduplicates(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    row = store.add_received(
        sender="8093248",
        msg_id="a",
        msg_type="T",
        envelope=envelope(),
        signed_xml=b"<x/>",
        now=100.0,
    )
    assert row is not None
    assert row.state == "stored"
    assert (
        store.add_received(
            sender="8093248", msg_id="a", msg_type="T", envelope=envelope(), signed_xml=b"<x/>"
        )
        is None
    )
    # Same MsgId from another signed sender is another message.
    assert (
        store.add_received(
            sender="999",
            msg_id="a",
            msg_type="T",
            envelope=envelope(),
            signed_xml=b"<y/>",
            now=100.0,
        )
        is not None
    )
    store.close()

    again = MessageStore(tmp_path / "s.db")
    kept = again.received("8093248", "a")
    assert kept is not None
    assert (kept.payload, kept.signed_xml) == (b"\x30\x80sealed", b"<x/>")
    assert [m.msg_id for m in again.due_received(now=100.0)] == ["a", "a"]


def test_settle_moves_state_and_queues_in_one_step(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    row = store.add_received(
        sender="1", msg_id="a", msg_type="T", envelope=envelope(), signed_xml=b"<x/>", now=0.0
    )
    assert row is not None
    store.settle(row.id, "pending", [queued("apprec-1")], error="down", next_attempt=50.0, now=0.0)
    assert store.due_received(now=49.0) == []
    due = store.due_received(now=50.0)
    assert [(m.state, m.attempts, m.last_error) for m in due] == [("pending", 1, "down")]
    assert [i.envelope.message_id for i in store.due_outbox(now=0.0)] == ["apprec-1"]
    store.settle(row.id, "delivered")
    assert store.unsettled() == []
    assert [m.msg_id for m in store.received_in(["delivered", "receipt"])] == ["a"]


def test_a_received_apprec_is_kept_settled(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    kept = store.add_received(sender="1", msg_id="r", msg_type="AppRec", envelope=envelope(),
                              signed_xml=b"<AppRec/>", state="receipt", now=0.0)  # fmt: skip
    assert kept is not None
    assert kept.state == "receipt"
    assert store.due_received(now=10.0) == []  # nothing to handle after a crash
    assert [m.msg_id for m in store.received_in(["receipt"])] == ["r"]


def test_outbox_retry_and_failure(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    assert store.enqueue(queued("o-1", SmsNotice("+4799999999")), now=0.0)
    assert not store.enqueue(queued("o-1"), now=0.0)  # same message id: queued once
    assert store.enqueue(queued("o-2", receiver="8140002"), now=0.0)
    first, second = store.due_outbox(now=0.0)
    assert first.envelope == envelope("o-1")
    assert second.envelope == envelope("o-2", receiver="8140002")
    assert (first.xml, first.sms) == (b"<m id='o-1'/>", SmsNotice("+4799999999"))
    assert second.sms is None
    store.defer_outbox(first.id, "503", 30.0)
    store.fail_outbox(second.id, "400")
    assert store.due_outbox(now=29.0) == []
    assert [i.attempts for i in store.due_outbox(now=30.0)] == [1]
    store.mark_sent(first.id)
    assert [i.state for i in store.outbox()] == ["sent", "failed"]


def test_collected_records_journal_id_with_its_envelope(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    assert store.collected("inbox:out-1") is None
    store.record_collected("inbox:out-1", "m-9", queued("m-9", SmsNotice(None)))
    assert store.collected("inbox:out-1") == "m-9"
    [item] = store.outbox("pending")
    assert (item.envelope.message_id, item.sms) == ("m-9", SmsNotice(None))
    with pytest.raises(StoreError):  # a journal id is collected once
        store.record_collected("inbox:out-1", "m-10", queued("m-10"))
    assert [i.envelope.message_id for i in store.outbox()] == ["m-9"]


def test_unopenable_store_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot open"):
        MessageStore(tmp_path / "file" / "s.db")


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(first=5, factor=2, cap=30)
    assert [policy.delay(n) for n in range(1, 6)] == [5, 10, 20, 30, 30]


def test_outbox_is_first_in_first_out_per_receiver(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    for message_id, receiver in [("a-1", "1"), ("b-1", "2"), ("a-2", "1"), ("a-3", "1")]:
        store.enqueue(queued(message_id, receiver=receiver), now=0.0)
    # Only the oldest pending envelope of each receiver is due: a-2 waits for a-1.
    assert due_ids(store, 0.0) == ["a-1", "b-1"]
    [a1, b1] = store.due_outbox(now=0.0)
    # a-1 is deferred: a-2 (due by its own time) still waits behind it, also while a-1 is not
    # due; the other receiver's line is not held up.
    store.defer_outbox(a1.id, "503", 30.0)
    assert store.mark_sent(b1.id)
    assert due_ids(store, 10.0) == []
    assert due_ids(store, 30.0) == ["a-1"]
    assert store.mark_sent(a1.id)
    assert due_ids(store, 30.0) == ["a-2"]


def test_an_envelope_given_up_on_does_not_hold_up_its_receiver(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    store.enqueue(queued("a-1"), now=0.0)
    store.enqueue(queued("a-2"), now=0.0)
    [a1] = store.due_outbox(now=0.0)
    store.fail_outbox(a1.id, "400 bad request")  # failed for good: kept for a person, not pending
    assert due_ids(store, 0.0) == ["a-2"]


def test_an_owed_sms_is_claimed_once_and_owed_again_after_a_gateway_failure(
    tmp_path: Path,
) -> None:
    store = MessageStore(tmp_path / "s.db")
    store.enqueue(queued("o-1", SmsNotice("+4799887766")), now=0.0)
    store.enqueue(queued("o-2", receiver="8140002"), now=0.0)  # owes none
    assert store.owed_sms(now=0.0) == []  # not sent yet: nothing owed now
    [first, second] = store.due_outbox(now=0.0)
    assert store.mark_sent(first.id)
    assert store.mark_sent(second.id)
    [owed] = store.owed_sms(now=0.0)
    assert owed.envelope.message_id == "o-1"
    assert store.claim_sms(owed.id) is True
    assert store.claim_sms(owed.id) is False  # a flush alongside: no second SMS
    assert store.owed_sms(now=0.0) == []
    store.defer_sms(owed.id, "SMS: TimeoutError: gateway", next_attempt=30.0)
    assert store.owed_sms(now=29.0) == []
    [again] = store.owed_sms(now=30.0)
    assert (again.last_error, again.sms_sent) == ("SMS: TimeoutError: gateway", False)
    assert store.claim_sms(again.id) is True
    store.sms_sent(again.id)
    [done, _] = store.outbox()
    assert (done.sms_sent, done.state) == (True, "sent")
    assert store.owed_sms(now=60.0) == []


def test_a_store_from_before_sms_states_does_not_text_again(tmp_path: Path) -> None:
    # Written by a version whose `sms` column was a flag: a sent entry had had its one SMS try.
    path = tmp_path / "s.db"
    store = MessageStore(path)
    store.enqueue(queued("sent-before", SmsNotice("+4799887766")), now=0.0)
    store.enqueue(queued("not-sent-yet", SmsNotice("+4799887766"), receiver="8140002"), now=0.0)
    [sent, _] = store.due_outbox(now=0.0)
    assert store.mark_sent(sent.id)
    store.close()
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA user_version=0")
    old.close()

    reopened = MessageStore(path)
    assert reopened.owed_sms(now=100.0) == []
    before, waiting = reopened.outbox()
    assert (before.envelope.message_id, before.sms_sent) == ("sent-before", True)
    assert (waiting.state, waiting.sms_sent) == ("pending", False)  # still owes its SMS
    assert reopened.mark_sent(waiting.id)
    assert [i.envelope.message_id for i in reopened.owed_sms(now=100.0)] == ["not-sent-yet"]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3


def test_a_message_given_up_on_owes_no_sms(tmp_path: Path) -> None:
    # The SMS is owed once the transport has the message; one the transport refused for good
    # never reached the citizen, so no SMS may tell them about it.
    store = MessageStore(tmp_path / "s.db")
    store.enqueue(queued("o-1", SmsNotice("+4799887766")), now=0.0)
    [item] = store.due_outbox(now=0.0)
    store.fail_outbox(item.id, "receiver refused it for good")
    assert store.owed_sms(now=100.0) == []
    assert store.claim_sms(item.id) is False


def test_refused_envelopes_are_kept_once_with_why(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    bad = Refusal(
        "transport:invalid-signature",
        "Digital signature could not be verified",
        "invalid",
        {"thumbprint": "AB12"},
    )
    first = envelope("r-1")
    assert store.add_refused(first, bad, now=10.0) is True
    assert store.add_refused(first, bad, now=20.0) is False  # the carrier delivered it again
    changed = envelope("r-1", payload=b"\x30\x80other")  # same id, other bytes: another envelope
    expired = Refusal("transport:expired-certificate", "expired", "expired")
    assert store.add_refused(changed, expired, now=30.0) is True
    store.close()

    again = MessageStore(tmp_path / "s.db")
    kept, other = again.refused()
    assert (kept.envelope, kept.refusal, kept.code) == (first, bad, "transport:invalid-signature")
    assert (kept.refused_at, kept.last_refused_at, kept.deliveries) == (10.0, 20.0, 2)
    assert (other.envelope, other.refusal, other.deliveries) == (changed, expired, 1)
    assert [r.id for r in again.refused(limit=1)] == [kept.id]
    # Refused envelopes are no received messages: nothing to handle, deduplicate or answer.
    assert again.due_received(now=100.0) == []
    assert again.outbox() == []


def test_a_store_from_version_2_keeps_refused_envelopes_and_receivers(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = MessageStore(path)
    store.add_received(sender="1", msg_id="before", msg_type="T", envelope=envelope(),
                       signed_xml=b"<x/>", now=0.0)  # fmt: skip
    store.close()
    old = sqlite3.connect(path, isolation_level=None)  # as version 2 wrote it
    old.execute("DROP TABLE refused")
    old.execute("ALTER TABLE received DROP COLUMN receiver")
    old.execute("PRAGMA user_version=2")
    old.close()

    reopened = MessageStore(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    before = reopened.received("1", "before")
    assert before is not None
    assert before.receiver is None  # unknown: the pipeline takes its own HER-id for it
    after = reopened.add_received(
        sender="1", msg_id="after", msg_type="T", envelope=envelope(receiver="8140002"),
        signed_xml=b"<x/>",
    )  # fmt: skip
    assert after is not None
    assert after.receiver == "8140002"
    assert reopened.add_refused(envelope("r-1"), Refusal("abuse:spoofing-attack", "spoofed"))
    reopened.close()
    twice = MessageStore(path)  # opening again changes nothing
    assert [r.envelope.message_id for r in twice.refused()] == ["r-1"]
    assert [m.msg_id for m in twice.received_in(["stored"])] == ["before", "after"]
