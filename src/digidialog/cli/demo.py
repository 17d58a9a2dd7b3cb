"""`digidialog demo [--json] [--workdir DIR]`: every GP service end to end, for every vendor.

For each installed adapter that ships a simulator, the demo starts the simulator (a small journal
system that answers by itself), puts an `OfficePipeline` in front of it and plays helsenorge.no's
part with a `PortalEndpoint`: each request of HITS 1217 ch. 4.1 goes out signed (XML-DSig) and
sealed (CMS) with keys from a dev PKI made in the work folder, the office answers through the
journal's hooks, and receipts (AppRec) come back both ways. Every message exchanged is written to
the work folder as ``<MsgId>.xml`` (the document as signed) beside ``<MsgId>.p7m`` (its sealed
form). The transcript is printed as a table, or with ``--json`` as
``{"exchanges": [{vendor, service, process, request, reply, apprec, sms}]}``.

A run can be repeated in the same ``--workdir``: the demo records what it writes there in
``.digidialog-demo.json`` and the next run removes exactly that (its ``pki``, ``state`` and
``simulators`` folders and its message files) before starting afresh; nothing else in the folder
is touched. A folder holding ``pki``, ``state`` or ``simulators`` without that record is refused
(exit 2) rather than mixed with.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from digidialog.adapters import MemoryJournal, OfficeMessage, available, demo_journal
from digidialog.adapters import start_with_simulator as start_adapter
from digidialog.adapters.memory import DEMO_OFFICE, simulated_m1
from digidialog.codes.processes import find_request
from digidialog.errors import DigidialogError, UsageError
from digidialog.model import AppRec, Message, MsgHead
from digidialog.pipeline import (
    MessageStore,
    OfficePipeline,
    Packed,
    PortalEndpoint,
    SecureChannel,
    dev_channels,
)
from digidialog.security.devpki import create_dev_pki
from digidialog.services import (
    HELSENORGE_TEST,
    Citizen,
    DeliveryMethod,
    GpOffice,
    Outgoing,
    RecordingNotifier,
    Reply,
    ReplyKind,
    ServiceContext,
    ServiceName,
    Slot,
    read,
)
from digidialog.transport import InProcessTransport, write_atomic

log = logging.getLogger(__name__)

CITIZEN = Citizen("13116900216", "Line", "Danser", mobile="+4799999999")
"""A synthetic citizen (a test fødselsnummer, not a real person)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run every GP service end to end against every vendor simulator",
        description="Exchange signed and sealed messages for every GP service of HITS 1217 "
        "ch. 4.1 with every installed vendor adapter's simulator; write each message to the "
        "work folder and print the transcript.",
    )
    parser.add_argument("--json", action="store_true", help="print the transcript as JSON")
    parser.add_argument(
        "--workdir",
        type=_folder,
        help="folder for the messages, keys and state (default: a new temporary folder); "
        "a re-run replaces what the last run wrote there",
    )
    parser.set_defaults(handler=run)


# -- recording ---------------------------------------------------------------------------------


@dataclass
class Recorder:
    """Writes every packed message to the work folder and indexes it for the transcript."""

    folder: Path
    messages: dict[str, MsgHead] = field(default_factory=dict)
    receipts: dict[str, AppRec] = field(default_factory=dict)
    """AppRecs by the MsgId they receipt."""
    written: list[str] = field(default_factory=list)
    """The names of the files written, for the work folder's record (`MARKER`)."""

    def __call__(self, message: Message, packed: Packed) -> None:
        name = packed.envelope.message_id
        for suffix, data in ((".xml", packed.xml), (".p7m", packed.envelope.payload)):
            self.written.append(f"{name}{suffix}")
            write_atomic(self.folder / f"{name}{suffix}", data)
        if isinstance(message, AppRec):
            self.receipts[message.original_msg_id.id] = message
        elif isinstance(message, MsgHead):
            self.messages[message.msg_id] = message

    def reply_to(self, msg_id: str) -> MsgHead | None:
        return next((m for m in self.messages.values() if m.ref_to_parent == msg_id), None)


