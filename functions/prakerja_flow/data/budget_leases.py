"""Budget leases: a payout-run child takes room under the programme budget once per page of
its shard, and each payout in the page draws on that lease instead of writing the one
programme-wide budget item (docs/decisions/0014-budget-leases.md).

  BUDGET / LEASE#<shard>   {"held_idr": room taken from the budget and not yet spent}

Every change of a lease that moves room in or out of it is one transaction with the budget
counter, so at every instant

    BUDGET.committed_idr == sum of SENT/PAID reservations + sum of the leases' held_idr

and the ceiling holds exactly: a lease is taken under the ceiling like a reservation, and a
payout only spends what a lease already holds. A lease left behind by a child that died is
returned by the run's summary (return_all) or by the next page of its shard; a ceiling
change returns every lease at once (controls.set_budget_ceiling), so lowering the ceiling
stops payouts as it did before leases."""

from __future__ import annotations

from typing import Any

from . import controls, dynamo, keys
from .dynamo import values

_ATTEMPTS = 3  # a contended budget item: try again, then go on without a lease


def _key(shard: int) -> dict[str, Any]:
    return dynamo.key(keys.BUDGET_PK, keys.budget_lease(shard))


def take(shard: int, wanted_idr: int, seen: controls.Budget) -> tuple[int, controls.Budget]:
    """Takes up to `wanted_idr` of room for `shard` (less when the budget has less left).
    Returns what it added to the lease and the budget as now known; (0, budget) when there
    is no room or the budget item stayed contended: the payouts then reserve one by one."""
    budget = seen
    for _ in range(_ATTEMPTS):
        amount = min(wanted_idr, budget.remaining_idr)
        if amount <= 0:
            return 0, budget
        lease = {
            "Update": {
                "TableName": dynamo.table(),
                "Key": _key(shard),
                "UpdateExpression": "SET held_idr = if_not_exists(held_idr, :zero) + :amt, #t = :type, #shard = :shard",
                "ExpressionAttributeNames": {"#t": "type", "#shard": "shard"},  # both reserved words
                "ExpressionAttributeValues": values(zero=0, amt=amount, type="BUDGET_LEASE", shard=int(shard)),
            }
        }
        codes = dynamo.transact([controls.reserve_update(amount, budget), lease])
        if codes is None:
            return amount, controls.Budget(budget.ceiling_idr, budget.committed_idr + amount, budget.overridden)
        budget = controls.get_budget()  # another child took room, or the ceiling changed: look again
    return 0, budget


def debit_update(shard: int, amount_idr: int) -> dict[str, Any]:
    """The transaction item that spends `amount_idr` of the shard's lease: cash.commit puts it
    where the budget reservation would be. Fails when the lease holds less (given back
    meanwhile): the caller then reserves from the budget itself."""
    return {
        "Update": {
            "TableName": dynamo.table(),
            "Key": _key(shard),
            "UpdateExpression": "SET held_idr = held_idr - :amt",
            "ConditionExpression": "held_idr >= :amt",
            "ExpressionAttributeValues": values(amt=amount_idr),
        }
    }


def held(shard: int) -> int:
    return int((dynamo.get(keys.BUDGET_PK, keys.budget_lease(shard)) or {}).get("held_idr", 0))


def give_back(shard: int) -> int:
    """Returns whatever the shard's lease holds to the budget; the amount returned (0 when
    it held nothing, or stayed contended: then return_all or the next page does it)."""
    for _ in range(_ATTEMPTS):
        amount = held(shard)
        if amount <= 0:
            return 0
        lease = {
            "Update": {
                "TableName": dynamo.table(),
                "Key": _key(shard),
                "UpdateExpression": "SET held_idr = :zero",
                "ConditionExpression": "held_idr = :amt",
                "ExpressionAttributeValues": values(zero=0, amt=amount),
            }
        }
        if dynamo.transact([lease, controls.release_update(amount)]) is None:
            return amount
    return 0


def leases() -> dict[int, int]:
    """Shard -> what its lease holds now (one query of the small BUDGET partition)."""
    return {
        int(item["shard"]): int(item.get("held_idr", 0))
        for item in dynamo.partition(keys.BUDGET_PK, keys.BUDGET_LEASE_PREFIX)
    }


def return_all() -> int:
    """Gives every lease back (the run's summary, a ceiling change); the total returned."""
    return sum(give_back(shard) for shard, amount in leases().items() if amount > 0)
