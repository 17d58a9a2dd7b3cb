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
    """A business rule. ``applies_to`` is the document kind it checks ('msghead' or 'apprec');
    ``also_applies_to`` the other kinds it checks as well (the coded-value rules DD070-DD073 read
    AppRecs too). `kinds` is both together."""

    id: str
    severity: Severity
    title: str
    section: str
    applies_to: str
    check: Check
    also_applies_to: tuple[str, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every document kind this rule checks, ``applies_to`` first."""
        return (self.applies_to, *self.also_applies_to)


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity,
    title: str,
    section: str,
    *,
    applies_to: str = "msghead",
    also_applies_to: tuple[str, ...] = (),
) -> Callable[[Check], Check]:
    """Register a check function under a stable rule ID, for the document kind ``applies_to``
    and any ``also_applies_to``."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} registered twice")
        if applies_to in also_applies_to:
            raise RuntimeError(f"rule {rule_id} names {applies_to!r} twice")
        RULES[rule_id] = Rule(
            rule_id, severity, title, section, applies_to, check, tuple(also_applies_to)
        )
        return check

    return register
