"""Run every benchmark script in this folder, one after the other, and say which missed its target.

    .venv/bin/python benchmarks/run_all.py

Each ``*_bench.py`` prints its own numbers and exits 1 when it misses its target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def main() -> int:
    # No options; parsing still answers --help (and refuses anything else) before minutes of work.
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    here = Path(__file__).resolve().parent
    missed: list[str] = []
    for script in sorted(here.glob("*_bench.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            missed.append(script.name)
    print("all targets met" if not missed else f"missed targets: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
