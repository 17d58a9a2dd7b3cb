"""Application receipts (AppRec 1.1) both ways, and the citizen's digital-active status.

Receiving (HITS 1217 §2.13, HIS 80415 §3.3, HITS 1168 §5-6): every asynchronous message received
gets exactly one AppRec — OK (8258 status 1), or rejected (2) with 8221 errors — and synchronous
ones (HLT, the communication test: Ack N) get none. The AppRec mirrors the original's addressing:
its sender is the original receiver (role PRIM), its receiver the original sender; organisation
levels map to Inst/Dept, the GP to HCPerson; OriginalMsgId carries the original's type, GenDate and
MsgId. `Receipts.check()` finds what the services can see in a readable message:

- E10 the MsgId is not a UUID, or the HER-ids of the transport (AMQP fromHerId/toHerId) do not
  match the sender/receiver in the message (HITS 1217 §2.13);
- E20 the GP the message is addressed to does not work at this office;
- E21 the message is not addressed to this office at all;
- E30/E31 the patient's national id is missing or not a valid fødselsnummer/D-number;
- E32/E33/E34 the patient's name, family name or given name is missing.

T01 (not XML) and T02 (not schema-valid) are found by the parser and validator before the services
see anything; `reject_unreadable()` answers them from what the transport knows. Business refusals
of a message that *was* accepted go as 7602 codes 26/30/31 in a Dialogmelding, never here.

Sending: `expect()` records every asynchronous message the office sends; `match()` pairs an
incoming AppRec with it — only when it comes from the party the message was sent to (SV025): the
transport-authenticated sender (`from_her_id`: the envelope's sender HER-id, which the channel
has bound to the CMS signer) must be the message's transport receiver (the deepest HER-id of
MsgInfo/Receiver, `sent_to()`), and the AppRec's own Sender must name that same HER-id
(`receipt_sender_her_ids()`). Any other registered party could otherwise receipt our messages for
their receiver. E35 ("pasienten finnes ikke i mottakersystemet") from helsenorge.no means
the citizen is not digitally active: `CitizenStatus` marks them inactive, the services refuse to
build anything more for them (SV009) and nothing is resent, until a Digitalbruker status message
(SDAB, 1101 = 1) says they are active again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from digidialog.codes import AppRecFeil, StatusMottak
from digidialog.codes.identifiers import fodselsnummer
from digidialog.codes.processes import classify
from digidialog.errors import DigidialogError, ServiceError
from digidialog.model import (
    HCP,
    AdditionalId,
    AppRec,
    AppRecParty,
    CodedValue,
    Dept,
    HCPerson,
    Inst,
    MsgHead,
    Organisation,
    OriginalMsgId,
)
from digidialog.services.types import Citizen, Office

__all__ = [
    "CitizenStatus",
    "ReceiptError",
    "ReceiptOutcome",
    "Receipts",
    "TransportInfo",
    "receipt_sender_her_ids",
    "require_receipt_from",
    "sent_to",
]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class CitizenStatus:
    """Who is not digitally active on helsenorge.no (by national id); everyone else is.

    E35 on an AppRec marks a citizen inactive; a Digitalbruker status (SDAB) sets either state.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inactive: set[str] = set()

    def mark_inactive(self, national_id: str) -> None:
        with self._lock:
            self._inactive.add(national_id)

    def mark_active(self, national_id: str) -> None:
        with self._lock:
            self._inactive.discard(national_id)

    def is_active(self, national_id: str) -> bool:
        with self._lock:
            return national_id not in self._inactive

    def require_active(self, citizen: Citizen) -> None:
        """Raise `ServiceError` SV009 when `citizen` was reported not digitally active."""
        if not self.is_active(citizen.national_id):
            raise ServiceError(
                "the citizen is not a digitally active user of helsenorge.no (AppRec E35);"
                " nothing is sent to them",
                rule="SV009",
                hint="reach them another way; sending resumes when a Digitalbruker status"
                " (SDAB) says they are active again",
            )


@dataclass(frozen=True, slots=True)
class TransportInfo:
    """What the transport (AMQP) says about a received message: enough to answer it even when the
    message itself cannot be read (T01)."""

    message_id: str
    msg_type: str
    """AMQP Subject: the MsgInfo/Type (code list 8279)."""
    from_her_id: str
    to_her_id: str
    sent: datetime


