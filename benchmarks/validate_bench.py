"""Time `digidialog validate DIR` against `xmllint --noout --schema` on the same 5,000 files.

    .venv/bin/python benchmarks/validate_bench.py [--count 5000] [--keep]

The files are variations (fresh MsgId, GenDate and IssueDate) of our example messages in
``examples/`` — or, when those are missing, of the official examples in ``../shared/reference`` —
written to a temporary directory. Both tools run once, as a user would run them, each compiling
its schema once: digidialog with our schema set *and* every business rule, xmllint with the same
schema files through one wrapper schema that imports them. Prints both times and the ratio
(target: at most 1.5).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from lxml import etree

from digidialog.xml.schema import SchemaSet

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OFFICIAL = ROOT.parent / "shared" / "reference" / "samples" / "sarepta-digital-dialog"
XS = "http://www.w3.org/2001/XMLSchema"
TARGET = 1.5

_MSGID = re.compile(rb"<(\w+:)?MsgId>[^<]*</(\w+:)?MsgId>")
_GENDATE = re.compile(rb"<(\w+:)?GenDate>[^<]*</(\w+:)?GenDate>")


def base_messages(schemas: SchemaSet) -> list[bytes]:
    """Our schema-valid examples (the point of comparison), else the official ones."""
    for folder in (EXAMPLES, OFFICIAL):
        paths = sorted(folder.rglob("*.xml")) if folder.is_dir() else []
        found = [p.read_bytes() for p in paths]
        valid = [data for data in found if schemas.is_valid(etree.fromstring(data).getroottree())]
        if valid:
            print(f"base messages: {len(valid)} from {folder}")
            return valid
    sys.exit("no example messages found (examples/ or ../shared/reference)")


def variant(data: bytes, n: int) -> bytes:
    """The same message with a new MsgId and GenDate, so no two files are alike."""
    msg_id = str(uuid.UUID(int=n + 1, version=4)).encode()
    data = _MSGID.sub(lambda m: b"<%sMsgId>%s</%sMsgId>" % (m[1] or b"", msg_id, m[2] or b""), data)
    stamp = f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00".encode()
    return _GENDATE.sub(
        lambda m: b"<%sGenDate>%s</%sGenDate>" % (m[1] or b"", stamp, m[2] or b""), data
    )


def wrapper_schema(schemas: SchemaSet, folder: Path) -> Path:
    """One XSD importing every schema of the set, so xmllint validates the same namespaces."""
    root = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    root.set("targetNamespace", "urn:digidialog:benchmark")
    for namespace, path in sorted(schemas.locations.items()):
        etree.SubElement(root, f"{{{XS}}}import", namespace=namespace, schemaLocation=path.as_uri())
    target = folder / "_wrapper.xsd"
    target.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return target


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="files to generate (default 5000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated directory")
    args = parser.parse_args()
    if shutil.which("xmllint") is None:
        sys.exit("xmllint is not installed (apt-get install libxml2-utils)")
    schemas = SchemaSet.default()
    bases = base_messages(schemas)
    folder = Path(tempfile.mkdtemp(prefix="digidialog-bench-"))
    try:
        files = folder / "messages"
        files.mkdir()
        names = []
        for n in range(args.count):
            name = f"m{n:05d}.xml"
            (files / name).write_bytes(variant(bases[n % len(bases)], n))
            names.append(name)
        wrapper = wrapper_schema(schemas, folder)
        digidialog = str(Path(sys.executable).with_name("digidialog"))
        ours, ours_run = timed([digidialog, "validate", str(files)], folder)
        lint, lint_run = timed(["xmllint", "--noout", "--schema", str(wrapper), *names], files)
        lint_ok = lint_run.stderr.count(b" validates")
        summary = ours_run.stdout.decode().strip().splitlines()[-1]
        print(f"files:                     {args.count}")
        print(f"digidialog validate:       {ours:7.2f} s  ({summary}; exit {ours_run.returncode})")
        print(
            f"xmllint --noout --schema:  {lint:7.2f} s  "
            f"({lint_ok} validate; exit {lint_run.returncode})"
        )
        ratio = ours / lint
        print(f"ratio:                     {ratio:7.2f}x  (target <= {TARGET}x)")
        return 0 if ratio <= TARGET else 1
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder)


if __name__ == "__main__":
    raise SystemExit(main())
