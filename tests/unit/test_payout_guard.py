"""The one payout guard, without AWS: which refusals hold, which stop, which fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prakerja_flow import config
from prakerja_flow.domain import payout_guard as guard
from prakerja_flow.domain.accounts import AccountInquiry

NOW = datetime(2020, 8, 1, 8, 0, tzinfo=UTC)
OVO = {"channel": "OVO", "account_number": "081234567890"}


def test_a_participant_who_is_not_active_is_refused_first_and_for_good():
    for status in ("CANCELLED", "REVOKED", "REVOKING"):
        refusal = guard.before_inquiry(status, OVO, NOW + timedelta(days=1), "2020-07-31T08:00:00Z", NOW)
        assert refusal == guard.Refusal(
            "ParticipantNotActive", f"participation is {status}; nothing more is paid", stops=True
        )


def test_no_account_is_a_failure_with_what_to_do():
    refusal = guard.before_inquiry("ACTIVE", None, None, None, NOW)
    assert refusal.code == "NoPayoutAccount" and not refusal.hold and not refusal.stops
    assert "add a bank or e-wallet account" in refusal.reason


@pytest.mark.parametrize(
    ("hold_for", "held"), [(timedelta(seconds=1), True), (timedelta(0), False), (-timedelta(days=1), False)]
)
def test_a_cooling_off_hold_lasts_until_its_end_exactly(hold_for, held):
    refusal = guard.before_inquiry("ACTIVE", OVO, NOW + hold_for, "2020-07-29T10:00:00Z", NOW)
    assert (refusal is not None) == held
    if held:
        assert refusal.code == "AccountCoolingOff" and refusal.hold and not refusal.stops
        assert "2020-07-29" in refusal.reason and (NOW + hold_for).date().isoformat() in refusal.reason


@pytest.mark.parametrize(
    ("inquiry", "code"),
    [
        (AccountInquiry(False), "AccountNotFound"),
        (AccountInquiry(True, holder_matches=False, kyc_verified=True, active=True), "AccountNotOwned"),
        (AccountInquiry(True, holder_matches=True, kyc_verified=True, active=False), "AccountInactive"),
        (AccountInquiry(True, holder_matches=True, kyc_verified=False, active=True), "AccountNotVerified"),
    ],
)
def test_the_providers_answer_decides_the_rest(inquiry, code):
    refusal = guard.account_refusal(OVO, inquiry)
    assert refusal.code == code and not refusal.hold and not refusal.stops


def test_the_participants_own_verified_account_is_cleared_with_its_version():
    assert guard.account_refusal(OVO, AccountInquiry(True, holder_matches=True, kyc_verified=True, active=True)) is None
    cleared = guard.clear(OVO, "2020-07-01T08:00:00Z")
    assert (cleared.channel, cleared.account_number, cleared.account_version) == (
        "OVO",
        "081234567890",
        "2020-07-01T08:00:00Z",
    )


def test_only_a_change_of_an_existing_account_starts_a_hold():
    assert guard.hold_after_change(None, OVO, NOW) is None
    dana = {"channel": "DANA", "account_number": "089900000001"}
    assert guard.hold_after_change(OVO, dana, NOW) == NOW + config.PAYOUT_ACCOUNT_COOLING_OFF


@pytest.mark.parametrize(
    ("kind", "sequence", "amount"),
    [
        ("POST_TRAINING", 1, config.POST_TRAINING_PAYOUT_IDR),
        ("POST_TRAINING", config.POST_TRAINING_PAYOUT_COUNT, config.POST_TRAINING_PAYOUT_IDR),
        ("SURVEY", config.SURVEY_COUNT, config.SURVEY_PAYMENT_IDR),
    ],
)
def test_every_payment_of_the_package_is_inside_it(kind, sequence, amount):
    assert guard.outside_package(kind, sequence, amount) is None


@pytest.mark.parametrize(
    ("kind", "sequence", "amount"),
    [
        (
            "POST_TRAINING",
            config.POST_TRAINING_PAYOUT_COUNT + 1,
            config.POST_TRAINING_PAYOUT_IDR,
        ),  # found by the model test
        ("POST_TRAINING", 0, config.POST_TRAINING_PAYOUT_IDR),
        ("SURVEY", config.SURVEY_COUNT + 1, config.SURVEY_PAYMENT_IDR),
        ("POST_TRAINING", 1, config.POST_TRAINING_PAYOUT_IDR + 1),
        ("SURVEY", 1, config.POST_TRAINING_PAYOUT_IDR),
        ("BONUS", 1, 1),
        ("POST_TRAINING", True, config.POST_TRAINING_PAYOUT_IDR),
        ("POST_TRAINING", "1", config.POST_TRAINING_PAYOUT_IDR),
    ],
)
def test_a_payment_the_package_does_not_have_is_refused_for_good(kind, sequence, amount):
    refusal = guard.outside_package(kind, sequence, amount)
    assert refusal is not None and refusal.code == "NotInPackage" and refusal.stops and not refusal.hold
    assert "not part of the package" in refusal.reason


def test_a_payment_outside_the_package_says_its_amounts_as_operators_read_them():
    fifth = guard.outside_package("POST_TRAINING", 5, config.POST_TRAINING_PAYOUT_IDR)
    assert fifth.reason == (
        "POST_TRAINING number 5 of Rp600,000 is not part of the package (4 of Rp600,000); never paid"
    )
    assert "the package has no BONUS" in guard.outside_package("BONUS", 1, 1).reason
    assert "of Rp'50000' is not" in guard.outside_package("SURVEY", 1, "50000").reason
