"""The domain types check what they can on their own, and their enums agree with the code lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digidialog.codes import Leveringsmate, SvarDigitalDialog, Timetype
from digidialog.errors import ServiceError
from digidialog.services import (
    AppointmentType,
    Citizen,
    DeliveryMethod,
    GpSettings,
    Office,
    OfficeSettings,
    Practitioner,
    RenewalOutcome,
    RenewalResult,
    ReplyKind,
    ServiceName,
    Slot,
)


def test_enums_carry_code_list_values() -> None:
    assert {m.value for m in DeliveryMethod} == {c.value for c in Leveringsmate}
    assert {m.value for m in AppointmentType} == {c.value for c in Timetype}
    for kind in ReplyKind:
        assert SvarDigitalDialog(kind.value).value == kind.value  # raises for a code not in 7602
    for result in RenewalResult:
        assert result.reply_kind.value == result.value


@pytest.mark.parametrize(
    ("build", "rule"),
    [
        (lambda: Citizen("1311690021", "A", "B"), "SV102"),
        (lambda: Practitioner("12a", "A", "B"), "SV101"),
        (lambda: Office("1234567890", "Kontor"), "SV101"),
        (lambda: Slot("u", datetime(2027, 1, 1, 8), datetime(2027, 1, 1, 9)), "SV100"),
        (
            lambda: Slot(
                "u",
                datetime(2027, 1, 1, 9, tzinfo=UTC),
                datetime(2027, 1, 1, 9, tzinfo=UTC) - timedelta(minutes=1),
            ),
            "SV103",
        ),
        (lambda: RenewalOutcome(RenewalResult.NOT_RENEWED, "Nei", (b"<m1/>",)), "SV104"),
        (lambda: RenewalOutcome(RenewalResult.RENEWED, "Ja"), "SV105"),
        (lambda: RenewalOutcome(RenewalResult.PARTLY_RENEWED, "Delvis"), "SV105"),
    ],
)
def test_invalid_domain_objects(build: object, rule: str) -> None:
    with pytest.raises(ServiceError) as error:
        build()  # type: ignore[operator]
    assert error.value.rule == rule


def test_office_settings_per_gp() -> None:
    settings = OfficeSettings(
        default=GpSettings(services=frozenset({ServiceName.BOOKING})),
        per_gp={"369767": GpSettings()},
    )
    assert settings.offers("369767", ServiceName.E_CONSULTATION)
    assert not settings.offers("91095", ServiceName.E_CONSULTATION)
    assert settings.offers(None, ServiceName.BOOKING)
    with pytest.raises(TypeError):
        settings.per_gp["91095"] = GpSettings()  # type: ignore[index]


def test_citizen_and_office_helpers() -> None:
    gp = Practitioner("369767", "August", "September")
    office = Office("987654", "Nanset", practitioners=(gp,))
    assert office.practitioner("369767") is gp
    assert office.practitioner("1") is None
    assert Citizen("13116900216", "Line", "Danser", "Marie").full_name == "Line Marie Danser"
