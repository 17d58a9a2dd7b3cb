"""SMS when a time is assigned: owed (not sent) by the builder unless turned off, and free of every
piece of the message. That the pipeline sends it only after a successful send is tested in
tests/pipeline/test_pipeline.py."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services import (
    SMS_TEXT,
    AppointmentType,
    GpOffice,
    Outgoing,
    RecordingNotifier,
    ReplyKind,
    Slot,
)

from .conftest import CITIZEN, GP, GP2, OFFICE, wire

START = datetime(2027, 4, 6, 8, 0, tzinfo=UTC)
APPOINTMENT = Slot(
    "0b7c1d52-7f0e-4b5e-9c55-5f1d8f2d9a10",
    START,
    START + timedelta(minutes=20),
    type=AppointmentType.ORDINARY,
    location="Kvinneklinikken, Sognsvannsveien 20",
    practitioner=GP,
    description="Kontroll etter spontanabort og klamydiainfeksjon",
    appointment_id="651b1341-26ca-11e4-8c21-0800200c9a66",
)


def pieces(message: MsgHead) -> set[str]:
    """Every text and attribute value of the message, and each word of 4+ letters in them."""
    tree = etree.fromstring(message.to_xml())
    values: set[str] = set()
    for element in tree.iter():
        if isinstance(element.tag, str):
            values.update(str(v) for v in element.attrib.values())
            if element.text and element.text.strip():
                values.add(element.text.strip())
    words = {w for v in values for w in re.findall(r"[\wæøåÆØÅ.+-]{4,}", v)}
    return {p for p in values | words if len(p) >= 4}


def deliver(outgoing: Outgoing, notifier: RecordingNotifier) -> None:
    """What the sender does once the transport accepted the message."""
    if outgoing.sms is not None:
        outgoing.sms.send(notifier)


def assert_free_of(sms: str, message: MsgHead) -> None:
    found = pieces(message)
    assert CITIZEN.national_id in found
    assert CITIZEN.family_name in found
    leaked = sorted(p for p in found if p.lower() in sms.lower())
    assert not leaked, leaked
    names = (GP.full_name, GP2.full_name, GP2.family_name, CITIZEN.full_name, CITIZEN.given_name)
    for extra in (*names, OFFICE.name, "08:00", "10:00", "06.04", "2027"):
        assert extra.lower() not in sms.lower()


def test_confirmed_reservation_sends_one_safe_sms(
    office: GpOffice, notifier: RecordingNotifier
) -> None:
    rt = office.booking.reserve(
        CITIZEN, GP.her_id, APPOINTMENT, accepts_other_practitioner=True, text="Astma og hoste"
    )
    office.receive(wire(rt.message))
    confirmed = office.booking.confirm(
        rt.msg_id, APPOINTMENT, text="Velkommen til kontroll", citizen=CITIZEN
    )
    assert confirmed.sms is not None
    assert notifier.sent == []  # building a reply texts nobody
    deliver(confirmed, notifier)
    assert len(notifier.sent) == 1
    sms = notifier.sent[0]
    assert sms.mobile == CITIZEN.mobile
    assert sms.text == SMS_TEXT
    assert "helsenorge.no" in sms.text
    assert_free_of(sms.text, confirmed.message)
    assert_free_of(sms.text, rt.message)


def test_no_sms_when_notification_is_off(office: GpOffice, notifier: RecordingNotifier) -> None:
    quiet = dataclasses.replace(CITIZEN, sms_notification=False)
    wish = office.booking.wish_time(CITIZEN, GP.her_id, "En time", accepts_other_practitioner=True)
    office.receive(wire(wish.message))
    confirmed = office.booking.confirm(wish.msg_id, APPOINTMENT, citizen=quiet)
    assert confirmed.sms is None
    pushed = office.booking.send_appointment(quiet, GP.her_id, APPOINTMENT)
    assert pushed.sms is None


@pytest.mark.parametrize(
    ("kind", "texts"),
    [
        (ReplyKind.BOOKED, 1),
        (ReplyKind.CHANGED, 1),
        (ReplyKind.CANCELLED, 0),
        (ReplyKind.NO_SHOW, 0),
    ],
)
def test_appointment_push_sms_only_when_a_time_is_assigned(
    office: GpOffice, notifier: RecordingNotifier, kind: ReplyKind, texts: int
) -> None:
    pushed = office.booking.send_appointment(CITIZEN, GP.her_id, APPOINTMENT, kind)
    assert (pushed.sms is not None) is bool(texts)
    deliver(pushed, notifier)
    assert len(notifier.sent) == texts
    for sms in notifier.sent:
        assert_free_of(sms.text, pushed.message)


def test_change_and_other_practitioner_send_sms(
    office: GpOffice, notifier: RecordingNotifier
) -> None:
    change = office.booking.wish_change(
        CITIZEN, GP.her_id, APPOINTMENT, "Flytt til fredag", accepts_other_practitioner=True
    )
    office.receive(wire(change.message))
    moved = office.booking.confirm(change.msg_id, APPOINTMENT)
    assert moved.sms is not None
    wish = office.booking.wish_time(CITIZEN, GP.her_id, "Snarest", accepts_other_practitioner=True)
    office.receive(wire(wish.message))
    other = dataclasses.replace(APPOINTMENT, practitioner=GP2)
    booked = office.booking.confirm(wish.msg_id, other, other_practitioner=GP2)
    assert booked.sms is not None
    assert booked.message.dialogmelding.notat[0].tema_kodet.v == "10"  # type: ignore[union-attr]
    deliver(moved, notifier)
    deliver(booked, notifier)
    assert len(notifier.sent) == 2
    for sms, message in zip(notifier.sent, (moved.message, booked.message), strict=True):
        assert_free_of(sms.text, message)


def test_refusals_and_declines_send_nothing(office: GpOffice, notifier: RecordingNotifier) -> None:
    rt = office.booking.reserve(CITIZEN, GP.her_id, APPOINTMENT, accepts_other_practitioner=True)
    office.receive(wire(rt.message))
    assert office.booking.decline(rt.msg_id).sms is None


def test_wrong_citizen_is_refused_before_the_reply_is_recorded(office: GpOffice) -> None:
    rt = office.booking.reserve(CITIZEN, GP.her_id, APPOINTMENT, accepts_other_practitioner=True)
    office.receive(wire(rt.message))
    other = dataclasses.replace(CITIZEN, national_id="01010112345")
    with pytest.raises(ServiceError) as refused:
        office.booking.confirm(rt.msg_id, APPOINTMENT, citizen=other)
    assert refused.value.rule == "SV018"
    assert office.booking.confirm(rt.msg_id, APPOINTMENT, citizen=CITIZEN).sms is not None


def test_default_notifier_logs_masked_number(caplog: pytest.LogCaptureFixture) -> None:
    from digidialog.services import LogNotifier, SmsNotice

    notice = SmsNotice.for_citizen(CITIZEN)
    assert notice is not None
    with caplog.at_level("INFO", logger="digidialog.sms"):
        notice.send(LogNotifier())
    assert SMS_TEXT in caplog.text
    assert CITIZEN.mobile is not None
    assert CITIZEN.mobile not in caplog.text
    assert CITIZEN.mobile[-2:] in caplog.text
