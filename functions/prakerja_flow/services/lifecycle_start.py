"""When a participant's lifecycle execution starts: at the first certificate (ADR 0015).

Until then the table carries the participant (profile, purchase, inbox) and the deadline
sweep the purchase deadline, so the ~2 weeks before a certificate hold no open execution:
one account's 1,000,000 open executions then hold 2020's intake (docs/capacity.md)."""

from __future__ import annotations

from datetime import datetime

from ..data import inbox, workflow
from ..data import participants as profiles
from ..domain import errors, participation
from ..domain.entities import Participant
from ..domain.vocabulary import Stage


def needs_start(profile: Participant | dict) -> bool:
    """Asked once the first purchase has its certificate: an active participant without an
    execution. A profile started at registration (before ADR 0015) keeps its execution_arn,
    and a revoked or cancelled one never gets one."""
    return profile.get("status") == participation.ACTIVE and not profile.get("execution_arn")


def start(profile: Participant | dict) -> str:
    """Starts the lifecycle (named after the participant, so a retry cannot start two). The
    purchase and completion events wait in the inbox: the execution's Await tasks find them
    at once (events.await_with_token) and its Verify tasks re-check what was recorded."""
    arn = workflow.start_lifecycle(
        profile["participant_id"],
        {
            "participant_id": profile["participant_id"],
            "wave": profile["wave"],
            "accepted_at": profile["accepted_at"],
            "purchase_deadline": profile["purchase_deadline"],
        },
    )
    profiles.set_execution_arn(profile["participant_id"], arn)
    return arn


def start_or_queue(profile: Participant | dict, at: datetime) -> str | None:
    """The completion route's start. Refused for now (throttled, or the account at its quota),
    the completion event is queued for the next deadline sweep, which starts the lifecycle
    (services/sweeps.py), and the caller hears 503 LifecycleNotStarted: its retry (the same
    Idempotency-Key) starts it too. Nothing waits on the platform's retry. `profile` is the
    one the caller read after recording the certificate; starting twice is harmless anyway."""
    if not needs_start(profile):
        return profile.get("execution_arn")
    try:
        return start(profile)
    except errors.LifecycleNotStarted:
        inbox.queue_for_sweep(profile["participant_id"], Stage.COMPLETION, at)
        raise
