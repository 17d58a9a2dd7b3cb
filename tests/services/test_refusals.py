"""Every refusal path: office settings, booking modes, bad codes, closed and unknown threads,
out-of-range periods, inactive citizens — each with the rule ID it names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from digidialog.codes.processes import Party
from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services import (
    BookingMode,
    DeliveryMethod,
    GpOffice,
    GpSettings,
    OfficeSettings,
    RenewalOutcome,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceContext,
    ServiceName,
    Slot,
    read,
)

from .conftest import CITIZEN, GP, GP2, wire

SLOT_START = datetime(2027, 4, 6, 8, 0, tzinfo=UTC)
SLOT = Slot("a1b2c3d4-0000-4000-8000-000000000001", SLOT_START, SLOT_START + timedelta(minutes=15))


def _code(message: MsgHead) -> str:
    dialog = message.dialogmelding
    assert dialog is not None
    return dialog.notat[0].tema_kodet.v or ""


def _text(message: MsgHead) -> str:
    return read(wire(message)).text


@pytest.mark.parametrize("service", list(ServiceName))
def test_switched_off_service_is_refused_not_dropped(
    make_office: Callable[..., GpOffice], check: Callable[..., None], service: ServiceName
) -> None:
    others = frozenset(ServiceName) - {service}
    office = make_office(OfficeSettings(per_gp={GP.her_id: GpSettings(services=others)}))
    requests = {
        ServiceName.BOOKING: lambda: office.booking.wish_time(
            CITIZEN, GP.her_id, "En time", accepts_other_practitioner=True
        ),
        ServiceName.PRESCRIPTION_RENEWAL: lambda: office.renewal.request(
            CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY
        ),
        ServiceName.E_CONSULTATION: lambda: office.e_consultation.request(
            CITIZEN, GP.her_id, "Hoste", "Hoste"
        ),
        ServiceName.CONTACT_OFFICE: lambda: office.contact.request(
            CITIZEN, GP.her_id, "Adresse", "Ny adresse"
        ),
    }
    sent = requests[service]()
    received = office.receive(wire(sent.message))
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.incoming is not None
    response = received.incoming.response
    assert response is not None
    check(response.message)
    assert _code(response.message) == "26"
    assert "tilbyr ikke denne tjenesten" in _text(response.message)
    assert response.message.ref_to_parent == sent.msg_id
    assert received.incoming.conversation.closed is False  # the stored state before the refusal
    assert office.context.store.get(sent.msg_id).closed  # type: ignore[union-attr]

    # the other GP still offers it
    other = office.e_consultation.request(CITIZEN, GP2.her_id, "Hoste", "Hoste")
    result = office.receive(wire(other.message))
    assert result.incoming is not None
    assert result.incoming.response is None


def test_wishes_only_gp_gets_no_slots_and_rt_refused(
    make_office: Callable[..., GpOffice], check: Callable[..., None]
) -> None:
    office = make_office(
        OfficeSettings(per_gp={GP.her_id: GpSettings(booking_mode=BookingMode.WISHES_ONLY)})
    )
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 20))
    received = office.receive(wire(hlt.message))
    assert received.receipt is None  # synchronous: no AppRec
    assert received.incoming is not None
    assert received.incoming.response is not None
    no_slots = received.incoming.response.message
    check(no_slots)
    assert _code(no_slots) == "04"
    assert no_slots.msg_info.ack is not None
    assert no_slots.msg_info.ack.v == "N"

    rt = office.booking.reserve(CITIZEN, GP.her_id, SLOT, accepts_other_practitioner=False)
    refused = office.receive(wire(rt.message))
    assert refused.incoming is not None
    assert refused.incoming.response is not None
    check(refused.incoming.response.message)
    assert _code(refused.incoming.response.message) == "26"
    assert "timeønske" in _text(refused.incoming.response.message)  # tells what to do instead

    wish = office.booking.wish_time(CITIZEN, GP.her_id, "En time", accepts_other_practitioner=True)
    accepted = office.receive(wire(wish.message))
    assert accepted.incoming is not None
    assert accepted.incoming.response is None
    assert accepted.incoming.wish is not None
    assert accepted.incoming.wish.accepts_other_practitioner

    # the other GP takes slot bookings: HLT is left to the journal
    hlt2 = office.booking.fetch_free_slots(CITIZEN, GP2.her_id, date(2027, 4, 5), date(2027, 4, 20))
    open_hlt = office.receive(wire(hlt2.message))
    assert open_hlt.incoming is not None
    assert open_hlt.incoming.response is None
    assert open_hlt.incoming.period == (date(2027, 4, 5), date(2027, 4, 20))


@pytest.mark.parametrize(("days", "ok"), [(28, True), (29, False), (-1, False)])
def test_hlt_period_is_at_most_four_weeks(office: GpOffice, days: int, ok: bool) -> None:
    start = date(2027, 4, 5)
    if ok:
        office.booking.fetch_free_slots(CITIZEN, GP.her_id, start, start + timedelta(days=days))
        return
    with pytest.raises(ServiceError) as error:
        office.booking.fetch_free_slots(CITIZEN, GP.her_id, start, start + timedelta(days=days))
    assert error.value.rule == "SV007"


def test_received_hlt_over_four_weeks_is_refused_after_handling(office: GpOffice) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 5, 3))
    dialog = hlt.message.dialogmelding
    assert dialog is not None
    dialog.foresporsel[0].til_dato = "2027-05-20"  # as a faulty sender would write it
    received = office.receive(wire(hlt.message))
    assert received.error is not None
    assert received.error.rule == "SV007"
    assert received.receipt is None  # synchronous
    assert received.refusal is not None
    assert _code(received.refusal.message) == "26"


def test_reply_code_that_does_not_fit_is_refused(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as wrong:
        office.e_consultation.reply(asked.msg_id, Reply(ReplyKind.RENEWED, "Fornyet"))
    assert wrong.value.rule == "SV002"
    with pytest.raises(ServiceError) as citizen_code:
        office.e_consultation.reply(asked.msg_id, Reply(ReplyKind.CITIZEN_ANSWER, "Fra meg"))
    assert citizen_code.value.rule == "SV002"  # 22 does not answer SB


def test_office_cannot_send_the_citizens_reply(office: GpOffice) -> None:
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Svarene er klare")
    with pytest.raises(ServiceError) as error:
        office.e_consultation.reply(started.conversation_id, Reply(ReplyKind.CITIZEN_ANSWER, "x"))
    assert error.value.rule == "SV003"


def test_reply_to_closed_dialog_is_refused(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    office.e_consultation.answer(asked.msg_id, "Drikk vann.")
    office.e_consultation.answer(asked.msg_id, "Og hvil.")  # a thread takes several answers
    office.e_consultation.close(asked.msg_id, "Avsluttet.")
    with pytest.raises(ServiceError) as error:
        office.e_consultation.answer(asked.msg_id, "Glemte noe.")
    assert error.value.rule == "SV004"


@pytest.mark.parametrize("kind", [ReplyKind.REJECTED, ReplyKind.NO_ACCESS, ReplyKind.GENERAL_ERROR])
def test_refusal_closes_the_thread(office: GpOffice, kind: ReplyKind) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    office.receive(wire(asked.message))
    refusal = office.contact.refuse(asked.msg_id, kind, "Nei.")
    assert _code(refusal.message) == kind.value
    with pytest.raises(ServiceError) as error:
        office.contact.answer(asked.msg_id, "Likevel.")
    assert error.value.rule == "SV004"


def test_refusal_code_not_allowed_for_request(office: GpOffice) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    office.receive(wire(hlt.message))
    with pytest.raises(ServiceError) as error:
        office.booking.refuse(hlt.msg_id, ReplyKind.GENERAL_ERROR)  # HLT allows 26 and 30 only
    assert error.value.rule == "SV002"
    with pytest.raises(ServiceError) as not_refusal:
        office.booking.refuse(hlt.msg_id, ReplyKind.BOOKED)
    assert not_refusal.value.rule == "SV002"


def test_one_time_contact_takes_no_reply(office: GpOffice) -> None:
    started = office.contact.start(CITIZEN, GP.her_id, "Vaksine", "Kommet", one_time=True)
    with pytest.raises(ServiceError) as error:
        office.contact.citizen_reply(started.conversation_id, "Takk")
    assert error.value.rule == "SV011"


def test_reply_to_unknown_conversation(office: GpOffice, check: Callable[..., None]) -> None:
    with pytest.raises(ServiceError) as built:
        office.e_consultation.answer("7e83d513-eafb-45bd-9fb2-2fa3e73c6e74", "Svar")
    assert built.value.rule == "SV005"

    other = make_other_office_reply(office)
    received = office.receive(wire(other))
    assert received.error is not None
    assert received.error.rule == "SV005"
    assert received.receipt is not None
    assert received.receipt.is_ok
    # Receipted OK but not taken: a 26 tells the citizen (HITS 1217 §2.13), in their thread,
    # though this office keeps no conversation for it.
    assert received.refusal is not None
    refusal = received.refusal.message
    assert _code(refusal) == "26"
    assert refusal.ref_to_parent == other.msg_id
    assert refusal.ref_to_conversation == other.ref_to_conversation
    assert office.context.store.by_message(refusal.msg_id) is None
    check(refusal)


def make_other_office_reply(office: GpOffice) -> MsgHead:
    """A citizen's 22 in a thread this office never saw (started by a twin office)."""
    twin = GpOffice(ServiceContext(office.context.office))
    started = twin.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Klare")
    return twin.e_consultation.citizen_reply(started.conversation_id, "Takk").message


