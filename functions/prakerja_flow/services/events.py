"""Delivering outside events to a waiting execution, whichever arrives first.

The execution stores its task token (TOKEN#<stage>); whoever has an event stores it
(INBOX#<stage>). Both sides write first and read second, with strongly consistent
reads, so at least one of them sees the other and delivers. Deleting the inbox
item is the claim that makes delivery happen once; a token that turned out to be
stale gives the event back."""

from __future__ import annotations

from datetime import datetime

from ..data import inbox, workflow
from ..observability import logger

MAX_ATTEMPTS = 3


def publish(participant_id: str, stage: str, event: dict, at: datetime) -> bool:
    """Records the event and hands it to the waiting execution if there is one. Throttled
    by Step Functions, it is not lost and the caller's request still succeeds: the event
    waits in the inbox, queued for the next deadline sweep, which delivers it."""
    inbox.put(participant_id, stage, event, at)
    return _deliver_unless_throttled(participant_id, stage, at)


def publish_failure(participant_id: str, stage: str, error: str, cause: str, at: datetime) -> bool:
    return publish(participant_id, stage, {"error": error, "cause": cause}, at)


def await_with_token(participant_id: str, stage: str, token: str, at: datetime) -> bool:
    """The execution's side: stores its token and takes an event already waiting. Throttled
    handing it over, the task keeps waiting on its token (the event is back in the inbox,
    queued for the next deadline sweep): raising would fail the execution for good, which is
    what a throttled wave of first certificates did in virtual time (simulate --scale)."""
    inbox.put_token(participant_id, stage, token, at)
    return _deliver_unless_throttled(participant_id, stage, at)


def _deliver_unless_throttled(participant_id: str, stage: str, at: datetime) -> bool:
    """deliver(), or, throttled by Step Functions, False with the event back in the inbox
    and queued for the next deadline sweep (deliver puts it back before it raises)."""
    try:
        return deliver(participant_id, stage, at)
    except workflow.Throttled as throttled:
        logger.warning(
            "handing the event over was throttled; the next deadline sweep delivers it",
            extra={"stage": stage, "why": str(throttled)},
        )
        return False


def deliver(participant_id: str, stage: str, at: datetime) -> bool:
    """True if this call handed an event to the waiting execution."""
    for _ in range(MAX_ATTEMPTS):
        token = inbox.get_token(participant_id, stage)
        waiting = inbox.get(participant_id, stage) if token else None
        if not token or not waiting:
            return False
        if not inbox.claim(participant_id, stage, waiting["event_id"]):
            continue
        event = waiting["event"]
        try:
            if "error" in event:
                workflow.send_failure(token, event["error"], event.get("cause", ""))
            else:
                workflow.send_success(token, event)
        except workflow.StaleToken:
            logger.info("stale task token; returning the event to the inbox", extra={"stage": stage})
            inbox.delete_token_if(participant_id, stage, token)
            inbox.put(participant_id, stage, event, at, only_if_absent=True)
            continue
        except Exception:
            # Throttled (or anything else) after the claim: the event goes back to the inbox,
            # or the execution would never hear of it, queued for the deadline sweep in case
            # nobody else delivers it first.
            inbox.put(participant_id, stage, event, at, only_if_absent=True, redeliver=True)
            raise
        inbox.delete_token_if(participant_id, stage, token)
        return True
    return False
