"""`prakerja local up`: the platform API over HTTP, an AWS-compatible endpoint (moto
server) sharing the same in-process state, and the scheduled jobs on a scaled clock."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import InternalServerError, RequestEntityTooLarge

from prakerja_flow import config

from . import gateway, programme_clock
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


# The local API's HTTP/1.1 server is waitress (docs/decisions/0006-local-http-server.md):
# it parses requests strictly (Content-Length only ASCII digits, chunked bodies, no
# pipelining past a refused request), reads a whole body before the application runs and
# never more than MAX_BODY, and closes the connection after any request it refused.
WORKER_THREADS = 8
# waitress refuses a body of `max_request_body_size` bytes or more: one more than ours.
MAX_BODY = config.MAX_REQUEST_BODY_BYTES + 1


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _request_headers(environ: dict) -> dict[str, str]:
    """Header names back from WSGI's HTTP_X_Y form (lookups are case-insensitive anyway)."""
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def wsgi_app(cloud: LocalCloud):
    """The local API Gateway (gateway.handle) as a WSGI application."""

    def app(environ: dict, start_response):
        method = environ["REQUEST_METHOD"]
        # WSGI hands the percent-decoded path as latin-1; API Gateway as UTF-8 text.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", errors="replace") or "/"
        length = int(environ.get("CONTENT_LENGTH") or 0)  # waitress has checked it and read the body
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else None
        try:
            response = gateway.handle(
                cloud.invoke_raw, method, path, body, _request_headers(environ), environ.get("QUERY_STRING", "")
            )
        except Exception:  # noqa: BLE001 - a fault of the local gateway must still be an answer in the one shape
            log.exception("local gateway failed")
            response = gateway.gateway_response("DEFAULT_5XX", str(uuid.uuid4()))
        data = (response.get("body") or "").encode()
        headers = gateway.response_headers(response)
        headers.setdefault("Content-Type", "application/json")
        out = [(name, value) for name, value in headers.items() if name.lower() not in _HOP_BY_HOP]
        start_response(_status_line(int(response["statusCode"])), [*out, ("Content-Length", str(len(data)))])
        log.info("%s %s %s", method, path, response["statusCode"])
        # A HEAD answer has the headers of the full answer and no body (waitress sends what
        # the application returns).
        return [] if method == "HEAD" else [data]

    return app


# Set by the server (waitress refuses an application that sets hop-by-hop headers).
_HOP_BY_HOP = frozenset(
    {
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    }
)


class _OneShapeErrorTask(ErrorTask):
    """waitress's answer to a request it refused before the application (bad framing,
    headers or body too large), in the one error shape instead of text/plain; the
    connection is closed after it, as waitress does."""

    def execute(self) -> None:
        error, request_id = self.request.error, str(uuid.uuid4())
        if isinstance(error, RequestEntityTooLarge):
            response = gateway.gateway_response("REQUEST_TOO_LARGE", request_id)
        elif isinstance(error, InternalServerError):
            response = gateway.gateway_response("DEFAULT_5XX", request_id)
        else:  # BadRequest, header fields too large, an unsupported transfer coding: the client's fault
            response = gateway.gateway_response("DEFAULT_4XX", request_id, detail=f"malformed request: {error.body}")
        body = response["body"].encode()
        self.status = _status_line(response["statusCode"])
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _OneShapeErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel


class ApiServer:
    """The local API on 127.0.0.1:`port` (0: any free port) until stop()."""

    def __init__(self, cloud: LocalCloud, port: int = 0, host: str = "127.0.0.1"):
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=WORKER_THREADS,
            ident="prakerja-local",
            max_request_body_size=MAX_BODY,
            max_request_header_size=config.API_MAX_HEADER_BYTES,
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self._server = _Server(wsgi_app(cloud), adj=adjustments)
        self.port = self._server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="api", daemon=True)

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Closed on the server's own loop thread (waitress's trigger), which then ends.
        self._server.trigger.pull_trigger(self._server.close)
        self._thread.join(10)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_scheduler(cloud: LocalCloud, stop: threading.Event, wall_seconds_per_run: float) -> None:
    while not stop.wait(wall_seconds_per_run):
        try:
            cloud.run_scheduled()
        except Exception:  # noqa: BLE001 - a failed run is retried at the next tick, as in AWS
            log.exception("scheduled run failed")


def up(
    port: int,
    aws_port: int,
    month_seconds: float,
    start: datetime | None,
    ready=None,
    stop: threading.Event | None = None,
) -> None:
    os.environ["MOTO_PORT"] = str(aws_port)
    with LocalCloud(start=start or datetime.now(UTC).replace(microsecond=0), record_idle_payout_runs=True) as cloud:
        serve(cloud, port, aws_port, month_seconds, ready, stop)


def _stop_on_signals():
    """Ctrl-C (SIGINT) and SIGTERM stop the server, however it was started. A process
    started in the background by a non-interactive shell (a CI script's `cmd &`, a
    test suite run that way) inherits SIGINT as ignored, and Python then installs no
    KeyboardInterrupt handler: `kill -INT` did nothing and the ops test waited for an
    exit that never came. Only from the main thread (tests serve from other threads).
    Returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def serve(
    cloud: LocalCloud, port: int, aws_port: int, month_seconds: float, ready=None, stop: threading.Event | None = None
) -> None:
    """Serves an entered LocalCloud until `stop` or Ctrl-C: its programme clock goes on from
    where it is, `scale` times faster than the wall clock, with the daily jobs on it."""
    from moto.server import ThreadedMotoServer

    from prakerja_flow import clock as flow_clock

    scale = timedelta(days=30).total_seconds() / month_seconds
    marks, serving_from = getattr(cloud.clock, "marks", []), time.time()
    cloud.clock = ScaledClock(cloud.clock(), scale)  # type: ignore[assignment]
    flow_clock.set_source(cloud.clock)
    programme_clock.publish(
        programme_clock.segments_of(marks, serving_from, cloud.clock(), scale)
    )  # for `prakerja ops`
    stop = stop or threading.Event()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=aws_port)
    moto_server.start()
    api = ApiServer(cloud, port).start()
    scheduler = threading.Thread(
        target=run_scheduler,
        args=(cloud, stop, config.PAYOUT_RUN_INTERVAL.total_seconds() / scale),
        name="scheduler",
        daemon=True,
    )
    scheduler.start()
    restore = _stop_on_signals()
    try:
        if ready:
            ready(cloud)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        stop.set()
        api.stop()
        moto_server.stop()
