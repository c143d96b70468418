"""The habits of issue 13, checked in the README test command: lint (`ruff check .`, with the
complexity gate: ruff's mccabe), format (`ruff format --check .`), types (mypy, strict on the
domain and the data layer), and no shipped module over MAX_MODULE_LINES lines. The rules, the
files and the exclusions are in pyproject.toml. Each check runs the real tool on the tree; a
failure prints what the tool said."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


def test_ruff_lint():
    out = _run(_tool("ruff"), "check", "--no-cache", ".")  # the complexity gate (C90) is one of its rules
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format():
    out = _run(_tool("ruff"), "format", "--check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy():
    out = _run(_tool("mypy"), "--no-incremental")  # the files and strictness are in pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", sorted(SHIPPED.rglob("*.py")), ids=lambda p: str(p.relative_to(SHIPPED)))
def test_no_shipped_module_is_over_the_limit(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by concern"
