"""`digidialog demo` for real: every vendor simulator, every GP service, files that validate and
sealed forms that open with the dev PKI the demo wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from digidialog.adapters import available
from digidialog.cli import demo as demo_command
from digidialog.cli.main import main
from digidialog.security import TransportSecurityError, open_sealed
from digidialog.security.devpki import load_dev_pki
from digidialog.validation import validate
from digidialog.xml.namespaces import M1_2013
from digidialog.xml.parser import parse_xml

# Every request of HITS 1217 ch. 4.1 for a GP, in the demo's order:
# (process suffix, request code, reply code or None, whether an AppRec comes back)
EXPECTED = [
    ("EKONSULTASJON", "SB", "12", True),
    ("EKONSULTASJON", "SB", "13", True),  # the GP closes the dialog
    ("EKONSULTASJON", "DI", "22", True),
    ("EKONSULTASJON", "EKI", None, True),
    ("EKONTAKT", "HE", "19", True),
    ("EKONTAKT", "DI", "22", True),
    ("EKONTAKT", "EKI", None, True),
    ("RESEPTFORNYELSE", "RF", "14", True),
    ("RESEPTFORNYELSE", "RFER", "32", True),  # a group B medicine is not renewed
    ("TIMERESERVASJON", "HLT", "03", False),
    ("TIMERESERVASJON", "RT", "05", True),
    ("TIMERESERVASJON", "ART", "08", True),
    ("TIMEONSKE", "OT", "05", True),
    ("TIMEONSKE", "OET", "07", True),
    ("TIMEONSKE", "OAT", "08", True),
    ("AVTALEUTSENDING", "05", None, True),
    ("AVTALEUTSENDING", "11", None, True),
    ("AVTALEUTSENDING", "05", None, True),
    ("AVTALEUTSENDING", "07", None, True),
    ("AVTALEUTSENDING", "08", None, True),
    ("TEST", "KT", "RKT", False),  # the communication test: synchronous, answered by the office
]
TIME_ASSIGNED = {("TIMERESERVASJON", "RT"), ("TIMEONSKE", "OT"), ("TIMEONSKE", "OET"),
                 ("AVTALEUTSENDING", "05"), ("AVTALEUTSENDING", "07")}  # fmt: skip


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # One test, so that the demo (a few seconds) runs once even under pytest-xdist.
    code = main(["demo", "--json", "--workdir", str(tmp_path)])
    transcript = json.loads(capsys.readouterr().out)
    check_files(tmp_path, transcript)
    check_transcript(transcript)
    check_renewal_m1(tmp_path, transcript)
    assert code == 0


def check_transcript(transcript: dict[str, Any]) -> None:
    assert set(transcript) == {"exchanges"}
    exchanges = transcript["exchanges"]
    assert isinstance(exchanges, list)
    vendors = sorted(info.name for info in available() if info.simulator)
    assert vendors, "no vendor adapter with a simulator is installed"
    assert sorted({x["vendor"] for x in exchanges}) == vendors
    for x in exchanges:
        assert set(x) == {"vendor", "service", "process", "request", "reply", "apprec", "sms"}
        assert all(isinstance(x[k], str) for k in ("vendor", "service", "process")), x
        assert set(x["request"]) == {"code", "file"}, x
        assert x["reply"] is None or set(x["reply"]) == {"code", "file"}, x
        assert x["apprec"] is None or set(x["apprec"]) == {"status", "file"}, x
        parts = [p for p in (x["request"], x["reply"], x["apprec"]) if p is not None]
        assert all(isinstance(v, str) for p in parts for v in p.values()), x
        assert x["sms"] is None or isinstance(x["sms"], str), x
    got = {
        vendor: [
            (
                x["process"].removeprefix("DIALOG_INNBYGGER_"),
                x["request"]["code"],
                x["reply"] and x["reply"]["code"],
                x["apprec"] is not None,
            )
            for x in exchanges
            if x["vendor"] == vendor
        ]
        for vendor in vendors
    }
    for vendor in vendors:
        assert got[vendor] == EXPECTED, vendor
    for x in exchanges:
        key = (x["process"].removeprefix("DIALOG_INNBYGGER_"), x["request"]["code"])
        if x["apprec"] is not None:
            assert x["apprec"]["status"] == "1", x
        if key in TIME_ASSIGNED:
            assert x["sms"]
            assert "helsenorge" in x["sms"]
            assert "Danser" not in x["sms"]
            assert "13116900216" not in x["sms"]
        else:
            assert x["sms"] is None


def check_renewal_m1(workdir: Path, transcript: dict[str, Any]) -> None:
    """The RFER carries the M1 of each prescription to renew; the 32 carries a new M1 for the
    renewed one only."""
    rfer = [x for x in transcript["exchanges"] if x["request"]["code"] == "RFER"]
    assert rfer
    for x in rfer:
        asked = _m1_medicines(workdir / x["request"]["file"])
        renewed = _m1_medicines(workdir / x["reply"]["file"])
        assert asked == [("Paracet 500 mg tabletter", "C"), ("Sobril 10 mg tabletter", "B")]
        assert renewed == [("Paracet 500 mg tabletter", "C")]


def _m1_medicines(path: Path) -> list[tuple[str, str]]:
    """(name, prescription group) of each M1 ``Resept`` in a message, in document order."""
    medicines = []
    for resept in parse_xml(path).iter(f"{{{M1_2013}}}Resept"):
        group = resept.find(".//{*}Reseptgruppe")
        assert group is not None
        medicines.append((resept.findtext(".//{*}NavnFormStyrke") or "", group.get("V", "")))
    return medicines


def check_files(workdir: Path, transcript: dict[str, Any]) -> None:
    pki = load_dev_pki(workdir / "pki")
    keys = [pki.gp_office.encryption, pki.helsenorge.encryption]
    names = [
        part["file"]
        for x in transcript["exchanges"]
        for part in (x["request"], x["reply"], x["apprec"])
        if part is not None
    ]
    assert len(names) == len(set(names))
    for name in names:
        xml_path = workdir / name
        # Named by the MsgId of the message it holds (MsgHead/MsgInfo/MsgId, AppRec/Id).
        root = parse_xml(xml_path).getroot()
        msg_id = root.findtext("./{*}MsgInfo/{*}MsgId") or root.findtext("./{*}Id")
        assert name == f"{msg_id}.xml", name
        report = validate(xml_path)
        assert report.valid, (name, [i.to_dict() for i in report.errors])
        sealed = xml_path.with_suffix(".p7m").read_bytes()
        opened = []
        for credential in keys:
            try:
                opened.append(
                    open_sealed(
                        sealed,
                        key=credential.key,
                        certificate=credential.certificate,
                        trust_store=pki.trust_store(),
                    )
                )
            except TransportSecurityError:  # sealed for the other party: not our key
                continue
        assert len(opened) == 1, name
        assert opened[0].content == xml_path.read_bytes()


def _one_vendor(monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the demo against one vendor only (a few seconds instead of all of them)."""
    everything = [info for info in available() if info.simulator]
    if not everything:
        pytest.skip("no vendor adapter with a simulator is installed")
    monkeypatch.setattr(demo_command, "available", lambda: everything[:1])
    return everything[0].name


