"""Local throughput of `prakerja simulate`: lifecycles per second and peak memory.

Runs the same simulation as `.venv/bin/prakerja simulate --participants N --seed S`
in this process and prints wall time, lifecycles/s, seconds per participant and
ru_maxrss. 2,000 participants only with --allow-large (200 takes about 6 minutes on
2 cores; see docs/performance.md).

Usage:  .venv/bin/python bench/simulate_throughput.py --participants 200 --seed 1
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prakerja.simulate import simulate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--allow-large", action="store_true")
    args = parser.parse_args()
    if args.participants > 500 and not args.allow_large:
        parser.error("more than 500 participants needs --allow-large (it takes many minutes here)")
    t0 = time.perf_counter()
    report = simulate(args.participants, args.seed).as_dict()
    wall = time.perf_counter() - t0
    executions = sum(report["executions_by_status"].values())
    print(f"participants {args.participants}, executions {executions}, ok {report['ok']}")
    print(f"simulation wall {report['wall_seconds']} s ({wall:.1f} s with invariant checks), "
          f"{report['lifecycles_per_second']} lifecycles/s, {report['wall_seconds'] / args.participants:.2f} s per participant")
    print(f"peak RSS (ru_maxrss) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"transitions {report['state_transitions_per_lifecycle']}, Lambda {report['lambda_invocations_per_lifecycle']}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
