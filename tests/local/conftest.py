"""Tests of the local runtime's moto layer and AWS-compatible endpoint."""

from __future__ import annotations

from prakerja.local.cloud import quiet_moto_logging

quiet_moto_logging()
