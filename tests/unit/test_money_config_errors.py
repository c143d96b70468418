"""Integer rupiah, the programme's constants, and the business error catalogue."""

from __future__ import annotations

import inspect
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain import errors
from prakerja_flow.domain.errors import DomainError
from prakerja_flow.domain.money import format_idr, require_rupiah

FAST = settings(max_examples=100, deadline=None, database=None)


# --- money -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, 1, 600_000, 3_550_000, 10**15])
def test_require_rupiah_returns_the_int(amount):
    assert require_rupiah(amount) == amount


@pytest.mark.parametrize("amount", [1.0, 0.0, 600_000.0, 1.5, Decimal(1), Fraction(1, 1), "100", None, b"1", [1]])
def test_require_rupiah_rejects_non_int(amount):
    with pytest.raises(TypeError):
        require_rupiah(amount)


@pytest.mark.parametrize("amount", [True, False])
def test_require_rupiah_rejects_bool(amount):
    with pytest.raises(TypeError) as caught:
        require_rupiah(amount)
    assert "bool" in str(caught.value)


@pytest.mark.parametrize("amount", [-1, -600_000])
def test_require_rupiah_rejects_negative(amount):
    with pytest.raises(ValueError) as caught:
        require_rupiah(amount, "price_idr")
    assert "price_idr" in str(caught.value)


def test_require_rupiah_names_the_field():
    with pytest.raises(TypeError) as caught:
        require_rupiah(1.5, "balance_idr")
    assert "balance_idr" in str(caught.value) and "float" in str(caught.value)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "Rp0"),
        (999, "Rp999"),
        (1_000, "Rp1,000"),
        (50_000, "Rp50,000"),
        (600_000, "Rp600,000"),
        (3_550_000, "Rp3,550,000"),
    ],
)
def test_format_idr(amount, text):
    assert format_idr(amount) == text


@pytest.mark.parametrize(
    ("amount", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("1000", TypeError)]
)
def test_format_idr_rejects_what_require_rupiah_rejects(amount, error):
    with pytest.raises(error):
        format_idr(amount)


@given(amount=st.integers(min_value=0, max_value=10**18))
@FAST
def test_format_idr_round_trips(amount):
    text = format_idr(amount)
    assert text.startswith("Rp")
    assert int(text[2:].replace(",", "")) == amount
    groups = text[2:].split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


@given(amount=st.integers(max_value=-1))
@FAST
def test_any_negative_rejected(amount):
    with pytest.raises(ValueError):
        require_rupiah(amount)


# --- config --------------------------------------------------------------------------------


def test_package_cap():
    assert config.PACKAGE_CAP_IDR == 3_550_000
    assert config.TRAINING_BALANCE_IDR == 1_000_000
    assert config.CASH_INCENTIVE_CAP_IDR == 2_550_000
    assert config.PACKAGE_CAP_IDR == config.TRAINING_BALANCE_IDR + config.CASH_INCENTIVE_CAP_IDR
    assert config.CASH_INCENTIVE_CAP_IDR == (
        config.POST_TRAINING_PAYOUT_IDR * config.POST_TRAINING_PAYOUT_COUNT
        + config.SURVEY_PAYMENT_IDR * config.SURVEY_COUNT
    )


MONEY_NAMES = [name for name in vars(config) if name.endswith("_IDR")]


def test_money_constants_found():
    assert {
        "TRAINING_BALANCE_IDR",
        "POST_TRAINING_PAYOUT_IDR",
        "SURVEY_PAYMENT_IDR",
        "CASH_INCENTIVE_CAP_IDR",
        "PACKAGE_CAP_IDR",
    } <= set(MONEY_NAMES)


@pytest.mark.parametrize("name", MONEY_NAMES)
def test_money_constants_are_positive_ints(name):
    value = getattr(config, name)
    assert type(value) is int
    assert value > 0
    assert require_rupiah(value) == value


