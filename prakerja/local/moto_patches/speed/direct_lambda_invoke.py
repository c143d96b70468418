"""In-process Lambda `Invoke` skips the HTTP round trip.

Stands in for moto 5.2.5's `moto.core.botocore_stubber.BotocoreStubber.__call__` and the request half
of `BaseResponse.setup_class` for Lambda's synchronous Invoke (botocore's
`before-call.lambda.Invoke` event, and `invoke()` below, which `LocalCloud.invoke_raw` calls
for API Gateway's authorizer and proxy calls and the scheduled jobs). Every invocation went
through botocore (serialise, sign, HTTP request), moto's stubber (URL matching against every
service, a werkzeug request, moto's REST routing) and back. Here the same moto code answers
without the transport: a `LambdaResponse` is set up as `setup_class` sets it up for that
request (path, query string, body, headers, region, account), then moto's own
`LambdaResponse.invoke` runs (the function lookup, the in-process handler dispatch of
invoker.py with its serialisation lock and invocation counting, the payload-size check, the
response headers and CRC), followed by what `call_action` does with its answer
(`_transform_response`, `_enrich_response`). boto3 callers get the answer parsed by
botocore's own parser: the same dict (StatusCode, FunctionError, Payload stream) as before.

Only synchronous invocations (`RequestResponse`, no log tail, no client context, no
Qualifier) take this path; anything else, moto's IAM authentication, passthrough or
allow-lists, a custom endpoint (moto server), an unknown function, or this patch not being
installed, runs the normal path. The moto code this relies on is pinned by a hash of its
source."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlparse

from ..base import SPEED, Patcher, require, require_sources
from ._inprocess import activate_before_call, body_and_access_key, botocore_answer, current_account, set_up_post

KIND = SPEED
_moto: SimpleNamespace | None = None  # set while installed


def _check_moto() -> SimpleNamespace:
    from moto import settings
    from moto.awslambda import utils as lambda_utils
    from moto.awslambda.responses import LambdaResponse
    from moto.core import config as moto_config
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.models import botocore_stubber
    from moto.core.responses import BaseResponse
    from moto.utilities import aws_headers

    require_sources(
        {
            "LambdaResponse.invoke": (LambdaResponse.invoke, "8f68f0bf023a3eb4"),
            "amz_crc32": (aws_headers.amz_crc32, "4712cfdc3207d51c"),
            "BaseResponse._transform_response": (BaseResponse._transform_response, "8cd539c35ff2f925"),
            "BaseResponse._enrich_response": (BaseResponse._enrich_response, "86cd4a4051dd20e8"),
            "BaseResponse.call_action": (BaseResponse.call_action, "26076963fd17fd1a"),
            "awslambda.utils.get_backend": (lambda_utils.get_backend, "889a2b95548422ae"),
        }
    )
    require(
        LambdaResponse.call_action is BaseResponse.call_action
        and hasattr(botocore_stubber, "enabled")
        and hasattr(ActionAuthenticatorMixin, "request_count"),
        "moto's Lambda invoke path (class layout)",
    )
    return SimpleNamespace(
        LambdaResponse=LambdaResponse,
        stubber=botocore_stubber,
        settings=settings,
        config=moto_config,
        auth=ActionAuthenticatorMixin,
    )


def _usable(moto: SimpleNamespace, url: str) -> bool:
    """True when moto's stubber would answer this URL with the Lambda backend as usual."""
    from moto.core.utils import get_equivalent_url_in_aws_domain

    if not moto.stubber.enabled or moto.auth.request_count >= moto.settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return False
    parsed, modified = get_equivalent_url_in_aws_domain(url)
    if modified or not parsed.netloc.startswith("lambda.") or not parsed.netloc.endswith(".amazonaws.com"):
        return False
    clean = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
    return not (
        moto.config.passthrough_url(clean)
        or moto.config.passthrough_service("lambda")
        or not moto.config.service_whitelisted("lambda")
    )