@dataclass
class Exchange:
    vendor: str
    service: ServiceName | None
    """None for the communication test, which the office answers by itself."""
    request: MsgHead
    reply: MsgHead | None
    apprec: AppRec | None
    sms: str | None

    @property
    def complete(self) -> bool:
        """Whether the catalogue's answer came: a reply where the request has replies, and an
        OK AppRec where it is asynchronous."""
        kind = find_request(self.request.msg_type or "", read(self.request).code)
        if kind is None:
            return False
        replied = self.reply is not None or not kind.replies
        receipted = kind.synchronous or (self.apprec is not None and self.apprec.is_ok)
        return replied and receipted

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "service": _service_label(self.service),
            "process": self.request.msg_type,
            "request": {"code": read(self.request).code, "file": _file(self.request.msg_id)},
            "reply": None
            if self.reply is None
            else {"code": read(self.reply).code, "file": _file(self.reply.msg_id)},
            "apprec": None
            if self.apprec is None
            else {"status": self.apprec.status.v, "file": _file(self.apprec.id)},
            "sms": self.sms,
        }


def _file(msg_id: str) -> str:
    return f"{msg_id}.xml"


# -- one vendor --------------------------------------------------------------------------------


class Session:
    """The two parties for one vendor, and the steps of the scenarios."""

    def __init__(
        self,
        vendor: str,
        *,
        journal: MemoryJournal,
        office: OfficePipeline,
        portal: PortalEndpoint,
        recorder: Recorder,
        notifier: RecordingNotifier,
    ) -> None:
        self.vendor = vendor
        self.journal = journal
        self.office = office
        self.portal = portal
        self.recorder = recorder
        self.notifier = notifier
        self.gp = journal.office().practitioners[0].her_id
        self.services = portal.services
        self.desk_appointment: Slot | None = None
        """The appointment the desk's last push gave (booked or moved), for the next push."""

    def pump(self) -> None:
        """Move messages both ways until nothing is left to send."""
        for _ in range(6):
            self.portal.retry_pending()
            moved = len(self.portal.flush().sent)
            result = self.office.run_once()
            moved += len(result.flushed.sent) + len(result.collected.queued)
            if not moved:
                return

    def exchange(
        self,
        service: ServiceName | None,
        start: Callable[[], str],
        answer: Callable[[str], None] | None,
    ) -> Exchange:
        """Run one exchange: ``start`` sends the request (returns its MsgId); ``answer``, when
        given, lets the citizen answer an office-started message."""
        sms_before = len(self.notifier.sent)
        msg_id = start()
        self.pump()
        if answer is not None:
            answer(msg_id)
            self.pump()
        recorder = self.recorder
        sms = self.notifier.sent[sms_before:]
        return Exchange(
            self.vendor,
            service,
            recorder.messages[msg_id],
            recorder.reply_to(msg_id),
            recorder.receipts.get(msg_id),
            sms[0].text if sms else None,
        )

    def send(self, outgoing: Outgoing) -> str:
        self.portal.send(outgoing)
        return outgoing.msg_id

    def communication_test(self) -> str:
        """helsenorge.no's KT (HITS 1217 §3.10); the office answers RKT without the journal."""
        kt = self.services.communication_test(CITIZEN, self.gp)
        self.portal.send(kt)
        return kt.msg_id

    def office_starts(self, service: ServiceName, kind: str, subject: str, text: str) -> str:
        """The GP writes first in the journal; the office pipeline collects and sends it."""
        before = set(self.recorder.messages)
        self.journal.start_dialog(CITIZEN, self.gp, service, OfficeMessage(kind, subject, text))
        self.pump()
        return self._new_office_message(before)

    def push(self, kind: ReplyKind) -> str:
        """The desk books (05), moves (07), cancels (08) or records a no-show (11) in the journal;
        the office tells helsenorge.no (Avtaleutsending). 07, 08 and 11 act on the appointment the
        last push gave."""
        before = set(self.recorder.messages)
        now = datetime.now(UTC)
        free = self.journal.free_slots(self.gp, now, now + timedelta(weeks=4))
        booked, self.desk_appointment = self.desk_appointment, None
        if kind is ReplyKind.BOOKED:
            self.journal.book_elsewhere(free[-1], CITIZEN, "Kontroll av blodtrykk.")
            self.desk_appointment = free[-1]
        elif booked is None:
            raise DigidialogError(f"Avtaleutsending {kind.value} before any appointment was booked")
        elif kind is ReplyKind.CHANGED:
            self.journal.change_elsewhere(booked.uid, free[-2], CITIZEN, "Legen er på kurs.")
            self.desk_appointment = free[-2]
        elif kind is ReplyKind.CANCELLED:
            self.journal.cancel_elsewhere(booked.uid, CITIZEN, "Legen er syk.")
        else:
            self.journal.record_no_show(booked.uid, CITIZEN)
        self.pump()
        return self._new_office_message(before)

    def gp_closes(self, subject: str, text: str, closing: str) -> str:
        """An e-consultation the GP closes (13) rather than answers: the demo plays the GP in the
        journal, so the journal's automatic answer (12) is off while the question lands."""
        automatic = self.journal.auto
        self.journal.auto = dataclasses.replace(automatic, e_consultation=False)
        try:
            msg_id = self.send(
                self.services.e_consultation.request(CITIZEN, self.gp, subject, text)
            )
            self.pump()
        finally:
            self.journal.auto = automatic
        gp = self.journal.office().practitioner(self.gp)
        self.journal.answer(msg_id, Reply(ReplyKind.DIALOG_CLOSED, closing, responder=gp))
        return msg_id

    def _new_office_message(self, before: set[str]) -> str:
        new = [m for m in self.recorder.messages if m not in before]
        if not new:
            raise DigidialogError(
                "the office sent nothing for a message started in the journal",
                hint="a message the pipeline cannot build is logged above; without such a line "
                "the office's store already knew the journal's message (a store kept from an "
                "earlier run)",
            )
        return new[0]

    def citizen_answers(self, service: ServiceName, text: str) -> Callable[[str], None]:
        dialog = (
            self.services.e_consultation
            if service is ServiceName.E_CONSULTATION
            else self.services.contact
        )

        def answer(msg_id: str) -> None:
            self.portal.send(dialog.citizen_reply(msg_id, text))

        return answer

    def renew_m1(self, prescriptions: dict[str, str]) -> str:
        """An RFER: the M1 of each prescription to renew (name → prescription group), as the
        journal's prescription module writes it (`simulated_m1`), in one request."""
        today = date.today()
        m1_documents = [
            simulated_m1(name, prescribed=today - timedelta(days=300), number=n, group=group)
            for n, (name, group) in enumerate(prescriptions.items(), start=1)
        ]
        return self.send(self.services.renewal.request(
            CITIZEN, self.gp, "\n".join(prescriptions), DeliveryMethod.PHARMACY,
            m1_documents=m1_documents,
        ))  # fmt: skip

    def slot_in(self, msg_id: str | None) -> Slot:
        """The first time in a message (free slots, a booking confirmation)."""
        message = None if msg_id is None else self.recorder.messages.get(msg_id)
        slots = read(message, self.journal.office()).slots if message is not None else ()
        if not slots:
            raise DigidialogError(f"message {msg_id} carries no time to continue with")
        return slots[0]


