"""What the payout run does with one queued entitlement, decided without AWS.

The run (services/payouts.py) loads the entitlement and what these functions need, asks
the provider where a decision needs its answer (the payout guard's account inquiry, the
status of a transfer already sent), and carries out the step returned: the writes, and
the one transfer. Keeping the decisions here, pure, lets every branch be tested without
moto (tests/unit/test_payout_decisions.py); the moto tests keep what only DynamoDB can
show: the conditions and transactions that make two workers' writes safe.

Each decision names a `Step`; where nothing is written, the step is also the run's
outcome for that entitlement, as counted in the run report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .. import config
from .payout_guard import Cleared, Refusal
from .vocabulary import EntitlementStatus

SCHEDULED = EntitlementStatus.SCHEDULED
DUE = EntitlementStatus.DUE
SENT = EntitlementStatus.SENT
FAILED = EntitlementStatus.FAILED
PAID = EntitlementStatus.PAID

# The failure code a budget refusal leaves on the entitlement: the run does not write it
# again while the budget has no more room than when it was refused.
BUDGET_EXHAUSTED = "BudgetExhausted"


class Step(StrEnum):
    # Nothing to pay: the value is the run's outcome.
    RESUME = "resumed"  # PAID already: tell the execution, leave the queue
    DEQUEUE = "dequeued"  # CANCELLED or EXPIRED: leave the queue
    PAUSED = "paused"  # the programme or the participant's wave is paused: left as it is
    HELD = "held"  # a hold that ends by itself (account cooling-off): nothing written
    STILL_FAILING = "still_failing"  # failed for a cause that has not changed: nothing written
    UNKNOWN = "unknown"  # the provider could not be asked: nothing sent, nothing decided
    IN_FLIGHT = "in_flight"  # SENT too recently: another worker's send may be under way
    # Something to do: the service's write decides the outcome.
    SETTLE = "settle"  # SENT: ask the provider what became of it
    CLEAR = "clear"  # SCHEDULED (and due), DUE or FAILED: through the payout guard
    ASK = "ask"  # SENT long enough ago: ask the provider for the transfer's status
    CANCEL = "cancel"  # participation ended or the package has no such payment: never paid
    FAIL = "fail"  # not sendable now, for a reason the participant or an operator can fix
    COMMIT = "commit"  # reserve the cash (cap, budget, status, account in one transaction), then send
    RELEASE = "release"  # SENT but never received, and not sendable now: give the reservation back
    RELEASE_AND_CANCEL = "release_and_cancel"
    RESEND = "resend"  # SENT but never received, and cleared again: claim the re-send, then send


@dataclass(frozen=True)
class Decision:
    step: Step
    code: str | None = None
    reason: str | None = None
    # A SCHEDULED (now due) or FAILED entitlement goes back to DUE first: DUE is the only
    # status a send starts from.
    redue: bool = False


def may_pay(status: str) -> bool:
    """The statuses a run may still send money for: the only ones a wave pause can hold.
    The rest are PAID (resumed) and CANCELLED or EXPIRED (dequeued)."""
    return status in (SCHEDULED, DUE, FAILED, SENT)


def triage(status: str, run_paused: bool, wave_paused: bool = False) -> Step:
    """The first look. A run that saw the programme paused pays nothing, redelivered items
    included; what is already paid or ended is tidied up even while paused."""
    if status == PAID:
        return Step.RESUME
    if not may_pay(status):
        return Step.DEQUEUE
    if run_paused or wave_paused:
        return Step.PAUSED
    return Step.SETTLE if status == SENT else Step.CLEAR


def after_guard(
    status: str,
    failure_code: str | None,
    amount_idr: int,
    verdict: Cleared | Refusal | None,
    budget_remaining_idr: int | None,
) -> Decision:
    """A SCHEDULED, DUE or FAILED entitlement, given the payout guard's verdict (None: the provider
    could not be asked) and the programme budget's room as the run last saw it."""
    redue = status != DUE
    if verdict is None:
        return Decision(Step.UNKNOWN)
    if isinstance(verdict, Refusal):
        if verdict.hold:
            return Decision(Step.HELD)
        if verdict.stops:
            return Decision(Step.CANCEL, verdict.code, verdict.reason)
        if status == FAILED and failure_code == verdict.code:
            return Decision(Step.STILL_FAILING)  # retried once the cause is fixed
        return Decision(Step.FAIL, verdict.code, verdict.reason, redue=redue)
    budget_unchanged = budget_remaining_idr is not None and budget_remaining_idr < amount_idr
    if status == FAILED and failure_code == BUDGET_EXHAUSTED and budget_unchanged:
        return Decision(Step.STILL_FAILING)
    return Decision(Step.COMMIT, redue=redue)


def settle_step(sent_at: datetime, now: datetime) -> Step:
    """A SENT entitlement is only asked about once a send under way would have finished."""
    return Step.IN_FLIGHT if now < sent_at + config.SENT_SETTLEMENT_AFTER else Step.ASK


def never_received(verdict: Cleared | Refusal | None) -> Decision:
    """The provider has no transfer under the key (we crashed before or while sending, or
    it failed before accepting): send again only through the same guard as a first send."""
    if verdict is None:
        return Decision(Step.UNKNOWN)
    if isinstance(verdict, Refusal):
        if verdict.hold:
            return Decision(Step.HELD)
        step = Step.RELEASE_AND_CANCEL if verdict.stops else Step.RELEASE
        return Decision(step, verdict.code, verdict.reason)
    return Decision(Step.RESEND)
