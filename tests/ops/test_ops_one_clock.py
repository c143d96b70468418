"""One clock: `prakerja ops` in its own process, against `prakerja local up` (another
process, its programme clock starting in 2020 and running 720 times faster than the wall
clock), measures every age and dates every event on the stack's programme clock, which
the stack publishes (prakerja/local/programme_clock.py). Before, ages were wall-clock
time since a programme date: years."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from support.lifecycle_steps import CLI, PLATFORM, purchase_body

from prakerja.local.credentials import signed_headers
from prakerja.local.programme_clock import ProgrammeClock, Segment, segments_of
from prakerja.local.server import free_port
from prakerja_flow import catalogue

START = datetime(2020, 7, 1, 8, 0, tzinfo=UTC)


def test_the_clock_maps_stepped_then_scaled_wall_times_to_programme_time():
    day = timedelta(days=1)
    marks = [(1000.0, START), (1010.0, START + day), (1020.0, START + 2 * day)]  # a simulation: a day per 10 s
    clock = ProgrammeClock(segments_of(marks, 1030.0, START + 2 * day, 720.0))  # then served, 720 times faster
    at = lambda wall: clock.of_wall(datetime.fromtimestamp(wall, UTC))  # noqa: E731
    assert at(1005.0) == START and at(1015.0) == START + day  # a simulated day holds still
    assert at(1030.0) == START + 2 * day and at(1040.0) == START + 2 * day + timedelta(seconds=7200)
    assert at(10.0) == START  # before the stack started
    wall = ProgrammeClock()
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert not wall.published and wall.of_wall(moment) == moment
    assert ProgrammeClock([Segment(1.0, START, 0.0)]).published


def test_ops_in_another_process_uses_the_programme_clock_of_local_up(tmp_path):
    api_port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    log = tmp_path / "local-up.log"
    server = subprocess.Popen(
        [
            *CLI,
            "local",
            "up",
            "--port",
            str(api_port),
            "--aws-port",
            str(aws_port),
            "--month-seconds",
            "3600",
            "--start",
            "2020-07-01T08:00:00",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=catalogue.PROJECT_ROOT,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{aws_port}"

    def ops(*args: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [*CLI, "ops", "--endpoint-url", endpoint, *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=catalogue.PROJECT_ROOT,
            env=env,
        )
        return done.returncode, done.stdout, done.stderr

    def http(method: str, path: str, body: dict) -> dict:
        data = json.dumps(body)
        request = urllib.request.Request(
            f"http://127.0.0.1:{api_port}{path}",
            method=method,
            data=data.encode(),
            headers={"Content-Type": "application/json", **signed_headers(method, path, data)},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    try:
        deadline = time.monotonic() + 90
        while "programme clock" not in log.read_text():
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
        http("POST", "/waves/1/open", {"actor": "t", "reason": "t"})
        pid = http("POST", "/participants", {"nik": "3171015705900001", "full_name": "Siti", "wave": 1})[
            "participant_id"
        ]
        # The first certificate starts the execution (ADR 0015): voucher, purchase, completion.
        code = http("POST", f"/participants/{pid}/vouchers", {"platform_id": PLATFORM, "training_id": "T1"})
        http(
            "POST", f"/participants/{pid}/purchases", purchase_body("ORD1", 500_000, voucher_code=code["voucher_code"])
        )
        http("POST", f"/participants/{pid}/purchases/ORD1/completion", {"training_id": "T1", "certificate_id": "C1"})
        time.sleep(2)  # about 24 programme minutes

        code, out, err = ops("executions", "--json")
        assert code == 0, err
        (row,) = json.loads(out)["executions"]
        assert row["participant_id"] == pid and row["state"] == "AwaitRating"
        assert 0 <= row["in_state_seconds"] < 86400 and 0 <= row["age_seconds"] < 86400, row  # not years
        assert row["started"].startswith("2020-07-01")  # Step Functions' wall-clock start, on the programme clock
        code, out, _ = ops("stuck", "--json")
        assert json.loads(out)["states"]["AwaitRating"]["buckets"]["<7d"] == 1
        code, out, _ = ops("history", pid, "--json")
        assert {line["at"][:10] for line in json.loads(out)["timeline"]} == {"2020-07-01"}
        code, _, err = ops("payouts", "pause", "--actor", "ani", "--reason", "drill", "--yes")
        assert code == 0, err
        code, out, _ = ops("audit", "--json")  # today is the programme's day: the pause is in it
        entries = json.loads(out)["entries"]
        assert [e["action"] for e in entries] == ["wave.open", "payouts.pause"] and entries[1]["at"].startswith(
            "2020-07-01"
        )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
