"""Public AWS prices used by the bench scripts and docs/capacity.md, in one place.

Region: ap-southeast-3 (Asia Pacific, Jakarta) where a Jakarta figure is known to us;
otherwise the us-east-1 list price, marked "us-east-1" (Jakarta is usually 10-25 %
higher). All prices are list prices in USD, without free tier, taken from the public
AWS pricing pages on the date below. Re-check before quoting a budget:
https://aws.amazon.com/step-functions/pricing/, https://aws.amazon.com/lambda/pricing/,
https://aws.amazon.com/dynamodb/pricing/on-demand/, https://aws.amazon.com/api-gateway/pricing/,
https://aws.amazon.com/eventbridge/pricing/ (Scheduler).

Nothing here is fetched at run time: the bench runs offline.
"""

from __future__ import annotations

PRICES_DATE = "2026-11-28"
PRICES_SOURCE = (
    "AWS public pricing pages (list prices, no free tier); /work/shared/notes/aws-limits.md for Step Functions"
)

# name: (USD per unit, unit, region the figure is for, note)
PRICES: dict[str, tuple[float, str, str, str]] = {
    # Step Functions STANDARD: per state transition, retries included.
    "sfn_transition": (
        0.025 / 1000,
        "state transition",
        "ap-southeast-3",
        "USD 0.025 per 1,000 (same in Jakarta and us-east-1; aws-limits.md)",
    ),
    # Lambda: requests and GB-seconds (arm64, the deployed architecture).
    "lambda_request": (0.20 / 1_000_000, "request", "us-east-1", "USD 0.20 per million requests"),
    "lambda_gb_second_arm": (0.0000133334, "GB-second", "us-east-1", "arm64, first 6 billion GB-s tier"),
    # DynamoDB on-demand (standard table class). Since the Nov 2024 price cut:
    # USD 0.125 per million RRU, USD 0.625 per million WRU in us-east-1.
    "ddb_rru": (0.125 / 1_000_000, "read request unit", "us-east-1", "on-demand, standard table class"),
    "ddb_wru": (0.625 / 1_000_000, "write request unit", "us-east-1", "on-demand, standard table class"),
    "ddb_storage_gb_month": (0.25, "GB-month", "us-east-1", "standard table class"),
    # API Gateway REST API (the deployed API type), first 333 million requests a month.
    "apigw_rest_request": (3.50 / 1_000_000, "request", "us-east-1", "REST API, first 333M/month tier"),
    # EventBridge Scheduler: 14 million invocations a month free, then USD 1.00 per million.
    "scheduler_invocation": (1.00 / 1_000_000, "scheduled invocation", "us-east-1", "after 14M/month free"),
    # KMS (https://aws.amazon.com/kms/pricing/): symmetric and HMAC requests alike, and each
    # customer managed key (ADR 0018: the identifiers key and the NIK lookup key).
    "kms_request": (0.03 / 10_000, "request", "us-east-1", "USD 0.03 per 10,000 (symmetric and HMAC requests)"),
    "kms_key_month": (1.00, "key-month", "us-east-1", "per customer managed key; rotated versions add USD 1 each"),
}


def price(name: str) -> float:
    return PRICES[name][0]


# Assumed Lambda durations and memory for turning invocations into GB-seconds on AWS
# (the local runtime cannot measure AWS durations). Memory from catalogue.FUNCTIONS.
ASSUMED_LAMBDA_MS = {
    "task": 60,  # await-event / verify-* / check-rating / grant-incentives / revoke: 2-6 DynamoDB calls
    "api": 80,  # platform-api: validation + 2-8 DynamoDB calls + maybe one Step Functions call
    "job_per_item": 40,  # payout run per entitlement, excluding the provider round trip
}
ASSUMED_LAMBDA_MB = {"task": 256, "api": 512, "job": 512}


def lambda_cost(invocations: float, kind: str) -> float:
    ms = ASSUMED_LAMBDA_MS["task" if kind == "task" else "api" if kind == "api" else "job_per_item"]
    mb = ASSUMED_LAMBDA_MB["task" if kind == "task" else "api" if kind == "api" else "job"]
    return invocations * (price("lambda_request") + ms / 1000 * mb / 1024 * price("lambda_gb_second_arm"))


def describe() -> str:
    lines = [f"prices as of {PRICES_DATE} ({PRICES_SOURCE}):"]
    for name, (usd, unit, region, note) in PRICES.items():
        lines.append(f"  {name:24s} USD {usd:.10f} per {unit} [{region}] {note}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe())
