"""An envelope refused for a transport security reason is kept, and its sender told where the
carrier can carry that; one that may pass later (revocation status unavailable, retry later) is
not taken at all, so the carrier delivers it again (HITS 1216 §2.1.4, §2.2.3, §2.2.6)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from digidialog.adapters import memory_adapter
from digidialog.pipeline import MessageStore, Queued, SecureChannel, Status
from digidialog.pipeline.channel import Identity
from digidialog.security import (
    CertificateValidator,
    InMemoryResolver,
    KeyPurpose,
    RevocationChecker,
    RevocationPolicy,
    Sealer,
    Signer,
)
from digidialog.security.devpki import DevPki
from digidialog.security.errors import RevocationUnavailableError
from digidialog.services import HELSENORGE_TEST, Reply, ReplyKind
from digidialog.transport import (
    CMS_CONTENT_TYPE,
    Envelope,
    FolderInbox,
    FolderTransport,
    HttpTransport,
    LoopbackServer,
)

from .conftest import CITIZEN, GP, OFFICE, Parties, make_parties, office_journal

HN = HELSENORGE_TEST.unit_her_id
SPOOFING = "abuse:spoofing-attack"


def spoofed(parties: Parties, pki: DevPki) -> Envelope:
    """A request sealed and signed with the office's own key, claiming to come from
    helsenorge.no: the office refuses it (``abuse:spoofing-attack``)."""
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    key, cert = pki.gp_office.signing.key, pki.gp_office.signing.certificate
    signed = Signer(key, cert).sign(request.message.to_xml())
    sealed = Sealer(key, cert).seal(signed, pki.gp_office.encryption.certificate)
    return Envelope(sealed, HN, OFFICE.her_id, CMS_CONTENT_TYPE, request.msg_id,
                    "DIALOG_INNBYGGER_EKONTAKT")  # fmt: skip


def test_a_refused_envelope_is_kept_once_before_the_carrier_is_answered(
    parties: Parties, pki: DevPki
) -> None:
    envelope = spoofed(parties, pki)
    outcome = parties.office.receive(envelope)
    assert (outcome.status, outcome.code) == (Status.REFUSED, SPOOFING)
    assert outcome.refusal is not None
    assert (outcome.refusal.code, outcome.refusal.reason) == (SPOOFING, "signer-is-not-sender")
    assert outcome.refusal.description == outcome.detail
    [kept] = parties.office.store.refused()
    assert kept.envelope == envelope  # payload, sender, receiver, content type, id, subject
    assert (kept.code, kept.refusal) == (SPOOFING, outcome.refusal)
    assert (kept.refused_at, kept.deliveries) == (parties.clock(), 1)
    # No AppRec, nothing stored as received: the refusal is all there is.
    assert parties.office.store.outbox() == []
    assert parties.office.store.received(HN, envelope.message_id) is None

    parties.clock.advance(30)
    again = parties.office.receive(envelope)  # the carrier delivers it again
    assert (again.status, again.code, again.refusal) == (Status.REFUSED, SPOOFING, outcome.refusal)
    [kept] = parties.office.store.refused()  # kept once, counted twice
    assert (kept.deliveries, kept.last_refused_at) == (2, parties.clock())

    # Another envelope under the same id (its bytes differ) is kept beside it.
    damaged = bytearray(envelope.payload)
    damaged[-5] ^= 0xFF
    other = dataclasses.replace(envelope, payload=bytes(damaged))
    assert parties.office.receive(other).status is Status.REFUSED
    assert [r.envelope for r in parties.office.store.refused()] == [envelope, other]
    assert [r.envelope for r in parties.office.store.refused(limit=1)] == [envelope]

    parties.office.store.close()
    reopened = MessageStore(parties.workdir / "office.db")
    assert [r.envelope for r in reopened.refused()] == [envelope, other]
    reopened.close()


def test_a_refused_envelope_in_the_exchange_folder_is_moved_to_error(
    parties: Parties, pki: DevPki, tmp_path: Path
) -> None:
    envelope = spoofed(parties, pki)
    exchange = tmp_path / "exchange"
    FolderTransport(exchange).send(envelope)
    inbox = FolderInbox(exchange, OFFICE.her_id)
    assert inbox.poll(parties.office.receive) == 1
    assert inbox.pending() == []
    errors = exchange / OFFICE.her_id / "error"
    assert (errors / f"{envelope.message_id}.bin").read_bytes() == envelope.payload
    assert json.loads((errors / f"{envelope.message_id}.json").read_text())["sender"] == HN
    reason = (errors / f"{envelope.message_id}.reason.txt").read_text()
    assert reason.startswith(f"refused {SPOOFING} (signer-is-not-sender): ")
    assert [r.envelope for r in parties.office.store.refused()] == [envelope]


def wrong_signer(parties: Parties, pki: DevPki) -> SecureChannel:
    """The office's channel, but signing with a key not registered for its HER-id: helsenorge.no
    refuses what it sends (``abuse:spoofing-attack``)."""
    office = parties.office.channel
    wrong = dataclasses.replace(
        office.identity,
        signing_key=pki.helsenorge.signing.key,
        signing_certificate=pki.helsenorge.signing.certificate,
    )
    return SecureChannel(wrong, CertificateValidator(pki.trust_store()), office.resolver)


@pytest.mark.parametrize("carrier", ["in-process", "http"])
def test_a_reply_refused_by_its_receiver_fails_with_the_code_and_is_told_to_the_journal(
    parties: Parties, pki: DevPki, carrier: str
) -> None:
    request = parties.portal.services.contact.request(CITIZEN, GP, "Adresse", "Ny adresse.")
    parties.portal.send(request)
    parties.exchange()
    [item] = parties.journal.inbox_items()
    parties.journal.answer(item.msg_id, Reply(ReplyKind.OFFICE_ANSWER, "Endret."))
    parties.office.channel = wrong_signer(parties, pki)
    with LoopbackServer(parties.portal.receive) as server, HttpTransport(server.url) as http:
        if carrier == "http":
            parties.office.transport = http
        result = parties.office.run_once()
        [failed] = parties.office.store.outbox("failed")
        assert result.flushed.failed == [failed.envelope.message_id]
        assert failed.last_error is not None
        assert f"{SPOOFING}: " in failed.last_error  # the receiver's code, not a 5xx
        assert failed.attempts == 1
        # Not retried: it is failed for good, and the GP's journal is told it never arrived.
        [notice] = result.told.told
        assert notice.msg_id == failed.envelope.message_id
        assert SPOOFING in notice.reason
        parties.clock.advance(3600)
        assert parties.office.flush().sent == []
        assert parties.office.flush().failed == []
    [kept] = parties.portal.store.refused()
    assert (kept.envelope, kept.code) == (failed.envelope, SPOOFING)
    assert failed.envelope.message_id not in parties.portal.messages


def test_a_refused_envelope_over_http_is_answered_422_with_the_error_report(
    parties: Parties, pki: DevPki
) -> None:
    import requests

    envelope = spoofed(parties, pki)
    headers = {"Content-Type": envelope.content_type, "X-Digidialog-From": envelope.sender,
               "X-Digidialog-To": envelope.receiver,
               "X-Digidialog-Message-Id": envelope.message_id}  # fmt: skip
    with LoopbackServer(parties.office.receive) as server:
        response = requests.post(server.url, data=envelope.payload, headers=headers, timeout=10)
    assert response.status_code == 422
    report = response.json()
    assert report["originalMessageId"] == envelope.message_id
    assert (report["errorCondition"], report["reason"]) == (SPOOFING, "signer-is-not-sender")
    [kept] = parties.office.store.refused()
    assert report["errorDescription"] == kept.refusal.description
    assert report["errorConditionData"] == dict(kept.refusal.condition_data)


# -- revocation status unavailable ------------------------------------------------------------

CRL_URL = "http://crl.invalid/dev.crl"


class RevocationSource:
    """The dev CA's CRL distribution point: down until `up` is set."""

    def __init__(self, pki: DevPki) -> None:
        self.crl = pki.crl.public_bytes(serialization.Encoding.DER)
        self.up = False
        self.asked = 0

    def __call__(self, url: str, body: bytes | None) -> bytes:
        self.asked += 1
        if not self.up or url != CRL_URL:
            raise OSError("connection refused")
        return self.crl