@pytest.mark.parametrize(
    "name", ["POST_TRAINING_PAYOUT_COUNT", "SURVEY_COUNT", "MINIMUM_AGE_YEARS", "NIK_FEMALE_DAY_OFFSET"]
)
def test_counts_are_positive_ints(name):
    value = getattr(config, name)
    assert type(value) is int and value > 0


def test_survey_offsets_match_survey_count():
    assert len(config.SURVEY_OPENS_AFTER_FIRST_PAYOUT) == config.SURVEY_COUNT
    offsets = list(config.SURVEY_OPENS_AFTER_FIRST_PAYOUT)
    assert all(isinstance(o, timedelta) and o > timedelta(0) for o in offsets)
    assert offsets == sorted(set(offsets))  # strictly increasing


@pytest.mark.parametrize(
    "name",
    [
        "PURCHASE_DEADLINE",
        "BALANCE_VALIDITY",
        "FIRST_PAYOUT_DELAY",
        "PAYOUT_INTERVAL",
        "SURVEY_WINDOW",
        "SENT_SETTLEMENT_AFTER",
    ],
)
def test_durations_are_positive_timedeltas(name):
    value = getattr(config, name)
    assert isinstance(value, timedelta) and value > timedelta(0)


def test_rating_and_review_limits_consistent():
    assert 1 <= config.RATING_MIN_STARS < config.RATING_MAX_STARS
    assert 0 < config.REVIEW_MIN_CHARS < config.REVIEW_MAX_CHARS


def test_province_codes_are_two_digit_ints():
    assert config.PROVINCE_CODES
    assert all(type(c) is int and 11 <= c <= 99 for c in config.PROVINCE_CODES)
    assert {11, 31, 51, 61, 71, 81, 91} <= config.PROVINCE_CODES  # Aceh, DKI, Bali, Kalbar, Sulut, Maluku, Papua
    assert not {0, 10, 20, 30, 99} & config.PROVINCE_CODES


# --- errors ------------------------------------------------------------------------------------


def _all_domain_errors():
    found, todo = set(), [DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    module_classes = {obj for obj in vars(errors).values() if inspect.isclass(obj) and issubclass(obj, DomainError)}
    return sorted(found | module_classes, key=lambda c: c.__name__)


DOMAIN_ERRORS = _all_domain_errors()


def test_error_catalogue_is_not_empty():
    names = {c.__name__ for c in DOMAIN_ERRORS}
    assert {
        "InvalidInput",
        "InvalidNik",
        "Underage",
        "BundleNotAllowed",
        "IllegalTransition",
        "RatingIncomplete",
    } <= names


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda c: c.__name__)
def test_code_is_class_name_and_status_is_4xx(cls):
    """A rule saying no is 4xx; the one exception is "try again later" (503 with Retry-After:
    what was written stays, and the same request completes it), never a fault of ours."""
    error = cls("something went wrong")
    assert error.code == cls.__name__
    if issubclass(cls, errors.TryAgainLater):
        assert error.http_status == 503 and error.retry_after_seconds > 0
    else:
        assert isinstance(error.http_status, int) and 400 <= error.http_status <= 499
    assert error.message == "something went wrong"
    assert str(error) == "something went wrong"
    assert isinstance(error, Exception)


def test_error_names_are_unique():
    names = [c.__name__ for c in DOMAIN_ERRORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.InvalidInput, 422),
        (errors.InvalidNik, 422),
        (errors.Underage, 422),
        (errors.BundleNotAllowed, 422),
        (errors.NotFound, 404),
        (errors.ParticipantNotFound, 404),
        (errors.PurchaseNotFound, 404),
        (errors.WaveNotFound, 404),
        (errors.SurveyNotFound, 404),
        (errors.WaveClosed, 409),
        (errors.InsufficientBalance, 409),
        (errors.IllegalTransition, 409),
    ],
)
def test_specific_statuses(cls, status):
    assert cls("x").http_status == status


def test_subclass_code_is_its_own_name_not_the_parent():
    assert errors.InvalidNik("x").code == "InvalidNik"
    assert errors.InvalidInput("x").code == "InvalidInput"
    assert errors.ParticipantNotFound("x").code == "ParticipantNotFound"
