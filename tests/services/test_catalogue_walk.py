"""Walk every row of HITS 1217 ch. 4.1 (the GP's requests and replies) both ways.

The pairs come from the catalogue in `digidialog.codes.processes`, not from a second list here:
for every request of the four services and every reply it allows, the request is built by its
sender, sent over the wire (XML bytes and back), received by the other side, answered with that
reply code, and the answer received in turn. Every message must be valid against the official
schema set and pass the business rules.

Not walked (not in the GP table of ch. 4.1): HBT (3.4.4, helse og omsorg), VUS (3.3.1 notice),
MOA (appointment push code for kommune), and the Avtaleavbestilling process (3.7, not in
production). RFER needs the M1 documents of the official examples (skipped without them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from digidialog.codes.processes import PROCESSES, Party, classify
from digidialog.services import (
    DeliveryMethod,
    GpOffice,
    Outgoing,
    RenewalOutcome,
    RenewalResult,
    Reply,
    ReplyKind,
    Slot,
    read,
)

from .conftest import CITIZEN, GP, GP2, wire

SERVICE_PROCESSES = (
    "DIALOG_INNBYGGER_RESEPTFORNYELSE",
    "DIALOG_INNBYGGER_EKONSULTASJON",
    "DIALOG_INNBYGGER_EKONTAKT",
    "DIALOG_INNBYGGER_TIMERESERVASJON",
    "DIALOG_INNBYGGER_TIMEONSKE",
    "DIALOG_INNBYGGER_AVTALEUTSENDING",
)
NOT_IN_GP_TABLE = {"HBT", "VUS", "MOA"}

START = datetime(2027, 4, 6, 8, 0, tzinfo=UTC)
SLOT = Slot(
    "f3330a88-308f-48ae-b39a-c25cde16154e", START, START + timedelta(minutes=15), practitioner=GP
)
APPOINTMENT = Slot(
    "4088e990-ad89-4cb3-9bb4-84909aaaaaaa",
    START,
    START + timedelta(minutes=20),
    location="Verkstedveien 1",
    practitioner=GP,
    appointment_id="651b1341-26ca-11e4-8c21-0800200c9a66",
)


def rows() -> list[tuple[str, str, str]]:
    found = []
    for msg_type in SERVICE_PROCESSES:
        for request in PROCESSES[msg_type].requests:
            if request.code in NOT_IN_GP_TABLE:
                continue
            if not request.replies:
                found.append((msg_type, request.code, ""))
            found.extend((msg_type, request.code, reply.code) for reply in request.replies)
    return found


def open_thread(office: GpOffice, msg_type: str, code: str, m1: tuple[bytes, ...]) -> Outgoing:
    """The request `code` of `msg_type`, built by whoever sends it."""
    gp = GP.her_id
    builders: dict[tuple[str, str], Callable[[], Outgoing]] = {
        ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RF"): lambda: office.renewal.request(
            CITIZEN, gp, "Ventoline\nMetformin 500 mg", DeliveryMethod.PHARMACY
        ),
        ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RFER"): lambda: office.renewal.request(
            CITIZEN, gp, "", DeliveryMethod.PICK_UP_AT_OFFICE, m1_documents=m1
        ),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "SB"): lambda: office.e_consultation.request(
            CITIZEN, gp, "Vorte under fot", "Hva bør jeg gjøre?"
        ),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "DI"): lambda: office.e_consultation.start(
            CITIZEN, gp, "Prøveresultat", "Svarene er klare."
        ),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "EKI"): lambda: office.e_consultation.start(
            CITIZEN, gp, "Prøveresultat", "Alt var normalt.", one_time=True
        ),
        ("DIALOG_INNBYGGER_EKONTAKT", "HE"): lambda: office.contact.request(
            CITIZEN, gp, "Attest", "Kan jeg få en attest til idrettslaget?"
        ),
        ("DIALOG_INNBYGGER_EKONTAKT", "DI"): lambda: office.contact.start(
            CITIZEN, gp, "Timen 2. juli", "Har du byttet fastlege?"
        ),
        ("DIALOG_INNBYGGER_EKONTAKT", "EKI"): lambda: office.contact.start(
            CITIZEN, gp, "Vaksine", "Vaksinen er kommet.", one_time=True
        ),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "HLT"): lambda: office.booking.fetch_free_slots(
            CITIZEN, gp, date(2027, 4, 5), date(2027, 4, 30)
        ),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "RT"): lambda: office.booking.reserve(
            CITIZEN, gp, SLOT, accepts_other_practitioner=True, text="Langvarig tørrhoste"
        ),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "ART"): lambda: office.booking.cancel_reserved(
            CITIZEN, gp, APPOINTMENT, reason="Blitt frisk"
        ),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OT"): lambda: office.booking.wish_time(
            CITIZEN, gp, "Helst en morgen neste uke", accepts_other_practitioner=True
        ),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OET"): lambda: office.booking.wish_change(
            CITIZEN, gp, APPOINTMENT, "Kan vi flytte til fredag?", accepts_other_practitioner=False
        ),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OAT"): lambda: office.booking.wish_cancel(
            CITIZEN, gp, APPOINTMENT, "Må avlyse"
        ),
    }
    if code in ("05", "07", "08", "11"):
        return office.booking.send_appointment(
            CITIZEN, gp, APPOINTMENT, ReplyKind(code), msg_type=msg_type
        )
    return builders[(msg_type, code)]()


def answer(
    office: GpOffice, msg_type: str, request: str, code: str, conv: str, m1: tuple[bytes, ...]
) -> Outgoing:
    """Reply `code` in conversation `conv`, by whoever sends that reply."""
    kind = ReplyKind(code)
    booking, ec, ct, rn = office.booking, office.e_consultation, office.contact, office.renewal
    dialogs = ec if msg_type == "DIALOG_INNBYGGER_EKONSULTASJON" else ct
    if request == "DI":  # the citizen answers the office (or helsenorge.no refuses)
        if kind is ReplyKind.DIALOG_CLOSED:
            return dialogs.close(conv, "Takk, da avslutter vi.")
        return dialogs.citizen_reply(conv, "Takk for beskjed.", kind=kind)
    if kind in (ReplyKind.REJECTED, ReplyKind.NO_ACCESS, ReplyKind.GENERAL_ERROR):
        return office.service_for(msg_type).refuse(conv, kind, "Kan ikke behandles.")  # type: ignore[union-attr]
    if msg_type == "DIALOG_INNBYGGER_RESEPTFORNYELSE":
        result = RenewalResult(code)
        docs = () if result is RenewalResult.NOT_RENEWED else m1
        return rn.answer(conv, RenewalOutcome(result, "Sendt som e-resept.", docs))
    if kind is ReplyKind.FREE_SLOTS:
        return booking.free_slots(conv, [SLOT])
    if kind is ReplyKind.NO_FREE_SLOTS:
        return booking.free_slots(conv, [])
    if kind is ReplyKind.BOOKED_WITH_OTHER_PRACTITIONER:
        other = Slot(SLOT.uid, SLOT.start, SLOT.end, practitioner=GP2)
        return booking.confirm(conv, other, other_practitioner=GP2, text="Legen er syk.")
    if kind in (ReplyKind.BOOKED, ReplyKind.CHANGED):
        return booking.confirm(conv, APPOINTMENT, text="Velkommen.")
    if kind is ReplyKind.CANCELLED:
        return booking.confirm(conv, text="Timen er avbestilt.")
    if kind in (ReplyKind.NOT_AVAILABLE, ReplyKind.NOT_CANCELLED, ReplyKind.NOT_CHANGED):
        return booking.reply(conv, Reply(kind, "Beklager."))
    if kind is ReplyKind.ANSWER:
        return ec.answer(conv, "Prøv grønnsåpebad i tre dager.")
    if kind is ReplyKind.DIALOG_CLOSED:
        return dialogs.close(conv, "Vi avslutter dialogen.")
    if kind is ReplyKind.OFFICE_ANSWER:
        return ct.answer(conv, "Vi ser på det.")
    return ct.reply(conv, Reply(kind, "Attesten ligger ved."))


@pytest.mark.parametrize(("msg_type", "request_code", "reply_code"), rows())
def test_row_both_ways(
    make_office: Callable[..., GpOffice],
    check: Callable[..., None],
    request: pytest.FixtureRequest,
    msg_type: str,
    request_code: str,
    reply_code: str,
) -> None:
    m1: tuple[bytes, ...] = ()
    if request_code == "RFER" or reply_code in ("14", "32"):
        m1 = request.getfixturevalue("m1_documents")
    office = make_office()
    opened = open_thread(office, msg_type, request_code, m1)
    check(opened.message)
    conversation = office.context.store.get(opened.conversation_id)
    citizen_started = conversation is None
    if citizen_started:  # the office receives the citizen's request
        received = office.receive(wire(opened.message))
        assert received.error is None, received.error
        assert received.incoming is not None
        assert received.refusal is None
        assert received.incoming.kind == request_code
        expects_receipt = request_code != "HLT"
        assert (received.receipt is not None) is expects_receipt
        if received.receipt is not None:
            check(received.receipt)
            assert received.receipt.is_ok
    if not reply_code:  # one-way: nothing may answer it
        assert office.context.store.get(opened.conversation_id).closed  # type: ignore[union-attr]
        return
    reply = answer(office, msg_type, request_code, reply_code, opened.conversation_id, m1)
    check(reply.message)
    received_reply = wire(reply.message)
    envelope = read(received_reply, office.context.office)
    assert (envelope.code, envelope.is_reply) == (reply_code, True)
    assert envelope.parent_id == opened.msg_id
    assert envelope.conversation_id == opened.conversation_id
    found = classify(msg_type, tema_kodet=reply_code)
    assert found is not None
    assert any(r.code == request_code for r in found.candidates)
    assert received_reply.msg_info.ack is not None
    assert received_reply.msg_info.ack.v == ("N" if request_code == "HLT" else "J")
    if not citizen_started:  # the office receives the citizen's answer
        back = office.receive(received_reply)
        if envelope.sender_party(office.context.office.her_id) is Party.INNBYGGER:
            assert back.incoming is not None, back.error
            assert back.receipt is not None
            assert back.receipt.is_ok


#: HITS 1217 ch. 4.1, the GP's table, written out here (not read from the catalogue) so that a
#: catalogue that loses or gains a row fails the walk: request -> the replies that are not general
#: refusals. "" marks a one-way message that takes no reply.
GP_TABLE: dict[tuple[str, str], set[str]] = {
    ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RF"): {"14", "15", "32"},
    ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RFER"): {"14", "15", "32"},
    ("DIALOG_INNBYGGER_EKONSULTASJON", "SB"): {"12", "13"},
    ("DIALOG_INNBYGGER_EKONSULTASJON", "DI"): {"22", "13"},
    ("DIALOG_INNBYGGER_EKONSULTASJON", "EKI"): {""},
    ("DIALOG_INNBYGGER_EKONTAKT", "HE"): {"19", "13", "17", "18"},
    ("DIALOG_INNBYGGER_EKONTAKT", "DI"): {"22", "13"},
    ("DIALOG_INNBYGGER_EKONTAKT", "EKI"): {""},
    ("DIALOG_INNBYGGER_TIMERESERVASJON", "HLT"): {"03", "04"},
    ("DIALOG_INNBYGGER_TIMERESERVASJON", "RT"): {"05", "06"},
    ("DIALOG_INNBYGGER_TIMERESERVASJON", "ART"): {"08", "09"},
    ("DIALOG_INNBYGGER_TIMEONSKE", "OT"): {"05", "10", "06"},
    ("DIALOG_INNBYGGER_TIMEONSKE", "OET"): {"07", "10", "06", "34"},
    ("DIALOG_INNBYGGER_TIMEONSKE", "OAT"): {"08", "09"},
    **{
        (process, push): {""}
        for process in ("DIALOG_INNBYGGER_TIMERESERVASJON", "DIALOG_INNBYGGER_AVTALEUTSENDING")
        for push in ("05", "07", "08", "11")
    },
}


def test_walk_covers_the_gp_table() -> None:
    """The walk is exactly the GP table of HITS 1217 ch. 4.1, and every two-way request may also
    be refused with 26 (§2.13)."""
    walked: dict[tuple[str, str], set[str]] = {}
    for msg_type, request_code, reply_code in rows():
        walked.setdefault((msg_type, request_code), set()).add(reply_code)
    refusals = {"26", "30", "31"}
    assert {key: replies - refusals for key, replies in walked.items()} == GP_TABLE
    for key, replies in walked.items():
        if replies != {""}:
            assert "26" in replies, key
