"""Serving the console: waitress on 127.0.0.1 (never another interface), the snapshot of
the execution list read once before the address is printed and then in the background."""

from __future__ import annotations

import threading
from collections.abc import Callable

from waitress.server import create_server

from prakerja.ops.aws import Target

from .app import Console, create_app, full_read
from .snapshot import Snapshot

HOST = "127.0.0.1"
THREADS = 8


class ConsoleServer:
    """The console on 127.0.0.1:`port` (0: any free port) until stop()."""

    def __init__(
        self,
        target: Target,
        port: int,
        actor: str,
        read_only: bool = False,
        refresh: float = 15.0,
        statement: list[dict] | None = None,
        token: str | None = None,
    ):
        holder: list = []
        # waitress binds first (port 0 becomes a real port), the app is made for that port.
        self._server = create_server(
            lambda environ, start: holder[0](environ, start),
            host=HOST,
            port=port,
            threads=THREADS,
            ident="prakerja-console",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self.port = self._server.effective_port
        self.snapshot = Snapshot(lambda: full_read(target, self.console.audit_days, statement), refresh)
        self.console = Console(
            target,
            actor,
            read_only,
            self.snapshot,
            statement,
            where=target.endpoint_url or f"AWS {target.region}, table {target.table_name}",
        )
        self.app, self.gate = create_app(self.console, self.port, token)
        holder.append(self.app.wsgi_app)
        self.url = self.gate.url()
        self._thread = threading.Thread(target=self._server.run, name="console", daemon=True)

    def start(self) -> ConsoleServer:
        self.snapshot.refresh()  # the list pages are warm before anyone opens them
        self.snapshot.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self.snapshot.stop()
        self._server.trigger.pull_trigger(self._server.close)
        self._thread.join(10)

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(
    target: Target,
    port: int,
    actor: str,
    read_only: bool,
    refresh: float,
    statement: list[dict] | None,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serves until Ctrl-C (or `stop`)."""
    server = ConsoleServer(target, port, actor, read_only, refresh, statement).start()
    stop = stop or threading.Event()
    try:
        if ready:
            ready(server.url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
