"""Report formats for many files: text for people, JSON for scripts, JUnit and SARIF for CI.

Every format takes the same sequence of `Report` objects (one per file, ``source`` = its path).
A file name may hold any bytes but ``/``: every format shows it through `display_name` (bytes
that are not UTF-8 as ``\\xff``, control characters as ``\\x01``), so text prints, JSON is valid
UTF-8 and JUnit valid XML; SARIF's ``uri`` is the name percent-encoded (RFC 3986).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from lxml import etree

from digidialog.files import display_name, printable
from digidialog.validation.registry import RULES
from digidialog.validation.report import XML_RULE, XSD_RULE, Issue, Report, Severity

FORMATS = ("text", "json", "junit", "sarif")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_LAYER_RULES = {
    XML_RULE: ("XML is well-formed", "W3C XML 1.0; digidialog hardened parser"),
    XSD_RULE: ("message validates against the schema set", "HITS 1217 §2.1 (XML schemas)"),
}


def _name(report: Report) -> str:
    return display_name(report.source) if report.source else "<stdin>"


def _uri(report: Report) -> str:
    """The file as a SARIF ``artifactLocation.uri``: its bytes percent-encoded where a URI
    reference cannot hold them (spaces, ``%``, bytes that are not UTF-8, controls)."""
    if not report.source:
        return quote("<stdin>")
    try:
        raw = os.fsencode(report.source)
    except UnicodeError:  # a lone surrogate not from the file system
        raw = report.source.encode("utf-8", "backslashreplace")
    return quote(raw, safe="/")


# What XML 1.0 cannot hold: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """``text`` with the characters XML cannot hold written as ``\\x01`` / ``\\ufffe``."""
    return _NOT_XML.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def summary(reports: Sequence[Report]) -> dict[str, int]:
    valid = sum(1 for r in reports if r.valid)
    return {"files": len(reports), "valid": valid, "invalid": len(reports) - valid}


def issue_line(path: str, issue: Issue) -> str:
    """``path:line: severity RULE message [at xpath]`` — one issue, as compilers print them.

    What the message quotes from a document (XML allows C1 controls and bidirectional overrides)
    is escaped, so the line prints as it reads."""
    where = f"{path}:{issue.line}" if issue.line is not None else path
    at = f" [at {printable(issue.xpath)}]" if issue.xpath else ""
    return f"{where}: {issue.severity.value} {issue.rule}: {printable(issue.message)}{at}"


def text_lines(report: Report) -> Iterable[str]:
    """The text form of one report: a line per issue, or ``path: valid``."""
    path = _name(report)
    if not report.issues:
        yield f"{path}: valid"
        return
    for issue in report.issues:
        yield issue_line(path, issue)


def text_summary(reports: Sequence[Report]) -> str:
    counts = summary(reports)
    return f"{counts['files']} file(s): {counts['valid']} valid, {counts['invalid']} invalid"


def render_text(reports: Sequence[Report]) -> str:
    lines = [line for report in reports for line in text_lines(report)]
    lines.append(text_summary(reports))
    return "\n".join(lines) + "\n"


def render_json(reports: Sequence[Report]) -> str:
    document = {
        "files": [{**r.to_dict(), "path": _name(r)} for r in reports],
        "summary": summary(reports),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_junit(reports: Sequence[Report]) -> str:
    """One ``testcase`` per file; each error a ``failure``, warnings and notes in ``system-out``."""
    counts = summary(reports)
    suites = etree.Element("testsuites", name="digidialog validate")
    suite = etree.SubElement(
        suites,
        "testsuite",
        name="digidialog validate",
        tests=str(counts["files"]),
        failures=str(counts["invalid"]),
        errors="0",
        skipped="0",
    )
    for report in reports:
        name = _name(report)
        case = etree.SubElement(
            suite, "testcase", classname="digidialog.validate", name=_xml_text(name)
        )
        errors = [i for i in report.issues if i.severity is Severity.ERROR]
        others = [i for i in report.issues if i.severity is not Severity.ERROR]
        if errors:
            failure = etree.SubElement(
                case,
                "failure",
                type=_xml_text(errors[0].rule),
                message=_xml_text(f"{len(errors)} error(s): {errors[0].message}"),
            )
            failure.text = _xml_text("\n".join(issue_line(name, i) for i in errors))
        if others:
            out = etree.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(issue_line(name, i) for i in others))
    return etree.tostring(suites, encoding="unicode", pretty_print=True)


def _version() -> str:
    from importlib import metadata  # only SARIF needs it; it costs 20 ms of every start-up

    try:
        return metadata.version("digidialog")
    except metadata.PackageNotFoundError:
        return "0"


def sarif_rules() -> list[dict[str, object]]:
    """Every rule as a SARIF ``reportingDescriptor``: the two layers first, then DD rules."""
    descriptors: list[dict[str, object]] = []
    for rule_id, (title, section) in _LAYER_RULES.items():
        descriptors.append(_descriptor(rule_id, title, section, Severity.ERROR))
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        descriptors.append(_descriptor(rule.id, rule.title, rule.section, rule.severity))
    return descriptors


def _descriptor(rule_id: str, title: str, section: str, severity: Severity) -> dict[str, object]:
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title} ({section})"},
        "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
        "properties": {"section": section},
    }


def render_sarif(reports: Sequence[Report]) -> str:
    rules = sarif_rules()
    index = {str(r["id"]): i for i, r in enumerate(rules)}
    results: list[dict[str, object]] = []
    for report in reports:
        for issue in report.issues:
            location: dict[str, object] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(report)},
                    **({"region": {"startLine": issue.line}} if issue.line else {}),
                }
            }
            if issue.xpath:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": issue.xpath, "kind": "element"}
                ]
            results.append(
                {
                    "ruleId": issue.rule,
                    "ruleIndex": index[issue.rule],
                    "level": _SARIF_LEVEL[issue.severity],
                    "message": {"text": issue.message},
                    "locations": [location],
                }
            )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "digidialog",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "artifacts": [{"location": {"uri": _uri(r)}} for r in reports],
                "results": results,
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit, "sarif": render_sarif}
