"""Booking: free slots, a reservation (and the SMS it owes), a wish for another GP, an appointment
push, and a GP who takes only free-text wishes. Run: python examples/booking.py"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from _office import GP, INGRID, LOCUM, OFFICE, make_office, over_the_wire, show
from digidialog.services import (
    AppointmentType,
    BookingMode,
    GpOffice,
    GpSettings,
    OfficeSettings,
    ServiceContext,
    Slot,
)

OSLO = ZoneInfo("Europe/Oslo")
office, sms = make_office()
start = datetime(2027, 4, 6, 9, 45, tzinfo=OSLO)
free = [
    Slot(
        "f3330a88-308f-48ae-b39a-c25cde16154e",
        start,
        start + timedelta(minutes=15),
        practitioner=GP,
    ),
    Slot(
        "1bbc3125-591c-440d-b366-dde3fac262a1",
        start + timedelta(days=1),
        start + timedelta(days=1, minutes=15),
        type=AppointmentType.VIDEO,
        practitioner=GP,
    ),
]

hlt = office.booking.fetch_free_slots(INGRID, GP.her_id, date(2027, 4, 5), date(2027, 4, 30))
show("citizen asks for free slots (HLT)", hlt.message)
incoming = office.receive(over_the_wire(hlt.message)).incoming
assert incoming is not None
show(
    "office lists them (03, no AppRec)",
    office.booking.free_slots(incoming.conversation.id, free).message,
)

rt = office.booking.reserve(INGRID, GP.her_id, free[0], accepts_other_practitioner=True)
show("citizen reserves one (RT)", rt.message)
reservation = office.receive(over_the_wire(rt.message)).incoming
assert reservation is not None
assert reservation.slot is not None
confirmed = office.booking.confirm(reservation.conversation.id, reservation.slot, citizen=INGRID)
show("office confirms (05)", confirmed.message)
# Building sends no SMS: the pipeline sends the one owed once the transport accepted the 05.
print("  SMS owed once sent:", confirmed.sms is not None)
assert confirmed.sms is not None
confirmed.sms.send(sms)  # what the pipeline does after a successful send
print("  SMS text:", sms.sent[0].text)

wish = office.booking.wish_time(
    INGRID, GP.her_id, "Helst en morgen", accepts_other_practitioner=True
)
wished = office.receive(over_the_wire(wish.message)).incoming
assert wished is not None
other = Slot(
    "9c1d7a52-3e0f-4b5e-9c55-5f1d8f2d9a10", start, start + timedelta(minutes=20), practitioner=LOCUM
)
show(
    "booked with the locum (10)",
    office.booking.confirm(wished.conversation.id, other, other_practitioner=LOCUM).message,
)

show(
    "appointment made by phone (05)",
    office.booking.send_appointment(INGRID, GP.her_id, other).message,
)

wishes_only = GpOffice(
    ServiceContext(
        OFFICE,
        settings=OfficeSettings(
            per_gp={GP.her_id: GpSettings(booking_mode=BookingMode.WISHES_ONLY)}
        ),
    )
)
refused = wishes_only.receive(
    over_the_wire(
        wishes_only.booking.reserve(
            INGRID, GP.her_id, free[0], accepts_other_practitioner=False
        ).message
    )
)
assert refused.incoming is not None
assert refused.incoming.response is not None
show("wishes-only GP refuses RT (26)", refused.incoming.response.message)
