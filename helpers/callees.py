"""Scripted phones: who answers the simulator's calls, what they say, press and when they hang up.

A callee is chosen by the number dialled. The built-in personas use Ofcom's drama numbers
(447700900xxx, never a real phone); `PUT /_sim/callees/{number}` adds or replaces one.
Script times run from the moment the callee answers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from . import assumptions, tts
from .network_conditions import NetworkConditions, parse_network


class ScriptError(ValueError):
    """A callee script that cannot be used; `problems` lists each bad field."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(p["reason"] for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Plan:
    """A callee script laid out in time (seconds after the answer)."""

    #: (start, end, text, voice): voice is the espeak-ng voice of a `say` line (its words are
    #: heard), None for a `speak` span (the synthetic voice; text only labels it)
    speech: tuple[tuple[float, float, str, str | None], ...]
    presses: tuple[tuple[float, str], ...]  # (time, digit)
    hangup: float | None  # None: stays on the line, silent, until the call ends


@dataclass(frozen=True)
class Callee:
    """Who picks up: ring time (None: never answers), busy line, and the script."""

    name: str
    description: str
    answer_after: float | None
    script: tuple[dict, ...] = ()
    busy: bool = False
    #: how its audio reaches the platform (jitter, loss); None: a perfect line
    network: NetworkConditions | None = None
    plan: Plan = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "plan", _lay_out(self.script, voice_of(self.name)))

    def as_json(self) -> dict:
        """The callee in the shape `PUT /_sim/callees/{number}` accepts."""
        body = {"answer_after": self.answer_after, "script": list(self.script)}
        if self.busy:
            body["busy"] = True
        if self.network is not None:
            body["network"] = self.network.as_json()
        return body


def voice_of(name: str) -> str:
    """The espeak-ng voice a callee's `say` lines use: picked by its name, so each persona
    (and each custom number) keeps one voice and different people usually sound different."""
    return tts.PARTY_VOICES[zlib.crc32(name.encode()) % len(tts.PARTY_VOICES)]


def _lay_out(script: tuple[dict, ...], voice: str = tts.TALK_VOICE) -> Plan:
    now, speech, presses, hangup = 0.0, [], [], None
    step = assumptions.DTMF_TONE_SECONDS + assumptions.DTMF_GAP_SECONDS
    for item in script:
        if "say" in item:
            text = str(item["say"])
            length = tts.say_seconds(text, voice)
            speech.append((now, now + length, text, voice))
            now += length
        elif "speak" in item:
            speech.append((now, now + float(item["speak"]), str(item.get("text", "")), None))
            now += float(item["speak"])
        elif "silence" in item:
            now += float(item["silence"])
        elif "press" in item:
            for digit in item["press"]:
                presses.append((now, digit))
                now += step
        elif item.get("hangup"):
            hangup = now
            break
    return Plan(tuple(speech), tuple(presses), hangup)


DIGITS = set("0123456789*#")


