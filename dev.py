#!/usr/bin/env python3
"""Set up `.venv` on first use and run the project's jobs. Needs nothing but Python 3.11+.

    python3 dev.py demo [ARGS...]   the end-to-end demo (`digidialog demo`), ARGS passed on
    python3 dev.py test [ARGS...]   lint (ruff), types (mypy --strict), the whole test suite
    python3 dev.py bench            every benchmark in benchmarks/
    python3 dev.py setup            only create or refresh .venv

The environment is reinstalled when `pyproject.toml` or an adapter's `pyproject.toml` changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
ADAPTERS = sorted(p.parent for p in (ROOT / "adapters").glob("*/pyproject.toml"))
TOOLS = ("xmllint", "xmlsec1", "openssl")


def run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - a friendly word for older interpreters
        raise SystemExit("digidialog needs Python 3.11 or newer")
    inputs = [ROOT / "pyproject.toml", *(a / "pyproject.toml" for a in ADAPTERS)]
    if STAMP.exists() and all(p.stat().st_mtime <= STAMP.stat().st_mtime for p in inputs):
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    python = BIN / "python"
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    editable = [arg for a in ADAPTERS for arg in ("-e", str(a))]
    run(python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]", *editable)
    STAMP.touch()


def test(args: list[str]) -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(
            f"note: {', '.join(missing)} not installed; the interop tests that need them skip "
            "(.ci/run installs them)",
            flush=True,
        )
    paths = ["src", "tests", "adapters", "benchmarks", "examples", "dev.py"]
    run(BIN / "ruff", "check", *paths)
    run(BIN / "mypy", "src", "tests", "adapters")
    run(BIN / "pytest", "-n", "2", "-q", *args)


def main(argv: list[str]) -> None:
    job, args = (argv[0], argv[1:]) if argv else ("", [])
    if job not in {"demo", "test", "bench", "setup"}:
        raise SystemExit(__doc__)
    setup()
    if job == "demo":
        run(BIN / "digidialog", "demo", *args)
    elif job == "test":
        test(args)
    elif job == "bench":
        run(BIN / "python", ROOT / "benchmarks" / "run_all.py")


if __name__ == "__main__":
    main(sys.argv[1:])
