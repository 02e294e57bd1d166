"""Issue 11, "nothing lost": the simulator's state in SQLite outlives a kill and a restart.

Old recording URLs download byte-identical and old call records answer after a SIGKILL and a
restart on the same folder and port; a kernel restart through connect() keeps old downloads
working (same port, or the old URL resolved against the new one); webhooks not acknowledged
before a kill are sent after the restart with their same ids; finished calls leave memory;
the disk is tidied at start.
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from simulator_process import start_simulator
from vonage_voice.models.requests import CreateCallRequest

from helpers import assumptions, calls, client
from helpers.callees import NUMBERS
from helpers.receiver import Receiver, event_kind
from helpers.simulator.keys import ensure_credentials
from helpers.simulator.server import Simulator
from helpers.simulator.store import StoredFile

ROOT = Path(__file__).resolve().parents[1]
RECORD = [{"action": "record", "timeOut": 3}, {"action": "talk", "text": "Thanks."}]


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def sdk(info: dict):
    return client._sdk_client(info["application_id"], info["private_key"], info["api_host"],
                              info["ca_cert"], info["api_key"], info["api_secret"])


def https_get(vonage, info: dict, url: str) -> requests.Response:
    """Plain HTTPS with the application's JWT, as a customer's script would fetch a file."""
    jwt = vonage.http_client.auth.create_jwt_auth_string()
    return requests.get(url, headers={"Authorization": jwt}, verify=info["ca_cert"], timeout=20)


def place(vonage, number: str, event_url: str, ncco: list) -> str:
    made = vonage.voice.create_call(CreateCallRequest(
        to=[{"type": "phone", "number": number}], from_={"type": "phone",
                                                         "number": "447700900000"},
        ncco=ncco, event_url=[event_url]))
    return made.uuid


def idle(vonage, info: dict, timeout: float = 60) -> bool:
    return vonage.http_client.post(info["api_host"], "/_sim/idle",
                                   {"timeout": timeout})["idle"]


def test_a_killed_simulator_serves_every_old_recording_and_call_record(tmp_path):
    state = tmp_path / "sim"
    secret = ensure_credentials(state).signature_secret
    with Receiver(tmp_path / "events.jsonl", signature_secret=secret) as rx:
        proc, info = start_simulator(state)
        try:
            vonage = sdk(info)
            uuids = [place(vonage, NUMBERS["talker"], rx.event_url(), RECORD)
                     for _ in range(4)]
            assert idle(vonage, info)
            records = [e for e in rx.events.all() if "recording_url" in e]
            assert len(records) == 4
            before = {e["recording_url"]: https_get(vonage, info, e["recording_url"]).content
                      for e in records}
            shown = {u: vonage.voice.get_call(u).model_dump() for u in uuids}
        finally:
            kill(proc)
        port = int(info["api_host"].rsplit(":", 1)[1])
        proc, again = start_simulator(state, port)
        try:
            assert again["api_host"] == info["api_host"]
            vonage = sdk(again)
            for url, body in before.items():
                answer = https_get(vonage, again, url)
                assert answer.status_code == 200, answer.text
                assert answer.content == body and len(body) > 1000
            for uuid, record in shown.items():
                assert vonage.voice.get_call(uuid).model_dump() == record
                assert record["status"] == "completed"
            listed = vonage.http_client.get(again["api_host"], "/v1/calls",
                                            {"page_size": 100})
            assert [c["uuid"] for c in listed["_embedded"]["calls"]] == uuids
            story = vonage.http_client.get(again["api_host"], f"/_sim/calls/{uuids[0]}/timeline")
            assert story["delivered"] and story["status"] == "completed"
            assert [d["status_code"] for d in story["deliveries"]] == [200] * 5
            ended = vonage.http_client.put(  # an old call is still an ended call, not a 404
                again["api_host"], f"/v1/calls/{uuids[0]}", {"action": "hangup"})
        except Exception as err:
            ended = err
        finally:
            kill(proc)
    assert getattr(ended, "response", None) is not None
    assert ended.response.status_code == assumptions.ENDED_CALL_STATUS


def test_unacknowledged_webhooks_survive_a_kill_mid_outage_with_their_ids(tmp_path):
    state = tmp_path / "sim"
    secret = ensure_credentials(state).signature_secret
    with Receiver(tmp_path / "probe.jsonl") as probe:  # a free port for the receiver
        receiver_port = probe.port
    event_url = f"http://127.0.0.1:{receiver_port}/events"  # nobody listens: an outage
    proc, info = start_simulator(state)
    try:
        vonage = sdk(info)
        uuids = [place(vonage, NUMBERS["talker"], event_url, RECORD) for _ in range(5)]
        db = sqlite3.connect(state / "state.db")
        deadline = time.monotonic() + 60
        while db.execute("SELECT COUNT(*) FROM calls").fetchone()[0] < 5:
            assert time.monotonic() < deadline, "the calls were never stored"
            time.sleep(0.1)
        queued = [row[0] for row in db.execute("SELECT event_id FROM outbox")]
        db.close()
    finally:
        kill(proc)  # mid-outage: the first event is still being retried
    assert len(queued) == 5 * 5  # started, ringing, answered, completed, record per call
    port = int(info["api_host"].rsplit(":", 1)[1])
    with Receiver(tmp_path / "events.jsonl", port=receiver_port, signature_secret=secret) as rx:
        proc, again = start_simulator(state, port)
        try:
            assert idle(sdk(again), again)
        finally:
            kill(proc)
        got = rx.events.all()
    ids = [e["_received"]["event_id"] for e in got]
    assert sorted(ids) == sorted(queued)  # every queued event, with its own id, once
    kinds = Counter((event_kind(e), e.get("uuid") or e.get("conversation_uuid")) for e in got)
    assert all(n == 1 for n in kinds.values()), kinds
    assert {e["uuid"] for e in got if "status" in e} == set(uuids)
    assert sum("recording_url" in e for e in got) == 5


@pytest.fixture
def fresh_kernel(tmp_path, monkeypatch):
    """connect() as a new kernel on its own state folder; stop() is a kernel restart."""
    monkeypatch.setenv("RECORDING_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(client, "_simulator", None)
    monkeypatch.setattr(client, "_simulator_labs", {})
    labs = []

    def stop() -> None:
        for lab in labs:
            lab.close()
        if client._simulator is not None:
            client._simulator.stop()
        client._simulator = None
        client._simulator_labs.clear()

    def connect():
        labs.append(client.connect(mode="simulator"))
        return labs[-1]

    yield connect, stop
    stop()


def test_a_kernel_restart_through_connect_keeps_old_downloads(fresh_kernel, tmp_path, capsys):
    connect, restart = fresh_kernel
    lab = connect()
    call = calls.place_call(lab, RECORD, NUMBERS["talker"], quiet=True)
    event = calls.wait_for_recording(lab, call)
    first = calls.download_recording(lab, event, tmp_path / "a").read_bytes()
    old_host = lab.api_host
    restart()

    lab = connect()  # the same port again: the old URL itself works
    assert lab.api_host == old_host
    assert calls.current_url(lab, event["recording_url"]) == event["recording_url"]
    assert calls.download_recording(lab, event, tmp_path / "b").read_bytes() == first
    assert "previous port" not in capsys.readouterr().err
    restart()

    host, port = old_host.rsplit(":", 1)
    with socket.socket() as squatter:  # someone else took the port meanwhile
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        squatter.bind((host, int(port)))
        squatter.listen()
        lab = connect()
        assert lab.api_host != old_host
        said = [line for line in capsys.readouterr().err.splitlines() if "port" in line]
        assert len(said) == 1 and f"previous port {port} back (in use)" in said[0], said
        assert calls.current_url(lab, event["recording_url"]).startswith(
            f"https://{lab.api_host}/v1/files/")
        assert calls.download_recording(lab, event, tmp_path / "c").read_bytes() == first


def test_an_old_url_on_a_dead_port_goes_to_the_current_simulator(own_lab):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    url = f"https://127.0.0.1:{dead}/v1/files/no-such-file"
    assert calls.current_url(own_lab, url) == f"https://{own_lab.api_host}/v1/files/no-such-file"
    elsewhere = "https://example.com/v1/files/abc"
    assert calls.current_url(own_lab, elsewhere) == elsewhere
    with pytest.raises(calls.RecordingDownloadError, match="404"):
        calls.download_recording(own_lab, {"recording_url": url, "recording_uuid": "x"},
                                 own_lab.receiver.events.path.parent / "d")


def test_finished_calls_leave_memory_and_still_answer(tmp_path):
    sim = Simulator(state_dir=tmp_path / "sim")
    made = [sim.create_call(to_number=NUMBERS["talker"], from_number="447700900000",
                            ncco=[{"action": "talk", "text": "Hello."}], event_url=None,
                            event_method="POST", length_timer=None, ringing_timer=None)
            for _ in range(2000)]
    assert sim.wait_idle(120)
    assert len(sim.calls.live) == 0  # memory holds no finished call
    uuids = [call.engine.uuid for call in made]
    assert list(sim.calls) == uuids and len(sim.calls) == 2000
    last = sim.calls[uuids[-1]]
    assert last.engine.status == "completed" and last.delivered.is_set()
    assert last.engine.timeline()["uuid"] == uuids[-1]


def test_the_disk_is_tidied_at_start(tmp_path):
    state = tmp_path / "sim"
    sim = Simulator(state_dir=state)
    folder = sim.recordings_dir
    now = sim.now()
    for name, age in (("kept.wav", 1), ("old.wav", assumptions.RETENTION_DAYS + 1)):
        (folder / name).write_bytes(b"RIFF")
        sim.files[name] = StoredFile(folder / name, 4, "audio/wav",
                                     now - timedelta(days=age), "call")
    sim.files["gone"] = StoredFile(folder / "gone.wav", 4, "audio/wav", now, "call")
    (folder / "orphan.wav").write_bytes(b"RIFF")  # no entry points to it
    (folder / ".x.wav.part").write_bytes(b"RI")  # half written
    sim.store.close()

    again = Simulator(state_dir=state)
    assert sorted(p.name for p in folder.iterdir()) == ["kept.wav"]
    assert list(again.files) == ["kept.wav"]


def test_the_application_settings_move_into_the_database_and_stay(tmp_path):
    state = tmp_path / "sim"
    ensure_credentials(state)
    old = {"name": "From before", "capabilities": {"voice": {"webhooks": {"event_url": {
        "address": "http://127.0.0.1:9/events", "http_method": "POST"}}}}}
    (state / "application.json").write_text(json.dumps(old))
    sim = Simulator(state_dir=state)
    assert sim.application.config["name"] == "From before"
    assert not (state / "application.json").exists()  # one place only: the database
    sim.application.replace({**old, "name": "Changed"})
    sim.store.close()
    again = Simulator(state_dir=state)
    assert again.application.config["name"] == "Changed"
    assert again.application.webhook("event_url").address == "http://127.0.0.1:9/events"


def test_a_stored_call_answers_every_call_endpoint_without_a_500(own_lab):
    lab, sim = own_lab, own_lab.simulator
    with sim.paced(1000.0):
        call = calls.place_call(lab, [{"action": "talk", "text": "Hi."}], quiet=True)
    assert sim.wait_idle(30) and call.uuid not in sim.calls.live
    http = lab.vonage.http_client
    assert http.put(lab.api_host, f"/_sim/calls/{call.uuid}/pace", {"pace": 2}) == {"pace": 2}
    assert calls.timeline(lab, call).status == "completed"
    for path, body in ((f"/v1/calls/{call.uuid}", {"action": "mute"}),
                       (f"/v1/calls/{call.uuid}/talk", {"text": "late"}),
                       (f"/v1/calls/{call.uuid}/dtmf", {"digits": "1"})):
        with pytest.raises(Exception) as refused:
            http.put(lab.api_host, path, body)
        assert refused.value.response.status_code == assumptions.ENDED_CALL_STATUS
