"""Lesson 11's download loop: every recording of a day on disk before retention ends.

Resumable (a run fetches only what is missing or damaged), idempotent (a second run fetches
nothing), atomic (an interrupted download leaves only a `.part` file, removed next time) and
safe with two runs on one folder at once (they take turns on each recording). A copy is whole
when its size is the record event's `size` and it decodes to the event's length.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import soundfile as sf
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import assumptions, plots
from .calls import NOT_FOUND_MEANING, RecordingDownloadError, download_recording
from .client import Lab
from .files import folder_lock, remove_leftovers

__all__ = ["FetchReport", "fetch_all_recordings", "whole_copy", "decoded_seconds",
           "plot_fetch_runs"]


@dataclass
class FetchReport:
    """What one run of `fetch_all_recordings` did to each recording, in the order given."""

    outcomes: list[tuple[str, str, Path | None]] = field(default_factory=list)
    removed_parts: int = 0

    def count(self, status: str) -> int:
        """How many recordings ended in `status`: downloaded, skipped or failed."""
        return sum(1 for outcome in self.outcomes if outcome[0] == status)

    @property
    def paths(self) -> list[Path | None]:
        """Where each recording is on disk (None when it failed)."""
        return [path for _, _, path in self.outcomes]

    @property
    def complete(self) -> bool:
        """True when every recording is safely on disk."""
        return self.count("failed") == 0

    def __repr__(self) -> str:
        lines = [f"{len(self.outcomes)} recordings: {self.count('downloaded')} downloaded, "
                 f"{self.count('skipped')} already complete (skipped), "
                 f"{self.count('failed')} failed."]
        if self.removed_parts:
            lines.append(f"Removed {self.removed_parts} half-written file(s) from an interrupted "
                         "run.")
        lines += [f"  #{n}: {status}: {why}" for n, (status, why, _) in
                  enumerate(self.outcomes, start=1) if status != "skipped"]
        return "\n".join(lines)


class _Progress:
    """A progress bar in a notebook (ipywidgets), a text line anywhere else."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.bar, self.enabled = total, None, enabled
        if enabled and _in_notebook():
            from IPython.display import display
            from ipywidgets import IntProgress

            self.bar = IntProgress(value=0, min=0, max=total, description="recordings")
            display(self.bar)

    def step(self, done: int) -> None:
        if self.bar is not None:
            self.bar.value = done
        elif self.enabled:
            print(f"\rfetched {done}/{self.total}", end="\n" if done == self.total else "",
                  flush=True)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _why(error: Exception) -> str:
    text = str(error)
    if text.startswith("404"):  # the status, not a body text, says what happened (§4.7)
        return NOT_FOUND_MEANING
    if text.startswith("401"):
        return "401: only the application that made the call can fetch it"
    return text.split(". ")[0][:160]


