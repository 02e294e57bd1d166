"""The catalogue of classic recording mistakes, and the runner of their checks.

`FINDINGS` names each mistake once (code -> one line) and `FIXES` its fix in a few words; the
checks live in `placement` (where a record sits) and `parameters` (what its parameters do,
and what the simulated call shows). Every code has exactly one check and a ticket that tests it.

What a trainee reads (`shown`) is that line and that fix, at most `MAX_SHOWN_WORDS` words in
plain language; the check's own message (the evidence of the simulated call) and the lab
assumptions it rests on come second (`details`). Codes and assumption names stay out of both:
they are for tests, the case library and trainers (`hide_names`).
"""

from __future__ import annotations

import re

from .. import assumptions
from . import parameters, placement
from .context import CHECKS, Context, Finding

#: The classic mistakes, code -> one line. Every code has one check and a ticket that tests it.
FINDINGS: dict[str, str] = {
    "record-after-endless-action": "A record after an action that never finishes (talk or "
    "stream with loop 0, conversation) never starts.",
    "record-after-connect": "A record after a connect starts only when the connected call is "
    "over: the conversation is not recorded.",
    "record-late": "A record after a prompt, wait or input starts late: what the caller says "
    "first is not recorded.",
    "channels-without-split": "channels without split: \"conversation\", which the docs say "
    "must also be set; sent as plain JSON the lab records mono (lab assumption).",
    "end-on-silence-whole-call": "endOnSilence on a record meant for the whole call stops it "
    "at the first pause (and holds the NCCO until then).",
    "record-only-action": "A record as the only action: the caller hears nothing and the call "
    "lasts exactly as long as the recording.",
    "no-record-event-url": "No eventUrl on the record: the record event with the download URL "
    "goes to the call's event_url.",
    "timeout-too-short": "timeOut shorter than a spoken message: the caller is cut off.",
    "end-on-key-never-pressed": "endOnKey, but the caller never presses that key while it "
    "records.",
    "sdk-drops-transcription": "The Python SDK's Record model silently drops transcription.",
    "bargein-false-before-input": "A talk or stream without bargeIn before an input: keys "
    "pressed during the prompt are lost.",
    "wrong-case-name": "A parameter name in the wrong case (timeout, endonkey, eventurl): "
    "Vonage does not know it.",
    "beep-after-prompt": "beepStart on a record that follows a prompt: the shape of Vonage's "
    "voicemail examples, but nothing before the beep is recorded.",
    "two-records": "More than one recording in one NCCO: separate files and record events.",
    "mp3-too-many-channels": f"format mp3 with more than {assumptions.MP3_MAX_CHANNELS} "
    f"channels: an mp3 file holds at most {assumptions.MP3_MAX_CHANNELS} (the lab refuses it: "
    "lab assumption).",
    "connect-recorded-mono": "A mono recording over a connect: both parties in one channel, "
    "inseparable afterwards.",
    "no-record-action": "Nothing in the NCCO records.",
    "recording-hit-maximum": "The recording ran to the maximum length: nothing ended it.",
    "leading-silence": "The recording starts with several seconds of silence.",
    "call-not-answered": "The call was not answered, so nothing ran and nothing was recorded.",
    "socket-drop-without-fallback": "A connect to a WebSocket without eventType synchronous: "
    "a dropped socket sends no disconnected event and nothing reconnects it.",
}

