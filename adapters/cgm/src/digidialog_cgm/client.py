"""The CGM Journal/WM3 adapter: the ports over our model of a WM3 SOAP 1.1 web service.

See docs/vendors/cgm.md. One SOAP operation per port operation (`inbox.deliver` → `InboxDeliver`),
all on one endpoint. Faults map to our errors: `soap:Server` (the journal failed or is down) →
`JournalUnavailableError`; `soap:Client` with a `wm3:Refusal` → `JournalRefusal`; other
`soap:Client` faults → `AdapterError` (a dotted code such as `soap:Server.Unavailable` counts by its
first part). An answer that is not SOAP is temporary with HTTP 5xx or 408/425/429, else an
`AdapterError`. Connection errors, timeouts and 502/503/504 are retried within the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from lxml import etree

from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.httpclient import HttpClient, send
from digidialog.adapters.ports import Adapter, refusal_or_error
from digidialog.adapters.rpc import rpc_adapter
from digidialog.errors import AdapterError, DigidialogError, JournalUnavailableError, Location
from digidialog_cgm import soap

PATH = "/wm3/DialogService"
CAPABILITIES = Capabilities(
    versions={"Dialogmelding": ("1.0", "1.1"), "AppRec": ("1.0", "1.1")},
    features=frozenset({"soap-1.1", "avtaleutsending", "m1-passthrough"}),
)


class CgmClient(HttpClient):
    """A SOAP client for one WM3 DialogService endpoint."""

    # SOAP 1.1 sends every fault with 500, refusals included: retry only gateway answers.
    retry_statuses = frozenset({502, 503, 504})

    @property
    def endpoint(self) -> str:
        return self.base_url + PATH

    def call(self, operation: str, args: dict[str, Any]) -> Any:
        name = soap.element_name(operation)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap.WM3}/{name}"'}
        response = send(
            self._session,
            "POST",
            self.endpoint,
            timeout=self.timeout,
            headers=headers,
            data=soap.request(operation, args, self._token),
        )
        where = Location(self.endpoint)
        status = response.status_code
        try:
            _, answer = soap.read(response.content, f"{self.endpoint} {name}")
        except DigidialogError as exc:
            raise _no_soap_answer(name, status, where) from exc
        if soap.is_fault(answer):
            raise _fault_error(name, answer, where)
        if not 200 <= status < 300:
            # An answer element under an error status is not WM3's answer (a proxy's page, say).
            raise _no_soap_answer(name, status, where)
        if answer.tag != f"{{{soap.WM3}}}{name}Response":
            raise AdapterError(f"CGM {name}: unexpected answer {answer.tag}", location=where)
        result = answer.find("result")
        if result is None:
            return None
        try:
            return soap.read_value(result)
        except AdapterError as exc:
            raise AdapterError(
                f"CGM {name}: undecodable answer: {exc.message}", location=where
            ) from exc


#: Answers below 500 that still mean "not now": timeout, too early, too many requests.
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def _no_soap_answer(name: str, status: int, where: Location) -> AdapterError:
    """HTTP `status` without a SOAP answer: temporary for 5xx and 408/425/429, else an error."""
    message = f"CGM {name}: HTTP {status} without a SOAP answer"
    if status >= 500 or status in TRANSIENT_STATUSES:
        return JournalUnavailableError(
            message, location=where, hint="WM3 or a proxy in front of it is down or busy"
        )
    return AdapterError(message, location=where)


def _fault_error(name: str, node: etree._Element, where: Location) -> AdapterError:
    code, text, detail, reason = soap.fault_parts(node)
    message = f"CGM {name}: soap:{code} {text}"
    # SOAP 1.1 fault codes extend with dots (`Server.Unavailable`): the class is the first part.
    kind = code.partition(".")[0]
    if kind == "Server":
        return JournalUnavailableError(
            message, location=where, hint="WM3 failed or is down; the message is kept and retried"
        )
    if detail == "AuthenticationFailed":
        return AdapterError(
            message, location=where, code="adapter:unauthorized", hint="check config key 'token'"
        )
    return refusal_or_error(message, reason if detail == "Refusal" else None, location=where)


def create_adapter(config: Mapping[str, Any]) -> Adapter:
    """Build the CGM adapter from `base_url`, `token` and optional timeout/retry settings."""
    client = CgmClient.from_config("cgm", config)
    return rpc_adapter(
        client.call,
        name="cgm",
        vendor="CompuGroup Medical",
        version=version("digidialog-cgm"),
        capabilities=CAPABILITIES,
        on_close=client.close,
    )
