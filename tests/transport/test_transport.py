"""Transports move bytes and metadata unchanged; folder and HTTP with real files and sockets."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from digidialog.transport import (
    CMS_CONTENT_TYPE,
    Envelope,
    FolderInbox,
    FolderTransport,
    HttpTransport,
    InProcessTransport,
    LoopbackServer,
    MockTransport,
    Refusal,
    TransportError,
    refusal_of,
    write_atomic,
)


def envelope(payload: bytes = b"\x30\x82\x00\x01binary\x00", receiver: str = "8094866") -> Envelope:
    return Envelope(
        payload=payload,
        sender="8142987",
        receiver=receiver,
        content_type=CMS_CONTENT_TYPE,
        message_id=str(uuid.uuid4()),
        subject="DIALOG_INNBYGGER_EKONTAKT",
    )


def test_envelope_refuses_bad_metadata() -> None:
    with pytest.raises(TransportError, match="HER-id"):
        Envelope(b"x", sender="abc", receiver="1", content_type="a/b", message_id="m1")
    with pytest.raises(TransportError, match="file-name safe"):
        Envelope(b"x", sender="1", receiver="2", content_type="a/b", message_id="../etc/passwd")
    with pytest.raises(TransportError, match="content type"):
        Envelope(b"x", sender="1", receiver="2", content_type="a/b\r\nX: y", message_id="m1")
    with pytest.raises(TransportError, match="subject"):
        Envelope(
            b"x", sender="1", receiver="2", content_type="a/b", message_id="m1", subject="A\nB"
        )


def test_sealed_follows_content_type() -> None:
    assert envelope().sealed
    plain = Envelope(
        b"<a/>", sender="1", receiver="2", content_type="application/xml", message_id="m"
    )
    assert not plain.sealed


def test_mock_transport_hands_over_and_wraps_failures() -> None:
    got: list[Envelope] = []
    env = envelope()
    MockTransport(got.append).send(env)
    assert got == [env]

    def broken(_: Envelope) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(TransportError, match="disk full") as info:
        MockTransport(broken).send(env)
    assert info.value.retryable


def test_in_process_routes_by_receiver() -> None:
    a: list[Envelope] = []
    b: list[Envelope] = []
    transport = InProcessTransport()
    transport.register("1001", a.append)
    transport.register("1002", b.append)
    transport.send(envelope(receiver="1002"))
    assert (len(a), len(b)) == (0, 1)
    with pytest.raises(TransportError, match="no receiver") as info:
        transport.send(envelope(receiver="9999"))
    assert info.value.retryable


def test_folder_round_trip_with_real_files(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    folder = tmp_path / env.receiver
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{env.message_id}.bin", f"{env.message_id}.json"]
    )
    assert json.loads((folder / f"{env.message_id}.json").read_text())["sender"] == env.sender

    got: list[Envelope] = []
    inbox = FolderInbox(tmp_path, env.receiver)
    assert inbox.poll(got.append) == 1
    assert got == [env]
    assert list(folder.iterdir()) == []
    assert inbox.poll(got.append) == 0


def test_folder_payload_without_marker_is_not_read(tmp_path: Path) -> None:
    # A writer that crashed between payload and marker leaves only the .bin: not an envelope yet.
    (tmp_path / "8094866").mkdir()
    (tmp_path / "8094866" / "half.bin").write_bytes(b"partial")
    got: list[Envelope] = []
    assert FolderInbox(tmp_path, "8094866").poll(got.append) == 0
    assert got == []


def test_folder_failed_handler_puts_envelope_back(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    inbox = FolderInbox(tmp_path, env.receiver)

    def refuse(_: Envelope) -> None:
        raise OSError("journal down")

    with pytest.raises(OSError, match="journal down"):
        inbox.poll(refuse)
    assert inbox.pending() == [env.message_id]
    got: list[Envelope] = []
    assert inbox.poll(got.append) == 1
    assert got == [env]


def test_folder_two_readers_never_take_the_same_envelope(tmp_path: Path) -> None:
    transport = FolderTransport(tmp_path)
    sent = [envelope() for _ in range(40)]
    for env in sent:
        transport.send(env)
    taken: list[str] = []
    lock = threading.Lock()

    def take(env: Envelope) -> None:
        with lock:
            taken.append(env.message_id)

    failures: list[BaseException] = []

    def read() -> None:
        try:
            FolderInbox(tmp_path, "8094866").poll(take)
        except BaseException as exc:
            failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert failures == []
    assert sorted(taken) == sorted(e.message_id for e in sent)


def test_folder_unreadable_envelope_goes_to_error_folder(tmp_path: Path) -> None:
    folder = tmp_path / "8094866"
    folder.mkdir()
    (folder / "bad.json").write_text("{not json")
    (folder / "bad.bin").write_bytes(b"x")
    good = envelope()
    FolderTransport(tmp_path).send(good)
    got: list[Envelope] = []
    assert FolderInbox(tmp_path, "8094866").poll(got.append) == 1
    assert got == [good]
    assert (folder / "error" / "bad.json").exists()
    assert "unreadable" in (folder / "error" / "bad.reason.txt").read_text()


def test_folder_unwritable_root_is_retryable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")  # the exchange root is a file: every write fails with OSError
    with pytest.raises(TransportError, match="cannot write") as info:
        FolderTransport(blocker).send(envelope())
    assert info.value.retryable


def test_http_round_trip_over_loopback() -> None:
    got: list[Envelope] = []
    env = envelope(payload=bytes(range(256)) * 100)
    with LoopbackServer(got.append) as server, HttpTransport(server.url) as transport:
        transport.send(env)
    assert got == [env]


def test_http_handler_failure_is_retryable_503() -> None:
    def refuse(_: Envelope) -> None:
        raise RuntimeError("store locked")

    with (
        LoopbackServer(refuse) as server,
        HttpTransport(server.url) as transport,
        pytest.raises(TransportError, match="503") as info,
    ):
        transport.send(envelope())
    assert info.value.retryable


def test_http_bad_headers_are_400_not_retryable() -> None:
    import requests

    with LoopbackServer(lambda _: None) as server:
        response = requests.post(
            server.url, data=b"x", headers={"X-Digidialog-From": "abc"}, timeout=5
        )
    assert response.status_code == 400


def test_http_nobody_listening_is_retryable() -> None:
    server = LoopbackServer(lambda _: None)
    url = server.url
    server.stop()  # port now closed
    with pytest.raises(TransportError) as info:
        HttpTransport(url, timeout=2).send(envelope())
    assert info.value.retryable


def test_folder_claim_of_a_dead_reader_is_put_back(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    folder = tmp_path / env.receiver
    # A reader claimed it and died before its handler finished: only the claim is left.
    claim = folder / f"{env.message_id}.json.claimed-999999-deadbeef"
    os.rename(folder / f"{env.message_id}.json", claim)
    got: list[Envelope] = []
    inbox = FolderInbox(tmp_path, env.receiver, stale_claim_after=60)
    assert inbox.poll(got.append) == 0  # a fresh claim may be a reader still at work
    assert claim.exists()
    old = time.time() - 61
    os.utime(claim, (old, old))
    assert inbox.poll(got.append) == 1
    assert got == [env]
    assert list(folder.iterdir()) == []


def test_folder_claim_of_a_reader_that_finished_is_just_removed(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    folder = tmp_path / env.receiver
    # The reader handled it and removed the payload, then died before removing its claim.
    claim = folder / f"{env.message_id}.json.claimed-999999-deadbeef"
    os.rename(folder / f"{env.message_id}.json", claim)
    (folder / f"{env.message_id}.bin").unlink()
    old = time.time() - 3600
    os.utime(claim, (old, old))
    got: list[Envelope] = []
    assert FolderInbox(tmp_path, env.receiver, stale_claim_after=60).poll(got.append) == 0
    assert got == []
    assert list(folder.iterdir()) == []  # no second delivery, nothing in error/


def test_folder_claim_is_aged_from_the_claim_not_the_write(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    folder = tmp_path / env.receiver
    old = time.time() - 3600
    os.utime(folder / f"{env.message_id}.json", (old, old))  # written long ago
    inbox = FolderInbox(tmp_path, env.receiver, stale_claim_after=60)
    other = FolderInbox(tmp_path, env.receiver, stale_claim_after=60)

    def slow(_: Envelope) -> None:
        # While this reader is at work, another one polls: the claim is fresh, not stale.
        assert other.poll(lambda e: pytest.fail(f"taken twice: {e.message_id}")) == 0

    assert inbox.poll(slow) == 1


def test_write_atomic_syncs_the_data_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A crash can only be simulated by watching the order of the durable steps: the data must be
    # on disk before the name appears, and the folder entry synced after the rename.
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "fsync-file")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(tmp_path / "f.bin", b"data")
    assert events == ["fsync-file", "replace", "fsync-dir"]


def test_folder_payload_over_the_cap_is_moved_aside_unread(tmp_path: Path) -> None:
    # A payload larger than the inbox reads (a runaway writer, a device): moved aside with
    # the reason (error/), never read into memory; the next envelope is read as usual.
    big, small = envelope(), envelope()
    transport = FolderTransport(tmp_path)
    transport.send(big)
    folder = tmp_path / big.receiver
    with (folder / f"{big.message_id}.bin").open("r+b") as payload:
        payload.truncate(1 << 40)  # sparse: reading it would need a terabyte
    transport.send(small)
    got: list[Envelope] = []
    assert FolderInbox(tmp_path, big.receiver, max_payload=1024).poll(got.append) == 1
    assert got == [small]
    reason = (folder / "error" / f"{big.message_id}.reason.txt").read_text()
    assert "over the limit of 1024 bytes" in reason


REFUSAL = Refusal(
    "transport:invalid-signature",
    "Digital signature could not be verified",
    "invalid",
    {"thumbprint": "AB12"},
)


def refusing(_: Envelope) -> object:
    """A handler that keeps the envelope but refuses it for good (as the pipeline's `Outcome`
    does, through its ``refusal``)."""

    class Result:
        refusal = REFUSAL

    return Result()


def test_refusal_report_round_trips_and_is_found_on_a_result() -> None:
    report = json.loads(REFUSAL.to_json("m-1"))
    assert report == {
        "originalMessageId": "m-1",
        "errorCondition": "transport:invalid-signature",
        "errorDescription": "Digital signature could not be verified",
        "errorConditionData": {"thumbprint": "AB12"},
        "reason": "invalid",
    }
    assert Refusal.from_json(REFUSAL.to_json("m-1")) == REFUSAL
    assert Refusal.from_json(b"not json") is None
    assert Refusal.from_json(b'{"error": "x"}') is None
    assert Refusal.from_json(b"[1]") is None
    assert refusal_of(refusing(envelope())) == REFUSAL
    assert refusal_of(REFUSAL) == REFUSAL
    assert refusal_of(None) is None
    assert refusal_of(object()) is None


def test_mock_transport_raises_a_refusal_as_final_with_its_code() -> None:
    with pytest.raises(TransportError, match="invalid-signature") as info:
        MockTransport(refusing).send(envelope())
    assert not info.value.retryable
    assert info.value.code == "transport:invalid-signature"


def test_http_refusal_is_422_and_final_with_its_code() -> None:
    import requests

    env = envelope()
    with LoopbackServer(refusing) as server:
        with HttpTransport(server.url) as transport, pytest.raises(TransportError) as info:
            transport.send(env)
        response = requests.post(
            server.url,
            data=env.payload,
            headers={"X-Digidialog-From": env.sender, "X-Digidialog-To": env.receiver,
                     "X-Digidialog-Message-Id": env.message_id,
                     "Content-Type": env.content_type},
            timeout=5,
        )  # fmt: skip
    assert not info.value.retryable
    assert info.value.code == "transport:invalid-signature"
    assert "refused envelope" in str(info.value)
    assert "transport:invalid-signature: Digital signature could not be verified" in str(info.value)
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/json")
    assert Refusal.from_json(response.content) == REFUSAL
    assert response.json()["originalMessageId"] == env.message_id


def test_folder_refused_envelope_goes_to_error_folder_with_the_code(tmp_path: Path) -> None:
    env = envelope()
    FolderTransport(tmp_path).send(env)
    inbox = FolderInbox(tmp_path, env.receiver)
    assert inbox.poll(refusing) == 1  # taken (the handler kept it), not deleted
    assert inbox.pending() == []
    errors = tmp_path / env.receiver / "error"
    assert (errors / f"{env.message_id}.bin").read_bytes() == env.payload
    assert json.loads((errors / f"{env.message_id}.json").read_text())["message_id"] == (
        env.message_id
    )
    reason = (errors / f"{env.message_id}.reason.txt").read_text()
    assert reason == (
        "refused transport:invalid-signature (invalid): Digital signature could not be verified"
    )
    assert inbox.poll(refusing) == 0
