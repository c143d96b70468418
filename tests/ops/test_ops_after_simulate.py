"""Issue 6's acceptance, as a new operator does it with docs/operations.md: one shell runs
`prakerja simulate --serve`, another runs `prakerja ops` against its AWS endpoint.
Both are real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from support.lifecycle_steps import CLI

from prakerja.local.server import free_port
from prakerja_flow import catalogue


def started_in_the_background() -> None:
    """SIGINT ignored, as a non-interactive shell starts `cmd &` (a CI script, or this suite
    run that way): the server must still stop on SIGINT (it did not: the exit below timed out)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_every_ops_command_works_on_the_world_a_simulation_leaves(tmp_path):
    api_port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # a new operator's shell: no AWS set-up
    env["PYTHONFAULTHANDLER"] = "1"  # a thread dump if it does not exit (below)
    stderr = tmp_path / "simulate.stderr"  # a file: the functions' logs would fill a pipe nobody reads
    server = subprocess.Popen(
        [
            *CLI,
            "simulate",
            "--participants",
            "40",
            "--seed",
            "5",
            "--faults",
            "0.2",
            "--json",
            "--serve",
            "--port",
            str(api_port),
            "--aws-port",
            str(aws_port),
            "--month-seconds",
            "3600",
        ],
        stdout=subprocess.PIPE,
        stderr=stderr.open("w"),
        text=True,
        cwd=catalogue.PROJECT_ROOT,
        env=env,
        preexec_fn=started_in_the_background,
    )
    try:
        summary = json.loads(server.stdout.readline())  # the summary first, then it serves
        assert summary["ok"], summary
        deadline = time.monotonic() + 60
        while "AWS endpoint      http://" not in stderr.read_text():
            assert time.monotonic() < deadline and server.poll() is None, stderr.read_text()[-2000:]
            time.sleep(0.2)
        endpoint = f"http://127.0.0.1:{aws_port}"

        def ops(*args: str) -> tuple[int, str, str]:
            done = subprocess.run(
                [*CLI, "ops", *args, "--endpoint-url", endpoint],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=catalogue.PROJECT_ROOT,
                env=env,
            )
            return done.returncode, done.stdout, done.stderr

        code, out, err = ops("executions", "--json", "--limit", "100")
        assert code == 0, err
        listing = json.loads(out)
        # Every participant who reached a first certificate has an execution (ADR 0015): the
        # summary's final states count the others "(no execution)".
        started = sum(n for state, n in summary["final_states"].items() if "(no execution)" not in state)
        assert 0 < started < 40 and listing["listed"] == started and sum(listing["by_state"].values()) == started
        by_state = {}
        for row in listing["executions"]:
            by_state.setdefault(row["state"], []).append(row["participant_id"])
        # Every granted lifecycle ended at the grant (ADR 0013), paid or not: nobody waits at a payout.
        assert {"IncentivesGranted", "RatingWindowClosed"} <= set(by_state), listing["by_state"]
        assert not {"AwaitPayout", "LifecycleComplete"} & set(by_state), listing["by_state"]

        # Never rated: the rating window closed and the execution ended (no incentive).
        code, out, _ = ops("participant", by_state["RatingWindowClosed"][0], "--json")
        report = json.loads(out)
        assert code == 0 and report["diagnosis"].startswith("no incentive: the rating window closed on ")
        code, out, _ = ops("executions", "--json", "--state", "IncentivesGranted", "--payout-failed")
        failing = [row["participant_id"] for row in json.loads(out)["executions"]]
        complete = sorted(set(by_state["IncentivesGranted"]) - set(failing))
        code, out, _ = ops("participant", complete[0])
        assert code == 0 and "diagnosis" in out and "complete: Rp" in out

        # Still unpaid: the payout of an account in someone else's name, found from the
        # entitlements (the execution ended); the participant names the cause.
        assert failing, "the seed has accounts in someone else's name"
        code, out, _ = ops("participant", failing[0], "--json")
        report = json.loads(out)
        assert code == 1 and report["current_state"] == "IncentivesGranted", report
        assert "someone else's name" in report["diagnosis"], report["diagnosis"]
        code, out, _ = ops("stuck", "--json")
        assert code == 0 and "AwaitPayout" not in json.loads(out)["states"]
        graph = tmp_path / "rating.svg"
        code, out, _ = ops("history", by_state["RatingWindowClosed"][0], "--graph", str(graph))
        assert code == 0 and 'data-state="RatingWindowClosed"' in graph.read_text()

        code, out, err = ops("payouts", "pause", "--actor", "new-operator", "--reason", "trying the runbook", "--yes")
        assert (code, err) == (0, "")
        code, out, err = ops("payouts", "resume", "--actor", "new-operator", "--reason", "done trying", "--yes")
        assert (code, err) == (0, "")
        code, out, err = ops("participant", "PNOBODY")
        assert (code, out, err) == (1, "", "prakerja: participant PNOBODY not found\n")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            # What it was doing instead of exiting: PYTHONFAULTHANDLER makes SIGABRT dump every thread.
            server.send_signal(signal.SIGABRT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            lines = [line for line in stderr.read_text().splitlines() if not line.startswith('{"level"')]
            raise AssertionError(
                "simulate --serve did not exit within 60 s of Ctrl-C:\n" + "\n".join(lines[-80:])
            ) from None
    assert server.returncode == 0, stderr.read_text()[-2000:]
