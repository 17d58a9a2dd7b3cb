"""The one record encoding every vendor wire uses, and adapter config parsing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

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
