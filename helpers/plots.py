"""Pictures of a test call: its timeline, what each channel recorded, and how it sounds.

Figures use matplotlib's object API (no pyplot state), so they are thread-safe, and they show
in a notebook when they are a cell's last value. Times are seconds from the call's answer.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.transforms import blended_transform_factory

from . import recordings
from .assumptions import NCCO_AUDIO_CHANNEL
from .call_timeline import APP, CALLER, CallTimeline, RecordingRun, as_timeline
from .recordings import Recording

DPI = 100
WIDTH = 11.0  # inches: a JupyterLab cell's width at DPI
ENVELOPE_POINTS = 2000  # min/max buckets per channel: the same cost for any length
SPECTRO_NFFT, SPECTRO_COLUMNS = 256, 1500
FONT = 9
CHAR_PT = 0.56 * FONT  # average width of a character, in points
COLOURS = {
    "ncco": "#9ecae1", "background": "#deebf7", "speech": "#a1d99b", "tts": "#fdd0a2",
    "music": "#dadaeb", "beep": "#fd8d3c", "dtmf": "#bdbdbd", "leg": "#99d8c9",
    "ringing": "#f0f0f0", "call": "#f7f7f7", "muted": "#bdbdbd", "recording": "#fc9272",
    "shade": "#fee0d2", "key": "#6a51a3", "end": "#252525", "next": "#08519c",
}
WAVE_COLOURS = ["#31a354", "#e6550d", "#1c9099", "#636363"]  # says, hears, others, mono
SOUND_NAMES = {"tts": "talk", "music": "stream", "beep": "beep", "speech": ""}
_BOX = {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}


class _LabFigure(Figure):
    """A Figure that shows as PNG in Jupyter even when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


# --- a timeline as lanes of bars ---------------------------------------------------------------
@dataclass
class _Bar:
    start: float
    end: float
    text: str
    colour: str
    hatch: str | None = None
    short: str = ""  # label for when `text` does not fit
    right: bool = False  # text ends at the bar's end (the call's end reason)
    overlay: bool = False  # drawn over the lane (muted), not in a row of its own
    row: int = 0


@dataclass
class _Lane:
    name: str
    bars: list[_Bar] = field(default_factory=list)
    rows: int = 1


@dataclass
class _Story:
    """What the timeline plots draw, times in seconds from the answer."""

    lanes: list[_Lane]
    windows: list[tuple[float, float]]
    presses: list[dict]
    start: float
    end: float
    next_after_record: tuple[float, str] | None




def _describe(action: str, body: dict) -> str:
    stops = [f"{k} {body[k]}" for k in ("endOnKey", "endOnSilence", "timeOut") if k in body]
    endpoint = (body.get("endpoint") or [{}])[0]
    return {
        "talk": f'talk "{" ".join(str(body.get("text", "")).split())}"',
        "stream": "stream " + str((body.get("streamUrl") or [""])[0]).split("/")[-1][:30],
        "connect": f"connect {endpoint.get('number') or endpoint.get('uri') or ''}",
        "record": f"record (waits for {' / '.join(stops)})" if stops else "record",
        "input": "input (waits for " + ("keys)" if "dtmf" in body.get("type", []) else "speech)"),
        "wait": f"wait {body.get('timeout', 10)} s",
        "conversation": f"conversation {body.get('name', '')}",
    }.get(action, action)


