"""The HTTP disbursement provider: the PaymentProvider protocol over a REST API.

The API (documented in docs/decisions/0004-payment-provider.md):

    POST /v1/accounts/inquiry              {"channel", "account_number", "holder_nik"}
        200 {"found": true, "holder_matches", "kyc_verified", "active", "frozen"?, "phone_number_changed"?}
        404 {"code": "account_not_found"}                  -> the account does not exist
    POST /v1/disbursements                 header Idempotency-Key: <entitlement key>
         {"participant_id", "kind", "sequence", "amount_idr", "currency": "IDR", "channel", "account_number"}
        201 (new) or 200 (a replay of a known key: the first outcome, no money moved)
            {"transfer_id", "idempotency_key", "status": PAID|REJECTED|PENDING, "reason", "rejection_code"?,
             "amount_idr", "at"}; rejection_code: balance_limit_reached | account_frozen | phone_number_changed
        409 the same key is still being processed          -> outcome unknown
        422 the key was used before with a different body  -> outcome unknown (settled via GET)
    GET  /v1/disbursements/{idempotency_key}
        200 as above; 404 {"code": "disbursement_not_found"}: the provider never received that key
    GET  /v1/statement?since=&until=&cursor=
        200 {"lines": [{"transfer_id", "idempotency_key", "participant_id", "kind", "sequence",
                        "amount_idr", "status", "at"}, ...], "next_cursor": str | null}

Every request carries `Authorization: Bearer <api key>`; the key is read from Secrets
Manager (ARN in settings.ENV_PAYMENT_PROVIDER_SECRET) and cached. The base URL
(settings.ENV_PAYMENT_PROVIDER_URL) is the API's root, without /v1: the paths above
are appended to it.

A 404 is an answer about an account or a transfer only when its body carries the
contract's code; any other 404 means the route itself is unknown (a wrong base URL), and
a 401 after a fresh key or a 403 means the provider refuses our credentials: both raise
ProviderMisconfigured, never an account problem that would blame the participant.

Failure policy: connection errors and 5xx are retried with exponential backoff (every
call is idempotent, transfers by their Idempotency-Key); once the attempts are used up
the call raises ProviderUnavailable. A transfer whose answer does not arrive in time
is NOT retried here and raises ProviderUnavailable: the entitlement stays SENT and a
later payout run asks GET /v1/disbursements/{key}. Only an explicit PAID or REJECTED
from the provider ever becomes a result."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import urllib3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ProtocolError, ReadTimeoutError

from .. import config, settings
from ..data import clients
from ..domain.accounts import AccountInquiry
from .provider import PAID, REJECTED, ProviderMisconfigured, ProviderUnavailable, TransferRequest, TransferResult

PENDING = "PENDING"
# The codes of the contract's 404 bodies: the only 404s that are answers.
ACCOUNT_NOT_FOUND = "account_not_found"
DISBURSEMENT_NOT_FOUND = "disbursement_not_found"
# Refusals of our credentials (401 even after fetching the key again, 403).
CREDENTIALS_REFUSED = (401, 403)


API_VERSION_PREFIX = "/v1"
INQUIRY_PATH = f"{API_VERSION_PREFIX}/accounts/inquiry"
DISBURSEMENTS_PATH = f"{API_VERSION_PREFIX}/disbursements"
STATEMENT_PATH = f"{API_VERSION_PREFIX}/statement"


class ProviderError(RuntimeError):
    """The provider refused the request itself (bad credentials, a request it cannot
    parse): a bug or a configuration error, not an outcome. Never raised for a
    transfer's business outcome."""


class _Retryable(Exception):
    """One attempt failed in a way that may succeed on the next."""


class SecretApiKey:
    """The API key from Secrets Manager through Powertools Parameters, kept for ttl_seconds
    (max_age) so a rotated key is picked up; invalidate() makes the next get() fetch again
    (the provider answered 401: the key may just have been rotated)."""

    def __init__(
        self,
        secret_arn: str | None = None,
        ttl_seconds: float = config.PAYMENT_PROVIDER_SECRET_TTL.total_seconds(),
        client_factory: Callable[[], Any] | None = None,
    ):
        self.secret_arn = secret_arn or settings.payment_provider_secret_arn()
        if not self.secret_arn:
            raise RuntimeError(f"{settings.ENV_PAYMENT_PROVIDER_SECRET} is not set")
        self.ttl = max(1, int(ttl_seconds))
        self._client_factory = client_factory or (lambda: clients.client("secretsmanager"))
        self._lock = threading.Lock()
        self._provider: SecretsProvider | None = None
        self._force = False

    def get(self) -> str:
        with self._lock:
            if self._provider is None:
                self._provider = SecretsProvider(boto3_client=self._client_factory())
            force, self._force = self._force, False
            raw = self._provider.get(self.secret_arn, max_age=self.ttl, force_fetch=force)
        return _api_key_of(str(raw))

    def invalidate(self) -> None:
        with self._lock:
            self._force = True