@pytest.fixture
def source(pki: DevPki) -> RevocationSource:
    return RevocationSource(pki)


def checked_parties(
    workdir: Path, pki: DevPki, source: RevocationSource, policy: RevocationPolicy
) -> Parties:
    """Office and portal where helsenorge.no signs with a certificate naming a CRL, which the
    office checks (under ``policy``) at `source`."""
    signing = pki.issue(f"hn-crl-signing-{uuid.uuid4().hex[:8]}", KeyPurpose.SIGNING,
                        crl_url=CRL_URL)  # fmt: skip
    resolver = InMemoryResolver()
    resolver.add(HN, KeyPurpose.SIGNING, signing.certificate)
    resolver.add(HN, KeyPurpose.ENCRYPTION, pki.helsenorge.encryption.certificate)
    resolver.add(OFFICE.her_id, KeyPurpose.SIGNING, pki.gp_office.signing.certificate)
    resolver.add(OFFICE.her_id, KeyPurpose.ENCRYPTION, pki.gp_office.encryption.certificate)
    checking = CertificateValidator(
        pki.trust_store(), revocation=RevocationChecker(policy=policy, fetch=source)
    )
    office, portal = pki.gp_office, pki.helsenorge
    office_channel = SecureChannel(
        Identity(OFFICE.her_id, office.signing.key, office.signing.certificate,
                 office.encryption.key, office.encryption.certificate),
        checking, resolver,
    )  # fmt: skip
    portal_channel = SecureChannel(
        Identity(HN, signing.key, signing.certificate, portal.encryption.key,
                 portal.encryption.certificate),
        CertificateValidator(pki.trust_store()), resolver,
    )  # fmt: skip
    journal = office_journal()
    parties, _ = make_parties(workdir, (office_channel, portal_channel), memory_adapter(journal),
                              journal)  # fmt: skip
    return parties


