"""The pipeline's durable memory: one sqlite file (WAL, synchronous=FULL) in the work folder.

Four tables, each answering one question after a crash:

- ``received`` — every message that passed verification and validation, keyed by the *signed*
  sender HER-id and MsgId (the dedupe key), with the HER-id the envelope was addressed to. A row
  is committed, and so fsync'd, before the AppRec OK for it is produced. ``state``: ``stored``
  (kept, not yet handled), ``pending`` (receipted, the journal does not have it yet: retried with
  backoff), and the final ``delivered``, ``answered`` (the services answered without the
  journal), ``rejected``, ``duplicate`` (its MsgId was receipted before, from another sender:
  dropped without an AppRec) or ``failed`` (no reply could be built; ``last_error`` says why).
  The AppRec and any reply enter the outbox in the same transaction as the state change, so a
  crash never loses one.
- ``refused`` — every envelope refused for a transport security reason (no AppRec exists for it),
  kept whole with the transport error code and why before the carrier is answered, once per
  distinct envelope, for a person to see (`MessageStore.refused`): there is no AMQP error queue
  here to report it on.
- ``outbox`` — envelopes to send, with attempts and the time of the next try (retry with backoff);
  ``pending`` → ``sent``, or ``failed`` when the transport says retrying cannot help. First in,
  first out per receiver: an envelope is not due while an earlier one for its receiver is
  ``pending`` (`due_outbox`). Each row also
  keeps the plain signed XML it carries (the sealed payload is readable only by its receiver), so
  a party can rebuild its conversations after a restart, and the SMS owed once it is sent. A sent
  message that never arrived (``rejected`` by its receiver, or ``failed``) may owe its sender's
  journal a notice (`owed_notices`), which is told once.
- ``collected`` — ids of the journal's outgoing messages (and renewal decisions) already turned into
  envelopes, so a journal that hands the same one out again is not answered twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from digidialog.errors import DigidialogError, Location
from digidialog.services import SmsNotice
from digidialog.transport import Envelope, Refusal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    payload BLOB NOT NULL,
    signed_xml BLOB NOT NULL,
    received_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    last_error TEXT,
    receiver TEXT,  -- the envelope's toHerId; NULL in rows kept before version 3
    UNIQUE (sender, msg_id)
);
CREATE INDEX IF NOT EXISTS received_due ON received (state, next_attempt);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    content_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BLOB NOT NULL,
    digest TEXT NOT NULL,  -- sha256 of the payload: the same envelope again is not kept twice
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    description TEXT NOT NULL,
    condition_data TEXT NOT NULL,  -- JSON
    refused_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    last_refused_at REAL NOT NULL,
    UNIQUE (sender, message_id, digest)
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    content_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BLOB NOT NULL,
    xml BLOB NOT NULL,
    sms INTEGER NOT NULL DEFAULT 0,  -- _SMS_*: none, owed, sent, being sent
    sms_mobile TEXT,
    notice INTEGER NOT NULL DEFAULT 0,  -- _NOTICE_*: none, owed, told, refused by the journal
    receipt_errors TEXT NOT NULL DEFAULT '',  -- the 8221 codes of a rejecting AppRec, by commas
    created_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS collected (
    journal_id TEXT PRIMARY KEY,
    msg_id TEXT NOT NULL,
    collected_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS collected_msg ON collected (msg_id);
"""
_OUTBOX_INDEXES = """
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt);
CREATE INDEX IF NOT EXISTS outbox_line ON outbox (receiver, state, id);
CREATE INDEX IF NOT EXISTS outbox_notice ON outbox (notice, id);
"""


