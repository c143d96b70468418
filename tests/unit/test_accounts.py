"""Payout account pre-validation: own, KYC-verified, active bank or e-wallet account."""

from __future__ import annotations

import pytest

from prakerja_flow import config
from prakerja_flow.domain.accounts import AccountInquiry, AccountProblem, account_problem

BANK = {"channel": "BANK", "account_number": "0012345678"}
GOOD = AccountInquiry(found=True, holder_matches=True, kyc_verified=True, active=True)
E_WALLETS = [c for c in config.PAYOUT_CHANNELS if c != "BANK"]


def account(channel="BANK", number="0012345678"):
    return {"channel": channel, "account_number": number}


def inquiry(**changes):
    values = {"found": True, "holder_matches": True, "kyc_verified": True, "active": True, **changes}
    return AccountInquiry(**values)


def test_supported_channels():
    assert set(config.PAYOUT_CHANNELS) == {"BANK", "OVO", "GOPAY", "LINKAJA", "DANA"}


@pytest.mark.parametrize("channel", config.PAYOUT_CHANNELS)
def test_good_account_has_no_problem(channel):
    assert account_problem(account(channel), GOOD) is None


@pytest.mark.parametrize("missing", [None, {}])
def test_no_account(missing):
    problem = account_problem(missing, GOOD)
    assert problem.code == "NoPayoutAccount"
    assert "bank" in problem.reason and "e-wallet" in problem.reason


@pytest.mark.parametrize("channel", ["PAYPAL", "bank", "ovo", "", None, "SHOPEEPAY"])
def test_unsupported_channel(channel):
    problem = account_problem(account(channel), GOOD)
    assert problem.code == "UnsupportedChannel"
    assert problem.reason.strip()
    if channel:
        assert channel in problem.reason


@pytest.mark.parametrize(
    "found", [None, inquiry(found=False), AccountInquiry(found=False)], ids=["no-inquiry", "not-found", "bare"]
)
def test_account_not_found(found):
    problem = account_problem(BANK, found)
    assert problem.code == "AccountNotFound"
    assert "5678" in problem.reason  # last four digits identify the account
    assert "check the number" in problem.reason


def test_someone_elses_account():
    problem = account_problem(BANK, inquiry(holder_matches=False))
    assert problem.code == "AccountNotOwned"
    assert "someone else" in problem.reason
    assert "own name" in problem.reason


@pytest.mark.parametrize("channel", config.PAYOUT_CHANNELS)
def test_inactive_account(channel):
    problem = account_problem(account(channel), inquiry(active=False))
    assert problem.code == "AccountInactive"
    assert "inactive" in problem.reason and channel in problem.reason


def test_bank_account_not_kyc_verified():
    problem = account_problem(BANK, inquiry(kyc_verified=False))
    assert problem.code == "AccountNotVerified"
    assert "bank account" in problem.reason
    assert "e-wallet" not in problem.reason
    assert "KYC" in problem.reason


@pytest.mark.parametrize("channel", E_WALLETS)
def test_e_wallet_not_kyc_verified(channel):
    problem = account_problem(account(channel), inquiry(kyc_verified=False))
    assert problem.code == "AccountNotVerified"
    assert "e-wallet" in problem.reason
    assert "bank account" not in problem.reason
    assert f"verify it with {channel}" in problem.reason


def test_ownership_checked_before_status():
    # Someone else's dormant, unverified account: the first thing to fix is the owner.
    problem = account_problem(BANK, inquiry(holder_matches=False, active=False, kyc_verified=False))
    assert problem.code == "AccountNotOwned"


@pytest.mark.parametrize("channel", config.PAYOUT_CHANNELS)
def test_a_frozen_account(channel):
    problem = account_problem(account(channel), inquiry(frozen=True))
    assert problem.code == "AccountFrozen"
    assert "frozen" in problem.reason and f"have {channel} unfreeze it" in problem.reason


def test_a_changed_phone_number_comes_before_the_holder():
    # The number was recycled: it is now someone else's, but what to do is register the new one.
    problem = account_problem(account("OVO"), inquiry(number_changed=True, holder_matches=False))
    assert problem.code == "PhoneNumberChanged" and "new number" in problem.reason


def test_frozen_comes_after_the_holder_and_before_inactive():
    assert account_problem(BANK, inquiry(frozen=True, holder_matches=False)).code == "AccountNotOwned"
    assert account_problem(BANK, inquiry(frozen=True, active=False)).code == "AccountFrozen"


def test_reason_shows_only_the_last_four_digits():
    problem = account_problem(account(number="9876543210"), None)
    assert "3210" in problem.reason
    assert "9876543210" not in problem.reason


def test_integer_account_number_is_tolerated():
    problem = account_problem({"channel": "OVO", "account_number": 81234567890}, None)
    assert problem.code == "AccountNotFound" and "7890" in problem.reason


ALL_REFUSALS = [
    (None, GOOD),
    (account("PAYPAL"), GOOD),
    (BANK, None),
    (BANK, inquiry(found=False)),
    (BANK, inquiry(holder_matches=False)),
    (BANK, inquiry(active=False)),
    (BANK, inquiry(kyc_verified=False)),
    (account("DANA"), inquiry(frozen=True)),
    (account("OVO"), inquiry(number_changed=True)),
    (account("GOPAY"), inquiry(kyc_verified=False)),
]


@pytest.mark.parametrize(("acct", "found"), ALL_REFUSALS)
def test_every_reason_is_a_non_empty_sentence(acct, found):
    problem = account_problem(acct, found)
    assert isinstance(problem, AccountProblem)
    assert isinstance(problem.code, str) and problem.code[:1].isupper() and " " not in problem.code
    reason = problem.reason
    assert isinstance(reason, str)
    assert reason == reason.strip() and reason
    assert len(reason.split()) >= 4  # a sentence, not a code
    assert "  " not in reason
    assert "None" not in reason
    assert reason != problem.code


def test_every_refusal_has_a_distinct_code():
    codes = [account_problem(acct, found).code for acct, found in ALL_REFUSALS[:-1]]
    # not-found appears twice (no inquiry / found=False); all others are distinct
    assert len(set(codes)) == len(codes) - 1
    assert set(codes) == {
        "NoPayoutAccount",
        "UnsupportedChannel",
        "AccountNotFound",
        "AccountNotOwned",
        "AccountInactive",
        "AccountNotVerified",
        "AccountFrozen",
        "PhoneNumberChanged",
    }
