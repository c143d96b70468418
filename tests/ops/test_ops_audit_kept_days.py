"""The console reads each ended day of the audit log once (audit.PastDays); a day still
open to new entries (today, and the day before: SETTLED_DAYS) is read every time."""

from __future__ import annotations

from datetime import date

from prakerja.ops import audit


def test_ended_days_are_read_once_and_recent_days_every_time(monkeypatch):
    asked: list[str] = []

    def list_audit(day: str) -> list[dict]:
        asked.append(day)
        return [
            {
                "pk": f"AUDIT#{day}",
                "sk": f"{day}T10:00:00Z#1",
                "type": "AUDIT",
                "actor": "ani",
                "action": "wave.open",
                "reason": "r",
                "details": {"participant_id": "P1"},
            }
        ]

    monkeypatch.setattr(audit.audit_data, "day", list_audit)
    kept, today = audit.PastDays(), date(2020, 8, 17)
    first = audit.read(date(2020, 8, 13), today, kept=kept, today=today)
    assert sorted(asked) == ["2020-08-13", "2020-08-14", "2020-08-15", "2020-08-16", "2020-08-17"]
    asked.clear()
    again = audit.read(date(2020, 8, 13), today, participant_id="P1", kept=kept, today=today)
    assert sorted(asked) == ["2020-08-16", "2020-08-17"] and again == first and len(again) == 5
    asked.clear()
    audit.read(date(2020, 8, 13), date(2020, 8, 18), kept=kept, today=date(2020, 8, 18))  # a day later
    assert sorted(asked) == ["2020-08-16", "2020-08-17", "2020-08-18"]
    asked.clear()
    audit.read(date(2020, 8, 17), date(2020, 8, 17))  # the CLI keeps nothing
    assert asked == ["2020-08-17"]
