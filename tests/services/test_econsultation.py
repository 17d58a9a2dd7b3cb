"""E-consultation and contact-the-office: warning rules, tariffs, the ask-to-book answer, the
redirect to e-consultation, attachments and Pasientrelasjon."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from digidialog.services import (
    ASK_TO_BOOK_TEXT,
    REDIRECT_TEXT,
    Attachment,
    ClinicalFlag,
    GpOffice,
    Reply,
    ReplyKind,
    ServiceName,
    check_e_consultation_answer,
    read,
    suggest_tariffs,
)
from digidialog.services.rules import Detection

from .conftest import CITIZEN, GP, GP2, JPEG, PARENT, wire

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _asked(office: GpOffice, gp: str = GP.her_id) -> str:
    asked = office.e_consultation.request(CITIZEN, gp, "Utslett", "Jeg har fått utslett på armen.")
    assert office.receive(wire(asked.message)).incoming is not None
    return asked.msg_id


@pytest.mark.parametrize(
    ("flag", "rule", "text"),
    [
        (ClinicalFlag.SICK_LEAVE, "SV201", "Jeg sykmelder deg ut uken."),
        (ClinicalFlag.REFERRAL, "SV202", "Jeg sender en henvisning til hudlege."),
        (ClinicalFlag.AB_PREPARATION, "SV203", "Du kan starte med Oksykodon 5 mg."),
        (ClinicalFlag.ACUTE_WORSENING, "SV204", "Dette er akutt, ring 113."),
    ],
)
def test_each_warning_rule_from_text_and_from_flag(
    office: GpOffice, flag: ClinicalFlag, rule: str, text: str
) -> None:
    by_text = office.e_consultation.answer(_asked(office), text)
    assert [(w.rule, w.flag, w.detected_by) for w in by_text.warnings] == [
        (rule, flag, Detection.TEXT)
    ]
    by_flag = office.e_consultation.answer(
        _asked(office), "Se vedlagte.", clinical_flags=frozenset({flag})
    )
    assert [(w.rule, w.detected_by) for w in by_flag.warnings] == [(rule, Detection.FLAG)]


def test_warning_from_attachment_description() -> None:
    reply = Reply(
        ReplyKind.ANSWER,
        "Se vedlegg.",
        attachments=(Attachment(PDF, "application/pdf", "Sykmelding uke 12"),),
    )
    warnings = check_e_consultation_answer(reply)
    assert [(w.rule, w.detected_by) for w in warnings] == [("SV201", Detection.ATTACHMENT)]


def test_warning_from_text_attachment_content() -> None:
    note = Attachment(b"Henvisning til ortoped sendt i dag.", "text/plain", "Notat")
    warnings = check_e_consultation_answer(Reply(ReplyKind.ANSWER, "Se vedlegg.", (note,)))
    assert [(w.rule, w.detected_by) for w in warnings] == [("SV202", Detection.ATTACHMENT)]
    # binary content is not searched: only its description counts
    image = Attachment(b"henvisning", "image/jpeg", "Bilde")
    assert check_e_consultation_answer(Reply(ReplyKind.ANSWER, "Se bildet.", (image,))) == ()


def test_negation_still_warns_and_all_rules_at_once() -> None:
    """Heuristics ignore negation on purpose; several rules in one answer come in rule order."""
    negated = check_e_consultation_answer(Reply(ReplyKind.ANSWER, "Du trenger ikke sykmelding."))
    assert [w.rule for w in negated] == ["SV201"]
    text = "Ring 113 om det blir verre. Jeg skriver henvisning og sykmelding, og diazepam."
    assert [w.rule for w in check_e_consultation_answer(Reply(ReplyKind.ANSWER, text))] == [
        "SV201",
        "SV202",
        "SV203",
        "SV204",
    ]


def test_ordinary_answer_has_no_warning(office: GpOffice) -> None:
    out = office.e_consultation.answer(
        _asked(office), "Smør med fuktighetskrem morgen og kveld. Ta kontakt om det ikke går over."
    )
    assert out.warnings == ()


def test_tariffs(office: GpOffice) -> None:
    specialist = office.e_consultation.answer(_asked(office), "Bruk krem.")
    assert [t.code for t in specialist.tariffs] == ["2ae", "2dd"]
    ordinary = office.e_consultation.answer(_asked(office, GP2.her_id), "Bruk krem.")
    assert [t.code for t in ordinary.tariffs] == ["2ae"]
    # the one who answers counts, not the one addressed
    by_locum = office.e_consultation.answer(_asked(office), "Bruk krem.", responder=GP2)
    assert [t.code for t in by_locum.tariffs] == ["2ae"]
    closed = office.e_consultation.close(_asked(office), "Avsluttet.")
    assert closed.tariffs == ()
    refused = office.e_consultation.refuse(_asked(office))
    assert refused.tariffs == ()


def test_contact_office_bills_nothing(office: GpOffice) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Adresse", "Ny adresse.")
    office.receive(wire(asked.message))
    answered = office.contact.answer(asked.msg_id, "Notert.")
    assert answered.tariffs == ()
    assert suggest_tariffs(ServiceName.CONTACT_OFFICE, ReplyKind.OFFICE_ANSWER, GP) == ()


def test_ask_to_book(office: GpOffice, check: Callable[..., None]) -> None:
    conversation = _asked(office)
    out = office.e_consultation.ask_to_book(conversation)
    check(out.message)
    envelope = read(wire(out.message))
    assert (envelope.code, envelope.text) == ("12", ASK_TO_BOOK_TEXT)
    assert "bestill en vanlig time" in envelope.text  # what the citizen is asked to do
    assert out.tariffs == ()  # no clinical answer was given
    assert not office.context.store.get(conversation).closed  # type: ignore[union-attr]


def test_redirect_to_e_consultation(office: GpOffice, check: Callable[..., None]) -> None:
    asked = office.contact.request(CITIZEN, GP.her_id, "Vondt i kneet", "Hva kan det være?")
    office.receive(wire(asked.message))
    out = office.contact.redirect_to_e_consultation(asked.msg_id)
    check(out.message)
    envelope = read(wire(out.message))
    assert (envelope.code, envelope.text) == ("19", REDIRECT_TEXT)
    assert "Send spørsmålet som en e-konsultasjon" in envelope.text
    assert "egenandel" in envelope.text
    assert out.tariffs == ()


def test_attachments_and_acting_person_round_trip(
    office: GpOffice, check: Callable[..., None]
) -> None:
    asked = office.e_consultation.request(
        CITIZEN,
        GP.her_id,
        "Vorte",
        "Se bildet.",
        attachments=(Attachment(JPEG, "image/jpeg", "Bilde"),),
        acting_person=PARENT,
    )
    check(asked.message)
    received = office.receive(wire(asked.message))
    assert received.incoming is not None
    item = received.incoming.item
    assert item.attachments == (Attachment(JPEG, "image/jpeg", "Bilde"),)
    assert item.acting_for is not None
    assert item.acting_for.national_id == PARENT.national_id
    assert item.citizen.national_id == CITIZEN.national_id
    assert (item.subject, item.text, item.kind) == ("Vorte", "Se bildet.", "SB")
    answer = office.e_consultation.answer(
        asked.msg_id, "Se brosjyren.", attachments=(Attachment(PDF, "application/pdf", "Info"),)
    )
    check(answer.message)


def test_office_started_dialog_and_citizen_answer(
    office: GpOffice, check: Callable[..., None]
) -> None:
    started = office.e_consultation.start(CITIZEN, GP.her_id, "Prøvesvar", "Svarene er fine.")
    check(started.message)
    assert started.message.ref_to_parent is None
    answer = office.e_consultation.citizen_reply(
        started.conversation_id, "Takk! Skal jeg ta ny prøve?"
    )
    check(answer.message)
    received = office.receive(wire(answer.message))
    assert received.incoming is not None
    assert received.incoming.item.kind == "22"
    assert received.incoming.item.parent_msg_id == started.msg_id
    # in a DI thread the office can only close (13); the catalogue has no other office reply
    closing = office.e_consultation.close(started.conversation_id, "Ny prøve om et år.")
    check(closing.message)
    assert closing.message.ref_to_parent == answer.msg_id
    assert closing.message.ref_to_conversation == started.msg_id


def test_contact_to_the_front_desk(
    make_office: Callable[..., GpOffice], check: Callable[..., None]
) -> None:
    """A message to the office itself goes to its front desk (Organisation/Organisation)."""
    office = make_office()
    desk = dataclasses.replace(office.context.office, front_desk_her_id="4200012")
    office = GpOffice(dataclasses.replace(office.context, office=desk))
    asked = office.contact.request(CITIZEN, None, "Adresse", "Jeg har flyttet.")
    check(asked.message)
    assert asked.message.receiver.organisation is not None
    assert asked.message.receiver.organisation.her_id == "4200012"
    received = office.receive(wire(asked.message))
    assert received.incoming is not None
    assert received.receipt is not None
    assert received.receipt.is_ok
    assert received.incoming.item.practitioner_her_id is None  # the shared inbox
    answered = office.contact.answer(asked.msg_id, "Takk, adressen er endret.")
    check(answered.message)
    assert answered.message.sender.her_ids == [desk.her_id, "4200012"]
