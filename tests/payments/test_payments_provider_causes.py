"""The failure causes the real programme met (issue 17, item 6), end to end on the local stack
with the fake provider told to report each: a full e-wallet (transient: sent again when the
month turns), a frozen account and a changed phone number (permanent for that account: held
until it is fixed). Each is paid exactly once once its cause clears, through the one guard."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from support.lifecycle_steps import GRANTED, advance_days, buy, complete, nik, open_wave, rate, register, view

from prakerja.statement_check import statement_problems
from prakerja_flow import clock, config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain import provider_rejections as pr
from prakerja_flow.domain import status_words
from prakerja_flow.payments.fake import FakeProvider

NUMBER, NEW_NUMBER = "081277770001", "081277770002"


class InquiryBlind(FakeProvider):
    """A provider whose account inquiry does not know an account is frozen: only the transfer says so."""

    def inquire(self, channel, account_number, holder_nik):
        return replace(super().inquire(channel, account_number, holder_nik), frozen=False)


def granted(cloud, **account) -> str:
    open_wave(cloud)
    pid = register(cloud)
    cloud.provider.open_account("DANA", NUMBER, nik(1), **account)
    put_account(cloud, pid, NUMBER)
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    return pid


def put_account(cloud, pid: str, number: str) -> None:
    status, body = cloud.request(
        "PUT", f"/participants/{pid}/payout-account", {"channel": "DANA", "account_number": number}
    )
    assert status == 200, body


def first(pid: str) -> dict:
    return entitlements.get(pid, inc.POST_TRAINING, 1)


def lines_of(cloud, ent: dict) -> list[tuple[str, str]]:
    key = ent["idempotency_key"]
    lines = cloud.provider.statement_lines()
    return [
        (line["idempotency_key"], line["status"])
        for line in lines
        if inc.entitlement_key(line["idempotency_key"]) == key
    ]


def shown_reason(cloud, pid: str) -> dict:
    return next(e for e in view(cloud, pid)["entitlements"] if e["kind"] == inc.POST_TRAINING)["reason"]


def days_until_paid(cloud, pid: str, most: int) -> int:
    for day in range(most):
        if first(pid)["status"] == inc.PAID:
            return day
        advance_days(cloud, 1)
    raise AssertionError(f"payout 1 not paid within {most} days: {first(pid)}")


def test_a_full_e_wallet_is_sent_again_when_the_month_turns_and_paid_once(cloud):
    pid = granted(cloud)
    due = clock.parse(first(pid)["due_at"])
    clears = pr.next_month(due)
    cloud.provider.open_account("DANA", NUMBER, nik(1), limit_reached_until=clears)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    failed = first(pid)
    assert (failed["status"], failed["failure_code"], failed["retry_after"]) == (
        inc.FAILED,
        pr.EWALLET_LIMIT_REACHED,
        clock.iso(clears),
    )
    assert shown_reason(cloud, pid) == {
        "code": pr.EWALLET_LIMIT_REACHED,
        **status_words.REASONS[pr.EWALLET_LIMIT_REACHED].as_dict(),
    }
    assert "retried automatically from" in view(cloud, pid)["diagnosis"]
    rejected_once = lines_of(cloud, failed)
    assert rejected_once == [(failed["idempotency_key"], "REJECTED")]

    # Every run of this month holds it: no transfer, no write.
    while clock.now() + timedelta(days=1) < clears:
        advance_days(cloud, 1)
        assert first(pid)["version"] == failed["version"] and lines_of(cloud, failed) == rejected_once
    days_until_paid(cloud, pid, 3)
    paid = first(pid)
    assert clock.parse(paid["paid_at"]) >= clears
    assert lines_of(cloud, paid) == [*rejected_once, (f"{paid['idempotency_key']}#R1", "PAID")]
    assert statement_problems(cloud.provider.statement_lines()) == []


def test_a_new_account_ends_the_wait_for_the_month_to_turn(cloud):
    pid = granted(cloud)
    cloud.provider.open_account("DANA", NUMBER, nik(1), limit_reached_until=clock.now() + 10 * config.PAYOUT_INTERVAL)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    assert first(pid)["failure_code"] == pr.EWALLET_LIMIT_REACHED
    cloud.provider.open_account("DANA", NEW_NUMBER, nik(1))
    put_account(cloud, pid, NEW_NUMBER)
    assert days_until_paid(cloud, pid, config.PAYOUT_ACCOUNT_COOLING_OFF.days + 2) <= (
        config.PAYOUT_ACCOUNT_COOLING_OFF.days + 1
    )
    assert statement_problems(cloud.provider.statement_lines()) == []


def test_a_frozen_account_is_held_until_it_is_unfrozen(cloud):
    pid = granted(cloud, frozen=True)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    failed = first(pid)
    assert (failed["status"], failed["failure_code"]) == (inc.FAILED, pr.ACCOUNT_FROZEN)
    assert lines_of(cloud, failed) == []  # the inquiry said so: nothing was sent
    assert shown_reason(cloud, pid)["id"].startswith("Insentif Anda gagal dicairkan: akun Anda dibekukan")
    assert "frozen by DANA" in view(cloud, pid)["diagnosis"]
    advance_days(cloud, 3)
    assert first(pid)["version"] == failed["version"]  # still frozen: nothing written
    cloud.provider.open_account("DANA", NUMBER, nik(1))  # unfrozen by DANA's customer service
    assert days_until_paid(cloud, pid, 2) == 1
    assert [s for _, s in lines_of(cloud, first(pid))] == ["PAID"]


def test_a_changed_phone_number_is_paid_once_the_new_number_is_registered(cloud):
    pid = granted(cloud, number_changed=True)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    assert first(pid)["failure_code"] == pr.PHONE_NUMBER_CHANGED
    assert "nomor HP" in shown_reason(cloud, pid)["id"]
    cloud.provider.open_account("DANA", NEW_NUMBER, nik(1))
    put_account(cloud, pid, NEW_NUMBER)
    days_until_paid(cloud, pid, config.PAYOUT_ACCOUNT_COOLING_OFF.days + 2)
    assert [s for _, s in lines_of(cloud, first(pid))] == ["PAID"]


@pytest.mark.parametrize("provider", [InquiryBlind()], ids=["frozen-known-only-to-transfers"])
def test_a_frozen_account_reported_by_a_transfer_is_sent_again_only_after_the_wait(cloud, provider):
    pid = granted(cloud, frozen=True)
    advance_days(cloud, config.FIRST_PAYOUT_DELAY.days)
    failed = first(pid)
    assert (failed["failure_code"], failed["provider_rejections"]) == (pr.ACCOUNT_FROZEN, 1)
    assert lines_of(cloud, failed) == [(failed["idempotency_key"], "REJECTED")]
    cloud.provider.open_account("DANA", NUMBER, nik(1))  # unfrozen the next day
    advance_days(cloud, config.ACCOUNT_REJECTION_RETRY_AFTER.days - 1)
    assert first(pid)["version"] == failed["version"]  # waits: a re-send would have been rejected
    days_until_paid(cloud, pid, 2)
    paid = first(pid)
    assert clock.parse(paid["paid_at"]) >= clock.parse(failed["failed_at"]) + config.ACCOUNT_REJECTION_RETRY_AFTER
    assert [s for _, s in lines_of(cloud, paid)] == ["REJECTED", "PAID"]
    assert statement_problems(cloud.provider.statement_lines()) == []
