"""DynamoDB scenarios of the moto-patch equivalence tests (moto_scenarios.py runs them)."""

from __future__ import annotations

from prakerja_flow.data import schema

TABLE = "equivalence"
FLAT = "equivalence-flat"  # hash key only


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


def make_tables(call, ddb) -> None:
    call(ddb, "create_table", **schema.table_definition(TABLE))
    call(
        ddb,
        "create_table",
        TableName=FLAT,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )


def item(p: int, k: int) -> dict:
    it = {"pk": s(f"P#{p}"), "sk": s(f"ENT#{k:02d}"), "amount": n(100 * k), "kind": s("A" if k % 2 else "B")}
    if k % 3:
        it |= {"gsi1pk": s(f"Q#PAYABLE#{p % 3}"), "gsi1sk": s(f"2020-0{1 + k % 9}-01#{p}#{k}")}
    if p % 2:
        it |= {"gsi2pk": s(f"WAVE#{p % 4}"), "gsi2sk": s(f"P#{p}")}
    return it


def queries(call) -> None:
    """Base-table and GSI queries: partitions, sort-key conditions, order, pages, filters,
    projections, counts, items whose GSI values changed or went away, and bad queries."""
    ddb = call.client("dynamodb")
    make_tables(call, ddb)
    for p in range(12):
        for k in range(8):
            call(ddb, "put_item", TableName=TABLE, Item=item(p, k))
    q = {"TableName": TABLE, "ConsistentRead": True}
    for p in (0, 5, 99):
        call(ddb, "query", **q, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s(f"P#{p}")})
    call(
        ddb,
        "query",
        **q,
        KeyConditionExpression="pk = :p AND begins_with(sk, :e)",
        ExpressionAttributeValues={":p": s("P#3"), ":e": s("ENT#0")},
        ScanIndexForward=False,
        Limit=3,
    )
    call(
        ddb,
        "query",
        **q,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": s("P#4"), ":a": s("ENT#02"), ":b": s("ENT#05"), ":m": n(250)},
        FilterExpression="amount > :m",
        ExpressionAttributeNames={"#k": "kind"},
        ProjectionExpression="sk, #k, amount",
    )
    # A GSI queue read page by page, as the payout run does.
    for forward in (True, False):
        start = None
        for _ in range(10):
            kwargs = {
                "TableName": TABLE,
                "IndexName": schema.GSI1,
                "Limit": 4,
                "ScanIndexForward": forward,
                "KeyConditionExpression": "gsi1pk = :q AND gsi1sk <= :t",
                "ExpressionAttributeValues": {":q": s("Q#PAYABLE#1"), ":t": s("2020-06-01#")},
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            out = call(ddb, "query", **kwargs)
            start = out.get("LastEvaluatedKey")
            if not start:
                break
    # Items leave a queue, move to another, or have their GSI value removed.
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key={"pk": s("P#1"), "sk": s("ENT#01")},
        UpdateExpression="SET gsi1pk = :q",
        ExpressionAttributeValues={":q": s("Q#PAYABLE#2")},
    )
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key={"pk": s("P#4"), "sk": s("ENT#02")},
        UpdateExpression="REMOVE gsi1pk, gsi1sk",
    )
    call(ddb, "delete_item", TableName=TABLE, Key={"pk": s("P#7"), "sk": s("ENT#04")})
    call(
        ddb, "put_item", TableName=TABLE, Item={**item(7, 1), "gsi1pk": s("Q#DEADLINES#0"), "gsi1sk": s("2020-01-01#7")}
    )
    for queue in ("Q#PAYABLE#1", "Q#PAYABLE#2", "Q#DEADLINES#0", "Q#NONE"):
        call(
            ddb,
            "query",
            TableName=TABLE,
            IndexName=schema.GSI1,
            KeyConditionExpression="gsi1pk = :q",
            ExpressionAttributeValues={":q": s(queue)},
        )
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI1,
        Select="COUNT",
        KeyConditionExpression="gsi1pk = :q AND begins_with(gsi1sk, :d)",
        ExpressionAttributeValues={":q": s("Q#PAYABLE#0"), ":d": s("2020-0")},
    )
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI2,
        KeyConditionExpression="gsi2pk = :w",
        ExpressionAttributeValues={":w": s("WAVE#1"), ":a": s("A")},
        FilterExpression="kind = :a",
    )
    # Pages cut by moto's 1 MB limit: three 300 KB matches, then a small and a large item
    # outside the key condition; only the large one takes the page over the limit.
    for sk, size in (("a1", 300_000), ("a2", 300_000), ("a3", 300_000), ("b0", 10), ("b1", 390_000)):
        call(
            ddb,
            "put_item",
            TableName=TABLE,
            Item={"pk": s(f"P#BIG{sk}"), "sk": s("X"), "gsi1pk": s("Q#BIG"), "gsi1sk": s(sk), "blob": s("x" * size)},
        )
    for limit in (2, 3, 10):
        call(
            ddb,
            "query",
            TableName=TABLE,
            IndexName=schema.GSI1,
            Limit=limit,
            ProjectionExpression="pk, gsi1sk",
            KeyConditionExpression="gsi1pk = :q AND gsi1sk < :t",
            ExpressionAttributeValues={":q": s("Q#BIG"), ":t": s("a9")},
        )
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI1,
        Limit=1,
        ScanIndexForward=False,
        ProjectionExpression="pk",
        KeyConditionExpression="gsi1pk = :q AND gsi1sk > :t",
        ExpressionAttributeValues={":q": s("Q#BIG"), ":t": s("a9")},
    )
    for p in range(3):
        call(ddb, "put_item", TableName=FLAT, Item={"id": s(f"F{p}"), "v": n(p)})
    call(ddb, "query", TableName=FLAT, KeyConditionExpression="id = :i", ExpressionAttributeValues={":i": s("F1")})
    # Refused queries: unknown index, a key condition on a non-key attribute, a missing table.
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName="nope",
        KeyConditionExpression="gsi1pk = :q",
        ExpressionAttributeValues={":q": s("x")},
    )
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI1,
        KeyConditionExpression="kind = :q",
        ExpressionAttributeValues={":q": s("A")},
    )
    call(
        ddb, "query", TableName="missing", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("P#1")}
    )
    call(ddb, "scan", TableName=TABLE)


