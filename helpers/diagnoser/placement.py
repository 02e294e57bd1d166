"""Checks on where a record sits in the NCCO: what runs before it, beside it and after it.

Each check is registered with `@check` and returns `Finding`s; with a simulated call it quotes
what happened (when the recording really started, what the caller said before it).
"""

from __future__ import annotations

import json

from .. import assumptions, rules
from ..call_timeline import CALLER
from .context import Context, Finding, check, names, spans_text


def _record_start(ctx: Context, index: int) -> tuple[list[str], float | None]:
    """What runs before the record at `index`, and about when it starts (None: unknown)."""
    before, total = [], 0.0
    for j in range(index):
        if ctx.kind(j) in ("record", "notify"):
            continue
        before.append(ctx.describe(j))
        seconds = ctx.duration(j)
        total = None if total is None or seconds is None else total + seconds
    return before, total


def _never_started(ctx: Context, index: int, why: str) -> str:
    return (f" In the simulated call the record never started: the call ended "
            f"{ctx.end_reason()} {why}.")


@check
def endless_before_record(ctx: Context) -> list[Finding]:
    found = []
    for i, _ in ctx.records():
        j = next((j for j in range(i) if ctx.endless(j)), None)
        if j is None:
            continue
        message = (f"Action {i} (record) never starts: action {j} ({ctx.describe(j)}) never "
                   f"finishes, because {ctx.endless(j)}.")
        if ctx.simulated and ctx.window(i) is None:
            message += _never_started(ctx, i, f"while action {j} was still running")
        fix = (f"Put the record before action {j}: a record does not hold the NCCO, so the "
               f"{ctx.kind(j)} still plays." if ctx.kind(j) != "conversation" else
               "Put the record before the conversation, or record the conversation itself "
               "with \"record\": true on the conversation action.")
        found.append(Finding("record-after-endless-action", i, message, fix))
    return found


@check
def record_after_connect(ctx: Context) -> list[Finding]:
    found = []
    for i, _ in ctx.records():
        js = [j for j in range(i) if ctx.kind(j) == "connect"]
        if not js or any(ctx.endless(j) for j in range(i)):
            continue
        j, window = js[-1], ctx.window(i)
        message = (f"Action {i} (record) starts only when the connect (action {j}) is over, "
                   "that is after the connected party hangs up: the conversation itself is not "
                   "recorded, only what comes after it.")
        if ctx.simulated:
            message += (f" In the simulated call the recording ran only {window.start:.1f}\u2013"
                        f"{window.end:.1f} s after the answer." if window else
                        _never_started(ctx, i, "during the connect"))
        found.append(Finding("record-after-connect", i, message,
                             "Put the record before the connect, without endOnSilence, timeOut "
                             "or endOnKey so it does not hold the NCCO: it then records the "
                             "whole conversation. Add \"split\": \"conversation\" to get each "
                             "side on its own channel."))
    return found