@pytest.fixture
def retry_later(tmp_path: Path, pki: DevPki, source: RevocationSource) -> Iterator[Parties]:
    parties = checked_parties(tmp_path, pki, source, RevocationPolicy.RETRY_LATER)
    yield parties
    parties.office.store.close()
    parties.portal.store.close()


def nothing_taken(parties: Parties, msg_id: str) -> None:
    store = parties.office.store
    assert store.received(HN, msg_id) is None
    assert (store.refused(), store.outbox()) == ([], [])
    assert parties.journal.inbox_items() == []


def test_revocation_unavailable_is_raised_to_the_caller_and_nothing_is_kept(
    retry_later: Parties, source: RevocationSource
) -> None:
    request = retry_later.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    envelope = retry_later.portal.send(request).envelope
    with pytest.raises(RevocationUnavailableError, match="unavailable") as info:
        retry_later.office.receive(envelope)
    assert info.value.retryable
    assert info.value.reason == "revocation-status-unavailable"
    assert source.asked >= 1
    nothing_taken(retry_later, request.msg_id)

    source.up = True  # the CRL can be fetched again: the same envelope now passes
    assert retry_later.office.receive(envelope).status is Status.ACCEPTED


def test_revocation_unavailable_in_process_is_deferred_by_the_sender(
    retry_later: Parties, source: RevocationSource
) -> None:
    request = retry_later.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    retry_later.portal.send(request)
    first = retry_later.portal.flush()
    assert first.deferred == [request.msg_id]
    [waiting] = retry_later.portal.store.outbox("pending")
    assert waiting.last_error is not None
    assert "unavailable" in waiting.last_error
    nothing_taken(retry_later, request.msg_id)

    source.up = True
    retry_later.clock.advance(60)
    retry_later.exchange()
    assert retry_later.portal.receipts_received[request.msg_id].is_ok
    assert [i.msg_id for i in retry_later.journal.inbox_items()] == [request.msg_id]


