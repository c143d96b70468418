"""The scheduled payout run: pays every due entitlement once, through the provider,
with the entitlement's idempotency key; records SENT before calling out, so a crash
at any point converges to exactly one payment on the next run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from .. import clock, config
from ..data import budget_leases, cash, controls, entitlements, schema, workflow
from ..data import participants as profiles
from ..domain import errors, survey_windows
from ..domain import incentives as inc
from ..domain import payout_decision as decide
from ..domain import payout_guard as guard
from ..domain import provider_rejections as rejections
from ..domain.accounts import account_version
from ..domain.payout_decision import Step
from ..observability import logger
from ..payments.provider import (
    PAID,
    PaymentProvider,
    ProviderMisconfigured,
    ProviderUnavailable,
    TransferRequest,
    TransferResult,
)
from . import events
from .lifecycle import PAYOUT, SURVEYS, payout_progress, stage_key
from .payout_report import RunReport


def run(
    now: datetime,
    provider: PaymentProvider,
    batch_size: int = config.PAYOUT_RUN_BATCH_SIZE,
    has_time: Callable[[], bool] = lambda: True,
    run_id: str | None = None,
) -> RunReport:
    """Every shard, one after another, in one process: what one child of the payout-run
    state machine does for its shard (pay_shard), for all of them. `has_time()` is asked
    before each entitlement: a run stops between two of them, never inside one (each is
    SENT before the provider call, so either is safe)."""
    report = _start(now, run_id)
    if report.paused:
        return report
    for shard in range(config.QUEUE_SHARDS):
        if not _pay_pages(report, shard, None, now, provider, batch_size, has_time):
            return report
    return report


def pay_shard(
    now: datetime,
    provider: PaymentProvider,
    shard: int,
    cursor: dict | None = None,
    run_id: str | None = None,
    batch_size: int = config.PAYOUT_RUN_BATCH_SIZE,
    has_time: Callable[[], bool] = lambda: True,
) -> RunReport:
    """One batch of one shard's due entitlements, from `cursor` (None: the shard's start)
    until the shard is done or `has_time()` says no; then `report.cursor` is where the
    next batch starts and `report.stopped_early` is set."""
    if not 0 <= shard < config.QUEUE_SHARDS:
        raise ValueError(f"shard {shard} is not one of the {config.QUEUE_SHARDS} queue shards")
    report = _start(now, run_id)
    if not report.paused:
        _pay_pages(report, shard, cursor, now, provider, batch_size, has_time)
    return report


def shards_with_work(now: datetime) -> list[int]:
    """The shards that hold an entitlement due by `now`: the payout run starts a child for
    each of them only (one query of one item per shard)."""
    return [s for s in range(config.QUEUE_SHARDS) if entitlements.queue_page(schema.Q_PAYABLE, s, now, 1)[0]]


def _start(now: datetime, run_id: str | None) -> RunReport:
    report = RunReport(clock.iso(now), run=run_id)
    if (controls.get_pause() or {}).get("paused"):
        report.paused = True
        return report
    report.paused_waves = controls.paused_waves()
    report.budget = controls.get_budget()
    return report


def _pay_pages(
    report: RunReport,
    shard: int,
    start: dict | None,
    now: datetime,
    provider: PaymentProvider,
    batch_size: int,
    has_time: Callable[[], bool],
) -> bool:
    """False when time ran out: `report.cursor` is then the page being worked on (its
    items already handled are dequeued or handled again idempotently by the next batch)."""
    while True:
        page_start = start
        batch, start = entitlements.queue_page(schema.Q_PAYABLE, shard, now, batch_size, start)
        _lease_for(report, shard, batch)
        try:
            for ent in batch:
                if not has_time():
                    report.stopped_early = True
                    report.cursor = page_start
                    logger.warning(
                        "payout run stopped before its timeout; the rest stays queued for the next batch or run",
                        extra={"outcomes": dict(report.outcomes), "shard": shard},
                    )
                    return False
                report.outcomes[str(_process_unless_misconfigured(ent, now, provider, report))] += 1
        finally:
            _give_lease_back(report)
        if not start:
            return True


def _lease_for(report: RunReport, shard: int, batch: list) -> None:
    """One write of the budget item for the page: room for every payout it may start
    (what a re-send or settlement needs is reserved already). A page with one such payout
    takes no lease: its own reservation is the same one write, without the lease's."""
    amounts = [e["amount_idr"] for e in batch if decide.may_pay(e["status"]) and e["status"] != inc.SENT]
    wanted = sum(amounts)
    report.shard, report.lease_idr = shard, 0
    if len(amounts) > 1 and report.budget is not None:
        report.lease_idr, report.budget = budget_leases.take(shard, wanted, report.budget)


