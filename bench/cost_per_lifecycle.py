"""Cost per lifecycle, counted from real execution histories on the local stack.

Drives one participant per path through a fresh LocalCloud (the real ASL on moto, the
real handlers), the way tests/support/lifecycle_steps.py does, and counts:
billed state transitions (StateEntered events), Lambda invocations (task / API / job),
DynamoDB calls and estimated RRU/WRU (bench/counting.py states the assumptions),
Step Functions API calls and API Gateway requests. Then USD per 1,000 participants
with bench/prices.py.

Scheduled jobs run once a programme day in AWS whatever the number of participants,
so their cost is split in two: the fixed cost of one empty run (measured on an empty
table) and the marginal work a participant causes (total job work of the lifecycle
minus runs x the empty-run cost). The fixed part is amortised over the participants
in the system (see --population).

Usage:  .venv/bin/python bench/cost_per_lifecycle.py [--paths happy,never_buys,...] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import prices  # noqa: E402
from bench.counting import Meter, lambda_split, transitions  # noqa: E402
from prakerja.local import invoker  # noqa: E402
from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja_flow import config  # noqa: E402
from prakerja_flow.domain.nik import build_nik  # noqa: E402

PLATFORM = "pijarmahir"
NIK = build_nik(31, 71, 1, date(1990, 5, 17), "F", 1)
PATHS = ("happy", "never_buys", "never_rates", "bundle_first", "account_unverified_then_fixed")


def _ok(result, *codes):
    status, body = result
    assert status in codes, (status, body)
    return body


class Driver:
    """One participant; the programme clock moves a day at a time with the daily jobs."""

    def __init__(self, cloud: LocalCloud):
        self.cloud = cloud
        self.day = 0
        self.job_runs = 0

    def days(self, n: int) -> None:
        for _ in range(n):
            self.cloud.clock.advance(timedelta(days=1))
            self.cloud.run_scheduled()
            self.job_runs += 1
            self.cloud.settle(quiet=0.003)
            self.day += 1

    def req(self, method, path, body=None, *codes):
        return _ok(self.cloud.request(method, path, body), *codes)

    def register(self) -> str:
        self.req("POST", "/waves/1/open", {"actor": "bench", "reason": "bench"}, 200)
        return self.req("POST", "/participants", {"nik": NIK, "full_name": "Siti", "wave": 1}, 201)["participant_id"]

    def account(self, pid: str, verified: bool = True) -> None:
        self.cloud.provider.open_account("OVO", "081200000001", NIK, kyc_verified=verified)
        self.req(
            "PUT", f"/participants/{pid}/payout-account", {"channel": "OVO", "account_number": "081200000001"}, 200
        )

    def buy(self, pid: str, bundle: bool = False) -> None:
        lines = [{"training_id": "T1", "institution_id": "LPK1", "price_idr": config.TRAINING_BALANCE_IDR}]
        if bundle:
            lines = [
                {"training_id": "T1", "institution_id": "LPK1", "price_idr": 500_000},
                {"training_id": "T2", "institution_id": "LPK2", "price_idr": 100_000},
            ]
            self.req(
                "POST",
                f"/participants/{pid}/purchases",
                {"purchase_id": "BUNDLE", "trainings": lines, "voucher_code": self.voucher(pid)},
                422,
            )
            return
        self.req(
            "POST",
            f"/participants/{pid}/purchases",
            {"purchase_id": "ORD1", "trainings": lines, "voucher_code": self.voucher(pid)},
            201,
        )

    def voucher(self, pid: str) -> str:
        """The participant's consent to the purchase, from the portal (a request of its own)."""
        return self.req(
            "POST", f"/participants/{pid}/vouchers", {"platform_id": "pijarmahir", "training_id": "T1"}, 201
        )["voucher_code"]

    def complete(self, pid: str) -> None:
        self.req(
            "POST",
            f"/participants/{pid}/purchases/ORD1/completion",
            {"training_id": "T1", "certificate_id": "CERT-1"},
            200,
        )

    def rate(self, pid: str) -> None:
        self.req(
            "POST",
            f"/participants/{pid}/purchases/ORD1/rating",
            {"instructor": 5, "facilities": 4, "programme": 5, "review": "Instruktur menjelaskan dengan jelas."},
            200,
        )

    def surveys_and_payouts(self, pid: str, on_day=None) -> None:
        """Rated on self.day: payouts due at +5, +35, +65, +95; survey n opens at +5+30n
        and is submitted the day after it opens."""
        rated = self.day
        first_due = rated + config.FIRST_PAYOUT_DELAY.days
        submit = {
            first_due + config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[n - 1].days + 1: n
            for n in range(1, config.SURVEY_COUNT + 1)
        }
        last = first_due + (config.POST_TRAINING_PAYOUT_COUNT - 1) * config.PAYOUT_INTERVAL.days
        end = max(last, max(submit)) + 2
        while self.day < end:
            if self.day in submit:
                self.req("POST", f"/participants/{pid}/surveys/{submit[self.day]}", {"answers": {"q1": "ya"}}, 201)
            if on_day:
                on_day(self.day)
            self.days(1)


