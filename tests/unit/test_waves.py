"""Waves (gelombang): open, close, reopen; registration only while open."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prakerja_flow.domain.errors import IllegalTransition, WaveClosed
from prakerja_flow.domain.waves import CLOSED, OPEN, next_wave_status, require_open

FAST = settings(max_examples=60, deadline=None, database=None)


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (None, "open", OPEN),  # a new wave opens
        (OPEN, "close", CLOSED),
        (CLOSED, "open", OPEN),  # reopening a held-back wave
    ],
)
def test_legal_transitions(current, action, expected):
    assert next_wave_status(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (OPEN, "open"),  # already open
        (CLOSED, "close"),  # already closed
        (None, "close"),  # never opened
    ],
)
def test_illegal_transitions(current, action):
    with pytest.raises(IllegalTransition) as caught:
        next_wave_status(current, action)
    assert caught.value.http_status == 409


@pytest.mark.parametrize("current", [None, OPEN, CLOSED])
@pytest.mark.parametrize("action", ["OPEN", "Close", "reopen", "", "delete", None])
def test_unknown_actions_refused(current, action):
    with pytest.raises(IllegalTransition):
        next_wave_status(current, action)


def test_status_values():
    assert (OPEN, CLOSED) == ("OPEN", "CLOSED")


@given(actions=st.lists(st.sampled_from(["open", "close"]), max_size=30))
@FAST
def test_any_sequence_alternates(actions):
    status = None
    for action in actions:
        expected_target = OPEN if action == "open" else CLOSED
        if status == expected_target or (status is None and action == "close"):
            with pytest.raises(IllegalTransition):
                next_wave_status(status, action)
        else:
            status = next_wave_status(status, action)
            assert status == expected_target
    assert status in (None, OPEN, CLOSED)


def test_require_open_passes_for_open_wave():
    assert require_open(3, OPEN) is None


@pytest.mark.parametrize("status", [CLOSED, None, "open", "", "UNKNOWN"])
def test_require_open_refuses_anything_else(status):
    with pytest.raises(WaveClosed) as caught:
        require_open(4, status)
    assert "4" in caught.value.message
    assert caught.value.code == "WaveClosed"