def test_revocation_unavailable_over_http_is_503_and_retried(
    retry_later: Parties, source: RevocationSource
) -> None:
    request = retry_later.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    retry_later.portal.send(request)
    with (
        LoopbackServer(retry_later.office.receive) as server,
        HttpTransport(server.url) as http,
    ):
        retry_later.portal.transport = http
        assert retry_later.portal.flush().deferred == [request.msg_id]
        [waiting] = retry_later.portal.store.outbox("pending")
        assert waiting.last_error is not None
        assert "503" in waiting.last_error
        nothing_taken(retry_later, request.msg_id)

        source.up = True
        retry_later.clock.advance(60)
        assert retry_later.portal.flush().sent == [request.msg_id]
    stored = retry_later.office.store.received(HN, request.msg_id)
    assert stored is not None


def test_revocation_unavailable_in_the_exchange_folder_is_put_back(
    retry_later: Parties, source: RevocationSource, tmp_path: Path
) -> None:
    request = retry_later.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    envelope = retry_later.portal.send(request).envelope
    exchange = tmp_path / "exchange"
    FolderTransport(exchange).send(envelope)
    inbox = FolderInbox(exchange, OFFICE.her_id)
    with pytest.raises(RevocationUnavailableError):
        inbox.poll(retry_later.office.receive)
    assert inbox.pending() == [envelope.message_id]  # put back, not in error/
    assert not (exchange / OFFICE.her_id / "error").exists()
    nothing_taken(retry_later, request.msg_id)

    source.up = True
    assert inbox.poll(retry_later.office.receive) == 1
    assert inbox.pending() == []
    assert retry_later.office.store.received(HN, request.msg_id) is not None


def test_revocation_unavailable_under_fail_closed_is_refused_and_kept(
    tmp_path: Path, pki: DevPki, source: RevocationSource
) -> None:
    parties = checked_parties(tmp_path, pki, source, RevocationPolicy.FAIL_CLOSED)
    request = parties.portal.services.contact.request(CITIZEN, GP, "Hei", "Tekst")
    envelope = parties.portal.send(request).envelope
    outcome = parties.office.receive(envelope)
    # HITS 1216 has no code for "unavailable": the nearest, revoked-certificate, with the
    # reason saying what it was.
    assert (outcome.status, outcome.code) == (Status.REFUSED, "transport:revoked-certificate")
    assert outcome.refusal is not None
    assert outcome.refusal.reason == "revocation-status-unavailable"
    assert "unavailable" in outcome.refusal.description
    [kept] = parties.office.store.refused()
    assert (kept.envelope, kept.refusal) == (envelope, outcome.refusal)
    parties.office.store.close()
    parties.portal.store.close()


def test_a_refused_envelope_queued_by_the_portal_is_not_retried(
    parties: Parties, pki: DevPki
) -> None:
    # The in-process wire carries the refusal back like the HTTP one: failed at once.
    envelope = spoofed(parties, pki)
    parties.portal.store.enqueue(Queued(envelope, b"<x/>"), now=parties.clock())
    assert parties.portal.flush().failed == [envelope.message_id]
    [failed] = parties.portal.store.outbox("failed")
    assert failed.last_error is not None
    assert SPOOFING in failed.last_error
    assert parties.portal.owes_notices is False
    assert parties.portal.store.owed_notices() == []
