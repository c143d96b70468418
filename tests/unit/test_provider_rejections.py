"""The causes of a rejected transfer the programme met (domain/provider_rejections.py), pure:
what each becomes on the entitlement and when the payout run sends again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prakerja_flow import clock, config
from prakerja_flow.domain import provider_rejections as pr

NOW = datetime(2021, 7, 20, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("contract_code", "failure_code"),
    [
        ("balance_limit_reached", "EwalletLimitReached"),
        ("account_frozen", "AccountFrozen"),
        ("phone_number_changed", "PhoneNumberChanged"),
        (None, "ProviderRejected"),
        ("", "ProviderRejected"),
        ("something_new", "ProviderRejected"),
    ],
)
def test_each_contract_code_has_its_own_failure_code(contract_code, failure_code):
    assert pr.failure_code(contract_code) == failure_code
    assert failure_code in pr.FAILURE_CODES


@pytest.mark.parametrize(
    ("at", "expected_utc"),
    [
        (NOW, "2021-07-31T17:00:00Z"),  # 1 August 00:00 in Jakarta
        (datetime(2021, 12, 31, 16, 59, tzinfo=UTC), "2021-12-31T17:00:00Z"),  # 23:59 WIB on 31 December
        (datetime(2021, 12, 31, 17, 0, tzinfo=UTC), "2022-01-31T17:00:00Z"),  # already 1 January in Jakarta
        (datetime(2021, 1, 31, 12, 0, tzinfo=UTC), "2021-01-31T17:00:00Z"),  # 31 January, a long month
    ],
)
def test_next_month_is_the_jakarta_calendars(at, expected_utc):
    assert clock.iso(pr.next_month(at)) == expected_utc


def test_a_full_e_wallet_is_retried_when_the_month_turns():
    assert pr.retry_after(pr.EWALLET_LIMIT_REACHED, NOW) == pr.next_month(NOW)


@pytest.mark.parametrize("code", [pr.ACCOUNT_FROZEN, pr.PHONE_NUMBER_CHANGED])
def test_an_account_cause_reported_by_a_transfer_waits_before_a_resend(code):
    assert pr.retry_after(code, NOW) == NOW + config.ACCOUNT_REJECTION_RETRY_AFTER


def test_any_other_rejection_is_retried_by_the_next_run_as_before():
    assert pr.retry_after(pr.PROVIDER_REJECTED, NOW) is None
    assert pr.reason(pr.PROVIDER_REJECTED, "bank offline", None) == "the provider rejected the transfer: bank offline"


def test_the_reason_names_the_cause_the_providers_words_and_the_retry_day():
    retry = pr.retry_after(pr.EWALLET_LIMIT_REACHED, NOW)
    why = pr.reason(pr.EWALLET_LIMIT_REACHED, "limit exceeded", retry)
    assert why.startswith("the e-wallet's balance or monthly incoming limit is reached")
    assert "limit exceeded" in why and "retried automatically from 2021-08-01" in why  # the Jakarta date
    assert "after the payout account is changed" in why


def failed(retry_after, failed_at=NOW):
    return {"status": "FAILED", "failed_at": clock.iso(failed_at), "retry_after": clock.iso(retry_after)}


def test_it_waits_until_the_retry_time_and_no_longer():
    ent = failed(NOW + timedelta(days=12))
    assert pr.waits(ent, clock.iso(NOW - timedelta(days=60)), NOW + timedelta(days=11, hours=23))
    assert not pr.waits(ent, clock.iso(NOW - timedelta(days=60)), NOW + timedelta(days=12))


def test_an_account_changed_since_the_rejection_ends_the_wait():
    ent = failed(NOW + timedelta(days=12))
    assert not pr.waits(ent, clock.iso(NOW + timedelta(days=1)), NOW + timedelta(days=2))
    assert not pr.waits(ent, clock.iso(NOW), NOW + timedelta(days=2))  # the same second: retried, to be safe
    assert pr.waits(ent, clock.iso(NOW - timedelta(seconds=1)), NOW + timedelta(days=2))  # the one rejected


def test_without_a_retry_time_nothing_waits():
    assert not pr.waits({"status": "FAILED", "failed_at": clock.iso(NOW)}, None, NOW)
