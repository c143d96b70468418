"""observability.py defers what a cold start does not need (issue 7, docs/performance.md
section 4) without losing NIK masking or tracing. The import checks run in fresh
interpreters: this process has imported everything already."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
HANDLERS = ["api", "authorizer", "lifecycle", "jobs"]


def _fresh(code: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "LAMBDA_", "AWS_LAMBDA_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=FUNCTIONS,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_handlers_import_neither_xray_nor_data_masking_when_tracing_is_off():
    found = _fresh(
        "import json, sys\n"
        + "".join(f"import prakerja_flow.handlers.{h}\n" for h in HANDLERS)
        + "print(json.dumps([m for m in ('aws_xray_sdk', 'aws_lambda_powertools.utilities.data_masking', 'jsonpath_ng')"
        " if m in sys.modules]))",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    assert found == []


def test_tracing_on_in_lambda_builds_the_real_tracer_and_patches_botocore():
    result = _fresh(
        "import json, sys\n"
        "from aws_lambda_powertools import Tracer\n"
        "from prakerja_flow.observability import tracer\n"
        "from aws_xray_sdk.core.patcher import _PATCHED_MODULES\n"
        "print(json.dumps({'real': isinstance(tracer, Tracer), 'disabled': tracer.disabled,"
        " 'botocore': 'botocore' in _PATCHED_MODULES}))",
        LAMBDA_TASK_ROOT=str(FUNCTIONS),
        AWS_LAMBDA_FUNCTION_NAME="test",
        AWS_REGION="ap-southeast-3",
    )
    assert result == {"real": True, "disabled": False, "botocore": True}


def test_untraced_handler_decorator_is_transparent():
    from prakerja_flow.observability import _UntracedTracer

    def handler(event, context):
        if event == "boom":
            raise ValueError("boom")
        return {"echo": event}

    untraced = _UntracedTracer()
    assert untraced.capture_lambda_handler(handler) is handler
    assert untraced.capture_lambda_handler(capture_response=False)(handler) is handler
    # Anything else is a real, disabled Tracer's.
    assert untraced.disabled is True


def test_masked_erases_niks_names_and_account_numbers_everywhere():
    from prakerja_flow.observability import masked

    nik = "3171011508900001"
    data = {
        "participant_id": "p-1",
        "nik": nik,
        "wave": 3,
        "account": {"holder_nik": nik, "account_number": "1234567890", "full_name": "Siti Aminah"},
    }
    safe = masked(data)
    assert nik not in json.dumps(safe) and "1234567890" not in json.dumps(safe) and "Siti" not in json.dumps(safe)
    assert safe["participant_id"] == "p-1" and safe["wave"] == 3
    assert data["nik"] == nik  # a copy: the caller's data is untouched


def test_a_masked_log_line_carries_no_nik():
    from prakerja_flow.observability import logger, masked

    nik = "3171011508900001"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        logger.warning("participant registered", extra=masked({"participant_id": "p-1", "nik": nik, "wave": 1}))
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "participant registered" and line["participant_id"] == "p-1"
    assert nik not in stream.getvalue()
