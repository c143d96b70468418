"""Local throughput of `prakerja simulate`: lifecycles per second and peak memory.

Runs the same simulation as `.venv/bin/prakerja simulate --participants N --seed S
[--faults F --statement FILE]` in this process and prints wall time, lifecycles/s,
seconds per participant, paid transfers per second, ru_maxrss and the run's own checks.
More than 500 participants only with --allow-large (see docs/performance.md for times).

Usage:  .venv/bin/python bench/simulate_throughput.py --participants 200 --seed 1
        .venv/bin/python bench/simulate_throughput.py --participants 2000 --seed 1 --allow-large
        .venv/bin/python bench/simulate_throughput.py --participants 1000 --seed 7 --faults 0.2 \\
            --statement s.jsonl --allow-large
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prakerja.simulate import simulate  # noqa: E402
from prakerja.statement_check import read_statement, statement_problems  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=float, default=0.0)
    parser.add_argument("--statement", default=None, help="write the provider's statement here and check it")
    parser.add_argument("--allow-large", action="store_true")
    args = parser.parse_args()
    if args.participants > 500 and not args.allow_large:
        parser.error("more than 500 participants needs --allow-large (it takes minutes)")
    # The handlers' expected warnings (faults: "payout outcome unknown") would drown the figures.
    logging.disable(logging.WARNING)
    t0 = time.perf_counter()
    report = simulate(args.participants, args.seed, faults=args.faults, statement=args.statement).as_dict()
    wall = time.perf_counter() - t0
    logging.disable(logging.NOTSET)
    executions = sum(report["executions_by_status"].values())
    sim = report["wall_seconds"]
    print(
        f"machine: {platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(
        f"participants {args.participants}, seed {args.seed}, faults {args.faults}, "
        f"executions {executions}, ok {report['ok']}"
    )
    print(
        f"simulation wall {sim} s ({wall:.1f} s with start-up, summary and invariant checks), "
        f"{report['lifecycles_per_second']} lifecycles/s, {sim / args.participants:.3f} s per participant"
    )
    print(
        f"paid transfers {report['payouts_paid']} ({report['payouts_paid'] / sim:.1f} paid/s of simulation wall), "
        f"paid Rp{report['paid_idr']['total']:,}"
    )
    print(f"peak RSS (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"final states {report['final_states']}")
    print(
        f"transitions {report['state_transitions_per_lifecycle']}, Lambda {report['lambda_invocations_per_lifecycle']}"
    )
    if report["invariant_violations"] or report["unexpected_responses"]:
        print(f"violations {report['invariant_violations'][:10]}, unexpected {report['unexpected_responses'][:10]}")
    ok = report["ok"]
    if args.statement:
        problems = statement_problems(read_statement(args.statement))
        print(f"statement {args.statement}: {len(problems)} problem(s) {problems[:5]}")
        ok = ok and not problems
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
