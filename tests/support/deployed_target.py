"""A deployed Prakerja Flow environment, as the deployed suite sees it: the API stage
(signed requests, as a platform, the portal or an operator would send them), the
schedules and job functions, the lifecycle executions, the table and the payment
provider's statement. Built from the environment's stack outputs, on MiniStack or AWS."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from prakerja_flow import catalogue, config
from prakerja_flow.auth import signing, store
from prakerja_flow.payments.http import HttpProvider

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
KINDS = ("platform", "portal", "operator")


@dataclass(frozen=True)
class ApiClient:
    kind: str
    key_id: str
    secret: str
    principal_id: str


@dataclass
class Target:
    name: str  # "ministack" or "aws"
    env_name: str
    region: str
    api_base: str
    outputs: dict[str, str]
    make_client: Callable[[str], Any]
    gaps: frozenset[str] = frozenset()  # emulator behaviours the suite must allow for (infra/emulator.py)
    # The environment `prakerja ops` runs in against this target (MiniStack's endpoint and keys;
    # nothing for AWS, whose credentials the process already has).
    ops_env: dict[str, str] = field(default_factory=dict)
    clients: dict[str, ApiClient] = field(default_factory=dict)
    _created_secrets: list[str] = field(default_factory=list)
    _session: requests.Session = field(default_factory=requests.Session)

    def client(self, service: str):
        return self.make_client(service)

    @property
    def table_name(self) -> str:
        return self.outputs["TableName"]

    def function_name(self, key: str) -> str:
        return f"{self.env_name}-{catalogue.by_key(key).function_name}"

    # --- API clients (docs/api.md, Onboarding: one secret per key) -------------------------

    def create_clients(self, run_id: str) -> None:
        sm = self.client("secretsmanager")
        ids = {"platform": f"e2e-platform-{run_id}", "portal": "web", "operator": f"e2e-{run_id}"}
        for kind in KINDS:
            key_id, secret = f"e2e-{kind}-{run_id}", secrets.token_hex(32)
            name = store.secret_name(key_id, self.table_name)
            sm.create_secret(Name=name, SecretString=store.secret_value(kind, ids[kind], secret))
            self._created_secrets.append(name)
            self.clients[kind] = ApiClient(kind, key_id, secret, ids[kind])

    def delete_clients(self) -> None:
        sm = self.client("secretsmanager")
        for name in self._created_secrets:
            sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        self._created_secrets.clear()

    # --- the API --------------------------------------------------------------------------

    def call(
        self,
        kind: str | None,
        method: str,
        path: str,
        body: Any = None,
        query: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict]:
        """One request to the deployed stage; `kind` None sends it unsigned."""
        raw = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if kind is not None:
            c = self.clients[kind]
            all_headers.update(
                signing.sign(
                    c.secret, c.key_id, method, path, raw, {k: [v] for k, v in (query or {}).items()}, int(time.time())
                )
            )
        answer = self._session.request(
            method, self.api_base + path, params=query, data=raw, headers=all_headers, timeout=60
        )
        try:
            parsed = answer.json()
        except ValueError:
            parsed = {"raw": answer.text}
        return answer.status_code, parsed

    # --- time: schedules and job functions ------------------------------------------------

    def fire_schedule(self, job_key: str, at: str) -> dict:
        """What EventBridge Scheduler does at `at`: invoke (a function) or start (a state
        machine: the payout run) the deployed schedule's target with its deployed input,
        <aws.scheduler.scheduled-time> replaced by `at`. Waits for the report, which
        Scheduler does not (it invokes asynchronously)."""
        spec = next(job for job in catalogue.scheduled_jobs() if job.key == job_key)
        assert spec.schedule is not None
        schedule = self.client("scheduler").get_schedule(
            Name=spec.schedule.name, GroupName=f"{self.env_name}-{catalogue.SERVICE_NAME}"
        )
        target = schedule["Target"]
        payload = json.loads(target["Input"].replace(SCHEDULED_TIME, at))
        if ":states:" in target["Arn"]:
            return self.run_execution(target["Arn"], payload)
        return self.invoke(target["Arn"], payload)

    def run_execution(self, state_machine_arn: str, event: dict, timeout: float = 120.0) -> dict:
        sfn = self.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=state_machine_arn, input=json.dumps(event))["executionArn"]
        self.last_run_execution = arn
        deadline = time.monotonic() + timeout
        while True:
            out = sfn.describe_execution(executionArn=arn)
            if out["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{arn} still RUNNING after {timeout} s")
            time.sleep(0.2)
        if out["status"] != "SUCCEEDED":
            raise AssertionError(f"{arn} {out['status']}: {out.get('error')}: {out.get('cause')}")
        return json.loads(out.get("output") or "null")

    def advance_clock(self, to: str) -> str:
        """`prakerja ops clock advance`, as an integrator runs it against a development stack
        deployed with -c programmeClock=true: the functions' "now" moves to `to`."""
        ops = [str(Path(sys.executable).parent / "prakerja"), "ops", "--env", self.env_name, "--table", self.table_name]
        command = [*ops, "clock", "advance", "--to", to, "--actor", "e2e-suite", "--reason", "survey window", "--yes"]
        done = subprocess.run(
            command, env={**os.environ, **self.ops_env}, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}"
        # Every function instance reads the published clock again within its max age.
        time.sleep(config.PUBLISHED_CLOCK_MAX_AGE.total_seconds() + 0.5)
        return done.stdout.strip()

    def invoke(self, function: str, event: dict) -> dict:
        answer = self.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise AssertionError(f"{function} failed: {payload}")
        return payload

    # --- executions and records -------------------------------------------------------------

    def execution(self, participant_id: str) -> dict:
        arn = f"{self.outputs['StateMachineArn'].replace(':stateMachine:', ':execution:')}:{participant_id}"
        return self.client("stepfunctions").describe_execution(executionArn=arn)

    def ledger(self, participant_id: str) -> list[dict]:
        from boto3.dynamodb.types import TypeDeserializer

        out = self.client("dynamodb").query(
            TableName=self.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"P#{participant_id}"}, ":prefix": {"S": "LEDGER#"}},
            ConsistentRead=True,
        )
        d = TypeDeserializer()
        return [{k: d.deserialize(v) for k, v in item.items()} for item in out["Items"]]

    def provider(self) -> HttpProvider:
        """The payment provider the functions call (the test provider of a development
        stack), with the key they present: for its statement."""
        sm = self.client("secretsmanager")
        key = sm.get_secret_value(SecretId=self.outputs["PaymentProviderSecretName"])["SecretString"]
        return HttpProvider(base_url=self.outputs["TestProviderUrl"], api_key=lambda: key)

    def wait(self, what: str, check: Callable[[], Any], timeout: float = 120, every: float = 0.25) -> Any:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(every)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def boto_factory(region: str, endpoint_url: str | None = None, credentials: dict | None = None) -> Callable[[str], Any]:
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=120)
    cache: dict[str, Any] = {}

    def make(service: str):
        if service not in cache:
            cache[service] = boto3.client(
                service, region_name=region, endpoint_url=endpoint_url, config=config, **(credentials or {})
            )
        return cache[service]

    return make
