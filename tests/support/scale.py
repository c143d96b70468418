"""The at-scale test's size (tests/integration/test_simulate_at_scale.py): one place, read by
the test and by the line every run prints (tests/conftest.py)."""

from __future__ import annotations

import os

DEFAULT_PARTICIPANTS = 300  # fits the README command's 20 minutes; issue 4's full size is 1,000
FULL_PARTICIPANTS = 1000


def participants() -> int:
    return int(os.environ.get("PRAKERJA_SCALE_PARTICIPANTS", str(DEFAULT_PARTICIPANTS)))
