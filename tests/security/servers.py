"""A real loopback HTTP server publishing a CRL and answering OCSP, for the revocation tests."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp


@dataclass
class Publisher:
    """What the server answers: a CRL, per-serial OCSP statuses, and who signs OCSP answers."""

    issuer: x509.Certificate
    signer_key: rsa.RSAPrivateKey
    crl_der: bytes = b""
    statuses: dict[int, ocsp.OCSPCertStatus] = field(default_factory=dict)
    revoked_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    hits: dict[str, int] = field(default_factory=lambda: {"crl": 0, "ocsp": 0})
    base_url: str = ""
    responder: x509.Certificate | None = None
    """The certificate named as responder (default: the issuer); must match ``signer_key``."""

    def ocsp_answer(self, request_der: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(request_der)
        status = self.statuses.get(request.serial_number, ocsp.OCSPCertStatus.UNKNOWN)
        now = dt.datetime.now(dt.UTC)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=now - dt.timedelta(minutes=1),
            next_update=now + dt.timedelta(hours=1),
            revocation_time=self.revoked_at if status is ocsp.OCSPCertStatus.REVOKED else None,
            revocation_reason=None,
        )
        responder = self.responder or self.issuer
        response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).sign(
            self.signer_key, hashes.SHA256()
        )
        return response.public_bytes(serialization.Encoding.DER)


@contextmanager
def serve(publisher: Publisher) -> Iterator[Publisher]:
    """Run the server on 127.0.0.1 (a free port) for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/ca.crl":
                self.send_error(404)
                return
            publisher.hits["crl"] += 1
            self._reply(publisher.crl_der, "application/pkix-crl")

        def do_POST(self) -> None:
            if self.path != "/ocsp":
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            publisher.hits["ocsp"] += 1
            self._reply(publisher.ocsp_answer(body), "application/ocsp-response")

        def _reply(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    publisher.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield publisher
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was just released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
