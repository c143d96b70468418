"""LocalCloud: the resources CDK deploys, deployed into moto in this process.

Same ASL file, same function catalogue, same table definition, same substitutions.
Lambda tasks run our real handlers in-process (see invoker.py); scheduled jobs and
API Gateway, which moto does not trigger, are driven from here."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import threading
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from prakerja_flow import catalogue, clock
from prakerja_flow.auth import signing
from prakerja_flow.auth import store as auth_store
from prakerja_flow.data import clients, schema, workflow
from prakerja_flow.payments import rate_limit
from prakerja_flow.payments.fake import FakeProvider

from . import credentials, gateway, identifier_keys, invoker, moto_patches, schedules, virtual_time
from .inspection import Inspection, _ended, _moto_executions
from .moto_patches.fidelity import open_executions_quota
from .moto_patches.speed import direct_lambda_invoke
from .virtual_time import VirtualTime

# `principal=` of LocalCloud.request: by default, the local client for the route family.
BY_ROUTE = object()

log = logging.getLogger(__name__)
REGION = "ap-southeast-3"  # Jakarta
ACCOUNT = "123456789012"  # moto's default account
DEFAULT_START = datetime(2020, 7, 1, 8, 0, tzinfo=UTC)
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
LOCAL_ENV = {
    # No X-Ray daemon or CloudWatch locally; warnings and errors still print.
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class SimulatedClock:
    """Programme time that only moves when told to. Thread-safe."""

    def __init__(self, start: datetime = DEFAULT_START):
        self._now = start
        self._lock = threading.Lock()
        # (wall unix seconds, programme time) at each jump: what the stack publishes so that
        # `prakerja ops` can date Step Functions' wall-clock history (programme_clock.py).
        self.marks: list[tuple[float, datetime]] = [(time.time(), start)]

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            self.marks.append((time.time(), self._now))
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment
            self.marks.append((time.time(), moment))


def quiet_moto_logging() -> None:
    # Every failed state dumps its whole context at ERROR; business errors are expected here.
    for name in ("moto.stepfunctions.parser", "moto", "botocore", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


class LocalCloud(Inspection):
    def __init__(
        self,
        start: datetime = DEFAULT_START,
        provider: FakeProvider | None = None,
        table_name: str = catalogue.TABLE_NAME,
        record_idle_payout_runs: bool | None = None,
        open_executions_quota: int | None = None,
        lifecycle_asl: Path | None = None,
        virtual: VirtualTime | None = None,
    ):
        """`record_idle_payout_runs`: start a payout-run execution on a day when no queue shard
        has due work and payouts are not paused, as EventBridge Scheduler does. Off by default
        with the speed patches (PRAKERJA_MOTO_SPEED_PATCHES): such a run pays nothing and
        changes nothing, so the same plan and summary code answers its report in process,
        without the interpreter (it cost about 50 ms a simulated day, most of a test's time);
        `local up` records every run. `open_executions_quota`: Step Functions' open executions
        per account, enforced as AWS does (None: AWS's default,
        config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA); lower it to see the quota bind.
        `lifecycle_asl`: deploy the lifecycle from another definition file, to compare designs
        (the one before ADR 0013 is in tests/support/definitions/). `virtual`: account what
        calls cost in virtual time and enforce the rate quotas and timeouts (virtual_time.py)."""
        invoker.require_hook_points()
        self.clock = SimulatedClock(start)
        self.provider = provider or FakeProvider()
        self.table_name = table_name
        self.open_executions_quota = open_executions_quota
        self.lifecycle_asl = lifecycle_asl
        self.virtual = virtual
        self.arn_of: dict[str, str] = {}
        self.key_env: dict[str, str] = {}  # the identifier keys' settings (ADR 0018), set by deploy()
        self.state_machine_arn = catalogue.state_machine_arn(REGION, ACCOUNT)
        self._mock = None
        self._saved_env: dict[str, str | None] = {}
        self.state_machine_arns: dict[str, str] = {}
        self.last_execution: dict[str, str] = {}  # machine key -> ARN of the last run_execution
        self.record_idle_payout_runs = (
            not moto_patches.speed_patches_enabled() if record_idle_payout_runs is None else record_idle_payout_runs
        )

    # --- lifecycle of the local world ----------------------------------------------------

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        from moto import mock_aws

        env = {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            **LOCAL_ENV,
        }
        self._saved_env = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        quiet_moto_logging()
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        invoker.install()
        moto_patches.install()
        open_executions_quota.set_quota(self.open_executions_quota)
        invoker.invocation_counts.clear()
        clients.reset()
        auth_store.reset()
        self.provider.wait = invoker.wait_outside  # a slow provider does not hold up other invocations
        rate_limit.set_sleep(invoker.wait_outside)  # nor does a child waiting for its rate
        if self.virtual is not None:
            virtual_time.install(self.virtual, self.clock, self.provider)
        FakeProvider.install(self.provider)
        clock.set_source(self.virtual.programme_clock if self.virtual is not None else self.clock)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.lambda_ = boto3.client("lambda", region_name=REGION)
        self._access_key = self.lambda_._request_signer._credentials.access_key
        self._activity = (0, time.monotonic())  # settle(): history events so far, and since when
        self.deploy()
        return self

    def stop(self) -> None:
        if self._mock is None:
            return
        try:
            self.drain()
        finally:
            self._mock.stop()
            self._mock = None
            clock.set_source(None)
            virtual_time.uninstall()
            rate_limit.set_sleep(None)
            open_executions_quota.set_quota(None)
            clients.reset()
            auth_store.reset()
            for k, v in self._saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    # --- deployment: what the CDK app deploys, from the same sources -------------------------

    def function_env(self) -> dict[str, str]:
        return {
            **catalogue.function_environment(self.table_name, self.state_machine_arn, "fake"),
            **self.key_env,
            **LOCAL_ENV,
        }

    def _apply_function_environments(self) -> None:
        """One process hosts every function, so their environments must agree."""
        merged: dict[str, str] = {}
        for spec in catalogue.FUNCTIONS:
            for name, value in {**self.function_env(), **spec.env}.items():
                if merged.setdefault(name, value) != value:
                    raise ValueError(
                        f"functions disagree on environment variable {name}; "
                        "the local runtime hosts them in one process"
                    )
        for name in merged:
            self._saved_env.setdefault(name, os.environ.get(name))
        os.environ.update(merged)

    def deploy(self) -> None:
        self.key_env = identifier_keys.create(boto3.client("kms", region_name=REGION))
        self._apply_function_environments()
        self.ddb.create_table(**schema.table_definition(self.table_name))
        self.ddb.create_table(**schema.idempotency_table_definition(self.table_name))
        for table, attribute in schema.time_to_live(self.table_name).items():
            self.ddb.update_time_to_live(
                TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
            )
        self._create_api_clients()
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(
            RoleName="prakerja-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        code = _empty_zip()
        for spec in catalogue.FUNCTIONS:
            out = self.lambda_.create_function(
                FunctionName=spec.function_name,
                Runtime="python3.13",
                Role=role,
                Handler=spec.handler,
                Code={"ZipFile": code},
                Description=spec.description,
                Timeout=int(spec.timeout.total_seconds()),
                MemorySize=spec.memory_mb,
                Environment={"Variables": {**self.function_env(), **spec.env}},
            )
            self.arn_of[spec.key] = out["FunctionArn"]
        for machine in catalogue.STATE_MACHINES:
            if machine.key == catalogue.LIFECYCLE.key and self.lifecycle_asl is not None:
                machine = dataclasses.replace(machine, asl=Path(self.lifecycle_asl))
            created = self.sfn.create_state_machine(
                name=machine.name,
                definition=catalogue.render_asl(self.arn_of, machine),
                roleArn=role,
                type="STANDARD",
            )
            self.state_machine_arns[machine.key] = created["stateMachineArn"]
        assert self.state_machine_arns[catalogue.LIFECYCLE.key] == self.state_machine_arn, self.state_machine_arns
        schedules.deploy(
            lambda service: boto3.client(service, region_name=REGION), {**self.arn_of, **self.state_machine_arns}
        )

    def _create_api_clients(self) -> None:
        # What an operator does for each real client (docs/api.md): one secret per key.
        secrets = boto3.client("secretsmanager", region_name=REGION)
        for client in credentials.CLIENTS.values():
            secrets.create_secret(
                Name=auth_store.secret_name(client.key_id, self.table_name),
                SecretString=auth_store.secret_value(client.kind, client.id, client.secret),
            )

    # --- what AWS would trigger ------------------------------------------------------------

    def invoke(self, key: str, event: dict) -> dict:
        """Invoke a catalogue function through moto's Lambda API, as AWS would."""
        payload, failed = self.invoke_raw(key, event)
        if failed:
            raise RuntimeError(f"{key} failed: {payload.get('errorType')}: {payload.get('errorMessage')}")
        return payload

    def invoke_raw(self, key: str, event: dict) -> tuple[Any, bool]:
        """(payload, True) for a function error, as API Gateway sees an authorizer fail.

        moto's own Lambda `Invoke` answers in process (moto_patches/speed/direct_lambda_invoke.py:
        the same handler, event, serialisation lock and counting, without botocore and the
        HTTP stubber); the boto3 call below runs whenever that path steps aside."""
        direct = direct_lambda_invoke.invoke(self.lambda_.meta.region_name, self.arn_of[key], event, self._access_key)
        if direct is not None:
            return direct
        out = self.lambda_.invoke(FunctionName=self.arn_of[key], Payload=json.dumps(event).encode())
        return json.loads(out["Payload"].read() or b"null"), bool(out.get("FunctionError"))

    def run_scheduled(self) -> dict[str, dict]:
        """One tick of every schedule, as of the simulated now (EventBridge Scheduler in AWS):
        a job function is invoked, a job state machine (the payout run) is started and
        waited for; each answers its report."""
        scheduled_time = clock.iso(clock.now())  # in virtual time, the moment of the day's jobs
        return {job.key: self.run_job(job.key, scheduled_time) for job in catalogue.scheduled_jobs()}

    def job_arn(self, key: str) -> str:
        """What a job's schedule targets: its state machine's or its function's ARN."""
        return self.state_machine_arns.get(key) or self.arn_of[key]

    def run_job(self, key: str, scheduled_time: str | None = None) -> dict:
        """One scheduled job by its key, with the input its schedule gives it."""
        event = {catalogue.SCHEDULED_TIME_FIELD: scheduled_time or clock.iso(clock.now())}
        if key == catalogue.PAYOUT_RUN.key and not self.record_idle_payout_runs:
            idle = self._idle_payout_run(event)
            if idle is not None:
                return idle
        if key in self.state_machine_arns:
            try:
                return self.run_execution(key, event)
            except ClientError as refused:
                # Step Functions would not start it (the account at its open-executions quota,
                # or throttled): EventBridge Scheduler records a failed invocation; so do we.
                code = refused.response.get("Error", {}).get("Code")
                if code not in workflow.START_LATER_ERRORS:
                    raise
                log.warning("scheduled %s not started: %s", key, code)
                return {"not_started": f"{code}: {refused.response['Error'].get('Message', '')}"}
        return self.invoke(key, event)

    def _idle_payout_run(self, event: dict) -> dict | None:
        """The report of a payout run with nothing to do (see __init__), or None when there is
        work or payouts are paused (then the execution runs)."""
        from prakerja_flow.services import payout_run

        with invoker.exclusive():  # moto calls stay serialised with the running invocations
            plan = payout_run.plan(clock.from_event(event), None)
        if plan["paused"] or plan["shards"]:
            return None
        return payout_run.summarise(plan["as_of"], None, [], []).as_dict()

    def run_execution(self, machine_key: str, event: dict, timeout: float = 600.0) -> dict:
        """Starts an execution of a catalogue state machine and waits for its end; its output,
        or RuntimeError naming the error when it did not succeed."""
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arns[machine_key],
            name=f"{_execution_name(event.get(catalogue.SCHEDULED_TIME_FIELD))}-{uuid.uuid4().hex[:8]}",
            input=json.dumps(event),
        )["executionArn"]
        self.last_execution[machine_key] = arn
        # Polled in-process (moto's execution object), not with DescribeExecution every few
        # milliseconds: those calls would take the CPU from the very run being waited for.
        execution = next(e for e in _moto_executions(self.state_machine_arns[machine_key]) if e.execution_arn == arn)
        self.wait_until(lambda: _ended(execution), timeout, f"{machine_key} execution {arn}", pause=0.002)
        described = self.sfn.describe_execution(executionArn=arn)
        if described["status"] != "SUCCEEDED":
            raise RuntimeError(
                f"{machine_key} {described['status']}: {described.get('error')}: {described.get('cause')}"
            )
        return json.loads(described.get("output") or "null")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        principal: Any = BY_ROUTE,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request through the local API Gateway (routes, authorizer, proxy event).

        Signed as `principal` ("platform:<id>", "portal:web", "operator:ops"; see
        credentials.py), by default the local client of the route's family; None sends it
        unsigned. Headers that already carry a signature are sent as they are."""
        status, _, parsed = self.http(method, path, body, headers, query, principal, idempotency_key)
        return status, parsed

    def http(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        principal: Any = BY_ROUTE,
        idempotency_key: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        raw = body if isinstance(body, str) or body is None else json.dumps(body)
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if idempotency_key is not None:
            hdrs["Idempotency-Key"] = idempotency_key
        if principal is BY_ROUTE:
            principal = credentials.default_principal(method, path)
        if principal is not None and signing.header(hdrs, signing.SIGNATURE) is None:
            hdrs.update(self.sign(principal, method, path, raw, query))
        response = gateway.handle(self.invoke_raw, method, path, raw, hdrs, query)
        return gateway.decode_response(response)

    @staticmethod
    def sign(
        principal: str,
        method: str,
        path: str,
        body: str | bytes | None = None,
        query: str = "",
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """The signature headers of a local client (wall-clock time, like a real client)."""
        return credentials.signed_headers(method, path, body, principal, query, timestamp, nonce)


def _execution_name(scheduled_time: str | None) -> str:
    """An execution name from a scheduled time: letters, digits, - and _ only."""
    return re.sub(r"[^0-9A-Za-z_-]", "-", scheduled_time or "now")[:60]


def _empty_zip() -> bytes:
    # The code never runs from this zip: the invoker imports the handler in-process.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "code runs in-process from functions/")
    return buffer.getvalue()
