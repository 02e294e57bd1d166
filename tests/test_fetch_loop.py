"""Lesson 11's download loop judges a copy by its decoded length too, and two loops on one
folder at once (threads or processes) finish with every file whole and no false failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_download_interrupted import AUDIO, flaky_host, record_event

from helpers import calls, fetch_loop

ROOT = Path(__file__).resolve().parents[1]


def _day_of_calls(lab, count: int, **record) -> list[dict]:
    placed = [calls.place_call(lab, [{"action": "record", "timeOut": 3 + n, **record}],
                               quiet=True) for n in range(count)]
    return [calls.wait_for_recording(lab, call) for call in placed]


def _served(lab, event: dict, folder: Path) -> bytes:
    """The recording's bytes as the simulator serves them (a download of its own)."""
    return calls.download_recording(lab, event, folder).read_bytes()


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
def test_a_whole_copy_decodes_to_the_events_length(lab, downloads, fmt):
    event, = _day_of_calls(lab, 1, format=fmt)
    path = calls.download_recording(lab, event, downloads)
    assert fetch_loop.decoded_seconds(path) == pytest.approx(3.0, abs=0.01)
    assert fetch_loop.whole_copy(path, event) is None


def test_a_right_size_copy_that_lost_its_end_is_fetched_again(lab, downloads):
    events = _day_of_calls(lab, 2)
    first = fetch_loop.fetch_all_recordings(lab, events, downloads, progress=False)
    whole = first.paths[1].read_bytes()
    # A copy tool that reserves the space first and dies half-way: the right size, the end
    # never written. The size alone says "complete".
    first.paths[1].write_bytes(whole[:len(whole) // 2] + bytes(len(whole) - len(whole) // 2))
    assert first.paths[1].stat().st_size == events[1]["size"]
    assert fetch_loop.decoded_seconds(first.paths[1]) < 3.0
    second = fetch_loop.fetch_all_recordings(lab, events, downloads, progress=False)
    assert second.outcomes[0][:2] == ("skipped", "already complete")
    status, why, path = second.outcomes[1]
    assert status == "downloaded" and path == first.paths[1]
    assert why.startswith("replaced a damaged copy: decodes to ") and "the event says 4.0 s" in why
    assert path.read_bytes() == whole
    assert [o[0] for o in fetch_loop.fetch_all_recordings(
        lab, events, downloads, progress=False).outcomes] == ["skipped", "skipped"]


def test_a_host_that_serves_a_damaged_file_is_a_failure_and_keeps_nothing(lab, tmp_path):
    event = {**record_event("http://unused"), "start_time": "2026-01-01T10:00:00.000Z",
             "end_time": "2026-01-01T10:00:05.000Z"}  # 5 s of audio; AUDIO is no audio at all
    with flaky_host("complete") as base:
        event["recording_url"] = f"{base}/v1/files/rec-1"
        report = fetch_loop.fetch_all_recordings(lab, [event], tmp_path, progress=False)
    assert report.outcomes == [("failed", "the download decodes to 0.0 s, the event says 5.0 s",
                                None)]
    assert list(tmp_path.iterdir()) == []


def test_without_times_the_size_alone_decides(tmp_path):
    copy = tmp_path / "rec-1.mp3"
    copy.write_bytes(AUDIO)
    assert fetch_loop.whole_copy(copy, {"size": len(AUDIO)}) is None
    assert fetch_loop.whole_copy(copy, {"size": len(AUDIO) + 1}) == "102,400 of 102,401 bytes"


def test_a_loop_started_while_another_downloads_breaks_nothing(lab, downloads, monkeypatch):
    """The second loop's start-up clean-up must not take the first loop's `.part` file."""
    events = _day_of_calls(lab, 3)
    expected = [_served(lab, e, downloads.parent / "reference") for e in events]
    mid_download = threading.Event()
    real = calls._stream_into

    def slow(reply, part, size):  # the first loop pauses with its .part file on disk
        if threading.current_thread().name == "first" and not mid_download.is_set():
            assert part.exists() and part.name.endswith(".part")
            mid_download.set()
            time.sleep(0.5)
        real(reply, part, size)

    monkeypatch.setattr(calls, "_stream_into", slow)
    reports = {}

    def run(name: str) -> None:
        reports[name] = fetch_loop.fetch_all_recordings(lab, events, downloads, progress=False)

    first = threading.Thread(target=run, args=("first",), name="first")
    second = threading.Thread(target=run, args=("second",), name="second")
    first.start()
    assert mid_download.wait(30)
    second.start()
    first.join(60)
    second.join(60)
    for report in reports.values():
        assert report.complete and report.removed_parts == 0, report
    # Each recording was fetched once, by one of the loops; the other skipped it.
    assert sum(r.count("downloaded") for r in reports.values()) == len(events)
    assert sum(r.count("skipped") for r in reports.values()) == len(events)
    assert [p.read_bytes() for p in reports["first"].paths] == expected
    assert sorted(downloads.iterdir()) == sorted(reports["first"].paths)


CHILD = """
import json, sys, types
from helpers.client import _sdk_client
from helpers.fetch_loop import fetch_all_recordings
info, events, folder = json.loads(sys.stdin.read())
client = _sdk_client(info["application_id"], info["private_key"], info["api_host"],
                     info["ca_cert"])
report = fetch_all_recordings(types.SimpleNamespace(vonage=client), events, folder,
                              progress=False)
print(json.dumps([[status, why] for status, why, _ in report.outcomes]))
"""


def test_two_loops_in_two_processes_on_one_folder(lab, sim, downloads):
    events = _day_of_calls(lab, 6)
    expected = [_served(lab, e, downloads.parent / "reference") for e in events]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    job = json.dumps([sim.info(), events, str(downloads)])
    children = [subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env, cwd=ROOT) for _ in range(2)]
    for child in children:
        child.stdin.write(job)
        child.stdin.close()
    outcomes = []
    for child in children:
        out, err = child.stdout.read(), child.stderr.read()
        assert child.wait(120) == 0, err[-2000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    statuses = [status for run in outcomes for status, _ in run]
    assert "failed" not in statuses, outcomes
    assert statuses.count("downloaded") == len(events)  # each fetched once, skipped once
    names = sorted(p.name for p in downloads.iterdir())
    assert names == sorted(f"{e['recording_uuid']}.mp3" for e in events)
    for event, data in zip(events, expected, strict=True):
        assert (downloads / f"{event['recording_uuid']}.mp3").read_bytes() == data
