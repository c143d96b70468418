"""The provider's rejection of a transfer, as the programme met them (issue 17, item 6): what
each cause becomes on the entitlement and when the payout run tries again. Pure.

- `EwalletLimitReached`: the e-wallet's balance or monthly incoming limit is reached (OVO, DANA
  cap what an account may hold and receive a month). Transient: it clears when the month
  turns (or the participant spends the balance), so the payout is retried automatically by the
  first run of the next month, in Jakarta time.
- `AccountFrozen`, `PhoneNumberChanged`: permanent for that account, like today's account
  problems: the participant must have it unfrozen or register the new number. Reported at the
  account inquiry, they are asked again every run at no cost; reported only by a transfer, a
  re-send would only be rejected again, so it waits `ACCOUNT_REJECTION_RETRY_AFTER` (an
  unfrozen account is then paid without anyone's help).
Either way an account change retries at once (after its cooling-off hold); every retry is a
new send through the one payout guard under the next transfer key (incentives.transfer_key).
Any other rejection is `ProviderRejected`, retried by the next run as before."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from .. import clock, config

PROVIDER_REJECTED = "ProviderRejected"
EWALLET_LIMIT_REACHED = "EwalletLimitReached"
ACCOUNT_FROZEN = "AccountFrozen"
PHONE_NUMBER_CHANGED = "PhoneNumberChanged"

# The contract's rejection codes (docs/decisions/0004-payment-provider.md) -> our failure codes.
BALANCE_LIMIT_REACHED_CODE = "balance_limit_reached"
ACCOUNT_FROZEN_CODE = "account_frozen"
PHONE_NUMBER_CHANGED_CODE = "phone_number_changed"
FAILURE_CODE_OF = {
    BALANCE_LIMIT_REACHED_CODE: EWALLET_LIMIT_REACHED,
    ACCOUNT_FROZEN_CODE: ACCOUNT_FROZEN,
    PHONE_NUMBER_CHANGED_CODE: PHONE_NUMBER_CHANGED,
}
# Every failure code a rejected transfer can leave.
FAILURE_CODES = frozenset({PROVIDER_REJECTED, *FAILURE_CODE_OF.values()})

_WHAT = {
    EWALLET_LIMIT_REACHED: "the e-wallet's balance or monthly incoming limit is reached",
    ACCOUNT_FROZEN: "the account is frozen by its bank or e-wallet",
    PHONE_NUMBER_CHANGED: "the e-wallet account's phone number has changed",
}


def failure_code(rejection_code: str | None) -> str:
    return FAILURE_CODE_OF.get(rejection_code or "", PROVIDER_REJECTED)


def next_month(at: datetime) -> datetime:
    """The start of the calendar month after `at`, in Jakarta time (when monthly limits reset)."""
    local = at.astimezone(config.PROGRAMME_TIMEZONE)
    first = local.date().replace(day=1) + timedelta(days=32)
    return datetime.combine(first.replace(day=1), time(0), config.PROGRAMME_TIMEZONE)


def retry_after(code: str, rejected_at: datetime) -> datetime | None:
    """When the run may send again after a rejection with failure `code`; None: the next run."""
    if code == EWALLET_LIMIT_REACHED:
        return next_month(rejected_at)
    if code in (ACCOUNT_FROZEN, PHONE_NUMBER_CHANGED):
        return rejected_at + config.ACCOUNT_REJECTION_RETRY_AFTER
    return None


def reason(code: str, provider_reason: str | None, retry: datetime | None) -> str:
    """The failure reason operators read: the cause, the provider's own words, and when it is retried."""
    said = f"the provider rejected the transfer: {provider_reason or 'no reason given'}"
    if code not in _WHAT:
        return said
    day = retry.astimezone(config.PROGRAMME_TIMEZONE).date().isoformat() if retry else None
    when = f"retried automatically from {day}" if day else "retried by the next run"
    return f"{_WHAT[code]} ({said}); {when}, or at once after the payout account is changed"


def waits(ent: Mapping[str, Any], account_changed_at: str | None, now: datetime) -> bool:
    """Whether a FAILED entitlement still waits for its retry time: nothing is written and the
    provider is not asked. An account changed since the rejection ends the wait; a change in
    the same second counts as since (ISO times have seconds, a programme day can stand still):
    a needless retry is one more pass through the guard, never a second payment."""
    until, failed_at = ent.get("retry_after"), ent.get("failed_at")
    if not until or now >= clock.parse(until):
        return False
    return not (account_changed_at and failed_at and account_changed_at >= failed_at)
