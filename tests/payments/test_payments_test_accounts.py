"""The documented test account numbers (payments/test_accounts.py, docs/api.md) on the
local stack's FakeProvider: each one ends the first payout as documented, with nothing
but the number registered over the API (no account opened in the provider)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.lifecycle_steps import GRANTED, advance_days, buy, complete, open_wave, rate, register, view

from prakerja_flow import config
from prakerja_flow.data import entitlements
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain import status_words
from prakerja_flow.payments import test_accounts as ta
from prakerja_flow.payments.fake import FakeProvider

FIRST_DUE = config.FIRST_PAYOUT_DELAY.days
# behaviour -> (status of payout 1 after the run on its due day, failure code)
EXPECTED = {
    ta.OWN_VERIFIED: (inc.PAID, None),
    ta.NOT_VERIFIED: (inc.FAILED, "AccountNotVerified"),
    ta.SOMEONE_ELSE: (inc.FAILED, "AccountNotOwned"),
    ta.INACTIVE: (inc.FAILED, "AccountInactive"),
    ta.TIMES_OUT: (inc.SENT, None),
    ta.PROVIDER_REJECTS: (inc.FAILED, "ProviderRejected"),
    ta.NOT_FOUND: (inc.FAILED, "AccountNotFound"),
    ta.FROZEN: (inc.FAILED, "AccountFrozen"),
    ta.NUMBER_CHANGED: (inc.FAILED, "PhoneNumberChanged"),
    ta.LIMIT_REACHED: (inc.FAILED, "EwalletLimitReached"),
}


def trained_with_account(cloud, sequence: int, number: str, channel: str = "OVO") -> str:
    pid = register(cloud, sequence)
    status, body = cloud.request(
        "PUT", f"/participants/{pid}/payout-account", {"channel": channel, "account_number": number}
    )
    assert status == 200, body
    buy(cloud, pid)
    complete(cloud, pid)
    rate(cloud, pid)
    cloud.wait_for_end(pid, GRANTED)
    return pid


def first_payout(pid: str) -> tuple[str, str | None]:
    ent = entitlements.get(pid, inc.POST_TRAINING, 1)
    return ent["status"], ent.get("failure_code")


def test_the_table_covers_every_behaviour_once():
    assert sorted(a.behaviour for a in ta.TEST_ACCOUNTS) == sorted(ta.BEHAVIOURS) == sorted(EXPECTED)
    assert len({a.number for a in ta.TEST_ACCOUNTS}) == len(ta.TEST_ACCOUNTS)
    assert all(6 <= len(a.number) <= 32 and a.number.isdigit() for a in ta.TEST_ACCOUNTS)  # the API accepts them


@pytest.mark.parametrize("account", ta.TEST_ACCOUNTS, ids=lambda a: a.behaviour)
def test_each_test_number_ends_the_first_payout_as_documented(cloud, account):
    open_wave(cloud)
    channel = "BANK" if account.number.endswith(("2", "4", "6")) else "GOPAY"  # any channel knows every number
    pid = trained_with_account(cloud, 1, account.number, channel)
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid) == EXPECTED[account.behaviour]
    status, code = EXPECTED[account.behaviour]
    shown = view(cloud, pid)
    first = next(e for e in shown["entitlements"] if e["kind"] == inc.POST_TRAINING and e["sequence"] == 1)
    # What the participant reads: the status and, when it failed, why and what to do, in both languages.
    assert (first["label"], first["status_text"]) == (
        status_words.label(status),
        status_words.status(status).as_dict(),
    )
    if status == inc.FAILED:
        assert account.number[-4:] in shown["diagnosis"] or "rejected" in shown["diagnosis"]
        assert first["reason"] == {"code": code, **status_words.REASONS[code].as_dict()}
    else:
        assert first["reason"] is None


def test_the_timeout_number_is_paid_when_a_later_run_settles_it(cloud):
    open_wave(cloud)
    pid = trained_with_account(cloud, 1, ta.number_for(ta.TIMES_OUT))
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid) == (inc.SENT, None)
    assert "outcome pending" in view(cloud, pid)["diagnosis"]
    cloud.clock.advance(config.SENT_SETTLEMENT_AFTER + timedelta(minutes=1))
    cloud.run_scheduled()
    cloud.settle()
    assert first_payout(pid) == (inc.PAID, None)
    paid = [line for line in cloud.provider.statement_lines() if line["status"] == "PAID"]
    assert len(paid) == 1  # the provider paid once; the lost answer cost nothing


def test_any_other_number_is_the_participants_own_verified_account_by_default(cloud):
    open_wave(cloud)
    pid = trained_with_account(cloud, 1, "081299887766")
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid) == (inc.PAID, None)


@pytest.mark.parametrize("provider", [FakeProvider(other_accounts=ta.NOT_FOUND)], ids=["other-not-found"])
def test_other_numbers_behave_as_configured(cloud, provider):
    open_wave(cloud)
    pid = trained_with_account(cloud, 1, "081299887766")
    advance_days(cloud, FIRST_DUE)
    assert first_payout(pid) == (inc.FAILED, "AccountNotFound")


def test_an_opened_account_answers_from_the_directory_not_the_table(provider):
    provider.open_account("OVO", ta.number_for(ta.OWN_VERIFIED), "3171015705900001", kyc_verified=False)
    answer = provider.inquire("OVO", ta.number_for(ta.OWN_VERIFIED), "3171015705900001")
    assert (answer.found, answer.holder_matches, answer.kyc_verified) == (True, True, False)
    assert provider.inquire("OVO", ta.number_for(ta.OWN_VERIFIED), "3171015705900009").holder_matches is False
    # the same number on another channel was not opened: the table answers
    assert provider.inquire("DANA", ta.number_for(ta.OWN_VERIFIED), "3171015705900009").holder_matches is True


def test_an_unknown_configured_behaviour_is_refused():
    with pytest.raises(ValueError, match="unknown test account behaviour"):
        ta.inquiry("123456", other="maybe")
