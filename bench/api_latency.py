"""API latency under load: p50/p99 per route against `prakerja local up`, from a second
process, loopback only, bounded in time.

Starts `.venv/bin/prakerja local up --port P --aws-port Q` as a subprocess, waits until
it answers, opens wave 1, then --threads workers (urllib) each walk synthetic
participants through register, payout account, purchase, completion, rating and a
status read, until --seconds have passed. Prints per-route count, p50, p99, max (ms)
and the overall request rate. The local server hosts every Lambda in one process and
serialises invocations (as one Lambda execution environment would), so latency here
includes queueing behind the other workers and behind the lifecycle's own tasks.

`--keep-alive` has each worker send every request on one persistent connection
(http.client), as an integrator's connection pool would, instead of urllib's new
connection per request: the difference is the server's connection handling.
`--server-only` sends only `GET /nowhere` (unsigned; the local gateway answers 404 from
the route table without invoking a function): the HTTP server and routing alone.

Usage:  .venv/bin/python bench/api_latency.py --seconds 30 --threads 4 [--keep-alive] [--server-only]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from prakerja.local.credentials import signed_headers  # noqa: E402
from prakerja.local.server import free_port  # noqa: E402
from prakerja_flow import routes  # noqa: E402
from prakerja_flow.domain.nik import build_nik  # noqa: E402


def _headers(method: str, path: str, data: bytes | None) -> dict[str, str]:
    # Signed as the route family's local client (operator, portal or platform), as the API requires.
    signed = signed_headers(method, path, data) if routes.find(method, path) else {}
    return {"Content-Type": "application/json", **signed}


def http(port: int, method: str, path: str, body=None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=data, headers=_headers(method, path, data)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


_connections = threading.local()


def http_keep_alive(port: int, method: str, path: str, body=None) -> tuple[int, dict]:
    """The same request on this thread's persistent connection (opened on first use)."""
    data = json.dumps(body).encode() if body is not None else None
    connection = getattr(_connections, "conn", None)
    if connection is None:
        connection = _connections.conn = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=data, headers=_headers(method, path, data))
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep-alive", action="store_true", help="one persistent connection per worker")
    parser.add_argument("--server-only", action="store_true", help="only GET /nowhere: the HTTP server and routing")
    args = parser.parse_args()
    api, aws = free_port(), free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/prakerja"), "local", "up", "--port", str(api), "--aws-port", str(aws)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(api, "POST", "/waves/1/open", {"actor": "bench", "reason": "latency"})[0] in (200, 409):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("local up did not answer within 60 s")
            time.sleep(0.2)
        samples: dict[str, list[float]] = defaultdict(list)
        statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def timed(route: str, method: str, path: str, body=None) -> tuple[int, dict]:
            t = time.perf_counter()
            status, out = (http_keep_alive if args.keep_alive else http)(api, method, path, body)
            ms = (time.perf_counter() - t) * 1000
            with lock:
                samples[route].append(ms)
                statuses[route][status] += 1
            return status, out

        def worker(w: int) -> None:
            i = 0
            while args.server_only and time.monotonic() < stop_at:
                timed("GET /nowhere (404, no function)", "GET", "/nowhere")
            while time.monotonic() < stop_at:
                i += 1
                nik = build_nik(32, 1 + w, 1, date(1980, 1, 1) + timedelta(days=i), "F", i % 9999 + 1)
                status, body = timed(
                    "POST /participants", "POST", "/participants", {"nik": nik, "full_name": "Bench", "wave": 1}
                )
                if status != 201:
                    continue
                pid = body["participant_id"]
                base = f"/participants/{pid}"
                timed(
                    "PUT /participants/{id}/payout-account",
                    "PUT",
                    f"{base}/payout-account",
                    {"channel": "OVO", "account_number": f"08{w}{i:09d}"},
                )
                _, voucher = timed(
                    "POST /participants/{id}/vouchers",
                    "POST",
                    f"{base}/vouchers",
                    {"platform_id": "pijarmahir", "training_id": "T1"},
                )
                timed(
                    "POST /participants/{id}/purchases",
                    "POST",
                    f"{base}/purchases",
                    {
                        "purchase_id": "O1",
                        "trainings": [{"training_id": "T1", "institution_id": "L1", "price_idr": 1_000_000}],
                        "voucher_code": (voucher or {}).get("voucher_code", "PKV-AAAA-AAAA-AAAA"),
                    },
                )
                timed(
                    ".../completion",
                    "POST",
                    f"{base}/purchases/O1/completion",
                    {"training_id": "T1", "certificate_id": "C1"},
                )
                timed(
                    ".../rating",
                    "POST",
                    f"{base}/purchases/O1/rating",
                    {"instructor": 5, "facilities": 4, "programme": 5, "review": "Materi jelas dan bagus."},
                )
                timed("GET /participants/{id}", "GET", base)

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        total = sum(len(v) for v in samples.values())
        mode = "keep-alive" if args.keep_alive else "a connection per request"
        print(
            f"{args.threads} threads, {elapsed:.1f} s, {total} requests, {total / elapsed:.1f} req/s "
            f"(loopback, local up, {mode})"
        )
        print(f"  {'route':42s} {'n':>5s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}  statuses")
        for route, values in samples.items():
            print(
                f"  {route:42s} {len(values):5d} {statistics.median(values):8.1f} {pct(values, 0.99):8.1f} "
                f"{max(values):8.1f}  {dict(statuses[route])}"
            )
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