def _give_lease_back(report: RunReport) -> None:
    """What the page did not spend goes back (all the lease holds: a lease a dead child
    left is returned with it). A page that spent its lease (or had none) writes nothing:
    a stale lease then waits for the run's summary."""
    if report.shard is None or report.lease_idr <= 0:
        return
    try:
        returned = budget_leases.give_back(report.shard)
    except Exception:  # noqa: BLE001 - never hide the error that ended the page; the run's summary returns it
        logger.warning("budget lease not given back; the run's summary returns it", extra={"shard": report.shard})
        returned = 0
    if returned and report.budget is not None:
        b = report.budget
        report.budget = controls.Budget(b.ceiling_idr, b.committed_idr - returned, b.overridden)
    report.lease_idr = 0


def _process_unless_misconfigured(ent: dict, now: datetime, provider: PaymentProvider, report: RunReport) -> str:
    """A misconfigured provider is never the participant's problem: the entitlement stays
    as it is (DUE, or SENT to be settled), like ProviderUnavailable, and is counted."""
    if report.provider_problem and decide.may_pay(ent["status"]):
        return MISCONFIGURED
    try:
        return _process(ent, now, provider, report)
    except ProviderMisconfigured as wrong:
        report.provider_problem = str(wrong)
        logger.error(
            "payment provider misconfigured; payouts held",
            extra={"idempotency_key": ent["idempotency_key"], "why": str(wrong)},
        )
        return MISCONFIGURED


MISCONFIGURED = "misconfigured"


def _process(ent: dict, now: datetime, provider: PaymentProvider, report: RunReport) -> str:
    """Loads what the decisions (domain/payout_decision.py) need and carries out their steps."""
    status = ent["status"]
    profile = None
    wave_paused = False
    if report.paused_waves and decide.may_pay(status) and not report.paused:
        profile = profiles.require(ent["participant_id"])
        wave_paused = profile.get("wave") in report.paused_waves  # paid by the first run after it resumes
    step = decide.triage(status, report.paused, wave_paused)
    if step is Step.RESUME:
        return step if _after_paid(ent, now) else RESUME_LATER
    if step is Step.DEQUEUE:
        entitlements.dequeue(ent)
        return step
    if step is Step.SETTLE:
        return _settle(ent, profile, now, provider, report)
    if step is not Step.CLEAR:
        return step
    profile = profile or profiles.require(ent["participant_id"])
    if status == inc.FAILED and rejections.waits(ent, profile.get("payout_account_updated_at"), now):
        return Step.HELD  # a rejection's cause that clears by itself (a full e-wallet): nothing asked
    verdict = _guard(ent, profile, now, provider)
    remaining = report.budget.remaining_idr + report.lease_idr if report.budget is not None else None
    decision = decide.after_guard(status, ent.get("failure_code"), ent["amount_idr"], verdict, remaining)
    if decision.step is Step.CANCEL:
        done = entitlements.transition(ent, inc.CANCELLED, now, cancelled_reason=decision.reason)
        return "cancelled" if done else "raced"
    if decision.step not in (Step.FAIL, Step.COMMIT):
        return decision.step
    if decision.redue:
        ent = entitlements.transition(ent, inc.DUE, now)
        if ent is None:
            return "raced"
    if decision.step is Step.FAIL:
        return _fail(ent, now, decision.code, decision.reason)
    assert isinstance(verdict, guard.Cleared)
    try:
        # One transaction: DUE -> SENT, the participant's cap and the programme budget,
        # and the participant still ACTIVE on the account the guard cleared.
        committed = cash.commit(
            ent,
            now,
            report.budget,
            account_version=verdict.account_version,
            sent_by=report.run_name,
            lease_shard=report.shard,
            lease_idr=report.lease_idr,
        )
    except errors.IncentiveCapExceeded as cap:
        return _fail(ent, now, cap.code, cap.message)
    except controls.BudgetExhausted as exhausted:
        report.budget = exhausted.budget
        return _fail(ent, now, BUDGET_EXHAUSTED, _budget_reason(ent["amount_idr"], report.budget))
    if committed is None:
        return "raced"
    sent, report.budget, report.lease_idr = committed
    return _send(sent, verdict, now, provider, report)


