"""Training purchases: the bundle ban (not retroactive) and the balance rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain.errors import (
    BundleNotAllowed,
    InsufficientBalance,
    InvalidInput,
    ParticipantNotActive,
    PreviousTrainingNotFinished,
    PurchaseDeadlineExpired,
)
from prakerja_flow.domain.training import BalanceView, TrainingItem, check_bundle_ban, check_purchase, programme_date

FAST = settings(max_examples=60, deadline=None, database=None)

# The ban starts at midnight in Jakarta (WIB), the programme's calendar.
BAN_START = datetime.combine(config.BUNDLE_BAN_EFFECTIVE, time(0, 0), tzinfo=config.PROGRAMME_TIMEZONE)
BEFORE_BAN = BAN_START - timedelta(seconds=1)  # 29 June 2020 23:59:59
AFTER_BAN = BAN_START + timedelta(days=400)

A = TrainingItem("T-1", "LP-1", 500_000)
B = TrainingItem("T-2", "LP-2", 300_000)
C = TrainingItem("T-3", "LP-1", 100_000)  # same institution as A

NOW = datetime(2021, 3, 1, 10, 0, tzinfo=UTC)


def view(**changes) -> BalanceView:
    base = BalanceView(
        status="ACTIVE",
        balance_idr=config.TRAINING_BALANCE_IDR,
        purchase_deadline=NOW + timedelta(days=10),
        has_purchase=False,
        unfinished_purchase=False,
    )
    return replace(base, **changes)


# --- check_bundle_ban -----------------------------------------------------------------


def test_ban_effective_date_is_30_june_2020():
    assert config.BUNDLE_BAN_EFFECTIVE.isoformat() == "2020-06-30"


@pytest.mark.parametrize("at", [BAN_START, BAN_START + timedelta(hours=23, minutes=59), AFTER_BAN])
@pytest.mark.parametrize("items", [[A, B], [A, C], [A, B, C]], ids=["two-institutions", "one-institution", "three"])
def test_bundle_rejected_on_and_after_ban(at, items):
    with pytest.raises(BundleNotAllowed) as caught:
        check_bundle_ban(items, at)
    assert caught.value.http_status == 422
    assert str(len(items)) in caught.value.message


@pytest.mark.parametrize("at", [BEFORE_BAN, BAN_START - timedelta(days=90)])
def test_bundle_allowed_before_ban_not_retroactive(at):
    assert check_bundle_ban([A, B, C], at) == A


@pytest.mark.parametrize("at", [BEFORE_BAN, BAN_START, AFTER_BAN])
def test_single_training_always_allowed(at):
    assert check_bundle_ban([B], at) is B


@pytest.mark.parametrize("at", [BEFORE_BAN, BAN_START, AFTER_BAN])
def test_empty_purchase_is_invalid_input_not_bundle(at):
    with pytest.raises(InvalidInput) as caught:
        check_bundle_ban([], at)
    assert type(caught.value) is InvalidInput


def test_naive_datetimes_use_their_own_date():
    assert check_bundle_ban([A, B], datetime(2020, 6, 29, 23, 59, 59)) == A
    with pytest.raises(BundleNotAllowed):
        check_bundle_ban([A, B], datetime(2020, 6, 30, 0, 0))


@given(
    at=st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2023, 12, 31), timezones=st.just(UTC)),
    n=st.integers(min_value=1, max_value=5),
)
@example(at=datetime(2020, 6, 29, 18, 0, tzinfo=UTC), n=2)  # 30 June in Jakarta, 29 June in UTC
@FAST
def test_bundle_ban_property(at, n):
    items = [TrainingItem(f"T-{i}", f"LP-{i % 2}", 1000 * (i + 1)) for i in range(n)]
    # The ban's date is the programme's (Jakarta) date: 29 June 17:00 UTC is already 30 June there.
    banned = n > 1 and programme_date(at) >= config.BUNDLE_BAN_EFFECTIVE
    if banned:
        with pytest.raises(BundleNotAllowed):
            check_bundle_ban(items, at)
    else:
        assert check_bundle_ban(items, at) == items[0]


# --- check_purchase -----------------------------------------------------------------------


def test_good_first_purchase_returns_the_item():
    assert check_purchase(view(), [A], NOW) is A


@pytest.mark.parametrize("status", ["REGISTERED", "EXPIRED", "INACTIVE", "active", "", "COMPLETED"])
def test_status_not_active_refused(status):
    with pytest.raises(ParticipantNotActive) as caught:
        check_purchase(view(status=status), [A], NOW)
    assert caught.value.http_status == 409


def test_status_checked_before_everything_else():
    hopeless = view(
        status="EXPIRED", balance_idr=0, purchase_deadline=NOW - timedelta(days=1), unfinished_purchase=True
    )
    with pytest.raises(ParticipantNotActive):
        check_purchase(hopeless, [A, B], NOW)


def test_first_purchase_after_deadline_refused():
    with pytest.raises(PurchaseDeadlineExpired) as caught:
        check_purchase(view(purchase_deadline=NOW - timedelta(seconds=1)), [A], NOW)
    assert (NOW - timedelta(seconds=1)).isoformat() in caught.value.message


def test_first_purchase_exactly_at_deadline_allowed():
    assert check_purchase(view(purchase_deadline=NOW), [A], NOW) is A


def test_deadline_applies_to_first_purchase_only():
    later = view(purchase_deadline=NOW - timedelta(days=60), has_purchase=True, balance_idr=500_000)
    assert check_purchase(later, [A], NOW) is A


def test_bundle_refused_through_check_purchase():
    with pytest.raises(BundleNotAllowed):
        check_purchase(view(), [A, B], NOW)


def test_empty_purchase_refused_through_check_purchase():
    with pytest.raises(InvalidInput):
        check_purchase(view(), [], NOW)


def test_price_over_balance_refused():
    with pytest.raises(InsufficientBalance) as caught:
        check_purchase(view(balance_idr=499_999), [A], NOW)
    assert "Rp500,000" in caught.value.message
    assert "Rp499,999" in caught.value.message


def test_price_exactly_equal_to_balance_allowed():
    assert check_purchase(view(balance_idr=500_000), [A], NOW) is A


def test_full_balance_training_allowed():
    full = TrainingItem("T-9", "LP-9", config.TRAINING_BALANCE_IDR)
    assert check_purchase(view(), [full], NOW) is full


def test_zero_balance_refuses_any_training():
    with pytest.raises(InsufficientBalance):
        check_purchase(view(balance_idr=0, has_purchase=True), [TrainingItem("T", "L", 1)], NOW)


@given(
    balance=st.integers(min_value=0, max_value=config.TRAINING_BALANCE_IDR),
    price=st.integers(min_value=1, max_value=2 * config.TRAINING_BALANCE_IDR),
)
@FAST
def test_balance_rule_property(balance, price):
    item = TrainingItem("T", "L", price)
    if price <= balance:
        assert check_purchase(view(balance_idr=balance), [item], NOW) is item
    else:
        with pytest.raises(InsufficientBalance):
            check_purchase(view(balance_idr=balance), [item], NOW)


def test_unfinished_previous_training_refused():
    with pytest.raises(PreviousTrainingNotFinished):
        check_purchase(view(has_purchase=True, unfinished_purchase=True), [B], NOW)


def test_zero_price_refused():
    with pytest.raises(InvalidInput) as caught:
        check_purchase(view(), [TrainingItem("T", "L", 0)], NOW)
    assert type(caught.value) is InvalidInput


@pytest.mark.parametrize("price", [500_000.0, 1.5, "500000", Decimal(500_000), None, True])
def test_non_int_price_is_a_type_error(price):
    with pytest.raises(TypeError):
        check_purchase(view(), [TrainingItem("T", "L", price)], NOW)


def test_negative_price_refused():
    with pytest.raises(ValueError):
        check_purchase(view(), [TrainingItem("T", "L", -1)], NOW)


def test_ban_date_is_the_jakarta_date_not_the_utc_date():
    # 30 June 2020 02:00 WIB is still 29 June in UTC: the ban already applies.
    early_morning_wib = datetime(2020, 6, 29, 19, 0, tzinfo=UTC)
    with pytest.raises(BundleNotAllowed):
        check_bundle_ban([A, B], early_morning_wib)
