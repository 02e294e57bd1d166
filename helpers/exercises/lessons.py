"""Self-checks for the lessons' exercises: run the trainee's NCCO and say right or wrong, and why.

No answer is hidden in a string: each check validates the NCCO with the rules, runs it on the
simulator against the callee the exercise names, and reads the outcome off the call's
timeline — the same evidence a trainee can plot. Lesson 00's two checks judge the calls the
trainee's cell has just placed (its first lesson: no call behind their back).
"""

from __future__ import annotations

from .. import rules
from ..callees import NUMBERS
from ..calls import CallResult, run_call
from ..client import Lab
from ..verdict import Verdict, invalid_ncco
from .misses import remembers_misses

AGENT = NUMBERS["agent"]
SILENT = NUMBERS["silent"]


def _talk_text(ncco: list[dict]) -> str:
    return " ".join(str(a.get("text", "")) for a in ncco if a.get("action") == "talk")


def _recorded_seconds(result: CallResult) -> float:
    return sum(w.length for w in result.timeline.windows()) if result.timeline else 0.0


@remembers_misses
def check_longer_greeting(result: CallResult, first: CallResult) -> Verdict:
    """Lesson 00, exercise 1: a longer greeting than the first call's, and what it did."""
    if result.timeline is None or first.timeline is None:
        return Verdict(False, "this check reads the simulator's timeline: run it in simulator "
                              "mode.")
    if len(_talk_text(result.ncco)) <= len(_talk_text(first.ncco)):
        return Verdict(False, "the greeting is no longer than the first call's: add words to "
                              "the talk action's text and run the cell again.")
    now, before = _recorded_seconds(result), _recorded_seconds(first)
    if now <= before + 0.1:
        return Verdict(False, f"the recording lasts {now:.1f} s, no longer than the first "
                              f"({before:.1f} s). Read describe(...): what ended the call?")
    why = (f"the recording grew from {before:.1f} s to {now:.1f} s. The call ended when "
           f"{result.timeline.end_reason}")
    if "hung up" in (result.timeline.end_reason or ""):
        return Verdict(True, why + ", before your greeting was over: TALKER hangs up after "
                                   "about 10 s, and a recording ends with the call.")
    return Verdict(True, why + ": the talk is the last action, so a longer greeting keeps the "
                               "call, and the recording, going.")


@remembers_misses
def check_called_silent(result: CallResult) -> Verdict:
    """Lesson 00, exercise 2: the call went to SILENT; what ended it, then?"""
    if result.to != SILENT:
        return Verdict(False, f"this call went to {result.to}, not SILENT ({SILENT}): "
                              "write to=SILENT in run_call(...).")
    story = result.timeline
    if story is None or not story.was_answered:
        return Verdict(False, "the call was not answered: run the cell again.")
    return Verdict(True, f"SILENT never hangs up, yet the call ended {story.duration():.1f} s "
                         f"after the answer: {story.end_reason}. A call ends when its NCCO "
                         "runs out, whoever is on the line.")


def _windows(result: CallResult) -> list[tuple[float, float, str]]:
    return [(w.start, w.end, w.ended_by) for w in result.timeline.windows()]


def run_checked(lab: Lab, ncco: list[dict], to: str, folder: str) -> Verdict | CallResult:
    """The trainee's call, or the verdict that the NCCO is not valid (no call placed)."""
    return invalid_ncco(ncco) or run_call(lab, ncco, to, folder=folder)


@remembers_misses
def check_records_until_key(lab: Lab, ncco: list[dict], key: str, *, callee: str,
                            folder: str = "recordings") -> Verdict:
    """Exercise: record only until the caller presses `key`, then move on."""
    result = run_checked(lab, ncco, callee, folder)
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


