"""The message store on real sqlite files: durable across reopen, deduplicating, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from digidialog.pipeline import MessageStore, RetryPolicy, StoreError
from digidialog.transport import CMS_CONTENT_TYPE, Envelope


def envelope(message_id: str = "m-1", payload: bytes = b"\x30\x80sealed") -> Envelope:
    return Envelope(
        payload,
        sender="8093248",
        receiver="8140001",
        content_type=CMS_CONTENT_TYPE,
        message_id=message_id,
        subject="X",
    )


def test_wal_and_full_sync_are_on(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    store.close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


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
    store.settle(
        row.id, "pending", [envelope("apprec-1")], error="down", next_attempt=50.0, now=0.0
    )
    assert store.due_received(now=49.0) == []
    due = store.due_received(now=50.0)
    assert [(m.state, m.attempts, m.last_error) for m in due] == [("pending", 1, "down")]
    assert [i.envelope.message_id for i in store.due_outbox(now=0.0)] == ["apprec-1"]
    store.settle(row.id, "delivered")
    assert store.unsettled() == []


def test_outbox_retry_and_failure(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    assert store.enqueue(envelope("o-1"), now=0.0)
    assert not store.enqueue(envelope("o-1"), now=0.0)  # same message id: queued once
    assert store.enqueue(envelope("o-2"), now=0.0)
    first, second = store.due_outbox(now=0.0)
    assert first.envelope == envelope("o-1")
    store.defer_outbox(first.id, "503", 30.0)
    store.fail_outbox(second.id, "400")
    assert store.due_outbox(now=29.0) == []
    assert [i.attempts for i in store.due_outbox(now=30.0)] == [1]
    store.mark_sent(first.id)
    assert [i.state for i in store.outbox()] == ["sent", "failed"]


def test_collected_records_journal_id_with_its_envelope(tmp_path: Path) -> None:
    store = MessageStore(tmp_path / "s.db")
    assert store.collected("inbox:out-1") is None
    store.record_collected("inbox:out-1", "m-9", envelope("m-9"))
    assert store.collected("inbox:out-1") == "m-9"
    assert [i.envelope.message_id for i in store.outbox("pending")] == ["m-9"]
    with pytest.raises(StoreError):  # a journal id is collected once
        store.record_collected("inbox:out-1", "m-10", envelope("m-10"))
    assert [i.envelope.message_id for i in store.outbox()] == ["m-9"]


def test_unopenable_store_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot open"):
        MessageStore(tmp_path / "file" / "s.db")


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(first=5, factor=2, cap=30)
    assert [policy.delay(n) for n in range(1, 6)] == [5, 10, 20, 30, 30]
