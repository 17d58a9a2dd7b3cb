"""What the journal gets from booking and renewal messages, and what goes back: slots in xCal,
reservations, wishes, renewal requests, and M1 documents passed through untouched."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from digidialog.errors import ServiceError
from digidialog.model import Helsepersonell, HelsepersonelListe, Icalendar, RawXml
from digidialog.services import (
    AppointmentType,
    DeliveryMethod,
    GpOffice,
    RenewalOutcome,
    RenewalResult,
    Slot,
    read,
)

from .conftest import CITIZEN, GP, GP2, PARENT, wire

OSLO = ZoneInfo("Europe/Oslo")
SLOTS = [
    Slot(
        "f3330a88-308f-48ae-b39a-c25cde16154e",
        datetime(2027, 4, 6, 9, 45, tzinfo=OSLO),
        datetime(2027, 4, 6, 10, 0, tzinfo=OSLO),
        type=AppointmentType.VIDEO,
        practitioner=GP,
        description="Sørg for at bilde og lyd fungerer.",
    ),
    Slot(
        "1bbc3125-591c-440d-b366-dde3fac262a1",
        datetime(2027, 4, 7, 13, 30, tzinfo=OSLO),
        datetime(2027, 4, 7, 13, 45, tzinfo=OSLO),
        type=AppointmentType.URGENT,
        location="Verkstedveien 1",
        practitioner=GP,
    ),
]


def test_free_slots_round_trip(office: GpOffice, check: Callable[..., None]) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 30))
    incoming = office.receive(wire(hlt.message)).incoming
    assert incoming is not None
    assert incoming.period == (date(2027, 4, 5), date(2027, 4, 30))
    answer = office.booking.free_slots(incoming.conversation.id, SLOTS)
    check(answer.message)
    received = wire(answer.message)
    event = received.items_of(Icalendar)[0].events[0]
    assert event.dtstart == "2027-04-06T09:45:00"  # Norwegian local time, as the examples write it
    assert event.text("contact") == GP.her_id
    assert event.text("categories") == "Video"
    slots = read(received, office.context.office).slots
    assert slots == tuple(SLOTS)


def test_reservation_and_cancellation_carry_their_slot(office: GpOffice) -> None:
    rt = office.booking.reserve(
        CITIZEN, GP.her_id, SLOTS[1], accepts_other_practitioner=False, text="Hoste"
    )
    incoming = office.receive(wire(rt.message)).incoming
    assert incoming is not None
    assert incoming.slot == SLOTS[1]
    assert incoming.accepts_other_practitioner is False
    assert incoming.item.text == "Hoste"
    booked = dataclasses.replace(SLOTS[1], appointment_id="651b1341-26ca-11e4-8c21-0800200c9a66")
    confirmed = office.booking.confirm(rt.msg_id, booked)
    assert read(wire(confirmed.message), office.context.office).slots == (booked,)
    art = office.booking.cancel_reserved(CITIZEN, GP.her_id, booked, reason="Frisk")
    cancel = office.receive(wire(art.message)).incoming
    assert cancel is not None
    assert cancel.slot is not None
    assert cancel.slot.appointment_id == booked.appointment_id


def test_wishes_reach_the_inbox(office: GpOffice) -> None:
    wish = office.booking.wish_change(
        CITIZEN, GP.her_id, SLOTS[0], "Kan det bli fredag?", accepts_other_practitioner=True
    )
    incoming = office.receive(wire(wish.message)).incoming
    assert incoming is not None
    assert incoming.wish is not None
    assert incoming.item.wish == incoming.wish
    assert incoming.wish.text == "Kan det bli fredag?"
    assert incoming.wish.accepts_other_practitioner
    assert incoming.wish.appointment == SLOTS[0]


def test_booked_with_other_gp_names_them(office: GpOffice, check: Callable[..., None]) -> None:
    wish = office.booking.wish_time(CITIZEN, GP.her_id, "Snarest", accepts_other_practitioner=True)
    office.receive(wire(wish.message))
    other = Slot(SLOTS[0].uid, SLOTS[0].start, SLOTS[0].end, practitioner=GP2)
    out = office.booking.confirm(wish.msg_id, other, other_practitioner=GP2)
    check(out.message)
    received = wire(out.message)
    listing = received.items_of(HelsepersonelListe)
    assert listing
    assert listing[0].helsepersonell[0].helsepersonell[0].family_name == GP2.family_name
    assert received.items_of(Helsepersonell) == []
    assert read(received).other_practitioners == (GP2.full_name,)


def test_renewal_request_reaches_the_journal(office: GpOffice, check: Callable[..., None]) -> None:
    asked = office.renewal.request(
        CITIZEN,
        GP.her_id,
        "Ventoline inhalator\nMetformin 500 mg\n",
        DeliveryMethod.POST_TO_JOURNAL_ADDRESS,
        acting_person=PARENT,
    )
    check(asked.message)
    incoming = office.receive(wire(asked.message)).incoming
    assert incoming is not None
    assert incoming.renewal is not None
    renewal = incoming.renewal
    assert renewal.prescriptions == ("Ventoline inhalator", "Metformin 500 mg")
    assert renewal.delivery is DeliveryMethod.POST_TO_JOURNAL_ADDRESS
    assert renewal.kind == "RF"
    assert renewal.assignee is None
    assert renewal.acting_for is not None
    assert renewal.acting_for.national_id == PARENT.national_id
    assigned = renewal.assigned_to("Sykepleier Olsen")
    assert assigned.assignee == "Sykepleier Olsen"
    assert renewal.assignee is None


def test_m1_documents_pass_through_untouched(
    office: GpOffice, check: Callable[..., None], m1_documents: tuple[bytes, ...]
) -> None:
    asked = office.renewal.request(CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY)
    office.receive(wire(asked.message))
    out = office.renewal.answer(
        asked.msg_id, RenewalOutcome(RenewalResult.RENEWED, "Sendt til apoteket.", m1_documents)
    )
    check(out.message)
    received = wire(out.message)
    raw = received.items_of(RawXml)
    assert len(raw) == len(m1_documents)
    for sent, got in zip(m1_documents, raw, strict=True):
        assert etree.tostring(got.element, method="c14n") == etree.tostring(
            etree.fromstring(sent), method="c14n"
        )
    assert read(received).m1_documents
    assert len(read(received).m1_documents) == len(m1_documents)


def test_not_an_m1_is_refused(office: GpOffice) -> None:
    asked = office.renewal.request(CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY)
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as error:
        office.renewal.answer(
            asked.msg_id,
            RenewalOutcome(RenewalResult.RENEWED, "Fornyet", (b"<Resept xmlns='urn:other'/>",)),
        )
    assert error.value.rule == "SV015"


def test_times_are_aware_and_local(office: GpOffice) -> None:
    utc_slot = Slot(
        "u-1", datetime(2027, 7, 1, 8, 0, tzinfo=UTC), datetime(2027, 7, 1, 8, 15, tzinfo=UTC)
    )
    pushed = office.booking.send_appointment(CITIZEN, GP.her_id, utc_slot)
    event = wire(pushed.message).items_of(Icalendar)[0].events[0]
    assert event.dtstart == "2027-07-01T10:00:00"  # summer time: UTC+2
    back = read(wire(pushed.message)).slots[0]
    assert back.start == utc_slot.start
    assert back.end - back.start == timedelta(minutes=15)
