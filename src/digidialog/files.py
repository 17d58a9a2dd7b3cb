"""Files in and out: durable writes, bounded reads, and file names safe to print.

`write_atomic`: readers see the old file or all of the new one, never half of it. A temporary file
in the same folder is written and fsync'd, renamed over the target, and the folder is fsync'd so
the rename survives a crash. On any failure (disk full, Ctrl-C) the temporary file is removed and
an existing target is left untouched. The folder must exist.

`write_output`: what a command's ``-o OUT`` does. A regular file (or a new path) is written with
`write_atomic`, keeping the file's permissions; a symlink writes the file it points to (the link
stays); a device or FIFO (``/dev/null``, a pipe) is written straight into, never replaced.

`read_bounded` / `read_stream_bounded`: at most ``limit`` bytes, so ``/dev/zero`` or a huge file
ends in `InputTooLargeError` instead of filling memory.

`display_name`: a path as text that prints, and fits into JSON and XML, whatever bytes it holds.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import IO

_READ_SIZE = 1 << 20


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically and durably; ``mode`` sets the file's permissions.

    The temporary file is created with mode 0600, so the data is never readable by others before
    ``mode`` is applied. A symlink at ``path`` is replaced, not followed. Raises `OSError` as the
    file system does; callers turn it into their own error.
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
    fsync_folder(target.parent)


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make renames and new entries in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def default_file_mode() -> int:
    """What a new file gets from `open`: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a command's output to ``path``: all or nothing for files, straight into devices.

    What ``path`` names (links followed) decides: a regular file, or nothing yet, is written
    with `write_atomic` at its real path (`os.path.realpath`), so a symlink writes its target and
    stays a link; an existing file keeps its permissions, a new one gets those `open` would give.
    Anything else that exists — a character device such as ``/dev/null``, a FIFO — is opened and
    written as it is, never replaced by a regular file. A directory raises `IsADirectoryError`.
    Raises `OSError` as the file system does.
    """
    given = os.fspath(path)
    try:
        info: os.stat_result | None = os.stat(given)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), given)
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(given, data)  # opened by the name given: /proc/self/fd/1 works too
        return
    mode = stat.S_IMODE(info.st_mode) if info is not None else default_file_mode()
    write_atomic(os.path.realpath(given), data, mode=mode)


def is_terminal(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a terminal (``/dev/tty``, a pty): only character devices are opened
    to ask, so FIFOs and files are never touched."""
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def _write_in_place(path: str, data: bytes) -> None:
    """Write ``data`` into an existing device or FIFO (no temporary file: it cannot be renamed
    over, and replacing it would break whatever it is)."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


class InputTooLargeError(ValueError):
    """An input holds more than ``limit`` bytes; ``size`` is its size when the file system told
    (a regular file), else None (a pipe or device that kept giving bytes)."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        super().__init__(f"is over the limit of {limit} bytes")


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them.

    A regular file's size is looked at first, so a huge (or sparse) file is refused without
    reading it; anything else (a pipe, ``/dev/zero``) is read until ``limit`` + 1 bytes came.
    Raises `InputTooLargeError` beyond ``limit``, `IsADirectoryError` for a folder and `OSError`
    as the file system does.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputTooLargeError(limit, info.st_size)
        return read_fd_bounded(fd, limit)
    finally:
        os.close(fd)


def read_fd_bounded(fd: int, limit: int) -> bytes:
    """Read file descriptor ``fd`` to its end, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    while chunk := os.read(fd, min(_READ_SIZE, limit + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise InputTooLargeError(limit)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_stream_bounded(stream: IO[bytes], limit: int) -> bytes:
    """Read a binary stream (standard input, a file object) to its end, refusing more than
    ``limit`` bytes. A buffered stream's ``read(n)`` stops only at ``n`` bytes or the end; an
    unbuffered one (``open(…, buffering=0)``, a socket file) may return less, so it is read
    until it returns nothing."""
    data = stream.read(limit + 1)
    if not isinstance(stream, io.BufferedIOBase):
        chunks = [data]
        total = len(data)
        while data and total <= limit:
            data = stream.read(limit + 1 - total)
            chunks.append(data)
            total += len(data)
        data = b"".join(chunks)
    if len(data) > limit:
        raise InputTooLargeError(limit)
    return data


# C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides and lone surrogates:
# what would break a terminal line, a JSON or XML report, or make a name read other than it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters, bidirectional overrides and lone surrogates escaped
    (``\\x1b``, ``\\u202e``): safe to print on a terminal."""
    if text.isascii() and text.isprintable():
        return text
    return _UNSAFE.sub(_escape, text)


def display_name(path: str | os.PathLike[str]) -> str:
    """``path`` as text that is safe to print and to put into JSON or XML.

    Bytes that are not UTF-8 (kept by Python as lone surrogates) show as ``\\xff``, control
    characters as ``\\x01``; ordinary names, accented letters included, are unchanged.
    """
    text = os.fspath(path)
    if text.isascii() and text.isprintable():
        return text
    with contextlib.suppress(UnicodeError):  # a lone surrogate not from the file system stays
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escape, text)
