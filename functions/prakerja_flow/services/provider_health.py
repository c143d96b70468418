"""Whether the last payout run found the payment provider misconfigured, for the people
who read a participant's diagnosis: a payout held because *our* configuration is wrong
must never read like the participant's problem. One item (data/controls.py)."""

from __future__ import annotations

from datetime import datetime

from ..data import controls
from .payouts import MISCONFIGURED, RunReport

# Outcomes that needed an answer from the provider: seeing one means it is reachable again.
_ANSWERED = ("paid", "failed", "still_failing")


def after_payout_run(report: RunReport, now: datetime) -> None:
    if report.provider_problem:
        controls.set_provider_problem(report.provider_problem, now)
    elif not report.outcomes.get(MISCONFIGURED) and any(report.outcomes.get(o) for o in _ANSWERED):
        controls.clear_provider_problem()


def current_problem() -> dict | None:
    """{"problem", "at"} while the last run that reached the provider found it misconfigured."""
    return controls.get_provider_problem()
