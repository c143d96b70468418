"""Request bodies of the HTTP API. Unknown fields are refused, numbers are strict
integers (no floats, no numeric strings): money is integer rupiah. No body names the
calling platform: that is the authenticated principal (routes.py, handlers/authorizer.py)."""

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
    trainings: Annotated[list[TrainingLine], Field(min_length=1, max_length=20)]


class Completion(_Body):
    training_id: Id
    certificate_id: Id


class RatingBody(_Body):
    instructor: Stars
    facilities: Stars
    programme: Stars
    review: Annotated[StrictStr, Field(min_length=config.REVIEW_MIN_CHARS, max_length=config.REVIEW_MAX_CHARS)]


class PayoutAccount(_Body):
    channel: Literal[config.PAYOUT_CHANNELS]  # type: ignore[valid-type]
    account_number: Annotated[StrictStr, Field(min_length=6, max_length=32, pattern=r"^[0-9]+$")]


class Survey(_Body):
    answers: Annotated[dict[Id, Annotated[StrictStr, Field(max_length=1000)] | StrictInt], Field(min_length=1, max_length=50)]


# --- responses (documented in the spec; schemathesis checks every answer against them) ------


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: a class name such as BundleNotAllowed (docs/api.md, Error codes)")
    message: str
    request_id: str | None = Field(description="API Gateway's request id: quote it when asking about a request")


class ErrorBody(BaseModel):
    """The one shape of every 4xx/5xx answer, from the API, the authorizer or the gateway."""

    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


class WaveView(BaseModel):
    wave: int
    status: str
    updated_at: str


class Registered(BaseModel):
    participant_id: str
    wave: int
    status: str
    balance_idr: int
    purchase_deadline: str


class PayoutAccountView(BaseModel):
    channel: str
    account_number_masked: str


class SurveySubmitted(BaseModel):
    sequence: int
    payment_status: str
    due_at: str | None


class PurchaseRecorded(BaseModel):
    purchase_id: str
    training_id: str
    price_idr: int
    remaining_balance_idr: int


class CompletionRecorded(BaseModel):
    purchase_id: str
    status: str
    certificate_id: str


class RatingRecorded(BaseModel):
    purchase_id: str
    rated: bool