def test_demo_runs_again_in_the_same_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_vendor(monkeypatch)
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["demo", "--json", "--workdir", str(tmp_path)]) == 0
    first = json.loads(capsys.readouterr().out)
    first_messages = _messages(tmp_path)
    code = main(["demo", "--json", "--workdir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "exchange failed" not in err
    again = json.loads(out)
    check_files(tmp_path, again)  # the new PKI opens every sealed message in the folder
    earlier = {x["request"]["file"] for x in first["exchanges"]}
    assert not any((tmp_path / name).exists() for name in earlier)  # the last run's, removed
    assert (tmp_path / "notes.txt").read_text() == "mine"  # not the demo's: kept
    assert _messages(tmp_path).isdisjoint(first_messages)  # all of the last run's, removed
    assert len(_messages(tmp_path)) == len(first_messages)  # and as many new ones


def _messages(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".xml", ".p7m")}


def test_demo_refuses_demo_folders_it_did_not_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "office.db").write_bytes(b"someone's store")
    code = main(["demo", "--workdir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--workdir {tmp_path}: holds state/ that this demo did not record writing" in err
    assert (tmp_path / "state" / "office.db").read_bytes() == b"someone's store"
    assert [p.name for p in tmp_path.iterdir()] == ["state"]


def test_demo_removes_only_plain_names_its_record_lists(tmp_path: Path) -> None:
    outside = tmp_path / "victim.xml"
    outside.write_text("keep")
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("keep")
    (work / "old.xml").write_text("the last run's")
    record = {"written": ["../victim.xml", str(outside), "notes.txt", "old.xml"]}
    (work / demo_command.MARKER).write_text(json.dumps(record))
    demo_command._prepare_workdir(work)
    assert outside.read_text() == "keep"
    assert (work / "notes.txt").read_text() == "keep"
    assert not (work / "old.xml").exists()
