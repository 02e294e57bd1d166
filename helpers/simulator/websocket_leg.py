"""The driver's side of a WebSocket leg: a real WebSocket client, in the call's driver thread.

`run_socket(sim, call, session)` opens the socket of the engine's `socket` run (loopback only,
like every request the simulator makes: `outbound.refusal`), sends the WebSockets guide's
first text message, then one 20 ms binary frame of the call's audio per step of the call's
clock, and plays the server's binary frames back into the call (sockets.py). Socket time is
counted in frames (assumptions.SOCKET_REPLY_WAIT). A close from the server, or a socket that
cannot be opened, goes to the engine (`socket_closed`); with eventType synchronous the event
is sent here and the NCCO in its answer is handed back (`socket_resume`). When the call or
the leg ends first, the simulator closes the socket itself (code 1000): no event.
"""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import requests

from .. import assumptions, rules, signed_webhooks
from . import outbound
from .audio import render_block
from .sockets import FRAME_SECONDS, SocketRun

if TYPE_CHECKING:
    from .server import Call, Simulator

MAX_TEXT_LOGGED = 200  # characters of a text message from the server kept in the timeline


def pcm_frame(sounds: list, start: float, rate: int) -> bytes:
    """20 ms of `sounds` from `start` as 16-bit little-endian PCM at `rate`."""
    mono = render_block(sounds, start, round(assumptions.SAMPLE_RATE * FRAME_SECONDS), 1,
                        lambda source: 0)[:, 0].astype(np.float64)
    n = round(rate * FRAME_SECONDS)
    if n != mono.size:  # 8 or 24 kHz: resample the 16 kHz frame linearly
        mono = np.interp(np.arange(n) * mono.size / n, np.arange(mono.size), mono)
    return (np.clip(mono, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def to_lab_rate(data: bytes, rate: int) -> np.ndarray:
    """A frame from the server (16-bit PCM at `rate`) as int16 samples at SAMPLE_RATE."""
    samples = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64)
    n = round(samples.size * assumptions.SAMPLE_RATE / rate)
    if n != samples.size and samples.size:
        samples = np.interp(np.arange(n) * samples.size / n, np.arange(samples.size), samples)
    return samples.astype("<i2")


class _Playback:
    """The server's audio, written to a file aligned to the leg's start (zeros in gaps)."""

    def __init__(self, path: Path, run: SocketRun):
        self.path, self.run, self.written = path, run, 0

    def add(self, engine: Any, data: bytes) -> None:
        run = self.run
        samples = to_lab_rate(data, run.rate)
        if not samples.size:
            return
        start = max(run.play_at, engine.t)
        offset = round((start - run.start) * assumptions.SAMPLE_RATE)
        with open(self.path, "ab") as out:
            if offset > self.written:
                out.write(bytes(2 * (offset - self.written)))
                self.written = offset
            out.write(samples.tobytes())
            self.written += samples.size
        end = run.start + self.written / assumptions.SAMPLE_RATE
        run.play_at = end
        if samples.any():  # silence from the server is not a sound (endOnSilence hears it so)
            engine.socket_audio(run, start, end, str(self.path))


def _open(uri: str) -> Any:
    from websockets.sync.client import connect

    return connect(uri, open_timeout=assumptions.SOCKET_CONNECT_TIMEOUT, proxy=None,
                   compression=None, ping_interval=None, close_timeout=2,
                   max_size=1 << 20, user_agent_header="Recording Lab simulator")


def run_socket(sim: Simulator, call: Call, session: requests.Session) -> None:
    """Run the engine's WebSocket leg to its end (see the module's docstring)."""
    engine = call.engine
    with call.cond:
        run = engine.socket
    if run is None:
        return
    uri = run.leg.number
    why = outbound.refusal(uri, schemes=("ws", "wss"))
    ws = opener = None
    if why is None:
        try:
            opener = _open(uri)
            ws = opener.__enter__()  # websockets: the connection is a context manager
        except Exception as err:  # refused, timed out, not a WebSocket: the leg failed
            why = f"the WebSocket could not be opened: {type(err).__name__}: {err}"[:300]
    if ws is None:
        _closed(sim, call, run, "failed", why, session)
        return
    path = sim.recordings_dir / f"socket-{run.leg.uuid}.pcm"
    playback = _Playback(path, run)
    from websockets.exceptions import ConnectionClosed

    closed_by_server = None
    try:
        ws.send(json.dumps(run.first_message()))
        with call.cond:
            engine.socket_connected(run)
            engine.socket_note(run, "socket_open", uri=uri, content_type=run.content_type)
        real_start, frames, seen = time.monotonic(), 0, len(engine.log)
        while True:
            t = run.start + frames * FRAME_SECONDS
            with call.cond:
                alive = engine.socket_step(run, t)
                items = engine.take_outbox()
                sounds = engine.socket_sounds(run, t, t + FRAME_SECONDS) if alive else []
                presses = [e["digit"] for e in engine.log[seen:] if e["what"] == "press"]
                seen = len(engine.log)
            later = [item for item in items if item[0] == "websocket"]
            now = [item for item in items if item[0] != "websocket"]
            for step in sim._prepare(call, now):  # queued in the store like the driver's
                sim._deliver(call, step, session)
            if later:  # a new socket leg already: the driver runs it after this one
                with call.cond:
                    engine.outbox[:0] = later
            if not alive:
                break
            try:
                for digit in presses:  # WebSockets guide, "DTMF events": one text per key
                    ws.send(json.dumps({"event": "websocket:dtmf", "digit": digit,
                                        "duration": round(assumptions.DTMF_TONE_SECONDS
                                                          * 1000)}))
                ws.send(pcm_frame(sounds, t, run.rate))
            except ConnectionClosed as err:
                closed_by_server = err
            frames += 1
            if closed_by_server is None:
                closed_by_server = _listen(ws, call, run, playback,
                                           real_start + frames * FRAME_SECONDS / (
                                               call.pace or 1), paced=call.pace is not None)
            if closed_by_server is not None:
                with call.cond:
                    engine.socket_step(run, run.start + frames * FRAME_SECONDS)
                break
    finally:
        if closed_by_server is None:
            ws.close(1000, "the call leg ended")
        opener.__exit__(None, None, None)
    if closed_by_server is not None:
        _closed(sim, call, run, "disconnected", "the WebSocket server closed the connection "
                f"(code {getattr(closed_by_server.rcvd, 'code', 1006)})", session)
    else:
        with call.cond:
            engine.socket_released(run)
            _rebase(call)
            call.cond.notify_all()


def _listen(ws: Any, call: Call, run: SocketRun, playback: _Playback, due: float,
            paced: bool) -> Exception | None:
    """Take what the server sends until it has answered the last frame (or SOCKET_REPLY_WAIT
    passed; a paced call waits until its next frame is due). Returns the close, if any."""
    from websockets.exceptions import ConnectionClosed

    deadline = due if paced else time.monotonic() + assumptions.SOCKET_REPLY_WAIT
    answered = False
    while True:
        wait = 0.0 if answered and not paced else max(0.0, deadline - time.monotonic())
        try:
            message = ws.recv(timeout=wait)
        except TimeoutError:
            return None
        except ConnectionClosed as err:
            return err
        answered = True
        with call.cond:
            if isinstance(message, bytes):
                playback.add(call.engine, message)
            else:
                call.engine.socket_note(run, "socket_text", text=message[:MAX_TEXT_LOGGED])


def _closed(sim: Simulator, call: Call, run: SocketRun, status: str, why: str,
            session: requests.Session) -> None:
    engine = call.engine
    with call.cond:
        event = engine.socket_closed(run, status, why)
        waiting = engine.socket_held
    if waiting:  # eventType synchronous: the answer may carry an NCCO
        ncco = _event_ncco(sim, call, *event, session) if event else None
        with call.cond:
            engine.socket_resume(run, ncco)
    with call.cond:
        _rebase(call)
        call.cond.notify_all()


def _rebase(call: Call) -> None:
    """A paced call's clock goes on from where the socket left it."""
    if call.pace is not None:
        call.started = time.monotonic() - call.engine.t / call.pace


def _event_ncco(sim: Simulator, call: Call, url: str, method: str, payload: dict,
                session: requests.Session) -> list | None:
    """Send a synchronous event (signed like every webhook) and read the NCCO in its answer:
    a valid NCCO, or None (no JSON list, an error, or an NCCO that is not valid, which the
    call's deliveries record)."""
    from .bodies import ncco_problems

    outcome: dict[str, Any] = {"url": url, "method": method, "event": payload["status"],
                               "id": str(uuidlib.uuid4())}
    refused = outbound.refusal(url)
    ncco = None
    if refused:
        outcome["error"] = refused
    else:
        creds = sim.credentials
        body = signed_webhooks.canonical_json(payload)
        headers = {"Authorization": signed_webhooks.authorization(
            body, creds.signature_secret, api_key=creds.api_key,
            application_id=creds.application_id),
            assumptions.EVENT_ID_HEADER: outcome["id"], "Content-Type": "application/json"}
        timeout = (assumptions.WEBHOOK_CONNECT_TIMEOUT, assumptions.EVENT_READ_TIMEOUT)
        try:
            if method == "GET":
                response = session.get(url, params={k: json.dumps(v) if isinstance(v, dict)
                                                    else str(v) for k, v in payload.items()},
                                       headers=headers, timeout=timeout)
            else:
                response = session.post(url, data=body, headers=headers, timeout=timeout)
            outcome["status_code"] = response.status_code
            answer = response.json() if response.ok and response.content.strip() else None
        except (requests.RequestException, ValueError) as err:
            outcome["error"] = f"{type(err).__name__}: {err}"[:300]
            answer = None
        if isinstance(answer, list) and answer:
            problems = ncco_problems(answer, "ncco")
            if problems:
                outcome["error"] = "the NCCO in the answer is not valid: " + "; ".join(
                    f"{p['name']}: {p['reason']}" for p in problems)[:280]
            else:
                ncco = rules.normalise(answer)
                outcome["ncco_actions"] = len(ncco)
    with call.cond:
        call.deliveries.append(outcome)
    return ncco
