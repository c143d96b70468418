"""API Gateway Lambda REQUEST authorizer: verifies the request signature and tells API
Gateway who the caller is (policy + context). The rules are in auth/decide.py.

API Gateway turns the answers into responses (gateway responses in infra/stacks/api.py,
the same in prakerja/local/gateway.py): raising "Unauthorized" -> 401; a Deny policy
-> 403 whose body carries context.code/context.message; Allow -> the API function runs
with context.principal_kind/principal_id in requestContext.authorizer."""

from __future__ import annotations

import time

from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import config
from ..auth import decide, store
from ..auth.signing import Rejected, Unsigned
from ..observability import logger


def handler(event: dict, context: LambdaContext) -> dict:
    request = decide.Request(
        method=event.get("httpMethod") or "",
        path=event.get("path") or "",
        resource=event.get("resource") or "",
        headers=event.get("headers") or {},
        query=event.get("multiValueQueryStringParameters") or {},
    )
    method_arn = event["methodArn"]
    try:
        principal = decide.authenticate(
            request,
            # Freshness is about wall-clock skew between client and server, not programme time.
            now=time.time(),
            tolerance_seconds=config.API_SIGNATURE_TOLERANCE.total_seconds(),
            client_for=store.client_for,
            remember_nonce=store.remember_nonce,
        )
    except Unsigned:
        # The only way to make API Gateway answer 401 is this exact message.
        raise Exception("Unauthorized") from None  # noqa: TRY002
    except Rejected as rejected:
        logger.warning(
            "request refused", extra={"code": rejected.code, "method": request.method, "resource": request.resource}
        )
        # The gateway response pastes these into a JSON template unescaped: no quotes or backslashes.
        message = rejected.message.replace('"', "'").replace("\\", "/")
        return _policy("anonymous", "Deny", method_arn, {"code": rejected.code, "message": message})
    return _policy(
        principal.name,
        "Allow",
        method_arn,
        {
            "principal_kind": principal.kind,
            "principal_id": principal.id,
            "key_id": principal.key_id,
        },
    )


def _policy(principal_id: str, effect: str, method_arn: str, context: dict[str, str]) -> dict:
    # Scoped to this one method ARN: result caching is off (each signature is unique), so
    # a policy is never reused for another route.
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
        },
        "context": context,
    }
