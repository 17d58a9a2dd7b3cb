"""The communication test (HITS 1217 §3.10): every office answers KT with RKT, at once."""

from __future__ import annotations

from collections.abc import Callable

import digidialog
from digidialog.codes.processes import find_request
from digidialog.model import Message, MsgHead
from digidialog.services import GpOffice
from digidialog.services.messages import Body

from .conftest import CITIZEN, GP, wire

KT_OID = "2.16.578.1.12.4.1.1.7603"


def test_kt_is_answered_with_rkt_in_its_own_thread(
    office: GpOffice, check: Callable[[Message], None]
) -> None:
    kt = office.communication_test(CITIZEN, GP.her_id)
    check(kt)
    assert kt.msg_info.ack is not None
    assert kt.msg_info.ack.v == "N"

    received = office.receive(wire(kt))

    assert received.receipt is None  # synchronous (Ack N): no AppRec
    assert received.error is None
    assert received.incoming is None
    assert received.answer is not None
    answer = received.answer.message
    check(answer)
    assert answer.msg_type == "DIALOG_INNBYGGER_TEST"
    assert answer.msg_info.ack is not None
    assert answer.msg_info.ack.v == "N"
    ref = answer.msg_info.conversation_ref
    assert ref is not None
    assert (ref.ref_to_parent, ref.ref_to_conversation) == (kt.msg_id, kt.msg_id)
    assert answer.msg_info.patient is None
    assert answer.sender.professional is not None
    assert answer.sender.professional.her_id == GP.her_id
    xml = answer.to_xml()
    assert b'V="RKT"' in xml
    assert KT_OID.encode() in xml
    assert b"Foresporsel" not in xml  # §3.10: the reply carries no Foresporsel
    assert office.context.store.get(kt.msg_id) is None  # no conversation is kept for a test


def test_an_rkt_arriving_here_is_reported_not_answered(office: GpOffice) -> None:
    # helsenorge.no answering a test this office never sent
    request = find_request("DIALOG_INNBYGGER_TEST", "KT")
    assert request is not None
    rkt = office.context.compose(
        from_office=False,
        gp_her_id=GP.her_id,
        msg_type="DIALOG_INNBYGGER_TEST",
        citizen=None,
        kind=request.replies[0],
        is_reply=True,
        ack=request.ack,
        body=Body(),
        thread=("00000000-0000-4000-8000-00000000abcd", "00000000-0000-4000-8000-00000000abcd"),
    )
    received = office.receive(wire(rkt))
    assert received.answer is None
    assert received.receipt is None
    assert received.error is not None
    assert received.error.rule == "SV005"


def test_another_request_code_in_the_test_process_is_refused(office: GpOffice) -> None:
    kt = office.communication_test(CITIZEN, GP.her_id)
    xml = kt.to_xml().replace(b'V="KT"', b'V="XX"')
    odd = digidialog.parse(xml)
    assert isinstance(odd, MsgHead)
    received = office.receive(odd)
    assert received.answer is None
    assert received.error is not None
    assert received.error.rule == "SV001"