Scenario = tuple[ServiceName | None, Callable[[], str], Callable[[str], None] | None]


def scenarios(s: Session) -> list[Scenario]:
    """Every request of HITS 1217 ch. 4.1 for a GP, in an order where each step can use the last.

    The desk's appointment pushes tell a story that needs two appointments (a no-show ends one):
    booked (05), not met (11), booked again (05), moved (07), cancelled (08)."""
    b, e, c, r = (s.services.booking, s.services.e_consultation, s.services.contact,
                  s.services.renewal)  # fmt: skip
    gp = s.gp
    first = date.today() + timedelta(days=1)
    requests: dict[str, str] = {}

    def remember(key: str, start: Callable[[], str]) -> Callable[[], str]:
        def run() -> str:
            requests[key] = start()
            return requests[key]

        return run

    def time_in_reply(key: str) -> Slot:
        """The time the office gave in its answer to an earlier request of this session."""
        reply = s.recorder.reply_to(requests[key]) if key in requests else None
        return s.slot_in(None if reply is None else reply.msg_id)

    def reserve() -> str:
        slot = time_in_reply("free")
        return s.send(b.reserve(CITIZEN, gp, slot, accepts_other_practitioner=False))

    def cancel_reserved() -> str:
        return s.send(b.cancel_reserved(CITIZEN, gp, time_in_reply("reserved")))

    def wish_change() -> str:
        appointment = time_in_reply("wished")
        return s.send(b.wish_change(CITIZEN, gp, appointment, "Kan timen flyttes til etter kl. 10?",
                                    accepts_other_practitioner=False))  # fmt: skip

    def wish_cancel() -> str:
        return s.send(b.wish_cancel(CITIZEN, gp, time_in_reply("changed"), "Jeg er frisk igjen."))

    booking = ServiceName.BOOKING
    e_consultation, contact = ServiceName.E_CONSULTATION, ServiceName.CONTACT_OFFICE
    renewal = ServiceName.PRESCRIPTION_RENEWAL
    return [
        (e_consultation,
         lambda: s.send(e.request(CITIZEN, gp, "Hoste", "Jeg har hostet i tre uker.")), None),
        (e_consultation,
         lambda: s.gp_closes("Hoste", "Hosten er borte nå, takk for hjelpen.",
                             "Så bra. Da avslutter jeg denne dialogen."), None),
        (e_consultation,
         lambda: s.office_starts(e_consultation, "DI", "Prøvesvar",
                                 "Blodprøven var fin. Hvordan går det med hosten?"),
         s.citizen_answers(e_consultation, "Mye bedre nå, takk.")),
        (e_consultation,
         lambda: s.office_starts(e_consultation, "EKI", "Prøvesvar",
                                 "Urinprøven var normal. Du trenger ikke gjøre noe mer."), None),
        (contact,
         lambda: s.send(c.request(CITIZEN, gp, "Ny adresse", "Jeg har flyttet til Storgata 1.")),
         None),
        (contact,
         lambda: s.office_starts(contact, "DI", "Egenerklæring",
                                 "Har du levert egenerklæringen til førerkortattesten?"),
         s.citizen_answers(contact, "Ja, jeg leverte den i skranken i går.")),
        (contact,
         lambda: s.office_starts(contact, "EKI", "Influensavaksine",
                                 "Vi setter influensavaksine hver onsdag i november."),
         None),
        (renewal,
         lambda: s.send(r.request(CITIZEN, gp, "Paracet 500 mg\nVentoline inhalator",
                                  DeliveryMethod.PHARMACY)), None),
        (renewal,
         lambda: s.renew_m1({"Paracet 500 mg tabletter": "C", "Sobril 10 mg tabletter": "B"}),
         None),
        (booking, remember("free", lambda: s.send(
            b.fetch_free_slots(CITIZEN, gp, first, first + timedelta(days=13)))), None),
        (booking, remember("reserved", reserve), None),
        (booking, cancel_reserved, None),
        (booking, remember("wished", lambda: s.send(
            b.wish_time(CITIZEN, gp, "En time neste uke, helst morgen.",
                        accepts_other_practitioner=False))), None),
        (booking, remember("changed", wish_change), None),
        (booking, wish_cancel, None),
        (booking, lambda: s.push(ReplyKind.BOOKED), None),
        (booking, lambda: s.push(ReplyKind.NO_SHOW), None),
        (booking, lambda: s.push(ReplyKind.BOOKED), None),
        (booking, lambda: s.push(ReplyKind.CHANGED), None),
        (booking, lambda: s.push(ReplyKind.CANCELLED), None),
        (None, s.communication_test, None),
    ]  # fmt: skip


