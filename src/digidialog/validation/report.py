"""What validation returns: issues (rule ID, severity, line, XPath) gathered in a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from digidialog.errors import Location, ValidationError


class Severity(StrEnum):
    """How bad an issue is. Only errors make a message invalid."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Pseudo rule IDs for the two layers below the business rules.
XML_RULE = "XML"
XSD_RULE = "XSD"


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: which rule, how bad, what, and where (line and XPath when known)."""

    rule: str
    severity: Severity
    message: str
    line: int | None = None
    xpath: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "line": self.line,
            "xpath": self.xpath,
        }


@dataclass(slots=True)
class Report:
    """The outcome of validating one message. ``valid`` is False when any issue is an error."""

    source: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(issue.severity is Severity.ERROR for issue in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity is Severity.ERROR]

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.source,
            "valid": self.valid,
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def raise_for_errors(self) -> None:
        """Raise `ValidationError` for the first error, for callers that want an exception."""
        for issue in self.issues:
            if issue.severity is Severity.ERROR:
                raise ValidationError(
                    issue.message,
                    rule=issue.rule,
                    location=Location(self.source, issue.line, issue.xpath),
                    hint=f"see `digidialog validate` or docs/rules.md for {issue.rule}",
                )
