"""Reconciliation: the provider's statement against our ledger, on the local stack
(the fake provider), and through the HTTP adapter's statement endpoint."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from support.lifecycle_steps import advance_days, open_wave, trained_and_rated

from prakerja_flow import config
from prakerja_flow.data import entitlements, ledger
from prakerja_flow.data.dynamo import key, to_ddb
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments.fake import StatementLine
from prakerja_flow.payments.provider import ProviderUnavailable
from prakerja_flow.services import reconciliation

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days


def reconcile(cloud, days: int = 3):
    now = cloud.clock()
    return reconciliation.reconcile(cloud.provider, now - timedelta(days=days), now + timedelta(seconds=1))


@pytest.fixture
def paid_world(cloud):
    open_wave(cloud)
    pids = [trained_and_rated(cloud, sequence=n) for n in (1, 2, 3)]
    advance_days(cloud, FIRST_DUE)
    assert all(entitlements.get(p, inc.POST_TRAINING, 1)["status"] == inc.PAID for p in pids)
    return pids


def paid_at(pid: str) -> str:
    return next(e["at"] for e in ledger.lines(pid) if e["entry"] == "POST_TRAINING_PAID")


def kinds(report) -> list[tuple[str, str]]:
    return sorted((m.kind, m.idempotency_key) for m in report.mismatches)


def test_a_clean_run_reports_nothing(cloud, paid_world):
    report = reconcile(cloud)
    assert report.clean and report.mismatches == [] and report.pending == []
    assert report.provider_paid == 3 and report.participants_checked == 3 and report.ledger_paid_checked == 3
    # The scheduled job (through moto's Lambda API) covers the window ending at its
    # scheduled time: the next day's run sees today's payments.
    at = cloud.clock() + timedelta(days=1)
    scheduled = cloud.invoke("reconcile", {"scheduled_time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert scheduled["clean"] is True and scheduled["provider_paid"] == 3 and scheduled["mismatches"] == []


def test_a_lost_ledger_line_is_reported(cloud, paid_world):
    pid = paid_world[0]
    ikey = inc.idempotency_key(pid, inc.POST_TRAINING, 1)
    cloud.ddb.delete_item(TableName=cloud.table_name, Key=key(f"P#{pid}", f"LEDGER#PAID#{ikey}"))
    report = reconcile(cloud)
    assert kinds(report) == [("paid_not_in_ledger", ikey)]
    assert (
        "the provider paid Rp600,000" in report.mismatches[0].detail
        and "our ledger has no payment" in report.mismatches[0].detail
    )


def test_a_second_payment_by_the_provider_is_reported(cloud, paid_world):
    original = next(line for line in cloud.provider.lines if line.participant_id == paid_world[1])
    cloud.provider.lines.append(replace(original, transfer_id="TRF999999999"))
    report = reconcile(cloud)
    assert kinds(report) == [("paid_twice", original.idempotency_key)]
    assert "2 times" in report.mismatches[0].detail and "Rp1,200,000 in total" in report.mismatches[0].detail


def test_a_ledger_payment_the_provider_never_made_is_reported(cloud, paid_world):
    pid = paid_world[2]
    ikey = inc.idempotency_key(pid, inc.POST_TRAINING, 2)
    line = {
        "pk": f"P#{pid}",
        "sk": f"LEDGER#PAID#{ikey}",
        "type": "LEDGER",
        "participant_id": pid,
        "entry": "POST_TRAINING_PAID",
        "amount_idr": 600_000,
        "at": paid_at(pid),
        "idempotency_key": ikey,
        "transfer_id": "TRF-FORGED",
    }
    cloud.ddb.put_item(TableName=cloud.table_name, Item=to_ddb(line))
    report = reconcile(cloud)
    assert kinds(report) == [("in_ledger_not_paid", ikey)]
    assert "the provider has no record of it" in report.mismatches[0].detail


def test_amount_and_transfer_id_differences_are_reported(cloud, paid_world):
    pid = paid_world[0]
    ikey = inc.idempotency_key(pid, inc.POST_TRAINING, 1)
    cloud.ddb.update_item(
        TableName=cloud.table_name,
        Key=key(f"P#{pid}", f"LEDGER#PAID#{ikey}"),
        UpdateExpression="SET amount_idr = :a, transfer_id = :t",
        ExpressionAttributeValues={":a": {"N": "650000"}, ":t": {"S": "TRF-OTHER"}},
    )
    report = reconcile(cloud)
    assert kinds(report) == [("amount_differs", ikey), ("transfer_id_differs", ikey)]
    assert "Rp650,000" in report.mismatches[0].detail


def test_a_statement_line_for_an_unknown_participant_is_reported(cloud, paid_world):
    cloud.provider.lines.append(
        StatementLine(
            "TRF-X",
            "GHOST:POST_TRAINING:1",
            "GHOST",
            inc.POST_TRAINING,
            1,
            600_000,
            "PAID",
            cloud.provider.lines[-1].at,
        )
    )
    assert kinds(reconcile(cloud)) == [("paid_not_in_ledger", "GHOST:POST_TRAINING:1")]


def test_a_payment_awaiting_settlement_is_pending_not_a_mismatch(cloud, monkeypatch):
    from prakerja_flow.payments.fake import FakeProvider

    class LoseAnswer:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def transfer(self, request):
            self.inner.transfer(request)
            raise ProviderUnavailable("answer lost")

    open_wave(cloud)
    pid = trained_and_rated(cloud)
    losing = LoseAnswer(cloud.provider)
    monkeypatch.setattr(FakeProvider, "shared", classmethod(lambda cls: losing))
    advance_days(cloud, FIRST_DUE)
    report = reconcile(cloud)
    assert report.clean and report.pending == [inc.idempotency_key(pid, inc.POST_TRAINING, 1)]


def test_a_ledger_line_paid_before_the_window_is_confirmed_by_asking(cloud, paid_world):
    # Our line is in the window, the provider's just before it (we booked it later).
    for line in cloud.provider.lines:
        line.at = "2000-01-01T00:00:00Z"
    report = reconcile(cloud)
    assert report.clean and report.provider_paid == 0


def test_reconciliation_through_the_http_adapter(api, aws, monkeypatch):
    """The HTTP adapter's statement(since, until) feeds the same comparison."""
    from prakerja_flow.payments.http import HttpProvider
    from prakerja_flow.payments.provider import TransferRequest

    provider = HttpProvider(base_url=api.url, api_key=lambda: "test-key", read_timeout=1.0)
    api.open_account("OVO", "0812", "N")
    provider.transfer(TransferRequest("P9:SURVEY:1", "P9", inc.SURVEY, 1, 50_000, "OVO", "0812"))
    monkeypatch.setattr(ledger, "lines", lambda pid: [])  # nothing booked on our side
    monkeypatch.setattr(entitlements, "get", lambda *a: None)
    from datetime import UTC, datetime

    report = reconciliation.reconcile(provider, datetime(2020, 8, 1, tzinfo=UTC), datetime(2020, 8, 2, tzinfo=UTC))
    assert kinds(report) == [("paid_not_in_ledger", "P9:SURVEY:1")]
