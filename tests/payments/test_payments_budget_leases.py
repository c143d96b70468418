"""The programme budget is reserved per page of a shard, not per payout (budget leases,
docs/decisions/0014): the budget item is written twice per page and never by a payout's own
transaction; a lease given back under a child, a lowered ceiling and a dead child's lease
all keep `committed = reservations + leases` and the ceiling exact. On the local stack (the
payout-run state machine, the real handlers)."""

from __future__ import annotations

from datetime import timedelta

from support.lifecycle_steps import advance_days, open_wave, paid_lines, trained_and_rated

from prakerja_flow import config
from prakerja_flow.data import budget_leases, controls, dynamo, entitlements, keys
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import FakeProvider
from prakerja_flow.services import payout_run

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
PAYOUT = config.POST_TRAINING_PAYOUT_IDR


def _touches(items: list[dict], sk: str) -> bool:
    return any(
        next(iter(item.values()))["Key"] == {"pk": {"S": keys.BUDGET_PK}, "sk": {"S": sk}}
        for item in items
        if "Key" in next(iter(item.values()))
    )


def _is_send(items: list[dict]) -> bool:
    first = items[0].get("Update", {})
    return first.get("Key", {}).get("sk", {}).get("S", "").startswith("ENT#") and first[
        "ExpressionAttributeValues"
    ].get(":new_status", {}).get("S") == str(inc.SENT)


def record_transactions(monkeypatch) -> list[list[dict]]:
    seen: list[list[dict]] = []
    real = dynamo.transact

    def recording(items):
        seen.append(items)
        return real(items)

    monkeypatch.setattr(dynamo, "transact", recording)
    return seen


def reservations(cloud) -> int:
    return sum(
        e.get("budget_reserved_idr", 0)
        for e in cloud.scan()
        if e.get("type") == "ENTITLEMENT" and e["status"] in (inc.SENT, inc.PAID)
    )


def assert_committed_is_reservations_plus_leases(cloud) -> None:
    leased = sum(budget_leases.leases().values())
    assert controls.get_budget().committed_idr == reservations(cloud) + leased


def one_shard(monkeypatch) -> None:
    """Every payout queued in one shard, so one child pays them all in one page."""
    monkeypatch.setattr(config, "QUEUE_SHARDS", 1)


def due_day(cloud, participants: int) -> list[str]:
    open_wave(cloud)
    pids = [trained_and_rated(cloud, sequence=n) for n in range(1, participants + 1)]
    advance_days(cloud, FIRST_DUE - 1)
    cloud.clock.advance(timedelta(days=1))
    return pids


def test_a_payout_day_writes_the_budget_item_per_page_and_never_per_payout(cloud, monkeypatch):
    one_shard(monkeypatch)
    pids = due_day(cloud, 5)
    seen = record_transactions(monkeypatch)
    report = cloud.run_scheduled()["payout-run"]
    cloud.settle()

    sends = [t for t in seen if _is_send(t)]
    assert len(sends) == len(pids) and report["outcomes"]["paid"] == len(pids)
    assert not [t for t in sends if _touches(t, keys.BUDGET_SK)], "a payout wrote the programme budget item"
    assert all(any(_touches(t, keys.budget_lease(s)) for s in range(config.QUEUE_SHARDS)) for t in sends)
    budget_writes = [t for t in seen if _touches(t, keys.BUDGET_SK)]
    assert report["shards"] == [0]
    # Five payouts, one write: the lease taken for exactly the page's five was all spent, so
    # there was nothing to give back (at most two per page; one per payout before leases).
    assert len(budget_writes) == 1
    assert controls.get_budget().committed_idr == len(pids) * PAYOUT == reservations(cloud)
    assert set(budget_leases.leases().values()) == {0}
    assert len(paid_lines(cloud)) == len(pids)


class GiveLeasesBackOnFirstTransfer:
    """A ceiling change or an overlapping run's summary returns the leases while a child is
    between two payouts of its page."""

    def __init__(self, inner):
        self.inner, self.armed, self.returned = inner, True, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def transfer(self, request):
        if self.armed:
            self.armed = False
            self.returned = budget_leases.return_all()
        return self.inner.transfer(request)


