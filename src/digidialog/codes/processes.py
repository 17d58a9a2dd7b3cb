"""The HITS 1217 catalogue: which requests and replies each digital-dialog process allows.

Source: HITS 1217:2018 (Implementasjonsguide Digital Dialog helsenorge.no, v3.21) chapter 3 per
process, 2.3 (ConversationRef, Ack), 2.4.3 (refusal codes), 2.13 (AppRec) and 4.1 ("Forespørsel og
svar"). Every fact below names its section; where the official example messages disagree with the
guide, the guide wins and the disagreement is listed in `EXAMPLE_DEVIATIONS`.

A digital-dialog message is either a *request* (``Dialogmelding/Foresporsel/TypeForesp``) or a
*reply* (``Dialogmelding/Notat/TemaKodet``, with ``MsgInfo/ConversationRef``). The process is
``MsgHead/MsgInfo/Type`` (code list 8279).

Typical questions and the function that answers them::

    process("DIALOG_INNBYGGER_TIMERESERVASJON")            # -> Process (raises if unknown)
    find_process(msg_type)                                 # -> Process | None
    find_request(msg_type, "RT")                           # -> RequestKind | None
    is_reply_allowed(msg_type, "RT", "05")                 # -> True
    requests_answered_by(msg_type, "05")                   # -> (RequestKind RT,)
    classify(msg_type, type_foresp="RT")                   # -> Classification (request)
    classify(msg_type, tema_kodet="05")                    # -> Classification (reply)
    expects_apprec(msg_type, type_foresp="HLT")            # -> False (synchronous)
    min_version(msg_type, "HBT")                           # -> "1.2"
    supports(msg_type, "1.1", "HBT")                       # -> False

Code values are plain strings (the ``V`` attribute); each `RequestKind` / `ReplyKind` also names
the code list (``system``: "7601", "7602", "7603") whose OID belongs in the ``S`` attribute.
A `RequestKind` also says who sends it (`Party`), whether it is synchronous (Ack N, no AppRec),
whether it carries ConversationRef, Patient and iCalendar, which ``Foresporsel`` children are
required or forbidden, the code list of its ``KodetOpplysning``, and whether replies must carry
``TekstNotatInnhold``.

Catalogued: the ten GP processes of chapter 4 (DIALOG_INNBYGGER_RESEPTFORNYELSE, _EKONSULTASJON,
_EKONTAKT, _TIMERESERVASJON, _TIMEONSKE, _AVTALEUTSENDING, _AVTALEAVBESTILLING, _DIGITALBRUKER,
_TEST, _BEHANDLEROVERSIKT) and Timedialog (DIALOG_INNBYGGER_TIMER, §3.8).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from digidialog.codes import code_system
from digidialog.codes.base import OID_PREFIX, UnknownCodeError


class Party(StrEnum):
    """Who sends a message: the citizen side (helsenorge.no) or the health service (the EHR)."""

    INNBYGGER = "innbygger"
    """The citizen, through helsenorge.no (which is also the technical sender)."""
    HELSEPERSONELL = "helsepersonell"
    """The GP office / health service, through its EHR system."""


class ConversationRef(StrEnum):
    """Whether ``MsgInfo/ConversationRef`` is present (HITS 1217 §2.3)."""

    NEVER = "never"
    """First message of a thread: ConversationRef must not be set."""
    REQUIRED = "required"
    """Answers or refers to an earlier message: RefToParent and RefToConversation are required."""


class Requirement(StrEnum):
    """How strongly a document or element is required."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    FORBIDDEN = "forbidden"


BOTH: frozenset[Party] = frozenset(Party)
_CITIZEN: frozenset[Party] = frozenset({Party.INNBYGGER})
_OFFICE: frozenset[Party] = frozenset({Party.HELSEPERSONELL})


def _display_name(system: str, code: str) -> str:
    """The code list's display name of ``code``, so the catalogue never restates one.

    Raises `UnknownCodeError` (at import) when the catalogue names a code its list lacks.
    """
    return code_system(system)[code].display_name


GENERAL_REFUSALS: Mapping[str, str] = MappingProxyType(
    {code: _display_name("7602", code) for code in ("26", "30", "31")}
)
"""Code list 7602 codes that refuse any request (§2.4.3); each request lists which it allows."""


