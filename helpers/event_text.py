"""The words of the event log: what kind an event is, whose call it belongs to, and what to
tell a trainee when an awaited event did not arrive (used by `receiver.EventLog`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

TERMINAL = {"completed", "busy", "cancelled", "failed", "rejected", "timeout", "unanswered"}


def event_kind(record: dict) -> str:
    """A short name for what an event is: its status, 'record', 'input', ..."""
    if "recording_url" in record:
        return "record"
    for key in ("status", "type"):
        if isinstance(record.get(key), str) and record[key]:
            return record[key]
    if "dtmf" in record or "speech" in record:
        return "input"
    return "other"


def call_filter(records: list[dict], uuid: str | None,
                conversation_uuid: str | None) -> Callable[[dict], bool]:
    """A test for 'this event belongs to call leg `uuid` / conversation'."""
    conversations = {r.get("conversation_uuid") for r in records
                     if uuid is not None and r.get("uuid") == uuid} - {None}

    def matches(record: dict) -> bool:
        if conversation_uuid is not None and record.get("conversation_uuid") != conversation_uuid:
            return False
        if uuid is None or record.get("uuid") == uuid:
            return True
        # record/transcription events name only the conversation
        return "uuid" not in record and record.get("conversation_uuid") in conversations
    return matches


def table(records: list[dict], limit: int = 12) -> list[str]:
    """The last `limit` events as aligned text rows: when, which request, what, which call."""
    rows = [f"  {'at':<12} {'request':<22} {'event':<14} call"]
    shown = records[-limit:]
    if len(records) > limit:
        rows.append(f"  ... {len(records) - limit} earlier events not shown")
    for r in shown:
        meta = r.get("_received") or {}
        at = str(meta.get("at", ""))[11:23]
        request = f"{meta.get('method', '?')} {meta.get('path', '?')}"[:22]
        call = str(r.get("uuid") or r.get("conversation_uuid") or "")[:18]
        rows.append(f"  {at:<12} {request:<22} {event_kind(r)[:14]:<14} {call}")
    return rows if records else []


def call_words(uuid: str | None, conversation_uuid: str | None) -> str:
    """' for call <uuid>' / ' in conversation <uuid>' / '', to end a sentence."""
    if uuid:
        return f" for call {uuid}"
    if conversation_uuid:
        return f" in conversation {conversation_uuid}"
    return ""


def describe_missing(describe: str, timeout: float, records: list[dict], *, uuid: str | None,
                     conversation_uuid: str | None, ended: str | None, log: Path,
                     target: str | None, refused: list[dict], refused_log: Path) -> str:
    """Why an awaited event is missing: what did arrive, what was refused, what to check."""
    if ended is not None:
        lines = [f"Gave up waiting for {describe}: the call ended with status {ended!r} "
                 "first, so it will not come."]
    else:
        lines = [f"Waited {timeout:g} s for {describe}, but it did not arrive."]
    mine = list(filter(call_filter(records, uuid, conversation_uuid), records))
    if uuid or conversation_uuid:
        lines.append(f"Events of this call: {len(mine)}" + (":" if mine else "."))
        lines += table(mine)
    counts = Counter(event_kind(r) for r in records)
    summary = ", ".join(f"{kind} x{n}" for kind, n in counts.most_common(8)) or "none"
    lines.append(f"All events in {log} ({len(records)}): {summary}.")
    if refused:
        lines.append(f"{len(refused)} event(s) were refused and kept in {refused_log.name}; "
                     f"the last because {refused[-1].get('reason', '?')}.")
    if not (uuid or conversation_uuid):
        lines += table(records)
    lines.append("Check:")
    if refused:
        lines.append("  - the signature secret: events signed with another secret are refused "
                     "(live mode: VONAGE_SIGNATURE_SECRET must be the account's signature "
                     "secret, and the application must sign its webhooks);")
    target = target or "this receiver's URL"
    filtered = bool(uuid or conversation_uuid)
    if not records or (filtered and not mine):
        lines.append(f"  - the call's event_url (and the NCCO's eventUrl) point at {target};")
    if filtered and not mine:
        lines.append("  - the uuid / conversation_uuid you wait for is the one create_call "
                     "returned;")
    ends = [r["status"] for r in mine if r.get("status") in TERMINAL - {"completed"}]
    if filtered and (ended or ends):
        lines.append(f"  - why the call ended with status {ended or ends[-1]!r} (a busy, "
                     "rejected or unanswered callee? a failed NCCO?);")
    if "record" in describe:
        lines.append("  - the NCCO has a record action whose eventUrl points at "
                     f"{target}, and the call was answered and ran long enough to record;")
        lines.append("  - the recording only arrives after the record action or the call "
                     "ends; raise timeout if the call is long.")
    else:
        lines.append("  - what you wait for (e.g. the spelling of the status), and raise "
                     "timeout if the call is slow.")
    return "\n".join(lines)
