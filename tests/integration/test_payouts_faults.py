"""Payouts under faults: never paid twice, never lost, always explained."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.lifecycle_steps import GRANTED, advance_days, nik, open_wave, paid_lines, queued, trained_and_rated, view

from prakerja_flow import config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.provider import ProviderUnavailable

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days


def first_payout(cloud, pid):
    return next(e for e in view(cloud, pid)["entitlements"] if e["kind"] == inc.POST_TRAINING and e["sequence"] == 1)


def test_duplicated_scheduled_runs_pay_nothing_twice(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    advance_days(cloud, FIRST_DUE)
    for _ in range(3):
        cloud.run_scheduled()  # the scheduler delivers the same tick again (at-least-once)
    cloud.settle()
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    assert view(cloud, pid)["cash_paid_idr"] == config.POST_TRAINING_PAYOUT_IDR


def test_unverified_e_wallet_fails_with_a_reason_then_is_paid_once_after_verification(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud, sequence=2)
    cloud.provider.open_account("OVO", "081200000002", nik(2), kyc_verified=False)
    advance_days(cloud, FIRST_DUE + 3)
    payout = first_payout(cloud, pid)
    assert (payout["status"], payout["failure_code"]) == (inc.FAILED, "AccountNotVerified")
    assert "not KYC-verified" in payout["failure_reason"]
    diagnosis = view(cloud, pid)["diagnosis"]
    assert (
        diagnosis.startswith("payout 1 failed: OVO e-wallet ending 0002 is not KYC-verified")
        and "next payout run" in diagnosis
    )
    assert paid_lines(cloud) == []

    cloud.provider.open_account("OVO", "081200000002", nik(2), kyc_verified=True)
    advance_days(cloud, 1)
    assert first_payout(cloud, pid)["status"] == inc.PAID
    advance_days(cloud, 3)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]


def test_account_in_someone_elses_name_is_never_paid(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud, sequence=3)
    cloud.provider.open_account("OVO", "081200000003", nik(99), kyc_verified=True)
    advance_days(cloud, FIRST_DUE + 40)
    assert paid_lines(cloud) == []
    assert first_payout(cloud, pid)["failure_code"] == "AccountNotOwned"
    assert "someone else's name" in view(cloud, pid)["diagnosis"]


class CrashingProvider:
    """Wraps the fake provider and fails one way, once."""

    def __init__(self, inner, mode):
        self.inner, self.mode, self.armed = inner, mode, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def transfer(self, request):
        if self.armed and self.mode == "before":
            self.armed = False
            raise ProviderUnavailable("crash before the provider received it")
        result = self.inner.transfer(request)
        if self.armed and self.mode == "after":
            self.armed = False
            raise ProviderUnavailable("crash after the provider accepted it")
        return result


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_crash_around_the_provider_call_converges_to_one_payment(cloud, monkeypatch, mode):
    from prakerja_flow.payments.fake import FakeProvider

    open_wave(cloud)
    pid = trained_and_rated(cloud)
    crashing = CrashingProvider(cloud.provider, mode)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: crashing))
    advance_days(cloud, FIRST_DUE)
    assert first_payout(cloud, pid)["status"] == inc.SENT  # outcome unknown: neither paid nor failed
    assert "outcome pending" in view(cloud, pid)["diagnosis"]
    advance_days(cloud, 1)  # the next run asks the provider, and pays or records, once
    assert first_payout(cloud, pid)["status"] == inc.PAID
    advance_days(cloud, 2)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    assert view(cloud, pid)["cash_paid_idr"] == config.POST_TRAINING_PAYOUT_IDR
    assert not queued(pid)  # and it left the payout queue: done


def test_a_crash_after_our_write_but_before_leaving_the_queue(cloud, monkeypatch):
    """PAID is written, then the child dies before the entitlement leaves the payout queue
    (since ADR 0013 that is all that follows a payment: no execution waits to be resumed).
    The next run finds it PAID and still queued, takes it out, and pays nothing again."""
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    real_dequeue = entitlements.dequeue
    calls = {"n": 0}

    def crash_once(ent):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("crash after PAID was written")
        return real_dequeue(ent)

    monkeypatch.setattr(entitlements, "dequeue", crash_once)
    advance_days(cloud, FIRST_DUE - 1)
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_scheduled()["payout-run"]  # the shard's child fails after the PAID transaction
    assert report["failed_shards"] == report["shards"] and report["shard_errors"] == {
        str(report["shards"][0]): "RuntimeError"
    }
    assert first_payout(cloud, pid)["status"] == inc.PAID and queued(pid)
    advance_days(cloud, 1)  # the next run finds the PAID entitlement still queued and takes it out
    assert calls["n"] == 2 and not queued(pid)
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    assert cloud.current_state(pid) == GRANTED


def test_the_cash_cap_holds_even_if_extra_entitlements_appear(cloud):

    open_wave(cloud)
    pid = trained_and_rated(cloud)
    extra = entitlements.get(pid, inc.POST_TRAINING, 4)
    forged = {
        **extra,
        "sk": "ENT#POST_TRAINING#5",
        "sequence": 5,
        "idempotency_key": f"{pid}:POST_TRAINING:5",
        "gsi1sk": extra["gsi1sk"].replace("#4", "#5"),
    }
    from prakerja_flow.data.dynamo import to_ddb

    cloud.ddb.put_item(TableName=cloud.table_name, Item=to_ddb(forged))
    for n in range(1, 4):
        assert cloud.request("POST", f"/participants/{pid}/surveys/{n}", {"answers": {"q": "x"}})[0] in (201, 409)
    advance_days(cloud, FIRST_DUE + 3 * config.PAYOUT_INTERVAL.days + 1)
    assert view(cloud, pid)["cash_paid_idr"] <= config.CASH_INCENTIVE_CAP_IDR
    # Not even paid while the cap had room: the package has four monthly payouts.
    fifth = entitlements.get(pid, inc.POST_TRAINING, 5)
    assert fifth["status"] in (inc.CANCELLED, inc.SCHEDULED), fifth
    if fifth["status"] == inc.CANCELLED:
        assert "not part of the package" in fifth["cancelled_reason"]
    assert f"{pid}:POST_TRAINING:5" not in [line["idempotency_key"] for line in paid_lines(cloud)]
