"""A small local world with one participant in each situation the console shows, on the
real lifecycle (LocalCloud, in-process), and the console served on it. Used by the
console tests and by scripts/console_screenshots.py."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from support.lifecycle_steps import (  # noqa: E402
    GRANTED,
    advance_days,
    buy,
    complete,
    nik,
    open_wave,
    payout_account,
    rate,
    register,
    register_started_at_registration,
    trained_and_rated,
)

from prakerja.console.server import ConsoleServer  # noqa: E402
from prakerja.local.cloud import LocalCloud  # noqa: E402
from prakerja.local.programme_clock import SteppedClock  # noqa: E402
from prakerja.ops import actions  # noqa: E402
from prakerja.ops.aws import connect  # noqa: E402
from prakerja_flow import config  # noqa: E402
from prakerja_flow.data import clients  # noqa: E402
from prakerja_flow.payments.fake import FakeProvider  # noqa: E402


@dataclass
class World:
    cloud: LocalCloud
    paid: str  # paid payout 1
    failed: str  # payout 1 FAILED: e-wallet not KYC-verified
    rating: str  # waiting for the rating
    waiting: str  # registered in wave 2, no training bought yet
    cancelled: str  # cancelled by an operator
    nik_of: dict[str, str]


@contextlib.contextmanager
def world() -> Iterator[World]:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with LocalCloud(provider=FakeProvider()) as cloud:
        open_wave(cloud)
        open_wave(cloud, 2)
        paid = trained_and_rated(cloud, 1)
        failed = register(cloud, 2)
        payout_account(cloud, failed, nik(2), verified=False, number="081200000002")
        buy(cloud, failed)
        complete(cloud, failed)
        rate(cloud, failed)
        rating = register(cloud, 3)
        buy(cloud, rating, training="T-DATA-ANALYST")
        complete(cloud, rating, training="T-DATA-ANALYST")
        # Registered before ADR 0015, their executions started at registration and wait for a
        # purchase: what the console shows of lifecycles still running on that path.
        waiting = register_started_at_registration(cloud, 4, wave=2)
        cancelled = register_started_at_registration(cloud, 5)
        cloud.wait_for_end(failed, GRANTED)  # the lifecycle ends at the grant; the payout run pays (ADR 0013)
        cloud.wait_for_token(rating, "RATING")
        target = connect(None, None, None)
        actions.perform(target, actions.build(actions.CANCEL, {"participant_id": cancelled}), "citra", "fraud report 9")
        advance_days(cloud, config.FIRST_PAYOUT_DELAY.days + 1)
        yield World(
            cloud,
            paid,
            failed,
            rating,
            waiting,
            cancelled,
            {p: nik(n) for n, p in enumerate((paid, failed, rating, waiting, cancelled), 1)},
        )
    clients.reset()


@contextlib.contextmanager
def console(
    cloud: LocalCloud, read_only: bool = False, actor: str = "ani", statement: list[dict] | None = None
) -> Iterator[ConsoleServer]:
    """The console on the world of this process (moto in-process), on a free port."""
    target = connect(None, None, None).use_clock(SteppedClock(cloud.clock))  # Step Functions' times on the programme's
    with ConsoleServer(target, 0, actor, read_only=read_only, refresh=3600, statement=statement) as server:
        yield server


class Client:
    """Flask's test client, addressed as the browser would (127.0.0.1:<port>), with the
    launch's cookie; `form_token(page)` is the CSRF token a page carries."""

    def __init__(self, server, authenticated: bool = True):
        self.server = server
        self.base = f"http://127.0.0.1:{server.port}"
        self.http = server.app.test_client()
        if authenticated:
            assert self.get(f"/?token={server.gate.token}").status_code == 303

    def get(self, path: str, **kw):
        return self.http.get(path, base_url=kw.pop("base_url", self.base), **kw)

    def post(self, path: str, data: dict, **kw):
        return self.http.post(path, data=data, base_url=kw.pop("base_url", self.base), **kw)

    @staticmethod
    def form_token(page) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]

    @staticmethod
    def field(page, name: str) -> str:
        return re.search(rf'name="{name}" value="([^"]+)"', page.get_data(as_text=True))[1]
