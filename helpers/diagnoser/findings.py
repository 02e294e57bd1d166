"""The catalogue of classic recording mistakes, and the runner of their checks.

`FINDINGS` names each mistake once (code -> one line); the checks live in
`placement` (where a record sits) and `parameters` (what its parameters do,
and what the simulated call shows). Every code has exactly one check and a ticket that tests it.
"""

from __future__ import annotations

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
    "voicemail examples "
    "(fine), but nothing before the beep is recorded.",
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
