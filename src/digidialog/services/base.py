"""The shape every service shares: build requests, build replies, handle what comes in.

A `ServiceContext` holds what the four services share at one office: who the office is, how to
address helsenorge.no, the office settings, the conversation store, the citizens' digital status,
receipts, the SMS notifier, a clock and an id factory. Each service (`EConsultation`,
`ContactOffice`, `PrescriptionRenewal`, `Booking`) is built on one context and offers:

- citizen-side builders (what helsenorge.no sends; used by demos and tests to play that role) —
  they never touch the office's store;
- office-side builders (replies and office-started messages) — they check the reply against the
  catalogue and the thread, record the turn, and register the message for its AppRec;
- `handle(msg)` — thread an incoming message, open a conversation for a request, apply the office
  settings (a switched-off service is refused with 26, never dropped) and return an `Incoming`
  with the journal's `InboxItem` and, where the services can answer at once, the `response`.

Every builder returns an `Outgoing`: the `MsgHead` plus what the journal should show with it
(warnings, tariff suggestions) and the SMS its sender owes the citizen once it is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import ClassVar

from digidialog.codes.processes import (
    GENERAL_REFUSALS,
    Party,
    RequestKind,
    Requirement,
    find_request,
)
from digidialog.codes.processes import ReplyKind as CatalogueReply
from digidialog.errors import ServiceError
from digidialog.model import MsgHead
from digidialog.services.billing import Tariff
from digidialog.services.conversation import (
    Conversation,
    ConversationStore,
    InMemoryConversationStore,
    Turn,
    deadline_for,
    overdue_conversations,
    turn_of,
)
from digidialog.services.messages import (
    HELSENORGE_TEST,
    Body,
    Envelope,
    Portal,
    coded,
    compose,
    known_request,
    office_organisation,
    portal_organisation,
    read,
)
from digidialog.services.notify import LogNotifier, Notifier, SmsNotice
from digidialog.services.receipts import CitizenStatus, Receipts
from digidialog.services.rules import RuleWarning
from digidialog.services.types import (
    Citizen,
    InboxItem,
    Office,
    OfficeSettings,
    Practitioner,
    RenewalRequest,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)

__all__ = ["DialogService", "Incoming", "Outgoing", "ServiceContext"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _uuid() -> str:
    return str(uuid.uuid4())


@dataclass
class ServiceContext:
    """What the services of one GP office share. Defaults suit tests and demos."""

    office: Office
    portal: Portal = HELSENORGE_TEST
    settings: OfficeSettings = field(default_factory=OfficeSettings)
    store: ConversationStore = field(default_factory=InMemoryConversationStore)
    citizens: CitizenStatus = field(default_factory=CitizenStatus)
    notifier: Notifier = field(default_factory=LogNotifier)
    clock: Callable[[], datetime] = _utcnow
    new_id: Callable[[], str] = _uuid
    prodid: str = "digidialog"
    receipts: Receipts = field(init=False)

    def __post_init__(self) -> None:
        self.receipts = Receipts(self.office, self.citizens, clock=self.clock, new_id=self.new_id)

    def addressee(self, her_id: str | None) -> Practitioner | None:
        """The GP a message is addressed to; None for the office's front desk (`her_id` None or
        the front desk's HER-id). `ServiceError` SV017 for a HER-id that is neither."""
        if her_id is None or her_id == self.office.front_desk_her_id:
            return None
        found = self.office.practitioner(her_id)
        if found is None:
            raise ServiceError(
                f"no GP with HER-id {her_id} at {self.office.name} ({self.office.her_id})",
                rule="SV017",
                hint="address a GP of the office; add them to Office.practitioners",
            )
        return found

    def compose(
        self,
        *,
        from_office: bool,
        gp_her_id: str | None,
        msg_type: str,
        citizen: Citizen | None,
        kind: RequestKind | CatalogueReply,
        is_reply: bool,
        ack: str,
        body: Body,
        now: datetime | None = None,
        thread: tuple[str, str] | None = None,
    ) -> MsgHead:
        """One message with a new id between the portal and this office's GP `gp_her_id` (None:
        the front desk), in the direction `from_office` says; `now` defaults to the clock.
        A slot without its own GP gets `gp_her_id` (else the office) as xCal contact."""
        msg_id = self.new_id()
        when = self.clock() if now is None else now
        portal = portal_organisation(self.portal)
        office = office_organisation(self.office, self.addressee(gp_her_id))
        return compose(
            msg_type=msg_type,
            msg_id=msg_id,
            now=when,
            sender=office if from_office else portal,
            receiver=portal if from_office else office,
            citizen=citizen,
            kind=coded(kind),
            is_reply=is_reply,
            ack=ack,
            body=body,
            thread=thread,
            prodid=self.prodid,
            contact_her_id=gp_her_id or self.office.her_id,
        )

    def new_request(
        self,
        msg_type: str,
        code: str,
        citizen: Citizen,
        gp_her_id: str | None,
        body: Body,
        *,
        sender: Party,
        now: datetime | None = None,
    ) -> MsgHead:
        """The first message of a thread, checked against the catalogue: SV001 when `code` is not
        a request of `msg_type`, SV003 when `sender` does not send it."""
        request = known_request(msg_type, code)
        if sender not in request.senders:
            raise ServiceError(
                f"{code} ({request.display_name}) is not sent by {sender.value}",
                rule="SV003",
                hint="only " + ", ".join(sorted(p.value for p in request.senders)) + " send it",
            )
        return self.compose(
            from_office=sender is Party.HELSEPERSONELL,
            gp_her_id=gp_her_id,
            msg_type=msg_type,
            citizen=citizen,
            kind=request,
            is_reply=False,
            ack=request.ack,
            body=body,
            now=now,
        )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message built by a service, with what the journal should show alongside it."""

    message: MsgHead
    conversation_id: str
    warnings: tuple[RuleWarning, ...] = ()
    tariffs: tuple[Tariff, ...] = ()
    sms: SmsNotice | None = None
    """The SMS to send (through `ServiceContext.notifier`) once the transport accepted the
    message: set when it gives the citizen a time and they want SMS. Building sends nothing."""

    @property
    def msg_id(self) -> str:
        return self.message.msg_id


@dataclass(frozen=True, slots=True)
class Incoming:
    """A handled incoming message: its thread, the journal's inbox item, and what the services
    already answered (`response`, e.g. a refusal for a switched-off service or "no free slots")."""

    message: MsgHead
    envelope: Envelope
    conversation: Conversation
    item: InboxItem
    response: Outgoing | None = None
    renewal: RenewalRequest | None = None
    period: tuple[date, date] | None = None
    """HLT: the period the citizen asks free slots for."""
    slot: Slot | None = None
    """RT: the slot to reserve; ART: the appointment to cancel."""
    wish: TimeWish | None = None
    accepts_other_practitioner: bool | None = None

    @property
    def kind(self) -> str:
        """The request (7601) or reply (7602) code."""
        return self.envelope.code

    @property
    def is_reply(self) -> bool:
        return self.envelope.is_reply


def _refusal_kind(code: str) -> CatalogueReply:
    return CatalogueReply(
        code, GENERAL_REFUSALS[code], frozenset({Party.HELSEPERSONELL}), refusal=True
    )


#: The general refusals any request may get (7602).
_REFUSALS = (ReplyKind.REJECTED, ReplyKind.NO_ACCESS, ReplyKind.GENERAL_ERROR)

#: What a refusal says when the caller gives no text and the process requires one.
_REFUSAL_TEXT = {
    ReplyKind.REJECTED: "Forespørselen er avvist.",
    ReplyKind.NO_ACCESS: "Du har ikke tilgang til denne tjenesten.",
    ReplyKind.GENERAL_ERROR: "Legekontoret kunne ikke behandle forespørselen. Prøv igjen senere.",
}


def one_of(value: object, allowed: tuple[ReplyKind, ...], *, rule: str, what: str) -> ReplyKind:
    """`value` (a `ReplyKind` or its 7602 code) as one of `allowed`, else `ServiceError` `rule`:
    a caller passing "12" or 12 where a refusal belongs gets the rule, not an AttributeError."""
    for kind in allowed:
        if value == kind.value:
            return kind
    raise ServiceError(
        f"{value!r} is not {what}",
        rule=rule,
        hint="use " + ", ".join(k.value for k in allowed),
    )


class DialogService:
    """Base of the four services: the shared building and handling steps."""

    service: ClassVar[ServiceName]
    processes: ClassVar[frozenset[str]]
    switched_off_text: ClassVar[str] = "Legen din tilbyr ikke denne tjenesten på helsenorge.no."

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    # -- shared building ---------------------------------------------------------------------

    def _citizen_request(
        self,
        msg_type: str,
        code: str,
        citizen: Citizen,
        gp_her_id: str | None,
        body: Body,
    ) -> Outgoing:
        """A request from helsenorge.no to the office (citizen side); the store is untouched."""
        msg = self.context.new_request(
            msg_type, code, citizen, gp_her_id, body, sender=Party.INNBYGGER
        )
        return Outgoing(msg, msg.msg_id)

    def _citizen_reply(self, conversation_id: str, code: str, body: Body) -> Outgoing:
        """A reply from helsenorge.no in an existing thread (e.g. 22); the store is untouched."""
        conversation = self._conversation(conversation_id)
        reply = conversation.check_reply(code, Party.INNBYGGER)
        msg, _ = self._reply_in(conversation, reply, body, Party.INNBYGGER)
        return Outgoing(msg, conversation.id)

    def _office_request(
        self,
        msg_type: str,
        code: str,
        citizen: Citizen,
        gp_her_id: str | None,
        body: Body,
    ) -> tuple[MsgHead, Conversation]:
        """A message the office starts (DI, EKI, an appointment push): a new saved conversation."""
        ctx = self.context
        ctx.citizens.require_active(citizen)
        now = ctx.clock()
        msg = ctx.new_request(
            msg_type, code, citizen, gp_her_id, body, sender=Party.HELSEPERSONELL, now=now
        )
        conversation = Conversation.start(
            opening=Turn(msg.msg_id, None, code, False, Party.HELSEPERSONELL, now),
            msg_type=msg_type,
            service=self.service,
            citizen=citizen,
            practitioner_her_id=gp_her_id,
        )
        ctx.store.save(conversation)
        ctx.receipts.expect(msg)
        return msg, conversation

    def _office_reply(
        self,
        conversation_id: str,
        kind: ReplyKind | str,
        body: Body,
        *,
        parent_id: str | None = None,
    ) -> tuple[MsgHead, Conversation]:
        """A reply from the office in a thread: checked, recorded, registered for its AppRec."""
        conversation = self._conversation(conversation_id)
        code = kind.value if isinstance(kind, ReplyKind) else kind
        reply = conversation.check_reply(code, Party.HELSEPERSONELL)
        return self._write_reply(conversation, reply, body, parent_id=parent_id)

    def _write_reply(
        self,
        conversation: Conversation,
        reply: CatalogueReply,
        body: Body,
        *,
        parent_id: str | None = None,
    ) -> tuple[MsgHead, Conversation]:
        """Write an already checked office reply, record it and expect its AppRec (SV009 when
        the citizen is not digitally active: nothing is written)."""
        ctx = self.context
        ctx.citizens.require_active(conversation.citizen)
        msg, turn = self._reply_in(conversation, reply, body, Party.HELSEPERSONELL, parent_id)
        updated = conversation.with_turn(turn)
        ctx.store.save(updated)
        ctx.receipts.expect(msg)
        return msg, updated

    def _reply_in(
        self,
        conversation: Conversation,
        reply: CatalogueReply,
        body: Body,
        sender: Party,
        parent_id: str | None = None,
    ) -> tuple[MsgHead, Turn]:
        """The message `sender` writes in `conversation`, and the turn it makes there."""
        now = self.context.clock()
        parent = conversation.parent_for(sender, parent_id)
        msg = self.context.compose(
            from_office=sender is Party.HELSEPERSONELL,
            gp_her_id=conversation.practitioner_her_id,
            msg_type=conversation.msg_type,
            citizen=conversation.citizen,
            kind=reply,
            is_reply=True,
            ack=conversation.request.ack,
            body=body,
            now=now,
            thread=(parent, conversation.id),
        )
        return msg, Turn(msg.msg_id, parent, reply.code, True, sender, now)

    def _conversation(self, conversation_id: str) -> Conversation:
        found = self.context.store.get(conversation_id)
        if found is None:
            raise ServiceError(
                f"no conversation {conversation_id}",
                rule="SV005",
                hint="replies go to a conversation the office received or started",
            )
        if found.msg_type not in self.processes:
            raise ServiceError(
                f"conversation {conversation_id} belongs to {found.msg_type},"
                f" not to {type(self).__name__}",
                rule="SV013",
            )
        return found

    # -- office-side replies every service has -----------------------------------------------

    def refuse(
        self,
        conversation_id: str,
        kind: ReplyKind | str = ReplyKind.REJECTED,
        text: str | None = None,
    ) -> Outgoing:
        """A general refusal: 26 rejected, 30 no access, 31 general error (where the request
        allows it). Used for business refusals after an OK AppRec (HITS 1217 §2.13). Without
        `text`, a process whose reply text is mandatory (SB, HE, RF …) gets a plain one."""
        refusal = one_of(kind, _REFUSALS, rule="SV002", what="a general refusal")
        if text is None and self._conversation(conversation_id).request.reply_text is (
            Requirement.REQUIRED
        ):
            text = _REFUSAL_TEXT[refusal]  # the reply's TekstNotatInnhold is mandatory here
        msg, _ = self._office_reply(conversation_id, refusal, Body(text=text))
        return Outgoing(msg, conversation_id)

    def refuse_message(self, msg: MsgHead, error: ServiceError) -> Outgoing | None:
        """26 answering `msg` in no stored conversation, when `msg` cannot be threaded: a request
        whose code is not in its process (SV001), a citizen's reply to a conversation that is
        refused or unknown here (SV004, SV005 …) — both after their OK AppRec, as HITS 1217 §2.13
        asks — or a synchronous request that was rejected (SV024: it gets no AppRec, so this is
        how the sender learns). From the GP addressed, else the front desk (the GP may not work
        here: E20). None when the message names no readable patient, the citizen is not
        digitally active (SV009), nobody at the office can answer, or the catalogue lets the
        office refuse nothing there (a one-way request; a reply in a thread the office opened)."""
        ctx = self.context
        try:
            envelope = read(msg, ctx.office)
            if envelope.citizen is None:
                return None
            ctx.citizens.require_active(envelope.citizen)
        except ServiceError:
            return None
        request = None if envelope.is_reply else find_request(envelope.msg_type, envelope.code)
        if request is not None and not request.replies:
            return None  # one-way (VUS, EKI …): the catalogue lets nothing answer it
        if envelope.is_reply:
            thread = ctx.store.by_message(envelope.parent_id or "")
            if thread is not None and thread.opening.sender is Party.HELSEPERSONELL:
                return None  # the office opened it (DI): only its receiver may refuse it
        kind = (request.reply("26") if request else None) or _refusal_kind("26")
        conversation_id = envelope.conversation_id or envelope.parent_id or envelope.msg_id
        for gp_her_id in dict.fromkeys((envelope.receiver_gp_her_id, None)):
            try:
                refusal = ctx.compose(
                    from_office=True,
                    gp_her_id=gp_her_id,
                    msg_type=envelope.msg_type,
                    citizen=envelope.citizen,
                    kind=kind,
                    is_reply=True,
                    ack=request.ack if request else "J",
                    body=Body(text=f"Forespørselen kunne ikke behandles ({error.rule})."),
                    thread=(envelope.msg_id, conversation_id),
                )
            except ServiceError:  # SV017: not a GP here, or no front desk to answer from
                continue
            ctx.receipts.expect(refusal)
            return Outgoing(refusal, conversation_id)
        return None

    def overdue(self, now: datetime) -> list[Conversation]:
        """This service's open conversations whose answer deadline has passed at `now`."""
        return [
            c
            for c in overdue_conversations(self.context.store, now)
            if c.msg_type in self.processes
        ]

    # -- handling ----------------------------------------------------------------------------

    def handle(self, msg: MsgHead) -> Incoming:
        """Thread an incoming message and tell the journal what it is (see the module docs).

        Raises `ServiceError` for a message that does not fit (SV001 unknown request, SV002 reply
        code not allowed, SV004 closed, SV005 unknown conversation, SV013 wrong service …). A
        request is stored before its content is checked, so `refuse()` can answer it.
        """
        ctx = self.context
        envelope = read(msg, ctx.office)
        if envelope.msg_type not in self.processes:
            raise ServiceError(
                f"{envelope.msg_type} is not handled by {type(self).__name__}",
                rule="SV013",
                hint="route by MsgInfo/Type; see digidialog.services.GpOffice",
            )
        if envelope.is_reply or envelope.parent_id is not None:
            return self._handle_reply(msg, envelope)
        request = known_request(envelope.msg_type, envelope.code)
        if envelope.sender_party(ctx.office.her_id) not in request.senders:
            raise ServiceError(
                f"{request.code} ({request.display_name}) is not sent by this party",
                rule="SV003",
            )
        citizen = envelope.citizen
        if citizen is None:
            raise ServiceError(
                f"message {envelope.msg_id} names no patient with name and national id",
                rule="SV016",
                hint="HITS 1217 §2.3: the patient's names and FNR/DNR are mandatory",
            )
        if ctx.store.get(envelope.msg_id) is not None:
            raise ServiceError(
                f"request {envelope.msg_id} was received before",
                rule="SV008",
                hint="a duplicate: drop it (the first copy was handled)",
            )
        conversation = Conversation.start(
            opening=turn_of(envelope, ctx.office.her_id),
            msg_type=envelope.msg_type,
            service=self.service,
            citizen=citizen,
            practitioner_her_id=envelope.receiver_gp_her_id,
            acting_for=envelope.acting_person,
            due=deadline_for(self.service, envelope.code, envelope.sent),
        )
        ctx.store.save(conversation)
        item = self._item(envelope, conversation)
        if not ctx.settings.offers(conversation.practitioner_her_id, self.service):
            response = self._refuse_switched_off(conversation, request)
            return Incoming(msg, envelope, conversation, item, response=response)
        return self._on_request(msg, envelope, conversation, item, request)

    def resume(self, msg: MsgHead) -> Incoming:
        """What `handle` gave for `msg`, which it threaded before: a message the journal had not
        taken when the office stopped, whose thread `rebuild_conversations` rebuilt with it. The
        conversation that holds it is read, not threaded again (it may have moved on since: the
        GP may have closed it). `ServiceError` SV005 when no conversation holds it."""
        ctx = self.context
        envelope = read(msg, ctx.office)
        conversation = ctx.store.by_message(envelope.msg_id)
        if conversation is None:
            raise ServiceError(
                f"message {envelope.msg_id} is in no conversation here",
                rule="SV005",
                hint="its thread was not rebuilt (see OfficePipeline.restored.left_out)",
            )
        item = self._item(envelope, conversation)
        if envelope.is_reply or envelope.parent_id is not None:
            return Incoming(msg, envelope, conversation, item)
        request = known_request(envelope.msg_type, envelope.code)
        return self._on_request(msg, envelope, conversation, item, request)

    def _handle_reply(self, msg: MsgHead, envelope: Envelope) -> Incoming:
        ctx = self.context
        store = ctx.store
        conversation = None
        if envelope.conversation_id is not None:
            conversation = store.get(envelope.conversation_id)
        if conversation is None and envelope.parent_id is not None:
            conversation = store.by_message(envelope.parent_id)
        if conversation is None:
            raise ServiceError(
                f"message {envelope.msg_id} answers {envelope.parent_id} in conversation"
                f" {envelope.conversation_id}, which is unknown here",
                rule="SV005",
                hint="a reply must answer a message of a known conversation",
            )
        updated = conversation.with_turn(turn_of(envelope, ctx.office.her_id))
        store.save(updated)
        return Incoming(msg, envelope, updated, self._item(envelope, updated))

    def _item(self, envelope: Envelope, conversation: Conversation) -> InboxItem:
        return InboxItem(
            service=self.service,
            process=envelope.msg_type,
            kind=envelope.code,
            conversation_id=conversation.id,
            msg_id=envelope.msg_id,
            citizen=conversation.citizen,
            practitioner_her_id=conversation.practitioner_her_id,
            subject=envelope.subject,
            text=envelope.text,
            received=self.context.clock(),
            parent_msg_id=envelope.parent_id,
            attachments=envelope.attachments,
            due=conversation.due,
            acting_for=envelope.acting_person,
        )

    def _refuse_switched_off(self, conversation: Conversation, request: RequestKind) -> Outgoing:
        """The answer to a request for a service the GP switched off: 26 with an explanation."""
        reply = request.reply("26") or _refusal_kind("26")
        msg, _ = self._write_reply(conversation, reply, Body(text=self.switched_off_text))
        return Outgoing(msg, conversation.id)

    def _on_request(
        self,
        msg: MsgHead,
        envelope: Envelope,
        conversation: Conversation,
        item: InboxItem,
        request: RequestKind,
    ) -> Incoming:
        """Service-specific handling of an accepted request; the default passes it on."""
        return Incoming(msg, envelope, conversation, item)
