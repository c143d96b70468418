"""Payment provider adapters: the interface, and the one chosen by configuration."""

from __future__ import annotations

from .. import settings
from .provider import PaymentProvider


def get_provider() -> PaymentProvider:
    name = settings.payment_provider()
    if name == "fake":
        from .fake import FakeProvider

        return FakeProvider.shared()
    if name == "http":
        from .http import shared

        return shared()
    raise RuntimeError(f"unknown payment provider {name!r}")
