"""The scheduled deadline sweep: purchase deadlines, survey windows, balance expiry."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from .. import clock, config
from ..data import entitlements, schema
from ..data import participants as profiles
from ..domain import errors, participation
from ..domain import incentives as inc
from . import events
from .payouts import settle_surveys_if_done
from .training import PURCHASE


def sweep(now: datetime, batch_size: int = config.PAYOUT_RUN_BATCH_SIZE) -> dict:
    outcomes: Counter = Counter()
    for shard in range(config.QUEUE_SHARDS):
        start = None
        while True:
            batch, start = entitlements.queue_page(schema.Q_DEADLINES, shard, now, batch_size, start)
            for item in batch:
                outcomes[_handle(item, now)] += 1
            if not start:
                break
    return {"as_of": clock.iso(now), "outcomes": dict(outcomes)}


def _handle(item: dict, now: datetime) -> str:
    if item["type"] == "ENTITLEMENT":
        return _survey_window(item, now)
    if item.get("first_purchase_id"):
        return _balance_expiry(item, now)
    return _purchase_deadline(item, now)


def _purchase_deadline(profile: dict, now: datetime) -> str:
    pid = profile["participant_id"]
    if profile["status"] == participation.ACTIVE and not profiles.mark_revoking(pid, now):
        return "purchased_in_time"
    # REVOKING stays queued until the execution's revocation step has run, so a crash
    # here is repaired by the next sweep.
    deadline = profile["purchase_deadline"]
    events.publish_failure(
        pid, PURCHASE, errors.PurchaseDeadlineExpired.__name__, f"no training bought by {deadline}", now
    )
    return "revoked"


def _survey_window(ent: dict, now: datetime) -> str:
    if ent["status"] == inc.SCHEDULED and not ent.get("submitted_at"):
        if entitlements.transition(ent, inc.EXPIRED, now, expired_at=clock.iso(now)) is None:
            return "raced"
    settle_surveys_if_done(ent["participant_id"], now)
    entitlements.dequeue(ent)
    return "survey_expired"


def _balance_expiry(profile: dict, now: datetime) -> str:
    forfeited = profiles.forfeit_expired_balance(profile["participant_id"], now)
    return "balance_forfeited" if forfeited else "balance_empty"