def answer(
    moto: SimpleNamespace, url: str, headers: Any, body: bytes, access_key: str | None
) -> tuple[int, dict, bytes] | None:
    """moto's (status, headers, body) for a synchronous Invoke request, or None when the
    normal path must answer it (the function is unknown, or the call is not plain)."""
    from moto.iam.models import mark_account_as_visited

    h = moto.LambdaResponse()
    # What BaseResponse.setup_class sets for this request (a POST with a JSON body).
    parsed_url = urlparse(url)
    request = SimpleNamespace(method="POST", headers=headers)
    h.is_werkzeug_request = False
    h.parsed_url = parsed_url
    h.form_data = {}
    h.raw_body = body
    h.body = body.decode("utf-8")
    h.uri = url
    h.path = parsed_url.path
    h.raw_path = parsed_url.path
    querystring = parse_qs(parsed_url.query, keep_blank_values=True)
    if not querystring and h.body:
        try:
            querystring = {k: [v] for k, v in parse_qsl(h.body, keep_blank_values=True)}
        except (UnicodeEncodeError, UnicodeDecodeError, AttributeError):
            querystring = {}
    set_up_post(h, request, url, headers, querystring or dict(headers))
    h.access_key = access_key or "AKIAEXAMPLE"
    h.current_account = current_account(headers, h.access_key)
    try:
        # LambdaResponse.invoke looks the function up by the same name, with this qualifier.
        h.backend.get_function(unquote(h.path.rsplit("/", 2)[-2]), h._get_param("qualifier"))
    except Exception:  # noqa: BLE001 - unknown function or odd request: moto's normal path answers
        return None
    mark_account_as_visited(
        account_id=h.current_account, access_key=h.access_key, service=h.service_name, region=h.region
    )
    # BaseResponse.call_action: no IAM check (see _usable), then the action and its answer.
    status, response_headers, payload = h._transform_response(h.response_headers, h.invoke())
    response_headers, payload = h._enrich_response(response_headers, payload)
    return int(status), response_headers, payload if isinstance(payload, bytes) else payload.encode("utf-8")


def invocations_url(region: str, function_arn: str) -> str:
    """The URL botocore sends an Invoke of this function to."""
    return f"https://lambda.{region}.amazonaws.com/2015-03-31/functions/{quote(function_arn, safe='')}/invocations"


def invoke(region: str, function_arn: str, event: Any, access_key: str | None) -> tuple[Any, bool] | None:
    """(payload, function error?) of a synchronous invocation, as boto3 `lambda.invoke`
    followed by `json.loads(Payload)` and `bool(FunctionError)` gives them; None when the
    normal path must run (patch not installed, not in process, or an HTTP error status,
    which boto3 raises)."""
    moto = _moto
    url = invocations_url(region, function_arn)
    if moto is None or not _usable(moto, url):
        return None
    from botocore.awsrequest import HeadersDict

    found = answer(moto, url, HeadersDict({"Content-Type": "application/json"}), json.dumps(event).encode(), access_key)
    if found is None or found[0] >= 300:
        return None
    _, headers, payload = found
    return json.loads(payload or b"null"), bool(headers.get("x-amz-function-error"))


def install(patch: Patcher) -> None:
    from botocore.awsrequest import HeadersDict

    moto = _check_moto()

    def before_call(model, params, request_signer, context, **_):
        if model.name != "Invoke" or model.service_model.service_name != "lambda":
            return None
        url = params.get("url", "")
        headers = HeadersDict(dict((params.get("headers") or {}).items()))
        if (
            params.get("method") != "POST"
            or urlparse(url).query
            or headers.get("X-Amz-Log-Type") not in (None, "None")
            or headers.get("X-Amz-Invocation-Type") not in (None, "RequestResponse")
            or "X-Amz-Client-Context" in headers
            or not _usable(moto, url)
        ):
            return None
        found = answer(moto, url, headers, *body_and_access_key(params, request_signer))
        if found is None:
            return None
        status, response_headers, payload = found
        return botocore_answer(model, url, status, response_headers, payload)

    patch.replace(sys.modules[__name__], "_moto", moto)
    activate_before_call(patch, "before-call.lambda.Invoke", "prakerja-moto-lambda-direct", before_call)
