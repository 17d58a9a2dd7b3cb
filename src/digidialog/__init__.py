"""digidialog: Digital dialog med fastlegen for Norwegian EHR vendors."""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from digidialog.codes import UnknownCodeError
    from digidialog.codes.identifiers import InvalidIdentifierError
    from digidialog.model import Message
    from digidialog.security import OpenedMessage, VerifiedXml, open_sealed, seal, sign, verify
    from digidialog.services import GpOffice, ServiceContext
    from digidialog.validation import validate
    from digidialog.xml.codec import parse

# Heavy faces load on first use (PEP 562), so `digidialog validate` does not pay for pydantic.
_LAZY = {
    "UnknownCodeError": "digidialog.codes",
    "InvalidIdentifierError": "digidialog.codes.identifiers",
    "Message": "digidialog.model",
    "parse": "digidialog.xml.codec",
    "validate": "digidialog.validation",
    "sign": "digidialog.security",
    "verify": "digidialog.security",
    "seal": "digidialog.security",
    "open_sealed": "digidialog.security",
    "VerifiedXml": "digidialog.security",
    "OpenedMessage": "digidialog.security",
    "GpOffice": "digidialog.services",
    "ServiceContext": "digidialog.services",
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
    "GpOffice",
    "InvalidIdentifierError",
    "JournalUnavailableError",
    "Location",
    "Message",
    "OpenedMessage",
    "ParseError",
    "SecurityError",
    "ServiceContext",
    "ServiceError",
    "UnknownCodeError",
    "UnsafeXMLError",
    "UsageError",
    "ValidationError",
    "VerifiedXml",
    "open_sealed",
    "parse",
    "seal",
    "sign",
    "validate",
    "verify",
]
