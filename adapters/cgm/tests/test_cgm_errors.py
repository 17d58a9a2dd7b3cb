"""CGM against what WM3, or a proxy in front of it, may really answer; strict value decoding;
texts with characters XML 1.0 cannot carry.

Odd statuses and hand-made envelopes come from a tiny stub on 127.0.0.1 (`LoopbackHTTPServer`);
everything else runs against the SOAP simulator over real loopback HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from digidialog_cgm import CgmSimulator, soap
from lxml import etree

from digidialog.adapters import registry, wire
from digidialog.adapters.loopback import HttpResponse
from digidialog.adapters.memory import OSLO, MemoryJournal
from digidialog.adapters.ports import Adapter, JournalRefusal, OfficeMessage, RefusalReason
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.adapters.testing import CONTRACT_OFFICE, contract_journal
from digidialog.adapters.testing.contract import KARI, PER
from digidialog.adapters.testing.stub import Stub
from digidialog.adapters.testing.stub import stubbed as stub_adapter
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import InboxItem, ServiceName

XML = "text/xml; charset=utf-8"


def stubbed(answer: HttpResponse, **config: object) -> AbstractContextManager[tuple[Adapter, Stub]]:
    return stub_adapter("cgm", answer, **config)


# -- statuses and faults -------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 507, 520, 522, 524])
def test_temporary_status_without_soap_keeps_the_message(status: int) -> None:
    answer = HttpResponse(status, b"Too many requests", "text/plain")
    with stubbed(answer) as (adapter, _), pytest.raises(JournalUnavailableError) as caught:
        adapter.calendar.cancel("appt-1", PER, request_id="r-1")
    assert caught.value.retryable is True
    assert f"HTTP {status}" in caught.value.message


@pytest.mark.parametrize("status", [200, 400, 404, 405, 418])
def test_other_status_without_soap_is_permanent(status: int) -> None:
    answer = HttpResponse(status, b"<html>Logg inn</html>", "text/html")
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.calendar.cancel("appt-1", PER, request_id="r-1")
    assert type(caught.value) is AdapterError
    assert caught.value.retryable is False


@pytest.mark.parametrize(("status", "error"), [(503, JournalUnavailableError), (404, AdapterError)])
def test_an_answer_under_an_error_status_is_not_success(
    status: int, error: type[AdapterError]
) -> None:
    answer = HttpResponse(status, soap.response("calendar.cancel", None), XML)
    with stubbed(answer) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.calendar.cancel("appt-1", PER, request_id="r-1")
    assert type(caught.value) is error


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (soap.fault("Server.Unavailable", "WM3 is restarting", "Unavailable"),
         JournalUnavailableError),
        (soap.fault("Server.Database.Timeout", "DB timeout", "Unavailable"),
         JournalUnavailableError),
        (soap.fault("Client.Refusal", "Opptatt", "Refusal", "slot_unavailable"), JournalRefusal),
        (soap.fault("Client.Validation", "Ugyldig", "BadRequest"), AdapterError),
        # not a Server fault just because the word appears in it
        (soap.fault("ClientServer", "Rart", "BadRequest"), AdapterError),
    ],
)  # fmt: skip
def test_dotted_fault_codes_count_by_their_first_part(
    fault: bytes, error: type[AdapterError]
) -> None:
    with (
        stubbed(HttpResponse(500, fault, XML)) as (adapter, _),
        pytest.raises(AdapterError) as caught,
    ):
        adapter.calendar.cancel("appt-1", PER, request_id="r-1")
    assert type(caught.value) is error
    if isinstance(caught.value, JournalRefusal):
        assert caught.value.reason is RefusalReason.SLOT_UNAVAILABLE


def test_retry_after_does_not_hold_the_call() -> None:
    # 503 asking for a 30 s pause: the in-call retries keep their own short backoff, the long
    # wait is left to the pipeline (the error keeps the message).
    fault = soap.fault("Server", "WM3 is busy", "Unavailable")
    answer = HttpResponse(503, fault, XML, headers={"Retry-After": "30"})
    started = time.monotonic()
    with (
        stubbed(answer, retries=2, backoff=0.01) as (adapter, stub),
        pytest.raises(JournalUnavailableError),
    ):
        adapter.practice.office()
    assert time.monotonic() - started < 5
    assert stub.requests == 3  # the retries still happen


# -- strict decoding -----------------------------------------------------------------------


def _typed(kind: str, text: str, **attributes: str) -> etree._Element:
    node = etree.Element("value", nsmap=soap.NSMAP)
    node.set(f"{{{soap.XSI}}}type", kind)
    for name, value in attributes.items():
        node.set(name, value)
    node.text = text
    return node


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("xsd:boolean", "true", True),
        ("xsd:boolean", "1", True),
        ("xsd:boolean", " false\n", False),
        ("xsd:boolean", "0", False),
        ("xsd:long", "-42", -42),
        ("xsd:long", "+7", 7),
        ("xsd:double", "0.25", 0.25),
        ("xsd:double", "1E3", 1000.0),
        ("xsd:double", "-INF", float("-inf")),
        ("xsd:string", "text", "text"),
    ],
)
def test_xml_schema_literals_are_read(kind: str, text: str, value: object) -> None:
    assert soap.read_value(_typed(kind, text)) == value


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("xsd:boolean", "ja"),
        ("xsd:boolean", "True"),
        ("xsd:boolean", ""),
        ("xsd:long", "12a"),
        ("xsd:long", "1_000"),
        ("xsd:long", "1.0"),
        ("xsd:double", "abc"),
        ("xsd:double", "inf"),
        ("xsd:double", "1_0.5"),
        ("xsd:int", "5"),  # a type this encoding does not use
        ("nope:thing", "5"),  # an undeclared prefix
        ("wm3:Base64Text", "not base64!"),
    ],
)
def test_bad_literals_are_adapter_errors(kind: str, text: str) -> None:
    with pytest.raises(AdapterError, match="element value"):
        soap.read_value(_typed(kind, text))


def test_nil_is_an_xsd_boolean() -> None:
    assert soap.read_value(_typed("xsd:long", "", **{f"{{{soap.XSI}}}nil": "1"})) is None
    assert soap.read_value(_typed("xsd:long", "5", **{f"{{{soap.XSI}}}nil": "false"})) == 5
    with pytest.raises(AdapterError, match="xsi:nil"):
        soap.read_value(_typed("xsd:long", "", **{f"{{{soap.XSI}}}nil": "yes"}))


def _serve_patched(operation: str, result: Any, patch: Callable[[bytes], bytes]) -> HttpResponse:
    body = patch(soap.response(operation, result))
    assert body != soap.response(operation, result)
    return HttpResponse(200, body, XML)


def test_boolean_one_from_wm3_is_true() -> None:
    one = _serve_patched(
        "practice.office",
        wire.dump(CONTRACT_OFFICE),
        lambda b: b.replace(b'"xsd:boolean">true<', b'"xsd:boolean">1<'),
    )
    with stubbed(one) as (adapter, _):
        assert adapter.practice.office() == CONTRACT_OFFICE


def test_a_garbage_boolean_names_the_operation_and_the_element() -> None:
    garbage = _serve_patched(
        "practice.office",
        wire.dump(CONTRACT_OFFICE),
        lambda b: b.replace(b'"xsd:boolean">true<', b'"xsd:boolean">ja<'),
    )
    with stubbed(garbage) as (adapter, _), pytest.raises(AdapterError) as caught:
        adapter.practice.office()
    assert type(caught.value) is AdapterError
    message = caught.value.message
    assert "PracticeOffice" in message
    assert "result/practitioners/item[0]/specialist_general_practice" in message


def test_a_bad_long_is_an_adapter_error_not_a_value_error() -> None:
    bad = _serve_patched(
        "inbox.outgoing",
        [],
        lambda b: b.replace(b'xsi:type="soapenc:Array"/>', b'xsi:type="xsd:long">12a</result>'),
    )
    with stubbed(bad) as (adapter, _), pytest.raises(AdapterError, match="InboxOutgoing"):
        adapter.inbox.outgoing()


def test_the_simulator_answers_a_bad_request_value_with_a_client_fault() -> None:
    sim = registry.simulator("cgm", SimulatorOptions(journal=contract_journal()))
    assert isinstance(sim, CgmSimulator)
    with sim:
        body = soap.request("inbox.outgoing", {"limit": 5}, sim.token).replace(
            b'"xsd:long">5<', b'"xsd:long">fem<'
        )
        response = requests.post(
            f"{sim.address}/wm3/DialogService",
            data=body,
            headers={"Content-Type": XML, "SOAPAction": '""'},
            timeout=5,
        )
    assert response.status_code == 500
    _, answer = soap.read(response.content, "test")
    code, text, detail, _ = soap.fault_parts(answer)
    assert (code, detail) == ("Client", "BadRequest")
    assert "limit" in text


# -- characters XML 1.0 cannot carry -------------------------------------------------------

AWKWARD = "Linje 1\x0bLinje 2\x0c\x00 \ufffe\uffff \x1f slutt\r\n"


def test_strings_xml_cannot_carry_round_trip() -> None:
    value = {
        "text": AWKWARD,
        "plain": "æøå",
        "list": ["\x0b", "ok"],
        "lone": "a\ud800b",
        "name\n": "a key that is a name but for its line break",
        "a\tb\r": "a key with whitespace XML would normalise",
    }
    raw = soap.request("practice.settings", {"value": value}, "t")
    _, call = soap.read(raw, "test")
    (node,) = list(call)
    assert soap.read_value(node) == value
    assert b"<plain>\xc3\xa6\xc3\xb8\xc3\xa5</plain>" in raw  # ordinary text stays plain text


def test_a_key_xml_cannot_carry_is_an_adapter_error() -> None:
    with pytest.raises(AdapterError, match="key"):
        soap.request("practice.settings", {"value": {"a\x0bb": 1}}, "t")


def test_a_control_character_crosses_both_ways(tmp_path: Path) -> None:
    journal: MemoryJournal = contract_journal()
    item = InboxItem(
        service=ServiceName.E_CONSULTATION,
        process="DIALOG_INNBYGGER_EKONSULTASJON",
        kind="SB",
        conversation_id="c-1",
        msg_id="m-1",
        citizen=PER,
        practitioner_her_id=KARI.her_id,
        subject="Spørsmål\x0b",
        text=AWKWARD,
        received=datetime(2030, 1, 7, 9, 0, tzinfo=OSLO),
    )
    with registry.start_with_simulator("cgm", tmp_path, journal=journal) as (adapter, _):
        adapter.inbox.deliver(item)
        assert journal.inbox_items() == [item]
        for text in ("OK", "Linje 1\x0bLinje 2"):
            journal.start_dialog(
                PER, KARI.her_id, ServiceName.E_CONSULTATION, OfficeMessage("DI", "Svar", text)
            )
        got = adapter.inbox.outgoing()
    assert [getattr(m.content, "text", None) for m in got] == ["OK", "Linje 1\x0bLinje 2"]
