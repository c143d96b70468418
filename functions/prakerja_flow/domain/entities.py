"""The entities as the table stores them, typed. They are dictionaries at run time (what
DynamoDB gives back, what the API and the jobs pass on), so a reader of any service
sees the fields here instead of in the table design. Timestamps are ISO strings (clock.iso),
money integer rupiah. `total=False`: an item has the fields its life so far has set."""

from __future__ import annotations

from typing import Any, TypedDict


class PayoutAccount(TypedDict):
    channel: str
    account_number: str


class _Item(TypedDict, total=False):
    pk: str
    sk: str
    type: str
    gsi1pk: str
    gsi1sk: str
    gsi2pk: str
    gsi2sk: str


class Participant(_Item, total=False):
    participant_id: str
    nik: str
    full_name: str
    gender: str
    birth_date: str
    wave: int
    status: str  # vocabulary.ParticipantStatus
    accepted_at: str
    purchase_deadline: str
    balance_expires_at: str
    balance_idr: int
    cash_committed_idr: int  # reserved (SENT) or paid
    cash_paid_idr: int
    forfeited_idr: int
    execution_arn: str
    payout_account: PayoutAccount
    payout_account_updated_at: str
    payout_account_version: str  # replaced by every change: the version the payout guard clears
    payout_account_changed_by: str
    payout_account_hold_until: str  # the cooling-off of a changed account
    first_purchase_id: str
    open_purchase_id: str  # a training bought and not finished yet
    incentive_purchase_id: str
    incentive_granted_at: str
    rating_window_closed_at: str  # no training rated in config.RATING_WINDOW: no incentive
    revoking_at: str
    revoked_at: str
    revocation_reason: str
    cancelled_at: str
    cancelled_by: str
    cancellation_reason: str


class Purchase(_Item, total=False):
    participant_id: str
    purchase_id: str
    platform_id: str
    training_id: str
    institution_id: str
    price_idr: int
    training_count: int
    status: str  # vocabulary.PurchaseStatus
    purchased_at: str
    completion: dict[str, str]  # certificate_id, training_id
    completed_at: str
    rating: dict[str, Any]  # instructor, facilities, programme (1-5), review
    rated_at: str


class Entitlement(_Item, total=False):
    participant_id: str
    kind: str  # vocabulary.EntitlementKind
    sequence: int
    amount_idr: int
    status: str  # vocabulary.EntitlementStatus
    idempotency_key: str
    version: int
    attempts: int
    created_at: str
    updated_at: str
    due_at: str
    opens_at: str  # surveys: absent until the first monthly payout is paid (ADR 0016)
    expires_at: str
    windows_opened_by: str  # the idempotency key of the payout whose payment opened the window
    submitted_at: str
    answers: dict[str, Any]
    sent_at: str
    budget_reserved_idr: int
    sent_by_run: str  # name of the payout-run execution that sent it (last send)
    paid_at: str
    paid_by_run: str  # name of the payout-run execution that recorded the payment
    transfer_id: str
    provider_rejections: int  # transfers the provider rejected: the next uses the next transfer key
    failure_code: str
    failure_reason: str
    failed_at: str
    retry_after: str  # a provider rejection's cause clears by then: no send before (provider_rejections)
    cancelled_reason: str
    expired_at: str
    retry_requested_at: str
    # False: the lifecycle ended at its grant and no execution waits for this payment (ADR
    # 0013). Absent on entitlements granted by executions of the earlier definition, which
    # still wait in AwaitPayout / AwaitSurveysSettled and are resumed as before.
    lifecycle_waits: bool


class LedgerLine(_Item, total=False):
    participant_id: str
    entry: str  # BALANCE_GRANTED, TRAINING_PURCHASE, BALANCE_FORFEITED, <kind>_PAID
    amount_idr: int
    at: str
    idempotency_key: str
    transfer_key: str  # the key the provider paid it under (incentives.transfer_key)
    transfer_id: str
    kind: str
    sequence: int
    purchase_id: str
    platform_id: str
    reason: str


class AuditEntry(_Item, total=False):
    actor: str
    action: str
    reason: str
    at: str
    details: dict[str, Any]


class AccountChange(_Item, total=False):
    participant_id: str
    previous: PayoutAccount | None
    account: PayoutAccount
    changed_by: str
    at: str
    hold_until: str | None


class Voucher(_Item, total=False):
    participant_id: str
    platform_id: str
    training_id: str
    status: str  # ISSUED, REDEEMED
    issued_by: str
    issued_at: str
    expires_at: str
    purchase_id: str
    redeemed_at: str


class Wave(_Item, total=False):
    wave: int
    status: str  # vocabulary.WaveStatus
    updated_at: str


class TokenItem(_Item, total=False):
    stage: str
    token: str
    at: str


class InboxItem(_Item, total=False):
    stage: str
    event_id: str
    event: dict[str, Any]
    at: str
