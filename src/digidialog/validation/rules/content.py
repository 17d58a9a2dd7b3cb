"""Rules on the Documents: Dialogmelding first, request and reply codes, lengths, attachments.

HITS 1217 §2.3.7 (Documents), §2.4 (Dialogmelding), §2.10 (attachments) and chapter 3.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from digidialog.codes.processes import Requirement, find_process
from digidialog.validation.context import Context, element_text, indexed
from digidialog.validation.registry import rule
from digidialog.validation.report import Issue, Severity
from digidialog.validation.rules._xpath import text
from digidialog.xml import namespaces as ns

_ALLOWED_CONTENT = frozenset(
    {
        ns.DIALOG_1_1,
        ns.DIALOG_1_0,
        ns.HELSEPERSONELL_2014,
        ns.HELSEPERSONELL_2015,
        ns.PASIENTRELASJON,
        ns.PERSONER,
        ns.BASE64,
        ns.XCAL,
        ns.M1_2010,
        ns.M1_2013,
        ns.TJENESTEOVERSIKT,
        "http://ehelse.no/xmlstds/samtykke/v1.0",
        "http://hl7.org/fhir",
        "http://ehelse.no/xmlstds/Map/2016-10-28",
        "http://ehelse.no/xmlstds/RecipientInformation/2016-11-01",
    }
)

LENGTH_LIMITS = {"EmneSporsmal": 50, "Sporsmal": 1000, "Tema": 50, "TekstNotatInnhold": 1000}
"""Maximum characters per Dialogmelding field (HITS 1217 §2.4.1), in either version."""

_LIMITED = indexed(
    *(ns.qname(ns.DIALOG_1_1, name) for name in LENGTH_LIMITS),
    *(ns.qname(ns.DIALOG_1_0, name) for name in LENGTH_LIMITS if name != "EmneSporsmal"),
)
"""The limited fields of Dialogmelding 1.1 and 1.0 (1.0 has no EmneSporsmal)."""
_KODET_OPPLYSNING, _FORESPORSEL = indexed(
    ns.qname(ns.DIALOG_1_1, "KodetOpplysning"), ns.qname(ns.DIALOG_1_1, "Foresporsel")
)
_NOTAT = ns.qname(ns.DIALOG_1_1, "Notat")
_DIALOG_1_0 = f"{{{ns.DIALOG_1_0}}}"
_REFDOC = ns.qname(ns.MSGHEAD, "RefDoc")
_MSGTYPE = ns.qname(ns.MSGHEAD, "MsgType")
_MIMETYPE = ns.qname(ns.MSGHEAD, "MimeType")
_BASE64 = ns.qname(ns.BASE64, "Base64Container")

MIME_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
"""Attachment types digital dialog carries (HITS 1217 §2.10): PDF/A, JPEG, PNG."""
MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
    "image/x-png": "image/png",
}
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def _namespace(element: etree._Element) -> str | None:
    """The namespace of ``element`` (what `etree.QName` gives, without building one)."""
    tag = element.tag
    return tag[1 : tag.index("}")] if isinstance(tag, str) and tag[:1] == "{" else None


@rule("DD040", Severity.ERROR, "Dialogmelding is in the first Document", "HITS 1217 §2.3.7")
def dialog_first(ctx: Context) -> Iterator[Issue]:
    if ctx.process is None:
        return
    if ctx.dialog is None:
        yield ctx.issue(
            "DD040",
            ctx.root,
            "no Document holds a Dialogmelding; every digital-dialog message needs one",
        )
    elif ctx.dialog_index != 0:
        yield ctx.issue(
            "DD040",
            ctx.documents[ctx.dialog_index],
            f"the Dialogmelding is in Document {ctx.dialog_index + 1}; it must be in the first",
        )


@rule("DD041", Severity.WARNING, "Dialogmelding version 1.1 is used", "HITS 1217 §2.1, §2.4")
def dialog_version(ctx: Context) -> Iterator[Issue]:
    dialog = ctx.dialog
    if ctx.process is not None and dialog is not None and dialog.tag.startswith(_DIALOG_1_0):
        yield ctx.issue("DD041", ctx.dialog, "Dialogmelding 1.0; digital dialog uses 1.1")


@rule(
    "DD042",
    Severity.WARNING,
    "Documents hold only the standards digital dialog uses",
    "HITS 1217 §2.1, §2.3.7",
)
def known_documents(ctx: Context) -> Iterator[Issue]:
    if ctx.process is None:
        return
    for content in ctx.contents:
        namespace = _namespace(content)
        if namespace not in _ALLOWED_CONTENT:
            yield ctx.issue(
                "DD042",
                content,
                f"Document content {{{namespace}}}{etree.QName(content).localname} is not one of "
                "the standards digital dialog uses",
            )


@rule(
    "DD050",
    Severity.ERROR,
    "Dialogmelding holds a request (Foresporsel) or a reply (Notat)",
    "HITS 1217 §2.4.1, §2.4.2",
)
def request_or_reply(ctx: Context) -> Iterator[Issue]:
    # The schema already demands TypeForesp in a Foresporsel and TemaKodet in a Notat.
    if ctx.process is None or ctx.dialog is None:
        return
    if ctx.foresporsel is None and ctx.notat is None:
        yield ctx.issue(
            "DD050",
            ctx.dialog,
            "Dialogmelding has neither Foresporsel nor Notat; a "
            "digital-dialog message is a request or a reply",
        )


@rule(
    "DD051",
    Severity.ERROR,
    "TypeForesp is allowed for the process",
    "HITS 1217 §2.4.2, chapter 3, §4.1",
)
def type_foresp_allowed(ctx: Context) -> Iterator[Issue]:
    process = ctx.process
    if process is None or ctx.is_reply or ctx.type_foresp is None or ctx.foresporsel is None:
        return
    if process.request(ctx.type_foresp) is None:
        allowed = ", ".join(sorted(process.request_codes))
        yield ctx.issue(
            "DD051",
            ctx.foresporsel.find("{*}TypeForesp"),
            f"TypeForesp {ctx.type_foresp!r} is not a request of {process.msg_type} "
            f"(allowed: {allowed})",
        )


@rule(
    "DD052",
    Severity.ERROR,
    "the reply code (TemaKodet) is allowed for the process",
    "HITS 1217 §2.4.3, §2.13.3, chapter 3, §4.1",
)
def reply_code_allowed(ctx: Context) -> Iterator[Issue]:
    process = ctx.process
    if process is None or ctx.tema_kodet is None or ctx.notat is None:
        return
    if ctx.tema_kodet not in _reply_codes(process.msg_type):
        allowed = ", ".join(sorted(process.reply_codes)) or "none"
        yield ctx.issue(
            "DD052",
            ctx.notat.find("{*}TemaKodet"),
            f"TemaKodet {ctx.tema_kodet!r} is not a reply of {process.msg_type} "
            f"(allowed: {allowed})",
        )


@functools.lru_cache(maxsize=64)
def _reply_codes(msg_type: str) -> frozenset[str]:
    """`Process.reply_codes` (built on each access), once per process."""
    process = find_process(msg_type)
    return process.reply_codes if process is not None else frozenset()


@rule("DD053", Severity.ERROR, "free-text fields keep to their length limits", "HITS 1217 §2.4.1")
def length_limits(ctx: Context) -> Iterator[Issue]:
    if ctx.process is None:  # limits of helsenorge.no, for digital dialog only
        return
    index = ctx.index  # read directly: seven `ctx.all` calls per message cost more than the loop
    for element in (e for tag in _LIMITED if tag in index for e in index[tag]):
        name = str(element.tag).rpartition("}")[2]
        # A leaf (the usual case) needs no walk over its text nodes.
        length = len(text(element) if len(element) else (element.text or "").strip())
        limit = LENGTH_LIMITS[name]
        if length > limit:
            yield ctx.issue(
                "DD053", element, f"{name} has {length} characters; at most {limit} are allowed"
            )


@rule(
    "DD054",
    Severity.ERROR,
    "KodetOpplysning is given where the request needs it",
    "HITS 1217 §3.1.1, §3.4.3.1, §3.5.1, §3.9.1",
)
def kodet_opplysning(ctx: Context) -> Iterator[Issue]:
    request = ctx.classification.request if ctx.classification else None
    if ctx.is_reply or request is None or request.kodet_opplysning is None:
        return
    assert ctx.dialog is not None
    system = request.kodet_opplysning
    found = [e for e in ctx.all(_KODET_OPPLYSNING) if e.getparent() is ctx.foresporsel]
    if not found:
        yield ctx.issue(
            "DD054",
            ctx.foresporsel,
            f"TypeForesp {request.code} ({request.display_name}) needs Foresporsel/KodetOpplysning "
            f"with a code from code list {system}",
        )


@rule(
    "DD055",
    Severity.WARNING,
    "a reply does not quote the request",
    "HITS 1217 §2.4.1, §3.5.2, §3.10.2",
)
def reply_without_request(ctx: Context) -> Iterator[Issue]:
    if ctx.dialog is not None and ctx.is_reply:
        quoted = (e for e in ctx.all(_FORESPORSEL) if _parent_tag(e) == _NOTAT)
        for element in quoted:
            yield ctx.issue(
                "DD055",
                element,
                "Notat/Foresporsel is not used in digital-dialog replies; threads are kept by "
                "ConversationRef",
            )


@rule(
    "DD056",
    Severity.ERROR,
    "an iCalendar Document goes with requests that need one",
    "HITS 1217 §2.8, chapter 3",
)
def calendar_present(ctx: Context) -> Iterator[Issue]:
    request = ctx.classification.request if ctx.classification else None
    if ctx.is_reply or request is None or request.icalendar is not Requirement.REQUIRED:
        return
    if not any(_namespace(content) == ns.XCAL for content in ctx.contents):
        yield ctx.issue(
            "DD056",
            ctx.foresporsel,
            f"TypeForesp {request.code} ({request.display_name}) needs an iCalendar (xCal) "
            "Document with the appointment",
        )


@dataclass(frozen=True, slots=True)
class Attachment:
    """A Document that is (MsgType A) or holds (Base64Container) an attachment."""

    refdoc: etree._Element
    msg_type: etree._Element | None
    mime: etree._Element | None
    container: etree._Element | None
    mime_type: str
    """The MimeType's value, stripped and in lower case ('' without one)."""

    @property
    def kind(self) -> str:
        return self.msg_type.get("V", "") if self.msg_type is not None else ""


