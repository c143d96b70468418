"""How fast `prakerja ops executions` and `ops stuck` answer on N waiting executions
(issue 6: under 5 s on 5,000), in-process on the local stack.

The N executions are real entries of moto's Step Functions backend (RUNNING, listed by
ListExecutions) that the interpreter does not run, each with the PROFILE and TOKEN items
its await-event task would have written: a wave waiting at its five Await* states.
`tests/ops/test_ops_executions.py` uses the same set-up to check the answers.

Usage:  .venv/bin/python bench/ops_executions.py [--n 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prakerja.local.cloud import ACCOUNT, REGION, LocalCloud  # noqa: E402
from prakerja_flow import clock  # noqa: E402
from prakerja_flow.data import waves as waves_data  # noqa: E402
from prakerja_flow.data.dynamo import to_ddb  # noqa: E402
from prakerja_flow.payments.fake import FakeProvider  # noqa: E402

# PAYOUT#1 and SURVEYS: executions of the definition before ADR 0013 still waiting there on
# the day of the deploy (new ones end at IncentivesGranted); the listing reads them alike.
STAGES = ("PURCHASE", "COMPLETION", "RATING", "PAYOUT#1", "SURVEYS")
TARGET_SECONDS = 5.0


@contextlib.contextmanager
def waiting_executions(cloud: LocalCloud, n: int) -> Iterator[None]:
    """Participant i waits at STAGES[i % 5] since (i % 40) days, in wave 1 + i % 3."""
    from moto.stepfunctions.models import Execution
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    now = cloud.clock()
    arn = cloud.state_machine_arn
    machine = stepfunctions_parser_backends[ACCOUNT][REGION].describe_state_machine(arn)
    items: list[dict] = []
    for i in range(n):
        pid = f"PBENCH{i:05d}"
        machine.executions.append(
            Execution(
                region_name=REGION,
                account_id=ACCOUNT,
                state_machine_name=machine.name,
                execution_name=pid,
                state_machine_arn=arn,
                execution_input="{}",
            )
        )
        stage = STAGES[i % 5]
        for item in (
            {
                "pk": f"P#{pid}",
                "sk": "PROFILE",
                "type": "PARTICIPANT",
                "participant_id": pid,
                "gsi2pk": f"WAVE#{1 + i % 3}",
                "gsi2sk": pid,
                "wave": 1 + i % 3,
                "status": "ACTIVE",
                "accepted_at": clock.iso(now - timedelta(days=40)),
            },
            {
                "pk": f"P#{pid}",
                "sk": f"TOKEN#{stage}",
                "type": "TOKEN",
                "stage": stage,
                "token": "t",
                "at": clock.iso(now - timedelta(days=i % 40)),
            },
            {"pk": f"P#{pid}", "sk": "LEDGER#BALANCE_GRANTED", "type": "LEDGER", "amount_idr": 1_000_000},
            {"pk": f"P#{pid}", "sk": "PURCHASE#ORD1", "type": "PURCHASE", "price_idr": 1_000_000},
        ):
            items.append({"PutRequest": {"Item": to_ddb(item)}})
    for start in range(0, len(items), 25):
        cloud.ddb.batch_write_item(RequestItems={cloud.table_name: items[start : start + 25]})
    try:
        yield
    finally:  # moto could not drain executions it never ran
        machine.executions[:] = [e for e in machine.executions if not e.name.startswith("PBENCH")]


def ops_runner():
    """`prakerja ops ...` in this process: (exit code, parsed --json output)."""
    import json

    from typer.testing import CliRunner

    from prakerja.cli import app

    runner = CliRunner()

    def run(*args: str) -> tuple[int, dict]:
        result = runner.invoke(app, ["ops", *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, json.loads(result.stdout)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    commands = {
        "executions --state AwaitRating --older-than 14d": (
            "executions",
            "--json",
            "--state",
            "AwaitRating",
            "--older-than",
            "14d",
            "--limit",
            "10",
        ),
        "executions --wave 2 (all of them)": ("executions", "--json", "--wave", "2", "--limit", str(args.n)),
        "stuck": ("stuck", "--json"),
    }
    with LocalCloud(provider=FakeProvider()) as cloud:
        waves_data.put_status(1, None, "OPEN", cloud.clock())
        with waiting_executions(cloud, args.n):
            ops = ops_runner()
            print(f"{args.n} waiting executions, in-process, median of {args.repeat}:")
            for name, command in commands.items():
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    code, _ = ops(*command)
                    times.append(time.perf_counter() - started)
                    assert code == 0, (name, code)
                median = statistics.median(times)
                verdict = f"  (target < {TARGET_SECONDS:g} s: {'met' if median < TARGET_SECONDS else 'MISSED'})"
                print(f"  ops {name:<50} {median:6.2f} s{verdict if name.startswith('executions --state') else ''}")


if __name__ == "__main__":
    main()
