"""The Plenario (Infodoc) adapter: the ports over our model of Plenario's REST/JSON API.

See docs/vendors/plenario.md for the surface. Each port operation is one route in `ENDPOINTS`.
Every call carries a bearer token and an `Idempotency-Key`; the session retries 5xx answers,
connection errors and read timeouts with backoff, and the key makes sure a retry can never create
a second inbox item or a second booking.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any
from urllib.parse import quote

import requests

from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.httpclient import HttpClient, send
from digidialog.adapters.ports import Adapter, refusal_or_error
from digidialog.adapters.rpc import rpc_adapter
from digidialog.errors import AdapterError, JournalUnavailableError, Location

API = "/api/v1"

#: operation → (HTTP method, path under API). `{name}` takes that argument from the call; the
#: other arguments go in the query string (GET) or as the JSON body (POST).
ENDPOINTS: Mapping[str, tuple[str, str]] = {
    "practice.office": ("GET", "/office"),
    "practice.settings": ("GET", "/office/settings"),
    "inbox.deliver": ("POST", "/inbox"),
    "inbox.outgoing": ("GET", "/outbox"),
    "inbox.acknowledge": ("POST", "/outbox/{outgoing_id}/ack"),
    "inbox.undelivered": ("POST", "/outbox/undelivered"),
    "calendar.free_slots": ("GET", "/calendar/slots"),
    "calendar.reserve": ("POST", "/calendar/reservations"),
    "calendar.change": ("POST", "/calendar/appointments/{appointment_uid}/change"),
    "calendar.cancel": ("POST", "/calendar/appointments/{appointment_uid}/cancel"),
    # POST, not GET: a national id must never end up in a URL or an access log.
    "calendar.appointments": ("POST", "/calendar/appointments/search"),
    "renewals.receive": ("POST", "/renewals"),
    "renewals.outcomes": ("GET", "/renewals/outcomes"),
    "renewals.acknowledge": ("POST", "/renewals/outcomes/{decision_id}/ack"),
}

CAPABILITIES = Capabilities(
    versions={"Dialogmelding": ("1.0", "1.1"), "AppRec": ("1.0", "1.1")},
    features=frozenset({"rest-json", "idempotency-keys", "avtaleutsending", "m1-passthrough"}),
)


class PlenarioClient(HttpClient):
    """One authenticated, retrying HTTP session to a Plenario installation."""

    def call(self, operation: str, args: dict[str, Any]) -> Any:
        """Send one port operation to its route; the answer's JSON, or the matching error."""
        method, template = ENDPOINTS[operation]
        path = template
        rest = dict(args)
        for name in list(rest):
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", quote(str(rest.pop(name)), safe=""))
        url = f"{self.base_url}{API}{path}"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            # One key per logical call: urllib3's retries resend it, a new call gets a new one.
            "Idempotency-Key": uuid.uuid4().hex,
        }
        params: dict[str, str] = {}
        data = None
        if method == "GET":
            params = {k: str(v) for k, v in rest.items() if v is not None}
        elif rest:
            headers["Content-Type"] = "application/json"
            data = json.dumps(rest).encode()
        response = send(
            self._session,
            method,
            url,
            timeout=self.timeout,
            headers=headers,
            data=data,
            params=params,
        )
        return _answer(f"{method} {path}", Location(url), response)


#: Answers below 500 that still mean "not now": timeout, too early, too many requests.
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def _is_json(response: requests.Response) -> bool:
    media = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _answer(what: str, where: Location, response: requests.Response) -> Any:
    status = response.status_code
    if 200 <= status < 300:
        return _success(what, where, response)
    try:
        payload = response.json() if response.content else None
    except ValueError:
        payload = None
    error = payload.get("error", {}) if isinstance(payload, dict) else {}
    if not isinstance(error, dict):
        error = {}
    message = f"{what}: {status} {error.get('message') or response.reason}"
    # Every 5xx (a gateway's 520-524 and 507 included) and 408/425/429 is temporary: the message
    # is kept and retried. Only the statuses of `RETRY_STATUSES` are retried inside the call.
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise JournalUnavailableError(
            message,
            location=where,
            hint="Plenario is down or busy; the message is kept and retried",
        )
    if status in (401, 403):
        raise AdapterError(
            message,
            location=where,
            code="adapter:unauthorized",
            hint="check the adapter's token (config key 'token')",
        )
    raise refusal_or_error(message, str(error.get("reason")), location=where)


def _success(what: str, where: Location, response: requests.Response) -> Any:
    """A 2xx is Plenario's answer only as 204 (no result) or as JSON: a 200 HTML page from a
    login portal, a web front-end or a WAF in front of the API did not cancel anything."""
    status = response.status_code
    if status == 204:
        return None
    kind = response.headers.get("Content-Type") or "no Content-Type"
    if not _is_json(response):
        raise AdapterError(
            f"{what}: {status} with {kind} ({len(response.content)} bytes), not Plenario's JSON",
            location=where,
            hint="check that base_url points at the Plenario API itself, not a portal or proxy",
        )
    try:
        return response.json()
    except ValueError as exc:
        raise AdapterError(
            f"{what}: {status} with {kind} that is not valid JSON ({exc})", location=where
        ) from exc


def create_adapter(config: Mapping[str, Any]) -> Adapter:
    """Build the Plenario adapter from `base_url`, `token` and optional timeout/retry settings."""
    client = PlenarioClient.from_config("plenario", config)
    return rpc_adapter(
        client.call,
        name="plenario",
        vendor="Infodoc",
        version=version("digidialog-plenario"),
        capabilities=CAPABILITIES,
        on_close=client.close,
    )