def _guard(ent: dict, profile: dict, now: datetime, provider: PaymentProvider) -> guard.Cleared | guard.Refusal | None:
    """The one guard (domain/payout_guard.py) for every send, first or again: None when
    the provider could not be asked about the account."""
    account = profile.get("payout_account")
    hold = profile.get("payout_account_hold_until")
    refusal = guard.outside_package(ent["kind"], ent["sequence"], ent["amount_idr"]) or guard.before_inquiry(
        profile["status"], account, clock.parse(hold) if hold else None, profile.get("payout_account_updated_at"), now
    )
    if refusal:
        return refusal
    try:
        # The holder's NIK, opened from the sealed identifiers (cached data keys: no KMS request per item).
        holder_nik = profiles.identifiers_of(profile)["nik"]  # type: ignore[arg-type]
        inquiry = provider.inquire(account["channel"], account["account_number"], holder_nik)
    except ProviderUnavailable as down:
        logger.warning(
            "account inquiry unavailable", extra={"idempotency_key": ent["idempotency_key"], "why": str(down)}
        )
        return None
    return guard.account_refusal(account, inquiry) or guard.clear(account, account_version(profile))


BUDGET_EXHAUSTED = decide.BUDGET_EXHAUSTED


def _budget_reason(amount_idr: int, budget: controls.Budget) -> str:
    return (
        f"the programme's cash incentive budget is exhausted: Rp{budget.committed_idr:,} of the "
        f"Rp{budget.ceiling_idr:,} ceiling is committed, so Rp{amount_idr:,} more would exceed it; "
        f"paid by the first payout run after the ceiling is raised"
    )


def _released(ent: dict, report: RunReport) -> None:
    """Keeps the run's view of the budget in step after release_cash gave a reservation back."""
    reserved = ent.get("budget_reserved_idr")
    if reserved and report.budget is not None:
        b = report.budget
        report.budget = controls.Budget(b.ceiling_idr, b.committed_idr - reserved, b.overridden)


def _fail(ent: dict, now: datetime, code: str, reason: str) -> str:
    entitlements.transition(
        ent, inc.FAILED, now, failure_code=code, failure_reason=reason, failed_at=clock.iso(now), retry_after=None
    )
    logger.info("payout failed", extra={"idempotency_key": ent["idempotency_key"], "failure_code": code})
    return "failed"


def _send(ent: dict, cleared: guard.Cleared, now: datetime, provider: PaymentProvider, report: RunReport) -> str:
    """The only call that moves money. `cleared` exists only as the guard's verdict, and
    `ent` only as the claim (commit_cash or claim_resend) that this worker won."""
    request = TransferRequest(
        inc.current_transfer_key(ent),
        ent["participant_id"],
        ent["kind"],
        ent["sequence"],
        ent["amount_idr"],
        cleared.channel,
        cleared.account_number,
    )
    try:
        result = provider.transfer(request)
    except ProviderUnavailable as unknown:
        logger.warning(
            "payout outcome unknown; will settle later",
            extra={"idempotency_key": ent["idempotency_key"], "why": str(unknown)},
        )
        return "unknown"
    return _record(ent, result, now, report)


