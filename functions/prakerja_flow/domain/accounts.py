"""Pre-validation of payout accounts: the money goes only to the participant's own,
KYC-verified, active bank or e-wallet account. Every refusal has a reason an
operator can read out to the participant and that says how to fix it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import config


@dataclass(frozen=True)
class AccountInquiry:
    """What the payment provider says about an account, asked with the participant's NIK.
    It answers whether the account is held by that person (`holder_matches`), never
    whose it is: less personal data leaves the provider."""

    found: bool
    holder_matches: bool = False
    kyc_verified: bool = False
    active: bool = False
    # Reported by providers that know them (absent in an answer: False). Frozen: blocked by the
    # bank or e-wallet (fraud check, a complaint); the number changed: the e-wallet account the
    # phone number named has moved to a new number, so the old one may soon be someone else's.
    frozen: bool = False
    number_changed: bool = False


def account_version(profile: Mapping[str, object]) -> str | None:
    """The version of the payout account on file, which every change replaces: a random
    token (data/accounts.replace), so two changes within one second (the resolution of
    `payout_account_updated_at`) are two versions. Profiles whose account was last set
    before the token existed are versioned by that change's time."""
    version = profile.get("payout_account_version") or profile.get("payout_account_updated_at")
    return str(version) if version else None


@dataclass(frozen=True)
class AccountProblem:
    code: str
    reason: str


def account_problem(account: dict[str, Any] | None, inquiry: AccountInquiry | None) -> AccountProblem | None:
    """`inquiry` is the provider's answer for this account asked with the participant's NIK."""
    if not account:
        return AccountProblem("NoPayoutAccount", "no payout account registered; add a bank or e-wallet account")
    channel = account.get("channel")
    noun = "bank account" if channel == "BANK" else f"{channel} e-wallet"
    label = f"{noun} ending {str(account.get('account_number', ''))[-4:]}"
    if channel not in config.PAYOUT_CHANNELS:
        return AccountProblem(
            "UnsupportedChannel",
            f"{channel} is not a supported payout channel; register one of {', '.join(config.PAYOUT_CHANNELS)}",
        )
    if inquiry is None or not inquiry.found:
        return AccountProblem("AccountNotFound", f"{label} does not exist at the provider; check the number")
    if inquiry.number_changed:  # before the holder: a recycled number is held by someone else
        return AccountProblem(
            "PhoneNumberChanged",
            f"{label}: the account's phone number has changed; register the account under the new number",
        )
    if not inquiry.holder_matches:
        return AccountProblem(
            "AccountNotOwned", f"{label} is in someone else's name; register an account in your own name"
        )
    if inquiry.frozen:
        return AccountProblem(
            "AccountFrozen", f"{label} is frozen by {channel}; have {channel} unfreeze it or register another account"
        )
    if not inquiry.active:
        return AccountProblem("AccountInactive", f"{label} is inactive; reactivate it with {channel}")
    if not inquiry.kyc_verified:
        return AccountProblem("AccountNotVerified", f"{label} is not KYC-verified; verify it with {channel}")
    return None