@dataclass(frozen=True, slots=True)
class ReceiptError:
    """One 8221 error with optional detail (the ``OT`` attribute, shown to the receiver)."""

    code: AppRecFeil
    detail: str | None = None

    def coded(self) -> CodedValue:
        return CodedValue(
            v=self.code.value, s=self.code.oid, dn=self.code.display_name, ot=self.detail
        )


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """An incoming AppRec matched to the message it receipts."""

    original_msg_id: str
    ok: bool
    errors: tuple[ReceiptError, ...]
    citizen_marked_inactive: bool


def _receipt_error(value: CodedValue) -> ReceiptError:
    """An 8221 error as received; an unknown code is kept as X99 with the code in the detail."""
    try:
        return ReceiptError(AppRecFeil(value.v or ""), value.ot)
    except ValueError:
        detail = f"{value.v} {value.dn or ''} {value.ot or ''}".strip()
        return ReceiptError(AppRecFeil.X99, detail)


def _outcome(receipt: AppRec) -> ReceiptOutcome:
    errors = tuple(_receipt_error(e) for e in receipt.error)
    inactive = any(e.code is AppRecFeil.E35 for e in errors)
    return ReceiptOutcome(receipt.original_msg_id.id, receipt.is_ok, errors, inactive)


def sent_to(msg: MsgHead) -> str | None:
    """The HER-id `msg` goes to on the transport, so the only party that may receipt it: the
    deepest organisation level of MsgInfo/Receiver that has one (as the pipeline addresses it);
    None when the receiver names no HER-id."""
    ids = [h for h in msg.receiver.her_ids if h]
    return ids[-1] if ids else None


def _her_ids(
    id_: str | None, type_id: CodedValue | None, additional: Sequence[AdditionalId]
) -> set[str]:
    found = {a.id.strip() for a in additional if a.type.v == "HER" and a.id.strip()}
    if id_ and id_.strip() and type_id is not None and type_id.v == "HER":
        found.add(id_.strip())
    return found


def receipt_sender_her_ids(receipt: AppRec) -> frozenset[str]:
    """Every HER-id the AppRec's Sender names (AppRec 1.0/1.1): its Inst, the Inst's Dept and
    HCPerson, or its HCProf — by Id with TypeId HER, or by an AdditionalId of type HER."""
    hcp = receipt.sender.hcp
    found: set[str] = set()
    inst = hcp.inst
    if inst is not None:
        found |= _her_ids(inst.id, inst.type_id, inst.additional_id)
        for dept in inst.dept:
            found |= _her_ids(dept.id, dept.type_id, dept.additional_id)
        for person in inst.hc_person:
            found |= _her_ids(person.id, person.type_id, person.additional_id)
    prof = hcp.hc_prof
    if prof is not None:
        found |= _her_ids(prof.id, prof.type_id, prof.additional_id)
    return frozenset(found)


def require_receipt_from(receipt: AppRec, expected: str | None, from_her_id: str | None) -> None:
    """SV025 unless `receipt` comes from `expected`, the HER-id its original was sent to
    (`sent_to()`): the transport sender `from_her_id` must be that HER-id, and the AppRec's own
    Sender must name it. ``from_her_id=None`` (no transport information) checks the AppRec's
    Sender alone: that is what the receipt claims, not who sent it — unchecked against the
    transport."""
    original = receipt.original_msg_id.id
    hint = (
        "only the receiver of a message may receipt it: the AppRec is ignored and changes"
        " nothing (the receiver's own AppRec is still taken); log it for follow-up"
    )
    if expected is None:
        raise ServiceError(
            f"AppRec {receipt.id} is for message {original}, which names no receiver HER-id:"
            " no party may receipt it",
            rule="SV025",
            hint=hint,
        )
    if from_her_id is not None and from_her_id != expected:
        raise ServiceError(
            f"AppRec {receipt.id} for message {original} was sent by HER-id {from_her_id},"
            f" but the message was sent to HER-id {expected}",
            rule="SV025",
            hint=hint,
        )
    named = receipt_sender_her_ids(receipt)
    if expected not in named:
        names = ", ".join(sorted(named)) or "none"
        raise ServiceError(
            f"AppRec {receipt.id} for message {original} names another Sender (HER-ids: {names})"
            f" than HER-id {expected}, which the message was sent to",
            rule="SV025",
            hint=hint,
        )


