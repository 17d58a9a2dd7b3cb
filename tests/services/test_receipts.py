"""AppRec 1.1 both ways: exactly one per asynchronous message, none for synchronous ones; T01,
T02, E10, E20, E3x rejections; matching incoming AppRecs; E35 and the Digitalbruker status."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from digidialog.codes import AppRecFeil
from digidialog.errors import ServiceError
from digidialog.model import AppRec, MsgHead
from digidialog.services import (
    CitizenStatus,
    DeliveryMethod,
    GpOffice,
    GpSettings,
    Office,
    OfficeSettings,
    Outgoing,
    ReceiptError,
    Receipts,
    Received,
    ServiceContext,
    TransportInfo,
)

from .conftest import CITIZEN, GP, OFFICE, wire, wire_apprec

PORTAL = Office("115851", "DIREKTORATET FOR E-HELSE")


def portal_receipts() -> Receipts:
    """helsenorge.no's side, issuing AppRecs for what the office sends."""
    ids = (f"00000000-0000-4000-9000-{n:012d}" for n in itertools.count(1))
    return Receipts(
        PORTAL,
        CitizenStatus(),
        clock=lambda: datetime(2027, 3, 19, 10, 0, tzinfo=UTC),
        new_id=lambda: next(ids),
    )


def transport_for(
    office: GpOffice, msg_id: str, *, from_her: str = "8093248", to_her: str = GP.her_id
) -> TransportInfo:
    return TransportInfo(
        message_id=msg_id,
        msg_type="DIALOG_INNBYGGER_EKONSULTASJON",
        from_her_id=from_her,
        to_her_id=to_her,
        sent=datetime(2027, 3, 19, 9, 0, tzinfo=UTC),
    )


def errors_of(receipt: AppRec | None) -> list[str]:
    assert receipt is not None
    return [e.v or "" for e in receipt.error]


def test_ok_receipt_mirrors_the_addressing(office: GpOffice, check: Callable[..., None]) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    received = office.receive(wire(asked.message), transport_for(office, asked.msg_id))
    receipt = received.receipt
    assert receipt is not None
    assert receipt.is_ok
    assert receipt.error == []
    check(receipt)
    sender = receipt.sender.hcp.inst
    assert sender is not None
    assert (sender.id, sender.name) == (office.context.office.her_id, "Nanset Legekontor")
    assert [p.id for p in sender.hc_person] == [GP.her_id]
    assert [a.id for a in sender.additional_id] == ["971318864"]
    assert receipt.sender.role is not None
    assert receipt.sender.role.v == "PRIM"
    receiver = receipt.receiver.hcp.inst
    assert receiver is not None
    assert receiver.id == "115851"
    assert [d.id for d in receiver.dept] == ["8093248"]
    original = receipt.original_msg_id
    assert original.id == asked.msg_id
    assert original.issue_date == asked.message.msg_info.gen_date
    assert original.msg_type.v == "DIALOG_INNBYGGER_EKONSULTASJON"
    assert wire_apprec(receipt) == receipt


def test_synchronous_messages_get_no_receipt(office: GpOffice) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    received = office.receive(wire(hlt.message))
    assert received.receipt is None
    assert received.incoming is not None
    assert office.context.receipts.issued(hlt.msg_id) is None


def test_exactly_one_receipt_per_message(office: GpOffice) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as error:
        office.context.receipts.receipt_for(wire(asked.message))
    assert error.value.rule == "SV020"


@pytest.mark.parametrize(
    ("code", "detail"),
    [(AppRecFeil.T01, "line 1: not well-formed"), (AppRecFeil.T02, "Element 'Foo': not expected")],
)
def test_unreadable_message_is_rejected_from_transport_data(
    office: GpOffice, check: Callable[..., None], code: AppRecFeil, detail: str
) -> None:
    transport = transport_for(office, "5f0c7b9e-2c3d-4e5f-8a9b-0c1d2e3f4a5b")
    receipt = office.context.receipts.reject_unreadable(transport, ReceiptError(code, detail))
    check(receipt)
    assert not receipt.is_ok
    assert receipt.status.v == "2"
    assert [(e.v, e.ot) for e in receipt.error] == [(code.value, detail)]
    assert receipt.original_msg_id.id == transport.message_id
    with pytest.raises(ServiceError) as again:
        office.context.receipts.reject_unreadable(transport, ReceiptError(code))
    assert again.value.rule == "SV020"


