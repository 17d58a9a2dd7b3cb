"""Rules on MsgHead/MsgInfo: identity, threading, addressing, patient and Ack (HITS 1217 §2.3)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lxml import etree

from digidialog.codes import identifiers
from digidialog.codes.processes import ConversationRef
from digidialog.validation.context import Context, element_text, indexed
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.xml import namespaces as ns

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _m(local: str) -> str:
    return ns.qname(ns.MSGHEAD, local)


_MSGID, _GENDATE, _TYPE, _ACK = (_m(n) for n in ("MsgId", "GenDate", "Type", "Ack"))
_CONVREF, _PARENT_REF, _CONV_REF = _m("ConversationRef"), _m("RefToParent"), _m("RefToConversation")
_SENDER, _RECEIVER, _ORGANISATION = _m("Sender"), _m("Receiver"), _m("Organisation")
_HCP, _IDENT, _TYPE_ID, _ID = _m("HealthcareProfessional"), _m("Ident"), _m("TypeId"), _m("Id")
_PATIENT = _m("Patient")
_NAMES = ("GivenName", "FamilyName")
_NAME_TAGS = tuple(_m(name) for name in _NAMES)


indexed(
    _MSGID,
    _GENDATE,
    _ACK,
    _CONVREF,
    _PARENT_REF,
    _CONV_REF,
    _ORGANISATION,
    _HCP,
    _IDENT,
    _TYPE_ID,
    _ID,
    _PATIENT,
)


def _first(ctx: Context, tag: str) -> etree._Element | None:
    found = ctx.all(tag)
    return found[0] if found else None


class _Idents:
    """Every MsgHead Ident of the message: its TypeId V and Id text, and which element owns it."""

    def __init__(self, ctx: Context) -> None:
        kinds = {t.getparent(): t.get("V", "") for t in ctx.all(_TYPE_ID)}
        ids = ctx.all(_ID)
        if ctx.plain:
            values = {i.getparent(): (i.text or "").strip() for i in ids}
        else:
            values = {i.getparent(): (element_text(i) or "").strip() for i in ids}
        self.of: dict[etree._Element | None, list[tuple[etree._Element, str, str]]] = {}
        for ident in ctx.all(_IDENT):
            entry = (ident, kinds.get(ident, ""), values.get(ident, ""))
            self.of.setdefault(ident.getparent(), []).append(entry)

    def her(self, owner: etree._Element) -> bool:
        """True when ``owner`` (Organisation, HealthcareProfessional) has a HER-id Ident."""
        return any(kind == "HER" for _, kind, _ in self.of.get(owner, ()))


def _idents(ctx: Context) -> _Idents:
    found: _Idents | None = ctx.cache.get("idents")
    if found is None:
        found = ctx.cache["idents"] = _Idents(ctx)
    return found


def _is_uuid(value: str | None) -> bool:
    return value is not None and UUID.match(value.strip()) is not None


@rule("DD001", Severity.ERROR, "MsgId is a UUID", "HITS 1217 §2.3.1")
def msg_id_is_uuid(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    element = _first(ctx, _MSGID)
    if element is None:
        return
    value = (element.text if ctx.plain else element_text(element)) or ""
    if not _is_uuid(value):
        yield ctx.issue("DD001", element, f"MsgId {value!r} is not a UUID")


@rule(
    "DD002",
    Severity.WARNING,
    "MsgInfo/Type is a digital-dialog process",
    "HITS 1217 §2.3.2, chapter 3",
)
def known_process(ctx: Context) -> Iterator[Issue]:
    if ctx.process is None:
        assert ctx.msginfo is not None
        yield ctx.issue(
            "DD002",
            ctx.msginfo.find(_TYPE),
            f"MsgInfo/Type {ctx.msg_type!r} is not a digital-dialog process with the GP; "
            "process rules (codes, Ack, threading) were not applied",
        )


@rule("DD004", Severity.ERROR, "a reply carries ConversationRef", "HITS 1217 §2.3.3")
def reply_has_conversation_ref(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    if _first(ctx, _CONVREF) is not None:
        return
    request = ctx.classification.request if ctx.classification else None
    if ctx.is_reply:
        yield ctx.issue(
            "DD004",
            ctx.msginfo,
            "this message answers another (Dialogmelding/Notat) but has no ConversationRef; "
            "RefToParent must name the message answered, RefToConversation the first of the thread",
        )
    elif request is not None and request.conversation_ref is ConversationRef.REQUIRED:
        yield ctx.issue(
            "DD004",
            ctx.msginfo,
            f"TypeForesp {request.code} ({request.display_name}) refers to an earlier message "
            "and needs ConversationRef",
        )


@rule(
    "DD005", Severity.ERROR, "a thread's first message has no ConversationRef", "HITS 1217 §2.3.3"
)
def first_message_has_no_conversation_ref(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    element = _first(ctx, _CONVREF)
    request = ctx.classification.request if ctx.classification else None
    if (
        element is not None
        and not ctx.is_reply
        and request is not None
        and request.conversation_ref is ConversationRef.NEVER
    ):
        yield ctx.issue(
            "DD005",
            element,
            f"TypeForesp {request.code} ({request.display_name}) starts a thread and must not "
            "carry ConversationRef",
        )


@rule("DD006", Severity.ERROR, "ConversationRef holds UUIDs of other messages", "HITS 1217 §2.3.3")
def conversation_ref_ids(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    msg_id = _first(ctx, _MSGID)
    own = ""
    if msg_id is not None:
        own = ((msg_id.text if ctx.plain else element_text(msg_id)) or "").strip().lower()
    for element in (*ctx.all(_PARENT_REF), *ctx.all(_CONV_REF)):
        name = str(element.tag).rpartition("}")[2]
        value = ((element.text if ctx.plain else element_text(element)) or "").strip()
        if not _is_uuid(value):
            yield ctx.issue("DD006", element, f"{name} {value!r} is not a UUID (a MsgId)")
        elif value.lower() == own:
            yield ctx.issue("DD006", element, f"{name} refers to this message's own MsgId")


def _parse_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # A time without zone is Norwegian local time: read as UTC+1, close enough for a sanity check.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC) - timedelta(hours=1)


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


@rule("DD007", Severity.WARNING, "GenDate is a plausible time", "HITS 1217 §2.3; HIS 80601")
def gen_date_sane(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    element = _first(ctx, _GENDATE)
    if element is None:
        return
    value = (element.text if ctx.plain else element_text(element)) or ""
    when = _parse_datetime(value)
    if when is None:
        yield ctx.issue("DD007", element, f"GenDate {value!r} is not a date-time")
    elif when < EARLIEST:
        yield ctx.issue("DD007", element, f"GenDate {value} is before the year 2000")
    elif when > datetime.now(UTC) + FUTURE_SLACK:
        yield ctx.issue("DD007", element, f"GenDate {value} lies in the future")


@functools.lru_cache(maxsize=4096)
def _id_problem(kind: str, value: str) -> str | None:
    # Cached: a batch repeats the same HER-ids and organisation numbers in every message.
    scheme = identifiers.scheme_for(kind)
    if scheme is None:
        return None
    try:
        scheme.validate(value)
    except identifiers.InvalidIdentifierError as exc:
        return exc.message
    return None


Party = tuple[str, etree._Element, list[etree._Element]]
"""("Sender" | "Receiver", its top Organisation, the second level below it)."""


def _parties(ctx: Context) -> list[Party]:
    """Sender's and Receiver's organisation levels, worked out once per message."""
    found: list[Party] | None = ctx.cache.get("parties")
    if found is None:
        roles = {_SENDER: "Sender", _RECEIVER: "Receiver"}
        below: dict[etree._Element | None, list[etree._Element]] = {}
        for tag in (_ORGANISATION, _HCP):  # Organisations first, as before: level2[0] is named
            for element in ctx.all(tag):
                below.setdefault(element.getparent(), []).append(element)
        found = []
        for organisation in ctx.all(_ORGANISATION):
            parent = organisation.getparent()
            role = roles.get(parent.tag) if parent is not None else None
            if role is not None:
                found.append((role, organisation, below.get(organisation, [])))
        ctx.cache["parties"] = found
    return found


@rule(
    "DD010", Severity.ERROR, "Sender and Receiver name two organisation levels", "HITS 1217 §2.3.4"
)
def two_levels(ctx: Context) -> Iterator[Issue]:
    for role, organisation, level2 in _parties(ctx):
        if not level2:
            yield ctx.issue(
                "DD010",
                organisation,
                f"{role} names one organisation level; digital dialog needs two: the enterprise "
                "and, inside it, the communication party (Organisation or HealthcareProfessional)",
            )


@rule("DD011", Severity.ERROR, "the communication party has a HER-id", "HITS 1217 §2.3.4")
def party_her_id(ctx: Context) -> Iterator[Issue]:
    idents = _idents(ctx)
    for role, _organisation, level2 in _parties(ctx):
        if level2 and not any(idents.her(inner) for inner in level2):
            yield ctx.issue(
                "DD011",
                level2[0],
                f"{role}: the communication party (second level) has no HER-id; messages are "
                "addressed to it by HER-id",
            )


@rule("DD012", Severity.WARNING, "the enterprise level has a HER-id", "HITS 1217 §2.3.4")
def enterprise_her_id(ctx: Context) -> Iterator[Issue]:
    for role, organisation, _level2 in _parties(ctx):
        if not _idents(ctx).her(organisation):
            yield ctx.issue(
                "DD012",
                organisation,
                f"{role}: the enterprise (first level) has no HER-id; HITS 1217 asks for HER-ids "
                "on both levels",
            )


@rule(
    "DD013",
    Severity.ERROR,
    "HER-ids and organisation numbers are well-formed",
    "HITS 1217 §2.3.4; code list 9051",
)
def organisation_ids(ctx: Context) -> Iterator[Issue]:
    idents = _idents(ctx).of
    for role, organisation, level2 in _parties(ctx):
        for owner in (organisation, *level2):
            for ident, kind, value in idents.get(owner, ()):
                problem = _id_problem(kind, value) if kind in ("HER", "ENH") else None
                if problem:
                    yield ctx.issue("DD013", ident, f"{role}: {problem}")


def _patient_needed(ctx: Context) -> bool | None:
    found = ctx.classification
    if found is None:
        return None
    if found.reply is not None:
        return found.reply.patient
    return found.request.patient if found.request is not None else None


def _patient(ctx: Context) -> etree._Element | None:
    """MsgInfo/Patient (not a Patient in OtherReceiver or PatientReport); found once."""
    if "patient" not in ctx.cache:
        patients = ctx.all(_PATIENT)
        ctx.cache["patient"] = next((p for p in patients if p.getparent() is ctx.msginfo), None)
    found: etree._Element | None = ctx.cache["patient"]
    return found


@rule(
    "DD020",
    Severity.ERROR,
    "Patient is present where the service needs one",
    "HITS 1217 §2.3.6, chapter 3",
)
def patient_present(ctx: Context) -> Iterator[Issue]:
    if _patient(ctx) is None and _patient_needed(ctx):
        yield ctx.issue("DD020", ctx.msginfo, "MsgInfo/Patient is missing; this service needs it")


@rule("DD021", Severity.ERROR, "Patient has given and family name", "HITS 1217 §2.3.6")
def patient_names(ctx: Context) -> Iterator[Issue]:
    patient = _patient(ctx)
    if patient is None:
        return
    given: dict[object, str] = {}
    plain = ctx.plain
    for child in patient.iterchildren(*_NAME_TAGS):  # the first of each, as findtext reads
        given.setdefault(child.tag, (child.text if plain else element_text(child)) or "")
    for name, tag in zip(_NAMES, _NAME_TAGS, strict=True):
        if not given.get(tag, "").strip():
            yield ctx.issue("DD021", patient, f"Patient has no {name}")


@rule(
    "DD022",
    Severity.ERROR,
    "Patient has exactly one Ident, a fødselsnummer or D-number",
    "HITS 1217 §2.3.6",
)
def patient_one_ident(ctx: Context) -> Iterator[Issue]:
    patient = _patient(ctx)
    if patient is None:
        return
    idents = _idents(ctx).of.get(patient, [])
    if len(idents) != 1:
        yield ctx.issue(
            "DD022", patient, f"Patient has {len(idents)} Ident elements; exactly one is allowed"
        )
    for ident, kind, _value in idents:
        if kind not in ("FNR", "DNR"):
            yield ctx.issue(
                "DD022", ident, f"Patient Ident is of type {kind!r}; only FNR or DNR is allowed"
            )


@rule(
    "DD023",
    Severity.ERROR,
    "the patient's national ID number is valid",
    "HITS 1217 §2.3.6; code list 8116",
)
def patient_national_id(ctx: Context) -> Iterator[Issue]:
    patient = _patient(ctx)
    if patient is None:
        return
    for ident, kind, value in _idents(ctx).of.get(patient, ()):
        if kind not in ("FNR", "DNR"):
            continue
        problem = _id_problem(kind, value)
        if problem:
            yield ctx.issue("DD023", ident, f"Patient: {problem}")
        elif _person_kind(value) != kind:
            yield ctx.issue(
                "DD023",
                ident,
                f"Patient: {identifiers.mask(value)} is a {_person_kind(value)} "
                f"but TypeId says {kind}",
            )


@functools.lru_cache(maxsize=4096)
def _person_kind(value: str) -> str:
    return str(identifiers.kind(value))


@rule(
    "DD030",
    Severity.ERROR,
    "Ack is J for asynchronous and N for synchronous services",
    "HITS 1217 §2.3.5, §2.13, chapter 3",
)
def ack_matches_service(ctx: Context) -> Iterator[Issue]:
    assert ctx.msginfo is not None
    element = _first(ctx, _ACK)
    found = ctx.classification
    if found is None or not (found.request or found.candidates):
        return
    kinds = (found.request,) if found.request is not None else found.candidates
    if len({kind.synchronous for kind in kinds}) > 1:
        # A reply that may answer a synchronous or an asynchronous request (26 in
        # Timereservasjon answers HLT with Ack N, RT with Ack J): its codes cannot tell which.
        return
    wanted = found.ack
    actual = element.get("V") if element is not None else None
    if actual != wanted:
        kind = (
            "synchronous (answered at once, no AppRec)"
            if wanted == "N"
            else ("asynchronous (answered with an AppRec)")
        )
        shown = f'Ack V="{actual}"' if actual else "no Ack"
        yield ctx.issue(
            "DD030",
            element if element is not None else ctx.msginfo,
            f'{shown}, but this service is {kind} and needs Ack V="{wanted}"',
        )
