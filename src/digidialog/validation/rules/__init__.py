"""The business rules, one module per part of HITS 1217 chapter 2; importing registers them all."""

from digidialog.validation.rules import apprec, calendar, coded, content, header

__all__ = ["apprec", "calendar", "coded", "content", "header"]
