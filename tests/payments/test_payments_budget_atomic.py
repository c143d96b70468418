"""The programme budget reservation is part of the entitlement's own transactions
(commit_cash: DUE -> SENT; release_cash: SENT -> FAILED). Crashing the payout run at
every point around those writes, the budget's committed amount always equals the sum of
the SENT and PAID entitlements, and the payment still converges to exactly one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.lifecycle_steps import advance_days, open_wave, paid_lines, queued, trained_and_rated

from prakerja_flow import config
from prakerja_flow.data import cash, controls, dynamo, entitlements
from prakerja_flow.data import participants as profiles
from prakerja_flow.domain import accounts
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.provider import REJECTED, TransferResult

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
PAYOUT = config.POST_TRAINING_PAYOUT_IDR


class Crash(RuntimeError):
    """The payout run's Lambda dying (timeout, OOM, lost connection) mid-run."""


def all_entitlements(cloud) -> list[dict]:
    return [item for item in cloud.scan() if item.get("type") == "ENTITLEMENT"]


def assert_budget_matches_entitlements(cloud) -> None:
    held = sum(e["amount_idr"] for e in all_entitlements(cloud) if e["status"] in (inc.SENT, inc.PAID))
    assert controls.get_budget().committed_idr == held
    reserved = sum(
        e.get("budget_reserved_idr", 0) for e in all_entitlements(cloud) if e["status"] in (inc.SENT, inc.PAID)
    )
    assert reserved == held  # every SENT/PAID entitlement holds its own reservation, no other does
    assert not any(
        e.get("budget_reserved_idr") for e in all_entitlements(cloud) if e["status"] not in (inc.SENT, inc.PAID)
    )


def _target_status(items: list[dict]) -> str | None:
    """The status an entitlement transaction moves to (None for other transactions)."""
    first = items[0].get("Update", {})
    if not first.get("Key", {}).get("sk", {}).get("S", "").startswith("ENT#"):
        return None
    return first["ExpressionAttributeValues"].get(":new_status", {}).get("S")


def crash_transaction_once(monkeypatch, target: str, when: str) -> dict:
    """Makes the first entitlement transaction to `target` crash: `before` it reaches
    DynamoDB (nothing written) or `after` it committed (the answer is lost)."""
    real = dynamo.transact
    state = {"armed": True, "hit": 0}

    def crashing(items):
        if state["armed"] and _target_status(items) == target:
            state["armed"], state["hit"] = False, state["hit"] + 1
            if when == "before":
                raise Crash(f"crash before the {target} transaction")
            real(items)
            raise Crash(f"crash after the {target} transaction committed")
        return real(items)

    monkeypatch.setattr(dynamo, "transact", crashing)
    return state


class RejectOnce:
    """The provider rejects the first transfer (e.g. bank maintenance), then behaves."""

    def __init__(self, inner):
        self.inner, self.armed = inner, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def transfer(self, request):
        if self.armed:
            self.armed = False
            return TransferResult(REJECTED, "TRF-REJ", "bank offline for maintenance")
        return self.inner.transfer(request)


def run_due_day_crashing(cloud) -> None:
    advance_days(cloud, FIRST_DUE - 1)
    cloud.clock.advance(timedelta(days=1))
    report = cloud.run_scheduled()["payout-run"]
    # The shard's child failed with the function error (as AWS reports it); the run's Map
    # caught it and the run ended, leaving that shard's work to the next run.
    assert report["failed_shards"] == report["shards"] and len(report["shards"]) == 1
    assert set(report["shard_errors"].values()) == {"Crash"}
    cloud.settle()


def first_payout(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_the_cash_commit_keeps_budget_and_entitlements_in_step(cloud, monkeypatch, when):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    state = crash_transaction_once(monkeypatch, inc.SENT, when)
    run_due_day_crashing(cloud)
    assert state["hit"] == 1
    assert first_payout(pid)["status"] == (inc.DUE if when == "before" else inc.SENT)
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == (0 if when == "before" else PAYOUT)
    assert paid_lines(cloud) == []  # the run died before calling the provider

    advance_days(cloud, 1)  # the next run sends (or settles the SENT one) once
    assert first_payout(pid)["status"] == inc.PAID
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == PAYOUT
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_around_the_release_of_a_rejected_transfer(cloud, monkeypatch, when):
    from prakerja_flow.payments.fake import FakeProvider

    open_wave(cloud)
    pid = trained_and_rated(cloud)
    rejecting = RejectOnce(cloud.provider)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: rejecting))
    state = crash_transaction_once(monkeypatch, inc.FAILED, when)
    run_due_day_crashing(cloud)
    assert state["hit"] == 1
    payout = first_payout(pid)
    assert payout["status"] == (inc.SENT if when == "before" else inc.FAILED)
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == (PAYOUT if when == "before" else 0)

    advance_days(cloud, 2)  # settled (or retried) and paid, once
    assert first_payout(pid)["status"] == inc.PAID
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == PAYOUT
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]


