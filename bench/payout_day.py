"""Payout day: N due monthly payouts paid by ONE execution of the payout-run state machine
(statemachines/payout_run.asl.json on moto's interpreter, the real Lambda handlers in
process), with a fake provider that really takes its latency: every inquiry, transfer and
status call sleeps --latency-ms (default 100, a bank round trip; a payout is an inquiry and
a transfer, so 200 ms of waiting). Workers are the Map's concurrency (1, 4, 16 by default).

While one invocation waits on the provider, the local runtime lets other invocations run
(prakerja/local/invoker.wait_outside), as other Lambda environments would on AWS; every moto
call stays serialised, so the CPU-bound part of each payout (moto's DynamoDB and Step
Functions work, our code) is measured as it is, on one Python process.

Setup bypasses the API and the lifecycle (as bench/payout_run_throughput.py): N participants
with a verified account and a first payout due now, spread over the queue shards by their id.

Usage:  .venv/bin/python bench/payout_day.py [--n 1600] [--latency-ms 100] [--workers 1 --workers 4 ...]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.payout_run_throughput import setup  # noqa: E402
from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja_flow import catalogue, config  # noqa: E402
from prakerja_flow.payments.fake import FakeProvider  # noqa: E402


def one(n: int, workers: int, latency_ms: float) -> dict:
    saved = config.PAYOUT_RUN_MAX_CONCURRENCY
    config.PAYOUT_RUN_MAX_CONCURRENCY = workers  # the plan step reads it (one process hosts every function)
    try:
        with LocalCloud(provider=FakeProvider()) as cloud:
            t0 = time.perf_counter()
            setup(cloud, n)
            setup_s = time.perf_counter() - t0
            cloud.provider.latency = latency_ms / 1000
            cpu0 = time.process_time()
            t1 = time.perf_counter()
            report = cloud.run_job(catalogue.PAYOUT_RUN.key)
            run_s = time.perf_counter() - t1
            cpu_s = time.process_time() - cpu0
    finally:
        config.PAYOUT_RUN_MAX_CONCURRENCY = saved
    paid = report["outcomes"].get("paid", 0)
    return {
        "n": n,
        "workers": workers,
        "paid": paid,
        "outcomes": report["outcomes"],
        "shards": len(report["shards"]),
        "failed_shards": report["failed_shards"],
        "setup_s": round(setup_s, 1),
        "run_s": round(run_s, 2),
        "paid_per_s": round(paid / run_s, 2),
        "cpu_per_paid_ms": round(cpu_s * 1000 / max(paid, 1), 1),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1600, help="due payouts (default 1600)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="per provider call (default 100)")
    parser.add_argument("--workers", type=int, action="append", help="Map concurrency (default 1, 4, 16)")
    args = parser.parse_args()
    workers = args.workers or [1, 4, 16]
    if any(w < 1 or w > config.QUEUE_SHARDS for w in workers):
        parser.error(f"--workers must be 1..{config.QUEUE_SHARDS} (one child per queue shard)")
    base = None
    print(f"N={args.n} due payouts, provider latency {args.latency_ms:g} ms per call, {config.QUEUE_SHARDS} shards")
    for w in workers:
        r = one(args.n, w, args.latency_ms)
        base = base or r["paid_per_s"] / w
        print(
            f"workers={w:2d}: paid {r['paid']} in {r['run_s']} s = {r['paid_per_s']} paid/s "
            f"({r['paid_per_s'] / (base * w):.2f} of linear from 1 worker); CPU {r['cpu_per_paid_ms']} ms per payout; "
            f"shards {r['shards']}, failed {r['failed_shards']}; outcomes {r['outcomes']}; "
            f"setup {r['setup_s']} s; peak RSS {r['maxrss_mb']} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
