"""Registration when Step Functions will not start the lifecycle now (throttled, or the
account at its open-executions quota): 503 with Retry-After, nothing lost, and the same
request again (the same Idempotency-Key) completes it (issue 14, item 3)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support.lifecycle_steps import nik, open_wave

from prakerja_flow import config
from prakerja_flow.data import participants as profiles
from prakerja_flow.data import workflow


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


BODY = {"nik": nik(7), "full_name": "Siti Aminah", "wave": 1}


@pytest.mark.parametrize("code", ["ThrottlingException", "ExecutionLimitExceeded"])
def test_a_registration_step_functions_cannot_start_now_is_503_and_its_retry_completes_it(cloud, monkeypatch, code):
    open_wave(cloud)
    refusing = busy(monkeypatch, code)
    status, headers, body = cloud.http("POST", "/participants", BODY, idempotency_key="reg-7")
    assert status == 503 and refusing.refused == 1
    assert headers.get("Retry-After") == str(int(config.LIFECYCLE_START_RETRY_AFTER.total_seconds()))
    assert body["error"]["code"] == "LifecycleNotStarted" and "same Idempotency-Key" in body["error"]["message"]
    pid = profiles.find_id_by_nik(BODY["nik"])
    assert pid and not profiles.require(pid).get("execution_arn")  # recorded, nothing lost

    status, headers, body = cloud.http("POST", "/participants", BODY, idempotency_key="reg-7")
    assert status == 201 and body["participant_id"] == pid
    assert profiles.require(pid)["execution_arn"].endswith(f":{pid}")
    cloud.wait_for_token(pid, "PURCHASE")  # the lifecycle runs
    # Remembered now: the same request replays the success; another registration is refused.
    assert cloud.http("POST", "/participants", BODY, idempotency_key="reg-7")[2]["participant_id"] == pid
    status, _, body = cloud.http("POST", "/participants", {**BODY, "full_name": "Someone Else"})
    assert status == 409 and body["error"]["code"] == "DuplicateNik"


def test_still_busy_is_503_again_and_one_participant_in_the_end(cloud, monkeypatch):
    open_wave(cloud)
    refusing = busy(monkeypatch, "ThrottlingException", times=2)
    assert cloud.http("POST", "/participants", BODY, idempotency_key="reg-8")[0] == 503
    assert cloud.http("POST", "/participants", BODY, idempotency_key="reg-8")[0] == 503
    status, _, body = cloud.http("POST", "/participants", BODY, idempotency_key="reg-8")
    assert status == 201 and refusing.refused == 2
    assert profiles.find_id_by_nik(BODY["nik"]) == body["participant_id"]


def test_a_different_registration_of_the_same_nik_does_not_complete_it(cloud, monkeypatch):
    open_wave(cloud)
    busy(monkeypatch, "ThrottlingException")
    assert cloud.http("POST", "/participants", BODY)[0] == 503
    pid = profiles.find_id_by_nik(BODY["nik"])
    status, _, body = cloud.http("POST", "/participants", {**BODY, "full_name": "Budi"})
    assert status == 409 and body["error"]["code"] == "DuplicateNik"
    assert profiles.require(pid)["execution_arn"]  # its lifecycle was started all the same
    assert profiles.require(pid)["full_name"] == BODY["full_name"]


def test_other_start_failures_are_not_turned_into_a_retry(cloud, monkeypatch):
    open_wave(cloud)
    busy(monkeypatch, "StateMachineDoesNotExist")
    status, headers, body = cloud.http("POST", "/participants", BODY)
    assert status == 500 and "Retry-After" not in headers


def test_a_registration_recorded_while_the_wave_was_open_completes_after_it_closed(cloud, monkeypatch):
    """The retry of a 503 registration comes after the wave closed (found by the quota-faithful
    simulation: it was refused WaveClosed and the participant never got a lifecycle)."""
    open_wave(cloud)
    refusing = busy(monkeypatch, "ExecutionLimitExceeded")
    status, _, _ = cloud.http("POST", "/participants", BODY, idempotency_key="reg-late")
    assert status == 503 and refusing.refused == 1
    status, body = cloud.request("POST", "/waves/1/close", {"actor": "ops", "reason": "wave full"})
    assert status == 200, body

    status, _, body = cloud.http("POST", "/participants", BODY, idempotency_key="reg-late")
    assert status == 201, body
    cloud.wait_for_token(body["participant_id"], "PURCHASE")
    # A new registration in the closed wave is still refused.
    status, _, body = cloud.http("POST", "/participants", {**BODY, "nik": nik(8)})
    assert status == 409 and body["error"]["code"] == "WaveClosed"
