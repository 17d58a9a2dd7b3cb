"""A journal that answers every HTTP request the same way, for a vendor's tests of odd answers
(a proxy's HTML page, a 503 with `Retry-After`, a SOAP fault …) through its real client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from digidialog.adapters import registry
from digidialog.adapters.loopback import HttpRequest, HttpResponse, LoopbackHTTPServer
from digidialog.adapters.ports import Adapter

ONCE: dict[str, object] = {"token": "t", "timeout": 2.0, "retries": 0, "backoff": 0.0}
"""Adapter settings for one quick try: no retries, no backoff."""


class Stub:
    """Answers every request with `answer` and counts the requests."""

    def __init__(self, answer: HttpResponse) -> None:
        self.answer = answer
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            self.requests += 1
        return self.answer


@contextmanager
def stubbed(vendor: str, answer: HttpResponse, **config: object) -> Iterator[tuple[Adapter, Stub]]:
    """Adapter `vendor` (from the registry, `ONCE` settings and `config`) pointed at a loopback
    server that answers `answer` to everything."""
    stub = Stub(answer)
    with (
        LoopbackHTTPServer(stub) as server,
        registry.create(vendor, {"base_url": server.url, **ONCE, **config}) as adapter,
    ):
        yield adapter, stub