def _cs(v: str, dn: str) -> CodedValue:
    return CodedValue(v=v, dn=dn)


def _her() -> CodedValue:
    return _cs("HER", "HER-id")  # a fresh one each time: models are mutable


def _synchronous(msg: MsgHead) -> bool:
    """Ack N (HLT, the communication test): answered at once, never receipted."""
    return msg.msg_info.ack is not None and msg.msg_info.ack.v == "N"


def _inst(org: Organisation) -> HCP:
    """Map MsgHead addressing to AppRec HCP: levels → Inst/Dept, the professional → HCPerson."""
    her = org.her_id
    others = [i for i in org.ident if i.type_id.v != "HER"]
    depts = [
        Dept(
            name=level.organisation_name,
            id=level.her_id,
            type_id=_her() if level.her_id else None,
        )
        for level in org.levels[1:]
    ]
    people = []
    professional = org.professional
    if professional is not None:
        name = " ".join(p for p in (professional.given_name, professional.family_name) if p)
        people.append(
            HCPerson(
                name=name or None,
                id=professional.her_id,
                type_id=_her() if professional.her_id else None,
            )
        )
    return HCP(
        inst=Inst(
            name=org.organisation_name,
            id=her,
            type_id=_her() if her else None,
            dept=depts,
            additional_id=[
                AdditionalId(id=i.id, type=_cs(i.type_id.v or "", i.type_id.dn or ""))
                for i in others
            ],
            hc_person=people,
        )
    )


