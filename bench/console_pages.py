"""How fast each page of `prakerja ops console` answers with 5,000 executions on the local
stack (issue 18: under 1 s each), the way an operator runs it: three processes.

  1. the local stack: a LocalCloud holding N waiting executions (bench/ops_executions.py's
     set-up) and, for the N/5 it puts at AwaitPayout (the definition before ADR 0013, whose
     executions still wait there), their seven entitlements (payout 1 due, a tenth of them
     FAILED; the rest scheduled later), served as `local up` serves
     (moto server on the AWS port, the programme clock published);
  2. `prakerja ops console --endpoint-url http://127.0.0.1:<aws port>`;
  3. this script, fetching each page over HTTP with the console's cookie.

Each page is fetched `--repeat` times; the median is printed. The list pages read the
console's snapshot of the execution list (prakerja/console/snapshot.py); how long one full
read of it takes is printed too ("re-read now"), as it is not a page.

Usage:  PYTHONPATH=functions:. .venv/bin/python bench/console_pages.py [--n 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 1.0
CLI = [sys.executable, "-c", "from prakerja.cli import main; main()"]


def entitlement_items(cloud, n: int) -> list[dict]:
    """Entitlements of the participants bench/ops_executions.py puts at AwaitPayout (i % 5 == 3,
    a legacy state: executions started before ADR 0013)."""
    from prakerja_flow import clock, config
    from prakerja_flow.data import dynamo, schema
    from prakerja_flow.domain import incentives as inc

    now = cloud.clock()
    items = []
    for i in range(3, n, 5):
        pid = f"PBENCH{i:05d}"
        for kind, count, amount in (
            (inc.POST_TRAINING, config.POST_TRAINING_PAYOUT_COUNT, config.POST_TRAINING_PAYOUT_IDR),
            (inc.SURVEY, config.SURVEY_COUNT, config.SURVEY_PAYMENT_IDR),
        ):
            for seq in range(1, count + 1):
                due = clock.iso(
                    now - timedelta(days=1) if (kind, seq) == (inc.POST_TRAINING, 1) else now + timedelta(days=30 * seq)
                )
                failed = (kind, seq) == (inc.POST_TRAINING, 1) and i % 50 == 3
                status = inc.FAILED if failed else inc.DUE if due <= clock.iso(now) else inc.SCHEDULED
                item = {
                    "pk": f"P#{pid}",
                    "sk": f"ENT#{kind}#{seq}",
                    "type": "ENTITLEMENT",
                    "participant_id": pid,
                    "kind": kind,
                    "sequence": seq,
                    "amount_idr": amount,
                    "status": status,
                    "due_at": due,
                    "version": 1,
                    "idempotency_key": inc.idempotency_key(pid, kind, seq),
                    "updated_at": clock.iso(now),
                    schema.GSI1_PK: dynamo.queue_key(schema.Q_PAYABLE, pid),
                    schema.GSI1_SK: f"{due}#{pid}#{kind}#{seq}",
                }
                if failed:
                    item.update(
                        failure_code="AccountNotVerified",
                        failure_reason="OVO e-wallet ending 0007 is not KYC-verified",
                        failed_at=clock.iso(now),
                    )
                items.append({"PutRequest": {"Item": dynamo.to_ddb(item)}})
    return items


def aware_start_dates(cloud) -> None:
    """waiting_executions makes moto Execution objects with naive start dates; the real ones
    are timezone-aware, and moto server's ListExecutions sorts both together (in-process,
    prakerja/local/moto_direct.py answers without that sort)."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    from prakerja.local.cloud import ACCOUNT, REGION

    machine = stepfunctions_parser_backends[ACCOUNT][REGION].describe_state_machine(cloud.state_machine_arn)
    for execution in machine.executions:
        if execution.start_date.tzinfo is None:
            execution.start_date = execution.start_date.astimezone(UTC)


def serve_world(n: int, aws_port: int, api_port: int) -> None:
    """Process 1: the local stack with the bench's world, until SIGINT."""
    os.environ["MOTO_PORT"] = str(aws_port)
    from bench.ops_executions import waiting_executions
    from prakerja.local.cloud import LocalCloud
    from prakerja.local.server import serve
    from prakerja_flow.payments.fake import FakeProvider

    sys.path.insert(0, str(ROOT / "tests"))  # the tests' support package
    from support.lifecycle_steps import (
        GRANTED,
        advance_days,
        buy,
        complete,
        nik,
        open_wave,
        payout_account,
        rate,
        register,
    )

    from prakerja_flow import config

    with LocalCloud(provider=FakeProvider()) as cloud:
        for wave in (1, 2, 3):
            open_wave(cloud, wave)
        # Two real lifecycles for the participant page: one waiting to buy, one granted (ended at
        # IncentivesGranted, ADR 0013) whose payout 1 FAILED in the payout run.
        waiting, failed = register(cloud, 1), register(cloud, 2)
        payout_account(cloud, failed, nik(2), verified=False, number="081200000002")
        buy(cloud, failed)
        complete(cloud, failed)
        rate(cloud, failed)
        cloud.wait_for_end(failed, GRANTED)  # the lifecycle ends at the grant; the payout run pays (ADR 0013)
        advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
        print(f"participants {waiting} {failed}", flush=True)
        with waiting_executions(cloud, n):
            aware_start_dates(cloud)
            items = entitlement_items(cloud, n)
            for start in range(0, len(items), 25):
                cloud.ddb.batch_write_item(RequestItems={cloud.table_name: items[start : start + 25]})
            # a month a day: the daily jobs barely run while the bench measures
            serve(cloud, api_port, aws_port, 30 * 86400.0, ready=lambda c: print("ready", flush=True))


