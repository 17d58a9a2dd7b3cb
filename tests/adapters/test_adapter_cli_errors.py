"""Bad input to `digidialog simulate`, `demo` and `adapters`: a clear message and exit 2, never
a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from digidialog.cli.main import main


def _fails_cleanly(argv: list[str], capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    return err


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_simulate_unknown_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "nope", "--seconds", "0"], capsys,
                   "no adapter named 'nope'", "plenario")  # fmt: skip


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_simulate_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "plenario", "--port", port, "--seconds", "0"], capsys, "--port")


def test_simulate_port_in_use(taken_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "plenario", "--port", str(taken_port), "--seconds", "0"], capsys,
                   "cannot start the plenario simulator")  # fmt: skip


@pytest.mark.parametrize("seconds", ["-1", "soon", "nan"])
def test_simulate_bad_seconds(seconds: str, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "plenario", "--seconds", seconds], capsys, "--seconds")


def test_simulate_dir_that_is_a_file(a_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "systemx", "--dir", str(a_file), "--seconds", "0"], capsys,
                   "--dir", "not a folder")  # fmt: skip


def test_simulate_dir_below_a_file(a_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["simulate", "systemx", "--dir", str(a_file / "sub"), "--seconds", "0"],
                   capsys, "cannot create the folder")  # fmt: skip


def test_demo_workdir_that_is_a_file(a_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["demo", "--workdir", str(a_file)], capsys, "--workdir", "not a folder")


def test_demo_workdir_below_a_file(a_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["demo", "--json", "--workdir", str(a_file / "x")], capsys,
                   "cannot create the folder")  # fmt: skip


def test_adapters_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    _fails_cleanly(["adapters", "--bogus"], capsys, "unrecognized arguments")


def test_the_installed_command_prints_no_traceback(a_file: Path) -> None:
    for argv in (["simulate", "nope"], ["demo", "--workdir", str(a_file)]):
        done = subprocess.run(
            [sys.executable, "-m", "digidialog.cli.main", *argv],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"digidialog {argv[0]}: ")
