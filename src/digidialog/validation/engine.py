"""Layered validation: well-formedness, then schema, then business rules.

A layer runs only when the one below passed: the rules need a schema-valid tree to stand on, and
a schema error already tells the sender what to fix. The schema set is compiled once per process.
"""

from __future__ import annotations

from lxml import etree

from digidialog.errors import ParseError
from digidialog.validation import rules as _rules  # noqa: F401  (registers every rule)
from digidialog.validation.context import Context
from digidialog.validation.registry import RULES, Check
from digidialog.validation.report import XML_RULE, XSD_RULE, Issue, Report, Severity
from digidialog.xml import namespaces as ns
from digidialog.xml.parser import XmlSource, parse_bytes, read_source
from digidialog.xml.schema import SchemaSet

_KIND_BY_ROOT = {
    ns.qname(ns.MSGHEAD, "MsgHead"): "msghead",
    ns.qname(ns.APPREC_1_1, "AppRec"): "apprec",
    ns.qname(ns.APPREC_1_0, "AppRec"): "apprec",
}

_BY_KIND: dict[str, tuple[Check, ...]] = {}


def _checks_for(kind: str) -> tuple[Check, ...]:
    """The check functions of the rules for ``kind``, in registration order (worked out once):
    a MsgHead runs only MsgHead checks, an AppRec only the AppRec ones and DD070-DD073."""
    found = _BY_KIND.get(kind)
    if found is None:
        found = tuple(r.check for r in RULES.values() if kind in r.kinds)
        _BY_KIND[kind] = found
    return found


def validate(
    data: XmlSource, *, source: str | None = None, schemas: SchemaSet | None = None
) -> Report:
    """Validate one message (bytes, XML text, a path or a binary file object).

    Never raises for a bad message: a broken one yields a report with an ``XML`` issue. Raises
    `UsageError` only when a path cannot be read (one over the size cap is reported, as `XML`).
    """
    try:
        raw, name = read_source(data, source=source)
        tree = parse_bytes(raw, source=name)
    except ParseError as exc:  # malformed, unsafe, or over the size cap
        issue = Issue(XML_RULE, Severity.ERROR, exc.message, exc.location.line)
        return Report(exc.location.source or source, [issue])
    return validate_tree(tree, source=name, schemas=schemas)


def validate_tree(
    tree: etree._ElementTree | etree._Element,
    *,
    source: str | None = None,
    schemas: SchemaSet | None = None,
) -> Report:
    """Validate an already parsed tree: schema first, business rules when the schema passed."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    schema_set = schemas if schemas is not None else SchemaSet.default()
    report = Report(source)
    for problem in schema_set.validate(root.getroottree()):
        report.issues.append(
            Issue(XSD_RULE, Severity.ERROR, problem.message, problem.line, problem.xpath)
        )
    if report.issues:
        return report
    report.issues.extend(check_rules(root))
    return report


def check_rules(root: etree._Element) -> list[Issue]:
    """Run the business rules alone on a schema-valid tree, in the order they were registered
    (MsgHead rules: header, calendar, coded, content modules; AppRec rules: DD090-DD096, then
    the coded values DD070-DD073; the order of the issues)."""
    kind = _KIND_BY_ROOT.get(root.tag, "other")
    context = Context.build(root, kind)
    issues: list[Issue] = []
    extend = issues.extend
    for check in _checks_for(context.kind):
        extend(check(context))
    return issues
