"""How long the simulator's participants take between their steps, in whole days (inclusive
ranges drawn uniformly). One place, so that `prakerja simulate` and the open-executions
model of `bench/open_executions_by_start.py` run the same participants."""

from __future__ import annotations

from datetime import timedelta

BUYS_AFTER_REGISTERING = (1, 20)
TRAINS_FOR = (3, 14)  # purchase to certificate, first training
RATES_AFTER_COMPLETING = (0, 3)
SECOND_TRAINING_TAKES = (2, 7)  # a second purchase is made the day after the first certificate

# Virtual time (`simulate --scale`, prakerja/simulate_time.py), as offsets from the simulated
# day's start (08:00): its requests arrive evenly over the 14 waking hours that follow, and its
# scheduled jobs run after them (the payout run's children side by side from there).
ARRIVALS = (timedelta(0), timedelta(hours=14))
JOBS_AT = timedelta(hours=14)
