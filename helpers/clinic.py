"""The support clinic's helpers: pictures that show a ticket's cause, and (from `fetch_loop`)
the resumable download loop for every recording before retention ends. (The clinic's
self-checks are in `exercises`.)

Each picture is built from the same evidence a trainee can read: the simulator's timeline, the
recording's samples, the files on disk. Times are seconds, never wall-clock times.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from vonage_http_client.errors import HttpRequestError

from . import assumptions, plots, recordings
from .call_timeline import CALLER, CallTimeline, as_timeline
from .calls import (
    CallResult,
    wait_idle,
)
from .calls import timeline as fetch_timeline
from .client import Lab
from .event_text import event_kind
from .fetch_loop import FetchReport, fetch_all_recordings, plot_fetch_runs, whole_copy

__all__ = ["plot_leading_silence", "seconds_until_answered", "mp3_sizes", "size_table",
           "plot_sizes", "compare_calls", "plot_voices_in_mono", "plot_hangup_attempts",
           "hang_up_when_ready", "recorded_span", "delivery_table", "FetchReport",
           "fetch_all_recordings", "whole_copy", "plot_fetch_runs"]

SOURCE_NAMES = {0: "the caller", 1: "talk / stream (what the caller hears)"}
SOURCE_COLOURS = ["#31a354", "#fd8d3c", "#1c9099", "#756bb1", "#d6616b"]


# --- 08: silence at the start, MP3 sizes ---------------------------------------------------------
def plot_leading_silence(path: str | Path, *, cause: str = "", title: str | None = None,
                         threshold_db: float = -50.0) -> Figure:
    """The recording's waveform with its leading silence hatched and measured (pydub's rule)."""
    silence = recordings.leading_silence(path, threshold_db)
    fig = plots.plot_waveform(path, title=title or f"The file opens with {silence:.1f} s of "
                              "silence")
    for ax in fig.axes:
        ax.axvspan(0, silence, facecolor="#fee0d2", edgecolor="#ef8a62", hatch="//", lw=0)
    label = f"{silence:.1f} s of silence" + (f": {cause}" if cause else "")
    fig.axes[0].annotate(label, (silence / 2, 0.62), ha="center", fontsize=10, color="#b3261e",
                         bbox={"fc": "white", "ec": "#b3261e", "boxstyle": "round,pad=0.3"})
    return fig


def seconds_until_answered(lab: Lab, result: CallResult) -> float:
    """Seconds from the start of the recording to the moment the connected party answered.

    Read from the webhooks alone (the record event's `start_time`, the leg's `answered`
    `timestamp`), so it works the same on live calls.
    """
    events = lab.events.for_call(conversation_uuid=result.call.conversation_uuid)
    record = result.record_events[0]
    leg = next((e for e in events if e.get("status") == "answered"
                and e.get("uuid") != result.call.uuid), None)
    if leg is None:
        raise ValueError("No connected party answered this call: nothing to cut to.")
    return (_when(leg["timestamp"]) - _when(record["start_time"])).total_seconds()


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def mp3_sizes(src: str | Path, folder: str | Path,
              bitrates: tuple[str, ...] = ("16k", "32k", "64k", "128k")) -> list[dict]:
    """Convert `src` to MP3 at each bitrate, as stereo (when it has 2 channels) and as mono."""
    src, folder = Path(src), Path(folder)
    original = recordings.load(src)
    rows = [{"file": f"original {src.suffix[1:]}", "channels": original.channels,
             "bitrate": "-", "bytes": src.stat().st_size, "seconds": original.duration}]
    layouts = [("stereo", False), ("mono", True)] if original.channels == 2 else [("mono", True)]
    for layout, mono in layouts:
        for bitrate in bitrates:
            out = recordings.to_mp3(src, folder / f"{src.stem}_{layout}_{bitrate}.mp3",
                                    bitrate=bitrate, mono=mono)
            decoded = recordings.load(out)
            rows.append({"file": f"mp3 {layout}", "channels": decoded.channels,
                         "bitrate": bitrate, "bytes": out.stat().st_size,
                         "seconds": decoded.duration})
    return rows


def size_table(rows: list[dict]) -> str:
    """The rows of `mp3_sizes` as a text table, with kB per minute of call."""
    lines = [f"{'file':14} {'channels':>8} {'bitrate':>7} {'bytes':>10} {'seconds':>7} "
             f"{'kB per minute':>13}"]
    for row in rows:
        per_minute = row["bytes"] / row["seconds"] * 60 / 1000
        lines.append(f"{row['file']:14} {row['channels']:>8} {row['bitrate']:>7} "
                     f"{row['bytes']:>10,} {row['seconds']:>7.1f} {per_minute:>13,.0f}")
    return "\n".join(lines)


def plot_sizes(rows: list[dict], *, title: str = "Size of one minute of call: the bitrate "
               "decides it, not the channels") -> Figure:
    """Bars of kB per minute for each row of `mp3_sizes`: bitrate, not channels, sets the size."""
    fig = plots._LabFigure(figsize=(plots.WIDTH, 3.6), layout="constrained")
    ax = fig.subplots()
    labels = [f"{r['file']}\n{r['bitrate']}" if r["bitrate"] != "-" else r["file"] for r in rows]
    per_minute = [r["bytes"] / r["seconds"] * 60 / 1000 for r in rows]
    colours = ["#636363" if r["bitrate"] == "-" else "#e6550d" if "stereo" in r["file"]
               else "#3182bd" for r in rows]
    bars = ax.bar(range(len(rows)), per_minute, color=colours)
    ax.bar_label(bars, [f"{v:,.0f}" for v in per_minute], fontsize=plots.FONT)
    ax.set_xticks(range(len(rows)), labels, fontsize=plots.FONT)
    ax.set_ylabel("kB per minute of call")
    ax.legend(handles=[Patch(color="#636363", label="the recording as downloaded"),
                       Patch(color="#e6550d", label="mp3, stereo (2 channels)"),
                       Patch(color="#3182bd", label="mp3, mono")], fontsize=plots.FONT,
              loc="upper right", frameon=False)
    plots._bare(ax)
    ax.set_title(title, fontsize=12)
    return fig


# --- 09: DTMF and call legs ----------------------------------------------------------------------
def compare_calls(timelines: dict[str, CallTimeline], *, title: str) -> Figure:
    """`compare_timelines` with each panel titled by its name alone, without the blue line
    that marks the action after a record (these comparisons are about something else)."""
    fig = plots.compare_timelines(timelines, title=title)
    for ax, name in zip(fig.axes, timelines, strict=True):
        ax.set_title(name, loc="left", fontsize=11)
        for line in list(ax.lines):
            if line.get_color() == plots.COLOURS["next"]:
                line.remove()
    return fig


def plot_voices_in_mono(path: str | Path, timeline: CallTimeline, *, title: str | None = None,
                        names: dict[int, str] | None = None) -> Figure:
    """A mono recording with who was speaking when underneath: every voice in one channel.

    `names` labels the timeline's sound sources: 0 the caller, 1 the NCCO, 2+ connected legs.
    """
    rec, timeline = recordings.load(path), as_timeline(timeline)
    window = plots._window_of(timeline, rec)
    start = window.start if window else 0.0
    fig = plots._LabFigure(figsize=(plots.WIDTH, 3.4), layout="constrained")
    wave, who = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1.4])
    times, lows, highs = recordings.envelope(rec.channel(0), rec.sample_rate,
                                             plots.ENVELOPE_POINTS)
    wave.fill_between(times, lows, highs, color=plots.WAVE_COLOURS[-1], lw=0.4)
    wave.set(yticks=[], ylim=(-1.05, 1.05))
    wave.set_ylabel("the file\n(one channel)", rotation=0, ha="right", va="center")
    sources = sorted({s.source for s in timeline.sounds if s.kind != "beep"})
    for row, source in enumerate(sources):
        colour = SOURCE_COLOURS[min(source, len(SOURCE_COLOURS) - 1)]
        for sound in (s for s in timeline.sounds if s.source == source):
            end = sound.end if sound.end is not None else start + rec.duration
            a, b = max(sound.start - start, 0.0), min(end - start, rec.duration)
            if b > a:
                who.barh(row, b - a, left=a, color=colour, height=0.6)
                wave.axvspan(a, b, color=colour, alpha=0.18, lw=0)
    labels = [(names or {}).get(s) or SOURCE_NAMES.get(s, f"connected party {s - 1}")
              for s in sources]
    who.set_yticks(range(len(sources)), labels, fontsize=plots.FONT + 1)
    who.set_ylim(len(sources) - 0.4, -0.6)
    who.set_xlabel("seconds from the start of the file")
    for ax in (wave, who):
        plots._bare(ax)
        ax.tick_params(axis="y", length=0)
    fig.suptitle(title or "Mono: every voice is mixed into the same single channel", fontsize=12)
    return fig


# --- 10: hang-up too early, where events went ----------------------------------------------------
def _hangups(timeline: CallTimeline) -> list[tuple[float, bool]]:
    """(time, accepted) of each hang-up request: accepted when the call ended at that moment."""
    log, found = timeline.log, []
    for i, entry in enumerate(log):
        if entry["what"] == "request" and entry["request"] == "hangup":
            ended = any(e["what"] == "end" and e["t"] == entry["t"] for e in log[i + 1:])
            found.append((entry["t"], ended))
    return found


def plot_hangup_attempts(timeline: CallTimeline, *, title: str | None = None) -> Figure:
    """The call's states from its creation, the set-up time, and each hang-up request's fate."""
    timeline = as_timeline(timeline)
    log = timeline.log
    states = [(e["t"], e["status"]) for e in log if e["what"] == "status"]
    end = timeline.end  # times here count from the creation, not the answer
    fig = plots._LabFigure(figsize=(plots.WIDTH, 2.8), layout="constrained")
    ax = fig.subplots()
    colours = {"started": "#f0f0f0", "ringing": "#fdd0a2", "answered": "#a1d99b"}
    span = max(end, assumptions.CALL_SETUP_SECONDS) * 1.25 + 0.1
    for (t, status), nxt in zip(states, states[1:] + [(end, "")], strict=True):
        if nxt[0] > t:
            ax.barh(1, nxt[0] - t, left=t, color=colours.get(status, "#bdbdbd"), height=0.5,
                    edgecolor="#636363", lw=0.6)
            narrow = nxt[0] - t < 0.08 * span
            ax.text((t + nxt[0]) / 2, 1.33 if narrow else 1, status, ha="center",
                    va="bottom" if narrow else "center", fontsize=plots.FONT)
    if timeline.ended is not None:
        ax.text(end + 0.01 * span, 1, f"ended: {timeline.status}", va="center",
                fontsize=plots.FONT, weight="bold")
    setup = assumptions.CALL_SETUP_SECONDS
    ax.axvspan(0, setup, color="#fcbba1", alpha=0.5, lw=0)
    ax.text(setup / 2, 1.55, f"being set up: the first {setup:g} s\n(lab assumption)",
            ha="center", va="center", fontsize=plots.FONT, color="#a50f15")
    for t, accepted in _hangups(timeline):
        ax.plot(t, 0.2, marker="o" if accepted else "X", ms=11,
                color="#1b7f3b" if accepted else "#b3261e")
        ax.annotate("hangup: 204, call ended" if accepted else "hangup: 400 Bad Request",
                    (t, 0.2), (8, -3), textcoords="offset points", fontsize=plots.FONT,
                    color="#1b7f3b" if accepted else "#b3261e")
    ax.set(ylim=(-0.3, 1.9), yticks=[0.2, 1], yticklabels=["requests", "call status"],
           xlim=(-0.05, span))
    ax.set_xlabel("seconds from create_call (real time: the call is paced)")
    plots._bare(ax)
    ax.tick_params(axis="y", length=0)
    ax.set_title(title or "Hang-up requests against the call's state", fontsize=12)
    return fig


def hang_up_when_ready(lab: Lab, call: Any, *, pause: float = 1.0, attempts: int = 5) -> list[str]:
    """Hang up; on 400 Bad Request wait `pause` seconds and try again. What happened, in order."""
    happened = []
    for attempt in range(1, attempts + 1):
        try:
            lab.voice.hangup(call.uuid)
        except HttpRequestError as error:
            if error.response.status_code != 400 or attempt == attempts:
                raise
            happened.append(f"attempt {attempt}: 400 Bad Request, waiting {pause:g} s")
            time.sleep(pause)
            continue
        happened.append(f"attempt {attempt}: accepted, the call is ending")
        break
    return happened


def recorded_span(result: CallResult) -> str:
    """What was recorded (seconds from the answer), what ended it, and when the caller spoke."""
    story = result.timeline
    spans = ", ".join(f"{w.start:.1f}-{w.end:.1f} s ({w.length:.1f} s, ended by {w.ended_by})"
                      for w in story.windows()) or "nothing"
    spoke = ", ".join(f"{a:.1f}-{b:.1f}" for a, b in story.spans((CALLER,)))
    return f"recorded {spans}; the caller spoke {spoke or 'never'} s"


def delivery_table(lab: Lab, call: Any) -> str:
    """Every event of the call (simulator), seconds from the answer, and where it was sent."""
    wait_idle(lab)  # every delivery of the call finished, its answer noted (no race)
    story = fetch_timeline(lab, call)
    done = list(story.deliveries)
    lines = [f"{'t (s)':>6}  {'event':10} sent to"]
    for item in story.events:
        kind = event_kind(item["payload"])
        if item["url"] is None:
            where = "NOWHERE: no eventUrl on the action, no event_url on the call"
        else:
            match = next((d for d in done if d["url"] == item["url"]), {})
            done = [d for d in done if d is not match]
            path = "/" + item["url"].split("/", 3)[3]
            where = f"{item['method']} {path} -> " + (str(match.get("status_code"))
                                                      if "status_code" in match else "failed")
        lines.append(f"{story.rel(item['t']):6.1f}  {kind:10} {where}")
    return "\n".join(lines)
