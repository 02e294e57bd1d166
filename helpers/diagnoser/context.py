"""What the diagnoser's checks read: the NCCO as parsed, the callee's script and, when a test
call was simulated, its timeline, with every time turned into seconds from the answer.

Kept apart from the checks so each check stays a few lines of reading and one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import assumptions, rules
from ..assumptions import stream_seconds
from ..call_timeline import CALLER, CallTimeline, Window
from ..callees import Callee
from ..tts import talk_seconds  # the simulator's TTS length (words estimate without it)

BLOCKING_BEFORE = ("talk", "stream", "wait", "input")  # hold the NCCO for a while, then end


@dataclass(frozen=True)
class Finding:
    """One classic mistake: a stable code, the action it is about, what is wrong, the fix."""

    code: str
    index: int | None
    message: str
    fix: str
    #: the assumptions.LABELS names the message rests on: each adds its one-line label
    assumptions: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = "" if self.index is None else f" action {self.index}"
        labels = "".join(f"\n    {assumptions.label(name)}" for name in self.assumptions)
        return f"[{self.code}]{where}: {self.message}{labels}\n    Fix: {self.fix}"


@dataclass
class Context:
    """The NCCO, the callee and (after a simulated call) its timeline, for the checks."""

    actions: list[Any]
    valid: bool
    callee: Callee | None = None
    callee_label: str = ""
    timeline: CallTimeline | None = None
    sdk_version: str = ""
    receiver_base: str = ""
    extra: dict = field(default_factory=dict)

    # --- the NCCO ------------------------------------------------------------------------
    def kind(self, index: int) -> str | None:
        """The action name at `index`, None for anything that is not an action object."""
        body = self.actions[index] if 0 <= index < len(self.actions) else None
        name = body.get("action") if isinstance(body, dict) else None
        return name if isinstance(name, str) else None

    def bodies(self, *kinds: str) -> list[tuple[int, dict]]:
        """(index, body) of every action of these kinds, in order."""
        return [(i, a) for i, a in enumerate(self.actions) if self.kind(i) in kinds]

    def records(self) -> list[tuple[int, dict]]:
        return self.bodies("record")

    def recorders(self) -> list[int]:
        """Indexes of every action that makes a recording (record, conversation with record)."""
        return [i for i, a in enumerate(self.actions) if self.kind(i) == "record" or (
            self.kind(i) == "conversation" and a.get("record") is True)]

    def endless(self, index: int) -> str | None:
        """Why the action at `index` never finishes, or None when it does."""
        body, kind = self.actions[index], self.kind(index)
        if kind in ("talk", "stream") and body.get("loop") == 0 and body.get("bargeIn") is not True:
            return (f"loop 0 repeats the {kind} until the call ends, and a {kind} without "
                    "bargeIn holds the NCCO while it plays")
        if kind == "conversation":
            return ("a conversation holds the NCCO for as long as the caller is in it, which "
                    "for this call means until they hang up")
        if kind == "transfer":  # moves the legs to another conversation (fact sheet §3)
            return ("a transfer moves the call into another conversation and this NCCO ends "
                    "there")
        return None

    def duration(self, index: int) -> float | None:
        """About how long a synchronous action holds the NCCO (None: cannot tell)."""
        body, kind = self.actions[index], self.kind(index)
        params = rules.ACTION_PARAMS.get(kind or "", {})
        try:
            loop = body.get("loop", params["loop"].default) if "loop" in params else 1
            if kind == "talk" and body.get("bargeIn") is not True:
                return talk_seconds(str(body.get("text", ""))) * loop
            if kind == "stream" and body.get("bargeIn") is not True:
                return stream_seconds(str((body.get("streamUrl") or [""])[0])) * loop
            if kind == "wait":
                return float(body.get("timeout", params["timeout"].default))
            if kind == "input":
                dtmf = body.get("dtmf") if isinstance(body.get("dtmf"), dict) else {}
                return float(dtmf.get("timeOut", rules.DTMF_FIELDS["timeOut"].default))
        except (TypeError, ValueError, IndexError, KeyError, AttributeError):
            return None  # e.g. a streamUrl that is an object: the rules report it; no length
        return 0.0 if kind in ("notify", "talk", "stream") else None

    def describe(self, index: int) -> str:
        """An action in a few words: talk “Please leave…”, connect to 447700900007, ..."""
        body = self.actions[index]
        try:
            return rules._describe_action(body)
        except (TypeError, AttributeError, IndexError):
            return str(self.kind(index))

    # --- the callee ----------------------------------------------------------------------
    def presses_planned(self) -> list[tuple[float, str]] | None:
        """(seconds after the answer, key) the callee will press; None when unknown."""
        return None if self.callee is None else list(self.callee.plan.presses)

    # --- the simulated call --------------------------------------------------------------
    @property
    def simulated(self) -> bool:
        return self.timeline is not None

    @property
    def answered(self) -> float | None:
        return None if self.timeline is None else self.timeline.answered

    def rel(self, t: float | None) -> float:
        """Virtual seconds from creation to seconds from the answer (None: the call's end)."""
        if self.timeline is None:
            return 0.0 if t is None else t
        return self.timeline.rel(t)

    def window(self, index: int) -> Window | None:
        """The simulated recording of action `index`, times from the answer; None if none."""
        runs = () if self.timeline is None else self.timeline.recordings
        run = next((r for r in runs if r.action_index == index), None)
        return None if run is None else self.timeline.window(run)

    def windows(self) -> list[Window]:
        return [] if self.timeline is None else self.timeline.windows()

    def action_span(self, index: int) -> tuple[float, float] | None:
        """When action `index` ran, from the timeline's log, in seconds from the answer."""
        log = () if self.timeline is None else self.timeline.log
        start = next((e["t"] for e in log if e["what"] == "action" and e["index"] == index),
                     None)
        if start is None:
            return None
        end = next((e["t"] for e in log if e["what"] == "action_end" and e["index"] == index),
                   None)
        return self.rel(start), self.rel(end)

    def spans(self, sources: tuple[int, ...] | None = (CALLER,),
              kinds: tuple[str, ...] = ("speech",)) -> list[tuple[float, float]]:
        """(start, end) from the answer of the sounds of these sources and kinds."""
        return [] if self.timeline is None else self.timeline.spans(sources, kinds)

    def other_party(self) -> tuple[int, ...]:
        """Sound sources of the legs a connect joined."""
        return () if self.timeline is None else tuple(leg.source for leg in self.timeline.legs)

    def presses(self) -> list[dict]:
        """The caller's key presses, each with `at` (seconds from the answer) and its effect."""
        return [] if self.timeline is None else [
            p for p in self.timeline.presses() if p.get("source") == CALLER]

    def end_reason(self) -> str:
        tl = self.timeline
        return f"{self.rel(None):.1f} s after the answer ({tl.end_reason if tl else None})"


def spans_text(spans: list[tuple[float, float]]) -> str:
    """'0.0–3.0, 4.0–8.0 s' (at most six spans, then '…')."""
    shown = ", ".join(f"{a:.1f}\u2013{b:.1f}" for a, b in spans[:6])
    return shown + (", \u2026" if len(spans) > 6 else "") + " s"


def names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]



Check = Callable[[Context], list[Finding]]
#: Every check, in the order the report lists their findings; `@check` adds one.
CHECKS: list[Check] = []


def check(func: Check) -> Check:
    """Register a check: a function from a Context to the Findings it sees."""
    CHECKS.append(func)
    return func
