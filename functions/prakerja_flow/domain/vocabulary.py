"""The one vocabulary of the programme: every status, kind, stage and state name, defined
once. StrEnums compare equal to the strings stored in DynamoDB and sent to Step Functions,
so the stored values are exactly these names."""

from __future__ import annotations

from enum import StrEnum


class ParticipantStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKING = "REVOKING"  # the deadline sweep's claim, until the execution's revocation step ran
    REVOKED = "REVOKED"
    CANCELLED = "CANCELLED"


class WaveStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class PurchaseStatus(StrEnum):
    PURCHASED = "PURCHASED"
    COMPLETED = "COMPLETED"


class EntitlementKind(StrEnum):
    POST_TRAINING = "POST_TRAINING"
    SURVEY = "SURVEY"


class EntitlementStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    DUE = "DUE"
    SENT = "SENT"
    PAID = "PAID"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class TransferStatus(StrEnum):
    """The provider's answer about one transfer (its statement lines carry the same names)."""

    PAID = "PAID"
    REJECTED = "REJECTED"


class ExecutionStatus(StrEnum):
    """Step Functions' names for how an execution stands."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


# An execution that ended in one of these can be redriven (AWS's rule).
REDRIVABLE = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED)


class Stage(StrEnum):
    """What a waiting execution waits for (its TOKEN#/INBOX# items are named after it)."""

    PURCHASE = "PURCHASE"
    COMPLETION = "COMPLETION"
    RATING = "RATING"
    PAYOUT = "PAYOUT"  # PAYOUT#<n>: one wait per monthly payout (executions before ADR 0013)
    SURVEYS = "SURVEYS"  # executions before ADR 0013


class LifecycleState(StrEnum):
    """State names of statemachines/participant_lifecycle.asl.json that the code names
    (tests/unit/test_vocabulary.py checks they are exactly the ASL's states)."""

    REGISTRATION_ACCEPTED = "RegistrationAccepted"
    AWAIT_TRAINING_PURCHASE = "AwaitTrainingPurchase"
    VERIFY_PURCHASE = "VerifyPurchase"
    AWAIT_COMPLETION = "AwaitCompletion"
    VERIFY_COMPLETION = "VerifyCompletion"
    AWAIT_RATING = "AwaitRating"
    CHECK_RATING = "CheckRating"
    GRANT_INCENTIVES = "GrantIncentives"
    INCENTIVES_GRANTED = "IncentivesGranted"
    RATING_WINDOW_CLOSED = "RatingWindowClosed"
    REVOKE_PARTICIPATION = "RevokeParticipation"
    REVOKED = "Revoked"
    PARTICIPATION_CANCELLED = "ParticipationCancelled"


class LegacyLifecycleState(StrEnum):
    """States of the definition before ADR 0013 (the lifecycle waited for every payment),
    in which executions started before it may still wait: AWS runs an execution on the
    definition it started with (tests/support/definitions holds that definition)."""

    AWAIT_PAYOUT = "AwaitPayout"
    MORE_PAYOUTS = "MorePayouts"
    AWAIT_SURVEYS_SETTLED = "AwaitSurveysSettled"
    LIFECYCLE_COMPLETE = "LifecycleComplete"


# The Await state in which an execution waits for each stage.
STATE_OF_STAGE: dict[Stage, str] = {
    Stage.PURCHASE: LifecycleState.AWAIT_TRAINING_PURCHASE,
    Stage.COMPLETION: LifecycleState.AWAIT_COMPLETION,
    Stage.RATING: LifecycleState.AWAIT_RATING,
    Stage.PAYOUT: LegacyLifecycleState.AWAIT_PAYOUT,
    Stage.SURVEYS: LegacyLifecycleState.AWAIT_SURVEYS_SETTLED,
}


def stage_key(stage: str, sequence: int | None = None) -> str:
    """The name of one wait: the stage, with the payout number for PAYOUT (PAYOUT#2)."""
    return f"{stage}#{sequence}" if sequence is not None else str(stage)


def state_of_stage_key(key: str) -> str:
    """The Await state of a stored wait (TOKEN#<stage key>); unknown keys are returned as they are."""
    stage = key.split("#", 1)[0]
    return STATE_OF_STAGE[Stage(stage)] if stage in Stage.__members__ else key
