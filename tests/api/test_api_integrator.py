"""What docs/api.md promises a new integrator, done literally against `prakerja local up`:
the documented Python signing snippet, and `python -m prakerja.sign` piped to sh (curl)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import date

import pytest

from prakerja import api_docs
from prakerja.local import credentials
from prakerja.local.server import free_port
from prakerja_flow.domain.nik import build_nik


@pytest.fixture(scope="module")
def local_up():
    from prakerja.local.server import up

    port, aws_port = free_port(), free_port()
    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(
        target=up,
        args=(port, aws_port, 3600.0, None),
        kwargs={"ready": lambda cloud: ready.set(), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    yield f"http://127.0.0.1:{port}"
    stop.set()
    server.join(30)


def documented_signer():
    """The Python block of docs/api.md, Signing requests, as an integrator would paste it."""
    text = api_docs.MARKDOWN_PATH.read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation, under test
    return namespace["signed"]


def send(request) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_documented_python_snippet_buys_completes_and_rates(local_up):
    signed = documented_signer()

    def call(principal, method, path, body=None):
        client = credentials.client(principal)
        return send(signed(method, path, body, client.key_id, client.secret, base=local_up))

    assert (
        call(credentials.DEFAULT_OPERATOR, "POST", "/waves/1/open", {"actor": "doc", "reason": "integrator test"})[0]
        == 200
    )
    status, registered = call(
        credentials.DEFAULT_PORTAL, "POST", "/participants", {"nik": "3171015705900001", "full_name": "Siti", "wave": 1}
    )
    assert status == 201, registered
    pid = registered["participant_id"]
    platform = "platform:tokopedia"
    order = {
        "purchase_id": "O1",
        "trainings": [{"training_id": "T1", "institution_id": "LPK1", "price_idr": 1_000_000}],
    }
    # Without the participant's voucher the platform can buy nothing, knowing the id or not.
    status, refused = call(
        platform, "POST", f"/participants/{pid}/purchases", {**order, "voucher_code": "PKV-AAAA-AAAA-AAAA"}
    )
    assert (status, refused["error"]["code"]) == (404, "VoucherNotFound"), refused
    status, voucher = call(
        credentials.DEFAULT_PORTAL,
        "POST",
        f"/participants/{pid}/vouchers",
        {"platform_id": "tokopedia", "training_id": "T1"},
    )
    assert status == 201, voucher
    order["voucher_code"] = voucher["voucher_code"]
    status, bought = call(platform, "POST", f"/participants/{pid}/purchases", order)
    assert (status, bought["remaining_balance_idr"]) == (201, 0), bought
    assert (
        call(
            platform,
            "POST",
            f"/participants/{pid}/purchases/O1/completion",
            {"training_id": "T1", "certificate_id": "C1"},
        )[0]
        == 200
    )
    review = {"instructor": 5, "facilities": 4, "programme": 5, "review": "Materi jelas sekali."}
    assert call(platform, "POST", f"/participants/{pid}/purchases/O1/rating", review) == (
        200,
        {"purchase_id": "O1", "rated": True},
    )
    # The same snippet with a wrong secret is refused.
    client = credentials.client(platform)
    status, refused = send(
        signed("POST", f"/participants/{pid}/purchases", order, client.key_id, "wrong" * 8, base=local_up)
    )
    assert (status, refused["error"]["code"]) == (403, "InvalidSignature")


def test_prakerja_sign_prints_a_curl_command_that_works(local_up):
    assert shutil.which("curl"), "docs/api.md tells integrators to use curl"
    nik = build_nik(31, 71, 1, date(1991, 2, 3), "M", 7)

    def sign_and_send(*args: str) -> dict:
        command = subprocess.run(
            [sys.executable, "-m", "prakerja.sign", *args, "--url", local_up],
            capture_output=True,
            text=True,
            check=True,
        )
        done = subprocess.run(["sh", "-c", command.stdout], capture_output=True, text=True, check=True, timeout=30)
        return json.loads(done.stdout)

    sign_and_send("POST", "/waves/2/open", "--body", json.dumps({"actor": "doc", "reason": "curl"}))
    registered = sign_and_send(
        "POST", "/participants", "--body", json.dumps({"nik": nik, "full_name": "Budi", "wave": 2})
    )
    voucher = sign_and_send(
        "POST",
        f"/participants/{registered['participant_id']}/vouchers",
        "--body",
        json.dumps({"platform_id": "pijarmahir", "training_id": "T1"}),
    )
    order = json.dumps(
        {
            "purchase_id": "C1",
            "trainings": [{"training_id": "T1", "institution_id": "L", "price_idr": 500_000}],
            "voucher_code": voucher["voucher_code"],
        }
    )
    bought = sign_and_send(
        "POST",
        f"/participants/{registered['participant_id']}/purchases",
        "--idempotency-key",
        "curl-1",
        "--body",
        order,
    )
    assert bought["remaining_balance_idr"] == 500_000
    again = sign_and_send(
        "POST",
        f"/participants/{registered['participant_id']}/purchases",
        "--idempotency-key",
        "curl-1",
        "--body",
        order,
    )
    assert again == bought


def test_prakerja_sign_refuses_bad_usage():
    done = subprocess.run(
        [sys.executable, "-m", "prakerja.sign", "GET", "/openapi.json"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "public" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "prakerja.sign", "--principal", "platform:nobody", "GET", "/participants/P1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no local API client" in done.stderr
