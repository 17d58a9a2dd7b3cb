"""A CGM WM3 look-alike: our SOAP 1.1 DialogService on a real loopback HTTP server.

It reads envelopes with the hardened parser, checks the access token in the SOAP header, and
answers from a `MemoryJournal`; refusals are `soap:Client` faults, a journal that is down answers
a `soap:Server` fault with HTTP 503 (see `HttpSimulator` for the fault plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from digidialog.adapters.loopback import HttpRequest, HttpResponse, HttpSimulator
from digidialog.adapters.ports import JournalRefusal
from digidialog.adapters.rpc import OPERATIONS, serve
from digidialog.adapters.simulator import SimulatorOptions
from digidialog.errors import DigidialogError
from digidialog_cgm import soap
from digidialog_cgm.client import PATH

BY_ELEMENT = {f"{{{soap.WM3}}}{soap.element_name(op)}": op for op in OPERATIONS}
XML = "text/xml; charset=utf-8"


def _fault(
    status: int, code: str, text: str, detail: str, reason: str | None = None
) -> HttpResponse:
    return HttpResponse(status, soap.fault(code, text, detail, reason), XML)


class CgmSimulator(HttpSimulator):
    """WM3's DialogService on 127.0.0.1, backed by a `MemoryJournal`."""

    name = "cgm"

    def adapter_config(self) -> Mapping[str, Any]:
        return {"base_url": self.address, "token": self.token}

    def unavailable(self) -> HttpResponse:
        return _fault(503, "Server", "WM3 is temporarily unavailable", "Unavailable")

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != PATH:
            return HttpResponse(404, b"no such service", "text/plain")
        try:
            header, call = soap.read(request.body, "request")
        except DigidialogError as exc:
            return _fault(500, "Client", f"not a SOAP 1.1 request: {exc}", "BadRequest")
        if soap.token_of(header) != self.token:
            return _fault(500, "Client", "missing or wrong access token", "AuthenticationFailed")
        operation = BY_ELEMENT.get(str(call.tag))
        if operation is None:
            return _fault(500, "Client", f"unknown operation {call.tag}", "BadRequest")
        try:
            body = {
                etree.QName(c).localname: soap.read_value(c) for c in call if isinstance(c.tag, str)
            }
        except DigidialogError as exc:
            return _fault(500, "Client", f"{call.tag}: {exc}", "BadRequest")
        try:
            result = serve(self.journal, operation, body)
        except JournalRefusal as exc:
            return _fault(500, "Client", exc.message, "Refusal", exc.reason.value)
        return HttpResponse(200, soap.response(operation, result), XML)


def create_simulator(options: SimulatorOptions) -> CgmSimulator:
    return CgmSimulator(options)