DEMO_POLL_INTERVAL = 0.005
"""Seconds between looks at exchange folders in the demo (a polling vendor's default is slower)."""


def run_vendor(vendor: str, workdir: Path, channels: tuple[SecureChannel, SecureChannel],
               recorder: Recorder) -> list[Exchange]:  # fmt: skip
    """All scenarios against one vendor's simulator; failures are logged and skipped."""
    journal = demo_journal()
    office_channel, portal_channel = channels
    notifier = RecordingNotifier()
    state = workdir / "state" / vendor
    simulated = start_adapter(vendor, workdir / "simulators" / vendor, journal=journal,
                              poll_interval=DEMO_POLL_INTERVAL)  # fmt: skip
    with simulated as (adapter, _):
        wire = InProcessTransport()
        office = OfficePipeline(
            GpOffice(ServiceContext(journal.office(), notifier=notifier)), adapter,
            channel=office_channel, store=MessageStore(state / "office.db"), transport=wire,
            on_packed=recorder,
        )  # fmt: skip
        portal = PortalEndpoint(
            ServiceContext(journal.office()), channel=portal_channel,
            store=MessageStore(state / "portal.db"), transport=wire, on_packed=recorder,
        )  # fmt: skip
        wire.register(office_channel.her_id, office.receive)
        wire.register(portal_channel.her_id, portal.receive)
        session = Session(vendor, journal=journal, office=office, portal=portal,
                          recorder=recorder, notifier=notifier)  # fmt: skip
        done: list[Exchange] = []
        try:
            for service, start, answer in scenarios(session):
                try:
                    done.append(session.exchange(service, start, answer))
                except DigidialogError as exc:
                    log.error("%s: %s exchange failed: %s", vendor, _service_label(service), exc)
        finally:
            office.store.close()
            portal.store.close()
    return done


