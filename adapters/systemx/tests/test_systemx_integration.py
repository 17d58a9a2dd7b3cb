"""SystemX adapter against its folder-watching simulator, with real files in a temp folder."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from digidialog_systemx import SystemXSimulator
from digidialog_systemx.folders import Folders, claim, move_to_error

from digidialog.adapters import registry
from digidialog.adapters.memory import OSLO, MemoryJournal
from digidialog.adapters.ports import Adapter, OfficeMessage
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.adapters.testing import contract_journal
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.files import write_atomic
from digidialog.services.types import Citizen, InboxItem, Reply, ReplyKind, ServiceName

CITIZEN = Citizen("01017012345", "Per", "Pasient")
FAST = {"timeout": 2.0, "poll_interval": 0.01}


def _item(msg_id: str) -> InboxItem:
    return InboxItem(
        service=ServiceName.CONTACT_OFFICE,
        process="DIALOG_INNBYGGER_EKONTAKT",
        kind="HE",
        conversation_id=f"c-{msg_id}",
        msg_id=msg_id,
        citizen=CITIZEN,
        practitioner_her_id="100001",
        subject="Adresse",
        text="Jeg har flyttet.",
        received=datetime(2030, 1, 7, 9, 0, tzinfo=OSLO),
    )


@pytest.fixture
def journal() -> MemoryJournal:
    return contract_journal()


@pytest.fixture
def sim(journal: MemoryJournal, tmp_path: Path) -> Iterator[SystemXSimulator]:
    simulator = registry.simulator("systemx", SimulatorOptions(workdir=tmp_path, journal=journal))
    assert isinstance(simulator, SystemXSimulator)
    with simulator:
        yield simulator


def _adapter(sim: SystemXSimulator, **overrides: object) -> Adapter:
    return registry.create("systemx", {**sim.adapter_config(), **FAST, **overrides})


def _queue_replies(journal: MemoryJournal, count: int) -> None:
    for n in range(count):
        message = OfficeMessage("DI", f"Melding {n}", "Husk timen.")
        journal.start_dialog(CITIZEN, "100001", ServiceName.CONTACT_OFFICE, message)


def test_request_files_are_whole_and_archived(sim: SystemXSimulator, tmp_path: Path) -> None:
    with _adapter(sim) as adapter:
        adapter.inbox.deliver(_item("m-1"))
    assert sim.handled == 1
    assert list((tmp_path / "import").iterdir()) == []  # nothing half-written left behind
    (archived,) = (tmp_path / "archive").iterdir()
    request = json.loads(archived.read_text())
    assert request["operation"] == "inbox.deliver"
    assert request["body"]["item"]["msg_id"] == "m-1"
    assert list((tmp_path / "export").iterdir()) == []  # the receipt was taken


def test_two_readers_never_take_the_same_file(
    sim: SystemXSimulator, journal: MemoryJournal, tmp_path: Path
) -> None:
    _queue_replies(journal, 3)
    with _adapter(sim) as first, _adapter(sim) as second:
        taken = first.inbox.outgoing()
        assert len(taken) == 3
        assert second.inbox.outgoing() == []
        assert [m.id for m in first.inbox.outgoing()] == [m.id for m in taken]  # still ours
        first.inbox.acknowledge(taken[0].id)
        assert not (tmp_path / "export" / f"out-{taken[0].id}.json").exists()
        assert [m.id for m in journal.sent()] == [taken[0].id]
    with _adapter(sim, lock_timeout=0) as late:  # the first reader's claims are now stale
        assert [m.id for m in late.inbox.outgoing()] == [m.id for m in taken[1:]]


def test_unreadable_export_goes_to_error_with_reason(
    sim: SystemXSimulator, journal: MemoryJournal, tmp_path: Path
) -> None:
    _queue_replies(journal, 1)
    write_atomic(tmp_path / "export" / "out-broken.json", b"{not json")
    with _adapter(sim) as adapter:
        (good,) = adapter.inbox.outgoing()
    assert good.content == OfficeMessage("DI", "Melding 0", "Husk timen.")
    assert (tmp_path / "error" / "out-broken.json").read_bytes() == b"{not json"
    reason = (tmp_path / "error" / "out-broken.json.reason.txt").read_text()
    assert "not JSON" in reason


def _wait_for(path: Path, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def test_unreadable_request_gets_an_error_receipt(sim: SystemXSimulator, tmp_path: Path) -> None:
    write_atomic(tmp_path / "import" / "bad.request.json", b"\xff\xfe")
    receipt = tmp_path / "export" / "bad.receipt.json"
    _wait_for(receipt)
    assert json.loads(receipt.read_text())["status"] == "error"
    assert (tmp_path / "error" / "bad.request.json.reason.txt").exists()


def test_journal_down_withdraws_the_request(sim: SystemXSimulator, tmp_path: Path) -> None:
    sim.faults.set_down(True)
    with _adapter(sim, timeout=0.5) as adapter, pytest.raises(JournalUnavailableError) as caught:
        adapter.inbox.deliver(_item("m-3"))
    assert "did not answer" in caught.value.message
    assert list((tmp_path / "import").iterdir()) == []
    assert sim.journal.inbox_items() == []


def test_claim_locks_and_breaks_stale_locks(tmp_path: Path) -> None:
    target = tmp_path / "out-1.json"
    target.write_text("{}")
    assert claim(target, "a", stale_after=60)
    assert claim(target, "a", stale_after=60)  # ours already
    assert not claim(target, "b", stale_after=60)
    assert claim(target, "b", stale_after=0)  # stale: broken and taken
    assert (tmp_path / "out-1.json.lock").read_text() == "b"


def test_two_breakers_of_one_stale_lock_do_not_both_take_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out-1.json"
    target.write_text("{}")
    lock = tmp_path / "out-1.json.lock"
    lock.write_text("dead reader")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    real_rename = os.rename

    def a_breaks_first(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        # Between b's look at the stale lock and b's rename, reader a breaks it and claims.
        monkeypatch.setattr(os, "rename", real_rename)
        assert claim(target, "a", stale_after=60)
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", a_breaks_first)
    assert not claim(target, "b", stale_after=60)
    assert lock.read_text() == "a"  # a keeps its claim
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_move_to_error_writes_reason(tmp_path: Path) -> None:
    folders = Folders(tmp_path).create()
    bad = folders.export_dir / "x.json"
    bad.write_text("?")
    move_to_error(bad, folders, "because")
    assert not bad.exists()
    assert (folders.error_dir / "x.json.reason.txt").read_text() == "because\n"


def test_demo_office_replies_arrive_as_files(tmp_path: Path) -> None:
    with registry.start_with_simulator("systemx", tmp_path, config=FAST) as (adapter, _):
        gp = adapter.practice.office().practitioners[0]
        adapter.inbox.deliver(dataclasses.replace(_item("m-4"), practitioner_her_id=gp.her_id))
        (reply,) = adapter.inbox.outgoing()
        assert (tmp_path / "export" / f"out-{reply.id}.json").exists()
    assert isinstance(reply.content, Reply)
    assert reply.content.kind is ReplyKind.OFFICE_ANSWER


def test_bad_receipt_is_an_adapter_error(tmp_path: Path) -> None:
    journal = contract_journal()
    with registry.simulator("systemx", SimulatorOptions(workdir=tmp_path, journal=journal)):
        pass  # create the folders, then play a broken journal by hand
    config = {"root": str(tmp_path), "timeout": 2.0, "poll_interval": 0.01}
    with registry.create("systemx", config) as adapter:

        def answer_garbage() -> None:
            for _ in range(400):
                waiting = list((tmp_path / "import").glob("*.request.json"))
                if waiting:
                    name = waiting[0].name.replace(".request.", ".receipt.")
                    write_atomic(tmp_path / "export" / name, b"[1, 2")
                    return
                time.sleep(0.005)

        helper = threading.Thread(target=answer_garbage)
        helper.start()
        with pytest.raises(AdapterError, match="not JSON"):
            adapter.practice.office()
        helper.join()
    assert any(p.name.endswith(".receipt.json") for p in (tmp_path / "error").iterdir())


def test_exchange_files_are_synced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync-file")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(tmp_path / "x.request.json", b"{}")
    assert events == ["fsync-file", "replace", "fsync-dir"]
    assert [p.name for p in tmp_path.iterdir()] == ["x.request.json"]
