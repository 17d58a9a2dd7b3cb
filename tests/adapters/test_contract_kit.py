"""The contract kit passes an honest adapter and catches broken ones."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import pytest

from digidialog.adapters import Faults, memory_adapter
from digidialog.adapters.ports import Adapter, Delivery, Inbox, OutgoingMessage
from digidialog.adapters.testing import AdapterContract, ContractBackend, contract_journal
from digidialog.errors import JournalUnavailableError
from digidialog.services.types import InboxItem


def _backend() -> ContractBackend:
    journal, faults = contract_journal(), Faults()
    return ContractBackend(memory_adapter(journal, faults=faults, timeout=0.3), journal, faults)


class TestInProcessContract(AdapterContract):
    """The in-process adapter honours the whole contract (so pipeline tests can rely on it)."""

    stall_seconds = 0.6

    @pytest.fixture
    def backend(self) -> ContractBackend:
        return _backend()


class _Wrapped:
    """An inbox that passes everything through; subclasses break one promise."""

    def __init__(self, inner: Inbox) -> None:
        self.inner = inner

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(item)

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        return self.inner.outgoing(limit)

    def acknowledge(self, outgoing_id: str) -> None:
        self.inner.acknowledge(outgoing_id)


class _NewIdEveryTime(_Wrapped):
    """Gives each delivery a fresh id, as an adapter that ignores the MsgId would."""

    def deliver(self, item: InboxItem) -> Delivery:
        return self.inner.deliver(dataclasses.replace(item, msg_id=uuid.uuid4().hex))


class _SwallowsOutages(_Wrapped):
    """Reports a down journal as an empty outbox instead of raising."""

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        try:
            return self.inner.outgoing(limit)
        except JournalUnavailableError:
            return []


class _ForgetsUnacknowledged(_Wrapped):
    """Hands each message out once only (not at-least-once)."""

    def __init__(self, inner: Inbox) -> None:
        super().__init__(inner)
        self.seen: set[str] = set()

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        fresh = [m for m in self.inner.outgoing(limit) if m.id not in self.seen]
        self.seen.update(m.id for m in fresh)
        return fresh


def _broken(wrapper: type[_Wrapped]) -> ContractBackend:
    honest = _backend()
    adapter = honest.adapter
    broken = Adapter(
        name="broken",
        vendor="test",
        version="0",
        capabilities=adapter.capabilities,
        practice=adapter.practice,
        inbox=wrapper(adapter.inbox),
        calendar=adapter.calendar,
        renewals=adapter.renewals,
    )
    return ContractBackend(broken, honest.journal, honest.faults)


def test_a_faithful_wrapper_passes() -> None:
    AdapterContract().test_same_message_twice_is_one_inbox_item(_broken(_Wrapped))


@pytest.mark.parametrize(
    ("wrapper", "test"),
    [
        (_NewIdEveryTime, "test_same_message_twice_is_one_inbox_item"),
        (_SwallowsOutages, "test_journal_down_is_unavailable_on_every_port"),
        (_ForgetsUnacknowledged, "test_replies_wait_until_acknowledged"),
    ],
)
def test_the_kit_catches_a_broken_adapter(wrapper: type[_Wrapped], test: str) -> None:
    kit = AdapterContract()
    getattr(kit, test)(_backend())  # the honest adapter passes, the broken one fails:
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(kit, test)(_broken(wrapper))
