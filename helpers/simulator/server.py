"""The simulator's state and threads: calls, their drivers, recordings on disk, the clock.

`Simulator(...).start()` serves the Voice API over TLS on loopback in a background thread and
returns what a client needs (host, CA, application id, private key). Each call gets a driver
thread that advances its engine (as fast as it can, or at a chosen pace) and delivers its
webhooks and recordings in order.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid as uuidlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from .. import assumptions, rules, signed_webhooks
from ..callees import DEFAULT_CALLEE, PERSONAS, Callee
from ..files import atomic_write, remove_leftovers
from ..serving import ServeError, Serving, serve_in_thread
from . import audio, outbound
from .answers import AnswerSource
from .application import ApplicationSettings
from .engine import CallEngine, RecordingRun
from .keys import Credentials, ensure_credentials, ensure_private_dir


def new_file_id() -> str:
    """The id of a stored file in /v1/files/<id>: a fresh UUID, never the recording_uuid."""
    return str(uuidlib.uuid4())


@dataclass
class StoredFile:
    """A finished recording (or transcript) the files endpoint serves."""

    path: Path
    size: int
    media_type: str
    ended_at: datetime
    call_uuid: str

    def expires_at(self) -> datetime:
        return self.ended_at + timedelta(days=assumptions.RETENTION_DAYS)


@dataclass
class Call:
    """A call the simulator is running: its engine, pace and driver."""

    engine: CallEngine
    pace: float | None
    answer: AnswerSource | None = None  # where the NCCO is fetched when the call is answered
    started: float = field(default_factory=time.monotonic)
    cond: threading.Condition = field(default_factory=threading.Condition)
    delivered: threading.Event = field(default_factory=threading.Event)
    deliveries: list[dict] = field(default_factory=list)

    def virtual_now(self) -> float:
        """The call's current virtual time: wall time scaled by the pace."""
        if self.pace is None:
            return math.inf
        return (time.monotonic() - self.started) * self.pace

    def catch_up(self) -> Call:
        """Run the engine up to the call's virtual now, under the call's lock; return the call.

        A paced call's engine only moves when something looks at it: its driver, or a request
        that reads or changes it. A call at full speed (pace None) runs to its end.
        """
        with self.cond:
            self.engine.advance(self.virtual_now())
        return self


MEDIA_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg"}


