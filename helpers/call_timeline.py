"""A call's timeline, typed: what the simulator saw happen on one call, built once, read everywhere.

The simulator's `/_sim/calls/{uuid}/timeline` answers in virtual seconds from the call's
creation. Trainees, plots and checks think in seconds **from the answer**, so `CallTimeline`
turns one into the other in one place (`rel`), and gives each recording as a `Window` in those
seconds. Every view, plot, self-check, the diagnoser and the call runner read this object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .event_text import event_kind

#: Sound sources on a timeline: the first leg (the person called, or the caller of an inbound
#: call), then what the NCCO itself plays; legs added by `connect` come after, from 2 up.
CALLER, APP = 0, 1


@dataclass(frozen=True)
class RecordingRun:
    """One record action's recording, in virtual seconds from the call's creation."""

    recording_uuid: str
    action_index: int
    start: float
    end: float | None  # None while it still runs
    ended_by: str | None
    blocking: bool
    params: dict
    #: sound sources of the people it recorded, in join order: with split, participant i
    #: is on channel i (the last channel takes the rest); empty while it still runs
    participants: tuple[int, ...] = ()
    #: per party whose script sets network conditions: those conditions and what the jitter
    #: buffer did to its packets during the recording (packets, lost, late, dropped,
    #: concealed, silenced, dropped_in_speech, measured_jitter_ms; helpers/simulator/network.py)
    network: tuple[dict, ...] = ()


@dataclass(frozen=True)
class SoundSpan:
    """One sound on the call: who made it (source 0 is the first leg), what, when."""

    source: int
    kind: str  # speech, tts, music, beep, dtmf, ...
    start: float
    end: float | None  # None: it lasts until the call ends
    digit: str | None = None


@dataclass(frozen=True)
class Leg:
    """A leg a `connect` added: its number, its sound source, when it answered and ended."""

    uuid: str
    number: str
    source: int
    answered: float | None
    ended: float | None


@dataclass(frozen=True)
class Window:
    """A recording as a trainee reads it: seconds from the answer, and what ended it."""

    action: int
    start: float
    end: float
    ended_by: str | None
    run: RecordingRun

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class EventRow:
    """A webhook the simulator sent: seconds from the answer, what it was, where it went."""

    at: float
    kind: str
    method: str
    url: str | None
    payload: dict


@dataclass(frozen=True)
class CallTimeline:
    """What happened on one simulated call (times in virtual seconds from its creation)."""

    uuid: str
    conversation_uuid: str
    status: str
    now: float
    answered: float | None
    ended: float | None
    end_reason: str | None
    log: tuple[dict, ...]
    recordings: tuple[RecordingRun, ...]
    sounds: tuple[SoundSpan, ...]
    mutes: tuple[tuple[float, float | None], ...]
    legs: tuple[Leg, ...]
    events: tuple[dict, ...]
    deliveries: tuple[dict, ...] = ()  # each webhook delivery attempt and its answer
    pace: float | None = None  # 1.0: the call runs in real time; None: as fast as possible
    delivered: bool = True  # every webhook of the call has been delivered

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> CallTimeline:
        """The timeline from the simulator's JSON answer."""
        return cls(
            uuid=body["uuid"], conversation_uuid=body["conversation_uuid"],
            status=body["status"], now=body["now"], answered=body["answered"],
            ended=body["ended"], end_reason=body["end_reason"], log=tuple(body["log"]),
            recordings=tuple(RecordingRun(**{**r, "participants": tuple(r.get("participants", ())),
                                             "network": tuple(r.get("network", ()))})
                             for r in body["recordings"]),
            sounds=tuple(SoundSpan(**s) for s in body["sounds"]),
            mutes=tuple((a, b) for a, b in body["mutes"]),
            legs=tuple(Leg(**g) for g in body["legs"]),
            events=tuple(body["events"]), deliveries=tuple(body.get("deliveries", ())),
            pace=body.get("pace"), delivered=body.get("delivered", True))

    @property
    def zero(self) -> float:
        """The moment times are counted from: the answer, or the creation if never answered."""
        return self.answered if self.answered is not None else 0.0

    @property
    def end(self) -> float:
        """When the call ended, or the simulator's present moment if it still runs."""
        return self.ended if self.ended is not None else self.now

    @property
    def was_answered(self) -> bool:
        return self.answered is not None

    def rel(self, t: float | None) -> float:
        """Virtual seconds from creation to seconds from the answer (None: the call's end)."""
        return (self.end if t is None else t) - self.zero

    def duration(self) -> float:
        """Seconds from the answer to the end of the call."""
        return self.rel(None)

    def window(self, run: RecordingRun) -> Window:
        """One recording in seconds from the answer (a running one ends with the call)."""
        return Window(run.action_index, self.rel(run.start), self.rel(run.end), run.ended_by, run)

    def windows(self) -> list[Window]:
        """Every recording, in the order they started."""
        return [self.window(run) for run in self.recordings]

    def presses(self) -> list[dict]:
        """The log's key presses, each with `at`: seconds from the answer."""
        return [{**e, "at": self.rel(e["t"])} for e in self.log if e["what"] == "press"]

    def spans(self, sources: tuple[int, ...] | None = None,
              kinds: tuple[str, ...] = ("speech",)) -> list[tuple[float, float]]:
        """(start, end) from the answer of the sounds of these sources and kinds."""
        return sorted((self.rel(s.start), self.rel(s.end)) for s in self.sounds
                      if (sources is None or s.source in sources) and s.kind in kinds)

    def first_heard(self) -> float | None:
        """Seconds from the answer until the caller first hears the NCCO's own audio (a talk,
        a stream, a beep); None if it never plays."""
        spans = self.spans((APP,), ("tts", "music", "beep"))
        return spans[0][0] if spans else None

    def answer_wait(self) -> float:
        """Seconds the answer URL took to reply, as the simulator counted them (0 when it
        replied at once; assumptions.ANSWER_SECONDS_HEADER)."""
        asked = next((e["t"] for e in self.log if e["what"] == "answer_request"), None)
        reply = next((e["t"] for e in self.log if e["what"] == "answer_reply"), None)
        return 0.0 if asked is None or reply is None else reply - asked

    def event_rows(self) -> list[EventRow]:
        """The webhooks the simulator sent for this call, in time order."""
        rows = [EventRow(self.rel(e["t"]), "notify" if e["kind"] == "notify" else
                         event_kind(e["payload"]), e["method"], e["url"], e["payload"])
                for e in self.events]
        return sorted(rows, key=lambda row: row.at)


def as_timeline(value: CallTimeline | dict[str, Any]) -> CallTimeline:
    """A CallTimeline from itself or from the simulator's JSON (for callers holding the dict)."""
    return value if isinstance(value, CallTimeline) else CallTimeline.from_json(value)
