"""Plain-words views of a test call for lesson cells: summaries, event tables, a player.

Everything here prints times relative to the call's answer and shortens ids, so a lesson's
stored output reads well and stays the same from run to run.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from . import rules
from .calls import CallResult
from .client import Lab
from .receiver import event_kind


def describe_setup(lab: Lab) -> str:
    """What the lab is connected to and what it can do, without any secret."""
    from importlib.metadata import version

    from .recordings import ffmpeg_status

    lines = [f"Mode: {lab.mode}" + (" (local simulator: no account, no internet, no cost)"
                                    if lab.mode == "simulator" else " (real Vonage: real calls)"),
             f"Voice API host: {lab.api_host}",
             f"vonage SDK: {version('vonage')}",
             f"Webhook receiver: {lab.event_url()}",
             f"Audio tools: {ffmpeg_status()}"]
    return "\n".join(lines)


def describe(result: CallResult) -> str:
    """The call in a few sentences: who answered, how it ended, what was recorded."""
    story = result.timeline
    lines = [f"Call to {result.to}: final status {result.final_status.get('status')!r}."]
    if story is not None:
        if not story.was_answered:
            lines.append("Nobody answered, so no NCCO ran and nothing was recorded.")
        else:
            lines.append(f"Answered {story.answered:.1f} s after the call was placed; ended "
                         f"{story.duration():.1f} s after the answer ({story.end_reason}).")
        for window, path in zip(story.windows(), result.files, strict=False):
            params = window.run.params
            fmt = rules.record_format(params)
            layout = f"{rules.channel_count(params)} channel(s)"
            lines.append(f"Recording of action {window.action}: {window.start:.1f}-"
                         f"{window.end:.1f} s after the answer ({window.length:.1f} s, {fmt}, "
                         f"{layout}, {os.path.getsize(path):,} bytes); what ended it: "
                         f"{window.ended_by}.")
    else:
        for event, path in zip(result.record_events, result.files, strict=False):
            lines.append(f"A recording of {event['size']:,} bytes, saved as {Path(path).name}.")
    if not result.files:
        lines.append("No recording was made.")
    return "\n".join(lines)


def _event_details(event: dict) -> str:
    kind = event_kind(event)
    if kind == "record":
        return f"size={event.get('size')} bytes, recording_url=…/v1/files/<file id>"
    if "dtmf" in event:
        dtmf = event["dtmf"]
        if isinstance(dtmf, dict):
            return f"digits={dtmf.get('digits')!r} timed_out={dtmf.get('timed_out')}"
    if kind == "completed" and event.get("duration") is not None:
        return f"duration={event.get('duration')} s"
    if "transcription_url" in event:
        return "transcription_url=…/v1/files/<file id>"
    return f"to={event.get('to', '')}" if event.get("to") else ""


def events_table(result: CallResult) -> str:
    """The webhooks the receiver got for this call, in order, times from the answer."""
    story = result.timeline
    rows = [("t (s)", "event", "sent to", "details")]
    if story is not None:
        for row in story.event_rows():
            url = row.url or "(nowhere: no eventUrl)"
            path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url
            rows.append((f"{row.at:7.2f}", row.kind, f"{row.method} {path}",
                         _event_details(row.payload)))
    else:
        for event in result.events:
            rows.append(("", event_kind(event), event.get("_received", {}).get("path", ""),
                         _event_details(event)))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths,
                                                                             strict=True))
                     .rstrip() for row in rows)


def key_presses(result: CallResult) -> str:
    """Each key the caller pressed, when, and what it did to the NCCO."""
    lines = [f"{p['at']:5.2f} s  key {p['digit']}: {p['effect']}"
             for p in result.timeline.presses()]
    return "\n".join(lines) or "No key was pressed."


class Player:
    """An audio player for a recording in the notebook (the file stays on disk)."""

    def __init__(self, path: str | Path, label: str | None = None):
        self.path, self.label = Path(path), label

    def _repr_html_(self) -> str:
        try:
            src = os.path.relpath(self.path, Path.cwd())
        except ValueError:
            src = str(self.path)
        label = html.escape(self.label or self.path.name)
        return (f'<figure style="margin:0"><figcaption>{label}</figcaption>'
                f'<audio controls preload="none" src="{html.escape(src)}"></audio></figure>')

    def __repr__(self) -> str:
        return f"<audio player: {self.label or self.path.name}>"


def player(path: str | Path, label: str | None = None) -> Player:
    """Show an audio player for a downloaded recording."""
    return Player(path, label)


def personas() -> str:
    """The simulator's built-in phones: number, persona name and behaviour."""
    from .callees import persona_table

    return "\n".join(f"{row['number']}  {row['persona']:16} {row['behaviour']}"
                     for row in persona_table())
