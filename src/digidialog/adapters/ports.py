"""The ports: what digidialog needs from a journal system, and nothing more.

Four small typed protocols — `Practice` (who works here, what is switched on), `Inbox`, `Calendar`,
`PrescriptionRenewals` — speak the domain objects of `digidialog.services.types`; an `Adapter`
bundles one of each with its vendor's name and a static `Capabilities` profile. Every vendor adapter
has exactly this face (the httpx-transport cut: our model on one side, the vendor's wire on the
other).

Errors, the same for every vendor:
- `JournalUnavailableError` (retryable): the journal is down, answered "try later", or timed out.
  Nothing is lost: calls are idempotent by message/request id, so the pipeline simply retries.
- `JournalRefusal` (an `AdapterError`, not retryable): the journal understood and said no; its
  `reason` tells the service layer which reply to send (e.g. slot taken → 06).
- `AdapterError` (not retryable): anything else the journal sent that we cannot use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, runtime_checkable

from digidialog.adapters.capabilities import Capabilities
from digidialog.errors import AdapterError, Location
from digidialog.services.types import (
    Appointment,
    Attachment,
    Citizen,
    InboxItem,
    Office,
    OfficeSettings,
    RenewalOutcome,
    RenewalRequest,
    Reply,
    ServiceName,
    Slot,
)

__all__ = [
    "Adapter",
    "Calendar",
    "Delivery",
    "Inbox",
    "JournalRefusal",
    "OfficeMessage",
    "OutgoingMessage",
    "Practice",
    "PrescriptionRenewals",
    "RefusalReason",
    "RenewalDecision",
    "Undelivered",
    "refusal_or_error",
]


class RefusalReason(StrEnum):
    """Why a journal refused a call; stable values, also used on every vendor's wire."""

    UNKNOWN_PRACTITIONER = "unknown_practitioner"  # no such GP at this office
    SERVICE_OFF = "service_off"  # the GP switched this service off
    SLOT_UNAVAILABLE = "slot_unavailable"  # taken, or not open for electronic booking
    NOT_FOUND = "not_found"  # unknown appointment, message or outgoing id
    INVALID = "invalid"  # the journal cannot accept the content


class JournalRefusal(AdapterError):
    """The journal said no to a well-formed call; not retryable. `reason` says why."""

    code = "adapter:refused"

    def __init__(
        self,
        message: str,
        *,
        reason: RefusalReason,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        super().__init__(
            message, retryable=False, location=location, hint=hint, code=f"adapter:{reason.value}"
        )


def refusal_or_error(
    message: str, reason: str | None, *, location: Location | None = None
) -> AdapterError:
    """What a vendor's "no" becomes: a `JournalRefusal` when `reason` names a `RefusalReason`,
    otherwise a plain `AdapterError` (an answer we cannot classify is never taken as a refusal)."""
    known = next((named for named in RefusalReason if named.value == reason), None)
    if known is None:
        return AdapterError(message, location=location)
    return JournalRefusal(message, reason=known, location=location)


@dataclass(frozen=True, slots=True)
class Delivery:
    """The journal's receipt for a delivered message: its id for it, and whether it was a repeat."""

    journal_id: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class OfficeMessage:
    """A message the office starts (not an answer): `kind` is the 7601 code, e.g. "DI" or "EKI"."""

    kind: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """Something the journal wants sent to a citizen.

    Either a `Reply` to a message we delivered (`in_reply_to` = its MsgId, `conversation_id` = its
    conversation), an Avtaleutsending (a `Reply` with an appointment made in the journal,
    05/07/08/11, `in_reply_to` None), or an `OfficeMessage` that starts a new dialog
    (`conversation_id` None).
    `id` is the journal's handle: pass it to `Inbox.acknowledge` once the message is safely sent.
    """

    id: str
    service: ServiceName
    citizen: Citizen
    practitioner_her_id: str | None
    content: Reply | OfficeMessage
    conversation_id: str | None = None
    in_reply_to: str | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class RenewalDecision:
    """A renewal outcome the journal reports; `request_msg_id` names the request answered."""

    id: str
    request_msg_id: str
    conversation_id: str
    citizen: Citizen
    practitioner_her_id: str | None
    outcome: RenewalOutcome


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A message the office sent that did not reach the citizen.

    helsenorge.no refused it (an AppRec with status 2: `errors` holds its 8221 codes), or the
    transport gave up on it (`errors` empty). The journal took the message as sent when it was
    collected, so without this notice the GP would believe the citizen has it. `reason` says
    why, in words a person can act on. The message is named by what the journal knows it by:
    `outgoing_id` (`OutgoingMessage.id`) or `decision_id` (`RenewalDecision.id`) when it came
    from the journal, and always `in_reply_to`, the citizen's message it answered (the inbox
    item or calendar request id), when it answered one. `kind` is the 7601/7602 code it carried.
    """

    msg_id: str
    service: ServiceName
    kind: str
    citizen: Citizen
    practitioner_her_id: str | None
    subject: str
    reason: str
    errors: tuple[str, ...] = ()
    outgoing_id: str | None = None
    decision_id: str | None = None
    in_reply_to: str | None = None
    conversation_id: str | None = None


@runtime_checkable
class Practice(Protocol):
    """Who works at the office and which services each GP has switched on (read live)."""

    def office(self) -> Office: ...

    def settings(self) -> OfficeSettings: ...


@runtime_checkable
class Inbox(Protocol):
    """The journal's message inbox and outbox."""

    def deliver(self, item: InboxItem) -> Delivery:
        """Put `item` in the inbox of `item.practitioner_her_id` (the office's inbox if None).

        Idempotent by `item.msg_id`: delivering the same message again returns the first delivery
        with `duplicate=True` and never creates a second inbox item.
        """
        ...

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        """Messages the office wants sent (replies, Avtaleutsending, office-started dialogs).

        A message stays in the outbox until acknowledged, so one that was collected but not sent
        is collected again after a crash; the pipeline deduplicates by `OutgoingMessage.id`.
        """
        ...

    def acknowledge(self, outgoing_id: str) -> None:
        """Mark an outgoing message as sent. Idempotent; an unknown id is a `JournalRefusal`."""
        ...

    def undelivered(self, notice: Undelivered) -> None:
        """Tell the office that a message it sent did not reach the citizen (see `Undelivered`).

        The notice goes to `notice.practitioner_her_id`'s inbox, or the office's when that GP is
        None or no longer known: it must never be refused for where it should go. Idempotent by
        `notice.msg_id`: telling the same again changes nothing.
        """
        ...


