"""Every `digidialog` command fed bad input, as a vendor developer would: the exit code (0 ok, 1
invalid or refused, 2 usage error or unreadable path), a stderr line naming the file and what is
wrong, never a Python traceback, and never a partial ``-o OUT`` file.

Most cases run `main` in-process (fast); `test_real_process_*` run the console command itself.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from digidialog.cli import codes as codes_command
from digidialog.cli.main import TRACEBACK_VARIABLE, build_parser, main
from digidialog.security.devpki import DevPki, create_dev_pki
from digidialog.xml.parser import ParseLimits
from tests.keyfiles import write_encrypted_key
from tests.validation import messages as m

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = ROOT / "examples" / "ekontakt" / "he-henvendelse.xml"
MSGHEAD = "http://www.kith.no/xmlstds/msghead/2006-05-24"
BOMB = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<MsgHead xmlns="{MSGHEAD}">&lol2;</MsgHead>
""".encode()


@dataclass(frozen=True)
class Run:
    code: int | str | None
    out: str
    err: str


def _clean(out: str, err: str) -> None:
    assert "Traceback" not in err, err
    assert "Traceback" not in out, out


def call(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    """`main` in-process; argparse's own usage errors end in `SystemExit`, caught here."""
    try:
        code: int | str | None = main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    _clean(out, err)
    return Run(code, out, err)


def run(*args: str | Path, stdin: bytes = b"", cwd: Path | None = None) -> Run:
    """The command in a real process, standard input given (empty by default)."""
    env = {k: v for k, v in os.environ.items() if k != TRACEBACK_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-m", "digidialog.cli.main", *map(str, args)],
        input=stdin,
        capture_output=True,
        check=False,
        cwd=cwd,
        env=env,
    )
    out, err = done.stdout.decode(), done.stderr.decode()
    _clean(out, err)
    return Run(done.returncode, out, err)


@dataclass(frozen=True)
class Bad:
    """A folder of bad inputs."""

    root: Path
    empty: Path
    garbage: Path
    not_message: Path
    bomb: Path
    huge: Path
    apprec: Path
    invalid: Path
    directory: Path
    missing: Path
    in_missing_dir: Path


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Bad:
    root = tmp_path_factory.mktemp("bad")
    files = {
        "empty": b"",
        "garbage": bytes(range(256)) * 8,
        "not_message": b"<html><body>hello</body></html>",
        "bomb": BOMB,
        "apprec": m.apprec(),
        "invalid": m.edit(m.request(), m.set_text("//m:MsgId", "not-a-uuid")),
    }
    for name, data in files.items():
        (root / f"{name}.xml").write_bytes(data)
    huge = root / "huge.xml"
    with huge.open("wb") as handle:  # just over the parser's size cap
        handle.write(f'<MsgHead xmlns="{MSGHEAD}"><!--'.encode())
        handle.write(b" " * (ParseLimits().max_bytes + 1))
        handle.write(b"--></MsgHead>")
    (root / "folder").mkdir()
    return Bad(
        root,
        root / "empty.xml",
        root / "garbage.xml",
        root / "not_message.xml",
        root / "bomb.xml",
        huge,
        root / "apprec.xml",
        root / "invalid.xml",
        root / "folder",
        root / "missing.xml",
        root / "no-such-dir" / "x.xml",
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return create_dev_pki(tmp_path_factory.mktemp("cli-errors") / "pki")


@pytest.fixture(scope="module")
def signed(pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("signed") / "signed.xml"
    cred = pki.helsenorge.signing
    assert main(["sign", str(MESSAGE), "--key", str(cred.key_path), "--cert",
                 str(cred.cert_path), "-o", str(out)]) == 0  # fmt: skip
    return out


@pytest.fixture(scope="module")
def sealed(pki: DevPki, signed: Path) -> Path:
    out = signed.with_name("sealed.der")
    cred = pki.helsenorge.signing
    assert main(["seal", str(signed), "--key", str(cred.key_path), "--cert", str(cred.cert_path),
                 "--to", str(pki.gp_office.encryption.cert_path), "-o", str(out)]) == 0  # fmt: skip
    return out


@pytest.fixture
def stdin_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input holding nothing, for in-process `-` (not a terminal)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))


def _sign_args(pki: DevPki) -> list[str]:
    cred = pki.helsenorge.signing
    return ["--key", str(cred.key_path), "--cert", str(cred.cert_path)]


def _open_args(pki: DevPki) -> list[str]:
    cred = pki.gp_office.encryption
    return ["--key", str(cred.key_path), "--cert", str(cred.cert_path),
            "--trust", str(pki.ca.cert_path)]  # fmt: skip


def _no_leftovers(out: Path) -> None:
    """No OUT, and no temporary file beside it."""
    assert not out.exists()
    if out.parent.is_dir():
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


# --- the command itself ----------------------------------------------------------------------


def test_real_process_without_a_command_prints_help_and_exits_2() -> None:
    result = run()
    assert result.code == 2
    assert "usage: digidialog" in result.err
    assert "no COMMAND given" in result.err


def test_real_process_unknown_command_exits_2() -> None:
    result = run("bogus")
    assert result.code == 2
    assert "invalid choice: 'bogus'" in result.err


def test_real_process_help_exits_0() -> None:
    result = run("--help")
    assert result.code == 0
    assert "usage: digidialog" in result.out
    assert "Exit codes: 0 ok" in result.out


@pytest.mark.parametrize(
    "command",
    sorted(next(a for a in build_parser()._actions if isinstance(a.choices, dict)).choices or {}),
)
def test_help_for_every_command_exits_0(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, command, "--help")
    assert result.code == 0
    assert f"usage: digidialog {command}" in result.out


def test_unknown_option_shows_the_commands_own_usage(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "codes", "7602", "01", "--jsn")
    assert result.code == 2
    assert "usage: digidialog codes" in result.err
    assert "unrecognized arguments: --jsn" in result.err


def test_missing_required_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "sign", str(MESSAGE))
    assert result.code == 2
    assert "--key" in result.err


