"""The pictures trainees look at: right axes, titles, shaded recording windows, key presses."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from helpers import calls, plots
from helpers.recordings import Recording
from helpers.simulator.engine import talk_seconds

PRESSES_HASH, TALKER, AGENT = "447700900002", "447700900001", "447700900007"
TWO_HOURS = 2 * 3600 * 8000


@pytest.fixture(scope="module")
def hash_call(lab, tmp_path_factory):
    """Blocking record ended by # (pressed 5 s after answer), with a beep."""
    ncco = [{"action": "record", "endOnKey": "#", "beepStart": True},
            {"action": "talk", "text": "Thanks, bye"}]
    return calls.run_call(lab, ncco, to=PRESSES_HASH, folder=tmp_path_factory.mktemp("hash"))


@pytest.fixture(scope="module")
def open_call(lab, tmp_path_factory):
    """The same NCCO without endOnKey: the record does not block."""
    ncco = [{"action": "record", "beepStart": True}, {"action": "talk", "text": "Thanks, bye"}]
    return calls.run_call(lab, ncco, to=PRESSES_HASH, folder=tmp_path_factory.mktemp("open"))


@pytest.fixture(scope="module")
def agent_call(lab, tmp_path_factory):
    """Split recording in 3 channels of a call connected to the agent, after a talk."""
    ncco = [{"action": "talk", "text": "Connecting you now"},
            {"action": "record", "split": "conversation", "channels": 3, "format": "wav"},
            {"action": "connect", "endpoint": [{"type": "phone", "number": AGENT}]}]
    return calls.run_call(lab, ncco, to=TALKER, folder=tmp_path_factory.mktemp("agent"))


def window(timeline) -> tuple[float, float]:
    first = timeline.windows()[0]
    return first.start, first.end


def shaded(ax) -> list[tuple[float, float]]:
    """x ranges of the recording-window shading drawn on `ax`."""
    return [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches
            if to_hex(p.get_facecolor()) == plots.COLOURS["shade"]]


def vertical_lines(ax, colour: str) -> list[float]:
    return [line.get_xdata()[0] for line in ax.get_lines()
            if to_hex(line.get_color()) == colour and line.get_xdata()[0] == line.get_xdata()[1]]


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_timeline_lanes_title_and_axis(hash_call):
    fig = plots.plot_timeline(hash_call.timeline)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() == "Call timeline: what was recorded and when"
    assert ax.get_xlabel() == "seconds from answer"
    lanes = [t.get_text() for t in ax.get_yticklabels()]
    assert lanes == ["Call", "NCCO actions", "Caller speaks", "Keys pressed", "Caller hears",
                     "Recording"]
    assert ax.get_legend() is None  # every bar is labelled in place
    assert ax.get_xlim()[0] < 0  # ringing, before the answer, is negative time


def test_timeline_shades_the_recording_window(hash_call):
    ax = plots.plot_timeline(hash_call.timeline).axes[0]
    start, end = window(hash_call.timeline)
    assert (start, end) == pytest.approx((0.0, 5.15))
    assert shaded(ax) == [pytest.approx((start, end))]
    assert "recorded: ended by endOnKey #" in texts(ax)


def test_timeline_marks_presses_beep_and_end(hash_call):
    ax = plots.plot_timeline(hash_call.timeline).axes[0]
    assert vertical_lines(ax, plots.COLOURS["key"]) == [pytest.approx(5.0)]
    shown = texts(ax)
    assert "#" in shown and "ended the recording (endOnKey)" in shown
    assert "beep" in shown and "record (waits for endOnKey #)" in shown
    assert "call ends: the NCCO ran out of actions" in shown
    end = hash_call.timeline.ended - hash_call.timeline.answered
    assert vertical_lines(ax, plots.COLOURS["end"]) == [pytest.approx(end)]


def test_timeline_shows_background_actions(open_call):
    ax = plots.plot_timeline(open_call.timeline, title="Not blocking").axes[0]
    assert ax.get_title() == "Not blocking"
    assert "NCCO, in background" in [t.get_text() for t in ax.get_yticklabels()]
    assert "record, not blocking: the NCCO moves on" in texts(ax)


def test_timeline_draws_into_a_given_axes(hash_call):
    fig = Figure()
    ax = fig.subplots()
    assert plots.plot_timeline(hash_call.timeline, ax=ax) is fig


def test_compare_marks_where_the_next_action_starts(hash_call, open_call):
    fig = plots.compare_timelines({"blocking (endOnKey #)": hash_call.timeline,
                                   "not blocking": open_call.timeline})
    assert len(fig.axes) == 2
    blocking, open_ = fig.axes
    assert blocking.get_title(loc="left").startswith("blocking (endOnKey #): the next action")
    assert vertical_lines(blocking, plots.COLOURS["next"]) == [pytest.approx(5.15)]
    assert vertical_lines(open_, plots.COLOURS["next"]) == [pytest.approx(0.0)]
    assert blocking.get_xlim() == open_.get_xlim()  # one time scale
    assert open_.get_xlabel() == "seconds from answer"
    assert fig.get_suptitle()


