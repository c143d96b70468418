"""Patches that make moto 5.2.5 answer as AWS does where the project's clients look."""

from . import (
    dynamodb_latency,
    execution_history_pages,
    open_executions_quota,
    rate_buckets,
    redrive_execution,
    redrive_status,
    stop_execution,
    used_tokens_refused,
    virtual_lanes,
    virtual_waits,
)

PATCHES = (
    used_tokens_refused,
    stop_execution,
    redrive_execution,
    redrive_status,
    execution_history_pages,
    open_executions_quota,
    rate_buckets,
    virtual_lanes,
    virtual_waits,
    dynamodb_latency,
)
