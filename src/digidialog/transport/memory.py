"""Transports that stay in the process: for tests, the demo, and two parties in one program."""

from __future__ import annotations

from digidialog.transport.base import (
    BaseTransport,
    Envelope,
    Handler,
    TransportError,
    refusal_of,
)


class MockTransport(BaseTransport):
    """Hands every envelope straight to one handler, like httpx's ``MockTransport``.

    A handler that raises a `TransportError` passes it on as is; any other exception becomes a
    retryable `TransportError`, as a carrier would report a receiver that failed. A handler that
    reports a `Refusal` (it kept the envelope but refuses it for good, HITS 1216 §2.2.3) makes a
    non-retryable `TransportError` whose ``code`` is the refusal's, as the sender's error queue
    would tell it.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    def send(self, envelope: Envelope) -> None:
        try:
            result = self._handler(envelope)
        except TransportError:
            raise
        except Exception as exc:
            raise TransportError(
                f"receiver refused envelope {envelope.message_id}: {exc}", retryable=True
            ) from exc
        refusal = refusal_of(result)
        if refusal is not None:
            raise TransportError(
                f"receiver refused envelope {envelope.message_id} for good: {refusal}",
                retryable=False,
                code=refusal.code,
                hint="the receiver kept it for a person; fix the cause before sending it again",
            )


class InProcessTransport(BaseTransport):
    """Routes each envelope to the handler registered for its receiver HER-id."""

    def __init__(self) -> None:
        self._routes: dict[str, MockTransport] = {}

    def register(self, her_id: str, handler: Handler) -> None:
        """Deliver envelopes addressed to ``her_id`` to ``handler`` from now on."""
        self._routes[her_id] = MockTransport(handler)

    def send(self, envelope: Envelope) -> None:
        route = self._routes.get(envelope.receiver)
        if route is None:
            raise TransportError(
                f"no receiver registered for HER-id {envelope.receiver}",
                retryable=True,
                hint="register the receiving party with InProcessTransport.register()",
            )
        route.send(envelope)
