"""Plenario's error mapping for what a journal, or the proxy in front of it, may really answer.

Odd statuses come from a tiny stub on 127.0.0.1 (`LoopbackHTTPServer`); the simulator never sends
them. What matters to the pipeline: a temporary answer is `JournalUnavailableError` (the message is
kept and retried), and a 2xx that is not Plenario's answer is never taken as success.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import pytest

from digidialog.adapters import registry
from digidialog.adapters.loopback import HttpResponse
from digidialog.adapters.memory import OSLO
from digidialog.adapters.ports import Adapter, JournalRefusal, RefusalReason
from digidialog.adapters.testing import contract_journal
from digidialog.adapters.testing.contract import KARI
from digidialog.adapters.testing.stub import Stub
from digidialog.adapters.testing.stub import stubbed as stub_adapter
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import Citizen, Slot

CITIZEN = Citizen("01017012345", "Per", "Pasient")
HTML = "text/html; charset=utf-8"


def stubbed(answer: HttpResponse, **config: object) -> AbstractContextManager[tuple[Adapter, Stub]]:
    return stub_adapter("plenario", answer, **config)


@pytest.mark.parametrize(
    "status", [408, 425, 429, 500, 501, 502, 503, 504, 505, 507, 520, 521, 522, 523, 524]
)
def test_every_temporary_status_keeps_the_message(status: int) -> None:
    answer = HttpResponse(status, b"<html>Try again later</html>", HTML)
    with stubbed(answer) as (adapter, _), pytest.raises(JournalUnavailableError) as caught:
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")
    assert caught.value.retryable is True
    assert str(status) in caught.value.message


@pytest.mark.parametrize("status", [400, 405, 410, 418])
def test_other_client_errors_are_permanent(status: int) -> None:
    answer = HttpResponse(status, b"<html>No</html>", HTML)
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")
    assert type(caught.value) is AdapterError
    assert caught.value.retryable is False


def test_refusal_with_an_odd_error_field_is_still_an_adapter_error() -> None:
    answer = HttpResponse(409, b'{"error": "slot taken"}', "application/json")
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")
    assert type(caught.value) is AdapterError


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        # a login portal or the web front-end behind a wrong base_url answers 200 to anything
        (b"<html>Logg inn</html>", HTML, "text/html"),
        (b"OK", "text/plain", "text/plain"),
        (b"", "text/html", "text/html"),
        (b'{"status": "cancelled"}', "text/plain", "text/plain"),  # JSON, but not said so
        (b"<html>oops</html>", "application/json", "not valid JSON"),
        (b"", "application/json", "not valid JSON"),
    ],
)
def test_a_2xx_that_is_not_plenario_json_is_no_cancellation(
    body: bytes, content_type: str, says: str
) -> None:
    answer = HttpResponse(200, body, content_type)
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")
    assert type(caught.value) is AdapterError
    assert caught.value.retryable is False
    assert says in caught.value.message


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.plenario+json"])
def test_a_2xx_with_json_or_204_is_success(content_type: str) -> None:
    with stubbed(HttpResponse(200, b"{}", content_type)) as (adapter, _):
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")
    with stubbed(HttpResponse(204, b"", "text/html")) as (adapter, _):
        adapter.calendar.cancel("appt-1", CITIZEN, request_id="r-1")


def test_html_200_for_a_read_is_an_error_not_a_decoding_guess() -> None:
    answer = HttpResponse(200, b"<html>Logg inn</html>", HTML)
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError, match="not Plenario's JSON"):
        adapter.inbox.outgoing()


def test_retry_after_does_not_hold_the_call() -> None:
    # 503 asking for a 30 s pause: the in-call retries keep their own short backoff, and the
    # long wait is left to the pipeline (the error keeps the message).
    answer = HttpResponse(503, b"busy", "text/plain", headers={"Retry-After": "30"})
    started = time.monotonic()
    with (
        stubbed(answer, retries=2, backoff=0.01) as (adapter, stub),
        pytest.raises(JournalUnavailableError),
    ):
        adapter.practice.office()
    assert time.monotonic() - started < 5
    assert stub.requests == 3  # the retries still happen


def test_the_simulator_204_is_still_a_cancellation() -> None:
    """Against the simulator: cancel answers 204 and succeeds; a refusal is still a refusal."""
    journal = contract_journal()
    start = datetime(2030, 1, 7, 8, 0, tzinfo=OSLO)
    slot = Slot("s-1", start, start + timedelta(minutes=20), practitioner=KARI)
    journal.open_slots([slot])
    with registry.start_with_simulator("plenario", journal=journal) as (adapter, _):
        booked = adapter.calendar.reserve(slot.uid, CITIZEN, request_id="r-1")
        assert [a.uid for a in adapter.calendar.appointments(CITIZEN)] == [slot.uid]
        adapter.calendar.cancel(booked.uid, CITIZEN, request_id="r-2")
        assert list(adapter.calendar.appointments(CITIZEN)) == []
        with pytest.raises(JournalRefusal) as caught:
            adapter.calendar.cancel("no-such-appointment", CITIZEN, request_id="r-3")
        assert caught.value.reason is RefusalReason.NOT_FOUND
