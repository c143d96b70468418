"""Payout-run throughput: entitlements paid per second by ONE execution of the real
payout-run state machine over N due monthly payouts, on the local stack (moto DynamoDB,
fake provider answering at once: the CPU cost per payout; bench/payout_day.py adds the
provider's latency and the workers).

Setup bypasses the API and the state machine (it would dominate the time): N
participants are written with the repository (register, verified payout account,
grant_incentives with a plan whose first payout is due now), so exactly N entitlements
are due. No execution waits for them, so the run's SendTaskSuccess step finds no token:
the figure excludes the Step Functions call (about 1 ms locally, one API call on AWS).

Usage:  .venv/bin/python bench/payout_run_throughput.py --n 500 [--n 1000 ...]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.counting import Meter  # noqa: E402
from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja_flow import catalogue, config  # noqa: E402
from prakerja_flow.data import accounts, entitlements
from prakerja_flow.data import participants as profiles  # noqa: E402
from prakerja_flow.data import waves as waves_data
from prakerja_flow.domain import incentives as inc  # noqa: E402
from prakerja_flow.domain import participation  # noqa: E402
from prakerja_flow.domain.nik import build_nik  # noqa: E402


def setup(cloud: LocalCloud, n: int) -> None:
    now = cloud.clock()
    waves_data.put_status(1, None, "OPEN", now)
    granted = now - config.FIRST_PAYOUT_DELAY  # first payout due exactly now
    plan = [e for e in inc.plan_incentives(granted)]
    for i in range(n):
        nik = build_nik(31, 71, 1, date(1990, 1, 1) + timedelta(days=i % 3000), "M", i % 9999 + 1)
        pid = f"P{i:07d}"
        profile = participation.accepted(pid, nik, "Bench", 1, "M", "1990-01-01", granted)
        profiles.register(profile, profiles.nik_guards(nik), granted)
        number = f"08{i:010d}"
        cloud.provider.open_account("OVO", number, nik, kyc_verified=True)
        accounts.replace(pid, {"channel": "OVO", "account_number": number}, {}, None, "bench", granted)
        assert entitlements.grant(pid, "ORD1", plan, granted, lifecycle_waits=False)


def one(n: int) -> dict:
    with LocalCloud() as cloud:
        t0 = time.perf_counter()
        setup(cloud, n)
        setup_s = time.perf_counter() - t0
        meter = Meter(cloud)
        try:
            t1 = time.perf_counter()
            report = cloud.run_job(catalogue.PAYOUT_RUN.key)
            run_s = time.perf_counter() - t1
        finally:
            meter.close()
        ddb = meter.ddb["job"].snapshot()
    paid = report["outcomes"].get("paid", 0)
    return {
        "n": n,
        "paid": paid,
        "outcomes": report["outcomes"],
        "setup_s": round(setup_s, 1),
        "run_s": round(run_s, 2),
        "paid_per_s": round(paid / run_s, 1),
        "ddb_calls_per_paid": round(sum(ddb["calls"].values()) / max(paid, 1), 2),
        "ddb_calls": ddb["calls"],
        "rru_per_paid": round(ddb["rru"] / max(paid, 1), 2),
        "wru_per_paid": round((ddb["wru"] + ddb["gsi_wru"]) / max(paid, 1), 2),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, action="append")
    args = parser.parse_args()
    for n in args.n or [500]:
        r = one(n)
        print(
            f"N={r['n']}: paid {r['paid']} in {r['run_s']} s = {r['paid_per_s']} paid/s (setup {r['setup_s']} s); "
            f"outcomes {r['outcomes']}; DynamoDB {r['ddb_calls_per_paid']} calls, {r['rru_per_paid']} RRU, "
            f"{r['wru_per_paid']} WRU per payout {r['ddb_calls']}; peak RSS {r['maxrss_mb']} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
