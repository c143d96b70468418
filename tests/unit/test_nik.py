"""NIK parsing, age and eligibility, masking, and the build/parse round trip."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow import config
from prakerja_flow.domain.errors import InvalidInput, InvalidNik, Underage
from prakerja_flow.domain.nik import (
    NikInfo,
    age_on,
    build_nik,
    mask_nik,
    parse_nik,
    require_eligible_nik,
)

FAST = settings(max_examples=60, deadline=None, database=None)

TODAY = date(2024, 6, 15)
# 31 (DKI Jakarta) 71 01, born 15-08-1990, man, sequence 0001
MAN = "3171011508900001"
# same region and date, woman (day 15 + 40 = 55), sequence 0002
WOMAN = "3171015508900002"


# --- parse_nik: well-formed numbers ----------------------------------------------


def test_parse_man():
    info = parse_nik(MAN, TODAY)
    assert info == NikInfo(MAN, 31, 71, 1, date(1990, 8, 15), "M", 1)


def test_parse_woman_day_plus_forty():
    info = parse_nik(WOMAN, TODAY)
    assert info.gender == "F"
    assert info.birth_date == date(1990, 8, 15)
    assert info.sequence == 2
    assert info.nik == WOMAN


@pytest.mark.parametrize(
    ("ddmmyy", "birth", "gender"),
    [
        ("010190", date(1990, 1, 1), "M"),
        ("310190", date(1990, 1, 31), "M"),
        ("410190", date(1990, 1, 1), "F"),  # 1 + 40
        ("710190", date(1990, 1, 31), "F"),  # 31 + 40
        ("290292", date(1992, 2, 29), "M"),  # leap year
        ("690292", date(1992, 2, 29), "F"),  # leap year, woman
        ("290200", date(2000, 2, 29), "M"),  # 2000 is a leap year (divisible by 400)
        ("311299", date(1999, 12, 31), "M"),
    ],
)
def test_parse_real_birth_dates(ddmmyy, birth, gender):
    info = parse_nik(f"317101{ddmmyy}0001", TODAY)
    assert info.birth_date == birth
    assert info.gender == gender


@pytest.mark.parametrize(
    "ddmmyy",
    [
        "290290",  # 1990 not a leap year
        "690290",  # same, woman
        "300292",  # 30 Feb never exists
        "310490",  # 31 April
        "000190",  # day 00
        "320190",  # day 32 (a man) is not a date
        "400190",  # day 40: neither a man's (<=31) nor a woman's (>=41)
        "720190",  # 72 - 40 = 32
        "810190",  # 81 - 40 = 41
        "991290",
        "150090",  # month 00
        "151390",  # month 13
        "159990",
    ],
)
def test_parse_rejects_unreal_birth_dates(ddmmyy):
    with pytest.raises(InvalidNik):
        parse_nik(f"317101{ddmmyy}0001", TODAY)


def test_29_feb_1900_is_not_a_date():
    # Seen from 1999, "00" is 1900, which is not a leap year (divisible by 100, not 400).
    with pytest.raises(InvalidNik):
        parse_nik("3171012902000001", date(1999, 6, 1))
    # ... while from 2024 the same digits are 29 Feb 2000, which exists.
    assert parse_nik("3171012902000001", TODAY).birth_date == date(2000, 2, 29)


# --- parse_nik: shape ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "317101150890000",  # 15 digits
        "31710115089000011",  # 17 digits
        "3171011508900001 ",  # trailing space
        " 3171011508900001",
        "31710115089000O1",  # letter O
        "3171-11508900001",
        "+171011508900001",
        "3171011508.90001",
        "31710115089000\n1",
        "３１７１０１１５０８９０００１",  # full-width digits
        "٣١٧١٠١١٥٠٨٩٠٠٠١",  # Arabic-Indic digits
        "31710115089000\u00b9\u00b2",  # superscript digits: str.isdigit() is True for these
        "317101150890000\u0661",  # one Arabic-Indic digit at the end
    ],
)
def test_parse_rejects_anything_but_16_ascii_digits(bad):
    with pytest.raises(InvalidNik):
        parse_nik(bad, TODAY)


@pytest.mark.parametrize("bad", [None, 3171011508900001, b"3171011508900001", ["3171011508900001"]])
def test_parse_rejects_non_strings(bad):
    with pytest.raises(InvalidNik):
        parse_nik(bad, TODAY)


def test_invalid_nik_is_an_invalid_input_422():
    with pytest.raises(InvalidInput) as caught:
        parse_nik("123", TODAY)
    assert caught.value.http_status == 422
    assert caught.value.code == "InvalidNik"


@pytest.mark.parametrize("province", sorted(config.PROVINCE_CODES))
def test_every_known_province_is_accepted(province):
    assert parse_nik(f"{province:02d}71011508900001", TODAY).province == province


@pytest.mark.parametrize("province", sorted(set(range(100)) - config.PROVINCE_CODES))
def test_every_unknown_province_is_rejected(province):
    with pytest.raises(InvalidNik):
        parse_nik(f"{province:02d}71011508900001", TODAY)


@pytest.mark.parametrize("nik", ["3100011508900001", "3171001508900001", "3100001508900001"])
def test_regency_or_district_00_rejected(nik):
    with pytest.raises(InvalidNik):
        parse_nik(nik, TODAY)


def test_regency_and_district_99_accepted():
    info = parse_nik("3199991508900001", TODAY)
    assert (info.regency, info.district) == (99, 99)


def test_sequence_0000_rejected():
    with pytest.raises(InvalidNik):
        parse_nik("3171011508900000", TODAY)


@pytest.mark.parametrize("seq", ["0001", "0010", "1000", "9999"])
def test_sequence_nonzero_accepted(seq):
    assert parse_nik(f"317101150890{seq}", TODAY).sequence == int(seq)


@given(nik=st.one_of(st.text(max_size=20), st.from_regex(r"\A[0-9]{16}\Z")))
@FAST
def test_parse_either_succeeds_or_raises_invalid_nik(nik):
    try:
        info = parse_nik(nik, TODAY)
    except InvalidNik:
        return
    assert info.nik == nik
    assert info.gender in ("F", "M")
    assert info.province in config.PROVINCE_CODES


# --- century resolution ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("yy", "year"),
    [("00", 2000), ("06", 2006), ("23", 2023), ("25", 1925), ("50", 1950), ("99", 1999)],
)
def test_two_digit_year_resolution(yy, year):
    assert parse_nik(f"3171010101{yy}0001", TODAY).birth_date == date(year, 1, 1)


def test_current_year_earlier_date_is_this_century():
    # 1 Jan 2024 seen on 15 Jun 2024 is a real (if very young) person.
    assert parse_nik("3171010101240001", TODAY).birth_date == date(2024, 1, 1)


def test_parse_never_returns_a_birth_date_in_the_future():
    # 15 Dec "24" seen on 15 Jun 2024: 15 Dec 2024 has not happened yet, so the
    # holder must have been born on 15 Dec 1924 ("in this century unless that
    # would be in the future").
    info = parse_nik("3171011512240001", TODAY)
    assert info.birth_date <= TODAY
    assert info.birth_date == date(1924, 12, 15)


# --- age_on ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(2000, 6, 15), date(2000, 6, 15), 0),
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2000, 6, 15), date(2018, 6, 16), 18),
        (date(2000, 12, 31), date(2019, 1, 1), 18),
        (date(2000, 1, 1), date(2018, 12, 31), 18),
        # Leap-day birthday: in a common year the birthday counts from 1 March.
        (date(2004, 2, 29), date(2022, 2, 28), 17),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2004, 2, 29), date(2024, 2, 28), 19),
    ],
)
def test_age_on(birth, today, age):
    assert age_on(birth, today) == age


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    days=st.integers(min_value=0, max_value=40_000),
)
@FAST
def test_age_on_is_whole_years_and_never_decreases(birth, days):
    today = birth + timedelta(days=days)
    age = age_on(birth, today)
    assert age >= 0
    assert age_on(birth, today + timedelta(days=1)) in (age, age + 1)
    # The age-th anniversary has passed, the (age+1)-th has not.
    assert days / 366 <= age + 1
    assert age <= days / 365


# --- require_eligible_nik: the 18th birthday ---------------------------------------------


def test_day_before_18th_birthday_is_underage():
    nik = "3171011506060001"  # man born 15 Jun 2006
    with pytest.raises(Underage) as caught:
        require_eligible_nik(nik, date(2024, 6, 14))
    assert str(config.MINIMUM_AGE_YEARS) in caught.value.message


def test_on_18th_birthday_is_eligible():
    info = require_eligible_nik("3171011506060001", date(2024, 6, 15))
    assert info.birth_date == date(2006, 6, 15)


def test_woman_18th_birthday_boundary():
    nik = "3171015506060001"  # woman born 15 Jun 2006
    with pytest.raises(Underage):
        require_eligible_nik(nik, date(2024, 6, 14))
    assert require_eligible_nik(nik, date(2024, 6, 15)).gender == "F"


def test_leap_day_baby_turns_18_on_1_march_of_a_common_year():
    nik = "3171012902040001"  # 29 Feb 2004
    with pytest.raises(Underage):
        require_eligible_nik(nik, date(2022, 2, 28))
    assert require_eligible_nik(nik, date(2022, 3, 1)).birth_date == date(2004, 2, 29)


def test_eligible_adult_returns_the_parse():
    assert require_eligible_nik(MAN, TODAY) == parse_nik(MAN, TODAY)


def test_invalid_nik_reported_before_age():
    with pytest.raises(InvalidNik):
        require_eligible_nik("3171010101240000", TODAY)  # sequence 0000 and a baby


def test_underage_is_invalid_input_422():
    with pytest.raises(InvalidInput) as caught:
        require_eligible_nik("3171010101200001", TODAY)  # born 2020
    assert caught.value.code == "Underage"
    assert caught.value.http_status == 422


# --- mask_nik -------------------------------------------------------------------------------


def test_mask_keeps_province_regency_and_last_four():
    masked = mask_nik(MAN)
    assert masked == "3171********0001"
    assert len(masked) == 16
    assert "011508" not in masked  # district and birth date hidden


@pytest.mark.parametrize("text", ["", "1", "123456789012345", "12345678901234567"])
def test_mask_hides_everything_when_not_16_long(text):
    assert mask_nik(text) == "*" * len(text)


@given(nik=st.from_regex(r"\A[0-9]{16}\Z"))
@FAST
def test_mask_never_reveals_the_middle(nik):
    masked = mask_nik(nik)
    assert masked[:4] == nik[:4] and masked[-4:] == nik[-4:]
    assert masked[4:12] == "*" * 8


# --- build_nik / parse_nik round trip ------------------------------------------------------------


def test_build_nik_examples():
    assert build_nik(31, 71, 1, date(1990, 8, 15), "M", 1) == MAN
    assert build_nik(31, 71, 1, date(1990, 8, 15), "F", 2) == WOMAN
    assert build_nik(11, 1, 1, date(2000, 2, 29), "F", 9999) == "1101016902009999"


@st.composite
def nik_parts(draw):
    today = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
    # A two-digit year names one of the 100 years ending today.
    birth = draw(st.dates(min_value=date(today.year - 99, 1, 1), max_value=today))
    return (
        draw(st.sampled_from(sorted(config.PROVINCE_CODES))),
        draw(st.integers(min_value=1, max_value=99)),
        draw(st.integers(min_value=1, max_value=99)),
        birth,
        draw(st.sampled_from(["F", "M"])),
        draw(st.integers(min_value=1, max_value=9999)),
        today,
    )


@given(parts=nik_parts())
@settings(max_examples=200, deadline=None, database=None)
def test_build_then_parse_round_trip(parts):
    province, regency, district, birth, gender, sequence, today = parts
    nik = build_nik(province, regency, district, birth, gender, sequence)
    assert len(nik) == 16 and nik.isascii() and nik.isdigit()
    assert parse_nik(nik, today) == NikInfo(nik, province, regency, district, birth, gender, sequence)
    assert mask_nik(nik)[:4] == nik[:4]
