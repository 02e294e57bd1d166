"""Load: 100 calls placed at once through the SDK, every event exactly once, every file whole.

The calls mix NCCOs (one or two recordings, split channels with a connected agent, wav/ogg/mp3,
a busy line with none) and run on a simulator and a receiver of this test's own; what reached
the receiver is compared, call by call, with what the simulator says it sent. Then the
receiver is restarted on the same JSON-lines file: every event is still there, and new ones
are added after them. The wall time and counts go to artifacts/load/summary.json.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from helpers import calls
from helpers.callees import NUMBERS
from helpers.client import Lab
from helpers.receiver import EventLog, Receiver, event_kind

ROOT = Path(__file__).resolve().parents[1]
CALLS = 100
MIX = [  # (who answers, NCCO, recordings expected)
    (NUMBERS["talker"], [{"action": "record", "timeOut": 5},
                         {"action": "talk", "text": "done"}], 1),
    (NUMBERS["presses-hash"], [{"action": "talk", "text": "Leave a message"},
                               {"action": "record", "endOnKey": "#", "beepStart": True}], 1),
    (NUMBERS["talker"], [{"action": "record", "split": "conversation", "format": "wav"},
                         {"action": "connect",
                          "endpoint": [{"type": "phone", "number": NUMBERS["agent"]}]}], 1),
    (NUMBERS["voicemail-caller"], [{"action": "record", "endOnSilence": 3, "format": "ogg"}], 1),
    (NUMBERS["keypad"], [{"action": "record", "timeOut": 3}, {"action": "talk", "text": "one"},
                         {"action": "record", "timeOut": 3}], 2),
    (NUMBERS["busy"], [{"action": "record"}], 0),
]


def key(record: dict) -> tuple:
    """What makes an event one event: its kind, leg or recording, and time."""
    return (event_kind(record), record.get("uuid") or record.get("recording_uuid"),
            record.get("timestamp"))


def sent_by_simulator(lab: Lab, call) -> Counter:
    """The events the simulator says it sent to the receiver for one call."""
    story = calls.timeline(lab, call)
    return Counter(key(e["payload"]) for e in story.events
                   if str(e["url"]).startswith(lab.receiver.url))


def test_a_hundred_concurrent_calls(own_lab, tmp_path):
    lab, sim = own_lab, own_lab.simulator
    plan = [MIX[n % len(MIX)] for n in range(CALLS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(lambda job: calls.place_call(lab, job[1], job[0], quiet=True),
                             plan))
        placed = time.perf_counter() - started
        for call in made:
            calls.wait_until_ended(lab, call, timeout=120)
        assert sim.wait_idle(120)
        records = [[calls.wait_for_recording(lab, call, 60, nth=n + 1) for n in range(want)]
                   for call, (_, _, want) in zip(made, plan, strict=True)]
        events_in = time.perf_counter() - started
        flat = [event for per_call in records for event in per_call]
        files = list(pool.map(lambda e: calls.download_recording(lab, e, tmp_path / "rec"),
                              flat))
    wall = time.perf_counter() - started

    stored = lab.events.all()
    for call, (_, _, want) in zip(made, plan, strict=True):
        got = Counter(key(r) for r in stored if r.get("conversation_uuid")
                      == call.conversation_uuid)
        expected = sent_by_simulator(lab, call)
        assert got == expected, f"{call.uuid}: missing {expected - got}, extra {got - expected}"
        assert max(got.values()) == 1  # exactly once
        assert sum(1 for k in got if k[0] == "record") == want
        statuses = [k[0] for k in got if k[1] == call.uuid]
        assert statuses[0] == "started" and statuses[-1] in calls.TERMINAL_STATUSES
        failed = [d for d in sim.calls[call.uuid].deliveries if d.get("status_code") != 200]
        assert not failed, failed
    for event, path in zip(flat, files, strict=True):
        assert path.stat().st_size == event["size"] == sim.files[
            event["recording_url"].rsplit("/", 1)[1]].size
    assert len({path.name for path in files}) == len(flat) == sum(p[2] for p in plan)
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == sorted(p.name for p in files)

    summary = {"calls": CALLS, "events": len(stored), "recordings": len(flat),
               "bytes_downloaded": sum(p.stat().st_size for p in files),
               "seconds_to_place_all": round(placed, 2),
               "seconds_until_every_event_arrived": round(events_in, 2),
               "wall_seconds_with_downloads": round(wall, 2)}
    out = ROOT / "artifacts" / "load" / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    assert wall < 120, summary


def test_the_receiver_keeps_every_event_across_a_restart(own_lab):
    lab = own_lab
    ncco = [{"action": "record", "timeOut": 3}]
    first = [calls.place_call(lab, ncco, NUMBERS["talker"], quiet=True) for _ in range(5)]
    for call in first:
        calls.wait_for_recording(lab, call)
        calls.wait_until_ended(lab, call)
    assert lab.simulator.wait_idle(60)
    before = lab.events.all()
    port, path = lab.receiver.port, lab.events.path
    lab.receiver.stop()

    assert EventLog(path).all() == before  # on disk, readable with no server running
    lab.receiver = Receiver(path, port=port,
                            signature_secret=lab.simulator.credentials.signature_secret).start()
    assert lab.events.all() == before  # the new receiver starts from the old events
    later = calls.place_call(lab, ncco, NUMBERS["talker"], quiet=True)  # same URL as before
    calls.wait_for_recording(lab, later)
    calls.wait_until_ended(lab, later)
    assert lab.simulator.wait_idle(60)
    after = lab.events.all()
    assert after[:len(before)] == before
    added = after[len(before):]
    assert Counter(key(r) for r in added) == sent_by_simulator(lab, later)
    assert {r["conversation_uuid"] for r in added} == {later.conversation_uuid}
    for call in first:
        assert Counter(key(r) for r in before if r.get("conversation_uuid")
                       == call.conversation_uuid) == sent_by_simulator(lab, call)
