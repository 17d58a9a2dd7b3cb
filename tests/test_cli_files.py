"""What the commands do with files, on real files: ``-o OUT`` writes into devices, FIFOs and the
targets of links rather than replacing them, and never over one of the command's inputs; inputs
are read up to a limit (``/dev/zero`` ends in a refusal, not the OOM killer); empty folder names,
unusual file names, empty passwords, path-like HER-ids and endless durations are clear errors.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from digidialog.cli.main import TRACEBACK_VARIABLE, main
from digidialog.errors import UsageError
from digidialog.security import KeyPurpose
from digidialog.security.devpki import DevPki, create_dev_pki
from digidialog.security.errors import InvalidCertificateError
from digidialog.security.keys import load_private_key
from digidialog.security.resolver import DirectoryResolver, check_sender
from tests.keyfiles import write_encrypted_key
from tests.test_cli_errors import MESSAGE, Run, call

LIMIT = 50 * 1024 * 1024
"""ParseLimits.max_bytes and the HTTP transport's MAX_BODY: the input limit the commands use."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return create_dev_pki(tmp_path_factory.mktemp("cli-files") / "pki")


@pytest.fixture(scope="module")
def sealed(pki: DevPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sealed")
    cred = pki.helsenorge.signing
    own = ["--key", str(cred.key_path), "--cert", str(cred.cert_path)]
    assert main(["sign", str(MESSAGE), *own, "-o", str(folder / "signed.xml")]) == 0
    to = str(pki.gp_office.encryption.cert_path)
    assert main(["seal", str(folder / "signed.xml"), *own, "--to", to,
                 "-o", str(folder / "m.p7m")]) == 0  # fmt: skip
    return folder / "m.p7m"


def _sign_args(pki: DevPki) -> list[str]:
    cred = pki.helsenorge.signing
    return ["--key", str(cred.key_path), "--cert", str(cred.cert_path)]


# --- -o OUT: devices, FIFOs and links are written into, not replaced ----------------------------


def test_output_through_a_link_to_a_device_writes_into_the_device(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "out.xml"
    link.symlink_to(os.devnull)
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", link)
    assert result.code == 0, result.err
    assert link.is_symlink()
    assert os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod needs root")
def test_output_to_a_device_node_stays_a_device(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", node)
    assert result.code == 0, result.err
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["mynull"]


def test_output_to_a_fifo_is_written_into_not_replaced(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as handle:
            got.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", fifo)
    thread.join(30)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got
    assert b"Signature" in got[0]


def test_output_through_a_link_to_a_file_writes_the_file_and_keeps_the_link(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "real.xml"
    target.write_bytes(b"the old version")
    target.chmod(0o640)
    link = tmp_path / "link.xml"
    link.symlink_to(target.name)
    result = call(capsys, "sign", MESSAGE, *_sign_args(pki), "-o", link)
    assert result.code == 0, result.err
    assert link.is_symlink()
    assert b"Signature" in target.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.xml", "real.xml"]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_seal_will_not_write_der_into_a_terminal_named_by_o(
    pki: DevPki, capsys: pytest.CaptureFixture[str]
) -> None:
    controller, terminal = os.openpty()
    try:
        name = os.ttyname(terminal)
        result = call(capsys, "seal", MESSAGE, *_sign_args(pki),
                      "--to", pki.gp_office.encryption.cert_path, "-o", name)  # fmt: skip
        assert stat.S_ISCHR(os.stat(name).st_mode)
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.code == 2
    assert f"refusing to write binary DER to the terminal {name}" in result.err


# --- -o OUT is never one of the inputs ---------------------------------------------------------


@pytest.fixture
def inputs(pki: DevPki, sealed: Path, tmp_path: Path) -> dict[str, Path]:
    """Copies of every file the commands read, so that a clobbered one shows."""
    sources = {
        "message.xml": MESSAGE,
        "m.p7m": sealed,
        "hn.key": pki.helsenorge.signing.key_path,
        "hn.pem": pki.helsenorge.signing.cert_path,
        "gp-enc.key": pki.gp_office.encryption.key_path,
        "gp-enc.pem": pki.gp_office.encryption.cert_path,
        "ca.pem": pki.ca.cert_path,
        "ca.crl": pki.crl_path,
    }
    for name, source in sources.items():
        shutil.copyfile(source, tmp_path / name)
    return {name: tmp_path / name for name in sources}


def _command(command: str, files: dict[str, Path], trust: str) -> list[str]:
    f = {name: str(path) for name, path in files.items()}
    if command == "sign":
        return ["sign", f["message.xml"], "--key", f["hn.key"], "--cert", f["hn.pem"]]
    if command == "seal":
        return ["seal", f["message.xml"], "--key", f["hn.key"], "--cert", f["hn.pem"],
                "--to", f["gp-enc.pem"]]  # fmt: skip
    own = ["open", f["m.p7m"], "--key", f["gp-enc.key"], "--cert", f["gp-enc.pem"]]
    if trust == "--sender-cert":
        return [*own, "--sender-cert", f["hn.pem"]]
    return [*own, "--trust", f["ca.pem"], "--crl", f["ca.crl"]]


@pytest.mark.parametrize(
    ("command", "option", "via_link"),
    [
        ("sign", "FILE", False),
        ("sign", "--key", False),
        ("sign", "--key", True),
        ("sign", "--cert", False),
        ("seal", "FILE", False),
        ("seal", "--key", False),
        ("seal", "--to", False),
        ("open", "FILE", False),
        ("open", "FILE", True),
        ("open", "--key", False),
        ("open", "--cert", False),
        ("open", "--trust", False),
        ("open", "--crl", False),
        ("open", "--sender-cert", False),
    ],
)
def test_output_over_an_input_is_refused_and_the_input_kept(
    command: str,
    option: str,
    via_link: bool,
    inputs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _command(command, inputs, option)
    victim = args[1] if option == "FILE" else args[args.index(option) + 1]
    out = victim
    if via_link:
        (tmp_path / "out-link").symlink_to(victim)
        out = str(tmp_path / "out-link")
    before = {name: path.read_bytes() for name, path in inputs.items()}
    result = call(capsys, *args, "-o", out)
    assert result.code == 2, result.err
    assert f"-o {out} is the same file as {option} {victim}: refusing to overwrite" in result.err
    assert {name: path.read_bytes() for name, path in inputs.items()} == before


def test_output_over_standard_input_is_refused(pki: DevPki, tmp_path: Path) -> None:
    message = tmp_path / "in.xml"
    shutil.copyfile(MESSAGE, message)
    env = {k: v for k, v in os.environ.items() if k != TRACEBACK_VARIABLE}
    with message.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "digidialog.cli.main", "sign", "-", *_sign_args(pki),
             "-o", str(message)],
            stdin=stdin, capture_output=True, check=False, env=env,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert b"is the same file as FILE <stdin>" in done.stderr
    assert message.read_bytes() == MESSAGE.read_bytes()


def test_output_into_the_resolver_folder_is_refused(
    pki: DevPki, sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolver = tmp_path / "resolver"
    shutil.copytree(pki.resolver_dir, resolver)
    registered = resolver / f"{pki.helsenorge.her_id}.signing.pem"
    before = registered.read_bytes()
    enc = pki.gp_office.encryption
    result = call(capsys, "open", sealed, "--key", enc.key_path, "--cert", enc.cert_path,
                  "--trust", pki.ca.cert_path, "--resolver", resolver,
                  "--sender", pki.helsenorge.her_id, "-o", registered)  # fmt: skip
    assert result.code == 2
    assert f"-o {registered} is inside --resolver {resolver}" in result.err
    assert registered.read_bytes() == before


# --- inputs are read up to a limit -------------------------------------------------------------


def _limited(*args: str | Path, stdin: str = os.devnull) -> Run:
    """The command in a real process whose memory is capped at 1 GB: an unbounded read of
    /dev/zero ends in MemoryError (an internal error) there instead of the OOM killer."""
    import resource

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    env = {k: v for k, v in os.environ.items() if k != TRACEBACK_VARIABLE}
    with open(stdin, "rb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "digidialog.cli.main", *map(str, args)],
            stdin=handle, capture_output=True, check=False, env=env, preexec_fn=cap_memory,
            timeout=300,
        )  # fmt: skip
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/zero and RLIMIT_AS")
@pytest.mark.parametrize(
    ("args", "stdin", "code", "says"),
    [
        (["inspect", "/dev/zero"], os.devnull, 1,
         f"digidialog inspect: parse:unsafe-xml: /dev/zero: is over the limit of {LIMIT} bytes"),
        (["inspect", "-"], "/dev/zero", 1,
         f"digidialog inspect: parse:unsafe-xml: <stdin>: is over the limit of {LIMIT} bytes"),
        (["sign", "/dev/zero", "KEYS"], os.devnull, 1,
         f"digidialog sign: parse:unsafe-xml: /dev/zero: is over the limit of {LIMIT} bytes"),
        (["verify", "-", "--trust", "CA"], "/dev/zero", 1,
         f"digidialog verify: parse:unsafe-xml: <stdin>: is over the limit of {LIMIT} bytes"),
        (["open", "/dev/zero", "OPEN"], os.devnull, 1,
         f"digidialog open: transport:invalid-cms-pkcs: /dev/zero: is over the limit of {LIMIT} "
         "bytes"),
        (["sign", "MESSAGE", "--key", "/dev/zero"], os.devnull, 2,
         f"digidialog sign: cannot read /dev/zero: is over the limit of {LIMIT} bytes"),
    ],
)  # fmt: skip
def test_an_endless_input_is_refused_at_the_limit(
    args: list[str], stdin: str, code: int, says: str, pki: DevPki
) -> None:
    enc = pki.gp_office.encryption
    words = {
        "KEYS": _sign_args(pki),
        "CA": [str(pki.ca.cert_path)],
        "OPEN": ["--key", str(enc.key_path), "--cert", str(enc.cert_path), "--trust", "CA"],
        "MESSAGE": [str(MESSAGE)],
    }
    argv = [part for word in args for part in words.get(word, [word])]
    argv = [part for word in argv for part in words.get(word, [word])]  # OPEN names CA
    result = _limited(*argv, stdin=stdin)
    assert "internal error" not in result.err
    assert result.code == code, result.err
    assert says in result.err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/zero and RLIMIT_AS")
def test_validate_reports_an_endless_input_as_an_xml_error() -> None:
    result = _limited("validate", "/dev/zero", "-", stdin="/dev/zero")
    assert result.code == 1, result.err
    over = f"error XML: the file is over the limit of {LIMIT} bytes"
    assert f"/dev/zero: {over}" in result.out
    assert f"<stdin>: {over}" in result.out


def test_a_huge_sparse_file_is_refused_from_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sparse = tmp_path / "sparse.xml"
    with sparse.open("wb") as handle:
        handle.truncate(1 << 30)  # 1 GB of nothing: reading it would take 1 GB (or 2, joined)
    result = call(capsys, "validate", "--format", "json", sparse)
    assert result.code == 1
    issues = json.loads(result.out)["files"][0]["issues"]
    assert issues == [{"rule": "XML", "severity": "error", "line": None, "xpath": None,
                       "message": f"the file is over the limit of {LIMIT} bytes "
                                  "(ParseLimits.max_bytes)"}]  # fmt: skip
    result = call(capsys, "inspect", sparse)
    assert result.code == 1
    assert f"{sparse}: is over the limit of {LIMIT} bytes" in result.err


# --- empty folder names ------------------------------------------------------------------------


def test_an_empty_folder_name_is_refused_not_taken_for_the_current_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["demo", "--workdir", ""], ["simulate", "systemx", "--dir", "", "--seconds", "0"]):
        result = call(capsys, *args)
        assert result.code == 2, (args, result.err)
        assert "the folder name is empty" in result.err, args
    assert list(tmp_path.iterdir()) == []


# --- dev-pki -----------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_dev_pki_refuses_an_existing_pki_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pki"
    assert call(capsys, "dev-pki", folder).code == 0
    before = _snapshot(folder)
    result = call(capsys, "dev-pki", folder)
    assert result.code == 2
    assert f"digidialog dev-pki: {folder} already holds a dev PKI (ca.key, ca.pem, " in result.err
    assert "--force" in result.err
    assert _snapshot(folder) == before
    assert call(capsys, "dev-pki", folder, "--force").code == 0
    after = _snapshot(folder)
    assert set(after) == set(before)
    assert after["ca.key"] != before["ca.key"]
    assert [p.name for p in tmp_path.iterdir()] == ["pki"]  # no temporary folder left


def test_dev_pki_never_writes_through_a_symlink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "pkiv"
    folder.mkdir()
    (folder / "ca.pem").symlink_to("../victim.txt")
    result = call(capsys, "dev-pki", folder)
    assert result.code == 2
    assert "already holds a dev PKI (ca.pem)" in result.err
    assert call(capsys, "dev-pki", folder, "--force").code == 0
    assert victim.read_text() == "precious"
    assert not (folder / "ca.pem").is_symlink()
    assert b"BEGIN CERTIFICATE" in (folder / "ca.pem").read_bytes()


def test_dev_pki_keys_are_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if every chmod after writing never ran (a crash, a kill): the keys must already be 0600.
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    umask = os.umask(0o022)
    try:
        pki = create_dev_pki(tmp_path / "pki")
        extra = pki.issue("extra", KeyPurpose.SIGNING)
    finally:
        os.umask(umask)
    keys = sorted((tmp_path / "pki").glob("*.key"))
    assert len(keys) == 12
    assert extra.key_path in keys
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


@pytest.fixture
def fail_after(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Key generation that fails (disk full) once the list's number of keys has been made."""
    from digidialog.security import devpki

    real = devpki._key
    budget = [4]

    def key(bits: int = 2048) -> object:
        if budget[0] <= 0:
            raise OSError(28, "No space left on device")
        budget[0] -= 1
        return real(bits)

    monkeypatch.setattr(devpki, "_key", key)
    return budget


def test_dev_pki_that_fails_half_way_leaves_nothing_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_after: list[int]
) -> None:
    result = call(capsys, "dev-pki", tmp_path / "new" / "pki")
    assert result.code == 2
    assert "No space left on device" in result.err
    assert list(tmp_path.iterdir()) == []  # not even the parent folder it made


def test_dev_pki_that_fails_while_replacing_keeps_the_old_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "pki"
    create_dev_pki(folder)
    (tmp_path / "pki" / "notes.txt").write_text("mine")
    before = _snapshot(folder)
    real_rename = os.rename
    renames = [0]

    def flaky_rename(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        renames[0] += 1
        if renames[0] == 9:  # half-way through moving the new files in
            raise OSError(5, "Input/output error")
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", flaky_rename)
    result = call(capsys, "dev-pki", folder, "--force")
    assert result.code == 2
    assert "Input/output error" in result.err
    assert _snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["pki"]


# --- unusual file names in reports -------------------------------------------------------------


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    """A valid message under a name with a control character, and one with a byte that is not
    UTF-8 (Linux file names are bytes)."""
    folder = tmp_path / "odd"
    folder.mkdir()
    for name in (b"ctl\x01x.xml", b"bad\xffname.xml"):
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(MESSAGE.read_bytes())
    return folder


def test_validate_reports_unusual_names_in_every_format(
    odd_names: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = [f"{odd_names}/bad\\xffname.xml", f"{odd_names}/ctl\\x01x.xml"]
    result = call(capsys, "validate", odd_names)
    assert result.code == 0, result.err
    assert result.out.splitlines()[:2] == [f"{name}: valid" for name in shown]
    result = call(capsys, "validate", odd_names, "--format", "json")
    assert result.code == 0, result.err
    assert [f["path"] for f in json.loads(result.out)["files"]] == shown
    result = call(capsys, "validate", odd_names, "--format", "junit")
    assert result.code == 0, result.err
    cases = etree.fromstring(result.out.encode()).findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == shown
    result = call(capsys, "validate", odd_names, "--format", "sarif")
    assert result.code == 0, result.err
    artifacts = json.loads(result.out)["runs"][0]["artifacts"]
    assert [a["location"]["uri"] for a in artifacts] == [
        f"{odd_names}/bad%FFname.xml",
        f"{odd_names}/ctl%01x.xml",
    ]


def test_inspect_json_shows_an_unusual_name(
    odd_names: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = os.fsdecode(os.path.join(os.fsencode(odd_names), b"bad\xffname.xml"))
    result = call(capsys, "inspect", "--json", path)
    assert result.code == 0, result.err
    assert json.loads(result.out)["path"] == f"{odd_names}/bad\\xffname.xml"


def test_real_process_validate_json_is_utf_8_whatever_the_names(odd_names: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if k != TRACEBACK_VARIABLE}, "LC_ALL": "C"}
    done = subprocess.run(
        [sys.executable, "-m", "digidialog.cli.main", "validate", str(odd_names), "--format",
         "json"], capture_output=True, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    paths = [f["path"] for f in json.loads(done.stdout.decode("utf-8"))["files"]]
    assert paths == [f"{odd_names}/bad\\xffname.xml", f"{odd_names}/ctl\\x01x.xml"]


# --- passwords, HER-ids, durations, paths that are not files -----------------------------------


def test_an_empty_password_variable_is_said_to_be_empty(
    pki: DevPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = pki.helsenorge.signing
    key = write_encrypted_key(tmp_path / "enc.key", cred.key)
    monkeypatch.setenv("DD_EMPTY_PASSWORD", "")
    out = tmp_path / "out.xml"
    result = call(capsys, "sign", MESSAGE, "--key", key, "--cert", cred.cert_path,
                  "--password-env", "DD_EMPTY_PASSWORD", "-o", out)  # fmt: skip
    assert result.code == 2
    assert (
        "--password-env DD_EMPTY_PASSWORD: the environment variable DD_EMPTY_PASSWORD is set but "
        f"empty, and {key} needs its password" in result.err
    )
    assert "not encrypted" not in result.err
    assert not out.exists()
    with pytest.raises(UsageError, match="needs a password, but the password given is empty"):
        load_private_key(key, b"")
    # A PKCS#12 file without a password still opens with the empty one.
    p12 = tmp_path / "plain.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"hn", cred.key, cred.certificate, None, serialization.NoEncryption()
    ))  # fmt: skip
    result = call(capsys, "sign", MESSAGE, "--key", p12, "--password-env", "DD_EMPTY_PASSWORD",
                  "-o", out)  # fmt: skip
    assert result.code == 0, result.err


def test_a_sender_that_is_not_a_her_id_never_reaches_the_file_system(
    pki: DevPki, sealed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolver = tmp_path / "resolver"
    resolver.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(pki.helsenorge.signing.cert_path, elsewhere / "1234.signing.pem")
    sneaky = "../elsewhere/1234"
    looked_up = DirectoryResolver(resolver)
    assert looked_up.certificates(sneaky, KeyPurpose.SIGNING) == ()
    with pytest.raises(InvalidCertificateError, match="no signing certificate is registered"):
        check_sender(looked_up, sneaky, pki.helsenorge.signing.certificate, KeyPurpose.SIGNING)
    enc = pki.gp_office.encryption
    result = call(capsys, "open", sealed, "--key", enc.key_path, "--cert", enc.cert_path,
                  "--trust", pki.ca.cert_path, "--resolver", resolver,
                  "--sender", sneaky)  # fmt: skip
    assert result.code == 2
    assert f"--sender '{sneaky}' is not a HER-id" in result.err


@pytest.mark.parametrize("seconds", ["inf", "1e300", "nan", "-1"])
def test_simulate_seconds_must_be_a_finite_duration(
    seconds: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "simulate", "systemx", "--dir", tmp_path / "sim", "--seconds", seconds)
    assert result.code == 2, result.err
    assert f"argument --seconds: {seconds} is not a duration" in result.err
    assert not (tmp_path / "sim").exists()


def test_validate_reads_a_pipe_given_as_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "message.fifo"  # what <(cat x.xml) gives: a path that is not a file
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as handle:
            handle.write(MESSAGE.read_bytes())

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = call(capsys, "validate", fifo)
    if thread.is_alive():  # not read: let the writer go
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    thread.join(30)
    assert result.code == 0, result.err
    assert f"{fifo}: valid" in result.out


def test_validate_schemas_naming_a_file_says_it_is_not_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = call(capsys, "validate", MESSAGE, "--schemas", MESSAGE)
    assert result.code == 2
    assert f"digidialog validate: --schemas {MESSAGE}: not a directory" in result.err
    assert "not found" not in result.err
