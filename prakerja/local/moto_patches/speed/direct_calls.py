"""In-process DynamoDB and Step Functions calls skip the HTTP round trip.

Stands in for moto 5.2.5's `moto.core.botocore_stubber.BotocoreStubber.__call__` (botocore's
`before-send` event) and the request half of `moto.core.responses.BaseResponse.setup_class`
/ `dispatch`, for these two services. With `mock_aws`, every boto3 call is serialised by
botocore, signed (SigV4), turned into an HTTP request, caught by moto's stubber on
`before-send`, matched against every service's URL patterns, rebuilt as a werkzeug
request, parsed again by moto's protocol parser and handled by the service's response
class, whose answer botocore then parses. For the JSON-protocol services the local runtime
calls most (DynamoDB, Step Functions: about 80 % of all calls in `simulate`), this answers
on botocore's `before-call` event instead, after botocore has validated and serialised the
request: it sets up moto's response class as `setup_class` would for that request (region,
account, headers, parameters parsed by moto's own parser from the serialised body), runs
moto's own `call_action` (the same backend, errors and response serialisation), and
parses the answer with botocore's own parser, errors included. What is skipped: signing,
the user-agent string, URL matching, the werkzeug request and the HTTP response object;
nothing moto or botocore decides.

It steps aside (the normal path runs) whenever it cannot be sure to act as moto would:
mock not active, a custom endpoint (moto server), moto's IAM authentication switched on,
passthrough or service allowlists configured, a response class that customises dispatch,
a request that is not a plain JSON-protocol POST."""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from urllib.parse import urlparse

from ..base import SPEED, Patcher, require
from ._inprocess import activate_before_call, body_and_access_key, botocore_answer, current_account, qsl, set_up_post

KIND = SPEED
SERVICES = ("dynamodb", "stepfunctions")
_lock = threading.Lock()
_NONE = object()


def install(patch: Patcher) -> None:
    from botocore.awsrequest import HeadersDict
    from moto import settings
    from moto.core import config as moto_config
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.models import botocore_stubber
    from moto.core.responses import BaseResponse
    from moto.core.utils import get_equivalent_url_in_aws_domain

    for name in ("setup_class", "call_action", "parse_parameters", "get_region_from_url", "_dispatch", "dispatch"):
        require(callable(getattr(BaseResponse, name, None)), f"moto's BaseResponse.{name}")
    require(
        hasattr(botocore_stubber, "enabled") and hasattr(ActionAuthenticatorMixin, "request_count"),
        "moto's botocore stubber or IAM request counter",
    )
    handler_classes: dict[tuple[str, str], object] = {}

    def handler_class(service: str, url: str):
        """moto's response class for this endpoint, if it dispatches the standard way."""
        key = (service, url)
        found = handler_classes.get(key, _NONE)
        if found is not _NONE:
            return found
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
                                    isinstance(cls, type)
                                    and issubclass(cls, BaseResponse)
                                    and getattr(method, "__func__", None) is BaseResponse.dispatch.__func__
                                    and cls._dispatch is BaseResponse._dispatch
                                    and cls.setup_class is BaseResponse.setup_class
                                )
                                found = cls if standard else None
                                break
                break  # the stubber takes the first matching service; so do we
        with _lock:
            handler_classes[key] = found
        return found

    def before_call(model, params, request_signer, context, **_):
        if not botocore_stubber.enabled:
            return None
        service = model.service_model.service_name
        if (
            service not in SERVICES
            or model.service_model.protocol != "json"
            or model.has_streaming_output
            or model.has_event_stream_output
        ):
            return None
        if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
            return None  # moto checks signatures now: it needs the signed request
        url = params.get("url", "")
        parsed_url, modified = get_equivalent_url_in_aws_domain(url)
        if (
            modified
            or params.get("method") != "POST"
            or parsed_url.path not in ("", "/")
            or parsed_url.query
            or not parsed_url.netloc.endswith(".amazonaws.com")
        ):
            return None
        clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
        if (
            moto_config.passthrough_url(clean_url)
            or moto_config.passthrough_service(service)
            or not moto_config.service_whitelisted(service)
        ):
            return None
        cls = handler_class(service, clean_url)
        if cls is None:
            return None
        raw_headers = params.get("headers") or {}
        headers = HeadersDict(dict(raw_headers.items()) if hasattr(raw_headers, "items") else raw_headers)
        if "X-Amz-Target" not in headers:
            return None
        body_bytes, access_key = body_and_access_key(params, request_signer)
        return _answer(cls, model, url, headers, body_bytes, access_key)

    def _answer(cls, model, url, headers, body_bytes, access_key):
        from moto.core.exceptions import HTTPException
        from moto.iam.models import mark_account_as_visited

        request = SimpleNamespace(
            method="POST",
            values={},
            headers=headers,
            data=body_bytes,
            path="/",
            content_type=headers.get("Content-Type"),
            raw_url=url,
            raw_path="/",
            from_wsgi_server=False,
        )
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
        querystring = {k: [v] for k, v in qsl(h.body)} or dict(headers)
        set_up_post(h, request, url, headers, querystring)
        if h.automated_parameter_parsing and h._get_action():
            h.parse_parameters(request)
        h.access_key = access_key or "AKIAEXAMPLE"
        h.current_account = current_account(headers, h.access_key)
        mark_account_as_visited(
            account_id=h.current_account, access_key=h.access_key, service=h.service_name, region=h.region
        )
        try:
            status, response_headers, response_body = h.call_action()
        except HTTPException as error:  # as BotocoreStubber.process_request does
            status, response_headers, response_body = error.code, error.get_headers(), error.get_body()
        raw = response_body if isinstance(response_body, bytes) else (response_body or "").encode("utf-8")
        return botocore_answer(model, url, int(status), response_headers, raw)

    activate_before_call(patch, "before-call", "prakerja-moto-direct", before_call)
