"""The open-executions model behind ADR 0015 (bench/open_executions_by_start.py): its peak
count on intervals worked out by hand, and its ordering on the simulator's own participants
(a later start can only hold fewer executions open)."""

from __future__ import annotations

from bench.open_executions_by_start import STARTS, measure, peak


def test_peak_counts_executions_open_at_the_end_of_a_day():
    # Opened day 0-2, ended day 3 (the end day no longer counts), one opened on day 3.
    assert peak([(0, 3), (1, 3), (2, 5), (3, 4)]) == (3, 2)
    assert peak([]) == (0, 0)


def test_a_later_start_holds_fewer_executions_open():
    result = measure(participants=300, seed=3, shape="2020", rating_window_days=60)
    rows = [result["starts"][start] for start in STARTS]
    peaks = [row["peak"] for row in rows]
    assert peaks[0] > peaks[1] > peaks[2] > 0, peaks
    assert rows[0]["executions"] == 300 > rows[1]["executions"] == rows[2]["executions"]  # never-buyers start none
    assert rows[0]["peak_at_real_scale"] == round(peaks[0] * 5_509_055 / 300)
