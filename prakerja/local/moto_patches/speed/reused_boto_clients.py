"""The interpreter's Task states reuse boto3 clients.

Replaces `moto.stepfunctions.parser.asl.utils.boto_client.boto_client_for` (and every
`moto.stepfunctions.parser` module's imported name for it), which (moto 5.2.5) builds a new
boto3 client for every Task state it runs (2-5 ms each). One client is kept per everything
the new client's endpoint depends on: region, service and the state's credentials, whether
moto intercepts boto calls (in-process) or not (server mode, MOTO_PORT), and
AWS_ENDPOINT_URL, which boto3 reads when it builds a client (`prakerja ops --endpoint-url`
sets it in-process). boto3 clients are thread-safe."""

from __future__ import annotations

import inspect
import os
import sys
import threading

from ..base import SPEED, Patcher, require

KIND = SPEED


def install(patch: Patcher) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = getattr(boto_client, "boto_client_for", None)
    require(
        original is not None
        and list(inspect.signature(original).parameters) == ["region", "service", "state_credentials"]
        and hasattr(boto_client, "botocore_stubber"),
        "moto's Step Functions boto_client_for",
    )
    clients: dict[tuple, object] = {}
    lock = threading.Lock()

    def boto_client_for(region, service, state_credentials=None):
        key = (
            region,
            service,
            repr(state_credentials),
            boto_client.botocore_stubber.enabled,
            os.environ.get("AWS_ENDPOINT_URL"),
            os.environ.get("MOTO_PORT"),
        )
        with lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = original(region, service, state_credentials)
        return client

    patch.replace(boto_client, "boto_client_for", boto_client_for)
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is original:
            patch.replace(module, "boto_client_for", boto_client_for)
    require(lambda_eval_utils.boto_client_for is boto_client_for, "moto's Lambda task evaluation (boto_client_for)")
