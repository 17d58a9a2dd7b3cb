"""Rules on application receipts (HITS 1217 §2.13; HIS 80415:2012 AppRec v1.1)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from digidialog.codes import StatusMottak
from digidialog.codes.processes import find_process
from digidialog.validation.context import Context, element_text
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.validation.rules._xpath import elements, first, xp
from digidialog.validation.rules.header import UUID
from digidialog.xml import namespaces as ns

_STATUS = xp("a:Status | a0:Status")
_ERRORS = xp("a:Error | a0:Error")
_MSGTYPE = xp("a:MsgType | a0:MsgType")
_ORIGINAL_ID = xp("a:OriginalMsgId/a:Id | a0:OriginalMsgId/a0:Id")
_ORIGINAL_TYPE = xp("a:OriginalMsgId/a:MsgType | a0:OriginalMsgId/a0:MsgType")


def _status(ctx: Context) -> tuple[etree._Element | None, str]:
    element = first(_STATUS, ctx.root)
    return element, (element.get("V", "") if element is not None else "")


@rule(
    "DD090",
    Severity.ERROR,
    "a rejecting AppRec names at least one error",
    "HIS 80415 §3.2, §3.3.2; HITS 1217 §2.13.1",
    applies_to="apprec",
)
def rejected_has_error(ctx: Context) -> Iterator[Issue]:
    element, status = _status(ctx)
    if status == StatusMottak.AVVIST and first(_ERRORS, ctx.root) is None:
        yield ctx.issue(
            "DD090", element, "Status 2 (Avvist) needs at least one Error (code list 8221)"
        )


@rule(
    "DD091",
    Severity.ERROR,
    "an accepting AppRec carries no error",
    "HIS 80415 §3.2, §3.3.1",
    applies_to="apprec",
)
def accepted_has_no_error(ctx: Context) -> Iterator[Issue]:
    _element, status = _status(ctx)
    if status == StatusMottak.OK:
        for error in elements(_ERRORS, ctx.root):
            yield ctx.issue(
                "DD091", error, "Status 1 (OK) with an Error; a rejection uses Status 2 (Avvist)"
            )


@rule(
    "DD092",
    Severity.WARNING,
    "status 3 (OK, feil i delmelding) is not used in digital dialog",
    "HIS 80415 §3.2, §3.3.3; HITS 1217 §2.13.1",
    applies_to="apprec",
)
def partial_status(ctx: Context) -> Iterator[Issue]:
    element, status = _status(ctx)
    if status == StatusMottak.OK_FEIL_I_DELMELDING:
        yield ctx.issue(
            "DD092",
            element,
            "Status 3 (OK, feil i delmelding) is meant for claims to Helfo; "
            "digital dialog accepts (1) or rejects (2)",
        )


@rule("DD093", Severity.ERROR, "AppRec/MsgType is APPREC", "HIS 80415 §4.3.1", applies_to="apprec")
def apprec_type(ctx: Context) -> Iterator[Issue]:
    element = first(_MSGTYPE, ctx.root)
    if element is not None and element.get("V") != "APPREC":
        yield ctx.issue(
            "DD093", element, f"AppRec MsgType is {element.get('V')!r}; it must be APPREC"
        )


@rule(
    "DD094",
    Severity.ERROR,
    "OriginalMsgId/Id is the MsgId (a UUID) of the receipted message",
    "HIS 80415 §3.1, §4.3.2; HITS 1217 §2.3.1",
    applies_to="apprec",
)
def original_id(ctx: Context) -> Iterator[Issue]:
    element = first(_ORIGINAL_ID, ctx.root)
    original_type = first(_ORIGINAL_TYPE, ctx.root)
    dialog = original_type is not None and find_process(original_type.get("V", "")) is not None
    if element is None or not dialog:
        return
    value = (element.text if ctx.plain else element_text(element)) or ""
    if not UUID.match(value.strip()):
        yield ctx.issue(
            "DD094", element, f"OriginalMsgId/Id {value!r} is not a digital-dialog MsgId (UUID)"
        )


@rule(
    "DD095",
    Severity.WARNING,
    "AppRec version 1.1 is used",
    "HITS 1217 §2.1, §2.13; HIS 80415 §3.6",
    applies_to="apprec",
)
def apprec_version(ctx: Context) -> Iterator[Issue]:
    if etree.QName(ctx.root).namespace == ns.APPREC_1_0:
        yield ctx.issue("DD095", ctx.root, "AppRec 1.0; digital dialog uses AppRec 1.1")


@rule(
    "DD096",
    Severity.WARNING,
    "synchronous services get no AppRec",
    "HITS 1217 §2.13",
    applies_to="apprec",
)
def apprec_for_synchronous(ctx: Context) -> Iterator[Issue]:
    element = first(_ORIGINAL_TYPE, ctx.root)
    process = find_process(element.get("V", "")) if element is not None else None
    if process is not None and process.synchronous:
        yield ctx.issue(
            "DD096",
            element,
            f"{process.msg_type} is answered in real time; its messages get no AppRec",
        )