def transactions(call) -> None:
    """Transactions that succeed, and ones that fail part-way (a failed condition, a
    missing table) and must leave every item as it was."""
    ddb = call.client("dynamodb")
    make_tables(call, ddb)
    for p in range(4):
        call(ddb, "put_item", TableName=TABLE, Item=item(p, 1))
    key = {"pk": s("P#1"), "sk": s("ENT#01")}
    call(
        ddb,
        "transact_write_items",
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key,
                    "UpdateExpression": "SET amount = amount + :d, st = :s",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":d": n(5), ":s": s("SENT")},
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": s("P#1"), "sk": s("LEDGER#1"), "amount": n(105)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Delete": {"TableName": TABLE, "Key": {"pk": s("P#2"), "sk": s("ENT#01")}}},
        ],
    )
    failing = [
        [
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key,
                    "UpdateExpression": "SET amount = :z",
                    "ExpressionAttributeValues": {":z": n(0)},
                }
            },
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": s("P#9"), "sk": s("NEW"), "gsi1pk": s("Q#PAYABLE#0"), "gsi1sk": s("0")},
                }
            },
            {
                "ConditionCheck": {
                    "TableName": TABLE,
                    "Key": {"pk": s("P#3"), "sk": s("ENT#01")},
                    "ConditionExpression": "st = :s",
                    "ExpressionAttributeValues": {":s": s("PAID")},
                }
            },
        ],
        [
            {"Delete": {"TableName": TABLE, "Key": {"pk": s("P#0"), "sk": s("ENT#01")}}},
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": s("P#1"), "sk": s("LEDGER#1")},
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ],
        [
            {"Put": {"TableName": TABLE, "Item": {"pk": s("P#8"), "sk": s("X")}}},
            {"Put": {"TableName": "missing", "Item": {"pk": s("P#8"), "sk": s("X")}}},
        ],
    ]
    for items in failing:
        call(ddb, "transact_write_items", TransactItems=items)
    call(ddb, "scan", TableName=TABLE)
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI1,
        KeyConditionExpression="gsi1pk = :q",
        ExpressionAttributeValues={":q": s("Q#PAYABLE#0")},
    )


