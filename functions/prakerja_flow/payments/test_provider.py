"""The test payment provider of development stacks: the HTTP provider contract
(docs/decisions/0004-payment-provider.md, payments/http.py) over its own table, with the
test account numbers (payments/test_accounts.py) as its account directory. It moves no
money; it exists so that a deployed development stack can pay someone, which the
in-process FakeProvider (an empty directory in every Lambda process) never could.

Pure of AWS: the store (data/test_provider_store.py) and the API key are passed in, so
tests can run it in-process. handlers/test_provider.py serves it behind a function URL."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from .. import clock, config
from . import test_accounts
from .http import ACCOUNT_NOT_FOUND, DISBURSEMENT_NOT_FOUND, DISBURSEMENTS_PATH, INQUIRY_PATH, STATEMENT_PATH
from .provider import PAID, REJECTED

STATEMENT_PAGE = 100
# "Times out": the answer to a transfer comes this long after the caller's read timeout.
TIMEOUT_MARGIN_SECONDS = 2.0
TRANSFER_FIELDS = {
    "participant_id": str,
    "kind": str,
    "sequence": int,
    "amount_idr": int,
    "currency": str,
    "channel": str,
    "account_number": str,
}


class Store(Protocol):
    def get_transfer(self, idempotency_key: str) -> dict | None: ...
    def put_transfer(self, idempotency_key: str, record: dict, request: dict) -> bool: ...
    def add_line(self, line: dict) -> None: ...
    def statement(self, since: str, until: str, cursor: str | None, limit: int) -> tuple[list[dict], str | None]: ...


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    delay_seconds: float = 0.0  # answer only after this long (the "times out" number)


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message})


class TestProvider:
    __test__ = False  # not a pytest test class

    def __init__(
        self,
        store: Store,
        api_key: Callable[[], str],
        other_accounts: str = test_accounts.DEFAULT_OTHER,
        timeout_seconds: float = config.PAYMENT_PROVIDER_READ_TIMEOUT.total_seconds() + TIMEOUT_MARGIN_SECONDS,
    ):
        test_accounts.behaviour("0", other_accounts)  # refuses an unknown behaviour now, not on the first call
        self.store, self.api_key, self.other, self.timeout_seconds = store, api_key, other_accounts, timeout_seconds

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Answer:
        headers = {k.lower(): v for k, v in headers.items()}
        expected = f"Bearer {self.api_key()}"
        if not hmac.compare_digest(headers.get("authorization", "").encode(), expected.encode()):
            return _error(401, "unauthorized", "missing or wrong API key")
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "invalid_json", "the body is not JSON")
        if method == "POST" and path == INQUIRY_PATH:
            return self._inquiry(payload)
        if method == "POST" and path == DISBURSEMENTS_PATH:
            return self._transfer(headers.get("idempotency-key"), payload)
        if method == "GET" and path.startswith(DISBURSEMENTS_PATH + "/"):
            return self._status(unquote(path[len(DISBURSEMENTS_PATH) + 1 :]))
        if method == "GET" and path == STATEMENT_PATH:
            return self._statement(query)
        # An unknown route answers like any web server: a 404 with no code of the contract.
        return Answer(404, {"message": "Not Found"})

    def _inquiry(self, payload: Any) -> Answer:
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(f), str) and payload.get(f) for f in ("channel", "account_number", "holder_nik")
        ):
            return _error(400, "invalid_request", "channel, account_number and holder_nik are required strings")
        answer = test_accounts.inquiry(payload["account_number"], self.other)
        if not answer.found:
            return _error(404, ACCOUNT_NOT_FOUND, "no such account")
        return Answer(
            200,
            {
                "found": True,
                "holder_matches": answer.holder_matches,
                "kyc_verified": answer.kyc_verified,
                "active": answer.active,
                "frozen": answer.frozen,
                "phone_number_changed": answer.number_changed,
            },
        )

    def _transfer(self, idempotency_key: str | None, payload: Any) -> Answer:
        if not idempotency_key:
            return _error(400, "missing_idempotency_key", "the Idempotency-Key header is required")
        if (
            not isinstance(payload, dict)
            or any(type(payload.get(f)) is not t for f, t in TRANSFER_FIELDS.items())
            or payload["currency"] != "IDR"
            or payload["amount_idr"] <= 0
        ):
            return _error(400, "invalid_request", f"the body needs {', '.join(TRANSFER_FIELDS)} (IDR, amount > 0)")
        request = {f: payload[f] for f in TRANSFER_FIELDS}
        known = self.store.get_transfer(idempotency_key)
        if known is None:
            rejection = test_accounts.transfer_rejection(request["account_number"], self.other)
            record = {
                "transfer_id": f"TPV{secrets.token_hex(8).upper()}",
                "idempotency_key": idempotency_key,
                "status": REJECTED if rejection else PAID,
                "reason": rejection,
                "rejection_code": test_accounts.transfer_rejection_code(request["account_number"], self.other),
                "amount_idr": request["amount_idr"],
                "at": clock.iso(clock.now()),
            }
            if self.store.put_transfer(idempotency_key, record, request):
                self._line(record, request, record["status"])
                delay = self.timeout_seconds if test_accounts.times_out(request["account_number"], self.other) else 0.0
                return Answer(201, record, delay)
            known = self.store.get_transfer(idempotency_key)  # a concurrent first request won
        if known["request"] != request:
            return _error(422, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
        self._line(known["record"], request, "DUPLICATE")
        return Answer(200, known["record"])

    def _status(self, idempotency_key: str) -> Answer:
        known = self.store.get_transfer(idempotency_key)
        if known is None:
            return _error(404, DISBURSEMENT_NOT_FOUND, "no transfer with this Idempotency-Key was received")
        return Answer(200, known["record"])

    def _statement(self, query: dict[str, str]) -> Answer:
        since, until = query.get("since"), query.get("until")
        if not since or not until:
            return _error(400, "invalid_request", "since and until are required")
        lines, cursor = self.store.statement(since, until, query.get("cursor") or None, STATEMENT_PAGE)
        return Answer(200, {"lines": lines, "next_cursor": cursor})

    def _line(self, record: dict, request: dict, status: str) -> None:
        self.store.add_line(
            {
                "transfer_id": record["transfer_id"],
                "idempotency_key": record["idempotency_key"],
                "participant_id": request["participant_id"],
                "kind": request["kind"],
                "sequence": request["sequence"],
                "amount_idr": request["amount_idr"],
                "status": status,
                "at": clock.iso(clock.now()),
            }
        )


def sleep_then(answer: Answer, sleep: Callable[[float], None] = time.sleep) -> Answer:
    if answer.delay_seconds:
        sleep(answer.delay_seconds)
    return answer
