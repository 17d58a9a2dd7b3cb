"""A tiny real HTTP server on 127.0.0.1, and the base of the HTTP-based simulators (REST, SOAP).

`LoopbackHTTPServer` runs stdlib `ThreadingHTTPServer` in a daemon thread on an ephemeral port, so
tests talk to a simulator over a real socket; `HttpSimulator` adds what every HTTP simulator does.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from digidialog.adapters.faults import FaultKind, Faults
from digidialog.adapters.memory import demo_journal
from digidialog.adapters.simulator import Running, Simulator, SimulatorOptions


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[HttpRequest], HttpResponse]

MAX_BODY = 16 * 1024 * 1024


class LoopbackHTTPServer(Running):
    """Serve `handler` on 127.0.0.1 until `stop()`; `url` is known once started."""

    def __init__(self, handler: Handler, *, port: int = 0) -> None:
        self._handler = handler
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        handler = self._handler

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes on a kept-alive connection; with Nagle on,
            # the body waits for the client's delayed ACK (~40 ms per call on loopback).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = HttpRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = handler(request)
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", response.content_type)
                    self.send_header("Content-Length", str(len(response.body)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a provoked timeout); nothing to answer

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Stay quiet; the simulators keep their own journal of what happened."""

        server = ThreadingHTTPServer(("127.0.0.1", self._port), _RequestHandler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class HttpSimulator(Simulator):
    """Base of the HTTP simulators: fault plan, authentication, replay by idempotency key.

    Per call: an unavailable fault answers `unavailable()` before any work; then `authorize()`;
    then `dispatch()` — or the stored answer when `idempotency_key()` names a call already done;
    a stall sleeps *after* the work, so the journal changed but the client may have timed out.
    """

    def __init__(self, options: SimulatorOptions) -> None:
        self.journal = options.journal or demo_journal()
        self.faults = Faults()
        self.token = options.token
        self.requests = 0  # calls that reached the server, retries included
        self._replays: dict[str, HttpResponse] = {}
        self._lock = threading.Lock()
        self._server = LoopbackHTTPServer(self._handle, port=options.port)

    @property
    def address(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @abstractmethod
    def unavailable(self) -> HttpResponse:
        """The answer of a journal that is down."""

    def authorize(self, request: HttpRequest) -> HttpResponse | None:
        """None when the caller may proceed, else the refusal to send (default: no check here)."""
        return None

    @abstractmethod
    def dispatch(self, request: HttpRequest) -> HttpResponse:
        """Do the call against `self.journal`."""

    def idempotency_key(self, request: HttpRequest) -> str | None:
        """The key under which this call's answer is stored for replay (None: no replay)."""
        return None

    def _handle(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            self.requests += 1
        fault = self.faults.next()
        if fault.kind is FaultKind.UNAVAILABLE:
            time.sleep(fault.delay)
            return self.unavailable()
        refused = self.authorize(request)
        if refused is not None:
            return refused
        key = self.idempotency_key(request)
        with self._lock:
            response = self._replays.get(key) if key else None
            if response is None:
                response = self.dispatch(request)
                if key and response.status < 500:
                    self._replays[key] = response
        time.sleep(fault.delay)
        return response
