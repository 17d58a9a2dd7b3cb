"""SystemX hands the office's outbox on in the journal's order, reports the records it cannot read,
and keeps a live reader's claims fresh: real exchange folders, the real simulator."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from digidialog_systemx import SystemXSimulator
from digidialog_systemx.folders import claim, journal_order, natural_key, refresh

from digidialog.adapters import registry, wire
from digidialog.adapters.memory import OSLO, MemoryJournal
from digidialog.adapters.ports import Adapter, OfficeMessage, OutgoingMessage
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.adapters.testing import contract_journal
from digidialog.adapters.testing.contract import CONTRACT_OFFICE, KARI, MONDAY, PER
from digidialog.files import write_atomic
from digidialog.services.types import (
    DeliveryMethod,
    RenewalOutcome,
    RenewalRequest,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
)

FAST = {"timeout": 2.0, "poll_interval": 0.01}
HOUR_AGO = time.time() - 3600


def _simulate(journal: MemoryJournal, root: Path) -> SystemXSimulator:
    simulator = registry.simulator("systemx", SimulatorOptions(workdir=root, journal=journal))
    assert isinstance(simulator, SystemXSimulator)
    return simulator


@pytest.fixture
def journal() -> MemoryJournal:
    return contract_journal()


@pytest.fixture
def sim(journal: MemoryJournal, tmp_path: Path) -> Iterator[SystemXSimulator]:
    with _simulate(journal, tmp_path) as simulator:
        yield simulator


def _adapter(sim: SystemXSimulator, **overrides: object) -> Adapter:
    return registry.create("systemx", {**sim.adapter_config(), **FAST, **overrides})


def _queue(journal: MemoryJournal, count: int) -> None:
    for n in range(count):
        message = OfficeMessage("DI", f"Melding {n}", "Hei")
        journal.start_dialog(PER, KARI.her_id, ServiceName.E_CONSULTATION, message)


def _record(record_id: str, created: datetime | None) -> bytes:
    message = OutgoingMessage(
        record_id,
        ServiceName.E_CONSULTATION,
        PER,
        KARI.her_id,
        OfficeMessage("DI", f"Melding {record_id}", "Hei"),
        created=created,
    )
    return json.dumps(wire.dump(message)).encode()


# ------------------------------------------------------------------------------------ order
@pytest.mark.parametrize("count", [1, 9, 10, 11, 105])
def test_outgoing_keeps_the_journals_order(
    sim: SystemXSimulator, journal: MemoryJournal, count: int
) -> None:
    _queue(journal, count)
    expected = [m.id for m in journal.outgoing(limit=1000)]
    with _adapter(sim) as adapter:
        assert [m.id for m in adapter.inbox.outgoing(limit=1000)] == expected
        # Asked for fewer, the reader takes the journal's first ones, not the first names.
        assert [m.id for m in adapter.inbox.outgoing()] == expected[:100]
        assert [m.id for m in adapter.inbox.outgoing(limit=3)] == expected[:3]


def test_avtaleutsending_goes_out_booked_changed_cancelled(
    sim: SystemXSimulator, journal: MemoryJournal
) -> None:
    _queue(journal, 7)  # out-1 … out-7, so the appointment's messages are out-8, out-9, out-10
    first = Slot("s-1", MONDAY, MONDAY + timedelta(minutes=20), practitioner=KARI)
    hour = MONDAY + timedelta(hours=1)
    later = Slot("s-2", hour, hour + timedelta(minutes=20), practitioner=KARI)
    journal.book_elsewhere(first, PER)
    journal.change_elsewhere(first.uid, later, PER)
    journal.cancel_elsewhere(later.uid, PER)
    with _adapter(sim) as adapter:
        messages = adapter.inbox.outgoing()
    kinds = [m.content.kind for m in messages[7:] if isinstance(m.content, Reply)]
    assert kinds == [ReplyKind.BOOKED, ReplyKind.CHANGED, ReplyKind.CANCELLED]
    assert [m.id for m in messages] == [m.id for m in journal.outgoing()]


def test_equal_created_times_keep_the_ids_sequence(tmp_path: Path) -> None:
    stamp = datetime(2030, 1, 7, 9, 0, tzinfo=OSLO)
    journal = MemoryJournal(CONTRACT_OFFICE, clock=lambda: stamp)  # every record at one instant
    _queue(journal, 12)
    with _simulate(journal, tmp_path) as sim, _adapter(sim) as adapter:
        got = [m.id for m in adapter.inbox.outgoing()]
    assert got == [f"out-{n}" for n in range(1, 13)]


def test_created_time_decides_before_the_name(sim: SystemXSimulator, tmp_path: Path) -> None:
    export = tmp_path / "export"
    utc_plus_1 = timezone(timedelta(hours=1))
    # 08:00 UTC, written with an offset, is earlier than 08:30 UTC although "09:00" > "08:30".
    write_atomic(export / "out-a.json", _record("a", datetime(2030, 1, 7, 8, 30, tzinfo=UTC)))
    write_atomic(export / "out-b.json", _record("b", datetime(2030, 1, 7, 9, 0, tzinfo=utc_plus_1)))
    write_atomic(export / "out-u-10.json", _record("u-10", None))  # undated: last, by sequence
    write_atomic(export / "out-u-9.json", _record("u-9", None))
    with _adapter(sim) as adapter:
        assert [m.id for m in adapter.inbox.outgoing()] == ["b", "a", "u-9", "u-10"]


def test_renewal_decisions_keep_the_journals_order(
    sim: SystemXSimulator, journal: MemoryJournal
) -> None:
    for n in range(11):
        journal.receive_renewal(
            RenewalRequest(
                conversation_id=f"conv-rf-{n}",
                msg_id=f"rf-{n}",
                citizen=PER,
                practitioner_her_id=KARI.her_id,
                kind="RF",
                text="Trenger ny resept.",
                prescriptions=("Amlodipin 5 mg",),
                delivery=DeliveryMethod.PHARMACY,
                received=MONDAY,
            )
        )
        journal.decide_renewal(f"rf-{n}", RenewalOutcome(RenewalResult.NOT_RENEWED, "Nei."))
    with _adapter(sim) as adapter:
        got = [d.request_msg_id for d in adapter.renewals.outcomes()]
    assert got == [f"rf-{n}" for n in range(11)]


def test_journal_order_key() -> None:
    assert sorted(["out-10", "out-9", "out-100", "out-1"], key=natural_key) == [
        "out-1",
        "out-9",
        "out-10",
        "out-100",
    ]
    late = datetime(2030, 1, 7, 10, 0, tzinfo=OSLO)
    early = late - timedelta(microseconds=1)
    paths = {name: Path(name) for name in ("out-1.json", "out-2.json", "out-10.json")}
    created = {"out-1.json": late, "out-2.json": None, "out-10.json": early}
    order = sorted(paths, key=lambda name: journal_order(paths[name], created[name]))
    assert order == ["out-10.json", "out-1.json", "out-2.json"]


# ----------------------------------------------------------------------------------- errors
def test_an_unreadable_record_is_logged_and_named_in_its_reason(
    sim: SystemXSimulator,
    journal: MemoryJournal,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _queue(journal, 1)
    newer_code = json.loads(_record("out-77", datetime(2030, 1, 7, tzinfo=OSLO)))
    newer_code["content"] = {"kind": "35", "text": "Et svar fra fremtiden."}
    export, error = tmp_path / "export", tmp_path / "error"
    write_atomic(export / "out-out-77.json", json.dumps(newer_code).encode())
    write_atomic(export / "out-out-78.json", b"{not json")
    with _adapter(sim) as adapter, caplog.at_level(logging.WARNING, "digidialog_systemx"):
        assert [m.id for m in adapter.inbox.outgoing()] == ["out-1"]  # the good one still goes
        assert [m.id for m in adapter.inbox.outgoing()] == ["out-1"]  # and only once reported
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert any("out-77" in w and "out-out-77.json" in w for w in warnings)
    assert any("out-78" in w and "not JSON" in w for w in warnings)
    assert json.loads((error / "out-out-77.json").read_text()) == newer_code
    reason = (error / "out-out-77.json.reason.txt").read_text()
    assert "record out-77 (out-out-77.json)" in reason
    assert "record out-78" in (error / "out-out-78.json.reason.txt").read_text()
    assert sorted(p.name for p in export.iterdir()) == ["out-out-1.json", "out-out-1.json.lock"]


# ----------------------------------------------------------------------------------- claims
def test_a_live_reader_keeps_its_claim(
    sim: SystemXSimulator, journal: MemoryJournal, tmp_path: Path
) -> None:
    _queue(journal, 1)
    lock = tmp_path / "export" / "out-out-1.json.lock"
    with _adapter(sim) as first, _adapter(sim, lock_timeout=60) as second:
        (mine,) = first.inbox.outgoing()
        os.utime(lock, (HOUR_AGO, HOUR_AGO))  # an hour has passed since the first claim …
        assert [m.id for m in first.inbox.outgoing()] == [mine.id]  # … and the reader is alive
        assert second.inbox.outgoing() == []
        first.inbox.acknowledge(mine.id)
    assert [m.id for m in journal.sent()] == [mine.id]


def test_acknowledging_refreshes_the_claim_while_the_journal_answers(
    sim: SystemXSimulator, journal: MemoryJournal, tmp_path: Path
) -> None:
    _queue(journal, 1)
    target = tmp_path / "export" / "out-out-1.json"
    with _adapter(sim) as adapter:
        (mine,) = adapter.inbox.outgoing()
        os.utime(target.with_name(target.name + ".lock"), (HOUR_AGO, HOUR_AGO))
        before = sim.handled
        sim.faults.stall_next(1, 0.5)  # the journal marks it sent, then answers late
        ack = threading.Thread(target=adapter.inbox.acknowledge, args=(mine.id,))
        ack.start()
        deadline = time.monotonic() + 5
        while sim.handled == before:
            assert time.monotonic() < deadline, "the acknowledgement never reached the journal"
            time.sleep(0.005)
        assert not claim(target, "another reader", stale_after=60)  # still ours while we wait
        ack.join()
    assert not target.exists()
    assert [m.id for m in journal.sent()] == [mine.id]


def test_claiming_again_and_refresh_touch_the_lock(tmp_path: Path) -> None:
    target = tmp_path / "out-1.json"
    target.write_text("{}")
    lock = tmp_path / "out-1.json.lock"
    assert refresh(target, "a") is None  # nobody holds it
    assert claim(target, "a", stale_after=60)
    os.utime(lock, (HOUR_AGO, HOUR_AGO))
    assert claim(target, "a", stale_after=60)  # ours: claimed again, and fresh again
    assert time.time() - lock.stat().st_mtime < 60
    assert not claim(target, "b", stale_after=60)
    os.utime(lock, (HOUR_AGO, HOUR_AGO))
    assert refresh(target, "b") is False  # not b's: left as it was
    assert lock.stat().st_mtime == pytest.approx(HOUR_AGO)
    assert refresh(target, "a") is True
    assert not claim(target, "b", stale_after=60)
    assert lock.read_text() == "a"
