"""Operator controls of the payout run, one place for each:

  PAUSE  / PAUSE      the programme-wide payout pause: {"paused": bool, "actor", "reason", "at"}
  PAUSE  / WAVE#<n>   per-wave pause: the same fields and "wave"
  BUDGET / BUDGET     programme-wide cash budget: "committed_idr" (reserved or paid),
                      optional "ceiling_idr" (operator override of
                      config.CASH_INCENTIVE_BUDGET_IDR)
  PROVIDER / PROVIDER the payment provider found misconfigured by a payout run:
                      {"problem", "at"}; deleted by the first run that reaches it again

The budget is one counter item changed by conditional updates, so two payout runs
can never both take the last room under the ceiling (see docs/decisions/0004). The
payout run changes it only in transactions with what the room is for: a shard's lease
(data/budget_leases.py, once per page of payouts), or an entitlement's own reservation
(cash.commit without a lease, cash.release), so at every instant committed_idr equals the
sum of the SENT and PAID entitlements that hold a reservation (`budget_reserved_idr`) plus
what the leases hold (docs/decisions/0014)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import clock, config
from . import dynamo, keys
from .dynamo import client, from_ddb, is_condition_failure, key, table, to_ddb, values


def _pause_item(
    sk: str, kind: str, paused: bool, actor: str, reason: str, at: datetime, **extra: Any
) -> dict[str, Any]:
    item = {
        "pk": keys.PAUSE_PK,
        "sk": sk,
        "type": kind,
        **extra,
        "paused": bool(paused),
        "actor": actor,
        "reason": reason,
        "at": clock.iso(at),
    }
    client().put_item(TableName=table(), Item=to_ddb(item))
    return item


# --- programme-wide and per-wave pause -------------------------------------------------------


def set_pause(paused: bool, actor: str, reason: str, at: datetime) -> dict[str, Any]:
    return _pause_item(keys.PAUSE_SK, "PAUSE", paused, actor, reason, at)


def get_pause() -> dict[str, Any] | None:
    return dynamo.get(keys.PAUSE_PK, keys.PAUSE_SK)


def set_wave_pause(wave: int, paused: bool, actor: str, reason: str, at: datetime) -> dict[str, Any]:
    return _pause_item(keys.wave_pause(wave), "WAVE_PAUSE", paused, actor, reason, at, wave=int(wave))


def get_wave_pause(wave: int) -> dict[str, Any] | None:
    return dynamo.get(keys.PAUSE_PK, keys.wave_pause(wave))


def paused_waves() -> frozenset[int]:
    """Waves whose payouts are paused now: one query (the PAUSE partition is tiny)."""
    return frozenset(
        int(item["wave"]) for item in dynamo.partition(keys.PAUSE_PK, keys.WAVE_PAUSE_PREFIX) if item.get("paused")
    )


# --- programme budget ------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    ceiling_idr: int
    committed_idr: int
    overridden: bool  # the ceiling comes from the table, not config

    @property
    def remaining_idr(self) -> int:
        return self.ceiling_idr - self.committed_idr


def get_budget() -> Budget:
    out = client().get_item(TableName=table(), Key=key(keys.BUDGET_PK, keys.BUDGET_SK), ConsistentRead=True)
    item = from_ddb(out.get("Item")) or {}
    override = item.get("ceiling_idr")
    return Budget(
        ceiling_idr=int(override) if override is not None else config.CASH_INCENTIVE_BUDGET_IDR,
        committed_idr=int(item.get("committed_idr", 0)),
        overridden=override is not None,
    )


def set_budget_ceiling(ceiling_idr: int | None, actor: str, reason: str, at: datetime) -> Budget:
    """Sets (or with None, removes) the operator's ceiling. Lowering it below what is
    already committed is allowed: payouts simply stop until room appears."""
    if ceiling_idr is not None and (not isinstance(ceiling_idr, int) or ceiling_idr < 0):
        raise ValueError("the budget ceiling is a non-negative whole number of rupiah")
    if ceiling_idr is None:
        expression, vals = (
            "REMOVE ceiling_idr SET ceiling_set_by = :actor, ceiling_reason = :why, ceiling_set_at = :at",
            values(actor=actor, why=reason, at=clock.iso(at)),
        )
    else:
        expression, vals = (
            "SET ceiling_idr = :c, ceiling_set_by = :actor, ceiling_reason = :why, ceiling_set_at = :at",
            values(c=ceiling_idr, actor=actor, why=reason, at=clock.iso(at)),
        )
    client().update_item(
        TableName=table(),
        Key=key(keys.BUDGET_PK, keys.BUDGET_SK),
        UpdateExpression=expression,
        ExpressionAttributeValues=vals,
    )
    # Room leased under the old ceiling goes back at once, so a lowered ceiling stops
    # payouts now, not after each child's page (budget_leases imports this module).
    from . import budget_leases

    budget_leases.return_all()
    return get_budget()


class BudgetExhausted(Exception):
    """The amount does not fit under the ceiling; `budget` is the budget as read then."""

    def __init__(self, budget: Budget):
        super().__init__(f"Rp{budget.committed_idr:,} of Rp{budget.ceiling_idr:,} committed")
        self.budget = budget


def reserve_update(amount_idr: int, seen: Budget) -> dict[str, Any]:
    """The conditional counter update that takes `amount_idr` from the budget, as a
    TransactWriteItems item: cash.commit puts it in the same transaction as
    DUE -> SENT, so a reservation exists exactly when a SENT/PAID entitlement holds it.

    Guarded by the ceiling `seen` (a run reads the budget once), so a concurrent change
    of the ceiling cancels the transaction (read again), never overspends."""
    ceiling_guard = "ceiling_idr = :ceil" if seen.overridden else "attribute_not_exists(ceiling_idr)"
    return {
        "Update": {
            "TableName": table(),
            "Key": key(keys.BUDGET_PK, keys.BUDGET_SK),
            "UpdateExpression": "SET committed_idr = if_not_exists(committed_idr, :zero) + :amt, #t = :type",
            # No arithmetic in conditions: "committed + amount <= ceiling" is
            # "committed <= ceiling - amount"; a missing counter is 0.
            "ConditionExpression": f"{ceiling_guard} AND "
            "(committed_idr <= :room OR (attribute_not_exists(committed_idr) AND :zero <= :room))",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(
                zero=0,
                amt=amount_idr,
                room=seen.ceiling_idr - amount_idr,
                type="BUDGET",
                **({"ceil": seen.ceiling_idr} if seen.overridden else {}),
            ),
        }
    }


def release_update(amount_idr: int) -> dict[str, Any]:
    """The counter update that gives a reservation back, as a transaction item
    (cash.release, together with SENT -> FAILED). The condition can only fail
    if the counter was edited by hand below what SENT/PAID entitlements hold."""
    return {
        "Update": {
            "TableName": table(),
            "Key": key(keys.BUDGET_PK, keys.BUDGET_SK),
            "UpdateExpression": "SET committed_idr = committed_idr - :amt",
            "ConditionExpression": "committed_idr >= :amt",
            "ExpressionAttributeValues": values(amt=amount_idr),
        }
    }


def ceiling_changed(seen: Budget, fresh: Budget) -> bool:
    return (fresh.ceiling_idr, fresh.overridden) != (seen.ceiling_idr, seen.overridden)


def reserve_budget(amount_idr: int, seen: Budget | None = None) -> Budget | None:
    """Takes `amount_idr` from the budget on its own (an operator's correction, e.g.
    seeding the counter with money paid before it existed). Payouts never call this:
    their reservation is part of commit_cash. Returns the budget as now known, or None
    when it does not fit (exhausted)."""
    budget = seen or get_budget()
    for _ in range(3):
        try:
            client().update_item(**reserve_update(amount_idr, budget)["Update"])
            return Budget(budget.ceiling_idr, budget.committed_idr + amount_idr, budget.overridden)
        except ClientError as error:
            if not is_condition_failure(error):
                raise
        fresh = get_budget()
        if not ceiling_changed(budget, fresh):
            return None  # same ceiling, no room: exhausted
        budget = fresh  # the ceiling changed under us: try again with the new one
    return None


def release_budget(amount_idr: int) -> bool:
    """Gives back `amount_idr` on its own (an operator's correction). The counter never
    goes below 0 (False then: there was no such reservation to give back)."""
    try:
        client().update_item(**release_update(amount_idr)["Update"])
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


# --- payment provider misconfiguration (services/provider_health.py) ---------------------


def set_provider_problem(problem: str, at: datetime) -> None:
    item = {
        "pk": keys.PROVIDER_PK,
        "sk": keys.PROVIDER_SK,
        "type": "PROVIDER_PROBLEM",
        "problem": problem,
        "at": clock.iso(at),
    }
    client().put_item(TableName=table(), Item=to_ddb(item))


def clear_provider_problem() -> None:
    client().delete_item(TableName=table(), Key=key(keys.PROVIDER_PK, keys.PROVIDER_SK))


def get_provider_problem() -> dict[str, Any] | None:
    raw: dict[str, Any] | None = (
        client()
        .get_item(TableName=table(), Key=key(keys.PROVIDER_PK, keys.PROVIDER_SK), ConsistentRead=True)
        .get("Item")
    )
    return from_ddb(raw)
