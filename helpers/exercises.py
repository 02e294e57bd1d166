"""Self-checks for the lessons' exercises: run the trainee's NCCO and say right or wrong, and why.

No answer is hidden in a string: each check validates the NCCO with the rules, runs it on the
simulator against the callee the exercise names, and reads the outcome off the call's
timeline — the same evidence a trainee can plot.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import rules
from .calls import CallResult, run_call
from .client import Lab

AGENT = "447700900007"


@dataclass
class Verdict:
    """The result of a self-check: passed or not, and a sentence saying why."""

    passed: bool
    why: str

    def __repr__(self) -> str:
        return ("\u2705 Right: " if self.passed else "\u274c Not yet: ") + self.why

    def _repr_html_(self) -> str:
        colour = "#1b7f3b" if self.passed else "#b3261e"
        word = "Right" if self.passed else "Not yet"
        return f'<p style="color:{colour}"><b>{word}:</b> {self.why}</p>'


def _invalid(ncco: object) -> Verdict | None:
    problems = rules.validate(ncco)
    if problems:
        return Verdict(False, "the NCCO is not valid: " + "; ".join(str(p) for p in problems))
    return None


def _answered(result: CallResult) -> float:
    return result.timeline["answered"] or 0.0


def _windows(result: CallResult) -> list[tuple[float, float, str]]:
    start = _answered(result)
    return [(r["start"] - start, r["end"] - start, r["ended_by"])
            for r in result.timeline["recordings"]]


def _run(lab: Lab, ncco: list[dict], to: str, folder: str) -> Verdict | CallResult:
    """The trainee's call, or the verdict that the NCCO is not valid (no call placed)."""
    return _invalid(ncco) or run_call(lab, ncco, to, folder=folder)


def check_records_until_key(lab: Lab, ncco: list[dict], key: str, *, callee: str,
                            folder: str = "recordings") -> Verdict:
    """Exercise: record only until the caller presses `key`, then move on."""
    result = _run(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    windows = _windows(result)
    if not windows:
        return Verdict(False, "nothing was recorded: the NCCO needs a record action.")
    ended = [w for w in windows if w[2] == f"endOnKey {key}"]
    if not ended:
        reasons = ", ".join(w[2] for w in windows)
        return Verdict(False, f"the recording ended with \u201c{reasons}\u201d, not the {key} key. "
                              f"Set endOnKey to {key!r} on the record action.")
    return Verdict(True, f"the recording ran {ended[0][0]:.1f}-{ended[0][1]:.1f} s after the "
                         f"answer and stopped when {key} was pressed; the NCCO then went on.")


def check_whole_call(lab: Lab, ncco: list[dict], *, callee: str,
                     folder: str = "recordings") -> Verdict:
    """Exercise: the recording must cover the call from the answer to its end."""
    result = _run(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    end = result.timeline["ended"] - _answered(result)
    for start, stop, _ in _windows(result):
        if start <= 0.01 and stop >= end - 0.01:
            return Verdict(True, f"the recording spans the whole call, 0-{end:.1f} s.")
    spans = ", ".join(f"{a:.1f}-{b:.1f} s ({why})" for a, b, why in _windows(result)) or "none"
    return Verdict(False, f"the call lasted 0-{end:.1f} s but the recording covered {spans}. "
                          "Put record first and set none of endOnSilence, timeOut, endOnKey.")


def check_agent_not_recorded(lab: Lab, ncco: list[dict],
                             folder: str = "recordings") -> Verdict:
    """Exercise: record the caller's message but keep the connected agent out of every file."""
    bad = _invalid(ncco)
    if bad:
        return bad
    if not any(a.get("action") == "connect" for a in ncco):
        return Verdict(False, f"the exercise connects the caller to the agent ({AGENT}); add "
                              "that connect action.")
    result = _run(lab, ncco, "447700900006", folder)
    story = result.timeline
    agent_speech = [s for s in story["sounds"] if s["source"] >= 2 and s["kind"] == "speech"]
    if not story["recordings"]:
        return Verdict(False, "nothing was recorded at all: the caller's message is needed.")
    for rec in story["recordings"]:
        for sound in agent_speech:
            if sound["start"] < rec["end"] and sound["end"] > rec["start"]:
                return Verdict(False, "the agent's voice is in a recording: it runs until "
                                      f"{rec['ended_by']}, past the connect. End the recording "
                                      "before connecting (a blocking record), or split the "
                                      "channels and drop the agent's afterwards.")
    return Verdict(True, "the caller was recorded and the agent never was.")


def check_blocking(ncco: list[dict], index: int, should_block: bool) -> Verdict:
    """Exercise: make record action `index` block (or not) — checked by the rules alone."""
    bad = _invalid(ncco)
    if bad:
        return bad
    action = ncco[index] if 0 <= index < len(ncco) else {}
    if action.get("action") != "record":
        return Verdict(False, f"action {index} is not a record action.")
    blocks = rules.is_blocking(action)
    reason = rules.blocking_reason(action)
    if blocks == should_block:
        return Verdict(True, reason)
    return Verdict(False, reason)


def check_split_channels(lab: Lab, ncco: list[dict], channels: int, *, callee: str,
                         folder: str = "recordings") -> Verdict:
    """Exercise: produce a recording with `channels` separate channels."""
    result = _run(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    if not result.files:
        return Verdict(False, "no recording arrived.")
    from .recordings import load

    got = load(result.files[0]).channels
    if got == channels:
        return Verdict(True, f"the file has {got} channels, one per party.")
    hint = " Set split to 'conversation'." if got == 1 else ""
    return Verdict(False, f"the file has {got} channel(s), not {channels}.{hint}")
