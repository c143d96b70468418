"""`ops executions` and `ops stuck`: who waits where, filtered, and fast on thousands."""

from __future__ import annotations

from support.lifecycle_steps import advance_days, buy, complete, open_wave, register, register_started_at_registration

from bench.ops_executions import waiting_executions  # noqa: E402


def test_executions_and_stuck_on_real_lifecycles(cloud, ops):
    open_wave(cloud)
    open_wave(cloud, 2)
    never_bought = [register_started_at_registration(cloud, n) for n in (1, 2)]  # executions before ADR 0015
    rater = register(cloud, 3, wave=2)
    buy(cloud, rater)
    complete(cloud, rater)
    cloud.wait_for_token(rater, "RATING")
    advance_days(cloud, 20)
    late = register_started_at_registration(cloud, 4)
    advance_days(cloud, 1)

    code, _, _, report = ops("executions", "--json")
    assert code == 0 and report["listed"] == report["matched"] == 4
    states = {row["participant_id"]: (row["state"], row["wave"], row["state_from"]) for row in report["executions"]}
    assert states == {
        never_bought[0]: ("AwaitTrainingPurchase", 1, "token"),
        never_bought[1]: ("AwaitTrainingPurchase", 1, "token"),
        rater: ("AwaitRating", 2, "token"),
        late: ("AwaitTrainingPurchase", 1, "token"),
    }
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


def test_executions_on_5000_participants_reads_no_history(cloud, ops):
    """5,000 executions, each waiting with its token, like a real wave: listing them with
    their states must not cost a history call each (how long it takes is measured by
    bench/ops_executions.py, docs/operations.md section 3)."""
    open_wave(cloud)
    n = 5000
    with waiting_executions(cloud, n):
        code, _, _, report = ops(
            "executions", "--json", "--state", "AwaitRating", "--older-than", "14d", "--limit", "10"
        )
        assert code == 0 and report["listed"] == n and report["history_lookups"] == 0
        assert report["matched"] == sum(1 for i in range(n) if i % 5 == 2 and i % 40 >= 14)
        assert (
            len(report["executions"]) == 10 and report["executions"][0]["in_state_seconds"] == 37 * 86400
        )  # the longest waiting first
        code, _, _, report = ops("executions", "--json", "--wave", "2", "--limit", "5000")
        assert report["matched"] == len(report["executions"]) == sum(1 for i in range(n) if i % 3 == 1)
        assert ops("stuck", "--json")[3]["total_waiting"] == n