#: Each mistake's fix in a few plain words, shown beside its line (the check's own fix, with
#: the values of this NCCO, is in the details).
FIXES: dict[str, str] = {
    "record-after-endless-action": "Put the record before that action, or set \"record\": "
    "true on the conversation.",
    "record-after-connect": "Put the record before the connect, with no end condition.",
    "record-late": "Put the record first to record the whole call; a voicemail keeps it after "
    "the prompt.",
    "channels-without-split": "Add \"split\": \"conversation\" beside channels.",
    "end-on-silence-whole-call": "Remove endOnSilence, timeOut and endOnKey from this record.",
    "record-only-action": "Greet the caller first, and bound the recording with timeOut or "
    "endOnSilence.",
    "no-record-event-url": "Add an eventUrl to the record, or read recording_url where the "
    "call's events arrive.",
    "timeout-too-short": "Give timeOut room for a whole message; let endOnSilence or endOnKey "
    "end it early.",
    "end-on-key-never-pressed": "Tell the caller which key to press, and keep timeOut or "
    "endOnSilence as a fallback.",
    "sdk-drops-transcription": "Send the NCCO as plain JSON, not through the SDK's Record "
    "model.",
    "bargein-false-before-input": "Set \"bargeIn\": true on the prompt before the input.",
    "wrong-case-name": "Write each name exactly as the NCCO reference does.",
    "socket-drop-without-fallback": "Add \"eventType\": \"synchronous\" and an eventUrl to the "
    "connect; answer the disconnected event with a reconnecting NCCO.",
    "beep-after-prompt": "To record from the answer instead, put the record first.",
    "two-records": "Use one record for one file; otherwise match each record event by its "
    "recording_uuid.",
    "mp3-too-many-channels": "Set \"format\": \"wav\", or leave format out.",
    "connect-recorded-mono": "Add \"split\": \"conversation\": each party on a channel of "
    "its own.",
    "no-record-action": "Add a record action before the part of the call to be recorded.",
    "recording-hit-maximum": "Bound it with timeOut or endOnSilence, or set length_timer on "
    "the call.",
    "leading-silence": "Trim it after download, or start recording when someone speaks.",
    "call-not-answered": "Check the number and the call's status events; the NCCO is not the "
    "cause.",
}

#: What a trainee reads of one finding, at most this many words.
MAX_SHOWN_WORDS = 40

#: An assumption's or a finding's name in brackets, as labels and notices carry them.
_NAMES = re.compile(r"\s*[\[(]((?:[A-Z][A-Z0-9]*_[A-Z0-9_]+)|(?:[a-z0-9]+(?:-[a-z0-9]+)+))[\])]")


def hide_names(text: str) -> str:
    """`text` without the names in brackets: "Lab assumption (BEEP_SECONDS): ..." reads
    "Lab assumption: ..."."""
    return _NAMES.sub("", text)


def shown(finding: Finding, notice: bool) -> str:
    """What the trainee reads of a finding: where, what, and the fix (or "nothing to fix")."""
    where = "" if finding.index is None else f"Action {finding.index}: "
    line = f"{where}{FINDINGS[finding.code]}"
    if finding.assumptions:
        line += " (A lab assumption.)" if "lab assumption" not in line else ""
    if notice:
        return f"{line} Nothing to fix."
    return f"{line} Fix: {FIXES[finding.code]}"


def details(finding: Finding, notice: bool) -> list[str]:
    """The evidence behind a finding: the check's message, the assumptions it rests on, and
    its fix for this NCCO (an option only, for a notice)."""
    fix = ("Only if you want otherwise: " if notice else "Fix: ") + finding.fix
    return [hide_names(finding.message),
            *(hide_names(assumptions.label(name)) for name in finding.assumptions),
            fix]


#: Findings that are fine as they are but worth knowing: `Diagnosis.ok()` ignores them.
NOTICES = frozenset({"beep-after-prompt", "no-record-event-url"})

#: The checks, in report order (registered by the two modules above).
MODULES = (placement, parameters)  # importing them registers their checks


def run_checks(ctx: Context) -> tuple[list[Finding], list[str]]:
    """Every check over `ctx`; a check that fails becomes a note, never an exception."""
    findings, notes = [], []
    for func in CHECKS:
        try:
            findings += func(ctx)
        except Exception as err:  # the trainee sees the rest of the diagnosis
            notes.append(f"The check {func.__name__} could not run on this input ({err!r}).")
    return findings, notes
