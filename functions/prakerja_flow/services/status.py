"""A participant's standing in words: what an operator or the participant portal shows.
Built from the participant's items only, so it answers the same in AWS and locally."""

from __future__ import annotations

from datetime import datetime

from .. import clock
from ..data import identifiers, keys
from ..data import participants as profiles
from ..domain import diagnosis, participation, status_words
from ..domain import incentives as inc
from . import provider_health


def participant_view(participant_id: str) -> dict:
    items = profiles.items(participant_id)
    profile = next((i for i in items if i["sk"] == keys.PROFILE), None)
    if profile is None:
        profiles.require(participant_id)  # raises ParticipantNotFound
    purchases = sorted((i for i in items if i["sk"].startswith(keys.PURCHASE)), key=lambda p: p["purchased_at"])
    ents = sorted(
        (i for i in items if i["sk"].startswith(keys.ENTITLEMENT)),
        key=lambda e: (e["kind"] != inc.POST_TRAINING, e["sequence"]),
    )
    waiting = sorted(i["stage"] for i in items if i["sk"].startswith(keys.TOKEN))
    before = participation.waiting_before_lifecycle(profile, purchases)
    changes = [i for i in items if i["sk"].startswith(keys.ACCOUNT_CHANGE)]
    now = clock.now()
    return {
        "participant_id": participant_id,
        "nik_masked": identifiers.masked_nik(profile),
        "wave": profile["wave"],
        "status": profile["status"],
        "accepted_at": profile["accepted_at"],
        "purchase_deadline": profile["purchase_deadline"],
        "balance_idr": profile["balance_idr"],
        "cash_paid_idr": profile["cash_paid_idr"],
        "payout_account": _account_view(profile, now),
        "account_changes": [_change_view(c) for c in sorted(changes, key=lambda c: c["sk"])],
        # The stored waits of the execution, or before it starts (ADR 0015) what the profile waits for.
        "waiting_for": waiting or ([str(before[0])] if before else []),
        "waiting_since": before[1] if before else None,
        "execution_arn": profile.get("execution_arn"),
        "purchases": [
            {
                "purchase_id": p["purchase_id"],
                "platform_id": p["platform_id"],
                "training_id": p["training_id"],
                "price_idr": p["price_idr"],
                "status": p["status"],
                "purchased_at": p["purchased_at"],
                "certificate_id": (p.get("completion") or {}).get("certificate_id"),
                "rated": bool(p.get("rating")),
            }
            for p in purchases
        ],
        "entitlements": [
            {
                "kind": e["kind"],
                "sequence": e["sequence"],
                "amount_idr": e["amount_idr"],
                "status": e["status"],
                "label": status_words.label(e["status"]),  # the portal's word, in Bahasa Indonesia
                "status_text": status_words.status(e["status"]).as_dict(),
                "reason": status_words.reason(e["status"], e.get("failure_code")),
                "due_at": e.get("due_at"),
                "opens_at": e.get("opens_at"),
                "expires_at": e.get("expires_at"),
                "paid_at": e.get("paid_at"),
                "failure_code": e.get("failure_code"),
                "failure_reason": e.get("failure_reason"),
                "cancelled_reason": e.get("cancelled_reason"),
                "idempotency_key": e["idempotency_key"],
            }
            for e in ents
        ],
        "diagnosis": diagnosis.diagnose(profile, purchases, ents, now, provider_health.current_problem),
    }


def _masked(account: dict | None) -> str | None:
    return f"{account['channel']} ****{str(account['account_number'])[-4:]}" if account else None


def _account_view(profile: dict, now: datetime) -> dict | None:
    account = profile.get("payout_account")
    if not account:
        return None
    hold = profile.get("payout_account_hold_until")
    return {
        "channel": account["channel"],
        "account_number_masked": "*" * 4 + str(account["account_number"])[-4:],
        "changed_at": profile.get("payout_account_updated_at"),
        # Shown while it lasts: payouts to a changed account wait for it (payout_guard).
        "hold_until": hold if hold and clock.parse(hold) > now else None,
    }


def _change_view(change: dict) -> dict:
    return {
        "at": change["at"],
        "changed_by": change["changed_by"],
        "from": _masked(change.get("previous")),
        "to": _masked(change["account"]),
        "hold_until": change.get("hold_until"),
    }
