"""`digidialog inspect FILE`: what a message is, who sends it to whom, about whom, and its verdict.

Shows the process (MsgInfo/Type with its name and the process version it needs), sender and
receiver (names, HER-ids, the GP), the patient with the national ID masked, the request or reply
code with its code-list name, subject, thread references, attachments (type, size) and the
validation verdict. ``--json`` prints the same as JSON. Exit 0 when the message is valid, 1 when it
is not (or cannot be read as a message), 2 when FILE cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from digidialog.codes import find_system, lookup
from digidialog.codes.identifiers import mask
from digidialog.codes.processes import find_process, min_version
from digidialog.errors import Location, ParseError, UnsafeXMLError, UsageError
from digidialog.files import InputTooLargeError, display_name, read_bounded, read_stream_bounded
from digidialog.model import Message
from digidialog.model.apprec import AppRec
from digidialog.model.attachments import Base64Container
from digidialog.model.common import CodedValue, Ident
from digidialog.model.msghead import HealthcareProfessional, MsgHead, Organisation
from digidialog.validation import Report, validate_tree
from digidialog.xml.parser import DEFAULT_LIMITS, parse_bytes

GP_ROLE = "6"
"""RoleToPatient 6 (code list 9034): Fastlege, the patient's regular GP."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="summarise one message: process, parties, patient, codes, thread, attachments",
        description="Summarise one digital-dialog message (MsgHead or AppRec) and its validation.",
    )
    parser.add_argument("file", metavar="FILE", help="message file, or - for standard input")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def _read(path: str) -> tuple[bytes, str]:
    """The bytes of FILE (``-``: standard input) and its name for messages (made printable);
    exit 2 if unreadable, 1 if over the parser's size limit (refused unread)."""
    limit = DEFAULT_LIMITS.max_bytes
    if path == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError(
                "standard input (-) is a terminal, not a file",
                hint="pipe the message in (digidialog inspect - < FILE) or give its path",
            )
        name = "<stdin>"
    elif not path:
        raise UsageError("the FILE path is empty", hint="give a message file")
    else:
        name = display_name(path)
    try:
        if path == "-":
            return read_stream_bounded(sys.stdin.buffer, limit), name
        return read_bounded(path, limit), name
    except InputTooLargeError as exc:
        raise UnsafeXMLError(
            str(exc),
            location=Location(name),
            hint="digidialog reads messages of up to ParseLimits.max_bytes",
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"cannot read {name}: {exc.strerror or exc}", location=Location(name)
        ) from exc


def run(args: argparse.Namespace) -> int:
    raw, name = _read(args.file)
    tree = parse_bytes(raw, source=name)  # ParseError: exit 1, the file and the fault on stderr
    report = validate_tree(tree, source=name)
    message: Message | None = None
    problem: str | None = None
    try:
        message = Message.from_tree(tree.getroot(), source=name)
    except ParseError as exc:
        problem = str(exc)
    summary = summarise(message, report)
    if problem:
        summary["problem"] = problem
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print(summary)
    valid = report.valid and message is not None
    if not valid:
        print(f"digidialog inspect: {_verdict(name, report, problem)}", file=sys.stderr)
    return 0 if valid else 1


def _verdict(name: str, report: Report, problem: str | None) -> str:
    """One line for stderr on an invalid message: the file, how many errors, and the first."""
    errors = [i for i in report.issues if i.severity == "error"]
    if not errors:
        return f"{name}: not a message digidialog can read: {problem}"
    first = errors[0]
    where = f"{name}:{first.line}" if first.line else name
    xpath = f" {first.xpath}" if first.xpath else ""
    more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
    return f"{where}{xpath}: invalid: [{first.rule}] {first.message}{more}"


def _code(value: CodedValue | None, system: str | None = None) -> dict[str, Any] | None:
    """A coded value with the name its code list gives (``name``) beside the message's DN."""
    if value is None:
        return None
    key = value.s or system
    code = lookup(key, value.v or "") if key else None
    listed = find_system(key) if key else None
    return {
        "code": value.v,
        "name": code.display_name if code is not None else None,
        "dn": value.dn,
        "system": listed.number if listed is not None else value.s,
    }


def _her(idents: list[Ident]) -> str | None:
    return next((i.id for i in idents if i.type_id.v == "HER"), None)


