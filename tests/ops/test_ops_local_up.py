"""`prakerja ops` against the real `prakerja local up` over its AWS endpoint, and against nothing."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.request

from support.lifecycle_steps import CLI

from prakerja.local.credentials import signed_headers
from prakerja.local.server import free_port
from prakerja_flow.data import clients


def http(port: int, method: str, path: str, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",  # signed as the route family's local client
            **signed_headers(method, path, json.dumps(body) if body is not None else None),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def test_ops_participant_against_local_up_endpoint(monkeypatch, ops):
    from prakerja.local.server import up

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # restored after the test
    api_port, aws_port = free_port(), free_port()
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(
        target=up,
        args=(api_port, aws_port, 60.0, None),
        kwargs={"ready": lambda cloud: ready.set(), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    try:
        assert http(api_port, "POST", "/waves/1/open", {"actor": "t", "reason": "t"})[0] == 200
        status, body = http(
            api_port, "POST", "/participants", {"nik": "3171015705900001", "full_name": "Siti", "wave": 1}
        )
        assert status == 201, body
        pid = body["participant_id"]
        endpoint = f"http://127.0.0.1:{aws_port}"
        code, _, err, report = ops("participant", pid, "--json", "--endpoint-url", endpoint)
        assert code == 0, err
        # No execution before the first certificate (ADR 0015), and that is not a problem (exit 0).
        assert report["participant_id"] == pid and report["execution"] is None and report["problems"] == []
        assert report["before_lifecycle"] == "PURCHASE" and report["in_state_since"] == report["accepted_at"]
        assert report["diagnosis"].startswith("waiting for the first training purchase")
        code, text, _, _ = ops("participant", "3171015705900001", "--endpoint-url", endpoint)
        assert code == 0 and pid in text and "3171015705900001" not in text
        assert "not started: it starts at the first certificate; waiting for the purchase" in text
        code, _, err, _ = ops("participant", "PNOBODY", "--endpoint-url", endpoint)
        assert (code, err) == (1, "prakerja: participant PNOBODY not found\n")
        # An action from a script without --yes and with nothing on stdin: refused, exit 1, one line.
        done = subprocess.run(
            [*CLI, "ops", "payouts", "pause", "--actor", "a", "--reason", "r", "--endpoint-url", endpoint],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stderr.splitlines()[-1:]) == (1, ["prakerja: not confirmed; nothing changed"])
        code, _, _, report = ops("participant", pid, "--json", "--endpoint-url", endpoint)
        assert code == 0  # nothing paused
    finally:
        # ops pointed this process's clients at the endpoint; the server's own threads
        # must drain through moto in-process, not through the endpoint that is going away
        os.environ.pop("AWS_ENDPOINT_URL", None)
        clients.reset()
        stop.set()
        server.join(30)
    assert not server.is_alive()


def test_unreachable_endpoint_is_one_line_and_exit_1():
    port = free_port()  # nothing listens there
    done = subprocess.run(
        [*CLI, "ops", "participant", "P1", "--endpoint-url", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"prakerja: cannot reach http://127.0.0.1:{port}: connection refused\n"


def test_bad_usage_exits_2_with_one_line():
    done = subprocess.run([*CLI, "ops", "executions", "--limit", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("prakerja: ") and len(done.stderr.splitlines()) == 1
