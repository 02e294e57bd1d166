"""A party's network conditions: their shape in a callee script, their ranges, the jitter model.

`{"network": {"jitter_ms": 80, "loss": 0.05}}` in a callee script (helpers/callees.py) makes the
simulator degrade that party's audio in recordings (helpers/simulator/network.py); the MOS
estimate (helpers/quality.py) reads the same ranges and the same jitter model, so what a trainee
hears and the figure they compute rest on one set of numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .assumptions import JITTER_BUFFER_MS

#: Each field once: (lowest, highest, what it is). Validation messages are built from these.
RANGES: dict[str, tuple[float, float, str]] = {
    "jitter_ms": (0.0, 500.0, "the mean variation of the packets' delay, in milliseconds"),
    "loss": (0.0, 1.0, "the share of packets the network loses, from 0 (none) to 1 (all)"),
}


@dataclass(frozen=True)
class NetworkConditions:
    """How one party's audio travels to the platform: jitter (ms) and random packet loss."""

    jitter_ms: float = 0.0
    loss: float = 0.0

    def as_json(self) -> dict:
        return {"jitter_ms": self.jitter_ms, "loss": self.loss}


def check_value(name: str, value: object, where: str = "") -> str | None:
    """The problem with one field's value (a sentence naming it), or None when it is fine."""
    low, high, meaning = RANGES[name]
    # the comparison refuses NaN and infinities too, and never overflows on a huge integer
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not low <= value <= high:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        return f"{where}{name} must be a number from {low:g} to {high:g} ({meaning}); " \
               f"you gave {shown}."
    return None


def parse_network(value: object, where: str = "network") -> tuple[NetworkConditions | None,
                                                                   list[dict]]:
    """Read a script's `network` object: (conditions, problems). Each problem names its field,
    e.g. `network.loss`, as the simulator's 400 answers do."""
    if not isinstance(value, dict):
        return None, [{"name": where, "value": value, "reason": f"{where} must be an object "
                       'such as {"jitter_ms": 80, "loss": 0.05}.'}]
    problems = [{"name": f"{where}.{key}", "value": value[key],
                 "reason": f"Unknown field {key!r} in {where}; use {', '.join(RANGES)}."}
                for key in value if key not in RANGES]
    for name in RANGES:
        if name in value:
            reason = check_value(name, value[name], f"{where}.")
            if reason:
                problems.append({"name": f"{where}.{name}", "value": value[name],
                                 "reason": reason})
    if problems:
        return None, problems
    return NetworkConditions(float(value.get("jitter_ms", 0.0)),
                             float(value.get("loss", 0.0))), []


def late_fraction(jitter_ms: float, buffer_ms: float = JITTER_BUFFER_MS) -> float:
    """The share of packets that arrive after the jitter buffer has played their slot.

    Lab assumption (assumptions.JITTER_BUFFER_MS): each packet's extra delay is exponential
    with mean `jitter_ms`, so a packet is late with probability exp(-buffer / jitter).
    """
    if jitter_ms <= 0:
        return 0.0
    return math.exp(-buffer_ms / jitter_ms)


def dropped_fraction(loss: float, jitter_ms: float,
                     buffer_ms: float = JITTER_BUFFER_MS) -> float:
    """Packets the listener never gets in time: lost on the way, or late (independent)."""
    return 1.0 - (1.0 - loss) * (1.0 - late_fraction(jitter_ms, buffer_ms))
