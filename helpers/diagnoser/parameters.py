"""Checks on what a record's parameters do, and on what the simulated call shows.

Each check is registered with `@check`. Ranges come from `rules`, lengths from `assumptions`;
the two thresholds below are the diagnoser's own judgement, not Vonage rules.
"""

from __future__ import annotations

import json

from .. import assumptions, rules
from ..call_timeline import APP, CALLER
from ..calls import sdk_changes
from .context import Context, Finding, check, names

SHORT_TIMEOUT_SECONDS = 20  # below this a spoken message (voicemail, description) is cut
LEADING_SILENCE_SECONDS = 3.0  # a recording quiet this long at its start gets a finding
RANGE = {name: rules.RECORD_PARAMS[name].allowed() for name in rules.BLOCKING_PARAMS}


@check
def channels_without_split(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        if body.get("channels") is None or body.get("split") == "conversation":
            continue
        n = body.get("channels")
        message = (f"Action {i} sets channels: {json.dumps(n)} without split: "
                   "\"conversation\", which the recording guide says must also be enabled. "
                   "Sent as plain JSON (an answer_url, curl, another SDK) the lab records one "
                   "mono channel. The Python SDK's Record model adds split for you, which is "
                   "why the same NCCO gives separate channels from Python.")
        window = ctx.window(i)
        if window:
            got = rules.channel_count(window.run.params)
            how = ("the NCCO went through the Python SDK, which added split" if got > 1 else
                   "the NCCO was sent as plain JSON")
            message += f" In the simulated call the file has {got} channel(s): {how}."
        found.append(Finding("channels-without-split", i, message,
                             "Add \"split\": \"conversation\" beside channels.",
                             ("CHANNELS_NEED_SPLIT",)))
    return found


@check
def no_event_url(ctx: Context) -> list[Finding]:
    found = []
    for i in ctx.recorders():
        if ctx.actions[i].get("eventUrl") is not None:
            continue
        message = (f"Action {i} ({ctx.kind(i)}) has no eventUrl, so its record event, the only "
                   "message that carries recording_url, goes to the call's event_url: the "
                   "event_url given when the call was created, or the application's Event URL "
                   "for an inbound call. If neither is set, or that handler ignores events "
                   "without a status, the recording never arrives although Vonage made it.")
        window = ctx.window(i)
        if window:
            sent = next((e["url"] for e in ctx.timeline.events if e["kind"] == "record" and
                         e["payload"].get("recording_uuid") == window.run.recording_uuid), None)
            if sent:
                path = str(sent).removeprefix(ctx.receiver_base) or "/"
                message += (f" In the simulated call it went to the call's event_url "
                            f"({path} on the lab's receiver).")
        found.append(Finding("no-record-event-url", i, message,
                             "Add \"eventUrl\": [\"https://your-server/recordings\"] to the "
                             f"{ctx.kind(i)}, or handle recording_url in the call's event_url "
                             "handler."))
    return found


@check
def timeout_too_short(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        n = body.get("timeOut")
        if not isinstance(n, (int, float)) or isinstance(n, bool):
            continue
        static = n < SHORT_TIMEOUT_SECONDS
        message = (f"Action {i} stops recording after timeOut: {json.dumps(n)} s, shorter than "
                   "most spoken messages: a voicemail or a caller's description is cut off.")
        window, cut = ctx.window(i), False
        if window and window.ended_by == "timeOut":
            talking = [b for a, b in ctx.spans((CALLER, *ctx.other_party()))
                       if a < window.end - 0.05 < b or window.end <= a < ctx.rel(None)]
            cut = bool(talking)
            if cut:
                message += (f" In the simulated call the recording stopped at {window.end:.1f}"
                            f" s (timeOut {n}) while the caller spoke until {max(talking):.1f} "
                            "s.")
            else:
                message += " In the simulated call the caller finished in time."
        if static or cut:
            found.append(Finding("timeout-too-short", i, message,
                                 f"Give timeOut room ({RANGE['timeOut']}) and let "
                                 f"endOnSilence ({RANGE['endOnSilence']}) or endOnKey end a "
                                 "short message early."))
    return found


@check
def key_never_pressed(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        key = body.get("endOnKey")
        if not isinstance(key, str):
            continue
        rest = {k: v for k, v in body.items() if k != "endOnKey"}
        ends = rules.end_conditions(rest)
        fallback = rules.is_blocking(rest)  # endOnSilence or timeOut ends it without the key
        window = ctx.window(i)
        if window:
            inside = [p for p in ctx.presses() if window.start <= p["at"] <= window.end]
            if any(p["digit"] == key for p in inside) or \
                    str(window.ended_by).startswith(("endOnSilence", "timeOut")):
                continue  # the key ended it, or the fallback did its job
            early = [p for p in ctx.presses() if p["digit"] == key and p["at"] < window.start]
            evidence = (" In the simulated call the caller pressed "
                        + (" ".join(p["digit"] for p in inside) or "no key")
                        + f" while it recorded; the recording ran {window.start:.1f}\u2013"
                        f"{window.end:.1f} s and ended by {window.ended_by}.")
            if early:
                evidence += (f" ({key} was pressed at {early[0]['at']:.1f} s, before the "
                             "recording started: that press went nowhere.)")
        elif ctx.simulated or ctx.presses_planned() is None or fallback:
            continue  # never started (other findings say why), callee unknown, or a fallback
        elif any(digit == key for _, digit in ctx.presses_planned()):
            continue
        else:
            evidence = f" The callee ({ctx.callee_label}) never presses {key}."
        found.append(Finding("end-on-key-never-pressed", i,
                             f"Action {i} waits for the caller to press {key}, but this caller "
                             f"never does, so it ends only when {ends}." + evidence,
                             "Tell the caller which key ends the message (in the prompt before "
                             "the record), and keep timeOut or endOnSilence as a fallback so "
                             "the NCCO goes on when nobody presses it."))
    return found


@check
def sdk_drops_transcription(ctx: Context) -> list[Finding]:
    found = []
    for i, body in ctx.records():
        if "transcription" not in body:
            continue
        try:
            dropped = any("drops transcription" in c for c in sdk_changes([body]))
        except Exception:  # the SDK's models refuse a malformed action: nothing to say here
            dropped = False
        if dropped:
            found.append(Finding(
                "sdk-drops-transcription", i,
                f"Action {i} asks for a transcription, but the vonage Python SDK "
                f"{ctx.sdk_version} Record model has no transcription field and drops it "
                "without an error: built with Record(...) and sent by voice.create_call, the "
                "NCCO arrives without it and no transcript is ever made.",
                "Send the NCCO as plain JSON: serve it from your answer_url, or post the "
                "create-call body through the SDK's HTTP client (as helpers.calls.place_call "
                "does)."))
    return found


@check
def prompt_without_barge_in(ctx: Context) -> list[Finding]:
    found = []
    for j, body in ctx.bodies("talk", "stream"):
        after = ctx.actions[j + 1] if j + 1 < len(ctx.actions) else None
        if body.get("bargeIn") is True or ctx.kind(j + 1) != "input" or \
                not isinstance(after.get("type"), list) or "dtmf" not in after["type"]:
            continue
        kind = ctx.kind(j)
        message = (f"Action {j} ({kind}) plays with bargeIn false"
                   + (" (the default)" if "bargeIn" not in body else "")
                   + f", and the input (action {j + 1}) only listens once it has finished: keys "
                   f"pressed during the {kind} are lost, so a caller who knows the menu must "
                   "press again or the input times out.")
        span = ctx.action_span(j)
        if span:
            lost = [p for p in ctx.presses() if span[0] <= p["at"] < span[1]
                    and p["effect"].startswith("not heard")]
            got = next((e["payload"]["dtmf"] for e in ctx.timeline.events
                        if e["kind"] == "input"), None)
            result = "" if got is None else (f"; the input then got {got['digits']!r}" +
                                             (" and timed out" if got["timed_out"] else ""))
            message += (f" In the simulated call the caller pressed "
                        f"{' '.join(p['digit'] for p in lost)} at {lost[0]['at']:.1f} s, while "
                        f"it played: lost{result}." if lost else
                        " In the simulated call no key was pressed while it played.")
        found.append(Finding("bargein-false-before-input", j, message,
                             f"Set \"bargeIn\": true on action {j}: a key press then stops the "
                             f"{kind} and goes to the input, which must come next (as it "
                             "does here)."))
    return found


def _consequence(body: dict, good: str) -> str:
    kind = body.get("action")
    if kind == "record" and good in rules.BLOCKING_PARAMS:
        rest = {k: v for k, v in body.items() if k != good}
        if not rules.is_blocking(rest):
            return ("this record has no end condition left: it does not block, the NCCO "
                    "moves straight on and the recording runs until the call ends")
        return f"this record ends only when {rules.end_conditions(rest)}"
    if good == "eventUrl":
        return "its events go to the call's event_url instead"
    if kind == "record" and good == "beepStart":
        return "no beep is played"
    if kind == "record" and good == "split":
        return "the recording is mono"
    return f"{good} keeps its default"


def _as_ignored(ctx: Context, index: int) -> str:
    """Evidence from the same call simulated with the wrong-case names left out."""
    timeline, dropped = ctx.extra.get("ignored", (None, []))
    window = Context(ctx.actions, True, timeline=timeline).window(index) if timeline else None
    if window is None:
        return ""
    left_out = names([repr(d) for d in dropped])
    return (f" Simulated with {left_out} left out, as if ignored: the recording ran "
            f"{window.start:.1f}\u2013{window.end:.1f} s after the answer and ended by "
            f"{window.ended_by}.")


@check
def wrong_case(ctx: Context) -> list[Finding]:
    found = []
    for i, body in enumerate(ctx.actions):
        table = rules.ACTION_PARAMS.get(ctx.kind(i) or "")
        for bad in body if table else ():
            good = next((g for g in table if str(bad).lower() == g.lower() and g != bad), None)
            if good:
                found.append(Finding(
                    "wrong-case-name", i,
                    f"Names are case-sensitive: Vonage does not know {bad!r} (it is {good!r}). "
                    "It either rejects the NCCO, and then the call fails and nothing is "
                    f"recorded, or ignores the name, and then {_consequence(body, good)}. The "
                    "lab rejects it." + _as_ignored(ctx, i), f"Write {good!r}."))
    return found


@check
def mp3_channels(ctx: Context) -> list[Finding]:
    found, most = [], assumptions.MP3_MAX_CHANNELS
    for i, body in ctx.records():
        n = body.get("channels")
        if body.get("format") == "mp3" and isinstance(n, int) and not isinstance(n, bool) \
                and n > most:
            found.append(Finding(
                "mp3-too-many-channels", i,
                f"Action {i} asks for {n} channels in an mp3, but an mp3 file holds at most "
                f"{most}. The lab rejects it; what Vonage does is not documented.",
                "Set \"format\": \"wav\" (or \"ogg\"), or leave format out: with more than "
                f"{most} channels the file is then {assumptions.DEFAULT_MULTICHANNEL_FORMAT} "
                "(documented).", ("MP3_MAX_CHANNELS",)))
    return found


@check
def hit_maximum(ctx: Context) -> list[Finding]:
    found = []
    for window in ctx.windows():
        by_length = ctx.timeline.end_reason == "length_timer reached" and \
            window.ended_by == "the call ended"
        if window.ended_by != "the maximum recording length" and not by_length:
            continue
        sound = sum(b - a for a, b in ctx.spans(None, ("speech", "tts", "music", "dtmf"))
                    if a < window.end and b > window.start)
        limit = (f"the call's {assumptions.DEFAULT_LENGTH_TIMER} s length limit" if by_length
                 else f"the {assumptions.DEFAULT_RECORD_TIMEOUT} s maximum length")
        found.append(Finding(
            "recording-hit-maximum", window.action,
            f"The recording of action {window.action} ran {window.length:.0f} s "
            f"({window.length / 60:.0f} min), {window.start:.1f}\u2013{window.end:.1f} s after the "
            "answer: nothing ended it. It has no endOnSilence, timeOut or endOnKey that came "
            f"true, and the callee ({ctx.callee_label}) never hung up, so it ran until {limit}"
            + (f"; only {sound:.0f} s of it hold any sound." if sound < 0.1 * window.length
               else "."),
            f"Bound it: timeOut ({RANGE['timeOut']}) or endOnSilence ({RANGE['endOnSilence']}), "
            "both for a voicemail; or set length_timer on the call so a line that nobody hangs "
            "up is closed.", () if by_length else ("DEFAULT_RECORD_TIMEOUT",)))
    return found


@check
def leading_silence(ctx: Context) -> list[Finding]:
    found = []
    for window in ctx.windows():
        heard = [(a, src) for src in (CALLER, APP, *ctx.other_party())
                 for a, b in ctx.spans((src,), ("speech", "tts", "music", "dtmf"))
                 if b > window.start and a < window.end]
        if not heard:
            continue  # silent from start to end: not a leading silence (see hit-maximum)
        first, source = min(heard)
        gap = max(first, window.start) - window.start
        if gap < LEADING_SILENCE_SECONDS:
            continue
        who = {CALLER: "the caller", APP: "the NCCO's audio"}.get(source, "the connected party")
        message = (f"The recording of action {window.action} starts with {gap:.1f} s "
                   f"of silence: it started {window.start:.1f} s after the answer, but the first "
                   f"sound ({who}) came at {first:.1f} s.")
        legs = [g for g in ctx.timeline.legs if g.answered is not None
                and ctx.rel(g.answered) > window.start]
        if legs:
            message += (f" Meanwhile the connect was ringing {legs[0].number}, which "
                        f"answered at {ctx.rel(legs[0].answered):.1f} s.")
        found.append(Finding("leading-silence", window.action, message,
                             "Trim it after download: helpers.recordings.trim_leading_silence "
                             "(pydub's detect_leading_silence). Or start recording later, e.g. "
                             "after the greeting, so the file starts when someone speaks."))
    return found


@check
def not_answered(ctx: Context) -> list[Finding]:
    if not ctx.simulated or ctx.answered is not None:
        return []
    return [Finding("call-not-answered", None,
                    f"The call was not answered (status {ctx.timeline.status!r}: "
                    f"{ctx.timeline.end_reason}), so the NCCO never ran: no recording and no "
                    "record event.",
                    "Nothing in the NCCO to fix: check the number and that the phone is "
                    "reachable; the call's status events (busy, unanswered, timeout) say what "
                    "happened.")]
