"""Nothing outside the message is ever opened: a DOCTYPE is refused before libxml2 reads it, in
every encoding libxml2 reads, and libxml2 itself is refused every file or URL it asks for.

A FIFO named as the external DTD is the tripwire: opening it for reading blocks until a writer
comes, so a parse that opens it never returns (each parse runs in a thread with a timeout).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from digidialog.errors import UnsafeXMLError
from digidialog.xml import parser
from digidialog.xml.parser import parse_xml

REFUSED = "DOCTYPE declarations are refused"
TIMEOUT = 10.0


def _declared(encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>'


def _body(system_id: str) -> str:
    return (
        f'<!DOCTYPE MsgHead SYSTEM "{system_id}">'
        '<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24"/>'
    )


def _switched(encoding: str, codec: str) -> Callable[[str], bytes]:
    # An ASCII declaration naming an encoding libxml2 switches to right after the closing quote.
    return lambda body: (
        f'<?xml version="1.0" encoding="{encoding}"'.encode() + ("?>" + body).encode(codec)
    )


# Every way to spell a DOCTYPE that libxml2 reads (checked against lxml 6 / libxml2 2.14).
VARIANTS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda body: (_declared("UTF-8") + body).encode(),
    "utf-8, BOM": lambda body: b"\xef\xbb\xbf" + body.encode(),
    "utf-16-le, BOM": lambda body: b"\xff\xfe" + (_declared("UTF-16") + body).encode("utf-16-le"),
    "utf-16-be, BOM": lambda body: b"\xfe\xff" + (_declared("UTF-16") + body).encode("utf-16-be"),
    "utf-16-le, BOM, no declaration": lambda body: b"\xff\xfe" + body.encode("utf-16-le"),
    "utf-16-le, no BOM": lambda body: (_declared("UTF-16") + body).encode("utf-16-le"),
    "utf-16-be, no BOM": lambda body: (_declared("UTF-16") + body).encode("utf-16-be"),
    "utf-32-le, BOM": lambda body: "\ufeff".encode("utf-32-le") + body.encode("utf-32-le"),
    "utf-32-be, BOM": lambda body: "\ufeff".encode("utf-32-be") + body.encode("utf-32-be"),
    "utf-32-le, no BOM": lambda body: (_declared("UTF-32") + body).encode("utf-32-le"),
    "utf-32-be, no BOM, no declaration": lambda body: body.encode("utf-32-be"),
    "ascii declaration, then UTF-16LE": _switched("UTF-16LE", "utf-16-le"),
    "ascii declaration, then UTF-16 (BE)": _switched("UTF-16BE", "utf-16-be"),
    "ascii declaration, then UCS-4": _switched("UCS-4", "utf-32-be"),
    "ascii declaration, then UTF-7": lambda body: (
        _declared("UTF-7").encode()
        + body.replace("<", "+ADw-").replace("!", "+ACE-").replace('"', "+ACI-").encode()
    ),
}


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "msghead.dtd"
    os.mkfifo(path)
    yield path
    _release(path)


def _release(fifo: Path) -> None:
    """Let a reader blocked opening ``fifo`` go (it reads end of file)."""
    with contextlib.suppress(OSError):  # ENXIO: nobody is waiting
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def _parse_promptly(data: bytes, fifo: Path) -> BaseException | None:
    """Parse ``data`` in a thread; fail if it hangs (it opened ``fifo``). Returns the error."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            parse_xml(data, source="evil.xml")
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    if thread.is_alive():
        _release(fifo)
        thread.join(TIMEOUT)
        pytest.fail(f"the parse opened {fifo.name}, the DTD its DOCTYPE names, and waited on it")
    return outcome[0]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_doctype_naming_a_fifo_is_refused_promptly(variant: str, fifo: Path) -> None:
    error = _parse_promptly(VARIANTS[variant](_body(str(fifo))), fifo)
    assert isinstance(error, UnsafeXMLError)
    assert REFUSED in error.message
    assert error.location.source == "evil.xml"


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_doctype_is_refused_before_libxml2_sees_it(
    variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_libxml2() -> None:
        raise AssertionError("the DOCTYPE reached libxml2")

    monkeypatch.setattr(parser, "_parser", no_libxml2)
    with pytest.raises(UnsafeXMLError, match=REFUSED):
        parse_xml(VARIANTS[variant](_body("/nonexistent/msghead.dtd")), source="evil.xml")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
@pytest.mark.parametrize("padding", [10, 5_000, 100_000])
def test_a_doctype_after_a_long_prolog_is_still_seen(codec: str, padding: int) -> None:
    # The wide encodings are decoded a growing prefix at a time: past the first chunk too.
    text = _declared(codec.upper()) + "<!--" + "x" * padding + "-->\n" + _body("/x.dtd")
    assert parser._prolog_has_doctype(text.encode(codec))


# External resources reached through a DOCTYPE, each naming the FIFO: the external subset, an
# external parameter entity, an external general entity used in the content.
def _external_subset(fifo: Path) -> str:
    return _body(str(fifo))


def _parameter_entity(fifo: Path) -> str:
    return f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{fifo}"> %p;]><r/>'


def _general_entity(fifo: Path) -> str:
    return f'<!DOCTYPE r [<!ENTITY e SYSTEM "{fifo}">]><r>&e;</r>'


@pytest.mark.parametrize("reference", [_external_subset, _parameter_entity, _general_entity])
@pytest.mark.parametrize("variant", ["utf-8", "utf-16-le, BOM", "utf-32-be, BOM"])
def test_libxml2_is_refused_every_external_resource(
    variant: str,
    reference: Callable[[Path], str],
    fifo: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Take the first wall away: whatever libxml2 asks for must be refused, not opened. The
    # parser's collect_ids=False alone makes libxml2 ask for the external subset.
    monkeypatch.setattr(parser, "_prolog_has_doctype", lambda raw: False)
    error = _parse_promptly(VARIANTS[variant](reference(fifo)), fifo)
    assert isinstance(error, UnsafeXMLError)
    assert REFUSED in error.message


def test_the_resolver_is_what_refuses(fifo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    refuse = parser._RefuseAll.resolve

    def spy(self: parser._RefuseAll, system_url: str, public_id: str, context: object) -> object:
        asked.append(system_url)
        return refuse(self, system_url, public_id, context)

    monkeypatch.setattr(parser, "_prolog_has_doctype", lambda raw: False)
    monkeypatch.setattr(parser._RefuseAll, "resolve", spy)
    error = _parse_promptly(VARIANTS["utf-16-le, BOM"](_body(str(fifo))), fifo)
    assert isinstance(error, UnsafeXMLError)
    assert asked == [str(fifo)]


# Regular files: the tripwire is the open itself, seen by strace.
SCRIPT = """
import sys
from digidialog.errors import UnsafeXMLError
from digidialog.xml import parser
if sys.argv[2] == "resolver only":
    parser._prolog_has_doctype = lambda raw: False
try:
    parser.parse_xml(open(sys.argv[1], "rb").read())
except UnsafeXMLError as exc:
    print("REFUSED", exc)
"""


@pytest.mark.tools
@pytest.mark.parametrize("walls", ["both walls", "resolver only"])
def test_a_regular_file_named_by_a_doctype_is_never_opened(tmp_path: Path, walls: str) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    dtd = tmp_path / "local.dtd"
    dtd.write_text('<!ATTLIST MsgHead injected CDATA "yes">')
    message = tmp_path / "m.xml"
    message.write_bytes(VARIANTS["utf-16-le, BOM"](_body(str(dtd))))
    trace = tmp_path / "trace"
    command = [strace, "-f", "-e", "trace=open,openat", "-o", str(trace), sys.executable]
    run = subprocess.run(
        [*command, "-c", SCRIPT, str(message), walls],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if not trace.exists() or "ptrace" in run.stderr:
        pytest.skip(f"strace cannot trace here: {run.stderr.strip()[:200]}")
    assert "REFUSED" in run.stdout, run.stderr[-500:]
    assert str(message) in trace.read_text()  # the trace sees the script's own open
    assert str(dtd) not in trace.read_text()


@pytest.mark.parametrize(
    "data",
    [
        ("\ufeff" + _declared("UTF-16") + "<r><![CDATA[<!DOCTYPE x>]]>æ</r>").encode("utf-16-le"),
        "<r>æ</r>".encode("utf-32"),
        (_declared("UTF-16") + "<!-- <!DOCTYPE x> --><r>æ</r>").encode("utf-16-be"),
        _declared("UTF-7").encode() + b"<r>+AOY-</r>",
        _declared("ISO-8859-1").encode() + b"<r>\xe6</r>",
        _declared("windows-1252").encode() + b"<r>\xe6</r>",
    ],
    ids=["utf-16 CDATA", "utf-32", "utf-16 comment", "utf-7", "latin-1", "windows-1252"],
)
def test_messages_in_other_encodings_still_parse(data: bytes) -> None:
    assert (parse_xml(data).getroot().text or "").endswith("æ")
