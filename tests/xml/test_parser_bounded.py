"""Paths and file objects are read up to ParseLimits.max_bytes, never whole: a pipe, a device or
a huge file is refused after at most one byte over the cap (a regular file from its size)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from digidialog.errors import UnsafeXMLError, UsageError
from digidialog.xml.parser import ParseLimits, parse_xml, read_source

CAP = ParseLimits(max_bytes=1000)


class Endless(io.RawIOBase):
    """An unbuffered stream of zeros that fails the test once more than ``guard`` bytes were
    read from it: reading it whole is the bug."""

    def __init__(self, guard: int = 1 << 20) -> None:
        self.given = 0
        self.guard = guard

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.given > self.guard:
            raise AssertionError(f"read {self.given} bytes of an endless stream")
        count = min(len(buffer), 4096)  # short reads, as a pipe gives
        buffer[:count] = bytes(count)
        self.given += count
        return count


@pytest.mark.parametrize("buffered", [False, True], ids=["raw", "buffered"])
def test_an_endless_stream_is_refused_at_the_cap(buffered: bool) -> None:
    endless = Endless()
    stream = io.BufferedReader(endless) if buffered else endless
    with pytest.raises(UnsafeXMLError, match="over the limit of 1000 bytes") as info:
        parse_xml(stream, source="endless", limits=CAP)  # type: ignore[arg-type]
    assert info.value.location.source == "endless"
    assert "ParseLimits.max_bytes" in (info.value.hint or "")
    assert endless.given <= 1001 + io.DEFAULT_BUFFER_SIZE


def test_a_short_reading_stream_is_read_to_its_end() -> None:
    # An unbuffered stream may return less than asked for; the rest is read too.
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk, self.data = self.data[:7], self.data[7:]
            buffer[: len(chunk)] = chunk
            return len(chunk)

    message = b"<r>" + b"x" * 500 + b"</r>"
    assert read_source(Trickle(message), limits=CAP)[0] == message  # type: ignore[arg-type]
    with pytest.raises(UnsafeXMLError, match="over the limit"):
        read_source(Trickle(message * 2), limits=CAP)  # type: ignore[arg-type]


@pytest.fixture
def pipe(tmp_path: Path) -> Iterator[tuple[Path, list[int]]]:
    """A FIFO a thread writes 8 MB into; the list holds how many bytes got in before the
    reader hung up."""
    path = tmp_path / "pipe.xml"
    os.mkfifo(path)
    written = [0]

    def feed() -> None:
        with open(path, "wb", buffering=0) as handle:
            try:
                for _ in range(128):
                    written[0] += handle.write(b"<" + b"a" * 65535)
            except BrokenPipeError:
                pass

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    yield path, written
    thread.join(10)


def test_a_pipe_is_read_only_up_to_the_cap(pipe: tuple[Path, list[int]]) -> None:
    path, written = pipe
    with pytest.raises(UnsafeXMLError, match="document is over the limit of 1000 bytes") as info:
        parse_xml(path, limits=CAP)
    assert info.value.location.source == str(path)
    assert written[0] < 8 << 20  # the writer was cut off: the rest was never read


def test_a_large_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<a>" + b"x" * 2000 + b"</a>")
    with pytest.raises(UnsafeXMLError, match="document is 2007 bytes, over the limit of 1000"):
        parse_xml(str(path), limits=CAP)
    with pytest.raises(UnsafeXMLError, match="over the limit") as info:
        read_source(path, source="named.xml", limits=CAP)
    assert info.value.location.source == "named.xml"


def test_up_to_the_cap_is_read_and_parsed(tmp_path: Path) -> None:
    message = b"<a>" + b"x" * (1000 - 7) + b"</a>"
    path = tmp_path / "fits.xml"
    path.write_bytes(message)
    assert parse_xml(path, limits=CAP).getroot().text == "x" * 993
    with open(path, "rb") as handle:
        assert parse_xml(handle, limits=CAP).getroot().tag == "a"


def test_a_folder_or_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        parse_xml(tmp_path)
    with pytest.raises(UsageError, match="cannot read"):
        parse_xml(tmp_path / "missing.xml")


# The library entry points with their default cap, in a process whose address space is capped
# at 2 GiB: reading /dev/zero or a 1 TiB sparse file whole ends in MemoryError there, not here.
CHILD = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
import digidialog
from digidialog.errors import UnsafeXMLError
from digidialog.validation import validate
entry = {"parse": digidialog.parse, "validate": validate}[sys.argv[1]]
try:
    result = entry(sys.argv[2])
except UnsafeXMLError as exc:
    print("REFUSED", exc)
else:  # validate never raises for a bad message: it reports the refusal
    print("REPORTED", result.source, [issue.message for issue in result.issues])
"""


@pytest.mark.parametrize("entry", ["parse", "validate"])
@pytest.mark.parametrize("what", ["/dev/zero", "sparse file"])
def test_library_entry_points_refuse_what_would_fill_memory(
    entry: str, what: str, tmp_path: Path
) -> None:
    target = what
    if what == "sparse file":
        target = str(tmp_path / "huge.xml")
        Path(target).touch()
        try:
            os.truncate(target, 1 << 40)
        except OSError as exc:
            pytest.skip(f"no 1 TiB sparse file here: {exc}")
    elif not os.path.exists(what):
        pytest.skip(f"no {what}")
    run = subprocess.run(
        [sys.executable, "-c", CHILD, entry, target],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-600:]
    assert run.stdout.startswith("REPORTED " + target if entry == "validate" else "REFUSED ")
    assert "over the limit of 52428800" in run.stdout
    if what == "sparse file":
        assert str(1 << 40) in run.stdout  # refused from its size, unread
