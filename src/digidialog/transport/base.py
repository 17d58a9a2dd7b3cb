"""The one cut between digidialog and the wire: an `Envelope` of bytes and a one-method transport.

In the spirit of httpx's ``BaseTransport``: a transport moves opaque bytes plus the little
routing metadata a carrier needs (who from, who to, what kind, which message). It never parses XML
or CMS; the pipeline does that on either side. Retry is the pipeline's outbox's job, so a transport
makes exactly one attempt and says, through `TransportError.retryable`, whether another may help.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from digidialog.errors import DigidialogError, Location

CMS_CONTENT_TYPE = "application/pkcs7-mime; smime-type=signed-and-enveloped-data"
"""Content type of a sealed (CMS sign-then-encrypt) MsgHead, as in helsenorge.no's AMQP profile."""

XML_CONTENT_TYPE = "application/xml"
"""Content type of a bare (signed, not sealed) MsgHead."""

_HER_ID = re.compile(r"^[0-9]{1,12}$")
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class TransportError(DigidialogError):
    """An envelope could not be handed over; `retryable` says whether trying again may succeed."""

    code = "transport:delivery-failed"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        location: Location | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.retryable = retryable
        super().__init__(message, location=location, hint=hint, code=code)


@dataclass(frozen=True, slots=True)
class Envelope:
    """Bytes on their way between two parties, with routing metadata only.

    ``sender`` and ``receiver`` are HER-ids as the carrier sees them; they are *claims*: the
    pipeline trusts only the HER-id bound to the signing certificate. ``message_id`` names the
    envelope on the wire (folder file names, HTTP headers) and must be file-name safe; UUIDs are.
    ``subject`` is the AMQP Subject helsenorge.no sets: the MsgInfo/Type, so a receiver can
    answer a message it cannot read (AppRec T01) with the right original type.
    """

    payload: bytes
    sender: str
    receiver: str
    content_type: str
    message_id: str
    subject: str = ""

    def __post_init__(self) -> None:
        for name, value in (("sender", self.sender), ("receiver", self.receiver)):
            if not _HER_ID.match(value):
                raise TransportError(
                    f"envelope {name} {value!r} is not a HER-id (1-12 digits)",
                    retryable=False,
                    hint="address envelopes with the parties' HER-ids",
                )
        if not _MESSAGE_ID.match(self.message_id):
            raise TransportError(
                f"envelope message id {self.message_id!r} is not file-name safe",
                retryable=False,
                hint="use the MsgId (a UUID) as the envelope's message id",
            )
        if not self.content_type or not _one_line(self.content_type) or not _one_line(self.subject):
            raise TransportError(
                f"envelope content type {self.content_type!r} is empty, or it or the subject"
                f" {self.subject!r} spans lines",
                retryable=False,
            )

    @property
    def sealed(self) -> bool:
        """Whether the payload claims to be CMS (to be opened before parsing)."""
        return self.content_type.split(";", 1)[0].strip().lower() == "application/pkcs7-mime"


def _one_line(text: str) -> bool:
    return "\n" not in text and "\r" not in text


@dataclass(frozen=True, slots=True)
class Refusal:
    """An envelope its receiver kept but refuses for good, for a transport (security) reason: what
    HITS 1216 §2.2.6 puts in an error report on the sender's AMQP error queue.

    A handler reports one through its result (`refusal_of`); the carrier tells the sender where
    it can carry that (`HttpTransport`: a 422 answer the sender's side raises as a non-retryable
    `TransportError` with ``code``; `InProcessTransport`: that error at once; `FolderInbox`: the
    envelope moved to ``error/`` with the reason), instead of a plain acknowledgement.
    """

    code: str
    """The errorCondition: the transport error code (``transport:invalid-signature`` …)."""
    description: str
    """The errorDescription: why, in words."""
    reason: str = ""
    """A finer slug where one code has several causes (``expired`` / ``not-yet-valid``,
    ``revoked`` / ``revocation-status-unavailable``)."""
    condition_data: Mapping[str, object] = field(default_factory=dict)
    """The errorConditionData: certificate thumbprints, if known."""

    def to_json(self, original_message_id: str) -> bytes:
        """The error report as JSON, with HITS 1216 §2.2.6's names."""
        report = {
            "originalMessageId": original_message_id,
            "errorCondition": self.code,
            "errorDescription": self.description,
            "errorConditionData": dict(self.condition_data),
            "reason": self.reason,
        }
        return json.dumps(report, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> Refusal | None:
        """The refusal in an error report `to_json` wrote; None when ``text`` is not one."""
        try:
            report = json.loads(text)
        except ValueError:
            return None
        if not isinstance(report, dict):
            return None
        code, description = report.get("errorCondition"), report.get("errorDescription", "")
        if not isinstance(code, str) or not code or not isinstance(description, str):
            return None
        data = report.get("errorConditionData")
        reason = report.get("reason")
        return cls(
            code,
            description,
            reason if isinstance(reason, str) else "",
            data if isinstance(data, dict) else {},
        )

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"


def refusal_of(result: object) -> Refusal | None:
    """The `Refusal` a handler's result reports: the result itself, or its ``refusal``
    attribute (the pipeline's `Outcome` has one); None for an envelope taken as usual."""
    if isinstance(result, Refusal):
        return result
    found = getattr(result, "refusal", None)
    return found if isinstance(found, Refusal) else None


Handler = Callable[[Envelope], object]
"""The receiving side: takes responsibility for an envelope, or raises to refuse it.

A handler returns only once the envelope is safely kept (or rejected for good); raising any
exception tells the carrier the hand-over failed, so the sender keeps the envelope and retries.

What it returns is ignored by the carrier unless it reports a `Refusal` (`refusal_of`: the
pipeline's `Outcome` for a transport security error): the envelope is kept by the receiver, but
refused for good, and the carrier tells the sender so where it can (see `Refusal`).
"""


class BaseTransport(ABC):
    """Sends an envelope towards its receiver; one attempt, no parsing."""

    @abstractmethod
    def send(self, envelope: Envelope) -> None:
        """Hand ``envelope`` over, or raise `TransportError`."""

    def close(self) -> None:  # noqa: B027 - optional hook, most transports hold nothing
        """Release what the transport holds (sessions, sockets)."""

    def __enter__(self) -> BaseTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
