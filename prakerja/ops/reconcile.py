"""`ops reconcile` and the console's reconciliation page: the provider's statement (JSON
lines, as the provider sends it; `prakerja simulate --statement FILE` writes one) against
our ledger, by the reconciliation the daily job runs (services/reconciliation.py), plus
the checks that need nothing but the statement (prakerja.statement_check)."""

from __future__ import annotations

import json
from datetime import timedelta

from prakerja_flow import clock
from prakerja_flow.payments.provider import PAID, TransferResult
from prakerja_flow.services import reconciliation

from .. import statement_check
from .aws import OpsUsageError, Target

FIELDS = ("transfer_id", "idempotency_key", "participant_id", "kind", "sequence", "amount_idr", "status", "at")


class StatementFile:
    """A provider answering from its statement only: its lines, and each key's last outcome."""

    def __init__(self, lines: list[dict]):
        self.lines = lines
        self._by_key: dict[str, TransferResult] = {}
        for line in sorted(lines, key=lambda line: line["at"]):
            known = self._by_key.get(line["idempotency_key"])
            if line["status"] == PAID or known is None or known.status != PAID:
                self._by_key[line["idempotency_key"]] = TransferResult(
                    line["status"], line["transfer_id"], line.get("reason")
                )

    def statement(self, since: str, until: str) -> list[dict]:
        """PaymentProvider.statement: the lines with since <= at < until."""
        lo, hi = clock.parse(since), clock.parse(until)
        return [line for line in self.lines if lo <= clock.parse(line["at"]) < hi]

    def status(self, idempotency_key: str) -> TransferResult | None:
        return self._by_key.get(idempotency_key)


def parse_statement(text: str) -> list[dict]:
    """JSON lines with the statement's fields; a bad line is bad usage, named by its number."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError as error:
            raise OpsUsageError(f"statement line {number} is not JSON: {error}") from None
        missing = [f for f in FIELDS if not isinstance(line, dict) or f not in line]
        if missing:
            raise OpsUsageError(f"statement line {number} lacks {', '.join(missing)}")
        try:
            clock.parse(line["at"])
        except (TypeError, ValueError):
            raise OpsUsageError(f"statement line {number}: at {line['at']!r} is not an ISO time") from None
        lines.append(line)
    if not lines:
        raise OpsUsageError("the statement has no lines")
    return lines


def reconcile_report(target: Target, lines: list[dict], since: str | None = None, until: str | None = None) -> dict:
    """The window defaults to the statement's own span: a ledger line booked after the
    statement was written is not a mismatch."""
    times = sorted(clock.parse(line["at"]) for line in lines)
    try:
        start = clock.parse(since) if since else times[0]
        end = clock.parse(until) if until else times[-1] + timedelta(seconds=1)
    except ValueError as error:
        raise OpsUsageError(f"--since/--until: {error}") from None
    report = reconciliation.reconcile(StatementFile(lines), start, end).as_dict()
    report["statement_problems"] = statement_check.statement_problems(lines)
    report["paid_idr"] = sum(int(line["amount_idr"]) for line in lines if line["status"] == PAID)
    report["as_of"] = clock.iso(target.now())
    return report
