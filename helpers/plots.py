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
from .recordings import Recording

DPI = 100
WIDTH = 11.0  # inches: fills a JupyterLab cell at DPI
ENVELOPE_POINTS = 2000  # min/max buckets per channel: bounded work for any length
SPECTRO_NFFT = 256
SPECTRO_COLUMNS = 1500
FONT = 9
CHAR_PT = 0.56 * FONT  # average width of one character of bar text, in points
COLOURS = {
    "ncco": "#9ecae1", "background": "#deebf7", "speech": "#a1d99b", "tts": "#fdd0a2",
    "music": "#dadaeb", "beep": "#fd8d3c", "dtmf": "#bdbdbd", "leg": "#99d8c9",
    "ringing": "#f0f0f0", "call": "#f7f7f7", "muted": "#bdbdbd", "recording": "#fc9272",
    "shade": "#fee0d2", "key": "#6a51a3", "end": "#252525", "next": "#08519c",
}
WAVE_COLOURS = ["#31a354", "#e6550d", "#1c9099", "#756bb1", "#636363"]
SOUND_NAMES = {"tts": "talk", "music": "stream", "beep": "beep", "speech": "speaks"}


class _LabFigure(Figure):
    """A Figure that renders itself as PNG in Jupyter even when pyplot was never imported."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


# --- the timeline as lanes of bars ------------------------------------------------------------
@dataclass
class _Bar:
    start: float
    end: float
    text: str = ""
    colour: str = COLOURS["ncco"]
    hatch: str | None = None
    align: str = "auto"  # "auto" fits the text in or after the bar; "right" ends it at `end`
    overlay: bool = False  # drawn over the lane's bars (e.g. muted), not given its own row
    short: str = ""  # a shorter label for when `text` does not fit
    row: int = 0


@dataclass
class _Lane:
    name: str
    bars: list[_Bar] = field(default_factory=list)
    rows: int = 1


@dataclass
class _Story:
    """A timeline turned into what the plots draw, all times from the answer."""

    lanes: list[_Lane]
    windows: list[tuple[float, float]]
    presses: list[dict]
    beeps: list[float]
    start: float
    end: float
    next_after_record: tuple[float, str] | None = None


def _t0(timeline: dict) -> float:
    return timeline["answered"] if timeline.get("answered") is not None else 0.0


def _call_end(timeline: dict) -> float:
    return timeline.get("ended") if timeline.get("ended") is not None else timeline["now"]


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(action: str, body: dict) -> str:
    if action == "talk":
        return f'talk "{_short(body.get("text", ""), 60)}"'
    if action == "stream":
        return "stream " + _short(str((body.get("streamUrl") or [""])[0]).split("/")[-1], 30)
    if action == "connect":
        endpoint = (body.get("endpoint") or [{}])[0]
        return "connect " + str(endpoint.get("number") or endpoint.get("uri") or "")
    if action == "record":
        stops = [f"{k} {body[k]}" for k in ("endOnKey", "endOnSilence", "timeOut") if k in body]
        return "record (waits for " + " / ".join(stops) + ")" if stops else "record"
    if action == "input":
        return "input (waits for " + ("keys)" if "dtmf" in body.get("type", []) else "speech)")
    if action == "wait":
        return f"wait {body.get('timeout', 10)} s"
    if action == "conversation":
        return f"conversation {body.get('name', '')}"
    return action


def _actions(timeline: dict, t0: float, end: float) -> tuple[list[_Bar], list[_Bar]]:
    """(bars the NCCO waits on, bars running in the background) from action/action_end pairs."""
    log, waited, background = timeline["log"], [], []
    for i, entry in enumerate(log):
        if entry["what"] != "action":
            continue
        index, action, body = entry["index"], entry["action"], entry.get("body") or {}
        stop = None
        for later in log[i + 1:]:
            if later["what"] == "action" and later["index"] == index:
                break
            if later["what"] == "action_end" and later["index"] == index:
                stop = later["t"]
                break
        label = _describe(action, body)
        if stop is not None or action not in ("record", "talk", "stream"):
            if action != "notify":
                waited.append(_Bar(entry["t"] - t0, (stop or end + t0) - t0, label,
                                   short=action))
            continue
        if action == "record":
            runs = [r for r in timeline["recordings"]
                    if r["action_index"] == index and abs(r["start"] - entry["t"]) < 1e-6]
            until = runs[0]["end"] if runs and runs[0]["end"] is not None else end + t0
            holds = any(e["what"] == "holding" and e["t"] == entry["t"] for e in log)
            label = "record: last action, holds the call open" if holds else \
                "record, not blocking: the NCCO moves on"
        else:
            kind = "tts" if action == "talk" else "music"
            sounds = [s for s in timeline["sounds"] if s["source"] == 1 and s["kind"] == kind
                      and abs(s["start"] - entry["t"]) < 1e-6]
            until = sounds[0]["end"] if sounds and sounds[0]["end"] is not None else end + t0
            label += " (bargeIn: the NCCO moves on)"
        background.append(_Bar(entry["t"] - t0, until - t0, label, COLOURS["background"], "//",
                               short=action))
    return waited, background


def _sound_bars(timeline: dict, source: int, t0: float, end: float, colour: str) -> list[_Bar]:
    bars = []
    for sound in timeline["sounds"]:
        if sound["source"] != source or (source == 0 and sound["kind"] == "dtmf"):
            continue
        stop = (sound["end"] if sound["end"] is not None else end + t0) - t0
        kind = sound["kind"]
        text = sound["digit"] or "" if kind == "dtmf" else SOUND_NAMES.get(kind, kind)
        bars.append(_Bar(sound["start"] - t0, stop, "" if kind == "speech" else text,
                         COLOURS.get(kind, colour) if source == 1 else colour))
    return bars


def _story(timeline: dict) -> _Story:
    """Lanes (top to bottom), recording windows, presses and marks of one call."""
    t0, end = _t0(timeline), _call_end(timeline) - _t0(timeline)
    log = timeline["log"]
    ringing = next((e["t"] for e in log if e.get("status") == "ringing"), t0) - t0
    answered = timeline.get("answered") is not None
    call = _Lane("Call", [_Bar(ringing, 0.0 if answered else end, "ringing",
                               COLOURS["ringing"])])
    reason = timeline.get("end_reason") or "still in progress"
    if answered:
        call.bars.append(_Bar(0.0, end, f"call ends: {reason}", COLOURS["call"], align="right"))
    else:
        call.bars[0].text = f"ringing, not answered: {reason}"
    waited, background = _actions(timeline, t0, end)
    lanes = [call, _Lane("NCCO actions", waited)]
    if background:
        lanes.append(_Lane("NCCO, in background", background))
    caller = _Lane("Caller speaks", _sound_bars(timeline, 0, t0, end, COLOURS["speech"]))
    for start, stop in timeline.get("mutes", []):
        caller.bars.append(_Bar(start - t0, (stop if stop is not None else end + t0) - t0,
                                "muted", COLOURS["muted"], "xx", overlay=True))
    lanes.append(caller)
    presses = [dict(e, t=e["t"] - t0) for e in log if e["what"] == "press"]
    if presses:
        lanes.append(_Lane("Keys pressed"))
    lanes.append(_Lane("Caller hears", _sound_bars(timeline, 1, t0, end, COLOURS["tts"])))
    for n, leg in enumerate(timeline.get("legs", []), start=1):
        began = next((e["t"] for e in log if e.get("leg") == leg["uuid"]), t0) - t0
        stop = (leg["ended"] if leg["ended"] is not None else end + t0) - t0
        answer = leg["answered"] - t0 if leg["answered"] is not None else stop
        bars = [_Bar(began, answer, "ringing" if leg["answered"] else "ringing, no answer",
                     COLOURS["ringing"])]
        bars += _sound_bars(timeline, leg["source"], t0, end, COLOURS["leg"])
        lanes.append(_Lane(f"Connected party {n}\n{leg['number']}", bars))
    windows, record_lane = [], _Lane("Recording")
    many = len(timeline["recordings"]) > 1
    for n, rec in enumerate(timeline["recordings"], start=1):
        stop = (rec["end"] if rec["end"] is not None else end + t0) - t0
        windows.append((rec["start"] - t0, stop))
        why = rec["ended_by"] or "still recording"
        why = f"until {why}" if why.startswith("the ") else f"ended by {why}"
        record_lane.bars.append(_Bar(rec["start"] - t0, stop,
                                     f"recorded{f' ({n})' if many else ''}: {why}",
                                     COLOURS["recording"], short="recorded"))
    lanes.append(record_lane)
    for lane in lanes:
        _assign_rows(lane)
    beeps = [s["start"] - t0 for s in timeline["sounds"] if s["kind"] == "beep"]
    return _Story(lanes, windows, presses, beeps, min(ringing, 0.0), end,
                  _next_after_record(log, t0))


def _assign_rows(lane: _Lane) -> None:
    """Give overlapping bars of a lane their own rows, so none hides another."""
    ends: list[float] = []
    for bar in sorted((b for b in lane.bars if not b.overlay), key=lambda b: b.start):
        row = next((r for r, stop in enumerate(ends) if stop <= bar.start + 1e-9), len(ends))
        if row == len(ends):
            ends.append(bar.end)
        ends[row], bar.row = bar.end, row
    lane.rows = max(1, len(ends))


def _next_after_record(log: list[dict], t0: float) -> tuple[float, str] | None:
    record = next((e for e in log if e["what"] == "action" and e["action"] == "record"), None)
    if record is None:
        return None
    after = next((e for e in log if e["what"] == "action" and e["t"] >= record["t"]
                  and e["index"] == record["index"] + 1), None)
    return (after["t"] - t0, after["action"]) if after else None


# --- drawing ----------------------------------------------------------------------------------
def _pt_per_second(ax: Axes, story: _Story, span: float, own: bool) -> float:
    """Points per second on the x axis, knowing constrained layout leaves room for lane names."""
    names = max(_width(line, FONT + 1) for lane in story.lanes for line in lane.name.split("\n"))
    width = ax.figure.get_figwidth() * 72 - names - 30 if own else \
        ax.get_position().width * ax.figure.get_figwidth() * 72 * 0.85
    return width / max(span, 1e-6)


_HATCHED = {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85}


@lru_cache(maxsize=4096)
def _width(text: str, size: float = FONT) -> float:
    """Width of one line of text in points."""
    return text_to_path.get_text_width_height_descent(text, FontProperties(size=size),
                                                      ismath=False)[0]


def _label(text: str, short: str, seconds: float, pt_per_s: float,
           truncate: bool = True) -> tuple[str, float]:
    """(text, font size) that fits `seconds` of width: whole, smaller, cut short, or `short`."""
    width = seconds * pt_per_s - CHAR_PT
    for candidate, size in ((text, FONT), (text, FONT - 1.5), (short, FONT), (short, FONT - 1.5)):
        if candidate and _width(candidate, size) <= width:
            if candidate is short and truncate and int(width / CHAR_PT) > 12:
                break  # a longer piece of the full text says more than the short name
            return candidate, size
    chars = int(width / CHAR_PT)
    while chars >= 12 and _width(text[: chars - 1] + "…") > width:
        chars -= 1
    return (text[: chars - 1] + "…", FONT) if truncate and chars >= 12 else ("", FONT)


def _draw_lane_text(ax: Axes, lane: _Lane, y: float, xlim: tuple[float, float],
                    pt_per_s: float) -> None:
    (xmin, xmax), bars = xlim, sorted(lane.bars, key=lambda b: b.start)
    for bar in (b for b in bars if b.text):
        y_bar, pad = y + bar.row, 0.4 * CHAR_PT / pt_per_s
        style = {"va": "center", "bbox": _HATCHED if bar.hatch or bar.align == "right" else None,
                 "zorder": 6}
        inside = _label(bar.text, bar.short, bar.end - bar.start, pt_per_s, truncate=False)
        later = [b.start for b in bars if b.row == bar.row and b.start > bar.start + 1e-9
                 and not b.overlay]
        after = (bar.end if bar.align == "right" else bar.start,
                 min(later, default=xmax) if bar.align != "right" else xmax)
        if inside[0] == bar.text:
            text, size = inside
            x, ha = (bar.end - pad, "right") if bar.align == "right" else \
                ((bar.start + bar.end) / 2, "center")
        elif _label(bar.text, "", after[1] - after[0], pt_per_s, False)[0]:
            x, ha, text, size = after[0] + pad, "left", bar.text, FONT
            style["bbox"] = _HATCHED  # it runs past its bar: keep it readable over lines
        elif bar.align == "right":
            x, ha = bar.end - pad, "right"
            text, size = _label(bar.text, "", bar.end - xmin, pt_per_s)
        else:
            x, ha = bar.start + pad, "left"
            text, size = _label(bar.text, bar.short, bar.end - bar.start, pt_per_s)
            if text == bar.short:
                x, ha = (bar.start + bar.end) / 2, "center"
        if text:
            ax.text(x, y_bar, text, ha=ha, fontsize=size, **style)


def _group_presses(presses: list[dict]) -> list[list[dict]]:
    groups: list[list[dict]] = []
    for press in presses:
        if groups and press["t"] - groups[-1][-1]["t"] < 0.6 and \
                press["source"] == groups[-1][-1]["source"]:
            groups[-1].append(press)
        else:
            groups.append([press])
    return groups


def _effect(group: list[dict]) -> str:
    effects = []
    for press in group:
        for part in str(press.get("effect", "")).split("; "):
            part = part if len(part) <= 32 else re.sub(r"\s*\([^)]*\)", "", part)
            if part and part not in effects:
                effects.append(part)
    return "; ".join(effects)


def _key_note(effect: str, seconds: float, pt_per_s: float) -> str:
    """The effect text in up to two lines that fit `seconds` of width; "" when nothing fits."""
    chars = int(seconds * pt_per_s / CHAR_PT) - 1
    if chars < 12:
        return ""
    return "\n".join(textwrap.wrap(effect, chars, max_lines=2, placeholder=" …"))


def _draw_presses(ax: Axes, story: _Story, y: float | None, xlim: tuple[float, float],
                  pt_per_s: float) -> None:
    for press in story.presses:
        ax.axvline(press["t"], color=COLOURS["key"], lw=0.9, ls=":", zorder=1)
    if y is None:
        return
    groups = _group_presses(story.presses)
    middles = [(g[0]["t"] + g[-1]["t"]) / 2 for g in groups]
    half = [(_width(_badge(g), FONT + 1) / 2 + 8) / pt_per_s for g in groups]
    for i, group in enumerate(groups):
        ax.text(middles[i], y, _badge(group), ha="center", va="center", fontsize=FONT + 1,
                weight="bold", color="white", zorder=4,
                bbox={"boxstyle": "round,pad=0.25", "lw": 0, "fc": COLOURS["key"]})
        right = middles[i] + half[i]
        right_room = (middles[i + 1] - half[i + 1] if i + 1 < len(groups) else xlim[1]) - right
        left = middles[i] - half[i]
        left_room = left - (middles[i - 1] + half[i - 1] if i else xlim[0])
        effect = _effect(group)
        note = _key_note(effect, right_room, pt_per_s)
        if "\n" not in note and "…" not in note and note or right_room >= left_room:
            ax.text(right, y, note, ha="left", va="center", fontsize=FONT,
                    color=COLOURS["key"])
        else:
            ax.text(left, y, _key_note(effect, left_room, pt_per_s), ha="right", va="center",
                    fontsize=FONT, color=COLOURS["key"])


def _badge(group: list[dict]) -> str:
    who = "" if group[0]["source"] == 0 else f"party {group[0]['source'] - 1}: "
    return who + " ".join(p["digit"] for p in group)


def _draw_story(ax: Axes, story: _Story, xlim: tuple[float, float], own: bool) -> None:
    """Lanes as rows of bars, recording windows shaded, presses and the call's end marked."""
    pt_per_s = _pt_per_second(ax, story, xlim[1] - xlim[0], own)
    ax.set_xlim(*xlim)
    y, centres = 0, []
    for lane in story.lanes:
        for bar in lane.bars:
            height = 0.8 if bar.overlay else 0.62
            ax.barh(y + bar.row, bar.end - bar.start, left=bar.start, height=height,
                    color=bar.colour, hatch=bar.hatch, edgecolor="#636363", lw=0.6,
                    alpha=0.55 if bar.overlay else 1.0, zorder=3 if bar.overlay else 2)
        _draw_lane_text(ax, lane, y, xlim, pt_per_s)
        if not lane.bars and lane.name != "Keys pressed":
            ax.text(sum(xlim) / 2, y, "(silent)", ha="center", va="center", fontsize=FONT,
                    color="#737373", style="italic")
        if lane.name == "Keys pressed":
            _draw_presses(ax, story, y, xlim, pt_per_s)
        centres.append(y + (lane.rows - 1) / 2)
        y += lane.rows
        ax.axhline(y - 0.5, color="#d9d9d9", lw=0.6, zorder=1)
    if not any(lane.name == "Keys pressed" for lane in story.lanes):
        _draw_presses(ax, story, None, xlim, pt_per_s)
    for start, stop in story.windows:
        ax.axvspan(start, stop, color=COLOURS["shade"], zorder=0, lw=0)
    ax.axvline(story.end, color=COLOURS["end"], lw=1.2, zorder=4)
    ax.set_ylim(y - 0.5, -0.5)
    ax.set_yticks(centres, [lane.name for lane in story.lanes], fontsize=FONT + 1)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e0e0e0", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _span(stories: list[_Story]) -> tuple[float, float]:
    start, end = min(s.start for s in stories), max(s.end for s in stories)
    pad = 0.02 * (end - start or 1.0)
    return start - pad, end + pad


