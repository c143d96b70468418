"""The console in a real browser (headless Debian Chromium, Playwright), as an operator
uses it: open the printed address, search by NIK, open the participant and see the graph,
pause and resume payouts through the second screen, and, as support staff on a read-only
console, be refused."""

from __future__ import annotations

import pytest
from browser import chromium, playwright
from console_world import console

from prakerja_flow.data import controls


@pytest.fixture(scope="module")
def driver():
    with playwright() as running:
        yield running


@pytest.fixture(scope="module")
def page(driver, served):
    with chromium(driver) as page:
        page.goto(served.url)  # the address `prakerja ops console` prints, token and all
        yield page


def test_search_by_nik_opens_the_participant_with_the_graph(page, served, local_world):
    assert page.url == f"http://127.0.0.1:{served.port}/"  # the token left the address bar
    page.fill("#q", local_world.nik_of[local_world.failed])
    page.click("form.search button")
    page.wait_for_url(f"**/participants/{local_world.failed}")
    assert "is not KYC-verified" in page.inner_text("#diagnosis")
    # The lifecycle ended at the grant (ADR 0013): drawn to IncentivesGranted, nothing current.
    assert page.inner_text("#current-state") == "IncentivesGranted"
    assert page.locator('#graph svg g.visited[data-state="IncentivesGranted"]').count() == 1
    assert page.locator("#graph svg g.current").count() == 0
    assert page.locator("#graph svg g.visited").count() >= 9 and page.locator("#graph svg path.taken").count() >= 8
    box = page.locator("#graph svg").bounding_box()
    assert box and box["width"] > 400 and box["height"] > 400  # drawn, not an empty box
    assert local_world.nik_of[local_world.failed] not in page.content()


def test_pause_and_resume_payouts_through_the_second_screen(page, served, local_world):
    page.click("text=Payouts")
    assert "Payout runs are running" in page.inner_text("#payouts-state")
    page.click('a[data-action="payouts.pause"]:has-text("Pause all payouts")')
    page.fill("#reason", "provider incident 12")
    page.click("text=Continue")
    assert "Confirm: pause every payout run?" in page.inner_text("h1")
    assert page.inner_text("#confirm-reason") == "provider incident 12"
    assert not (controls.get_pause() or {}).get("paused")  # only the second screen acts
    page.click("#confirm")
    assert "payouts paused" in page.inner_text("#outcome")
    assert controls.get_pause()["paused"] is True and controls.get_pause()["reason"] == "provider incident 12"
    page.click("text=Back to payouts")
    assert "PAUSED programme-wide" in page.inner_text("#payouts-state")
    page.goto(f"http://127.0.0.1:{served.port}/participants/{local_world.failed}")
    assert "Payouts are PAUSED programme-wide" in page.inner_text("#paused")

    page.goto(f"http://127.0.0.1:{served.port}/payouts")
    page.click('a[data-action="payouts.resume"]:has-text("Resume all payouts")')
    page.fill("#reason", "incident over")
    page.click("text=Continue")
    page.click("#confirm")
    assert "payouts resumed" in page.inner_text("#outcome")
    assert controls.get_pause()["paused"] is False


def test_a_read_only_console_refuses_the_action(driver, local_world):
    with console(local_world.cloud, read_only=True, actor="support") as server, chromium(driver) as page:
        page.goto(server.url)
        assert "read-only" in page.inner_text("header")
        page.click("text=Payouts")
        assert page.locator('a[data-action="payouts.pause"]').count() == 0
        assert page.locator("span.button.disabled", has_text="Pause all payouts").count() == 1
        response = page.goto(f"http://127.0.0.1:{server.port}/act/payouts.pause")
        assert response.status == 403 and "read-only" in page.inner_text("main")
        assert not (controls.get_pause() or {}).get("paused")
