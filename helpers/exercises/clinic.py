"""Self-checks for the clinic notebooks' exercises: run or read the trainee's answer, say why.

As in `lessons`, no answer is hidden in a string: each check runs the trainee's NCCO
on the simulator (or reads their file) and judges the evidence a trainee can plot.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import recordings
from ..call_timeline import APP, CALLER
from ..callees import NUMBERS, PERSONAS
from ..calls import (
    TERMINAL_STATUSES,
    paced,
    place_call,
    run_call,
    set_pace,
    timeline,
    wait_until_ended,
)
from ..cases import find_case
from ..client import Lab
from ..diagnoser import NOTICES, diagnose
from ..verdict import Verdict, invalid_ncco
from .misses import remembers_misses

__all__ = ["check_starts_with_sound", "check_answers_at_once", "check_mp3",
           "check_collects_key", "check_channels_kept",
           "check_whole_message", "check_hangup_function", "check_case_fix", "ticket_text"]



@remembers_misses
def check_starts_with_sound(lab: Lab, ncco: list[dict], *, callee: str, at_most: float = 0.5,
                            folder: str = "recordings") -> Verdict:
    """Exercise: the recording starts with sound yet still holds a person speaking."""
    bad = invalid_ncco(ncco)
    if bad:
        return bad
    result = run_call(lab, ncco, callee, folder=folder)
    if not result.files:
        return Verdict(False, "nothing was recorded: keep a record action.")
    silence = recordings.leading_silence(result.files[0])
    story = result.timeline
    rec = story.windows()[0]
    people = [(a, b) for a, b in story.spans(tuple({s.source for s in story.sounds} - {APP}))
              if a < rec.end and b > rec.start]
    if not people:
        return Verdict(False, "the recording holds no one speaking, only the NCCO's own "
                              "sounds: it must still record the conversation.")
    if silence > at_most:
        return Verdict(False, f"the file still opens with {silence:.1f} s of silence (at most "
                              f"{at_most:g} s wanted). What happens between the record and the "
                              "first sound?")
    return Verdict(True, f"the file opens with {silence:.1f} s of silence and still records "
                         "the conversation.")


@remembers_misses
def check_answers_at_once(lab: Lab, answer_function: Callable[[dict], Any], *, caller: str,
                          at_most: float = 0.5, hold: float = 10.0) -> Verdict:
    """Exercise: an answer webhook that lets the caller hear something at once and keeps the
    call up for `hold` seconds, so the server has time to update the call with the real NCCO
    (the fix of Vonage's blog "Best Practices for Contact Center": return a talk or stream
    first, then modify the call). Rings the application once with `answer_function` served
    as its answer URL (no update is sent: the check looks at what the caller gets meanwhile),
    then serves what was served before."""
    if not callable(answer_function):
        return Verdict(False, "give the answer webhook itself: a function of the answer "
                              "request that returns an NCCO.")
    answers = lab.receiver.answers
    before = answers.source, answers.delay
    try:
        lab.answer(answer_function)
        call = lab.ring(caller)
        wait_until_ended(lab, call)
        story = timeline(lab, call)
    finally:
        if before[0] is not None:
            lab.answer(before[0], delay=before[1])
        else:
            answers.set(None)
    failed = next((e["reason"] for e in story.log if e["what"] == "answer_failed"), None)
    if failed or not story.was_answered:
        return Verdict(False, f"the call got no NCCO from your function: {failed or 'no answer'}.")
    heard = story.first_heard()
    if heard is None or heard > at_most:
        first = "the whole call" if heard is None else f"{heard:.1f} s"
        return Verdict(False, f"the caller hears silence for {first} after the answer (at most "
                              f"{at_most:g} s wanted): what does the caller hear first?")
    if story.duration() < hold:
        return Verdict(False, f"the call ended {story.duration():.1f} s after the answer "
                              f"({story.end_reason}), before your server could update it "
                              f"(allow {hold:g} s): keep the caller on the line meanwhile.")
    return Verdict(True, f"the caller hears your NCCO {heard:.1f} s after the answer and "
                         f"is still on the line {hold:g} s later, ready for the update.")


@remembers_misses
def check_mp3(path: str | Path, source: str | Path, *, channels: int,
              max_kb_per_minute: float) -> Verdict:
    """Exercise: `path` is an MP3 of `source` with `channels` channels, small enough, as long."""
    path = Path(path)
    if not path.is_file():
        return Verdict(False, f"there is no file at {path.name}: export it first.")
    head = path.read_bytes()[:3]
    if head != b"ID3" and not (head[:1] == b"\xff" and head[1] & 0xE0 == 0xE0):
        return Verdict(False, f"{path.name} is not an MP3 file: export with format=\"mp3\".")
    made, original = recordings.load(path), recordings.load(source)
    per_minute = path.stat().st_size / made.duration * 60 / 1000
    if made.channels != channels:
        return Verdict(False, f"the MP3 has {made.channels} channel(s), not {channels}: "
                              "set_channels(1) (or to_mp3(..., mono=True)) makes it mono.")
    if abs(made.duration - original.duration) > 0.1:
        return Verdict(False, f"the MP3 lasts {made.duration:.1f} s but the recording "
                              f"{original.duration:.1f} s: convert the whole file.")
    if per_minute > max_kb_per_minute:
        return Verdict(False, f"it takes {per_minute:,.0f} kB per minute, more than "
                              f"{max_kb_per_minute:g}: lower the bitrate.")
    return Verdict(True, f"a {channels}-channel MP3, {per_minute:,.0f} kB per minute, as long "
                         "as the recording.")


@remembers_misses
def check_collects_key(lab: Lab, ncco: list[dict], digits: str, *, callee: str,
                       folder: str = "recordings") -> Verdict:
    """Exercise: the NCCO's input receives `digits`, pressed while a prompt still plays."""
    bad = invalid_ncco(ncco)
    if bad:
        return bad
    result = run_call(lab, ncco, callee, folder=folder)
    inputs = [event["dtmf"] for event in result.events if isinstance(event.get("dtmf"), dict)]
    presses = result.timeline.presses()
    if not inputs:
        return Verdict(False, "no input event arrived: the NCCO needs an input action with "
                              "type [\"dtmf\"].")
    got = inputs[0]["digits"]
    if got == digits:
        return Verdict(True, f"the input received {got!r}, pressed while the prompt played.")
    effect = presses[0]["effect"] if presses else "no key was pressed"
    return Verdict(False, f"the input received {got!r}, not {digits!r}; the key press was "
                          f"\u201c{effect}\u201d. Which action was running when it came?")


