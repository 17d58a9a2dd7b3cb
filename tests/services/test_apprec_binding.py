"""An AppRec for a message we sent is taken only from the party that message was sent to (SV025):
the transport sender must be the message's receiver HER-id, and the AppRec's own Sender must name
it. A refused AppRec changes nothing, so the receiver's own AppRec is matched afterwards; after a
restart the expected party is rebuilt from the sent messages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from digidialog.codes import AppRecFeil
from digidialog.errors import ServiceError
from digidialog.model import (
    HCP,
    AdditionalId,
    AppRec,
    CodedValue,
    Dept,
    HCPerson,
    HCProf,
    Inst,
    MsgHead,
)
from digidialog.services import (
    CitizenStatus,
    GpOffice,
    Office,
    ReceiptError,
    Receipts,
)
from digidialog.services.receipts import receipt_sender_her_ids, sent_to

from .conftest import CITIZEN, GP, wire, wire_apprec

HELSENORGE = "8093248"
"""helsenorge.no's communication party: the transport receiver of what the office sends."""
EVIL = "7777777"
"""Another registered party: it can seal an AppRec, but received none of our messages."""


def receipts_of(her_id: str, name: str) -> Receipts:
    ids = (f"00000000-0000-4000-9{her_id[:3]}-{n:012d}" for n in itertools.count(1))
    return Receipts(
        Office(her_id, name),
        CitizenStatus(),
        clock=lambda: datetime(2027, 3, 19, 10, 0, tzinfo=UTC),
        new_id=lambda: next(ids),
    )


def genuine(message: MsgHead, *errors: ReceiptError) -> AppRec:
    """helsenorge.no's own AppRec for `message`: its Sender mirrors the message's receiver."""
    receipt = receipts_of("115851", "DIREKTORATET FOR E-HELSE").issue(wire(message), errors)
    assert receipt is not None
    return wire_apprec(receipt)


def forged_e35(message: MsgHead) -> AppRec:
    """What another party can build: an E35 rejection whose Sender copies the real receiver."""
    receipt = receipts_of(EVIL, "Evil").issue(
        wire(message), [ReceiptError(AppRecFeil.E35, "forged")]
    )
    assert receipt is not None
    return wire_apprec(receipt)


def sender_is(receipt: AppRec, hcp: HCP) -> AppRec:
    return receipt.model_copy(
        update={"sender": receipt.sender.model_copy(update={"hcp": hcp})}, deep=True
    )


def her() -> CodedValue:
    return CodedValue(v="HER", dn="HER-id")


def sent(office: GpOffice) -> MsgHead:
    started = office.contact.start(CITIZEN, GP.her_id, "Vaksine", "Vaksinen er kommet")
    assert office.context.receipts.awaiting() == [started.msg_id]
    return started.message


def assert_untouched(office: GpOffice, msg_id: str) -> None:
    assert office.context.receipts.awaiting() == [msg_id]
    assert office.context.citizens.is_active(CITIZEN.national_id)


def test_the_transport_receiver_of_a_sent_message(office: GpOffice) -> None:
    message = sent(office)
    assert message.receiver.her_ids == ["115851", HELSENORGE]
    assert sent_to(message) == HELSENORGE


def test_a_forged_apprec_from_another_party_is_refused_and_changes_nothing(
    office: GpOffice,
) -> None:
    message = sent(office)
    with pytest.raises(ServiceError) as refused:
        office.receive_receipt(forged_e35(message), from_her_id=EVIL)
    assert refused.value.rule == "SV025"
    assert EVIL in str(refused.value)
    assert HELSENORGE in str(refused.value)
    assert_untouched(office, message.msg_id)

    outcome = office.receive_receipt(genuine(message), from_her_id=HELSENORGE)
    assert outcome.ok
    assert outcome.original_msg_id == message.msg_id
    assert office.context.receipts.awaiting() == []
    assert office.context.citizens.is_active(CITIZEN.national_id)


def test_a_genuine_e35_still_marks_the_citizen_inactive(office: GpOffice) -> None:
    message = sent(office)
    receipt = genuine(message, ReceiptError(AppRecFeil.E35, "ikke digitalt aktiv"))
    outcome = office.receive_receipt(receipt, from_her_id=HELSENORGE)
    assert outcome.citizen_marked_inactive
    assert not office.context.citizens.is_active(CITIZEN.national_id)


def test_a_forged_apprec_after_the_genuine_one_is_refused_as_forged(office: GpOffice) -> None:
    message = sent(office)
    assert office.receive_receipt(genuine(message), from_her_id=HELSENORGE).ok
    with pytest.raises(ServiceError) as refused:
        office.receive_receipt(forged_e35(message), from_her_id=EVIL)
    assert refused.value.rule == "SV025"
    assert office.context.citizens.is_active(CITIZEN.national_id)