class Simulator:
    """A local Vonage Voice API: start it, point the SDK at `api_host`, place calls."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 state_dir: str | Path | None = None, pace: float | None = None):
        self.host, self.port = host, port
        self.credentials: Credentials = ensure_credentials(state_dir)
        self.recordings_dir = ensure_private_dir(self.credentials.state_dir / "recordings")
        remove_leftovers(self.recordings_dir)  # half-made recordings of an earlier run
        self.pace = pace
        self.calls: dict[str, Call] = {}
        self.order: list[str] = []
        self.files: dict[str, StoredFile] = {}
        self.callees: dict[str, Callee] = {}
        self.clock_offset = 0.0
        self.lock = threading.Lock()
        self.retry_delays: tuple[float, ...] = assumptions.WEBHOOK_RETRY_DELAYS
        # The application's fallback URL (Vonage: "used when either the Answer or Event webhook
        # fails or returns an HTTP error status"); None: no fallback, as when none is set.
        self.fallback_url: str | None = None
        # The application's settings (Applications API v2), kept in the state folder.
        self.application = ApplicationSettings(self.credentials.state_dir)
        self.answer_retry_delay = assumptions.ANSWER_RETRY_DELAY
        # The lab assumptions a trainee may switch for the calls created next (PUT
        # /_sim/assumptions), to run a call the way the docs read instead of the lab's way.
        self.assumed: dict[str, bool] = {
            "RECORD_LAST_HOLDS_CALL": assumptions.RECORD_LAST_HOLDS_CALL}
        self._serving: Serving | None = None

    # --- lifecycle ----
    def start(self) -> dict:
        """Serve over TLS in a background thread; return the connection info."""
        from .api import build_app

        creds = self.credentials
        try:
            self._serving = serve_in_thread(
                build_app(self), self.host, self.port, name="vonage-simulator",
                ssl_certfile=str(creds.server_cert), ssl_keyfile=str(creds.server_key),
                timeout_keep_alive=30, timeout_graceful_shutdown=1)
        except ServeError as err:
            self.port = err.port
            raise RuntimeError(f"The simulator could not start on {self.host}: "
                               f"{err.failures}") from err
        self.port = self._serving.port
        return self.info()

    def stop(self) -> None:
        """Stop serving (running calls' drivers finish on their own)."""
        if self._serving is not None:
            self._serving.stop(grace=10)
            self._serving = None

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_host(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def info(self) -> dict:
        """What a client needs: host, CA to trust, application id, key and secret files, the
        application's phone number and the account's key pair.

        The private key and the webhook signature secret are given as file paths, never their
        contents. `api_secret` is the one secret given as a value (the SDK's `Auth` takes it as
        a string, and tools that read the ready line need it): it opens only this simulator's
        Applications API, on loopback.
        """
        return {"api_host": self.api_host, "ca_cert": str(self.credentials.ca_cert),
                "application_id": self.credentials.application_id,
                "private_key": str(self.credentials.private_key),
                "signature_secret_file": str(self.credentials.signature_secret_file),
                "api_key": self.credentials.api_key,
                "api_secret": self.credentials.api_secret,
                "number": self.credentials.number,
                "state_dir": str(self.credentials.state_dir)}

    # --- clock, pace, callees ----
    def now(self) -> datetime:
        """The simulator's wall clock, moved on by `advance_clock`."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def advance_clock(self, seconds: float) -> datetime:
        """Move the wall clock forward, e.g. 31 days to see a recording expire."""
        with self.lock:
            self.clock_offset += seconds
        return self.now()

    @contextmanager
    def paced(self, pace: float | None):
        """Calls created inside run at `pace` (1 = real time)."""
        previous, self.pace = self.pace, pace
        try:
            yield self
        finally:
            self.pace = previous

    def callee_for(self, number: str) -> Callee:
        """The scripted phone that answers `number`."""
        return self.callees.get(number) or PERSONAS.get(number) or DEFAULT_CALLEE

    # --- calls ----
    def create_call(self, *, to_number: str, from_number: str, ncco: list[dict] | None,
                    event_url: list | None, event_method: str, length_timer: float | None,
                    ringing_timer: float | None, answer: AnswerSource | None = None,
                    direction: str = "outbound") -> Call:
        """Start a call: fast calls run to their end at once; paced calls follow the wall.

        Without `ncco`, the NCCO is fetched from `answer` when the call is answered (and never
        for a call nobody answers). An inbound call's scripted party is its caller."""
        call_uuid, conversation_uuid = str(uuidlib.uuid4()), "CON-" + str(uuidlib.uuid4())
        party = from_number if direction == "inbound" else to_number
        engine = CallEngine(uuid=call_uuid, conversation_uuid=conversation_uuid,
                            to_number=to_number, from_number=from_number, ncco=ncco,
                            callee=self.callee_for(party), resolve_callee=self.callee_for,
                            new_uuid=lambda: str(uuidlib.uuid4()), created_at=self.now(),
                            event_url=event_url, event_method=event_method,
                            length_timer=length_timer, ringing_timer=ringing_timer,
                            direction=direction,
                            record_last_holds_call=self.assumed["RECORD_LAST_HOLDS_CALL"])
        call = Call(engine, self.pace, answer)
        if call.pace is None:
            call.catch_up()  # to its end, before the caller hears of it
        with self.lock:
            self.calls[call_uuid] = call
            self.order.append(call_uuid)
        threading.Thread(target=self._drive, args=(call,), name=f"call-{call_uuid[:8]}",
                         daemon=True).start()
        return call

    def modify(self, call: Call, action: str, **params: Any) -> dict | None:
        """Apply a request to a call at its current virtual time."""
        with call.cond:
            call.catch_up()
            result = call.engine.request(action, **params)
            call.cond.notify_all()
        return result

    def set_pace(self, call: Call, pace: float | None) -> None:
        """Change a running call's pace, keeping its virtual time continuous."""
        with call.cond:
            now = call.engine.t if call.pace is None else call.virtual_now()
            call.pace = pace
            if pace is not None:
                call.started = time.monotonic() - now / pace
            call.cond.notify_all()

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until every call has ended and delivered all its events."""
        deadline = time.monotonic() + timeout
        for call in list(self.calls.values()):
            if not call.delivered.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def _drive(self, call: Call) -> None:
        session = requests.Session()
        session.trust_env = False  # webhooks go to loopback or the given URL, never a proxy
        try:
            while True:
                with call.cond:
                    call.catch_up()
                    outbox = call.engine.take_outbox()
                    ended = call.engine.ended is not None
                    nxt = call.engine.next_time()
                for item in outbox:
                    self._deliver(call, item, session)
                if ended:
                    with call.cond:
                        if not call.engine.outbox:
                            break
                    continue
                with call.cond:
                    if call.engine.outbox:
                        continue
                    if call.pace is None:
                        continue
                    nxt = call.engine.next_time()  # an NCCO may have arrived meanwhile
                    wait = 1.0 if nxt is None else (nxt - call.virtual_now()) / call.pace
                    if wait > 0:
                        call.cond.wait(min(wait, 1.0))
        finally:
            session.close()
            call.delivered.set()

    def _deliver(self, call: Call, item: tuple, session: requests.Session) -> None:
        if item[0] == "answer":
            self._answer(call, item[1], session)
            return
        if item[0] == "recording":
            try:
                self._finish_recording(call, item[1], session)
            except Exception as err:  # a bug in the lab: say so in the timeline, go on
                with call.cond:
                    call.deliveries.append({"event": "record", "error": f"the simulator could "
                                            f"not make the recording: {err!r}"})
            return
        _, url, method, payload = item
        self._post(call, url, method, payload, session)

    def _post(self, call: Call, url: str, method: str, payload: dict,
              session: requests.Session) -> None:
        """Deliver one webhook, signed like Vonage's: `Authorization: Bearer <HS256 JWT>`.

        One id per event (header `assumptions.EVENT_ID_HEADER`), the same on every attempt, so
        the receiver keeps a repeat once. A connection error, a time-out, a 429 or a 5xx is
        tried again after each of `self.retry_delays` (assumptions.WEBHOOK_RETRY_DELAYS); a URL
        the simulator may not contact (`outbound.refusal`) is not tried at all.
        """
        outcome: dict[str, Any] = {"url": url, "method": method, "event": payload.get(
            "status") or ("record" if "recording_url" in payload else "transcription"
                          if "transcription_url" in payload else "event")}
        outcome["id"] = event_id = str(uuidlib.uuid4())
        refused = outbound.refusal(url)
        if refused:
            outcome["error"] = refused
            with call.cond:
                call.deliveries.append(outcome)
            return
        creds = self.credentials
        if method == "GET":  # the values as requests would put them in the query string
            params = {k: json.dumps(v) if isinstance(v, (dict, list)) else
                      v if isinstance(v, str) else str(v)
                      for k, v in payload.items() if v is not None}
            body = signed_webhooks.query_body(params)
        else:
            body = signed_webhooks.canonical_json(payload)
        timeout = (assumptions.WEBHOOK_CONNECT_TIMEOUT, assumptions.EVENT_READ_TIMEOUT)
        delays = iter(self.retry_delays)
        attempts = 0
        while True:
            attempts += 1
            outcome.pop("error", None)
            outcome.pop("status_code", None)
            headers = {"Authorization": signed_webhooks.authorization(  # a fresh jti each time
                body, creds.signature_secret, api_key=creds.api_key,
                application_id=creds.application_id), assumptions.EVENT_ID_HEADER: event_id}
            try:
                if method == "GET":
                    response = session.get(url, params=params, headers=headers,
                                           timeout=timeout)
                else:
                    headers["Content-Type"] = "application/json"
                    response = session.post(url, data=body, headers=headers, timeout=timeout)
                outcome["status_code"] = response.status_code
                retry = response.status_code in assumptions.WEBHOOK_RETRY_STATUSES
            except requests.RequestException as err:
                outcome["error"] = f"{type(err).__name__}: {err}"[:300]
                retry = True
            delay = next(delays, None) if retry else None
            if delay is None:
                break
            time.sleep(delay)
        if attempts > 1:
            outcome["attempts"] = attempts
        with call.cond:
            call.deliveries.append(outcome)
        failed = "error" in outcome or outcome.get("status_code", 200) >= 400
        if failed and self.fallback_url and url != self.fallback_url:
            # Vonage's webhook reference: the fallback request carries the original payload
            # plus `reason` and `original_request` {url, type} (fact sheet §2.2, WH-2021).
            reason = outcome.get("error") or f"HTTP {outcome['status_code']}"
            self._post(call, self.fallback_url, method,
                       {**payload, "reason": reason[:300],
                        "original_request": {"url": url, "type": "event"}}, session)

    # --- the answer URL ----
    def create_inbound(self, caller: str) -> Call:
        """A call from `caller` to the application's number, answered with the NCCO of the
        application's answer URL; its events go to the application's event URL."""
        app = self.application
        answer, fallback, events = (app.webhook(k) for k in
                                    ("answer_url", "fallback_answer_url", "event_url"))
        if answer is None:
            raise ValueError("the application has no answer_url")
        second = None if fallback is None else AnswerSource(
            fallback.address, fallback.http_method, fallback.timeouts)
        return self.create_call(
            to_number=self.credentials.number, from_number=caller, ncco=None,
            event_url=None if events is None else [events.address],
            event_method="POST" if events is None else events.http_method,
            length_timer=None, ringing_timer=None, direction="inbound",
            answer=AnswerSource(answer.address, answer.http_method, answer.timeouts, second))

    def _answer(self, call: Call, payload: dict, session: requests.Session) -> None:
        """Fetch the NCCO of an answered call (answer URL, then its fallback) and run it, or
        end the call with an error event. The clock stood still while fetching."""
        source = call.answer
        payload = {**payload, "region_url": f"https://{self.api_host}"}
        ncco, reason, seconds = (None, "the call has no answer URL", 0.0) if source is None \
            else self._fetch_ncco(call, source, payload, session, "answer")
        if ncco is None and source is not None and source.fallback is not None:
            # Webhook reference: the fallback request carries the original payload plus
            # `reason` and `original_request` {url, type} (fact sheet §2.2, WH-2021).
            ncco, reason, seconds = self._fetch_ncco(
                call, source.fallback, {**payload, "reason": reason, "original_request": {
                    "url": source.url, "type": "answer"}}, session, "fallback_answer")
        with call.cond:
            if ncco is not None:
                call.engine.ncco_arrived(ncco, after=seconds)
            else:
                call.engine.ncco_failed(reason)
            if call.pace is not None:  # virtual time goes on from where it stopped
                call.started = time.monotonic() - call.engine.t / call.pace
            call.cond.notify_all()

    def _fetch_ncco(self, call: Call, source: AnswerSource, payload: dict,
                    session: requests.Session, kind: str) -> tuple[list | None, str, float]:
        """One URL's NCCO (signed request, assumptions.ANSWER_ATTEMPTS tries), or None and
        why not, in one sentence, and the seconds the reply declared it took
        (`_declared_seconds`); the outcome goes to the call's deliveries."""
        from .bodies import ncco_problems

        outcome: dict[str, Any] = {"url": source.url, "method": source.method, "event": kind,
                                   "id": str(uuidlib.uuid4())}
        ncco, reason = None, outbound.refusal(source.url)
        attempts = 0
        while reason is None:
            attempts += 1
            retry, reason = self._ncco_attempt(source, payload, session, outcome)
            if reason is None:
                ncco = outcome.pop("ncco")
                break
            if not retry or attempts >= assumptions.ANSWER_ATTEMPTS:
                break
            time.sleep(self.answer_retry_delay)
            outcome.pop("status_code", None)
            reason = None
        if ncco is not None:
            problems = ncco_problems(ncco, "ncco")
            if problems:
                ncco = None
                reason = "Syntax error in NCCO: " + "; ".join(
                    f"{p['name']}: {p['reason']}" for p in problems)[:280]
            else:  # the engine reads numbers and booleans, never their text
                ncco = rules.normalise(ncco)
        if reason:
            outcome["error"] = reason[:300]
        if attempts > 1:
            outcome["attempts"] = attempts
        with call.cond:
            call.deliveries.append(outcome)
        return ncco, reason or "", outcome.get("seconds", 0.0) if ncco is not None else 0.0

    def _ncco_attempt(self, source: AnswerSource, payload: dict, session: requests.Session,
                      outcome: dict) -> tuple[bool, str | None]:
        """One request to an answer URL: (worth retrying, reason) or (False, None) with the
        NCCO in outcome["ncco"]."""
        creds = self.credentials
        if source.method == "GET":
            params = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                      for k, v in payload.items() if v is not None}
            body = signed_webhooks.query_body(params)
        else:
            body = signed_webhooks.canonical_json(payload)
        headers = {"Authorization": signed_webhooks.authorization(
            body, creds.signature_secret, api_key=creds.api_key,
            application_id=creds.application_id)}
        try:
            if source.method == "GET":
                response = session.get(source.url, params=params, headers=headers,
                                       timeout=source.timeouts)
            else:
                headers["Content-Type"] = "application/json"
                response = session.post(source.url, data=body, headers=headers,
                                        timeout=source.timeouts)
        except requests.RequestException as err:
            return True, f"{type(err).__name__}: {err}"[:300]
        outcome["status_code"] = response.status_code
        if response.status_code >= 400:
            return (response.status_code in assumptions.ANSWER_RETRY_STATUSES,
                    f"the answer URL answered HTTP {response.status_code}")
        try:
            outcome["ncco"] = response.json()
        except ValueError:
            return False, "the answer URL did not return JSON (an NCCO)"
        seconds = _declared_seconds(response, source.timeouts[1])
        if seconds:
            outcome["seconds"] = seconds
        return False, None

    def _finish_recording(self, call: Call, rec: RecordingRun, session: requests.Session) -> None:
        engine = call.engine
        path = self.recordings_dir / f"{rec.recording_uuid}.{rec.format}"
        size = audio.encode_recording(rec.sounds, rec.start, rec.end, rec.format, rec.split,
                                      rec.channels, path, participants=rec.participants)
        ended_at = engine.created_at + timedelta(seconds=rec.end)
        # The file id in recording_url is the file's own, not the recording_uuid (fact sheet
        # §2.1: WH-2021 and the .NET/Java SDK test payloads show two different ids), so a
        # client must store recording_url and cannot rebuild it from recording_uuid.
        file_id = new_file_id()
        with self.lock:
            self.files[file_id] = StoredFile(path, size, MEDIA_TYPES[rec.format], ended_at,
                                             engine.uuid)
        payload = {"start_time": engine.iso(rec.start), "recording_url":
                   f"https://{self.api_host}/v1/files/{file_id}", "size": size,
                   "recording_uuid": rec.recording_uuid, "end_time": engine.iso(rec.end),
                   "conversation_uuid": engine.conversation_uuid,
                   "timestamp": engine.iso(rec.end)}
        urls = rec.params.get("eventUrl") or engine.event_url
        method = rec.params.get("eventMethod") or (
            engine.event_method if not rec.params.get("eventUrl") else "POST")
        with call.cond:
            engine.events.append({"kind": "record", "t": rec.end, "url": (urls or [None])[0],
                                  "method": method, "payload": payload})
        if urls:
            self._post(call, urls[0], method, payload, session)
        transcription = rec.params.get("transcription")
        if isinstance(transcription, dict):
            self._transcribe(call, rec, transcription, ended_at, session)

    def _transcribe(self, call: Call, rec: RecordingRun, settings: dict, ended_at: datetime,
                    session: requests.Session) -> None:
        engine = call.engine
        file_id = new_file_id()  # a file of its own, like the recording (fact sheet §2.1)
        path = self.recordings_dir / f"{rec.recording_uuid}-transcript.json"
        # Recording guide: transcription language defaults to en-US; the transcript holds
        # what was said in the recording window, per channel when split (its JSON shape is
        # the lab's own: no public source shows one).
        transcript = {"recording_uuid": rec.recording_uuid,
                      "language": settings.get("language", "en-US"),
                      "channels": [{"transcript": [{"sentence": text, "start": start,
                                                    "end": end}
                                                   for start, end, text in channel]}
                                   for channel in engine.transcript(rec)]}
        atomic_write(path, json.dumps(transcript, indent=1), mode=0o600)  # like the audio
        with self.lock:
            self.files[file_id] = StoredFile(path, path.stat().st_size, "application/json",
                                             ended_at, engine.uuid)
        # The transcription event (.NET SDK TranscriptionWebhook: conversation_uuid,
        # recording_uuid, status "transcribed", transcription_url, type "record") goes to
        # transcription.eventUrl, else the record's eventUrl (recording guide), else the
        # application's, with the method that goes with that URL.
        payload = {"conversation_uuid": engine.conversation_uuid, "type": "record",
                   "recording_uuid": rec.recording_uuid, "status": "transcribed",
                   "transcription_url": f"https://{self.api_host}/v1/files/{file_id}",
                   "timestamp": engine.iso(rec.end)}
        if settings.get("eventUrl"):
            urls, method = settings["eventUrl"], settings.get("eventMethod", "POST")
        elif rec.params.get("eventUrl"):
            urls, method = rec.params["eventUrl"], rec.params.get("eventMethod", "POST")
        else:
            urls, method = engine.event_url, engine.event_method
        with call.cond:
            engine.events.append({"kind": "transcription", "t": rec.end,
                                  "url": (urls or [None])[0], "method": method,
                                  "payload": payload})
        if urls:
            self._post(call, urls[0], method, payload, session)


def _declared_seconds(response: requests.Response, limit: float) -> float:
    """How long an answer URL says it took to reply (assumptions.ANSWER_SECONDS_HEADER, the
    lab's own header): the virtual seconds its request costs the call, never measured wall
    time, so a run is the same every time. No header, or not a number: 0. At most `limit`."""
    try:
        seconds = float(response.headers.get(assumptions.ANSWER_SECONDS_HEADER, "0"))
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), limit) if math.isfinite(seconds) else 0.0
