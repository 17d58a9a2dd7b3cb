"""Durable file writes: readers see the old file or all of the new one, never half of it.

A temporary file in the same folder is written and fsync'd, renamed over the target, and the
folder is fsync'd so the rename survives a crash. On any failure (disk full, Ctrl-C) the temporary
file is removed and an existing target is left untouched. The folder must exist.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically and durably; ``mode`` sets the file's permissions.

    Raises `OSError` as the file system does; callers turn it into their own error.
    """
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
