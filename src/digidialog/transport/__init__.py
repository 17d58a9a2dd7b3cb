"""How bytes move between parties: in-process, exchange folders, HTTP. Bytes only, never parsed."""

from digidialog.files import write_atomic
from digidialog.transport.base import (
    CMS_CONTENT_TYPE,
    XML_CONTENT_TYPE,
    BaseTransport,
    Envelope,
    Handler,
    Refusal,
    TransportError,
    refusal_of,
)
from digidialog.transport.folder import FolderInbox, FolderTransport
from digidialog.transport.http import HttpTransport, LoopbackServer
from digidialog.transport.memory import InProcessTransport, MockTransport

__all__ = [
    "CMS_CONTENT_TYPE",
    "XML_CONTENT_TYPE",
    "BaseTransport",
    "Envelope",
    "FolderInbox",
    "FolderTransport",
    "Handler",
    "HttpTransport",
    "InProcessTransport",
    "LoopbackServer",
    "MockTransport",
    "Refusal",
    "TransportError",
    "refusal_of",
    "write_atomic",
]
