"""Purchase vouchers: the participant's consent to one purchase (issue 12, finding 10).

A platform can spend a participant's training balance only with a voucher the
participant took from the portal for that platform and that training, used once, within
its validity. As in the real programme (the participant's Prakerja dashboard gives a
voucher code that the platform redeems), a platform that knows only a participant id can
buy nothing. The table keeps a hash of the code, never the code: a voucher is a bearer
credential until it is used."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from .. import clock, config
from .errors import VoucherAlreadyUsed, VoucherExpired, VoucherNotFound, VoucherTrainingMismatch

PREFIX = "PKV"
# PKV- then three groups of four base32 letters/digits: 60 random bits, easy to read out.
CODE_PATTERN = re.compile(r"^PKV-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")
ISSUED, REDEEMED = "ISSUED", "REDEEMED"


@dataclass(frozen=True)
class Voucher:
    participant_id: str
    platform_id: str
    training_id: str
    expires_at: datetime
    status: str


def new_code() -> str:
    letters = base64.b32encode(secrets.token_bytes(8)).decode()[:12]
    return f"{PREFIX}-{letters[:4]}-{letters[4:8]}-{letters[8:]}"


def code_hash(code: str) -> str:
    return hashlib.sha256(f"prakerja-voucher:{code}".encode()).hexdigest()


def expiry(issued_at: datetime) -> datetime:
    return issued_at + config.PURCHASE_VOUCHER_VALIDITY


def check_redemption(voucher: Voucher | None, platform_id: str, training_id: str, now: datetime) -> Voucher:
    """The voucher as it may be redeemed by this platform for this training now, or the
    refusal. Another platform's voucher is reported as not found: its existence is not
    that platform's to learn."""
    if voucher is None or voucher.platform_id != platform_id:
        raise VoucherNotFound(
            "no such voucher for this participant and platform; the participant takes one from the portal"
        )
    if voucher.status != ISSUED:
        raise VoucherAlreadyUsed("this voucher was already used for a purchase; each purchase needs its own voucher")
    if now >= voucher.expires_at:
        raise VoucherExpired(
            f"this voucher expired at {clock.iso(voucher.expires_at)}; the participant takes a new one"
        )
    if voucher.training_id != training_id:
        raise VoucherTrainingMismatch(f"this voucher is for training {voucher.training_id}, not {training_id}")
    return voucher
