"""Why a participant is where they are, in one line of plain words: the decision behind the
status view, `ops participant` and the console. Pure: the caller loads the items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .. import clock, config
from . import incentives as inc
from . import participation, rating
from .vocabulary import PurchaseStatus


def _days_since(iso_time: str, now: datetime) -> int:
    return max(0, (now - clock.parse(iso_time)).days)


def diagnose(
    profile: Mapping[str, Any],
    purchases: list[Mapping[str, Any]],
    ents: list[Mapping[str, Any]],
    now: datetime,
    provider_problem: Callable[[], Mapping[str, Any] | None] = lambda: None,
) -> str:
    """One line in plain words: where this participant is and why money has not arrived.
    purchases oldest first, entitlements payouts first; provider_problem is asked only when a
    payment is due (it is a read)."""
    status = profile["status"]
    if status == participation.REVOKED:
        return f"revoked: {profile.get('revocation_reason', 'participation revoked')}; balance forfeited"
    if status in (participation.REVOKING, participation.CANCELLED):
        return f"participation {status.lower()}"
    failed = [e for e in ents if e["status"] == inc.FAILED]
    if failed:
        return _failed_line(failed[0], now)
    if not purchases:
        return f"waiting for the first training purchase; deadline {profile['purchase_deadline'][:10]}"
    first = purchases[0]
    if not profile.get("incentive_purchase_id") and profile.get("rating_window_closed_at"):
        return f"no incentive: {rating.window_closed_message(profile['rating_window_closed_at'])}"
    if not profile.get("incentive_purchase_id"):
        unrated = [p for p in purchases if p["status"] == PurchaseStatus.COMPLETED and not p.get("rating")]
        if first["status"] == PurchaseStatus.PURCHASED:
            return (
                f"waiting for completion of training {first['training_id']} "
                f"since {_days_since(first['purchased_at'], now)} days"
            )
        if unrated:
            p = unrated[0]
            closes = rating.window_closes(clock.parse(first["completed_at"]))
            return (
                f"waiting for rating of training {p['training_id']} since {_days_since(p['completed_at'], now)} days "
                f"(no rating, no incentive: rate it by {closes.date().isoformat()})"
            )
        return "rating received; incentive being granted"
    hold = profile.get("payout_account_hold_until")
    waiting_payment = [e for e in ents if e["status"] in (inc.SCHEDULED, inc.DUE, inc.SENT) and e.get("due_at")]
    if hold and now < clock.parse(hold) and waiting_payment:
        e = min(waiting_payment, key=lambda x: x["due_at"])
        return (
            f"{_ent_name(e)} held: the payout account was changed on {profile['payout_account_updated_at'][:10]}; "
            f"payouts to it start on {hold[:10]} (cooling-off after an account change)"
        )
    sent = [e for e in ents if e["status"] == inc.SENT]
    if sent:
        return f"{_ent_name(sent[0])} sent to the payment provider; outcome pending"
    upcoming = [e for e in ents if e["status"] in (inc.SCHEDULED, inc.DUE) and e.get("due_at")]
    if upcoming:
        e = min(upcoming, key=lambda x: x["due_at"])
        held = clock.parse(e["due_at"]) <= now and provider_problem()
        if held:  # our configuration, never the participant's account: say so (details stay with operators)
            return (
                f"{_ent_name(e)} of Rp{e['amount_idr']:,} due on {e['due_at'][:10]} is held: payment provider "
                f"misconfigured since {held['at'][:10]}; nothing for the participant to fix, operators are alerted"
            )
        return f"{_ent_name(e)} of Rp{e['amount_idr']:,} is due on {e['due_at'][:10]}"
    open_surveys = [e for e in ents if e["kind"] == inc.SURVEY and e["status"] == inc.SCHEDULED]
    if open_surveys:
        return _survey_line(open_surveys[0])
    if ents and all(e["status"] in inc.TERMINAL for e in ents):
        return f"complete: Rp{profile['cash_paid_idr']:,} paid"
    return "in progress"


def _failed_line(e: Mapping[str, Any], now: datetime) -> str:
    # A rejection that is retried by itself (provider_rejections) says when in its reason.
    then = "" if e.get("retry_after") else "; will retry at the next payout run once fixed"
    days = _days_since(e.get("failed_at") or e["updated_at"], now)
    return f"{_ent_name(e)} failed: {e['failure_reason']}{then} (failed {days} days ago)"


def _survey_line(e: Mapping[str, Any]) -> str:
    if not e.get("opens_at"):  # no monthly payout paid yet (ADR 0016): nothing is lost meanwhile
        days = config.SURVEY_OPENS_AFTER_FIRST_PAYOUT[0].days
        return f"surveys wait for the first payout to be paid; survey 1 opens {days} days after it"
    return f"waiting for survey {e['sequence']} (open {e['opens_at'][:10]} to {e['expires_at'][:10]})"


def _ent_name(e: Mapping[str, Any]) -> str:
    return f"payout {e['sequence']}" if e["kind"] == inc.POST_TRAINING else f"survey payment {e['sequence']}"
