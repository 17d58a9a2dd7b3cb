"""Prescription renewal: a free-text request with delivery method, the journal's assignee, and
the answers "cannot be renewed" and "renewed" (with the journal's M1, passed through untouched).
Run: python examples/renewal.py"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

import digidialog
from _office import GP, INGRID, make_office, over_the_wire, show
from digidialog.model import MsgHead, RawXml
from digidialog.services import DeliveryMethod, RenewalOutcome, RenewalResult

office, _ = make_office()

asked = office.renewal.request(
    INGRID, GP.her_id, "Ventoline inhalator\nMetformin 500 mg", DeliveryMethod.PHARMACY
)
show("citizen asks for renewal (RF)", asked.message)
received = office.receive(over_the_wire(asked.message))
assert received.incoming is not None
assert received.incoming.renewal is not None
request = received.incoming.renewal.assigned_to(
    "sykepleier Olsen"
)  # the office decides who prepares it
print(
    "  medicines:",
    request.prescriptions,
    "delivery:",
    request.delivery.name,
    "assignee:",
    request.assignee,
)

# an M1 from the journal's e-prescription module; here taken from the project's example message
example = Path(__file__).parent / "reseptfornyelse" / "rf-svar-14-resept-fornyet.xml"
parsed = digidialog.parse(example.read_bytes())
assert isinstance(parsed, MsgHead)
m1 = tuple(etree.tostring(item.element) for item in parsed.items_of(RawXml))

renewed = office.renewal.answer(
    request.conversation_id,
    RenewalOutcome(RenewalResult.RENEWED, "Resepten er sendt til apoteket.", m1),
)
show(f"office renews ({len(m1)} M1) (14)", renewed.message)

second = office.renewal.request(INGRID, GP.her_id, "Sobril", DeliveryMethod.PICK_UP_AT_OFFICE)
other = office.receive(over_the_wire(second.message)).incoming
assert other is not None
show(
    "office declines (15)",
    office.renewal.answer(
        other.conversation.id,
        RenewalOutcome(RenewalResult.NOT_RENEWED, "Dette må vi snakke om på en konsultasjon."),
    ).message,
)