def test_a_lease_given_back_under_a_child_makes_its_payouts_reserve_from_the_budget(cloud, monkeypatch):
    one_shard(monkeypatch)
    pids = due_day(cloud, 4)
    provider = GiveLeasesBackOnFirstTransfer(cloud.provider)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: provider))
    seen = record_transactions(monkeypatch)
    cloud.run_scheduled()
    cloud.settle()

    assert provider.returned > 0
    sends = [t for t in seen if _is_send(t)]
    assert any(_touches(t, keys.BUDGET_SK) for t in sends), "no payout fell back to the budget item"
    assert len(paid_lines(cloud)) == len(pids)
    assert {entitlements.get(p, inc.POST_TRAINING, 1)["status"] for p in pids} == {inc.PAID}
    assert controls.get_budget().committed_idr == len(pids) * PAYOUT
    assert_committed_is_reservations_plus_leases(cloud)


class LowerTheCeilingOnFirstTransfer:
    """An operator's emergency stop while the children hold leases."""

    def __init__(self, inner, clock):
        self.inner, self.clock, self.armed = inner, clock, True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def transfer(self, request):
        if self.armed:
            self.armed = False
            controls.set_budget_ceiling(0, "ops:test", "emergency stop", self.clock())
        return self.inner.transfer(request)


def test_a_lowered_ceiling_takes_the_leases_back_and_stops_the_page_at_once(cloud, monkeypatch):
    one_shard(monkeypatch)
    pids = due_day(cloud, 4)
    provider = LowerTheCeilingOnFirstTransfer(cloud.provider, cloud.clock)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: provider))
    cloud.run_scheduled()
    cloud.settle()

    statuses = sorted(entitlements.get(p, inc.POST_TRAINING, 1)["status"] for p in pids)
    # The one transfer under way when the ceiling fell is paid (it was reserved); the rest of
    # the page, still leased a moment ago, is refused for the budget.
    assert statuses == [inc.FAILED] * (len(pids) - 1) + [inc.PAID], statuses
    assert len(paid_lines(cloud)) == 1
    assert set(budget_leases.leases().values()) == {0}
    assert controls.get_budget().committed_idr == PAYOUT
    assert_committed_is_reservations_plus_leases(cloud)


def test_a_dead_childs_lease_is_returned_by_the_runs_summary(cloud):
    open_wave(cloud)
    budget = controls.get_budget()
    taken, after = budget_leases.take(3, 5 * PAYOUT, budget)  # the child died before giving it back
    assert taken == 5 * PAYOUT and controls.get_budget().committed_idr == after.committed_idr == 5 * PAYOUT
    assert budget_leases.leases() == {3: 5 * PAYOUT}

    report = payout_run.summarise(cloud.clock().isoformat(), None, [], [])
    assert report.leases_returned_idr == 5 * PAYOUT and report.as_dict()["leases_returned_idr"] == 5 * PAYOUT
    assert budget_leases.leases() == {3: 0} and controls.get_budget().committed_idr == 0


def test_a_lease_takes_only_what_remains_under_the_ceiling(cloud):
    open_wave(cloud)
    controls.set_budget_ceiling(PAYOUT + PAYOUT // 2, "ops:test", "room for one and a half", cloud.clock())
    taken, budget = budget_leases.take(0, 4 * PAYOUT, controls.get_budget())
    assert taken == PAYOUT + PAYOUT // 2 and budget.remaining_idr == 0
    assert budget_leases.take(1, PAYOUT, budget) == (0, budget)  # nothing left for another shard
    assert budget_leases.give_back(0) == taken and controls.get_budget().committed_idr == 0


def test_the_ceiling_is_exact_with_leases_on_a_payout_day(cloud):
    """Room for two payouts and a half among five participants spread over the shards: two are
    paid, whoever leases first, and nothing is left committed after the run."""
    open_wave(cloud)
    controls.set_budget_ceiling(2 * PAYOUT + PAYOUT // 2, "ops:test", "room for two", cloud.clock())
    pids = [trained_and_rated(cloud, sequence=n) for n in range(1, 6)]
    advance_days(cloud, FIRST_DUE)
    paid = [p for p in pids if entitlements.get(p, inc.POST_TRAINING, 1)["status"] == inc.PAID]
    assert len(paid) == 2 and len(paid_lines(cloud)) == 2
    assert controls.get_budget().committed_idr == 2 * PAYOUT
    assert set(budget_leases.leases().values()) <= {0}
    assert_committed_is_reservations_plus_leases(cloud)
