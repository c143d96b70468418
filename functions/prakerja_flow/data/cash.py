"""The writes that move money: the cash reservation (SENT), its release (FAILED), the
re-send claim, and the payment (PAID). Each is one transaction over the entitlement, the
participant's cash counters (the cap), the programme budget and the ledger, so a crash
can never leave one without the others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from .. import clock, config
from ..domain import accounts as accounts_domain
from ..domain import errors, provider_rejections, survey_windows
from ..domain import incentives as inc
from ..domain.entities import Entitlement
from ..domain.participation import ACTIVE
from . import accounts, budget_leases, controls, dynamo, entitlements, inbox, keys, ledger, participants

# The failure code of a transfer the provider refused for no cause of the contract
# (domain/provider_rejections.py names the others; cash.release counts them all).
PROVIDER_REJECTED = provider_rejections.PROVIDER_REJECTED

# The profile condition of every write that claims a send: still active, same account
# (the version the payout guard cleared, domain/payout_guard.py).
_CLEARED = f"#s = :active AND {accounts.ON_FILE}"


def _cleared_values(account_version: str) -> dict[str, Any]:
    return {"active": ACTIVE, accounts.ON_FILE_VALUE: account_version}


def _still_cleared(participant_id: str, account_version: str) -> bool:
    profile = participants.get(participant_id) or {}
    return profile.get("status") == ACTIVE and accounts_domain.account_version(profile) == account_version


def _cash_update(participant_id: str, expression: str, condition: str | None, **vals: Any) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": dynamo.table(),
        "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": dynamo.values(**vals),
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


class Committed(NamedTuple):
    sent: Entitlement
    budget: controls.Budget  # as now known
    lease_idr: int  # what the shard's lease still holds, as far as this worker knows


def commit(
    ent: Entitlement,
    at: datetime,
    budget: controls.Budget | None = None,
    *,
    account_version: str,
    sent_by: str | None = None,
    lease_shard: int | None = None,
    lease_idr: int = 0,
) -> Committed | None:
    """DUE -> SENT, the amount reserved under the participant's cash cap and under the
    programme budget, in one transaction: both limits are checked before any money can
    leave, and a crash can never leave a reservation without its SENT entitlement (or
    the reverse). Returns the SENT entitlement and the budget as now known; None if
    someone else moved the entitlement first (or the budget item stayed contended:
    nothing written, the next run tries again). Raises IncentiveCapExceeded, or
    controls.BudgetExhausted (with the budget as read).

    `budget` is the budget as the caller last saw it (a run reads it once); the
    reservation is guarded by that ceiling, so a ceiling changed meanwhile makes us read
    it again and retry, never overspend. `account_version` is the version of the
    payout account the guard cleared: the participant must still be ACTIVE with that
    account, or nothing is written (None: the next run looks again). `sent_by`: the
    name of the payout-run execution that sends it, kept on the entitlement for operators.

    With a lease (`lease_shard`, holding `lease_idr` as far as the caller knows, taken by
    budget_leases.take), the amount is drawn from the lease instead of the budget item:
    the programme-wide item is then not written at all. A lease given back meanwhile (a
    ceiling change, the run's summary) makes the draw fail; the reservation is then made
    from the budget itself, as without a lease."""
    amount = ent["amount_idr"]
    budget = budget or controls.get_budget()
    request, sent = entitlements.guarded_update(
        ent,
        inc.SENT,
        at,
        sent_at=clock.iso(at),
        attempts=ent.get("attempts", 0) + 1,
        failure_code=None,
        failure_reason=None,
        retry_after=None,
        sent_by_run=sent_by,
        # Marks that this entitlement holds a budget reservation, so release gives back
        # exactly what was taken (entitlements SENT before the budget existed hold none).
        budget_reserved_idr=amount,
    )
    # DynamoDB conditions have no arithmetic: "committed + amount <= cap" is written
    # as "committed <= cap - amount".
    reserve = _cash_update(
        ent["participant_id"],
        "SET cash_committed_idr = cash_committed_idr + :amt",
        f"cash_committed_idr <= :room AND {_CLEARED}",
        amt=amount,
        room=config.CASH_INCENTIVE_CAP_IDR - amount,
        **_cleared_values(account_version),
    )
    reserve["Update"]["ExpressionAttributeNames"] = {"#s": "status"}
    for _ in range(4):  # three tries at the budget item, and one draw on the lease before them
        from_lease = lease_shard is not None and lease_idr >= amount
        room = (
            budget_leases.debit_update(lease_shard, amount)
            if from_lease and lease_shard is not None
            else controls.reserve_update(amount, budget)
        )
        codes = dynamo.transact([{"Update": request}, reserve, room])
        if codes is None:
            if from_lease:
                return Committed(sent, budget, lease_idr - amount)
            grown = controls.Budget(budget.ceiling_idr, budget.committed_idr + amount, budget.overridden)
            return Committed(sent, grown, lease_idr)
        if codes[2] == "ConditionalCheckFailed" and from_lease and codes[0] != "ConditionalCheckFailed":
            lease_idr = 0  # the lease was given back meanwhile: reserve from the budget itself
            continue
        if codes[0] == "ConditionalCheckFailed":
            return None
        if codes[1] == "ConditionalCheckFailed":
            if not _still_cleared(ent["participant_id"], account_version):
                return None  # cancelled, or the account changed, since the guard cleared it
            raise errors.IncentiveCapExceeded(
                f"paying {ent['idempotency_key']} would exceed the Rp{config.CASH_INCENTIVE_CAP_IDR:,} cap"
            )
        if codes[2] == "ConditionalCheckFailed":
            fresh = controls.get_budget()
            if not controls.ceiling_changed(budget, fresh):
                raise controls.BudgetExhausted(fresh)  # same ceiling, no room
            budget = fresh  # the ceiling changed under us: try again with the new one
        elif "TransactionConflict" not in codes:
            raise RuntimeError(f"cash commit transaction cancelled: {codes}")
        # A TransactionConflict (another run's transaction on the budget item at the same
        # moment) wrote nothing: try again.
    return None  # still contended: left DUE for the next run, nothing written


def claim_resend(
    ent: Entitlement, at: datetime, account_version: str, sent_by: str | None = None
) -> Entitlement | None:
    """SENT -> SENT again, for a re-send after settlement proved that the provider never
    received the transfer: the claim that makes one worker, and only one, send it again
    (a concurrent run then finds it in flight), with the participant still ACTIVE on the
    account the guard cleared. None if someone else claimed or moved it first, or the
    participant or account changed meanwhile."""
    request, claimed = entitlements.guarded_update(
        ent,
        inc.SENT,
        at,
        reclaim=True,
        sent_at=clock.iso(at),
        attempts=ent.get("attempts", 0) + 1,
        sent_by_run=sent_by,
    )
    check = {
        "ConditionCheck": {
            "TableName": dynamo.table(),
            "Key": dynamo.key(keys.participant(ent["participant_id"]), keys.PROFILE),
            "ConditionExpression": _CLEARED,
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": dynamo.values(**_cleared_values(account_version)),
        }
    }
    return claimed if dynamo.transact([{"Update": request}, check]) is None else None


def release(
    ent: Entitlement,
    at: datetime,
    failure_code: str,
    reason: str,
    *,
    rejected: bool = False,
    retry_after: datetime | None = None,
) -> Entitlement | None:
    """SENT -> FAILED: the provider refused (`rejected`), or settlement proved that it never
    received the transfer and the guard refuses to send it again. The participant's
    reservation and (if this entitlement holds one) the programme budget reservation are
    given back, in the same transaction. `retry_after`: no run sends it again before then
    (domain/provider_rejections.py). None if someone else moved the entitlement first."""
    reserved = ent.get("budget_reserved_idr")
    # The provider said no under this transfer key, for good: the next send uses the next.
    rejections: dict[str, Any] = (
        {"provider_rejections": int(ent.get("provider_rejections", 0)) + 1}
        if rejected or failure_code == PROVIDER_REJECTED
        else {}
    )
    request, failed = entitlements.guarded_update(
        ent,
        inc.FAILED,
        at,
        failure_code=failure_code,
        failure_reason=reason,
        failed_at=clock.iso(at),
        budget_reserved_idr=None,
        retry_after=clock.iso(retry_after) if retry_after else None,
        **rejections,
    )
    transaction = [
        {"Update": request},
        _cash_update(
            ent["participant_id"], "SET cash_committed_idr = cash_committed_idr - :amt", None, amt=ent["amount_idr"]
        ),
    ]
    if reserved:
        transaction.append(controls.release_update(reserved))
    return failed if dynamo.transact(transaction) is None else None


def mark_paid(
    ent: Entitlement,
    transfer_id: str,
    at: datetime,
    event: tuple[str, dict[str, Any]] | None,
    paid_by: str | None = None,
    open_surveys: Sequence[Entitlement] = (),
) -> Entitlement | None:
    """SENT -> PAID, the ledger line, (for a monthly payout) the event for the waiting
    execution and, for the first monthly payout paid, the windows of `open_surveys`
    (domain/survey_windows.py) in one transaction. The entitlement stays in its queue
    until the execution has been told (see entitlements.dequeue)."""
    pid = ent["participant_id"]
    request, paid = entitlements.guarded_update(
        ent, inc.PAID, at, paid_at=clock.iso(at), transfer_id=transfer_id, paid_by_run=paid_by
    )
    transaction = [
        {"Update": request},
        _cash_update(
            pid,
            "SET cash_paid_idr = cash_paid_idr + :amt",
            "cash_paid_idr <= :room",
            amt=ent["amount_idr"],
            room=config.CASH_INCENTIVE_CAP_IDR - ent["amount_idr"],
        ),
        ledger.line_request(
            pid,
            f"PAID#{ent['idempotency_key']}",
            f"{ent['kind']}_PAID",
            ent["amount_idr"],
            at,
            idempotency_key=ent["idempotency_key"],
            transfer_key=inc.current_transfer_key(ent),
            transfer_id=transfer_id,
            kind=ent["kind"],
            sequence=ent["sequence"],
        ),
    ]
    for survey in open_surveys:
        opens, expires = survey_windows.window(survey["sequence"], at)
        request = entitlements.open_survey_window_request(survey, opens, expires, ent["idempotency_key"], at)
        transaction.append({"Update": request})
    if event:
        stage, body = event
        transaction.append(
            {"Put": {"TableName": dynamo.table(), "Item": dynamo.to_ddb(dict(inbox.item(pid, stage, body, at)))}}
        )
    return paid if dynamo.transact(transaction) is None else None