def fetch_all_recordings(lab: Lab, record_events: list[dict], folder: str | Path,
                         progress: bool = True) -> FetchReport:
    """Download every recording not yet safely on disk; run it again to resume after a failure.

    A copy counts as done when its size equals the event's `size` and it decodes to the
    event's length, `end_time` - `start_time` (`whole_copy`); any other copy is fetched again.
    Downloads are atomic (`download_recording`), so an interrupted run leaves only `.part`
    files, which the next run removes. Two runs on one folder at once (two kernels, two
    threads) take turns on each recording (`folder_lock`): one skips what the other finished.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    with folder_lock(folder):  # no other run is writing now: any .part file is a leftover
        report.removed_parts = remove_leftovers(folder)
    bar = _Progress(len(record_events), progress)
    for done, event in enumerate(record_events, start=1):
        with folder_lock(folder):
            existing = [p for p in folder.glob(f"{event['recording_uuid']}.*") if p.is_file()]
            problems = {p: whole_copy(p, event) for p in existing}
            complete = [p for p, problem in problems.items() if problem is None]
            if complete:
                report.outcomes.append(("skipped", "already complete", complete[0]))
            else:
                report.outcomes.append(_fetch_again(lab, event, folder, problems))
        bar.step(done)
    return report


def whole_copy(path: Path, event: dict) -> str | None:
    """Why the file at `path` is not the whole recording of `event`, or None when it is.

    Its size must be the event's `size`, and it must decode (to the end) to the event's
    length within a tolerance (`assumptions.RECORDING_LENGTH_TOLERANCE_SECONDS`): a copy of
    the right size can still have lost its end (a copy tool that reserves the space first).
    """
    size = path.stat().st_size
    if size != int(event["size"]):
        return f"{size:,} of {int(event['size']):,} bytes"
    span = _event_seconds(event)
    if span is None:  # no usable times in the event: the size alone decides
        return None
    seconds = decoded_seconds(path)
    allowed = max(assumptions.RECORDING_LENGTH_TOLERANCE_SECONDS,
                  assumptions.RECORDING_LENGTH_TOLERANCE_FRACTION * span)
    if abs(seconds - span) > allowed:
        return f"decodes to {seconds:.1f} s, the event says {span:.1f} s"
    return None


def decoded_seconds(path: str | Path) -> float:
    """How many seconds of audio `path` really holds: decoded to the end.

    The header is not enough: an mp3 cut short and padded to its full size still announces its
    whole length. A file that stops decoding part-way counts up to that point; one that does not
    open as audio counts 0.
    """
    # Large reads first: libmpg123 complains when libsndfile reads an mp3 in pieces that are not
    # whole frames (simulator.audio.FORMATS). Only a damaged file is counted again in small ones.
    with _decoder_quiet():
        for block_frames in (1 << 20, 4608):
            frames, rate = 0, 1
            try:
                with sf.SoundFile(path) as audio:
                    rate = audio.samplerate
                    while block := len(audio.read(block_frames, dtype="int16")):
                        frames += block
            except (sf.LibsndfileError, RuntimeError):
                continue
            return frames / rate
    return frames / rate


_stderr_lock = threading.Lock()


@contextmanager
def _decoder_quiet() -> Iterator[None]:
    """Silence the C decoders' own stderr lines ("Note: Trying to resync...", printed by
    libmpg123 on a damaged mp3) while a file is decoded: a notebook shows every line a process
    writes to its stderr, and the caller reports the damage in words anyway."""
    with _stderr_lock:  # one redirect at a time, or two threads restore each other's
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _event_seconds(event: dict) -> float | None:
    """`end_time` - `start_time` of a record event (ISO 8601, fact sheet §2.1), or None."""
    try:
        start, end = (datetime.fromisoformat(str(event[name]).replace("Z", "+00:00"))
                      for name in ("start_time", "end_time"))
        return (end - start).total_seconds()
    except (KeyError, TypeError, ValueError):
        return None


def _fetch_again(lab: Lab, event: dict, folder: Path,
                 problems: dict[Path, str | None]) -> tuple[str, str, Path | None]:
    """Download one recording; keep it only if it is whole; drop the damaged copies."""
    try:
        path = download_recording(lab, event, folder)
    except (RecordingDownloadError, OSError) as error:
        return ("failed", _why(error), None)
    problem = whole_copy(path, event)
    if problem is not None:  # the host itself serves a damaged file: keep nothing that lies
        path.unlink()
        return ("failed", f"the download {problem}", None)
    for stale in (p for p in problems if p != path):
        stale.unlink(missing_ok=True)
    if not problems:
        return ("downloaded", "new", path)
    damage = problems.get(path) or next(iter(problems.values()))
    return ("downloaded", f"replaced a damaged copy: {damage}", path)


def plot_fetch_runs(runs: dict[str, FetchReport], *, title: str | None = None) -> Figure:
    """One column per run, one row per recording: what each run did to each recording."""
    colours = {"downloaded": "#3182bd", "skipped": "#a1d99b", "failed": "#b3261e"}
    names = list(runs)
    count = max(len(r.outcomes) for r in runs.values())
    fig = plots._LabFigure(figsize=(plots.WIDTH, 0.3 * count + 1.6), layout="constrained")
    ax = fig.subplots()
    for column, name in enumerate(names):
        for row, (status, why, _) in enumerate(runs[name].outcomes):
            ax.add_patch(Rectangle((column - 0.45, row - 0.4), 0.9, 0.8, color=colours[status]))
            head = why.split(":")[0]
            short = {"replaced a damaged copy": "replaced", "404": "404, expired?"}.get(head,
                                                                                     head)
            label = status if status == "skipped" else f"{status}: {short}"
            ax.text(column, row, label, ha="center", va="center", fontsize=plots.FONT,
                    color="white" if status != "skipped" else "black")
    ax.set(xlim=(-0.5, len(names) - 0.5), ylim=(count - 0.5, -0.5))
    ax.set_xticks(range(len(names)), names, fontsize=plots.FONT + 1)
    ax.xaxis.tick_top()
    ax.set_yticks(range(count), [f"recording #{n}" for n in range(1, count + 1)],
                  fontsize=plots.FONT)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    fig.suptitle(title or "What each run of the download loop did to each recording",
                 fontsize=12)
    return fig