def test_a_bug_is_reported_in_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.delenv(TRACEBACK_VARIABLE, raising=False)
    monkeypatch.setattr(codes_command, "run", broken)
    result = call(capsys, "codes")
    assert result.code == 1  # fails closed
    assert "digidialog codes: internal error: RuntimeError: boom" in result.err
    assert TRACEBACK_VARIABLE in result.err
    monkeypatch.setenv(TRACEBACK_VARIABLE, "1")
    with pytest.raises(RuntimeError):
        main(["codes"])


def test_an_escaped_os_error_names_its_path_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(args: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", "/srv/locked.xml")

    monkeypatch.delenv(TRACEBACK_VARIABLE, raising=False)
    monkeypatch.setattr(codes_command, "run", unreadable)
    result = call(capsys, "codes")
    assert result.code == 2
    assert "digidialog codes: /srv/locked.xml: Permission denied" in result.err


def test_a_closed_pipe_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def reader_gone(args: object) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(codes_command, "run", reader_gone)
    result = call(capsys, "codes")
    assert result.code == 1
    assert result.err == ""


# --- validate (reports on stdout; unreadable paths on stderr) ---------------------------------


@pytest.mark.parametrize("which", ["missing", "in_missing_dir"])
def test_validate_unreadable_path_exits_2(
    which: str, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    path = getattr(bad, which)
    result = call(capsys, "validate", path)
    assert result.code == 2
    assert f"{path}: no such file or directory" in result.err


def test_validate_folder_without_messages_exits_2(
    bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "validate", bad.directory)
    assert result.code == 2
    assert f"{bad.directory}: no .xml files" in result.err


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("empty", "document is empty"),
        ("garbage", "not well-formed XML"),
        ("not_message", "Element 'html'"),
        ("bomb", "DOCTYPE declarations are refused"),
        ("huge", "over the limit"),
        ("invalid", "DD001"),
    ],
)
def test_validate_bad_file_exits_1_and_names_file_and_fault(
    which: str, says: str, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    path = getattr(bad, which)
    result = call(capsys, "validate", path)
    assert result.code == 1
    assert str(path) in result.out
    assert says in result.out


def test_real_process_validate_empty_stdin_exits_1() -> None:
    result = run("validate", "-")
    assert result.code == 1
    assert "<stdin>" in result.out
    assert "document is empty" in result.out


# --- inspect ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("missing", "No such file or directory"),
        ("in_missing_dir", "No such file or directory"),
        ("directory", "Is a directory"),
    ],
)
def test_inspect_unreadable_path_exits_2(
    which: str, says: str, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    path = getattr(bad, which)
    result = call(capsys, "inspect", path)
    assert result.code == 2
    assert f"digidialog inspect: cannot read {path}: {says}" in result.err


def test_inspect_empty_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "inspect", "")
    assert result.code == 2
    assert "path is empty" in result.err


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("empty", "parse:not-well-formed: {path}: document is empty"),
        ("garbage", "parse:not-well-formed: {path}:1: not well-formed XML"),
        ("bomb", "parse:unsafe-xml: {path}:1: DOCTYPE declarations are refused"),
        ("huge", "parse:unsafe-xml: {path}: is over the limit of 52428800 bytes"),
        ("not_message", "{path}:1 /html: invalid: [XSD] Element 'html'"),
        ("invalid", "{path}:7 /MsgHead/MsgInfo/MsgId: invalid: [DD001]"),
    ],
)
def test_inspect_bad_message_exits_1_naming_file_place_and_rule(
    which: str, says: str, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    path = getattr(bad, which)
    result = call(capsys, "inspect", path)
    assert result.code == 1
    assert f"digidialog inspect: {says.format(path=path)}" in result.err


def test_inspect_invalid_message_as_json_still_says_why_on_stderr(
    bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "inspect", "--json", bad.invalid)
    assert result.code == 1
    assert '"valid": false' in result.out
    assert "[DD001]" in result.err


def test_inspect_apprec(bad: Bad, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "inspect", bad.apprec)
    assert result.code == 0
    assert "AppRec" in result.out
    assert "1 OK (code list 8258)" in result.out
    assert result.err == ""


def test_inspect_shows_markup_in_a_message_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "markup.xml"
    path.write_bytes(m.edit(m.request(), m.set_text("//d:EmneSporsmal", "[/x] [bold]Hoste")))
    result = call(capsys, "inspect", path)
    assert result.code == 0, result.err
    assert "[/x] [bold]Hoste" in result.out


def test_inspect_empty_stdin_exits_1(capsys: pytest.CaptureFixture[str], stdin_bytes: None) -> None:
    result = call(capsys, "inspect", "-")
    assert result.code == 1
    assert "<stdin>: document is empty" in result.err


def test_real_process_inspect_empty_stdin_exits_1() -> None:
    result = run("inspect", "-")
    assert result.code == 1
    assert "digidialog inspect: parse:not-well-formed: <stdin>: document is empty" in result.err


# --- codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["9999"], "unknown code system '9999'"),
        ([""], "unknown code system ''"),
        (["not-a-list", "01"], "unknown code system 'not-a-list'"),
        (["7602", "999"], "code '999' is not in code list 7602"),
        (["7602", ""], "code '' is not in code list 7602"),
        (["--json", "7602", "999"], "code '999' is not in code list 7602"),
    ],
)
def test_codes_unknown_exits_1(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "codes", *args)
    assert result.code == 1
    assert f"digidialog codes: codes:unknown: {says}" in result.err
    assert result.out == ""


