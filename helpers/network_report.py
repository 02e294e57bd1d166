"""What a bad network did to a test call: the simulator's packet counts, an estimated MOS per
party, and a short stretch of a recording to look at closely (lesson 14)."""

from __future__ import annotations

from pathlib import Path

from .call_timeline import CallTimeline, as_timeline
from .quality import estimate_mos
from .recordings import Recording, load

PARTY = {0: "first leg (the person called)", 1: "the NCCO's audio"}


def _party(source: int) -> str:
    return PARTY.get(source, f"connected leg {source - 1}")


def network_reports(timeline: CallTimeline | dict) -> list[dict]:
    """Every recording's per-party network report (the simulator's counts), with the party
    named and the recording's index; empty when no party of the call had network conditions."""
    story = as_timeline(timeline)
    return [{"recording": i, "party": _party(r["source"]), **r}
            for i, run in enumerate(story.recordings) for r in run.network]


def packet_table(timeline: CallTimeline | dict) -> str:
    """A plain-text table of what the jitter buffer did to each party's packets."""
    rows = network_reports(timeline)
    if not rows:
        return "No party on this call had network conditions: every packet arrived in time."
    lines = [f"{'party':<32}{'jitter':>8}{'loss':>7}{'packets':>9}{'lost':>6}{'late':>6}"
             f"{'concealed':>11}{'silenced':>10}{'in speech':>11}{'measured jitter':>17}"]
    for r in rows:
        lines.append(f"{r['party']:<32}{r['jitter_ms']:>6.0f}ms{r['loss']:>7.0%}"
                     f"{r['packets']:>9}{r['lost']:>6}{r['late']:>6}{r['concealed']:>11}"
                     f"{r['silenced']:>10}{r['dropped_in_speech']:>11}"
                     f"{r['measured_jitter_ms']:>15.1f}ms")
    return "\n".join(lines)


def line_estimate(timeline: CallTimeline | dict, delay_ms: float = 0.0) -> str:
    """The estimated MOS of each party's line from its script's jitter and loss (E-model)."""
    rows = network_reports(timeline)
    if not rows:
        return str(estimate_mos(0.0, 0.0, delay_ms)) + " (a perfect line)"
    seen, lines = set(), []
    for r in rows:
        if r["source"] not in seen:
            seen.add(r["source"])
            lines.append(f"{r['party']}: {estimate_mos(r['loss'], r['jitter_ms'], delay_ms)}")
    return "\n".join(lines)


def excerpt(path_or_recording: str | Path | Recording, start: float, seconds: float = 1.0,
            channel: int | None = None) -> Recording:
    """`seconds` of a recording from `start` (seconds from its beginning), to look at closely;
    with `channel`, that channel alone."""
    rec = path_or_recording if isinstance(path_or_recording, Recording) else \
        load(path_or_recording)
    first = max(0, round(start * rec.sample_rate))
    last = min(rec.samples.shape[0], first + round(seconds * rec.sample_rate))
    if last <= first:
        raise ValueError(f"the recording is {rec.duration:.1f} s long: nothing from {start} s")
    samples = rec.samples[first:last]
    if channel is not None:
        samples = rec.channel(channel)[first:last, None]
    return Recording(samples, rec.sample_rate, rec.path)
