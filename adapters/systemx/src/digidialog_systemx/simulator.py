"""A SystemX look-alike: a thread that watches the import folder and answers like the journal.

It takes each finished request file (renaming it into `archive/` is its claim), answers it from a
`MemoryJournal`, and writes the receipt whole into `export/`; for the outbox and renewal decisions
it drops one file per pending record. Faults: while down it reads nothing (requests wait, callers
time out and withdraw them); an unavailable call gets an "unavailable" receipt; a stalled call is
done and its receipt written late.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from digidialog.adapters.faults import FaultKind, Faults
from digidialog.adapters.memory import demo_journal
from digidialog.adapters.ports import JournalRefusal
from digidialog.adapters.rpc import serve
from digidialog.adapters.simulator import Simulator, SimulatorOptions
from digidialog.errors import AdapterError
from digidialog_systemx.client import EXPORTED
from digidialog_systemx.folders import Folders, move_to_error, read_json, visible, write_json

POLL_INTERVAL = 0.02
"""How often the simulator looks into the import folder unless `SimulatorOptions` says."""


class SystemXSimulator(Simulator):
    """SystemX's exchange folders under `root`, served by a polling thread."""

    name = "systemx"

    def __init__(self, options: SimulatorOptions) -> None:
        self.journal = options.journal or demo_journal()
        self.faults = Faults()
        self._tmp = None if options.workdir else tempfile.mkdtemp(prefix="systemx-")
        self.folders = Folders(options.workdir or Path(self._tmp or ".")).create()
        self.handled = 0  # request files taken, whatever their outcome
        self.poll_interval = options.poll_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return str(self.folders.root)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="systemx-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def adapter_config(self) -> Mapping[str, Any]:
        config: dict[str, Any] = {"root": str(self.folders.root)}
        if self.poll_interval is not None:  # the adapter waits for receipts at the same pace
            config["poll_interval"] = self.poll_interval
        return config

    def _run(self) -> None:
        interval = POLL_INTERVAL if self.poll_interval is None else self.poll_interval
        while not self._stop.wait(interval):
            self.poll_once()

    def poll_once(self) -> None:
        """Answer every request file waiting in the import folder (nothing while down)."""
        if self.faults.down:
            return
        for path in visible(self.folders.import_dir, "*.request.json"):
            self._handle(path)

    def _handle(self, path: Path) -> None:
        taken = self.folders.archive_dir / path.name
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            return  # withdrawn by the caller meanwhile
        self.handled += 1
        request_id = path.name.removesuffix(".request.json")
        fault = self.faults.next()
        try:
            request = read_json(taken)
            operation, body = request["operation"], request["body"]
        except (AdapterError, KeyError, TypeError) as exc:
            move_to_error(taken, self.folders, f"unreadable request: {exc}")
            receipt: dict[str, Any] = {"status": "error", "message": f"unreadable request: {exc}"}
        else:
            receipt = self._answer(operation, body, fault.kind)
        receipt["request"] = request_id
        time.sleep(fault.delay)
        write_json(self.folders.export_dir / f"{request_id}.receipt.json", receipt)

    def _answer(self, operation: str, body: Any, fault: FaultKind) -> dict[str, Any]:
        if fault is FaultKind.UNAVAILABLE:
            return {"status": "unavailable", "message": "SystemX is busy; try again later"}
        try:
            result = serve(self.journal, operation, body)
        except JournalRefusal as exc:
            return {"status": "refused", "reason": exc.reason.value, "message": exc.message}
        if operation in EXPORTED:
            prefix, _ = EXPORTED[operation]
            for record in result:
                target = self.folders.export_dir / f"{prefix}-{record['id']}.json"
                if not target.exists():
                    write_json(target, record)
            result = None
        return {"status": "ok", "body": result}


def create_simulator(options: SimulatorOptions) -> SystemXSimulator:
    return SystemXSimulator(options)
