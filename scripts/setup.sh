#!/usr/bin/env bash
# Sets up everything a fresh clone needs: a virtualenv with the pinned project and its dev
# tools; the Node.js tools from package-lock.json (ASL validator, the CDK CLI); and, for the
# deployed suite (tests/deployed), two Python 3.13 virtualenvs under .emulator/:
#   ministack/  MiniStack (the dev extra's pin), which runs the Lambda functions on its own
#               interpreter: Python 3.13, the functions' runtime; with the pinned boto3,
#               which the Lambda runtime provides (the functions' layer leaves it out)
#   lambda/     exactly the declared runtime dependencies (pyproject [project].dependencies),
#               nothing else: the functions' layer is built from it
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
PIP_FLAGS=(--quiet --disable-pip-version-check)
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install "${PIP_FLAGS[@]}" --upgrade "pip==25.3"
.venv/bin/python -m pip install "${PIP_FLAGS[@]}" -e ".[dev]"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The interpreter of the Lambda runtime the functions are declared for (python3.13).
# PYTHON313 may name it; a pyenv shim is asked for 3.13.0.
python313() {
  local candidate
  for candidate in ${PYTHON313:-} python3.13; do
    for pyenv in "" 3.13.0; do
      if PYENV_VERSION=${pyenv:-${PYENV_VERSION:-}} "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
        PYENV_VERSION=${pyenv:-${PYENV_VERSION:-}} "$candidate" -c 'import sys; print(sys.executable)'
        return 0
      fi
    done
  done
  return 1
}
PY313=$(python313) || {
  echo "setup: Python 3.13 (the functions' Lambda runtime) is needed for tests/deployed; install it or set PYTHON313=/path/to/python3.13" >&2
  exit 1
}
pinned() {  # the exact requirements of a pyproject list: "runtime" or an extra's name
  .venv/bin/python - "$1" <<'EOF'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
deps = project["dependencies"] if sys.argv[1] == "runtime" else project["optional-dependencies"][sys.argv[1]]
print("\n".join(d for d in deps if "==" in d))
EOF
}
build_venv() {  # build_venv DIR REQUIREMENTS: a fresh 3.13 virtualenv with exactly these, rebuilt when they change
  local dir=$1 requirements=$2
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.requirements" 2>/dev/null)" != "$requirements" ]; then
    rm -rf "$dir"
    "$PY313" -m venv "$dir"
    printf '%s\n' "$requirements" > "$dir/requirements.txt"
    "$dir/bin/python" -m pip install "${PIP_FLAGS[@]}" -r "$dir/requirements.txt"
    printf '%s' "$requirements" > "$dir/.requirements"
  fi
}
build_venv .emulator/ministack "$(pinned dev | grep '^ministack=='; pinned runtime | grep '^boto3==')"
build_venv .emulator/lambda "$(pinned runtime)"
echo "setup done: .venv, node_modules and .emulator/ ready"
