"""An independent check of a payment provider statement (JSON lines): it trusts
nothing but the statement (and, if given, the summary it is compared with).

    python -m prakerja.statement_check STATEMENT.jsonl [--summary SUMMARY.json]

A line is one transfer attempt: transfer_id, idempotency_key, participant_id, kind,
sequence, amount_idr, status (PAID, REJECTED, DUPLICATE, UNAVAILABLE), at. Exit status:
0 no problem, 1 problems (one per line on stdout), 2 bad usage or an unreadable file."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from prakerja_flow import config
from prakerja_flow.domain import incentives as inc

PAID, REJECTED, DUPLICATE, UNAVAILABLE = "PAID", "REJECTED", "DUPLICATE", "UNAVAILABLE"
# What each kind of payment is: its amount and how many a participant can ever get.
KINDS = inc.PACKAGE  # kind -> (amount of one payment, how many)


def statement_problems(lines: list[dict]) -> list[str]:
    paid = [line for line in lines if line["status"] == PAID]
    return [
        *_paid_twice(paid),
        *_amounts_and_counts(paid),
        *_over_the_cap(paid),
        *_surveys_before_the_first_payout(paid),
        *_sent_again_after_acceptance(lines),
    ]


def _paid_twice(paid: list[dict]) -> list[str]:
    # Per entitlement: under its first transfer key or a later one (after a rejection).
    per_key = Counter(inc.entitlement_key(line["idempotency_key"]) for line in paid)
    return [f"idempotency key {key} paid {n} times" for key, n in per_key.items() if n > 1]


def _amounts_and_counts(paid: list[dict]) -> list[str]:
    problems: list[str] = []
    per_participant_kind: Counter = Counter()
    for line in paid:
        kind, amount, sequence = line.get("kind"), line["amount_idr"], line.get("sequence")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            problems.append(f"transfer {line['transfer_id']} has a non-integer or non-positive amount")
            continue
        if kind not in KINDS:
            problems.append(f"transfer {line['transfer_id']} pays an unknown kind {kind!r}")
            continue
        expected, count = KINDS[kind]
        if amount != expected:
            problems.append(f"transfer {line['transfer_id']} pays Rp{amount:,} for {kind}, not Rp{expected:,}")
        if not isinstance(sequence, int) or not 1 <= sequence <= count:
            problems.append(f"transfer {line['transfer_id']} pays {kind} number {sequence}; there are {count}")
        if inc.entitlement_key(line["idempotency_key"]) != inc.idempotency_key(line["participant_id"], kind, sequence):
            problems.append(
                f"transfer {line['transfer_id']} carries key {line['idempotency_key']}, "
                f"not the key of {line['participant_id']} {kind} {sequence}"
            )
        per_participant_kind[(line["participant_id"], kind)] += 1
    problems += [
        f"participant {pid} was paid {n} {kind} payments; at most {KINDS[kind][1]} exist"
        for (pid, kind), n in per_participant_kind.items()
        if n > KINDS[kind][1]
    ]
    return problems


def _over_the_cap(paid: list[dict]) -> list[str]:
    per_participant: dict[str, int] = defaultdict(int)
    for line in paid:
        if isinstance(line["amount_idr"], int):
            per_participant[line["participant_id"]] += line["amount_idr"]
    return [
        f"participant {pid} received Rp{total:,} cash, above the Rp{config.CASH_INCENTIVE_CAP_IDR:,} cap"
        for pid, total in per_participant.items()
        if total > config.CASH_INCENTIVE_CAP_IDR
    ]


def _surveys_before_the_first_payout(paid: list[dict]) -> list[str]:
    """Surveys open only after the first monthly payout has been paid (whichever number was
    paid first: ADR 0016)."""
    first_payout: dict[str, str] = {}
    for line in paid:
        if line.get("kind") == inc.POST_TRAINING:
            pid = line["participant_id"]
            first_payout[pid] = min(first_payout.get(pid, line["at"]), line["at"])
    problems = []
    for line in paid:
        if line.get("kind") != inc.SURVEY:
            continue
        first = first_payout.get(line["participant_id"])
        if first is None or line["at"] < first:
            when = f"before the first payout ({first})" if first else "without a first payout"
            problems.append(f"survey payment {line['idempotency_key']} was paid at {line['at']}, {when}")
    return problems


def _sent_again_after_acceptance(lines: list[dict]) -> list[str]:
    """A key goes to the provider again only after the provider failed it (refused before
    accepting, or rejected it): never once it has paid it. Lines are in statement order."""
    paid_keys: set[str] = set()
    problems = []
    for line in lines:
        key = inc.entitlement_key(line["idempotency_key"])  # any of the entitlement's transfer keys
        if key in paid_keys:
            problems.append(
                f"idempotency key {key} was sent again ({line['status']} at {line['at']}) "
                "after the provider had paid it"
            )
        if line["status"] == PAID:
            paid_keys.add(key)
    return problems


def summary_problems(lines: list[dict], summary: dict) -> list[str]:
    """The figures `prakerja simulate --json` reports against the statement's own."""
    paid = [line for line in lines if line["status"] == PAID]
    totals = Counter()
    for line in paid:
        totals[line.get("kind")] += line["amount_idr"]
    figures = {f"paid_idr.{kind}": totals[kind] for kind in KINDS}
    figures["paid_idr.total"] = sum(totals.values())
    figures["payouts_paid"] = len(paid)
    reported = {f"paid_idr.{k}": v for k, v in (summary.get("paid_idr") or {}).items()}
    reported["payouts_paid"] = summary.get("payouts_paid")
    return [
        f"the summary says {name} = {reported.get(name)}, the statement says {value}"
        for name, value in figures.items()
        if reported.get(name) != value
    ]


def read_statement(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as source:
        return [json.loads(line) for line in source if line.strip()]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, as every command of the project
        print(f"statement_check: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m prakerja.statement_check", description=__doc__.splitlines()[0])
    parser.add_argument("statement", help="the provider's statement, JSON lines")
    parser.add_argument("--summary", help="the JSON summary of `prakerja simulate --json` to compare")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    reading = args.statement
    try:
        lines = read_statement(args.statement)
        reading = args.summary
        summary = json.loads(Path(args.summary).read_text(encoding="utf-8")) if args.summary else None
        reading = args.statement
        problems = statement_problems(lines) + (summary_problems(lines, summary) if summary is not None else [])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"statement_check: cannot read {reading}: {error}", file=sys.stderr)
        return 2
    paid = [line for line in lines if line["status"] == PAID]
    print(
        f"{len(lines)} transfer attempts, {len(paid)} paid, Rp{sum(line['amount_idr'] for line in paid):,} in total, "
        f"{len(problems)} problem(s)"
    )
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
