"""The CLI, the local servers, the generated docs and the independent statement check."""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.request

import boto3
import pytest
from support.lifecycle_steps import CLI

from prakerja import api_docs, statement_check
from prakerja.local import invoker
from prakerja.local.credentials import signed_headers
from prakerja.local.server import free_port
from prakerja_flow import catalogue


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=catalogue.PROJECT_ROOT)


def test_simulate_json_runs_a_small_wave_with_every_invariant_holding(tmp_path):
    statement = tmp_path / "s.jsonl"
    done = run_cli(
        "simulate", "--participants", "12", "--seed", "3", "--faults", "0.3", "--json", "--statement", str(statement)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # the functions' logs (provider faults log WARNINGs) go to stderr: stdout is the one JSON summary
    assert '"level":"WARNING"' in done.stderr and '"level":"INFO"' not in done.stderr  # the local log level
    summary = json.loads(done.stdout)
    assert summary["ok"] and summary["invariant_violations"] == [] and summary["unexpected_responses"] == []
    assert sum(summary["executions_by_status"].values()) == 12
    assert summary["paid_idr"]["total"] == summary["paid_idr"]["POST_TRAINING"] + summary["paid_idr"]["SURVEY"] > 0
    lines = statement_check.read_statement(statement)
    assert {
        "transfer_id",
        "idempotency_key",
        "participant_id",
        "kind",
        "sequence",
        "amount_idr",
        "status",
        "at",
    } <= set(lines[0])
    assert statement_check.main([str(statement)]) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("simulate", "--participants", "0"),
        ("simulate", "--participants", "many"),
        ("simulate", "--faults", "2"),
        ("simulate", "--nope"),
        ("simulate", "--shape", "2021"),
        ("simulate", "--scale", "0"),
        ("simulate", "--lifecycle-asl", "no/such/definition.asl.json"),
        ("local", "up", "--port", "5000", "--aws-port", "5000"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args):
    done = run_cli(*args, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("prakerja: ")
    assert done.stdout == ""


def test_statement_check_finds_a_double_payment(tmp_path, capsys):
    line = {
        "transfer_id": "T1",
        "idempotency_key": "P1:POST_TRAINING:1",
        "participant_id": "P1",
        "kind": "POST_TRAINING",
        "sequence": 1,
        "amount_idr": 600_000,
        "status": "PAID",
        "at": "2020-08-01T00:00:00Z",
    }
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps({**line, "transfer_id": "T2"}) + "\n")
    assert statement_check.main([str(path)]) == 1
    assert "paid 2 times" in capsys.readouterr().out
    assert statement_check.main([str(tmp_path / "missing.jsonl")]) == 2


def test_committed_api_docs_match_the_code():
    spec_text, md_text = api_docs.render()
    assert api_docs.OPENAPI_PATH.read_text() == spec_text, "run: python -m prakerja.api_docs"
    assert api_docs.MARKDOWN_PATH.read_text() == md_text, "run: python -m prakerja.api_docs"


def test_the_runtime_refuses_a_moto_without_its_hook_points(monkeypatch):
    from moto.awslambda_simple.models import LambdaSimpleBackend

    monkeypatch.delattr(LambdaSimpleBackend, "invoke")
    monkeypatch.setattr(LambdaSimpleBackend.__mro__[1], "invoke", None, raising=False)
    with pytest.raises(invoker.MotoHookMissing, match="moto"):
        invoker.require_hook_points()


def test_local_up_serves_the_api_and_an_aws_endpoint_with_shared_state():
    from prakerja.local.server import up

    api_port, aws_port = free_port(), free_port()
    ready, stop = threading.Event(), threading.Event()
    clouds = []
    server = threading.Thread(
        target=up,
        args=(api_port, aws_port, 60.0, None),
        kwargs={"ready": lambda cloud: (clouds.append(cloud), ready.set()), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    try:

        def http(method, path, body=None):
            request = urllib.request.Request(
                f"http://127.0.0.1:{api_port}{path}",
                method=method,
                data=json.dumps(body).encode() if body is not None else None,
                headers={
                    "Content-Type": "application/json",  # signed as the route family's local client
                    **signed_headers(method, path, json.dumps(body) if body is not None else None),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read() or b"null")
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read() or b"null")

        assert http("POST", "/waves/1/open", {"actor": "t", "reason": "t"})[0] == 200
        status, body = http("POST", "/participants", {"nik": "3171015705900001", "full_name": "Siti", "wave": 1})
        assert status == 201, body
        assert http("GET", "/nowhere")[1]["error"]["code"] == "RouteNotFound"

        def aws(service: str):
            return boto3.client(
                service,
                endpoint_url=f"http://127.0.0.1:{aws_port}",
                region_name="ap-southeast-3",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )

        # Registration starts no execution (ADR 0015); what it wrote is read through the AWS endpoint.
        executions = aws("stepfunctions").list_executions(stateMachineArn=clouds[0].state_machine_arn)
        assert executions["executions"] == []
        dynamodb = aws("dynamodb")
        profile = dynamodb.get_item(
            TableName=clouds[0].table_name,
            Key={"pk": {"S": f"P#{body['participant_id']}"}, "sk": {"S": "PROFILE"}},
        )
        assert profile["Item"]["status"]["S"] == "ACTIVE"
    finally:
        stop.set()
        server.join(30)
    assert not server.is_alive()