@remembers_misses
def check_channels_kept(path: str | Path, source: str | Path, *, kept: list[int]) -> Verdict:
    """Exercise: `path` holds exactly the channels `kept` of `source`, in order, unchanged."""
    path = Path(path)
    if not path.is_file():
        return Verdict(False, f"there is no file at {path.name} yet.")
    made, original = recordings.load(path), recordings.load(source)
    if made.channels != len(kept):
        return Verdict(False, f"the file has {made.channels} channel(s); it should keep "
                              f"{len(kept)}: channels {kept} of the recording.")
    frames = min(made.samples.shape[0], original.samples.shape[0])
    for i, channel in enumerate(kept):
        if abs(made.samples[:frames, i] - original.samples[:frames, channel]).max() > 0.02:
            return Verdict(False, f"channel {i} of the file is not channel {channel} of the "
                                  "recording.")
    return Verdict(True, f"the file keeps channels {kept} of the recording and nothing else.")


@remembers_misses
def check_whole_message(lab: Lab, ncco: list[dict], *, callee: str,
                        folder: str = "recordings") -> Verdict:
    """Exercise: every word the caller says after the prompt is inside a recording."""
    bad = invalid_ncco(ncco)
    if bad:
        return bad
    result = run_call(lab, ncco, callee, folder=folder)
    story = result.timeline
    windows = story.windows()
    if not windows:
        return Verdict(False, "nothing was recorded: the NCCO needs a record action.")
    missed = [(a, b) for a, b in story.spans((CALLER,)) if not any(
        w.start <= a + 1e-6 and b <= w.end + 1e-6 for w in windows)]
    if missed:
        a, b = missed[0]
        ended = ", ".join(w.ended_by for w in windows)
        return Verdict(False, f"the caller spoke {a:.1f}-{b:.1f} s after the "
                              f"answer, outside the recording (ended by: {ended}).")
    # what follows the record plays only to a caller still on the line: say so, never demand it
    after = [a for a, _ in story.spans(kinds=("tts", "music")) if a >= windows[-1].end - 1e-6]
    closing = "" if after or len(ncco) <= 1 + max(w.action for w in windows) else (
        " The caller hung up as the recording ended, so the actions after the record did not "
        "play: they play only to a caller who is still on the line.")
    return Verdict(True, "every word the caller said is in the recording." + closing)


@remembers_misses
def check_hangup_function(lab: Lab, end_call: Callable, *,
                          callee: str = NUMBERS["presses-hash"]) -> Verdict:
    """Exercise: `end_call(lab, call)` ends a call created a moment ago, without an error.

    The call is paced (real time), so this takes a couple of seconds.
    """
    with paced(lab, 1.0):
        call = place_call(lab, [{"action": "talk", "text": "Hello " * 40}], callee, quiet=True)
    try:
        end_call(lab, call)
    except Exception as error:  # the trainee's code: any error is the answer to explain
        status = getattr(getattr(error, "response", None), "status_code", None)
        set_pace(lab, None, call)  # let the call run out
        if status == 400:
            return Verdict(False, "Vonage answered 400 Bad Request: the call was still being "
                                  "set up. Wait for its 'answered' status event (or about 2 s) "
                                  "before hanging up.")
        return Verdict(False, f"end_call raised {type(error).__name__}: {error}")
    final = wait_until_ended(lab, call, timeout=30)
    if final.get("status") not in TERMINAL_STATUSES:
        return Verdict(False, "the call did not end.")
    played = final.get("duration")
    return Verdict(True, f"the call ended (status {final['status']!r}) without an error"
                         + (f", {played} s after the answer." if played is not None else "."))


