"""`ops executions` and `ops stuck`: who waits where, filtered, and fast on thousands."""

from __future__ import annotations

import time
from datetime import timedelta

from lifecycle_steps import advance_days, buy, complete, open_wave, register

from prakerja_flow import clock


def test_executions_and_stuck_on_real_lifecycles(cloud, ops):
    open_wave(cloud)
    open_wave(cloud, 2)
    never_bought = [register(cloud, n) for n in (1, 2)]
    rater = register(cloud, 3, wave=2)
    buy(cloud, rater)
    complete(cloud, rater)
    cloud.wait_for_token(rater, "RATING")
    advance_days(cloud, 20)
    late = register(cloud, 4)
    cloud.wait_for_token(late, "PURCHASE")
    advance_days(cloud, 1)

    code, _, _, report = ops("executions", "--json")
    assert code == 0 and report["listed"] == report["matched"] == 4
    states = {row["participant_id"]: (row["state"], row["wave"], row["state_from"]) for row in report["executions"]}
    assert states == {never_bought[0]: ("AwaitTrainingPurchase", 1, "token"), never_bought[1]: ("AwaitTrainingPurchase", 1, "token"),
                      rater: ("AwaitRating", 2, "token"), late: ("AwaitTrainingPurchase", 1, "token")}
    assert report["history_lookups"] == 0

    _, _, _, old = ops("executions", "--json", "--state", "AwaitTrainingPurchase", "--older-than", "14d")
    assert sorted(r["participant_id"] for r in old["executions"]) == sorted(never_bought)
    _, _, _, wave2 = ops("executions", "--json", "--wave", "2", "--status", "RUNNING")
    assert [r["participant_id"] for r in wave2["executions"]] == [rater]
    _, text, _, _ = ops("executions", "--limit", "1")
    assert "4 matched of 4 executions; shown 1" in text
    assert ops("executions", "--older-than", "fortnight")[0] == 2

    code, _, _, stuck = ops("stuck", "--json")
    assert code == 0 and stuck["total_waiting"] == 4
    purchase = stuck["states"]["AwaitTrainingPurchase"]
    assert purchase["buckets"] == {"<7d": 1, "7-14d": 0, "14-30d": 2, ">30d": 0}
    assert [r["participant_id"] for r in purchase["oldest"]][-1] == late
    assert stuck["states"]["AwaitRating"]["buckets"]["14-30d"] == 1
    _, text, _, _ = ops("stuck")
    assert "AwaitRating" in text and rater in text


def test_executions_on_5000_participants_is_fast(cloud, ops):
    """5,000 executions, each waiting with its token, like a real wave: listing them with
    their states must not cost a history call each."""
    open_wave(cloud)
    now = cloud.clock()
    arn = cloud.state_machine_arn
    n = 5000
    # Real lifecycle executions (RUNNING, listed by the API) that moto does not interpret,
    # each with the PROFILE and TOKEN item its await-event task would have written.
    from moto.stepfunctions.models import Execution
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    machine = stepfunctions_parser_backends["123456789012"]["ap-southeast-3"].describe_state_machine(arn)
    items: list[dict] = []
    for i in range(n):
        pid = f"PBENCH{i:05d}"
        machine.executions.append(Execution(region_name="ap-southeast-3", account_id="123456789012", state_machine_name=machine.name,
                                            execution_name=pid, state_machine_arn=arn, execution_input="{}"))
        stage = ("PURCHASE", "COMPLETION", "RATING", "PAYOUT#1", "SURVEYS")[i % 5]
        items += [
            {"PutRequest": {"Item": _ddb({"pk": f"P#{pid}", "sk": "PROFILE", "type": "PARTICIPANT", "participant_id": pid, "gsi2pk": f"WAVE#{1 + i % 3}", "gsi2sk": pid, "wave": 1 + i % 3, "status": "ACTIVE",
                                          "accepted_at": clock.iso(now - timedelta(days=40))})}},
            {"PutRequest": {"Item": _ddb({"pk": f"P#{pid}", "sk": f"TOKEN#{stage}", "type": "TOKEN", "stage": stage, "token": "t",
                                          "at": clock.iso(now - timedelta(days=i % 40))})}},
            {"PutRequest": {"Item": _ddb({"pk": f"P#{pid}", "sk": "LEDGER#BALANCE_GRANTED", "type": "LEDGER", "amount_idr": 1_000_000})}},
            {"PutRequest": {"Item": _ddb({"pk": f"P#{pid}", "sk": "PURCHASE#ORD1", "type": "PURCHASE", "price_idr": 1_000_000})}},
        ]
    for start in range(0, len(items), 25):
        cloud.ddb.batch_write_item(RequestItems={cloud.table_name: items[start:start + 25]})
    try:
        _measure(ops, n)
    finally:  # moto could not drain executions it never ran
        machine.executions[:] = [e for e in machine.executions if not e.name.startswith("PBENCH")]


def _measure(ops, n: int) -> None:
    started = time.perf_counter()
    code, _, _, report = ops("executions", "--json", "--state", "AwaitRating", "--older-than", "14d", "--limit", "10")
    elapsed = time.perf_counter() - started
    assert code == 0 and report["listed"] == n and report["history_lookups"] == 0
    assert report["matched"] == sum(1 for i in range(n) if i % 5 == 2 and i % 40 >= 14)
    print(f"\nops executions on {n} executions: {elapsed:.2f} s")
    assert elapsed < 5, elapsed
    started = time.perf_counter()
    code, _, _, report = ops("executions", "--json", "--wave", "2", "--limit", "5000")
    print(f"ops executions --wave 2 on {n} executions: {time.perf_counter() - started:.2f} s")
    assert report["matched"] == len(report["executions"]) == sum(1 for i in range(n) if i % 3 == 1)
    started = time.perf_counter()
    assert ops("stuck", "--json")[3]["total_waiting"] == n
    print(f"ops stuck on {n} waiting participants: {time.perf_counter() - started:.2f} s")


def _ddb(item: dict) -> dict:
    from prakerja_flow.data.dynamo import to_ddb

    return to_ddb(item)

