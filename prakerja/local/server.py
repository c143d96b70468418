"""`prakerja local up`: the platform API over HTTP, an AWS-compatible endpoint (moto
server) sharing the same in-process state, and the scheduled jobs on a scaled clock."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from prakerja_flow import config

from . import gateway
from .cloud import LocalCloud

log = logging.getLogger("prakerja.local")


class ScaledClock:
    """Programme time running `scale` times faster than the wall clock."""

    def __init__(self, start: datetime, scale: float):
        self._start_programme = start
        self._start_wall = time.monotonic()
        self._scale = scale

    def __call__(self) -> datetime:
        elapsed = (time.monotonic() - self._start_wall) * self._scale
        return (self._start_programme + timedelta(seconds=elapsed)).replace(microsecond=0)


def free_port() -> int:
    """A loopback port nobody listens on now (for `local up` beside other servers: tests, benches)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_http_handler(cloud: LocalCloud):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle's algorithm the second waits for
        # the client's delayed ACK (40 ms per keep-alive request on Linux).
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > config.MAX_REQUEST_BODY_BYTES * 4:
                # Refused before reading it, as API Gateway refuses bodies over its limit.
                self._reply(gateway.gateway_response("REQUEST_TOO_LARGE", "local"))
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else None
            path, _, query = self.path.partition("?")
            path = unquote(path)  # API Gateway hands the path on percent-decoded
            self._reply(gateway.handle(cloud.invoke_raw, self.command, path, body, dict(self.headers.items()), query))

        def _reply(self, response: dict) -> None:
            # The function's body and headers as they are (JSON, or the Swagger UI's HTML).
            data = (response.get("body") or "").encode()
            self.send_response(int(response["statusCode"]))
            headers = gateway.response_headers(response)
            headers.setdefault("Content-Type", "application/json")
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, fmt: str, *args) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

    return Handler


def run_scheduler(cloud: LocalCloud, stop: threading.Event, wall_seconds_per_run: float) -> None:
    while not stop.wait(wall_seconds_per_run):
        try:
            cloud.run_scheduled()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next tick, as in AWS
            log.exception("scheduled run failed")


def up(port: int, aws_port: int, month_seconds: float, start: datetime | None, ready=None, stop: threading.Event | None = None) -> None:
    os.environ["MOTO_PORT"] = str(aws_port)
    with LocalCloud(start=start or datetime.now(UTC).replace(microsecond=0)) as cloud:
        serve(cloud, port, aws_port, month_seconds, ready, stop)


def serve(cloud: LocalCloud, port: int, aws_port: int, month_seconds: float, ready=None,
          stop: threading.Event | None = None) -> None:
    """Serves an entered LocalCloud until `stop` or Ctrl-C: its programme clock goes on from
    where it is, `scale` times faster than the wall clock, with the daily jobs on it."""
    from moto.server import ThreadedMotoServer

    from prakerja_flow import clock as flow_clock

    scale = timedelta(days=30).total_seconds() / month_seconds
    cloud.clock = ScaledClock(cloud.clock(), scale)  # type: ignore[assignment]
    flow_clock.set_source(cloud.clock)
    stop = stop or threading.Event()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port)
    moto_server.start()
    http = ThreadingHTTPServer(("127.0.0.1", port), make_http_handler(cloud))
    threads = [
        threading.Thread(target=http.serve_forever, name="api", daemon=True),
        threading.Thread(target=run_scheduler, args=(cloud, stop, config.PAYOUT_RUN_INTERVAL.total_seconds() / scale), name="scheduler", daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        if ready:
            ready(cloud)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        http.shutdown()
        http.server_close()
        moto_server.stop()