class Receipts:
    """Issues AppRecs for received messages and matches AppRecs for sent ones (one office)."""

    def __init__(
        self,
        office: Office,
        citizens: CitizenStatus,
        *,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        software_name: str = "digidialog",
    ) -> None:
        self._office = office
        self._citizens = citizens
        self._clock = clock
        self._new_id = new_id
        self._software = software_name
        self._lock = threading.Lock()
        self._issued: dict[str, AppRec] = {}
        self._sent: dict[str, MsgHead] = {}
        self._matched: dict[str, ReceiptOutcome] = {}

    # -- receiving ---------------------------------------------------------------------------

    def check(self, msg: MsgHead, transport: TransportInfo | None = None) -> list[ReceiptError]:
        """The 8221 errors a readable message deserves (empty: accept it)."""
        errors: list[ReceiptError] = []
        if not _UUID.match(msg.msg_id):
            errors.append(ReceiptError(AppRecFeil.E10, f"MsgId {msg.msg_id!r} is not a UUID"))
        sender_ids = {h for h in msg.sender.her_ids if h}
        receiver_ids = {h for h in msg.receiver.her_ids if h}
        professional = msg.receiver.professional
        if professional is not None and professional.her_id:
            receiver_ids.add(professional.her_id)
        if transport is not None:
            if transport.from_her_id not in sender_ids:
                errors.append(
                    ReceiptError(
                        AppRecFeil.E10,
                        f"transport sender HER-id {transport.from_her_id} is not the message's"
                        " sender",
                    )
                )
            if transport.to_her_id not in receiver_ids:
                errors.append(
                    ReceiptError(
                        AppRecFeil.E10,
                        f"transport receiver HER-id {transport.to_her_id} is not the message's"
                        " receiver",
                    )
                )
        if self._office.her_id not in receiver_ids:
            errors.append(
                ReceiptError(AppRecFeil.E21, f"the message is not addressed to {self._office.name}")
            )
        gp = msg.receiver.professional
        if (
            self._office.her_id in receiver_ids
            and gp is not None
            and gp.her_id
            and self._office.practitioner(gp.her_id) is None
        ):
            errors.append(
                ReceiptError(AppRecFeil.E20, f"no GP with HER-id {gp.her_id} at this office")
            )
        errors.extend(self._patient_errors(msg))
        return errors

    def _patient_errors(self, msg: MsgHead) -> list[ReceiptError]:
        dialog = msg.dialogmelding
        found = None
        if dialog is not None and dialog.notat:
            found = classify(msg.msg_type or "", tema_kodet=dialog.notat[0].tema_kodet.v)
        elif dialog is not None and dialog.foresporsel:
            found = classify(msg.msg_type or "", type_foresp=dialog.foresporsel[0].type_foresp.v)
        if found is not None:
            patient_expected = (
                found.reply.patient
                if found.reply is not None
                else bool(found.request and found.request.patient)
            )
            if not patient_expected:
                return []
        patient = msg.patient
        if patient is None:
            return [ReceiptError(AppRecFeil.E30, "MsgInfo/Patient is missing")]
        errors = []
        national_id = patient.national_id
        if not national_id:
            errors.append(ReceiptError(AppRecFeil.E30))
        else:
            try:
                fodselsnummer.validate(national_id)
            except DigidialogError:
                errors.append(ReceiptError(AppRecFeil.E31))
        if not patient.family_name and not patient.given_name:
            errors.append(ReceiptError(AppRecFeil.E32))
        elif not patient.family_name:
            errors.append(ReceiptError(AppRecFeil.E33))
        elif not patient.given_name:
            errors.append(ReceiptError(AppRecFeil.E34))
        return errors

    def issue(
        self, msg: MsgHead, errors: list[ReceiptError] | tuple[ReceiptError, ...] = ()
    ) -> AppRec | None:
        """The one AppRec for `msg`: OK without errors, rejected with them; None when `msg` is
        synchronous (Ack N). A second AppRec for the same MsgId is refused (SV020)."""
        if _synchronous(msg):
            return None
        return self._record(
            _inst(msg.receiver),
            _inst(msg.sender),
            errors,
            OriginalMsgId(
                msg_type=_cs(msg.msg_type or "", msg.msg_info.type.dn or ""),
                issue_date=msg.msg_info.gen_date,
                id=msg.msg_id,
            ),
        )

    def receipt_for(self, msg: MsgHead, transport: TransportInfo | None = None) -> AppRec | None:
        """`check()` then `issue()`: the AppRec a readable received message gets."""
        return self.issue(msg, self.check(msg, transport))

    def reject_unreadable(self, transport: TransportInfo, error: ReceiptError) -> AppRec:
        """A rejection (T01 not XML, T02 schema-invalid …) built from what the transport knows."""
        return self._record(
            HCP(inst=Inst(name=self._office.name, id=transport.to_her_id, type_id=_her())),
            HCP(inst=Inst(id=transport.from_her_id, type_id=_her())),
            [error],
            OriginalMsgId(
                msg_type=_cs(transport.msg_type, ""),
                issue_date=transport.sent.astimezone(UTC).isoformat(timespec="milliseconds"),
                id=transport.message_id,
            ),
        )

    def _record(
        self,
        sender: HCP,
        receiver: HCP,
        errors: Sequence[ReceiptError],
        original: OriginalMsgId,
    ) -> AppRec:
        """Build and keep the AppRec for `original`; SV020 when it already has one, because an
        AppRec is final and a later refusal goes in the Dialogmelding instead."""
        with self._lock:
            self._require_new(original.id)
            status = StatusMottak.AVVIST if errors else StatusMottak.OK
            receipt = AppRec(
                software_name=self._software,
                gen_date=self._clock().astimezone(UTC).isoformat(timespec="milliseconds"),
                id=self._new_id(),
                sender=AppRecParty(role=_cs("PRIM", "Primærmottaker"), hcp=sender),
                receiver=AppRecParty(hcp=receiver),
                status=_cs(status.value, status.display_name),
                error=[e.coded() for e in errors],
                original_msg_id=original,
            )
            self._issued[original.id] = receipt
            return receipt

    def require_new(self, msg_id: str) -> None:
        """SV020 when `msg_id` already has its AppRec: a redelivered message, handled before."""
        with self._lock:
            self._require_new(msg_id)

    def _require_new(self, msg_id: str) -> None:
        if msg_id in self._issued:
            raise ServiceError(
                f"message {msg_id} already has an AppRec",
                rule="SV020",
                hint="an AppRec is final (HIS 80415 §3.3.4): drop a redelivery; refuse later in"
                " the Dialogmelding with 26/30/31",
            )

    def issued(self, msg_id: str) -> AppRec | None:
        """The AppRec issued for `msg_id`, if any."""
        with self._lock:
            return self._issued.get(msg_id)

    # -- sending -----------------------------------------------------------------------------

    def expect(self, msg: MsgHead) -> None:
        """Remember a sent asynchronous message so its AppRec can be matched (Ack N: ignored)."""
        if _synchronous(msg):
            return
        with self._lock:
            self._sent[msg.msg_id] = msg

    def awaiting(self) -> list[str]:
        """MsgIds of sent messages that have no AppRec yet."""
        with self._lock:
            return [m for m in self._sent if m not in self._matched]

    def match(self, receipt: AppRec, *, from_her_id: str | None = None) -> ReceiptOutcome:
        """Pair an incoming AppRec with the message it receipts; E35 marks the citizen inactive.

        `from_her_id` is the HER-id the AppRec came from on the transport, authenticated by it
        (the pipeline passes the envelope's sender, which the channel bound to the CMS signer).
        Unknown originals are refused (SV021); an AppRec from another party than the one the
        message was sent to (`from_her_id`, or a Sender in the AppRec naming another HER-id) too
        (SV025), and a second AppRec for the same message (SV022). A refused AppRec changes
        nothing: the receiver's own AppRec is matched afterwards as if it had not come.

        Without `from_her_id` (a caller with no transport information: tests, demos) only the
        AppRec's own Sender is checked. That is what the receipt *claims*: the sender is then
        unchecked, so anything reading AppRecs off a transport must pass it.
        """
        original_id = receipt.original_msg_id.id
        with self._lock:
            original = self._sent.get(original_id)
            if original is None:
                raise ServiceError(
                    f"AppRec {receipt.id} is for message {original_id}, which we did not send",
                    rule="SV021",
                    hint="check OriginalMsgId/Id; log the AppRec for manual follow-up",
                )
            require_receipt_from(receipt, sent_to(original), from_her_id)
            if original_id in self._matched:
                raise ServiceError(f"message {original_id} already has an AppRec", rule="SV022")
            outcome = _outcome(receipt)
            self._matched[original_id] = outcome
        if (
            outcome.citizen_marked_inactive
            and original.patient is not None
            and original.patient.national_id
        ):
            self._citizens.mark_inactive(original.patient.national_id)
        return outcome

    # -- after a restart ---------------------------------------------------------------------

    def restore(
        self,
        *,
        issued: Iterable[AppRec] = (),
        sent: Iterable[MsgHead] = (),
        received: Iterable[AppRec] = (),
        received_from: Iterable[tuple[str, AppRec]] = (),
    ) -> None:
        """Take back what this office knew before it stopped, from its stored messages: the
        AppRecs it `issued` (so none is issued twice, SV020), the messages it `sent` (their
        AppRecs are expected again, each from the party it was sent to: `sent_to()` is rebuilt
        from the message itself) and the AppRecs it received for them (matched already, so a
        repeat is SV022). The citizens' digital status is not replayed from old E35s: a later
        Digitalbruker notice may have cleared it, and the next E35 marks the citizen again.

        Received AppRecs are taken back only when `match` would have taken them (SV025): give
        them as `received_from`, (transport sender HER-id, AppRec) pairs, so one another party
        sent is not taken for the receiver's. `received` (AppRecs alone) checks only the
        AppRec's own Sender — unchecked against the transport, as `match` without
        `from_her_id`.
        """
        with self._lock:
            for receipt in issued:
                self._issued.setdefault(receipt.original_msg_id.id, receipt)
        for message in sent:
            self.expect(message)
        replayed: list[tuple[str | None, AppRec]] = [*received_from]
        replayed += [(None, receipt) for receipt in received]
        with self._lock:
            for from_her_id, receipt in replayed:
                original_id = receipt.original_msg_id.id
                original = self._sent.get(original_id)
                if original is None or original_id in self._matched:
                    continue
                try:
                    require_receipt_from(receipt, sent_to(original), from_her_id)
                except ServiceError:
                    continue  # refused when it came (SV025): not the receiver's AppRec
                self._matched[original_id] = _outcome(receipt)