def test_a_crash_after_the_paid_transaction_keeps_the_reservation(cloud, monkeypatch):
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    crash_transaction_once(monkeypatch, inc.PAID, "after")
    run_due_day_crashing(cloud)
    assert first_payout(pid)["status"] == inc.PAID
    assert_budget_matches_entitlements(cloud)
    advance_days(cloud, 1)  # takes it out of the queue; books nothing again
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == PAYOUT
    assert [line["sequence"] for line in paid_lines(cloud)] == [1]
    assert not queued(pid)  # the next run took the PAID one out of the queue


def test_budget_refusal_writes_no_reservation_and_says_why(cloud):
    open_wave(cloud)
    controls.set_budget_ceiling(PAYOUT - 1, "ops", "test: no room", cloud.clock())
    pid = trained_and_rated(cloud)
    advance_days(cloud, FIRST_DUE)
    payout = first_payout(pid)
    assert (payout["status"], payout["failure_code"]) == (inc.FAILED, "BudgetExhausted")
    assert "budget is exhausted" in payout["failure_reason"]
    assert view_cash(pid) == 0  # the participant's cap reservation was not taken either
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == 0


def account_version(pid: str) -> str:
    """The payout account version the guard clears (commit_cash re-checks it)."""
    return accounts.account_version(profiles.require(pid))


def view_cash(pid: str) -> int:
    return profiles.require(pid)["cash_committed_idr"]


def test_a_ceiling_changed_under_a_running_commit_is_read_again(cloud):
    """commit_cash is guarded by the ceiling the run read; a raised ceiling is re-read and used."""
    open_wave(cloud)
    controls.set_budget_ceiling(PAYOUT - 1, "ops", "t", cloud.clock())
    stale = controls.get_budget()
    pid = trained_and_rated(cloud)
    controls.set_budget_ceiling(PAYOUT, "ops", "t: top-up", cloud.clock())
    ent = entitlements.transition(first_payout(pid), inc.DUE, cloud.clock())
    sent, budget, _ = cash.commit(ent, cloud.clock(), stale, account_version=account_version(pid))
    assert sent["status"] == inc.SENT and sent["budget_reserved_idr"] == PAYOUT
    assert (budget.ceiling_idr, budget.committed_idr) == (PAYOUT, PAYOUT)
    assert_budget_matches_entitlements(cloud)


def test_a_ceiling_lowered_under_a_running_commit_refuses(cloud):
    open_wave(cloud)
    stale = controls.get_budget()  # the config default
    pid = trained_and_rated(cloud)
    controls.set_budget_ceiling(PAYOUT - 1, "ops", "emergency stop", cloud.clock())
    ent = entitlements.transition(first_payout(pid), inc.DUE, cloud.clock())
    with pytest.raises(controls.BudgetExhausted) as refused:
        cash.commit(ent, cloud.clock(), stale, account_version=account_version(pid))
    assert refused.value.budget.ceiling_idr == PAYOUT - 1
    assert first_payout(pid)["status"] == inc.DUE
    assert controls.get_budget().committed_idr == 0


def test_a_sent_entitlement_without_a_reservation_gives_nothing_back(cloud):
    """Entitlements SENT before the budget existed hold no reservation: rejecting one must
    not hand back room it never took."""
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    controls.reserve_budget(PAYOUT)  # somebody else's reservation
    ent = entitlements.transition(first_payout(pid), inc.DUE, cloud.clock())
    sent, _, _ = cash.commit(ent, cloud.clock(), account_version=account_version(pid))
    cloud.ddb.update_item(
        TableName=cloud.table_name,
        Key={"pk": {"S": sent["pk"]}, "sk": {"S": sent["sk"]}},
        UpdateExpression="REMOVE budget_reserved_idr",
    )
    sent.pop("budget_reserved_idr")
    assert cash.release(sent, cloud.clock(), "ProviderRejected", "t") is not None
    assert controls.get_budget().committed_idr == 2 * PAYOUT  # neither reservation given back


def test_a_transaction_conflict_on_the_budget_item_is_retried_then_left_for_the_next_run(cloud, monkeypatch):
    """Two runs committing at the same moment: DynamoDB cancels one transaction with
    TransactionConflict (nothing written). commit_cash tries again; if the item stays
    contended it writes nothing and the entitlement stays DUE for the next run."""
    open_wave(cloud)
    pid = trained_and_rated(cloud)
    ent = entitlements.transition(first_payout(pid), inc.DUE, cloud.clock())
    real = dynamo.transact
    conflicts = {"left": 1}

    def conflicting(items):
        if _target_status(items) == inc.SENT and conflicts["left"]:
            conflicts["left"] -= 1
            return ["None", "None", "TransactionConflict"]
        return real(items)

    monkeypatch.setattr(dynamo, "transact", conflicting)
    sent, _, _ = cash.commit(
        ent, cloud.clock(), account_version=account_version(pid)
    )  # one conflict, then it goes through
    assert sent["status"] == inc.SENT
    assert_budget_matches_entitlements(cloud)

    other = entitlements.transition(entitlements.get(pid, inc.POST_TRAINING, 2), inc.DUE, cloud.clock())
    conflicts["left"] = 99
    assert (
        cash.commit(other, cloud.clock(), account_version=account_version(pid)) is None
    )  # always contended: nothing written
    assert entitlements.get(pid, inc.POST_TRAINING, 2)["status"] == inc.DUE
    assert_budget_matches_entitlements(cloud)
    assert controls.get_budget().committed_idr == PAYOUT
