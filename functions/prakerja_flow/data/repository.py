"""Every read and write of the single table (see schema.py for the item layout).

Each write that moves money or changes a participant's standing is one
condition-guarded request or transaction, so retries, duplicates and races end in
"already done" or a named refusal, never in a second payment."""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .. import clock, config
from ..domain import errors
from ..domain import incentives as inc
from . import controls, schema
from .dynamo import (
    cancellation_codes,
    client,
    from_ddb,
    is_condition_failure,
    key,
    nik_hash,
    queue_key,
    table,
    to_ddb,
    values,
)

ACTIVE, REVOKING, REVOKED, CANCELLED = "ACTIVE", "REVOKING", "REVOKED", "CANCELLED"


def _p(participant_id: str) -> str:
    return f"P#{participant_id}"


def _get(pk: str, sk: str) -> dict | None:
    out = client().get_item(TableName=table(), Key=key(pk, sk), ConsistentRead=True)
    return from_ddb(out.get("Item"))


def _query_partition(pk: str, sk_prefix: str) -> list[dict]:
    items: list[dict] = []
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if sk_prefix else "pk = :pk",
        "ExpressionAttributeValues": values(pk=pk, prefix=sk_prefix) if sk_prefix else values(pk=pk),
        "ConsistentRead": True,
    }
    while True:
        out = client().query(**kwargs)
        items.extend(from_ddb(i) for i in out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def _ledger_put(participant_id: str, entry_key: str, entry: str, amount_idr: int, at: datetime, **extra: Any) -> dict:
    """An append-only ledger line; its key makes the same money movement impossible to book twice."""
    item = {
        "pk": _p(participant_id),
        "sk": f"LEDGER#{entry_key}",
        "type": "LEDGER",
        "participant_id": participant_id,
        "entry": entry,
        "amount_idr": amount_idr,
        "at": clock.iso(at),
        **extra,
    }
    return {"Put": {"TableName": table(), "Item": to_ddb(item), "ConditionExpression": "attribute_not_exists(pk)"}}


def _transact(items: list[dict]) -> list[str] | None:
    """Runs a transaction. Returns None on success, or the per-item cancellation codes."""
    try:
        client().transact_write_items(TransactItems=items)
        return None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
            return cancellation_codes(error)
        raise


# --- waves ------------------------------------------------------------------------


def get_wave(number: int) -> dict | None:
    return _get(f"WAVE#{number}", "WAVE")


def put_wave_status(number: int, expected: str | None, status: str, at: datetime) -> dict:
    condition = "attribute_not_exists(pk)" if expected is None else "#s = :expected"
    item = {"pk": f"WAVE#{number}", "sk": "WAVE", "type": "WAVE", "wave": number, "status": status, "updated_at": clock.iso(at)}
    try:
        client().put_item(
            TableName=table(),
            Item=to_ddb(item),
            ConditionExpression=condition,
            **({"ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": values(expected=expected)} if expected else {}),
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise errors.IllegalTransition(f"wave {number} changed concurrently; read it again") from None
        raise
    return item


# --- participants -----------------------------------------------------------------


def find_participant_id_by_nik(nik: str) -> str | None:
    guard = _get(f"NIK#{nik_hash(nik)}", "NIK")
    return guard["participant_id"] if guard else None


def register_participant(profile: dict, nik: str, wave: int, at: datetime) -> None:
    """Wave must be open, NIK never seen in any wave; the training balance is credited in the same step."""
    pid = profile["participant_id"]
    guard = {"pk": f"NIK#{nik_hash(nik)}", "sk": "NIK", "type": "NIK", "participant_id": pid, "at": clock.iso(at)}
    codes = _transact(
        [
            {
                "ConditionCheck": {
                    "TableName": table(),
                    "Key": key(f"WAVE#{wave}", "WAVE"),
                    "ConditionExpression": "#s = :open",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(open="OPEN"),
                }
            },
            {"Put": {"TableName": table(), "Item": to_ddb(guard), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table(), "Item": to_ddb(profile), "ConditionExpression": "attribute_not_exists(pk)"}},
            _ledger_put(pid, "BALANCE_GRANTED", "BALANCE_GRANTED", config.TRAINING_BALANCE_IDR, at),
        ]
    )
    if codes is None:
        return
    if codes[0] == "ConditionalCheckFailed":
        raise errors.WaveClosed(f"wave {wave} is not open for registration")
    if codes[1] == "ConditionalCheckFailed":
        raise errors.DuplicateNik("this NIK already holds a Kartu Prakerja (one person, one card, across all waves)")
    raise RuntimeError(f"registration transaction cancelled: {codes}")


def new_participant_profile(participant_id: str, nik: str, full_name: str, wave: int, gender: str, birth_date: str, at: datetime) -> dict:
    deadline = at + config.PURCHASE_DEADLINE
    return {
        "pk": _p(participant_id),
        "sk": "PROFILE",
        "type": "PARTICIPANT",
        "participant_id": participant_id,
        "nik": nik,
        "full_name": full_name,
        "gender": gender,
        "birth_date": birth_date,
        "wave": wave,
        "status": ACTIVE,
        "accepted_at": clock.iso(at),
        "purchase_deadline": clock.iso(deadline),
        "balance_expires_at": clock.iso(at + config.BALANCE_VALIDITY),
        "balance_idr": config.TRAINING_BALANCE_IDR,
        "cash_committed_idr": 0,
        "cash_paid_idr": 0,
        schema.GSI1_PK: queue_key(schema.Q_DEADLINES, participant_id),
        schema.GSI1_SK: f"{clock.iso(deadline)}#{participant_id}",
        schema.GSI2_PK: f"WAVE#{wave}",
        schema.GSI2_SK: participant_id,
    }


def get_participant(participant_id: str) -> dict | None:
    return _get(_p(participant_id), "PROFILE")


def require_participant(participant_id: str) -> dict:
    profile = get_participant(participant_id)
    if profile is None:
        raise errors.ParticipantNotFound(f"participant {participant_id} does not exist")
    return profile


def participant_items(participant_id: str) -> list[dict]:
    """Everything stored under one participant (profile, purchases, entitlements, tokens, ledger)."""
    return _query_partition(_p(participant_id), "")


def set_execution_arn(participant_id: str, execution_arn: str) -> None:
    client().update_item(
        TableName=table(),
        Key=key(_p(participant_id), "PROFILE"),
        UpdateExpression="SET execution_arn = :arn",
        ExpressionAttributeValues=values(arn=execution_arn),
    )


def set_payout_account(participant_id: str, account: dict, seen: dict, hold_until: datetime | None, actor: str,
                       at: datetime) -> bool:
    """Replaces the payout account the participant had when `seen` (the profile) was read,
    and appends the change to the participant's account history (who, from what, to
    what, and the cooling-off hold), in one transaction. False when the account changed
    meanwhile (nothing written: read again)."""
    previous = seen.get("payout_account")
    expected_at = seen.get("payout_account_updated_at")
    history = {
        "pk": _p(participant_id),
        "sk": f"ACCOUNT#{clock.iso(at)}#{secrets.token_hex(4)}",
        "type": "ACCOUNT_CHANGE",
        "participant_id": participant_id,
        "previous": previous,
        "account": account,
        "changed_by": actor,
        "at": clock.iso(at),
        "hold_until": clock.iso(hold_until) if hold_until else None,
    }
    sets = "payout_account = :acc, payout_account_updated_at = :at, payout_account_changed_by = :actor"
    sets += ", payout_account_hold_until = :hold" if hold_until else ""
    update = {
        "TableName": table(),
        "Key": key(_p(participant_id), "PROFILE"),
        "UpdateExpression": f"SET {sets}" + ("" if hold_until else " REMOVE payout_account_hold_until"),
        # The account we decided about is still the one on file (or there still is none).
        "ConditionExpression": "attribute_exists(pk) AND "
        + ("payout_account_updated_at = :seen" if expected_at else "attribute_not_exists(payout_account_updated_at)"),
        "ExpressionAttributeValues": values(
            acc=account, at=clock.iso(at), actor=actor,
            **({"hold": clock.iso(hold_until)} if hold_until else {}), **({"seen": expected_at} if expected_at else {}),
        ),
    }
    put = {"Put": {"TableName": table(), "Item": to_ddb(history), "ConditionExpression": "attribute_not_exists(pk)"}}
    return _transact([{"Update": update}, put]) is None


def list_account_changes(participant_id: str) -> list[dict]:
    return _query_partition(_p(participant_id), "ACCOUNT#")


def list_wave_participants(wave: int, limit: int = 1000, start: dict | None = None) -> tuple[list[dict], dict | None]:
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "IndexName": schema.GSI2,
        "KeyConditionExpression": f"{schema.GSI2_PK} = :w",
        "ExpressionAttributeValues": values(w=f"WAVE#{wave}"),
        "Limit": limit,
    }
    if start:
        kwargs["ExclusiveStartKey"] = start
    out = client().query(**kwargs)
    return [from_ddb(i) for i in out.get("Items", [])], out.get("LastEvaluatedKey")


# --- purchases ----------------------------------------------------------------------


def get_purchase(participant_id: str, purchase_id: str) -> dict | None:
    return _get(_p(participant_id), f"PURCHASE#{purchase_id}")


def list_purchases(participant_id: str) -> list[dict]:
    return _query_partition(_p(participant_id), "PURCHASE#")


def record_purchase(participant_id: str, purchase: dict, balance_expires_at: str, at: datetime) -> None:
    """Debits the balance and records the purchase in one transaction. The conditions
    repeat the rules so that two concurrent purchases cannot both pass."""
    price = purchase["price_idr"]
    first = "first_purchase_id"
    codes = _transact(
        [
            {
                "Update": {
                    "TableName": table(),
                    "Key": key(_p(participant_id), "PROFILE"),
                    "UpdateExpression": (
                        "SET balance_idr = balance_idr - :price, open_purchase_id = :pid, "
                        f"{first} = if_not_exists({first}, :pid), "
                        f"{schema.GSI1_PK} = :q, {schema.GSI1_SK} = :qsk"
                    ),
                    "ConditionExpression": (
                        "#s = :active AND balance_idr >= :price AND attribute_not_exists(open_purchase_id) "
                        f"AND (attribute_exists({first}) OR purchase_deadline >= :now)"
                    ),
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(
                        price=price,
                        pid=purchase["purchase_id"],
                        active=ACTIVE,
                        now=clock.iso(at),
                        q=queue_key(schema.Q_DEADLINES, participant_id),
                        qsk=f"{balance_expires_at}#{participant_id}",
                    ),
                }
            },
            {"Put": {"TableName": table(), "Item": to_ddb(purchase), "ConditionExpression": "attribute_not_exists(pk)"}},
            _ledger_put(participant_id, f"PURCHASE#{purchase['purchase_id']}", "TRAINING_PURCHASE", -price, at,
                        purchase_id=purchase["purchase_id"], platform_id=purchase["platform_id"]),
        ]
    )
    if codes is None:
        return
    if codes[1] == "ConditionalCheckFailed" or codes[2] == "ConditionalCheckFailed":
        raise errors.DuplicatePurchase(f"purchase {purchase['purchase_id']} is already recorded")
    if codes[0] == "ConditionalCheckFailed":
        raise errors.PreviousTrainingNotFinished(
            "the purchase conflicts with the participant's current state (status, balance, deadline or unfinished training); read it again"
        )
    raise RuntimeError(f"purchase transaction cancelled: {codes}")


def complete_purchase(participant_id: str, purchase_id: str, completion: dict, at: datetime) -> None:
    codes = _transact(
        [
            {
                "Update": {
                    "TableName": table(),
                    "Key": key(_p(participant_id), f"PURCHASE#{purchase_id}"),
                    "UpdateExpression": "SET #s = :completed, completion = :c, completed_at = :at",
                    "ConditionExpression": "#s = :purchased",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(completed="COMPLETED", purchased="PURCHASED", c=completion, at=clock.iso(at)),
                }
            },
            {
                "Update": {
                    "TableName": table(),
                    "Key": key(_p(participant_id), "PROFILE"),
                    "UpdateExpression": "REMOVE open_purchase_id",
                    "ConditionExpression": "open_purchase_id = :pid",
                    "ExpressionAttributeValues": values(pid=purchase_id),
                }
            },
        ]
    )
    if codes is not None:
        raise errors.AlreadyCompleted(f"purchase {purchase_id} is already completed")


def rate_purchase(participant_id: str, purchase_id: str, rating: dict, at: datetime) -> None:
    try:
        client().update_item(
            TableName=table(),
            Key=key(_p(participant_id), f"PURCHASE#{purchase_id}"),
            UpdateExpression="SET rating = :r, rated_at = :at",
            ConditionExpression="#s = :completed AND attribute_not_exists(rating)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(r=rating, at=clock.iso(at), completed="COMPLETED"),
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise errors.AlreadyRated(f"purchase {purchase_id} is already rated") from None
        raise


# --- task tokens and the early-event inbox ------------------------------------------


def put_token(participant_id: str, stage: str, token: str, at: datetime) -> None:
    client().put_item(
        TableName=table(),
        Item=to_ddb({"pk": _p(participant_id), "sk": f"TOKEN#{stage}", "type": "TOKEN", "stage": stage, "token": token, "at": clock.iso(at)}),
    )


def get_token(participant_id: str, stage: str) -> str | None:
    item = _get(_p(participant_id), f"TOKEN#{stage}")
    return item["token"] if item else None


def list_tokens(participant_id: str) -> list[dict]:
    return _query_partition(_p(participant_id), "TOKEN#")


def delete_token_if(participant_id: str, stage: str, token: str) -> None:
    try:
        client().delete_item(
            TableName=table(),
            Key=key(_p(participant_id), f"TOKEN#{stage}"),
            ConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues=values(t=token),
        )
    except ClientError as error:
        if not is_condition_failure(error):
            raise


def inbox_item(participant_id: str, stage: str, event: dict, at: datetime) -> dict:
    return {
        "pk": _p(participant_id),
        "sk": f"INBOX#{stage}",
        "type": "INBOX",
        "stage": stage,
        "event_id": uuid.uuid4().hex,
        "event": event,
        "at": clock.iso(at),
    }


def put_inbox(participant_id: str, stage: str, event: dict, at: datetime, only_if_absent: bool = False) -> None:
    kwargs = {"ConditionExpression": "attribute_not_exists(pk)"} if only_if_absent else {}
    try:
        client().put_item(TableName=table(), Item=to_ddb(inbox_item(participant_id, stage, event, at)), **kwargs)
    except ClientError as error:
        if not is_condition_failure(error):
            raise


def get_inbox(participant_id: str, stage: str) -> dict | None:
    return _get(_p(participant_id), f"INBOX#{stage}")


def claim_inbox(participant_id: str, stage: str, event_id: str) -> bool:
    """Deleting the event is how a deliverer claims it: only one can."""
    try:
        client().delete_item(
            TableName=table(),
            Key=key(_p(participant_id), f"INBOX#{stage}"),
            ConditionExpression="event_id = :e",
            ExpressionAttributeValues=values(e=event_id),
        )
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


# --- participation standing -----------------------------------------------------------


def mark_revoking(participant_id: str, at: datetime) -> bool:
    """The deadline sweep's claim: only a participant who never bought can be revoked."""
    try:
        client().update_item(
            TableName=table(),
            Key=key(_p(participant_id), "PROFILE"),
            UpdateExpression="SET #s = :revoking, revoking_at = :at",
            ConditionExpression="#s = :active AND attribute_not_exists(first_purchase_id) AND purchase_deadline < :at",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(revoking=REVOKING, active=ACTIVE, at=clock.iso(at)),
        )
        return True
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise


def revoke_and_forfeit(participant_id: str, reason: str, at: datetime) -> int:
    """Revokes the participant and books the whole remaining balance as forfeited. Idempotent."""
    profile = require_participant(participant_id)
    if profile["status"] == REVOKED:
        return 0
    balance = profile["balance_idr"]
    codes = _transact(
        [
            {
                "Update": {
                    "TableName": table(),
                    "Key": key(_p(participant_id), "PROFILE"),
                    "UpdateExpression": f"SET #s = :revoked, revoked_at = :at, revocation_reason = :why, balance_idr = :zero, forfeited_idr = :bal REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
                    "ConditionExpression": "#s IN (:active, :revoking) AND balance_idr = :bal",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": values(revoked=REVOKED, active=ACTIVE, revoking=REVOKING, at=clock.iso(at), why=reason, zero=0, bal=balance),
                }
            },
            _ledger_put(participant_id, "FORFEIT", "BALANCE_FORFEITED", -balance, at, reason=reason),
        ]
    )
    if codes is not None:
        if (get_participant(participant_id) or {}).get("status") == REVOKED:
            return 0
        raise RuntimeError(f"revocation transaction cancelled: {codes}")
    return balance


def forfeit_expired_balance(participant_id: str, at: datetime) -> int:
    """Unused training balance returns to the treasury at expiry. Idempotent."""
    profile = require_participant(participant_id)
    balance = profile["balance_idr"]
    items = [
        {
            "Update": {
                "TableName": table(),
                "Key": key(_p(participant_id), "PROFILE"),
                "UpdateExpression": f"SET balance_idr = :zero, forfeited_idr = :bal REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
                "ConditionExpression": "balance_idr = :bal AND attribute_not_exists(open_purchase_id)",
                "ExpressionAttributeValues": values(zero=0, bal=balance),
            }
        }
    ]
    if balance:
        items.append(_ledger_put(participant_id, "FORFEIT", "BALANCE_FORFEITED", -balance, at, reason="balance expired"))
    return 0 if _transact(items) is not None else balance


# --- entitlements -----------------------------------------------------------------------


def _ent_sk(kind: str, sequence: int) -> str:
    return f"ENT#{kind}#{sequence}"


def get_entitlement(participant_id: str, kind: str, sequence: int) -> dict | None:
    return _get(_p(participant_id), _ent_sk(kind, sequence))


def list_entitlements(participant_id: str) -> list[dict]:
    return _query_partition(_p(participant_id), "ENT#")


def grant_incentives(participant_id: str, purchase_id: str, plan: list[inc.PlannedEntitlement], at: datetime) -> bool:
    """Creates the entitlements once. Returns False when they already existed (a retry)."""
    items: list[dict] = [
        {
            "Update": {
                "TableName": table(),
                "Key": key(_p(participant_id), "PROFILE"),
                "UpdateExpression": "SET incentive_purchase_id = :pid, incentive_granted_at = :at",
                "ConditionExpression": "attribute_not_exists(incentive_purchase_id) AND #s = :active",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": values(pid=purchase_id, at=clock.iso(at), active=ACTIVE),
            }
        }
    ]
    for e in plan:
        item = {
            "pk": _p(participant_id),
            "sk": _ent_sk(e.kind, e.sequence),
            "type": "ENTITLEMENT",
            "participant_id": participant_id,
            "kind": e.kind,
            "sequence": e.sequence,
            "amount_idr": e.amount_idr,
            "status": inc.SCHEDULED,
            "idempotency_key": inc.idempotency_key(participant_id, e.kind, e.sequence),
            "created_at": clock.iso(at),
            "attempts": 0,
        }
        if e.due_at is not None:
            item["due_at"] = clock.iso(e.due_at)
            item[schema.GSI1_PK] = queue_key(schema.Q_PAYABLE, participant_id)
            item[schema.GSI1_SK] = f"{item['due_at']}#{participant_id}#{e.kind}#{e.sequence}"
        else:
            item["opens_at"] = clock.iso(e.opens_at)
            item["expires_at"] = clock.iso(e.expires_at)
            item[schema.GSI1_PK] = queue_key(schema.Q_DEADLINES, participant_id)
            item[schema.GSI1_SK] = f"{item['expires_at']}#{participant_id}#{e.kind}#{e.sequence}"
        items.append({"Put": {"TableName": table(), "Item": to_ddb(item), "ConditionExpression": "attribute_not_exists(pk)"}})
    codes = _transact(items)
    if codes is None:
        return True
    profile = get_participant(participant_id) or {}
    if profile.get("incentive_purchase_id"):
        return False
    raise errors.ParticipantNotActive(f"participant is {profile.get('status')}; incentives cannot be granted")


def submit_survey(participant_id: str, sequence: int, answers: dict, at: datetime) -> None:
    """A filled-in survey makes its payment due now (paid by the next payout run)."""
    due = clock.iso(at)
    try:
        client().update_item(
            TableName=table(),
            Key=key(_p(participant_id), _ent_sk(inc.SURVEY, sequence)),
            UpdateExpression=f"SET submitted_at = :at, answers = :ans, due_at = :at, {schema.GSI1_PK} = :q, {schema.GSI1_SK} = :qsk",
            ConditionExpression="#s = :scheduled AND attribute_not_exists(submitted_at)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(
                at=due,
                ans=answers,
                scheduled=inc.SCHEDULED,
                q=queue_key(schema.Q_PAYABLE, participant_id),
                qsk=f"{due}#{participant_id}#{inc.SURVEY}#{sequence}",
            ),
        )
    except ClientError as error:
        if is_condition_failure(error):
            raise errors.SurveyAlreadySubmitted(f"survey {sequence} was already submitted or is closed") from None
        raise


def query_queue(queue: str, shard: int, until: datetime, limit: int, start: dict | None = None) -> tuple[list[dict], dict | None]:
    """Items of one work-queue shard that are due at or before `until`."""
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "IndexName": schema.GSI1,
        "KeyConditionExpression": f"{schema.GSI1_PK} = :q AND {schema.GSI1_SK} <= :until",
        "ExpressionAttributeValues": values(q=f"{queue}#{shard}", until=f"{clock.iso(until)}#~"),
        "Limit": limit,
    }
    if start:
        kwargs["ExclusiveStartKey"] = start
    out = client().query(**kwargs)
    return [from_ddb(i) for i in out.get("Items", [])], out.get("LastEvaluatedKey")


