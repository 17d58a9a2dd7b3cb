"""The one record encoding every vendor wire uses, and adapter config parsing."""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from digidialog.adapters import wire
from digidialog.adapters.config import AdapterConfig
from digidialog.adapters.memory import OSLO
from digidialog.adapters.ports import OfficeMessage, OutgoingMessage, RenewalDecision
from digidialog.errors import AdapterError, UsageError
from digidialog.services.types import (
    Attachment,
    BookingMode,
    Citizen,
    ClinicalFlag,
    GpSettings,
    InboxItem,
    OfficeSettings,
    Practitioner,
    RenewalOutcome,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
)

PER = Citizen("01017012345", "Per", "Pasient")
GP = Practitioner("100001", "Kari", "Lege", specialist_general_practice=True)
START = datetime(2030, 3, 31, 8, 0, tzinfo=OSLO)  # the day summer time starts
SLOT = Slot("s-1", START, START.replace(hour=9), practitioner=GP, location="Rom 1")


@pytest.mark.parametrize(
    "record",
    [
        InboxItem(
            ServiceName.E_CONSULTATION,
            "P",
            "SB",
            "c",
            "m",
            PER,
            GP.her_id,
            "Emne",
            "Tekst",
            START,
            attachments=(Attachment(bytes(range(256)), "application/pdf", "Bilde"),),
            due=date(2030, 4, 5),
        ),
        OfficeSettings(
            per_gp={
                GP.her_id: GpSettings(frozenset({ServiceName.BOOKING}), BookingMode.WISHES_ONLY)
            }
        ),
        OutgoingMessage(
            "o-1",
            ServiceName.E_CONSULTATION,
            PER,
            GP.her_id,
            Reply(
                ReplyKind.ANSWER,
                "Svar",
                appointment=SLOT,
                clinical_flags=frozenset({ClinicalFlag.REFERRAL}),
            ),
            conversation_id="c",
            in_reply_to="m",
            created=START,
        ),
        OutgoingMessage(
            "o-2", ServiceName.CONTACT_OFFICE, PER, None, OfficeMessage("DI", "S", "T")
        ),
        RenewalDecision(
            "d-1",
            "m",
            "c",
            PER,
            GP.her_id,
            RenewalOutcome(RenewalResult.RENEWED, "OK", (b"\x00\xffM1",), GP),
        ),
    ],
    ids=["inbox-item", "settings", "reply", "office-message", "renewal"],
)
def test_records_round_trip(record: object) -> None:
    data = wire.dump(record)
    assert wire.load(type(record), data) == record


def test_times_keep_their_offset() -> None:
    data = wire.dump(SLOT)
    assert data["start"] == "2030-03-31T08:00:00+02:00"


def test_malformed_record_is_an_adapter_error() -> None:
    data = wire.dump(PER) | {"national_id": "123"}
    with pytest.raises(AdapterError, match="Citizen") as caught:
        wire.load(Citizen, data, source="journal")
    assert caught.value.location.source == "journal"
    with pytest.raises(AdapterError, match="list"):
        wire.load_list(Citizen, {"not": "a list"})


def test_config_getters() -> None:
    cfg = AdapterConfig("x", {"url": "http://a", "n": "3", "t": 1, "root": "/tmp", "bad": -1})
    assert cfg.text("url") == "http://a"
    assert cfg.integer("n") == 3
    assert cfg.number("t") == 1.0
    assert cfg.path("root") == Path("/tmp")
    assert cfg.number("missing", 2.5) == 2.5
    assert cfg.tls_verify() is True
    with pytest.raises(UsageError, match="'token' is required"):
        cfg.text("token")
    with pytest.raises(UsageError, match="zero or more"):
        cfg.number("bad")
    with pytest.raises(UsageError, match="an integer"):
        AdapterConfig("x", {"n": True}).integer("n")


# --- bytes: standard base64 (RFC 4648 §4), as docs/adapters.md and the vendor docs promise -----

PDF = bytes(range(256)) * 3  # every byte value: '+' and '/' both occur in its base64


def test_bytes_are_standard_base64() -> None:
    attachment = wire.dump(Attachment(PDF, "application/pdf"))
    assert attachment["data"] == base64.b64encode(PDF).decode()
    assert "+" in attachment["data"]
    assert "/" in attachment["data"]
    outcome = wire.dump(RenewalOutcome(RenewalResult.RENEWED, "OK", (PDF, b"<M1/>"), GP))
    assert outcome["m1_documents"] == [base64.b64encode(d).decode() for d in (PDF, b"<M1/>")]
    # what a journal with a plain (lenient) base64 decoder stores: the same bytes
    assert base64.b64decode(attachment["data"]) == PDF


def test_standard_base64_from_the_journal_is_read() -> None:
    data = {"data": base64.b64encode(PDF).decode(), "media_type": "application/pdf"}
    assert wire.load(Attachment, data | {"description": ""}).data == PDF


@pytest.mark.parametrize(
    "encoded",
    [
        base64.urlsafe_b64encode(PDF).decode(),  # base64url: '-' and '_' for '+' and '/'
        base64.b64encode(PDF[:-1]).decode().rstrip("="),  # the padding left out
        base64.b64encode(b"abc").decode() + "\n" + base64.b64encode(b"def").decode(),  # wrapped
        "not base64!",
        "æøå=",
    ],
    ids=["base64url", "unpadded", "line-break", "garbage", "non-ascii"],
)
def test_bytes_in_another_form_are_refused(encoded: str) -> None:
    data = {"data": encoded, "media_type": "application/pdf", "description": ""}
    with pytest.raises(AdapterError, match=r"data: .*standard base64"):
        wire.load(Attachment, data, source="journal")