@remembers_misses
def check_message_after_prompt(lab: Lab, ncco: list[dict], key: str, *, callee: str,
                               folder: str = "recordings") -> Verdict:
    """Exercise (lesson 04): play the prompt, then record the caller's message until `key`.

    The point is the order: a record placed before the prompt records the prompt, not the
    message, even when it ends on the right key.
    """
    result = run_checked(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    story = result.timeline
    windows = story.windows()
    if not windows:
        return Verdict(False, "nothing was recorded: the NCCO needs a record action.")
    prompts = story.spans(kinds=("tts", "music"))
    if not prompts:
        return Verdict(False, "the caller heard no prompt: play a talk (\"Please leave a "
                              "message after the tone\") before the record.")
    prompt_end = max(end for _, end in prompts if end is not None)
    late = [w for w in windows if w.start < prompt_end - 0.05]
    if late:
        return Verdict(False, f"the recording started at {late[0].start:.1f} s, before the "
                              f"prompt had finished (at {prompt_end:.1f} s): it records the "
                              "prompt, not the message. Put the record after the talk.")
    ended = [w for w in windows if w.ended_by == f"endOnKey {key}"]
    if not ended:
        reasons = ", ".join(str(w.ended_by) for w in windows)
        return Verdict(False, f"the recording ended with \u201c{reasons}\u201d, not the {key} key. "
                              f"Set endOnKey to {key!r} on the record action.")
    return Verdict(True, f"the prompt played first (until {prompt_end:.1f} s), then the "
                         f"recording ran {ended[0].start:.1f}-{ended[0].end:.1f} s and stopped "
                         f"when {key} was pressed: the message, and nothing but the message.")


@remembers_misses
def check_whole_call(lab: Lab, ncco: list[dict], *, callee: str,
                     folder: str = "recordings") -> Verdict:
    """Exercise: the recording must cover the call from the answer to its end."""
    result = run_checked(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    end = result.timeline.duration()
    for start, stop, _ in _windows(result):
        if start <= 0.01 and stop >= end - 0.01:
            return Verdict(True, f"the recording spans the whole call, 0-{end:.1f} s.")
    spans = ", ".join(f"{a:.1f}-{b:.1f} s ({why})" for a, b, why in _windows(result)) or "none"
    return Verdict(False, f"the call lasted 0-{end:.1f} s but the recording covered {spans}. "
                          "Put record first and set none of endOnSilence, timeOut, endOnKey.")


@remembers_misses
def check_agent_not_recorded(lab: Lab, ncco: list[dict],
                             folder: str = "recordings") -> Verdict:
    """Exercise: record the caller's message but keep the connected agent out of every file."""
    bad = invalid_ncco(ncco)
    if bad:
        return bad
    if not any(a.get("action") == "connect" for a in ncco):
        return Verdict(False, f"the exercise connects the caller to the agent ({AGENT}); add "
                              "that connect action.")
    result = run_checked(lab, ncco, NUMBERS["voicemail-caller"], folder)
    story = result.timeline
    agent_speech = story.spans(sources=tuple(leg.source for leg in story.legs))
    if not story.recordings:
        return Verdict(False, "nothing was recorded at all: the caller's message is needed.")
    for rec in story.windows():
        for start, end in agent_speech:
            if start < rec.end and end > rec.start:
                return Verdict(False, "the agent's voice is in a recording: it runs until "
                                      f"{rec.ended_by}, past the connect. End the recording "
                                      "before connecting (a blocking record), or split the "
                                      "channels and drop the agent's afterwards.")
    return Verdict(True, "the caller was recorded and the agent never was.")


@remembers_misses
def check_blocking(ncco: list[dict], index: int, should_block: bool) -> Verdict:
    """Exercise: make record action `index` block (or not) — checked by the rules alone."""
    bad = invalid_ncco(ncco)
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


@remembers_misses
def check_split_channels(lab: Lab, ncco: list[dict], channels: int, *, callee: str,
                         folder: str = "recordings") -> Verdict:
    """Exercise: produce a recording with `channels` separate channels."""
    result = run_checked(lab, ncco, callee, folder)
    if isinstance(result, Verdict):
        return result
    if not result.files:
        return Verdict(False, "no recording arrived.")
    from ..recordings import load

    got = load(result.files[0]).channels
    if got == channels:
        return Verdict(True, f"the file has {got} channels, one per party.")
    hint = " Set split to 'conversation'." if got == 1 else ""
    return Verdict(False, f"the file has {got} channel(s), not {channels}.{hint}")