def _parent_tag(element: etree._Element) -> object:
    parent = element.getparent()
    return parent.tag if parent is not None else None


def _attachments(ctx: Context) -> list[Attachment]:
    found: list[Attachment] | None = ctx.cache.get("attachments")
    if found is not None:
        return found
    found = []
    containers: dict[etree._Element | None, etree._Element] = {}
    for content in ctx.contents:
        if content.tag == _BASE64:
            containers.setdefault(_holder(content), content)
    for document in ctx.documents:
        refdoc = next(document.iterchildren(_REFDOC), None)
        if refdoc is None:
            continue
        msg_type = mime = None
        for child in refdoc.iterchildren(_MSGTYPE, _MIMETYPE):  # first of each, as find reads
            if child.tag == _MSGTYPE:
                msg_type = child if msg_type is None else msg_type
            elif mime is None:
                mime = child
        container = containers.get(refdoc)
        if container is not None or (msg_type is not None and msg_type.get("V") == "A"):
            mime_type = ""
            if mime is not None:
                mime_type = ((mime.text if ctx.plain else element_text(mime)) or "").strip().lower()
            found.append(Attachment(refdoc, msg_type, mime, container, mime_type))
    ctx.cache["attachments"] = found
    return found


def _holder(content: etree._Element) -> etree._Element | None:
    """The RefDoc whose Content holds ``content``."""
    parent = content.getparent()
    return parent.getparent() if parent is not None else None