def test_codes_markup_in_a_name_is_shown_as_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    codes_command._emit("[/x] title", ("[/y]",), [("[bold]", "[/z]")])
    out = capsys.readouterr().out
    assert "[/x] title" in out
    assert "[/z]" in out


# --- sign ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "code", "says"),
    [
        ("missing", 2, "cannot read input {path}: No such file or directory"),
        ("in_missing_dir", 2, "cannot read input {path}: No such file or directory"),
        ("directory", 2, "cannot read input {path}: Is a directory"),
        ("empty", 1, "parse:not-well-formed: {path}: document is empty"),
        ("garbage", 1, "parse:not-well-formed: {path}:1: not well-formed XML"),
        ("bomb", 1, "parse:unsafe-xml: {path}:1: DOCTYPE declarations are refused"),
        ("huge", 1, "parse:unsafe-xml: {path}: is over the limit of 52428800 bytes"),
        ("not_message", 1, "transport:invalid-signature: {path}: refusing to sign a <html> doc"),
        ("apprec", 1, "transport:invalid-signature: {path}: refusing to sign a <{{http://www.kith"),
    ],
)
def test_sign_bad_input_names_file_and_leaves_no_output(
    which: str,
    code: int,
    says: str,
    bad: Bad,
    pki: DevPki,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = getattr(bad, which)
    out = tmp_path / "out.xml"
    result = call(capsys, "sign", path, *_sign_args(pki), "-o", out)
    assert result.code == code
    assert f"digidialog sign: {says.format(path=path)}" in result.err
    _no_leftovers(out)


def test_sign_empty_stdin_exits_1(
    pki: DevPki, capsys: pytest.CaptureFixture[str], stdin_bytes: None
) -> None:
    result = call(capsys, "sign", "-", *_sign_args(pki))
    assert result.code == 1
    assert "<stdin>: document is empty" in result.err


def test_sign_key_and_certificate_problems_exit_2(
    pki: DevPki, bad: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hn, gp = pki.helsenorge.signing, pki.gp_office.signing
    cases: list[tuple[list[str | Path], str]] = [
        (["--key", bad.missing, "--cert", hn.cert_path], f"cannot read {bad.missing}"),
        (["--key", hn.key_path, "--cert", bad.in_missing_dir], f"cannot read {bad.in_missing_dir}"),
        (["--key", hn.key_path, "--cert", bad.directory], f"cannot read {bad.directory}"),
        (["--key", hn.key_path, "--cert", gp.cert_path],
         f"{gp.cert_path}: the certificate does not belong to the key in {hn.key_path}"),
        (["--key", hn.key_path], f"no certificate for the key in {hn.key_path}"),
        (["--key", hn.cert_path, "--cert", hn.cert_path],
         f"cannot load the private key in {hn.cert_path}"),
        (["--key", bad.garbage, "--cert", hn.cert_path],
         f"cannot load the private key in {bad.garbage}"),
        (["--key", bad.empty, "--cert", hn.cert_path],
         f"cannot load the private key in {bad.empty}"),
        (["--key", hn.key_path, "--cert", bad.garbage],
         f"{bad.garbage} holds no readable X.509 certificate"),
    ]  # fmt: skip
    out = tmp_path / "out.xml"
    for args, says in cases:
        result = call(capsys, "sign", MESSAGE, *args, "-o", out)
        assert result.code == 2, (args, result.err)
        assert says in result.err, (args, result.err)
        _no_leftovers(out)


def test_sign_with_a_non_rsa_key_exits_2(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "ec.key"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    result = call(capsys, "sign", MESSAGE, "--key", key, "--cert", pki.helsenorge.signing.cert_path)
    assert result.code == 2
    assert f"{key} holds a " in result.err
    assert "not an RSA key" in result.err


def test_sign_encrypted_keys_without_the_right_password_exit_2(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = pki.helsenorge.signing
    key = write_encrypted_key(tmp_path / "enc.key", cred.key)
    p12 = tmp_path / "cred.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"hn", cred.key, cred.certificate, None, serialization.BestAvailableEncryption(b"s3cret")
    ))  # fmt: skip
    out = tmp_path / "out.xml"
    monkeypatch.delenv("DD_UNSET_PASSWORD", raising=False)
    monkeypatch.setenv("DD_WRONG_PASSWORD", "nope")
    cases: list[tuple[list[str | Path], str]] = [
        (["--key", key, "--cert", cred.cert_path],
         f"{key} is encrypted and needs a password"),
        (["--key", key, "--cert", cred.cert_path, "--password-env", "DD_UNSET_PASSWORD"],
         f"--password-env DD_UNSET_PASSWORD: the environment variable DD_UNSET_PASSWORD is not "
         f"set (export it with the password for {key})"),
        (["--key", key, "--cert", cred.cert_path, "--password-env", "DD_WRONG_PASSWORD"],
         f"cannot load the private key in {key}: Incorrect password"),
        (["--key", p12], f"cannot load the private key in {p12}"),
        (["--key", p12, "--password-env", "DD_WRONG_PASSWORD"],
         f"cannot load the private key in {p12}: Invalid password"),
    ]  # fmt: skip
    for args, says in cases:
        result = call(capsys, "sign", MESSAGE, *args, "-o", out)
        assert result.code == 2, (args, result.err)
        assert f"digidialog sign: {says}" in result.err, (args, result.err)
        _no_leftovers(out)


def test_sign_with_a_certificate_without_non_repudiation_exits_2(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    for cred in (pki.wrong_usage, pki.helsenorge.encryption):
        result = call(capsys, "sign", MESSAGE, "--key", cred.key_path, "--cert", cred.cert_path,
                      "-o", out)  # fmt: skip
        assert result.code == 2
        assert (
            f"digidialog sign: transport:invalid-certificate: --cert {cred.cert_path}: "
            in result.err
        )
        assert "lacks nonRepudiation" in result.err
        _no_leftovers(out)


def test_sign_with_an_expired_certificate_warns(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    cred = pki.expired
    result = call(capsys, "sign", MESSAGE, "--key", cred.key_path, "--cert", cred.cert_path,
                  "-o", out)  # fmt: skip
    assert result.code == 0
    assert f"warning: --cert {cred.cert_path}: the certificate" in result.err
    assert "receivers will refuse it" in result.err
    assert out.is_file()


@pytest.mark.parametrize("where", ["in_missing_dir", "directory", "empty_name"])
def test_sign_unwritable_output_exits_2(
    where: str, bad: Bad, pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    out = "" if where == "empty_name" else str(getattr(bad, where))
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", out)
    assert result.code == 2
    assert (f"cannot write {out}" if out else "the output path (-o) is empty") in result.err
    if where == "in_missing_dir":
        assert not bad.in_missing_dir.parent.exists()


def test_a_write_that_fails_half_way_leaves_no_partial_output(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    out = tmp_path / "out.xml"
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", out)
    assert result.code == 2
    assert f"cannot write {out}: No space left on device" in result.err
    _no_leftovers(out)
    out.write_bytes(b"the previous version")
    assert call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", out).code == 2
    assert out.read_bytes() == b"the previous version"  # an existing OUT is left as it was
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]


def test_output_keeps_an_existing_files_mode_and_dash_means_stdout(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    out.write_bytes(b"old")
    out.chmod(0o640)
    assert call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", out).code == 0
    assert out.stat().st_mode & 0o777 == 0o640
    assert b"Signature" in out.read_bytes()
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", "-")
    assert result.code == 0
    assert "Signature" in result.out
    assert not (Path.cwd() / "-").exists()


# --- verify ----------------------------------------------------------------------------------


def test_verify_with_an_untrusted_ca_exits_1(
    pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "verify", signed, "--trust", pki.directory / "untrusted-ca.pem")
    assert result.code == 1
    assert f"digidialog verify: transport:invalid-certificate: {signed}: " in result.err
    assert "does not chain to a CA in the trust store" in result.err


@pytest.mark.parametrize("when", ["yesterday", "2026-13-45T99:00", "", "01.05.2026 12:00"])
def test_verify_at_in_a_bad_format_exits_2(
    when: str, pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "verify", signed, "--trust", pki.ca.cert_path, "--at", when)
    assert result.code == 2
    assert f"--at {when!r} is not an ISO 8601 time" in result.err


def test_verify_at_accepts_z(pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = pki.helsenorge.signing.certificate.not_valid_before_utc
    when = (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%MZ")
    result = call(capsys, "verify", signed, "--trust", pki.ca.cert_path, "--at", when)
    assert result.code == 0, result.err
    assert "valid: signed by" in result.out


@pytest.mark.parametrize(
    ("which", "code", "says"),
    [
        ("missing", 2, "cannot read input {path}"),
        ("directory", 2, "cannot read input {path}: Is a directory"),
        ("empty", 1, "parse:not-well-formed: {path}: document is empty"),
        ("garbage", 1, "parse:not-well-formed: {path}:1"),
        ("bomb", 1, "parse:unsafe-xml: {path}:1: DOCTYPE declarations are refused"),
        ("not_message", 1, "transport:invalid-signature: {path}:"),
        ("apprec", 1, "transport:invalid-signature: {path}:"),
    ],
)
def test_verify_bad_input(
    which: str, code: int, says: str, bad: Bad, pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    path = getattr(bad, which)
    result = call(capsys, "verify", path, "--trust", pki.ca.cert_path)
    assert result.code == code
    assert f"digidialog verify: {says.format(path=path)}" in result.err


def test_verify_unsigned_message_exits_1(pki: DevPki, capsys: pytest.CaptureFixture[str]) -> None:
    result = call(capsys, "verify", MESSAGE, "--trust", pki.ca.cert_path)
    assert result.code == 1
    assert f"transport:invalid-signature: {MESSAGE}: the document has no ds:Signature" in result.err


def test_verify_empty_stdin_exits_1(
    pki: DevPki, capsys: pytest.CaptureFixture[str], stdin_bytes: None
) -> None:
    result = call(capsys, "verify", "-", "--trust", pki.ca.cert_path)
    assert result.code == 1
    assert "<stdin>: document is empty" in result.err


def test_verify_bad_trust_crl_and_resolver_options_exit_2(
    pki: DevPki, signed: Path, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = str(pki.ca.cert_path)
    cases: list[tuple[list[str | Path], str]] = [
        (["--trust", bad.missing], f"cannot read {bad.missing}: No such file or directory"),
        (["--trust", bad.garbage], f"{bad.garbage} holds no readable X.509 certificate"),
        (["--trust", bad.empty], f"{bad.empty} holds no readable X.509 certificate"),
        (["--trust", bad.directory], f"cannot read {bad.directory}: Is a directory"),
        (["--trust", ""], "the --trust path is empty"),
        (["--cert", pki.ca.key_path], f"{pki.ca.key_path} holds no readable X.509 certificate"),
        (["--trust", ca, "--crl", bad.missing],
         f"cannot read CRL {bad.missing}: No such file or directory"),
        (["--trust", ca, "--crl", bad.garbage],
         f"--crl {bad.garbage} holds no readable certificate revocation list"),
        (["--trust", ca, "--crl", bad.empty],
         f"--crl {bad.empty} holds no readable certificate revocation list"),
        (["--cert", pki.helsenorge.signing.cert_path, "--crl", pki.crl_path],
         "--crl needs --trust"),
        (["--trust", ca, "--sender", "1234"], "--sender needs --resolver"),
        (["--trust", ca, "--sender", "1234", "--resolver", bad.root / "nowhere"],
         f"--resolver {bad.root / 'nowhere'}: no such directory"),
    ]  # fmt: skip
    for args, says in cases:
        result = call(capsys, "verify", signed, *args)
        assert result.code == 2, (args, result.err)
        assert says in result.err, (args, result.err)


# --- seal ------------------------------------------------------------------------------------


def test_seal_to_the_wrong_or_unreadable_certificate_exits_2(
    pki: DevPki, signed: Path, bad: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.der"
    cases: list[tuple[Path, str]] = [
        (pki.gp_office.signing.cert_path,
         f"transport:invalid-certificate: --to {pki.gp_office.signing.cert_path}: "),
        (pki.wrong_usage.cert_path, "lacks keyEncipherment"),
        (bad.missing, f"cannot read {bad.missing}"),
        (bad.garbage, f"{bad.garbage} holds no readable X.509 certificate"),
    ]  # fmt: skip
    for to, says in cases:
        result = call(capsys, "seal", signed, *_sign_args(pki), "--to", to, "-o", out)
        assert result.code == 2, (to, result.err)
        assert says in result.err, (to, result.err)
        _no_leftovers(out)


def test_seal_with_a_signing_certificate_of_the_wrong_usage_exits_2(
    pki: DevPki, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.der"
    enc = pki.helsenorge.encryption
    result = call(capsys, "seal", signed, "--key", enc.key_path, "--cert", enc.cert_path,
                  "--to", pki.gp_office.encryption.cert_path, "-o", out)  # fmt: skip
    assert result.code == 2
    assert f"--cert {enc.cert_path}: " in result.err
    assert "lacks nonRepudiation" in result.err
    _no_leftovers(out)


@pytest.mark.parametrize(("which", "code"), [("empty", 1), ("missing", 2), ("directory", 2)])
def test_seal_bad_payload(
    which: str, code: int, bad: Bad, pki: DevPki, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = getattr(bad, which)
    out = tmp_path / "out.der"
    result = call(capsys, "seal", path, *_sign_args(pki),
                  "--to", pki.gp_office.encryption.cert_path, "-o", out)  # fmt: skip
    assert result.code == code
    assert str(path) in result.err
    if which == "empty":
        assert "transport:invalid-cms-pkcs" in result.err
        assert "nothing to seal" in result.err
    _no_leftovers(out)


def test_seal_refuses_to_write_der_to_a_terminal(
    pki: DevPki, signed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = call(capsys, "seal", signed, *_sign_args(pki),
                  "--to", pki.gp_office.encryption.cert_path)  # fmt: skip
    assert result.code == 2
    assert "refusing to write binary DER to a terminal" in result.err


# --- open ------------------------------------------------------------------------------------


def test_open_with_the_wrong_recipient_key_exits_1(
    pki: DevPki, sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    other = pki.helsenorge.encryption
    result = call(capsys, "open", sealed, "--key", other.key_path, "--cert", other.cert_path,
                  "--trust", pki.ca.cert_path, "-o", out)  # fmt: skip
    assert result.code == 1
    assert (
        f"transport:invalid-certificate: {sealed}: the message is not encrypted for" in result.err
    )
    _no_leftovers(out)


def test_open_with_a_signing_certificate_as_receiver_exits_2(
    pki: DevPki, sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    cred = pki.gp_office.signing
    result = call(capsys, "open", sealed, "--key", cred.key_path, "--cert", cred.cert_path,
                  "--trust", pki.ca.cert_path, "-o", out)  # fmt: skip
    assert result.code == 2
    assert f"--cert {cred.cert_path}: " in result.err
    assert "lacks keyEncipherment" in result.err
    _no_leftovers(out)


def test_open_from_an_untrusted_or_unexpected_sender_exits_1(
    pki: DevPki, sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.xml"
    own = _open_args(pki)[:4]
    for trust in (["--trust", str(pki.directory / "untrusted-ca.pem")],
                  ["--sender-cert", str(pki.gp_office.signing.cert_path)]):  # fmt: skip
        result = call(capsys, "open", sealed, *own, *trust, "-o", out)
        assert result.code == 1
        assert f"transport:invalid-certificate: {sealed}: " in result.err
        _no_leftovers(out)


def test_open_bad_input_exits_1_and_names_the_file(
    pki: DevPki, sealed: Path, bad: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truncated = tmp_path / "truncated.der"
    truncated.write_bytes(sealed.read_bytes()[:500])
    out = tmp_path / "out.xml"
    for path in (bad.garbage, bad.empty, bad.not_message, truncated):
        result = call(capsys, "open", path, *_open_args(pki), "-o", out)
        assert result.code == 1, (path, result.err)
        assert f"digidialog open: transport:invalid-cms-pkcs: {path}: " in result.err
        _no_leftovers(out)


def test_open_empty_stdin_exits_1(
    pki: DevPki, capsys: pytest.CaptureFixture[str], stdin_bytes: None
) -> None:
    result = call(capsys, "open", "-", *_open_args(pki))
    assert result.code == 1
    assert "transport:invalid-cms-pkcs: <stdin>: " in result.err


def test_open_unwritable_output_reports_only_the_failure(
    pki: DevPki, sealed: Path, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "open", sealed, *_open_args(pki), "-o", bad.in_missing_dir)
    assert result.code == 2
    assert f"cannot write {bad.in_missing_dir}" in result.err
    assert "opened:" not in result.err


def test_open_bad_at_and_crl_exit_2(
    pki: DevPki, sealed: Path, bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    assert call(capsys, "open", sealed, *_open_args(pki), "--at", "soon").code == 2
    result = call(capsys, "open", sealed, *_open_args(pki), "--crl", bad.garbage)
    assert result.code == 2
    assert f"--crl {bad.garbage}" in result.err


# --- dev-pki ---------------------------------------------------------------------------------


def test_dev_pki_into_a_file_or_nowhere_exits_2(
    bad: Bad, capsys: pytest.CaptureFixture[str]
) -> None:
    cases: list[tuple[str, str]] = [
        (str(bad.empty), f"cannot write the dev PKI into {bad.empty}: it is a file"),
        (str(bad.empty / "sub"), f"cannot write the dev PKI into {bad.empty / 'sub'}: "),
        ("", "the dev-pki folder name is empty"),
    ]
    for folder, says in cases:
        result = call(capsys, "dev-pki", folder)
        assert result.code == 2, (folder, result.err)
        assert says in result.err, (folder, result.err)


# --- odd paths and interrupted work -------------------------------------------------------------


def test_stdin_on_a_terminal_is_a_usage_error(
    pki: DevPki, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = io.TextIOWrapper(io.BytesIO(b""))
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", terminal)
    for args in (["inspect", "-"], ["sign", "-", *_sign_args(pki)]):
        result = call(capsys, *args)
        assert result.code == 2, (args, result.err)
        assert "standard input (-) is a terminal, not a file" in result.err


def test_validate_follows_a_symlink_loop_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "self").symlink_to(folder, target_is_directory=True)
    shutil.copy(MESSAGE, folder / "m.xml")
    result = call(capsys, "validate", folder)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert "1 file(s): 1 valid, 0 invalid" in result.out


def test_an_interrupted_write_leaves_no_partial_output(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    out = tmp_path / "out.xml"
    assert call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", out).code == 130
    _no_leftovers(out)
    assert list(tmp_path.iterdir()) == []


def test_sign_in_place_is_refused_and_the_file_kept(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "message.xml"
    path.write_bytes(MESSAGE.read_bytes())
    result = call(capsys, "sign", path, *_sign_args(pki), "-o", path)
    assert result.code == 2
    assert f"-o {path} is the same file as FILE {path}: refusing to overwrite" in result.err
    assert path.read_bytes() == MESSAGE.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["message.xml"]


def test_the_file_is_named_once_and_never_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a").write_bytes(b"")  # a name that is part of every message's words
    result = call(capsys, "inspect", "a")
    assert result.code == 1
    assert "digidialog inspect: parse:not-well-formed: a: document is empty" in result.err
    missing = call(capsys, "inspect", "missing.xml")
    assert missing.err == "digidialog inspect: cannot read missing.xml: No such file or directory\n"
