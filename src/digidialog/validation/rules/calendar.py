"""Rules on iCalendar/xCal appointments as digital dialog uses them (HITS 1217 §2.8)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from digidialog.codes import Timetype
from digidialog.validation.context import Context
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.validation.rules._xpath import elements, first, xp
from digidialog.xml import namespaces as ns

_VCALENDAR = xp("descendant-or-self::x:vcalendar")
_VEVENTS = xp("x:components/x:vevent")
_CAL_VERSION = xp("x:properties/x:version/x:text")
_CAL_PRODID = xp("x:properties/x:prodid")
_PROPS = xp("x:properties")
_START = xp("x:properties/x:dtstart/*")
_END = xp("x:properties/x:dtend/*")
_CONTACT = xp("x:properties/x:contact/x:text")
_CATEGORIES = xp("x:properties/x:categories/x:text")
_STATUS = xp("x:properties/x:status/x:text")
_FREQ = xp("x:properties/x:rrule/x:recur/x:freq")

REQUIRED_EVENT_PROPERTIES = ("dtstart", "dtend", "uid", "contact")
"""What every vevent carries in digital dialog (§2.8)."""
STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})
FREQUENCIES = frozenset({"DAILY", "WEEKLY"})
MUST_CALL = "MustCall"
SERVICE_PREFIX = "tjenesteid:"
CATEGORIES = frozenset(str(t) for t in Timetype) | {MUST_CALL}


def _calendars(ctx: Context) -> Iterator[etree._Element]:
    for content in ctx.contents:
        if etree.QName(content).namespace == ns.XCAL:
            yield from elements(_VCALENDAR, content)


def _events(ctx: Context) -> Iterator[etree._Element]:
    for calendar in _calendars(ctx):
        yield from elements(_VEVENTS, calendar)


@rule("DD080", Severity.ERROR, "a vcalendar names its product and xCal version 2.0",
      "HITS 1217 §2.8")
def calendar_header(ctx: Context) -> Iterator[Issue]:
    for calendar in _calendars(ctx):
        version = first(_CAL_VERSION, calendar)
        if version is None or (version.text or "").strip() != "2.0":
            yield ctx.issue("DD080", calendar, "vcalendar must declare version 2.0")
        if first(_CAL_PRODID, calendar) is None:
            yield ctx.issue("DD080", calendar, "vcalendar must name the product (prodid)")


@rule("DD081", Severity.ERROR, "every vevent has dtstart, dtend, uid and contact", "HITS 1217 §2.8")
def event_properties(ctx: Context) -> Iterator[Issue]:
    for event in _events(ctx):
        props = first(_PROPS, event)
        present = {etree.QName(p).localname for p in props} if props is not None else set()
        missing = [name for name in REQUIRED_EVENT_PROPERTIES if name not in present]
        if missing:
            yield ctx.issue("DD081", event, "vevent lacks " + ", ".join(missing))


def _when(element: etree._Element | None) -> datetime | None:
    if element is None or not element.text:
        return None
    try:
        value = datetime.fromisoformat(element.text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=None)


@rule("DD082", Severity.ERROR, "an appointment ends after it starts", "HITS 1217 §2.8; RFC 5545")
def event_order(ctx: Context) -> Iterator[Issue]:
    for event in _events(ctx):
        start, end = _when(first(_START, event)), _when(first(_END, event))
        if start is not None and end is not None and end < start:
            yield ctx.issue("DD082", first(_END, event), f"dtend {end} is before dtstart {start}")


@rule("DD083", Severity.ERROR, "contact holds the HER-id the appointment belongs to",
      "HITS 1217 §2.8")
def event_contact(ctx: Context) -> Iterator[Issue]:
    for event in _events(ctx):
        contact = first(_CONTACT, event)
        value = (contact.text or "").strip() if contact is not None else ""
        if contact is not None and not value.isdigit():
            yield ctx.issue("DD083", contact, f"contact {value!r} is not a HER-id")


@rule("DD084", Severity.WARNING, "categories use the appointment types digital dialog knows",
      "HITS 1217 §2.8.2–2.8.6; code list 7617")
def event_categories(ctx: Context) -> Iterator[Issue]:
    for event in _events(ctx):
        values = [(c, (c.text or "").strip()) for c in elements(_CATEGORIES, event)]
        for element, value in values:
            if value not in CATEGORIES and not value.casefold().startswith(SERVICE_PREFIX):
                yield ctx.issue(
                    "DD084",
                    element,
                    f"category {value!r} is not an appointment type of code list 7617, "
                    f"{MUST_CALL!r} or 'TjenesteId:<id>'",
                )


@rule("DD085", Severity.ERROR, "status and recurrence use the supported values",
      "HITS 1217 §2.8.7, §2.8.8")
def event_status(ctx: Context) -> Iterator[Issue]:
    for event in _events(ctx):
        status = first(_STATUS, event)
        if status is not None and (status.text or "").strip() not in STATUSES:
            yield ctx.issue(
                "DD085", status, f"status {status.text!r} is not one of " + ", ".join(sorted(STATUSES))
            )
        for freq in elements(_FREQ, event):
            if (freq.text or "").strip() not in FREQUENCIES:
                yield ctx.issue(
                    "DD085", freq, f"recurrence {freq.text!r} is not supported; use DAILY or WEEKLY"
                )