@pytest.mark.parametrize("from_her_id", [HELSENORGE, None])
def test_an_apprec_whose_sender_names_another_party_is_refused(
    office: GpOffice, from_her_id: str | None
) -> None:
    message = sent(office)
    named_evil = sender_is(
        genuine(message, ReceiptError(AppRecFeil.E35)),
        HCP(inst=Inst(name="Evil", id=EVIL, type_id=her())),
    )
    with pytest.raises(ServiceError) as refused:
        office.receive_receipt(named_evil, from_her_id=from_her_id)
    assert refused.value.rule == "SV025"
    assert f"HER-ids: {EVIL}" in str(refused.value)
    assert_untouched(office, message.msg_id)
    assert office.receive_receipt(genuine(message), from_her_id=HELSENORGE).ok


def test_the_sender_may_name_the_receiver_at_any_level(office: GpOffice) -> None:
    message = sent(office)
    only_dept = sender_is(
        genuine(message),
        HCP(inst=Inst(name="Helsenorge", dept=[Dept(name="DIT", id=HELSENORGE, type_id=her())])),
    )
    assert receipt_sender_her_ids(only_dept) == {HELSENORGE}
    assert office.receive_receipt(only_dept, from_her_id=HELSENORGE).ok


def test_sender_her_ids_come_from_every_branch_of_the_hcp(office: GpOffice) -> None:
    ids = [
        AdditionalId(id="1", type=CodedValue(v="HER")),
        AdditionalId(id="2", type=CodedValue(v="ENH")),
    ]
    hcp = HCP(
        inst=Inst(
            id="3",
            type_id=CodedValue(v="ENH"),  # not a HER-id
            additional_id=ids,
            dept=[Dept(id="4", type_id=her())],
            hc_person=[
                HCPerson(id="5", type_id=CodedValue(v="HPR")),
                HCPerson(id="6", type_id=her(), additional_id=[ids[0]]),
            ],
        ),
        hc_prof=HCProf(id="7", type_id=CodedValue(v="HPR"),
                       additional_id=[AdditionalId(id=" 8 ", type=CodedValue(v="HER"))]),
    )  # fmt: skip
    receipt = sender_is(genuine(sent(office)), hcp)
    assert receipt_sender_her_ids(receipt) == {"1", "4", "6", "8"}


def test_a_message_naming_no_receiver_her_id_takes_no_apprec(office: GpOffice) -> None:
    original = sent(office)
    receipt = genuine(original)
    message = wire(original)
    for level in message.receiver.levels:
        level.ident = [i for i in level.ident if i.type_id.v != "HER"]
    assert sent_to(message) is None
    restarted = receipts_of("987654", "Nanset Legekontor")
    restarted.restore(sent=[message])
    with pytest.raises(ServiceError) as refused:
        restarted.match(receipt, from_her_id=HELSENORGE)
    assert refused.value.rule == "SV025"
    assert "names no receiver HER-id" in str(refused.value)


def test_after_a_restart_the_expected_party_comes_from_the_sent_messages(
    office: GpOffice,
) -> None:
    message = sent(office)
    restarted = receipts_of("987654", "Nanset Legekontor")
    restarted.restore(sent=[wire(message)])
    with pytest.raises(ServiceError) as refused:
        restarted.match(forged_e35(message), from_her_id=EVIL)
    assert refused.value.rule == "SV025"
    assert restarted.awaiting() == [message.msg_id]
    assert restarted.match(genuine(message), from_her_id=HELSENORGE).ok
    assert restarted.awaiting() == []


def test_restore_does_not_take_back_an_apprec_refused_when_it_came(office: GpOffice) -> None:
    message = sent(office)
    forged = forged_e35(message)
    with pytest.raises(ServiceError):
        office.receive_receipt(forged, from_her_id=EVIL)

    # The store kept the refused AppRec with the HER-id it came from: it is not taken back.
    restarted = receipts_of("987654", "Nanset Legekontor")
    restarted.restore(sent=[wire(message)], received_from=[(EVIL, forged)])
    assert restarted.awaiting() == [message.msg_id]
    assert restarted.match(genuine(message), from_her_id=HELSENORGE).ok

    # The genuine one received before the restart is taken back: a repeat is SV022.
    again = receipts_of("987654", "Nanset Legekontor")
    again.restore(
        sent=[wire(message)], received_from=[(EVIL, forged), (HELSENORGE, genuine(message))]
    )
    assert again.awaiting() == []
    with pytest.raises(ServiceError) as twice:
        again.match(genuine(message), from_her_id=HELSENORGE)
    assert twice.value.rule == "SV022"


def test_restore_without_senders_checks_the_apprecs_own_sender(office: GpOffice) -> None:
    message = sent(office)
    named_evil = sender_is(genuine(message), HCP(inst=Inst(id=EVIL, type_id=her())))
    restarted = receipts_of("987654", "Nanset Legekontor")
    restarted.restore(sent=[wire(message)], received=[named_evil])
    assert restarted.awaiting() == [message.msg_id]
    restarted.restore(received=[genuine(message)])
    assert restarted.awaiting() == []
