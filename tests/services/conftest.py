"""Fixtures for the service tests: one office with two GPs, citizens, a fixed clock, and a check
that every built message is valid against the official schema set and the business rules."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

import digidialog
from digidialog.model import AppRec, Message, MsgHead, RawXml
from digidialog.services import (
    Citizen,
    GpOffice,
    Office,
    OfficeSettings,
    Practitioner,
    RecordingNotifier,
    ServiceContext,
)
from digidialog.validation import validate

GP = Practitioner("369767", "August", "September", hpr="9144900", specialist_general_practice=True)
GP2 = Practitioner("91095", "Rita", "Lin", hpr="9144889")
OFFICE = Office("987654", "Nanset Legekontor", org_number="971318864", practitioners=(GP, GP2))
CITIZEN = Citizen("13116900216", "Line", "Danser", mobile="+4799887766")
PARENT = Citizen("13115710057", "Far", "Danser")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(32)


class Clock:
    """A settable clock, so deadlines and GenDates are reproducible."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2027, 3, 19, 9, 30, tzinfo=UTC))


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def make_office(clock: Clock, notifier: RecordingNotifier) -> Callable[..., GpOffice]:
    """A GpOffice with the given settings (default: everything on, slot picking)."""

    def make(settings: OfficeSettings | None = None) -> GpOffice:
        ids = (f"00000000-0000-4000-8000-{n:012d}" for n in itertools.count(1))
        context = ServiceContext(
            OFFICE,
            settings=settings or OfficeSettings(),
            notifier=notifier,
            clock=clock,
            new_id=lambda: next(ids),
        )
        return GpOffice(context)

    return make


@pytest.fixture
def office(make_office: Callable[..., GpOffice]) -> GpOffice:
    return make_office()


@pytest.fixture
def check(official_schema: etree.XMLSchema) -> Callable[..., None]:
    """Assert a built message is valid: official XSD set, then our schemas and business rules."""

    def run(message: Message) -> None:
        data = message.to_xml()
        tree = etree.fromstring(data)
        assert official_schema.validate(tree), official_schema.error_log
        report = validate(data)
        errors = [i for i in report.issues if i.severity.value == "error"]
        assert not errors, errors

    return run


def wire(message: MsgHead) -> MsgHead:
    """Send `message` over the wire: to XML bytes and parsed back, as the receiver sees it."""
    parsed = digidialog.parse(message.to_xml())
    assert isinstance(parsed, MsgHead)
    return parsed


def wire_apprec(receipt: AppRec) -> AppRec:
    parsed = digidialog.parse(receipt.to_xml())
    assert isinstance(parsed, AppRec)
    return parsed


@pytest.fixture
def m1_documents(reference: Path) -> tuple[bytes, ...]:
    """The M1 prescriptions of the official "resept er fornyet" example, as raw bytes."""
    sample = (
        reference
        / "samples/sarepta-digital-dialog/DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2"
        / "Reseptfornying_-_Svar_helsepersonell_-_Resept_er_fornyet.xml"
    )
    parsed = digidialog.parse(sample.read_bytes())
    assert isinstance(parsed, MsgHead)
    raw = [etree.tostring(item.element) for item in parsed.items_of(RawXml)]
    assert raw
    return tuple(raw)
