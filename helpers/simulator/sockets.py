"""The engine's side of a `connect` to a WebSocket endpoint (a mixin of CallEngine).

Vonage's WebSockets guide (Nexmo/nexmo-developer `_documentation/en/voice/voice-api/guides/
websockets.md`; fact sheet §2.2 `disconnected`, §3 endpoints): the platform is the socket's
client; the first message is text, `{"event": "websocket:connected", "content-type": ...}`
with the endpoint's `headers` at the top level; then 20 ms binary frames of the call's mixed
audio (320 bytes at 8 kHz, 640 at 16 kHz); binary frames the server sends back are played
into the call. With `eventType: "synchronous"` on the connect, a socket that cannot be
opened gives a `failed` event and one the application closes gives a `disconnected` event
(`from`, `to` = the socket's uri, `uuid`, `conversation_uuid`, `status`, `timestamp`, and the
endpoint's `headers`) at the connect's eventUrl; an NCCO in the answer replaces the rest of
the call's NCCO, no NCCO moves on to the next action. Without it there is no such event: the
leg ends and the NCCO goes on.

The engine never does I/O: starting the leg puts `("websocket",)` in the outbox and holds the
clock; the driver (`websocket_leg.run_socket`) opens the socket and moves the clock on frame
by frame with `socket_step` (assumptions.SOCKET_REPLY_WAIT says how socket time is counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import rules
from ..callees import Callee
from .audio import Sound

#: Vonage's WebSockets guide: every binary message is 20 ms of audio.
FRAME_SECONDS = 0.02
#: The WebSockets guide's two rates, and 24 kHz (NCCO reference; Python SDK
#: `WebsocketEndpoint.contentType`); the Python SDK's `Websocket` model defaults to 16 kHz.
CONTENT_TYPES = {"audio/l16;rate=8000": 8000, "audio/l16;rate=16000": 16000,
                 "audio/l16;rate=24000": 24000}
DEFAULT_CONTENT_TYPE = "audio/l16;rate=16000"
#: The socket is a party that never speaks of itself (its audio comes over the socket).
SOCKET_PARTY = Callee("websocket", "a WebSocket endpoint", 0.0)


def frame_bytes(rate: int) -> int:
    """Bytes in one 20 ms frame of 16-bit linear PCM at `rate` (640 at 16 kHz)."""
    return round(rate * FRAME_SECONDS) * 2


@dataclass
class SocketRun:
    """One WebSocket leg: its endpoint, the connect action, and where its audio plays."""

    leg: Any  # engine.Leg
    index: int
    body: dict
    endpoint: dict
    start: float
    play_at: float = 0.0  # where the next frame from the server will start playing
    sounds: list[int] = field(default_factory=list)  # indexes into engine.sounds
    audio_path: str | None = None

    @property
    def content_type(self) -> str:
        return self.endpoint.get("content-type") or DEFAULT_CONTENT_TYPE

    @property
    def rate(self) -> int:
        return CONTENT_TYPES.get(self.content_type, 16000)

    @property
    def synchronous(self) -> bool:
        return self.body.get("eventType") == "synchronous"

    def first_message(self) -> dict:
        """The guide's first text message: event, content-type, the headers at top level."""
        headers = self.endpoint.get("headers") or {}
        return {"event": "websocket:connected", "content-type": self.content_type, **headers}


