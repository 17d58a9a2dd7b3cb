"""`digidialog validate`: exit codes, stdin, recursion, and every output format parsed back."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from digidialog.cli.main import main
from digidialog.cli.validate import (
    PARALLEL_THRESHOLD,
    STDIN,
    _check_one,
    _compact,
    _from_worker,
    cpu_count,
    default_jobs,
    read_file,
)
from digidialog.validation import RULES, Report
from digidialog.xml.schema import SchemaSet
from tests.validation import messages as m

BROKEN_XML = b"<MsgHead><MsgInfo></MsgHead>"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """good.xml at the top, a reply and a rule-breaking copy two folders down, a .txt ignored."""
    (tmp_path / "good.xml").write_bytes(m.request())
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "reply.xml").write_bytes(m.reply())
    (deep / "bad.xml").write_bytes(m.edit(m.request(), m.set_text("//m:MsgId", "not-a-uuid")))
    (deep / "notes.txt").write_text("not a message")
    return tmp_path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_files_exit_0(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([str(tree / "good.xml"), str(tree / "a" / "b" / "reply.xml")], capsys)
    assert code == 0
    assert "2 file(s): 2 valid, 0 invalid" in out


def test_directory_is_searched_recursively(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([str(tree), "--format", "json"], capsys)
    assert code == 1
    files = {Path(f["path"]).name: f for f in json.loads(out)["files"]}
    assert set(files) == {"good.xml", "reply.xml", "bad.xml"}
    assert not files["bad.xml"]["valid"]


def test_text_names_file_line_xpath_and_rule(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tree / "a" / "b" / "bad.xml"
    code, out, _ = _run([str(bad)], capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if "DD001" in x)
    assert line.startswith(f"{bad}:7: error DD001: ")
    assert "[at /MsgHead/MsgInfo/MsgId]" in line


def test_broken_xml_is_reported_with_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(BROKEN_XML)
    code, out, _ = _run([str(broken)], capsys)
    assert code == 1
    assert f"{broken}:1: error XML: " in out


def test_schema_error_stops_before_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    invalid = tmp_path / "invalid.xml"
    # breaks the schema (no MsgId) and would break DD001 too: only the schema layer speaks
    invalid.write_bytes(m.edit(m.request(), m.remove("//m:MsgId")))
    code, out, _ = _run([str(invalid), "--format", "json"], capsys)
    assert code == 1
    rules = {i["rule"] for i in json.loads(out)["files"][0]["issues"]}
    assert rules == {"XSD"}


def test_warnings_alone_keep_a_file_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warned = tmp_path / "warned.xml"
    warned.write_bytes(m.edit(m.request(), m.add_attachment("image/jpg", b"\xff\xd8\xff\x00")))
    code, out, _ = _run([str(warned)], capsys)
    assert code == 0
    assert "warning DD061" in out


def test_missing_path_exits_2(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([str(tree / "good.xml"), str(tree / "nope.xml")], capsys)
    assert code == 2
    assert "nope.xml: no such file or directory" in err
    assert "1 file(s): 1 valid" in out  # the readable file is still validated


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--format", "yaml", "x.xml"])
    assert stop.value.code == 2


def test_bad_schema_dir_exits_2(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([str(tree / "good.xml"), "--schemas", str(tree / "missing")], capsys)
    assert code == 2
    assert "schema directory not found" in err


def test_extra_schemas(tree: Path, capsys: pytest.CaptureFixture[str], reference: Path) -> None:
    official = reference / "xsd" / "sarepta"
    code, out, _ = _run([str(tree / "good.xml"), "--schemas", str(official)], capsys)
    assert code == 0, out


def test_json_shape(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run([str(tree), "--format", "json"], capsys)
    document = json.loads(out)
    assert set(document) == {"files", "summary"}
    assert document["summary"] == {"files": 3, "valid": 2, "invalid": 1}
    for entry in document["files"]:
        assert set(entry) == {"path", "valid", "issues"}
        assert isinstance(entry["valid"], bool)
        for issue in entry["issues"]:
            assert set(issue) == {"rule", "severity", "message", "line", "xpath"}
            assert issue["severity"] in {"error", "warning", "info"}


def test_junit(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run([str(tree), "--format", "junit"], capsys)
    suites = etree.fromstring(out.encode())
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == 3
    failed = [c for c in cases if c.find("failure") is not None]
    assert [Path(c.get("name", "")).name for c in failed] == ["bad.xml"]
    failure = failed[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "DD001"
    assert suites.find("testsuite").get("failures") == "1"  # type: ignore[union-attr]


def test_sarif(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run([str(tree), "--format", "sarif"], capsys)
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    assert "$schema" in document
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "digidialog"
    ids = [r["id"] for r in driver["rules"]]
    assert {"XML", "XSD", *RULES} == set(ids)
    for result in run["results"]:
        assert {"ruleId", "ruleIndex", "level", "message", "locations"} <= set(result)
        assert ids[result["ruleIndex"]] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    assert [r["ruleId"] for r in run["results"]] == ["DD001"]


def _cli(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    command = [str(Path(sys.executable).with_name("digidialog")), "validate", *args]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_stdin() -> None:
    good = _cli(["-"], m.reply())
    assert good.returncode == 0, good.stderr
    assert b"<stdin>: valid" in good.stdout
    bad = _cli(["-", "--format", "json"], BROKEN_XML)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["files"][0]["issues"][0]["rule"] == "XML"


def test_piped_output_has_no_progress_bar(tree: Path) -> None:
    many = tree / "many"
    many.mkdir()
    for n in range(60):
        (many / f"m{n:02d}.xml").write_bytes(m.request())
    done = _cli([str(many)])
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 61
    assert lines[-1] == "60 file(s): 60 valid, 0 invalid"
    assert b"\x1b[" not in done.stdout + done.stderr  # no terminal control sequences


def test_terminal_shows_a_progress_bar(tree: Path) -> None:
    """On a terminal a large batch gets rich's progress bar (read through a pseudo-terminal)."""
    import pty

    many = tree / "many"
    many.mkdir()
    for n in range(60):
        (many / f"m{n:02d}.xml").write_bytes(m.request())
    master, slave = pty.openpty()
    command = [str(Path(sys.executable).with_name("digidialog")), "validate", str(many)]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    with subprocess.Popen(command, stdout=slave, stderr=slave, env=env) as process:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closes when the command ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert "validating" in screen
    assert "60 file(s): 60 valid, 0 invalid" in screen


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """Forty files of every outcome — valid, rule-breaking, warned, schema-invalid, broken —
    interleaved so that out-of-order results would show."""
    folder = tmp_path / "batch"
    folder.mkdir()
    kinds = [
        m.request(),
        m.reply(),
        m.edit(m.request(), m.set_text("//m:MsgId", "not-a-uuid")),
        m.edit(m.request(), m.add_attachment("image/jpg", b"\xff\xd8\xff\x00")),
        m.edit(m.request(), m.remove("//m:MsgId")),
        BROKEN_XML,
        m.apprec(),
    ]
    for n in range(40):
        (folder / f"m{n:02d}.xml").write_bytes(kinds[n % len(kinds)])
    return folder


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_parallel_output_is_the_single_process_output(
    batch: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    single = _run([str(batch), "--format", fmt, "--jobs", "1"], capsys)
    parallel = _run([str(batch), "--format", fmt, "--jobs", "2"], capsys)
    assert parallel == single
    assert single[0] == 1


def test_parallel_results_keep_input_order(batch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([str(batch), "--format", "json", "--jobs", "3"], capsys)
    assert code == 1
    files = json.loads(out)["files"]
    assert [Path(f["path"]).name for f in files] == [f"m{n:02d}.xml" for n in range(40)]
    rules = [f["issues"][0]["rule"] if f["issues"] else None for f in files[:7]]
    assert rules == [None, None, "DD001", "DD061", "XSD", "XML", None]


def test_parallel_with_stdin_and_missing_paths(batch: Path) -> None:
    """stdin reaches the workers; unreadable paths are still reported, and exit 2 wins."""
    args = [str(batch / "m00.xml"), "-", str(batch / "nope.xml"), str(batch)]
    single = _cli([*args, "--jobs", "1"], m.reply())
    parallel = _cli([*args, "--jobs", "2"], m.reply())
    assert parallel.returncode == single.returncode == 2
    assert parallel.stdout == single.stdout
    assert parallel.stderr == single.stderr
    lines = parallel.stdout.decode().splitlines()
    assert lines[1] == "<stdin>: valid"
    assert lines[-1] == "42 file(s): 25 valid, 17 invalid"


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--jobs", value, "x.xml"])
    assert stop.value.code == 2
    assert "--jobs" in capsys.readouterr().err


def test_default_jobs_fan_out_only_for_large_batches() -> None:
    assert default_jobs(1) == 1
    assert default_jobs(PARALLEL_THRESHOLD - 1) == 1
    assert default_jobs(PARALLEL_THRESHOLD) == cpu_count()
    assert 1 <= cpu_count() <= (os.cpu_count() or 1)


def test_parallel_with_extra_schemas(
    batch: Path, capsys: pytest.CaptureFixture[str], reference: Path
) -> None:
    official = str(reference / "xsd" / "sarepta")
    single = _run([str(batch), "--schemas", official, "--jobs", "1"], capsys)
    assert _run([str(batch), "--schemas", official, "--jobs", "2"], capsys) == single


@pytest.mark.parametrize("size", [0, 5, 1 << 20, 2_500_000])
def test_read_file_returns_every_byte(tmp_path: Path, size: int) -> None:
    """Empty, small, exactly one read's worth and several reads' worth of bytes."""
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    path = tmp_path / "f.xml"
    path.write_bytes(data)
    assert read_file(str(path)) == data


def test_unreadable_file_is_reported_not_raised(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone.xml")
    schemas = SchemaSet.default()
    problem = _check_one(missing, schemas, None)
    assert problem == f"{missing}: cannot read: {os.strerror(errno.ENOENT)}"


def test_worker_answers_rebuild_the_same_reports(batch: Path) -> None:
    """What a worker sends back (plain tuples) becomes the report it computed, stdin included."""
    schemas = SchemaSet.default()
    files = [str(path) for path in sorted(batch.iterdir())][:7]
    names = [*files, STDIN, str(batch / "no.xml")]
    outcomes = [_check_one(name, schemas, m.reply()) for name in names]
    assert {type(o) for o in outcomes} == {Report, str}
    assert any(isinstance(o, Report) and o.issues for o in outcomes)
    for name, outcome in zip(names, outcomes, strict=True):
        compact = _compact(outcome)
        if isinstance(outcome, Report) and not outcome.issues:
            assert compact == ()
        assert _from_worker(name, compact) == outcome
