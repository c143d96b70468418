"""Per-training ratings: instructor, facilities and programme, 1-5 stars each, plus a review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import config
from .errors import RatingIncomplete

RATED_ASPECTS = ("instructor", "facilities", "programme")


def window_closes(first_completed_at: datetime) -> datetime:
    """No rating, no incentive: the window in which a rating still earns it (config.RATING_WINDOW)."""
    return first_completed_at + config.RATING_WINDOW


def window_closed_message(closed_at: str | None) -> str:
    on = f" on {closed_at[:10]}" if closed_at else ""
    return (
        f"the rating window closed{on}: no training was rated within {config.RATING_WINDOW.days} days of the "
        "first completion, so no incentive is paid (no rating, no incentive)"
    )


@dataclass(frozen=True)
class Rating:
    instructor: int
    facilities: int
    programme: int
    review: str


def check_rating(rating: dict[str, Any] | None) -> Rating:
    """The incentive needs all three aspects rated and a written review."""
    if not rating:
        raise RatingIncomplete("the training has not been rated")
    missing = [a for a in RATED_ASPECTS if not _valid_stars(rating.get(a))]
    if missing:
        raise RatingIncomplete(
            f"rating needs {config.RATING_MIN_STARS}-{config.RATING_MAX_STARS} stars for: {', '.join(missing)}"
        )
    review = rating.get("review")
    if not isinstance(review, str) or len(review.strip()) < config.REVIEW_MIN_CHARS:
        raise RatingIncomplete(f"a written review of at least {config.REVIEW_MIN_CHARS} characters is required")
    return Rating(int(rating["instructor"]), int(rating["facilities"]), int(rating["programme"]), review)


def _valid_stars(value: object) -> bool:
    # Range first: NaN and infinities fail it before int() could raise on them.
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and config.RATING_MIN_STARS <= value <= config.RATING_MAX_STARS
        and int(value) == value
    )
