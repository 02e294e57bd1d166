"""Self-checks for lesson 14 (jitter, packet loss and MOS): each places a real test call, or
computes the same estimate the lesson computes, and says why."""

from __future__ import annotations

from typing import Any

from ..calls import run_call, set_callee
from ..client import Lab
from ..network_conditions import parse_network
from ..network_report import network_reports
from ..quality import estimate_mos
from ..verdict import Verdict
from .misses import remembers_misses

__all__ = ["LINE_TEST_NUMBER", "check_fine_line", "check_buffer_choice"]

#: The phone the line check scripts with the trainee's network conditions.
LINE_TEST_NUMBER = "447700900140"
LINE_TEST_SCRIPT = [{"say": "Hi, I'm calling about the delivery of my new sofa."},
                    {"silence": 1}, {"speak": 6, "text": "the rest of my question"},
                    {"hangup": True}]
FINE_R = 70.0  # G.109: R of 70 or more is "medium" quality or better


@remembers_misses
def check_fine_line(lab: Lab, network: Any, *, folder: str = "recordings") -> Verdict:
    """Exercise: a line that loses some of the speaker's packets (the recording shows
    concealed packets) yet still rates R >= 70 (estimated MOS about 3.6 or better)."""
    conditions, problems = parse_network(network)
    if problems:
        return Verdict(False, "the network conditions are not valid: "
                       + " ".join(p["reason"] for p in problems))
    set_callee(lab, LINE_TEST_NUMBER, LINE_TEST_SCRIPT, answer_after=1,
               network=conditions.as_json())
    result = run_call(lab, [{"action": "record", "format": "wav"},
                            {"action": "wait", "timeout": 15}], LINE_TEST_NUMBER, folder=folder)
    reports = network_reports(result.timeline)
    dropped = reports[0]["dropped_in_speech"] if reports else 0
    estimate = estimate_mos(conditions.loss, conditions.jitter_ms)
    if dropped == 0:
        return Verdict(False, "every packet of the caller's speech arrived in time: the "
                              "recording is perfect. Give the line some loss or jitter.")
    if estimate.r < FINE_R:
        return Verdict(False, f"{dropped} packets of speech were dropped, and the {estimate}. "
                              f"That is below R {FINE_R:g}: customers would call it bad. "
                              "Which of jitter and loss costs more?")
    return Verdict(True, f"{dropped} packets of speech were concealed, yet the {estimate}: "
                         "a few concealed packets are barely heard.")


@remembers_misses
def check_buffer_choice(buffer_ms: Any, *, loss: float, jitter_ms: float,
                        delay_ms: float, tolerance: float = 0.05) -> Verdict:
    """Exercise: the jitter buffer depth (20-400 ms, a multiple of 10) whose estimated MOS is
    best for this line, within `tolerance`: too small drops packets, too big adds delay."""
    if isinstance(buffer_ms, bool) or not isinstance(buffer_ms, (int, float)) or \
            not 20 <= buffer_ms <= 400:
        return Verdict(False, f"buffer_ms must be milliseconds from 20 to 400; you gave "
                              f"{buffer_ms!r}.")
    scores = {depth: estimate_mos(loss, jitter_ms, delay_ms, jitter_buffer_ms=depth).mos
              for depth in range(20, 401, 10)}
    best = max(scores.values())
    mine = estimate_mos(loss, jitter_ms, delay_ms, jitter_buffer_ms=buffer_ms)
    if mine.mos >= best - tolerance:
        return Verdict(True, f"with a {buffer_ms:g} ms buffer the {mine}; no depth does "
                             f"better than {best:.2f}.")
    shallower = estimate_mos(loss, jitter_ms, delay_ms, jitter_buffer_ms=max(20, buffer_ms - 40))
    hint = ("a deeper buffer drops fewer late packets" if shallower.mos <= mine.mos else
            "a shallower buffer adds less delay")
    return Verdict(False, f"with a {buffer_ms:g} ms buffer the {mine}, but another depth "
                          f"reaches {best:.2f}: {hint}.")
