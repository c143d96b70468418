"""Cost of one DynamoDB call on the local runtime (moto with prakerja.local's patches),
as the handlers make it: through the shared boto3 client of prakerja_flow.data.dynamo.

Usage:  .venv/bin/python bench/moto_call_cost.py [--items 2000] [--calls 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja_flow.data import dynamo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000, help="participants' profiles in the table")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with LocalCloud() as cloud:
        client, table = dynamo.client(), cloud.table_name
        for i in range(args.items):
            client.put_item(TableName=table, Item={"pk": {"S": f"P#{i}"}, "sk": {"S": "PROFILE"}, "x": {"N": "1"}})
        key = lambda i: {"pk": {"S": f"P#{i % args.items}"}, "sk": {"S": "PROFILE"}}  # noqa: E731
        calls = {
            "GetItem": lambda i: client.get_item(TableName=table, Key=key(i)),
            "Query (one partition)": lambda i: client.query(
                TableName=table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": f"P#{i % args.items}"}},
            ),
            "UpdateItem (SET, condition)": lambda i: client.update_item(
                TableName=table,
                Key=key(i),
                UpdateExpression="SET x = x + :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":one": {"N": "1"}},
            ),
        }
        print(f"table of {args.items} items, {args.calls} calls each")
        for name, call in calls.items():
            started = time.perf_counter()
            for i in range(args.calls):
                call(i)
            print(f"{name}: {(time.perf_counter() - started) / args.calls * 1000:.3f} ms per call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
