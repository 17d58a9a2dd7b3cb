"""Receive and send orchestration: secure channel, durable store and outbox, journal routing.

    office = OfficePipeline(GpOffice(context), adapter, channel=..., store=MessageStore(path),
                            transport=...)
    transport_receiver = office.receive      # a transport Handler: envelope -> Outcome
    office.run_once()                        # retry deliveries, collect replies, send

`PortalEndpoint` plays helsenorge.no's part for demos and tests; `dev_channels` makes both
parties' channels from a dev PKI. See docs/pipeline.md.
"""

from digidialog.pipeline.channel import Identity, Packed, SecureChannel, Unpacked
from digidialog.pipeline.dev import dev_channels
from digidialog.pipeline.endpoint import (
    Endpoint,
    FlushResult,
    OnPacked,
    Outcome,
    Status,
    receiver_her_id,
)
from digidialog.pipeline.journal import Collected, JournalBridge
from digidialog.pipeline.office import (
    CollectResult,
    NoticeResult,
    OfficePipeline,
    Restored,
    RunResult,
)
from digidialog.pipeline.portal import PortalEndpoint
from digidialog.pipeline.retry import RetryPolicy
from digidialog.pipeline.store import (
    MessageStore,
    OutboxItem,
    Queued,
    RefusedEnvelope,
    StoredMessage,
    StoreError,
)

__all__ = [
    "CollectResult",
    "Collected",
    "Endpoint",
    "FlushResult",
    "Identity",
    "JournalBridge",
    "MessageStore",
    "NoticeResult",
    "OfficePipeline",
    "OnPacked",
    "OutboxItem",
    "Outcome",
    "Packed",
    "PortalEndpoint",
    "Queued",
    "RefusedEnvelope",
    "Restored",
    "RetryPolicy",
    "RunResult",
    "SecureChannel",
    "Status",
    "StoreError",
    "StoredMessage",
    "Unpacked",
    "dev_channels",
    "receiver_her_id",
]
