"""Reconciliation: the provider's statement against our append-only ledger.

For a window [since, until) it takes the provider's statement lines and, for every
participant named in them, that participant's ledger (one Query of the LEDGER# prefix of
P#<id>: no scan), then lets domain/reconciliation.compare decide, in words.

Coverage limit: a ledger line whose participant has no statement line in the window
is only seen when `participant_ids` names it. A full non-scan design needs a per-day
index of PAID ledger lines (docs/decisions/0004-payment-provider.md)."""

from __future__ import annotations

from datetime import datetime

from .. import clock
from ..data import entitlements, ledger
from ..domain import incentives as inc
from ..domain.entities import LedgerLine
from ..domain.reconciliation import (
    MISMATCH_KINDS,
    Mismatch,
    ProviderAnswer,
    ReconciliationReport,
    compare,
    paid_by_key,
    to_ask,
)
from ..payments.provider import PaymentProvider, ProviderUnavailable

__all__ = ["MISMATCH_KINDS", "Mismatch", "ReconciliationReport", "reconcile"]


def reconcile(
    provider: PaymentProvider, since: datetime, until: datetime, participant_ids: tuple[str, ...] = ()
) -> ReconciliationReport:
    lo, hi = clock.iso(since), clock.iso(until)
    lines = provider.statement(lo, hi)
    participants = sorted(
        {line["participant_id"] for line in lines if line.get("participant_id")} | set(participant_ids)
    )
    # Statement lines carry transfer keys (an entitlement's key, or its next one after a
    # rejection, domain/incentives.transfer_key); a ledger line records the one it was paid under.
    booked: dict[str, LedgerLine] = {
        entry.get("transfer_key") or entry["idempotency_key"]: entry
        for pid in participants
        for entry in ledger.lines(pid)
        if str(entry.get("entry", "")).endswith("_PAID") and entry.get("idempotency_key")
    }
    unbooked = [lines_[0] for key, lines_ in paid_by_key(lines).items() if key not in booked]
    awaiting = {line["idempotency_key"] for line in unbooked if _awaiting_settlement(line)}
    answers = {key: _ask(provider, key) for key in to_ask(lines, booked, lo, hi)}
    return compare(lo, hi, lines, booked, len(participants), awaiting, answers)


def _ask(provider: PaymentProvider, key: str) -> ProviderAnswer:
    try:
        known = provider.status(key)
    except ProviderUnavailable:
        return ProviderAnswer(asked=False)
    return ProviderAnswer(True, known.status, known.transfer_id) if known else ProviderAnswer(True)


def _awaiting_settlement(line: dict) -> bool:
    """Paid by the provider, but the answer never reached us yet: the entitlement is SENT
    and the next payout run settles it. Not a mismatch unless it stays that way."""
    try:
        ent = entitlements.get(line["participant_id"], line["kind"], int(line["sequence"]))
    except (KeyError, TypeError, ValueError):
        return False
    return (
        ent is not None and ent.get("status") == inc.SENT and inc.current_transfer_key(ent) == line["idempotency_key"]
    )
