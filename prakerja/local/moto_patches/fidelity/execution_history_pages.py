"""GetExecutionHistory honours `reverseOrder`, `maxResults` and `nextToken`, as AWS does.

Replaces `moto.stepfunctions.responses.StepFunctionResponse.get_execution_history`, which
(moto 5.2.5) ignores all three and answers every event, oldest first, in one page. AWS
answers at most `maxResults` events (0 or absent: 100; at most 1000), newest first with
`reverseOrder`, and a `nextToken` while more remain (the AWS CLI follows it by itself); a
token it did not issue for this execution and order is refused with InvalidToken. Here the
events are still moto's (`backend.get_execution_history`); only the page is cut. The token
names the id of the next event to answer, so events appended between two pages are not
skipped or repeated."""

from __future__ import annotations

import base64
import binascii
import json

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY
DEFAULT_PAGE = 100
MAX_PAGE = 1000


def page(
    events: list[dict], max_results: int | None, reverse: bool, next_id: int | None
) -> tuple[list[dict], int | None]:
    """The events to answer and the id of the first one left for the next page (None: last page)."""
    size = max_results or DEFAULT_PAGE
    ordered = sorted(events, key=lambda e: e["id"], reverse=reverse)
    if next_id is not None:
        ordered = [e for e in ordered if (e["id"] <= next_id if reverse else e["id"] >= next_id)]
    return ordered[:size], (ordered[size]["id"] if len(ordered) > size else None)


def encode_token(execution_arn: str, reverse: bool, next_id: int) -> str:
    raw = json.dumps({"arn": execution_arn, "reverse": reverse, "next": next_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(token: str, execution_arn: str, reverse: bool) -> int | None:
    """The next event id a token names, or None if this endpoint did not issue it for this
    execution and order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("arn") != execution_arn
        or data.get("reverse") is not reverse
        or type(data.get("next")) is not int
    ):
        return None
    return data["next"]


def install(patch: Patcher) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidToken, ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    require(
        callable(getattr(StepFunctionResponse, "get_execution_history", None)),
        "moto's StepFunctionResponse.get_execution_history",
    )

    def get_execution_history(self) -> ActionResult:
        arn = self._get_param("executionArn")
        max_results = self._get_int_param("maxResults")
        reverse = bool(self._get_bool_param("reverseOrder", False))
        token = self._get_param("nextToken")
        if max_results is not None and not 0 <= max_results <= MAX_PAGE:
            raise ValidationException(
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                f"satisfy constraint: Member must have value less than or equal to {MAX_PAGE}"
            )
        next_id = None
        if token is not None:
            next_id = decode_token(token, arn, reverse)
            if next_id is None:
                raise InvalidToken("the nextToken was not issued for this execution and order")
        history = self.stepfunction_backend.get_execution_history(arn)
        events, next_left = page(list(history["events"]), max_results, reverse, next_id)
        response: dict = {"events": events}
        if next_left is not None:
            response["nextToken"] = encode_token(arn, reverse, next_left)
        return ActionResult(response)

    patch.replace(StepFunctionResponse, "get_execution_history", get_execution_history)
