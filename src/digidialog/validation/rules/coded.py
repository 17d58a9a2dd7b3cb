"""Rules on coded values (``V``/``S``/``DN``): the right code system, known codes, matching names.

Each coded element has the code lists it may use; a message that names another list, a code the
list does not have, or a display name that belongs to a different code is reported.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from digidialog.codes import find_system
from digidialog.codes.base import OID_PREFIX, Code, CodeSystem
from digidialog.validation.context import Context, indexed
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.xml import namespaces as ns

_FK1 = "http://www.kith.no/xmlstds/felleskomponent1"

# (namespace, element, parent) -> (what, code lists, compare DN); parent None matches any parent.
_PLACES: dict[tuple[str, str, str | None], tuple[str, tuple[str, ...], bool]] = {
    (ns.MSGHEAD, "Type", "MsgInfo"): ("MsgInfo/Type", ("8279",), False),
    (ns.MSGHEAD, "RoleToPatient", None): ("RoleToPatient", ("9034",), True),
    (ns.MSGHEAD, "MsgType", "RefDoc"): ("RefDoc/MsgType", ("8114",), True),
    (ns.DIALOG_1_1, "RoleToPatient", None): ("RollerRelatertNotat/RoleToPatient", ("9034",), True),
    (ns.DIALOG_1_1, "RolleNotat", None): ("RollerRelatertNotat/RolleNotat", ("9057",), True),
    (ns.DIALOG_1_1, "TypeId", None): ("Ident/TypeId", ("8116", "9051"), True),
    (_FK1, "RoleToPatient", None): ("RoleToPatient", ("9034",), True),
    (_FK1, "TypeId", None): ("Ident/TypeId", ("8116", "9051"), True),
    (_FK1, "TypeHealthcareProfessional", None): ("TypeHealthcareProfessional", ("9060",), True),
    (ns.PASIENTRELASJON, "Relasjon", None): ("Pasientrelasjon/Relasjon", ("7611",), True),
}
for _apprec in (ns.APPREC_1_1, ns.APPREC_1_0):
    _PLACES[(_apprec, "Status", None)] = ("AppRec/Status", ("8258",), True)
    _PLACES[(_apprec, "Error", None)] = ("AppRec/Error", ("8221",), True)
    _PLACES[(_apprec, "Role", "Sender")] = ("AppRec/Sender/Role", ("8112",), True)
    _PLACES[(_apprec, "MsgType", "OriginalMsgId")] = ("OriginalMsgId/MsgType", ("8279",), False)

_CODED_TAGS = tuple(
    {f"{{{n}}}{local}" for n, local, _ in _PLACES}
    | {
        ns.qname(ns.MSGHEAD, "TypeId"),
        *(
            ns.qname(ns.DIALOG_1_1, local)
            for local in ("TypeForesp", "TemaKodet", "KodetOpplysning")
        ),
    }
)
"""Every element name that can hold a code."""
indexed(*_CODED_TAGS)

_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=1024)
def _fold(name: str) -> str:
    """Compare display names the way a reader would: case, spaces and punctuation ignored."""
    return _NOT_WORD.sub("", name.casefold())


class Found(NamedTuple):
    """One coded element, the code lists it may use (first = default) and the list it is read
    against (its S when allowed, else the default; None when S names a list not allowed here).

    A NamedTuple rather than a frozen dataclass: one is made per coded element per message."""

    element: etree._Element
    what: str
    allowed: tuple[str, ...]
    names: bool
    system: CodeSystem | None
    code: Code | None


_BY_TAG: dict[tuple[str, str | None], tuple[str, tuple[str, ...], bool]] = {
    (f"{{{n}}}{local}", parent): place for (n, local, parent), place in _PLACES.items()
}
_MH_TYPE_ID = ns.qname(ns.MSGHEAD, "TypeId")
_MH_ORGANISATION = ns.qname(ns.MSGHEAD, "Organisation")
_DIALOG_PREFIX = f"{{{ns.DIALOG_1_1}}}"


def _place(ctx: Context, element: etree._Element) -> tuple[str, tuple[str, ...], bool] | None:
    tag = element.tag
    assert isinstance(tag, str)
    parent = element.getparent()
    parent_tag = parent.tag if parent is not None else ""
    parent_name = parent_tag.rpartition("}")[2] if isinstance(parent_tag, str) else ""
    place = _BY_TAG.get((tag, parent_name)) or _BY_TAG.get((tag, None))
    if place is not None:
        return place
    if tag == _MH_TYPE_ID and parent is not None:
        holder = parent.getparent()
        if holder is not None and holder.tag == _MH_ORGANISATION:
            return "Organisation Ident", ("9051",), True
        return "person Ident", ("8116",), True
    if tag.startswith(_DIALOG_PREFIX) and ctx.process is not None:
        return _process_place(ctx, tag[len(_DIALOG_PREFIX) :])
    return None


def _process_place(ctx: Context, local: str) -> tuple[str, tuple[str, ...], bool] | None:
    """TypeForesp, TemaKodet and KodetOpplysning: their lists depend on the process."""
    found = ctx.classification
    request = found.request if found else None
    if local == "TypeForesp":
        systems = (request.system,) if request and not ctx.is_reply else ("7601", "7602", "7603")
        return "Foresporsel/TypeForesp", systems, True
    if local == "TemaKodet":
        reply = found.reply if found else None
        return "Notat/TemaKodet", (reply.system,) if reply else ("7602", "7603"), True
    if local == "KodetOpplysning":
        wanted = request.kodet_opplysning if request else None
        return "Foresporsel/KodetOpplysning", (wanted,) if wanted else ("8324", "1101"), True
    return None


_find_system = functools.lru_cache(maxsize=256)(find_system)


@functools.lru_cache(maxsize=4096)
def _code(number: str, value: str) -> Code | None:
    system = find_system(number)
    return system.get(value) if system is not None else None


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 0


def coded(ctx: Context) -> list[Found]:
    """Every coded element of the message with its code list and code; worked out once."""
    cached: list[Found] | None = ctx.cache.get("coded")
    if cached is not None:
        return cached
    result: list[Found] = []
    candidates = [e for tag in _CODED_TAGS for e in ctx.all(tag) if e.get("V") is not None]
    candidates.sort(key=_line)
    for element in candidates:
        place = _place(ctx, element)
        if place is None:
            continue
        what, allowed, names = place
        declared = element.get("S")
        system = _find_system(declared if declared is not None else allowed[0])
        if system is not None and system.number not in allowed:
            system = None
        value = element.get("V")
        code = _code(system.number, value) if system is not None and value is not None else None
        result.append(Found(element, what, allowed, names, system, code))
    ctx.cache["coded"] = result
    return result


@rule(
    "DD070",
    Severity.ERROR,
    "coded elements use the right code system (S)",
    "HITS 1217 §2.3, §2.4; Volven code lists",
)
def right_code_system(ctx: Context) -> Iterator[Issue]:
    for found in coded(ctx):
        declared = found.element.get("S")
        if declared is None:
            continue
        wanted = " or ".join(OID_PREFIX + number for number in found.allowed)
        system = found.system
        if system is None:
            yield ctx.issue(
                "DD070",
                found.element,
                f"{found.what} uses code system S={declared!r}; it must be {wanted}",
            )
        elif declared != system.oid:
            yield ctx.issue(
                "DD070",
                found.element,
                f"{found.what}: S={declared!r} must be written as the full OID {system.oid!r}",
            )


@rule("DD071", Severity.ERROR, "codes exist in their code system", "Volven code lists")
def known_code(ctx: Context) -> Iterator[Issue]:
    for found in coded(ctx):
        system, value = found.system, found.element.get("V")
        if found.code is None and system is not None:
            yield ctx.issue(
                "DD071",
                found.element,
                f"{found.what}: {value!r} is not a code in code list {system.number} "
                f"({system.name})",
            )


@rule(
    "DD072",
    Severity.WARNING,
    "the display name (DN) matches the code",
    "HITS 1217 §2.4.2; Volven code lists",
)
def display_name_matches(ctx: Context) -> Iterator[Issue]:
    for found in coded(ctx):
        shown, code, system = found.element.get("DN"), found.code, found.system
        if code is None or system is None or shown is None or not found.names:
            continue
        value = str(code)
        if _fold(shown) != _fold(code.display_name) and _other_code(system, shown, code) is None:
            yield ctx.issue(
                "DD072",
                found.element,
                f"{found.what}: DN {shown!r} differs from code list {system.number}'s "
                f"name for {value}: {code.display_name!r}",
            )


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
)
def display_name_other_code(ctx: Context) -> Iterator[Issue]:
    for found in coded(ctx):
        shown, code, system = found.element.get("DN"), found.code, found.system
        if code is None or system is None or shown is None or not found.names:
            continue
        value = str(code)
        other = (
            None if _fold(shown) == _fold(code.display_name) else _other_code(system, shown, code)
        )
        if other is not None:
            yield ctx.issue(
                "DD073",
                found.element,
                f"{found.what}: V={value!r} means {code.display_name!r} in code list "
                f"{system.number}, but DN {shown!r} names code {other.value!r}; "
                "V and DN contradict each other",
            )
