"""Exchange folders: envelopes as real files, written atomically, claimed by exactly one reader.

Layout under ``root``: one folder per receiver HER-id. An envelope is two files named by its
message id: ``<id>.bin`` (the payload bytes) and ``<id>.json`` (routing metadata). Both are written
to a temporary name, fsync'd and renamed into place, payload first: the ``.json`` file appears last
and is the commit marker, so a reader never sees half an envelope. A reader claims an envelope by
renaming its ``.json`` file (rename is atomic, so two readers never take the same one); after its
handler returns, the files are removed. If the handler raises, the claim is undone and the envelope
is there for the next poll. A claim left by a reader that died while handling (older than
``stale_claim_after``) is put back by the next poll, so a crash never strands an envelope.
An envelope that cannot be read at all is moved to ``error/`` beside a ``<id>.reason.txt``, and
so is one the handler kept but refused for good (a `Refusal`: a transport security error), its
reason file naming the transport error code, so a person can see and answer it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path

from digidialog.errors import Location
from digidialog.files import read_bounded, write_atomic
from digidialog.transport.base import (
    BaseTransport,
    Envelope,
    Handler,
    TransportError,
    refusal_of,
)

_META = ".json"
_PAYLOAD = ".bin"
MAX_PAYLOAD = 64 * 1024 * 1024
"""The largest payload a `FolderInbox` reads (a sealed 50 MB message and then some); a larger
one, like an unreadable one, is moved aside with the reason instead of filling memory."""
_MAX_META = 64 * 1024
_CLAIM = ".claimed"
_ERRORS = "error"

log = logging.getLogger(__name__)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderTransport(BaseTransport):
    """Sends by writing the envelope into ``root/<receiver HER-id>/``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def send(self, envelope: Envelope) -> None:
        folder = self.root / envelope.receiver
        meta = {
            "sender": envelope.sender,
            "receiver": envelope.receiver,
            "content_type": envelope.content_type,
            "message_id": envelope.message_id,
            "subject": envelope.subject,
        }
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(folder / f"{envelope.message_id}{_PAYLOAD}", envelope.payload)
            write_atomic(folder / f"{envelope.message_id}{_META}", json.dumps(meta).encode("utf-8"))
        except OSError as exc:
            raise TransportError(
                f"cannot write envelope {envelope.message_id} to {folder}: {exc}",
                retryable=True,
                location=Location(str(folder)),
                hint="check that the exchange folder exists, is writable and has space",
            ) from exc


class FolderInbox:
    """The receiving side of `FolderTransport` for one party (HER-id)."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        her_id: str,
        *,
        stale_claim_after: float = 600.0,
        max_payload: int = MAX_PAYLOAD,
    ) -> None:
        self.folder = Path(root) / her_id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_payload = max_payload
        self.stale_claim_after = stale_claim_after
        """Seconds after which a claim is taken to be a dead reader's and is put back; longer
        than any handler runs (a handler that does run longer may see its envelope twice, which
        the pipeline's deduplication absorbs)."""

    def recover_stale_claims(self) -> list[str]:
        """Put back the envelopes claimed longer than `stale_claim_after` ago (their reader died
        mid-handling); return their message ids."""
        recovered = []
        now = time.time()
        for claim in self.folder.glob(f"*{_META}{_CLAIM}-*"):
            try:
                if now - claim.stat().st_mtime < self.stale_claim_after:
                    continue
            except FileNotFoundError:
                continue  # finished or recovered meanwhile
            message_id = claim.name.split(f"{_META}{_CLAIM}-", 1)[0]
            meta = self.folder / f"{message_id}{_META}"
            try:
                if not (self.folder / f"{message_id}{_PAYLOAD}").exists():
                    claim.unlink()  # the reader finished (payload removed) and died tidying up
                    continue
                if meta.exists():  # sent again meanwhile: that copy is the one to read
                    claim.unlink()
                else:
                    os.rename(claim, meta)
            except FileNotFoundError:
                continue  # another reader recovered it first
            log.warning("put back envelope %s, claimed by a reader that did not finish",
                        message_id)  # fmt: skip
            recovered.append(message_id)
        return recovered

    def pending(self) -> list[str]:
        """Message ids of the complete, unclaimed envelopes, oldest first."""
        found: list[tuple[int, str]] = []
        for path in self.folder.glob(f"*{_META}"):
            try:
                found.append((path.stat().st_mtime_ns, path.name[: -len(_META)]))
            except FileNotFoundError:
                continue  # claimed by another reader meanwhile
        return [name for _, name in sorted(found)]

    def poll(self, handler: Handler) -> int:
        """Hand every waiting envelope to ``handler``; return how many it took.

        An envelope whose handler raises is put back and the exception propagates, so the caller
        sees the failure and the envelope is not lost. One the handler took but refused for good
        (its result reports a `Refusal`) is counted as taken and moved to ``error/`` with the
        refusal as its reason, not deleted.
        """
        taken = 0
        self.recover_stale_claims()
        for message_id in self.pending():
            envelope, claim = self._claim(message_id)
            if envelope is None or claim is None:
                continue  # another reader was quicker
            try:
                result = handler(envelope)
            except BaseException:
                os.replace(claim, self.folder / f"{message_id}{_META}")
                raise
            taken += 1
            refusal = refusal_of(result)
            if refusal is not None:
                reason = f"refused {refusal.code}"
                if refusal.reason:
                    reason += f" ({refusal.reason})"
                self._quarantine(message_id, claim, f"{reason}: {refusal.description}")
                _fsync_dir(self.folder)
                continue
            (self.folder / f"{message_id}{_PAYLOAD}").unlink(missing_ok=True)
            claim.unlink(missing_ok=True)
            _fsync_dir(self.folder)
        return taken

    def _claim(self, message_id: str) -> tuple[Envelope | None, Path | None]:
        meta_path = self.folder / f"{message_id}{_META}"
        claim = self.folder / f"{message_id}{_META}{_CLAIM}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(meta_path, claim)
        except FileNotFoundError:
            return None, None
        with contextlib.suppress(OSError):
            os.utime(claim)  # the claim's age counts from now (rename keeps the writer's time)
        try:
            meta = json.loads(read_bounded(claim, _MAX_META))
            payload = read_bounded(self.folder / f"{message_id}{_PAYLOAD}", self.max_payload)
            envelope = Envelope(
                payload=payload,
                sender=str(meta["sender"]),
                receiver=str(meta["receiver"]),
                content_type=str(meta["content_type"]),
                message_id=str(meta["message_id"]),
                subject=str(meta.get("subject", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, TransportError) as exc:
            self._quarantine(message_id, claim, f"unreadable envelope: {exc}")
            return None, None
        return envelope, claim

    def _quarantine(self, message_id: str, claim: Path, reason: str) -> None:
        # A broken pair would fail every poll; move it aside with the reason so a person can look.
        errors = self.folder / _ERRORS
        errors.mkdir(exist_ok=True)
        os.replace(claim, errors / f"{message_id}{_META}")
        payload = self.folder / f"{message_id}{_PAYLOAD}"
        if payload.exists():
            os.replace(payload, errors / f"{message_id}{_PAYLOAD}")
        write_atomic(errors / f"{message_id}.reason.txt", reason.encode("utf-8"))
        log.warning("moved envelope %s to %s: %s", message_id, errors, reason)
