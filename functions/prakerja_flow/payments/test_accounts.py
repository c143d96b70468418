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

from ..domain.accounts import AccountInquiry

# What an account does.
OWN_VERIFIED = "own_verified"  # the participant's own, KYC-verified, active account: paid
NOT_VERIFIED = "not_verified"  # the participant's, not KYC-verified
SOMEONE_ELSE = "someone_else"  # held by someone else
INACTIVE = "inactive"  # the participant's, but inactive (dormant, closed)
TIMES_OUT = "times_out"  # a good account, but the provider's answer to a transfer never arrives in time
PROVIDER_REJECTS = "provider_rejects"  # a good account at inquiry; the provider rejects the transfer
NOT_FOUND = "not_found"  # no such account
BEHAVIOURS = (OWN_VERIFIED, NOT_VERIFIED, SOMEONE_ELSE, INACTIVE, TIMES_OUT, PROVIDER_REJECTS, NOT_FOUND)
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
        True, holder_matches=kind != SOMEONE_ELSE, kyc_verified=kind != NOT_VERIFIED, active=kind != INACTIVE
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
    return None


def times_out(account_number: str, other: str = DEFAULT_OTHER) -> bool:
    return behaviour(account_number, other) == TIMES_OUT
