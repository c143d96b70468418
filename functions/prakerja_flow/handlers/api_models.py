"""Request bodies of the HTTP API. Unknown fields are refused, numbers are strict
integers (no floats, no numeric strings): money is integer rupiah."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from .. import config

Id = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Stars = Annotated[StrictInt, Field(ge=config.RATING_MIN_STARS, le=config.RATING_MAX_STARS)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WaveAction(_Body):
    actor: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    reason: Annotated[StrictStr, Field(min_length=1, max_length=500)]


class Registration(_Body):
    nik: Annotated[StrictStr, Field(min_length=16, max_length=16, pattern=r"^[0-9]{16}$")]
    full_name: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    wave: Annotated[StrictInt, Field(ge=1, le=1000)]


class TrainingLine(_Body):
    training_id: Id
    institution_id: Id
    price_idr: Annotated[StrictInt, Field(gt=0, le=config.TRAINING_BALANCE_IDR)]


class Purchase(_Body):
    purchase_id: Id
    platform_id: Id
    trainings: Annotated[list[TrainingLine], Field(min_length=1, max_length=20)]


class Completion(_Body):
    platform_id: Id
    training_id: Id
    certificate_id: Id


class RatingBody(_Body):
    platform_id: Id
    instructor: Stars
    facilities: Stars
    programme: Stars
    review: Annotated[StrictStr, Field(min_length=config.REVIEW_MIN_CHARS, max_length=config.REVIEW_MAX_CHARS)]


class PayoutAccount(_Body):
    channel: Literal[config.PAYOUT_CHANNELS]  # type: ignore[valid-type]
    account_number: Annotated[StrictStr, Field(min_length=6, max_length=32, pattern=r"^[0-9]+$")]


class Survey(_Body):
    answers: Annotated[dict[Id, Annotated[StrictStr, Field(max_length=1000)] | StrictInt], Field(min_length=1, max_length=50)]
