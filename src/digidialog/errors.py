"""One error tree for the whole library.

Every error says *what* went wrong, *where* (file, line, XPath) and, where it helps, *what to do*.
Families: parsing, validation (carries rule IDs), security (carries helsenorge.no transport codes),
services, adapters. Catch `DigidialogError` to catch them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the input a problem sits; every part is optional."""

    source: str | None = None
    line: int | None = None
    xpath: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.source:
            parts.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.xpath:
            parts.append(self.xpath)
        return " ".join(parts)


class DigidialogError(Exception):
    """Base of every error digidialog raises on purpose."""

    code: str = "digidialog:error"

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.location = location or Location()
        self.hint = hint
        if code is not None:
            self.code = code
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} ({self.hint})" if self.hint else text


class UsageError(DigidialogError):
    """The caller asked for something that cannot be done as asked (bad option, missing file)."""

    code = "usage"


class ParseError(DigidialogError):
    """The input is not well-formed XML, or not a message this library knows."""

    code = "parse:not-well-formed"


class UnsafeXMLError(ParseError):
    """The input uses an XML feature refused for safety: DTD, entities, excess size or depth."""

    code = "parse:unsafe-xml"


class ValidationError(DigidialogError):
    """A message broke the schema or a business rule; `rule` is the stable rule ID."""

    code = "validation:invalid"

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.rule = rule
        super().__init__(f"[{rule}] {message}", location=location, hint=hint)


class SecurityError(DigidialogError):
    """Signature, certificate or CMS failure; `code` is helsenorge.no's transport error code."""

    code = "transport:invalid-signature"


class ServiceError(DigidialogError):
    """A dialog-service request or reply does not fit its process (wrong code, closed dialog …)."""

    code = "service:invalid"

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.rule = rule
        text = f"[{rule}] {message}" if rule else message
        super().__init__(text, location=location, hint=hint)


class AdapterError(DigidialogError):
    """A journal-system adapter failed; `retryable` tells the pipeline whether to try again."""

    code = "adapter:error"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        location: Location | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.retryable = retryable
        super().__init__(message, location=location, hint=hint, code=code)


class JournalUnavailableError(AdapterError):
    """The journal could not be reached or timed out; the message must be kept and retried."""

    code = "adapter:unavailable"

    def __init__(self, message: str, **kwargs: object) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
