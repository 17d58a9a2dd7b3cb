"""Exchange-folder primitives: whole-file writes, exclusive claims, an error folder with reasons.

Rules both sides follow: a file is written under a hidden temporary name, flushed to disk and then
renamed into place, so a reader never sees half a file; names starting with "." are never read; a
reader claims a file by creating `<name>.lock` exclusively (O_EXCL) before touching it, and a lock
older than the stale limit may be broken — by renaming it away first, so only one reader wins; a
breaker that finds it renamed a fresh lock (another breaker's, taken in between) puts it back. A
live owner touches its lock each time it claims the file again and before it acknowledges it, so
"stale" counts from its last sign of life, not from its first claim.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digidialog.errors import AdapterError, Location
from digidialog.files import write_atomic

IMPORT, EXPORT, ERROR, ARCHIVE = "import", "export", "error", "archive"


class Folders:
    """The folders under one root: import (to the journal), export (from it), error, archive."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.import_dir = root / IMPORT
        self.export_dir = root / EXPORT
        self.error_dir = root / ERROR
        self.archive_dir = root / ARCHIVE

    def create(self) -> Folders:
        for folder in (self.import_dir, self.export_dir, self.error_dir, self.archive_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def write_json(path: Path, payload: Any) -> None:
    write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1).encode())


def read_json(path: Path) -> Any:
    """The JSON in `path`; an `AdapterError` naming the file when it is not JSON."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdapterError(f"{path.name} is not JSON: {exc}", location=Location(str(path))) from exc


def visible(folder: Path, pattern: str) -> list[Path]:
    """Finished files matching `pattern` (hidden temporaries left out), sorted by name."""
    return sorted(p for p in folder.glob(pattern) if not p.name.startswith("."))


_DIGITS = re.compile(r"([0-9]+)")

#: Sorts a record without a `created` time after every record that has one.
_UNDATED = datetime.max.replace(tzinfo=UTC)

JournalOrder = tuple[bool, datetime, tuple[str | int, ...], str]


def natural_key(name: str) -> tuple[str | int, ...]:
    """`name` with its digit runs compared as numbers: `out-8` < `out-10` < `out-100`."""
    parts = _DIGITS.split(name)  # text, digits, text, digits, …: same kinds at same positions
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def journal_order(path: Path, created: datetime | None) -> JournalOrder:
    """Sort key of an export file: the journal's `created` time, then the name's sequence.

    Records the journal did not stamp (or that cannot be read) come after the stamped ones, in
    natural name order; a naive `created` is taken as this machine's local time.
    """
    when = _UNDATED if created is None else created.astimezone(UTC)
    return (created is None, when, natural_key(path.name), path.name)


def claim(path: Path, owner: str, *, stale_after: float) -> bool:
    """Take `path` for `owner`; True if it is now (or already was) ours."""
    lock = path.with_name(path.name + ".lock")
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                if _touch_if_ours(lock, owner):
                    return True
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue  # released meanwhile; try again
            if age < stale_after:
                return False
            broken = lock.with_name(f".{lock.name}.{uuid.uuid4().hex}.stale")
            try:
                os.rename(lock, broken)  # only one breaker can win this rename
            except FileNotFoundError:
                continue
            if _is_fresh(broken, stale_after):
                # Another reader broke the stale lock and took the file between our look and our
                # rename: we moved *its* live lock. Put it back (unless a third took the name).
                _put_back(broken, lock)
                broken.unlink(missing_ok=True)
                return False
            broken.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(owner)
        return True
    return False


def refresh(path: Path, owner: str) -> bool | None:
    """Touch `owner`'s claim on `path` so it is not stale: True if it was ours, False if another
    reader holds it, None if nobody does."""
    lock = path.with_name(path.name + ".lock")
    try:
        if _touch_if_ours(lock, owner):
            return True
        lock.stat()
    except FileNotFoundError:
        return None
    return False


def _touch_if_ours(lock: Path, owner: str) -> bool:
    """Set the lock's time to now if `owner` holds it; True if it still does after the touch.

    Touch, then look again: a breaker renames a lock away only after finding it stale, and puts
    back one it finds fresh, so a lock that still names us after the touch cannot be broken for
    another `stale_after`. FileNotFoundError when the lock is gone (released or being broken).
    """
    if lock.read_text() != owner:
        return False
    os.utime(lock)
    return lock.read_text() == owner


def _put_back(moved: Path, lock: Path) -> None:
    """Restore a lock moved away by mistake, unless the name was taken again meanwhile."""
    try:
        os.link(moved, lock)  # atomic, and fails if the name exists
    except FileExistsError:
        pass
    except OSError:  # a share without hard links: by name (a narrow race remains there)
        if not lock.exists():
            with contextlib.suppress(OSError):
                os.rename(moved, lock)


def _is_fresh(lock: Path, stale_after: float) -> bool:
    try:
        return time.time() - lock.stat().st_mtime < stale_after
    except FileNotFoundError:
        return False


def release(path: Path) -> None:
    """Remove `path` and its lock (the claimed work is done)."""
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".lock").unlink(missing_ok=True)


def move_to_error(path: Path, folders: Folders, reason: str) -> Path:
    """Move a file that cannot be handled to the error folder with `<name>.reason.txt` beside it."""
    target = folders.error_dir / path.name
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, target)
    write_atomic(target.with_name(target.name + ".reason.txt"), (reason + "\n").encode())
    path.with_name(path.name + ".lock").unlink(missing_ok=True)
    return target
