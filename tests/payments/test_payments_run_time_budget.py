"""A payout run stops before its Lambda timeout, between two payouts, and the next run
pays the rest: nothing is lost, nothing is paid twice (issue 7's capacity limit 1:
one run cannot always pay a day's payouts)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from support.lifecycle_steps import open_wave, paid_lines, trained_and_rated

from prakerja_flow import catalogue, clock, config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.services import payouts

PAYOUT_RUN = "payout-run"


def four_due(cloud) -> list[str]:
    open_wave(cloud)
    pids = [trained_and_rated(cloud, sequence) for sequence in range(1, 5)]
    cloud.clock.advance(config.FIRST_PAYOUT_DELAY + timedelta(hours=1))
    return pids


def test_a_run_out_of_time_stops_between_payouts_and_the_next_run_pays_the_rest(cloud):
    pids = four_due(cloud)
    allowed = iter([True, True, False])
    first = payouts.run(cloud.clock(), cloud.provider, has_time=lambda: next(allowed))
    assert first.stopped_early and first.outcomes == Counter({"paid": 2})
    assert len(paid_lines(cloud)) == 2
    statuses = Counter(entitlements.get(pid, inc.POST_TRAINING, 1)["status"] for pid in pids)
    assert statuses == Counter({inc.PAID: 2, inc.SCHEDULED: 2})  # the rest untouched, still queued

    second = payouts.run(cloud.clock(), cloud.provider)
    assert not second.stopped_early and second.outcomes["paid"] == 2
    keys = Counter(line["idempotency_key"] for line in paid_lines(cloud))
    assert sorted(keys) == sorted(f"{pid}:{inc.POST_TRAINING}:1" for pid in pids) and set(keys.values()) == {1}


def test_the_deployed_handler_asks_lambda_how_much_time_is_left(cloud):
    """The payout-run function with a timeout shorter than the safety margin starts no
    payout; with its real timeout it pays: the handler reads the Lambda context."""
    four_due(cloud)
    name = f"prakerja-{PAYOUT_RUN}"
    short = int(config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()) - 1
    real = cloud.lambda_.get_function_configuration(FunctionName=name)["Timeout"]
    assert real > config.PAYOUT_RUN_STOP_BEFORE_TIMEOUT.total_seconds()
    cloud.lambda_.update_function_configuration(FunctionName=name, Timeout=short)
    event = {catalogue.SCHEDULED_TIME_FIELD: clock.iso(cloud.clock())}
    report = cloud.invoke(PAYOUT_RUN, event)
    assert report["stopped_early"] is True and report["outcomes"] == {} and paid_lines(cloud) == []
    cloud.lambda_.update_function_configuration(FunctionName=name, Timeout=real)
    report = cloud.invoke(PAYOUT_RUN, event)
    assert report["stopped_early"] is False and report["outcomes"] == {"paid": 4} and len(paid_lines(cloud)) == 4
