"""The payout run's decisions, without AWS (domain/payout_decision.py): every branch of
what the run does with one queued entitlement, and the properties the money depends on:
nothing is committed or sent without the guard's clearance, nothing while paused, and an
ended participation is cancelled whatever else is true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain import payout_decision as decide
from prakerja_flow.domain.payout_decision import Decision, Step
from prakerja_flow.domain.payout_guard import Cleared, Refusal
from prakerja_flow.domain.vocabulary import EntitlementStatus

NOW = datetime(2020, 9, 1, 8, 0, tzinfo=UTC)
AMOUNT = config.POST_TRAINING_PAYOUT_IDR
CLEARED = Cleared("OVO", "081234567890", "2020-07-01T00:00:00Z")
NO_ACCOUNT = Refusal("NoPayoutAccount", "no payout account on file")
COOLING_OFF = Refusal("AccountCoolingOff", "changed yesterday", hold=True)
ENDED = Refusal("ParticipantNotActive", "participation is REVOKED; nothing more is paid", stops=True)
SENDS = {Step.COMMIT, Step.RESEND}

statuses = st.sampled_from(list(EntitlementStatus))
refusals = st.builds(
    Refusal,
    st.sampled_from(["NoPayoutAccount", "AccountNotVerified", "NotInPackage"]),
    st.text(),
    st.booleans(),
    st.booleans(),
)
verdicts = st.one_of(st.none(), st.just(CLEARED), refusals)
failure_codes = st.one_of(st.none(), st.sampled_from([decide.BUDGET_EXHAUSTED, "NoPayoutAccount", "ProviderRejected"]))
budgets = st.one_of(st.none(), st.integers(min_value=0, max_value=10 * AMOUNT))


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("PAID", Step.RESUME),
        ("CANCELLED", Step.DEQUEUE),
        ("EXPIRED", Step.DEQUEUE),
        ("SENT", Step.SETTLE),
        ("SCHEDULED", Step.CLEAR),  # due now: sent after going to DUE
        ("DUE", Step.CLEAR),
        ("FAILED", Step.CLEAR),
    ],
)
def test_triage_of_each_status_in_a_running_programme(status, step):
    assert decide.triage(status, run_paused=False) is step


@pytest.mark.parametrize("status", ["SCHEDULED", "DUE", "FAILED", "SENT"])
@pytest.mark.parametrize(("run_paused", "wave_paused"), [(True, False), (False, True), (True, True)])
def test_a_pause_holds_everything_that_could_still_be_paid(status, run_paused, wave_paused):
    assert decide.may_pay(status)
    assert decide.triage(status, run_paused, wave_paused) is Step.PAUSED


@given(statuses, st.booleans(), st.booleans())
def test_triage_tidies_up_what_is_paid_or_ended_even_while_paused(status, run_paused, wave_paused):
    step = decide.triage(status, run_paused, wave_paused)
    if status == "PAID":
        assert step is Step.RESUME
    elif not decide.may_pay(status):
        assert step is Step.DEQUEUE
    elif run_paused or wave_paused:
        assert step is Step.PAUSED
    else:
        assert step in (Step.SETTLE, Step.CLEAR)


def test_a_provider_that_could_not_be_asked_decides_nothing():
    assert decide.after_guard("DUE", None, AMOUNT, None, None) == Decision(Step.UNKNOWN)


@pytest.mark.parametrize("status", ["SCHEDULED", "DUE", "FAILED"])
def test_a_cooling_off_hold_writes_nothing_whatever_the_status(status):
    assert decide.after_guard(status, "NoPayoutAccount", AMOUNT, COOLING_OFF, 0) == Decision(Step.HELD)


@pytest.mark.parametrize("status", ["SCHEDULED", "DUE", "FAILED"])
def test_an_ended_participation_cancels_with_its_reason(status):
    decision = decide.after_guard(status, decide.BUDGET_EXHAUSTED, AMOUNT, ENDED, 0)
    assert decision == Decision(Step.CANCEL, ENDED.code, ENDED.reason)


def test_a_failure_for_the_same_cause_is_not_written_again():
    assert decide.after_guard("FAILED", "NoPayoutAccount", AMOUNT, NO_ACCOUNT, None) == Decision(Step.STILL_FAILING)


def test_a_failure_for_a_new_cause_goes_back_to_due_then_fails_with_it():
    decision = decide.after_guard("FAILED", "ProviderRejected", AMOUNT, NO_ACCOUNT, None)
    assert decision == Decision(Step.FAIL, "NoPayoutAccount", NO_ACCOUNT.reason, redue=True)


def test_a_due_payout_the_guard_refuses_fails_without_a_detour():
    decision = decide.after_guard("DUE", None, AMOUNT, NO_ACCOUNT, None)
    assert decision == Decision(Step.FAIL, "NoPayoutAccount", NO_ACCOUNT.reason, redue=False)


@pytest.mark.parametrize(("status", "redue"), [("DUE", False), ("SCHEDULED", True), ("FAILED", True)])
def test_a_cleared_payout_is_committed_from_due(status, redue):
    assert decide.after_guard(status, None, AMOUNT, CLEARED, 10 * AMOUNT) == Decision(Step.COMMIT, redue=redue)


def test_a_budget_failure_waits_until_the_budget_has_room_for_it():
    waiting = decide.after_guard("FAILED", decide.BUDGET_EXHAUSTED, AMOUNT, CLEARED, AMOUNT - 1)
    assert waiting == Decision(Step.STILL_FAILING)
    room = decide.after_guard("FAILED", decide.BUDGET_EXHAUSTED, AMOUNT, CLEARED, AMOUNT)
    assert room == Decision(Step.COMMIT, redue=True)
    # A run that has not read the budget lets the commit's transaction decide.
    assert decide.after_guard("FAILED", decide.BUDGET_EXHAUSTED, AMOUNT, CLEARED, None).step is Step.COMMIT


@given(statuses.filter(lambda s: s not in ("PAID", "SENT", "CANCELLED", "EXPIRED")), failure_codes, verdicts, budgets)
def test_only_the_guards_clearance_leads_to_a_commit(status, failure_code, verdict, budget):
    decision = decide.after_guard(status, failure_code, AMOUNT, verdict, budget)
    if decision.step is Step.COMMIT:
        assert isinstance(verdict, Cleared)
    if isinstance(verdict, Refusal) and verdict.hold:
        assert decision.step is Step.HELD
    elif isinstance(verdict, Refusal) and verdict.stops:
        assert decision.step is Step.CANCEL and decision.reason == verdict.reason
    assert decision.redue == (decision.step in (Step.FAIL, Step.COMMIT) and status != "DUE")
    assert decision.step not in (Step.RESEND, Step.RELEASE, Step.RELEASE_AND_CANCEL)


def test_a_sent_payout_is_asked_about_only_once_a_send_would_have_finished():
    sent_at = NOW - config.SENT_SETTLEMENT_AFTER
    assert decide.settle_step(sent_at, NOW) is Step.ASK
    assert decide.settle_step(sent_at + timedelta(seconds=1), NOW) is Step.IN_FLIGHT


@pytest.mark.parametrize(
    ("verdict", "decision"),
    [
        (None, Decision(Step.UNKNOWN)),
        (COOLING_OFF, Decision(Step.HELD)),  # the reservation stays: the hold ends by itself
        (NO_ACCOUNT, Decision(Step.RELEASE, NO_ACCOUNT.code, NO_ACCOUNT.reason)),
        (ENDED, Decision(Step.RELEASE_AND_CANCEL, ENDED.code, ENDED.reason)),
        (CLEARED, Decision(Step.RESEND)),
    ],
)
def test_a_transfer_the_provider_never_received(verdict, decision):
    assert decide.never_received(verdict) == decision


@given(verdicts)
def test_only_the_guards_clearance_leads_to_a_resend(verdict):
    assert (decide.never_received(verdict).step in SENDS) == isinstance(verdict, Cleared)
