"""The four GP services on helsenorge.no, as one uniform API.

Booking (Timereservasjon, Timeønske, Avtaleutsending), prescription renewal, e-consultation and
contact-the-office: each service builds the citizen's requests (helsenorge.no's role, for demos and
tests), builds the office's replies, and handles what comes in — every message following HITS 1217.
`GpOffice` puts them behind one `receive()` with AppRecs; `types` holds the XML-free domain objects
the journal adapters use. See docs/services.md for a worked example per service and the rule IDs.
"""

from digidialog.services.base import DialogService, Incoming, Outgoing, ServiceContext
from digidialog.services.billing import Tariff, suggest_tariffs
from digidialog.services.booking import MAX_FREE_SLOT_PERIOD, Booking
from digidialog.services.conversation import (
    Conversation,
    ConversationStore,
    InMemoryConversationStore,
    Turn,
    overdue_conversations,
    rebuild_conversations,
)
from digidialog.services.deadlines import add_working_days, due_date, is_working_day
from digidialog.services.dialogs import (
    ASK_TO_BOOK_TEXT,
    REDIRECT_TEXT,
    ContactOffice,
    EConsultation,
)
from digidialog.services.messages import HELSENORGE_TEST, Envelope, Portal, read
from digidialog.services.notify import (
    SMS_TEXT,
    LogNotifier,
    Notifier,
    RecordingNotifier,
    SmsNotice,
)
from digidialog.services.office import GpOffice, Received
from digidialog.services.receipts import (
    CitizenStatus,
    ReceiptError,
    ReceiptOutcome,
    Receipts,
    TransportInfo,
)
from digidialog.services.renewal import PrescriptionRenewal
from digidialog.services.rules import RuleWarning, check_e_consultation_answer
from digidialog.services.types import (
    Appointment,
    AppointmentType,
    Attachment,
    BookingMode,
    Citizen,
    ClinicalFlag,
    DeliveryMethod,
    GpSettings,
    InboxItem,
    Office,
    OfficeSettings,
    Practitioner,
    RenewalOutcome,
    RenewalRequest,
    RenewalResult,
    Reply,
    ReplyKind,
    ServiceName,
    Slot,
    TimeWish,
)

__all__ = [
    "ASK_TO_BOOK_TEXT",
    "HELSENORGE_TEST",
    "MAX_FREE_SLOT_PERIOD",
    "REDIRECT_TEXT",
    "SMS_TEXT",
    "Appointment",
    "AppointmentType",
    "Attachment",
    "Booking",
    "BookingMode",
    "Citizen",
    "CitizenStatus",
    "ClinicalFlag",
    "ContactOffice",
    "Conversation",
    "ConversationStore",
    "DeliveryMethod",
    "DialogService",
    "EConsultation",
    "Envelope",
    "GpOffice",
    "GpSettings",
    "InMemoryConversationStore",
    "InboxItem",
    "Incoming",
    "LogNotifier",
    "Notifier",
    "Office",
    "OfficeSettings",
    "Outgoing",
    "Portal",
    "Practitioner",
    "PrescriptionRenewal",
    "ReceiptError",
    "ReceiptOutcome",
    "Receipts",
    "Received",
    "RecordingNotifier",
    "RenewalOutcome",
    "RenewalRequest",
    "RenewalResult",
    "Reply",
    "ReplyKind",
    "RuleWarning",
    "ServiceContext",
    "ServiceName",
    "Slot",
    "SmsNotice",
    "Tariff",
    "TimeWish",
    "TransportInfo",
    "Turn",
    "add_working_days",
    "check_e_consultation_answer",
    "due_date",
    "is_working_day",
    "overdue_conversations",
    "read",
    "rebuild_conversations",
    "suggest_tariffs",
]
