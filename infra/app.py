#!/usr/bin/env python3
"""CDK entry point (cdk.json: `python infra/app.py`).

cdk synth -c env=staging        # or: python infra/app.py (writes cdk.out/)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
# `python infra/app.py` puts infra/ first on sys.path, where its modules would shadow
# top-level ones; put the project root (package `infra`) and the Lambda asset folder
# (package `prakerja_flow`) there instead, so this works without an editable install.
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "infra":
    sys.path.pop(0)
for _path in (_ROOT / "functions", _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import aws_cdk as cdk  # noqa: E402

from infra import emulator  # noqa: E402
from infra.system import add_compliance_checks, build, cdk_json_context  # noqa: E402


def main() -> None:
    # cdk.json's context as defaults; the CDK CLI's context (-c ..., cdk.json) overrides it.
    # Without the CLI (which sets CDK_OUTDIR), write the cloud assembly to ./cdk.out too.
    outdir = None if "CDK_OUTDIR" in os.environ else str(_ROOT / "cdk.out")
    app = cdk.App(context=cdk_json_context(), outdir=outdir, analytics_reporting=False)
    endpoint = emulator.settings(app.node.try_get_context)
    build(app)
    add_compliance_checks(app)
    assembly = app.synth()
    if endpoint:  # -c emulator=ministack: MiniStack's gaps worked round (infra/emulator.py)
        emulator.rewrite_assembly(assembly.directory, endpoint)


if __name__ == "__main__":
    main()
