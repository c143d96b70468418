"""The incentive plan, idempotency keys, survey windows and the entitlement state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from prakerja_flow import config
from prakerja_flow.domain import survey_windows
from prakerja_flow.domain.errors import IllegalTransition
from prakerja_flow.domain.incentives import (
    AMOUNTS,
    CANCELLED,
    DUE,
    EXPIRED,
    FAILED,
    PAID,
    POST_TRAINING,
    SCHEDULED,
    SENT,
    STATUSES,
    SURVEY,
    TERMINAL,
    TRANSITIONS,
    idempotency_key,
    plan_incentives,
    require_transition,
    survey_window_problem,
)

FAST = settings(max_examples=60, deadline=None, database=None)

GRANTED = datetime(2021, 4, 10, 9, 30, tzinfo=UTC)


def payouts(plan):
    return [e for e in plan if e.kind == POST_TRAINING]


def surveys(plan):
    return [e for e in plan if e.kind == SURVEY]


# --- plan_incentives -------------------------------------------------------------------


def test_plan_has_four_payouts_and_three_surveys():
    plan = plan_incentives(GRANTED)
    assert len(payouts(plan)) == config.POST_TRAINING_PAYOUT_COUNT == 4
    assert len(surveys(plan)) == config.SURVEY_COUNT == 3
    assert len(plan) == 7


def test_payouts_amount_and_schedule():
    plan = payouts(plan_incentives(GRANTED))
    assert [e.sequence for e in plan] == [1, 2, 3, 4]
    first = GRANTED + config.FIRST_PAYOUT_DELAY
    assert [e.due_at for e in plan] == [first + n * config.PAYOUT_INTERVAL for n in range(4)]
    assert all(e.amount_idr == config.POST_TRAINING_PAYOUT_IDR == 600_000 for e in plan)
    assert all(e.opens_at is None and e.expires_at is None for e in plan)


def test_concrete_payout_dates():
    # 10 Apr + 5 days, then every 30 days.
    plan = payouts(plan_incentives(GRANTED))
    assert [e.due_at.date().isoformat() for e in plan] == ["2021-04-15", "2021-05-15", "2021-06-14", "2021-07-14"]
    assert all(e.due_at.time() == GRANTED.time() and e.due_at.tzinfo is UTC for e in plan)


def test_surveys_are_planned_without_windows():
    # The windows open with the first monthly payout actually paid (domain/survey_windows.py),
    # which the grant cannot know: a plan that fixed them would lose them to a late account fix.
    plan = surveys(plan_incentives(GRANTED))
    assert [e.sequence for e in plan] == [1, 2, 3]
    for entitlement in plan:
        assert entitlement.amount_idr == config.SURVEY_PAYMENT_IDR == 50_000
        assert entitlement.due_at is None  # due when filled in
        assert entitlement.opens_at is None and entitlement.expires_at is None


def test_plan_total_is_the_cash_incentive_cap():
    plan = plan_incentives(GRANTED)
    assert sum(e.amount_idr for e in plan) == config.CASH_INCENTIVE_CAP_IDR == 2_550_000


def test_every_amount_is_an_int():
    for entitlement in plan_incentives(GRANTED):
        assert type(entitlement.amount_idr) is int
        assert entitlement.amount_idr == AMOUNTS[entitlement.kind]


@given(granted=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)))
@FAST
def test_plan_invariants_for_any_grant(granted):
    plan = plan_incentives(granted)
    assert sum(e.amount_idr for e in plan) == config.CASH_INCENTIVE_CAP_IDR
    keys = {(e.kind, e.sequence) for e in plan}
    assert len(keys) == len(plan)
    due = [e.due_at for e in payouts(plan)]
    assert due[0] - granted == config.FIRST_PAYOUT_DELAY
    assert all(b - a == config.PAYOUT_INTERVAL for a, b in pairwise(due))
    assert all(s.opens_at is None and s.due_at is None for s in surveys(plan))


# --- idempotency_key ------------------------------------------------------------------


def test_idempotency_key_is_deterministic_and_readable():
    assert idempotency_key("P-1", POST_TRAINING, 2) == idempotency_key("P-1", POST_TRAINING, 2)
    key = idempotency_key("P-1", SURVEY, 3)
    assert "P-1" in key and SURVEY in key and "3" in key


def test_idempotency_keys_unique_within_a_plan():
    keys = [idempotency_key("P-1", e.kind, e.sequence) for e in plan_incentives(GRANTED)]
    assert len(set(keys)) == len(keys) == 7


def test_idempotency_keys_differ_between_participants():
    a = {idempotency_key("P-1", e.kind, e.sequence) for e in plan_incentives(GRANTED)}
    b = {idempotency_key("P-2", e.kind, e.sequence) for e in plan_incentives(GRANTED)}
    assert not a & b


participant_ids = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)
triples = st.tuples(
    participant_ids, st.sampled_from([POST_TRAINING, SURVEY]), st.integers(min_value=0, max_value=10_000)
)


@given(a=triples, b=triples)
@settings(max_examples=200, deadline=None, database=None)
def test_distinct_entitlements_get_distinct_keys(a, b):
    # Even participant ids containing ":" cannot make two entitlements share a key.
    if a != b:
        assert idempotency_key(*a) != idempotency_key(*b)
    else:
        assert idempotency_key(*a) == idempotency_key(*b)


# --- survey_window_problem --------------------------------------------------------------

OPENS = datetime(2021, 5, 15, 9, 30, tzinfo=UTC)
EXPIRES = OPENS + config.SURVEY_WINDOW


@pytest.mark.parametrize("now", [OPENS, OPENS + timedelta(days=1), EXPIRES - timedelta(seconds=1)])
def test_survey_open_inside_window(now):
    assert survey_window_problem(now, OPENS, EXPIRES, first_payout_paid=True) is None


def test_survey_before_window():
    problem = survey_window_problem(OPENS - timedelta(seconds=1), OPENS, EXPIRES, True)
    assert problem and "opens" in problem and "2021-05-15" in problem


@pytest.mark.parametrize("now", [EXPIRES, EXPIRES + timedelta(days=100)])
def test_survey_after_window(now):
    problem = survey_window_problem(now, OPENS, EXPIRES, True)
    assert problem and "closed" in problem and EXPIRES.date().isoformat() in problem


@pytest.mark.parametrize("now", [OPENS - timedelta(days=1), OPENS, OPENS + timedelta(days=1), EXPIRES])
def test_survey_needs_first_payout_paid(now):
    problem = survey_window_problem(now, OPENS, EXPIRES, first_payout_paid=False)
    assert problem and "first" in problem and "payout" in problem


def test_opened_survey_windows_work_with_survey_window_problem():
    paid = GRANTED + config.FIRST_PAYOUT_DELAY
    for n in range(1, config.SURVEY_COUNT + 1):
        opens, expires = survey_windows.window(n, paid)
        assert survey_window_problem(opens, opens, expires, True) is None
        assert survey_window_problem(expires, opens, expires, True) is not None


def test_a_survey_without_a_window_waits_for_the_first_payout():
    problem = survey_window_problem(OPENS, None, None, first_payout_paid=False)
    assert problem and "first incentive payout has been paid" in problem
    assert survey_window_problem(OPENS, None, None, first_payout_paid=True) == problem


# --- entitlement state machine: explicit edges ----------------------------------------------------


def test_statuses_and_terminals():
    assert set(STATUSES) == set(TRANSITIONS)
    assert TERMINAL == {PAID, CANCELLED, EXPIRED}
    assert all(TRANSITIONS[t] == frozenset() for t in TERMINAL)
    assert all(TRANSITIONS[s] for s in STATUSES if s not in TERMINAL)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (SCHEDULED, DUE),
        (SCHEDULED, CANCELLED),
        (SCHEDULED, EXPIRED),
        (DUE, SENT),
        (DUE, FAILED),
        (DUE, CANCELLED),
        (SENT, PAID),
        (SENT, FAILED),
        (FAILED, DUE),
        (FAILED, CANCELLED),
    ],
)
def test_legal_edges(current, target):
    assert require_transition(current, target) is None


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (SCHEDULED, PAID),
        (SCHEDULED, SENT),
        (DUE, PAID),  # never paid without being sent
        (FAILED, PAID),
        (SENT, CANCELLED),  # money may be on its way
        (SENT, EXPIRED),
        (SENT, DUE),  # no resend while the outcome is unknown
        (PAID, FAILED),
        (PAID, CANCELLED),
        (CANCELLED, DUE),
        (EXPIRED, DUE),
        (PAID, PAID),
        ("NOPE", DUE),
        (DUE, "NOPE"),
    ],
)
def test_illegal_edges(current, target):
    with pytest.raises(IllegalTransition) as caught:
        require_transition(current, target)
    assert current in caught.value.message and target in caught.value.message


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
@pytest.mark.parametrize("target", STATUSES)
def test_terminal_states_are_absorbing(terminal, target):
    with pytest.raises(IllegalTransition):
        require_transition(terminal, target)


def test_paid_only_after_sent_and_cancel_never_after_sent():
    assert [s for s in STATUSES if PAID in TRANSITIONS[s]] == [SENT]
    assert CANCELLED not in TRANSITIONS[SENT]


# --- entitlement state machine: stateful test -------------------------------------------------------


ANY_TARGET = st.sampled_from([*STATUSES, "UNKNOWN"])


class EntitlementMachine(RuleBasedStateMachine):
    """The seven entitlements of one plan, each starting SCHEDULED. Rules attempt
    arbitrary transitions (mostly illegal) and listed ones (to reach deep states such
    as PAID, which needs three moves in a row); only allowed moves are applied."""

    @initialize()
    def start(self):
        self.histories = [[SCHEDULED] for _ in plan_incentives(GRANTED)]
        self.paid_entries = [0] * len(self.histories)

    @rule(data=st.data())
    def attempt_anything(self, data):
        index = data.draw(st.integers(min_value=0, max_value=len(self.histories) - 1))
        self._attempt(index, data.draw(ANY_TARGET))

    @rule(data=st.data())
    def attempt_a_listed_move(self, data):
        index = data.draw(st.integers(min_value=0, max_value=len(self.histories) - 1))
        options = sorted(TRANSITIONS.get(self.histories[index][-1], ()))
        self._attempt(index, data.draw(st.sampled_from(options) if options else ANY_TARGET))

    def _attempt(self, index, wanted):
        history = self.histories[index]
        before = history[-1]
        try:
            require_transition(before, wanted)
        except IllegalTransition as error:
            assert error.code == "IllegalTransition"
            return  # nothing changes
        # Allowed: the rules that every allowed move must obey.
        assert wanted in STATUSES
        assert before not in TERMINAL
        if wanted == PAID:
            assert before == SENT
        if wanted == CANCELLED:
            assert before != SENT
        history.append(wanted)
        if wanted == PAID:
            self.paid_entries[index] += 1

    @invariant()
    def terminal_is_last(self):
        for history in self.histories:
            for i, status in enumerate(history):
                if status in TERMINAL:
                    assert i == len(history) - 1

    @invariant()
    def paid_at_most_once_and_only_after_sent(self):
        for history, paid in zip(self.histories, self.paid_entries, strict=True):
            assert paid <= 1
            assert history.count(PAID) == paid
            for previous, status in pairwise(history):
                if status == PAID:
                    assert previous == SENT
                if status == CANCELLED:
                    assert previous != SENT


EntitlementMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None, database=None)
TestEntitlementMachine = EntitlementMachine.TestCase


@given(data=st.data())
@settings(max_examples=150, deadline=None, database=None)
def test_random_walk_enters_paid_at_most_once(data):
    state, paid = SCHEDULED, 0
    for _ in range(30):
        listed = sorted(TRANSITIONS.get(state, ()))
        follow = listed and data.draw(st.booleans())
        target = data.draw(st.sampled_from(listed) if follow else st.sampled_from(STATUSES))
        try:
            require_transition(state, target)
        except IllegalTransition:
            continue
        assert state not in TERMINAL
        assert target != PAID or state == SENT
        state = target
        paid += target == PAID
    assert paid <= 1
    assert paid == (state == PAID)


def _allowed(state):
    allowed = set()
    for target in [*STATUSES, "UNKNOWN"]:
        try:
            require_transition(state, target)
        except IllegalTransition:
            continue
        allowed.add(target)
    return allowed


def _reachable(start, min_steps):
    """States reachable from start in at least min_steps allowed moves."""
    frontier, seen = {start}, set()
    for _ in range(min_steps):
        frontier = set().union(*(_allowed(s) for s in frontier)) if frontier else set()
    while frontier - seen:
        seen |= frontier
        frontier = set().union(*(_allowed(s) for s in frontier))
    return seen


def test_exhaustive_model_check():
    # The state space is tiny: check every allowed move from every reachable state.
    reachable = _reachable(SCHEDULED, 0)
    assert reachable == set(STATUSES)
    for state in reachable:
        for target in _allowed(state):
            assert target in STATUSES
            assert state not in TERMINAL
            assert target != PAID or state == SENT
            assert target != CANCELLED or state != SENT
    # Once PAID, nothing follows, so PAID is never entered twice.
    assert _reachable(PAID, 1) == set()
    for terminal in TERMINAL:
        assert _allowed(terminal) == set()
    # Every non-terminal state can still end (no trap short of a terminal).
    for state in set(STATUSES) - TERMINAL:
        assert _reachable(state, 1) & TERMINAL


def test_happy_path_and_retry_walk():
    walk = [SCHEDULED, DUE, SENT, FAILED, DUE, SENT, PAID]
    for current, target in pairwise(walk):
        require_transition(current, target)
    with pytest.raises(IllegalTransition):
        require_transition(PAID, SENT)