@runtime_checkable
class Calendar(Protocol):
    """The GP's calendar as far as electronic booking sees it.

    Appointments made in the journal itself (by phone, at the desk) come out as Avtaleutsending
    through `Inbox.outgoing`, so one outbox carries everything the office sends.
    `request_id` (the MsgId of the citizen's request) makes reserve/change/cancel idempotent: the
    same request again returns the first result instead of failing.
    """

    def free_slots(
        self, practitioner_her_id: str | None, start: datetime, end: datetime
    ) -> Sequence[Slot]:
        """Slots open for electronic booking that start within [start, end), earliest first."""
        ...

    def reserve(
        self,
        slot_uid: str,
        citizen: Citizen,
        *,
        request_id: str,
        practitioner_her_id: str | None = None,
    ) -> Appointment:
        """Book the slot for the citizen; `JournalRefusal(SLOT_UNAVAILABLE)` if it is gone."""
        ...

    def change(
        self, appointment_uid: str, new_slot_uid: str, citizen: Citizen, *, request_id: str
    ) -> Appointment:
        """Move the citizen's appointment to another free slot; returns the new appointment."""
        ...

    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        """Cancel the citizen's appointment; `JournalRefusal(NOT_FOUND)` if there is no such one."""
        ...

    def appointments(self, citizen: Citizen) -> Sequence[Appointment]:
        """The citizen's booked appointments, earliest first."""
        ...


@runtime_checkable
class PrescriptionRenewals(Protocol):
    """The journal's prescription-renewal work list."""

    def receive(self, request: RenewalRequest) -> RenewalRequest:
        """Hand over a renewal request; returns it with the assignee the office chose.

        Idempotent by `request.msg_id`.
        """
        ...

    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        """Decided renewals not yet acknowledged (renewed / not / partly, with the M1 documents)."""
        ...

    def acknowledge(self, decision_id: str) -> None:
        """Mark a decision as sent to the citizen. Idempotent."""
        ...


class Adapter:
    """One journal system behind the four ports, with the same face for every vendor.

    Built by a vendor package's factory (found through the `digidialog.adapters` entry-point group);
    use it as a context manager or call `close()` to release connections.
    """

    def __init__(
        self,
        *,
        name: str,
        vendor: str,
        version: str,
        capabilities: Capabilities,
        practice: Practice,
        inbox: Inbox,
        calendar: Calendar,
        renewals: PrescriptionRenewals,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.vendor = vendor
        self.version = version
        self.capabilities = capabilities
        self.practice = practice
        self.inbox = inbox
        self.calendar = calendar
        self.renewals = renewals
        self._on_close = on_close

    def close(self) -> None:
        """Release what the adapter holds (HTTP sessions, …); calling it twice is harmless."""
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> Adapter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Adapter {self.name} ({self.vendor}) {self.version}>"
