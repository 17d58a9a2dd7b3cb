"""Rules on iCalendar/xCal appointments as digital dialog uses them (HITS 1217 §2.8)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from digidialog.codes import Timetype
from digidialog.validation.context import Context, element_text, indexed
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.xml import namespaces as ns

REQUIRED_EVENT_PROPERTIES = ("dtstart", "dtend", "uid", "contact")
"""What every vevent carries in digital dialog (§2.8)."""
STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})
FREQUENCIES = frozenset({"DAILY", "WEEKLY"})
MUST_CALL = "MustCall"
SERVICE_PREFIX = "tjenesteid:"
CATEGORIES = frozenset(str(t) for t in Timetype) | {MUST_CALL}

_VCALENDAR, _VEVENT, _PROPERTIES = indexed(
    *(ns.qname(ns.XCAL, local) for local in ("vcalendar", "vevent", "properties"))
)
_TEXT = ns.qname(ns.XCAL, "text")
_FREQ = ns.qname(ns.XCAL, "freq")

Properties = dict[str, list[etree._Element]]


def _properties(ctx: Context) -> dict[etree._Element, Properties]:
    """vcalendar or vevent -> its properties by local name, worked out once per message."""
    found: dict[etree._Element, Properties] | None = ctx.cache.get("xcal")
    if found is None:
        found = {}
        for props in ctx.all(_PROPERTIES):
            by_name: Properties = {}
            for prop in props.iterchildren(tag=etree.Element):
                by_name.setdefault(str(prop.tag).rpartition("}")[2], []).append(prop)
            owner = props.getparent()
            if owner is not None:
                found[owner] = by_name
        ctx.cache["xcal"] = found
    return found


def _events(ctx: Context) -> Iterator[tuple[etree._Element, Properties]]:
    events = ctx.all(_VEVENT)
    if events:
        properties = _properties(ctx)
        for event in events:
            yield event, properties.get(event, {})


def _value(props: Properties, name: str) -> etree._Element | None:
    """The value element (``text``, ``date-time`` …) of the first property ``name``."""
    found = props.get(name)
    return found[0][0] if found and len(found[0]) else None


def _text(ctx: Context, element: etree._Element | None) -> str:
    """The value of ``element``, '' for None (see `Context.plain`; not stripped)."""
    if element is None:
        return ""
    return (element.text if ctx.plain else element_text(element)) or ""


@rule(
    "DD080", Severity.ERROR, "a vcalendar names its product and xCal version 2.0", "HITS 1217 §2.8"
)
def calendar_header(ctx: Context) -> Iterator[Issue]:
    calendars = ctx.all(_VCALENDAR)
    properties = _properties(ctx) if calendars else {}
    for calendar in calendars:
        props = properties.get(calendar, {})
        version = _value(props, "version")
        if version is None or _text(ctx, version).strip() != "2.0":
            yield ctx.issue("DD080", calendar, "vcalendar must declare version 2.0")
        if "prodid" not in props:
            yield ctx.issue("DD080", calendar, "vcalendar must name the product (prodid)")


@rule("DD081", Severity.ERROR, "every vevent has dtstart, dtend, uid and contact", "HITS 1217 §2.8")
def event_properties(ctx: Context) -> Iterator[Issue]:
    for event, props in _events(ctx):
        missing = [name for name in REQUIRED_EVENT_PROPERTIES if name not in props]
        if missing:
            yield ctx.issue("DD081", event, "vevent lacks " + ", ".join(missing))


def _when(ctx: Context, element: etree._Element | None) -> datetime | None:
    text = _text(ctx, element)
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=None)


@rule("DD082", Severity.ERROR, "an appointment ends after it starts", "HITS 1217 §2.8; RFC 5545")
def event_order(ctx: Context) -> Iterator[Issue]:
    for _event, props in _events(ctx):
        end_element = _value(props, "dtend")
        start, end = _when(ctx, _value(props, "dtstart")), _when(ctx, end_element)
        if start is not None and end is not None and end < start:
            yield ctx.issue("DD082", end_element, f"dtend {end} is before dtstart {start}")


@rule(
    "DD083", Severity.ERROR, "contact holds the HER-id the appointment belongs to", "HITS 1217 §2.8"
)
def event_contact(ctx: Context) -> Iterator[Issue]:
    for _event, props in _events(ctx):
        contact = _value(props, "contact")
        value = _text(ctx, contact).strip()
        if contact is not None and not value.isdigit():
            yield ctx.issue("DD083", contact, f"contact {value!r} is not a HER-id")


@rule(
    "DD084",
    Severity.WARNING,
    "categories use the appointment types digital dialog knows",
    "HITS 1217 §2.8.2–2.8.6; code list 7617",
)
def event_categories(ctx: Context) -> Iterator[Issue]:
    for _event, props in _events(ctx):
        for categories in props.get("categories", ()):
            for element in categories.iterchildren(_TEXT):
                value = _text(ctx, element).strip()
                if value not in CATEGORIES and not value.casefold().startswith(SERVICE_PREFIX):
                    yield ctx.issue(
                        "DD084",
                        element,
                        f"category {value!r} is not an appointment type of code list 7617, "
                        f"{MUST_CALL!r} or 'TjenesteId:<id>'",
                    )


@rule(
    "DD085",
    Severity.ERROR,
    "status and recurrence use the supported values",
    "HITS 1217 §2.8.7, §2.8.8",
)
def event_status(ctx: Context) -> Iterator[Issue]:
    for _event, props in _events(ctx):
        status = _value(props, "status")
        shown = _text(ctx, status)
        if status is not None and shown.strip() not in STATUSES:
            yield ctx.issue(
                "DD085", status, f"status {shown!r} is not one of " + ", ".join(sorted(STATUSES))
            )
        for rrule in props.get("rrule", ()):
            for freq in rrule.iter(_FREQ):
                frequency = _text(ctx, freq)
                if frequency.strip() not in FREQUENCIES:
                    yield ctx.issue(
                        "DD085",
                        freq,
                        f"recurrence {frequency!r} is not supported; use DAILY or WEEKLY",
                    )
