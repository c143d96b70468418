"""Reconciliation: the provider's statement against our append-only ledger.

For a window [since, until) it takes the provider's statement lines and, for every
participant named in them, that participant's ledger (one Query of the LEDGER#
prefix of P#<id>: no scan). It reports, in words:

  paid_twice            the provider moved money more than once for one idempotency key
  paid_not_in_ledger    the provider paid, our ledger has no line (and the entitlement is
                        not SENT waiting for settlement: that is `pending`, not a mismatch)
  in_ledger_not_paid    our ledger says paid (in the window), the provider has no such payment
  amount_differs        ledger and provider disagree on the amount
  transfer_id_differs   ledger and provider disagree on the transfer id

Coverage limit: a ledger line whose participant has no statement line in the window
is only seen when `participant_ids` names it. A full non-scan design needs a per-day
index of PAID ledger lines (docs/decisions/0004-payment-provider.md)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from typing import Any

from .. import clock
from ..data import repository as repo
from ..domain import incentives as inc
from ..payments.provider import PAID, ProviderUnavailable

MISMATCH_KINDS = ("paid_twice", "paid_not_in_ledger", "in_ledger_not_paid", "amount_differs", "transfer_id_differs")


@dataclass
class Mismatch:
    kind: str
    idempotency_key: str
    participant_id: str
    detail: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "idempotency_key": self.idempotency_key, "participant_id": self.participant_id, "detail": self.detail}


@dataclass
class ReconciliationReport:
    since: str
    until: str
    statement_lines: int = 0
    provider_paid: int = 0
    participants_checked: int = 0
    ledger_paid_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # paid by the provider, SENT with us: settled by the next payout run

    @property
    def clean(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict:
        return {
            "since": self.since, "until": self.until, "statement_lines": self.statement_lines,
            "provider_paid": self.provider_paid, "participants_checked": self.participants_checked,
            "ledger_paid_checked": self.ledger_paid_checked, "mismatches": [m.as_dict() for m in self.mismatches],
            "pending": list(self.pending), "clean": self.clean,
        }


def provider_statement(provider: Any, since: datetime, until: datetime) -> list[dict]:
    """The provider's own lines with since <= at < until: `statement(since, until)` when the
    adapter has it (HTTP), else the fake's `statement_lines()` filtered by time."""
    lo, hi = clock.iso(since), clock.iso(until)
    raw = getattr(provider, "statement", None)
    if isinstance(raw, list) and all(is_dataclass(line) and hasattr(line, "at") for line in raw[:1]):
        # The local fake keeps its statement as a list of dataclass lines. Copying all of
        # it (`statement_lines()`, one dataclasses.asdict per line) on every daily run made
        # reconciliation O(whole statement) per day; filter first, copy the window only.
        return [asdict(line) for line in list(raw) if lo <= line.at < hi]
    if hasattr(provider, "statement"):
        method = provider.statement
        if callable(method):
            return list(method(lo, hi))
    if hasattr(provider, "statement_lines"):
        return [line for line in provider.statement_lines() if lo <= line["at"] < hi]
    raise TypeError(f"{type(provider).__name__} offers no statement to reconcile against")


def reconcile(provider: Any, since: datetime, until: datetime, participant_ids: tuple[str, ...] = ()) -> ReconciliationReport:
    report = ReconciliationReport(clock.iso(since), clock.iso(until))
    lines = provider_statement(provider, since, until)
    report.statement_lines = len(lines)
    paid_by_key: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        if line.get("status") == PAID:
            paid_by_key[line["idempotency_key"]].append(line)
    report.provider_paid = sum(len(v) for v in paid_by_key.values())

    participants = sorted({line["participant_id"] for line in lines if line.get("participant_id")} | set(participant_ids))
    report.participants_checked = len(participants)
    ledger: dict[str, dict] = {}
    ledger_owner: dict[str, str] = {}
    for pid in participants:
        for entry in repo.list_ledger(pid):  # Query P#<pid> begins_with LEDGER#
            if str(entry.get("entry", "")).endswith("_PAID") and entry.get("idempotency_key"):
                ledger[entry["idempotency_key"]] = entry
                ledger_owner[entry["idempotency_key"]] = pid

    def add(kind: str, key: str, pid: str, detail: str) -> None:
        report.mismatches.append(Mismatch(kind, key, pid, detail))

    # Provider side: every payment it made must be in our ledger, once, for the same amount.
    for key_, paid in sorted(paid_by_key.items()):
        first = paid[0]
        pid = first.get("participant_id", "")
        if len(paid) > 1:
            ids = ", ".join(p["transfer_id"] for p in paid)
            add("paid_twice", key_, pid, f"the provider paid {key_} {len(paid)} times (transfers {ids}), "
                f"Rp{sum(int(p['amount_idr']) for p in paid):,} in total")
        entry = ledger.get(key_)
        if entry is None:
            if _awaiting_settlement(first):
                report.pending.append(key_)
                continue
            add("paid_not_in_ledger", key_, pid, f"the provider paid Rp{int(first['amount_idr']):,} "
                f"(transfer {first['transfer_id']} at {first['at']}) but our ledger has no payment for {key_}")
            continue
        if int(entry["amount_idr"]) != int(first["amount_idr"]):
            add("amount_differs", key_, pid, f"our ledger says Rp{int(entry['amount_idr']):,} for {key_}, "
                f"the provider paid Rp{int(first['amount_idr']):,}")
        if entry.get("transfer_id") and entry["transfer_id"] not in {p["transfer_id"] for p in paid}:
            add("transfer_id_differs", key_, pid, f"our ledger records transfer {entry['transfer_id']} for {key_}, "
                f"the provider's is {first['transfer_id']}")

    # Ledger side: every payment we booked in the window must be one the provider made.
    lo, hi = report.since, report.until
    for key_, entry in sorted(ledger.items()):
        if key_ in paid_by_key or not (lo <= entry.get("at", "") < hi):
            continue
        report.ledger_paid_checked += 1
        # Booked in the window but not in the window's statement: the provider may have
        # paid it just before `since` (we book after settling). Ask about this one key.
        try:
            known = provider.status(key_)
        except ProviderUnavailable:
            known = None
            why = "the provider could not be asked"
        else:
            why = "the provider has no record of it" if known is None else f"the provider says {known.status}"
        if known is not None and known.status == PAID and known.transfer_id == entry.get("transfer_id"):
            continue
        add("in_ledger_not_paid", key_, ledger_owner[key_], f"our ledger says Rp{int(entry['amount_idr']):,} was paid for "
            f"{key_} (transfer {entry.get('transfer_id')} at {entry.get('at')}) but {why}")
    report.ledger_paid_checked += sum(1 for k in paid_by_key if k in ledger)
    return report


def _awaiting_settlement(line: dict) -> bool:
    """Paid by the provider, but the answer never reached us yet: the entitlement is SENT
    and the next payout run settles it. Not a mismatch unless it stays that way."""
    try:
        sequence = int(line["sequence"])
        ent = repo.get_entitlement(line["participant_id"], line["kind"], sequence)
    except (KeyError, TypeError, ValueError):
        return False
    return ent is not None and ent.get("status") == inc.SENT and ent.get("idempotency_key") == line["idempotency_key"]
