"""Our own example messages: valid against the official schemas, threaded correctly, and covering
every request and reply kind of the four GP services (HITS 1217 chapter 4.1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from digidialog.codes import find_system
from digidialog.codes.identifiers import fodselsnummer, herid, orgnr
from digidialog.codes.processes import PROCESSES, ConversationRef, Party, Requirement, classify
from digidialog.xml.parser import parse_xml
from digidialog.xml.schema import SchemaSet
from tests.conftest import EXAMPLES

MH = "{http://www.kith.no/xmlstds/msghead/2006-05-24}"
DM = "{http://www.kith.no/xmlstds/dialog/2013-01-23}"
ICAL = "{urn:ietf:params:xml:ns:icalendar-2.0}"
PORTAL_HER = (
    "4100001"  # the citizen portal's HER-id in our examples: its messages are Party.INNBYGGER
)

PATHS = sorted(EXAMPLES.rglob("*.xml"))
SERVICES = {
    "DIALOG_INNBYGGER_TIMERESERVASJON",
    "DIALOG_INNBYGGER_TIMEONSKE",
    "DIALOG_INNBYGGER_RESEPTFORNYELSE",
    "DIALOG_INNBYGGER_EKONSULTASJON",
    "DIALOG_INNBYGGER_EKONTAKT",
}
NOT_GP = {
    (
        "DIALOG_INNBYGGER_TIMERESERVASJON",
        "HBT",
    ): "hent bestilte timer is a Helse og omsorg service (§5.1)",
    ("DIALOG_INNBYGGER_EKONTAKT", "VUS"): "an unread-notice, not a request/reply of table 4.1",
}
ONLY_IN_OFFICIAL_EXAMPLES = {"17", "18"}  # attest replies to HE: not in HITS 1217 §3.3


@dataclass(frozen=True)
class Example:
    path: Path
    tree: etree._ElementTree
    msg_type: str
    msg_id: str
    ack: str
    parent: str | None
    conversation: str | None
    type_foresp: str | None
    tema_kodet: str | None
    sender: Party

    @property
    def name(self) -> str:
        return str(self.path.relative_to(EXAMPLES))


def _value(tree: etree._ElementTree, path: str, attr: str | None = None) -> str | None:
    el = tree.find(path)
    if el is None:
        return None
    return el.get(attr) if attr else (el.text or "").strip()


def load(path: Path) -> Example:
    tree = parse_xml(path)
    info = f"{MH}MsgInfo"
    sender_her = [
        i.findtext(f"{MH}Id")
        for i in tree.findall(f"{info}/{MH}Sender/{MH}Organisation/{MH}Ident")
        if i.find(f"{MH}TypeId").get("V") == "HER"  # type: ignore[union-attr]
    ]
    return Example(
        path=path,
        tree=tree,
        msg_type=_value(tree, f"{info}/{MH}Type", "V") or "",
        msg_id=_value(tree, f"{info}/{MH}MsgId") or "",
        ack=_value(tree, f"{info}/{MH}Ack", "V") or "",
        parent=_value(tree, f"{info}/{MH}ConversationRef/{MH}RefToParent"),
        conversation=_value(tree, f"{info}/{MH}ConversationRef/{MH}RefToConversation"),
        type_foresp=_value(tree, f".//{DM}Foresporsel/{DM}TypeForesp", "V"),
        tema_kodet=_value(tree, f".//{DM}Notat/{DM}TemaKodet", "V"),
        sender=Party.INNBYGGER if PORTAL_HER in sender_her else Party.HELSEPERSONELL,
    )


@pytest.fixture(scope="module")
def examples() -> dict[str, Example]:
    """Every example by MsgId."""
    loaded = [load(p) for p in PATHS]
    by_id = {e.msg_id: e for e in loaded}
    assert len(by_id) == len(loaded), "MsgIds are not unique"
    return by_id


def test_there_are_examples_with_an_index() -> None:
    assert len(PATHS) >= 40
    readme = (EXAMPLES / "README.md").read_text()
    for path in PATHS:
        assert path.name in readme, f"{path.name} is missing from examples/README.md"


@pytest.mark.reference
@pytest.mark.parametrize("path", PATHS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_is_valid_against_official_schemas(
    path: Path, official_schema: etree.XMLSchema
) -> None:
    assert official_schema.validate(parse_xml(path)), official_schema.error_log


@pytest.mark.parametrize("path", PATHS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_is_valid_against_our_schemas(path: Path) -> None:
    assert SchemaSet.default().validate(parse_xml(path)) == []


def test_msg_ids_are_unique_uuids(examples: dict[str, Example]) -> None:
    for e in examples.values():
        assert str(uuid.UUID(e.msg_id)) == e.msg_id, e.name


def test_every_example_fits_the_catalogue(examples: dict[str, Example]) -> None:
    for e in examples.values():
        found = classify(e.msg_type, type_foresp=e.type_foresp, tema_kodet=e.tema_kodet)
        assert found is not None, e.name
        assert e.ack == found.ack, e.name
        kind = found.reply if found.reply is not None else found.request
        assert kind is not None
        assert e.sender in kind.senders, e.name
        if not found.is_reply:
            assert found.request is not None
            assert (e.parent is not None) == (
                found.request.conversation_ref is ConversationRef.REQUIRED
            ), e.name
            present = {etree.QName(el).localname for el in e.tree.iterfind(f".//{DM}Foresporsel/*")}
            assert found.request.required <= present, e.name
            assert not found.request.forbidden & present, e.name
            has_ical = e.tree.find(f".//{ICAL}icalendar") is not None
            if found.request.icalendar is not Requirement.OPTIONAL:
                assert has_ical == (found.request.icalendar is Requirement.REQUIRED), e.name
            if found.request.kodet_opplysning:
                ko = e.tree.find(f".//{DM}Foresporsel/{DM}KodetOpplysning")
                assert ko is not None, e.name
                system = find_system(found.request.kodet_opplysning)
                assert system is not None
                assert ko.get("S") == system.oid, e.name
                assert system.get(ko.get("V", "")) is not None, e.name


def test_replies_point_to_the_example_they_answer(examples: dict[str, Example]) -> None:
    replies = [e for e in examples.values() if e.tema_kodet is not None]
    assert replies
    for reply in replies:
        assert reply.parent in examples, f"{reply.name}: RefToParent is not an example"
        assert reply.conversation in examples, f"{reply.name}: RefToConversation is not an example"
        first = examples[reply.conversation]
        assert first.parent is None, f"{reply.name}: RefToConversation is not a thread's start"
        assert examples[reply.parent].conversation in (None, first.msg_id), reply.name
        assert first.msg_type == reply.msg_type, reply.name
        request = PROCESSES[first.msg_type].request(first.type_foresp or "")
        assert request is not None
        answer = request.reply(reply.tema_kodet or "")
        assert answer is not None, (
            f"{reply.name}: {reply.tema_kodet} does not answer {request.code}"
        )
        assert reply.sender in answer.senders, reply.name
        if request.reply_text is Requirement.REQUIRED:
            assert reply.tree.find(f".//{DM}Notat/{DM}TekstNotatInnhold") is not None, reply.name


def test_identifiers_are_checksum_valid(examples: dict[str, Example]) -> None:
    checks = {"FNR": fodselsnummer, "DNR": fodselsnummer, "HER": herid, "ENH": orgnr}
    seen: set[str] = set()
    for e in examples.values():
        for ident in e.tree.iter("{*}Ident"):
            type_id = ident.find("{*}TypeId")
            value = ident.findtext("{*}Id")
            assert type_id is not None
            assert value is not None
            scheme = checks.get(type_id.get("V", ""))
            if scheme is not None:
                seen.add(type_id.get("V", ""))
                assert scheme.is_valid(value), f"{e.name}: {type_id.get('V')} {value}"
    assert seen == set(checks)


def test_every_request_and_reply_kind_of_the_gp_services_has_an_example(
    examples: dict[str, Example],
) -> None:
    """Each request code, and each reply code of each process, appears at least once."""
    requests = {(e.msg_type, e.type_foresp) for e in examples.values() if e.tema_kodet is None}
    replies = {(e.msg_type, e.tema_kodet) for e in examples.values() if e.tema_kodet is not None}
    missing: list[str] = []
    for msg_type in SERVICES:
        for req in PROCESSES[msg_type].requests:
            if (msg_type, req.code) in NOT_GP:
                continue
            if (msg_type, req.code) not in requests:
                missing.append(f"{msg_type} request {req.code}")
            for reply in req.replies:
                if reply.refusal or reply.code in ONLY_IN_OFFICIAL_EXAMPLES:
                    continue
                if (msg_type, reply.code) not in replies:
                    missing.append(f"{msg_type} reply {reply.code}")
    assert not missing
    assert {code for _, code in replies if code in {"26", "30", "31"}} == {"26", "30", "31"}
