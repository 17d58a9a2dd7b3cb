"""Plenario adapter against its simulator over real loopback HTTP: auth, retries, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from digidialog_plenario import PlenarioSimulator

from digidialog.adapters import registry
from digidialog.adapters.memory import OSLO, MemoryJournal, demo_journal
from digidialog.adapters.ports import Adapter, JournalRefusal, RefusalReason
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.adapters.testing import CONTRACT_OFFICE, contract_journal
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import Citizen, InboxItem, ReplyKind, ServiceName

CITIZEN = Citizen("01017012345", "Per", "Pasient")
FAST = {"timeout": 1.0, "retries": 2, "backoff": 0.01}


def _item(msg_id: str, gp: str = "100001") -> InboxItem:
    return InboxItem(
        service=ServiceName.E_CONSULTATION,
        process="DIALOG_INNBYGGER_EKONSULTASJON",
        kind="SB",
        conversation_id=f"c-{msg_id}",
        msg_id=msg_id,
        citizen=CITIZEN,
        practitioner_her_id=gp,
        subject="Hoste",
        text="Jeg har hostet i to uker.",
        received=datetime(2030, 1, 7, 9, 0, tzinfo=OSLO),
    )


@pytest.fixture
def journal() -> MemoryJournal:
    return contract_journal()


@pytest.fixture
def sim(journal: MemoryJournal) -> Iterator[PlenarioSimulator]:
    simulator = registry.simulator("plenario", SimulatorOptions(journal=journal))
    assert isinstance(simulator, PlenarioSimulator)
    with simulator:
        yield simulator


def _adapter(sim: PlenarioSimulator, **overrides: object) -> Adapter:
    return registry.create("plenario", {**sim.adapter_config(), **FAST, **overrides})


def test_wrong_token_is_an_unretryable_adapter_error(sim: PlenarioSimulator) -> None:
    with _adapter(sim, token="stolen") as adapter, pytest.raises(AdapterError) as caught:
        adapter.practice.office()
    assert caught.value.code == "adapter:unauthorized"
    assert caught.value.retryable is False


def test_transient_503s_are_retried_with_backoff(sim: PlenarioSimulator) -> None:
    sim.faults.fail_next(2)
    with _adapter(sim) as adapter:
        assert adapter.practice.office().her_id == CONTRACT_OFFICE.her_id
    assert sim.requests == 3


def test_retries_spent_is_unavailable(sim: PlenarioSimulator) -> None:
    sim.faults.fail_next(3)
    with _adapter(sim) as adapter, pytest.raises(JournalUnavailableError):
        adapter.practice.office()
    assert sim.requests == 3


def test_retry_after_timeout_replays_the_first_answer(
    sim: PlenarioSimulator, journal: MemoryJournal
) -> None:
    # The first attempt is done but answered too late; the retry carries the same
    # Idempotency-Key, so the server replays the first answer instead of working again.
    sim.faults.stall_next(1, 2.0)
    with _adapter(sim) as adapter:
        delivery = adapter.inbox.deliver(_item("m-1"))
    assert sim.requests == 2
    assert delivery.duplicate is False
    assert [i.msg_id for i in journal.inbox_items()] == ["m-1"]


def test_a_new_call_gets_a_new_key(sim: PlenarioSimulator) -> None:
    with _adapter(sim) as adapter:
        first = adapter.inbox.deliver(_item("m-2"))
        again = adapter.inbox.deliver(_item("m-2"))
    assert (first.duplicate, again.duplicate) == (False, True)


def test_stopped_server_is_unavailable(journal: MemoryJournal) -> None:
    with registry.simulator("plenario", SimulatorOptions(journal=journal)) as sim:
        config = {**sim.adapter_config(), **FAST}
    with registry.create("plenario", config) as adapter, pytest.raises(JournalUnavailableError):
        adapter.inbox.deliver(_item("m-3"))


def test_the_documented_surface(sim: PlenarioSimulator) -> None:
    """docs/vendors/plenario.md: bearer token, JSON, refusals as {"error": {reason, message}}."""
    auth = {"Authorization": f"Bearer {sim.token}"}
    office = requests.get(f"{sim.address}/api/v1/office", headers=auth, timeout=5)
    assert office.status_code == 200
    assert office.json()["her_id"] == CONTRACT_OFFICE.her_id
    ack = requests.post(f"{sim.address}/api/v1/outbox/nope/ack", headers=auth, timeout=5)
    assert ack.status_code == 404
    assert ack.json()["error"]["reason"] == "not_found"
    unauthorized = requests.get(f"{sim.address}/api/v1/office", timeout=5)
    assert unauthorized.status_code == 401


def test_refusal_maps_to_reason(sim: PlenarioSimulator) -> None:
    with _adapter(sim) as adapter, pytest.raises(JournalRefusal) as caught:
        adapter.inbox.deliver(_item("m-4", gp="424242"))
    assert caught.value.reason is RefusalReason.UNKNOWN_PRACTITIONER


def test_demo_office_answers_by_itself() -> None:
    journal = demo_journal()
    gp = journal.office().practitioners[0]
    with registry.start_with_simulator("plenario", journal=journal) as (adapter, _):
        adapter.inbox.deliver(_item("m-5", gp=gp.her_id))
        (reply,) = adapter.inbox.outgoing()
        now = datetime.now(OSLO)
        slots = adapter.calendar.free_slots(gp.her_id, now, now + timedelta(weeks=3))
    assert reply.in_reply_to == "m-5"
    assert getattr(reply.content, "kind", None) is ReplyKind.ANSWER
    assert slots
    assert all(s.practitioner == gp and s.start.weekday() < 5 for s in slots)
