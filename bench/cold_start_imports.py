"""Cold start: import time of every handler module vs boto3 alone.

Each module is imported in a fresh interpreter with `python -X importtime`; the figure
is the cumulative time of the top-level import (microseconds, from the importtime
report), median of --repeat runs. Target (issue 7): under 1.3x boto3's import time.

Usage:  .venv/bin/python bench/cold_start_imports.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["boto3", "prakerja_flow.handlers.api", "prakerja_flow.handlers.lifecycle", "prakerja_flow.handlers.jobs"]


def _top_level(code: str) -> dict[str, int]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         cwd=ROOT / "functions", check=True)
    found: dict[str, int] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if cumulative.strip().isdigit() and name.startswith(" ") and not name.startswith("  "):
            found[name.strip()] = int(cumulative)  # unindented: imported by the statement (or by site)
    return found


def import_us(module: str) -> int:
    """Sum of the top-level entries the import adds beyond an empty interpreter's."""
    baseline = set(_top_level("pass"))
    return sum(us for name, us in _top_level(f"import {module}").items() if name not in baseline)


def heaviest(module: str, n: int = 6) -> list[tuple[str, int]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True,
                         cwd=ROOT / "functions", check=True)
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line[len("import time:"):].split("|")
            if cumulative.strip().isdigit():
                rows.append((name.strip(), int(cumulative)))
    top_packages: dict[str, int] = {}
    for name, us in rows:
        if name.count(".") == 0 and us > top_packages.get(name, 0):
            top_packages[name] = us
    return sorted(top_packages.items(), key=lambda r: -r[1])[:n]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {m: statistics.median(import_us(m) for _ in range(args.repeat)) for m in MODULES}
    base = results["boto3"]
    print(f"python {sys.version.split()[0]}, median of {args.repeat} fresh interpreters, cumulative import time")
    for module, us in results.items():
        ratio = us / base
        verdict = "" if module == "boto3" else ("  meets < 1.3x" if ratio < 1.3 else "  MISSES < 1.3x")
        print(f"  {module:36s} {us / 1000:8.1f} ms  {ratio:5.2f}x boto3{verdict}")
    print("heaviest top-level packages (cumulative ms, one run; nested imports counted where first imported):")
    for module in MODULES[1:]:
        print(f"  {module}: " + ", ".join(f"{n} {us / 1000:.0f}" for n, us in heaviest(module)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
