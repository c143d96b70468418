"""What the two in-process call paths (direct_calls.py, direct_lambda_invoke.py) share:
setting up moto's response class as `BaseResponse.setup_class` would for a POST, and
handing moto's answer back to botocore as its `Endpoint` would have parsed it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_registered: set[tuple[str, str]] = set()
_live: dict[str, Callable] = {}
_lock = threading.Lock()


def botocore_answer(model, url: str, status: int, response_headers, raw: bytes):
    """(HTTP response, parsed dict): what botocore's Endpoint makes of this answer, for a
    `before-call` handler to return instead of sending the request."""
    from botocore import parsers
    from botocore.awsrequest import AWSResponse
    from botocore.endpoint import convert_to_response_dict
    from moto.core.botocore_stubber import MockRawResponse

    http = AWSResponse(url, status, dict(response_headers or {}), MockRawResponse(raw))
    response_dict = convert_to_response_dict(http, model)
    parser = parsers.create_parser(model.service_model.resolved_protocol)
    parsed = parser.parse(response_dict, model.output_shape)
    if status >= 300:  # as botocore's Endpoint._add_modeled_error_fields
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(parser.parse(response_dict, error_shape))
    if "ResponseMetadata" in parsed:
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
    return http, parsed


def body_and_access_key(params: dict, request_signer) -> tuple[bytes, str | None]:
    """The request body as bytes and the caller's access key, from a `before-call` event."""
    body = params.get("body") or b""
    credentials = request_signer._credentials
    return (
        body.encode("utf-8") if isinstance(body, str) else bytes(body),
        getattr(credentials, "access_key", None) if credentials is not None else None,
    )


def set_up_post(h, request, url: str, headers, querystring: dict) -> None:
    """The part of BaseResponse.setup_class every in-process POST shares."""
    from moto.core.utils import utcnow
    from moto.utilities.utils import get_partition
    from werkzeug.http import http_date

    h.querystring = querystring
    h.data = querystring
    h.method = "POST"
    h.region = h.get_region_from_url(request, url)
    h.partition = get_partition(h.region)
    h.uri_match = {}
    h.headers = headers
    h.response_headers = {"server": "amazon.com", "date": http_date(utcnow())}


def current_account(headers, access_key: str) -> str:
    """The account moto's BaseResponse.setup_class picks for a request."""
    from moto.iam.models import get_account_id_from

    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "x-moto-account-id" in headers:
        return headers["x-moto-account-id"]
    return get_account_id_from(access_key)


def activate_before_call(patch, event: str, unique_id: str, handler: Callable) -> None:
    """Answers botocore's `event` with `handler` until `patch` is undone. The botocore
    registration itself is made once per process (sessions copy the built-in handlers when
    they are made); undone, it steps aside (returns None: the request is sent as usual)."""
    import boto3
    import botocore.handlers

    with _lock:
        if (event, unique_id) not in _registered:

            def trampoline(*args, **kwargs):
                live = _live.get(unique_id)
                return None if live is None else live(*args, **kwargs)

            botocore.handlers.BUILTIN_HANDLERS.append((event, trampoline))
            # Sessions created before this (boto3's default one) do not read BUILTIN_HANDLERS again.
            if boto3.DEFAULT_SESSION is not None:
                boto3.DEFAULT_SESSION._session.register(event, trampoline, unique_id=unique_id)
            _registered.add((event, unique_id))
        _live[unique_id] = handler
    patch.on_undo(lambda: _live.pop(unique_id, None))


def qsl(body: str):
    """BaseResponse.setup_class reads a non-form body as a query string (nonsense for JSON,
    but kept: some response classes look at self.querystring)."""
    from urllib.parse import parse_qsl

    try:
        return parse_qsl(body, keep_blank_values=True)
    except (UnicodeEncodeError, UnicodeDecodeError, AttributeError):
        return []
