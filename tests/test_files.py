"""`digidialog.files`: atomic writes (readers see the old file or all of the new one, nothing is
left behind), command output into links and devices, bounded reads, printable names."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from digidialog.files import (
    InputTooLargeError,
    display_name,
    read_bounded,
    read_stream_bounded,
    write_atomic,
    write_output,
)


def test_replaces_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "file.xml"
    write_atomic(target, b"one")
    write_atomic(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["file.xml"]


def test_an_interrupted_write_keeps_the_old_file_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.xml"
    write_atomic(target, b"old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.xml"]


def test_a_missing_folder_is_the_file_systems_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "absent" / "file.xml", b"x")
    assert list(tmp_path.iterdir()) == []


# --- write_output: what -o OUT does -----------------------------------------------------------


def test_write_output_keeps_a_links_target_and_mode_and_the_link(tmp_path: Path) -> None:
    target = tmp_path / "target.xml"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.xml"
    link.symlink_to(target.name)
    write_output(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.xml", "target.xml"]


def test_write_output_writes_into_a_device_without_replacing_it(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    write_output(link, b"gone")
    assert link.is_symlink()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


def test_write_output_new_file_gets_the_umask_mode_and_a_folder_is_refused(
    tmp_path: Path,
) -> None:
    umask = os.umask(0o027)
    try:
        write_output(tmp_path / "new.xml", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.xml").stat().st_mode) == 0o640
    with pytest.raises(IsADirectoryError):
        write_output(tmp_path, b"x")


# --- read_bounded: no input fills memory ------------------------------------------------------


def test_read_bounded_refuses_a_large_file_from_its_size_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sparse = tmp_path / "sparse.xml"
    with sparse.open("wb") as handle:
        handle.truncate(1 << 30)

    def no_reading(fd: int, size: int) -> bytes:
        raise AssertionError("read a file whose size already said no")

    monkeypatch.setattr(os, "read", no_reading)
    with pytest.raises(InputTooLargeError) as refused:
        read_bounded(sparse, 1000)
    assert (refused.value.limit, refused.value.size) == (1000, 1 << 30)
    assert str(refused.value) == "is over the limit of 1000 bytes"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_read_bounded_stops_an_endless_device_one_byte_over() -> None:
    with pytest.raises(InputTooLargeError) as refused:
        read_bounded("/dev/zero", 3 << 20)
    assert refused.value.size is None


@pytest.mark.parametrize("size", [0, 1, 999, 1000])
def test_read_bounded_and_read_stream_bounded_return_up_to_the_limit(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * size)
    assert read_bounded(path, 1000) == b"x" * size
    assert read_stream_bounded(io.BytesIO(b"x" * size), 1000) == b"x" * size
    with pytest.raises(InputTooLargeError):
        read_stream_bounded(io.BytesIO(b"x" * 1001), 1000)
    with pytest.raises(IsADirectoryError):
        read_bounded(tmp_path, 1000)


# --- display_name -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain/name.xml", "plain/name.xml"),
        ("blåbær.xml", "blåbær.xml"),
        (os.fsdecode(b"bad\xffname.xml"), "bad\\xffname.xml"),
        ("ctl\x01x\n.xml", "ctl\\x01x\\x0a.xml"),
        ("rtl\u202eeman.xml", "rtl\\u202eeman.xml"),
        ("lone\udfffsurrogate", "lone\\udfffsurrogate"),
    ],
)
def test_display_name_escapes_what_does_not_print(name: str, shown: str) -> None:
    assert display_name(name) == shown
    shown.encode("utf-8")  # always encodable
