"""E-consultation deadlines in Norwegian working days, across Easter and other holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from digidialog.errors import ServiceError
from digidialog.services import GpOffice, add_working_days, due_date, is_working_day

from .conftest import CITIZEN, GP, Clock, wire

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 3, 24), True),  # Wednesday before Easter
        (date(2027, 3, 25), False),  # Maundy Thursday (skjærtorsdag)
        (date(2027, 3, 26), False),  # Good Friday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 3, 30), True),
        (date(2027, 5, 6), False),  # Ascension Day
        (date(2027, 5, 17), False),  # Constitution Day and Whit Monday (both, in 2027)
        (date(2026, 5, 14), False),  # Ascension Day 2026
        (date(2026, 5, 25), False),  # Whit Monday on its own (2026)
        (date(2026, 5, 18), True),  # the Monday after 17 May 2026 (a Sunday) is no holiday
        (date(2027, 5, 1), False),  # Saturday (and Labour Day)
        (date(2026, 5, 1), False),  # Labour Day on a Friday
        (date(2026, 12, 24), True),  # Christmas Eve is not a public holiday
        (date(2026, 12, 25), False),
        (date(2025, 12, 26), False),  # Boxing Day on a Friday
        (date(2027, 1, 1), False),
        (date(2027, 3, 20), False),  # Saturday
        (date(2027, 3, 21), False),  # Sunday
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Monday -> Monday a week later
        (datetime(2027, 3, 1, 10, 0, tzinfo=OSLO), date(2027, 3, 8)),
        # Friday before Easter week: Mon 22, Tue 23, Wed 24, then Easter, Tue 30, Wed 31
        (datetime(2027, 3, 19, 15, 0, tzinfo=OSLO), date(2027, 3, 31)),
        # Wednesday before Easter: Tue 30 .. Mon 5 April
        (datetime(2027, 3, 24, 9, 0, tzinfo=OSLO), date(2027, 4, 5)),
        # Saturday counts from Monday
        (datetime(2027, 3, 20, 12, 0, tzinfo=OSLO), date(2027, 3, 31)),
        # Across 17 May (= Whit Monday in 2027): received Tue 11 May 2027
        (datetime(2027, 5, 11, 9, 0, tzinfo=OSLO), date(2027, 5, 19)),
        # Across Ascension: received Mon 3 May 2027, Thu 6 May skipped
        (datetime(2027, 5, 3, 9, 0, tzinfo=OSLO), date(2027, 5, 11)),
        # Across Whit Monday on its own: received Fri 22 May 2026, Mon 25 May skipped
        (datetime(2026, 5, 22, 9, 0, tzinfo=OSLO), date(2026, 6, 1)),
        # Across Christmas and New Year
        (datetime(2026, 12, 23, 9, 0, tzinfo=OSLO), date(2026, 12, 31)),
        # 23:30 UTC on 1 March is already 2 March in Norway
        (datetime(2027, 3, 1, 23, 30, tzinfo=UTC), date(2027, 3, 9)),
    ],
)
def test_due_date(received: datetime, due: date) -> None:
    assert due_date(received) == due


def test_naive_times_and_zero_days_are_refused() -> None:
    with pytest.raises(ServiceError) as naive:
        due_date(datetime(2027, 3, 1, 10, 0))
    assert naive.value.rule == "SV100"
    with pytest.raises(ServiceError) as zero:
        add_working_days(date(2027, 3, 1), 0)
    assert zero.value.rule == "SV110"


def test_question_gets_due_date_and_becomes_overdue(office: GpOffice, clock: Clock) -> None:
    clock.now = datetime(2027, 3, 19, 14, 0, tzinfo=UTC)  # Friday before Easter week
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Jeg har hostet lenge.")
    received = office.receive(wire(asked.message))
    assert received.incoming is not None
    assert received.incoming.item.due == date(2027, 3, 31)
    contact = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse.")
    office.receive(wire(contact.message))

    assert office.overdue(datetime(2027, 3, 31, 21, 0, tzinfo=UTC)) == []  # 22:00 in Oslo
    late = office.overdue(datetime(2027, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April
    assert [c.id for c in late] == [asked.msg_id]
    assert (
        office.e_consultation.overdue(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))[0].id == asked.msg_id
    )
    assert office.contact.overdue(datetime(2027, 4, 1, 9, 0, tzinfo=UTC)) == []

    office.e_consultation.answer(asked.msg_id, "Kom inn til undersøkelse.")
    assert office.overdue(datetime(2027, 4, 1, 9, 0, tzinfo=UTC)) == []


def test_closed_question_is_not_overdue(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste.")
    office.receive(wire(asked.message))
    office.e_consultation.close(asked.msg_id, "Avsluttet.")
    assert office.overdue(datetime(2028, 1, 1, tzinfo=UTC)) == []


def test_refused_question_is_not_overdue(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste.")
    office.receive(wire(asked.message))
    office.e_consultation.refuse(asked.msg_id)
    assert office.overdue(datetime(2028, 1, 1, tzinfo=UTC)) == []
