"""A threaded WSGI server for the simulator (standard library only)."""

from __future__ import annotations

import socketserver
import sys
import threading
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import SimulatorApp


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request, so a hanging request does not block the others."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # the client went away (e.g. it timed out on a hanging request)
        super().handle_error(request, client_address)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


class LoggingHandler(WSGIRequestHandler):
    pass


def make_simulator_server(
    app: SimulatorApp, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True
) -> ThreadingWSGIServer:
    handler = QuietHandler if quiet else LoggingHandler
    app.start()
    return make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=handler)


@dataclass
class SimulatorHandle:
    app: SimulatorApp
    server: ThreadingWSGIServer
    thread: threading.Thread
    base_url: str
    port: int
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop serving: release hanging requests, shut the server down and close its socket."""
        if self._stopped:
            return
        self._stopped = True
        self.app.stop()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def run_in_thread(app: SimulatorApp, port: int = 0, host: str = "127.0.0.1") -> SimulatorHandle:
    """Serve ``app`` on host:port (0 = any free port) from a daemon thread."""
    server = make_simulator_server(app, host, port)
    actual_port = server.server_address[1]
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name=f"upstream-simulator-{actual_port}",
        daemon=True,
    )
    thread.start()
    return SimulatorHandle(app, server, thread, f"http://{host}:{actual_port}", actual_port)
