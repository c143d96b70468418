"""The audit log of operator actions (payout pause/resume, retries, cancellations...):
every action gets its own entry, listed in the order it was taken, even when the
(1-second) clock gives several actions the same time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prakerja_flow import clock
from prakerja_flow.data import audit
from prakerja_flow.services import operator

AT = datetime(2020, 7, 6, 8, 0, 0, tzinfo=UTC)


def test_keys_in_the_same_second_are_unique_and_in_write_order():
    keys = [audit.sort_key(AT) for _ in range(2000)]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)  # wall-clock nanoseconds grow (or tie, then only the suffix differs)


def test_key_order_is_time_order_first():
    later_second_early_wall = audit.sort_key(AT + timedelta(seconds=1), wall_ns=1, suffix="00000000")
    earlier_second_late_wall = audit.sort_key(AT, wall_ns=10**19, suffix="ffffffff")
    assert earlier_second_late_wall < later_second_early_wall
    with_micro = audit.sort_key(AT + timedelta(microseconds=5), wall_ns=1, suffix="00000000")
    assert audit.sort_key(AT, wall_ns=2, suffix="00000000") < with_micro
    assert audit.sort_key(AT, wall_ns=1, suffix="ab") == "2020-07-06T08:00:00.000000Z#00000000000000000001#ab"


def test_same_second_actions_are_all_kept_and_listed_in_order(cloud):
    at = cloud.clock()  # every action below happens "now": the same second
    operator.set_payouts_paused(True, "ana", "bank incident", at)
    operator.set_payouts_paused(False, "budi", "bank back", at)
    operator.set_payouts_paused(True, "citra", "again", at)
    entries = audit.day(clock.iso(at)[:10])
    assert [(e["actor"], e["action"]) for e in entries] == [
        ("ana", "payouts.pause"),
        ("budi", "payouts.resume"),
        ("citra", "payouts.pause"),
    ]
    assert len({e["sk"] for e in entries}) == 3 and all(e["at"] == clock.iso(at) for e in entries)


def test_a_clashing_key_is_never_overwritten(cloud, monkeypatch):
    keys = iter(
        [
            "2020-07-06T08:00:00.000000Z#1#same",
            "2020-07-06T08:00:00.000000Z#1#same",
            "2020-07-06T08:00:00.000000Z#2#next",
        ]
    )
    monkeypatch.setattr(audit, "sort_key", lambda at: next(keys))
    first = audit.append("ana", "payouts.pause", "first", AT)
    second = audit.append("budi", "payouts.resume", "second", AT)  # the first key it draws is taken
    assert (first["sk"], second["sk"]) == ("2020-07-06T08:00:00.000000Z#1#same", "2020-07-06T08:00:00.000000Z#2#next")
    assert [e["actor"] for e in audit.day("2020-07-06")] == ["ana", "budi"]
