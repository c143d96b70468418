"""How long `prakerja ops participant <NIK>` takes as an operator runs it (issue 16: under
2 s with the NIK looked up by its keyed hash, ADR 0018): a new process of the stock CLI
against `prakerja simulate --participants N --serve` in another process, timed from start to
exit, whole process included (interpreter start, imports, KMS GenerateMac for the NIK guard,
the reads, the history, printing).

Usage:  .venv/bin/python bench/ops_participant_latency.py [--participants 200] [--lookups 10]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prakerja.simulate import make_personas  # noqa: E402

TARGET_SECONDS = 2.0
CLI = [str(Path(sys.executable).with_name("prakerja"))]  # the console script pip installed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(participants: int, seed: int, aws_port: int) -> subprocess.Popen[str]:
    command = [*CLI, "simulate", "--participants", str(participants), "--seed", str(seed), "--serve"]
    command += ["--port", str(_free_port()), "--aws-port", str(aws_port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for line in server.stdout:  # the world is served once the endpoint line is printed
        if line.startswith("programme clock"):
            return server
    server.kill()
    raise SystemExit(f"simulate --serve ended before serving (exit {server.wait()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    aws_port = _free_port()
    started = time.perf_counter()
    server = _serve(args.participants, args.seed, aws_port)
    elapsed = time.perf_counter() - started
    print(f"world: simulate --participants {args.participants} --seed {args.seed} in {elapsed:.0f} s")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "ap-southeast-3",
    }
    personas = make_personas(args.participants, random.Random(args.seed))  # the same NIKs simulate drew
    picks = random.Random(0).sample(personas, min(args.lookups, len(personas)))
    seconds: list[float] = []
    try:
        for persona in picks:
            began = time.perf_counter()
            done = subprocess.run([*CLI, "ops", "participant", persona.nik], env=env, capture_output=True, text=True)
            seconds.append(time.perf_counter() - began)
            if "participant " not in done.stdout:
                raise SystemExit(f"ops participant found nobody (exit {done.returncode}): {done.stderr.strip()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"ops participant <NIK>, {len(seconds)} lookups, whole process each:")
    print(f"  median {statistics.median(seconds):.2f} s  p95 {p95:.2f} s  max {max(seconds):.2f} s")
    print(f"  target under {TARGET_SECONDS:.0f} s: {'met' if max(seconds) < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
