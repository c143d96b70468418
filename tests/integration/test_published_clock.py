"""A development stack's published programme clock (data/published_clock.py) as its
functions read it (handlers/clock_source.py), on moto's DynamoDB."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from prakerja_flow import clock, config, settings
from prakerja_flow.data import published_clock
from prakerja_flow.handlers import clock_source


@pytest.fixture
def wall_clock(cloud):
    """The functions' own clock source, as deployed: not the local runtime's simulated one."""
    saved = clock._source
    clock.set_source(None)
    yield
    clock.set_source(saved)


def test_nothing_published_is_the_wall_clock(wall_clock):
    before = datetime.now(UTC).replace(microsecond=0)
    assert before <= clock_source.published_now() <= datetime.now(UTC)


def test_functions_see_an_advance_within_the_max_age(wall_clock, monkeypatch):
    monkeypatch.setattr(clock_source, "_read", {"segments": (), "at": float("-inf")})
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    published_clock.advance(target)
    seen = clock_source.published_now()
    assert target <= seen <= target + timedelta(seconds=5)
    # Read once per max age: a second advance is seen only after it.
    published_clock.advance(target + timedelta(days=30))
    assert clock_source.published_now() < target + timedelta(days=1)
    monkeypatch.setattr(clock_source, "_read", {**clock_source._read, "at": float("-inf")})
    assert clock_source.published_now() >= target + timedelta(days=30)
    assert config.PUBLISHED_CLOCK_MAX_AGE <= timedelta(seconds=5)


def test_the_clock_cannot_be_moved_back(wall_clock):
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    published_clock.advance(ahead)
    with pytest.raises(ValueError, match="only moves forward"):
        published_clock.advance(ahead - timedelta(days=1))
    assert published_clock.read()[-1].programme == ahead  # nothing written


def test_only_a_configured_function_leaves_the_wall_clock(wall_clock, monkeypatch):
    monkeypatch.delenv(settings.ENV_PROGRAMME_CLOCK, raising=False)
    clock_source.install()
    assert clock._source is None
    monkeypatch.setenv(settings.ENV_PROGRAMME_CLOCK, "true")
    clock_source.install()
    assert clock._source is clock_source.published_now


@pytest.mark.parametrize("module", ["api", "jobs", "lifecycle"])
def test_every_function_that_keeps_programme_time_installs_it(module):
    """The API and the jobs and tasks of the lifecycle read the published clock when
    configured (a fresh interpreter, as a Lambda cold start); the authorizer (request
    signatures) and the test provider keep wall time."""
    code = (
        f"import prakerja_flow.handlers.{module}\n"
        "from prakerja_flow import clock\n"
        "from prakerja_flow.handlers import clock_source\n"
        "print(clock._source is clock_source.published_now)"
    )
    for configured, expected in (("true", "True"), ("", "False")):
        env = {**os.environ, settings.ENV_PROGRAMME_CLOCK: configured}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == expected, out.stderr
