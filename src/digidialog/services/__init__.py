"""The four GP services on helsenorge.no.

Booking, prescription renewal, e-consultation and contact-the-office, as one uniform API.
"""

from digidialog.services.types import (
    Appointment,
    AppointmentType,
    Attachment,
    BookingMode,
    Citizen,
    ClinicalFlag,
    DeliveryMethod,
    GpSettings,
    InboxItem,
    Office,
    OfficeSettings,
    Practitioner,
    RenewalOutcome,
    RenewalRequest,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)

__all__ = [
    "Appointment",
    "AppointmentType",
    "Attachment",
    "BookingMode",
    "Citizen",
    "ClinicalFlag",
    "DeliveryMethod",
    "GpSettings",
    "InboxItem",
    "Office",
    "OfficeSettings",
    "Practitioner",
    "RenewalOutcome",
    "RenewalRequest",
    "RenewalResult",
    "Reply",
    "ReplyKind",
    "ServiceName",
    "Slot",
    "TimeWish",
]
