"""The simulator's load shapes: when participants arrive (prakerja/load_shape.py)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prakerja import load_shape as ls
from prakerja.simulate import REGISTRATION_DAYS, horizon_days, make_personas


def test_the_2020_sizes_are_the_programme_s():
    sizes = ls.sizes_2020()
    assert len(sizes) == 11 == len(ls.OPENING_DAYS_2020)
    assert sum(sizes) == ls.PARTICIPANTS_2020 == 5_509_055
    assert sum(sizes[:3]) == 684_054  # "the seed's first three waves: 680,000"
    assert max(sizes[3:]) - min(sizes[3:]) <= 1


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=12).filter(any), st.integers(0, 100_000))
def test_scaled_sizes_add_up_exactly_and_stay_proportional(sizes, total):
    scaled = ls.scale_sizes(sizes, total)
    assert sum(scaled) == total
    whole = sum(sizes)
    assert all(abs(s - size * total / whole) < 1 for s, size in zip(scaled, sizes, strict=True))


def test_at_one_thousandth_the_2020_waves_keep_their_days_and_their_weight():
    waves = ls.programme_2020(5_509)
    assert [w.wave for w in waves] == list(range(1, 12))
    assert [w.opens_day for w in waves] == list(ls.OPENING_DAYS_2020)
    assert [w.size for w in waves][:3] == [168, 289, 228]  # 168.1, 288.2, 227.8: the two largest remainders round up
    assert sum(w.size for w in waves) == 5_509
    # Waves never overlap: each closes before the next opens.
    assert all(a.closes_day < b.opens_day for a, b in zip(waves, waves[1:], strict=False))


def test_one_wave_is_the_classic_simulation():
    assert ls.one_wave(200) == [ls.WavePlan(1, 0, REGISTRATION_DAYS, 200)]
    assert horizon_days(ls.one_wave(1)) < horizon_days(ls.programme_2020(100))


def test_personas_register_while_their_wave_is_open():
    waves = ls.programme_2020(300)
    personas = make_personas(300, random.Random(4), waves)
    by_wave = {w.wave: w for w in waves}
    assert sorted({p.wave for p in personas}) == [w.wave for w in waves if w.size]
    for p in personas:
        wave = by_wave[p.wave]
        assert wave.opens_day <= p.register_day < wave.closes_day


def test_without_a_shape_the_personas_are_the_one_wave_ones():
    """`make_personas` without waves is the classic run's: one wave, a week of registrations."""
    a = make_personas(50, random.Random(1))
    b = make_personas(50, random.Random(1), ls.one_wave(50))
    assert [(p.nik, p.register_day, p.wave, p.kind) for p in a] == [(p.nik, p.register_day, p.wave, p.kind) for p in b]
    assert {p.wave for p in a} == {1}
    assert {p.register_day for p in a} <= set(range(REGISTRATION_DAYS))


def test_an_unknown_shape_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown load shape 'x': one of one-wave, 2020"):
        ls.plan("x", 10)
    with pytest.raises(ValueError, match="hold 10 participants, not 11"):
        make_personas(11, random.Random(1), ls.one_wave(10))