# --- strict records: exactly the documented keys, each of the documented type ---------------


def _booked() -> dict[str, Any]:
    """An Avtaleutsending-style answer to a booking: 05 with the appointment, in reply to an OT."""
    data: dict[str, Any] = wire.dump(
        OutgoingMessage(
            "o-1",
            ServiceName.BOOKING,
            PER,
            GP.her_id,
            Reply(ReplyKind.BOOKED, "Du har fått time.", appointment=SLOT),
            conversation_id="c-1",
            in_reply_to="m-ot-1",
            created=START,
        )
    )
    return data


def _refused(data: Any, cls: type[object] = OutgoingMessage) -> str:
    with pytest.raises(AdapterError) as caught:
        wire.load(cls, data, source="plenario inbox.outgoing")
    assert caught.value.location.source == "plenario inbox.outgoing"
    return caught.value.message


def test_misspelt_keys_are_refused_not_dropped() -> None:
    data = _booked()
    data["conversationId"] = data.pop("conversation_id")
    data["inReplyTo"] = data.pop("in_reply_to")
    # lax, this read as conversation_id=None, in_reply_to=None: the booking confirmation went out
    # as an unsolicited Avtaleutsending and the citizen's OT stayed open
    message = _refused(data)
    assert "conversationId: unknown key" in message
    assert "conversation_id: missing" in message
    assert "(and 1 more)" in message  # three shown, the rest counted


@pytest.mark.parametrize(
    "key", ["conversation_id", "in_reply_to", "created", "practitioner_her_id"]
)
def test_a_nullable_key_must_be_sent_as_null(key: str) -> None:
    data = _booked()
    del data[key]
    assert f"{key}: missing" in _refused(data)
    assert wire.load(OutgoingMessage, data | {key: None}) is not None


def test_a_key_with_a_default_must_be_sent_too() -> None:
    data = wire.dump(PER)
    del data["sms_notification"]  # the dataclass default (True) is not the wire's
    assert "sms_notification: missing" in _refused(data, Citizen)


@pytest.mark.parametrize(
    "start",
    [
        0,  # seconds since 1970
        "0",  # the same as text
        1.5,
        "2030-01-07T08:00:00",  # no offset: which of Norway's two?
        "2030-01-07 08:00:00+01:00",  # not the ISO 8601 'T' form
        "07.01.2030 08:00",
        None,
    ],
)
def test_a_time_is_iso_8601_with_an_offset(start: object) -> None:
    data = _booked()
    data["content"]["appointment"]["start"] = start
    assert "content.Reply.appointment.start: " in _refused(data)


def test_iso_times_with_offset_are_read() -> None:
    data = wire.dump(SLOT)
    for start in (
        "2030-03-31T06:00:00Z",
        "2030-03-31T08:00+02:00",
        "2030-03-31T08:00:00.0000000+02:00",
    ):
        assert wire.load(Slot, data | {"start": start}).start == START


@pytest.mark.parametrize("due", [0, "0", "2030-04-05T00:00:00+02:00", "05.04.2030"])
def test_a_date_is_yyyy_mm_dd(due: object) -> None:
    item = InboxItem(ServiceName.E_CONSULTATION, "P", "SB", "c", "m", PER, None, "E", "T", START)
    data = wire.dump(item) | {"due": due}
    assert "due: " in _refused(data, InboxItem)
    assert wire.load(InboxItem, data | {"due": "2030-04-05"}).due == date(2030, 4, 5)


@pytest.mark.parametrize(
    ("key", "value"),
    [("sms_notification", "off"), ("sms_notification", 0), ("national_id", 1017012345),
     ("mobile", ["+47"])],
)  # fmt: skip
def test_wrong_types_are_refused_not_coerced(key: str, value: object) -> None:
    data = _booked()
    data["citizen"][key] = value
    assert f"citizen.{key}: " in _refused(data)


def test_the_message_names_fields_never_values() -> None:
    # a record holds national ids and health data; the message ends up in logs
    data = _booked()
    data["citizen"]["sms_notification"] = "off"
    data["content"]["kind"] = "35"
    message = _refused(data)
    assert "content.Reply.kind" in message
    for value in (PER.national_id, "Du har fått time.", "'off'"):
        assert value not in message


def test_unknown_keys_are_refused_at_any_depth() -> None:
    data = _booked()
    data["content"]["appointment"]["room"] = "3"
    assert "content.Reply.appointment.room: unknown key" in _refused(data)


def test_a_record_the_domain_refuses_is_an_adapter_error() -> None:
    data = wire.dump(SLOT) | {"end": "2030-03-31T07:00:00+02:00"}  # ends before it starts
    assert "before it starts" in _refused(data, Slot)


def test_settings_are_strict_too() -> None:
    good = wire.dump(OfficeSettings(per_gp={GP.her_id: GpSettings()}))
    assert wire.load(OfficeSettings, good).for_gp(GP.her_id) == GpSettings()
    assert "per_gp: missing" in _refused({"default": good["default"]}, OfficeSettings)
    assert "perGp: unknown key" in _refused(good | {"perGp": {}}, OfficeSettings)
    assert "per_gp: not an object" in _refused(good | {"per_gp": []}, OfficeSettings)
    bad_gp = {GP.her_id: good["default"] | {"booking_mode": "sometimes"}}
    assert f"per_gp.{GP.her_id}.booking_mode: " in _refused(
        good | {"per_gp": bad_gp}, OfficeSettings
    )
    assert "default.services: " in _refused(
        good | {"default": {"booking_mode": "slot_picking"}}, OfficeSettings
    )