def _actions(timeline: CallTimeline, rel) -> tuple[list[_Bar], list[_Bar]]:
    """(actions the NCCO waited on, actions that ran in the background), from the log."""
    log, waited, background, transferred = timeline.log, [], [], False
    for i, entry in enumerate(log):
        action, body, index = entry.get("action"), entry.get("body") or {}, entry.get("index")
        if entry["what"] == "request" and entry.get("request") == "transfer":
            transferred = True  # the next action is the first of the NCCO the API sent
        if entry["what"] != "action" or action == "notify":
            continue
        done = next((e for e in log[i + 1:] if e.get("index") == index
                     and e["what"] in ("action", "action_end")), None)
        stop = done["t"] if done and done["what"] == "action_end" else None
        run = next((r for r in timeline.recordings if r.action_index == index
                    and abs(r.start - entry["t"]) < 1e-6), None)
        label, in_background = _describe(action, body), True
        if action == "record" and stop is None and run is not None and not run.blocking:
            until = run.end
            holds = any(e["what"] == "holding" and e["t"] == entry["t"] for e in log)
            # assumptions.RECORD_LAST_HOLDS_CALL: the caption says it is the lab's reading
            label = "record: last action, holds the call open (lab assumption)" if holds else \
                "record, not blocking: the NCCO moves on"
        elif action in ("talk", "stream") and body.get("bargeIn"):
            kind = "tts" if action == "talk" else "music"
            until = next((s.end for s in timeline.sounds if s.source == APP
                          and s.kind == kind and abs(s.start - entry["t"]) < 1e-6), None)
            label += " (bargeIn: the NCCO moves on)"
        else:
            in_background = False
        label, transferred = ("transferred: " if transferred else "") + label, False
        if not in_background:
            waited.append(_Bar(rel(entry["t"]), rel(stop), label, COLOURS["ncco"], short=action))
            continue
        background.append(_Bar(rel(entry["t"]), rel(until), label, COLOURS["background"], "//",
                               short=action))
    return waited, background


def _sound_bars(timeline: CallTimeline, source: int, rel, colour: str) -> list[_Bar]:
    return [_Bar(rel(s.start), rel(s.end), s.digit or "" if s.kind == "dtmf" else
                 SOUND_NAMES.get(s.kind, s.kind),
                 COLOURS.get(s.kind, colour) if source == APP else colour)
            for s in timeline.sounds
            if s.source == source and not (source != APP and s.kind == "dtmf")]


def _story(timeline: CallTimeline) -> _Story:
    """The lanes, top to bottom: call, NCCO, caller, keys, what they hear, legs, recording."""
    t0, rel = timeline.zero, timeline.rel
    log, end = timeline.log, rel(None)
    ring = rel(next((e["t"] for e in log if e.get("status") == "ringing"), t0))
    reason = timeline.end_reason or "still in progress"
    call = _Lane("Call", [_Bar(ring, 0.0, "ringing", COLOURS["ringing"]),
                          _Bar(0.0, end, f"call ends: {reason}", COLOURS["call"], right=True)])
    if not timeline.was_answered:
        call.bars = [_Bar(ring, end, f"not answered: {reason}", COLOURS["ringing"], right=True)]
    waited, background = _actions(timeline, rel)
    lanes = [call, _Lane("NCCO actions", waited)]
    lanes += [_Lane("NCCO, in background", background)] if background else []
    caller = _Lane("Caller speaks", _sound_bars(timeline, CALLER, rel, COLOURS["speech"]))
    caller.bars += [_Bar(rel(a), rel(b), "muted", COLOURS["muted"], "xx", overlay=True)
                    for a, b in timeline.mutes]
    presses = [dict(e, t=rel(e["t"])) for e in log if e["what"] == "press"]
    lanes += [caller] + ([_Lane("Keys pressed")] if presses else [])
    hears = _Lane("Caller hears", _sound_bars(timeline, APP, rel, COLOURS["tts"]))
    asked = next((e["t"] for e in log if e["what"] == "answer_request"), None)
    for reply in (e for e in log if e["what"] == "answer_reply" and asked is not None):
        # a slow answer URL (assumptions.ANSWERED_BEFORE_NCCO): silence until its NCCO comes
        hears.bars.insert(0, _Bar(rel(asked), rel(reply["t"]), f"silence: answer URL "
                                  f"{reply['t'] - asked:.1f} s", COLOURS["call"], "..",
                                  short="silence"))
    lanes.append(hears)
    for n, leg in enumerate(timeline.legs, start=1):
        began = rel(next((e["t"] for e in log if e.get("leg") == leg.uuid), t0))
        answer = rel(leg.answered if leg.answered is not None else leg.ended)
        bars = [_Bar(began, answer, "ringing" if leg.answered else "ringing, no answer",
                     COLOURS["ringing"])]
        lanes.append(_Lane(f"Connected party {n}\n{leg.number}",
                           bars + _sound_bars(timeline, leg.source, rel, COLOURS["leg"])))
    recording, many = _Lane("Recording"), len(timeline.recordings) > 1
    for n, rec in enumerate(timeline.recordings, start=1):
        why = rec.ended_by or "still recording"
        why = f"until {why}" if why.startswith("the ") else f"ended by {why}"
        recording.bars.append(_Bar(rel(rec.start), rel(rec.end),
                                   f"recorded{f' ({n})' if many else ''}: {why}",
                                   COLOURS["recording"], short="recorded"))
    lanes.append(recording)
    for lane in lanes:  # overlapping bars of a lane get rows of their own
        ends: list[float] = []
        for bar in sorted((b for b in lane.bars if not b.overlay), key=lambda b: b.start):
            bar.row = next((r for r, e in enumerate(ends) if e <= bar.start + 1e-9), len(ends))
            ends[bar.row:bar.row + 1] = [bar.end]
        lane.rows = max(1, len(ends))
    record = next((e for e in log if e.get("action") == "record" and e["what"] == "action"), None)
    after = record and next((e for e in log if e["what"] == "action" and e["t"] >= record["t"]
                             and e["index"] == record["index"] + 1), None)
    return _Story(lanes, [(b.start, b.end) for b in recording.bars], presses, min(ring, 0.0),
                  end, (rel(after["t"]), after["action"]) if after else None)


