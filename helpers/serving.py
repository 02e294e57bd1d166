"""Serve an ASGI app with uvicorn on a loopback socket, in a background thread.

The webhook receiver and the simulator both run this way inside a notebook kernel (whose own
event loop is busy): `serve_in_thread(app, host, port)` binds the socket, starts uvicorn on a
fresh event loop in a daemon thread, returns once the server accepts connections, and hands
back a `Serving` whose `.port` is the real port (0 picks a free one) and whose `.stop()` ends
it. A ground-floor module: it imports nothing from the rest of helpers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from typing import Any

__all__ = ["Serving", "ServeError", "serve_in_thread"]

START_TIMEOUT = 10.0  # seconds to wait for the server to accept connections


class ServeError(RuntimeError):
    """The server on `port` did not start; `failures` holds what went wrong in its thread."""

    def __init__(self, port: int, failures: list[BaseException]):
        super().__init__(f"the server on port {port} did not start: {failures}")
        self.port, self.failures = port, failures


def bind(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on `host`:`port` (OSError if it cannot bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every keep-alive request waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":  # on Windows this would let two servers share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Serving:
    """A running server: its `port`, and `stop()`."""

    def __init__(self, server: Any, thread: threading.Thread, port: int):
        self._server, self._thread, self.port = server, thread, port

    def stop(self, grace: float = 2.0) -> None:
        """Ask the server to finish; after `grace` seconds close open connections anyway."""
        self._server.should_exit = True
        self._thread.join(grace)
        if self._thread.is_alive():  # a client holds a connection open: stop anyway
            self._server.force_exit = True
            self._thread.join(5)


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0, *,
                    name: str = "server", **config: Any) -> Serving:
    """Serve `app` on `host`:`port` in a daemon thread; return once it accepts connections.

    `config` goes to `uvicorn.Config` (e.g. `ssl_certfile`, `ssl_keyfile`,
    `timeout_keep_alive`). Raises OSError if the port cannot be bound and ServeError if the
    server fails to start.
    """
    import uvicorn

    sock = bind(host, port)
    config = {"log_level": "warning", "access_log": False, "lifespan": "off", **config}
    server = uvicorn.Server(uvicorn.Config(app, **config))
    failures: list[BaseException] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as err:  # reported by serve_in_thread below
            failures.append(err)
        finally:
            loop.close()
            sock.close()

    bound = sock.getsockname()[1]
    thread = threading.Thread(target=serve, name=f"{name}-{bound}", daemon=True)
    thread.start()
    serving = Serving(server, thread, bound)
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and not failures and thread.is_alive():
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    if not server.started:
        serving.stop()
        raise ServeError(bound, failures)
    return serving
