"""The single-table design, declared once for the CDK app, the local runtime and the
data-access code.

Items (pk / sk):
  WAVE#<n>          / WAVE                 wave status
  NIK#<sha256(nik)> / NIK                  one person, one card (uniqueness guard)
  P#<id>            / PROFILE              participant, balance, cash paid, stage
  P#<id>            / PURCHASE#<id>        one training, its certificate and rating
  P#<id>            / ENT#<kind>#<seq>     an entitlement (a payment owed)
  P#<id>            / TOKEN#<stage>        task token of the waiting execution
  P#<id>            / INBOX#<stage>        event that may arrive before its token
  P#<id>            / LEDGER#<key>         append-only money ledger
  AUDIT#<yyyy-mm-dd>/ <at.us>#<ns>#<rand>  operator actions, in the order written (audit.sort_key)
  PAUSE             / PAUSE                programme-wide payout pause

GSI1 is a set of work queues (payout run, deadline sweep): gsi1pk = <queue>#<shard>,
gsi1sk = <iso time>#<participant id>[...]. An item sits in at most one queue;
queries, never scans. GSI2 lists participants by wave.
"""

from __future__ import annotations

from typing import Any

PK, SK = "pk", "sk"
GSI1, GSI1_PK, GSI1_SK = "gsi1", "gsi1pk", "gsi1sk"
GSI2, GSI2_PK, GSI2_SK = "gsi2", "gsi2pk", "gsi2sk"
GSIS = ((GSI1, GSI1_PK, GSI1_SK), (GSI2, GSI2_PK, GSI2_SK))

IDEMPOTENCY_TABLE_SUFFIX = "-idempotency"
IDEMPOTENCY_KEY_ATTR = "id"
IDEMPOTENCY_TTL_ATTR = "expiration"

# Work queue names (GSI1 partition prefixes). The sweep's deadlines share one queue
# (ordered by the deadline), so each sweep is one query per shard.
Q_DEADLINES = "Q#DEADLINES"  # purchase deadlines, balance expiry (profiles), survey windows
Q_PAYABLE = "Q#PAYABLE"  # SCHEDULED with a due date, DUE, FAILED (retry), SENT (settle), PAID (resume)


def table_definition(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (used by the local runtime; CDK mirrors it)."""
    attrs = [PK, SK] + [a for _, pk, sk in GSIS for a in (pk, sk)]
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, pk, sk in GSIS
        ],
    }


def time_to_live(table_name: str) -> dict[str, str]:
    """Physical table name -> the attribute (epoch seconds) DynamoDB expires its items by,
    for the tables that have one: idempotency records and replay nonces. The one definition
    of where TTL is on: CDK sets it as `time_to_live_attribute`, the local runtime with
    UpdateTimeToLive."""
    return {idempotency_table_definition(table_name)["TableName"]: IDEMPOTENCY_TTL_ATTR}


def idempotency_table_definition(table_name: str) -> dict[str, Any]:
    return {
        "TableName": table_name + IDEMPOTENCY_TABLE_SUFFIX,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": IDEMPOTENCY_KEY_ATTR, "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": IDEMPOTENCY_KEY_ATTR, "AttributeType": "S"}],
    }
