"""Conversations: messages threaded by ConversationRef, and what may still be said in them.

HITS 1217 §2.3: the first message of a thread has no ConversationRef; every later one carries
RefToParent (the message it answers) and RefToConversation (the first message). A `Conversation` is
that thread: its opening request (from the HITS 1217 catalogue in `digidialog.codes.processes`),
its turns, the citizen, the GP, and, for an e-consultation, the answer deadline.

It refuses what the catalogue and the thread do not allow (every refusal is a `ServiceError` with a
rule ID, see `docs/services.md`):

- SV002 a reply code that does not answer the opening request;
- SV003 a reply the other party would send (the office cannot send "svar fra innbygger");
- SV004 a reply to a closed conversation;
- SV006 a RefToParent that is not a message of this conversation;
- SV008 the same message twice;
- SV011 a reply to a one-way message (EKI, appointment push, status notice).

A conversation closes with "dialog avsluttet" (13), with a general refusal (26/30/31), or — in the
one-question/one-answer services (booking, renewal) — with its answer. E-consultation and
contact-the-office threads stay open through answers (12, 19, 22) so both sides can write again.

Conversations are immutable; `with_turn()` returns the next state and a `ConversationStore` keeps
the latest. `Conversation.from_messages()` rebuilds one from stored messages.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from digidialog.codes.processes import Party, RequestKind
from digidialog.codes.processes import ReplyKind as CatalogueReply
from digidialog.errors import ServiceError
from digidialog.services.deadlines import Deadline, due_date
from digidialog.services.messages import Envelope, known_request, read, service_for
from digidialog.services.types import Citizen, Office, ServiceName

if TYPE_CHECKING:
    from digidialog.model import MsgHead

__all__ = [
    "CLOSING_CODES",
    "DIALOG_CLOSED",
    "Conversation",
    "ConversationStore",
    "InMemoryConversationStore",
    "Turn",
    "deadline_for",
    "overdue_conversations",
    "rebuild_conversations",
    "turn_of",
]

#: Reply codes that close any thread for good: the general refusals.
CLOSING_CODES = frozenset({"26", "30", "31"})

#: «Dialog avsluttet»: the GP considers the dialog done; helsenorge.no shows it, "men
#: innbygger kan fortsette dialogen" (HITS 1217 §3.2, DI). Closed to the office until the citizen
#: writes again.
DIALOG_CLOSED = "13"

#: Services whose threads stay open through answers (many messages per thread, HITS 1217 §3.2/§3.3).
_OPEN_ENDED = frozenset({ServiceName.E_CONSULTATION, ServiceName.CONTACT_OFFICE})


@dataclass(frozen=True, slots=True)
class Turn:
    """One message in a thread: its id, what it answers, its code and who sent it."""

    msg_id: str
    parent_id: str | None
    code: str
    """TypeForesp (7601) for a request, TemaKodet (7602) for a reply."""
    is_reply: bool
    sender: Party
    at: datetime


def turn_of(envelope: Envelope, office_her_id: str) -> Turn:
    """The `Turn` a read message makes, seen from the office with HER-id `office_her_id`."""
    return Turn(
        msg_id=envelope.msg_id,
        parent_id=envelope.parent_id,
        code=envelope.code,
        is_reply=envelope.is_reply,
        sender=envelope.sender_party(office_her_id),
        at=envelope.sent,
    )


def deadline_for(service: ServiceName, code: str, received: datetime) -> date | None:
    """The answer deadline a request opens: five working days for a question to the GP (SB)."""
    if service is ServiceName.E_CONSULTATION and code == "SB":
        return due_date(received)
    return None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread of messages about one request, as the office sees it."""

    id: str
    """RefToConversation: the MsgId of the first message."""
    msg_type: str
    """MsgInfo/Type of the process (e.g. ``DIALOG_INNBYGGER_EKONSULTASJON``)."""
    service: ServiceName
    citizen: Citizen
    practitioner_her_id: str | None
    turns: tuple[Turn, ...]
    acting_for: Citizen | None = None
    due: date | None = None
    """The answer deadline (e-consultation), None where the service sets none."""

    @classmethod
    def start(
        cls,
        *,
        opening: Turn,
        msg_type: str,
        service: ServiceName,
        citizen: Citizen,
        practitioner_her_id: str | None,
        acting_for: Citizen | None = None,
        due: date | None = None,
    ) -> Conversation:
        """A new thread opened by request `opening` (checked against the catalogue)."""
        if opening.is_reply or opening.parent_id is not None:
            raise ServiceError(
                f"message {opening.msg_id} answers another message and cannot open a conversation",
                rule="SV005",
                hint="a reply needs the conversation it belongs to; is it stored?",
            )
        known_request(msg_type, opening.code)  # SV001 for a code its process lacks
        return cls(
            id=opening.msg_id,
            msg_type=msg_type,
            service=service,
            citizen=citizen,
            practitioner_her_id=practitioner_her_id,
            turns=(opening,),
            acting_for=acting_for,
            due=due,
        )

    @classmethod
    def from_messages(cls, messages: Iterable[MsgHead], *, office: Office) -> Conversation:
        """Rebuild a thread from its stored messages (any order; the opening one must be there).

        `office` tells which side sent each message. Every reply is checked as if it were new, so
        a stored thread that breaks the rules is refused the same way; the e-consultation deadline
        is recomputed from the opening message's GenDate.
        """
        envelopes = sorted((read(m, office) for m in messages), key=lambda e: e.sent)
        openings = [e for e in envelopes if not e.is_reply and e.parent_id is None]
        if len(openings) != 1:
            raise ServiceError(
                f"{len(openings)} opening messages among {len(envelopes)}; a thread has one",
                rule="SV005",
                hint="pass the messages of one conversation, its first message included",
            )
        first = openings[0]
        citizen = first.citizen
        if citizen is None:
            raise ServiceError(f"message {first.msg_id} names no patient", rule="SV016")
        service = service_for(first.msg_type)
        opening = turn_of(first, office.her_id)
        conversation = cls.start(
            opening=opening,
            msg_type=first.msg_type,
            service=service,
            citizen=citizen,
            practitioner_her_id=first.receiver_gp_her_id or first.sender_gp_her_id,
            acting_for=first.acting_person,
            due=deadline_for(service, first.code, first.sent),
        )
        for envelope in envelopes:
            if envelope is first:
                continue
            if envelope.conversation_id != conversation.id:
                raise ServiceError(
                    f"message {envelope.msg_id} belongs to conversation {envelope.conversation_id},"
                    f" not {conversation.id}",
                    rule="SV006",
                )
            conversation = conversation.with_turn(turn_of(envelope, office.her_id))
        return conversation

    # -- what the thread is ------------------------------------------------------------------

    @property
    def opening(self) -> Turn:
        return self.turns[0]

    @property
    def request(self) -> RequestKind:
        """The catalogue entry of the opening request (SV001 for a hand-built thread whose opening
        code its process lacks; `start()` refuses those)."""
        return known_request(self.msg_type, self.opening.code)

    @property
    def last(self) -> Turn:
        return self.turns[-1]

    @property
    def closed(self) -> bool:
        """True when the office may write nothing more in this thread (see `closed_to`)."""
        return self.closed_to(Party.HELSEPERSONELL)

    def closed_to(self, sender: Party) -> bool:
        """True when `sender` may write nothing more here: after a refusal, a one-off reply, or
        — for the office — a 13 the citizen has not answered (the citizen may continue, §3.2)."""
        if not self.request.replies:
            return True
        for turn in self.turns[1:]:
            if turn.code in CLOSING_CODES:
                return True
            if self.service not in _OPEN_ENDED:
                return True
        return self.last.code == DIALOG_CLOSED and sender is not Party.INNBYGGER

    @property
    def answered(self) -> bool:
        """True once the side that received the opening request has replied."""
        return any(t.is_reply and t.sender is not self.opening.sender for t in self.turns)

    def turn(self, msg_id: str) -> Turn | None:
        return next((t for t in self.turns if t.msg_id == msg_id), None)

    def _require_turn(self, parent_id: str | None) -> None:
        """SV006 unless `parent_id` (a RefToParent) names a message of this thread."""
        if parent_id is None or self.turn(parent_id) is None:
            raise ServiceError(
                f"message {parent_id} is not part of conversation {self.id}",
                rule="SV006",
                hint="RefToParent must name a message of the same conversation",
            )

    # -- what may be said next ---------------------------------------------------------------

    def check_reply(self, code: str, sender: Party) -> CatalogueReply:
        """The catalogue's reply kind for `code` sent by `sender`, or a `ServiceError`."""
        request = self.request
        if not request.replies:
            raise ServiceError(
                f"{request.code} ({request.display_name}) in conversation {self.id} takes no reply",
                rule="SV011",
                hint="start a new conversation instead",
            )
        reply = request.reply(code)
        if reply is None:
            allowed = ", ".join(sorted(request.reply_codes))
            raise ServiceError(
                f"reply code {code!r} does not answer {request.code} ({request.display_name})"
                f" in {self.msg_type}",
                rule="SV002",
                hint=f"allowed replies: {allowed}",
            )
        if sender not in reply.senders:
            raise ServiceError(
                f"reply {code} ({reply.display_name}) is not sent by {sender.value}",
                rule="SV003",
                hint="only " + ", ".join(sorted(p.value for p in reply.senders)) + " send it",
            )
        if self.closed_to(sender):
            raise ServiceError(
                f"conversation {self.id} is closed (last: {self.last.code})",
                rule="SV004",
                hint="start a new conversation to write to the citizen again",
            )
        return reply

    def parent_for(self, sender: Party, parent_id: str | None = None) -> str:
        """RefToParent for a new message from `sender`: `parent_id` if given (it must be in this
        thread), else the latest message from the other side."""
        if parent_id is not None:
            self._require_turn(parent_id)
            return parent_id
        for turn in reversed(self.turns):
            if turn.sender is not sender:
                return turn.msg_id
        return self.last.msg_id

    def with_turn(self, turn: Turn) -> Conversation:
        """The conversation after `turn` (a reply: checked with `check_reply`)."""
        if not turn.is_reply:
            raise ServiceError(
                f"message {turn.msg_id} is a new request ({turn.code}), not part of {self.id}",
                rule="SV010",
                hint="a request opens its own conversation",
            )
        self.check_reply(turn.code, turn.sender)
        self._require_turn(turn.parent_id)
        if self.turn(turn.msg_id) is not None:
            raise ServiceError(
                f"message {turn.msg_id} is already in conversation {self.id}",
                rule="SV008",
                hint="a duplicate: drop it (the first copy was handled)",
            )
        return dataclasses.replace(self, turns=(*self.turns, turn))

    def deadline(self) -> Deadline | None:
        """The open deadline, or None when none is set or the request was answered or closed."""
        if self.due is None or self.answered or self.closed:
            return None
        return Deadline(self.id, self.due)