class SocketLegs:
    """What CallEngine does for a websocket endpoint (see the module's docstring)."""

    socket: SocketRun | None = None
    socket_held: bool = False

    def _start_socket(self, index: int, body: dict, leg: Any) -> None:
        """`leg` (the engine's Leg, SOCKET_PARTY, its number the uri) is the current
        connect's; open it through the driver."""
        self.legs.append(leg)
        self.socket = SocketRun(leg, index, body, body["endpoint"][0], self.t, play_at=self.t)
        self._emit_leg(leg, "started")
        self.socket_held = True  # until the driver has opened it (or failed to)
        self.outbox.append(("websocket",))

    def socket_alive(self, run: SocketRun) -> bool:
        return self.socket is run and run.leg.ended is None and self.ended is None

    def socket_connected(self, run: SocketRun) -> None:
        """The socket is open: the leg is answered; its `limit` starts now."""
        leg = run.leg
        leg.answered = self.t
        self._emit_leg(leg, "answered")
        limit = rules.setting("connect", run.body, "limit")
        self._at(self.t + limit, "leg_limit", leg)

    def socket_step(self, run: SocketRun, until: float) -> bool:
        """Run the call up to `until` (the start of the next frame); True while the socket
        leg is still up. Hang-ups, key presses and the connect's limit happen on the way."""
        self.socket_held = False
        try:
            self.advance(until)
        finally:
            self.socket_held = self.socket_alive(run)
        return self.socket_held

    def socket_sounds(self, run: SocketRun, start: float, end: float) -> list[Sound]:
        """What the socket hears in [start, end): everyone but itself (mutes applied)."""
        return [s for s in self._sounds_for(start, end) if s.source != run.leg.source]

    def socket_audio(self, run: SocketRun, start: float, end: float, path: str) -> None:
        """The server's audio plays in [start, end) (samples in `path`, aligned to run.start):
        heard in the call as the socket leg's voice, one Sound per stretch without a gap."""
        run.audio_path = path
        if run.sounds and self.sounds[run.sounds[-1]].end >= start - 1e-9:
            last = self.sounds[run.sounds[-1]]
            self.sounds[run.sounds[-1]] = Sound(last.source, "socket", last.start, end,
                                                origin=run.start, audio=path)
            return
        self.sounds.append(Sound(run.leg.source, "socket", start, end, origin=run.start,
                                 audio=path))
        run.sounds.append(len(self.sounds) - 1)

    def socket_note(self, run: SocketRun, what: str, **data: Any) -> None:
        self.log.append({"t": self.t, "what": what, "leg": run.leg.uuid, **data})

    def socket_closed(self, run: SocketRun, status: str, why: str) -> tuple | None:
        """The socket could not be opened (`failed`) or the server closed it
        (`disconnected`). With eventType synchronous: the event, as (url, method, payload),
        for the driver to send and read an NCCO from (then `socket_resume`); the clock stays
        held meanwhile. Otherwise the leg just ends and the NCCO goes on (None)."""
        leg = run.leg
        if not self.socket_alive(run):
            self.socket_held = False
            return None
        self.socket_note(run, "socket_closed", status=status, why=why)
        if not run.synchronous:
            self.socket_held = False
            self._end_leg(leg, why, status="failed" if status == "failed" else "completed")
            return None
        payload = self._status_payload(status, uuid=leg.uuid, to=leg.number)
        if run.endpoint.get("headers"):
            payload["headers"] = run.endpoint["headers"]
        urls = run.body.get("eventUrl")
        target = (urls or self.event_url or [None])[0]
        method = run.body.get("eventMethod", "POST") if urls else self.event_method
        self.events.append({"kind": "status", "t": self.t, "url": target, "method": method,
                            "payload": payload})
        self.log.append({"t": self.t, "what": "leg", "leg": leg.uuid, "number": leg.number,
                         "status": status})
        leg.ended = self.t
        self.log.append({"t": self.t, "what": "leg_end", "leg": leg.uuid, "why": why})
        self.socket_held = True
        return (target, method, payload) if target else None

    def socket_resume(self, run: SocketRun, ncco: list | None) -> None:
        """After the synchronous event: its NCCO replaces the rest of the call's NCCO, or
        the next action runs."""
        self.socket_held = False
        if self.ended is not None or self.current is None or \
                self.current.data.get("leg") is not run.leg:
            return
        if ncco:
            self.log.append({"t": self.t, "what": "ncco_from_event", "leg": run.leg.uuid,
                             "actions": len(ncco)})
            self.current, self.ncco, self.pc = None, list(ncco), 0
            self._next()
        else:
            self._complete_current()

    def socket_released(self, run: SocketRun) -> None:
        """The session is over (the call or the leg ended first): the clock runs free."""
        if self.socket is run:
            self.socket_held = False