@dataclass(frozen=True, slots=True)
class ReplyKind:
    """One allowed reply code (``Notat/TemaKodet``) to a request."""

    code: str
    """The ``V`` value, e.g. ``"05"``."""
    display_name: str
    """The ``DN`` value; it must be the code list's (the catalogue's tables take it from there)."""
    senders: frozenset[Party]
    """Who may send this reply (usually the receiver of the request)."""
    system: str = "7602"
    """Code list number of ``code`` (7602, or 7603 for the communication test)."""
    refusal: bool = False
    """True for the general refusals 26/30/31 (§2.4.3)."""
    patient: bool = True
    """Whether ``MsgInfo/Patient`` is present in this reply."""
    note: str = ""

    def __post_init__(self) -> None:
        listed = _display_name(self.system, self.code)
        if self.display_name != listed:
            raise UnknownCodeError(
                f"code {self.code!r} of code list {self.system} is {listed!r}, "
                f"not {self.display_name!r}",
                system=OID_PREFIX + self.system,
                value=self.code,
            )

    @property
    def oid(self) -> str:
        return OID_PREFIX + self.system


@dataclass(frozen=True, slots=True)
class RequestKind:
    """One request kind (``Foresporsel/TypeForesp``) in one process."""

    process: str
    """The MsgInfo/Type (code list 8279) this request belongs to."""
    code: str
    """The ``TypeForesp`` ``V`` value, e.g. ``"RT"``."""
    system: str
    """Code list of ``code``: 7601, or 7602 (Avtaleutsending 05/07/08/11) or 7603 (KT)."""
    senders: frozenset[Party]
    section: str
    """The HITS 1217 section that defines this request."""
    synchronous: bool = False
    """Synchronous requests (and their replies) carry ``Ack V="N"`` and get no AppRec (§2.13)."""
    replies: tuple[ReplyKind, ...] = ()
    """Allowed replies, refusals included; empty when the request is one-way."""
    conversation_ref: ConversationRef = ConversationRef.NEVER
    """Whether the request itself refers to an earlier message."""
    kodet_opplysning: str | None = None
    """Code list whose code is REQUIRED in ``Foresporsel/KodetOpplysning`` (8324, 1101) or None."""
    icalendar: Requirement = Requirement.FORBIDDEN
    """Whether an iCalendar/xCal Document goes with the request."""
    patient: bool = True
    """Whether ``MsgInfo/Patient`` is present (not for SIDAB, §3.9.2.1)."""
    required: frozenset[str] = frozenset()
    """``Foresporsel`` children the guide makes mandatory besides TypeForesp (local names)."""
    forbidden: frozenset[str] = frozenset()
    """``Foresporsel`` children the guide forbids (Avtaleutsending: EmneSporsmal, Sporsmal)."""
    reply_text: Requirement = Requirement.OPTIONAL
    """Whether replies must carry ``Notat/TekstNotatInnhold``."""
    since: str | None = None
    """Lowest process version that has this request (None: every version of the process)."""
    note: str = ""
    display_name: str = field(init=False)
    """The ``DN`` value, from the code list."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "display_name", _display_name(self.system, self.code))

    @property
    def oid(self) -> str:
        return OID_PREFIX + self.system

    @property
    def ack(self) -> str:
        """The ``MsgInfo/Ack`` value for the request and its replies: ``"J"`` or ``"N"``."""
        return "N" if self.synchronous else "J"

    @property
    def expects_apprec(self) -> bool:
        """True when the receiver answers with an AppRec (asynchronous, §2.13)."""
        return not self.synchronous

    @property
    def reply_codes(self) -> frozenset[str]:
        """Every ``TemaKodet`` value that may answer this request, refusals included."""
        return frozenset(r.code for r in self.replies)

    @property
    def refusal_codes(self) -> frozenset[str]:
        """The general refusals (26/30/31, §2.4.3) this request may get."""
        return frozenset(r.code for r in self.replies if r.refusal)

    def reply(self, code: str) -> ReplyKind | None:
        """The reply kind with ``code``, or None when the code does not answer this request."""
        for r in self.replies:
            if r.code == code:
                return r
        return None


@dataclass(frozen=True, slots=True)
class Process:
    """One digital-dialog process (an ``MsgInfo/Type`` value) with its versions and requests."""

    msg_type: str
    """The MsgInfo/Type value (code list 8279)."""
    name: str
    """The process name in the address register (Dialog_Innbygger_…)."""
    section: str
    versions: tuple[str, ...]
    """Process versions the guide describes, oldest first."""
    requests: tuple[RequestKind, ...]
    pasientrelasjon_since: str | None = None
    """Lowest version that carries Pasientrelasjon (acting on behalf of another); None: never."""
    aliases: tuple[str, ...] = ()
    """Other MsgInfo/Type spellings seen in official examples; `find_process` accepts them."""
    note: str = ""
    _by_code: Mapping[str, RequestKind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", MappingProxyType({r.code: r for r in self.requests}))

    def request(self, type_foresp: str) -> RequestKind | None:
        """The request kind with TypeForesp ``type_foresp``, or None."""
        return self._by_code.get(type_foresp)

    @property
    def request_codes(self) -> frozenset[str]:
        """Every ``TypeForesp`` value of this process."""
        return frozenset(self._by_code)

    @property
    def reply_codes(self) -> frozenset[str]:
        """Every ``TemaKodet`` value that answers some request of this process."""
        return frozenset(c for r in self.requests for c in r.reply_codes)

    @property
    def refusal_codes(self) -> frozenset[str]:
        """General refusals (26/30/31) that at least one request of this process allows."""
        return frozenset(c for r in self.requests for c in r.refusal_codes)

    @property
    def synchronous(self) -> bool:
        """True when every request of the process is synchronous."""
        return all(r.synchronous for r in self.requests)


def _reply(
    code: str,
    senders: frozenset[Party],
    *,
    system: str = "7602",
    refusal: bool = False,
    patient: bool = True,
    note: str = "",
) -> ReplyKind:
    """A `ReplyKind` for the tables below, its display name taken from the code list."""
    return ReplyKind(
        code,
        _display_name(system, code),
        senders,
        system=system,
        refusal=refusal,
        patient=patient,
        note=note,
    )


def _refusals(
    codes: str, senders: frozenset[Party], *, patient: bool = True
) -> tuple[ReplyKind, ...]:
    return tuple(_reply(c, senders, refusal=True, patient=patient) for c in codes.split())


# -- reply sets, shared where the guide says "identical" --------------------------------------

_RESEPT_REPLIES = (
    _reply("14", _OFFICE),
    _reply("15", _OFFICE),
    _reply("32", _OFFICE, note="§3.1.3; missing from the §4.1 table"),
    *_refusals("26 30", _OFFICE),
)
_CLOSED_BY_OFFICE = _reply("13", _OFFICE, note="the office closes the thread (§3.2.3, §4.1)")
_FROM_CITIZEN = (
    _reply("22", _CITIZEN),
    _CLOSED_BY_OFFICE,
    *_refusals("26 31", _CITIZEN),
)
_Q = frozenset({"EmneSporsmal", "Sporsmal"})
_KODET = frozenset({"KodetOpplysning"})
_R_TEXT = Requirement.REQUIRED

_AVBESTILL_REPLIES = (
    _reply("08", _OFFICE),
    _reply("09", _OFFICE),
    *_refusals("26 30", _OFFICE),
)


def _avtaleutsending(process: str, section: str) -> tuple[RequestKind, ...]:
    """The one-way appointment push (§3.4.1): MOA (7601) or a 7602 code used as TypeForesp."""
    kinds = (("MOA", "7601"), ("05", "7602"), ("07", "7602"), ("08", "7602"), ("11", "7602"))
    return tuple(
        RequestKind(
            process,
            code,
            system,
            _OFFICE,
            section,
            icalendar=Requirement.REQUIRED,
            forbidden=_Q,
            note="one-way: answered only by an AppRec",
        )
        for code, system in kinds
    )


def _appointment_request(
    process: str,
    code: str,
    section: str,
    *,
    replies: tuple[ReplyKind, ...],
    icalendar: Requirement = Requirement.REQUIRED,
    note: str = "",
) -> RequestKind:
    """A citizen's request about an appointment (book, change, cancel, wish): KodetOpplysning
    from code list 1101 is required, and the appointment travels as iCalendar (not for a wish
    for a new time, OT, which has none yet)."""
    return RequestKind(
        process,
        code,
        "7601",
        _CITIZEN,
        section,
        required=_KODET,
        kodet_opplysning="1101",
        icalendar=icalendar,
        replies=replies,
        note=note,
    )


def _dialog_from_office(process: str, section: str) -> tuple[RequestKind, ...]:
    """DI / EKI sent by the office (§3.2.3, §3.3.3)."""
    return (
        RequestKind(
            process,
            "DI",
            "7601",
            _OFFICE,
            section,
            replies=_FROM_CITIZEN,
            required=_Q,
            reply_text=Requirement.REQUIRED,
        ),
        RequestKind(
            process,
            "EKI",
            "7601",
            _OFFICE,
            section,
            required=_Q,
            note="the citizen cannot answer a one-time contact (§3.2.3)",
        ),
    )


_R = "DIALOG_INNBYGGER_RESEPTFORNYELSE"
_EKONS = "DIALOG_INNBYGGER_EKONSULTASJON"
_EKONT = "DIALOG_INNBYGGER_EKONTAKT"
_TRES = "DIALOG_INNBYGGER_TIMERESERVASJON"
_TONS = "DIALOG_INNBYGGER_TIMEONSKE"
_TIMER = "DIALOG_INNBYGGER_TIMER"
_AUTS = "DIALOG_INNBYGGER_AVTALEUTSENDING"
_AAVB = "DIALOG_INNBYGGER_AVTALEAVBESTILLING"
_DIGB = "DIALOG_INNBYGGER_DIGITALBRUKER"
_TEST = "DIALOG_INNBYGGER_TEST"
_BEHO = "DIALOG_INNBYGGER_BEHANDLEROVERSIKT"


def _timedialog_request(code: str, *reply_codes: str) -> RequestKind:
    """A citizen's free-text request about a specialist appointment (Timedialog, §3.8.1): the
    question and the appointment (iCalendar) are required, and so is the answer's text."""
    return RequestKind(
        _TIMER,
        code,
        "7601",
        _CITIZEN,
        "3.8.1",
        required=frozenset({"Sporsmal"}),
        reply_text=Requirement.REQUIRED,
        icalendar=Requirement.REQUIRED,
        replies=tuple(_reply(reply, _OFFICE) for reply in reply_codes),
    )