@check
def record_late(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        if any(ctx.endless(j) or ctx.kind(j) == "connect" for j in range(i)):
            continue  # the findings above explain this record's start
        holders = [j for j in range(i) if ctx.kind(j) in ("talk", "stream", "wait", "input")
                   and ctx.actions[j].get("bargeIn") is not True]
        voicemail = body.get("beepStart") is True and all(
            ctx.kind(j) in ("talk", "stream", "notify", "record") for j in range(i))
        static = bool(holders) and not voicemail
        before, at = _record_start(ctx, i)
        if not before:
            continue  # only records and notifies before it: it starts at the answer
        message = (f"Action {i} (record) starts only after {names(before)} finished"
                   + (f", about {at:.1f} s after the answer" if at else "")
                   + ": whatever the caller says or presses before that is not recorded.")
        evidence = False
        if ctx.simulated and ctx.answered is not None:
            window = ctx.window(i)
            if window is None:
                evidence = True
                message += _never_started(ctx, i, "before the NCCO reached it")
            else:
                missed = [(a, min(b, window.start)) for a, b in ctx.spans()
                          if a < window.start - 0.05]
                keys = [p for p in ctx.presses() if p["at"] < window.start]
                evidence = bool(missed or keys)
                if missed:
                    message += (f" In the simulated call the recording started at "
                                f"{window.start:.1f} s, but the caller was already speaking at "
                                f"{spans_text(missed)}: that is missing from the file.")
                elif keys:
                    message += (f" In the simulated call the caller pressed "
                                f"{' '.join(p['digit'] for p in keys)} before the recording "
                                f"started at {window.start:.1f} s.")
                elif static:
                    message += (f" In the simulated call nothing was lost (the caller said "
                                f"nothing before {window.start:.1f} s), but a caller who speaks "
                                "at once is cut.")
        if static or evidence:
            first = ("To record the whole call, put the record first: it does not hold the "
                     "NCCO, so the prompt still plays.")
            # never advise adding what is already there
            then = (" If the prompt is meant to come first (a voicemail), keep it: beepStart "
                    "already tells the caller when to speak." if body.get("beepStart") is True
                    else " If the prompt is meant to come first (a voicemail), add beepStart "
                    "so the caller knows when to speak.")
            found.append(Finding("record-late", i, message, first + then))
    return found


@check
def silence_ends_whole_call(ctx: Context) -> list[Finding]:
    first = next((i for i in range(len(ctx.actions)) if ctx.kind(i) != "notify"), None)
    if first is None or ctx.kind(first) != "record":
        return []
    body = ctx.actions[first]
    n = body.get("endOnSilence")
    if n is None:
        return []
    message = (f"Action {first} (record) comes first, so it looks meant to record the whole "
               f"call, but endOnSilence: {json.dumps(n)} stops it at the first pause of that "
               "length.")
    if first + 1 < len(ctx.actions):
        message += (f" It also blocks: action {first + 1} ({ctx.describe(first + 1)}) waits "
                    "until the recording stops.")
    window = ctx.window(first)
    if window and str(window.ended_by).startswith("endOnSilence"):
        later = [a for a, _ in ctx.spans((CALLER, *ctx.other_party())) if a >= window.end]
        message += (f" In the simulated call the recording lasted {window.length:.1f} s and ended "
                    f"by {window.ended_by}" + (
                        f" while the caller was still to speak at {later[0]:.1f} s" if later
                        else "") + f"; the call went on until {ctx.rel(None):.1f} s.")
    elif window:
        message += (f" In the simulated call no pause that long came, so it ran until "
                    f"{window.ended_by}; the first caller who pauses longer is cut off.")
    return [Finding("end-on-silence-whole-call", first, message,
                    "Remove endOnSilence (and timeOut, endOnKey): a record without them does "
                    "not block and runs until the call ends. Keep endOnSilence for a message "
                    "after a prompt (a voicemail).")]


@check
def record_only(ctx: Context) -> list[Finding]:
    if len(ctx.actions) != 1 or ctx.kind(0) != "record":
        return []
    body = ctx.actions[0]
    heard = "only a beep" if body.get("beepStart") is True else "no greeting, no beep"
    message = f"This NCCO is a record and nothing else: the caller hears nothing ({heard})"
    labels: tuple[str, ...] = ()
    if rules.is_blocking(body):
        labels = () if body.get("timeOut") is not None else ("DEFAULT_RECORD_TIMEOUT",)
        message += (f", and because the record blocks, the call ends as soon as the recording "
                    f"stops ({rules.end_conditions(body)}): the NCCO has nothing left to do.")
    elif assumptions.RECORD_LAST_HOLDS_CALL:
        message += (", and the record does not block. In the lab only the caller ends it: the "
                    "call stays up, silent and recording, until they hang up, and a line that "
                    f"never hangs up is recorded for {assumptions.DEFAULT_RECORD_TIMEOUT} s. "
                    "Read as the NCCO reference's rule, the NCCO is complete at once, so the "
                    "call ends and the recording is empty.")
        labels = ("RECORD_LAST_HOLDS_CALL", "DEFAULT_RECORD_TIMEOUT")
    else:
        message += (", and the record does not block, so the NCCO is done at once: the call "
                    "ends immediately and the recording is empty.")
    window = ctx.window(0)
    if window:
        message += (f" In the simulated call it recorded {window.start:.1f}\u2013"
                    f"{window.end:.1f} s and the call ended because "
                    f"{ctx.timeline.end_reason}.")
    beep = "" if body.get("beepStart") is True else " and set beepStart"
    return [Finding("record-only-action", 0, message,
                    "Greet the caller first with a talk (\"This call is recorded; please speak "
                    f"after the beep\"){beep}; bound the recording with timeOut or "
                    "endOnSilence, or connect the caller to someone after it.", labels)]


@check
def two_records(ctx: Context) -> list[Finding]:
    recorders = ctx.recorders()
    if len(recorders) < 2:
        return []
    message = (f"This NCCO records {len(recorders)} times (actions "
               f"{names([str(i) for i in recorders])}): each makes its own file and sends its "
               "own record event.")
    first, labels = ctx.actions[recorders[0]], ()
    if ctx.kind(recorders[0]) == "record" and not rules.is_blocking(first) \
            and assumptions.RECORDS_CAN_OVERLAP:
        message += (f" Action {recorders[0]} does not block, so in the lab it is still "
                    f"recording when action {recorders[1]} starts: that audio is in both files.")
        labels = ("RECORDS_CAN_OVERLAP",)
    if ctx.simulated:
        runs = ctx.windows()
        message += f" The simulated call made {len(runs)} recording(s)" + (": " + "; ".join(
            f"action {w.action} {w.start:.1f}\u2013{w.end:.1f} s" for w in runs)
            if runs else "") + "."
    return [Finding("two-records", recorders[1], message,
                    "Use one record if you want one file. If several are meant, match each "
                    "record event to its action by recording_uuid and start_time.", labels)]


@check
def no_record(ctx: Context) -> list[Finding]:
    if not ctx.actions or ctx.recorders():
        return []
    message = "Nothing in this NCCO records: there is no record action"
    message += " and no conversation with \"record\": true." if ctx.bodies("conversation") \
        else "."
    for i, body in enumerate(ctx.actions):
        table = rules.ACTION_PARAMS.get(ctx.kind(i) or "", {})
        if isinstance(body, dict) and "record" in body and "record" not in table:
            message += (f" The \"record\" on action {i} ({ctx.kind(i)}) is not a parameter "
                        f"of {ctx.kind(i)}: it records nothing.")
    return [Finding("no-record-action", None, message,
                    "Add {\"action\": \"record\", \"eventUrl\": [\"https://your-server/"
                    "recordings\"]} before the actions you want recorded (before a connect, to "
                    "record the conversation).")]


@check
def connect_recorded_mono(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        connects = [j for j in range(i + 1, len(ctx.actions)) if ctx.kind(j) == "connect"]
        if not connects or body.get("split") == "conversation" or rules.is_blocking(body) \
                or "channels" in body or any(ctx.endless(k) for k in range(i, connects[0])):
            continue
        message = (f"Action {i} records in mono and is still recording during the connect "
                   f"(action {connects[0]}), so the caller and the connected party are mixed "
                   "into one channel: no tool can take one voice out afterwards.")
        window, other = ctx.window(i), ctx.spans(ctx.other_party())
        if window and other:
            message += (f" In the simulated call the connected party spoke at "
                        f"{spans_text(other)}, in the same channel as the caller.")
        found.append(Finding("connect-recorded-mono", i, message,
                             "Add \"split\": \"conversation\": the caller on channel 0, the "
                             "connected party on channel 1; then keep or silence a channel "
                             "(helpers.recordings.keep_channel / drop_channel)."))
    return found


@check
def beep_after_prompt(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        prompts = [j for j in range(i) if ctx.kind(j) in ("talk", "stream")]
        if body.get("beepStart") is not True or not prompts:
            continue
        _, at = _record_start(ctx, i)
        window = ctx.window(i)
        when = f"{window.start:.1f}" if window else (f"about {at:.1f}" if at else "some")
        found.append(Finding(
            "beep-after-prompt", i,
            f"Action {i} beeps when it starts, after {names([ctx.describe(j) for j in prompts])}"
            f", {when} s after the answer. That is the shape of Vonage's voicemail examples: "
            "prompt, beep, message" + ("" if rules.is_blocking(body) else
                                       " (they also give the record an end: endOnSilence, "
                                       "endOnKey)") +
            ". Anything said before the beep is not recorded, and in the lab the beep itself "
            f"opens the file ({assumptions.BEEP_SECONDS} s).",
            "To record from the answer instead, put the record first (the prompt still "
            "plays).", ("BEEP_SECONDS",)))
    return found


@check
def socket_without_fallback(ctx: Context) -> list[Finding]:
    """WebSockets guide, "Websocket fallback options": the `disconnected` event (and the NCCO
    returned to it) needs eventType synchronous on the connect; without it a dropped socket
    just ends the leg and the NCCO moves on."""
    found = []
    for i, body in enumerate(ctx.actions):
        if ctx.kind(i) != "connect" or not isinstance(body.get("endpoint"), list):
            continue
        endpoint = body["endpoint"][0] if body["endpoint"] else {}
        if not isinstance(endpoint, dict) or endpoint.get("type") != "websocket" or \
                body.get("eventType") == "synchronous":
            continue
        after = "the next action runs" if i + 1 < len(ctx.actions) else \
            "the NCCO has no more actions, so the call ends"
        found.append(Finding(
            "socket-drop-without-fallback", i,
            f"Action {i} connects to a WebSocket without eventType \"synchronous\": if the "
            f"socket closes, no disconnected event is sent and {after}.",
            "Add \"eventType\": \"synchronous\" and an eventUrl to the connect: a dropped "
            "socket then sends a disconnected event there, and an NCCO returned to it (e.g. a "
            "talk, then the same connect) reconnects the call."))
    return found
