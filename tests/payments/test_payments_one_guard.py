"""Every send passes one guard (domain/payout_guard.py), a first send and a re-send after
settlement alike, and is owned by one worker (issue 12, findings 1, 2, 11 and 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.lifecycle_steps import (
    GRANTED,
    advance_days,
    buy,
    complete,
    nik,
    open_wave,
    paid_lines,
    rate,
    register,
    trained_and_rated,
    view,
)

from prakerja_flow import clock, config
from prakerja_flow.data import controls, dynamo, entitlements, keys
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain import accounts
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.payments.provider import ProviderUnavailable
from prakerja_flow.services import operator, payouts

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
COOLING_OFF = config.PAYOUT_ACCOUNT_COOLING_OFF.days


class Recording:
    """The fake provider, recording every transfer request; the first transfer fails with
    a 503 before the provider accepts it (the entitlement stays SENT, never received)."""

    def __init__(self, inner: FakeProvider, fail_first: bool = True):
        self.inner, self.armed, self.requests = inner, fail_first, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def transfer(self, request):
        self.requests.append(request)
        if self.armed:
            self.armed = False
            raise ProviderUnavailable("503 before accepting the transfer")
        return self.inner.transfer(request)


@pytest.fixture
def recording(cloud, monkeypatch) -> Recording:
    provider = Recording(cloud.provider)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: provider))
    return provider


def first_payout(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


def set_account(cloud, pid: str, channel: str, number: str) -> None:
    status, body = cloud.request(
        "PUT", f"/participants/{pid}/payout-account", {"channel": channel, "account_number": number}
    )
    assert status == 200, body


def assert_nothing_reserved(pid: str) -> None:
    assert profiles.require(pid)["cash_committed_idr"] == 0
    assert controls.get_budget().committed_idr == 0


def test_a_delayed_payout_is_not_resent_to_an_account_in_someone_elses_name(cloud, recording):
    open_wave(cloud)
    pid = trained_and_rated(cloud)  # own, verified OVO account
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid)["status"] == inc.SENT  # the provider never received it
    cloud.provider.open_account("DANA", "089900000001", nik(99), kyc_verified=True)  # someone else's
    set_account(cloud, pid, "DANA", "089900000001")

    advance_days(cloud, COOLING_OFF + 2)
    assert [r.account_number for r in recording.requests] == ["081200000001"]  # never to the DANA account
    assert paid_lines(cloud) == []
    payout = first_payout(pid)
    assert (payout["status"], payout["failure_code"]) == (inc.FAILED, "AccountNotOwned")
    assert_nothing_reserved(pid)  # the reservation of the SENT transfer was given back


def test_a_delayed_payout_waits_for_the_cooling_off_of_a_changed_account(cloud, recording):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    advance_days(cloud, FIRST_DUE)
    cloud.provider.open_account("DANA", "089900000002", nik(1), kyc_verified=True)  # the participant's own
    set_account(cloud, pid, "DANA", "089900000002")
    advance_days(cloud, COOLING_OFF - 1)
    assert len(recording.requests) == 1 and first_payout(pid)["status"] == inc.SENT  # held, untouched
    advance_days(cloud, 2)
    assert [r.account_number for r in recording.requests] == ["081200000001", "089900000002"]
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]


def test_a_cancelled_participant_is_not_paid_a_delayed_payout(cloud, recording):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid)["status"] == inc.SENT
    operator.cancel_participation(pid, "ops", "registered with a false identity", cloud.clock())

    advance_days(cloud, 2)
    assert len(recording.requests) == 1  # nothing sent after the cancellation
    assert paid_lines(cloud) == []
    payout = first_payout(pid)
    assert payout["status"] == inc.CANCELLED and "cancelled" in payout["cancelled_reason"].lower()
    assert_nothing_reserved(pid)
    assert all(e["status"] == inc.CANCELLED for e in entitlements.of(pid))


def test_a_changed_account_is_paid_only_after_the_cooling_off(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud)  # the first account (OVO ...0001) has no hold
    assert view(cloud, pid)["payout_account"].get("hold_until") is None
    advance_days(cloud, FIRST_DUE - 1)
    cloud.provider.open_account("DANA", "089900000003", nik(1), kyc_verified=True)
    changed_at = cloud.clock()
    set_account(cloud, pid, "DANA", "089900000003")

    shown = view(cloud, pid)
    hold_until = clock.parse(shown["payout_account"]["hold_until"])
    assert hold_until == changed_at + config.PAYOUT_ACCOUNT_COOLING_OFF
    assert shown["payout_account"]["account_number_masked"] == "****0003"
    assert "cooling-off" in shown["diagnosis"] and hold_until.date().isoformat() in shown["diagnosis"]
    change = shown["account_changes"][-1]
    assert (change["changed_by"], change["from"], change["to"]) == ("portal:web", "OVO ****0001", "DANA ****0003")

    advance_days(cloud, COOLING_OFF - 1)  # due since day FIRST_DUE, but held
    assert first_payout(pid)["status"] in (inc.SCHEDULED, inc.DUE)
    assert paid_lines(cloud) == []
    advance_days(cloud, 2)
    assert first_payout(pid)["status"] == inc.PAID
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]


def test_setting_the_same_account_again_keeps_the_hold(cloud):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    cloud.provider.open_account("DANA", "089900000004", nik(1), kyc_verified=True)
    set_account(cloud, pid, "DANA", "089900000004")
    hold = view(cloud, pid)["payout_account"]["hold_until"]
    cloud.clock.advance(timedelta(days=1))
    set_account(cloud, pid, "DANA", "089900000004")
    assert view(cloud, pid)["payout_account"]["hold_until"] == hold
    assert len(view(cloud, pid)["account_changes"]) == 2  # the first account and the one change


class Overlapping:
    """A second payout run starts while the first is inside a provider call (`where`):
    the runs overlap, as two scheduled runs or a manual run beside a scheduled one can."""

    def __init__(self, inner, where: str):
        self.inner, self.where, self.pending, self.transfers = inner, where, True, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _overlap(self) -> None:
        if self.pending:
            self.pending = False
            payouts.run(clock.now(), self)

    def inquire(self, *args, **kwargs):
        if self.where == "inquire":
            self._overlap()
        return self.inner.inquire(*args, **kwargs)

    def transfer(self, request):
        self.transfers.append(request.idempotency_key)
        if self.where == "transfer":
            self._overlap()
        return self.inner.transfer(request)


@pytest.mark.parametrize("where", ["inquire", "transfer"])
def test_overlapping_runs_send_a_first_payout_once(cloud, monkeypatch, where):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    overlapping = Overlapping(cloud.provider, where)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: overlapping))
    advance_days(cloud, FIRST_DUE)
    assert not overlapping.pending  # the second run did run inside the first
    assert overlapping.transfers == [f"{pid}:POST_TRAINING:1"]
    assert [line["status"] for line in cloud.provider.statement_lines()] == ["PAID"]


def test_overlapping_runs_resend_a_delayed_payout_once(cloud, monkeypatch):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    failing = Recording(cloud.provider)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: failing))
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid)["status"] == inc.SENT
    overlapping = Overlapping(cloud.provider, "transfer")
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: overlapping))
    advance_days(cloud, 1)  # both runs settle the same SENT transfer: one claims the re-send
    assert not overlapping.pending
    assert overlapping.transfers == [f"{pid}:POST_TRAINING:1"]
    assert [line["status"] for line in cloud.provider.statement_lines()] == ["PAID"]
    assert first_payout(pid)["status"] == inc.PAID and first_payout(pid)["attempts"] == 2


class ChangesAccountDuringInquiry:
    """The participant changes the payout account while the payout run is asking the
    provider about the account it is about to clear (found by the model-based test)."""

    def __init__(self, inner, change):
        self.inner, self.change, self.transfers = inner, change, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def inquire(self, *args, **kwargs):
        answer = self.inner.inquire(*args, **kwargs)
        if self.change:
            self.change, change = None, self.change
            change()
        return answer

    def transfer(self, request):
        self.transfers.append(request.account_number)
        return self.inner.transfer(request)


def test_an_account_changed_in_the_same_second_it_was_set_is_a_new_version(cloud, monkeypatch):
    """The account's version used to be its change time, one-second resolution: a first
    account set and then changed within one second (during the run's inquiry) looked like
    the same version, and the payout went to the account no longer on file, during the new
    one's cooling-off. Each change now writes a new version token."""
    open_wave(cloud)
    pid = register(cloud)
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    advance_days(cloud, FIRST_DUE)  # due, but no account yet
    assert first_payout(pid)["failure_code"] == "NoPayoutAccount"
    cloud.provider.open_account("OVO", "081200000001", nik(1), kyc_verified=True)
    cloud.provider.open_account("DANA", "089900000009", nik(1), kyc_verified=True)
    set_account(cloud, pid, "OVO", "081200000001")  # the first account: no hold
    provider = ChangesAccountDuringInquiry(cloud.provider, lambda: set_account(cloud, pid, "DANA", "089900000009"))
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: provider))

    report = payouts.run(cloud.clock(), provider)  # the same second as both account writes
    assert provider.change is None and provider.transfers == []
    assert report.outcomes["raced"] == 1
    assert first_payout(pid)["status"] == inc.DUE and paid_lines(cloud) == []  # for the next run
    assert_nothing_reserved(pid)

    advance_days(cloud, COOLING_OFF + 1)  # the new account, once its cooling-off is over
    assert first_payout(pid)["status"] == inc.PAID
    assert provider.transfers == ["089900000009"] and len(paid_lines(cloud)) == 1


def test_an_account_set_before_version_tokens_is_versioned_by_its_change_time(cloud):
    """Profiles written before payout_account_version existed: cleared, paid and changed
    on the version their change time gives (domain/accounts.account_version)."""
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    dynamo.client().update_item(
        TableName=dynamo.table(),
        Key=dynamo.key(keys.participant(pid), keys.PROFILE),
        UpdateExpression="REMOVE payout_account_version",
    )
    legacy = profiles.require(pid)
    assert "payout_account_version" not in legacy
    assert accounts.account_version(legacy) == legacy["payout_account_updated_at"]
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid)["status"] == inc.PAID
    cloud.provider.open_account("DANA", "089900000010", nik(1), kyc_verified=True)
    set_account(cloud, pid, "DANA", "089900000010")  # the condition takes the legacy version
    changed = profiles.require(pid)
    assert changed["payout_account"]["account_number"] == "089900000010"
    assert accounts.account_version(changed) == changed["payout_account_version"] != legacy["payout_account_updated_at"]
