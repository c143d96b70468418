"""Voucher rules without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from prakerja_flow import config
from prakerja_flow.domain import errors, vouchers

NOW = datetime(2020, 7, 10, 9, 0, tzinfo=UTC)


def voucher(**changes):
    base = {
        "participant_id": "P1",
        "platform_id": "pijarmahir",
        "training_id": "T1",
        "expires_at": vouchers.expiry(NOW),
        "status": vouchers.ISSUED,
    }
    return vouchers.Voucher(**{**base, **changes})


def test_codes_are_random_well_formed_and_stored_only_as_a_hash():
    codes = {vouchers.new_code() for _ in range(500)}
    assert len(codes) == 500 and all(vouchers.CODE_PATTERN.fullmatch(c) for c in codes)
    code = next(iter(codes))
    assert code not in vouchers.code_hash(code) and len(vouchers.code_hash(code)) == 64
    assert vouchers.code_hash(code) == vouchers.code_hash(code) != vouchers.code_hash(vouchers.new_code())


def test_a_good_voucher_is_redeemed_until_just_before_it_expires():
    assert vouchers.check_redemption(
        voucher(), "pijarmahir", "T1", NOW + config.PURCHASE_VOUCHER_VALIDITY - timedelta(seconds=1)
    )
    with pytest.raises(errors.VoucherExpired):
        vouchers.check_redemption(voucher(), "pijarmahir", "T1", NOW + config.PURCHASE_VOUCHER_VALIDITY)


@pytest.mark.parametrize(
    ("v", "platform", "training", "error"),
    [
        (None, "pijarmahir", "T1", errors.VoucherNotFound),
        (voucher(), "sekolahmu", "T1", errors.VoucherNotFound),  # another platform's: not revealed
        (voucher(status=vouchers.REDEEMED), "pijarmahir", "T1", errors.VoucherAlreadyUsed),
        (voucher(), "pijarmahir", "T2", errors.VoucherTrainingMismatch),
    ],
)
def test_each_refusal(v, platform, training, error):
    with pytest.raises(error) as refused:
        vouchers.check_redemption(v, platform, training, NOW)
    assert refused.value.message
