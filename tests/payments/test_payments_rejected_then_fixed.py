"""A transfer the provider rejected (no money moved), then the participant fixes the account:
the next run pays, under the entitlement's next transfer key. A provider answers a key it has
seen with its first outcome, so a re-send under the same key could only replay the rejection
(the fake provider does, as real ones do): before this, such a participant was never paid
("two trainings, two certificates, rated both, and not one incentive paid")."""

from __future__ import annotations

from support.lifecycle_steps import GRANTED, advance_days, buy, complete, nik, open_wave, paid_lines, rate, register

from prakerja.statement_check import statement_problems
from prakerja_flow import config
from prakerja_flow.data import entitlements, ledger
from prakerja_flow.domain import incentives as inc
from prakerja_flow.payments import test_accounts as ta

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
REJECTING = next(a.number for a in ta.TEST_ACCOUNTS if a.behaviour == ta.PROVIDER_REJECTS)


def put_account(cloud, pid: str, number: str) -> None:
    status, body = cloud.request(
        "PUT", f"/participants/{pid}/payout-account", {"channel": "BANK", "account_number": number}
    )
    assert status == 200, body


def first(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


def test_a_rejected_transfer_is_paid_under_the_next_key_once_the_account_is_fixed(cloud):
    open_wave(cloud)
    pid = register(cloud, 1)
    put_account(cloud, pid, REJECTING)
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    advance_days(cloud, FIRST_DUE)
    rejected = first(pid)
    assert (rejected["status"], rejected["failure_code"], rejected["provider_rejections"]) == (
        inc.FAILED,
        "ProviderRejected",
        1,
    )
    key = rejected["idempotency_key"]
    assert inc.current_transfer_key(rejected) == f"{key}#R1" and inc.entitlement_key(f"{key}#R1") == key

    cloud.provider.open_account("BANK", "1234509876", nik(1), kyc_verified=True)
    put_account(cloud, pid, "1234509876")
    for _ in range(config.PAYOUT_ACCOUNT_COOLING_OFF.days + 2):  # the account change's cooling-off first
        if first(pid)["status"] == inc.PAID:
            break
        advance_days(cloud, 1)
    paid = first(pid)
    assert paid["status"] == inc.PAID, paid

    mine = [line for line in cloud.provider.statement_lines() if inc.entitlement_key(line["idempotency_key"]) == key]
    assert [(line["idempotency_key"], line["status"]) for line in mine if line["status"] != "DUPLICATE"] == [
        (key, "REJECTED"),
        (f"{key}#R1", "PAID"),
    ]
    assert statement_problems(cloud.provider.statement_lines()) == []
    (line,) = [e for e in ledger.lines(pid) if e["entry"] == "POST_TRAINING_PAID"]
    assert (line["idempotency_key"], line["transfer_key"], line["transfer_id"]) == (
        key,
        f"{key}#R1",
        paid["transfer_id"],
    )
    assert len(paid_lines(cloud)) == 1
    # The daily reconciliation matches the payment under its transfer key: nothing to report.
    assert cloud.run_scheduled()["reconcile"]["clean"]
