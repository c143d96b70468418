"""The scheduled deadline sweep: purchase deadlines, rating windows, survey windows, balance expiry."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from .. import clock, config
from ..data import entitlements, inbox, keys, purchases, rating_window, schema, workflow
from ..data import participants as profiles
from ..domain import errors, participation
from ..domain import incentives as inc
from ..domain import rating as rating_rules
from . import events, lifecycle, lifecycle_start
from .payouts import settle_surveys_if_done
from .training import COMPLETION, PURCHASE, RATING


def sweep(now: datetime, batch_size: int = config.PAYOUT_RUN_BATCH_SIZE) -> dict:
    outcomes: Counter = Counter()
    for shard in range(keys.shard_count(schema.Q_DEADLINES)):
        start = None
        while True:
            batch, start = entitlements.queue_page(schema.Q_DEADLINES, shard, now, batch_size, start)
            for item in batch:
                outcomes[_handle(item, now)] += 1
            if not start:
                break
    return {"as_of": clock.iso(now), "outcomes": dict(outcomes)}


def _handle(item: dict, now: datetime) -> str:
    if item["type"] == "INBOX":
        return _redeliver(item, now)
    if item["type"] == "ENTITLEMENT":
        return _survey_window(item, now)
    if item["type"] == "RATING_WINDOW":
        return _rating_window(item, now)
    if item.get("first_purchase_id"):
        return _balance_expiry(item, now)
    return _purchase_deadline(item, now)


def _redeliver(item: dict, now: datetime) -> str:
    """An event whose hand-over Step Functions throttled (events.deliver): deliver it now. If
    no execution waits for it, it stays in the inbox, out of this queue: the execution
    delivers it to itself when it arrives (events.await_with_token). A first certificate
    whose lifecycle could not start (lifecycle_start.start_or_queue) starts it here."""
    pid, stage = item["participant_id"], item["stage"]
    try:
        if events.deliver(pid, stage, now):
            return "redelivered"
        profile = profiles.require(pid) if stage == COMPLETION else None
        if profile is not None and lifecycle_start.needs_start(profile):
            lifecycle_start.start(profile)
            outcome = "lifecycle_started"
        else:
            outcome = "left_for_the_execution"
    except workflow.Throttled:
        return "redelivery_throttled"  # queued again by deliver: the next sweep tries again
    except errors.LifecycleNotStarted:
        return "lifecycle_start_refused"  # still queued: the next sweep tries again
    inbox.leave_redelivery(pid, stage, item["event_id"])
    return outcome


def _purchase_deadline(profile: dict, now: datetime) -> str:
    pid = profile["participant_id"]
    if profile["status"] == participation.ACTIVE and not profiles.mark_revoking(pid, now):
        return "purchased_in_time"
    if not profile.get("execution_arn"):
        # No execution before the first certificate (ADR 0015): the sweep revokes. A crash
        # here leaves the profile REVOKING and queued, and the next sweep finishes it.
        lifecycle.revoke(pid, lifecycle.NO_PURCHASE_REASON, now)
        return "revoked"
    # Started at registration (before ADR 0015): REVOKING stays queued until the execution's
    # revocation step has run, so a crash here is repaired by the next sweep.
    deadline = profile["purchase_deadline"]
    events.publish_failure(
        pid, PURCHASE, errors.PurchaseDeadlineExpired.__name__, f"no training bought by {deadline}", now
    )
    return "revoked"


def _rating_window(item: dict, now: datetime) -> str:
    """No training rated by the window's end: no incentive, and the execution waiting in
    AwaitRating ends (RatingWindowClosed) instead of holding an open execution for months."""
    pid = item["participant_id"]
    profile = profiles.get(pid) or {}
    outcome = "rated_in_time"
    if profile.get("status") != participation.ACTIVE:
        outcome = "not_active"  # revoked or cancelled: its execution ended another way
    elif not profile.get("incentive_purchase_id"):
        closed = rating_window.close(pid, purchases.of(pid), now)
        if closed == rating_window.CONTENDED:
            return "raced"  # stays queued: the next sweep looks again
        if closed == rating_window.CLOSED:
            message = rating_rules.window_closed_message(clock.iso(now))
            events.publish_failure(pid, RATING, errors.RatingWindowClosed.__name__, message, now)
            outcome = "rating_window_closed"
    rating_window.dequeue(item)
    return outcome


def _survey_window(ent: dict, now: datetime) -> str:
    if ent["status"] == inc.SCHEDULED and not ent.get("submitted_at"):
        if entitlements.transition(ent, inc.EXPIRED, now, expired_at=clock.iso(now)) is None:
            return "raced"
    settle_surveys_if_done(ent, now)
    entitlements.dequeue(ent)
    return "survey_expired"


def _balance_expiry(profile: dict, now: datetime) -> str:
    forfeited = profiles.forfeit_expired_balance(profile["participant_id"], now)
    return "balance_forfeited" if forfeited else "balance_empty"
