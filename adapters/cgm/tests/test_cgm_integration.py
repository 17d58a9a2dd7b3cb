"""CGM adapter against its SOAP simulator over real loopback HTTP: envelopes, faults, hardening."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from digidialog_cgm import CgmSimulator, soap
from digidialog_cgm.client import _fault_error
from lxml import etree

from digidialog.adapters import registry
from digidialog.adapters.memory import OSLO, MemoryJournal
from digidialog.adapters.ports import Adapter, JournalRefusal, RefusalReason
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.adapters.testing import CONTRACT_OFFICE, contract_journal
from digidialog.errors import AdapterError, JournalUnavailableError, Location
from digidialog.services.types import (
    BookingMode,
    Citizen,
    GpSettings,
    InboxItem,
    OfficeSettings,
    ServiceName,
)

CITIZEN = Citizen("01017012345", "Per", "Pasient")
FAST = {"timeout": 2.0, "retries": 2, "backoff": 0.01}


@pytest.fixture
def journal() -> MemoryJournal:
    return contract_journal()


@pytest.fixture
def sim(journal: MemoryJournal) -> Iterator[CgmSimulator]:
    simulator = registry.simulator("cgm", SimulatorOptions(journal=journal))
    assert isinstance(simulator, CgmSimulator)
    with simulator:
        yield simulator


def _adapter(sim: CgmSimulator, **overrides: object) -> Adapter:
    return registry.create("cgm", {**sim.adapter_config(), **FAST, **overrides})


def _post(sim: CgmSimulator, body: bytes) -> tuple[int, etree._Element]:
    response = requests.post(
        f"{sim.address}/wm3/DialogService",
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        timeout=5,
    )
    _, answer = soap.read(response.content, "test")
    return response.status_code, answer


def test_values_round_trip_through_envelopes() -> None:
    value: dict[str, Any] = {
        "text": "æøå <&>",
        "empty": "",
        "none": None,
        "yes": True,
        "count": 42,
        "ratio": 0.25,
        "list": [1, "two", None, [], {}],
        "per_gp": {"8140011": {"services": ["booking"]}},
        "entry": "a key that is the escape word itself",
    }
    _, call = soap.read(soap.request("practice.settings", {"value": value}, "t"), "test")
    (node,) = list(call)
    assert soap.read_value(node) == value


def test_element_names() -> None:
    assert soap.element_name("calendar.free_slots") == "CalendarFreeSlots"
    assert soap.element_name("inbox.deliver") == "InboxDeliver"


def test_office_over_soap(sim: CgmSimulator) -> None:
    with _adapter(sim) as adapter:
        assert adapter.practice.office() == CONTRACT_OFFICE


def test_settings_with_her_id_keys(sim: CgmSimulator, journal: MemoryJournal) -> None:
    settings = OfficeSettings(
        per_gp={"100002": GpSettings(frozenset({ServiceName.BOOKING}), BookingMode.WISHES_ONLY)}
    )
    journal.set_settings(settings)
    with _adapter(sim) as adapter:
        assert adapter.practice.settings().for_gp("100002") == settings.for_gp("100002")


def test_wrong_token_is_an_authentication_fault(sim: CgmSimulator) -> None:
    with _adapter(sim, token="stolen") as adapter, pytest.raises(AdapterError) as caught:
        adapter.practice.office()
    assert caught.value.code == "adapter:unauthorized"
    assert not isinstance(caught.value, JournalRefusal | JournalUnavailableError)
    assert sim.requests == 1  # a Client fault is not retried


def test_refusal_is_a_client_fault_with_reason(sim: CgmSimulator) -> None:
    with _adapter(sim) as adapter, pytest.raises(JournalRefusal) as caught:
        adapter.inbox.acknowledge("nope")
    assert caught.value.reason is RefusalReason.NOT_FOUND
    status, answer = _post(sim, soap.request("inbox.acknowledge", {"outgoing_id": "x"}, sim.token))
    assert status == 500
    code, _, detail, reason = soap.fault_parts(answer)
    assert (code, detail, reason) == ("Client", "Refusal", "not_found")


def test_unavailable_is_retried_then_reported(sim: CgmSimulator) -> None:
    sim.faults.fail_next(1)
    with _adapter(sim) as adapter:
        assert adapter.practice.office().her_id == CONTRACT_OFFICE.her_id
        assert sim.requests == 2
        sim.faults.set_down(True)
        with pytest.raises(JournalUnavailableError, match="soap:Server"):
            adapter.practice.office()


def test_simulator_refuses_unsafe_xml(sim: CgmSimulator) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soap:Body><x>&e;</x></soap:Body></soap:Envelope>"
    )
    status, answer = _post(sim, evil)
    assert status == 500
    code, text, detail, _ = soap.fault_parts(answer)
    assert (code, detail) == ("Client", "BadRequest")
    assert "root:" not in text


def test_deliver_keeps_text_exact(sim: CgmSimulator, journal: MemoryJournal) -> None:
    item = InboxItem(
        service=ServiceName.E_CONSULTATION,
        process="DIALOG_INNBYGGER_EKONSULTASJON",
        kind="SB",
        conversation_id="c-1",
        msg_id="m-1",
        citizen=CITIZEN,
        practitioner_her_id="100001",
        subject='Spørsmål om <dosering> & "bivirkninger"',
        text="  Linje 1\nLinje 2\t]]> slutt  ",
        received=datetime(2030, 1, 7, 9, 0, tzinfo=OSLO),
    )
    with _adapter(sim) as adapter:
        adapter.inbox.deliver(item)
    assert journal.inbox_items() == [item]


@pytest.mark.parametrize(
    ("fault", "error", "code", "retryable"),
    [
        (soap.fault("Server", "WM3 nede", "Unavailable"), JournalUnavailableError,
         "adapter:unavailable", True),
        (soap.fault("Client", "Feil nøkkel", "AuthenticationFailed"), AdapterError,
         "adapter:unauthorized", False),
        (soap.fault("Client", "Opptatt", "Refusal", "slot_unavailable"), JournalRefusal,
         None, False),
        (soap.fault("Client", "Ukjent felt", "BadRequest"), AdapterError, None, False),
        # Only a Refusal detail is a refusal, whatever reason another fault carries.
        (soap.fault("Client", "Ugyldig", "BadRequest", "slot_unavailable"), AdapterError,
         None, False),
        (soap.fault("Client", "Ukjent grunn", "Refusal", "no-such-reason"), AdapterError,
         None, False),
    ],
)  # fmt: skip
def test_every_soap_fault_maps_to_our_error(
    fault: bytes, error: type[AdapterError], code: str | None, retryable: bool
) -> None:
    _, node = soap.read(fault, "test")
    assert soap.is_fault(node)
    mapped = _fault_error("Op", node, Location("test"))
    assert type(mapped) is error
    assert mapped.retryable is retryable
    if code is not None:
        assert mapped.code == code
    if isinstance(mapped, JournalRefusal):
        assert mapped.reason is RefusalReason.SLOT_UNAVAILABLE
