"""Headless Chromium from Debian's packages (scripts/setup.sh installs it), driven by
Playwright through executable_path: never a browser Playwright downloads itself."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# What works on this project's machines: no sandbox (root), no GPU, and nothing that
# reaches out to Google's hosts (the network is closed; those connections are refused).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def playwright() -> Iterator[object]:
    """One Playwright per thread at a time (its sync API cannot nest)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)")
    with sync_playwright() as driver:
        yield driver


@contextlib.contextmanager
def chromium(driver, width: int = 1280, height: int = 900) -> Iterator[object]:
    """A fresh browser (its own empty --user-data-dir) and one page."""
    with tempfile.TemporaryDirectory(prefix="prakerja-chromium-") as profile:
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