# The SMS an outbox entry owes: none, owed (its message not sent yet, or the gateway failed and
# it is retried at next_attempt), sent, or being sent (claimed by one flush: a crash then loses
# that SMS rather than texting twice).
_SMS_NONE, _SMS_OWED, _SMS_SENT, _SMS_SENDING = 0, 1, 2, 3
# The notice a sent message that never arrived owes its sender's journal (`owed_notices`): none,
# owed, told, or refused by the journal (kept for a person; `last_error` says why).
_NOTICE_NONE, _NOTICE_OWED, _NOTICE_TOLD, _NOTICE_REFUSED = 0, 1, 2, 3
_VERSION = 3
"""`PRAGMA user_version` of the schema. 1: SMS states (before, ``sms`` was only a flag, and an
entry that had been sent had had its one try). 2: journal notices and the AppRec's error codes
(before, the journal was never told; a message that did not arrive owes its notice now).
3: refused envelopes kept (table ``refused``) and a received message's envelope receiver
(``received.receiver``; NULL in older rows, which were all addressed to this party)."""


class StoreError(DigidialogError):
    """The message store could not be opened or written; nothing was acknowledged."""

    code = "pipeline:store"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A received message as the store keeps it."""

    id: int
    sender: str
    msg_id: str
    msg_type: str
    content_type: str
    payload: bytes
    signed_xml: bytes
    state: str
    attempts: int
    next_attempt: float
    last_error: str | None
    receiver: str | None = None
    """The HER-id the envelope was addressed to (its toHerId); None for a message kept by a
    store before version 3 (it was addressed to this party)."""


@dataclass(frozen=True, slots=True)
class RefusedEnvelope:
    """An envelope refused for a transport security reason, as the store keeps it for a person:
    whole, with why (what a HITS 1216 error report would carry)."""

    id: int
    envelope: Envelope
    refusal: Refusal
    refused_at: float
    """When it was first refused (seconds since the epoch)."""
    deliveries: int = 1
    """How often the carrier delivered this same envelope (it is kept once)."""
    last_refused_at: float = 0.0

    @property
    def code(self) -> str:
        """The transport error code (``transport:invalid-signature`` …)."""
        return self.refusal.code


@dataclass(frozen=True, slots=True)
class Queued:
    """What goes into the outbox: the envelope, the signed XML it carries (kept readable for the
    sender, who cannot open the sealed payload) and the SMS owed once the transport accepts it."""

    envelope: Envelope
    xml: bytes
    sms: SmsNotice | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An envelope waiting in (or done with) the outbox."""

    id: int
    envelope: Envelope
    xml: bytes
    sms: SmsNotice | None
    state: str
    attempts: int
    next_attempt: float
    last_error: str | None
    sms_sent: bool = False
    """The SMS it owes went out (False while owed, or when none is owed)."""
    receipt_errors: tuple[str, ...] = ()
    """The 8221 codes of the AppRec that rejected it (or took it in part)."""
    journal_told: bool = False
    """Its sender's journal was told it never arrived (`MessageStore.owed_notices`)."""


