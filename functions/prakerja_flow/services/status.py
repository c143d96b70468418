"""A participant's standing in words: what an operator or the participant portal shows.
Built from the participant's items only, so it answers the same in AWS and locally."""

from __future__ import annotations

from datetime import datetime

from .. import clock
from ..data import repository as repo
from ..domain import incentives as inc
from ..domain.nik import mask_nik
from . import provider_health

LABELS = {  # what participants saw on the portal
    inc.SCHEDULED: "Menunggu Diproses",
    inc.DUE: "Menunggu Diproses",
    inc.SENT: "Sedang Diproses",
    inc.PAID: "Berhasil",
    inc.FAILED: "GAGAL",
    inc.CANCELLED: "Dibatalkan",
    inc.EXPIRED: "Kedaluwarsa",
}


def participant_view(participant_id: str) -> dict:
    items = repo.participant_items(participant_id)
    profile = next((i for i in items if i["sk"] == "PROFILE"), None)
    if profile is None:
        repo.require_participant(participant_id)  # raises ParticipantNotFound
    purchases = sorted((i for i in items if i["sk"].startswith("PURCHASE#")), key=lambda p: p["purchased_at"])
    ents = sorted((i for i in items if i["sk"].startswith("ENT#")), key=lambda e: (e["kind"] != inc.POST_TRAINING, e["sequence"]))
    waiting = sorted(i["stage"] for i in items if i["sk"].startswith("TOKEN#"))
    changes = [i for i in items if i["sk"].startswith("ACCOUNT#")]
    now = clock.now()
    return {
        "participant_id": participant_id,
        "nik_masked": mask_nik(profile["nik"]),
        "wave": profile["wave"],
        "status": profile["status"],
        "accepted_at": profile["accepted_at"],
        "purchase_deadline": profile["purchase_deadline"],
        "balance_idr": profile["balance_idr"],
        "cash_paid_idr": profile["cash_paid_idr"],
        "payout_account": _account_view(profile, now),
        "account_changes": [_change_view(c) for c in sorted(changes, key=lambda c: c["sk"])],
        "waiting_for": waiting,
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
                "label": LABELS[e["status"]],
                "due_at": e.get("due_at"),
                "opens_at": e.get("opens_at"),
                "expires_at": e.get("expires_at"),
                "paid_at": e.get("paid_at"),
                "failure_code": e.get("failure_code"),
                "failure_reason": e.get("failure_reason"),
                "idempotency_key": e["idempotency_key"],
            }
            for e in ents
        ],
        "diagnosis": diagnose(profile, purchases, ents, waiting, now),
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
    return {"at": change["at"], "changed_by": change["changed_by"], "from": _masked(change.get("previous")),
            "to": _masked(change["account"]), "hold_until": change.get("hold_until")}


def _days_since(iso_time: str, now: datetime) -> int:
    return max(0, (now - clock.parse(iso_time)).days)


def diagnose(profile: dict, purchases: list[dict], ents: list[dict], waiting: list[str], now: datetime) -> str:
    """One line in plain words: where this participant is and why money has not arrived."""
    status = profile["status"]
    if status == repo.REVOKED:
        return f"revoked: {profile.get('revocation_reason', 'participation revoked')}; balance forfeited"
    if status in (repo.REVOKING, repo.CANCELLED):
        return f"participation {status.lower()}"
    failed = [e for e in ents if e["status"] == inc.FAILED]
    if failed:
        e = failed[0]
        return (f"{_ent_name(e)} failed: {e['failure_reason']}; will retry at the next payout run once fixed "
                f"(failed {_days_since(e.get('failed_at') or e['updated_at'], now)} days ago)")
    if not purchases:
        return f"waiting for the first training purchase; deadline {profile['purchase_deadline'][:10]}"
    first = purchases[0]
    if not profile.get("incentive_purchase_id"):
        unrated = [p for p in purchases if p["status"] == "COMPLETED" and not p.get("rating")]
        if first["status"] == "PURCHASED":
            return f"waiting for completion of training {first['training_id']} since {_days_since(first['purchased_at'], now)} days"
        if unrated:
            p = unrated[0]
            return f"waiting for rating of training {p['training_id']} since {_days_since(p['completed_at'], now)} days"
        return "rating received; incentive being granted"
    hold = profile.get("payout_account_hold_until")
    waiting_payment = [e for e in ents if e["status"] in (inc.SCHEDULED, inc.DUE, inc.SENT) and e.get("due_at")]
    if hold and now < clock.parse(hold) and waiting_payment:
        e = min(waiting_payment, key=lambda x: x["due_at"])
        return (f"{_ent_name(e)} held: the payout account was changed on {profile['payout_account_updated_at'][:10]}; "
                f"payouts to it start on {hold[:10]} (cooling-off after an account change)")
    sent = [e for e in ents if e["status"] == inc.SENT]
    if sent:
        return f"{_ent_name(sent[0])} sent to the payment provider; outcome pending"
    upcoming = [e for e in ents if e["status"] in (inc.SCHEDULED, inc.DUE) and e.get("due_at")]
    if upcoming:
        e = min(upcoming, key=lambda x: x["due_at"])
        held = clock.parse(e["due_at"]) <= now and provider_health.current_problem()
        if held:  # our configuration, never the participant's account: say so (details stay with operators)
            return (f"{_ent_name(e)} of Rp{e['amount_idr']:,} due on {e['due_at'][:10]} is held: payment provider "
                    f"misconfigured since {held['at'][:10]}; nothing for the participant to fix, operators are alerted")
        return f"{_ent_name(e)} of Rp{e['amount_idr']:,} is due on {e['due_at'][:10]}"
    open_surveys = [e for e in ents if e["kind"] == inc.SURVEY and e["status"] == inc.SCHEDULED]
    if open_surveys:
        e = open_surveys[0]
        return f"waiting for survey {e['sequence']} (open {e['opens_at'][:10]} to {e['expires_at'][:10]})"
    if ents and all(e["status"] in inc.TERMINAL for e in ents):
        return f"complete: Rp{profile['cash_paid_idr']:,} paid"
    return "in progress"


def _ent_name(e: dict) -> str:
    return f"payout {e['sequence']}" if e["kind"] == inc.POST_TRAINING else f"survey payment {e['sequence']}"
