"""Envelopes over HTTP: one POST per envelope, and a small loopback server for the receiving side.

The payload is the request body; routing metadata travels in headers. The server answers
``202 Accepted`` once its handler has taken the envelope, ``422`` when the handler kept it but
refuses it for good (a transport security error: the body is the HITS 1216 §2.2.6 error report as
JSON, see `Refusal`; not retryable), ``400`` for a malformed request (not retryable) and ``503``
when the handler failed (retryable: the envelope is not taken), so the sender's outbox knows what
to do. The client raises a refusal as a non-retryable `TransportError` whose ``code`` is the
receiver's transport error code.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import requests

from digidialog.errors import Location
from digidialog.transport.base import (
    BaseTransport,
    Envelope,
    Handler,
    Refusal,
    TransportError,
    refusal_of,
)

HEADER_FROM = "X-Digidialog-From"
HEADER_TO = "X-Digidialog-To"
HEADER_MESSAGE_ID = "X-Digidialog-Message-Id"
HEADER_SUBJECT = "X-Digidialog-Subject"
MAX_BODY = 50 * 1024 * 1024
REFUSED_STATUS = 422
"""The answer to an envelope the receiver kept but refuses for good (its body: `Refusal`)."""

log = logging.getLogger(__name__)


class HttpTransport(BaseTransport):
    """POSTs each envelope to ``url``; one attempt, bounded by ``timeout`` seconds."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.url = url
        self.timeout = timeout
        self._session = session or requests.Session()

    def send(self, envelope: Envelope) -> None:
        headers = {
            "Content-Type": envelope.content_type,
            HEADER_FROM: envelope.sender,
            HEADER_TO: envelope.receiver,
            HEADER_MESSAGE_ID: envelope.message_id,
            HEADER_SUBJECT: envelope.subject,
        }
        try:
            # No redirects: requests would repeat a 301/302/303 as a GET without the envelope,
            # and the page found there would read as "sent".
            response = self._session.post(
                self.url,
                data=envelope.payload,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransportError(
                f"POST of envelope {envelope.message_id} to {self.url} failed: {exc}",
                retryable=True,
                location=Location(self.url),
                hint="check that the receiver is running and reachable",
            ) from exc
        if response.status_code in (200, 201, 202, 204):
            return
        if 300 <= response.status_code < 400:
            raise TransportError(
                f"receiver at {self.url} answered {response.status_code} for envelope "
                f"{envelope.message_id}, redirecting to {response.headers.get('Location')!r}; "
                "the envelope was not taken",
                retryable=True,
                location=Location(self.url),
                hint="configure the receiver's final URL (https, path); the envelope is kept "
                "and retried, not re-posted to where a redirect points",
            )
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        refusal = None if retryable else Refusal.from_json(response.content)
        if refusal is not None:
            raise TransportError(
                f"receiver at {self.url} refused envelope {envelope.message_id} for good "
                f"({response.status_code}): {refusal}",
                retryable=False,
                location=Location(self.url),
                hint="the receiver kept it for a person; fix the cause before sending it again",
                code=refusal.code,
            )
        raise TransportError(
            f"receiver at {self.url} answered {response.status_code} for envelope "
            f"{envelope.message_id}: {response.text[:200]}",
            retryable=retryable,
            location=Location(self.url),
        )

    def close(self) -> None:
        self._session.close()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 that hands each POSTed envelope to ``handler``.

    Use as a context manager; ``url`` is where to POST. Port 0 picks a free port.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._server = ThreadingHTTPServer((host, port), self._request_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="digidialog-loopback", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() would wait forever for a loop never started
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _request_class(self) -> type[BaseHTTPRequestHandler]:
        handler = self._handler

        class _Request(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or "0")
                if length < 0 or length > MAX_BODY:
                    self._answer(413, f"body must be 0..{MAX_BODY} bytes")
                    return
                body = self.rfile.read(length)
                try:
                    envelope = Envelope(
                        payload=body,
                        sender=self.headers.get(HEADER_FROM, ""),
                        receiver=self.headers.get(HEADER_TO, ""),
                        content_type=self.headers.get("Content-Type", ""),
                        message_id=self.headers.get(HEADER_MESSAGE_ID, ""),
                        subject=self.headers.get(HEADER_SUBJECT, ""),
                    )
                except TransportError as exc:
                    self._answer(400, str(exc))
                    return
                try:
                    result = handler(envelope)
                except Exception as exc:
                    log.warning("handler refused envelope %s: %s", envelope.message_id, exc)
                    self._answer(503, f"not accepted: {exc}")
                    return
                refusal = refusal_of(result)
                if refusal is not None:  # kept by the handler, refused for good: tell the sender
                    self._answer(REFUSED_STATUS, refusal.to_json(envelope.message_id),
                                 "application/json")  # fmt: skip
                    return
                self._answer(202, "accepted")

            def _answer(
                self, status: int, text: str | bytes, content_type: str = "text/plain"
            ) -> None:
                body = text.encode("utf-8") if isinstance(text, str) else text
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("loopback: " + format, *args)

        return _Request