# --- drawing a story -----------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _width(text: str, size: float = FONT) -> float:
    """Width of one line of text, in points."""
    return text_to_path.get_text_width_height_descent(text, FontProperties(size=size), False)[0]


def _label(text: str, short: str, seconds: float, pps: float, cut: bool = True):
    """(text, size) that fits `seconds`: whole, smaller, cut short with …, or `short`."""
    room = seconds * pps - CHAR_PT
    for candidate, size in ((text, FONT), (text, FONT - 1.5), (short, FONT), (short, FONT - 1.5)):
        if candidate and _width(candidate, size) <= room and \
                not (candidate is short and cut and room > 12 * CHAR_PT):
            return candidate, size
    n = int(room / CHAR_PT)
    while cut and n >= 12 and _width(text[: n - 1] + "…") > room:
        n -= 1
    return (text[: n - 1] + "…", FONT) if cut and n >= 12 else ("", FONT)


def _draw_bar_texts(ax: Axes, lane: _Lane, y: float, xlim: tuple[float, float], pps: float):
    """Each label inside its bar; else running on into free space; else shortened."""
    pad = 0.4 * CHAR_PT / pps
    for bar in (b for b in lane.bars if b.text):
        later = [b.start for b in lane.bars if b.row == bar.row and not b.overlay
                 and b.start > bar.start + 1e-9]
        room = xlim[1] - bar.end if bar.right else min(later, default=xlim[1]) - bar.start
        box = _BOX if bar.hatch or bar.right else None
        text, size = _label(bar.text, "", bar.end - bar.start, pps, cut=False)
        if text:
            x, ha = (bar.end - pad, "right") if bar.right else ((bar.start + bar.end) / 2, "center")
        elif _width(bar.text) + 2 * CHAR_PT <= room * pps:
            x, ha, text, size = (bar.end if bar.right else bar.start) + pad, "left", bar.text, FONT
        else:
            text, size = _label(bar.text, bar.short, bar.end - (xlim[0] if bar.right
                                                                 else bar.start), pps)
            x, ha = (bar.end - pad, "right") if bar.right else (bar.start + pad, "left")
            if text == bar.short:
                x, ha = (bar.start + bar.end) / 2, "center"
        if text:
            ax.text(x, y + bar.row, text, ha=ha, va="center", fontsize=size, bbox=box, zorder=6)


def _runs(presses: list[dict]) -> list[list[dict]]:
    """Presses by the same party less than 0.6 s apart, typed as one entry (e.g. 1234#)."""
    runs: list[list[dict]] = []
    for press in presses:
        last = runs[-1][-1] if runs else None
        if last and press["t"] - last["t"] < 0.6 and press["source"] == last["source"]:
            runs[-1].append(press)
        else:
            runs.append([press])
    return runs


