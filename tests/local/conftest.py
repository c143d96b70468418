"""Tests of the local runtime's moto layer and AWS-compatible endpoint."""

from __future__ import annotations

import sys
from pathlib import Path

from prakerja.local.cloud import quiet_moto_logging

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))  # lifecycle_steps
quiet_moto_logging()