@rule("DD060", Severity.ERROR, "attachments are PDF, JPEG or PNG", "HITS 1217 §2.10")
def attachment_type(ctx: Context) -> Iterator[Issue]:
    for attachment in _attachments(ctx):
        mime, value = attachment.mime, attachment.mime_type
        if mime is None:
            yield ctx.issue(
                "DD060",
                attachment.refdoc,
                "attachment has no MimeType; use application/pdf, image/jpeg or image/png",
            )
        elif value not in MIME_TYPES and value not in MIME_ALIASES:
            yield ctx.issue(
                "DD060",
                mime,
                f"attachment type {value!r} is not carried in digital dialog; use "
                "application/pdf, image/jpeg or image/png",
            )


@rule(
    "DD061",
    Severity.WARNING,
    "attachment MimeType is spelled as the standard names it",
    "HITS 1217 §2.10.1",
)
def attachment_type_alias(ctx: Context) -> Iterator[Issue]:
    for attachment in _attachments(ctx):
        mime, value = attachment.mime, attachment.mime_type
        if mime is not None and value in MIME_ALIASES:
            yield ctx.issue(
                "DD061", mime, f"MimeType {value!r} should be written {MIME_ALIASES[value]!r}"
            )


@rule(
    "DD062",
    Severity.ERROR,
    "an attachment Document is MsgType A with a Base64Container",
    "HITS 1217 §2.10; HIS 1036",
)
def attachment_shape(ctx: Context) -> Iterator[Issue]:
    for attachment in _attachments(ctx):
        kind = attachment.kind
        if kind != "A":
            yield ctx.issue(
                "DD062",
                attachment.msg_type,
                f'a Base64Container attachment needs RefDoc/MsgType V="A" (Vedlegg), not {kind!r}',
            )
        elif attachment.container is None:
            yield ctx.issue(
                "DD062",
                attachment.refdoc,
                'MsgType V="A" (Vedlegg) but the Content holds no Base64Container',
            )


@rule(
    "DD063",
    Severity.ERROR,
    "attachment content is base64 of the declared file type",
    "HITS 1217 §2.10; HIS 1036",
)
def attachment_content(ctx: Context) -> Iterator[Issue]:
    for attachment in _attachments(ctx):
        container = attachment.container
        if container is None:
            continue
        value = (container.text if ctx.plain else element_text(container)) or ""
        raw = "".join(value.split())
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            yield ctx.issue("DD063", container, "Base64Container does not hold valid base64")
            continue
        declared = MIME_ALIASES.get(attachment.mime_type, attachment.mime_type)
        magic = _MAGIC.get(declared)
        if magic and not data.startswith(magic):
            yield ctx.issue(
                "DD063",
                container,
                f"attachment is declared {declared} but its bytes are not a {declared} file",
            )