@runtime_checkable
class ConversationStore(Protocol):
    """Where conversations live between messages. Implementations must be safe to share."""

    def get(self, conversation_id: str) -> Conversation | None: ...

    def by_message(self, msg_id: str) -> Conversation | None:
        """The conversation that holds message `msg_id`, or None."""
        ...

    def save(self, conversation: Conversation) -> None:
        """Store the latest state of `conversation` (replacing the earlier one)."""
        ...

    def __iter__(self) -> Iterator[Conversation]: ...


class InMemoryConversationStore:
    """A `ConversationStore` in a dict, for tests, demos and single-process use."""

    def __init__(self, conversations: Iterable[Conversation] = ()) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Conversation] = {}
        self._by_msg: dict[str, str] = {}
        for conversation in conversations:
            self.save(conversation)

    def get(self, conversation_id: str) -> Conversation | None:
        with self._lock:
            return self._by_id.get(conversation_id)

    def by_message(self, msg_id: str) -> Conversation | None:
        with self._lock:
            conversation_id = self._by_msg.get(msg_id)
            return None if conversation_id is None else self._by_id.get(conversation_id)

    def save(self, conversation: Conversation) -> None:
        with self._lock:
            self._by_id[conversation.id] = conversation
            for turn in conversation.turns:
                self._by_msg[turn.msg_id] = conversation.id

    def __iter__(self) -> Iterator[Conversation]:
        with self._lock:
            return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)


