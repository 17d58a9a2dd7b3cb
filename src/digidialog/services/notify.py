"""SMS notification when a time is assigned, through a pluggable `Notifier` port.

A service that builds a time-assigning message marks its `Outgoing` with an `SmsNotice`; the one
who sends the message (the pipeline) sends the SMS once the transport has accepted it, so a
message that is never sent announces nothing and a retried send texts once.

The text is fixed and says only that something is waiting on helsenorge.no: an SMS is read on lock
screens and shared phones, so it must not carry a diagnosis, message content, a subject, a time or
place, the doctor's or office's name, the patient's name or national ID. Building the text from a
constant (never from the message) is what guarantees that; tests check it against every piece of
the message it announces.

The default notifier writes a log line (recipient masked) so a deployment without an SMS gateway
still shows what would have been sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from digidialog.services.types import Citizen

__all__ = ["SMS_TEXT", "LogNotifier", "Notifier", "RecordingNotifier", "SentSms", "SmsNotice"]

#: The only SMS text the services send.
SMS_TEXT = "Du har en ny melding. Logg inn på helsenorge.no for å lese den."

_log = logging.getLogger("digidialog.sms")


@runtime_checkable
class Notifier(Protocol):
    """Sends one SMS. `mobile` may be None; the implementation then looks the number up or skips."""

    def send_sms(self, mobile: str | None, text: str) -> None: ...


def _mask(mobile: str | None) -> str:
    if not mobile:
        return "(no number)"
    return "*" * max(len(mobile) - 2, 0) + mobile[-2:]


class LogNotifier:
    """The default: logs the SMS it would send to logger ``digidialog.sms`` (number masked)."""

    def send_sms(self, mobile: str | None, text: str) -> None:
        _log.info("SMS to %s: %s", _mask(mobile), text)


@dataclass(frozen=True, slots=True)
class SentSms:
    mobile: str | None
    text: str


@dataclass
class RecordingNotifier:
    """Keeps every SMS in `sent`: for demos and for tests that look at what went out."""

    sent: list[SentSms] = field(default_factory=list)

    def send_sms(self, mobile: str | None, text: str) -> None:
        self.sent.append(SentSms(mobile, text))


@dataclass(frozen=True, slots=True)
class SmsNotice:
    """The SMS owed to a citizen once the message that gives them a time has been sent.

    It holds only the number: the text is always `SMS_TEXT`.
    """

    mobile: str | None

    @classmethod
    def for_citizen(cls, citizen: Citizen) -> SmsNotice | None:
        """The notice `citizen` gets when a time is assigned; None when they turned SMS off."""
        return cls(citizen.mobile) if citizen.sms_notification else None

    def send(self, notifier: Notifier) -> None:
        """Text `SMS_TEXT` (never anything from the message) once the message itself was sent."""
        notifier.send_sms(self.mobile, SMS_TEXT)
