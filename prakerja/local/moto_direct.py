"""In-process AWS calls to moto without the HTTP round trip (a speed patch; see
moto_patches.py for the others and docs/performance.md for what it buys).

With `mock_aws`, every boto3 call is serialised by botocore, signed (SigV4), turned into
an HTTP request, caught by moto's `BotocoreStubber` on `before-send`, matched against
every service's URL patterns, rebuilt as a werkzeug request, parsed again by moto's
protocol parser and handled by the service's response class, whose answer botocore then
parses. For the JSON-protocol services the local runtime calls most (DynamoDB, Step
Functions: about 80 % of all calls in `simulate`), this module answers on botocore's
`before-call` event instead, after botocore has validated and serialised the request:
it sets up moto's response class as `BaseResponse.setup_class` would for that request
(region, account, headers, parameters parsed by moto's own parser from the serialised
body), runs moto's own `call_action` (the same backend, errors and response
serialisation), and parses the answer with botocore's own parser, errors included.
What is skipped: signing, the user-agent string, URL matching, the werkzeug request and
the HTTP response object; nothing moto or botocore decides.

It steps aside (the normal path runs) whenever it cannot be sure to act as moto would:
mock not active, a custom endpoint (moto server), moto's IAM authentication switched on,
passthrough or service allowlists configured, a response class that customises
dispatch, a request that is not a plain JSON-protocol POST."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace
from urllib.parse import urlparse

from .invoker import MotoHookMissing

SERVICES = ("dynamodb", "stepfunctions")
_installed = False
_lock = threading.Lock()
_handler_classes: dict[tuple[str, str], object] = {}
_NONE = object()


def install() -> None:
    global _installed
    if _installed:
        return
    from moto import settings
    from moto.core import config as moto_config
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.models import botocore_stubber
    from moto.core.responses import BaseResponse
    from moto.core.utils import get_equivalent_url_in_aws_domain

    for name in ("setup_class", "call_action", "parse_parameters", "get_region_from_url", "_dispatch", "dispatch"):
        if not callable(getattr(BaseResponse, name, None)):
            raise MotoHookMissing(f"moto's BaseResponse.{name} is missing; moto==5.2.5 is required")
    if not hasattr(botocore_stubber, "enabled") or not hasattr(ActionAuthenticatorMixin, "request_count"):
        raise MotoHookMissing("moto's botocore stubber or IAM request counter changed; moto==5.2.5 is required")

    def handler_class(service: str, url: str):
        """moto's response class for this endpoint, if it dispatches the standard way."""
        key = (service, url)
        found = _handler_classes.get(key, _NONE)
        if found is not _NONE:
            return found
        import re

        import moto.backend_index as backend_index
        import moto.backends as backends
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.base_backend import BackendDict

        found = None
        for svc, pattern in backend_index.backend_url_patterns:
            if pattern.match(url):
                if svc == service:
                    backend_dict = backends.get_backend(svc)
                    if isinstance(backend_dict, BackendDict):
                        regions = backend_dict[DEFAULT_ACCOUNT_ID]
                        backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
                        for url_pattern, method in backend.urls.items():
                            if re.compile(url_pattern).match(url):
                                cls = getattr(method, "__self__", None)
                                standard = (
                                    isinstance(cls, type) and issubclass(cls, BaseResponse)
                                    and getattr(method, "__func__", None) is BaseResponse.dispatch.__func__
                                    and cls._dispatch is BaseResponse._dispatch and cls.setup_class is BaseResponse.setup_class
                                )
                                found = cls if standard else None
                                break
                break  # the stubber takes the first matching service; so do we
        with _lock:
            _handler_classes[key] = found
        return found

    def before_call(model, params, request_signer, context, **_):
        if not botocore_stubber.enabled:
            return None
        service = model.service_model.service_name
        if service not in SERVICES or model.service_model.protocol != "json" or model.has_streaming_output \
                or model.has_event_stream_output:
            return None
        if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
            return None  # moto checks signatures now: it needs the signed request
        url = params.get("url", "")
        parsed_url, modified = get_equivalent_url_in_aws_domain(url)
        if modified or params.get("method") != "POST" or parsed_url.path not in ("", "/") or parsed_url.query \
                or not parsed_url.netloc.endswith(".amazonaws.com"):
            return None
        clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
        if moto_config.passthrough_url(clean_url) or moto_config.passthrough_service(service) \
                or not moto_config.service_whitelisted(service):
            return None
        cls = handler_class(service, clean_url)
        if cls is None:
            return None
        headers = _headers(params.get("headers") or {})
        if "X-Amz-Target" not in headers:
            return None
        body_bytes, access_key = body_and_access_key(params, request_signer)
        return _answer(cls, model, url, headers, body_bytes, access_key)

    def _answer(cls, model, url, headers, body_bytes, access_key):
        from moto.iam.models import mark_account_as_visited

        request = SimpleNamespace(method="POST", values={}, headers=headers, data=body_bytes, path="/",
                                  content_type=headers.get("Content-Type"), raw_url=url, raw_path="/",
                                  from_wsgi_server=False)
        h = cls()
        # What BaseResponse.setup_class sets for a JSON-protocol POST to "/" (no form data).
        h.is_werkzeug_request = False
        h.normalized_request = request
        h.parsed_url = urlparse(url)
        h.form_data = {}
        h.raw_body = body_bytes
        h.body = body_bytes.decode("utf-8")
        h.uri = url
        h.path = "/"
        h.raw_path = "/"
        querystring = {k: [v] for k, v in _qsl(h.body)} or dict(headers)
        set_up_post(h, request, url, headers, querystring)
        if h.automated_parameter_parsing and h._get_action():
            h.parse_parameters(request)
        h.access_key = access_key or "AKIAEXAMPLE"
        h.current_account = current_account(headers, h.access_key)
        mark_account_as_visited(account_id=h.current_account, access_key=h.access_key, service=h.service_name, region=h.region)

        try:
            status, response_headers, response_body = h.call_action()
        except Exception as error:  # noqa: BLE001 - as BotocoreStubber.process_request does
            from moto.core.exceptions import HTTPException

            if not isinstance(error, HTTPException):
                raise
            status, response_headers, response_body = error.code, error.get_headers(), error.get_body()
        raw = response_body if isinstance(response_body, bytes) else (response_body or "").encode("utf-8")
        return botocore_answer(model, url, int(status), response_headers, raw)

    register_before_call("before-call", before_call, "prakerja-moto-direct")
    _installed = True


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
    return (body.encode("utf-8") if isinstance(body, str) else bytes(body),
            getattr(credentials, "access_key", None) if credentials is not None else None)


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


def register_before_call(event: str, handler, unique_id: str) -> None:
    import boto3
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
    # Sessions created before this (boto3's default one) do not read BUILTIN_HANDLERS again.
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION._session.register(event, handler, unique_id=unique_id)


def _headers(raw):
    from botocore.awsrequest import HeadersDict

    return HeadersDict(dict(raw.items()) if hasattr(raw, "items") else raw)


def _qsl(body: str):
    # BaseResponse.setup_class reads a non-form body as a query string (nonsense for JSON,
    # but kept: some response classes look at self.querystring).
    from urllib.parse import parse_qsl

    try:
        return parse_qsl(body, keep_blank_values=True)
    except (UnicodeEncodeError, UnicodeDecodeError, AttributeError):
        return []