def wait_for(stream, needle: str, timeout: float) -> str:
    found: list[str] = []
    done = threading.Event()

    def read() -> None:
        for line in stream:
            if needle in line:
                found.append(line)
                done.set()
                return

    threading.Thread(target=read, daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"no {needle!r} within {timeout} s")
    return found[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--serve-world", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--aws-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--api-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_world:
        serve_world(args.n, args.aws_port, args.api_port)
        return

    from prakerja.local.server import free_port

    aws_port, api_port, console_port = free_port(), free_port(), free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, "POWERTOOLS_LOG_LEVEL": "ERROR"}
    devnull = None if os.environ.get("BENCH_DEBUG") else subprocess.DEVNULL
    started = time.perf_counter()
    stack = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-world",
            "--n",
            str(args.n),
            "--aws-port",
            str(aws_port),
            "--api-port",
            str(api_port),
        ],
        stdout=subprocess.PIPE,
        stderr=devnull,
        text=True,
        env=env,
        cwd=ROOT,
    )
    console = None
    try:
        waiting, failed = wait_for(stack.stdout, "participants ", 600).split()[1:]
        wait_for(stack.stdout, "ready", 600)
        print(f"local stack with {args.n} executions up in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        console = subprocess.Popen(
            [
                *CLI,
                "ops",
                "--endpoint-url",
                f"http://127.0.0.1:{aws_port}",
                "console",
                "--port",
                str(console_port),
                "--actor",
                "bench",
                "--refresh",
                "3600",
            ],
            stdout=subprocess.PIPE,
            stderr=devnull,
            text=True,
            env=env,
            cwd=ROOT,
        )
        url = re.search(r"(http://\S+)", wait_for(console.stdout, "http://127.0.0.1", 600))[1]
        print(f"console up in {time.perf_counter() - started:.1f} s (its first read of the execution list included)")
        measure(url, console_port, args.n, args.repeat, waiting, failed)
    finally:
        for process in (console, stack):
            if process and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()


def measure(url: str, port: int, n: int, repeat: int, waiting: str, failed: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[float, int, str]:
        t = time.perf_counter()
        with opener.open(base + path, timeout=120) as response:
            body = response.read().decode()
            return time.perf_counter() - t, response.status, body

    opener.open(url, timeout=60).read()  # the token becomes the cookie
    pages = {
        "search (home, counts)": "/",
        "participant (waiting to buy)": f"/participants/{waiting}",
        "participant (payout FAILED)": f"/participants/{failed}",
        "executions (first 200)": "/executions",
        "executions --state AwaitRating --older-than 14d": "/executions?state=AwaitRating&older_than=14d",
        "executions --wave 2, all": f"/executions?wave=2&limit={n}",
        "executions never paid": "/executions?never_paid=1",
        "executions a payout FAILED": "/executions?payout_failed=1",
        "executions CSV, all": f"/executions.csv?limit={n}",
        "stuck": "/stuck",
        "waves": "/waves",
        "payouts": "/payouts",
        "audit log (today)": "/audit",
        "reconciliation (no statement)": "/reconcile",
        "action form": "/act/payouts.pause",
    }
    print(f"{n} executions; median of {repeat} fetches over HTTP, page by page:")
    worst = 0.0
    for name, path in pages.items():
        times = []
        for _ in range(repeat):
            seconds, status, _ = get(path)
            assert status == 200, (path, status)
            times.append(seconds)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"  {name:<50} {median:6.3f} s")
    print(
        f"slowest page {worst:.3f} s (target < {TARGET_SECONDS:g} s: {'met' if worst < TARGET_SECONDS else 'MISSED'})"
    )
    _, _, home = get("/")
    read = re.search(r"read \d+ s ago in ([0-9.]+) s", home)[1]
    print(f"one full read of the lists (the snapshot, re-read in the background): {read} s")


if __name__ == "__main__":
    main()
