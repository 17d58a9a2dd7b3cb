"""The rule registry: every business rule with its stable ID, severity, title and spec section.

Rule IDs never change meaning once published; a retired rule keeps its number unused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digidialog.validation.report import Issue, Severity

if TYPE_CHECKING:
    from digidialog.validation.context import Context

Check = Callable[["Context"], Iterator[Issue]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A business rule. ``applies_to`` is the document kind it checks ('msghead' or 'apprec')."""

    id: str
    severity: Severity
    title: str
    section: str
    applies_to: str
    check: Check


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, severity: Severity, title: str, section: str, *, applies_to: str = "msghead"
) -> Callable[[Check], Check]:
    """Register a check function under a stable rule ID."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, severity, title, section, applies_to, check)
        return check

    return register
