"""Logger, Tracer and Metrics shared by every handler, and NIK masking for logs."""

from __future__ import annotations

import functools
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

from . import observability_names as names

logger = Logger(service=names.SERVICE_NAME)
metrics = Metrics(namespace=names.METRICS_NAMESPACE, service=names.SERVICE_NAME)
# A handler that adds no metric is normal here (most invocations only wait for events).
warnings.filterwarnings("ignore", message="No application metrics to publish")
warnings.filterwarnings("ignore", module="aws_lambda_powertools.utilities.data_masking")

PII_FIELDS = ["$..nik", "$..full_name", "$..account_number", "$..holder_nik"]


class _UntracedTracer:
    """Stands in for the Tracer when tracing is off (locally, tests, POWERTOOLS_TRACE_DISABLED):
    even a disabled Tracer imports aws_xray_sdk, whose recorder builds two botocore X-Ray
    clients outside Lambda (about 100 ms). A disabled Tracer's handler decorator only
    calls the handler, so passing the handler through is the same behaviour; anything
    else is answered by a real (disabled) Tracer, built on first use."""

    def capture_lambda_handler(self, lambda_handler=None, capture_response=None, capture_error=None):
        if lambda_handler is None:
            return lambda fn: fn
        return lambda_handler

    def __getattr__(self, name: str):
        return getattr(_disabled_tracer(), name)


@functools.cache
def _disabled_tracer() -> Tracer:
    return Tracer(service=names.SERVICE_NAME, disabled=True)


# Decided once, at import, exactly as Tracer() decides it (env var, outside Lambda, SAM or
# Chalice local). In Lambda with active tracing the real Tracer is built here, as before:
# it must patch botocore before the first AWS call of the cold start.
tracer = _UntracedTracer() if Tracer._is_tracer_disabled() else Tracer(service=names.SERVICE_NAME)


@functools.cache
def _masker():
    # Only registration logs PII: the other functions never pay for jsonpath/Data Masking.
    from aws_lambda_powertools.utilities.data_masking import DataMasking

    return DataMasking(raise_on_missing_field=False)


def masked(data: dict) -> dict:
    """A copy of `data` safe to log: NIKs, names and account numbers erased."""
    return _masker().erase(data, fields=PII_FIELDS)