@pytest.mark.parametrize("side", ["from_her", "to_her"])
def test_her_id_mismatch_with_transport_is_e10(
    office: GpOffice, check: Callable[..., None], side: str
) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    transport = transport_for(office, asked.msg_id, **{side: "999999"})
    received = office.receive(wire(asked.message), transport)
    assert errors_of(received.receipt) == ["E10"]
    assert received.receipt is not None
    assert received.receipt.status.v == "2"
    check(received.receipt)
    assert received.incoming is None
    assert office.context.store.get(asked.msg_id) is None  # a rejected message is not taken in


def test_msg_id_not_uuid_is_e10(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    message = wire(asked.message)
    message.msg_info.msg_id = "not-a-uuid"
    assert errors_of(office.receive(message).receipt) == ["E10"]


def test_unknown_gp_is_e20(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    message = wire(asked.message)
    professional = message.receiver.healthcare_professional
    assert professional is not None
    professional.ident[0].id = "7777777"
    assert errors_of(office.receive(message).receipt) == ["E20"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ident_id": "13116900217"}, ["E31"]),
        ({"ident_id": ""}, ["E30"]),
        ({"family_name": None}, ["E33"]),
        ({"given_name": None}, ["E34"]),
        ({"given_name": None, "family_name": None}, ["E32"]),
    ],
)
def test_patient_errors(
    office: GpOffice, change: dict[str, str | None], expected: list[str]
) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    message = wire(asked.message)
    patient = message.msg_info.patient
    assert patient is not None
    for field, value in change.items():
        if field == "ident_id":
            patient.ident[0].id = value or ""
        else:
            setattr(patient, field, value)
    assert errors_of(office.receive(message).receipt) == expected


def test_incoming_receipts_are_matched(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    answer = office.e_consultation.answer(asked.msg_id, "Drikk vann.")
    assert office.context.receipts.awaiting() == [answer.msg_id]
    receipt = portal_receipts().receipt_for(wire(answer.message))
    assert receipt is not None
    outcome = office.receive_receipt(wire_apprec(receipt))
    assert outcome.original_msg_id == answer.msg_id
    assert outcome.ok
    assert not outcome.citizen_marked_inactive
    assert office.context.receipts.awaiting() == []
    with pytest.raises(ServiceError) as twice:
        office.receive_receipt(wire_apprec(receipt))
    assert twice.value.rule == "SV022"


def test_receipt_for_unknown_message(office: GpOffice) -> None:
    other = GpOffice(office.context.__class__(office.context.office))
    started = other.contact.start(CITIZEN, GP.her_id, "Vaksine", "Kommet")
    receipt = portal_receipts().receipt_for(wire(started.message))
    assert receipt is not None
    with pytest.raises(ServiceError) as error:
        office.receive_receipt(receipt)
    assert error.value.rule == "SV021"


def test_e35_marks_citizen_inactive_until_digitalbruker_says_active(
    office: GpOffice, check: Callable[..., None]
) -> None:
    started = office.contact.start(CITIZEN, GP.her_id, "Vaksine", "Vaksinen er kommet")
    receipt = portal_receipts().issue(
        wire(started.message), [ReceiptError(AppRecFeil.E35, "ikke digitalt aktiv")]
    )
    assert receipt is not None
    check(receipt)
    outcome = office.receive_receipt(wire_apprec(receipt))
    assert not outcome.ok
    assert outcome.citizen_marked_inactive
    assert [e.code for e in outcome.errors] == [AppRecFeil.E35]
    assert not office.context.citizens.is_active(CITIZEN.national_id)
    with pytest.raises(ServiceError) as blocked:
        office.contact.start(CITIZEN, GP.her_id, "Påminnelse", "Husk timen")
    assert blocked.value.rule == "SV009"
    asked = office.booking.wish_time(CITIZEN, GP.her_id, "Time", accepts_other_practitioner=True)
    office.receive(wire(asked.message))
    with pytest.raises(ServiceError) as declined:
        office.booking.decline(asked.msg_id)
    assert declined.value.rule == "SV009"

    notice = office.status_notice(CITIZEN, GP.her_id, active=True)
    check(notice)
    received = office.receive(wire(notice))
    assert received.digitally_active is True
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert office.context.citizens.is_active(CITIZEN.national_id)
    office.contact.start(CITIZEN, GP.her_id, "Påminnelse", "Husk timen")

    inactive = office.receive(wire(office.status_notice(CITIZEN, GP.her_id, active=False)))
    assert inactive.digitally_active is False
    assert not office.context.citizens.is_active(CITIZEN.national_id)


def test_unsupported_process_gets_t10(office: GpOffice) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse")
    message = wire(asked.message)
    message.msg_info.type.v = "DIALOG_INNBYGGER_BEHANDLEROVERSIKT"
    received = office.receive(message)
    assert errors_of(received.receipt) == ["T10"]
    assert received.error is not None
    assert received.error.rule == "SV013"


def test_message_for_another_office_is_e21(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    message = wire(asked.message)
    message.receiver.ident[1].id = "1234"  # the HER-id of the office level
    assert errors_of(office.receive(message).receipt) == ["E21"]


def test_restored_receipts_expect_match_and_refuse_like_before(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    issued = office.receive(wire(asked.message)).receipt
    assert issued is not None
    first = office.e_consultation.answer(asked.msg_id, "Drikk vann.")
    second = office.e_consultation.answer(asked.msg_id, "Og hvil.")
    portal = portal_receipts()
    matched = portal.receipt_for(wire(first.message))
    pending = portal.receipt_for(wire(second.message))
    assert matched is not None
    assert pending is not None

    # A new process knows only what the stored messages say.
    restarted = GpOffice(office.context.__class__(office.context.office)).context.receipts
    restarted.restore(
        issued=[wire_apprec(issued)],
        sent=[wire(first.message), wire(second.message)],
        received=[wire_apprec(matched)],
    )
    assert restarted.awaiting() == [second.msg_id]
    assert restarted.issued(asked.msg_id) is not None
    with pytest.raises(ServiceError) as again:
        restarted.issue(wire(asked.message))
    assert again.value.rule == "SV020"
    with pytest.raises(ServiceError) as twice:
        restarted.match(wire_apprec(matched))
    assert twice.value.rule == "SV022"
    assert restarted.match(wire_apprec(pending)).ok
    assert restarted.awaiting() == []


@pytest.mark.parametrize("problem", ["switched_off", "no_delivery_method", "unknown_code"])
def test_inactive_citizen_gets_no_refusal_and_receive_does_not_raise(
    make_office: Callable[..., GpOffice], problem: str
) -> None:
    """A refusal owed to a citizen marked inactive (E35) is not written (SV009), yet the message
    keeps its one OK AppRec and `receive` reports instead of raising."""
    settings = OfficeSettings(per_gp={GP.her_id: GpSettings(services=frozenset())})
    office = make_office(settings if problem == "switched_off" else None)
    asked = office.renewal.request(CITIZEN, GP.her_id, "Ventoline", DeliveryMethod.PHARMACY)
    message = wire(asked.message)
    dialog = message.dialogmelding
    assert dialog is not None
    if problem == "no_delivery_method":
        dialog.foresporsel[0].kodet_opplysning = None
    if problem == "unknown_code":
        dialog.foresporsel[0].type_foresp.v = "SB"
    office.context.citizens.mark_inactive(CITIZEN.national_id)
    received = office.receive(message)
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.refusal is None
    assert received.error is not None
    expected = {"switched_off": "SV009", "no_delivery_method": "SV012", "unknown_code": "SV001"}
    assert received.error.rule == expected[problem]
    assert office.context.receipts.awaiting() == []  # nothing was written to them


def test_digitalbruker_notice_without_content_is_reported(office: GpOffice) -> None:
    notice = wire(office.status_notice(CITIZEN, GP.her_id, active=True))
    notice.document[0].ref_doc.content = None  # no Dialogmelding left
    received = office.receive(notice)
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.error is not None
    assert received.error.rule == "SV010"
    assert received.digitally_active is None


def test_redelivered_request_leaves_its_thread_alone(office: GpOffice) -> None:
    asked = office.e_consultation.request(CITIZEN, GP.her_id, "Hoste", "Hoste")
    office.receive(wire(asked.message))
    office.e_consultation.close(asked.msg_id, "Avsluttet.")
    with pytest.raises(ServiceError) as again:
        office.receive(wire(asked.message))
    assert again.value.rule == "SV020"
    thread = office.context.store.get(asked.msg_id)
    assert thread is not None
    assert [t.code for t in thread.turns] == ["SB", "13"]  # not reset to an open question


def test_redelivered_synchronous_request_is_reported_not_refused(office: GpOffice) -> None:
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    office.receive(wire(hlt.message))
    received = office.receive(wire(hlt.message))  # Ack N: no AppRec tells the copies apart
    assert received.error is not None
    assert received.error.rule == "SV008"
    assert received.refusal is None  # the first copy's thread is not refused
    thread = office.context.store.get(hlt.msg_id)
    assert thread is not None
    assert [t.code for t in thread.turns] == ["HLT"]


def test_communication_test_gets_no_receipt(office: GpOffice) -> None:
    """The communication test (DIALOG_INNBYGGER_TEST, Ack N) is synchronous like HLT: no AppRec,
    also for a message the office cannot answer (HE is not a request of that process: SV001)."""
    probe = wire(office.contact.request(CITIZEN, GP.her_id, "Test", "Test").message)
    probe.msg_info.type.v = "DIALOG_INNBYGGER_TEST"
    assert probe.msg_info.ack is not None
    probe.msg_info.ack.v = "N"
    received = office.receive(probe)
    assert received.receipt is None
    assert received.error is not None
    assert received.error.rule == "SV001"
    assert received.answer is None
    assert office.context.receipts.issued(probe.msg_id) is None


def _refusal_of(received_refusal: Outgoing | None, request_id: str) -> MsgHead:
    """The 26 that answers request `request_id` in its own thread, checked as such."""
    assert received_refusal is not None
    refusal = received_refusal.message
    dialog = refusal.dialogmelding
    assert dialog is not None
    assert dialog.notat[0].tema_kodet.v == "26"
    assert refusal.ref_to_parent == request_id
    return refusal


def _rejected_hlt(
    office: GpOffice, change: Callable[[MsgHead], None], code: AppRecFeil
) -> tuple[str, Received]:
    """A free-slots request (HLT, synchronous) changed by `change` on the wire, and what
    receiving it gave: rejected for `code` with no AppRec (SV024), nothing taken in."""
    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    message = wire(hlt.message)
    change(message)
    received = office.receive(message)
    assert received.receipt is None
    assert [e.code for e in received.errors] == [code]
    assert received.error is not None
    assert received.error.rule == "SV024"
    assert "rejected, so answered with 26" in received.error.message
    assert office.context.receipts.issued(hlt.msg_id) is None
    assert office.context.store.get(hlt.msg_id) is None
    return hlt.msg_id, received


def _to_a_gp_not_here(message: MsgHead) -> None:
    professional = message.receiver.healthcare_professional
    assert professional is not None
    professional.ident[0].id = "7777777"


def _with_a_bad_national_id(message: MsgHead) -> None:
    patient = message.msg_info.patient
    assert patient is not None
    patient.ident[0].id = "13116900217"


@pytest.mark.parametrize("front_desk", ["112374", None])
def test_synchronous_request_to_a_gp_not_here_is_answered_from_the_front_desk(
    front_desk: str | None, check: Callable[..., None]
) -> None:
    # HLT is synchronous (Ack N): no AppRec can carry E20, so a 26 from the front desk answers
    # it. Without a front desk nobody here can answer: the reason stays in `error`.
    office = GpOffice(ServiceContext(dataclasses.replace(OFFICE, front_desk_her_id=front_desk)))
    hlt_id, received = _rejected_hlt(office, _to_a_gp_not_here, AppRecFeil.E20)
    if front_desk is None:
        assert received.refusal is None
        return
    refusal = _refusal_of(received.refusal, hlt_id)
    assert refusal.msg_info.ack is not None
    assert refusal.msg_info.ack.v == "N"  # the answer to a synchronous call is synchronous
    assert refusal.sender.healthcare_professional is None  # not from a GP who is not here
    assert refusal.sender.her_ids == [OFFICE.her_id, front_desk]
    check(refusal)


def test_synchronous_request_with_an_invalid_patient_is_rejected_without_an_answer(
    office: GpOffice,
) -> None:
    # E31: no valid fødselsnummer to write back to, so no 26 either; the reason stays in `error`.
    _, received = _rejected_hlt(office, _with_a_bad_national_id, AppRecFeil.E31)
    assert received.refusal is None


def test_reject_answers_with_the_apprec_or_for_a_synchronous_message_with_26(
    office: GpOffice, check: Callable[..., None]
) -> None:
    # Errors found outside the receipts (the pipeline's business rules: X99).
    x99 = [ReceiptError(AppRecFeil.X99, "DD053: EmneSporsmal has 60 characters")]
    he = wire(office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse.").message)
    rejected = office.reject(he, x99)
    assert errors_of(rejected.receipt) == ["X99"]
    assert (rejected.refusal, rejected.error, rejected.errors) == (None, None, tuple(x99))

    hlt = office.booking.fetch_free_slots(CITIZEN, GP.her_id, date(2027, 4, 5), date(2027, 4, 9))
    refused = office.reject(wire(hlt.message), x99)
    assert refused.receipt is None
    assert refused.error is not None
    assert refused.error.rule == "SV024"
    assert "DD053" in refused.error.message
    refusal = _refusal_of(refused.refusal, hlt.msg_id)
    assert refusal.sender.healthcare_professional is not None
    assert refusal.sender.healthcare_professional.ident[0].id == GP.her_id  # from the GP asked
    check(refusal)
