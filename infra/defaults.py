"""Deployment numbers that are not (yet) programme configuration.

Each of these is a candidate for `prakerja_flow.config`; until it moves there it lives
here, once, with the reason for its value.
"""

from __future__ import annotations

from datetime import timedelta

# Log retention for Lambda, Step Functions and API access logs. Logs carry no PII
# (handlers mask it; the state machine logs without execution data).
LOG_RETENTION = "THREE_MONTHS"  # a logs.RetentionDays member name

# API Gateway stage throttling. Every registration starts one execution, and
# StartExecution refills at 150/s (bucket 800) in Jakarta: the steady rate stays under it.
API_THROTTLE_RATE_PER_SECOND = 150
API_THROTTLE_BURST = 300

# WAF rate-based rule: requests per source IP per 5 minutes before the IP is blocked.
# Partner platforms call from a few server IPs, so this is generous on purpose.
WAF_RATE_LIMIT_PER_IP_5_MIN = 10_000

# EventBridge Scheduler delivery of the scheduled jobs (it invokes Lambda asynchronously).
SCHEDULE_RETRY_ATTEMPTS = 3
SCHEDULE_MAX_EVENT_AGE = timedelta(hours=1)
# Lambda's own retries of a failed asynchronous job run (0-2); the jobs must be safe to re-run.
JOB_ASYNC_RETRY_ATTEMPTS = 2
JOB_ASYNC_MAX_EVENT_AGE = timedelta(hours=6)
DLQ_RETENTION = timedelta(days=14)

# Alarms: one datapoint of this many within ALARM_PERIOD raises the alarm.
ALARM_PERIOD = timedelta(minutes=5)
API_5XX_ALARM_THRESHOLD = 5