def _person(hcp: HealthcareProfessional) -> dict[str, Any]:
    name = " ".join(n for n in (hcp.given_name, hcp.middle_name, hcp.family_name) if n)
    role = _code(hcp.role_to_patient, "9034")
    return {"name": name or None, "her_id": _her(hcp.ident), "role": role}


def _party(organisation: Organisation) -> dict[str, Any]:
    """Enterprise (first level), communication party (second level) and the GP if named."""
    party: dict[str, Any] = {
        "organisation": organisation.organisation_name,
        "her_id": _her(organisation.ident),
        "ids": {i.type_id.v or "?": i.id for i in organisation.ident},
    }
    inner = organisation.organisation
    if inner is not None:
        party["unit"] = {"name": inner.organisation_name, "her_id": _her(inner.ident)}
    hcp = organisation.healthcare_professional or (inner.healthcare_professional if inner else None)
    if hcp is not None:
        person = _person(hcp)
        party["person"] = person
        party["gp"] = bool(hcp.role_to_patient and hcp.role_to_patient.v == GP_ROLE)
    return party


def summarise(message: Message | None, report: Report) -> dict[str, Any]:
    """The facts `inspect` shows, as plain data (what ``--json`` prints)."""
    summary: dict[str, Any] = {"path": report.source}
    if isinstance(message, MsgHead):
        summary.update(_msghead(message))
    elif isinstance(message, AppRec):
        summary.update(_apprec(message))
    summary["validation"] = {
        "valid": report.valid,
        "errors": sum(1 for i in report.issues if i.severity == "error"),
        "warnings": sum(1 for i in report.issues if i.severity == "warning"),
        "issues": [i.to_dict() for i in report.issues],
    }
    return summary


def _msghead(message: MsgHead) -> dict[str, Any]:
    info = message.msg_info
    msg_type = info.type.v or ""
    process = find_process(msg_type)
    dialog = message.dialogmelding
    request = dialog.foresporsel[0] if dialog and dialog.foresporsel else None
    reply = dialog.notat[0] if dialog and dialog.notat else None
    type_foresp = request.type_foresp.v if request else None
    pasientrelasjon = any(
        type(item).__name__ == "Pasientrelasjon"
        for document in message.document
        if document.ref_doc.content is not None
        for item in document.ref_doc.content.items
    )
    patient = info.patient
    summary: dict[str, Any] = {
        "kind": "MsgHead",
        "process": {
            "type": msg_type,
            "dn": info.type.dn,
            "name": process.name if process else None,
            "section": f"HITS 1217 §{process.section}" if process else None,
            "needs_version": min_version(msg_type, type_foresp, pasientrelasjon=pasientrelasjon)
            if type_foresp
            else None,
            "dialogmelding": "1.0"
            if dialog and dialog.namespace.endswith("2006-10-11")
            else ("1.1" if dialog else None),
        },
        "msg_id": info.msg_id,
        "gen_date": info.gen_date,
        "ack": info.ack.v if info.ack else None,
        "sender": _party(info.sender.organisation),
        "receiver": _party(info.receiver.organisation),
        "patient": None,
        "request": _code(request.type_foresp, "7601") if request and not reply else None,
        "reply": _code(reply.tema_kodet, "7602") if reply else None,
        "subject": (request.emne_sporsmal if request else None) or (reply.tema if reply else None),
        "thread": {
            "msg_id": info.msg_id,
            "ref_to_parent": info.conversation_ref.ref_to_parent if info.conversation_ref else None,
            "ref_to_conversation": info.conversation_ref.ref_to_conversation
            if info.conversation_ref
            else None,
        },
        "attachments": [],
    }
    if patient is not None:
        ident = patient.ident[0] if patient.ident else None
        summary["patient"] = {
            "name": " ".join(
                n for n in (patient.given_name, patient.middle_name, patient.family_name) if n
            )
            or None,
            "id_type": ident.type_id.v if ident else None,
            "national_id": mask(ident.id) if ident else None,
        }
    for document in message.document:
        item = document.ref_doc.first_item
        if document.is_attachment:
            size = None
            if isinstance(item, Base64Container):
                try:
                    size = len(item.data)
                except ValueError:
                    size = None
            summary["attachments"].append(
                {
                    "mime_type": document.ref_doc.mime_type,
                    "description": document.ref_doc.description,
                    "size": size,
                }
            )
    return summary