_ALL: tuple[Process, ...] = (
    Process(
        _R,
        "Dialog_Innbygger_Reseptfornyelse",
        "3.1",
        ("1.1", "1.2", "1.3"),
        (
            RequestKind(
                _R,
                "RF",
                "7601",
                _CITIZEN,
                "3.1.1",
                required=frozenset({"Sporsmal", "KodetOpplysning"}),
                reply_text=_R_TEXT,
                replies=_RESEPT_REPLIES,
                kodet_opplysning="8324",
            ),
            RequestKind(
                _R,
                "RFER",
                "7601",
                _CITIZEN,
                "3.1.2",
                required=_KODET,
                reply_text=_R_TEXT,
                replies=_RESEPT_REPLIES,
                kodet_opplysning="8324",
                since="1.3",
                note="carries one M1 per medicine; not in production (§3.1.2)",
            ),
        ),
        pasientrelasjon_since="1.2",
        note="a renewal reply (14/32) carries one M1 Resept Document per renewed prescription",
    ),
    Process(
        _EKONS,
        "Dialog_Innbygger_Ekonsultasjon",
        "3.2",
        ("1.1", "1.2"),
        (
            RequestKind(
                _EKONS,
                "SB",
                "7601",
                _CITIZEN,
                "3.2.1",
                required=_Q,
                reply_text=_R_TEXT,
                replies=(
                    _reply("12", _OFFICE),
                    _CLOSED_BY_OFFICE,
                    *_refusals("26 30 31", _OFFICE),
                ),
            ),
            *_dialog_from_office(_EKONS, "3.2.3"),
        ),
        pasientrelasjon_since="1.2",
    ),
    Process(
        _EKONT,
        "Dialog_Innbygger_Ekontakt",
        "3.3",
        ("1.1", "1.2"),
        (
            RequestKind(
                _EKONT,
                "HE",
                "7601",
                _CITIZEN,
                "3.3.1",
                reply_text=_R_TEXT,
                replies=(
                    _reply("19", _OFFICE),
                    _CLOSED_BY_OFFICE,
                    _reply(
                        "17",
                        _OFFICE,
                        note="used by the official examples; not listed in §3.3.2",
                    ),
                    _reply(
                        "18",
                        _OFFICE,
                        note="used by the official examples; not listed in §3.3.2",
                    ),
                    *_refusals("26 30 31", _OFFICE),
                ),
            ),
            RequestKind(
                _EKONT,
                "VUS",
                "7601",
                _CITIZEN,
                "3.3.1",
                conversation_ref=ConversationRef.REQUIRED,
                note="refers to the unread message through ConversationRef",
            ),
            *_dialog_from_office(_EKONT, "3.3.3"),
        ),
        pasientrelasjon_since="1.2",
    ),
    Process(
        _TRES,
        "Dialog_Innbygger_Timereservasjon",
        "3.4",
        ("1.1", "1.2"),
        (
            RequestKind(
                _TRES,
                "HLT",
                "7601",
                _CITIZEN,
                "3.4.2.1",
                required=frozenset({"FraDato", "TilDato"}),
                synchronous=True,
                replies=(
                    _reply("03", _OFFICE),
                    _reply("04", _OFFICE),
                    *_refusals("26 30", _OFFICE),
                ),
                note="Foresporsel/FraDato and TilDato required, at most 4 weeks apart",
            ),
            RequestKind(
                _TRES,
                "HBT",
                "7601",
                _CITIZEN,
                "3.4.4.1",
                synchronous=True,
                since="1.2",
                replies=(
                    _reply("01", _OFFICE),
                    _reply("02", _OFFICE),
                    *_refusals("26 30", _OFFICE),
                ),
            ),
            _appointment_request(
                _TRES,
                "RT",
                "3.4.3.1",
                replies=(
                    _reply("05", _OFFICE),
                    _reply("06", _OFFICE),
                    *_refusals("26 30", _OFFICE),
                ),
            ),
            _appointment_request(
                _TRES,
                "ART",
                "3.4.3.1",
                replies=_AVBESTILL_REPLIES,
            ),
            *_avtaleutsending(_TRES, "3.4.1"),
        ),
        pasientrelasjon_since="1.2",
    ),
    Process(
        _TONS,
        "Dialog_Innbygger_Timeonske",
        "3.5",
        ("1.1", "1.2"),
        (
            _appointment_request(
                _TONS,
                "OT",
                "3.5.1",
                icalendar=Requirement.FORBIDDEN,
                replies=(
                    _reply("05", _OFFICE),
                    _reply("10", _OFFICE),
                    _reply("06", _OFFICE),
                    *_refusals("26 30", _OFFICE),
                ),
                note="no iCalendar in the request; the confirmation (05/10) carries one",
            ),
            _appointment_request(
                _TONS,
                "OET",
                "3.5.1",
                replies=(
                    _reply("07", _OFFICE),
                    _reply("10", _OFFICE),
                    _reply("06", _OFFICE),
                    _reply("34", _OFFICE),
                    *_refusals("26 30", _OFFICE),
                ),
                note="under development, not in production (§3.5.1)",
            ),
            _appointment_request(
                _TONS,
                "OAT",
                "3.5.1",
                replies=_AVBESTILL_REPLIES,
            ),
        ),
        pasientrelasjon_since="1.2",
    ),
    Process(
        _TIMER,
        "Dialog_Innbygger_Timer",
        "3.8",
        ("1.1", "1.2"),
        (
            _timedialog_request("HE", "19"),
            _timedialog_request("OET", "07", "34"),
            _timedialog_request("OAB", "35", "36"),
            RequestKind(
                _TIMER,
                "05",
                "7602",
                _CITIZEN,
                "3.8.1",
                required=frozenset({"Sporsmal"}),
                icalendar=Requirement.REQUIRED,
                note='the citizen confirms the appointment ("Bekreft time"); answered by AppRec',
            ),
        ),
        pasientrelasjon_since="1.1",
        note="specialist health service, not the GP; version 1.1 uses Dialogmelding 1.0",
    ),
    Process(
        _AUTS,
        "Dialog_Innbygger_Avtaleutsending",
        "3.6",
        ("1.0",),
        _avtaleutsending(_AUTS, "3.6"),
        note="identical to the appointment push of Timereservasjon 1.2 (§3.4.1)",
    ),
    Process(
        _AAVB,
        "Dialog_Innbygger_Avtaleavbestilling",
        "3.7",
        ("1.0",),
        (
            _appointment_request(
                _AAVB,
                "ART",
                "3.7.1.1",
                replies=_AVBESTILL_REPLIES,
            ),
        ),
        pasientrelasjon_since="1.0",
        aliases=("DIALOG_INNBYGGER_AVTALEBESTILLING",),
        note="neither spelling is in code list 8279; HITS 1217 §3.7 names no MsgInfo/Type",
    ),
    Process(
        _DIGB,
        "Dialog_Innbygger_Digitalbruker",
        "3.9",
        ("1.1",),
        (
            RequestKind(
                _DIGB,
                "SDAB",
                "7601",
                _CITIZEN,
                "3.9.1",
                required=_KODET,
                kodet_opplysning="1101",
                note="1101: 1 = became an active digital user, 2 = became inactive",
            ),
            RequestKind(
                _DIGB,
                "SIDAB",
                "7601",
                _OFFICE,
                "3.9.2.1",
                reply_text=_R_TEXT,
                patient=False,
                replies=(
                    _reply("28", _CITIZEN, patient=False),
                    _reply("29", _CITIZEN, patient=False),
                    *_refusals("26 31", _CITIZEN, patient=False),
                ),
                note="the persons go in a Personer Document, not in MsgInfo/Patient",
            ),
        ),
    ),
    Process(
        _TEST,
        "Dialog_Innbygger_Test",
        "3.10",
        ("1.1",),
        (
            RequestKind(
                _TEST,
                "KT",
                "7603",
                BOTH,
                "3.10.1",
                synchronous=True,
                replies=(_reply("RKT", BOTH, system="7603", patient=False),),
            ),
        ),
    ),
    Process(
        _BEHO,
        "Dialog_Innbygger_BehandlerOversikt",
        "3.11",
        ("1.0", "1.1"),
        (
            RequestKind(
                _BEHO,
                "HB",
                "7601",
                _CITIZEN,
                "3.11.1",
                synchronous=True,
                replies=(
                    _reply("20", _OFFICE),
                    _reply("21", _OFFICE),
                    *_refusals("30 31", _OFFICE),
                ),
            ),
        ),
        pasientrelasjon_since="1.0",
        note="§3.11 lists version 1.0 in one table and 1.1 in the next; the examples use 1.1",
    ),
)

