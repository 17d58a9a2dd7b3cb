"""`digidialog inspect`: the summary names process, parties, patient (masked), codes and verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digidialog.cli.main import main
from tests.validation import messages as m


def _inspect(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_summary_of_a_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reply.xml"
    path.write_bytes(m.edit(m.reply(), m.add_attachment("image/png")))
    code, out, _ = _inspect([str(path), "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["process"]["type"] == "DIALOG_INNBYGGER_EKONSULTASJON"
    assert summary["process"]["name"] == "Dialog_Innbygger_Ekonsultasjon"
    assert summary["reply"]["code"] == "12"
    assert summary["reply"]["name"] == "Svar på spørsmål, fra behandler"
    assert summary["sender"]["person"]["name"] == "Kari Lege"
    assert summary["sender"]["gp"]
    assert summary["sender"]["her_id"] == "800001"
    assert summary["receiver"]["unit"]["her_id"] == "700002"
    assert summary["patient"] == {
        "name": "Ola Testesen",
        "id_type": "FNR",
        "national_id": "150575*****",
    }
    assert summary["thread"]["ref_to_parent"] == m.REQUEST_ID
    assert summary["attachments"] == [
        {"mime_type": "image/png", "description": "Bilde", "size": len(m.PNG)}
    ]
    assert summary["validation"]["valid"] is True
    assert m.PATIENT_FNR not in out  # the national ID never shows in full


def test_text_summary_of_a_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "request.xml"
    path.write_bytes(m.request())
    code, out, _ = _inspect([str(path)], capsys)
    assert code == 0
    for expected in (
        "DIALOG_INNBYGGER_EKONSULTASJON",
        "SB Spørsmål til behandler",
        "Ola Testesen",
        "150575*****",
        "Hoste",
        "(GP)",
        "valid",
    ):
        assert expected in out
    assert m.PATIENT_FNR not in out


def test_invalid_message_shows_its_issues(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(m.edit(m.request(), m.set_text("//m:MsgId", "x")))
    code, out, _ = _inspect([str(path)], capsys)
    assert code == 1
    assert "INVALID" in out
    assert "DD001" in out


def test_apprec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "apprec.xml"
    path.write_bytes(m.apprec())
    code, out, _ = _inspect([str(path), "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["status"]["name"] == "OK"
    assert summary["original"]["msg_id"] == m.REQUEST_ID


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _inspect([str(tmp_path / "missing.xml")], capsys)
    assert code == 2
    assert "missing.xml" in err
