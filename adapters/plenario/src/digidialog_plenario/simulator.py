"""A Plenario look-alike: our REST/JSON surface on a real loopback HTTP server.

It serves a MemoryJournal.

It checks the bearer token and replays the stored answer for a repeated `Idempotency-Key`; a journal
that is down answers 503 (see `HttpSimulator` for the fault plan).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from digidialog.adapters.loopback import HttpRequest, HttpResponse, HttpSimulator
from digidialog.adapters.ports import JournalRefusal, RefusalReason
from digidialog.adapters.rpc import serve
from digidialog.adapters.simulator import SimulatorOptions
from digidialog_plenario.client import API, ENDPOINTS

STATUS = {
    RefusalReason.NOT_FOUND: 404,
    RefusalReason.UNKNOWN_PRACTITIONER: 404,
    RefusalReason.INVALID: 422,
    RefusalReason.SERVICE_OFF: 409,
    RefusalReason.SLOT_UNAVAILABLE: 409,
}

ROUTES = [
    (
        method,
        re.compile("^" + API + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"),
        operation,
    )
    for operation, (method, path) in ENDPOINTS.items()
]


def _json(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, b"" if payload is None else json.dumps(payload).encode())


def _error(status: int, message: str, reason: RefusalReason | None = None) -> HttpResponse:
    error = {"message": message} | ({"reason": reason.value} if reason else {})
    return _json(status, {"error": error})


class PlenarioSimulator(HttpSimulator):
    """Plenario's REST API on 127.0.0.1, backed by a `MemoryJournal`."""

    name = "plenario"

    def adapter_config(self) -> Mapping[str, Any]:
        return {"base_url": self.address, "token": self.token}

    def unavailable(self) -> HttpResponse:
        return _error(503, "Plenario is temporarily unavailable")

    def authorize(self, request: HttpRequest) -> HttpResponse | None:
        if request.headers.get("authorization") == f"Bearer {self.token}":
            return None
        return _error(401, "missing or wrong bearer token")

    def idempotency_key(self, request: HttpRequest) -> str | None:
        key = request.headers.get("idempotency-key")
        return f"{request.method} {request.path} {key}" if key else None

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        for method, pattern, operation in ROUTES:
            match = pattern.match(request.path)
            if match is None or method != request.method:
                continue
            try:
                body = dict(request.query)
                if request.body:
                    body.update(json.loads(request.body))
                body.update({k: unquote(v) for k, v in match.groupdict().items()})
                result = serve(self.journal, operation, body)
            except JournalRefusal as exc:
                return _error(STATUS[exc.reason], exc.message, exc.reason)
            except (ValueError, TypeError, AttributeError) as exc:
                return _error(422, f"bad request: {exc}", RefusalReason.INVALID)
            return _json(200, result) if result is not None else _json(204, None)
        return _error(404, f"no route {request.method} {request.path}")


def create_simulator(options: SimulatorOptions) -> PlenarioSimulator:
    return PlenarioSimulator(options)
