"""Every deployed handler imports, and registration's log masking works, in a virtualenv
built only from the declared runtime dependencies (pyproject [project].dependencies, no
extras of ours) on the functions' runtime version, Python 3.13 (.emulator/lambda, built by
scripts/setup.sh; the deployed suite's layer is zipped from it).

Before, registration's masking needed jsonpath_ng, which only moto (a dev dependency) and
the managed Powertools layer brought: a layer built from the declared dependencies failed
every registration."""

from __future__ import annotations

import json
import subprocess
import tomllib

from support.ministack_deploy import LAMBDA_VENV, SETUP_HINT

from prakerja_flow import catalogue
from prakerja_flow.handlers import test_provider

# Every function deployed: the catalogue's and the development stacks' test provider
# (infra/stacks/test_provider.py names its handler the same way).
HANDLERS = [spec.handler for spec in catalogue.FUNCTIONS] + [
    f"{test_provider.__name__}.{test_provider.handler.__name__}"
]
DEV_ONLY = ("moto", "aws_cdk", "cdk_nag", "pytest", "typer", "ministack", "hypothesis", "schemathesis", "requests")
SCRIPT = """
import importlib, importlib.util, json, sys
sys.path.insert(0, {functions!r})
for handler in {handlers!r}:
    module, attribute = handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute)), handler
from prakerja_flow.observability import masked
print(json.dumps({{
    "python": list(sys.version_info[:2]),
    "masked": masked({{"nik": "3171015705900001", "full_name": "Siti", "wave": 1}}),
    "dev_only_importable": [name for name in {dev_only!r} if importlib.util.find_spec(name)],
}}))
"""


def declared_runtime_dependencies() -> str:
    project = tomllib.loads((catalogue.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return "\n".join(project["dependencies"])


def test_the_runtime_virtualenv_is_built_from_exactly_the_declared_dependencies():
    built = LAMBDA_VENV / ".requirements"
    assert built.exists(), SETUP_HINT
    assert built.read_text() == declared_runtime_dependencies(), (
        f"pyproject changed since .emulator/lambda was built; {SETUP_HINT}"
    )


def test_every_handler_imports_and_masking_works_with_only_the_runtime_dependencies():
    script = SCRIPT.format(functions=str(catalogue.FUNCTIONS_ROOT), handlers=HANDLERS, dev_only=DEV_ONLY)
    # -I: isolated from PYTHONPATH, the user's site-packages and the working directory.
    done = subprocess.run(
        [str(LAMBDA_VENV / "bin" / "python"), "-I", "-c", script],
        capture_output=True,
        text=True,
        env={"POWERTOOLS_TRACE_DISABLED": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["python"] == [3, 13]
    assert report["masked"]["nik"] != "3171015705900001" and report["masked"]["full_name"] != "Siti"
    assert report["masked"]["wave"] == 1
    assert report["dev_only_importable"] == []