PROCESSES: Mapping[str, Process] = MappingProxyType({p.msg_type: p for p in _ALL})
"""Every catalogued process, keyed by MsgInfo/Type: the GP processes of HITS 1217 chapter 4 plus
Timedialog (DIALOG_INNBYGGER_TIMER, §3.8, specialist health service)."""

_LOOKUP: Mapping[str, Process] = MappingProxyType(
    {**{a: p for p in _ALL for a in p.aliases}, **PROCESSES}
)


@dataclass(frozen=True, slots=True)
class Classification:
    """What a message is within its process, as far as its codes tell."""

    process: Process
    request: RequestKind | None
    """The request this message is (or, for a reply, answers when that is unambiguous)."""
    reply: ReplyKind | None
    """For a reply: its reply kind (from the unambiguous request or the first candidate)."""
    candidates: tuple[RequestKind, ...] = ()
    """For a reply: every request in the process the reply code can answer."""

    @property
    def is_reply(self) -> bool:
        """True for a Notat answering a request; False for the request itself."""
        return self.reply is not None

    @property
    def synchronous(self) -> bool:
        """True when every request this message may belong to is synchronous (Ack N)."""
        kinds = (self.request,) if self.request is not None else self.candidates
        return bool(kinds) and all(k.synchronous for k in kinds)

    @property
    def expects_apprec(self) -> bool:
        """True for asynchronous messages (Ack J); synchronous ones get no AppRec."""
        return not self.synchronous

    @property
    def ack(self) -> str:
        """The ``MsgInfo/Ack`` this message carries: ``"N"`` when synchronous, else ``"J"``."""
        return "N" if self.synchronous else "J"


