"""Budget ceiling and per-wave pause, on the local stack (real ASL, real handlers)."""

from __future__ import annotations

from datetime import timedelta

from support.lifecycle_steps import advance_days, open_wave, paid_lines, queued, trained_and_rated, view

from prakerja_flow import clock, config
from prakerja_flow.data import controls, entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.provider import REJECTED, TransferResult

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
PAYOUT = config.POST_TRAINING_PAYOUT_IDR


def first_payout(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


# --- budget ceiling ------------------------------------------------------------------------


def test_budget_ceiling_stops_payouts_with_a_reason_until_raised(cloud):
    open_wave(cloud)
    controls.set_budget_ceiling(PAYOUT, "ops", "test: room for one payout", cloud.clock())
    a = trained_and_rated(cloud, sequence=1)
    b = trained_and_rated(cloud, sequence=2)
    advance_days(cloud, FIRST_DUE)

    outcomes = sorted(first_payout(p)["status"] for p in (a, b))
    assert outcomes == [inc.FAILED, inc.PAID]
    refused = next(first_payout(p) for p in (a, b) if first_payout(p)["status"] == inc.FAILED)
    assert refused["failure_code"] == "BudgetExhausted"
    assert "budget is exhausted" in refused["failure_reason"] and f"Rp{PAYOUT:,} ceiling" in refused["failure_reason"]
    assert len(paid_lines(cloud)) == 1
    assert controls.get_budget().committed_idr == PAYOUT
    assert view(cloud, refused["participant_id"])["cash_paid_idr"] == 0

    version = refused["version"]
    report = cloud.run_scheduled()["payout-run"]
    assert report["outcomes"].get("still_failing") == 1  # nothing written while the budget is full
    assert first_payout(refused["participant_id"])["version"] == version

    controls.set_budget_ceiling(2 * PAYOUT, "ops", "test: top-up", cloud.clock())
    advance_days(cloud, 1)
    assert first_payout(refused["participant_id"])["status"] == inc.PAID
    assert len(paid_lines(cloud)) == 2
    assert controls.get_budget().committed_idr == 2 * PAYOUT


def test_default_ceiling_comes_from_config_and_the_override_can_be_removed(cloud):
    budget = controls.get_budget()
    assert (budget.ceiling_idr, budget.committed_idr, budget.overridden) == (config.CASH_INCENTIVE_BUDGET_IDR, 0, False)
    assert controls.set_budget_ceiling(10, "ops", "t", cloud.clock()).ceiling_idr == 10
    assert controls.set_budget_ceiling(None, "ops", "t", cloud.clock()).ceiling_idr == config.CASH_INCENTIVE_BUDGET_IDR


def test_reservations_never_exceed_the_ceiling_even_with_a_stale_view(cloud):
    controls.set_budget_ceiling(3 * PAYOUT, "ops", "t", cloud.clock())
    stale = controls.get_budget()  # two runs read the same budget...
    taken = [controls.reserve_budget(PAYOUT, stale) for _ in range(5)]  # ...and all act on it
    assert [t is not None for t in taken] == [True, True, True, False, False]
    assert controls.get_budget().committed_idr == 3 * PAYOUT
    controls.release_budget(PAYOUT)
    assert controls.reserve_budget(PAYOUT, stale) is not None


def test_a_ceiling_lowered_under_a_running_payout_run_is_respected(cloud):
    stale = controls.get_budget()  # the run read the config default
    controls.set_budget_ceiling(PAYOUT - 1, "ops", "emergency stop", cloud.clock())
    assert controls.reserve_budget(PAYOUT, stale) is None
    assert controls.get_budget().committed_idr == 0


def test_a_rejected_transfer_gives_its_budget_back(cloud, monkeypatch):
    from prakerja_flow.payments.fake import FakeProvider

    class RejectOnce:
        def __init__(self, inner):
            self.inner, self.armed = inner, True

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def transfer(self, request):
            if self.armed:
                self.armed = False
                return TransferResult(REJECTED, "TRF-REJ", "bank offline for maintenance")
            return self.inner.transfer(request)

    open_wave(cloud)
    pid = trained_and_rated(cloud)
    rejecting = RejectOnce(cloud.provider)  # one provider for every caller: it rejects once in all
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: rejecting))
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid)["failure_code"] == "ProviderRejected"
    assert controls.get_budget().committed_idr == 0
    advance_days(cloud, 1)
    assert first_payout(pid)["status"] == inc.PAID
    assert controls.get_budget().committed_idr == PAYOUT


# --- per-wave pause -------------------------------------------------------------------------


def test_a_paused_wave_is_left_alone_and_paid_after_resuming(cloud):
    open_wave(cloud, 1)
    open_wave(cloud, 2)
    one = trained_and_rated(cloud, 1, wave=1)
    two = trained_and_rated(cloud, 2, wave=2)
    controls.set_wave_pause(2, True, "ops", "test: wave 2 data check", cloud.clock())
    assert controls.paused_waves() == frozenset({2})
    before = first_payout(two)

    advance_days(cloud, FIRST_DUE - 1)
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_scheduled()["payout-run"]
    cloud.settle()
    assert report["outcomes"].get("paused") == 1 and report["outcomes"].get("paid") == 1
    assert first_payout(one)["status"] == inc.PAID
    assert first_payout(two) == before  # untouched: not DUE, not FAILED, no new version
    assert [line["participant_id"] for line in paid_lines(cloud)] == [one]

    advance_days(cloud, 2)
    assert first_payout(two) == before
    controls.set_wave_pause(2, False, "ops", "test: checked", cloud.clock())
    assert controls.paused_waves() == frozenset()
    assert controls.get_wave_pause(2)["paused"] is False
    advance_days(cloud, 1)
    assert first_payout(two)["status"] == inc.PAID
    assert sorted(line["participant_id"] for line in paid_lines(cloud)) == sorted([one, two])
    assert not queued(two)  # paid and out of the payout queue


def test_programme_pause_item_is_untouched_by_wave_pauses(cloud):
    controls.set_wave_pause(1, True, "ops", "t", cloud.clock())
    assert controls.get_pause() is None  # the all-programme pause (PAUSE/PAUSE) is a different item
    assert clock.iso(cloud.clock()) == controls.get_wave_pause(1)["at"]


def test_an_item_redelivered_to_a_run_that_saw_the_programme_paused_is_left_alone(cloud):
    """Found by the model-based test: a run that read the pause stays paused for every
    item it is handed, a redelivered one included (the queue read is not the only way in)."""
    from prakerja_flow.services import payouts

    open_wave(cloud, 1)
    pid = trained_and_rated(cloud, 1, wave=1)
    due = first_payout(pid)
    cloud.clock.advance(timedelta(days=FIRST_DUE + 1))
    report = payouts.RunReport(clock.iso(cloud.clock()), paused=True)

    assert payouts._process(due, cloud.clock(), cloud.provider, report) == "paused"
    assert first_payout(pid) == due
    assert paid_lines(cloud) == []