class MessageStore:
    """sqlite-backed store shared by the threads of one pipeline (one connection, one lock)."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 5.0) -> None:
        """Open (or create) the store at `path`; `busy_timeout` is how long (seconds) a write
        waits for another process holding the file before it fails with `StoreError`."""
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA busy_timeout={max(0, int(busy_timeout * 1000))}")
            self._db.executescript(_SCHEMA)
            self._upgrade()
            self._db.executescript(_OUTBOX_INDEXES)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the message store: {exc}",
                location=Location(str(self.path)),
                hint="check that the work folder is writable and not on a network share",
            ) from exc
        self._lock = threading.Lock()

    def _upgrade(self) -> None:
        """Bring a store written by an older digidialog to `_VERSION`, in one transaction (so a
        second process opening it at the same time finds it done)."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version < 1:
                # Sent entries had had their one SMS try; only unsent ones still owe theirs.
                db.execute(
                    "UPDATE outbox SET sms=? WHERE sms=? AND state IN ('sent', 'rejected')",
                    (_SMS_SENT, _SMS_OWED),
                )
            columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
            if "notice" not in columns:
                db.execute("ALTER TABLE outbox ADD COLUMN notice INTEGER NOT NULL DEFAULT 0")
                db.execute("ALTER TABLE outbox ADD COLUMN receipt_errors TEXT NOT NULL DEFAULT ''")
            if version < 2:
                # Messages that never arrived, whose journal was never told (AppRecs owe none;
                # their subject is APPREC, code list 8279, or AppRec as older versions wrote it).
                db.execute(
                    "UPDATE outbox SET notice=? WHERE state IN ('rejected', 'failed')"
                    " AND upper(subject) != 'APPREC'",
                    (_NOTICE_OWED,),
                )
            received = {row[1] for row in db.execute("PRAGMA table_info(received)")}
            if "receiver" not in received:  # 3; the refused table is made by _SCHEMA
                db.execute("ALTER TABLE received ADD COLUMN receiver TEXT")
            db.execute(f"PRAGMA user_version={_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE … COMMIT: with synchronous=FULL the commit returns after the fsync.
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                # A failed COMMIT (disk full, I/O error) leaves the transaction open; end it, or
                # every later write would fail with "cannot start a transaction within one".
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise StoreError(
                    f"message store write failed: {exc}", location=Location(str(self.path))
                ) from exc

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._db.execute(sql, args).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(
                    f"message store read failed: {exc}", location=Location(str(self.path))
                ) from exc

    # -- received ----------------------------------------------------------------------------

    def add_received(
        self,
        *,
        sender: str,
        msg_id: str,
        msg_type: str,
        envelope: Envelope,
        signed_xml: bytes,
        state: str = "stored",
        now: float | None = None,
    ) -> StoredMessage | None:
        """Keep a verified message; None when (sender, msg_id) is already here (a duplicate).

        A received AppRec is kept in its final ``state`` (``receipt``) at once: it needs no
        handling after a crash, only to be matched again when the party rebuilds its state.
        """
        at = time.time() if now is None else now
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO received (sender, msg_id, msg_type, content_type, payload,"
                " signed_xml, received_at, state, next_attempt, receiver)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sender, msg_id, msg_type, envelope.content_type, envelope.payload, signed_xml,
                 at, state, at, envelope.receiver),
            )  # fmt: skip
            if cursor.rowcount == 0:
                return None
        return self.received(sender, msg_id)

    def received(self, sender: str, msg_id: str) -> StoredMessage | None:
        rows = self._query("SELECT * FROM received WHERE sender=? AND msg_id=?",
                           (sender, msg_id))  # fmt: skip
        return _stored(rows[0]) if rows else None

    def received_with_msg_id(self, msg_id: str) -> list[StoredMessage]:
        """Every received message with MsgId ``msg_id``, whoever sent it, in arrival order."""
        rows = self._query("SELECT * FROM received WHERE msg_id=? ORDER BY id", (msg_id,))
        return [_stored(r) for r in rows]

    def due_received(self, now: float | None = None, limit: int = 100) -> list[StoredMessage]:
        """Messages not yet settled whose next attempt is due, oldest first."""
        at = time.time() if now is None else now
        rows = self._query(
            "SELECT * FROM received WHERE state IN ('stored', 'pending') AND next_attempt<=?"
            " ORDER BY id LIMIT ?",
            (at, limit),
        )
        return [_stored(r) for r in rows]

    def received_in(self, states: Sequence[str]) -> list[StoredMessage]:
        """Every received message in one of `states`, in arrival order (for rebuilding state)."""
        marks = ", ".join("?" for _ in states)
        rows = self._query(
            f"SELECT * FROM received WHERE state IN ({marks}) ORDER BY id",  # noqa: S608
            tuple(states),
        )
        return [_stored(r) for r in rows]

    def unsettled(self) -> list[StoredMessage]:
        """Every message not yet settled (``stored`` or ``pending``), due or not."""
        rows = self._query(
            "SELECT * FROM received WHERE state IN ('stored', 'pending') ORDER BY id"
        )
        return [_stored(r) for r in rows]

    def settle(
        self,
        row_id: int,
        state: str,
        outgoing: Sequence[Queued] = (),
        *,
        error: str | None = None,
        next_attempt: float | None = None,
        now: float | None = None,
    ) -> None:
        """Move a received message to ``state`` and queue ``outgoing`` in one transaction.

        With ``next_attempt`` the message counts one more failed attempt (``pending`` with retry).
        """
        at = time.time() if now is None else now
        with self._tx() as db:
            if next_attempt is None:
                db.execute(
                    "UPDATE received SET state=?, last_error=? WHERE id=?", (state, error, row_id)
                )
            else:
                db.execute(
                    "UPDATE received SET state=?, last_error=?, attempts=attempts+1,"
                    " next_attempt=? WHERE id=?",
                    (state, error, next_attempt, row_id),
                )
            for item in outgoing:
                _enqueue(db, item, at)

    # -- refused -----------------------------------------------------------------------------

    def add_refused(
        self, envelope: Envelope, refusal: Refusal, *, now: float | None = None
    ) -> bool:
        """Keep an envelope refused for a transport security reason, with why; False when this
        same envelope (sender, message id and payload) was kept before: it only counts one more
        delivery then. Committed (fsync'd) before it returns, so before the carrier is told."""
        at = time.time() if now is None else now
        digest = hashlib.sha256(envelope.payload).hexdigest()
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE refused SET deliveries=deliveries+1, last_refused_at=?"
                " WHERE sender=? AND message_id=? AND digest=?",
                (at, envelope.sender, envelope.message_id, digest),
            )
            if cursor.rowcount:
                return False
            db.execute(
                "INSERT INTO refused (message_id, sender, receiver, content_type, subject,"
                " payload, digest, code, reason, description, condition_data, refused_at,"
                " last_refused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (envelope.message_id, envelope.sender, envelope.receiver, envelope.content_type,
                 envelope.subject, envelope.payload, digest, refusal.code, refusal.reason,
                 refusal.description, json.dumps(dict(refusal.condition_data), default=str),
                 at, at),
            )  # fmt: skip
            return True

    def refused(self, limit: int | None = None) -> list[RefusedEnvelope]:
        """The envelopes refused for a transport security reason, oldest first (at most
        ``limit``): for a person, or a tool, to tell their senders and look into."""
        rows = self._query("SELECT * FROM refused ORDER BY id LIMIT ?",
                           (-1 if limit is None else limit,))  # fmt: skip
        return [_refused(r) for r in rows]

    # -- outbox ------------------------------------------------------------------------------

    def enqueue(self, item: Queued, *, now: float | None = None) -> bool:
        """Put an envelope in the outbox; False when one with its message id is already there."""
        at = time.time() if now is None else now
        with self._tx() as db:
            return _enqueue(db, item, at)

    def due_outbox(self, now: float | None = None, limit: int = 100) -> list[OutboxItem]:
        """The envelopes to send now, oldest first: first in, first out per receiver.

        Only the oldest ``pending`` envelope of each receiver can be due, and only once its next
        attempt has come: an envelope waits while an earlier one for the same receiver is still
        pending (due or deferred), so a reply never overtakes the AppRec queued before it. A
        ``sent`` or ``failed`` (given up, for a person) envelope holds nothing up. After one is
        sent, the next for its receiver becomes due: `flush()` asks again.
        """
        at = time.time() if now is None else now
        rows = self._query(
            "SELECT * FROM outbox AS o WHERE state='pending' AND next_attempt<=?"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS e"
            " WHERE e.receiver=o.receiver AND e.state='pending' AND e.id<o.id)"
            " ORDER BY id LIMIT ?",
            (at, limit),
        )
        return [_outbox(r) for r in rows]

    def outbox(self, state: str | None = None) -> list[OutboxItem]:
        """Every outbox entry (optionally of one state), in the order they were queued."""
        if state is None:
            rows = self._query("SELECT * FROM outbox ORDER BY id")
        else:
            rows = self._query("SELECT * FROM outbox WHERE state=? ORDER BY id", (state,))
        return [_outbox(r) for r in rows]

    def mark_sent(self, row_id: int) -> bool:
        """Mark an envelope sent; False when it was not pending any more (another flush, running
        at the same time, sent it first), so the caller does not send its SMS a second time."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE outbox SET state='sent', attempts=attempts+1, last_error=NULL"
                " WHERE id=? AND state='pending'",
                (row_id,),
            )
            return cursor.rowcount == 1

    def defer_outbox(self, row_id: int, error: str, next_attempt: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt=? WHERE id=?",
                (error, next_attempt, row_id),
            )

    def reseal_outbox(self, row_id: int, payload: bytes) -> None:
        """Replace a pending envelope's payload: the same signed message, sealed again for the
        receiver's current encryption certificate."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET payload=? WHERE id=? AND state='pending'", (payload, row_id)
            )

    def fail_outbox(self, row_id: int, error: str, *, notice: bool = False) -> None:
        """Give up on an envelope the transport refused for good (kept for a person to see);
        with ``notice``, its sender's journal is owed a notice that it never arrived."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state='failed', attempts=attempts+1, last_error=?,"
                " notice=CASE WHEN ? THEN ? ELSE notice END WHERE id=?",
                (error, notice, _NOTICE_OWED, row_id),
            )

    def note_receipt_errors(
        self,
        message_id: str,
        reason: str,
        codes: Sequence[str] = (),
        *,
        rejected: bool,
        notice: bool = False,
    ) -> bool:
        """Keep what the receiver's AppRec said against a sent envelope: ``reason`` as its
        `last_error` and its 8221 ``codes``, and state ``rejected`` when the message was refused
        whole (8258 status 2; status 3, a part in error, leaves its state). A rejected one
        owes its sender's journal a notice when ``notice``. The envelope may still be
        ``pending``: the receiver can answer before the flush that sent it has marked it sent
        (`mark_sent` then finds it rejected, and no SMS goes out for it). False when no sent or
        pending envelope has that id."""
        owed = rejected and notice
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE outbox SET state=CASE WHEN ? THEN 'rejected' ELSE state END,"
                " last_error=?, receipt_errors=?, notice=CASE WHEN ? THEN ? ELSE notice END"
                " WHERE message_id=? AND state IN ('sent', 'pending')",
                (rejected, reason, ",".join(codes), owed, _NOTICE_OWED, message_id),
            )
            return cursor.rowcount == 1

    def owed_notices(self, limit: int = 100) -> list[OutboxItem]:
        """Messages that never arrived whose sender's journal is still to be told, oldest
        first."""
        rows = self._query(
            "SELECT * FROM outbox WHERE notice=? ORDER BY id LIMIT ?", (_NOTICE_OWED, limit)
        )
        return [_outbox(r) for r in rows]

    def notice_told(self, row_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET notice=? WHERE id=?", (_NOTICE_TOLD, row_id))

    def notice_refused(self, row_id: int, why: str) -> None:
        """The journal will not take the notice: keep it for a person, ``why`` added to the
        entry's `last_error`."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET notice=?, last_error=coalesce(last_error || '; ', '') || ?"
                " WHERE id=?",
                (_NOTICE_REFUSED, f"journal not told: {why}", row_id),
            )

    def owed_sms(self, now: float | None = None, limit: int = 100) -> list[OutboxItem]:
        """Sent envelopes whose SMS is owed and due: its first try, or a retry after the gateway
        failed (`defer_sms`)."""
        at = time.time() if now is None else now
        rows = self._query(
            "SELECT * FROM outbox WHERE state='sent' AND sms=? AND next_attempt<=?"
            " ORDER BY id LIMIT ?",
            (_SMS_OWED, at, limit),
        )
        return [_outbox(r) for r in rows]

    def claim_sms(self, row_id: int) -> bool:
        """Take the owed SMS of a sent envelope for sending; False when it is not owed (sent, or
        taken by a flush running alongside), so no SMS goes out twice."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE outbox SET sms=? WHERE id=? AND sms=? AND state='sent'",
                (_SMS_SENDING, row_id, _SMS_OWED),
            )
            return cursor.rowcount == 1

    def sms_sent(self, row_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET sms=? WHERE id=?", (_SMS_SENT, row_id))

    def defer_sms(self, row_id: int, error: str, next_attempt: float) -> None:
        """The gateway failed: the SMS is owed again from ``next_attempt``, ``error`` kept."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET sms=?, attempts=attempts+1, last_error=?, next_attempt=?"
                " WHERE id=?",
                (_SMS_OWED, error, next_attempt, row_id),
            )

    # -- collected ---------------------------------------------------------------------------

    def collected(self, journal_id: str) -> str | None:
        """The MsgId built for a journal outgoing id, if it was collected before."""
        rows = self._query("SELECT msg_id FROM collected WHERE journal_id=?", (journal_id,))
        return str(rows[0]["msg_id"]) if rows else None

    def collected_as(self, msg_id: str) -> str | None:
        """The journal id a sent MsgId was built from (`collected` read the other way), if any."""
        rows = self._query("SELECT journal_id FROM collected WHERE msg_id=?", (msg_id,))
        return str(rows[0]["journal_id"]) if rows else None

    def record_collected(
        self, journal_id: str, msg_id: str, item: Queued, *, now: float | None = None
    ) -> None:
        """Remember the journal id and queue its envelope, in one transaction."""
        at = time.time() if now is None else now
        with self._tx() as db:
            db.execute(
                "INSERT INTO collected (journal_id, msg_id, collected_at) VALUES (?, ?, ?)",
                (journal_id, msg_id, at),
            )
            _enqueue(db, item, at)