def find_process(msg_type: str) -> Process | None:
    """The process for ``msg_type`` (MsgInfo/Type or a known alias), or None."""
    return _LOOKUP.get(msg_type)


def process(msg_type: str) -> Process:
    """The process for ``msg_type``; raises `UnknownCodeError` when it is not a GP process."""
    found = _LOOKUP.get(msg_type)
    if found is None:
        raise UnknownCodeError(
            f"MsgInfo/Type {msg_type!r} is not a digital-dialog process with the GP",
            system=OID_PREFIX + "8279",
            value=msg_type,
            hint="known: " + ", ".join(PROCESSES),
        )
    return found


def find_request(msg_type: str, type_foresp: str) -> RequestKind | None:
    """The request kind ``type_foresp`` of process ``msg_type``, or None if either is unknown."""
    p = find_process(msg_type)
    return None if p is None else p.request(type_foresp)


def is_request_allowed(msg_type: str, type_foresp: str) -> bool:
    """True when TypeForesp ``type_foresp`` belongs to process ``msg_type``."""
    return find_request(msg_type, type_foresp) is not None


def is_reply_allowed(msg_type: str, type_foresp: str, reply_code: str) -> bool:
    """True when ``reply_code`` (TemaKodet) may answer request ``type_foresp`` in ``msg_type``."""
    req = find_request(msg_type, type_foresp)
    return req is not None and req.reply(reply_code) is not None