# -- the command -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir: Path = args.workdir or Path(tempfile.mkdtemp(prefix="digidialog-demo-"))
    _prepare_workdir(workdir)
    if args.workdir is None:
        print(f"work folder: {workdir}", file=sys.stderr if args.json else sys.stdout)
    pki = create_dev_pki(workdir / "pki")
    office_her_id = DEMO_OFFICE.her_id
    channels = dev_channels(
        pki, office_her_id=office_her_id, portal_her_id=HELSENORGE_TEST.unit_her_id
    )
    recorder = Recorder(workdir)
    vendors = [info.name for info in available() if info.simulator]
    exchanges: list[Exchange] = []
    try:
        for vendor in vendors:
            exchanges += run_vendor(vendor, workdir, channels, recorder)
            _record(workdir, recorder.written)
    finally:
        _record(workdir, recorder.written)
    if args.json:
        print(json.dumps({"exchanges": [x.as_dict() for x in exchanges]}, indent=2,
                         ensure_ascii=False))  # fmt: skip
    else:
        _print_transcript(exchanges, workdir, vendors)
    complete = bool(vendors) and len(exchanges) == len(vendors) * _SCENARIOS
    ok = complete and all(x.complete for x in exchanges)
    return 0 if ok else 1


_SCENARIOS = 21


def _service_label(service: ServiceName | None) -> str:
    return "communication_test" if service is None else service.value


def _folder(text: str) -> Path:
    """A folder name for argparse: not empty (``Path("")`` would be the current folder)."""
    if not text:
        raise argparse.ArgumentTypeError("the folder name is empty")
    return Path(text)


MARKER = ".digidialog-demo.json"
"""The record of what a run wrote into the work folder: what the next run may remove."""
OWNED_FOLDERS = ("pki", "state", "simulators")
"""The folders a run makes in the work folder (beside its message files)."""


def _check_workdir(workdir: Path) -> None:
    """`--workdir` must be (or become) a writable folder: a usage error (exit 2), no traceback."""
    if workdir.exists() and not workdir.is_dir():
        raise UsageError(f"--workdir {workdir}: not a folder")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--workdir {workdir}: cannot create the folder: {exc.strerror or exc}"
        ) from exc
    if not os.access(workdir, os.W_OK | os.X_OK):
        raise UsageError(f"--workdir {workdir}: the folder is not writable")


