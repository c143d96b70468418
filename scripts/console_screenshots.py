"""Screenshots of `prakerja ops console` for docs/operations.md, taken in headless Debian
Chromium (as the browser tests do) on the small world of tests/console/console_world.py.

    PYTHONPATH=functions:. .venv/bin/python scripts/console_screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "console"))
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from browser import chromium, playwright  # noqa: E402
from console_world import console, world  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with (
        world() as w,
        console(w.cloud, actor="ani", statement=w.cloud.provider.statement_lines()) as server,
        playwright() as driver,
        chromium(driver, 1280, 900) as page,
    ):
        base = f"http://127.0.0.1:{server.port}"
        page.goto(server.url)

        def shot(name: str, path: str | None = None, full: bool = True) -> None:
            if path:
                page.goto(base + path)
            page.screenshot(path=str(out / f"console-{name}.png"), full_page=full)
            print(out / f"console-{name}.png")

        page.fill("#q", w.nik_of[w.failed])
        shot("search", full=False)
        page.click("form.search button")
        page.wait_for_url(f"**/participants/{w.failed}")
        shot("participant")
        shot("executions", "/executions")
        shot("stuck", "/stuck")
        shot("waves", "/waves")
        shot("reconcile", "/reconcile")
        shot("payouts", "/payouts")
        page.click('a[data-action="payouts.pause"]:has-text("Pause all payouts")')
        page.fill("#reason", "provider incident 12")
        page.click("text=Continue")
        shot("confirm", full=False)
        page.goto(base + "/audit?since=2020-07-01")
        shot("audit")
    with (
        world() as w,
        console(w.cloud, read_only=True, actor="support") as server,
        playwright() as driver,
        chromium(driver, 1280, 500) as page,
    ):
        page.goto(server.url)
        page.goto(f"http://127.0.0.1:{server.port}/act/payouts.pause")
        page.screenshot(path=str(out / "console-read-only.png"))
        print(out / "console-read-only.png")


if __name__ == "__main__":
    main()
