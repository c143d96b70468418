"""A DynamoDB request costs its round trip in virtual time while one is in force.

Wraps `moto.dynamodb.responses.DynamoHandler.call_action` (every DynamoDB request moto
answers, whichever way it arrived: botocore's HTTP stubber or speed/direct_calls.py). moto 5.2.5
answers at once, so without this a payout child's own table work (the claim, the SENT and
PAID writes, the resume) would cost nothing and the payout day would look shorter than on
AWS. With a virtual time (prakerja/local/virtual_time.py) each request spends
config.DYNAMODB_CALL_LATENCY on the calling thread's lane, before moto acts on it: an
invocation that runs out of time there stops before the request reaches the table, as a
request Lambda never sent. Without one, nothing changes."""

from __future__ import annotations

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY


def install(patch: Patcher) -> None:
    from moto.dynamodb.responses import DynamoHandler

    from ... import virtual_time

    original = DynamoHandler.__dict__.get("call_action")
    require(callable(original), "moto's DynamoHandler.call_action")

    def call_action(self, *args, **kwargs):
        vt = virtual_time.active()
        if vt is not None and vt.dynamodb_latency_s > 0:
            vt.dynamodb_round_trip()
        return original(self, *args, **kwargs)

    call_action.__name__ = "call_action"
    patch.replace(DynamoHandler, "call_action", call_action)