def _goal_unmet(goal: str, diagnosis: Any) -> str | None:
    """Why the simulated call misses `goal`, or None when it meets it."""
    story, windows = diagnosis.timeline, diagnosis.windows()
    end = story.duration()
    speech = story.spans((CALLER,))
    inside = [(a, b) for a, b in speech if any(w["start"] <= a + 1e-6 and b <= w["end"] + 1e-6
                                                for w in windows)]
    after = [e for r in story.recordings for e in story.log if e["what"] == "action"
             and e["index"] == r.action_index + 1]
    unmet = {
        "has-recording": not windows and "nothing was recorded",
        "whole-call": not any(w["start"] <= 0.05 and w["end"] >= end - 0.05 for w in windows)
        and f"no recording covers the whole call (0.0-{end:.1f} s after the answer)",
        "caller-words": len(inside) < len(speech) and "some of what the caller said is "
        "outside every recording",
        "keys": not any(isinstance(e.get("dtmf"), dict) and e["dtmf"].get("digits")
                        for e in diagnosis.result.events) and "the input received no key",
        "split": not any(w["channels"] >= 2 for w in windows) and "the recording is mono",
        "four-channels": not any(w["channels"] == 4 for w in windows)
        and "no recording has four channels",
        "one-file": len(windows) != 1 and f"the call made {len(windows)} recordings, not one",
        "bounded": any(w["end"] - w["start"] >= 3600 for w in windows)
        and "a recording still runs for an hour or more",
        "ends-on-key": not any(w["ended_by"].startswith("endOnKey") for w in windows)
        and "no recording ended on the caller's key",
        "next-action-runs": not after and "the action after the record never runs",
    }[goal]
    return unmet or None


def _same_ncco(given: Any, original: Any) -> bool:
    """True when `given` (JSON text or a list) is the ticket's NCCO unchanged."""
    if isinstance(given, str) and isinstance(original, str):
        return given.strip() == original.strip()
    try:
        given = json.loads(given) if isinstance(given, str) else given
    except ValueError:
        return False
    return given == original


@remembers_misses
def check_case_fix(lab: Lab, case_id: str, fixed_ncco: Any) -> Verdict:
    """Exercise: fix a ticket's NCCO; the diagnoser must no longer find the customer's problem,
    and the simulated call must now do what the customer wanted (the ticket's `fix`)."""
    case = find_case(case_id)
    if case.fix is None:
        return Verdict(False, f"{case_id} is not fixed in the NCCO alone; name its mistakes "
                              "with find_case(...).check_answer([...]) instead.")
    if _same_ncco(fixed_ncco, case.ncco):
        return Verdict(False, f"this is still {case_id}'s NCCO as the customer sent it. Diagnose "
                              f"it (find_case({case_id!r}).diagnose(lab)), then edit it here.")
    clear, goals = case.fix["clears"], case.fix["goals"]
    diagnosis = diagnose(fixed_ncco, case.callee, lab=lab)
    if diagnosis.problems:
        return Verdict(False, "the NCCO has problems: " + "; ".join(
            p.message.splitlines()[0] for p in diagnosis.problems))
    left = [f for f in diagnosis.findings if f.code in clear]
    if left:
        return Verdict(False, f"the diagnoser still finds [{left[0].code}]: {left[0].message}")
    if diagnosis.timeline is None or not diagnosis.timeline.was_answered:
        return Verdict(False, "the test call did not run: " + "; ".join(diagnosis.notes))
    for goal in goals:
        why = _goal_unmet(goal, diagnosis)
        if why:
            return Verdict(False, f"the customer's problem is gone, but {why}.")
    others = [f.code for f in diagnosis.findings if f.code not in NOTICES]
    return Verdict(True, f"{case_id}: fixed; the call now does what the customer wanted."
                   + (f" (The diagnoser still notes: {', '.join(others)}.)" if others else ""))


def ticket_text(case: Any) -> str:
    """A ticket of the case library as a trainee reads it: title, the customer's words, callee."""
    callee = case.callee
    who = ("a scripted caller (the ticket's own script)" if isinstance(callee, dict) else
           f"{callee}, {PERSONAS[callee].name}: {PERSONAS[callee].description.rstrip('.')}"
           if callee in PERSONAS else str(callee))
    words = "\n".join(textwrap.wrap(case.customer_words, 92, initial_indent="  \u201c",
                                     subsequent_indent="   ")) + "\u201d"
    return f"Ticket {case.id}: {case.title}\n{words}\nTest call answered by {who}."
