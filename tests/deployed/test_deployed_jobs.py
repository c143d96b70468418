"""Every scheduled job runs on the deployed stack, fired through its deployed schedule
(target and input as deployed, the scheduled time substituted as Scheduler does), for a
time long before any participant: nothing is due, nothing changes, every job answers.
(They run side by side, as Scheduler would start them.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from prakerja_flow import catalogue

LONG_AGO = "2000-01-01T00:00:00Z"
JOBS = [spec.key for spec in catalogue.FUNCTIONS if spec.schedule is not None]
pytestmark = pytest.mark.deployed


def test_every_scheduled_job_runs_through_its_schedule(target):
    with ThreadPoolExecutor(len(JOBS)) as pool:
        reports = dict(zip(JOBS, pool.map(lambda key: target.fire_schedule(key, LONG_AGO), JOBS)))
    assert set(reports) == {"payout-run", "reconcile", "deadline-sweep"}
    assert reports["payout-run"]["as_of"] == LONG_AGO and reports["payout-run"]["outcomes"] == {}
    assert reports["deadline-sweep"]["as_of"] == LONG_AGO and reports["deadline-sweep"]["outcomes"] == {}
    # The reconciliation reached the payment provider (its statement) and found nothing to compare.
    assert reports["reconcile"]["until"] == LONG_AGO and reports["reconcile"]["clean"] is True
