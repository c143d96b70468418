"""The lifecycle execution starts at the first certificate (ADR 0015), and when Step Functions
will not start it now (throttled, or the account at its open-executions quota) the completion
answers 503 with Retry-After and loses nothing: the same request again (the same
Idempotency-Key) starts it, and so does the next deadline sweep if the platform never comes
back (issue 14, item 3)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support.lifecycle_steps import buy, open_wave, rate, register

from prakerja_flow import config
from prakerja_flow.data import participants as profiles
from prakerja_flow.data import purchases, workflow
from prakerja_flow.services import operator


class RefusesStarts:
    """Step Functions answering StartExecution with `code` the first `times` times."""

    def __init__(self, inner, code: str, times: int):
        self.inner, self.code, self.left, self.refused = inner, code, times, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def start_execution(self, **kwargs):
        if self.left:
            self.left -= 1
            self.refused += 1
            raise ClientError({"Error": {"Code": self.code, "Message": "not now"}}, "StartExecution")
        return self.inner.start_execution(**kwargs)


def busy(monkeypatch, code: str, times: int = 1) -> RefusesStarts:
    refusing = RefusesStarts(workflow.client(), code, times)
    monkeypatch.setattr(workflow, "client", lambda: refusing)
    return refusing


CERTIFICATE = {"training_id": "T1", "certificate_id": "CERT-ORD1"}


def bought(cloud) -> str:
    open_wave(cloud)
    pid = register(cloud, 7)
    buy(cloud, pid)
    return pid


def certify(cloud, pid: str, key: str | None = "cert-7"):
    return cloud.http("POST", f"/participants/{pid}/purchases/ORD1/completion", CERTIFICATE, idempotency_key=key)


def test_no_execution_runs_before_the_first_certificate_and_the_certificate_starts_it(cloud):
    open_wave(cloud)
    pid = register(cloud, 7)
    assert cloud.executions() == [] and not profiles.require(pid).get("execution_arn")
    status, standing = cloud.request("GET", f"/participants/{pid}")
    assert status == 200 and standing["waiting_for"] == ["PURCHASE"]
    assert standing["waiting_since"] == standing["accepted_at"]

    buy(cloud, pid)
    standing = cloud.request("GET", f"/participants/{pid}")[1]
    assert cloud.executions() == [] and standing["waiting_for"] == ["COMPLETION"]

    status, _, body = certify(cloud, pid)
    assert status == 200 and body["status"] == "COMPLETED", body
    assert profiles.require(pid)["execution_arn"] == cloud.execution_arn(pid)
    # The execution found the purchase and the certificate waiting in the inbox and checked both.
    cloud.wait_for_token(pid, "RATING")
    assert cloud.current_state(pid) == "AwaitRating"
    entered = [e["stateEnteredEventDetails"]["name"] for e in cloud.history(pid) if e["type"].endswith("StateEntered")]
    assert entered[:6] == [
        "RegistrationAccepted",
        "AwaitTrainingPurchase",
        "VerifyPurchase",
        "AwaitCompletion",
        "VerifyCompletion",
        "AwaitRating",
    ]
    rate(cloud, pid)
    cloud.wait_for_end(pid, "IncentivesGranted")


@pytest.mark.parametrize("code", ["ThrottlingException", "ExecutionLimitExceeded"])
def test_a_certificate_whose_lifecycle_cannot_start_now_is_503_and_its_retry_starts_it(cloud, monkeypatch, code):
    pid = bought(cloud)
    refusing = busy(monkeypatch, code)
    status, headers, body = certify(cloud, pid)
    assert status == 503 and refusing.refused == 1
    assert headers.get("Retry-After") == str(int(config.LIFECYCLE_START_RETRY_AFTER.total_seconds()))
    assert body["error"]["code"] == "LifecycleNotStarted" and "same Idempotency-Key" in body["error"]["message"]
    assert purchases.get(pid, "ORD1")["status"] == "COMPLETED"  # recorded, nothing lost
    assert not profiles.require(pid).get("execution_arn") and cloud.executions() == []

    status, _, body = certify(cloud, pid)
    assert status == 200 and body["certificate_id"] == "CERT-ORD1", body
    assert profiles.require(pid)["execution_arn"].endswith(f":{pid}")
    cloud.wait_for_token(pid, "RATING")  # the lifecycle runs
    # Remembered now: the same request replays the success; a delivery without its key is refused.
    assert certify(cloud, pid)[0] == 200
    status, _, body = certify(cloud, pid, key=None)
    assert status == 409 and body["error"]["code"] == "AlreadyCompleted"
    assert len(cloud.executions()) == 1


def test_still_busy_is_503_again_and_one_execution_in_the_end(cloud, monkeypatch):
    pid = bought(cloud)
    refusing = busy(monkeypatch, "ThrottlingException", times=2)
    assert certify(cloud, pid)[0] == 503
    assert certify(cloud, pid)[0] == 503
    assert certify(cloud, pid)[0] == 200 and refusing.refused == 2
    cloud.wait_for_token(pid, "RATING")
    assert [e["name"] for e in cloud.executions()] == [pid]


def test_the_deadline_sweep_starts_a_lifecycle_the_platform_never_retried(cloud, monkeypatch):
    pid = bought(cloud)
    busy(monkeypatch, "ExecutionLimitExceeded")
    assert certify(cloud, pid)[0] == 503
    assert cloud.executions() == []

    report = cloud.run_job("deadline-sweep")
    assert report["outcomes"].get("lifecycle_started") == 1, report
    cloud.wait_for_token(pid, "RATING")
    assert profiles.require(pid)["execution_arn"] == cloud.execution_arn(pid)
    # Started once: the next sweep finds nothing to start, and the platform's late retry is told it is done.
    assert "lifecycle_started" not in cloud.run_job("deadline-sweep")["outcomes"]
    status, _, body = certify(cloud, pid)
    assert status == 409 and body["error"]["code"] == "AlreadyCompleted"
    assert len(cloud.executions()) == 1


def test_a_sweep_still_refused_keeps_it_queued(cloud, monkeypatch):
    pid = bought(cloud)
    busy(monkeypatch, "ThrottlingException", times=2)
    assert certify(cloud, pid)[0] == 503
    assert cloud.run_job("deadline-sweep")["outcomes"].get("lifecycle_start_refused") == 1
    assert cloud.run_job("deadline-sweep")["outcomes"].get("lifecycle_started") == 1
    cloud.wait_for_token(pid, "RATING")


def test_other_start_failures_are_not_turned_into_a_retry(cloud, monkeypatch):
    pid = bought(cloud)
    busy(monkeypatch, "StateMachineDoesNotExist")
    status, headers, body = certify(cloud, pid)
    assert status == 500 and "Retry-After" not in headers


def test_a_participant_cancelled_before_the_certificate_never_gets_an_execution(cloud):
    pid = bought(cloud)
    told = operator.cancel_participation(pid, "ops:test", "registered with a false identity", cloud.clock())
    assert told["execution_told"] is False and told["waiting_stages"] == []
    status, _, _ = certify(cloud, pid)
    assert status == 200  # the platform's report is recorded: the training happened
    assert cloud.executions() == [] and not profiles.require(pid).get("execution_arn")
    assert "lifecycle_started" not in cloud.run_job("deadline-sweep")["outcomes"]
