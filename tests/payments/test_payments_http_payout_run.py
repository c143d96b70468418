"""The payout run on the local stack, paying through the HTTP adapter (a real HTTP
server on 127.0.0.1) with its API key in a Secrets Manager secret (moto), under faults."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from support.lifecycle_steps import advance_days, nik, open_wave, queued, trained_and_rated, view

from prakerja_flow import clock, config
from prakerja_flow.data import controls, entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.payments.http import HttpProvider, SecretApiKey

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days


@pytest.fixture
def http(cloud, api, monkeypatch):
    arn = boto3.client("secretsmanager").create_secret(
        Name="provider", SecretString=json.dumps({"api_key": "test-key"})
    )["ARN"]
    provider = HttpProvider(
        base_url=api.url, api_key=SecretApiKey(arn), connect_timeout=0.5, read_timeout=1.0, sleep=lambda seconds: None
    )
    api.clock = lambda: clock.iso(cloud.clock())
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: provider))
    return provider


def participant(cloud, api, sequence: int) -> str:
    pid = trained_and_rated(cloud, sequence)
    api.open_account("OVO", f"0812{sequence:08d}", nik(sequence))
    return pid


def status(pid: str) -> str:
    return entitlements.get(pid, inc.POST_TRAINING, 1)["status"]


def test_payouts_through_http_with_5xx_and_an_answer_lost_pay_each_once(cloud, api, http):
    open_wave(cloud)
    a, b = participant(cloud, api, 1), participant(cloud, api, 2)
    advance_days(cloud, FIRST_DUE - 1)
    cloud.clock.advance(timedelta(days=1))
    # Requests of the run, in order: inquiry (503, retried), inquiry again (fine), then
    # the first transfer: accepted, but its answer comes after our read timeout.
    api.fail_next("503", "none", "accept_then_slow")
    cloud.run_scheduled()
    cloud.settle()
    assert sorted([status(a), status(b)]) == [inc.PAID, inc.SENT]
    assert len(api.paid_lines()) == 2  # the provider paid both; one answer was lost

    cloud.clock.advance(config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1))
    cloud.run_scheduled()
    cloud.settle()
    assert [status(a), status(b)] == [inc.PAID, inc.PAID]
    assert len(api.paid_lines()) == 2 and api.count("POST", "/v1/disbursements") == 2
    assert not queued(a) and not queued(b)  # both paid and out of the payout queue

    report = cloud.invoke("reconcile", {"scheduled_time": clock.iso(cloud.clock() + timedelta(days=1))})
    assert report["clean"] is True and report["provider_paid"] == 2


def test_the_provider_down_for_a_whole_run_loses_nothing(cloud, api, http):
    open_wave(cloud)
    pid = participant(cloud, api, 3)
    advance_days(cloud, FIRST_DUE - 1)
    api.fail_next(*["503"] * 3)  # every attempt of the inquiry
    advance_days(cloud, 1)
    assert status(pid) in (inc.SCHEDULED, inc.DUE)  # nothing sent, nothing failed
    assert api.paid_lines() == []
    advance_days(cloud, 1)
    assert status(pid) == inc.PAID and len(api.paid_lines()) == 1


def test_a_misconfigured_provider_url_holds_payouts_and_never_blames_the_participant(cloud, api, http, monkeypatch):
    """The base URL ending in /v1 (the adapter appends /v1/... itself): the provider's 404
    for the unknown route used to fail every payout as AccountNotFound."""
    open_wave(cloud)
    pid = participant(cloud, api, 4)
    advance_days(cloud, FIRST_DUE - 1)
    monkeypatch.setattr(http, "base_url", api.url + "/v1")
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_job("payout-run")
    ent = entitlements.get(pid, inc.POST_TRAINING, 1)
    assert report["outcomes"] == {"misconfigured": 1}
    assert ent["status"] in (inc.SCHEDULED, inc.DUE) and "failure_code" not in ent  # left as it was
    diagnosis = view(cloud, pid)["diagnosis"]
    assert "payment provider misconfigured" in diagnosis and "nothing for the participant to fix" in diagnosis
    assert "AccountNotFound" not in diagnosis and "check the number" not in diagnosis
    assert api.url not in diagnosis  # the provider's address stays with operators (log, alarm)
    assert "without /v1" in controls.get_provider_problem()["problem"]

    monkeypatch.setattr(http, "base_url", api.url)  # fixed: the next run pays, and the diagnosis moves on
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_job("payout-run")
    cloud.settle()
    assert report["outcomes"]["paid"] == 1 and status(pid) == inc.PAID
    assert "misconfigured" not in view(cloud, pid)["diagnosis"]
