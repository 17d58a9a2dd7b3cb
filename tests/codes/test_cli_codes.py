"""`digidialog codes`: exit codes and output, in-process and as the installed command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from digidialog.cli.main import main


def test_no_arguments_lists_every_system(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    numbers = [line.split("\t")[0] for line in lines]
    assert {"7601", "7602", "8279", "8324", "1101"} <= set(numbers)
    assert "7602\t2.16.578.1.12.4.1.1.7602\tSvar til bruk" in "\n".join(lines)


def test_system_lists_its_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "8324"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "AP\tSendes til apoteket"
    assert [line.split("\t")[0] for line in out] == ["AP", "HE", "JA", "AA"]


def test_one_code_by_oid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "2.16.578.1.12.4.1.1.7602", "32"]) == 0
    assert capsys.readouterr().out == "32\tResepter delvis fornyet\t2.16.578.1.12.4.1.1.7602\n"


def test_unknown_code_exits_1_with_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "7602", "99"]) == 1
    err = capsys.readouterr().err
    assert "code '99' is not in code list 7602" in err
    assert "digidialog codes 7602" in err


def test_unknown_system_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "1234"]) == 1
    assert "unknown code system '1234'" in capsys.readouterr().err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "--json"]) == 0
    systems = json.loads(capsys.readouterr().out)["systems"]
    assert {
        "number": "1101",
        "oid": "2.16.578.1.12.4.1.1.1101",
        "name": "Ja/Nei",
        "count": 2,
    } in systems
    assert main(["codes", "7603", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["value"] for c in listed["codes"]] == ["KT", "RKT"]
    assert main(["codes", "7611", "FU", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "system": "7611",
        "oid": "2.16.578.1.12.4.1.1.7611",
        "value": "FU",
        "display_name": "Fullmakt",
    }


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a pseudo-terminal")
def test_terminal_gets_a_rich_table() -> None:
    """On a terminal the output is a table with box drawing, not tab-separated lines."""
    cmd = f"{sys.executable} -m digidialog.cli.main codes 8324"
    result = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "Leveringsmåte" in result.stdout
    assert "┃" in result.stdout or "│" in result.stdout
    assert "\t" not in result.stdout


def test_installed_command_pipes_plain_text() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digidialog.cli.main", "codes", "7617", "Video"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == "Video\tVideotime\t2.16.578.1.12.4.1.1.7617\n"
