"""Summarises a py-spy raw profile (`py-spy record --format raw`) of `prakerja simulate`:
share of busy samples (threads parked on a lock or condition are left out) spent under
each named frame, inclusive. This is how the profile figures in docs/performance.md were
obtained.

Usage:
    .venv/bin/py-spy record --rate 200 --format raw -o /tmp/sim50.txt -- \\
        .venv/bin/python bench/simulate_throughput.py --participants 50 --seed 1
    .venv/bin/python bench/profile_summary.py /tmp/sim50.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

# Leaf frames where a thread waits rather than works (execution threads parked on a task
# token, callers queued on the in-process Lambda lock).
IDLE = re.compile(
    r"(Condition\.wait|_wait_for_tstate_lock|Lock\.acquire|Event\.wait|select|sleep) \("
    r"|_call_locked \(prakerja/local/invoker\.py:117\)"
)

MARKERS = {
    "simulation days (Simulation.run)": "Simulation.run (",
    "  scheduled jobs (run_scheduled)": "run_scheduled (",
    "    payout run": "payout_run (",
    "    deadline sweep": "deadline_sweep (",
    "    reconciliation": "reconcile (prakerja_flow/handlers/jobs.py",
    "  API requests (gateway.handle)": "handle (prakerja/local/gateway.py",
    "summary after the run (summarise)": "summarise (",
    "invariant checks": "check_invariants (",
    "moto response serialiser (moto/core/serialize.py)": "moto/core/serialize.py",
    "moto DynamoDB update expressions (validators)": "moto/dynamodb/parsing/validators.py",
    "moto DynamoDB conditions (comparisons)": "moto/dynamodb/comparisons.py",
    "moto Table.query": "Table.query (",
    "copy.deepcopy": "deepcopy (",
    "moto HTTP stubber (botocore_stubber)": "moto/core/botocore_stubber.py",
    "in-process fast path (moto_direct)": "prakerja/local/moto_patches/speed/direct_calls.py",
    "botocore request building (_convert_to_request_dict)": "_convert_to_request_dict (",
    "botocore response parsing (parsers.py)": "botocore/parsers.py",
    "SigV4 signing (add_auth)": "add_auth (",
    "ASL parsing (antlr4)": "antlr4/",
    "boto3 client creation (boto_client_for)": "boto_client_for (",
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", help="py-spy --format raw output")
    args = parser.parse_args()
    busy = 0
    under: Counter = Counter()
    with open(args.raw, encoding="utf-8") as source:
        for line in source:
            line = line.rstrip()
            if not line or " " not in line:
                continue
            stack, count = line.rsplit(" ", 1)
            frames = stack.split(";")
            if IDLE.search(frames[-1]):
                continue
            n = int(count)
            busy += n
            for label, marker in MARKERS.items():
                if any(marker in frame for frame in frames):
                    under[label] += n
    print(f"busy samples: {busy}")
    for label in MARKERS:
        print(f"{100 * under[label] / max(busy, 1):5.1f} %  {label}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
