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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from digidialog.model import Message
    from digidialog.validation import validate
    from digidialog.xml.codec import parse

# Heavy faces load on first use (PEP 562), so `digidialog validate` does not pay for pydantic.
_LAZY = {
    "Message": "digidialog.model",
    "parse": "digidialog.xml.codec",
    "validate": "digidialog.validation",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'digidialog' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AdapterError",
    "DigidialogError",
    "JournalUnavailableError",
    "Location",
    "Message",
    "ParseError",
    "SecurityError",
    "ServiceError",
    "UnsafeXMLError",
    "UsageError",
    "ValidationError",
    "parse",
    "validate",
]
