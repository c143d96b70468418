"""The HTTP API behind API Gateway (Lambda proxy integration).

Every error has one shape: {"error": {"code", "message", "request_id"}}, where
`code` is machine-readable (a DomainError class name, ValidationError, ...)."""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import clock, config
from ..data import repository as repo
from ..domain.errors import DomainError
from ..domain.training import TrainingItem
from ..observability import logger, metrics, tracer
from ..services import participants, status, training
from . import api_models as m

app = APIGatewayRestResolver(enable_validation=True)

ParticipantId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
PurchaseId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
WaveNumber = Annotated[int, Path(ge=1, le=1000)]
SurveySequence = Annotated[int, Path(ge=1, le=config.SURVEY_COUNT)]


def error_response(status_code: int, code: str, message: str) -> Response:
    request_id = app.current_event.request_context.request_id if app.current_event else None
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "request_id": request_id}},
    )


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[dict]:
    metrics.add_metric(name=f"Rejected_{error.code}", unit="Count", value=1)
    return error_response(error.http_status, error.code, error.message)


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response[dict]:
    problems = [
        "request body is not valid JSON" if e.get("type") == "json_invalid"
        else f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}"
        for e in error.errors()
    ]
    return error_response(422, "ValidationError", "; ".join(problems)[:1000])


@app.not_found
def _not_found(_: NotFoundError) -> Response[dict]:
    return error_response(404, "RouteNotFound", f"no route for {app.current_event.http_method} {app.current_event.path}")


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[dict]:
    logger.exception("unhandled error")
    return error_response(500, "InternalError", "an internal error occurred; retry with the same Idempotency-Key")


def _too_large(event: dict) -> dict | None:
    # Checked before routing: the validation middleware would parse the body first.
    if len((event.get("body") or "").encode()) <= config.MAX_REQUEST_BODY_BYTES:
        return None
    request_id = (event.get("requestContext") or {}).get("requestId")
    error = {"code": "PayloadTooLarge", "message": f"request body exceeds {config.MAX_REQUEST_BODY_BYTES} bytes", "request_id": request_id}
    return {"statusCode": 413, "headers": {"Content-Type": content_types.APPLICATION_JSON}, "body": json.dumps({"error": error})}


# --- operators -------------------------------------------------------------------------


@app.post("/waves/<wave>/open", tags=["operators"], summary="Open a wave for registration")
def open_wave(wave: WaveNumber, body: m.WaveAction) -> dict:
    return _wave_view(participants.change_wave(wave, "open", body.actor, body.reason, clock.now()))


@app.post("/waves/<wave>/close", tags=["operators"], summary="Close a wave")
def close_wave(wave: WaveNumber, body: m.WaveAction) -> dict:
    return _wave_view(participants.change_wave(wave, "close", body.actor, body.reason, clock.now()))


def _wave_view(item: dict) -> dict:
    return {"wave": item["wave"], "status": item["status"], "updated_at": item["updated_at"]}


# --- participant portal -------------------------------------------------------------------


@app.post("/participants", tags=["participants"], summary="Register in an open wave")
def register(body: m.Registration) -> Response[dict]:
    profile = participants.register(body.nik, body.full_name, body.wave, clock.now())
    return Response(201, content_types.APPLICATION_JSON, {
        "participant_id": profile["participant_id"],
        "wave": profile["wave"],
        "status": profile["status"],
        "balance_idr": profile["balance_idr"],
        "purchase_deadline": profile["purchase_deadline"],
    })


@app.get("/participants/<participant_id>", tags=["participants"], summary="Where is this participant, and why")
def get_participant(participant_id: ParticipantId) -> dict:
    return status.participant_view(participant_id)


@app.put("/participants/<participant_id>/payout-account", tags=["participants"], summary="Set the payout account")
def put_payout_account(participant_id: ParticipantId, body: m.PayoutAccount) -> dict:
    account = participants.set_payout_account(participant_id, body.channel, body.account_number, clock.now())
    return {"channel": account["channel"], "account_number_masked": "****" + account["account_number"][-4:]}


@app.post("/participants/<participant_id>/surveys/<sequence>", tags=["participants"], summary="Submit a survey")
def submit_survey(participant_id: ParticipantId, sequence: SurveySequence, body: m.Survey) -> Response[dict]:
    ent = participants.submit_survey(participant_id, sequence, body.answers, clock.now())
    return Response(201, content_types.APPLICATION_JSON, {"sequence": sequence, "payment_status": ent["status"], "due_at": ent["due_at"]})


# --- partner platforms -----------------------------------------------------------------------


@app.post("/participants/<participant_id>/purchases", tags=["platforms"], summary="Record a training purchase")
def record_purchase(participant_id: ParticipantId, body: m.Purchase) -> Response[dict]:
    items = [TrainingItem(t.training_id, t.institution_id, t.price_idr) for t in body.trainings]
    purchase = training.record_purchase(participant_id, body.purchase_id, body.platform_id, items, clock.now())
    remaining = repo.require_participant(participant_id)["balance_idr"]
    return Response(201, content_types.APPLICATION_JSON, {
        "purchase_id": purchase["purchase_id"],
        "training_id": purchase["training_id"],
        "price_idr": purchase["price_idr"],
        "remaining_balance_idr": remaining,
    })


@app.post("/participants/<participant_id>/purchases/<purchase_id>/completion", tags=["platforms"], summary="Report a certificate")
def record_completion(participant_id: ParticipantId, purchase_id: PurchaseId, body: m.Completion) -> dict:
    purchase = training.record_completion(participant_id, purchase_id, body.platform_id, body.training_id, body.certificate_id, clock.now())
    return {"purchase_id": purchase_id, "status": purchase["status"], "certificate_id": body.certificate_id}


@app.post("/participants/<participant_id>/purchases/<purchase_id>/rating", tags=["platforms"], summary="Report the participant's rating")
def record_rating(participant_id: ParticipantId, purchase_id: PurchaseId, body: m.RatingBody) -> dict:
    rating = body.model_dump(exclude={"platform_id"})
    training.record_rating(participant_id, purchase_id, body.platform_id, rating, clock.now())
    return {"purchase_id": purchase_id, "rated": True}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return _too_large(event) or app.resolve(event, context)