def _rows(story: _Story) -> int:
    return sum(lane.rows for lane in story.lanes)


def plot_timeline(timeline: dict, *, title: str | None = None, ax: Axes | None = None) -> Figure:
    """A call as lanes in time: NCCO actions, who speaks and hears, keys, what was recorded."""
    story = _story(timeline)
    own = ax is None
    if own:
        fig = _LabFigure(figsize=(WIDTH, 0.42 * _rows(story) + 1.4), layout="constrained")
        ax = fig.subplots()
    _draw_story(ax, story, _span([story]), own)
    ax.set_title(title or "Call timeline: what was recorded and when", fontsize=12)
    ax.set_xlabel("seconds from answer")
    return ax.figure


def compare_timelines(timelines: dict[str, dict], *, title: str | None = None) -> Figure:
    """Calls stacked on one time axis, with a line where the action after the record starts."""
    stories = [_story(t) for t in timelines.values()]
    heights = [_rows(s) + 1.5 for s in stories]
    fig = _LabFigure(figsize=(WIDTH, 0.42 * sum(heights) + 1.0), layout="constrained")
    axes = fig.subplots(len(stories), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    xlim = _span(stories)
    for ax, name, story in zip(axes, timelines, stories, strict=True):
        _draw_story(ax, story, xlim, True)
        nxt = story.next_after_record
        if nxt is None:
            note = "no action after the record"
        else:
            ax.axvline(nxt[0], color=COLOURS["next"], lw=2.2, zorder=5)
            note = f"the next action ({nxt[1]}) starts {nxt[0]:.1f} s after answer (blue line)"
        ax.set_title(f"{name}: {note}", loc="left", fontsize=11)
    axes[-1].set_xlabel("seconds from answer")
    fig.suptitle(title or "Call timelines compared: when does the action after the record "
                 "start?", fontsize=12)
    return fig


# --- audio -----------------------------------------------------------------------------------
def _recording(source: str | Path | Recording) -> Recording:
    return source if isinstance(source, Recording) else recordings.load(source)


def default_channel_names(channels: int) -> list[str]:
    """What each channel holds: a mono mix, or split by who says / hears it."""
    if channels == 1:
        return ["mix of every party"]
    names = ["channel 1: what the caller says", "channel 2: what the caller hears"]
    names += [f"channel {n}: connected party {n - 2}" for n in range(3, channels + 1)]
    return names[:channels]


def _window_of(timeline: dict, rec: Recording) -> dict | None:
    """The timeline's recording this file holds: by recording_uuid in its name, else length."""
    runs = [r for r in timeline.get("recordings", []) if r["end"] is not None]
    stem = rec.path.stem if rec.path is not None else ""
    named = [r for r in runs if r["recording_uuid"] == stem]
    if named:
        return named[0]
    return min(runs, key=lambda r: abs(r["end"] - r["start"] - rec.duration), default=None)


def _draw_envelope(ax: Axes, samples: np.ndarray, rate: int, offset: float, colour: str,
                   lift: float = 0.0) -> None:
    """The channel's min/max per bucket: the same picture as every sample, at bounded cost."""
    times, mins, maxs = recordings.envelope(samples, rate, ENVELOPE_POINTS)
    ax.fill_between(times + offset, mins + lift, maxs + lift, color=colour, lw=0.4,
                    edgecolor=colour)
    if times.size and max(-mins.min(), maxs.max()) < 1e-3:
        ax.text(offset + times[-1] / 2, lift + 0.35, "silent: nothing on this channel",
                ha="center", va="bottom", fontsize=FONT, color="#525252")


def _marks(timeline: dict, window: dict | None) -> tuple[list[tuple[float, str]], list[float]]:
    """(key presses as (time, digit), beep times) from the answer, inside the recording."""
    t0 = _t0(timeline)
    a, b = (window["start"], window["end"]) if window else (-math.inf, math.inf)
    keys = [(e["t"] - t0, e["digit"]) for e in timeline["log"]
            if e["what"] == "press" and a <= e["t"] <= b]
    beeps = [s["start"] - t0 for s in timeline["sounds"] if s["kind"] == "beep"
             and a <= s["start"] <= b]
    return keys, beeps


def _length(seconds: float) -> str:
    return f"{seconds:.1f} s" + (f" ({seconds / 60:.0f} min)" if seconds >= 120 else "")


def _key_labels(keys: list[tuple[float, str]], pt_per_s: float) -> list[tuple[float, str]]:
    """One label per key, or one per run of keys too close to label apart ("keys 1234#")."""
    runs: list[list[tuple[float, str]]] = []
    for t, digit in keys:
        if runs and (t - runs[-1][-1][0]) * pt_per_s < _width(" key 0 ") + 4:
            runs[-1].append((t, digit))
        else:
            runs.append([(t, digit)])
    return [(run[0][0], f" key {run[0][1]}" if len(run) == 1 else
             " keys " + "".join(d for _, d in run)) for run in runs]


def plot_waveform(path_or_recording: str | Path | Recording, *, timeline: dict | None = None,
                  title: str | None = None, channel_names: list[str] | None = None) -> Figure:
    """One panel per channel; with `timeline`, 0 = the call's answer and keys/beep are marked."""
    rec = _recording(path_or_recording)
    names = channel_names or default_channel_names(rec.channels)
    window = _window_of(timeline, rec) if timeline else None
    offset = window["start"] - _t0(timeline) if window else 0.0
    fig = _LabFigure(figsize=(WIDTH, 1.5 * rec.channels + 1.2), layout="constrained")
    axes = fig.subplots(rec.channels, 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    start, end = offset, offset + rec.duration
    if timeline:
        start, end = min(0.0, start), max(_call_end(timeline) - _t0(timeline), end)
    keys, beeps = _marks(timeline, window) if timeline else ([], [])
    key_labels = _key_labels(keys, (WIDTH * 72 - 170) / max(end - start, 1e-6))
    for i, ax in enumerate(axes):
        colour = WAVE_COLOURS[min(i, 2) if rec.channels > 1 else -1]
        _draw_envelope(ax, rec.channel(i), rec.sample_rate, offset, colour)
        name = names[i] if i < len(names) else f"channel {i + 1}"
        ax.set_ylabel(name.replace(": ", ":\n", 1), rotation=0, ha="right", va="center",
                      fontsize=FONT + 1)
        ax.set_ylim(-1.05, 1.05)
        ax.set_yticks([])
        ax.set_xlim(start - 0.01 * (end - start), end + 0.01 * (end - start))
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        if timeline:
            ax.axvspan(offset, offset + rec.duration, color=COLOURS["shade"], zorder=0, lw=0)
        top = blended_transform_factory(ax.transData, ax.transAxes)
        for t, _digit in keys:
            ax.axvline(t, color=COLOURS["key"], lw=0.9, ls=":")
        for t, text in key_labels:
            ax.text(t, 0.98, text, transform=top, va="top", ha="left", fontsize=FONT,
                    color=COLOURS["key"])
        for t in beeps:
            ax.text(t, 0.98, " beep", transform=top, va="top", ha="left", fontsize=FONT,
                    color="#a63603")
    if timeline:
        label = blended_transform_factory(axes[0].transData, axes[0].transAxes)
        axes[0].text(offset, 1.02, "recorded", transform=label, ha="left", va="bottom",
                     fontsize=FONT, color="#a50f15")
    axes[-1].set_xlabel("seconds from answer" if timeline else
                        "seconds from the start of the recording")
    kind = "mono" if rec.channels == 1 else f"{rec.channels} channels, split"
    fig.suptitle(title or f"What the recording holds: {_length(rec.duration)}, {kind}",
                 fontsize=12)
    return fig


def _spectrogram(x: np.ndarray, rate: int) -> tuple[np.ndarray, float]:
    """(dB below the loudest, seconds per column): every frame is analysed, then averaged into
    at most SPECTRO_COLUMNS columns, so hours of audio make a picture of bounded size."""
    x = np.asarray(x, dtype=np.float32)
    if x.size < SPECTRO_NFFT:
        x = np.pad(x, (0, SPECTRO_NFFT - x.size))
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
    top = rec.sample_rate / 2
    image = ax.imshow(db, origin="lower", aspect="auto", cmap="magma",
                      extent=(0, db.shape[1] * step, 0, top),
                      vmin=-80, vmax=0, interpolation="nearest")
    ax.set_ylim(0, min(4000, top))
    ax.set_ylabel("pitch (Hz)")
    ax.set_xlabel("seconds from the start of the recording")
    fig.colorbar(image, ax=ax, pad=0.01).set_label("loudness (dB below the loudest)")
    name = default_channel_names(rec.channels)[channel] if channel < max(rec.channels, 3) \
        else f"channel {channel + 1}"
    ax.set_title(title or f"Spectrogram ({name}): which pitches sound when\n"
                 "a beep is one bright line at 1000 Hz; a key press (DTMF) is two lines "
                 "at once", fontsize=11)
    return fig


def plot_before_after(before: str | Path | Recording, after: str | Path | Recording, *,
                      title: str, labels: tuple[str, str] = ("before", "after"),
                      channel_names: tuple[list[str], list[str]] | None = None) -> Figure:
    """Two recordings stacked on the same time scale, each channel as its own band.

    Bands are "channel 1", "channel 2"...: after dropping a channel the numbers shift, so pass
    `channel_names` (before's, after's) to say who is on each.
    """
    recs = [_recording(before), _recording(after)]
    bands = [r.channels for r in recs]
    fig = _LabFigure(figsize=(WIDTH, 0.9 * sum(bands) + 2.2), layout="constrained")
    axes = fig.subplots(2, 1, sharex=True, height_ratios=[b + 0.6 for b in bands])
    for n, (ax, rec, label) in enumerate(zip(axes, recs, labels, strict=True)):
        names = list(channel_names[n]) if channel_names else []
        names += [f"channel {i + 1}" if rec.channels > 1 else "mono"
                  for i in range(len(names), rec.channels)]
        for i in range(rec.channels):
            _draw_envelope(ax, rec.channel(i), rec.sample_rate, 0.0, WAVE_COLOURS[-1], -2.3 * i)
        ax.set_yticks([-2.3 * i for i in range(rec.channels)], names[: rec.channels],
                      fontsize=FONT + 1)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-2.3 * (rec.channels - 1) - 1.1, 1.1)
        kind = "mono" if rec.channels == 1 else f"{rec.channels} channels"
        ax.set_title(f"{label}: {_length(rec.duration)}, {kind}", loc="left",
                     fontsize=FONT + 2)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel("seconds from the start of the file")
    fig.suptitle(title, fontsize=12)
    return fig


def save(fig: Figure, path: str | Path) -> Path:
    """Write the figure as PNG at DPI and release it; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI)
    if fig.canvas.manager is not None:  # made by pyplot (an `ax` from plt.subplots)
        import matplotlib.pyplot as plt

        plt.close(fig)
    else:
        fig.clear()
    return path