def _record(ent: dict, result: TransferResult, now: datetime, report: RunReport) -> str:
    if result.status != PAID:
        code = rejections.failure_code(result.code)
        retry = rejections.retry_after(code, now)
        why = rejections.reason(code, result.reason, retry)
        if cash.release(ent, now, code, why, rejected=True, retry_after=retry) is not None:
            _released(ent, report)  # the budget went back in release_cash's transaction
        return "failed"
    event = None
    if ent["kind"] == inc.POST_TRAINING and inc.lifecycle_waits(ent):
        event = (stage_key(PAYOUT, ent["sequence"]), {**payout_progress(ent["sequence"]), "status": inc.PAID})
    # The first monthly payout paid opens the survey windows, in the same transaction (ADR 0016).
    first = ent["kind"] == inc.POST_TRAINING
    surveys = survey_windows.surveys_to_open(entitlements.of(ent["participant_id"]), ent) if first else []
    paid = cash.mark_paid(ent, result.transfer_id, now, event, paid_by=report.run_name, open_surveys=surveys)
    if paid is None:
        return "raced"
    report.paid_idr += paid["amount_idr"]
    if not _after_paid(paid, now):
        report.outcomes[RESUME_LATER] += 1
    return "paid"


def _settle(ent: dict, profile: dict | None, now: datetime, provider: PaymentProvider, report: RunReport) -> str:
    if decide.settle_step(clock.parse(ent["sent_at"]), now) is Step.IN_FLIGHT:
        return Step.IN_FLIGHT
    try:
        known = provider.status(inc.current_transfer_key(ent))
    except ProviderUnavailable:
        return Step.UNKNOWN
    if known is not None:
        return _record(ent, known, now, report)
    # Sent again only as the one worker whose claim wins; otherwise the reservation goes back.
    verdict = _guard(ent, profile or profiles.require(ent["participant_id"]), now, provider)
    decision = decide.never_received(verdict)
    if decision.step is Step.RESEND:
        assert isinstance(verdict, guard.Cleared)
        claimed = cash.claim_resend(ent, now, verdict.account_version, sent_by=report.run_name)
        return _send(claimed, verdict, now, provider, report) if claimed is not None else "raced"
    if decision.step not in (Step.RELEASE, Step.RELEASE_AND_CANCEL):
        return decision.step
    failed = cash.release(ent, now, decision.code, decision.reason)
    if failed is None:
        return "raced"
    _released(ent, report)
    if decision.step is Step.RELEASE_AND_CANCEL:
        entitlements.transition(failed, inc.CANCELLED, now, cancelled_reason=decision.reason)
        return "cancelled"
    return "failed"


RESUME_LATER = "resume_later"  # paid, but Step Functions throttled the resume: the next run resumes


def _after_paid(ent: dict, now: datetime) -> bool:
    """Tell the execution, if one waits (the event is already in its inbox), then leave the
    queue. False when Step Functions throttled the call: the entitlement stays queued (PAID)
    and the event in the inbox, so the next run resumes the execution; nothing is paid again.
    Since ADR 0013 no execution waits: the lifecycle ended at the grant."""
    if not inc.lifecycle_waits(ent):
        entitlements.dequeue(ent)
        return True
    try:
        if ent["kind"] == inc.POST_TRAINING:
            events.deliver(ent["participant_id"], stage_key(PAYOUT, ent["sequence"]), now)
        else:
            settle_surveys_if_done(ent, now)
    except workflow.Throttled as throttled:
        logger.warning(
            "resuming the execution was throttled; the next run resumes it",
            extra={"idempotency_key": ent["idempotency_key"], "why": str(throttled)},
        )
        return False
    entitlements.dequeue(ent)
    return True


def settle_surveys_if_done(survey: dict, now: datetime) -> bool:
    """Tells an execution of the definition before ADR 0013 that its surveys are settled,
    once `survey` (just paid or expired) was the last open one. The flag is asked first: a
    lifecycle of today's definition ended at the grant, and its surveys need no read."""
    if not inc.lifecycle_waits(survey):
        return False
    participant_id = survey["participant_id"]
    surveys = [e for e in entitlements.of(participant_id) if e["kind"] == inc.SURVEY]
    if not surveys or any(e["status"] not in inc.TERMINAL for e in surveys):
        return False
    summary = Counter(e["status"] for e in surveys)
    events.publish(participant_id, SURVEYS, {"surveys": dict(summary)}, now)
    return True