def _effect(run: list[dict]) -> str:
    parts = [p if len(p) <= 32 else re.sub(r"\s*\([^)]*\)", "", p)
             for press in run for p in str(press.get("effect", "")).split("; ")]
    return "; ".join(dict.fromkeys(p for p in parts if p))


def _draw_presses(ax: Axes, story: _Story, y: float, xlim: tuple[float, float], pps: float):
    """A badge with the digits of each run of presses, and what the presses did beside it."""
    runs = _runs(story.presses)
    badges = [("" if r[0]["source"] == 0 else f"party {r[0]['source'] - 1}: ") +
              " ".join(p["digit"] for p in r) for r in runs]
    mids = [(r[0]["t"] + r[-1]["t"]) / 2 for r in runs]
    half = [(_width(b, FONT + 1) / 2 + 8) / pps for b in badges]
    for i, (badge, mid) in enumerate(zip(badges, mids, strict=True)):
        ax.text(mid, y, badge, ha="center", va="center", fontsize=FONT + 1, weight="bold",
                color="white", zorder=7,
                bbox={"boxstyle": "round,pad=0.25", "lw": 0, "fc": COLOURS["key"]})
        right = (mids[i + 1] - half[i + 1] if i + 1 < len(runs) else xlim[1]) - mid - half[i]
        left = mid - half[i] - (mids[i - 1] + half[i - 1] if i else xlim[0])
        effect = _effect(runs[i])
        on_right = _width(effect) + CHAR_PT <= right * pps or right >= left
        chars = int((right if on_right else left) * pps / CHAR_PT) - 1
        note = "\n".join(textwrap.wrap(effect, chars, max_lines=2, placeholder=" …")) \
            if chars >= 12 else ""
        ax.text(mid + half[i] if on_right else mid - half[i], y, note, va="center",
                ha="left" if on_right else "right", fontsize=FONT, color=COLOURS["key"])


def _draw_story(ax: Axes, story: _Story, xlim: tuple[float, float], own: bool) -> None:
    """Lanes of bars, recording windows shaded, key presses and the call's end marked."""
    names = max(_width(line, FONT + 1) for lane in story.lanes for line in lane.name.split("\n"))
    width = ax.figure.get_figwidth() * 72 - names - 30 if own else \
        ax.get_position().width * ax.figure.get_figwidth() * 72 * 0.85
    pps = width / max(xlim[1] - xlim[0], 1e-6)  # points per second on the x axis
    ax.set_xlim(*xlim)
    y, centres = 0, []
    for lane in story.lanes:
        for bar in lane.bars:
            ax.barh(y + bar.row, bar.end - bar.start, left=bar.start, color=bar.colour,
                    height=0.8 if bar.overlay else 0.62, hatch=bar.hatch, edgecolor="#636363",
                    lw=0.6, alpha=0.55 if bar.overlay else 1.0, zorder=3 if bar.overlay else 2)
        _draw_bar_texts(ax, lane, y, xlim, pps)
        if lane.name == "Keys pressed":
            _draw_presses(ax, story, y, xlim, pps)
        elif not lane.bars:
            empty = {"NCCO actions": "(no action ran)", "Recording": "(nothing recorded)"}
            ax.text(sum(xlim) / 2, y, empty.get(lane.name, "(silent)"), ha="center",
                    va="center", fontsize=FONT, color="#737373", style="italic")
        centres.append(y + (lane.rows - 1) / 2)
        y += lane.rows
        ax.axhline(y - 0.5, color="#d9d9d9", lw=0.6, zorder=1)
    for press in story.presses:
        ax.axvline(press["t"], color=COLOURS["key"], lw=0.9, ls=":", zorder=1)
    for start, stop in story.windows:
        ax.axvspan(start, stop, color=COLOURS["shade"], zorder=0, lw=0)
    ax.axvline(story.end, color=COLOURS["end"], lw=1.2, zorder=4)
    ax.set_ylim(y - 0.5, -0.5)
    ax.set_yticks(centres, [lane.name for lane in story.lanes], fontsize=FONT + 1)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e0e0e0", lw=0.6)
    ax.set_axisbelow(True)
    _bare(ax)


