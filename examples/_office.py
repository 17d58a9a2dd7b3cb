"""The invented office the example scripts share (not a real office; HER-ids are made up)."""

from __future__ import annotations

import digidialog
from digidialog.model import AppRec, Message, MsgHead
from digidialog.services import (
    Citizen,
    GpOffice,
    Office,
    Practitioner,
    RecordingNotifier,
    ServiceContext,
)

GP = Practitioner("4200011", "Sigrun", "Aasheim", specialist_general_practice=True)
LOCUM = Practitioner("4200013", "Jonas", "Berg")
OFFICE = Office(
    "4200010",
    "Fjordbyen legesenter",
    org_number="925143871",
    practitioners=(GP, LOCUM),
    front_desk_her_id="4200012",
)
INGRID = Citizen("13116900216", "Ingrid", "Solberg", mobile="+4791234567")


def make_office() -> tuple[GpOffice, RecordingNotifier]:
    """The office with a notifier that keeps the SMS it would send, so the script can show them."""
    sms = RecordingNotifier()
    return GpOffice(ServiceContext(OFFICE, notifier=sms)), sms


def over_the_wire(message: MsgHead) -> MsgHead:
    """What the other side receives: the XML bytes, parsed again."""
    parsed = digidialog.parse(message.to_xml())
    assert isinstance(parsed, MsgHead)
    return parsed


def show(label: str, message: Message) -> None:
    """One line per message: what it is and whether it passes schema and business rules."""
    report = digidialog.validate(message.to_xml())
    verdict = "valid" if report.valid else f"INVALID {[i.rule for i in report.errors]}"
    if isinstance(message, MsgHead):
        dialog = message.dialogmelding
        code = ""
        if dialog is not None and dialog.foresporsel:
            code = dialog.foresporsel[0].type_foresp.v or ""
        elif dialog is not None and dialog.notat:
            code = dialog.notat[0].tema_kodet.v or ""
        print(f"{label:<34} {message.msg_type} {code:<4} {verdict}")
    elif isinstance(message, AppRec):
        print(f"{label:<34} AppRec status {message.status.v} {verdict}")
