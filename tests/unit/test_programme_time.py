"""Programme time as published segments (domain/programme_time.py), without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prakerja_flow.domain import programme_time as pt
from prakerja_flow.domain.programme_time import Segment

T0 = datetime(2020, 8, 1, tzinfo=UTC)
W0 = T0.timestamp()  # the wall clock at T0: a stack with nothing published runs on it


def test_no_segments_is_the_wall_clock():
    assert pt.at((), W0) is None


def test_each_segment_runs_at_its_rate_from_its_wall_moment():
    segments = (Segment(W0, T0, 0.0), Segment(W0 + 10, T0 + timedelta(days=1), 86_400.0))
    assert pt.at(segments, W0 - 5) == T0  # before the stack started: its first moment
    assert pt.at(segments, W0 + 9.9) == T0  # held still
    assert pt.at(segments, W0 + 12) == T0 + timedelta(days=3)


def test_advancing_runs_on_at_the_wall_clocks_rate_from_the_new_moment():
    later = T0 + timedelta(days=30)
    segments = pt.advanced((), W0, later)
    assert segments == [Segment(W0, later, 1.0)]
    assert pt.at(segments, W0 + 90) == later + timedelta(seconds=90)
    again = pt.advanced(segments, W0 + 100, later + timedelta(days=30))
    assert pt.at(again, W0 + 50) == later + timedelta(seconds=50)  # the past keeps its times
    assert pt.at(again, W0 + 100) == later + timedelta(days=30)


def test_advancing_from_no_segments_starts_from_the_wall_clock():
    wall_now = datetime.fromtimestamp(W0, UTC)
    with pytest.raises(ValueError, match="only moves forward"):
        pt.advanced((), W0, wall_now - timedelta(seconds=1))


def test_the_clock_never_runs_backwards():
    segments = pt.advanced((), W0, T0 + timedelta(days=400))
    with pytest.raises(ValueError, match="only moves forward"):
        pt.advanced(segments, W0 + 1, T0)


@given(st.lists(st.tuples(st.floats(0, 1e6), st.integers(0, 10_000_000), st.sampled_from([0.0, 1.0, 30.0]))))
def test_segments_survive_their_json(raw):
    segments = tuple(sorted((Segment(W0 + w, T0 + timedelta(seconds=p), r) for w, p, r in raw), key=lambda s: s.wall))
    assert pt.decode(pt.encode(segments)) == segments
    assert pt.decode(None) == ()