def rebuild_conversations(
    store: ConversationStore, messages: Iterable[MsgHead], *, office: Office
) -> list[tuple[str, ServiceError]]:
    """Rebuild every thread among stored `messages` (received and sent, any order) into `store`,
    e.g. when an office starts again.

    Messages are grouped by RefToConversation (a first message by its own MsgId; one whose
    RefToConversation names no first message by its RefToParent, as live threading does); each
    thread opens with its first message (`Conversation.from_messages`) and takes the others in the
    order they were sent, each checked as if it were new. A message that did not fit then does not
    fit now (a reply the office refused, say) and is left out, so it cannot take a good thread
    down with it; a group without its opening message is left out whole. Returns what was left
    out: (MsgId or conversation id, why).
    """
    by_id = {m.msg_id: m for m in messages}

    def first_of(message: MsgHead) -> str:
        seen: set[str] = set()
        while message.ref_to_conversation is not None and message.msg_id not in seen:
            seen.add(message.msg_id)
            named = by_id.get(message.ref_to_conversation)
            if named is not None and named.ref_to_conversation is None:
                return named.msg_id
            parent = by_id.get(message.ref_to_parent or "")
            if parent is None:
                return message.ref_to_conversation
            message = parent
        return message.msg_id

    groups: dict[str, list[MsgHead]] = {}
    for message in by_id.values():
        groups.setdefault(first_of(message), []).append(message)
    left_out: list[tuple[str, ServiceError]] = []
    for conversation_id, group in groups.items():
        opening = [m for m in group if m.msg_id == conversation_id]
        try:
            conversation = Conversation.from_messages(opening, office=office)
        except ServiceError as exc:
            left_out.append((conversation_id, exc))
            continue
        later = sorted((read(m, office) for m in group if m.msg_id != conversation_id),
                       key=lambda e: e.sent)  # fmt: skip
        for envelope in later:
            try:
                conversation = conversation.with_turn(turn_of(envelope, office.her_id))
            except ServiceError as exc:
                left_out.append((envelope.msg_id, exc))
        store.save(conversation)
    return left_out


def overdue_conversations(store: ConversationStore, now: datetime) -> list[Conversation]:
    """Open, unanswered conversations whose deadline has passed at `now`, earliest due first."""
    late = []
    for conversation in store:
        deadline = conversation.deadline()
        if deadline is not None and deadline.overdue_at(now):
            late.append(conversation)
    return sorted(late, key=lambda c: (c.due or date.max, c.id))
