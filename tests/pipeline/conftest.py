"""Two real parties for pipeline tests: dev PKI keys, sqlite stores in tmp folders, a journal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from digidialog.adapters import Adapter, AutoAnswer, MemoryJournal, demo_journal, memory_adapter
from digidialog.adapters.memory import DEMO_OFFICE
from digidialog.pipeline import (
    MessageStore,
    OfficePipeline,
    PortalEndpoint,
    RetryPolicy,
    SecureChannel,
    dev_channels,
)
from digidialog.security.devpki import DevPki, create_dev_pki
from digidialog.services import (
    HELSENORGE_TEST,
    Citizen,
    GpOffice,
    Office,
    RecordingNotifier,
    ServiceContext,
)
from digidialog.transport import Envelope, InProcessTransport

OFFICE: Office = DEMO_OFFICE
GP = "8140011"
CITIZEN = Citizen("13116900216", "Line", "Danser")


class Clock:
    """A settable wall clock (seconds), so backoff can be stepped through without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Parties:
    office: OfficePipeline
    portal: PortalEndpoint
    journal: MemoryJournal
    clock: Clock
    workdir: Path

    def exchange(self, rounds: int = 3) -> None:
        """Let both sides settle, send and (the office) work until nothing moves."""
        for _ in range(rounds):
            self.portal.retry_pending()
            self.portal.flush()
            self.office.run_once()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return create_dev_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def channels(pki: DevPki) -> tuple[SecureChannel, SecureChannel]:
    return dev_channels(pki, office_her_id=OFFICE.her_id, portal_her_id=HELSENORGE_TEST.unit_her_id)


def office_journal(auto: AutoAnswer | None = None) -> MemoryJournal:
    """The demo office's journal (answering by itself), with slots from tomorrow on."""
    return demo_journal(auto=auto)


def make_parties(
    workdir: Path,
    channels: tuple[SecureChannel, SecureChannel],
    adapter: Adapter,
    journal: MemoryJournal,
    *,
    office_busy_timeout: float = 5.0,
    portal_busy_timeout: float = 5.0,
) -> tuple[Parties, InProcessTransport]:
    """Office and portal on one in-process wire. A short ``office_busy_timeout`` (or
    ``portal_busy_timeout``) makes that party's store give up at once when a test holds its
    database locked."""
    office_channel, portal_channel = channels
    clock = Clock()
    wire = InProcessTransport()
    office = OfficePipeline(
        GpOffice(ServiceContext(OFFICE, notifier=RecordingNotifier())),
        adapter,
        channel=office_channel,
        store=MessageStore(workdir / "office.db", busy_timeout=office_busy_timeout),
        transport=wire,
        retry=RetryPolicy(first=10, factor=2, cap=60),
        clock=clock,
    )
    portal = PortalEndpoint(
        ServiceContext(OFFICE),
        channel=portal_channel,
        store=MessageStore(workdir / "portal.db", busy_timeout=portal_busy_timeout),
        transport=wire,
        clock=clock,
    )
    wire.register(office_channel.her_id, office.receive)
    wire.register(portal_channel.her_id, portal.receive)
    return Parties(office, portal, journal, clock, workdir), wire


@pytest.fixture
def parties(tmp_path: Path, channels: tuple[SecureChannel, SecureChannel]) -> Iterator[Parties]:
    journal = office_journal()
    made, _ = make_parties(tmp_path, channels, memory_adapter(journal), journal)
    yield made
    made.office.store.close()
    made.portal.store.close()


def restart_office(parties: Parties) -> OfficePipeline:
    """A new office process: new services (empty memory), the same store file and journal."""
    old = parties.office
    wire = old.transport
    assert isinstance(wire, InProcessTransport)
    old.store.close()
    restarted = OfficePipeline(
        GpOffice(ServiceContext(OFFICE, notifier=RecordingNotifier())), old.bridge.adapter,
        channel=old.channel, store=MessageStore(parties.workdir / "office.db"), transport=wire,
        retry=old.retry, clock=parties.clock,
    )  # fmt: skip
    wire.register(old.channel.her_id, restarted.receive)
    parties.office = restarted  # the fixture closes this store
    return restarted


def kept_before_a_crash(parties: Parties) -> tuple[str, Envelope]:
    """A citizen's request the office committed to its store just before the process died (not
    handled, no AppRec): its MsgId and envelope. The office's store is closed."""
    request = parties.portal.services.e_consultation.request(CITIZEN, GP, "Hoste", "Hjelp")
    envelope = parties.portal.send(request).envelope
    unpacked = parties.office.channel.unpack(envelope)
    parties.office.store.add_received(
        sender=envelope.sender, msg_id=request.msg_id, msg_type=envelope.subject,
        envelope=envelope, signed_xml=unpacked.xml, now=parties.clock(),
    )  # fmt: skip
    parties.office.store.close()
    return request.msg_id, envelope
