"""Answer deadlines in Norwegian working days.

An e-consultation must be answered within five working days. A working day is Monday to Friday
that is not a Norwegian public holiday (the `holidays` package: Easter, Ascension, Whit Monday,
17 May, Christmas …). The day the question arrives does not count; the deadline is the end of the
fifth working day after it, in Norwegian local time — a question sent on Friday afternoon before
Easter is due the Friday after Easter week, not five calendar days later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from holidays.countries.norway import Norway

from digidialog.errors import ServiceError
from digidialog.services.types import require_aware

__all__ = [
    "E_CONSULTATION_WORKING_DAYS",
    "NORWAY",
    "Deadline",
    "add_working_days",
    "due_date",
    "is_working_day",
]

NORWAY = ZoneInfo("Europe/Oslo")

#: The service description: e-consultations are answered within five working days.
E_CONSULTATION_WORKING_DAYS = 5


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    # include_sundays=False: the package otherwise lists every Sunday as a "holiday" for Norway;
    # weekends are handled separately below.
    return frozenset(Norway(years=year, include_sundays=False).keys())


def is_working_day(day: date) -> bool:
    """True for Monday-Friday that is not a Norwegian public holiday."""
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself never counts)."""
    if days < 1:
        raise ServiceError(
            f"cannot count {days} working days",
            rule="SV110",
            hint="a deadline is at least one working day",
        )
    day = start
    left = days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def due_date(received: datetime, working_days: int = E_CONSULTATION_WORKING_DAYS) -> date:
    """The Norwegian calendar day by whose end a message received at `received` must be answered."""
    require_aware(received, "received time")
    return add_working_days(received.astimezone(NORWAY).date(), working_days)


@dataclass(frozen=True, slots=True)
class Deadline:
    """One open item with its due day; `overdue_at(now)` says whether it is late at `now`."""

    conversation_id: str
    due: date

    def overdue_at(self, now: datetime) -> bool:
        """Late from the Norwegian day after `due`: the office has all of the due day."""
        require_aware(now, "'now'")
        return now.astimezone(NORWAY).date() > self.due