def _api_key_of(raw: str) -> str:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw.strip()
    if isinstance(parsed, dict) and parsed.get("api_key"):
        return str(parsed["api_key"])
    raise RuntimeError("the payment provider secret must be a string or JSON with an 'api_key'")


class HttpProvider:
    def __init__(
        self,
        base_url: str | None = None,
        api_key: SecretApiKey | Callable[[], str] | None = None,
        connect_timeout: float = config.PAYMENT_PROVIDER_CONNECT_TIMEOUT.total_seconds(),
        read_timeout: float = config.PAYMENT_PROVIDER_READ_TIMEOUT.total_seconds(),
        max_attempts: int = config.PAYMENT_PROVIDER_MAX_ATTEMPTS,
        backoff_base: float = config.PAYMENT_PROVIDER_BACKOFF_BASE.total_seconds(),
        backoff_max: float = config.PAYMENT_PROVIDER_BACKOFF_MAX.total_seconds(),
        sleep: Callable[[float], None] = time.sleep,
    ):
        url = base_url or settings.payment_provider_base_url()
        if not url:
            raise RuntimeError(f"{settings.ENV_PAYMENT_PROVIDER_URL} is not set")
        self.base_url = url.rstrip("/")
        self._api_key = api_key if api_key is not None else SecretApiKey()
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base, self.backoff_max = backoff_base, backoff_max
        self._sleep = sleep
        # retries=False: the retry policy is ours (below), per call kind.
        self._pool = urllib3.PoolManager(retries=False, timeout=self.timeout, maxsize=10)

    # --- the protocol --------------------------------------------------------------------

    def inquire(self, channel: str, account_number: str, holder_nik: str) -> AccountInquiry:
        status, body = self._call(
            "POST",
            INQUIRY_PATH,
            {"channel": channel, "account_number": account_number, "holder_nik": holder_nik},
            retry_read_timeout=True,
        )
        if status == 404 and body.get("code") == ACCOUNT_NOT_FOUND:
            return AccountInquiry(False)
        self._require(status, body, 200)
        if not body.get("found"):
            return AccountInquiry(False)
        return AccountInquiry(
            True,
            body.get("holder_matches") is True,
            body.get("kyc_verified") is True,
            body.get("active") is True,
            # Optional in the contract: a provider that does not know them leaves them out.
            frozen=body.get("frozen") is True,
            number_changed=body.get("phone_number_changed") is True,
        )

    def transfer(self, request: TransferRequest) -> TransferResult:
        payload = {
            "participant_id": request.participant_id,
            "kind": request.kind,
            "sequence": request.sequence,
            "amount_idr": request.amount_idr,
            "currency": "IDR",
            "channel": request.channel,
            "account_number": request.account_number,
        }
        # A read timeout is not retried: the provider may be working on it, and the
        # payout run settles SENT entitlements by asking for the key later.
        status, body = self._call(
            "POST", DISBURSEMENTS_PATH, payload, {"Idempotency-Key": request.idempotency_key}, retry_read_timeout=False
        )
        if status == 409:
            raise ProviderUnavailable(f"the provider is still processing {request.idempotency_key}")
        if status == 422 and body.get("code") == "idempotency_key_reused":
            # Someone sent this key with a different body: money may have moved under the
            # first one. Leave it SENT; settlement records what the provider did.
            raise ProviderUnavailable(f"idempotency key {request.idempotency_key} was used with a different request")
        self._require(status, body, 200, 201)
        return self._result(body, request.idempotency_key)

    def status(self, idempotency_key: str) -> TransferResult | None:
        status, body = self._call(
            "GET", f"{DISBURSEMENTS_PATH}/{quote(idempotency_key, safe='')}", retry_read_timeout=True
        )
        if status == 404 and body.get("code") == DISBURSEMENT_NOT_FOUND:
            return None
        self._require(status, body, 200)
        return self._result(body, idempotency_key)

    def statement(self, since: str, until: str) -> list[dict]:
        """The provider's statement lines with since <= at < until (ISO times), all pages."""
        lines: list[dict] = []
        cursor = None
        while True:
            query = {"since": since, "until": until, **({"cursor": cursor} if cursor else {})}
            status, body = self._call("GET", f"{STATEMENT_PATH}?{urlencode(query)}", retry_read_timeout=True)
            self._require(status, body, 200)
            lines.extend(body.get("lines") or [])
            cursor = body.get("next_cursor")
            if not cursor:
                return lines

    # --- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _result(body: dict, idempotency_key: str) -> TransferResult:
        state = body.get("status")
        if state == PAID:
            return TransferResult(PAID, str(body["transfer_id"]))
        if state == REJECTED:
            code = body.get("rejection_code")
            return TransferResult(
                REJECTED,
                str(body.get("transfer_id") or ""),
                body.get("reason") or "rejected by the provider",
                code if isinstance(code, str) and code else None,
            )
        # PENDING (or anything we do not know): not an outcome yet.
        raise ProviderUnavailable(f"transfer {idempotency_key} is {state or 'of unknown status'} at the provider")

    def _require(self, status: int, body: dict, *ok: int) -> None:
        if status in ok:
            return
        said = body.get("message") or body.get("code") or body
        if status == 404:
            raise ProviderMisconfigured(
                f"the payment provider answered 404 ({said}) without a code of the contract: the route is unknown at "
                f"{self.base_url}; {settings.ENV_PAYMENT_PROVIDER_URL} must be the API's root, without /v1"
            )
        if status in CREDENTIALS_REFUSED:
            raise ProviderMisconfigured(
                f"the payment provider refused our credentials ({status}: {said}); check the payment provider secret"
            )
        raise ProviderError(f"the provider answered {status}: {said}")

    def _call(
        self,
        method: str,
        path: str,
        payload: dict | None = None,
        headers: dict | None = None,
        retry_read_timeout: bool = True,
    ) -> tuple[int, dict]:
        """One logical call: attempts with backoff on connection errors and 5xx; one fresh
        fetch of the API key on 401 (the secret may have been rotated)."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                status, body = self._attempt(method, path, payload, headers, retry_read_timeout)
            except _Retryable as why:
                if attempt >= self.max_attempts:
                    raise ProviderUnavailable(f"{method} {path}: {why} (after {attempt} attempts)") from None
                self._sleep(self._backoff(attempt))
                continue
            if status == 401 and not refreshed and isinstance(self._api_key, SecretApiKey):
                refreshed = True
                self._api_key.invalidate()
                attempt -= 1  # a rotated key is not the provider's fault
                continue
            return status, body

    def _attempt(
        self, method: str, path: str, payload: dict | None, headers: dict | None, retry_read_timeout: bool
    ) -> tuple[int, dict]:
        key = self._api_key.get() if isinstance(self._api_key, SecretApiKey) else self._api_key()
        all_headers = {"Authorization": f"Bearer {key}", "Accept": "application/json", **(headers or {})}
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            response = self._pool.request(
                method,
                self.base_url + path,
                body=body,
                headers=all_headers,
                timeout=self.timeout,
                retries=False,
                redirect=False,
            )
        except (ConnectTimeoutError, NewConnectionError) as error:
            raise _Retryable(f"could not connect: {error}") from None  # nothing was sent
        except ReadTimeoutError:
            if retry_read_timeout:
                raise _Retryable("no answer in time") from None
            raise ProviderUnavailable(
                f"{method} {path}: no answer within {self.timeout.read_timeout}s; outcome unknown"
            ) from None
        except (ProtocolError, HTTPError) as error:
            # Connection dropped mid-exchange: the request may have arrived.
            if retry_read_timeout:
                raise _Retryable(f"connection failed: {error}") from None
            raise ProviderUnavailable(f"{method} {path}: connection lost ({error}); outcome unknown") from None
        if response.status >= 500 or response.status == 429:
            # For a transfer a 5xx is still safe to retry: the same key can be paid only once.
            raise _Retryable(f"the provider answered {response.status}")
        try:
            parsed = json.loads(response.data or b"{}")
        except ValueError:
            parsed = {"message": response.data[:200].decode(errors="replace")}
        return response.status, parsed if isinstance(parsed, dict) else {"value": parsed}

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # jitter, never less than half


_shared: HttpProvider | None = None
_shared_lock = threading.Lock()


def shared() -> HttpProvider:
    """One provider (connection pool, cached key) per Lambda execution environment."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = HttpProvider()
        return _shared


def reset_shared() -> None:
    global _shared
    with _shared_lock:
        _shared = None
