"""Rules on coded values (``V``/``S``/``DN``): the right code system, known codes, matching names.

Each coded element has the code lists it may use; a message that names another list, a code the
list does not have, or a display name that belongs to a different code is reported. The rules
read MsgHead messages and standalone AppRecs (1.0 and 1.1) alike; unknown codes in the code lists
of `digidialog.codes` are reported, never dropped.

Coded elements that are not read here, and why (`tests/validation/test_rules_audit.py` keeps
this list honest against the examples and the AppRecs the services build):

- AppRec/MsgType: a fixed value, APPREC; DD093 reports any other, so DD071 would say it twice.
- AppRec Receiver/Role: a fixed value, AVS (HIS 80415 §4.4.5), which no code list holds.
- AppRec AdditionalId/Type (8268), Dept/Type (8624), HCP/MedSpeciality (8451, 7426) and
  Address/County, Country, CityDistr (3402, 9043, 3403): code lists digidialog.codes does not hold.
- AppRec 1.0 Sender/Role and the TypeId of Inst, Dept, HCPerson and HCProf: AppRec 1.1 brought
  new role codes (8112: PRIM, COP) and the TypeId lists MsgHead uses (9051, 8116) (HIS 80415
  §2, HITS 1168 §6.2, §8.1); version 1.0 writes the roles of code list 7301 (REQ, SPR, COP) and
  older identifier lists, which digidialog.codes does not hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from lxml import etree

from digidialog.codes import find_system
from digidialog.codes.base import OID_PREFIX, Code, CodeSystem
from digidialog.validation.context import Context, ProcessKey, classification_of, indexed
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.xml import namespaces as ns

_FK1 = "http://www.kith.no/xmlstds/felleskomponent1"

_HCP_TYPE = ("TypeHealthcareProfessional", ("9060",), True)
"""Kategori helsepersonell (HIS 80603 HealthcareProfessional, HITS 1217 §2.6)."""
_ADDRESS_TYPE = ("Address/Type", ("3401",), True)
"""Adressetype (HIS 80603 Address/TypeAddress, HIS 80415 §4.5.1)."""
_ROLE_TO_PATIENT = ("RollerRelatertNotat/RoleToPatient", ("9034",), True)

_ORIGINAL_TYPE = "OriginalMsgId/MsgType"
_PARTIAL: dict[str, tuple[str, ...]] = {_ORIGINAL_TYPE: ("DIALOG",)}
"""Places whose code list digidialog.codes holds only for values with these prefixes (8279: every
DIALOG* code of Volven, APPREC and AMQP_SOAP_FAULT). An AppRec may receipt any message type
(HIS 80415 §4.3.2; its examples in §5.2 receipt an EPIKRISE), so another value there is a code of
the full list that cannot be judged, not an unknown one; a DIALOG* value outside it is reported."""

# (namespace, element, parent) -> (what, code lists, compare DN); parent None matches any parent.
# Address is MsgHead's own type in MsgHead, felleskomponent1's wherever Dialogmelding (both
# versions), helsepersonell and the other standards hold one, and AppRec's own in AppRec.
_PLACES: dict[tuple[str, str, str | None], tuple[str, tuple[str, ...], bool]] = {
    (ns.MSGHEAD, "Type", "MsgInfo"): ("MsgInfo/Type", ("8279",), False),
    (ns.MSGHEAD, "RoleToPatient", None): ("RoleToPatient", ("9034",), True),
    (ns.MSGHEAD, "TypeHealthcareProfessional", None): _HCP_TYPE,
    (ns.MSGHEAD, "MsgType", "RefDoc"): ("RefDoc/MsgType", ("8114",), True),
    (ns.MSGHEAD, "Type", "Address"): _ADDRESS_TYPE,
    (ns.DIALOG_1_1, "TypeId", None): ("Ident/TypeId", ("8116", "9051"), True),
    (_FK1, "RoleToPatient", None): ("RoleToPatient", ("9034",), True),
    (_FK1, "TypeId", None): ("Ident/TypeId", ("8116", "9051"), True),
    (_FK1, "TypeHealthcareProfessional", None): _HCP_TYPE,
    (_FK1, "Type", "Address"): _ADDRESS_TYPE,
    (ns.PASIENTRELASJON, "Relasjon", None): ("Pasientrelasjon/Relasjon", ("7611",), True),
}
for _dialog in (ns.DIALOG_1_1, ns.DIALOG_1_0):  # the same RollerRelatertNotat in both versions
    _PLACES[(_dialog, "RoleToPatient", None)] = _ROLE_TO_PATIENT
    _PLACES[(_dialog, "RolleNotat", None)] = ("RollerRelatertNotat/RolleNotat", ("9057",), True)
    _PLACES[(_dialog, "TypeHealthcareProfessional", None)] = _HCP_TYPE
# AppRec (HIS 80415 §4.3-§4.5), standalone or inside a MsgHead Document. The other coded
# elements of an AppRec, and why they are not read, are listed in the module docstring.
for _apprec in (ns.APPREC_1_1, ns.APPREC_1_0):
    _PLACES[(_apprec, "Status", None)] = ("AppRec/Status", ("8258",), True)
    _PLACES[(_apprec, "Error", None)] = ("AppRec/Error", ("8221",), True)
    _PLACES[(_apprec, "MsgType", "OriginalMsgId")] = (_ORIGINAL_TYPE, ("8279",), False)
    _PLACES[(_apprec, "Type", "Address")] = _ADDRESS_TYPE
    _PLACES[(_apprec, "Type", "HCProf")] = ("AppRec HCProf/Type", ("9060",), True)
# Version 1.1 only: its role codes and identifier lists are not those of 1.0 (see above).
_PLACES[(ns.APPREC_1_1, "Role", "Sender")] = ("AppRec/Sender/Role", ("8112",), True)
_PLACES[(ns.APPREC_1_1, "TypeId", "Inst")] = ("AppRec Inst/TypeId", ("9051",), True)
# Dept/TypeId: "subsett av kodeverk 8268 tilpasset kodeverk 9051" for organisational units.
_PLACES[(ns.APPREC_1_1, "TypeId", "Dept")] = ("AppRec Dept/TypeId", ("9051",), True)
_PLACES[(ns.APPREC_1_1, "TypeId", "HCPerson")] = ("AppRec HCPerson/TypeId", ("8116",), True)
_PLACES[(ns.APPREC_1_1, "TypeId", "HCProf")] = ("AppRec HCProf/TypeId", ("8116",), True)

_CODED_TAGS = tuple(
    {f"{{{n}}}{local}" for n, local, _ in _PLACES}
    | {
        ns.qname(ns.MSGHEAD, "TypeId"),
        *(
            ns.qname(ns.DIALOG_1_1, local)
            for local in ("TypeForesp", "TemaKodet", "KodetOpplysning")
        ),
        # Dialogmelding 1.0 has TypeForesp and TemaKodet (no KodetOpplysning), read as in 1.1.
        *(ns.qname(ns.DIALOG_1_0, local) for local in ("TypeForesp", "TemaKodet")),
    }
)
"""Every element name that can hold a code."""
_CODED = "coded"
indexed(*_CODED_TAGS, group=_CODED)
_INDEXED_CODED = frozenset(_CODED_TAGS)

_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=1024)
def _fold(name: str) -> str:
    """Compare display names the way a reader would: case, spaces and punctuation ignored."""
    return _NOT_WORD.sub("", name.casefold())


Place = tuple[str, tuple[str, ...], bool]
"""What a coded element is, the code lists it may use (first = default), whether DN is compared."""
Verdict = tuple[tuple[str, str], ...]
"""(rule ID, message) for each rule of this module a coded element breaks."""


_BY_TAG: dict[tuple[str, str | None], Place] = {
    (f"{{{n}}}{local}", parent): place for (n, local, parent), place in _PLACES.items()
}
_BY_PARENT = frozenset(tag for tag, parent in _BY_TAG if parent is not None)
"""Tags whose place depends on their parent's name. For the others `_place` does not read the
parent (MsgHead TypeId only asks whether there is one), so `coded` skips looking it up."""
_ANY_PARENT = "?"
"""The parent tag `coded` records for a MsgHead TypeId with a parent (only its presence counts)."""
_MH_TYPE_ID = ns.qname(ns.MSGHEAD, "TypeId")
_MH_ORGANISATION = ns.qname(ns.MSGHEAD, "Organisation")
_DIALOG_PREFIXES = (f"{{{ns.DIALOG_1_1}}}", f"{{{ns.DIALOG_1_0}}}")
"""TypeForesp and TemaKodet take their lists from the process in both Dialogmelding versions."""


CodedKey = tuple[str, str, bool, ProcessKey | None, str | None, str, str | None]
"""What decides the findings for a coded element: its tag, its parent's tag, whether an Ident
sits in an Organisation, the message's place in the catalogue (None: no digital-dialog process),
and its S, V and DN."""


@functools.lru_cache(maxsize=8192)
def _findings(key: CodedKey) -> Verdict:
    """The findings for one coded element; pure, so a batch works each combination out once."""
    tag, parent_tag, in_organisation, process, declared, value, shown = key
    place = _place(tag, parent_tag, in_organisation, process)
    return () if place is None else _verdict(place, declared, value, shown)


def _place(
    tag: str, parent_tag: str, in_organisation: bool, process: ProcessKey | None
) -> Place | None:
    parent_name = parent_tag.rpartition("}")[2]
    place = _BY_TAG.get((tag, parent_name)) or _BY_TAG.get((tag, None))
    if place is not None:
        return place
    if tag == _MH_TYPE_ID and parent_tag:
        if in_organisation:
            return "Organisation Ident", ("9051",), True
        return "person Ident", ("8116",), True
    if process is not None:
        for prefix in _DIALOG_PREFIXES:
            if tag.startswith(prefix):
                return _process_place(process, tag[len(prefix) :])
    return None


def _process_place(process: ProcessKey, local: str) -> Place | None:
    """TypeForesp, TemaKodet and KodetOpplysning: their lists depend on the process (the
    same in Dialogmelding 1.0 and 1.1; only 1.1 has KodetOpplysning)."""
    msg_type, type_foresp, tema_kodet, is_reply = process
    found = classification_of(msg_type, type_foresp, tema_kodet)
    request = found.request if found else None
    if local == "TypeForesp":
        systems = (request.system,) if request and not is_reply else ("7601", "7602", "7603")
        return "Foresporsel/TypeForesp", systems, True
    if local == "TemaKodet":
        reply = found.reply if found else None
        return "Notat/TemaKodet", (reply.system,) if reply else ("7602", "7603"), True
    if local == "KodetOpplysning":
        wanted = request.kodet_opplysning if request else None
        return "Foresporsel/KodetOpplysning", (wanted,) if wanted else ("8324", "1101"), True
    return None


def checked(tag: str, parent_tag: str) -> bool:
    """Whether a coded element ``tag`` (Clark name) below ``parent_tag`` is read against a code
    list in a digital-dialog message or an AppRec (a test asks this of every coded element in the
    examples and in the AppRecs the services build)."""
    if tag not in _INDEXED_CODED:
        return False  # `coded` never sees it
    any_process: ProcessKey = ("", None, None, False)
    return _place(tag, parent_tag or _ANY_PARENT, False, any_process) is not None


_find_system = functools.lru_cache(maxsize=256)(find_system)


def _verdict(place: Place, declared: str | None, value: str, shown: str | None) -> Verdict:
    """Every finding of DD070-DD073 for one coded element at ``place`` with S, V and DN."""
    what, allowed, names = place
    system = _find_system(declared if declared is not None else allowed[0])
    if system is not None and system.number not in allowed:
        system = None  # read against no list: S names one not allowed here
    found: list[tuple[str, str]] = []
    if declared is not None:
        if system is None:
            wanted = " or ".join(OID_PREFIX + number for number in allowed)
            found.append(("DD070", f"{what} uses code system S={declared!r}; it must be {wanted}"))
        elif declared != system.oid:
            found.append(
                ("DD070", f"{what}: S={declared!r} must be written as the full OID {system.oid!r}")
            )
    if system is None:
        return tuple(found)
    code = system.get(value)
    if code is None:
        partial = _PARTIAL.get(what)
        if partial is not None and not value.startswith(partial):
            return tuple(found)  # a code of the part of the list digidialog.codes does not hold
        found.append(
            (
                "DD071",
                f"{what}: {value!r} is not a code in code list {system.number} ({system.name})",
            )
        )
    elif shown is not None and names and _fold(shown) != _fold(code.display_name):
        other = _other_code(system, shown, code)
        if other is None:
            found.append(
                (
                    "DD072",
                    f"{what}: DN {shown!r} differs from code list {system.number}'s "
                    f"name for {code!s}: {code.display_name!r}",
                )
            )
        else:
            found.append(
                (
                    "DD073",
                    f"{what}: V={str(code)!r} means {code.display_name!r} in code list "
                    f"{system.number}, but DN {shown!r} names code {other.value!r}; "
                    "V and DN contradict each other",
                )
            )
    return tuple(found)


Findings = dict[str, list[tuple[etree._Element, str]]]


def coded(ctx: Context) -> Findings:
    """Rule ID -> (coded element, message) for DD070-DD073, in document order; worked out once
    per message for the four rules."""
    cached: Findings | None = ctx.cache.get("coded")
    if cached is not None:
        return cached
    result: Findings = {}
    process = ctx.process_key if ctx.process is not None else None
    for element in ctx.group(_CODED):
        value = element.get("V")
        if value is None:
            continue
        tag = str(element.tag)
        parent_tag = ""
        in_organisation = False
        if tag in _BY_PARENT:
            parent = element.getparent()
            parent_tag = str(parent.tag) if parent is not None else ""
        elif tag == _MH_TYPE_ID:
            parent = element.getparent()
            if parent is not None:
                parent_tag = _ANY_PARENT
                holder = parent.getparent()
                in_organisation = holder is not None and holder.tag == _MH_ORGANISATION
        key = (
            tag,
            parent_tag,
            in_organisation,
            process,
            element.get("S"),
            value,
            element.get("DN"),
        )
        found = _findings(key)
        for rule_id, message in found:
            result.setdefault(rule_id, []).append((element, message))
    ctx.cache["coded"] = result
    return result


_APPREC = ("apprec",)
"""DD070-DD073 read standalone AppRecs as well as MsgHead messages (their own tuple of checks)."""


def _report(ctx: Context, rule_id: str) -> Iterator[Issue]:
    for element, message in coded(ctx).get(rule_id, ()):
        yield ctx.issue(rule_id, element, message)


@rule(
    "DD070",
    Severity.ERROR,
    "coded elements use the right code system (S)",
    "HITS 1217 §2.3, §2.4; HIS 80415 §4.3-§4.5; Volven code lists",
    also_applies_to=_APPREC,
)
def right_code_system(ctx: Context) -> Iterator[Issue]:
    return _report(ctx, "DD070")


@rule(
    "DD071",
    Severity.ERROR,
    "codes exist in their code system",
    "Volven code lists",
    also_applies_to=_APPREC,
)
def known_code(ctx: Context) -> Iterator[Issue]:
    return _report(ctx, "DD071")


@rule(
    "DD072",
    Severity.WARNING,
    "the display name (DN) matches the code",
    "HITS 1217 §2.4.2; Volven code lists",
    also_applies_to=_APPREC,
)
def display_name_matches(ctx: Context) -> Iterator[Issue]:
    return _report(ctx, "DD072")


def _other_code(system: CodeSystem, shown: str, code: Code) -> Code | None:
    folded = _fold(shown)
    for other in system:
        if other is not code and _fold(other.display_name) == folded:
            return other
    return None


@rule(
    "DD073",
    Severity.ERROR,
    "the display name does not name a different code",
    "HITS 1217 §2.4.2; Volven code lists",
    also_applies_to=_APPREC,
)
def display_name_other_code(ctx: Context) -> Iterator[Issue]:
    return _report(ctx, "DD073")
