"""What a payout run (or one child of it, for its shard) reports: outcomes, rupiah paid,
where its shard's next batch starts, and the views it read once (pauses, budget, lease)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..data import controls


@dataclass
class RunReport:
    as_of: str
    paused: bool = False
    stopped_early: bool = False  # out of time: the rest stays queued for the next run
    outcomes: Counter = field(default_factory=Counter)
    paid_idr: int = 0
    # The payout-run execution doing this work (its ARN): recorded on every entitlement it
    # sends or settles, so an operator reaches the execution that paid from the participant.
    run: str | None = None
    # Where the shard's next batch starts (the page being worked on when time ran out).
    cursor: dict | None = field(default=None, repr=False)
    # Read once per run: waves whose payouts are paused, and the programme budget as last seen.
    paused_waves: frozenset = field(default_factory=frozenset, repr=False)
    budget: controls.Budget | None = field(default=None, repr=False)
    # The shard being paid and what its budget lease holds for this page, as far as this
    # worker knows (data/budget_leases.py): payouts draw on it, not on the budget item.
    shard: int | None = field(default=None, repr=False)
    lease_idr: int = field(default=0, repr=False)
    # Set by the first ProviderMisconfigured: the provider is not asked again this run.
    provider_problem: str | None = None
    # A whole run (services/payout_run.summarise): the shards it worked on and those whose
    # child failed (their work stays queued for the next run).
    shards: list[int] = field(default_factory=list)
    failed_shards: list[int] = field(default_factory=list)
    shard_errors: dict[str, str] = field(default_factory=dict)  # shard -> the error its child failed with
    provider_calls: int = 0  # made by the run's children, each at its share of the contracted rate
    rate_waited_s: float = 0.0  # time they waited for it
    leases_returned_idr: int = 0  # budget room left in leases by children that stopped or failed

    @property
    def run_name(self) -> str | None:
        """The execution's name (the last part of its ARN): what the entitlement keeps, as
        the ARN's prefix is the payout-run state machine's and an item over 1 KB costs
        twice the write units."""
        return self.run.rsplit(":", 1)[-1] if self.run else None

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of,
            "paused": self.paused,
            "stopped_early": self.stopped_early,
            "outcomes": dict(self.outcomes),
            "paid_idr": self.paid_idr,
            "run": self.run,
            "shards": list(self.shards),
            "failed_shards": list(self.failed_shards),
            "shard_errors": dict(self.shard_errors),
            "provider_calls": self.provider_calls,
            "rate_waited_s": round(self.rate_waited_s, 3),
            "leases_returned_idr": self.leases_returned_idr,
        }
