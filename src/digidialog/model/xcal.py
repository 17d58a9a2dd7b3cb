"""iCalendar in XML (xCal, ``urn:ietf:params:xml:ns:icalendar-2.0``) as digital dialog uses it.

xCal is generic: a component (vcalendar, vevent, …) has ``properties`` and ``components``; a
property (dtstart, uid, x-available-at, …) has optional ``parameters`` and typed values
(``text``, ``date-time``, ``recur`` …). The model mirrors that generic shape, so every property
and extension — including the digital-dialog ones (`X_AVAILABLE_AT`, `X_EXPECTED_DURATION`,
`X_CANCELLATION_REASON`, `X_REFERRAL_ID`) — round-trips in order; `CalComponent` adds typed
accessors for the properties the services use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from pydantic import Field

from digidialog.model.base import ANY, TAG, TEXT, XmlModel
from digidialog.xml.namespaces import XCAL

X_AVAILABLE_AT: Final = "x-available-at"
"""Fastlege extension: when a held appointment slot becomes bookable (date-time)."""
X_EXPECTED_DURATION: Final = "x-expected-duration"
"""Kommune extension: expected duration (duration)."""
X_CANCELLATION_REASON: Final = "x-cancellation-reason"
"""Kommune extension: why an appointment was cancelled (text, fixed values)."""
X_REFERRAL_ID: Final = "x-referral-id"
"""Spesialist extension: the referral the appointment belongs to (text)."""


class _Xcal(XmlModel):
    xml_names = "kebab"


class CalValue(_Xcal):
    """A typed value: ``<text>``, ``<date-time>``, ``<uri>``, ``<cal-address>``, ``<duration>`` …;
    structured values (``<recur>``, ``<period>``, ``<until>``) keep their parts in order."""

    name: Annotated[str, TAG]
    value: Annotated[str | None, TEXT] = None
    parts: Annotated[list[CalValue], ANY] = []


class CalParameter(_Xcal):
    """A property parameter such as ``cn``, ``role`` or ``partstat`` with its values."""

    name: Annotated[str, TAG]
    values: Annotated[list[CalValue], ANY] = []


class CalParameters(_Xcal):
    """The ``<parameters>`` of a property."""

    parameters: Annotated[list[CalParameter], ANY] = []


class CalProperty(_Xcal):
    """One property: its name, optional parameters and its values."""

    name: Annotated[str, TAG]
    parameters: CalParameters | None = None
    values: Annotated[list[CalValue], ANY] = []

    @classmethod
    def of(cls, name: str, value: str | datetime | date, kind: str | None = None) -> CalProperty:
        """A single-value property; ``kind`` defaults to date-time, date or text by type."""
        if isinstance(value, datetime):
            return cls(name=name, values=[CalValue(name=kind or "date-time", value=_dt(value))])
        if isinstance(value, date):
            return cls(name=name, values=[CalValue(name=kind or "date", value=value.isoformat())])
        return cls(name=name, values=[CalValue(name=kind or "text", value=value)])

    @property
    def value(self) -> str | None:
        """The first value's text (``None`` for a structured or missing value)."""
        return self.values[0].value if self.values else None

    def parameter(self, name: str) -> str | None:
        """The first value of parameter ``name`` (e.g. ``cn``), if present."""
        if self.parameters is None:
            return None
        for parameter in self.parameters.parameters:
            if parameter.name == name and parameter.values:
                return parameter.values[0].value
        return None


def _dt(value: datetime) -> str:
    # xCal date-time: no offset, 'Z' for UTC (pattern in the schema allows only an optional Z).
    if value.tzinfo is not None and value.utcoffset() is not None:
        from datetime import UTC

        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value.isoformat(timespec="seconds")


class CalProperties(_Xcal):
    """The ``<properties>`` of a component, in document order."""

    properties: Annotated[list[CalProperty], ANY] = []


class CalComponents(_Xcal):
    """The ``<components>`` of a component (present but empty is kept apart from absent)."""

    components: Annotated[list[CalComponent], ANY] = []


class CalComponent(_Xcal):
    """A component (``vevent``, ``valarm`` …) with its properties and sub-components."""

    name: Annotated[str, TAG] = "vevent"
    properties: CalProperties | None = None
    components: CalComponents | None = None

    def get(self, name: str) -> CalProperty | None:
        """The first property called ``name``."""
        for prop in self.properties.properties if self.properties else ():
            if prop.name == name:
                return prop
        return None

    def all(self, name: str) -> list[CalProperty]:
        """Every property called ``name`` (e.g. all ``exdate``)."""
        return [
            p for p in (self.properties.properties if self.properties else ()) if p.name == name
        ]

    def text(self, name: str) -> str | None:
        """The first value of property ``name`` as written."""
        prop = self.get(name)
        return None if prop is None else prop.value

    @property
    def uid(self) -> str | None:
        """The event's ``uid``: the appointment id replies and cancellations refer to."""
        return self.text("uid")

    @property
    def dtstart(self) -> str | None:
        """``dtstart`` as written (local time or UTC ``Z``, no offset in digital dialog)."""
        return self.text("dtstart")

    @property
    def dtend(self) -> str | None:
        """``dtend`` as written."""
        return self.text("dtend")

    @property
    def status(self) -> str | None:
        """``status`` (e.g. ``CONFIRMED``, ``CANCELLED``) as written."""
        return self.text("status")

    @property
    def subcomponents(self) -> list[CalComponent]:
        """Nested components (e.g. a ``valarm`` inside a ``vevent``), in order."""
        return self.components.components if self.components else []


class Vcalendar(_Xcal):
    """``<vcalendar>``: calendar properties (version, prodid) and its events."""

    properties: CalProperties | None = None
    components: CalComponents = Field(default_factory=CalComponents)

    @property
    def events(self) -> list[CalComponent]:
        """The ``vevent`` components of this calendar, in order."""
        return [c for c in self.components.components if c.name == "vevent"]


class Icalendar(_Xcal):
    """The xCal document root ``<icalendar>``."""

    xml_ns = XCAL
    xml_tag = "icalendar"

    vcalendar: list[Vcalendar] = []

    @property
    def events(self) -> list[CalComponent]:
        """Every vevent in every vcalendar, in order."""
        return [event for calendar in self.vcalendar for event in calendar.events]

    @classmethod
    def of(cls, *events: CalComponent, prodid: str = "digidialog") -> Icalendar:
        """A calendar (VERSION 2.0) holding ``events``."""
        return cls(
            vcalendar=[
                Vcalendar(
                    properties=CalProperties(
                        properties=[
                            CalProperty.of("version", "2.0"),
                            CalProperty.of("prodid", prodid),
                        ]
                    ),
                    components=CalComponents(components=list(events)),
                )
            ]
        )