def drive(cloud: LocalCloud, path: str) -> tuple[str, int]:
    d = Driver(cloud)
    pid = d.register()
    if path == "never_buys":
        d.account(pid)
        d.days(config.PURCHASE_DEADLINE.days + 2)
        return pid, d.job_runs
    d.account(pid, verified=path != "account_unverified_then_fixed")
    d.days(1)
    if path == "bundle_first":
        d.buy(pid, bundle=True)
    d.buy(pid)
    d.days(3)
    d.complete(pid)
    # The certificate started the lifecycle (ADR 0015): let it reach AwaitRating before the
    # clock moves, so a loaded machine cannot shift the grant (and the payment dates) a day.
    cloud.wait_for_token(pid, "RATING", timeout=60)
    d.days(1)
    if path == "never_rates":
        # Waits for a rating that never comes; the balance is already spent, so nothing
        # else happens. Counted over the same span as a happy lifecycle.
        d.days(100)
        return pid, d.job_runs
    d.rate(pid)
    cloud.wait_for_end(pid, "IncentivesGranted", timeout=60)
    fixed_on = d.day + config.FIRST_PAYOUT_DELAY.days + 7

    def fix(day):
        if path == "account_unverified_then_fixed" and day == fixed_on:
            cloud.provider.open_account("OVO", "081200000001", NIK, kyc_verified=True)

    d.surveys_and_payouts(pid, on_day=fix)
    return pid, d.job_runs


def empty_job_run() -> dict:
    """DynamoDB and Step Functions calls of one run of every scheduled job on an empty table."""
    with LocalCloud() as cloud:
        meter = Meter(cloud)
        try:
            cloud.run_scheduled()
            return {
                "ddb": meter.ddb["job"].snapshot(),
                "sfn": dict(meter.sfn["job"].calls),
                "invocations": lambda_split(dict(invoker.invocation_counts)),
            }
        finally:
            meter.close()


def measure(path: str, empty: dict | None = None) -> dict:
    started = time.perf_counter()
    with LocalCloud() as cloud:
        meter = Meter(cloud)
        try:
            pid, job_runs = drive(cloud, path)
            cloud.settle()
            t = transitions(cloud, pid)
            lam = lambda_split(dict(invoker.invocation_counts))
            result = {
                "path": path,
                "final_state": t["final"],
                "execution_status": t["status"],
                "billed_transitions": t["billed_transitions"],
                "states": t["states"],
                "lambda": {**lam, "scheduled_job_runs": job_runs},
                "api_gateway_requests": sum(meter.api_requests.values()),
                "api_routes": dict(meter.api_requests),
                "ddb": {k: meter.ddb[k].snapshot() for k in ("api", "task", "job")},
                "sfn_api_calls": {k: dict(meter.sfn[k].calls) for k in ("api", "task", "job")},
                "paid_idr": sum(
                    line["amount_idr"] for line in cloud.provider.statement_lines() if line["status"] == "PAID"
                ),
            }
        finally:
            meter.close()
    result["wall_seconds"] = round(time.perf_counter() - started, 2)
    if empty is not None:
        result["job_marginal"] = _marginal(result, empty)
    result["usd_per_1000"] = usd_per_1000(result)
    return result


