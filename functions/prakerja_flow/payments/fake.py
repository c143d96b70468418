"""A local payment provider that behaves like a careful real one: idempotent by key,
with an account directory for pre-validation, its own statement (one line per
transfer attempt) and optional injected faults. Process-wide and thread-safe.

Accounts opened with `open_account` answer from that directory; every other number
follows the test account table (payments/test_accounts.py), as the deployed test
provider does, so an integrator on `prakerja local up` can be paid without one."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import ClassVar

from .. import clock
from ..domain import provider_rejections
from ..domain.accounts import AccountInquiry
from . import test_accounts
from .provider import PAID, REJECTED, ProviderUnavailable, TransferRequest, TransferResult

FAULT_KINDS = ("unavailable_before", "timeout_after_accept")


@dataclass
class StatementLine:
    transfer_id: str
    idempotency_key: str
    participant_id: str
    kind: str
    sequence: int
    amount_idr: int
    status: str  # PAID, REJECTED, DUPLICATE (a repeat of a known key: no money moved), UNAVAILABLE
    at: str


@dataclass(frozen=True)
class DirectoryAccount:
    holder_nik: str
    kyc_verified: bool = True
    active: bool = True
    frozen: bool = False  # reported at inquiry and by a transfer (account_frozen)
    number_changed: bool = False  # the e-wallet moved to a new phone number (phone_number_changed)
    # Until then (ISO), a transfer is rejected with balance_limit_reached: an e-wallet whose
    # balance or monthly incoming limit is full this month.
    limit_reached_until: str | None = None

    def rejection(self, now: datetime) -> tuple[str, str | None] | None:
        """(reason, contract code) of a transfer to this account now, or None: it is paid."""
        if not self.active:
            return "destination account not found or inactive", None
        if self.frozen:
            return "the destination account is frozen", provider_rejections.ACCOUNT_FROZEN_CODE
        if self.number_changed:
            return "the destination e-wallet moved to a new phone number", provider_rejections.PHONE_NUMBER_CHANGED_CODE
        if self.limit_reached_until and clock.iso(now) < self.limit_reached_until:
            return "the destination e-wallet's balance limit is reached", provider_rejections.BALANCE_LIMIT_REACHED_CODE
        return None


@dataclass
class FakeProvider:
    fault_rate: float = 0.0
    seed: int = 0
    accounts: dict[tuple[str, str], DirectoryAccount] = field(default_factory=dict)
    transfers: dict[str, TransferResult] = field(default_factory=dict)
    lines: list[StatementLine] = field(default_factory=list)  # the statement, one line per transfer attempt
    # How a number that is neither opened nor in the test account table behaves.
    other_accounts: str = test_accounts.DEFAULT_OTHER
    # Seconds each call really takes (a bank's round trip), spent in `wait`: the local
    # runtime lets other invocations run meanwhile, as other Lambda environments do.
    latency: float = 0.0
    wait: Callable[[float], None] = field(default=time.sleep, repr=False)

    _shared: ClassVar[FakeProvider | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    @classmethod
    def shared(cls) -> FakeProvider:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = FakeProvider()
            return cls._shared

    @classmethod
    def install(cls, provider: FakeProvider) -> FakeProvider:
        with cls._shared_lock:
            cls._shared = provider
            return provider

    # --- the account directory (what the banks and e-wallets know) -----------------

    def open_account(
        self,
        channel: str,
        number: str,
        holder_nik: str,
        kyc_verified: bool = True,
        active: bool = True,
        *,
        frozen: bool = False,
        number_changed: bool = False,
        limit_reached_until: datetime | None = None,
    ) -> None:
        """Opens (or, called again, updates) an account; the keywords make it report each of
        the causes the programme met (domain/provider_rejections.py)."""
        until = clock.iso(limit_reached_until) if limit_reached_until else None
        with self._lock:
            self.accounts[(channel, number)] = DirectoryAccount(
                holder_nik, kyc_verified, active, frozen, number_changed, until
            )

    def _round_trip(self) -> None:
        if self.latency > 0:
            self.wait(self.latency)

    def inquire(self, channel: str, account_number: str, holder_nik: str) -> AccountInquiry:
        self._round_trip()
        with self._lock:
            account = self.accounts.get((channel, account_number))
        if account is None:
            return test_accounts.inquiry(account_number, self.other_accounts)
        return AccountInquiry(
            True,
            account.holder_nik == holder_nik,
            account.kyc_verified,
            account.active,
            frozen=account.frozen,
            number_changed=account.number_changed,
        )

    # --- transfers ----------------------------------------------------------------------

    def transfer(self, request: TransferRequest) -> TransferResult:
        self._round_trip()
        with self._lock:
            fault = self._draw_fault()
            at = clock.iso(clock.now())
            if fault == "unavailable_before":
                self._line(request, f"none-{len(self.lines)}", "UNAVAILABLE", at)
                raise ProviderUnavailable("provider returned 503 before accepting the transfer")
            known = self.transfers.get(request.idempotency_key)
            if known is not None:
                self._line(request, known.transfer_id, "DUPLICATE", at)
                return known
            account = self.accounts.get((request.channel, request.account_number))
            transfer_id = f"TRF{len(self.transfers) + 1:09d}"
            if account is not None:
                rejection = account.rejection(clock.now())
            else:
                said = test_accounts.transfer_rejection(request.account_number, self.other_accounts)
                code = test_accounts.transfer_rejection_code(request.account_number, self.other_accounts)
                rejection = (said, code) if said else None
            result = (
                TransferResult(REJECTED, transfer_id, *rejection) if rejection else TransferResult(PAID, transfer_id)
            )
            self.transfers[request.idempotency_key] = result
            self._line(request, transfer_id, result.status, at)
            if fault == "timeout_after_accept" or (
                account is None and test_accounts.times_out(request.account_number, self.other_accounts)
            ):
                raise ProviderUnavailable("timed out waiting for the provider's answer (it had accepted)")
            return result

    def status(self, idempotency_key: str) -> TransferResult | None:
        self._round_trip()
        with self._lock:
            return self.transfers.get(idempotency_key)

    def _draw_fault(self) -> str | None:
        if self.fault_rate <= 0 or self._rng.random() >= self.fault_rate:
            return None
        return self._rng.choice(FAULT_KINDS)

    def _line(self, request: TransferRequest, transfer_id: str, status: str, at: str) -> None:
        self.lines.append(
            StatementLine(
                transfer_id,
                request.idempotency_key,
                request.participant_id,
                request.kind,
                request.sequence,
                request.amount_idr,
                status,
                at,
            )
        )

    # --- the provider's own statement --------------------------------------------------

    def statement(self, since: str, until: str) -> list[dict]:
        """The window's lines (since <= at < until), copied: filtered first, so a daily
        reconciliation costs the window, not the whole statement."""
        with self._lock:
            return [asdict(line) for line in self.lines if since <= line.at < until]

    def statement_lines(self) -> list[dict]:
        with self._lock:
            return [asdict(line) for line in self.lines]

    def write_statement(self, path: str) -> int:
        lines = self.statement_lines()
        with open(path, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(json.dumps(line, sort_keys=True) + "\n")
        return len(lines)
