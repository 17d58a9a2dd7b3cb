"""The HITS 1217 catalogue: its facts, and every official example checked against it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from digidialog.codes import UnknownCodeError, find_system
from digidialog.codes.processes import (
    BOTH,
    EXAMPLE_DEVIATIONS,
    GENERAL_REFUSALS,
    PROCESSES,
    ConversationRef,
    Party,
    ReplyKind,
    RequestKind,
    Requirement,
    classify,
    expects_apprec,
    find_process,
    find_request,
    is_reply_allowed,
    is_request_allowed,
    min_version,
    process,
    requests_answered_by,
    supports,
)
from tests.conftest import OFFICIAL_SAMPLES, official_sample_paths

MH = "{http://www.kith.no/xmlstds/msghead/2006-05-24}"
DM = "{http://www.kith.no/xmlstds/dialog/2013-01-23}"
GP_PROCESSES = {
    f"DIALOG_INNBYGGER_{n}"
    for n in [
        "RESEPTFORNYELSE",
        "EKONSULTASJON",
        "EKONTAKT",
        "TIMERESERVASJON",
        "TIMEONSKE",
        "AVTALEUTSENDING",
        "AVTALEAVBESTILLING",
        "DIGITALBRUKER",
        "TEST",
        "BEHANDLEROVERSIKT",
    ]
}


def test_catalogue_covers_every_gp_process() -> None:
    assert set(PROCESSES) == GP_PROCESSES | {"DIALOG_INNBYGGER_TIMER"}
    for p in PROCESSES.values():
        assert p.versions
        assert p.requests
        for r in p.requests:
            assert r.process == p.msg_type
            assert r.system in {"7601", "7602", "7603"}
            assert all(x.system in {"7602", "7603"} for x in r.replies)


def test_display_names_come_from_the_code_lists() -> None:
    rt = find_request("DIALOG_INNBYGGER_TIMERESERVASJON", "RT")
    assert rt is not None
    assert rt.display_name == "Reserver time"
    assert rt.reply("06") is not None
    assert rt.reply("06").display_name == "Time ikke tilgjengelig"  # type: ignore[union-attr]
    assert GENERAL_REFUSALS == {
        "26": "Forespørsel avvist",
        "30": "Ikke tilgang",
        "31": "Generell feil",
    }


def test_a_catalogue_entry_with_a_code_its_list_lacks_is_refused() -> None:
    with pytest.raises(UnknownCodeError, match="'XX' is not in code list 7601"):
        RequestKind("DIALOG_INNBYGGER_TEST", "XX", "7601", BOTH, "0")
    with pytest.raises(UnknownCodeError, match="'99' is not in code list 7602"):
        ReplyKind("99", "Ukjent svar", BOTH)
    with pytest.raises(UnknownCodeError, match="'14' of code list 7602 is 'Resept er fornyet'"):
        ReplyKind("14", "Resept fornyet", BOTH)


@pytest.mark.parametrize(
    ("msg_type", "type_foresp", "allowed", "refused"),
    [
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "HLT", {"03", "04", "26", "30"}, {"05", "31"}),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "RT", {"05", "06", "26", "30"}, {"08", "10"}),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "ART", {"08", "09"}, {"05"}),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OT", {"05", "10", "06"}, {"07", "08", "34"}),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OET", {"07", "10", "06", "34"}, {"05"}),
        ("DIALOG_INNBYGGER_TIMEONSKE", "OAT", {"08", "09"}, {"05"}),
        ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RF", {"14", "15", "32", "26", "30"}, {"31", "12"}),
        ("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RFER", {"14", "15", "32"}, {"19"}),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "SB", {"12", "13", "26", "30", "31"}, {"19", "22"}),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "DI", {"22", "13", "26", "31"}, {"30", "12"}),
        ("DIALOG_INNBYGGER_EKONSULTASJON", "EKI", set(), {"22", "26"}),
        ("DIALOG_INNBYGGER_EKONTAKT", "HE", {"19", "13", "26", "30", "31"}, {"12", "22"}),
        ("DIALOG_INNBYGGER_EKONTAKT", "DI", {"22", "13"}, {"19"}),
        ("DIALOG_INNBYGGER_BEHANDLEROVERSIKT", "HB", {"20", "21", "30", "31"}, {"26"}),
        ("DIALOG_INNBYGGER_DIGITALBRUKER", "SIDAB", {"28", "29", "26", "31"}, {"30"}),
        ("DIALOG_INNBYGGER_DIGITALBRUKER", "SDAB", set(), {"28"}),
        ("DIALOG_INNBYGGER_TEST", "KT", {"RKT"}, {"26"}),
        ("DIALOG_INNBYGGER_AVTALEUTSENDING", "05", set(), {"05"}),
        ("DIALOG_INNBYGGER_TIMER", "OAB", {"35", "36"}, {"07", "26"}),
        ("DIALOG_INNBYGGER_TIMER", "05", set(), {"05"}),
    ],
)
def test_reply_codes_per_request(
    msg_type: str, type_foresp: str, allowed: set[str], refused: set[str]
) -> None:
    for c in allowed:
        assert is_reply_allowed(msg_type, type_foresp, c), c
    for c in refused:
        assert not is_reply_allowed(msg_type, type_foresp, c), c
    if not allowed:
        assert find_request(msg_type, type_foresp).replies == ()  # type: ignore[union-attr]


def test_general_refusals_by_process() -> None:
    assert set(GENERAL_REFUSALS) == {"26", "30", "31"}
    refusals = {m: p.refusal_codes for m, p in PROCESSES.items()}
    assert refusals["DIALOG_INNBYGGER_RESEPTFORNYELSE"] == {"26", "30"}
    assert refusals["DIALOG_INNBYGGER_EKONSULTASJON"] == {"26", "30", "31"}
    assert refusals["DIALOG_INNBYGGER_BEHANDLEROVERSIKT"] == {"30", "31"}
    assert refusals["DIALOG_INNBYGGER_TEST"] == frozenset()
    assert refusals["DIALOG_INNBYGGER_AVTALEUTSENDING"] == frozenset()


def test_senders_sync_and_ack() -> None:
    sb = find_request("DIALOG_INNBYGGER_EKONSULTASJON", "SB")
    di = find_request("DIALOG_INNBYGGER_EKONSULTASJON", "DI")
    assert sb is not None
    assert di is not None
    assert sb.senders == {Party.INNBYGGER}
    assert di.senders == {Party.HELSEPERSONELL}
    assert di.reply("22").senders == {Party.INNBYGGER}  # type: ignore[union-attr]
    assert di.reply("13").senders == {Party.HELSEPERSONELL}  # type: ignore[union-attr]
    assert find_request("DIALOG_INNBYGGER_TEST", "KT").senders == set(Party)  # type: ignore[union-attr]
    for msg_type, req in [
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "HLT"),
        ("DIALOG_INNBYGGER_TIMERESERVASJON", "HBT"),
        ("DIALOG_INNBYGGER_TEST", "KT"),
        ("DIALOG_INNBYGGER_BEHANDLEROVERSIKT", "HB"),
    ]:
        assert expects_apprec(msg_type, type_foresp=req) is False
        assert find_request(msg_type, req).ack == "N"  # type: ignore[union-attr]
    assert expects_apprec("DIALOG_INNBYGGER_TIMERESERVASJON", tema_kodet="03") is False
    assert expects_apprec("DIALOG_INNBYGGER_TIMERESERVASJON", type_foresp="RT") is True
    assert expects_apprec("DIALOG_INNBYGGER_TIMERESERVASJON", tema_kodet="05") is True
    assert expects_apprec("DIALOG_INNBYGGER_TEST", tema_kodet="RKT") is False
    assert expects_apprec("DIALOG_INNBYGGER_EKONTAKT", type_foresp="XX") is None
    avtale = find_request("DIALOG_INNBYGGER_AVTALEUTSENDING", "11")
    assert avtale is not None
    assert avtale.system == "7602"
    assert avtale.expects_apprec
    vus = find_request("DIALOG_INNBYGGER_EKONTAKT", "VUS")
    assert vus is not None
    assert vus.conversation_ref is ConversationRef.REQUIRED


def test_classify_requests_and_replies() -> None:
    c = classify("DIALOG_INNBYGGER_TIMEONSKE", tema_kodet="10")
    assert c is not None
    assert c.is_reply
    assert c.request is None
    assert {r.code for r in c.candidates} == {"OT", "OET"}
    c = classify("DIALOG_INNBYGGER_TIMEONSKE", tema_kodet="08")
    assert c is not None
    assert c.request is not None
    assert c.request.code == "OAT"
    c = classify("DIALOG_INNBYGGER_TEST", type_foresp="KT", tema_kodet="RKT")
    assert c is not None
    assert c.is_reply
    assert c.reply is not None
    assert c.reply.system == "7603"
    c = classify("DIALOG_INNBYGGER_TIMERESERVASJON", type_foresp="MOA")
    assert c is not None
    assert not c.is_reply
    assert c.request is not None
    assert classify("DIALOG_INNBYGGER_TIMERESERVASJON", tema_kodet="12") is None
    assert classify("DIALOG_INNBYGGER_TIMERESERVASJON") is None
    assert classify("DIALOG_HELSEFAGLIG", type_foresp="RT") is None
    assert requests_answered_by("DIALOG_INNBYGGER_EKONTAKT", "13") == tuple(
        r for r in PROCESSES["DIALOG_INNBYGGER_EKONTAKT"].requests if r.code in {"HE", "DI"}
    )
    assert is_request_allowed("DIALOG_INNBYGGER_EKONTAKT", "HE")
    assert not is_request_allowed("DIALOG_INNBYGGER_EKONTAKT", "SB")


def test_process_lookup_strict_and_alias() -> None:
    assert process("DIALOG_INNBYGGER_TEST").name == "Dialog_Innbygger_Test"
    alias = find_process("DIALOG_INNBYGGER_AVTALEBESTILLING")
    assert alias is PROCESSES["DIALOG_INNBYGGER_AVTALEAVBESTILLING"]
    with pytest.raises(UnknownCodeError, match="DIALOG_HELSEFAGLIG"):
        process("DIALOG_HELSEFAGLIG")


def test_versions() -> None:
    t = "DIALOG_INNBYGGER_TIMERESERVASJON"
    assert min_version(t, "HLT") == "1.1"
    assert min_version(t, "HBT") == "1.2"
    assert min_version(t, "RT", pasientrelasjon=True) == "1.2"
    assert supports(t, "1.2", "HBT")
    assert not supports(t, "1.1", "HBT")
    assert not supports(t, "1.1", "RT", pasientrelasjon=True)
    assert not supports(t, "9.9", "RT")
    assert min_version("DIALOG_INNBYGGER_RESEPTFORNYELSE", "RFER") == "1.3"
    assert min_version("DIALOG_INNBYGGER_TEST", "KT", pasientrelasjon=True) is None
    assert min_version(t, "XX") is None


# -- the official examples against the catalogue -------------------------------------------


def _first(tree: etree._ElementTree, name: str) -> etree._Element | None:
    for el in tree.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == name:
            return el
    return None


def _problems(path: Path) -> list[str]:
    """Every way the example disagrees with the catalogue (empty when it agrees)."""
    tree = etree.parse(str(path))
    info = tree.find(f"{MH}MsgInfo")
    assert info is not None
    msg_type = info.find(f"{MH}Type").get("V")  # type: ignore[union-attr]
    problems: list[str] = []
    if msg_type not in PROCESSES:
        problems.append(f"MsgInfo/Type {msg_type}")
    tf, tk = _first(tree, "TypeForesp"), _first(tree, "TemaKodet")
    found = classify(
        msg_type or "",
        type_foresp=None if tf is None else tf.get("V"),
        tema_kodet=None if tk is None else tk.get("V"),
    )
    if found is None:
        return [*problems, "codes unknown to the catalogue"]
    coded = tk if found.is_reply else tf
    assert coded is not None
    kind = found.reply if found.reply is not None else found.request
    assert kind is not None
    if coded.get("S") != kind.oid:
        problems.append("S")
    if coded.get("DN") != kind.display_name:
        problems.append("DN")
    if info.find(f"{MH}Ack").get("V") != found.ack:  # type: ignore[union-attr]
        problems.append("Ack")
    has_ref = info.find(f"{MH}ConversationRef") is not None
    wants_ref = found.is_reply or (
        found.request is not None and found.request.conversation_ref is ConversationRef.REQUIRED
    )
    if has_ref != wants_ref:
        problems.append("ConversationRef")
    if (info.find(f"{MH}Patient") is not None) != kind.patient:
        problems.append("Patient")
    if found.is_reply:
        answered = (found.request,) if found.request is not None else found.candidates
        text_required = all(r.reply_text is Requirement.REQUIRED for r in answered)
        if text_required and tree.find(f".//{DM}Notat/{DM}TekstNotatInnhold") is None:
            problems.append("TekstNotatInnhold")
    elif found.request is not None:
        present = {etree.QName(el).localname for el in tree.iterfind(f".//{DM}Foresporsel/*")}
        if found.request.required - present or found.request.forbidden & present:
            problems.append("Foresporsel content")
        has_ical = tree.find(".//{urn:ietf:params:xml:ns:icalendar-2.0}icalendar") is not None
        if found.request.icalendar is not Requirement.OPTIONAL and has_ical != (
            found.request.icalendar is Requirement.REQUIRED
        ):
            problems.append("iCalendar")
    if not found.is_reply and found.request is not None and found.request.kodet_opplysning:
        ko = _first(tree, "KodetOpplysning")
        if ko is None or find_system(ko.get("S", "")) is not find_system(
            found.request.kodet_opplysning
        ):
            problems.append("KodetOpplysning")
    return problems


@pytest.mark.reference
def test_official_examples_agree_with_catalogue_except_listed_deviations(reference: Path) -> None:
    paths = official_sample_paths()
    assert len(paths) == 69
    disagreeing = {
        str(p.relative_to(OFFICIAL_SAMPLES)): probs for p in paths if (probs := _problems(p))
    }
    listed = {d.example for d in EXAMPLE_DEVIATIONS}
    # the catalogue lists exactly the examples that disagree: nothing hidden, nothing invented
    assert set(disagreeing) == listed, disagreeing
    documented = {d.example for d in EXAMPLE_DEVIATIONS if d.documented}
    assert len(documented) == 4


@pytest.mark.reference
@pytest.mark.parametrize("path", official_sample_paths(), ids=lambda p: p.name[:60])
def test_every_official_example_is_placed_by_the_catalogue(path: Path) -> None:
    """Type/TypeForesp/TemaKodet of every example is known (the HLT/HBT mix-up stays a request)."""
    tree = etree.parse(str(path))
    msg_type = tree.find(f"{MH}MsgInfo/{MH}Type").get("V")  # type: ignore[union-attr]
    tf, tk = _first(tree, "TypeForesp"), _first(tree, "TemaKodet")
    found = classify(
        msg_type or "",
        type_foresp=None if tf is None else tf.get("V"),
        tema_kodet=None if tk is None else tk.get("V"),
    )
    assert found is not None, path.name
    assert found.is_reply == (tk is not None)
