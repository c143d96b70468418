"""Logger, Tracer and Metrics shared by every handler, and NIK masking for logs."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_masking import DataMasking

from . import catalogue

logger = Logger(service=catalogue.SERVICE_NAME)
tracer = Tracer(service=catalogue.SERVICE_NAME)
metrics = Metrics(namespace=catalogue.METRICS_NAMESPACE, service=catalogue.SERVICE_NAME)
_masker = DataMasking(raise_on_missing_field=False)
# A handler that adds no metric is normal here (most invocations only wait for events).
warnings.filterwarnings("ignore", message="No application metrics to publish")
warnings.filterwarnings("ignore", module="aws_lambda_powertools.utilities.data_masking")

PII_FIELDS = ["$..nik", "$..full_name", "$..account_number", "$..holder_nik"]


def masked(data: dict) -> dict:
    """A copy of `data` safe to log: NIKs, names and account numbers erased."""
    return _masker.erase(data, fields=PII_FIELDS)