def parse_callee(number: str, body: object) -> Callee:
    """Check a `PUT /_sim/callees/{number}` body and build the callee; ScriptError if bad.

    The body: `answer_after` (seconds, or null: never answers), `busy`, `script` (steps: say,
    speak, silence, press, hangup) and, optionally, `network`: `{"jitter_ms": 80, "loss":
    0.05}` makes the party's audio reach the platform through a bad line, as a jitter buffer
    with packet loss concealment hears it (ranges: network_conditions.RANGES).
    """
    problems = []

    def bad(name, value, reason):
        problems.append({"name": name, "value": value, "reason": reason})

    if not isinstance(body, dict):
        raise ScriptError([{"name": "body", "value": repr(body)[:80],
                            "reason": "The body must be a JSON object with answer_after and "
                                      "script."}])
    for key in body:
        if key not in ("answer_after", "script", "busy", "network", "name", "description"):
            bad(key, body[key], f"Unknown field {key!r}; use answer_after, script, busy, "
                                "network.")
    answer_after = body.get("answer_after", 1.0)
    if answer_after is not None and (isinstance(answer_after, bool) or
                                     not isinstance(answer_after, (int, float)) or
                                     not 0 <= answer_after <= 120):
        bad("answer_after", answer_after,
            "answer_after must be seconds from 0 to 120, or null for a phone that never answers.")
    busy = body.get("busy", False)
    if not isinstance(busy, bool):
        bad("busy", busy, "busy must be true or false.")
    script = body.get("script", [])
    if not isinstance(script, list):
        bad("script", script, "script must be a list of steps.")
        script = []
    for i, step in enumerate(script):
        name = f"script[{i}]"
        if not isinstance(step, dict) or len(set(step) - {"text"}) != 1:
            bad(name, step, 'Each step is one of {"say": "words"}, {"speak": s}, '
                            '{"silence": s}, {"press": "digits"}, {"hangup": true}.')
            continue
        kind = next(k for k in step if k != "text")
        value = step[kind]
        if kind in ("speak", "silence"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not 0 < value <= 86400:
                bad(f"{name}.{kind}", value, f"{kind} must be seconds, more than 0.")
        elif kind == "say":
            if not isinstance(value, str) or not value.strip() or \
                    len(value) > tts.MAX_SAY_CHARS:
                bad(f"{name}.say", value, "say must be the words to speak, 1 to "
                                          f"{tts.MAX_SAY_CHARS} characters.")
            elif "text" in step:
                bad(f"{name}.text", step["text"], "a say step is its own text: leave out text.")
        elif kind == "press":
            if not isinstance(value, str) or not value or set(value) - DIGITS:
                bad(f"{name}.press", value, "press must be keys from 0-9, * and #, e.g. \"12#\".")
        elif kind == "hangup":
            if value is not True:
                bad(f"{name}.hangup", value, "hangup must be true.")
        else:
            bad(name, step, f"Unknown step {kind!r}; use say, speak, silence, press or hangup.")
    network = None
    if body.get("network") is not None:  # {"jitter_ms": 80, "loss": 0.05}: network_conditions
        network, network_problems = parse_network(body["network"])
        problems += network_problems
    if problems:
        raise ScriptError(problems)
    return Callee(str(body.get("name", f"custom {number}")),
                  str(body.get("description", "set with PUT /_sim/callees")),
                  None if answer_after is None else float(answer_after), tuple(script), busy,
                  network)


def _persona(name: str, description: str, answer_after: float | None, *script: dict,
             busy: bool = False) -> Callee:
    return Callee(name, description, answer_after, tuple(script), busy)


#: The built-in phones, by number. Lessons refer to them by these numbers.
PERSONAS: dict[str, Callee] = {
    "447700900001": _persona(
        "talker", "Answers after 2 s, talks for about 10 s with pauses, then hangs up.", 2.0,
        {"speak": 3.0, "text": "Hello, this is Sam speaking."}, {"silence": 1.0},
        {"speak": 4.0, "text": "I am calling about my order from last week."},
        {"silence": 1.5}, {"speak": 2.0, "text": "Thanks, goodbye."}, {"hangup": True}),
    "447700900002": _persona(
        "presses-hash", "Answers after 1 s, talks, presses # 5 s after answering, talks on, "
        "hangs up at 15 s.", 1.0,
        {"speak": 3.0, "text": "Here is my message."}, {"silence": 2.0}, {"press": "#"},
        {"silence": 1.0}, {"speak": 4.0, "text": "Did that work?"}, {"silence": 4.75},
        {"hangup": True}),
    "447700900003": _persona("never-answers", "Rings and rings; nobody picks up.", None),
    "447700900004": _persona("busy", "The line is busy.", None, busy=True),
    "447700900005": _persona("silent", "Answers after 1 s and never says a word or hangs up.",
                             1.0),
    "447700900006": _persona(
        "voicemail-caller", "Answers after 1 s, waits 2 s, leaves an 8 s message, stays "
        "silent 6 s, then hangs up.", 1.0,
        {"silence": 2.0}, {"speak": 8.0, "text": "Hi, it's Alex. Please call me back about "
                                                 "the invoice. Thanks."},
        {"silence": 6.0}, {"hangup": True}),
    "447700900007": _persona(
        "agent", "An agent to connect to: answers after 6 s, talks in turns, hangs up after "
        "20 s.", 6.0,
        {"speak": 3.0, "text": "Support desk, Jo speaking."}, {"silence": 3.0},
        {"speak": 5.0, "text": "I can see your order here, it ships tomorrow."},
        {"silence": 4.0}, {"speak": 2.0, "text": "Anything else? Bye."}, {"silence": 3.0},
        {"hangup": True}),
    "447700900008": _persona(
        "keypad", "Answers after 1 s, waits 2 s, types 1 2 3 4 #, then talks and hangs up at "
        "12 s.", 1.0,
        {"silence": 2.0}, {"press": "1234#"}, {"silence": 1.0},
        {"speak": 3.0, "text": "I typed my account number."}, {"silence": 4.75},
        {"hangup": True}),
    "447700900009": _persona(
        "early-presser", "Answers after 1 s and presses 1 one second in, while a prompt is "
        "probably still playing; then waits silently and hangs up at 20 s.", 1.0,
        {"silence": 1.0}, {"press": "1"}, {"silence": 18.75}, {"hangup": True}),
    "447700900010": _persona(
        "long-talker", "Answers after 1 s, talks for 40 s in long sentences, then hangs up.",
        1.0, *[item for _ in range(5) for item in ({"speak": 6.0}, {"silence": 2.0})],
        {"hangup": True}),
}

#: Who answers a number that no persona and no custom script claims.
DEFAULT_CALLEE = PERSONAS["447700900001"]


def persona_table() -> list[dict[str, str]]:
    """Rows for the documentation table of built-in callees."""
    return [{"number": number, "persona": c.name, "behaviour": c.description}
            for number, c in PERSONAS.items()]


#: Persona names to numbers, e.g. NUMBERS["presses-hash"] == "447700900002".
NUMBERS: dict[str, str] = {callee.name: number for number, callee in PERSONAS.items()}