def _apprec(message: AppRec) -> dict[str, Any]:
    original = message.original_msg_id
    return {
        "kind": "AppRec",
        "version": message.version,
        "id": message.id,
        "gen_date": message.gen_date,
        "status": _code(message.status, "8258"),
        "errors": [_code(e, "8221") for e in message.error],
        "original": {
            "msg_type": original.msg_type.v if original.msg_type else None,
            "msg_id": original.id,
            "issue_date": original.issue_date,
        },
    }


def _describe(code: dict[str, Any] | None) -> str:
    if not code:
        return "—"
    name = code.get("name") or code.get("dn") or ""
    system = f" (code list {code['system']})" if code.get("system") else ""
    return f"{code['code']} {name}{system}".strip()


def _party_text(party: dict[str, Any]) -> str:
    lines = [f"{party['organisation']}  HER-id {party.get('her_id') or '—'}"]
    if "unit" in party:
        lines.append(f"  {party['unit']['name']}  HER-id {party['unit']['her_id'] or '—'}")
    if "person" in party:
        person = party["person"]
        gp = "  (GP)" if party.get("gp") else ""
        lines.append(f"  {person['name'] or '—'}  HER-id {person['her_id'] or '—'}{gp}")
    return "\n".join(lines)


def _print(summary: dict[str, Any]) -> None:
    """The summary as a two-column table. Every value is plain `Text`: what a message holds is
    never read as rich markup (a subject ``[/x]`` would otherwise break the output), and control
    characters in it are dropped rather than sent to the terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()

    def add(label: str, value: str | Text) -> None:
        table.add_row(Text(label), value if isinstance(value, Text) else Text(value))

    add("File", str(summary.get("path") or "<stdin>"))
    if summary.get("kind") == "MsgHead":
        process = summary["process"]
        needs = (
            f", needs process version ≥ {process['needs_version']}"
            if process.get("needs_version")
            else ""
        )
        add("Process", f"{process['type']} — {process['name'] or process['dn'] or ''}{needs}")
        add("Sender", _party_text(summary["sender"]))
        add("Receiver", _party_text(summary["receiver"]))
        patient = summary.get("patient")
        add(
            "Patient",
            f"{patient['name']}  {patient['id_type']} {patient['national_id']}" if patient else "—",
        )
        if summary.get("request"):
            add("Request", _describe(summary["request"]))
        if summary.get("reply"):
            add("Reply", _describe(summary["reply"]))
        add("Subject", summary.get("subject") or "—")
        thread = summary["thread"]
        add(
            "Thread",
            f"MsgId {thread['msg_id']}\nRefToParent "
            f"{thread['ref_to_parent'] or '—'}\nRefToConversation "
            f"{thread['ref_to_conversation'] or '—'}",
        )
        add("Ack", summary.get("ack") or "—")
        attachments = summary["attachments"]
        add(
            "Attachments",
            "\n".join(
                f"{a['mime_type'] or '?'}  {a['size'] if a['size'] is not None else '?'} bytes"
                f"{'  ' + a['description'] if a['description'] else ''}"
                for a in attachments
            )
            or "none",
        )
    elif summary.get("kind") == "AppRec":
        add("AppRec", f"version {summary['version']}, id {summary['id']}")
        add("Status", _describe(summary["status"]))
        add("Errors", "\n".join(_describe(e) for e in summary["errors"]) or "none")
        original = summary["original"]
        add("Receipt for", f"{original['msg_type']} {original['msg_id']}")
    verdict = summary["validation"]
    colour = "green" if verdict["valid"] else "red"
    add(
        "Validation",
        Text.assemble(
            ("valid" if verdict["valid"] else "INVALID", colour),
            f" ({verdict['errors']} error(s), {verdict['warnings']} warning(s))",
        ),
    )
    for issue in verdict["issues"]:
        where = f"line {issue['line']}" if issue["line"] else ""
        add("", f"{issue['severity']} {issue['rule']} {where}: {issue['message']}")
    if summary.get("problem"):
        add("Model", summary["problem"])
    console.print(table)
