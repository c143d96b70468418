"""Ratings: three aspects of 1-5 whole stars and a written review."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain.errors import RatingIncomplete
from prakerja_flow.domain.rating import RATED_ASPECTS, Rating, check_rating

FAST = settings(max_examples=60, deadline=None, database=None)

REVIEW = "Materinya jelas dan bermanfaat."
GOOD = {"instructor": 5, "facilities": 1, "programme": 3, "review": REVIEW}


def with_(**changes):
    return {**GOOD, **changes}


def test_aspects_are_the_three_programme_aspects():
    assert set(RATED_ASPECTS) == {"instructor", "facilities", "programme"}


def test_good_rating():
    assert check_rating(GOOD) == Rating(5, 1, 3, REVIEW)


@pytest.mark.parametrize("rating", [None, {}])
def test_missing_rating(rating):
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(rating)
    assert caught.value.http_status == 409


@pytest.mark.parametrize("aspect", RATED_ASPECTS)
def test_each_aspect_required(aspect):
    rating = dict(GOOD)
    del rating[aspect]
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(rating)
    assert aspect in caught.value.message


@pytest.mark.parametrize("aspect", RATED_ASPECTS)
@pytest.mark.parametrize("stars", [0, 6, -1, 10, 100, -5])
def test_each_aspect_out_of_range(aspect, stars):
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(with_(**{aspect: stars}))
    assert aspect in caught.value.message
    assert f"{config.RATING_MIN_STARS}-{config.RATING_MAX_STARS}" in caught.value.message


@pytest.mark.parametrize("aspect", RATED_ASPECTS)
@pytest.mark.parametrize("stars", [config.RATING_MIN_STARS, config.RATING_MAX_STARS])
def test_each_aspect_bounds_inclusive(aspect, stars):
    assert getattr(check_rating(with_(**{aspect: stars})), aspect) == stars


def test_only_the_bad_aspects_are_named():
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(with_(instructor=0, programme=9))
    assert "instructor" in caught.value.message
    assert "programme" in caught.value.message
    assert "facilities" not in caught.value.message


@pytest.mark.parametrize("aspect", RATED_ASPECTS)
@pytest.mark.parametrize(
    "stars",
    [True, False, 3.5, 4.99, "5", "3", None, [5], {"stars": 5}],
    ids=["True", "False", "3.5", "4.99", "str5", "str3", "None", "list", "dict"],
)
def test_non_whole_number_stars_refused(aspect, stars):
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(with_(**{aspect: stars}))
    assert aspect in caught.value.message


@pytest.mark.parametrize("stars", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_stars_refused_not_a_crash(stars):
    # A float is accepted when it is a whole number of stars; NaN and infinity are not
    # numbers of stars and must be refused like 3.5 is, not crash int().
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(with_(instructor=stars))
    assert "instructor" in caught.value.message


def test_integral_float_stars_come_back_as_int():
    rating = check_rating(with_(instructor=4.0, facilities=2.0, programme=5.0))
    assert (rating.instructor, rating.facilities, rating.programme) == (4, 2, 5)
    assert all(type(getattr(rating, a)) is int for a in RATED_ASPECTS)


@pytest.mark.parametrize(
    "review",
    [None, "", " " * 50, "\n\t " * 10, "short", "123456789", "   123456789   ", "\u3000" * 12],
    ids=["None", "empty", "spaces", "whitespace", "short", "nine", "nine-padded", "ideographic-space"],
)
def test_review_too_short_or_blank(review):
    with pytest.raises(RatingIncomplete) as caught:
        check_rating(with_(review=review))
    assert str(config.REVIEW_MIN_CHARS) in caught.value.message


def test_review_missing():
    rating = dict(GOOD)
    del rating["review"]
    with pytest.raises(RatingIncomplete):
        check_rating(rating)


def test_review_of_exactly_min_chars_after_strip():
    review = "  " + "x" * config.REVIEW_MIN_CHARS + "  "
    assert check_rating(with_(review=review)).review == review


@pytest.mark.parametrize("review", [12345678901, ["a long enough review"]], ids=["int", "list"])
def test_non_string_review_is_incomplete_not_a_crash(review):
    with pytest.raises(RatingIncomplete):
        check_rating(with_(review=review))


def test_stars_checked_before_review():
    with pytest.raises(RatingIncomplete) as caught:
        check_rating({"instructor": 0, "facilities": 3, "programme": 3, "review": ""})
    assert "instructor" in caught.value.message


@given(
    stars=st.tuples(*[st.integers(min_value=config.RATING_MIN_STARS, max_value=config.RATING_MAX_STARS)] * 3),
    review=st.text(min_size=config.REVIEW_MIN_CHARS, max_size=200).filter(
        lambda t: len(t.strip()) >= config.REVIEW_MIN_CHARS
    ),
)
@FAST
def test_any_complete_rating_accepted(stars, review):
    rating = dict(zip(RATED_ASPECTS, stars, strict=True), review=review)
    assert check_rating(rating) == Rating(*stars, review)


@given(
    bad=st.integers().filter(lambda n: not config.RATING_MIN_STARS <= n <= config.RATING_MAX_STARS),
    aspect=st.sampled_from(RATED_ASPECTS),
)
@FAST
def test_any_out_of_range_integer_refused(bad, aspect):
    with pytest.raises(RatingIncomplete):
        check_rating(with_(**{aspect: bad}))
