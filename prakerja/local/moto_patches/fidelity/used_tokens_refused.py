"""A used task token is refused, as AWS refuses it.

Replaces `moto.stepfunctions.parser.asl.eval.callback.callback.CallbackPoolManager.notify`.
moto 5.2.5 keeps a token's callback endpoint after its outcome arrived and accepts a second
SendTaskSuccess/SendTaskFailure for it silently (the second outcome is dropped); AWS answers
such a call with an error. Accepting it would hide a lost event here: the delivery code
(`services/events.deliver`) treats a refused token as stale and gives the event back. Here
a token whose endpoint already has an outcome counts as unknown, so moto's backend answers
InvalidToken, which the delivery code treats as stale (`workflow.STALE_TOKEN_ERRORS`)."""

from __future__ import annotations

import threading

from ..base import FIDELITY, Patcher, require

KIND = FIDELITY


def install(patch: Patcher) -> None:
    from moto.stepfunctions.parser.asl.eval.callback import callback

    pool = callback.CallbackPoolManager
    require(
        callable(getattr(pool, "notify", None)) and hasattr(callback.CallbackEndpoint, "get_outcome"),
        "moto's Step Functions callback pool (CallbackPoolManager.notify)",
    )
    original = pool.notify
    lock = threading.Lock()

    def notify(self, callback_id, outcome):
        with lock:
            endpoint = self._pool.get(callback_id)
            if endpoint is not None and endpoint.get_outcome() is not None:
                return False  # as if unknown: SendTask* then answers InvalidToken
            return original(self, callback_id, outcome)

    patch.replace(pool, "notify", notify)
