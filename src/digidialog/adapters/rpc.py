"""The ports as named operations with JSON-ready bodies: one table for every wire.

A vendor surface only has to move `(operation, body) -> result` (an HTTP route, a file pair, a
SOAP call): `rpc_adapter(call, …)` turns such a `call` into the four ports, and `serve(journal, …)`
answers an operation from a `MemoryJournal` on the simulator side. Encoding is `wire`'s, so the
argument and result shapes are identical on every surface and documented once (docs/adapters.md).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digidialog.adapters import wire
from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.faults import Fault, FaultKind, Faults
from digidialog.adapters.memory import MemoryJournal
from digidialog.adapters.ports import (
    Adapter,
    Delivery,
    JournalRefusal,
    OutgoingMessage,
    RefusalReason,
    RenewalDecision,
    Undelivered,
)
from digidialog.errors import AdapterError, JournalUnavailableError
from digidialog.services.types import (
    Appointment,
    Citizen,
    InboxItem,
    Office,
    OfficeSettings,
    RenewalRequest,
    Slot,
)

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Operation:
    """One port method on the wire: its parameters' types, its result type, the journal method.

    `per_record`: a list answer is read record by record — an unreadable one is logged and left
    in the journal instead of failing the call (the outboxes: one bad record must not hold back
    every other message). Other list answers are all or nothing.
    """

    name: str
    params: Mapping[str, Any]
    result: Any = None
    many: bool = False
    method: str = ""
    per_record: bool = False


_OPS = [
    Operation("practice.office", {}, Office, method="office"),
    Operation("practice.settings", {}, OfficeSettings, method="settings"),
    Operation("inbox.deliver", {"item": InboxItem}, Delivery, method="deliver"),
    Operation(
        "inbox.outgoing",
        {"limit": int},
        OutgoingMessage,
        many=True,
        method="outgoing",
        per_record=True,
    ),
    Operation("inbox.acknowledge", {"outgoing_id": str}, method="acknowledge"),
    Operation("inbox.undelivered", {"notice": Undelivered}, method="undelivered"),
    Operation(
        "calendar.free_slots",
        {"practitioner_her_id": str | None, "start": datetime, "end": datetime},
        Slot,
        many=True,
        method="free_slots",
    ),
    Operation(
        "calendar.reserve",
        {"slot_uid": str, "citizen": Citizen, "request_id": str, "practitioner_her_id": str | None},
        Slot,
        method="reserve",
    ),
    Operation(
        "calendar.change",
        {"appointment_uid": str, "new_slot_uid": str, "citizen": Citizen, "request_id": str},
        Slot,
        method="change",
    ),
    Operation(
        "calendar.cancel",
        {"appointment_uid": str, "citizen": Citizen, "request_id": str},
        method="cancel",
    ),
    Operation(
        "calendar.appointments", {"citizen": Citizen}, Slot, many=True, method="appointments"
    ),
    Operation(
        "renewals.receive", {"request": RenewalRequest}, RenewalRequest, method="receive_renewal"
    ),
    Operation(
        "renewals.outcomes",
        {"limit": int},
        RenewalDecision,
        many=True,
        method="renewal_outcomes",
        per_record=True,
    ),
    Operation("renewals.acknowledge", {"decision_id": str}, method="acknowledge_outcome"),
]
OPERATIONS: Mapping[str, Operation] = {op.name: op for op in _OPS}


def serve(journal: MemoryJournal, name: str, body: Mapping[str, Any]) -> Any:
    """Answer operation `name` from `journal`: the JSON-ready result (None for no result).

    Raises `JournalRefusal` as the journal does; a malformed call (an unknown argument, a missing
    one that is not nullable, a record not in the documented format) is a
    `JournalRefusal(INVALID)`. An absent nullable argument is None, and an integer argument may
    come as decimal text (a URL query string carries only text).
    """
    op = OPERATIONS.get(name)
    if op is None:
        raise JournalRefusal(f"unknown operation {name!r}", reason=RefusalReason.INVALID)
    unknown = sorted(set(body) - set(op.params))
    if unknown:
        raise JournalRefusal(
            f"{name}: unknown argument(s) {', '.join(unknown)}", reason=RefusalReason.INVALID
        )
    try:
        args = {k: _argument(name, k, t, body.get(k)) for k, t in op.params.items()}
    except AdapterError as exc:
        raise JournalRefusal(f"{name}: {exc.message}", reason=RefusalReason.INVALID) from exc
    result = getattr(journal, op.method)(**args)
    return None if result is None else wire.dump(result)


def _argument(operation: str, key: str, kind: Any, value: Any) -> Any:
    if kind is int and isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value):
        value = int(value)
    try:
        return wire.load(kind, value, source=operation)
    except AdapterError as exc:
        raise AdapterError(f"argument {key}: {exc.message}", location=exc.location) from exc


Call = Callable[[str, dict[str, Any]], Any]


_MAX_SKIPPED = 1000
"""How many unreadable records a per-record list answer may hold ahead of the good ones before
the adapter stops asking for a longer page (they are logged; a person must repair them)."""


class _Remote:
    """Encodes one port call, sends it through `call`, decodes the answer."""

    def __init__(self, call: Call, source: str) -> None:
        self._call = call
        self._source = source

    def __call__(self, name: str, **args: Any) -> Any:
        op = OPERATIONS[name]
        if op.per_record:
            return self._per_record(op, args)
        result = self._call(name, {k: wire.dump(v) for k, v in args.items()})
        if op.result is None:
            return None
        where = f"{self._source} {name}"
        if op.many:
            return wire.load_list(op.result, result, source=where)
        return wire.load(op.result, result, source=where)

    def _per_record(self, op: Operation, args: dict[str, Any]) -> list[Any]:
        """A list answer read record by record (`Operation.per_record`), `limit` good ones.

        Unreadable records stay in the journal, at the head of its list, until repaired: when
        the journal filled the page and some of it could not be read, the page is asked for
        again, longer by as many, so they cannot hide the good ones behind them."""
        where = f"{self._source} {op.name}"
        limit = int(args["limit"])
        asked = limit
        while True:
            result = self._call(
                op.name, {k: wire.dump(v) for k, v in {**args, "limit": asked}.items()}
            )
            good, bad = _read_records(op.result, result, where)
            full = len(result) >= asked
            if len(good) >= limit or not bad or not full or asked >= limit + _MAX_SKIPPED:
                break
            asked = min(limit + len(bad), limit + _MAX_SKIPPED)
        for n, ident, problem in bad:
            name = repr(ident) if ident is not None else "without a readable id"
            _LOG.warning(
                "%s: skipped record %s (%d of %d), it stays in the journal: %s",
                where, name, n, len(result), problem,
            )  # fmt: skip
        if bad and full and len(good) < limit and asked >= limit + _MAX_SKIPPED:
            _LOG.error(
                "%s: %d unreadable records at the head of the journal's list; records behind "
                "them are not read until they are repaired", where, len(bad),
            )  # fmt: skip
        return good[:limit]


def _read_records(
    kind: Any, result: Any, where: str
) -> tuple[list[Any], list[tuple[int, str | None, str]]]:
    """The readable records of a list answer, and for each unreadable one its place, its id
    (when it has a readable one) and why. An answer that is no list at all is an error."""
    if not isinstance(result, list):
        return wire.load_list(kind, result, source=where), []  # raises: not a list at all
    good: list[Any] = []
    bad: list[tuple[int, str | None, str]] = []
    for n, item in enumerate(result, 1):
        try:
            good.append(wire.load(kind, item, source=where))
        except AdapterError as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            bad.append((n, ident if isinstance(ident, str) else None, exc.message))
    return good, bad


class _Practice:
    def __init__(self, remote: _Remote) -> None:
        self._r = remote

    def office(self) -> Office:
        office: Office = self._r("practice.office")
        return office

    def settings(self) -> OfficeSettings:
        settings: OfficeSettings = self._r("practice.settings")
        return settings


class _Inbox:
    def __init__(self, remote: _Remote) -> None:
        self._r = remote

    def deliver(self, item: InboxItem) -> Delivery:
        delivery: Delivery = self._r("inbox.deliver", item=item)
        return delivery

    def outgoing(self, limit: int = 100) -> Sequence[OutgoingMessage]:
        messages: list[OutgoingMessage] = self._r("inbox.outgoing", limit=limit)
        return messages

    def acknowledge(self, outgoing_id: str) -> None:
        self._r("inbox.acknowledge", outgoing_id=outgoing_id)

    def undelivered(self, notice: Undelivered) -> None:
        self._r("inbox.undelivered", notice=notice)


class _Calendar:
    def __init__(self, remote: _Remote) -> None:
        self._r = remote

    def free_slots(
        self, practitioner_her_id: str | None, start: datetime, end: datetime
    ) -> Sequence[Slot]:
        slots: list[Slot] = self._r(
            "calendar.free_slots", practitioner_her_id=practitioner_her_id, start=start, end=end
        )
        return slots

    def reserve(
        self,
        slot_uid: str,
        citizen: Citizen,
        *,
        request_id: str,
        practitioner_her_id: str | None = None,
    ) -> Appointment:
        booked: Appointment = self._r(
            "calendar.reserve",
            slot_uid=slot_uid,
            citizen=citizen,
            request_id=request_id,
            practitioner_her_id=practitioner_her_id,
        )
        return booked

    def change(
        self, appointment_uid: str, new_slot_uid: str, citizen: Citizen, *, request_id: str
    ) -> Appointment:
        moved: Appointment = self._r(
            "calendar.change",
            appointment_uid=appointment_uid,
            new_slot_uid=new_slot_uid,
            citizen=citizen,
            request_id=request_id,
        )
        return moved

    def cancel(self, appointment_uid: str, citizen: Citizen, *, request_id: str) -> None:
        self._r(
            "calendar.cancel",
            appointment_uid=appointment_uid,
            citizen=citizen,
            request_id=request_id,
        )

    def appointments(self, citizen: Citizen) -> Sequence[Appointment]:
        found: list[Appointment] = self._r("calendar.appointments", citizen=citizen)
        return found


class _Renewals:
    def __init__(self, remote: _Remote) -> None:
        self._r = remote

    def receive(self, request: RenewalRequest) -> RenewalRequest:
        assigned: RenewalRequest = self._r("renewals.receive", request=request)
        return assigned

    def outcomes(self, limit: int = 100) -> Sequence[RenewalDecision]:
        decisions: list[RenewalDecision] = self._r("renewals.outcomes", limit=limit)
        return decisions

    def acknowledge(self, decision_id: str) -> None:
        self._r("renewals.acknowledge", decision_id=decision_id)


def rpc_adapter(
    call: Call,
    *,
    name: str,
    vendor: str,
    version: str,
    capabilities: Capabilities,
    on_close: Callable[[], None] | None = None,
) -> Adapter:
    """The four ports over `call(operation, body) -> result`, which a vendor module supplies."""
    remote = _Remote(call, name)
    return Adapter(
        name=name,
        vendor=vendor,
        version=version,
        capabilities=capabilities,
        practice=_Practice(remote),
        inbox=_Inbox(remote),
        calendar=_Calendar(remote),
        renewals=_Renewals(remote),
        on_close=on_close,
    )


def memory_adapter(
    journal: MemoryJournal, *, faults: Faults | None = None, timeout: float = 10.0
) -> Adapter:
    """`journal` through the ports in-process, encoded and decoded as on any wire but with no I/O.

    The `MockTransport` of adapters, for pipeline tests that need a journal but no sockets or
    files. With `faults`, calls fail as a real wire would: unavailable calls raise
    `JournalUnavailableError` before any work; a call stalled for `timeout` seconds or more is
    done but raises `JournalUnavailableError` after `timeout` (the client gave up).
    """

    def call(name: str, body: dict[str, Any]) -> Any:
        fault = faults.next() if faults is not None else Fault()
        if fault.kind is FaultKind.UNAVAILABLE:
            raise JournalUnavailableError(f"in-process journal: {name} failed (injected fault)")
        result = serve(journal, name, body)
        if fault.delay:
            time.sleep(min(fault.delay, timeout))
            if fault.delay >= timeout:
                raise JournalUnavailableError(f"in-process journal: {name} timed out")
        return result

    return rpc_adapter(
        call,
        name="memory",
        vendor="digidialog (in-process)",
        version="0",
        capabilities=Capabilities(
            versions={"Dialogmelding": ("1.0", "1.1"), "AppRec": ("1.0", "1.1")},
            features=frozenset({"in-process"}),
        ),
    )
