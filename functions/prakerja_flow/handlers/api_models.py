"""Request bodies of the HTTP API. Unknown fields are refused, numbers are strict
integers (no floats, no numeric strings) with both bounds from config.py: money is
integer rupiah. No body names the calling platform: that is the authenticated principal
(routes.py, handlers/authorizer.py). Identifiers are ASCII patterns; every other text
follows a rule of handlers/text.py, named in its field's description."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    StrictStr,
    Tag,
)

from .. import config
from ..domain import vouchers
from . import text

Id = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Stars = Annotated[StrictInt, Field(ge=config.RATING_MIN_STARS, le=config.RATING_MAX_STARS)]
WaveNumber = Annotated[StrictInt, Field(ge=config.WAVE_MIN, le=config.WAVE_MAX)]

# One line: a name, who acted, why. No line breaks (they would forge lines in the audit
# log and in `prakerja ops` output), no control or format characters.
FULL_NAME = text.TextRule("a name", config.FULL_NAME_MAX_CHARS)
ACTOR = text.TextRule("an actor", config.ACTOR_MAX_CHARS)
REASON = text.TextRule("a reason", config.REASON_MAX_CHARS)
# Prose a participant wrote: paragraphs allowed (line breaks, tabs), nothing else invisible.
REVIEW = text.TextRule(
    "a review", config.REVIEW_MAX_CHARS, min_chars=config.REVIEW_MIN_CHARS, allowed=text.LINE_BREAKS_AND_TABS
)
SURVEY_TEXT = text.TextRule(
    "a survey answer", config.SURVEY_ANSWER_MAX_CHARS, min_chars=0, allowed=text.LINE_BREAKS_AND_TABS
)


def Text(rule: text.TextRule, description: str):  # noqa: N802 - a type, as used in annotations
    lines = "may contain line breaks and tabs" if rule.allowed else "one line"
    return Annotated[
        StrictStr,
        Field(
            min_length=rule.min_chars,
            max_length=rule.max_chars,
            description=(
                f"{description}: NFC-normalised and trimmed, {lines}, "
                "no control or format characters (docs/api.md, Text fields)"
            ),
        ),
        BeforeValidator(partial(text.refuse_forbidden, rule=rule)),
        AfterValidator(partial(text.normalise, rule=rule)),
    ]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WaveAction(_Body):
    actor: Text(ACTOR, "who acts (a person or a tool)")
    reason: Text(REASON, "why, for the audit log")


class Registration(_Body):
    nik: Annotated[StrictStr, Field(min_length=16, max_length=16, pattern=r"^[0-9]{16}$")]
    full_name: Text(FULL_NAME, "the participant's name as on the KTP")
    wave: WaveNumber


class TrainingLine(_Body):
    training_id: Id
    institution_id: Id
    price_idr: Annotated[StrictInt, Field(gt=0, le=config.TRAINING_BALANCE_IDR)]


VoucherCode = Annotated[
    StrictStr,
    Field(
        min_length=18,
        max_length=18,
        pattern=vouchers.CODE_PATTERN.pattern,
        description="the participant's voucher for this platform and training, "
        "from POST /participants/{participant_id}/vouchers",
    ),
]


class Purchase(_Body):
    purchase_id: Id
    trainings: Annotated[list[TrainingLine], Field(min_length=1, max_length=config.PURCHASE_MAX_TRAININGS)]
    voucher_code: VoucherCode


class VoucherRequest(_Body):
    """The participant chose a training on a platform: the voucher that lets that platform
    sell it to them, once."""

    platform_id: Id
    training_id: Id


class Completion(_Body):
    training_id: Id
    certificate_id: Id


class RatingBody(_Body):
    """A participant's rating. The review is prose: it may hold paragraphs (line feeds,
    tabs; a CR LF is stored as a line feed) and any printable text, but no other control
    characters, no format characters (bidirectional overrides, zero-width characters) and
    no separators; its minimum length counts no surrounding whitespace."""

    instructor: Stars
    facilities: Stars
    programme: Stars
    review: Text(REVIEW, "the participant's own words")


class PayoutAccount(_Body):
    channel: Literal[config.PAYOUT_CHANNELS]  # type: ignore[valid-type]
    account_number: Annotated[StrictStr, Field(min_length=6, max_length=32, pattern=r"^[0-9]+$")]


# Tagged by the JSON type, so that a refusal names the one rule that applies (an untagged
# union would report both members' errors, under pydantic's internal names).
SurveyAnswer = Annotated[
    Annotated[Text(SURVEY_TEXT, "a written answer"), Tag("text")]
    | Annotated[
        Annotated[StrictInt, Field(ge=config.SURVEY_ANSWER_INT_MIN, le=config.SURVEY_ANSWER_INT_MAX)], Tag("number")
    ],
    Discriminator(lambda value: "text" if isinstance(value, str) else "number"),
]


class Survey(_Body):
    """Answers by question id: an integer within the bounds below, or a written answer that
    may hold paragraphs like a review and may be empty."""

    answers: Annotated[dict[Id, SurveyAnswer], Field(min_length=1, max_length=config.SURVEY_MAX_ANSWERS)]


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


class VoucherIssued(BaseModel):
    voucher_code: str
    platform_id: str
    training_id: str
    expires_at: str


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
