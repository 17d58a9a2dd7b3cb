"""Layered validation of digital-dialog messages: well-formed XML, schema, business rules.

    report = validate(path_or_bytes)          # -> Report
    report.valid, report.issues               # Issue(rule, severity, message, line, xpath)
    RULES["DD001"]                            # Rule(id, severity, title, section, ...)

Schema issues carry the rule ID ``XSD``, well-formedness issues ``XML``; business rules ``DDnnn``.
"""

from digidialog.validation.engine import check_rules, validate, validate_tree
from digidialog.validation.registry import RULES, Rule
from digidialog.validation.report import XML_RULE, XSD_RULE, Issue, Report, Severity

__all__ = [
    "RULES",
    "XML_RULE",
    "XSD_RULE",
    "Issue",
    "Report",
    "Rule",
    "Severity",
    "check_rules",
    "validate",
    "validate_tree",
]
