"""The AWS-compatible endpoint of `prakerja local up` answers as AWS does where clients use
it: boto3 against the moto server on --aws-port (which shares the in-process state), as an
operator with the AWS CLI would call it."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError
from support.lifecycle_steps import PLATFORM, nik, purchase_body  # noqa: I001 (tests/integration)

from prakerja.local import schedules
from prakerja.local.credentials import signed_headers
from prakerja.local.server import free_port
from prakerja_flow import catalogue, config
from prakerja_flow.data import clients, schema


class LocalUp:
    def __init__(self, api_port: int, aws_port: int, cloud):
        self.api_port, self.cloud = api_port, cloud
        self.endpoint = f"http://127.0.0.1:{aws_port}"

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="ap-southeast-3",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )

    def http(self, method: str, path: str, body=None) -> tuple[int, dict]:
        raw = json.dumps(body) if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            method=method,
            data=raw.encode() if raw else None,
            headers={"Content-Type": "application/json", **signed_headers(method, path, raw)},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def register(self, sequence: int) -> str:
        status, body = self.http("POST", "/participants", {"nik": nik(sequence), "full_name": "Siti", "wave": 1})
        assert status == 201, body
        return body["participant_id"]

    def certified(self, sequence: int) -> str:
        """A participant whose first certificate started the lifecycle (ADR 0015): it waits for the rating."""
        pid = self.register(sequence)
        status, body = self.http(
            "POST", f"/participants/{pid}/vouchers", {"platform_id": PLATFORM, "training_id": "T1"}
        )
        assert status == 201, body
        body = purchase_body("ORD1", config.TRAINING_BALANCE_IDR, voucher_code=body["voucher_code"])
        assert self.http("POST", f"/participants/{pid}/purchases", body)[0] == 201
        completion = {"training_id": "T1", "certificate_id": f"CERT-{sequence}"}
        status, body = self.http("POST", f"/participants/{pid}/purchases/ORD1/completion", completion)
        assert status == 200, body
        self.waiting_at(pid, "RATING")
        return pid

    def arn(self, pid: str) -> str:
        return self.cloud.execution_arn(pid)

    def wait(self, predicate, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    def item(self, pid: str, sk: str) -> dict | None:
        return (
            self.client("dynamodb")
            .get_item(
                TableName=catalogue.TABLE_NAME, ConsistentRead=True, Key={"pk": {"S": f"P#{pid}"}, "sk": {"S": sk}}
            )
            .get("Item")
        )

    def waiting_at(self, pid: str, stage: str) -> None:
        self.wait(lambda: self.item(pid, f"TOKEN#{stage}") is not None, f"{pid} waiting for {stage}")


@pytest.fixture(scope="module")
def local_up():
    from prakerja.local.server import up

    saved = os.environ.pop("AWS_ENDPOINT_URL", None)
    api_port, aws_port = free_port(), free_port()
    ready, stop, clouds = threading.Event(), threading.Event(), []
    # A programme month per 600 s: the daily jobs run every 20 s, and nothing falls due here.
    server = threading.Thread(
        target=up,
        args=(api_port, aws_port, 600.0, None),
        kwargs={"ready": lambda cloud: (clouds.append(cloud), ready.set()), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    running = LocalUp(api_port, aws_port, clouds[0])
    assert running.http("POST", "/waves/1/open", {"actor": "t", "reason": "t"})[0] == 200
    try:
        yield running
    finally:
        clients.reset()
        stop.set()
        server.join(30)
        if saved is not None:
            os.environ["AWS_ENDPOINT_URL"] = saved
    assert not server.is_alive()


def test_describe_execution_gives_the_redrive_fields(local_up):
    pid = local_up.certified(1)
    out = local_up.client("stepfunctions").describe_execution(executionArn=local_up.arn(pid))
    assert (out["status"], out["redriveCount"], out["redriveStatus"]) == ("RUNNING", 0, "NOT_REDRIVABLE")
    assert out["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven."


def test_execution_history_pages_newest_first(local_up):
    pid = local_up.certified(2)
    sfn = local_up.client("stepfunctions")
    everything = sfn.get_execution_history(executionArn=local_up.arn(pid))["events"]
    pages, kwargs = [], {"executionArn": local_up.arn(pid), "reverseOrder": True, "maxResults": 2}
    while True:
        out = sfn.get_execution_history(**kwargs)
        pages.append(out["events"])
        if "nextToken" not in out:
            break
        kwargs["nextToken"] = out["nextToken"]
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1)
    assert [e["id"] for e in sum(pages, [])] == [e["id"] for e in reversed(everything)]
    paginated = [
        e["id"]
        for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=local_up.arn(pid), PaginationConfig={"PageSize": 3}
        )
        for e in page["events"]
    ]
    assert paginated == [e["id"] for e in everything]
    with pytest.raises(ClientError, match="InvalidToken"):
        sfn.get_execution_history(executionArn=local_up.arn(pid), nextToken="forged")


def test_stop_execution_aborts_and_the_lifecycle_stays_consistent(local_up):
    pid = local_up.certified(3)
    sfn, arn = local_up.client("stepfunctions"), local_up.arn(pid)
    token = local_up.item(pid, "TOKEN#RATING")["token"]["S"]
    stopped = sfn.stop_execution(executionArn=arn, error="OperatorStop", cause="wrong wave")
    out = sfn.describe_execution(executionArn=arn)
    assert (out["status"], out["error"], out["cause"], out["stopDate"]) == (
        "ABORTED",
        "OperatorStop",
        "wrong wave",
        stopped["stopDate"],
    )
    assert (out["redriveStatus"], out["redriveCount"]) == ("REDRIVABLE", 0)
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert (last["type"], last["executionAbortedEventDetails"]) == (
        "ExecutionAborted",
        {"error": "OperatorStop", "cause": "wrong wave"},
    )
    with pytest.raises(ClientError, match="TaskTimedOut"):
        sfn.send_task_success(taskToken=token, output="{}")

    # A rating for the stopped participant is recorded; nothing raises or hangs; the dead
    # execution's token is dropped and the event stays in the inbox for a redrive.
    started = time.monotonic()
    rating = {"instructor": 5, "facilities": 4, "programme": 5, "review": "Instruktur menjelaskan dengan jelas."}
    status, body = local_up.http("POST", f"/participants/{pid}/purchases/ORD1/rating", rating)
    assert status == 200, body
    assert time.monotonic() - started < 10
    assert local_up.item(pid, "TOKEN#RATING") is None and local_up.item(pid, "INBOX#RATING") is not None
    status, profile = local_up.http("GET", f"/participants/{pid}")
    assert status == 200 and profile["entitlements"] == []  # the record says what the application last decided

    redriven = sfn.redrive_execution(executionArn=arn)
    # The redriven wait took the rating from the inbox and the lifecycle went on to the grant.
    local_up.wait(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", "the grant")
    out = sfn.describe_execution(executionArn=arn)
    assert (out["redriveCount"], out["redriveDate"]) == (1, redriven["redriveDate"])
    assert local_up.item(pid, "INBOX#RATING") is None
    assert len(local_up.http("GET", f"/participants/{pid}")[1]["entitlements"]) == 7


def test_the_scheduled_jobs_are_scheduler_schedules(local_up):
    scheduler = local_up.client("scheduler")
    scheduled = [spec for spec in catalogue.scheduled_jobs() if spec.schedule is not None]
    listed = scheduler.list_schedules()["Schedules"]
    assert sorted(s["Name"] for s in listed) == sorted(spec.schedule.name for spec in scheduled)
    assert {s["GroupName"] for s in listed} == {schedules.GROUP}
    for spec in scheduled:
        got = scheduler.get_schedule(GroupName=schedules.GROUP, Name=spec.schedule.name)
        assert got["ScheduleExpression"] == schedules.rate_expression(spec.schedule.every) == "rate(1 day)"
        assert (got["State"], got["FlexibleTimeWindow"], got["Description"]) == (
            "ENABLED",
            {"Mode": "OFF"},
            spec.schedule.description,
        )
        assert got["Target"]["Arn"] == local_up.cloud.job_arn(spec.key)
        assert json.loads(got["Target"]["Input"]) == {catalogue.SCHEDULED_TIME_FIELD: "<aws.scheduler.scheduled-time>"}
        assert got["Target"]["DeadLetterConfig"]["Arn"].endswith(f":{schedules.DEAD_LETTER_QUEUE}")
        assert got["Target"]["RoleArn"].endswith(f":role/{schedules.SCHEDULER_ROLE}")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        scheduler.get_schedule(GroupName=schedules.GROUP, Name="no-such-job")


def test_ttl_is_on_where_the_schema_says(local_up):
    ddb = local_up.client("dynamodb")
    ttl = schema.time_to_live(catalogue.TABLE_NAME)
    assert ttl == {catalogue.TABLE_NAME + schema.IDEMPOTENCY_TABLE_SUFFIX: schema.IDEMPOTENCY_TTL_ATTR}
    for table in ddb.list_tables()["TableNames"]:
        description = ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
        if table in ttl:
            assert description == {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl[table]}
        else:
            assert description["TimeToLiveStatus"] == "DISABLED"
