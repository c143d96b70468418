"""Reconciliation as a decision: the provider's statement of a window against our
ledger's payments, with what the provider answered about the keys we booked but it did
not list. Pure: services/reconciliation.py reads the inputs.

  paid_twice            the provider moved money more than once for one idempotency key
  paid_not_in_ledger    the provider paid, our ledger has no line (and the entitlement is
                        not SENT waiting for settlement: that is `pending`, not a mismatch)
  in_ledger_not_paid    our ledger says paid (in the window), the provider has no such payment
  amount_differs        ledger and provider disagree on the amount
  transfer_id_differs   ledger and provider disagree on the transfer id"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .entities import LedgerLine
from .vocabulary import TransferStatus

PAID = TransferStatus.PAID
MISMATCH_KINDS = ("paid_twice", "paid_not_in_ledger", "in_ledger_not_paid", "amount_differs", "transfer_id_differs")


@dataclass
class Mismatch:
    kind: str
    idempotency_key: str
    participant_id: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "idempotency_key": self.idempotency_key,
            "participant_id": self.participant_id,
            "detail": self.detail,
        }


@dataclass
class ReconciliationReport:
    since: str
    until: str
    statement_lines: int = 0
    provider_paid: int = 0
    participants_checked: int = 0
    ledger_paid_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    pending: list[str] = field(
        default_factory=list
    )  # paid by the provider, SENT with us: settled by the next payout run

    @property
    def clean(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "statement_lines": self.statement_lines,
            "provider_paid": self.provider_paid,
            "participants_checked": self.participants_checked,
            "ledger_paid_checked": self.ledger_paid_checked,
            "mismatches": [m.as_dict() for m in self.mismatches],
            "pending": list(self.pending),
            "clean": self.clean,
        }


@dataclass(frozen=True)
class ProviderAnswer:
    """What the provider said when asked about one key (None fields: it could not be asked)."""

    asked: bool
    status: str | None = None
    transfer_id: str | None = None


def paid_by_key(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if line.get("status") == PAID:
            found[line["idempotency_key"]].append(line)
    return found


def compare(
    since: str,
    until: str,
    lines: list[dict[str, Any]],
    booked: Mapping[str, LedgerLine],
    participants_checked: int,
    awaiting_settlement: set[str],
    answers: Mapping[str, ProviderAnswer],
) -> ReconciliationReport:
    """`booked`: our ledger's payment lines by key, for the participants in the statement
    (and any named); `awaiting_settlement`: keys the provider paid that are SENT with us;
    `answers`: the provider's answer for each key booked in the window but not in it."""
    report = ReconciliationReport(since, until, statement_lines=len(lines), participants_checked=participants_checked)
    paid = paid_by_key(lines)
    report.provider_paid = sum(len(v) for v in paid.values())

    def add(kind: str, key: str, pid: str, detail: str) -> None:
        report.mismatches.append(Mismatch(kind, key, pid, detail))

    # Provider side: every payment it made must be in our ledger, once, for the same amount.
    for key, made in sorted(paid.items()):
        first = made[0]
        pid = first.get("participant_id", "")
        if len(made) > 1:
            ids = ", ".join(p["transfer_id"] for p in made)
            add(
                "paid_twice",
                key,
                pid,
                f"the provider paid {key} {len(made)} times (transfers {ids}), "
                f"Rp{sum(int(p['amount_idr']) for p in made):,} in total",
            )
        entry = booked.get(key)
        if entry is None:
            if key in awaiting_settlement:
                report.pending.append(key)
                continue
            add(
                "paid_not_in_ledger",
                key,
                pid,
                f"the provider paid Rp{int(first['amount_idr']):,} "
                f"(transfer {first['transfer_id']} at {first['at']}) but our ledger has no payment for {key}",
            )
            continue
        if int(entry["amount_idr"]) != int(first["amount_idr"]):
            add(
                "amount_differs",
                key,
                pid,
                f"our ledger says Rp{int(entry['amount_idr']):,} for {key}, "
                f"the provider paid Rp{int(first['amount_idr']):,}",
            )
        if entry.get("transfer_id") and entry["transfer_id"] not in {p["transfer_id"] for p in made}:
            add(
                "transfer_id_differs",
                key,
                pid,
                f"our ledger records transfer {entry['transfer_id']} for {key}, "
                f"the provider's is {first['transfer_id']}",
            )

    # Ledger side: every payment we booked in the window must be one the provider made.
    for key, entry in sorted(booked.items()):
        if key in paid or not (since <= entry.get("at", "") < until):
            continue
        report.ledger_paid_checked += 1
        answer = answers.get(key, ProviderAnswer(asked=False))
        if answer.status == PAID and answer.transfer_id == entry.get("transfer_id"):
            continue  # paid just before the window (we book after settling)
        why = (
            "the provider could not be asked"
            if not answer.asked
            else "the provider has no record of it"
            if answer.status is None
            else f"the provider says {answer.status}"
        )
        add(
            "in_ledger_not_paid",
            key,
            entry["participant_id"],
            f"our ledger says Rp{int(entry['amount_idr']):,} was paid for "
            f"{key} (transfer {entry.get('transfer_id')} at {entry.get('at')}) but {why}",
        )
    report.ledger_paid_checked += sum(1 for k in paid if k in booked)
    return report


def to_ask(lines: list[dict[str, Any]], booked: Mapping[str, LedgerLine], since: str, until: str) -> list[str]:
    """Keys booked in the window that the window's statement does not list: the provider is
    asked about each (it may have paid just before `since`)."""
    listed = paid_by_key(lines)
    return [key for key, entry in sorted(booked.items()) if key not in listed and since <= entry.get("at", "") < until]
