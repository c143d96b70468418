"""A disbursement REST API on 127.0.0.1 (random free port) that behaves like the one
payments/http.py is written against, with faults a test can queue up:

  "500" / "503"        answer that status without doing anything
  "slow"               sleep `slow_seconds` before doing anything (the client times out first)
  "accept_then_slow"   do the work (a transfer is booked), then sleep before answering
  "drop"               close the connection without answering (nothing done)
  "accept_then_drop"   do the work, then close the connection without answering
  "pending"            book the transfer as PENDING (it becomes PAID on the next GET)
  "in_flight"          answer 409 (the key is still being processed)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


class FakeDisbursementApi:
    def __init__(self, api_key: str = "test-key", slow_seconds: float = 1.0):
        self.api_key = api_key
        self.slow_seconds = slow_seconds
        self.accounts: dict[tuple[str, str], dict] = {}
        self.transfers: dict[str, dict] = {}  # idempotency key -> disbursement
        self.bodies: dict[str, dict] = {}
        self.statement: list[dict] = []
        self.faults: deque[str] = deque()
        self.requests: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        self.clock = "2020-08-01T00:00:00Z"  # or a callable returning an ISO time
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                api._handle(self, "GET")

            def do_POST(self):
                api._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeDisbursementApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- test controls ----------------------------------------------------------------

    def open_account(
        self, channel: str, number: str, holder_nik: str, kyc_verified: bool = True, active: bool = True
    ) -> None:
        self.accounts[(channel, number)] = {
            "found": True,
            "holder_nik": holder_nik,
            "kyc_verified": kyc_verified,
            "active": active,
        }

    def fail_next(self, *faults: str) -> None:
        self.faults.extend(faults)

    def paid_lines(self) -> list[dict]:
        return [line for line in self.statement if line["status"] == "PAID"]

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.startswith(prefix))

    # --- the API -----------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, h.path, dict(h.headers)))
            fault = self.faults.popleft() if self.faults else None
        if fault in ("500", "503"):
            return self._send(h, int(fault), {"code": "unavailable", "message": "try again"})
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "drop":
            return self._drop(h)
        if h.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._send(h, 401, {"code": "unauthorized", "message": "bad API key"})
        body = json.loads(raw or b"{}")
        url = urlparse(h.path)
        if fault == "in_flight":
            return self._send(h, 409, {"code": "idempotency_key_in_flight", "message": "still processing"})
        with self.lock:
            status, answer = self._route(method, url, body, h.headers, fault)
        if fault in ("accept_then_slow",):
            time.sleep(self.slow_seconds)
        if fault == "accept_then_drop":
            return self._drop(h)
        self._send(h, status, answer)

    def _route(self, method, url, body, headers, fault):
        path = url.path
        if method == "POST" and path == "/v1/accounts/inquiry":
            account = self.accounts.get((body["channel"], body["account_number"]))
            if account is None:
                return 404, {"code": "account_not_found", "message": "no such account"}
            # Whether the asker's NIK holds it; never whose it is.
            return 200, {
                "found": True,
                "holder_matches": account["holder_nik"] == body.get("holder_nik"),
                "kyc_verified": account["kyc_verified"],
                "active": account["active"],
            }
        if method == "POST" and path == "/v1/disbursements":
            key = headers.get("Idempotency-Key")
            if not key:
                return 400, {"code": "missing_idempotency_key"}
            if key in self.transfers:
                if self.bodies[key] != body:
                    return 422, {"code": "idempotency_key_reused", "message": "different request body"}
                self._line(self.transfers[key], "DUPLICATE", body)
                return 200, self.transfers[key]
            account = self.accounts.get((body["channel"], body["account_number"]))
            transfer_id = f"HTP{len(self.transfers) + 1:09d}"
            state = "PAID" if account and account["active"] else "REJECTED"
            if fault == "pending":
                state = "PENDING"
            record = {
                "transfer_id": transfer_id,
                "idempotency_key": key,
                "status": state,
                "amount_idr": body["amount_idr"],
                "reason": None if state != "REJECTED" else "destination account not found or inactive",
                "at": self._now(),
            }
            self.transfers[key], self.bodies[key] = record, body
            if state != "PENDING":
                self._line(record, state, body)
            return 201, record
        if method == "GET" and path.startswith("/v1/disbursements/"):
            key = unquote(path[len("/v1/disbursements/") :])
            record = self.transfers.get(key)
            if record is None:
                return 404, {"code": "disbursement_not_found", "message": "never received"}
            if record["status"] == "PENDING":
                record["status"] = "PAID"
                self._line(record, "PAID", self.bodies[key])
            return 200, record
        if method == "GET" and path == "/v1/statement":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            lines = [line for line in self.statement if q["since"] <= line["at"] < q["until"]]
            start = int(q.get("cursor", 0))
            page = lines[start : start + 2]  # tiny pages, so that paging is exercised
            nxt = str(start + 2) if start + 2 < len(lines) else None
            return 200, {"lines": page, "next_cursor": nxt}
        return 404, {"message": "Not Found"}  # an unknown route, as most HTTP servers answer it

    def _line(self, record: dict, status: str, body: dict) -> None:
        self.statement.append(
            {
                "transfer_id": record["transfer_id"],
                "idempotency_key": record["idempotency_key"],
                "participant_id": body["participant_id"],
                "kind": body["kind"],
                "sequence": body["sequence"],
                "amount_idr": body["amount_idr"],
                "status": status,
                "at": self._now(),
            }
        )

    def _now(self) -> str:
        return self.clock() if callable(self.clock) else self.clock

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) first

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(2)
        except OSError:
            pass
