"""A callee's network conditions: validated with the field named, and heard in the recording as a
jitter buffer with packet loss concealment would play them."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import assumptions
from helpers.callees import ScriptError, parse_callee
from helpers.calls import run_call, set_callee
from helpers.network_conditions import NetworkConditions, late_fraction
from helpers.network_report import excerpt, network_reports, packet_table
from helpers.recordings import load
from helpers.simulator import audio, engine, network

SCRIPT = [{"speak": 3, "text": "a sentence"}, {"silence": 0.5}, {"speak": 2}, {"hangup": True}]
PACKET = assumptions.NETWORK_PACKET_MS / 1000
RATE = assumptions.SAMPLE_RATE


def test_a_script_takes_network_conditions_and_gives_them_back():
    body = {"answer_after": 1, "script": SCRIPT, "network": {"jitter_ms": 80, "loss": 0.05}}
    callee = parse_callee("447700900150", body)
    assert callee.network == NetworkConditions(80.0, 0.05)
    assert callee.as_json()["network"] == {"jitter_ms": 80.0, "loss": 0.05}
    assert parse_callee("447700900150", callee.as_json()).network == callee.network
    assert parse_callee("447700900150", {"script": SCRIPT}).network is None
    assert "network" not in parse_callee("447700900150", {"script": SCRIPT}).as_json()


@pytest.mark.parametrize("network, field, words", [
    ({"jitter_ms": -1}, "network.jitter_ms", "from 0 to 500"),
    ({"jitter_ms": 9000}, "network.jitter_ms", "you gave 9000"),
    ({"loss": 5}, "network.loss", "from 0 to 1"),
    ({"loss": 10 ** 400}, "network.loss", "you gave 100000"),
    ({"loss": True}, "network.loss", "must be a number"),
    ({"loss": "0.1"}, "network.loss", "must be a number"),
    ({"latency": 20}, "network.latency", "Unknown field"),
    ([80, 0.05], "network", "must be an object"),
])
def test_bad_conditions_are_refused_naming_the_field(network, field, words):
    with pytest.raises(ScriptError) as caught:
        parse_callee("447700900150", {"script": SCRIPT, "network": network})
    [problem] = caught.value.problems
    assert problem["name"] == field and words in problem["reason"]


def test_the_simulator_answers_400_naming_the_field(lab):
    with pytest.raises(ValueError) as caught:
        set_callee(lab, "447700900151", SCRIPT, network={"jitter_ms": 80, "loss": 1.5})
    assert "network.loss" in str(caught.value) and "from 0 to 1" in str(caught.value)


# --- the jitter buffer and the concealment, sample by sample ---------------------------------

def _sound(conditions: NetworkConditions, seed: int = 7) -> network.NetworkSound:
    return network.NetworkSound(0, "speech", 1.0, 4.0, seed=3, network=conditions,
                                network_seed=seed)


def _runs(conditions, seed, first, last):
    numbers, dropped, runs = network._packets_around(conditions, seed, first, last)
    return dict(zip(numbers.tolist(), runs.tolist(), strict=True))


def test_a_packet_that_arrives_is_played_as_it_was_sent_and_a_dropped_one_is_a_repeat():
    conditions = NetworkConditions(jitter_ms=60, loss=0.3)
    sound = _sound(conditions)
    tr = np.arange(0, 3.0, 1 / RATE)
    plain, heard = audio._tone(sound, tr), network.degrade(sound, tr)
    runs = _runs(conditions, 7, 50, 200)
    checked = {"arrived": 0, "repeat": 0, "silent": 0}
    for k in range(55, 195):  # packets wholly inside the sound (it starts at 1.0 s)
        at = np.flatnonzero(np.floor((1.0 + tr) / PACKET + 1e-9) == k)
        if runs[k] == 0:
            assert np.allclose(heard[at], plain[at])
            checked["arrived"] += 1
        elif runs[k] == 1:  # its first 10 ms: the previous packet again, at full level
            full = at[: round(assumptions.PLC_FULL_MS / 1000 * RATE)]
            assert np.allclose(heard[full], plain[full - round(PACKET * RATE)], atol=1e-6)
            checked["repeat"] += 1
        elif runs[k] > network.LOOK_BACK:
            assert np.all(heard[at] == 0)
            checked["silent"] += 1
    assert all(checked.values()), checked  # the seed gives every case at least once


def test_a_perfect_line_changes_nothing_and_a_dead_one_is_silent_after_60_ms():
    tr = np.arange(0, 1.0, 1 / RATE)
    clean = _sound(NetworkConditions())
    assert np.array_equal(network.degrade(clean, tr), audio._tone(clean, tr))
    dead = _sound(NetworkConditions(loss=1.0))
    assert not network.degrade(dead, tr).any()  # nothing ever arrived to repeat


def test_rendering_in_blocks_equals_rendering_whole():
    sound = _sound(NetworkConditions(jitter_ms=80, loss=0.05))
    whole = audio.render_block([sound], 0.0, 5 * RATE, 1, lambda s: 0)
    pieces = np.concatenate([audio.render_block([sound], t0, RATE // 2, 1, lambda s: 0)
                             for t0 in np.arange(0, 5, 0.5)])
    assert np.allclose(whole, pieces, atol=1e-6)
    assert not np.allclose(whole, audio.render_block([audio.Sound(0, "speech", 1.0, 4.0, seed=3)],
                                                     0.0, 5 * RATE, 1, lambda s: 0))


def test_the_report_counts_add_up_and_measure_the_jitter_the_script_gave():
    conditions = NetworkConditions(jitter_ms=80, loss=0.05)
    report = network.report(conditions, 11, 0.0, 600.0, [(10.0, 20.0)])
    assert report["packets"] == 30000
    assert report["dropped"] == report["lost"] + report["late"]
    assert report["concealed"] + report["silenced"] == report["dropped"]
    assert report["lost"] / report["packets"] == pytest.approx(0.05, abs=0.005)
    assert report["late"] / (report["packets"] - report["lost"]) == \
        pytest.approx(late_fraction(80), abs=0.01)
    assert report["measured_jitter_ms"] == pytest.approx(80, rel=0.05)
    assert 0 < report["dropped_in_speech"] <= 10 / PACKET


# --- through the SDK: the same call, clean and on a bad line ---------------------------------

def test_a_bad_line_drops_packets_in_the_recording_and_only_there(lab, downloads):
    number, ncco = "447700900152", [{"action": "record", "format": "wav"},
                                    {"action": "wait", "timeout": 10}]
    set_callee(lab, number, SCRIPT, answer_after=1)
    clean = run_call(lab, ncco, number, folder=downloads)
    set_callee(lab, number, SCRIPT, answer_after=1,
               network={"jitter_ms": 80, "loss": 0.05})
    bad = run_call(lab, ncco, number, folder=downloads)
    assert network_reports(clean.timeline) == []
    [report] = network_reports(bad.timeline)
    assert report["source"] == 0 and report["dropped_in_speech"] > 20
    assert "concealed" in packet_table(bad.timeline)
    a, b = load(clean.files[0]).channel(0), load(bad.files[0]).channel(0)
    assert a.shape == b.shape
    step = round(PACKET * RATE)
    frames = len(a) // step
    differ = np.abs(a[: frames * step] - b[: frames * step]).reshape(frames, step).max(axis=1)
    changed = np.flatnonzero(differ > 1e-3)
    assert len(changed) > 20  # the dropouts are in the file...
    # ...and only where a packet was dropped: each changed 20 ms of the file overlaps one
    run = bad.timeline.recordings[0]
    seed = engine._seed("net", f"custom {number}", 0)
    _numbers, dropped, _runs = network._packets_around(network.NetworkConditions(80, 0.05),
                                                       seed, 0, 2000)
    for frame in changed:
        first = int(np.floor((run.start + frame * PACKET) / PACKET + 1e-9))
        assert dropped[first + network.LOOK_BACK] or \
            dropped[first + 1 + network.LOOK_BACK], f"file frame {frame} changed"
    assert len(changed) <= 2 * report["dropped_in_speech"]
    assert excerpt(bad.files[0], 1.0, 0.5).duration == pytest.approx(0.5)


# --- lesson 14's self-checks: a right answer passes, a wrong one fails with the reason -------

def test_a_fine_line_must_lose_some_speech_and_still_rate_medium(lab, downloads):
    from helpers.exercises import check_buffer_choice, check_fine_line

    assert check_fine_line(lab, {"jitter_ms": 20, "loss": 0.01}, folder=downloads).passed
    perfect = check_fine_line(lab, {"jitter_ms": 0, "loss": 0}, folder=downloads)
    assert not perfect.passed and "every packet" in perfect.why
    bad = check_fine_line(lab, {"jitter_ms": 80, "loss": 0.05}, folder=downloads)
    assert not bad.passed and "below R 70" in bad.why and "estimated MOS" in bad.why
    invalid = check_fine_line(lab, {"jitter_ms": 80, "loss": 7}, folder=downloads)
    assert not invalid.passed and "network.loss" in invalid.why
    line = {"loss": 0.05, "jitter_ms": 80, "delay_ms": 40}
    assert check_buffer_choice(220, **line).passed
    shallow = check_buffer_choice(100, **line)
    assert not shallow.passed and "deeper buffer" in shallow.why
    deep = check_buffer_choice(400, **line)
    assert not deep.passed and "shallower buffer" in deep.why
    assert not check_buffer_choice("big", **line).passed
