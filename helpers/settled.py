"""A trainer's live check-list: settle the lab's open questions with real calls, and keep it.

Each entry of `CHECKLIST` is one question no public source answers (a constant of
`helpers/assumptions.py`), the NCCO a trainer runs once on a live Vonage application to see the
answer, and what to look for. `settle(name, holds, evidence)` writes the result into
`settled.json` in the lab's state folder; from then on every text that carries the assumption's
label (`assumptions.label`: explain(), the diagnoser, record tables) says what the live call
showed instead, and `connect()` runs the simulator that way where it can switch
(`/_sim/assumptions`). A ground-floor module: it imports nothing from the rest of helpers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FILE_NAME = "settled.json"


@dataclass(frozen=True)
class OpenQuestion:
    """One lab assumption a live call can settle."""

    name: str  # the constant in helpers/assumptions.py
    question: str
    ncco: tuple[dict, ...]
    look_for: str


CHECKLIST: tuple[OpenQuestion, ...] = (
    OpenQuestion("RECORD_LAST_HOLDS_CALL",
                 "Does a record with no end condition, last in the NCCO, keep the call up?",
                 ({"action": "talk", "text": "Recording starts now."}, {"action": "record"}),
                 "Stay silent on the line: does the call end as the talk finishes (completed "
                 "within seconds), or only when you hang up?"),
    OpenQuestion("MP3_MAX_CHANNELS",
                 "Is an explicit mp3 with more than 2 channels refused?",
                 ({"action": "record", "format": "mp3", "split": "conversation",
                   "channels": 3}, {"action": "talk", "text": "Three channels in an mp3."}),
                 "Is the create call refused (400), the call failed, or a file made? If a "
                 "file: its format and channel count."),
    OpenQuestion("CHANNELS_NEED_SPLIT",
                 "Does channels without split give one mixed channel?",
                 ({"action": "record", "channels": 2},
                  {"action": "talk", "text": "Channels without split."}),
                 "The recording's channel count."),
    OpenQuestion("EXPIRED_RECORDING_STATUS",
                 "What does a download answer once a recording is past its 30 days?",
                 (),
                 "Download a recording_url from an event older than 30 days: the status code "
                 "and the body."),
    OpenQuestion("RECORDS_CAN_OVERLAP",
                 "Do two record actions at once give two overlapping files?",
                 ({"action": "record"}, {"action": "record", "split": "conversation"},
                  {"action": "talk", "text": "Two recordings at once."}),
                 "How many record events arrive, and their start and end times."),
    OpenQuestion("TRANSFER_KEEPS_BACKGROUND_RECORDING",
                 "Does a recording running in the background go on after a transfer to a "
                 "new NCCO?",
                 ({"action": "record"},
                  {"action": "talk", "text": "Please hold while we find an agent.",
                   "loop": 0}),
                 "While the talk plays, transfer the call to a new NCCO (voice."
                 "transfer_call_ncco, a talk then hang up): does the record event come at the "
                 "transfer, or only when the call ends?"),
    OpenQuestion("NULL_MEANS_ABSENT",
                 "Is a field sent as null treated as not given?",
                 ({"action": "record", "eventUrl": None},
                  {"action": "talk", "text": "A null field."}),
                 "Is the create call accepted, and where does the record event go?"),
)
QUESTIONS = {q.name: q for q in CHECKLIST}


def settled_path(path: str | Path | None = None) -> Path:
    """Where results are kept: `path`, or settled.json in the lab's state folder."""
    if path is not None:
        return Path(path)
    home = os.environ.get("RECORDING_LAB_HOME") or ".recording-lab"
    return Path(home).expanduser() / FILE_NAME


def load(path: str | Path | None = None) -> dict[str, dict]:
    """Every settled question: name -> {"holds", "evidence", "date"}; {} when none is."""
    try:
        data = json.loads(settled_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: entry for name, entry in data.items()
            if name in QUESTIONS and isinstance(entry, dict) and isinstance(
                entry.get("holds"), bool) and isinstance(entry.get("evidence"), str)}


def settle(name: str, holds: bool, evidence: str, path: str | Path | None = None, *,
           when: str | None = None) -> Path:
    """Record what a live call showed: whether the lab's assumption `name` holds, and how you
    know (what you ran, what you saw); `when` is the call's date (YYYY-MM-DD, default today).
    Returns the file written."""
    if name not in QUESTIONS:
        raise ValueError(f"{name!r} is not an open question; they are: "
                         + ", ".join(QUESTIONS) + ".")
    if not isinstance(holds, bool):
        raise ValueError("holds must be True (the lab's assumption is what Vonage does) or "
                         "False (Vonage does otherwise).")
    if not isinstance(evidence, str) or len(evidence.strip()) < 10:
        raise ValueError("evidence must say in words what the live call showed (10+ "
                         "characters): what you ran and what you saw.")
    day = when or datetime.now(UTC).date().isoformat()
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except (TypeError, ValueError):
        raise ValueError(f"when must be the call's date as YYYY-MM-DD; you gave {when!r}.") \
            from None
    target = settled_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    results = load(target)
    results[name] = {"holds": holds, "evidence": evidence.strip(),
                     "date": day}
    temporary = target.with_name(target.name + ".part")
    temporary.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, target)
    return target


def settled_line(name: str, path: str | Path | None = None) -> str | None:
    """What a label says once `name` is settled; None while it is open."""
    entry = load(path).get(name)
    if entry is None:
        return None
    verdict = "holds" if entry["holds"] else "does NOT hold"
    return (f"Settled by a live call on {entry['date']} ({name}): the lab's assumption "
            f"{verdict}; {entry['evidence']}")


def checklist(path: str | Path | None = None) -> str:
    """The open questions, each with the NCCO to run live and what to look for, and those
    already settled."""
    results, lines = load(path), []
    for n, q in enumerate(CHECKLIST, 1):
        entry = results.get(q.name)
        state = "open" if entry is None else (
            f"settled {entry['date']}: " + ("holds" if entry["holds"] else "does not hold"))
        lines.append(f"{n}. {q.question}  [{q.name}: {state}]")
        if q.ncco:
            lines.append(f"   run: {json.dumps(list(q.ncco))}")
        lines.append(f"   look for: {q.look_for}")
    return "\n".join(lines)
