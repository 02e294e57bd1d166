"""A WebSocket server for lessons: what a customer's voice bot or transcriber would be.

`LabSocket(echo=True, drop_after=5).start()` serves, on loopback, `uri` (ws://.../socket, for
a `connect` action's websocket endpoint) and `event_url` (http://.../events, for that
connect's `eventUrl`). It keeps what each connection got: the first text message
(`websocket:connected`, the content-type and the endpoint's headers), every binary frame's
size and bytes, later text messages. It answers every frame with one frame of its own, the
same audio back (`echo=True`) or silence, so the simulator's clock runs in step with it
(assumptions.SOCKET_REPLY_WAIT). `drop_after=N` closes the first `drops` connections after
N seconds of audio received (N * 50 frames): a scripted drop, for the "intermittent
disconnection" tickets. The events URL keeps each event it receives and answers a
`disconnected` or `failed` event with `on_disconnect` (an NCCO) when one is given, else
with an empty 200 (the NCCO goes on). Simulator mode only: Vonage cannot reach loopback.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LabSocket", "SocketSession"]

FRAME_SECONDS = 0.02  # Vonage's WebSockets guide: each binary message is 20 ms of audio


@dataclass
class SocketSession:
    """One connection to the lab's socket, as the server saw it."""

    first: dict | None = None
    frames: list[int] = field(default_factory=list)  # bytes in each binary frame
    audio: bytearray = field(default_factory=bytearray)
    texts: list[str] = field(default_factory=list)
    closed_by: str = ""  # "server" (a scripted drop) or "simulator"

    @property
    def seconds(self) -> float:
        """Audio received, in seconds (20 ms per frame)."""
        return round(len(self.frames) * FRAME_SECONDS, 3)


class LabSocket:
    """A loopback WebSocket server that records, echoes and can drop (module docstring)."""

    def __init__(self, echo: bool = True, drop_after: float | None = None, drops: int = 1,
                 on_disconnect: list | None = None, signature_secret: str | None = None):
        if drop_after is not None and not 0 < drop_after <= 7200:
            raise ValueError(f"drop_after must be seconds from 0 to 7200; you gave {drop_after}")
        self.echo, self.drop_after, self.drops = echo, drop_after, int(drops)
        self.on_disconnect = on_disconnect
        self.signature_secret = signature_secret
        self.sessions: list[SocketSession] = []
        self.events: list[dict] = []
        self._lock = threading.Lock()
        self._serving: Any = None

    # --- serving ----
    def start(self, host: str = "127.0.0.1", port: int = 0) -> LabSocket:
        from starlette.applications import Starlette
        from starlette.routing import Route, WebSocketRoute

        from .serving import serve_in_thread

        app = Starlette(routes=[WebSocketRoute("/socket", self._socket),
                                Route("/events", self._event, methods=["POST", "GET"])])
        self._serving = serve_in_thread(app, host, port, name="lab-socket", ws="websockets-sansio",
                                        ws_ping_interval=None, timeout_graceful_shutdown=1)
        self.host = host
        return self

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def uri(self) -> str:
        """The WebSocket endpoint's `uri`."""
        return f"ws://{self.host}:{self.port}/socket"

    @property
    def event_url(self) -> str:
        """The connect action's `eventUrl` (a list of one, as the NCCO takes it)."""
        return f"http://{self.host}:{self.port}/events"

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop(grace=2)
            self._serving = None

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return (f"<LabSocket {self.uri if self._serving else 'stopped'} echo={self.echo} "
                f"drop_after={self.drop_after} connections={len(self.sessions)}>")

    # --- the socket ----
    async def _socket(self, ws: Any) -> None:
        await ws.accept()
        session = SocketSession()
        with self._lock:
            self.sessions.append(session)
            dropping = self.drop_after is not None and len(self.sessions) <= self.drops
        limit = round(self.drop_after / FRAME_SECONDS) if dropping else None
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                session.closed_by = session.closed_by or "simulator"
                return
            if message.get("text") is not None:
                if session.first is None:
                    session.first = json.loads(message["text"])
                else:
                    session.texts.append(message["text"])
                continue
            data = message.get("bytes") or b""
            session.frames.append(len(data))
            session.audio += data
            if limit is not None and len(session.frames) >= limit:
                session.closed_by = "server"
                await ws.close(code=1000, reason="lab socket: scripted drop")
                return
            await ws.send_bytes(data if self.echo else bytes(len(data)))

    # --- the connect's event URL ----
    async def _event(self, request: Any) -> Any:
        from starlette.responses import JSONResponse, Response

        body = await request.body()
        if self.signature_secret is not None:
            from .signed_webhooks import query_body, verify

            signed = body if request.method == "POST" else query_body(
                dict(request.query_params))
            check = verify(request.headers.get("authorization"), signed,
                           self.signature_secret)
            if not check.ok:
                return JSONResponse({"title": "Unauthorized", "detail": check.reason}, 401)
        try:
            event = json.loads(body) if request.method == "POST" else dict(
                request.query_params)
        except ValueError:
            return JSONResponse({"title": "Bad Request", "detail": "not JSON"}, 400)
        with self._lock:
            self.events.append(event)
        if isinstance(event, dict) and event.get("status") in ("disconnected", "failed") and \
                self.on_disconnect:
            return JSONResponse(_plain(self.on_disconnect))
        return Response(status_code=200)


def _plain(ncco: list) -> list:
    """An NCCO of dicts or the SDK's NCCO models, as JSON-ready dicts."""
    return [a.model_dump(by_alias=True, exclude_none=True) if hasattr(a, "model_dump") else a
            for a in ncco]