def test_waveform_of_a_split_recording(agent_call):
    (path,) = agent_call.files
    fig = plots.plot_waveform(path, timeline=agent_call.timeline)
    assert len(fig.axes) == 3
    names = [ax.get_ylabel().replace("\n", " ") for ax in fig.axes]
    assert names == plots.default_channel_names(3)
    # people in join order, the NCCO's talk with the first connected party (lab assumption)
    assert names == ["channel 0: what the caller says",
                     "channel 1: connected party 1, and the NCCO's audio",
                     "channel 2: connected party 2 and any later ones"]
    assert plots.default_channel_names(2)[1] == "channel 1 (right): what they hear"
    start, end = window(agent_call.timeline)
    assert start == pytest.approx(talk_seconds("Connecting you now"))  # 0 is the answer
    drawn = fig.axes[0].collections[0].get_paths()[0].vertices[:, 0]
    assert drawn.min() == pytest.approx(start, abs=0.01)
    assert drawn.max() == pytest.approx(end, abs=0.01)
    assert shaded(fig.axes[0]) == [pytest.approx((start, end), abs=0.01)]
    assert fig.axes[-1].get_xlabel() == "seconds from answer"
    assert "silent: nothing on this channel" in texts(fig.axes[2])  # one connect only


def test_waveform_marks_keys_and_beep(hash_call):
    (path,) = hash_call.files
    fig = plots.plot_waveform(path, timeline=hash_call.timeline)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "mix of every party"
    assert " key #" in texts(ax) and " beep" in texts(ax)
    assert vertical_lines(ax, plots.COLOURS["key"]) == [pytest.approx(5.0)]
    plain = plots.plot_waveform(path, title="Mine", channel_names=["the line"])
    assert plain.get_suptitle() == "Mine" and plain.axes[0].get_ylabel() == "the line"
    assert plain.axes[0].get_xlabel() == "seconds from the start of the recording"


def two_hours() -> Recording:
    samples = np.zeros((TWO_HOURS, 1), dtype=np.float32)
    samples[3600 * 8000:3600 * 8000 + 4000, 0] = 0.5  # something to see in the middle
    return Recording(samples, 8000)


def test_two_hour_recording_plots_a_bounded_number_of_points():
    fig = plots.plot_waveform(two_hours())
    vertices = fig.axes[0].collections[0].get_paths()[0].vertices
    assert len(vertices) <= 2 * plots.ENVELOPE_POINTS + 10
    assert vertices[:, 0].max() == pytest.approx(7200, abs=4)
    assert "7200.0 s (120 min)" in fig.get_suptitle()


def test_spectrogram_shows_the_beep(hash_call):
    (path,) = hash_call.files
    fig = plots.plot_spectrogram(path)
    assert len(fig.axes) == 2  # the picture and its colour bar
    ax = fig.axes[0]
    assert ax.get_ylim() == (0, 4000) and ax.get_ylabel() == "pitch (Hz)"
    assert "1000 Hz" in ax.get_title()
    image = ax.images[0].get_array()
    step = ax.images[0].get_extent()[1] / image.shape[1]
    during_beep = image[:, int(0.25 / step)]
    hz = np.linspace(0, ax.images[0].get_extent()[3], image.shape[0])  # 0 to rate / 2
    assert during_beep[np.abs(hz - 1000).argmin()] > during_beep[np.abs(hz - 3000).argmin()] + 30


def test_spectrogram_of_two_hours_is_bounded():
    image = plots.plot_spectrogram(two_hours()).axes[0].images[0].get_array()
    assert image.shape[1] <= plots.SPECTRO_COLUMNS + 1


def test_before_after_same_scale(agent_call, tmp_path):
    from helpers import recordings

    (path,) = agent_call.files
    dropped = recordings.drop_channel(path, tmp_path / "dropped.wav", 1)
    fig = plots.plot_before_after(path, dropped, title="Dropping channel 2",
                                  labels=("before", "after"))
    before, after = fig.axes
    assert fig.get_suptitle() == "Dropping channel 2"
    assert before.get_xlim() == after.get_xlim()
    assert len(before.get_yticklabels()) == 3 and len(after.get_yticklabels()) == 2
    assert after.get_title(loc="left").startswith("after: ")
    named = plots.plot_before_after(path, dropped, title="t",
                                    channel_names=(["caller", "hears", "agent"],
                                                   ["caller", "agent"]))
    assert [t.get_text() for t in named.axes[1].get_yticklabels()] == ["caller", "agent"]


def test_save_writes_a_png(hash_call, tmp_path):
    fig = plots.plot_timeline(hash_call.timeline)
    path = plots.save(fig, tmp_path / "sub" / "timeline.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width == round(plots.WIDTH * plots.DPI) and plots.DPI <= 110


def test_figures_show_in_a_notebook_without_pyplot(hash_call):
    png = plots.plot_timeline(hash_call.timeline)._repr_png_()
    assert png[:4] == b"\x89PNG"