def requests_answered_by(msg_type: str, reply_code: str) -> tuple[RequestKind, ...]:
    """Every request of ``msg_type`` that ``reply_code`` may answer (empty when none)."""
    p = find_process(msg_type)
    if p is None:
        return ()
    return tuple(r for r in p.requests if r.reply(reply_code) is not None)


def classify(
    msg_type: str, *, type_foresp: str | None = None, tema_kodet: str | None = None
) -> Classification | None:
    """Place a message in the catalogue from its MsgInfo/Type and TypeForesp or TemaKodet.

    A message with ``tema_kodet`` is a reply (Notat); otherwise ``type_foresp`` names the
    request. Returns None when the process, the request or the reply code is unknown there.
    """
    p = find_process(msg_type)
    if p is None:
        return None
    if tema_kodet is not None:
        candidates = requests_answered_by(msg_type, tema_kodet)
        if not candidates:
            return None
        if type_foresp is not None:  # KT replies quote the request; narrow with it if it fits
            narrowed = tuple(r for r in candidates if r.code == type_foresp)
            candidates = narrowed or candidates
        request = candidates[0] if len(candidates) == 1 else None
        reply = candidates[0].reply(tema_kodet)
        return Classification(p, request, reply, candidates)
    if type_foresp is None:
        return None
    req = p.request(type_foresp)
    return None if req is None else Classification(p, req, None, ())


