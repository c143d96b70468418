"""Open lifecycle executions at the peak, by the step at which the execution starts.

A model, not the local stack: it takes the simulator's participants (`make_personas`, the
same load shape, mix and seed as `prakerja simulate`) and the simulator's step timings
(prakerja/persona_timing.py), and counts for each programme day how many lifecycle
executions are open when the execution starts at

- `registration`: today's design (ADR 0013: open until the grant),
- `first_purchase`: the purchase event starts it (the registration waits in the table),
- `first_certificate`: the first completion starts it (purchase and completion wait in the
  inbox and are delivered at once: events.await_with_token).

An execution ends at the grant (the first rating), at the rating window's close (never
rates) or at the purchase deadline (never buys, only when it started at registration). The
payout runs' own few executions are not counted. The peak is then scaled back to the real
programme (x PARTICIPANTS_2020 / participants for `--shape 2020`) and set against one
account's quota, with the cells a plan would need at 80 % of it (ADR 0013, decision 3).

It draws the step timings with its own random stream, so a persona's days differ from the
ones the same seed gives in `simulate`; the distributions are the same. `--check-simulate
FILE` compares the `registration` peak with `open_executions_peak` of a `simulate --json`
output run with the same arguments (and no quota in the way).

Usage:  .venv/bin/python bench/open_executions_by_start.py --participants 5500 --shape 2020
        .venv/bin/python bench/open_executions_by_start.py --participants 5500 --rating-window 30
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prakerja import load_shape, persona_timing  # noqa: E402
from prakerja.simulate import Persona, make_personas  # noqa: E402
from prakerja_flow import config  # noqa: E402

# Each start point, and the day of a persona (a field of Days) on which the execution starts there.
STARTS = {"registration": "registered", "first_purchase": "bought", "first_certificate": "certified"}
CELL_FILL = 0.8  # ADR 0013: a fifth of each cell's quota left for payout runs, redrives, retries


@dataclass(frozen=True)
class Days:
    registered: int
    bought: int | None
    certified: int | None
    ends: int


def persona_days(p: Persona, rng: random.Random, rating_window_days: int) -> Days:
    r = p.register_day
    if p.never_buys:
        return Days(r, None, None, r + config.PURCHASE_DEADLINE.days)
    bought = r + rng.randint(*persona_timing.BUYS_AFTER_REGISTERING)
    certified = bought + rng.randint(*persona_timing.TRAINS_FOR)
    ends = (
        certified + rating_window_days
        if p.never_rates
        else certified + rng.randint(*persona_timing.RATES_AFTER_COMPLETING)
    )
    return Days(r, bought, certified, ends)


def interval(days: Days, start: str) -> tuple[int, int] | None:
    begins = getattr(days, STARTS[start])
    return None if begins is None else (begins, days.ends)


def peak(intervals: list[tuple[int, int]]) -> tuple[int, int]:
    """(open executions at the busiest end of a day, that day): started that day and not ended yet."""
    delta: Counter = Counter()
    for begins, ends in intervals:
        delta[begins] += 1
        delta[ends] -= 1
    open_now = best = best_day = 0
    for day in sorted(delta):
        open_now += delta[day]
        if open_now > best:
            best, best_day = open_now, day
    return best, best_day


def measure(participants: int, seed: int, shape: str, rating_window_days: int) -> dict:
    waves = load_shape.plan(shape, participants)
    personas = make_personas(participants, random.Random(seed), waves)
    rng = random.Random(seed + 1)
    days = [persona_days(p, rng, rating_window_days) for p in personas]
    real = load_shape.PARTICIPANTS_2020 if shape == "2020" else participants
    factor = real / participants
    out: dict = {
        "participants": participants,
        "seed": seed,
        "shape": shape,
        "rating_window_days": rating_window_days,
        "real_participants": real,
        "starts": {},
    }
    for start in STARTS:
        spans = [span for d in days if (span := interval(d, start)) is not None]
        top, top_day = peak(spans)
        at_scale = round(top * factor)
        out["starts"][start] = {
            "executions": len(spans),
            "mean_open_days": round(sum(e - b for b, e in spans) / len(spans), 1) if spans else 0.0,
            "peak": top,
            "peak_day": top_day,
            "peak_at_real_scale": at_scale,
            "share_of_one_account_quota": round(at_scale / config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA, 2),
            "cells_at_80_percent": max(
                1, math.ceil(at_scale / (CELL_FILL * config.STEP_FUNCTIONS_OPEN_EXECUTIONS_QUOTA))
            ),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=5500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", default="2020", choices=sorted(load_shape.SHAPES))
    parser.add_argument("--rating-window", type=int, default=config.RATING_WINDOW.days, help="days")
    parser.add_argument("--check-simulate", type=Path, help="a `simulate --json` output of the same arguments")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.participants < 1 or args.rating_window < 0:
        parser.error("--participants must be at least 1 and --rating-window at least 0")
    result = measure(args.participants, args.seed, args.shape, args.rating_window)
    if args.check_simulate:
        simulated = json.loads(args.check_simulate.read_text())["open_executions_peak"]
        result["simulate_open_executions_peak"] = simulated
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['participants']} participants, shape {result['shape']}, seed {result['seed']}, "
        f"rating window {result['rating_window_days']} days; real scale {result['real_participants']:,}"
    )
    print(
        f"{'start':<18} {'executions':>10} {'mean open d':>11} {'peak':>6} {'day':>4} "
        f"{'at real scale':>13} {'x quota':>7} {'cells':>5}"
    )
    for start, row in result["starts"].items():
        print(
            f"{start:<18} {row['executions']:>10} {row['mean_open_days']:>11} {row['peak']:>6} {row['peak_day']:>4} "
            f"{row['peak_at_real_scale']:>13,} {row['share_of_one_account_quota']:>7} {row['cells_at_80_percent']:>5}"
        )
    if "simulate_open_executions_peak" in result:
        print(f"simulate's measured peak (registration start): {result['simulate_open_executions_peak']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