def test_reply_with_foreign_parent(office: GpOffice) -> None:
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Klare")
    conversation = office.context.store.get(started.conversation_id)
    assert conversation is not None
    with pytest.raises(ServiceError) as error:
        conversation.parent_for(Party.HELSEPERSONELL, "00000000-0000-4000-8000-999999999999")
    assert error.value.rule == "SV006"


def test_request_code_that_does_not_fit_the_process(
    office: GpOffice, check: Callable[..., None]
) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    dialog = asked.message.dialogmelding
    assert dialog is not None
    dialog.foresporsel[0].type_foresp.v = "RF"  # a renewal code in an e-consultation
    with pytest.raises(ServiceError) as error:
        office.e_consultation.handle(wire(asked.message))
    assert error.value.rule == "SV001"
    received = office.receive(wire(asked.message.model_copy(deep=True)))
    assert received.error is not None
    assert received.error.rule == "SV001"
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.refusal is not None  # answered with 26 although no thread could open
    check(received.refusal.message)
    assert _code(received.refusal.message) == "26"
    assert received.refusal.message.ref_to_parent == asked.msg_id


def test_message_for_another_service(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    with pytest.raises(ServiceError) as error:
        office.contact.handle(wire(asked.message))
    assert error.value.rule == "SV013"


def test_renewal_without_delivery_method_is_refused_with_26(office: GpOffice) -> None:
    asked = office.renewal.request(CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY)
    dialog = asked.message.dialogmelding
    assert dialog is not None
    dialog.foresporsel[0].kodet_opplysning = None
    received = office.receive(wire(asked.message))
    assert received.error is not None
    assert received.error.rule == "SV012"
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.refusal is not None
    assert _code(received.refusal.message) == "26"


def test_unknown_gp(office: GpOffice) -> None:
    with pytest.raises(ServiceError) as error:
        office.e_consultation.request(CITIZEN, "1234567", "Hoste", "Hoste")
    assert error.value.rule == "SV017"


def test_booking_reply_without_appointment(office: GpOffice) -> None:
    rt = office.booking.reserve(CITIZEN, GP.her_id, SLOT, accepts_other_practitioner=True)
    office.receive(wire(rt.message))
    with pytest.raises(ServiceError) as error:
        office.booking.confirm(rt.msg_id)
    assert error.value.rule == "SV012"


def test_decline_maps_to_the_request(office: GpOffice) -> None:
    appointment = Slot(
        SLOT.uid, SLOT.start, SLOT.end, appointment_id="651b1341-26ca-11e4-8c21-0800200c9a66"
    )
    cases = [
        (office.booking.reserve(CITIZEN, GP.her_id, SLOT, accepts_other_practitioner=True), "06"),
        (office.booking.cancel_reserved(CITIZEN, GP.her_id, appointment), "09"),
        (
            office.booking.wish_time(CITIZEN, GP.her_id, "Time", accepts_other_practitioner=False),
            "06",
        ),
        (
            office.booking.wish_change(
                CITIZEN, GP.her_id, appointment, "Flytt", accepts_other_practitioner=False
            ),
            "34",
        ),
        (office.booking.wish_cancel(CITIZEN, GP.her_id, appointment), "09"),
    ]
    for sent, expected in cases:
        office.receive(wire(sent.message))
        assert _code(office.booking.decline(sent.msg_id, text="Nei").message) == expected


def test_builder_for_another_services_conversation(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as error:
        office.contact.answer(asked.msg_id, "Svar fra feil tjeneste")
    assert error.value.rule == "SV013"


@pytest.mark.parametrize(
    ("call", "rule"),
    [
        (lambda o, c: o.e_consultation.refuse(c, "12"), "SV002"),
        (lambda o, c: o.e_consultation.refuse(c, 26), "SV002"),
        (lambda o, c: o.booking.send_appointment(CITIZEN, GP.her_id, SLOT, "12"), "SV001"),
        (lambda o, c: o.renewal.request(CITIZEN, GP.her_id, "Ventoline", "XX"), "SV012"),
        (
            lambda o, c: o.renewal.request(
                CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY, m1_documents=[b"nei"]
            ),
            "SV015",
        ),
        (lambda o, c: o.e_consultation.answer(c, "Svar", parent_id="ukjent"), "SV006"),
    ],
)
def test_bad_arguments_name_their_rule(
    office: GpOffice, call: Callable[[GpOffice, str], object], rule: str
) -> None:
    """Codes given as plain strings or numbers, and bytes that are not XML, are checked like the
    enums: a `ServiceError` with the rule, never an AttributeError or a parser traceback."""
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as error:
        call(office, asked.msg_id)
    assert error.value.rule == rule


def test_codes_as_strings_work_like_the_enums(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    assert _code(office.e_consultation.refuse(asked.msg_id, "30").message) == "30"
    pushed = office.booking.send_appointment(CITIZEN, GP.her_id, SLOT, "07")
    assert read(pushed.message).code == "07"
    assert pushed.sms is not None  # 07 gives a time, also when named by its code


@pytest.mark.parametrize("field", ["fra_dato", "til_dato"])
def test_unreadable_date_is_named_not_a_traceback(office: GpOffice, field: str) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    dialog = hlt.message.dialogmelding
    assert dialog is not None
    setattr(dialog.foresporsel[0], field, "neste uke")
    received = office.receive(wire(hlt.message))
    assert received.error is not None
    assert received.error.rule == "SV023"
    assert received.incoming is None


def test_booking_and_renewal_threads_close_with_their_answer(
    office: GpOffice, m1_documents: tuple[bytes, ...]
) -> None:
    """One question, one answer: a second answer in a booking or renewal thread is SV004 (unlike
    e-consultation and contact threads, which stay open through answers)."""
    rt = office.booking.reserve(CITIZEN, GP.her_id, SLOT, accepts_other_practitioner=True)
    office.receive(wire(rt.message))
    office.booking.confirm(rt.msg_id, SLOT)
    with pytest.raises(ServiceError) as booked_twice:
        office.booking.decline(rt.msg_id)
    assert booked_twice.value.rule == "SV004"

    asked = office.renewal.request(CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY)
    office.receive(wire(asked.message))
    office.renewal.answer(asked.msg_id, RenewalOutcome(RenewalResult.NOT_RENEWED, "Nei."))
    with pytest.raises(ServiceError) as renewed_twice:
        office.renewal.answer(
            asked.msg_id, RenewalOutcome(RenewalResult.RENEWED, "Likevel.", m1_documents)
        )
    assert renewed_twice.value.rule == "SV004"


def test_the_citizen_may_continue_a_dialog_the_gp_closed(office: GpOffice) -> None:
    # HITS 1217 §3.2: «Dialog avsluttet» is shown to the citizen, "men innbygger kan fortsette
    # dialogen". The GP writes nothing more after its 13 — until the citizen does.
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Svarene er klare")
    first = office.e_consultation.citizen_reply(started.conversation_id, "Takk!")
    assert office.receive(wire(first.message)).incoming is not None
    office.e_consultation.close(started.conversation_id, "Avsluttet.")
    with pytest.raises(ServiceError) as closed:
        office.e_consultation.close(started.conversation_id, "Igjen.")
    assert closed.value.rule == "SV004"
    again = office.e_consultation.citizen_reply(started.conversation_id, "Ett spørsmål til.")
    received = office.receive(wire(again.message))
    assert received.error is None
    assert received.refusal is None
    assert received.incoming is not None  # for the journal
    office.e_consultation.close(started.conversation_id, "Svar: nei.")  # the GP may answer again
    thread = office.context.store.get(started.conversation_id)
    assert thread is not None
    assert [t.code for t in thread.turns] == ["DI", "22", "13", "22", "13"]


def test_a_reply_in_a_thread_the_office_opened_is_not_refused(office: GpOffice) -> None:
    # Only the receiver of a request may refuse it: a citizen's reply that does not fit a DI
    # thread (here 19, an e-kontakt answer) is reported, never answered with a 26 the catalogue
    # does not give the office there.
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Svarene er klare")
    reply = office.e_consultation.citizen_reply(started.conversation_id, "Takk!")
    message = wire(reply.message)
    dialog = message.dialogmelding
    assert dialog is not None
    dialog.notat[0].tema_kodet.v = "19"
    received = office.receive(message)
    assert received.error is not None
    assert received.error.rule in ("SV002", "SV003")
    assert received.refusal is None


def test_a_refusal_without_text_gets_one_where_the_process_requires_it(
    office: GpOffice, check: Callable[..., None]
) -> None:
    # HITS 1217 §3.2.1: Notat/TekstNotatInnhold is mandatory in the office's reply to SB.
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste i tre uker")
    office.receive(wire(asked.message))
    refusal = office.e_consultation.refuse(asked.msg_id)
    assert _text(refusal.message) == "Forespørselen er avvist."
    check(refusal.message)
