"""The HTTP API behind API Gateway (Lambda proxy integration).

Every error has one shape: {"error": {"code", "message", "request_id"}}, where
`code` is machine-readable (a DomainError class name, ValidationError, ...).

Callers are authenticated by the API's Lambda authorizer (handlers/authorizer.py); before
routing, this function re-checks what the authorizer decided (routes.py) and that the body
is the one that was signed (handlers/api_gate.py), and takes a platform's identity only
from the authorizer's context."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import clock, config, routes
from ..auth import signing
from ..data import participants as profiles
from ..domain.errors import DomainError, TryAgainLater
from ..domain.training import TrainingItem
from ..observability import logger, metrics, tracer
from ..services import participants, status, training
from . import api_gate, idempotency, request_body
from . import api_models as m
from .clock_source import install as install_clock_source

install_clock_source()  # the wall clock unless this is a development stack on a programme clock

# One JSON parser for every body (request_body.py): the resolver's own json.loads would
# take duplicate keys and recurse on deep nesting.
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=request_body.parse_object)

TITLE, VERSION = "Prakerja Flow API", "1.0.0"
SECURITY_SCHEME = "PrakerjaSignature"
SECURITY_SCHEMES = {
    SECURITY_SCHEME: APIKey(
        name=signing.SIGNATURE,
        in_=APIKeyIn.header,
        description=(
            "HMAC-SHA256 request signature. Send all of X-Prakerja-Key-Id, X-Prakerja-Timestamp, "
            "X-Prakerja-Nonce, X-Prakerja-Content-SHA256 and X-Prakerja-Signature; see docs/api.md, "
            "Signing requests. Platform, portal and operator keys each open their own routes."
        ),
    ),
}
app.configure_openapi(title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES, security=[{SECURITY_SCHEME: []}])
app.enable_swagger(
    path=routes.SWAGGER_PATH,
    title=TITLE,
    version=VERSION,
    security_schemes=SECURITY_SCHEMES,
    security=[{SECURITY_SCHEME: []}],
)

ParticipantId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PurchaseId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
WaveNumber = Annotated[int, Path(ge=config.WAVE_MIN, le=config.WAVE_MAX)]
SurveySequence = Annotated[int, Path(ge=1, le=config.SURVEY_COUNT)]
# Read by handlers/idempotency.py before routing; declared here so that the spec documents it.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        min_length=1,
        max_length=config.IDEMPOTENCY_KEY_MAX_CHARS,
        pattern=idempotency.KEY_PATTERN.pattern,
        description=(
            "Makes a retry safe: a success is replayed for the same key and body; "
            "another body gets 422 IdempotencyKeyReused"
        ),
    ),
]


_ERRORS = {
    401: "Unauthenticated: the request is not signed",
    403: "InvalidSignature, RequestExpired, RequestReplayed, Forbidden or BodyHashMismatch",
    404: "RouteNotFound, or the participant/purchase/wave is not found (for this caller)",
    409: "a business rule refused the request, or IdempotencyKeyInProgress",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType: send the body as Content-Type: application/json",
    422: (
        "ValidationError (schema, text rules, JSON nested too deep, duplicate keys), "
        "a business rule refused the input, or IdempotencyKeyReused"
    ),
    429: "Throttled",
    500: "InternalError: retry with the same Idempotency-Key",
    503: "LifecycleNotStarted: recorded, but AWS would not start it now; retry after Retry-After seconds "
    "with the same Idempotency-Key to complete it",
}
_BODYLESS_ERRORS = (401, 403, 404, 422, 429, 500)


def _answers(status_code: int, model: type, description: str, *, body: bool = True, starts: bool = False) -> dict:
    """The route's documented responses: its success and the one error shape for the rest
    (503 only where the route starts a lifecycle execution)."""
    codes = sorted(c for c in _ERRORS if c != 503 or starts) if body else _BODYLESS_ERRORS
    responses: dict = {
        status_code: {"description": description, "content": {content_types.APPLICATION_JSON: {"model": model}}}
    }
    for code in codes:
        responses[code] = {
            "description": _ERRORS[code],
            "content": {content_types.APPLICATION_JSON: {"model": m.ErrorBody}},
        }
    return responses


def error_response(status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    request_id = app.current_event.request_context.request_id if app.current_event else None
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "request_id": request_id}},
        headers=headers,
    )


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[dict]:
    metrics.add_metric(name=f"Rejected_{error.code}", unit="Count", value=1)
    # A 503 says when to come back (the same request then completes what was started).
    headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TryAgainLater) else None
    return error_response(error.http_status, error.code, error.message, headers)


@app.exception_handler(request_body.Refused)
def _body_refused_in_resolver(error: request_body.Refused) -> Response[dict]:
    return error_response(error.status, error.code, error.message)


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response[dict]:
    problems = [
        "request body is not valid JSON"
        if e.get("type") == "json_invalid"
        else f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
        for e in error.errors()
    ]
    return error_response(422, "ValidationError", "; ".join(problems)[:1000])


@app.not_found
def _not_found(_: NotFoundError) -> Response[dict]:
    return error_response(
        404, "RouteNotFound", f"no route for {app.current_event.http_method} {app.current_event.path}"
    )


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[dict]:
    logger.exception("unhandled error")
    return error_response(500, "InternalError", "an internal error occurred; retry with the same Idempotency-Key")


def _platform_id() -> str:
    """The calling platform, as authenticated: never a field of the body."""
    context = api_gate.authorizer_context(app.current_event.raw_event)
    if context.get("principal_kind") != routes.PLATFORM or not context.get("principal_id"):
        # api_gate.caller_refused prevents it
        raise AssertionError("platform route reached without a platform principal")
    return context["principal_id"]


# --- documentation ---------------------------------------------------------------------


@app.get(routes.OPENAPI_PATH, include_in_schema=False)
def openapi_json() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_json_schema())


# --- operators -------------------------------------------------------------------------


@app.post(
    "/waves/<wave>/open",
    tags=["operators"],
    summary="Open a wave for registration",
    responses=_answers(200, m.WaveView, "The wave is open"),
)
def open_wave(wave: WaveNumber, body: m.WaveAction, idempotency_key: IdempotencyKey = None) -> dict:
    return _wave_view(participants.change_wave(wave, "open", body.actor, body.reason, clock.now()))


@app.post(
    "/waves/<wave>/close",
    tags=["operators"],
    summary="Close a wave",
    responses=_answers(200, m.WaveView, "The wave is closed"),
)
def close_wave(wave: WaveNumber, body: m.WaveAction, idempotency_key: IdempotencyKey = None) -> dict:
    return _wave_view(participants.change_wave(wave, "close", body.actor, body.reason, clock.now()))


def _wave_view(item: dict) -> dict:
    return {"wave": item["wave"], "status": item["status"], "updated_at": item["updated_at"]}


# --- participant portal -------------------------------------------------------------------


@app.post(
    "/participants",
    tags=["participants"],
    summary="Register in an open wave",
    responses=_answers(201, m.Registered, "Registered; the lifecycle starts at the first certificate"),
)
def register(body: m.Registration, idempotency_key: IdempotencyKey = None) -> Response[dict]:
    profile = participants.register(body.nik, body.full_name, body.wave, clock.now())
    return Response(
        201,
        content_types.APPLICATION_JSON,
        {
            "participant_id": profile["participant_id"],
            "wave": profile["wave"],
            "status": profile["status"],
            "balance_idr": profile["balance_idr"],
            "purchase_deadline": profile["purchase_deadline"],
        },
    )


@app.get(
    "/participants/<participant_id>",
    tags=["participants"],
    summary="Where is this participant, and why",
    responses=_answers(200, dict, "The participant's standing", body=False),
)
def get_participant(participant_id: ParticipantId) -> dict:
    return status.participant_view(participant_id)


@app.put(
    "/participants/<participant_id>/payout-account",
    tags=["participants"],
    summary="Set the payout account",
    responses=_answers(200, m.PayoutAccountView, "The account is set"),
)
def put_payout_account(participant_id: ParticipantId, body: m.PayoutAccount) -> dict:
    account = participants.set_payout_account(
        participant_id,
        body.channel,
        body.account_number,
        api_gate.principal_name(app.current_event.raw_event),
        clock.now(),
    )
    return {"channel": account["channel"], "account_number_masked": "****" + account["account_number"][-4:]}


@app.post(
    "/participants/<participant_id>/vouchers",
    tags=["participants"],
    summary="Issue a purchase voucher",
    responses=_answers(201, m.VoucherIssued, "The voucher: give it to the platform to buy this training, once"),
)
def issue_voucher(
    participant_id: ParticipantId, body: m.VoucherRequest, idempotency_key: IdempotencyKey = None
) -> Response[dict]:
    voucher = training.issue_voucher(
        participant_id,
        body.platform_id,
        body.training_id,
        api_gate.principal_name(app.current_event.raw_event),
        clock.now(),
    )
    return Response(201, content_types.APPLICATION_JSON, voucher)


@app.post(
    "/participants/<participant_id>/surveys/<sequence>",
    tags=["participants"],
    summary="Submit a survey",
    responses=_answers(201, m.SurveySubmitted, "The survey is recorded; its payment is scheduled"),
)
def submit_survey(
    participant_id: ParticipantId, sequence: SurveySequence, body: m.Survey, idempotency_key: IdempotencyKey = None
) -> Response[dict]:
    ent = participants.submit_survey(participant_id, sequence, body.answers, clock.now())
    return Response(
        201,
        content_types.APPLICATION_JSON,
        {"sequence": sequence, "payment_status": ent["status"], "due_at": ent["due_at"]},
    )


# --- partner platforms -----------------------------------------------------------------------


@app.post(
    "/participants/<participant_id>/purchases",
    tags=["platforms"],
    summary="Record a training purchase",
    responses=_answers(201, m.PurchaseRecorded, "The purchase is recorded and the balance debited"),
)
def record_purchase(
    participant_id: ParticipantId, body: m.Purchase, idempotency_key: IdempotencyKey = None
) -> Response[dict]:
    items = [TrainingItem(t.training_id, t.institution_id, t.price_idr) for t in body.trainings]
    purchase = training.record_purchase(
        participant_id, body.purchase_id, _platform_id(), items, body.voucher_code, clock.now()
    )
    remaining = profiles.require(participant_id)["balance_idr"]
    return Response(
        201,
        content_types.APPLICATION_JSON,
        {
            "purchase_id": purchase["purchase_id"],
            "training_id": purchase["training_id"],
            "price_idr": purchase["price_idr"],
            "remaining_balance_idr": remaining,
        },
    )


@app.post(
    "/participants/<participant_id>/purchases/<purchase_id>/completion",
    tags=["platforms"],
    summary="Report a certificate",
    responses=_answers(
        200, m.CompletionRecorded, "The completion is recorded (the first one starts the lifecycle)", starts=True
    ),
)
def record_completion(
    participant_id: ParticipantId, purchase_id: PurchaseId, body: m.Completion, idempotency_key: IdempotencyKey = None
) -> dict:
    purchase = training.record_completion(
        participant_id, purchase_id, _platform_id(), body.training_id, body.certificate_id, clock.now()
    )
    return {"purchase_id": purchase_id, "status": purchase["status"], "certificate_id": body.certificate_id}


@app.post(
    "/participants/<participant_id>/purchases/<purchase_id>/rating",
    tags=["platforms"],
    summary="Report the participant's rating",
    responses=_answers(200, m.RatingRecorded, "The rating is recorded"),
)
def record_rating(
    participant_id: ParticipantId, purchase_id: PurchaseId, body: m.RatingBody, idempotency_key: IdempotencyKey = None
) -> dict:
    training.record_rating(participant_id, purchase_id, _platform_id(), body.model_dump(), clock.now())
    return {"purchase_id": purchase_id, "rated": True}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    refused = api_gate.refused(event)  # the deployed API's checks, in its order
    if refused:
        return refused
    return idempotency.run(
        event,
        context,
        api_gate.principal_name(event),
        resolve=lambda: app.resolve(event, context),
        error=lambda status, code, message: api_gate.error_before_routing(event, status, code, message),
    )