def _prepare_workdir(workdir: Path) -> None:
    """Make ``workdir`` ready for a run: what an earlier run recorded in `MARKER` is removed
    (only that); demo folders without the record are refused, not reused or deleted."""
    _check_workdir(workdir)
    marker = workdir / MARKER
    if os.path.lexists(marker):
        try:
            for name in _recorded(marker):
                _remove(workdir / name)
        except OSError as exc:
            raise UsageError(
                f"--workdir {workdir}: cannot clear the last run's files: {exc.strerror or exc}",
                hint="remove them by hand, or give another folder",
            ) from exc
    else:
        found = [name for name in OWNED_FOLDERS if os.path.lexists(workdir / name)]
        if found:
            raise UsageError(
                f"--workdir {workdir}: holds {', '.join(n + '/' for n in found)} that this demo "
                f"did not record writing (no {MARKER}); not reusing or removing them",
                hint="give a new or empty folder, or remove those folders",
            )
    _record(workdir, [])


def _recorded(marker: Path) -> list[str]:
    """The names a previous run recorded, only those a run writes: its folders and plain
    ``<name>.xml`` / ``<name>.p7m`` files (never a path, so nothing outside the folder)."""
    try:
        entries = json.loads(marker.read_text("utf-8")).get("written", [])
    except (ValueError, AttributeError) as exc:
        raise UsageError(
            f"{marker}: not a record digidialog demo wrote",
            hint="remove it and the files of the last run, or give another folder",
        ) from exc
    names = [name for name in entries if isinstance(name, str)]
    return [
        name
        for name in names
        if name in OWNED_FOLDERS
        or (name.endswith((".xml", ".p7m")) and "/" not in name and "\\" not in name)
    ]


def _remove(path: Path) -> None:
    """Remove a file or symlink (the link, not its target), or a folder with what it holds."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _record(workdir: Path, messages: list[str]) -> None:
    """Write `MARKER`: the folders a run makes and the message files written so far."""
    document = {
        "written_by": "digidialog demo",
        "written": [*OWNED_FOLDERS, *messages],
    }
    write_atomic(workdir / MARKER, (json.dumps(document, indent=1) + "\n").encode("utf-8"))


def _print_transcript(exchanges: list[Exchange], workdir: Path, vendors: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not vendors:
        console.print("no adapter with a simulator is installed; see `digidialog adapters`")
        return
    for vendor in vendors:
        table = Table(title=f"{vendor}: helsenorge.no ⇄ office ⇄ journal", title_justify="left")
        for column in ("service", "process", "request", "reply", "AppRec", "SMS"):
            table.add_column(column)
        for x in (x for x in exchanges if x.vendor == vendor):
            row = x.as_dict()
            apprec = row["apprec"]
            table.add_row(
                row["service"],
                str(row["process"]).removeprefix("DIALOG_INNBYGGER_"),
                _describe(x.request),
                "—" if x.reply is None else _describe(x.reply),
                "— (synchronous)" if apprec is None else
                ("OK" if apprec["status"] == "1" else f"rejected ({apprec['status']})"),
                "sent" if row["sms"] else "",
            )  # fmt: skip
        console.print(table)
    sms = next((x.sms for x in exchanges if x.sms), None)
    if sms:
        console.print(f"SMS to the citizen (no sensitive content): [italic]{sms}[/italic]")
    console.print(f"{len(exchanges)} exchanges; every message is in {workdir} as <MsgId>.xml"
                  " with its sealed form <MsgId>.p7m")  # fmt: skip


def _describe(message: MsgHead) -> str:
    """A request or reply code with its display name, e.g. ``SB Spørsmål til behandler``."""
    dialog = message.dialogmelding
    coded = None
    if dialog is not None and dialog.notat:
        coded = dialog.notat[0].tema_kodet
    elif dialog is not None and dialog.foresporsel:
        coded = dialog.foresporsel[0].type_foresp
    return "?" if coded is None else f"{coded.v} {coded.dn or ''}".strip()
