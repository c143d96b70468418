"""NIK (Nomor Induk Kependudukan): 16 digits = province(2) regency(2) district(2)
DDMMYY(6) sequence(4); women's day of birth is stored as day + 40."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import config
from .errors import InvalidNik, Underage


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province: int
    regency: int
    district: int
    birth_date: date
    gender: str  # "F" or "M"
    sequence: int


def _birth_date(yy: int, month: int, day: int, today: date) -> date:
    # A two-digit year is in this century unless that birth date would be in the future.
    born = date(2000 + yy, month, day)
    return born if born <= today else date(1900 + yy, month, day)


def parse_nik(nik: str, today: date) -> NikInfo:
    if not isinstance(nik, str) or len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise InvalidNik("NIK must be exactly 16 digits")
    province = int(nik[0:2])
    if province not in config.PROVINCE_CODES:
        raise InvalidNik(f"NIK province code {nik[0:2]} does not exist")
    regency, district = int(nik[2:4]), int(nik[4:6])
    if regency == 0 or district == 0:
        raise InvalidNik("NIK regency and district codes must not be 00")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    gender = "M"
    if day > config.NIK_FEMALE_DAY_OFFSET:
        gender, day = "F", day - config.NIK_FEMALE_DAY_OFFSET
    try:
        birth = _birth_date(yy, month, day, today)
    except ValueError:
        raise InvalidNik("NIK birth date is not a real date") from None
    sequence = int(nik[12:16])
    if sequence == 0:
        raise InvalidNik("NIK sequence number must not be 0000")
    return NikInfo(nik, province, regency, district, birth, gender, sequence)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def require_eligible_nik(nik: str, today: date) -> NikInfo:
    info = parse_nik(nik, today)
    if age_on(info.birth_date, today) < config.MINIMUM_AGE_YEARS:
        raise Underage(f"participants must be at least {config.MINIMUM_AGE_YEARS} years old")
    return info


def mask_nik(nik: str) -> str:
    """Keep the province and regency (first 4) and the last 4 digits: enough for an
    operator to tell people apart and to match what a caller reads out, not enough to
    reuse the number (district, birth date and gender stay hidden)."""
    if len(nik) != 16:
        return "*" * len(nik)
    return nik[:4] + "*" * 8 + nik[-4:]


def build_nik(province: int, regency: int, district: int, birth: date, gender: str, sequence: int) -> str:
    day = birth.day + (config.NIK_FEMALE_DAY_OFFSET if gender == "F" else 0)
    return f"{province:02d}{regency:02d}{district:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{sequence:04d}"
