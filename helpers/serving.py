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
MAX_HEADER_BYTES = 16_384  # the request line and headers together (h11's own default limit)
#: Largest request body a lab server reads (an NCCO of 100 actions is ~30 KB; Vonage's events
#: are under 2 KB). A bigger one gets 413 before the app sees it.
MAX_BODY_BYTES = 512 * 1024


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
                    name: str = "server", max_body: int = MAX_BODY_BYTES,
                    **config: Any) -> Serving:
    """Serve `app` on `host`:`port` in a daemon thread; return once it accepts connections.

    `config` goes to `uvicorn.Config` (e.g. `ssl_certfile`, `ssl_keyfile`,
    `timeout_keep_alive`). Requests with headers over MAX_HEADER_BYTES or a body over
    `max_body` bytes are answered 431 / 413 in JSON before `app` sees them. Raises OSError if
    the port cannot be bound and ServeError if the server fails to start.
    """
    import uvicorn

    sock = bind(host, port)
    config = {"log_level": "warning", "access_log": False, "lifespan": "off",
              "http": json_error_protocol(), "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
              **config}
    server = uvicorn.Server(uvicorn.Config(RequestLimits(app, max_body), **config))
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


def _json_error(status: int, title: str, detail: str) -> tuple[list, bytes]:
    import json

    body = json.dumps({"title": title, "detail": detail}).encode()
    return [(b"content-type", b"application/json"), (b"connection", b"close"),
            (b"content-length", str(len(body)).encode())], body


HEADERS_TOO_LARGE = (431, "Request Header Fields Too Large",
                     f"The request line and headers are over {MAX_HEADER_BYTES} bytes; send "
                     "fewer or shorter headers.")


class RequestLimits:
    """ASGI wrapper: headers over MAX_HEADER_BYTES get a JSON 431, a body over `max_body` a
    JSON 413, before the app sees the request.

    (h11 refuses only headers that arrive in pieces over its limit; ones that arrive in one
    read pass, so they are checked here too.) The body is read here, up to the limit, and
    handed to the app as one message.
    """

    def __init__(self, app: Any, max_body: int = MAX_BODY_BYTES):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ())) + len(
            scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if size > MAX_HEADER_BYTES:
            await self._refuse(send, *HEADERS_TOO_LARGE)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        too_big = (413, "Payload Too Large", f"The request body is over {self.max_body} "
                   "bytes; nothing was read or stored.")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._refuse(send, *too_big)
            return
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            total += len(chunks[-1])
            if total > self.max_body:
                await self._refuse(send, *too_big)
                return
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Any, status: int, title: str, detail: str) -> None:
        headers, body = _json_error(status, title, detail)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_PROTOCOL: Any = None


def json_error_protocol() -> type:
    """uvicorn's h11 protocol, except that a request it cannot read gets a JSON answer.

    uvicorn answers unreadable HTTP (e.g. headers over MAX_HEADER_BYTES) with a plain-text 400;
    clients of the lab read every error as JSON (`title`, `detail`), so this one answers
    431 for headers that are too large and 400 otherwise, in that shape, and closes.
    """
    global _PROTOCOL
    if _PROTOCOL is None:
        import h11
        from uvicorn.protocols.http.h11_impl import H11Protocol

        class JsonErrorH11Protocol(H11Protocol):
            def send_400_response(self, msg: str) -> None:
                buffered = len(getattr(self.conn, "_receive_buffer", b""))
                status, title, detail = HEADERS_TOO_LARGE if buffered >= MAX_HEADER_BYTES \
                    else (400, "Bad Request", "The request is not valid HTTP/1.1.")
                headers, body = _json_error(status, title, detail)
                try:
                    for event in (h11.Response(status_code=status, headers=headers,
                                               reason=title.encode()),
                                  h11.Data(data=body), h11.EndOfMessage()):
                        self.transport.write(self.conn.send(event))
                except h11.LocalProtocolError:  # a response had already begun: just close
                    pass
                self.transport.close()

        _PROTOCOL = JsonErrorH11Protocol
    return _PROTOCOL