def _entitlement_update(ent: dict, target: str, at: datetime, reclaim: bool = False, **fields: Any) -> tuple[dict, dict]:
    """The guarded update of an entitlement from the status and version we read to
    `target` (None fields are removed). Returns the Update request and the item as it
    will be, so a concurrent or repeated run loses instead of acting twice. `reclaim`:
    the status stays as it is and only the version moves (claim_resend)."""
    if not (reclaim and target == ent["status"]):
        inc.require_transition(ent["status"], target)
    updates = {"status": target, "updated_at": clock.iso(at), "version": ent.get("version", 0) + 1, **fields}
    removes = [k for k, v in updates.items() if v is None]
    sets = {k: v for k, v in updates.items() if v is not None}
    expression = "SET " + ", ".join(f"#{k} = :new_{k}" for k in sets)
    if removes:
        expression += " REMOVE " + ", ".join(f"#{k}" for k in removes)
    request = {
        "TableName": table(),
        "Key": key(ent["pk"], ent["sk"]),
        "UpdateExpression": expression,
        "ConditionExpression": "#status = :expected_status AND (attribute_not_exists(#version) OR #version = :expected_version)",
        "ExpressionAttributeNames": {f"#{k}": k for k in [*sets, *removes]},
        "ExpressionAttributeValues": values(
            **{f"new_{k}": v for k, v in sets.items()}, expected_status=ent["status"], expected_version=ent.get("version", 0)
        ),
    }
    return request, {k: v for k, v in {**ent, **sets}.items() if k not in removes}


