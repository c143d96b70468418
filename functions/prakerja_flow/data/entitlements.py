"""Entitlements (P#<id> / ENT#<kind>#<seq>): one payment owed each, and the work queues
they sit in (GSI1). Every status change is one update guarded by the status and version
that were read (`guarded_update`), so a concurrent or repeated run loses instead of
acting twice. The writes that move money are in cash.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import clock
from ..domain import errors
from ..domain import incentives as inc
from ..domain.entities import Entitlement
from ..domain.participation import ACTIVE
from . import dynamo, keys, participants, schema


def get(participant_id: str, kind: str, sequence: int) -> Entitlement | None:
    return dynamo.get(keys.participant(participant_id), keys.entitlement(kind, sequence))  # type: ignore[return-value]


def of(participant_id: str) -> list[Entitlement]:
    return dynamo.partition(keys.participant(participant_id), keys.ENTITLEMENT)  # type: ignore[return-value]


def _planned(participant_id: str, e: inc.PlannedEntitlement, at: datetime, lifecycle_waits: bool) -> Entitlement:
    item = Entitlement(
        pk=keys.participant(participant_id),
        sk=keys.entitlement(e.kind, e.sequence),
        type="ENTITLEMENT",
        participant_id=participant_id,
        kind=e.kind,
        sequence=e.sequence,
        amount_idr=e.amount_idr,
        status=inc.SCHEDULED,
        idempotency_key=inc.idempotency_key(participant_id, e.kind, e.sequence),
        created_at=clock.iso(at),
        attempts=0,
    )
    if not lifecycle_waits:  # absent means "waits" (entitlements granted before ADR 0013)
        item["lifecycle_waits"] = False
    if e.due_at is not None:  # a monthly payout: payable from its due date
        item["due_at"] = clock.iso(e.due_at)
        item["gsi1pk"] = keys.queue(schema.Q_PAYABLE, participant_id)
        item["gsi1sk"] = keys.queue_position(item["due_at"], participant_id, e.kind, e.sequence)
    elif e.opens_at is not None and e.expires_at is not None:  # a survey planned with its window (before ADR 0016)
        item["opens_at"], item["expires_at"] = clock.iso(e.opens_at), clock.iso(e.expires_at)
        item["gsi1pk"] = keys.queue(schema.Q_DEADLINES, participant_id)
        item["gsi1sk"] = keys.queue_position(item["expires_at"], participant_id, e.kind, e.sequence)
    # A survey without a window is in no queue: nothing can expire it before the first
    # payout is paid, which opens its window (open_survey_window_request).
    return item


def open_survey_window_request(
    survey: Entitlement, opens_at: datetime, expires_at: datetime, opened_by: str, at: datetime
) -> dict[str, Any]:
    """The update (for the first payout's mark_paid transaction) that opens a survey's
    window and queues its end as a deadline: only while it is still SCHEDULED, unfilled
    and at the version read (a fill-in or a cancellation meanwhile cancels the transaction,
    and the payout is recorded by the next run, which reads the surveys again)."""
    expires = clock.iso(expires_at)
    pid = survey["participant_id"]
    request, _ = guarded_update(
        survey,
        survey["status"],
        at,
        reclaim=True,
        opens_at=clock.iso(opens_at),
        expires_at=expires,
        windows_opened_by=opened_by,
        **{
            schema.GSI1_PK: keys.queue(schema.Q_DEADLINES, pid),
            schema.GSI1_SK: keys.queue_position(expires, pid, survey["kind"], survey["sequence"]),
        },
    )
    request["ConditionExpression"] += " AND attribute_not_exists(submitted_at)"
    return request


def grant(
    participant_id: str, purchase_id: str, plan: list[inc.PlannedEntitlement], at: datetime, *, lifecycle_waits: bool
) -> bool:
    """Creates the entitlements once. Returns False when they already existed (a retry)."""
    transaction: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": dynamo.table(),
                "Key": dynamo.key(keys.participant(participant_id), keys.PROFILE),
                # lifecycle_waits on the profile too: ops tells how the execution ended from it.
                "UpdateExpression": (
                    "SET incentive_purchase_id = :pid, incentive_granted_at = :at, lifecycle_waits = :w"
                ),
                "ConditionExpression": "attribute_not_exists(incentive_purchase_id) AND #s = :active",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": dynamo.values(
                    pid=purchase_id, at=clock.iso(at), active=ACTIVE, w=lifecycle_waits
                ),
            }
        }
    ]
    transaction += [dynamo.put_new_request(dict(_planned(participant_id, e, at, lifecycle_waits))) for e in plan]
    if dynamo.transact(transaction) is None:
        return True
    profile = participants.get(participant_id) or {}
    if profile.get("incentive_purchase_id"):
        return False
    raise errors.ParticipantNotActive(f"participant is {profile.get('status')}; incentives cannot be granted")


def submit_survey(participant_id: str, sequence: int, answers: dict[str, Any], at: datetime) -> None:
    """A filled-in survey makes its payment due now (paid by the next payout run)."""
    due = clock.iso(at)
    try:
        dynamo.client().update_item(
            TableName=dynamo.table(),
            Key=dynamo.key(keys.participant(participant_id), keys.entitlement(inc.SURVEY, sequence)),
            UpdateExpression="SET submitted_at = :at, answers = :ans, due_at = :at, "
            f"{schema.GSI1_PK} = :q, {schema.GSI1_SK} = :qsk",
            ConditionExpression="#s = :scheduled AND attribute_not_exists(submitted_at)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=dynamo.values(
                at=due,
                ans=answers,
                scheduled=inc.SCHEDULED,
                q=keys.queue(schema.Q_PAYABLE, participant_id),
                qsk=keys.queue_position(due, participant_id, inc.SURVEY, sequence),
            ),
        )
    except ClientError as error:
        if dynamo.is_condition_failure(error):
            raise errors.SurveyAlreadySubmitted(f"survey {sequence} was already submitted or is closed") from None
        raise


def queue_page(
    queue: str, shard: int, until: datetime, limit: int, start: dict[str, Any] | None = None
) -> tuple[list[dynamo.Item], dict[str, Any] | None]:
    """Items of one work-queue shard that are due at or before `until`, a page at a time."""
    return dynamo.page(
        schema.GSI1,
        f"{schema.GSI1_PK} = :q AND {schema.GSI1_SK} <= :until",
        dynamo.values(q=keys.queue_shard(queue, shard), until=keys.queue_until(clock.iso(until))),
        limit,
        start,
    )


def guarded_update(
    ent: Entitlement, target: str, at: datetime, reclaim: bool = False, **fields: Any
) -> tuple[dict[str, Any], Entitlement]:
    """The guarded update of an entitlement from the status and version we read to
    `target` (None fields are removed). Returns the Update request and the item as it
    will be. `reclaim`: the status stays as it is and only the version moves (cash.claim_resend)."""
    if not (reclaim and target == ent["status"]):
        inc.require_transition(ent["status"], target)
    updates = {"status": target, "updated_at": clock.iso(at), "version": ent.get("version", 0) + 1, **fields}
    removes = [k for k, v in updates.items() if v is None]
    sets = {k: v for k, v in updates.items() if v is not None}
    expression = "SET " + ", ".join(f"#{k} = :new_{k}" for k in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{k}" for k in removes)
    request = {
        "TableName": dynamo.table(),
        "Key": dynamo.key(ent["pk"], ent["sk"]),
        "UpdateExpression": expression,
        "ConditionExpression": "#status = :expected_status AND "
        "(attribute_not_exists(#version) OR #version = :expected_version)",
        "ExpressionAttributeNames": {f"#{k}": k for k in [*sets, *removes]},
        "ExpressionAttributeValues": dynamo.values(
            **{f"new_{k}": v for k, v in sets.items()},
            expected_status=ent["status"],
            expected_version=ent.get("version", 0),
        ),
    }
    after = {k: v for k, v in {**ent, **sets}.items() if k not in removes}
    return request, after  # type: ignore[return-value]


def transition(ent: Entitlement, target: str, at: datetime, **fields: Any) -> Entitlement | None:
    """Moves an entitlement to `target`; None if someone else moved it first."""
    request, after = guarded_update(ent, target, at, **fields)
    return after if dynamo.update(request) else None


def make_due_now(ent: Entitlement, at: datetime) -> Entitlement | None:
    """FAILED -> DUE, in the payout queue (put back if it had left it): an operator's retry.
    The failure code and reason stay on the item as the record of what went wrong."""
    pid = ent["participant_id"]
    requeue = (
        {}
        if ent.get(schema.GSI1_PK)
        else {
            schema.GSI1_PK: keys.queue(schema.Q_PAYABLE, pid),
            schema.GSI1_SK: keys.queue_position(clock.iso(at), pid, ent["kind"], ent["sequence"]),
        }
    )
    return transition(ent, inc.DUE, at, retry_requested_at=clock.iso(at), **requeue)


def dequeue(ent: Entitlement) -> None:
    dynamo.leave_queue(ent)
