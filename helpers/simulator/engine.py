"""One call as a discrete-event simulation on a virtual clock.

The engine runs an NCCO against a scripted callee: each action schedules the events that end
it, key presses and hang-ups come from the callee's plan, and time jumps from event to event,
so a two-hour `timeOut` costs microseconds. It never sleeps and never does I/O: what the
outside world must see (webhooks, recordings to encode) goes to `outbox`, which the server's
driver thread empties in order.
"""

from __future__ import annotations

import heapq
import itertools
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .. import assumptions, rules
from ..assumptions import stream_seconds
from ..callees import Callee
from ..tts import TALK_VOICE, talk_seconds
from . import network
from .audio import Sound, channel_map, n_channels
from .sockets import SOCKET_PARTY, SocketLegs

FIRST_LEG, APP = 0, 1  # sound sources; connected legs are 2, 3, ...
INF = math.inf


class CallStateError(Exception):
    """A modify request the call's state does not allow; `status` is the HTTP status."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


@dataclass
class RecordingRun:
    """A recording in progress or finished, and everything needed to encode it."""

    recording_uuid: str
    action_index: int
    params: dict
    start: float
    blocking: bool
    end: float | None = None
    ended_by: str = ""
    sounds: list[Sound] = field(default_factory=list)
    token: int = 0
    participants: list[int] = field(default_factory=list)  # sources in join order
    network: list[dict] = field(default_factory=list)  # per party with network conditions

    @property
    def format(self) -> str:
        return rules.record_format(self.params)

    @property
    def split(self) -> bool:
        """Split into channels: split "conversation", or channels alone when
        assumptions.CHANNELS_NEED_SPLIT is turned off."""
        return self.params.get("split") == "conversation" or (
            not assumptions.CHANNELS_NEED_SPLIT and bool(self.params.get("channels")))

    @property
    def channels(self) -> int | None:
        return self.params.get("channels")


@dataclass
class Running:
    """The synchronous action the NCCO is waiting on."""

    index: int
    kind: str
    token: int
    data: dict = field(default_factory=dict)


@dataclass
class Leg:
    """A party joined by `connect`."""

    uuid: str
    number: str
    callee: Callee
    source: int
    start: float
    answered: float | None = None
    ended: float | None = None


def _seed(*parts: Any) -> int:
    return zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF


class CallEngine(SocketLegs):
    """The virtual-time model of one outbound call and the legs it connects."""

    def __init__(self, *, uuid: str, conversation_uuid: str, to_number: str, from_number: str,
                 ncco: list[dict] | None, callee: Callee,
                 resolve_callee: Callable[[str], Callee],
                 new_uuid: Callable[[], str], created_at: datetime, event_url: list | None,
                 event_method: str = "POST", length_timer: float | None = None,
                 ringing_timer: float | None = None, direction: str = "outbound",
                 record_last_holds_call: bool | None = None):
        self.uuid, self.conversation_uuid = uuid, conversation_uuid
        self.to_number, self.from_number = to_number, from_number
        # ncco None: it comes from the answer URL, asked for when the call is answered
        self.ncco, self.pc = (None if ncco is None else list(ncco)), 0
        self.direction = direction  # inbound: `callee` is the caller; the platform answers
        self.awaiting_ncco = False  # asked for the NCCO; the clock stops until it comes
        self.reply_after = 0.0  # seconds the answer URL took (declared), heard as silence
        self.callee, self.resolve_callee, self.new_uuid = callee, resolve_callee, new_uuid
        self.created_at = created_at
        self.event_url, self.event_method = event_url, event_method
        self.length_timer = length_timer or assumptions.DEFAULT_LENGTH_TIMER
        self.ringing_timer = ringing_timer
        # assumptions.RECORD_LAST_HOLDS_CALL, unless the simulator runs this call the other way
        self.record_last_holds_call = (assumptions.RECORD_LAST_HOLDS_CALL
                                       if record_last_holds_call is None
                                       else record_last_holds_call)
        self.t = 0.0
        self.status = "started"
        self.answered: float | None = None
        self.ended: float | None = None
        self.end_reason = ""
        self.current: Running | None = None
        self.last_started: tuple[int, str] | None = None
        self.sounds: list[Sound] = []
        self.utterances: list[tuple[int, float, float, str]] = []  # (source, start, end, text)
        self.background: list[int] = []  # indexes into sounds: bargeIn talk/stream
        self.barge_in = False  # NCCO reference: once true, bargeIn stays on until an input
        self.injected: dict[str, list[int]] = {"talk": [], "stream": []}
        self.recordings: list[RecordingRun] = []
        self.active: list[RecordingRun] = []
        self.legs: list[Leg] = []
        self.networks: dict[int, tuple] = {}  # source -> (conditions, seed, answered)
        self.mutes: list[list[float]] = []
        self.earmuffs: list[list[float]] = []
        self.outbox: list[tuple] = []
        self.log: list[dict] = []  # action runs, presses, requests: the timeline
        self.events: list[dict] = []  # every webhook payload, with its target
        self._queue: list[tuple] = []
        self._seq = itertools.count()
        self._tokens = itertools.count(1)
        self._emit_status("started")
        self._at(assumptions.RINGING_AFTER_SECONDS, "ringing")

    # --- clock ----
    def _at(self, time: float, kind: str, *args: Any) -> None:
        if time < INF:
            heapq.heappush(self._queue, (time, next(self._seq), kind, args))

    def next_time(self) -> float | None:
        """Virtual time of the next event, None when the call has ended."""
        if self.ended is not None or not self._queue or self.awaiting_ncco or self.socket_held:
            return None
        return self._queue[0][0]

    def advance(self, until: float) -> None:
        """Run every event up to virtual time `until` (math.inf: to the end of the call)."""
        while self._queue and self.ended is None and not self.awaiting_ncco and \
                not self.socket_held and self._queue[0][0] <= until:
            time, _, kind, args = heapq.heappop(self._queue)
            self.t = max(self.t, time)
            getattr(self, "_on_" + kind)(*args)
        if self.ended is None and until < INF and not self.awaiting_ncco and \
                not self.socket_held:
            self.t = max(self.t, until)

    def take_outbox(self) -> list[tuple]:
        """What the driver must deliver, in order; emptied by the call."""
        items, self.outbox = self.outbox, []
        return items

    def iso(self, t: float) -> str:
        """A virtual time as Vonage writes timestamps: ISO 8601 UTC with milliseconds."""
        moment = self.created_at + timedelta(seconds=t)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    # --- events out ----
    def _emit(self, urls: list | None, method: str | None, payload: dict, kind: str) -> None:
        target = (urls or self.event_url or [None])[0]
        method = method or (self.event_method if not urls else "POST")
        self.events.append({"kind": kind, "t": self.t, "url": target, "method": method,
                            "payload": payload})
        if target:
            self.outbox.append(("post", target, method, payload))

    def _status_payload(self, status: str, uuid: str | None = None, to: str | None = None,
                        **extra: Any) -> dict:
        payload = {"from": self.from_number, "to": to or self.to_number,
                   "uuid": uuid or self.uuid, "conversation_uuid": self.conversation_uuid,
                   "status": status, "direction": self.direction,
                   "timestamp": self.iso(self.t)}
        payload.update(extra)
        return payload

    def _emit_status(self, status: str) -> None:
        self.status = status
        extra = {}
        if status == "completed" and self.answered is not None:
            extra = {"start_time": self.iso(self.answered), "end_time": self.iso(self.t),
                     "duration": str(round(self.t - self.answered)), "rate": "0.00000000",
                     "price": "0.00000000", "network": "simulator"}
        self._emit(None, None, self._status_payload(status, **extra), "status")
        self.log.append({"t": self.t, "what": "status", "status": status})

    # --- the callee ----
    def _on_ringing(self) -> None:
        self._emit_status("ringing")
        if self.direction == "inbound":  # the platform answers; the caller does not ring
            self._at(self.t + assumptions.INBOUND_ANSWER_AFTER_SECONDS, "answer")
        elif self.callee.busy:
            self._finish("busy", "the line was busy")
        elif self.callee.answer_after is None or (
                self.ringing_timer and self.callee.answer_after > self.ringing_timer):
            limit = self.ringing_timer or assumptions.DEFAULT_RINGING_TIMER
            self._at(self.t + limit, "no_answer")
        else:
            self._at(self.t + self.callee.answer_after, "answer")

    def _on_no_answer(self) -> None:
        self._finish("timeout" if self.ringing_timer else "unanswered", "nobody answered")

    def _on_answer(self) -> None:
        if self.ncco is None:  # fetched now that the call is answered (see answer_request)
            self._request_ncco()
            return
        if self.reply_after > 0 and not assumptions.ANSWERED_BEFORE_NCCO:
            self._at(self.t + self.reply_after, "late_answer")  # answered with the reply
            return
        self.answered = self.t
        self._emit_status("answered")
        self._schedule_party(self.callee, FIRST_LEG, self.t, None)
        self._at(self.t + self.length_timer, "length_timer")
        if self.reply_after > 0:  # assumptions.ANSWERED_BEFORE_NCCO: silence until the reply
            self._at(self.t + self.reply_after, "answer_reply", self.ncco)
            return
        self._next()

    def _on_late_answer(self) -> None:
        self.log.append({"t": self.t, "what": "answer_reply", "seconds": self.reply_after})
        self.reply_after = 0.0
        self._on_answer()

    def _on_answer_reply(self, ncco: list[dict]) -> None:
        """The slow answer URL's NCCO arrives: it starts now, unless a transfer replaced it."""
        self.log.append({"t": self.t, "what": "answer_reply", "seconds": self.reply_after})
        if self.ncco is ncco:  # else a transfer replaced it, and its NCCO already runs
            self._next()

    # --- the answer URL: the NCCO is fetched when the call is answered, never before ----
    def _request_ncco(self) -> None:
        """Ask the driver for the NCCO (outbox item `("answer", payload)`) and stop the clock
        until `ncco_arrived` or `ncco_failed`. Vonage's NCCO reference: the answer URL is
        requested when the call is answered (fact sheet §3, "Other NCCO facts")."""
        self.awaiting_ncco = True
        self.log.append({"t": self.t, "what": "answer_request"})
        self.outbox.append(("answer", self.answer_payload()))

    def answer_payload(self) -> dict:
        """The answer webhook's fields (Voice API webhook reference; SDK `AnswerWebhook`)."""
        return {"to": self.to_number, "from": self.from_number, "uuid": self.uuid,
                "conversation_uuid": self.conversation_uuid, "endpoint_type": "phone"}

    def ncco_arrived(self, ncco: list[dict], after: float = 0.0) -> None:
        """The answer URL gave a valid NCCO: the call is answered and runs it. `after`: the
        seconds the answer URL took to reply (assumptions.ANSWER_SECONDS_HEADER); the caller is
        answered at the request and hears silence until then (ANSWERED_BEFORE_NCCO)."""
        if self.ended is not None or not self.awaiting_ncco:
            return
        self.ncco, self.awaiting_ncco = list(ncco), False
        self.reply_after = max(0.0, float(after))
        self._on_answer()

    def ncco_failed(self, reason: str) -> None:
        """No usable NCCO: an error event with `reason` (webhook reference: errors go to the
        event webhook), then the call ends (assumptions.ANSWER_FAILED_STATUS)."""
        if self.ended is not None or not self.awaiting_ncco:
            return
        self.awaiting_ncco = False
        self._emit(None, None, {"reason": reason, "uuid": self.uuid,
                                "conversation_uuid": self.conversation_uuid,
                                "timestamp": self.iso(self.t)}, "error")
        self.log.append({"t": self.t, "what": "answer_failed", "reason": reason})
        self._finish(assumptions.ANSWER_FAILED_STATUS, f"no NCCO from the answer URL: {reason}")

    def _schedule_party(self, callee: Callee, source: int, answered: float,
                        leg: Leg | None) -> None:
        plan = callee.plan
        kind, through = Sound, {}
        if callee.network is not None:  # its speech reaches us through a bad network
            through = {"network": callee.network, "network_seed": _seed("net", callee.name,
                                                                        source)}
            kind = network.NetworkSound
            self.networks[source] = (callee.network, through["network_seed"], answered)
        for i, (start, end, text, voice) in enumerate(plan.speech):
            self.sounds.append(kind(source, "speech", answered + start, answered + end,
                                    seed=_seed(callee.name, source, i),
                                    text=text or None, voice=voice, **through))
            if text:
                self.utterances.append((source, answered + start, answered + end, text))
        for time, digit in plan.presses:
            self._at(answered + time, "press", source, digit)
        if plan.hangup is not None:
            self._at(answered + plan.hangup, "party_hangup", source, leg)

    def _on_party_hangup(self, source: int, leg: Leg | None) -> None:
        if leg is None:
            self.log.append({"t": self.t, "what": "hangup", "party": "first leg"})
            self._finish("completed", "the person on the call hung up")
        elif leg.ended is None:
            self._end_leg(leg, "the connected party hung up")

    def _on_length_timer(self) -> None:
        self._finish("completed", "length_timer reached")

    def _on_press(self, source: int, digit: str) -> None:
        if self.ended is not None:
            return
        tone = assumptions.DTMF_TONE_SECONDS
        self.sounds.append(Sound(source, "dtmf", self.t, self.t + tone, digit=digit))
        effect = "not heard by the NCCO (nothing was listening for keys)"
        if source == FIRST_LEG:
            effect = self._key_effect(digit) or effect
        else:
            effect = "heard by the first leg"
        self.log.append({"t": self.t, "what": "press", "digit": digit, "source": source,
                         "effect": effect})

    def _key_effect(self, digit: str) -> str | None:
        effects = []
        for index in list(self.background):
            sound = self.sounds[index]
            if sound.start <= self.t < sound.end:
                self.sounds[index] = _cut(sound, self.t)
                effects.append("interrupted the bargeIn " + ("talk" if sound.kind == "tts"
                                                               else "stream"))
        self.background = []
        running = self.current
        if running and running.kind == "input" and "dtmf" in running.data["types"]:
            digits = running.data["digits"]
            if digit == "#" and rules.setting("input", running.data["body"], "dtmf.submitOnHash"):
                self._end_input(timed_out=False)
                effects.append("submitted the input")
            else:
                digits.append(digit)
                if len(digits) >= rules.setting("input", running.data["body"], "dtmf.maxDigits"):
                    self._end_input(timed_out=False)
                    effects.append("completed the input (maxDigits)")
                else:
                    running.token = next(self._tokens)
                    pause = rules.setting("input", running.data["body"], "dtmf.timeOut")
                    self._at(self.t + pause, "input_timeout", running.token)
                    effects.append("collected by the input")
        elif running and running.kind == "record":
            rec = running.data["recording"]
            if rec.params.get("endOnKey") == digit:
                self._at(self.t + assumptions.DTMF_TONE_SECONDS, "record_end", rec,
                         f"endOnKey {digit}", rec.token)
                effects.append("ended the recording (endOnKey)")
        return "; ".join(effects) or None

    # --- the NCCO ----
    def _next(self) -> None:
        while self.current is None and self.ended is None:
            if self.pc >= len(self.ncco):
                self._ncco_done()
                return
            index, body = self.pc, self.ncco[self.pc]
            self.pc += 1
            self.last_started = (index, body["action"])
            self.log.append({"t": self.t, "what": "action", "index": index,
                             "action": body["action"], "body": body})
            getattr(self, "_start_" + body["action"])(index, body)

    def _wait_for(self, index: int, kind: str, duration: float, **data: Any) -> Running:
        self.current = Running(index, kind, next(self._tokens), data)
        self._at(self.t + duration, "action_end", self.current.token)
        return self.current

    def _on_action_end(self, token: int) -> None:
        if self.current and self.current.token == token:
            self._complete_current()

    def _complete_current(self) -> None:
        running, self.current = self.current, None
        self.log.append({"t": self.t, "what": "action_end", "index": running.index,
                         "action": running.kind})
        self._next()

    def _ncco_done(self) -> None:
        if self.record_last_holds_call and self.last_started and \
                self.last_started[1] == "record" and any(
                    r.action_index == self.last_started[0] for r in self.active):
            self.log.append({"t": self.t, "what": "holding",
                             "why": "the last action is a non-blocking record"})
            return
        self._finish("completed", "the NCCO ran out of actions")

    def _start_record(self, index: int, body: dict) -> None:
        if not assumptions.RECORDS_CAN_OVERLAP:
            for other in list(self.active):
                self._end_recording(other, "a later record action started")
        rec = RecordingRun(self.new_uuid(), index, dict(body), self.t, rules.is_blocking(body),
                           token=next(self._tokens))
        self.recordings.append(rec)
        self.active.append(rec)
        if body.get("beepStart"):
            self.sounds.append(Sound(APP, "beep", self.t, self.t + assumptions.BEEP_SECONDS))
        limit = body.get("timeOut") or assumptions.DEFAULT_RECORD_TIMEOUT
        reason = "timeOut" if body.get("timeOut") else "the maximum recording length"
        self._at(self.t + limit, "record_end", rec, reason, rec.token)
        if body.get("endOnSilence"):
            self._at(self._silence_from(rec.start) + body["endOnSilence"], "silence_check",
                     rec)
        if rec.blocking:
            self.current = Running(index, "record", next(self._tokens), {"recording": rec})

    def _silence_from(self, start: float) -> float:
        """When the first gap without any sound, long enough to end the recording, begins."""
        spans = sorted((max(s.start, start), s.end) for s in self.sounds
                       if s.end > start and s.kind != "beep")
        cursor = start
        for begin, end in spans:
            if begin - cursor > 0 and begin > cursor:
                return cursor
            cursor = max(cursor, end)
        return cursor

    def _on_silence_check(self, rec: RecordingRun) -> None:
        if rec.end is not None:
            return
        needed = rec.params["endOnSilence"]
        begin = rec.start
        while True:  # find a silent gap of `needed` seconds that has already elapsed
            gap_start = self._silence_from(begin)
            if gap_start == INF:
                return  # a sound that never ends: no silence to wait for
            nxt = min((s.start for s in self.sounds if s.start > gap_start and
                       s.kind != "beep"), default=INF)
            if nxt - gap_start >= needed:
                break
            begin = nxt
        if gap_start + needed <= self.t + 1e-9:
            self._end_recording(rec, f"endOnSilence {needed}")
        else:
            self._at(gap_start + needed, "silence_check", rec)

    def _on_record_end(self, rec: RecordingRun, reason: str, token: int) -> None:
        if rec.end is None and rec.token == token:
            self._end_recording(rec, reason)

    def _end_recording(self, rec: RecordingRun, reason: str) -> None:
        rec.end, rec.ended_by = self.t, reason
        self.active.remove(rec)
        rec.sounds = self._sounds_for(rec.start, rec.end)
        rec.participants = self._participants(rec.start, rec.end)
        rec.network = self._network_reports(rec)
        self.log.append({"t": self.t, "what": "record_end", "index": rec.action_index,
                         "recording_uuid": rec.recording_uuid, "reason": reason})
        self.outbox.append(("recording", rec))
        if self.current and self.current.kind == "record" and \
                self.current.data["recording"] is rec:
            self._complete_current()
        elif self.ended is None and self.current is None and self.pc >= len(self.ncco):
            self._finish("completed", "the recording ended and the NCCO has no more actions")

    def _network_reports(self, rec: RecordingRun) -> list[dict]:
        """What each party's bad network did to its packets while this recording ran."""
        reports = []
        for source, (conditions, seed, answered) in sorted(self.networks.items()):
            leg = next((g for g in self.legs if g.source == source), None)
            stop = min(rec.end, leg.ended if leg and leg.ended is not None else rec.end)
            speech = [(s.start, s.end) for s in rec.sounds
                      if s.source == source and s.kind == "speech"]
            reports.append({"source": source, **conditions.as_json(),
                            **network.report(conditions, seed, max(rec.start, answered),
                                             stop, speech)})
        return reports

    def _participants(self, start: float, end: float) -> list[int]:
        """Who gets a channel in a split recording of [start, end): the people in join order.

        Recording guide, "Multi channel recording": each participant in their own channel,
        in the order they joined (its worked example), extras sharing the last. The first
        leg joined first; connected legs joined when they answered. A leg that left before
        the recording began is skipped (assumptions.CHANNELS_ONLY_FOR_PARTIES_IN_THE_RECORDING).
        """
        legs = sorted((leg for leg in self.legs if leg.answered is not None
                       and leg.answered < end), key=lambda leg: (leg.answered, leg.source))
        if assumptions.CHANNELS_ONLY_FOR_PARTIES_IN_THE_RECORDING:
            legs = [leg for leg in legs if leg.ended is None or leg.ended > start]
        return [FIRST_LEG] + [leg.source for leg in legs]

    def _sounds_for(self, start: float, end: float) -> list[Sound]:
        """What the recording hears: sounds overlapping the window, muted stretches removed."""
        chosen = []
        for sound in self.sounds:
            if sound.end <= start or sound.start >= end:
                continue
            if sound.end == INF:
                sound = _cut(sound, end)
            pieces = [sound]
            if sound.source == FIRST_LEG:
                for mute_start, mute_end in self.mutes:
                    pieces = [p for piece in pieces for p in _remove(piece, mute_start,
                                                                      mute_end)]
            chosen += pieces
        return chosen

    def _play(self, index: int, body: dict, kind: str, once: float) -> None:
        loop = rules.setting(body["action"], body, "loop")
        duration = INF if loop == 0 else once * loop
        seed = _seed(kind, body.get("text") or body.get("streamUrl"))
        text = body.get("text") if kind == "tts" else None
        self.sounds.append(Sound(APP, kind, self.t, self.t + duration, seed=seed, text=text,
                                 voice=TALK_VOICE if text else None))
        if body.get("bargeIn") or self.barge_in:  # stays on until an input (fact sheet §3)
            self.barge_in = True
            self.background.append(len(self.sounds) - 1)
        else:
            self._wait_for(index, body["action"], duration)

    def _stop_ncco_audio(self) -> None:
        """A transfer replaces the NCCO: its talk or stream playing now (bargeIn ones too)
        stops; audio sent into the call through the API (PUT talk/stream) plays on."""
        injected = {i for indexes in self.injected.values() for i in indexes}
        for i, sound in enumerate(self.sounds):
            if sound.source == APP and sound.kind in ("tts", "music") and i not in injected \
                    and sound.start <= self.t < sound.end:
                self.sounds[i] = _cut(sound, self.t)
        self.background = []

    def _start_talk(self, index: int, body: dict) -> None:
        self._play(index, body, "tts", talk_seconds(body["text"]))

    def _start_stream(self, index: int, body: dict) -> None:
        self._play(index, body, "music", stream_seconds(body["streamUrl"][0]))

    def _start_wait(self, index: int, body: dict) -> None:
        self._wait_for(index, "wait", float(rules.setting("wait", body, "timeout")))

    def _start_notify(self, index: int, body: dict) -> None:
        self._emit(body["eventUrl"], body.get("eventMethod", "POST"), body["payload"], "notify")

    def _start_input(self, index: int, body: dict) -> None:
        self.barge_in = False
        running = Running(index, "input", next(self._tokens),
                          {"types": body["type"], "digits": [], "body": body})
        self.current = running
        self._at(self.t + rules.setting("input", body, "dtmf.timeOut"), "input_timeout",
                 running.token)

    def _on_input_timeout(self, token: int) -> None:
        if self.current and self.current.kind == "input" and self.current.token == token:
            self._end_input(timed_out=True)

    def _end_input(self, timed_out: bool) -> None:
        data = self.current.data
        payload = {"from": self.from_number, "to": self.to_number, "uuid": self.uuid,
                   "conversation_uuid": self.conversation_uuid,
                   "dtmf": {"digits": "".join(data["digits"]), "timed_out": timed_out},
                   "speech": {"results": []}, "timestamp": self.iso(self.t)}
        body = data["body"]
        self._emit(body.get("eventUrl"), body.get("eventMethod"), payload, "input")
        self._complete_current()

    def _start_conversation(self, index: int, body: dict) -> None:
        if body.get("record"):
            params = {"eventUrl": body["eventUrl"]} if body.get("eventUrl") else {}
            if body.get("eventMethod"):
                params["eventMethod"] = body["eventMethod"]
            rec = RecordingRun(self.new_uuid(), index, params, self.t, False,
                               token=next(self._tokens))
            self.recordings.append(rec)
            self.active.append(rec)
        self.current = Running(index, "conversation", next(self._tokens))

    def _start_transfer(self, index: int, body: dict) -> None:
        # the legs leave for another conversation; this NCCO is over, the call stays up
        # there (assumptions.TRANSFER_ACTION_HOLDS_CALL)
        self.current = Running(index, "transfer", next(self._tokens))
        if not assumptions.TRANSFER_ACTION_HOLDS_CALL:
            self._finish("completed", "the legs were transferred to another conversation")

    def _start_connect(self, index: int, body: dict) -> None:
        if body["endpoint"][0].get("type") == "websocket":  # sockets.py
            leg = Leg(self.new_uuid(), body["endpoint"][0]["uri"], SOCKET_PARTY,
                      2 + len(self.legs), self.t)
            self.current = Running(index, "connect", next(self._tokens), {"leg": leg,
                                                                          "body": body})
            self._start_socket(index, body, leg)
            return
        number = body["endpoint"][0].get("number", "")
        leg = Leg(self.new_uuid(), number, self.resolve_callee(number), 2 + len(self.legs),
                  self.t)
        self.legs.append(leg)
        running = Running(index, "connect", next(self._tokens), {"leg": leg, "body": body})
        self.current = running
        self._emit_leg(leg, "started")
        self._emit_leg(leg, "ringing")
        timeout = rules.setting("connect", body, "timeout")
        if leg.callee.busy:
            self._end_leg(leg, "busy", status="busy")
        elif leg.callee.answer_after is None or leg.callee.answer_after > timeout:
            self._at(self.t + timeout, "leg_no_answer", leg)
        else:
            self._at(self.t + leg.callee.answer_after, "leg_answer", leg, body.get("limit"))

    def _emit_leg(self, leg: Leg, status: str) -> None:
        body = self.current.data["body"] if self.current and self.current.kind == "connect" \
            else {}
        self._emit(body.get("eventUrl"), body.get("eventMethod"),
                   self._status_payload(status, uuid=leg.uuid, to=leg.number), "status")
        self.log.append({"t": self.t, "what": "leg", "leg": leg.uuid, "number": leg.number,
                         "status": status})

    def _on_leg_answer(self, leg: Leg, limit: float | None) -> None:
        if leg.ended is not None:
            return
        leg.answered = self.t
        self._emit_leg(leg, "answered")
        self._schedule_party(leg.callee, leg.source, self.t, leg)
        self._at(self.t + (limit or rules.ACTION_PARAMS["connect"]["limit"].default),
                 "leg_limit", leg)

    def _on_leg_no_answer(self, leg: Leg) -> None:
        if leg.ended is None:
            self._end_leg(leg, "nobody answered", status="unanswered")

    def _on_leg_limit(self, leg: Leg) -> None:
        if leg.ended is None:
            self._end_leg(leg, "the connect limit was reached")

    def _end_leg(self, leg: Leg, why: str, status: str = "completed") -> None:
        self._emit_leg(leg, status)
        leg.ended = self.t
        self.log.append({"t": self.t, "what": "leg_end", "leg": leg.uuid, "why": why})
        # the party leaves: drop what it would still have said
        self.sounds = [_cut(s, self.t) if s.source == leg.source and s.end > self.t else s
                       for s in self.sounds if not (s.source == leg.source and
                                                    s.start >= self.t)]
        if self.ended is None and self.current and self.current.kind == "connect" and \
                self.current.data["leg"] is leg:
            self._complete_current()

    # --- the end ----
    def _finish(self, status: str, reason: str) -> None:
        if self.ended is not None:
            return
        self.ended, self.end_reason, self.current = self.t, reason, None
        for leg in self.legs:  # the call is marked ended first: a leg ending must not re-run
            if leg.ended is None:  # the NCCO (and so finish the call a second time)
                self._end_leg(leg, "the call ended")
        # everyone stops: drop what would have been said or played after the end
        self.sounds = [_cut(s, self.t) if s.end > self.t else s for s in self.sounds
                       if s.start < self.t]
        finishing = list(self.active)
        self._emit_status(status)
        for rec in finishing:
            self._end_recording(rec, "the call ended")
        self._queue.clear()
        self.log.append({"t": self.t, "what": "end", "reason": reason})

    # --- requests from the API ----
    def check_modifiable(self, what: str) -> None:
        """Raise CallStateError when `what` may not be done to the call now."""
        if self.ended is not None:
            raise CallStateError(assumptions.ENDED_CALL_STATUS, "Bad Request",
                                 f"Cannot {what}: the call has already ended "
                                 f"(status {self.status}).")
        if self.t < assumptions.CALL_SETUP_SECONDS:
            raise CallStateError(400, "Bad Request",
                                 f"Cannot {what} yet: the call is still being set up. "
                                 "Wait about 2 seconds (or for "
                                 "the 'answered' event), then try again.")

    def _check_answered(self, what: str) -> None:
        self.check_modifiable(what)
        if self.answered is None:
            raise CallStateError(400, "Bad Request",
                                 f"Cannot {what}: the call has not been answered yet.")

    def request(self, action: str, **params: Any) -> dict | None:
        """Apply a modify request at the current virtual time."""
        self.log.append({"t": self.t, "what": "request", "request": action})
        if action == "hangup":
            self.check_modifiable("hang up the call")
            self._finish("completed" if self.answered is not None else "cancelled",
                         "hung up through the API")
            return None
        if action in ("mute", "unmute", "earmuff", "unearmuff"):
            self._check_answered(action + " the call")
            spans = self.mutes if action.endswith("mute") else self.earmuffs
            if action in ("mute", "earmuff") and not (spans and spans[-1][1] == INF):
                spans.append([self.t, INF])
            elif action in ("unmute", "unearmuff") and spans and spans[-1][1] == INF:
                spans[-1][1] = self.t
            return None
        if action == "transfer":
            self._check_answered("transfer the call")
            if self.current and self.current.kind == "record":
                rec = self.current.data["recording"]
                self.current = None
                self._end_recording(rec, "the call was transferred")
            if not assumptions.TRANSFER_KEEPS_BACKGROUND_RECORDING:
                for rec in list(self.active):
                    self._end_recording(rec, "the call was transferred")
            running, self.current = self.current, None
            if running is not None:  # the action the transfer cut short ends here
                self.log.append({"t": self.t, "what": "action_end", "index": running.index,
                                 "action": running.kind, "why": "transfer"})
            self._stop_ncco_audio()
            if running and running.kind == "connect":
                self._end_leg(running.data["leg"], "the call was transferred")
            self.ncco, self.pc = list(params["ncco"]), 0
            self._next()
            return None
        if action in ("talk", "stream"):
            self._check_answered(f"play {action} into the call")
            once = talk_seconds(params["text"]) if action == "talk" else \
                stream_seconds(params["stream_url"][0])
            loop = rules.setting("talk", params, "loop")
            kind = "tts" if action == "talk" else "music"
            text = params.get("text") if action == "talk" else None
            self.sounds.append(Sound(APP, kind, self.t, self.t + (INF if loop == 0 else
                                                                   once * loop),
                                     seed=_seed(kind, params.get("text")), text=text,
                                     voice=TALK_VOICE if text else None))
            self.injected[action].append(len(self.sounds) - 1)
            return {"message": f"{'Talk' if action == 'talk' else 'Stream'} started",
                    "uuid": self.uuid}
        if action in ("stop_talk", "stop_stream"):
            self._check_answered("stop " + action[5:])
            for index in self.injected[action[5:]]:
                if self.sounds[index].end > self.t:
                    self.sounds[index] = _cut(self.sounds[index], self.t)
            return {"message": f"{action[5:].capitalize()} stopped", "uuid": self.uuid}
        if action == "dtmf":
            self._check_answered("send DTMF into the call")
            step = assumptions.DTMF_TONE_SECONDS + assumptions.DTMF_GAP_SECONDS
            for i, digit in enumerate(params["digits"]):
                start = self.t + i * step
                self.sounds.append(Sound(APP, "dtmf", start,
                                         start + assumptions.DTMF_TONE_SECONDS, digit=digit))
            return {"message": "DTMF sent", "uuid": self.uuid}
        raise ValueError(action)

    def transcript(self, rec: RecordingRun) -> list[list[tuple[float, float, str]]]:
        """What was said inside a finished recording: per file channel, (start, end, text).

        Talk texts (each loop once) and the people's `say` lines (and `speak` labels), as the
        recording heard them: cut by hang-ups, stop requests, barge-in and mutes; times in
        seconds from the recording's start. Split: each on the channel its audio is on.
        """
        channels = n_channels(rec.split, rec.channels)
        channel_of = channel_map(rec.split, rec.channels, rec.participants)
        lines: list[list[tuple[float, float, str]]] = [[] for _ in range(channels)]
        for sound in rec.sounds:
            if not sound.text or sound.kind not in ("speech", "tts"):
                continue
            origin = sound.start if sound.origin is None else sound.origin
            once = talk_seconds(sound.text) if sound.kind == "tts" else sound.end - origin
            k = math.floor(round((sound.start - origin) / once, 9)) if once > 0 else 0
            while once > 0 and origin + k * once < sound.end:  # each loop of a talk
                a = max(origin + k * once, sound.start, rec.start)
                b = min(origin + (k + 1) * once, sound.end, rec.end)
                if b > a:
                    lines[channel_of(sound.source)].append(
                        (round(a - rec.start, 3), round(b - rec.start, 3), sound.text))
                k += 1
        return [sorted(channel) for channel in lines]

    def utterances_between(self, start: float, end: float) -> list[tuple[float, float, str]]:
        """What was said (script text) inside a recording window, times from its start."""
        ended = self.ended if self.ended is not None else INF
        return [(round(max(a, start) - start, 3), round(min(b, end, ended) - start, 3), text)
                for _source, a, b, text in self.utterances if a < min(end, ended) and b > start]

    # --- what plots read ----
    def timeline(self) -> dict:
        """The call's story in virtual seconds from creation: actions, recordings, keys."""
        return {
            "uuid": self.uuid, "conversation_uuid": self.conversation_uuid,
            "status": self.status, "now": self.t, "answered": self.answered,
            "ended": self.ended, "end_reason": self.end_reason, "log": self.log,
            "recordings": [{"recording_uuid": r.recording_uuid, "action_index": r.action_index,
                            "start": r.start, "end": r.end, "ended_by": r.ended_by,
                            "blocking": r.blocking, "params": r.params,
                            "participants": list(r.participants),
                            "network": r.network} for r in self.recordings],
            "sounds": [{"source": s.source, "kind": s.kind, "start": s.start,
                        "end": None if s.end == INF else s.end, "digit": s.digit}
                       for s in self.sounds],
            "mutes": [[a, None if b == INF else b] for a, b in self.mutes],
            "legs": [{"uuid": g.uuid, "number": g.number, "source": g.source,
                      "answered": g.answered, "ended": g.ended} for g in self.legs],
            "events": self.events,
        }


def _cut(sound: Sound, at: float) -> Sound:
    return replace(sound, end=max(sound.start, at))


def _remove(sound: Sound, start: float, end: float) -> list[Sound]:
    if end <= sound.start or start >= sound.end:
        return [sound]
    pieces = []
    if start > sound.start:
        pieces.append(replace(sound, end=start))
    if end < sound.end:
        # the rest goes on where it was (mid-sentence), not from its beginning
        pieces.append(replace(sound, start=end, origin=sound.start if sound.origin is None
                              else sound.origin))
    return pieces
