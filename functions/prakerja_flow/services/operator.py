"""Operator actions behind `prakerja ops`. Every action that changes something is
written to the audit log (AUDIT#<date> items) with who and why, after it took effect."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from ..data import audit, controls, entitlements, inbox, workflow
from ..data import participants as profiles
from ..domain import errors, participation, vocabulary
from ..domain import incentives as inc
from . import events, participants

# The error a cancelled participant's waiting execution is failed with (the ASL catches it
# on every Await state and ends in the state of the same name).
CANCELLED_ERROR = errors.ParticipationCancelled.__name__


class OperatorError(Exception):
    """The action cannot be done; the message says why, in words."""


def change_wave(number: int, action: str, actor: str, reason: str, at: datetime) -> dict:
    return participants.change_wave(number, action, actor, reason, at)  # audits itself


def set_payouts_paused(paused: bool, actor: str, reason: str, at: datetime) -> dict:
    item = controls.set_pause(paused, actor, reason, at)
    audit.append(actor, "payouts.pause" if paused else "payouts.resume", reason, at)
    return item


def retry_entitlement(participant_id: str, kind: str, sequence: int, actor: str, reason: str, at: datetime) -> dict:
    """A FAILED entitlement becomes DUE again, in the payout queue. Nothing is
    paid here: the next payout run checks the account again and either pays it or
    records FAILED with the reason it sees then."""
    ent = entitlements.get(participant_id, kind, sequence)
    if ent is None:
        raise OperatorError(f"participant {participant_id} has no entitlement {kind} {sequence}")
    if ent["status"] != inc.FAILED:
        raise OperatorError(f"{kind} {sequence} is {ent['status']}, not FAILED: nothing to retry")
    updated = entitlements.make_due_now(ent, at)
    if updated is None:
        raise OperatorError(f"{kind} {sequence} changed while retrying; look again")
    audit.append(
        actor,
        "entitlement.retry",
        reason,
        at,
        participant_id=participant_id,
        kind=kind,
        sequence=sequence,
        previous_failure=ent.get("failure_reason"),
    )
    return updated


def cancel_participation(participant_id: str, actor: str, reason: str, at: datetime) -> dict:
    """Profile CANCELLED, every entitlement not yet SENT/PAID CANCELLED, and the waiting
    execution failed with ParticipationCancelled (the ASL catches it on every Await
    state). A SENT transfer is left alone: money may already be on its way."""
    profile = profiles.require(participant_id)
    if profile["status"] != participation.ACTIVE:
        raise OperatorError(f"participant {participant_id} is {profile['status']}, not ACTIVE: nothing to cancel")
    if not profiles.mark_cancelled(participant_id, actor, reason, at):
        raise OperatorError(f"participant {participant_id} changed while cancelling; look again")
    cancelled, left = [], []
    for ent in entitlements.of(participant_id):
        if ent["status"] in (inc.SCHEDULED, inc.DUE, inc.FAILED):
            done = entitlements.transition(ent, inc.CANCELLED, at, cancelled_reason=reason)
            (cancelled if done else left).append(f"{ent['kind']}#{ent['sequence']}")
        elif ent["status"] == inc.SENT:
            left.append(f"{ent['kind']}#{ent['sequence']}")
    stages = [t["stage"] for t in inbox.tokens(participant_id)]
    delivered = [
        s
        for s in stages
        if events.publish_failure(participant_id, s, CANCELLED_ERROR, f"cancelled by {actor}: {reason}", at)
    ]
    audit.append(
        actor,
        "participant.cancel",
        reason,
        at,
        participant_id=participant_id,
        cancelled=cancelled,
        left=left,
        stages=stages,
    )
    return {
        "participant_id": participant_id,
        "cancelled_entitlements": cancelled,
        "not_cancelled": left,
        "waiting_stages": stages,
        "execution_told": bool(delivered),
    }


REDRIVABLE = vocabulary.REDRIVABLE  # kept by name: ops and the local runtime read it here


def redrive_execution(execution_arn: str, actor: str, reason: str, at: datetime) -> dict:
    """Step Functions RedriveExecution: a FAILED (or timed-out, aborted) execution
    restarts from the state that failed, with the same input and the same name."""
    sfn = workflow.client()
    try:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
    except ClientError as error:
        err = error.response.get("Error", {})
        raise OperatorError(f"cannot read {execution_arn}: {err.get('Code')}: {err.get('Message')}") from None
    if status not in REDRIVABLE:
        raise OperatorError(f"execution is {status}, not FAILED: nothing to redrive")
    try:
        out = sfn.redrive_execution(executionArn=execution_arn)
    except NotImplementedError:  # moto in-process
        raise OperatorError(NOT_IMPLEMENTED) from None
    except ClientError as error:
        err = error.response.get("Error", {})
        if "not been implemented" in str(err.get("Message", "")) or err.get("Code") in ("NotImplemented", "500"):
            raise OperatorError(NOT_IMPLEMENTED) from None
        raise OperatorError(f"redrive refused: {err.get('Code')}: {err.get('Message')}") from None
    audit.append(actor, "execution.redrive", reason, at, execution_arn=execution_arn)
    return {"execution_arn": execution_arn, "redrive_date": str(out.get("redriveDate"))}


NOT_IMPLEMENTED = (
    "redrive is not available on this endpoint: it does not implement Step Functions RedriveExecution; nothing changed"
)