def _bare(ax: Axes) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _span(stories: list[_Story]) -> tuple[float, float]:
    start, end = min(s.start for s in stories), max(s.end for s in stories)
    pad = 0.02 * (end - start or 1.0)
    return start - pad, end + pad


def _rows(story: _Story) -> int:
    return sum(lane.rows for lane in story.lanes)


def _x_label(*timelines: CallTimeline) -> str:
    answered = [t.was_answered for t in timelines]
    return "seconds from answer" if all(answered) else \
        "seconds from the call's start (never answered)" if not any(answered) else \
        "seconds from answer (from the start, for a call never answered)"


def plot_timeline(timeline: CallTimeline, *, title: str | None = None,
                  ax: Axes | None = None) -> Figure:
    """A call as lanes in time: NCCO actions, who speaks and hears, keys, what was recorded."""
    timeline = as_timeline(timeline)
    story, own = _story(timeline), ax is None
    if own:
        fig = _LabFigure(figsize=(WIDTH, 0.42 * _rows(story) + 1.4), layout="constrained")
        ax = fig.subplots()
    _draw_story(ax, story, _span([story]), own)
    ax.set_title(title or "Call timeline: what was recorded and when", fontsize=12)
    ax.set_xlabel(_x_label(timeline))
    return ax.figure