def _marginal(result: dict, empty: dict) -> dict:
    runs = result["lambda"]["scheduled_job_runs"]
    job = result["ddb"]["job"]
    e = empty["ddb"]
    sfn_job = sum(result["sfn_api_calls"]["job"].values()) - runs * sum(empty["sfn"].values())
    return {
        "rru": round(job["rru"] - runs * e["rru"], 2),
        "wru": round(job["wru"] - runs * e["wru"], 2),
        "gsi_wru": round(job["gsi_wru"] - runs * e["gsi_wru"], 2),
        "ddb_calls": sum(job["calls"].values()) - runs * sum(e["calls"].values()),
        "sfn_calls": sfn_job,
        "empty_run": {
            "ddb_calls": sum(e["calls"].values()),
            "rru": e["rru"],
            "wru": e["wru"],
            "invocations_per_day": empty["invocations"]["scheduled_jobs"],
        },
    }


def usd_per_1000(r: dict) -> dict:
    """Per 1,000 participants. Job fixed cost excluded here (amortised, see docs)."""
    p = prices.price
    sfn = r["billed_transitions"] * p("sfn_transition")
    lam = prices.lambda_cost(r["lambda"]["state_machine_tasks"], "task") + prices.lambda_cost(r["lambda"]["api"], "api")
    rru = r["ddb"]["api"]["rru"] + r["ddb"]["task"]["rru"]
    wru = r["ddb"]["api"]["wru"] + r["ddb"]["task"]["wru"] + r["ddb"]["api"]["gsi_wru"] + r["ddb"]["task"]["gsi_wru"]
    m = r.get("job_marginal")
    if m:
        rru += max(m["rru"], 0)
        wru += max(m["wru"] + m["gsi_wru"], 0)
    ddb = rru * p("ddb_rru") + wru * p("ddb_wru")
    api = r["api_gateway_requests"] * p("apigw_rest_request")
    total = sfn + lam + ddb + api
    return {
        k: round(v * 1000, 4)
        for k, v in {"step_functions": sfn, "lambda": lam, "dynamodb": ddb, "api_gateway": api, "total": total}.items()
    } | {"rru": rru, "wru": wru}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    empty = empty_job_run()
    results = [measure(path, empty) for path in args.paths.split(",")]
    if args.json:
        print(json.dumps({"empty_job_run": empty, "paths": results}, indent=1, default=str))
        return 0
    print(prices.describe())
    print(
        f"\nempty run of all {empty['invocations']['scheduled_jobs']} scheduled jobs: "
        f"{sum(empty['ddb']['calls'].values())} DynamoDB calls {empty['ddb']['calls']}, "
        f"RRU {empty['ddb']['rru']}, WRU {empty['ddb']['wru']}"
    )
    for r in results:
        m = r["job_marginal"]
        print(
            f"\n== {r['path']}: ends {r['execution_status']} at {r['final_state']}, "
            f"paid Rp{r['paid_idr']:,} ({r['wall_seconds']} s)"
        )
        print(f"  billed transitions      {r['billed_transitions']}  {' > '.join(r['states'])}")
        print(
            f"  Lambda: state-machine tasks {r['lambda']['state_machine_tasks']}, API {r['lambda']['api']}, "
            f"job invocations {r['lambda']['scheduled_jobs']} over {r['lambda']['scheduled_job_runs']} daily runs"
        )
        print(f"  API Gateway requests    {r['api_gateway_requests']}  {r['api_routes']}")
        for k in ("api", "task"):
            d = r["ddb"][k]
            print(
                f"  DynamoDB ({k:4s})         {sum(d['calls'].values())} calls {d['calls']}  "
                f"RRU {d['rru']} WRU {d['wru']} (+GSI {d['gsi_wru']})"
            )
        print(
            f"  DynamoDB (jobs, marginal) {m['ddb_calls']} calls  RRU {m['rru']} WRU {m['wru']} (+GSI {m['gsi_wru']}); "
            f"Step Functions calls by jobs {m['sfn_calls']}"
        )
        print(
            f"  Step Functions API calls api={r['sfn_api_calls']['api']} task={r['sfn_api_calls']['task']} "
            f"job={r['sfn_api_calls']['job']}"
        )
        u = r["usd_per_1000"]
        print(
            f"  USD per 1,000 participants: SFN {u['step_functions']}, Lambda {u['lambda']}, DynamoDB {u['dynamodb']}, "
            f"API GW {u['api_gateway']} => {u['total']}  (RRU {u['rru']:.1f} WRU {u['wru']:.1f} per participant)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
