"""The programme's words for a payment (domain/status_words.py): every status and every
failure code the system writes has them, in Bahasa Indonesia and English, and a reason says
what to do."""

from __future__ import annotations

import pytest

from prakerja_flow import config
from prakerja_flow.data import cash
from prakerja_flow.domain import accounts, payout_decision, provider_rejections, status_words
from prakerja_flow.domain import incentives as inc
from prakerja_flow.domain.accounts import AccountInquiry

OWN = AccountInquiry(found=True, holder_matches=True, kyc_verified=True, active=True)
ACCOUNT = {"channel": config.PAYOUT_CHANNELS[0], "account_number": "081200000001"}


def every_account_problem() -> set[str]:
    """Each code domain/accounts.account_problem can answer, by asking it each way."""
    cases = [
        (None, None),
        ({"channel": "NOPE", "account_number": "1"}, OWN),
        (ACCOUNT, AccountInquiry(found=False)),
        (ACCOUNT, AccountInquiry(found=True, holder_matches=False, kyc_verified=True, active=True)),
        (ACCOUNT, AccountInquiry(found=True, holder_matches=True, kyc_verified=True, active=False)),
        (ACCOUNT, AccountInquiry(found=True, holder_matches=True, kyc_verified=False, active=True)),
        (ACCOUNT, AccountInquiry(found=True, holder_matches=True, kyc_verified=True, active=True, frozen=True)),
        (ACCOUNT, AccountInquiry(found=True, holder_matches=True, kyc_verified=True, active=True, number_changed=True)),
    ]
    problems = {accounts.account_problem(account, inquiry) for account, inquiry in cases}
    assert None not in problems and accounts.account_problem(ACCOUNT, OWN) is None
    return {p.code for p in problems if p}


def test_the_portal_words_are_the_programmes():
    assert [status_words.label(s) for s in (inc.SCHEDULED, inc.DUE, inc.SENT, inc.PAID, inc.FAILED)] == [
        "Dijadwalkan",
        "Dalam pengecekan",
        "Sedang diproses",
        "Berhasil",
        "Gagal",
    ]


@pytest.mark.parametrize("value", sorted(status_words.STATUS))
def test_every_status_has_both_languages(value):
    words = status_words.status(value)
    assert words.id and words.en and words.id != words.en


def test_every_status_an_entitlement_can_have_is_worded():
    assert set(status_words.STATUS) == {*inc.TERMINAL, inc.SCHEDULED, inc.DUE, inc.SENT, inc.FAILED}


def test_every_failure_code_the_system_writes_has_a_reason_with_what_to_do():
    codes = every_account_problem() | provider_rejections.FAILURE_CODES | {payout_decision.BUDGET_EXHAUSTED}
    assert cash.PROVIDER_REJECTED in codes
    assert codes == set(status_words.REASONS), codes ^ set(status_words.REASONS)
    for code in codes:
        reason = status_words.reason(inc.FAILED, code)
        assert reason and reason["code"] == code and reason["id"].startswith(("Insentif", "Pencairan")), reason
        assert reason["en"].startswith("Your incentive"), reason


def test_a_reason_only_for_a_failed_payment_and_a_plain_one_for_an_unknown_code():
    assert status_words.reason(inc.DUE, "AccountNotVerified") is None  # being retried: its status says it
    assert status_words.reason(inc.FAILED, "SomethingNew") == {
        "code": "SomethingNew",
        **status_words.UNKNOWN_REASON.as_dict(),
    }
    assert status_words.reason(inc.FAILED, None)["code"] == "Unknown"
