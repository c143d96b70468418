#!/usr/bin/env bash
# Sets up everything a fresh clone needs: a virtualenv with the pinned project and
# its dev tools, and the Node.js tools (ASL validator) from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The browser of the console's tests (tests/console): Debian's Chromium, which Playwright
# drives through executable_path (Playwright's own browser download is never used).
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: chromium is missing; install it as root: apt-get install chromium" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "setup done: .venv ready"