def compare_timelines(timelines: dict[str, CallTimeline], *, title: str | None = None) -> Figure:
    """Calls stacked on one time axis, with a line where the action after the record starts."""
    timelines = {name: as_timeline(t) for name, t in timelines.items()}
    stories = [_story(t) for t in timelines.values()]
    heights = [_rows(s) + 1.5 for s in stories]
    fig = _LabFigure(figsize=(WIDTH, 0.42 * sum(heights) + 1.0), layout="constrained")
    axes = fig.subplots(len(stories), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    for ax, name, story in zip(axes, timelines, stories, strict=True):
        _draw_story(ax, story, _span(stories), True)
        note = "no action after the record"
        if story.next_after_record:
            at, action = story.next_after_record
            ax.axvline(at, color=COLOURS["next"], lw=2.2, zorder=5)
            note = f"the next action ({action}) starts {at:.1f} s after answer (blue line)"
        ax.set_title(f"{name}: {note}", loc="left", fontsize=11)
    axes[-1].set_xlabel(_x_label(*timelines.values()))
    fig.suptitle(title or "Call timelines compared: when does the action after the record "
                 "start?", fontsize=12)
    return fig


# --- audio ---------------------------------------------------------------------------------------
def _recording(source: str | Path | Recording) -> Recording:
    return source if isinstance(source, Recording) else recordings.load(source)


def _length(seconds: float) -> str:
    return f"{seconds:.1f} s" + (f" ({seconds / 60:.0f} min)" if seconds >= 120 else "")


def default_channel_names(channels: int) -> list[str]:
    """What each channel holds: a mono mix, the caller's two sides, or one person each.

    Stereo split: what the caller says / hears (recording guide). More channels: people in
    join order, extras on the last (recording guide, "Multi channel recording"); the NCCO's
    own audio on channel assumptions.NCCO_AUDIO_CHANNEL (a lab assumption).
    """
    if channels == 1:
        return ["mix of every party"]
    if channels == 2:
        return ["channel 0 (left): what the caller says", "channel 1 (right): what they hear"]
    names = ["channel 0: what the caller says"] + [
        f"channel {n}: connected party {n}" for n in range(1, channels)]
    names[-1] += " and any later ones"
    app = min(NCCO_AUDIO_CHANNEL, channels - 1)
    names[app] += ", and the NCCO's audio"
    return names


def _window_of(timeline: CallTimeline, rec: Recording) -> RecordingRun | None:
    """The timeline's recording in this file: by recording_uuid (its name), else by length."""
    runs = [r for r in timeline.recordings if r.end is not None]
    named = [r for r in runs if rec.path is not None and r.recording_uuid == rec.path.stem]
    return (named or sorted(runs, key=lambda r: abs(r.end - r.start - rec.duration))
            or [None])[0]


def _draw_envelope(ax: Axes, samples: np.ndarray, rate: int, offset: float, colour: str,
                   lift: float = 0.0) -> None:
    """Min/max per bucket (recordings.envelope): every sample's picture at a bounded cost."""
    times, mins, maxs = recordings.envelope(samples, rate, ENVELOPE_POINTS)
    ax.fill_between(times + offset, mins + lift, maxs + lift, color=colour, lw=0.4)
    if times.size and max(-mins.min(), maxs.max()) < 1e-3:
        ax.text(offset + times[-1] / 2, lift + 0.35, "silent: nothing on this channel",
                ha="center", va="bottom", fontsize=FONT, color="#525252")


def plot_waveform(path_or_recording: str | Path | Recording, *,
                  timeline: CallTimeline | None = None,
                  title: str | None = None, channel_names: list[str] | None = None) -> Figure:
    """One panel per channel; with `timeline`, 0 = the call's answer and keys/beep are marked."""
    rec = _recording(path_or_recording)
    names = list(channel_names or default_channel_names(rec.channels))
    names += [f"channel {i}" for i in range(len(names), rec.channels)]
    timeline = as_timeline(timeline) if timeline else None
    window = _window_of(timeline, rec) if timeline else None
    offset, start, end, marks, lines = 0.0, 0.0, rec.duration, [], []
    if window:
        rel = timeline.rel
        offset = rel(window.start)
        start, end = min(0.0, offset), max(rel(None), offset + rec.duration)
        inside = [e for e in timeline.log if e["what"] == "press"
                  and window.start <= e["t"] <= window.end]
        lines = [rel(e["t"]) for e in inside]
        marks = [(rel(r[0]["t"]), " key " + r[0]["digit"] if len(r) == 1 else
                  " keys " + "".join(p["digit"] for p in r), COLOURS["key"]) for r in _runs(inside)]
        marks += [(rel(s.start), " beep", "#a63603") for s in timeline.sounds
                  if s.kind == "beep" and window.start <= s.start <= window.end]
    fig = _LabFigure(figsize=(WIDTH, 1.5 * rec.channels + 1.2), layout="constrained")
    axes = fig.subplots(rec.channels, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for i, ax in enumerate(axes):
        colour = WAVE_COLOURS[min(i, 2) if rec.channels > 1 else -1]
        _draw_envelope(ax, rec.channel(i), rec.sample_rate, offset, colour)
        ax.set_ylabel(names[i].replace(": ", ":\n", 1), rotation=0, ha="right", va="center",
                      fontsize=FONT + 1)
        ax.set(ylim=(-1.05, 1.05), yticks=[], xlim=(start - 0.01 * (end - start),
                                                     end + 0.01 * (end - start)))
        _bare(ax)
        top = blended_transform_factory(ax.transData, ax.transAxes)
        if window:
            ax.axvspan(offset, offset + rec.duration, color=COLOURS["shade"], zorder=0, lw=0)
        for at in lines:
            ax.axvline(at, color=COLOURS["key"], lw=0.9, ls=":")
        for at, text, mark_colour in marks:
            ax.text(at, 0.98, text, transform=top, va="top", fontsize=FONT, color=mark_colour)
    if window:
        axes[0].text(offset, 1.02, "recorded", va="bottom", fontsize=FONT, color="#a50f15",
                     transform=blended_transform_factory(axes[0].transData, axes[0].transAxes))
    axes[-1].set_xlabel("seconds from answer" if window else
                        "seconds from the start of the recording")
    kind = "mono" if rec.channels == 1 else f"{rec.channels} channels, split"
    fig.suptitle(title or f"What the recording holds: {_length(rec.duration)}, {kind}",
                 fontsize=12)
    return fig


def _spectrogram(x: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """(dB below the loudest, seconds per column): every frame analysed, then averaged into at
    most SPECTRO_COLUMNS columns, so hours of audio make a picture of bounded size."""
    x = np.asarray(x, dtype=np.float32)
    x = np.pad(x, (0, max(0, SPECTRO_NFFT - x.size)))
    hop = max(SPECTRO_NFFT // 4, min(SPECTRO_NFFT, x.size // SPECTRO_COLUMNS))
    frames = np.lib.stride_tricks.sliding_window_view(x, SPECTRO_NFFT)[::hop]
    per_column = math.ceil(len(frames) / SPECTRO_COLUMNS)
    window = np.hanning(SPECTRO_NFFT).astype(np.float32)
    columns, chunk = [], per_column * 64  # whole columns at a time: bounded memory
    for i in range(0, len(frames), chunk):
        spectrum = np.fft.rfft(frames[i:i + chunk] * window)
        power = spectrum.real ** 2 + spectrum.imag ** 2
        whole = len(power) // per_column * per_column
        columns.append(power[:whole].reshape(-1, per_column, power.shape[1]).mean(axis=1))
        if whole < len(power):
            columns.append(power[whole:].mean(axis=0, keepdims=True))
    db = 10 * np.log10(np.concatenate(columns).T + 1e-12)
    return db - db.max(), hop * per_column / rate


def plot_spectrogram(path_or_recording: str | Path | Recording, *, channel: int = 0,
                     title: str | None = None) -> Figure:
    """Pitch over time of one channel: the beep is a line at 1000 Hz, a key press two lines."""
    rec = _recording(path_or_recording)
    db, step = _spectrogram(rec.channel(channel), rec.sample_rate)
    fig = _LabFigure(figsize=(WIDTH, 4.2), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
                      extent=(0, db.shape[1] * step, 0, rec.sample_rate / 2),
                      interpolation="nearest")
    ax.set(ylim=(0, min(4000, rec.sample_rate / 2)), ylabel="pitch (Hz)",
           xlabel="seconds from the start of the recording")
    fig.colorbar(image, ax=ax, pad=0.01).set_label("loudness (dB below the loudest)")
    names = default_channel_names(rec.channels)
    name = names[channel] if channel < len(names) else f"channel {channel}"
    ax.set_title(title or f"Spectrogram ({name}): which pitches sound when\n"
                 "a beep is one bright line at 1000 Hz; a key press (DTMF) is two lines "
                 "at once", fontsize=11)
    return fig


def plot_before_after(before: str | Path | Recording, after: str | Path | Recording, *,
                      title: str, labels: tuple[str, str] = ("before", "after"),
                      channel_names: tuple[list[str], list[str]] | None = None) -> Figure:
    """Two recordings stacked on one time scale, each channel a band of its own.

    Bands read "channel 0", "channel 1"...: numbers shift when a channel is dropped, so pass
    `channel_names` (before's, after's) to say who is on each.
    """
    recs = [_recording(before), _recording(after)]
    fig = _LabFigure(figsize=(WIDTH, 0.9 * sum(r.channels for r in recs) + 2.2),
                     layout="constrained")
    axes = fig.subplots(2, 1, sharex=True, height_ratios=[r.channels + 0.6 for r in recs])
    for n, (ax, rec, label) in enumerate(zip(axes, recs, labels, strict=True)):
        names = list(channel_names[n]) if channel_names else []
        names += [f"channel {i}" if rec.channels > 1 else "mono"
                  for i in range(len(names), rec.channels)]
        for i in range(rec.channels):
            _draw_envelope(ax, rec.channel(i), rec.sample_rate, 0.0, WAVE_COLOURS[-1], -2.3 * i)
        ax.set_yticks([-2.3 * i for i in range(rec.channels)], names[: rec.channels],
                      fontsize=FONT + 1)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-2.3 * (rec.channels - 1) - 1.1, 1.1)
        kind = "mono" if rec.channels == 1 else f"{rec.channels} channels"
        ax.set_title(f"{label}: {_length(rec.duration)}, {kind}", loc="left", fontsize=FONT + 2)
        _bare(ax)
    axes[-1].set_xlabel("seconds from the start of the file")
    fig.suptitle(title, fontsize=12)
    return fig


def save(fig: Figure, path: str | Path) -> Path:
    """Write the figure as a PNG at DPI, then release it; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI)
    if fig.canvas.manager is not None:  # made by pyplot (an `ax` from plt.subplots)
        import matplotlib.pyplot as plt

        plt.close(fig)
    else:
        fig.clear()
    return path
