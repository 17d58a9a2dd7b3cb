"""The operation table: outbox answers read record by record, calls checked on the journal side."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from digidialog_cgm import soap

from digidialog.adapters import registry, wire
from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.loopback import HttpResponse, LoopbackHTTPServer
from digidialog.adapters.memory import OSLO
from digidialog.adapters.ports import (
    Adapter,
    JournalRefusal,
    OutgoingMessage,
    RefusalReason,
    RenewalDecision,
)
from digidialog.adapters.rpc import rpc_adapter, serve
from digidialog.adapters.testing import contract_journal
from digidialog.adapters.testing.contract import KARI, PER
from digidialog.errors import AdapterError
from digidialog.services.types import (
    RenewalOutcome,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
)

CREATED = datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)


def _message(outgoing_id: str) -> OutgoingMessage:
    return OutgoingMessage(
        outgoing_id,
        ServiceName.E_CONSULTATION,
        PER,
        KARI.her_id,
        Reply(ReplyKind.ANSWER, "Ta kontakt om det ikke går over."),
        conversation_id="c-1",
        in_reply_to="m-1",
        created=CREATED,
    )


def _decision(decision_id: str) -> RenewalDecision:
    outcome = RenewalOutcome(RenewalResult.RENEWED, "Fornyet.", (b"<M1/>",), KARI)
    return RenewalDecision(decision_id, "rf-1", "c-rf", PER, KARI.her_id, outcome)


def _answering(answers: dict[str, Any]) -> Adapter:
    """An adapter whose journal answers each operation with the given JSON-ready data."""

    def call(name: str, body: dict[str, Any]) -> Any:
        return answers[name]

    return rpc_adapter(call, name="fake", vendor="test", version="0", capabilities=Capabilities())


def _with(data: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    change(data)
    return data


def test_one_unreadable_outbox_record_does_not_block_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    newer_code = _with(wire.dump(_message("out-2")), lambda d: d["content"].update(kind="35"))
    misspelt = _with(
        wire.dump(_message("out-3")), lambda d: d.update(inReplyTo=d.pop("in_reply_to"))
    )
    answer = [
        wire.dump(_message("out-1")),
        newer_code,
        misspelt,
        ["not", "a", "record"],
        wire.dump(_message("out-4")),
    ]
    adapter = _answering({"inbox.outgoing": answer})
    with caplog.at_level(logging.WARNING, logger="digidialog.adapters.rpc"):
        got = adapter.inbox.outgoing()
    assert [m.id for m in got] == ["out-1", "out-4"]
    assert got[0] == _message("out-1")
    logged = [r.getMessage() for r in caplog.records]
    assert [r.levelno for r in caplog.records] == [logging.WARNING] * 3
    assert logged[0].startswith("fake inbox.outgoing: skipped record 'out-2' (2 of 5)")
    assert "content.Reply.kind" in logged[0]
    assert "'out-3' (3 of 5)" in logged[1]
    assert "inReplyTo: unknown key" in logged[1]
    assert "without a readable id (4 of 5)" in logged[2]
    assert PER.national_id not in "".join(logged)


def test_one_unreadable_renewal_decision_does_not_block_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = _with(wire.dump(_decision("d-2")), lambda d: d["outcome"].update(result="16"))
    adapter = _answering(
        {"renewals.outcomes": [bad, wire.dump(_decision("d-1")), wire.dump(_decision("d-3"))]}
    )
    with caplog.at_level(logging.WARNING, logger="digidialog.adapters.rpc"):
        got = adapter.renewals.outcomes()
    assert got == [_decision("d-1"), _decision("d-3")]
    (logged,) = caplog.records
    assert "skipped record 'd-2' (1 of 3)" in logged.getMessage()
    assert "outcome.result" in logged.getMessage()


def test_an_outbox_answer_that_is_no_list_is_still_an_error() -> None:
    adapter = _answering({"inbox.outgoing": {"items": []}})
    with pytest.raises(AdapterError, match="dict where a list of OutgoingMessage belongs"):
        adapter.inbox.outgoing()


def test_other_list_answers_stay_all_or_nothing() -> None:
    # a citizen's appointments read with one left out would be a wrong answer, not a partial one
    start = datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)
    slot = wire.dump(Slot("s-1", start, start.replace(hour=9)))
    adapter = _answering({"calendar.appointments": [slot, slot | {"start": 0}]})
    with pytest.raises(AdapterError, match=r"calendar.appointments.*start: ") as caught:
        adapter.calendar.appointments(PER)
    assert caught.value.location.source == "fake calendar.appointments"


def test_a_call_with_an_unknown_argument_is_refused() -> None:
    with pytest.raises(JournalRefusal, match="unknown argument") as caught:
        serve(contract_journal(), "inbox.outgoing", {"limit": 5, "since": "yesterday"})
    assert caught.value.reason is RefusalReason.INVALID


@pytest.mark.parametrize("limit", ["5", 5])
def test_an_integer_argument_may_come_as_text(limit: object) -> None:
    # a URL query string (Plenario's GET /outbox?limit=5) carries only text
    assert serve(contract_journal(), "inbox.outgoing", {"limit": limit}) == []


@pytest.mark.parametrize("limit", ["5x", "-1", 5.0, True, None])
def test_a_malformed_argument_is_refused(limit: object) -> None:
    with pytest.raises(JournalRefusal, match=r"inbox\.outgoing: argument limit") as caught:
        serve(contract_journal(), "inbox.outgoing", {"limit": limit})
    assert caught.value.reason is RefusalReason.INVALID


def test_an_absent_nullable_argument_is_none() -> None:
    # Plenario leaves practitioner_her_id out of the query string when it is None
    body = {"start": wire.dump(CREATED), "end": wire.dump(CREATED.replace(day=8))}
    assert serve(contract_journal(), "calendar.free_slots", body) == []


def test_a_record_argument_is_read_strictly() -> None:
    citizen = wire.dump(PER) | {"smsNotification": False}
    with pytest.raises(JournalRefusal, match=r"argument citizen: .*smsNotification: unknown key"):
        serve(contract_journal(), "calendar.appointments", {"citizen": citizen})


def _outbox_answer(vendor: str, records: list[Any]) -> HttpResponse:
    if vendor == "cgm":
        return HttpResponse(200, soap.response("inbox.outgoing", records), "text/xml")
    return HttpResponse(200, json.dumps(records).encode())


@pytest.mark.parametrize("vendor", ["plenario", "cgm"])
def test_one_bad_record_over_a_real_wire(vendor: str, caplog: pytest.LogCaptureFixture) -> None:
    # the audit's case: a reply code this version does not know held back every other reply
    bad = _with(wire.dump(_message("out-2")), lambda d: d["content"].update(kind="35"))
    answer = _outbox_answer(vendor, [wire.dump(_message("out-1")), bad])
    with LoopbackHTTPServer(lambda request: answer) as server:
        config = {"base_url": server.url, "token": "t", "retries": 0}
        with registry.create(vendor, config) as adapter, caplog.at_level(logging.WARNING):
            got = adapter.inbox.outgoing()
    assert got == [_message("out-1")]
    assert [r.name for r in caplog.records] == ["digidialog.adapters.rpc"]
    assert f"{vendor} inbox.outgoing: skipped record 'out-2'" in caplog.records[0].getMessage()


def test_unreadable_records_filling_a_page_do_not_hide_the_good_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Three records this version cannot read head the journal's outbox; it hands out pages of
    # `limit`. Asked for two, the adapter asks again for a longer page and gets the good ones.
    bad = [
        _with(wire.dump(_message(f"out-{n}")), lambda d: d["content"].update(kind="35"))
        for n in (1, 2, 3)
    ]
    records = [*bad, *(wire.dump(_message(f"out-{n}")) for n in (4, 5, 6))]
    asked: list[int] = []

    def call(name: str, body: dict[str, Any]) -> Any:
        asked.append(body["limit"])
        return records[: body["limit"]]

    adapter = rpc_adapter(
        call, name="fake", vendor="test", version="0", capabilities=Capabilities()
    )
    with caplog.at_level(logging.WARNING, logger="digidialog.adapters.rpc"):
        got = adapter.inbox.outgoing(limit=2)
    assert [m.id for m in got] == ["out-4", "out-5"]
    assert asked == [2, 4, 5]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 3  # each unreadable record once, not once per page
    assert all("stays in the journal" in m for m in logged)
    assert [m.id for m in adapter.inbox.outgoing(limit=10)] == ["out-4", "out-5", "out-6"]
