"""An independent check of a payment provider statement (JSON lines): it trusts
nothing but the statement. Usable alone: `python -m prakerja.statement_check s.jsonl`."""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from prakerja_flow import config


def statement_problems(lines: list[dict]) -> list[str]:
    problems: list[str] = []
    paid_per_key = Counter(line["idempotency_key"] for line in lines if line["status"] == "PAID")
    problems += [f"idempotency key {key} paid {n} times" for key, n in paid_per_key.items() if n > 1]
    per_participant: dict[str, int] = defaultdict(int)
    for line in lines:
        if line["status"] == "PAID":
            if not isinstance(line["amount_idr"], int) or line["amount_idr"] <= 0:
                problems.append(f"transfer {line['transfer_id']} has a non-integer or non-positive amount")
            per_participant[line["participant_id"]] += line["amount_idr"]
    problems += [
        f"participant {pid} received Rp{total:,} cash, above the Rp{config.CASH_INCENTIVE_CAP_IDR:,} cap"
        for pid, total in per_participant.items()
        if total > config.CASH_INCENTIVE_CAP_IDR
    ]
    return problems


def read_statement(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as source:
        return [json.loads(line) for line in source if line.strip()]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m prakerja.statement_check STATEMENT.jsonl", file=sys.stderr)
        return 2
    try:
        lines = read_statement(args[0])
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot read statement {args[0]}: {error}", file=sys.stderr)
        return 2
    problems = statement_problems(lines)
    paid = [line for line in lines if line["status"] == "PAID"]
    print(f"{len(lines)} transfer attempts, {len(paid)} paid, Rp{sum(l['amount_idr'] for l in paid):,} in total, "
          f"{len(problems)} problem(s)")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
