"""What Prakerja Flow needs from a disbursement provider (bank or e-wallet aggregator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..domain.accounts import AccountInquiry
from ..domain.vocabulary import TransferStatus

PAID, REJECTED = TransferStatus.PAID, TransferStatus.REJECTED


@dataclass(frozen=True)
class TransferRequest:
    idempotency_key: str
    participant_id: str
    kind: str
    sequence: int
    amount_idr: int
    channel: str
    account_number: str


@dataclass(frozen=True)
class TransferResult:
    status: str  # PAID or REJECTED
    transfer_id: str
    reason: str | None = None
    # A REJECTED transfer's cause, when the provider names one of the contract's codes
    # (domain/provider_rejections.FAILURE_CODE_OF: balance_limit_reached, account_frozen,
    # phone_number_changed); None: any other rejection.
    code: str | None = None


class ProviderUnavailable(Exception):
    """The outcome is unknown (timeout, 5xx): the transfer may or may not have happened.
    The entitlement stays SENT and a later run asks the provider."""


class ProviderMisconfigured(Exception):
    """The provider's answer means *our* configuration is wrong, not the participant's
    account: an unknown route (a wrong base URL, e.g. one ending in /v1 when the adapter
    appends /v1/... itself) or credentials it refuses. Nothing is decided for the
    entitlement: the payout run leaves it as it is, counts it (an alarm watches) and
    the participant's diagnosis says "payment provider misconfigured"."""


class PaymentProvider(Protocol):
    def inquire(self, channel: str, account_number: str, holder_nik: str) -> AccountInquiry:
        """What the provider knows about the account, and whether `holder_nik` holds it."""
        ...

    def transfer(self, request: TransferRequest) -> TransferResult:
        """Must be idempotent by `request.idempotency_key`: a repeat returns the first outcome."""
        ...

    def status(self, idempotency_key: str) -> TransferResult | None:
        """The provider's record of a transfer, or None if it never received it."""
        ...

    def statement(self, since: str, until: str) -> list[dict]:
        """The provider's own statement lines with since <= at < until (ISO times): one per
        transfer attempt (transfer_id, idempotency_key, participant_id, kind, sequence,
        amount_idr, status, at)."""
        ...
