"""Time `digidialog validate DIR` against `xmllint --noout --schema` on the same 5,000 files.

    .venv/bin/python benchmarks/validate_bench.py [--count 5000] [--rounds 3] [--keep]

The files are variations (fresh MsgId, GenDate and IssueDate) of our example messages in
``examples/`` — or, when those are missing, of the official examples in ``../shared/reference`` —
written to a temporary directory. Each round runs, back to back so they share the machine's load:
xmllint once (one process, the same schema files through one wrapper schema that imports them),
`digidialog validate --jobs 1` (one process: our schema set *and* every business rule), and
`digidialog validate` as a user runs it (one worker per CPU for a batch this size). Prints every
round, then the range of the ratios. Target: at most 1.5; the exit code judges the default run's
median ratio (1 above the target).

Before timing, the package is byte-compiled (``compileall``), as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set, or sources newer than their ``.pyc``, every run would otherwise
compile them again (≈ 0.05-0.09 s of start-up that an installed digidialog never pays).
"""

from __future__ import annotations

import argparse
import compileall
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from lxml import etree

from digidialog.cli.validate import cpu_count, default_jobs
from digidialog.xml.schema import SchemaSet

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OFFICIAL = ROOT.parent / "shared" / "reference" / "samples" / "sarepta-digital-dialog"
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
    target = folder / "_wrapper.xsd"
    target.write_bytes(schemas.wrapper_xsd())
    return target


def timed(command: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall-clock seconds, CPU seconds (user + system, worker processes included) and the result.

    CPU time says what the work costs; on a shared machine the wall clock also says who else ran.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="files to generate (default 5000)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the three runs (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated directory")
    args = parser.parse_args()
    if shutil.which("xmllint") is None:
        sys.exit("xmllint is not installed (apt-get install libxml2-utils)")
    compileall.compile_dir(ROOT / "src" / "digidialog", quiet=1)
    schemas = SchemaSet.default()
    bases = base_messages(schemas)
    jobs = default_jobs(args.count)
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
        runs = {
            "xmllint": ["xmllint", "--noout", "--schema", str(wrapper), *names],
            "single": [digidialog, "validate", "--jobs", "1", str(files)],
            "default": [digidialog, "validate", str(files)],
        }
        print(f"files: {args.count}; CPUs: {cpu_count()}; default run: {jobs} job(s)")
        print(
            f"{'round':>5}  {'xmllint':>8}  {'--jobs 1':>8}  {'default':>8}  "
            "ratios (--jobs 1 / default)  CPU seconds in the same order"
        )
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        outputs: dict[str, bytes] = {}
        for round_ in range(1, args.rounds + 1):
            for name, command in runs.items():
                elapsed, cpu, done = timed(command, files if name == "xmllint" else folder)
                times[name].append(elapsed)
                cpus[name].append(cpu)
                if name == "xmllint":
                    if done.stderr.count(b" validates") != args.count:
                        sys.exit(f"xmllint did not validate every file: {done.stderr[-500:]!r}")
                else:
                    if done.returncode != 0:
                        sys.exit(f"digidialog validate exited {done.returncode}: {done.stderr!r}")
                    outputs[name] = done.stdout
            lint, single, default = (times[name][-1] for name in runs)
            print(
                f"{round_:>5}  {lint:7.2f}s  {single:7.2f}s  {default:7.2f}s  "
                f"{single / lint:.2f}x / {default / lint:.2f}x   (CPU s: "
                + " / ".join(f"{cpus[name][-1]:.2f}" for name in runs)
                + ")"
            )
        if outputs["single"] != outputs["default"]:
            sys.exit("the --jobs 1 and the default run printed different reports")
        print(outputs["default"].decode().strip().splitlines()[-1])
        ratios = {
            name: sorted(t / lint for t, lint in zip(times[name], times["xmllint"], strict=True))
            for name in ("single", "default")
        }
        for name, label in (("single", "--jobs 1"), ("default", f"default ({jobs} jobs)")):
            low, high, median = ratios[name][0], ratios[name][-1], statistics.median(ratios[name])
            print(f"ratio {label:18} {low:.2f}x - {high:.2f}x (median {median:.2f}x)")
        median = statistics.median(ratios["default"])
        print(f"target <= {TARGET}x: {'met' if median <= TARGET else 'not met'}")
        return 0 if median <= TARGET else 1
    finally:
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder)


if __name__ == "__main__":
    raise SystemExit(main())
