"""digidialog: Digital dialog med fastlegen for Norwegian EHR vendors."""

from digidialog.errors import (
    AdapterError,
    DigidialogError,
    JournalUnavailableError,
    Location,
    ParseError,
    SecurityError,
    ServiceError,
    UnsafeXMLError,
    UsageError,
    ValidationError,
)

__all__ = [
    "AdapterError",
    "DigidialogError",
    "JournalUnavailableError",
    "Location",
    "ParseError",
    "SecurityError",
    "ServiceError",
    "UnsafeXMLError",
    "UsageError",
    "ValidationError",
]