def expressions(call) -> None:
    """Condition and update expressions, each used more than once with different values
    (the parsed-once caches), ReturnValues, and bad expressions twice (errors every time)."""
    ddb = call.client("dynamodb")
    make_tables(call, ddb)
    key = {"pk": s("P#1"), "sk": s("PROFILE")}
    for _ in range(2):  # the second put is refused by its condition
        call(
            ddb,
            "put_item",
            TableName=TABLE,
            Item={**key, "balance": n(1000), "tags": {"SS": ["a"]}, "list": {"L": [n(1)]}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    for delta in (100, 250, 2000):
        call(
            ddb,
            "update_item",
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET balance = balance - :d, #u = :u ADD visits :one",
            ConditionExpression="balance >= :d AND #s <> :closed OR attribute_not_exists(#s)",
            ExpressionAttributeNames={"#u": "updated", "#s": "status"},
            ExpressionAttributeValues={":d": n(delta), ":u": s(f"t{delta}"), ":one": n(1), ":closed": s("CLOSED")},
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET #l = list_append(#l, :more), first = if_not_exists(first, :f) REMOVE tags",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={":more": {"L": [n(2), s("x")]}, ":f": s("once")},
        ReturnValues="ALL_NEW",
    )
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET first = if_not_exists(first, :f)",
        ExpressionAttributeValues={":f": s("twice")},
        ReturnValues="ALL_OLD",
    )
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key=key,
        UpdateExpression="ADD tags :t",
        ExpressionAttributeValues={":t": {"SS": ["b", "c"]}},
        ReturnValues="UPDATED_OLD",
    )
    call(
        ddb,
        "delete_item",
        TableName=TABLE,
        Key=key,
        ConditionExpression="size(#l) > :n AND contains(tags, :c)",
        ExpressionAttributeNames={"#l": "list"},
        ExpressionAttributeValues={":n": n(10), ":c": s("b")},
    )
    for _ in range(2):
        call(
            ddb,
            "update_item",
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET balance = balance +",
            ExpressionAttributeValues={},
        )
        call(
            ddb,
            "update_item",
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET a = :a",
            ConditionExpression="balance >>= :a",
            ExpressionAttributeValues={":a": n(1)},
        )
        call(ddb, "update_item", TableName=TABLE, Key=key, UpdateExpression="SET a = :missing")
    call(ddb, "get_item", TableName=TABLE, Key=key, ConsistentRead=True)


def serialisation(call) -> None:
    """Items holding every kind of attribute value, answered by GetItem, Query, Scan,
    BatchGetItem and ReturnValues (the serialiser patches write some directly)."""
    ddb = call.client("dynamodb")
    make_tables(call, ddb)
    nested = {
        "M": {
            "s": s('é ☃ "q"'),
            "n": n("-1.50"),
            "b": {"B": b"\x00\xff"},
            "null": {"NULL": True},
            "t": {"BOOL": False},
            "l": {"L": [s("x"), {"M": {"deep": {"L": [n(0), {"BOOL": True}]}}}, {"NS": ["1", "2.5"]}]},
        }
    }
    values = [
        {"S": ""},
        s("plain"),
        n("12345678901234567890"),
        {"B": b"bytes"},
        {"SS": ["x", "y"]},
        {"NS": ["3", "-4"]},
        {"BS": [b"a", b"b"]},
        {"M": {}},
        {"L": []},
        {"NULL": True},
        {"BOOL": True},
        nested,
        {"L": [nested, s("tail")]},
    ]
    for i, value in enumerate(values):
        call(
            ddb,
            "put_item",
            TableName=TABLE,
            Item={"pk": s("P#S"), "sk": s(f"V#{i:02d}"), "v": value, "gsi1pk": s("Q#S"), "gsi1sk": s(f"{i:02d}")},
        )
    call(ddb, "get_item", TableName=TABLE, Key={"pk": s("P#S"), "sk": s("V#11")})
    call(ddb, "query", TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("P#S")})
    call(
        ddb,
        "query",
        TableName=TABLE,
        IndexName=schema.GSI1,
        KeyConditionExpression="gsi1pk = :q",
        ExpressionAttributeValues={":q": s("Q#S")},
    )
    call(
        ddb, "scan", TableName=TABLE, FilterExpression="attribute_type(v, :m)", ExpressionAttributeValues={":m": s("M")}
    )
    call(
        ddb,
        "batch_get_item",
        RequestItems={TABLE: {"Keys": [{"pk": s("P#S"), "sk": s(f"V#{i:02d}")} for i in (0, 3, 12)]}},
    )
    call(
        ddb,
        "update_item",
        TableName=TABLE,
        Key={"pk": s("P#S"), "sk": s("V#12")},
        UpdateExpression="SET w = :w",
        ExpressionAttributeValues={":w": nested},
        ReturnValues="ALL_NEW",
    )
    call(ddb, "describe_table", TableName=TABLE)
