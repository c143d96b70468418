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
echo "setup done: .venv ready"
