"""Neither HTTP path follows a redirect: requests would repeat a POST as a GET without its body,
and the page found there would read as success (an envelope "sent", a journal "answer")."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator

import pytest
import requests

from digidialog.adapters.httpclient import send
from digidialog.errors import JournalUnavailableError
from digidialog.transport import CMS_CONTENT_TYPE, Envelope, HttpTransport, TransportError


class _Moved(http.server.BaseHTTPRequestHandler):
    """An endpoint that moved: POST answers 301, and a GET of the new place answers 200."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(301)
        self.send_header("Location", "/moved")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def moved_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Moved)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/inbox"
    finally:
        server.shutdown()
        server.server_close()


def test_an_envelope_posted_to_a_moved_receiver_is_kept_not_sent(moved_url: str) -> None:
    envelope = Envelope(b"sealed", "8140001", "8093248", CMS_CONTENT_TYPE, str(uuid.uuid4()))
    with pytest.raises(TransportError, match="301") as info:
        HttpTransport(moved_url, timeout=5).send(envelope)
    assert info.value.retryable  # deferred and retried until the URL is fixed
    assert "'/moved'" in str(info.value)


def test_a_journal_call_to_a_moved_address_is_unavailable_not_answered(moved_url: str) -> None:
    with requests.Session() as session, pytest.raises(JournalUnavailableError) as info:
        send(session, "POST", moved_url, timeout=5, data=b'{"item": 1}')
    assert info.value.retryable  # the message is kept pending, not answered 31
    assert "301 redirect to '/moved'" in str(info.value)
