"""The one guard in front of every money movement (docs/decisions/0007-one-payout-guard.md).

Every transfer the payout run starts, the first send of an entitlement and a re-send
after settlement proved that the provider never received it alike, is cleared here
first: the payment is one the package has (kind, number, amount), the participant is
still active, the account on file is past its cooling-off hold, and the provider
confirms that account is the participant's own, active, KYC-verified, not frozen and still
on its phone number. Pure: the
service reads the inputs, asks the provider, and acts on the verdict; the write that
claims the send re-checks status and account in the same transaction (data/cash.commit,
claim_resend), so nothing changes between the check and the claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import config
from .accounts import AccountInquiry, account_problem
from .incentives import PACKAGE
from .vocabulary import ParticipantStatus

ACTIVE = ParticipantStatus.ACTIVE


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str
    # The cause ends by itself (a cooling-off hold): write nothing, look again next run.
    hold: bool = False
    # Participation ended (cancelled, revoked): the entitlement will never be paid.
    stops: bool = False


@dataclass(frozen=True)
class Cleared:
    """What a send may use: the account as checked, and the version of it
    (accounts.account_version) that the claiming write must still find on the profile."""

    channel: str
    account_number: str
    account_version: str


def outside_package(kind: str, sequence: object, amount_idr: object) -> Refusal | None:
    """An entitlement the package does not have (a fifth monthly payout, a wrong amount) is
    never paid, whatever the cap still allows: only a defect or a hand edit makes one."""
    amount, count = PACKAGE.get(kind, (None, 0))
    numbered = isinstance(sequence, int) and not isinstance(sequence, bool) and 1 <= sequence <= count
    if not numbered or amount_idr != amount:
        package = f"{count} of {_rupiah(amount)}" if amount is not None else f"the package has no {kind}"
        return Refusal(
            "NotInPackage",
            f"{kind} number {sequence} of {_rupiah(amount_idr)} is not part of the package ({package}); never paid",
            stops=True,
        )
    return None


def _rupiah(value: object) -> str:
    """An amount as operators read it (Rp600,000); whatever a hand edit left, as it is."""
    return f"Rp{value:,}" if isinstance(value, int) and not isinstance(value, bool) else f"Rp{value!r}"


def before_inquiry(
    status: str, account: dict[str, Any] | None, hold_until: datetime | None, changed_at: str | None, now: datetime
) -> Refusal | None:
    """The checks that need no provider call, in the order an operator would read them."""
    if status != ACTIVE:
        return Refusal("ParticipantNotActive", f"participation is {status}; nothing more is paid", stops=True)
    if not account:
        return account_refusal(None, None)
    if hold_until is not None and now < hold_until:
        since = f" on {changed_at[:10]}" if changed_at else ""
        return Refusal(
            "AccountCoolingOff",
            f"the payout account was changed{since}; "
            f"payouts to the new account start on {hold_until.date().isoformat()} "
            "(cooling-off after an account change, against account takeover)",
            hold=True,
        )
    return None


def account_refusal(account: dict[str, Any] | None, inquiry: AccountInquiry | None) -> Refusal | None:
    """`inquiry` is the provider's answer for this account, asked with the participant's NIK."""
    problem = account_problem(account, inquiry)
    return Refusal(problem.code, problem.reason) if problem else None


def clear(account: dict[str, Any], version: str) -> Cleared:
    return Cleared(account["channel"], account["account_number"], version)


def hold_after_change(previous: dict[str, Any] | None, account: dict[str, Any], at: datetime) -> datetime | None:
    """The cooling-off hold an account change starts (None for the first account: there
    is nothing to divert yet). Setting the same account again is no change."""
    if not previous:
        return None
    return at + config.PAYOUT_ACCOUNT_COOLING_OFF
