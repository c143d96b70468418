"""Test account numbers: deterministic payout accounts for integrators, as card networks
have test card numbers. The same numbers behave the same wherever the payment provider is
not a real one: the in-process FakeProvider (`prakerja local up`, `prakerja simulate`) and
the test provider a development stack deploys (handlers/test_provider.py). docs/api.md,
"Test accounts", lists them (generated from TEST_ACCOUNTS by prakerja/api_docs.py).

Every channel (BANK and the e-wallets) knows every number. A number that is not in the
table behaves as configured (`other`): by default as the participant's own verified
account, so that any well-formed number can be paid."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import provider_rejections
from ..domain.accounts import AccountInquiry

# What an account does.
OWN_VERIFIED = "own_verified"  # the participant's own, KYC-verified, active account: paid
NOT_VERIFIED = "not_verified"  # the participant's, not KYC-verified
SOMEONE_ELSE = "someone_else"  # held by someone else
INACTIVE = "inactive"  # the participant's, but inactive (dormant, closed)
TIMES_OUT = "times_out"  # a good account, but the provider's answer to a transfer never arrives in time
PROVIDER_REJECTS = "provider_rejects"  # a good account at inquiry; the provider rejects the transfer
NOT_FOUND = "not_found"  # no such account
FROZEN = "frozen"  # the participant's, frozen by the bank or e-wallet (inquiry and transfer say so)
NUMBER_CHANGED = "number_changed"  # the e-wallet account moved to a new phone number
LIMIT_REACHED = "limit_reached"  # a good account whose balance or monthly limit is always full
BEHAVIOURS = (
    OWN_VERIFIED,
    NOT_VERIFIED,
    SOMEONE_ELSE,
    INACTIVE,
    TIMES_OUT,
    PROVIDER_REJECTS,
    NOT_FOUND,
    FROZEN,
    NUMBER_CHANGED,
    LIMIT_REACHED,
)
DEFAULT_OTHER = OWN_VERIFIED


@dataclass(frozen=True)
class TestAccount:
    __test__ = False  # not a pytest test class

    number: str
    behaviour: str
    outcome: str  # what the participant sees, for the docs


TEST_ACCOUNTS: tuple[TestAccount, ...] = (
    TestAccount("8800000001", OWN_VERIFIED, 'paid (`PAID`, "Berhasil")'),
    TestAccount(
        "8800000002", NOT_VERIFIED, "`FAILED` `AccountNotVerified`; paid by the first run after the number is replaced"
    ),
    TestAccount("8800000003", SOMEONE_ELSE, "`FAILED` `AccountNotOwned`"),
    TestAccount("8800000004", INACTIVE, "`FAILED` `AccountInactive`"),
    TestAccount(
        "8800000005",
        TIMES_OUT,
        '`SENT` ("Sedang Diproses", outcome unknown); `PAID` when a later run settles it '
        "(after `SENT_SETTLEMENT_AFTER`)",
    ),
    TestAccount("8800000006", PROVIDER_REJECTS, "`FAILED` `ProviderRejected`"),
    TestAccount("8800000007", NOT_FOUND, "`FAILED` `AccountNotFound`"),
    TestAccount("8800000008", FROZEN, "`FAILED` `AccountFrozen`"),
    TestAccount("8800000009", NUMBER_CHANGED, "`FAILED` `PhoneNumberChanged`"),
    TestAccount(
        "8800000010",
        LIMIT_REACHED,
        "`FAILED` `EwalletLimitReached`, sent again automatically each new month (and rejected again: "
        "replace the number to be paid)",
    ),
)
_BY_NUMBER = {account.number: account.behaviour for account in TEST_ACCOUNTS}


def number_for(behaviour: str) -> str:
    return next(account.number for account in TEST_ACCOUNTS if account.behaviour == behaviour)


def behaviour(account_number: str, other: str = DEFAULT_OTHER) -> str:
    if other not in BEHAVIOURS:
        raise ValueError(f"unknown test account behaviour {other!r}; one of {', '.join(BEHAVIOURS)}")
    return _BY_NUMBER.get(str(account_number), other)


def inquiry(account_number: str, other: str = DEFAULT_OTHER) -> AccountInquiry:
    """The provider's answer to an account inquiry for this number, whoever asks."""
    kind = behaviour(account_number, other)
    if kind == NOT_FOUND:
        return AccountInquiry(False)
    return AccountInquiry(
        True,
        holder_matches=kind != SOMEONE_ELSE,
        kyc_verified=kind != NOT_VERIFIED,
        active=kind != INACTIVE,
        frozen=kind == FROZEN,
        number_changed=kind == NUMBER_CHANGED,
    )


def transfer_rejection(account_number: str, other: str = DEFAULT_OTHER) -> str | None:
    """Why the provider rejects a transfer to this number, or None when it pays it. (The
    payout run never sends to an account its inquiry refused; a real provider still
    rejects what it cannot credit, and so do these.)"""
    kind = behaviour(account_number, other)
    if kind == PROVIDER_REJECTS:
        return "the destination institution rejected the credit (test account)"
    if kind in (NOT_FOUND, INACTIVE):
        return "destination account not found or inactive"
    return REJECTION_REASONS.get(kind)


# The contract's rejection codes (domain/provider_rejections.py) of the numbers that have one.
REJECTION_CODES = {
    FROZEN: provider_rejections.ACCOUNT_FROZEN_CODE,
    NUMBER_CHANGED: provider_rejections.PHONE_NUMBER_CHANGED_CODE,
    LIMIT_REACHED: provider_rejections.BALANCE_LIMIT_REACHED_CODE,
}
REJECTION_REASONS = {
    FROZEN: "the destination account is frozen (test account)",
    NUMBER_CHANGED: "the destination e-wallet moved to a new phone number (test account)",
    LIMIT_REACHED: "the destination e-wallet's balance limit is reached (test account)",
}


def transfer_rejection_code(account_number: str, other: str = DEFAULT_OTHER) -> str | None:
    """The contract's code for this number's rejection (None: none, or no rejection)."""
    return REJECTION_CODES.get(behaviour(account_number, other))


def times_out(account_number: str, other: str = DEFAULT_OTHER) -> bool:
    return behaviour(account_number, other) == TIMES_OUT
