"""Who may use the console: 127.0.0.1 only, this launch's token, CSRF on every POST, the
confirmed intent and nothing else, read-only refusals, no full NIK in any page."""

from __future__ import annotations

import re

from console_world import Client, console

from prakerja_flow import clock
from prakerja_flow.data import audit, controls


def test_it_listens_on_loopback_only_and_prints_a_url_with_the_token(served):
    assert served._server.socket.getsockname()[0] == "127.0.0.1"
    assert served.url == f"http://127.0.0.1:{served.port}/?token={served.gate.token}" and len(served.gate.token) >= 40


def test_without_the_token_every_page_is_refused(served):
    anonymous = Client(served, authenticated=False)
    assert anonymous.get("/").status_code == 403
    assert anonymous.get("/payouts").status_code == 403
    assert anonymous.get("/?token=" + "x" * 43).status_code == 403
    assert anonymous.post("/search", {"q": "P1"}).status_code == 403


def test_the_token_becomes_a_strict_cookie_and_leaves_the_address(served):
    visitor = Client(served, authenticated=False)
    first = visitor.get(f"/executions?state=AwaitRating&token={served.gate.token}")
    assert first.status_code == 303 and first.headers["Location"] == "/executions?state=AwaitRating"
    cookie = first.headers["Set-Cookie"]
    assert (
        cookie.startswith(f"prakerja_console_{served.port}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    )
    page = visitor.get("/executions?state=AwaitRating")
    assert page.status_code == 200 and served.gate.token not in page.get_data(as_text=True)


def test_only_requests_addressed_to_the_console_itself_are_answered(client, served):
    assert client.get(f"/?token={served.gate.token}", base_url=f"http://localhost:{served.port}").status_code == 303
    assert client.get("/", base_url=f"http://attacker.example:{served.port}").status_code == 400  # DNS rebinding
    assert client.get("/", base_url="http://127.0.0.1:1").status_code == 400


def test_pages_are_not_cached_framed_or_scripted(client):
    headers = client.get("/").headers
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert (
        "script-src" not in headers["Content-Security-Policy"]
        and "default-src 'none'" in headers["Content-Security-Policy"]
    )
    assert headers["Referrer-Policy"] == "no-referrer"


def test_a_post_without_its_csrf_token_or_with_a_forged_intent_changes_nothing(client):
    before = controls.get_pause()
    form = client.get("/act/payouts.pause")
    refused = client.post("/act/payouts.pause/confirm", {"reason": "no csrf"})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    token = client.form_token(form)
    forged = client.post(
        "/act/payouts.pause/do", {"csrf_token": token, "intent": "eyJuYW1lIjoicGF5b3V0cy5wYXVzZSJ9.forged"}
    )
    assert forged.status_code == 400 and "not one the console made" in forged.get_data(as_text=True)
    confirm = client.post("/act/payouts.pause/confirm", {"csrf_token": token, "reason": "drill"})
    other = client.post("/act/payouts.resume/do", {"csrf_token": token, "intent": client.field(confirm, "intent")})
    assert other.status_code == 400 and "another action" in other.get_data(as_text=True)
    assert controls.get_pause() == before


def test_read_only_refuses_every_action_even_a_forged_post(local_world):
    with console(local_world.cloud, read_only=True, actor="support") as server:
        support = Client(server)
        page = support.get("/payouts")
        text = page.get_data(as_text=True)
        assert "read-only" in text and 'data-action="payouts.pause"' not in text and "disabled" in text
        assert support.get("/act/payouts.pause").status_code == 403
        token = support.form_token(support.get("/"))
        for path in ("/act/payouts.pause/confirm", "/act/payouts.pause/do"):
            refused = support.post(path, {"csrf_token": token, "reason": "try", "intent": "x"})
            assert refused.status_code == 403 and "read-only" in refused.get_data(as_text=True)
        assert controls.get_pause() is None or not controls.get_pause()["paused"]
        assert support.get(f"/participants/{local_world.failed}").status_code == 200  # reading is what it is for


def test_no_page_shows_a_full_nik_and_no_address_carries_one(client, local_world):
    niks = list(local_world.nik_of.values())
    pages = [
        "/",
        "/executions",
        "/executions?limit=5000",
        "/executions.csv",
        "/stuck",
        "/waves",
        "/payouts",
        "/audit",
        "/reconcile",
        *(f"/participants/{pid}" for pid in local_world.nik_of),
    ]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert not any(n in body for n in niks), path
    found = client.post(
        "/search", {"csrf_token": client.form_token(client.get("/")), "q": local_world.nik_of[local_world.failed]}
    )
    assert found.status_code == 303 and found.headers["Location"] == f"/participants/{local_world.failed}"
    assert client.get(f"/participants/{local_world.nik_of[local_world.failed]}").status_code == 400
    page = client.get(f"/participants/{local_world.failed}").get_data(as_text=True)
    shown = re.search(r'<span class="nik">([^<]+)</span>', page)[1]
    full = local_world.nik_of[local_world.failed]
    assert shown == full[:4] + "*" * 8 + full[-4:]
    unknown = client.post("/search", {"csrf_token": client.form_token(client.get("/")), "q": "3171019999990009"})
    assert unknown.status_code == 404 and "3171019999990009" not in unknown.get_data(as_text=True)


def test_a_full_nik_is_shown_only_after_a_reason_and_the_reveal_is_audited(client, local_world):
    pid, full = local_world.failed, local_world.nik_of[local_world.failed]
    form = client.get(f"/participants/{pid}/nik")
    assert form.status_code == 200 and full not in form.get_data(as_text=True)
    day = clock.iso(local_world.cloud.clock())[:10]
    before = len(audit.day(day))
    assert client.post(f"/participants/{pid}/nik", {"reason": "caller verified"}).status_code == 400  # no CSRF token
    empty = client.post(f"/participants/{pid}/nik", {"csrf_token": client.form_token(form), "reason": " "})
    assert empty.status_code == 400 and full not in empty.get_data(as_text=True) and len(audit.day(day)) == before
    shown = client.post(
        f"/participants/{pid}/nik", {"csrf_token": client.form_token(form), "reason": "caller verified, ticket 77"}
    )
    assert shown.status_code == 200 and f'id="nik">{full}<' in shown.get_data(as_text=True)
    entry = audit.day(day)[-1]
    assert (entry["actor"], entry["action"], entry["reason"], entry["details"]) == (
        "ani",
        "participant.reveal_nik",
        "caller verified, ticket 77",
        {"participant_id": pid},
    )
    assert full not in client.get(f"/participants/{pid}").get_data(as_text=True)  # shown on that one response only
    assert client.get(f"/participants/{full}/nik").status_code == 400