def _enqueue(db: sqlite3.Connection, item: Queued, at: float) -> bool:
    envelope, sms = item.envelope, item.sms
    cursor = db.execute(
        "INSERT OR IGNORE INTO outbox (message_id, sender, receiver, content_type, subject,"
        " payload, xml, sms, sms_mobile, created_at, next_attempt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (envelope.message_id, envelope.sender, envelope.receiver, envelope.content_type,
         envelope.subject, envelope.payload, item.xml, sms is not None,
         None if sms is None else sms.mobile, at, at),
    )  # fmt: skip
    return cursor.rowcount == 1


def _stored(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(
        id=row["id"],
        sender=row["sender"],
        msg_id=row["msg_id"],
        msg_type=row["msg_type"],
        content_type=row["content_type"],
        payload=bytes(row["payload"]),
        signed_xml=bytes(row["signed_xml"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt=row["next_attempt"],
        last_error=row["last_error"],
        receiver=row["receiver"],
    )


def _envelope(row: sqlite3.Row) -> Envelope:
    """The envelope an outbox or refused row keeps."""
    return Envelope(
        payload=bytes(row["payload"]),
        sender=row["sender"],
        receiver=row["receiver"],
        content_type=row["content_type"],
        message_id=row["message_id"],
        subject=row["subject"],
    )


def _refused(row: sqlite3.Row) -> RefusedEnvelope:
    data = json.loads(row["condition_data"])
    refusal = Refusal(row["code"], row["description"], row["reason"],
                      data if isinstance(data, dict) else {})  # fmt: skip
    return RefusedEnvelope(
        id=row["id"],
        envelope=_envelope(row),
        refusal=refusal,
        refused_at=row["refused_at"],
        deliveries=row["deliveries"],
        last_refused_at=row["last_refused_at"],
    )


def _outbox(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        envelope=_envelope(row),
        xml=bytes(row["xml"]),
        sms=SmsNotice(row["sms_mobile"]) if row["sms"] != _SMS_NONE else None,
        state=row["state"],
        attempts=row["attempts"],
        next_attempt=row["next_attempt"],
        last_error=row["last_error"],
        sms_sent=row["sms"] == _SMS_SENT,
        receipt_errors=tuple(c for c in row["receipt_errors"].split(",") if c),
        journal_told=row["notice"] == _NOTICE_TOLD,
    )
