"""The SystemX (HOVE) adapter: the ports over our model of SystemX's exchange folders.

See docs/vendors/systemx.md. Each port call is a request file written whole into `import/` and a
receipt the journal writes into `export/` (`<id>.request.json` → `<id>.receipt.json`). Messages the
office sends (replies, Avtaleutsending, renewal decisions) arrive as one file each in `export/`;
readers claim them with lock files, so two adapters on one folder never take the same message, and
hand them on in the journal's order (`created`, then the id's sequence), not the folders' order.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from digidialog.adapters import wire
from digidialog.adapters.capabilities import Capabilities
from digidialog.adapters.config import AdapterConfig
from digidialog.adapters.ports import (
    Adapter,
    OutgoingMessage,
    RenewalDecision,
    refusal_or_error,
)
from digidialog.adapters.rpc import rpc_adapter
from digidialog.errors import AdapterError, JournalUnavailableError, Location
from digidialog_systemx.folders import (
    Folders,
    claim,
    journal_order,
    move_to_error,
    read_json,
    refresh,
    release,
    visible,
    write_json,
)

log = logging.getLogger(__name__)

#: Operations whose results the journal drops as one file each: operation → (file prefix, type).
EXPORTED: Mapping[str, tuple[str, type[Any]]] = {
    "inbox.outgoing": ("out", OutgoingMessage),
    "renewals.outcomes": ("renewal", RenewalDecision),
}
#: Acknowledgements release the acknowledged export file: operation → (file prefix, id argument).
RELEASES: Mapping[str, tuple[str, str]] = {
    "inbox.acknowledge": ("out", "outgoing_id"),
    "renewals.acknowledge": ("renewal", "decision_id"),
}

CAPABILITIES = Capabilities(
    versions={"Dialogmelding": ("1.0", "1.1"), "AppRec": ("1.0",)},
    features=frozenset({"exchange-folders", "avtaleutsending", "m1-passthrough"}),
)
CONFIG_KEYS = ("root", "timeout", "poll_interval", "lock_timeout")


@dataclass(frozen=True, slots=True)
class _Export:
    """One export file as read: its JSON and `created` time, or why it cannot be used."""

    path: Path
    data: Any = None
    created: datetime | None = None
    problem: AdapterError | None = None


class SystemXClient:
    """Talks to SystemX through the exchange folders under `root`."""

    def __init__(
        self,
        root: Path,
        *,
        timeout: float = 30.0,
        poll_interval: float = 0.2,
        lock_timeout: float = 300.0,
    ) -> None:
        self.folders = Folders(root).create()
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.lock_timeout = lock_timeout
        self.owner = f"{uuid.uuid4().hex}"  # this reader's name in lock files

    def call(self, operation: str, args: dict[str, Any]) -> Any:
        """Write the request, wait for its receipt, and answer as the journal did."""
        if operation in RELEASES:
            prefix, key = RELEASES[operation]
            self._keep_claim(self.folders.export_dir / f"{prefix}-{args[key]}.json")
        request_id = uuid.uuid4().hex
        request = self.folders.import_dir / f"{request_id}.request.json"
        write_json(
            request,
            {
                "request": request_id,
                "operation": operation,
                "body": args,
                "written": datetime.now(UTC).isoformat(),
            },
        )
        receipt = self._await(request_id, request, operation)
        status = receipt.get("status")
        where = Location(str(self.folders.export_dir / f"{request_id}.receipt.json"))
        message = f"SystemX {operation}: {receipt.get('message') or status}"
        if status == "ok":
            if operation in EXPORTED:
                return self._collect(*EXPORTED[operation], limit=int(args.get("limit", 100)))
            if operation in RELEASES:
                prefix, key = RELEASES[operation]
                release(self.folders.export_dir / f"{prefix}-{args[key]}.json")
            return receipt.get("body")
        if status == "unavailable":
            raise JournalUnavailableError(message, location=where)
        reason = str(receipt.get("reason")) if status == "refused" else None
        raise refusal_or_error(message, reason, location=where)

    def _await(self, request_id: str, request: Path, operation: str) -> dict[str, Any]:
        path = self.folders.export_dir / f"{request_id}.receipt.json"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    receipt = read_json(path)
                except AdapterError as exc:
                    move_to_error(path, self.folders, exc.message)
                    raise
                path.unlink(missing_ok=True)
                if not isinstance(receipt, dict):
                    raise AdapterError(f"receipt {path.name} is not an object")
                return receipt
            time.sleep(self.poll_interval)
        try:
            request.unlink()  # withdraw: the journal never saw it
            late = ""
        except FileNotFoundError:
            late = "; the journal took the request and may still answer it"
        raise JournalUnavailableError(
            f"SystemX did not answer {operation} within {self.timeout:g}s{late}",
            location=Location(str(request)),
            hint="is SystemX running and reading its import folder? the message is kept",
        )

    def _keep_claim(self, path: Path) -> None:
        """Touch our claim on `path` before acknowledging it, so it stays ours while we wait."""
        if refresh(path, self.owner) is False:
            log.warning(
                "SystemX: acknowledging %s, which another reader has claimed meanwhile (ours went "
                "stale after lock_timeout=%gs): it may be sent twice",
                path.name,
                self.lock_timeout,
            )

    def _collect(self, prefix: str, kind: type[Any], *, limit: int) -> list[Any]:
        """Claim up to `limit` export files of one kind, in the journal's order.

        The journal's order is the records' `created` time, then the natural order of the file
        names (`out-8` before `out-10`); the files are read once unclaimed to sort them and again
        once claimed. An unreadable one goes to the error folder (with a reason naming the record),
        is logged as a warning, and does not hold up the others.
        """
        peeked = (self._peek(path, kind) for path in self._exports(prefix))
        exports = sorted(
            (e for e in peeked if e is not None), key=lambda e: journal_order(e.path, e.created)
        )
        taken: list[Any] = []
        for export in exports:
            if len(taken) >= limit:
                break
            path = export.path
            if not claim(path, self.owner, stale_after=self.lock_timeout):
                continue
            current = self._peek(path, kind)  # what we hold now, not what we saw unclaimed
            if current is None:  # acknowledged or moved away meanwhile: drop our fresh lock
                release(path)
                continue
            if current.problem is not None:
                self._reject(current, current.problem, prefix)
                continue
            taken.append(current.data)
        return taken

    def _exports(self, prefix: str) -> list[Path]:
        return visible(self.folders.export_dir, f"{prefix}-*.json")

    def _peek(self, path: Path, kind: type[Any]) -> _Export | None:
        """Read and decode one export file; None when it is gone."""
        try:
            data = read_json(path)
        except AdapterError as exc:
            return _Export(path, problem=exc)
        except FileNotFoundError:
            return None
        try:
            record = wire.load(kind, data, source=str(path))
        except AdapterError as exc:
            return _Export(path, data, problem=exc)
        return _Export(path, data, getattr(record, "created", None))

    def _reject(self, export: _Export, problem: AdapterError, prefix: str) -> None:
        """Move an unreadable record to `error/`, with a reason file naming it, and log it."""
        record_id = _record_id(export, prefix)
        hint = f" ({problem.hint})" if problem.hint else ""
        target = move_to_error(
            export.path,
            self.folders,
            f"record {record_id} ({export.path.name}) was not taken: {problem.message}{hint}",
        )
        log.warning(
            "SystemX: export record %s (%s) cannot be read and is not taken; moved to %s "
            "with %s.reason.txt: %s",
            record_id,
            export.path.name,
            target.parent,
            target.name,
            problem.message,
        )

    def close(self) -> None:
        """Nothing is held open between calls; claims stay until acknowledged or stale."""


def _record_id(export: _Export, prefix: str) -> str:
    """The journal's id of an export file: the `id` inside it if it has one, else from its name."""
    data = export.data
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
        return str(data["id"])
    return export.path.name.removeprefix(f"{prefix}-").removesuffix(".json")


def create_adapter(config: Mapping[str, Any]) -> Adapter:
    """Build the SystemX adapter for the exchange folders under `root`."""
    cfg = AdapterConfig("systemx", config)
    client = SystemXClient(
        cfg.path("root"),
        timeout=cfg.number("timeout", 30.0),
        poll_interval=cfg.number("poll_interval", 0.2),
        lock_timeout=cfg.number("lock_timeout", 300.0),
    )
    return rpc_adapter(
        client.call,
        name="systemx",
        vendor="HOVE",
        version=version("digidialog-systemx"),
        capabilities=CAPABILITIES,
        on_close=client.close,
    )