def expects_apprec(
    msg_type: str, *, type_foresp: str | None = None, tema_kodet: str | None = None
) -> bool | None:
    """True when the message is asynchronous (Ack J, AppRec expected); None when unknown."""
    found = classify(msg_type, type_foresp=type_foresp, tema_kodet=tema_kodet)
    return None if found is None else found.expects_apprec


def _vkey(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def min_version(msg_type: str, type_foresp: str, *, pasientrelasjon: bool = False) -> str | None:
    """The lowest process version that supports this request (and Pasientrelasjon if used).

    None when the process or request is unknown, or Pasientrelasjon is not part of the process.
    """
    p = find_process(msg_type)
    req = None if p is None else p.request(type_foresp)
    if p is None or req is None:
        return None
    needed = [req.since or p.versions[0]]
    if pasientrelasjon:
        if p.pasientrelasjon_since is None:
            return None
        needed.append(p.pasientrelasjon_since)
    return max(needed, key=_vkey)


def supports(
    msg_type: str, version: str, type_foresp: str, *, pasientrelasjon: bool = False
) -> bool:
    """True when version ``version`` of process ``msg_type`` supports this request."""
    p = find_process(msg_type)
    needed = min_version(msg_type, type_foresp, pasientrelasjon=pasientrelasjon)
    if p is None or needed is None or version not in p.versions:
        return False
    return _vkey(version) >= _vkey(needed)


@dataclass(frozen=True, slots=True)
class Deviation:
    """A place where an official example message disagrees with HITS 1217."""

    example: str
    """The example's path below the samples folder (``<MsgInfo/Type>/<version>/<file>``)."""
    what: str
    documented: bool
    """True when `SOURCES.md` of the reference material already lists it."""


def _deviations(folder: str, what: str, documented: bool, *names: str) -> tuple[Deviation, ...]:
    return tuple(Deviation(f"{folder}/{name}.xml", what, documented) for name in names)


_SYNC_ACK = 'Ack V="J" on a synchronous message; HITS 1217 says Ack V="N" (§2.13)'
_KODET_1101 = "no Foresporsel/KodetOpplysning (1101), mandatory by §3.5.1"
_NO_CONV_REF = "a reply without MsgInfo/ConversationRef (§2.3)"

EXAMPLE_DEVIATIONS: tuple[Deviation, ...] = (
    *_deviations(
        "DIALOG_INNBYGGER_EKONSULTASJON/1.2",
        'TemaKodet V="13" (Dialog avsluttet) where the answer to a question is 12',
        True,
        "Ekonsultasjon_-_Svar_helsepersonell_-_Svar_pa_sporsmal_fra_behandler",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_BEHANDLEROVERSIKT/1.1",
        'TemaKodet V="21" (Behandlere ikke funnet) where a list of practitioners is 20',
        True,
        "Behandleroversikt_-_Svar_helsepersonell_-_Behandlere",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2",
        "no Foresporsel/KodetOpplysning (leveringsmåte, 8324), mandatory by §3.1.1",
        True,
        "Reseptfornying_-_Foresporsel_innbygger_-_Fritekst",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TIMERESERVASJON/1.2",
        _SYNC_ACK,
        True,
        "Ledige_timer_-_Foresporsel_innbygger_-_Hent_ledige_timer",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TIMERESERVASJON/1.2",
        _SYNC_ACK,
        False,
        "Ledige_timer_-_Svar_helsepersonell_-_Ingen_ledige_timer.",
        "Ledige_timer_-_Svar_helsepersonell_-_Ledige_timer",
        "Planlagte_timer_-_Svar_helsepersonell_-_Bestilte_timer",
        "Planlagte_timer_-_Svar_helsepersonell_-_Ingen_bestilte",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TIMERESERVASJON/1.2",
        'TypeForesp V="HLT" where "hent planlagte avtaler" is HBT (§3.4.4.1); Ack V="J"; '
        "so read as HLT it lacks FraDato/TilDato",
        False,
        "Planlagte_timer_-_Foresporsel_innbygger_-_Hent_planlagte_timer",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_BEHANDLEROVERSIKT/1.1",
        _SYNC_ACK,
        False,
        "Behandleroversikt_-_Foresporsel_innbygger_-_Hent_behandlere",
        "Behandleroversikt_-_Svar_helsepersonell_-_Behandlere",
        "Behandleroversikt_-_Svar_helsepersonell_-_Behandlere_ikke_funnet",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TEST/1.1",
        _SYNC_ACK,
        False,
        "Kommunikasjonstest_-_Foresporsel_Helsenorge",
        "Kommunikasjonstest_-_Foresporsel_helseaktor",
        "Kommunikasjonstest_-_Svar_Helsenorge",
        "Kommunikasjonstest_-_Svar_helseaktor",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TIMEONSKE/1.2",
        _KODET_1101,
        False,
        "Onske_om_avbestilling_av_time_-_Foresporsel_innbygger_-_Onske_om_avbestilling_av_time",
        "Onske_om_endring_av_time_-_Foresporsel_innbygger_-_Onske_om_endre_time",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_TIMEONSKE/1.2",
        _NO_CONV_REF,
        False,
        "Onske_om_avbestilling_av_time_-_Svar_helsepersonell_-_Avbestilling_av_time_bekreftet",
        "Onske_om_avbestilling_av_time_-_Svar_helsepersonell_-_Time_kunne_ikke_avbestilles",
        "Onske_om_endring_av_time_-_Svar_helsepersonell_-_Endring_av_time_bekreftet",
        "Onske_om_endring_av_time_-_Svar_helsepersonell_-_Time_kunne_ikke_endres",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_RESEPTFORNYELSE/1.2",
        "no Notat/TekstNotatInnhold, mandatory by §3.1.3",
        False,
        "Reseptfornying_-_Svar_helsepersonell_-_Foresporsel_avvist",
        "Reseptfornying_-_Svar_helsepersonell_-_Ikke_tilgang",
        "Reseptfornying_-_Svar_helsepersonell_-_Resept_er_fornyet",
        "Reseptfornying_-_Svar_helsepersonell_-_Resept_kan_ikke_fornyes",
        "Reseptfornying_-_Svar_helsepersonell_-_Resepter_delvis_fornyet",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_DIGITALBRUKER/1.1",
        "no Notat/TekstNotatInnhold, mandatory by §3.9.2.2",
        False,
        "Sjekk_om_digitalt_aktiv_-_Svar_innbygger_-_Digitale_aktive_brukere",
        "Sjekk_om_digitalt_aktiv_-_Svar_innbygger_-_Ingen_digitale_brukere",
    ),
    *_deviations(
        "DIALOG_INNBYGGER_AVTALEAVBESTILLING/1.0",
        'MsgInfo/Type V="DIALOG_INNBYGGER_AVTALEBESTILLING" (not in 8279; kept as an alias)',
        False,
        "Avbestill_time_-_Foresporsel_innbygger_-_Avbestill_reservert_time",
        "Avbestill_time_-_Svar_helsepersonell_-_Avbestilling_av_time_bekreftet",
        "Avbestill_time_-_Svar_helsepersonell_-_Time_kunne_ikke_avbestilles",
    ),
)
"""Disagreements between the official examples and the guide (``documented``: already in the
reference's SOURCES.md). The tests check that each one is real and that no other exists."""