def transition_entitlement(ent: dict, target: str, at: datetime, **fields: Any) -> dict | None:
    """Moves an entitlement to `target`; None if someone else moved it first."""
    request, after = _entitlement_update(ent, target, at, **fields)
    try:
        client().update_item(**request)
        return after
    except ClientError as error:
        if is_condition_failure(error):
            return None
        raise


def _cash_update(participant_id: str, expression: str, condition: str | None, **vals: Any) -> dict:
    update = {
        "TableName": table(),
        "Key": key(_p(participant_id), "PROFILE"),
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values(**vals),
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def commit_cash(ent: dict, at: datetime, budget: controls.Budget | None = None, *,
                account_changed_at: str) -> tuple[dict, controls.Budget] | None:
    """DUE -> SENT, the amount reserved under the participant's cash cap and under the
    programme budget, in one transaction: both limits are checked before any money can
    leave, and a crash can never leave a reservation without its SENT entitlement (or
    the reverse). Returns the SENT entitlement and the budget as now known; None if
    someone else moved the entitlement first (or the budget item stayed contended:
    nothing written, the next run tries again). Raises IncentiveCapExceeded, or
    controls.BudgetExhausted (with the budget as read).

    `budget` is the budget as the caller last saw it (a run reads it once); the
    reservation is guarded by that ceiling, so a ceiling changed meanwhile makes us read
    it again and retry, never overspend. `account_changed_at` is the version of the
    payout account the guard cleared (domain/payout_guard.py): the participant must still
    be ACTIVE with that account, or nothing is written (None: the next run looks again)."""
    amount = ent["amount_idr"]
    budget = budget or controls.get_budget()
    request, sent = _entitlement_update(
        ent, inc.SENT, at, sent_at=clock.iso(at), attempts=ent.get("attempts", 0) + 1, failure_code=None, failure_reason=None,
        # Marks that this entitlement holds a budget reservation, so release_cash gives
        # back exactly what was taken (entitlements SENT before the budget existed hold none).
        budget_reserved_idr=amount,
    )
    # DynamoDB conditions have no arithmetic: "committed + amount <= cap" is written
    # as "committed <= cap - amount".
    reserve = _cash_update(ent["participant_id"], "SET cash_committed_idr = cash_committed_idr + :amt",
                           f"cash_committed_idr <= :room AND {_CLEARED}",
                           amt=amount, room=config.CASH_INCENTIVE_CAP_IDR - amount, **_cleared_values(account_changed_at))
    reserve["Update"]["ExpressionAttributeNames"] = {"#s": "status"}
    for _ in range(3):
        codes = _transact([{"Update": request}, reserve, controls.reserve_update(amount, budget)])
        if codes is None:
            return sent, controls.Budget(budget.ceiling_idr, budget.committed_idr + amount, budget.overridden)
        if codes[0] == "ConditionalCheckFailed":
            return None
        if codes[1] == "ConditionalCheckFailed":
            if not _still_cleared(ent["participant_id"], account_changed_at):
                return None  # cancelled, or the account changed, since the guard cleared it
            raise errors.IncentiveCapExceeded(f"paying {ent['idempotency_key']} would exceed the Rp{config.CASH_INCENTIVE_CAP_IDR:,} cap")
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


def claim_resend(ent: dict, at: datetime, account_changed_at: str) -> dict | None:
    """SENT -> SENT again, for a re-send after settlement proved that the provider never
    received the transfer: the claim that makes one worker, and only one, send it again
    (a concurrent run then finds it in flight), with the participant still ACTIVE on the
    account the guard cleared. None if someone else claimed or moved it first, or the
    participant or account changed meanwhile."""
    request, claimed = _entitlement_update(ent, inc.SENT, at, reclaim=True, sent_at=clock.iso(at),
                                           attempts=ent.get("attempts", 0) + 1)
    check = {"ConditionCheck": {
        "TableName": table(),
        "Key": key(_p(ent["participant_id"]), "PROFILE"),
        "ConditionExpression": _CLEARED,
        "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": values(**_cleared_values(account_changed_at)),
    }}
    return claimed if _transact([{"Update": request}, check]) is None else None


# The profile condition of every write that claims a send: still active, same account.
_CLEARED = "#s = :active AND payout_account_updated_at = :account_changed_at"


def _cleared_values(account_changed_at: str) -> dict[str, Any]:
    return {"active": ACTIVE, "account_changed_at": account_changed_at}


def _still_cleared(participant_id: str, account_changed_at: str) -> bool:
    profile = get_participant(participant_id) or {}
    return profile.get("status") == ACTIVE and profile.get("payout_account_updated_at") == account_changed_at


def release_cash(ent: dict, at: datetime, failure_code: str, reason: str) -> dict | None:
    """SENT -> FAILED: the provider refused, or settlement proved that it never received
    the transfer and the guard refuses to send it again. The participant's reservation and
    (if this entitlement holds one) the programme budget reservation are given back, in
    the same transaction. None if someone else moved the entitlement first."""
    reserved = ent.get("budget_reserved_idr")
    request, failed = _entitlement_update(ent, inc.FAILED, at, failure_code=failure_code, failure_reason=reason,
                                          failed_at=clock.iso(at), budget_reserved_idr=None)
    items = [
        {"Update": request},
        _cash_update(ent["participant_id"], "SET cash_committed_idr = cash_committed_idr - :amt", None, amt=ent["amount_idr"]),
    ]
    if reserved:
        items.append(controls.release_update(reserved))
    return failed if _transact(items) is None else None


def mark_paid(ent: dict, transfer_id: str, at: datetime, inbox: tuple[str, dict] | None) -> dict | None:
    """SENT -> PAID, the ledger line and (for a monthly payout) the event for the
    waiting execution, in one transaction. The entitlement stays in its queue until
    the execution has been told (see `dequeue`)."""
    pid = ent["participant_id"]
    request, paid = _entitlement_update(ent, inc.PAID, at, paid_at=clock.iso(at), transfer_id=transfer_id)
    items = [
        {"Update": request},
        _cash_update(pid, "SET cash_paid_idr = cash_paid_idr + :amt", "cash_paid_idr <= :room",
                     amt=ent["amount_idr"], room=config.CASH_INCENTIVE_CAP_IDR - ent["amount_idr"]),
        _ledger_put(pid, f"PAID#{ent['idempotency_key']}", f"{ent['kind']}_PAID", ent["amount_idr"], at,
                    idempotency_key=ent["idempotency_key"], transfer_id=transfer_id, kind=ent["kind"], sequence=ent["sequence"]),
    ]
    if inbox:
        stage, event = inbox
        items.append({"Put": {"TableName": table(), "Item": to_ddb(inbox_item(pid, stage, event, at))}})
    return paid if _transact(items) is None else None


def dequeue(ent: dict) -> None:
    client().update_item(
        TableName=table(),
        Key=key(ent["pk"], ent["sk"]),
        UpdateExpression=f"REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
    )


def list_ledger(participant_id: str) -> list[dict]:
    return _query_partition(_p(participant_id), "LEDGER#")


# --- programme-wide controls and audit -----------------------------------------------------


def get_pause() -> dict | None:
    return _get("PAUSE", "PAUSE")


def audit_sort_key(at: datetime, wall_ns: int | None = None, suffix: str | None = None) -> str:
    """Sort key of an audit entry: `<at, microseconds>#<wall-clock ns>#<random>`.

    `at` comes from the injectable clock, which has 1-second precision (and is simulated
    locally), so two actions in the same second share it. The wall-clock nanoseconds
    order them as they were written (across processes as far as the clocks agree), and
    the random suffix keeps two writers in the same nanosecond apart. Fixed widths, so
    the string order is the time order."""
    moment = at.astimezone(UTC)
    wall = time.time_ns() if wall_ns is None else wall_ns
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z#{wall:020d}#{suffix or secrets.token_hex(4)}"


def audit(actor: str, action: str, reason: str, at: datetime, **details: Any) -> dict:
    """Appends one operator action to the day's audit log. The put never overwrites:
    on the (astronomically unlikely) clash of keys it takes a new key and tries again."""
    for _ in range(3):
        item = {
            "pk": f"AUDIT#{clock.iso(at)[:10]}",
            "sk": audit_sort_key(at),
            "type": "AUDIT",
            "actor": actor,
            "action": action,
            "reason": reason,
            "at": clock.iso(at),
            "details": details,
        }
        try:
            client().put_item(TableName=table(), Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)")
            return item
        except ClientError as error:
            if not is_condition_failure(error):
                raise
    raise RuntimeError("could not find a free audit log key after 3 attempts")
