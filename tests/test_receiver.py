"""The webhook receiver: stores every event on disk before answering, and waits for events."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers import receiver as receiver_module
from helpers.receiver import EventLog, EventTimeout, Receiver

CALL, CONV = "63f61863-4a51-4f6b-86e1-46edebcf9356", "CON-f972836a-550f-45fa-956c-12a2ab5b7d22"


@pytest.fixture
def rx(tmp_path):
    receiver = Receiver(tmp_path / "events.jsonl").start()
    yield receiver
    receiver.stop()


def lines(receiver: Receiver) -> list[dict]:
    return [json.loads(line) for line in receiver.events.path.read_text().splitlines()]


def status(uuid: str, value: str, conversation: str = CONV) -> dict:
    return {"uuid": uuid, "conversation_uuid": conversation, "status": value,
            "direction": "outbound", "timestamp": "2024-01-01T00:00:00.000Z"}


def record_event(conversation: str = CONV) -> dict:
    return {"recording_url": "https://127.0.0.1:1/v1/files/abc", "recording_uuid": "abc",
            "conversation_uuid": conversation, "size": 1234}


def test_post_is_on_disk_before_the_answer(rx):
    answer = requests.post(rx.event_url(), json=status(CALL, "started"), timeout=5)
    assert answer.status_code == 200 and answer.json() == {}
    assert answer.headers["content-type"] == "application/json"
    (stored,) = lines(rx)  # read straight from the file, right after the answer
    assert stored["status"] == "started" and stored["uuid"] == CALL
    assert stored["_received"]["method"] == "POST" and stored["_received"]["path"] == "/events"
    assert stored["_received"]["at"].endswith("+00:00")
    assert rx.events.all() == [stored]


def test_get_stores_the_query_and_any_path_works(rx):
    assert rx.url.startswith("http://127.0.0.1:") and rx.event_url("input").endswith("/input")
    requests.get(rx.event_url("/answer"), params={"to": "447700900000", "uuid": CALL}, timeout=5)
    requests.post(rx.event_url("/recordings/deep/path"), json=record_event(), timeout=5)
    requests.get(rx.url + "/", timeout=5)
    got, rec, root = rx.events.all()
    assert got["to"] == "447700900000" and got["_received"]["method"] == "GET"
    assert got["_received"]["path"] == "/answer"
    assert rec["recording_url"] and rec["_received"]["path"] == "/recordings/deep/path"
    assert root["_received"]["path"] == "/"


@pytest.mark.parametrize("body, reason", [(b"{not json", "not valid JSON"),
                                          (b"[1, 2]", "JSON object")])
def test_bad_json_is_refused_and_not_stored(rx, body, reason):
    answer = requests.post(rx.event_url(), data=body, timeout=5,
                           headers={"content-type": "application/json"})
    assert answer.status_code == 400 and reason in answer.json()["detail"]
    assert rx.events.all() == []
    assert requests.put(rx.event_url(), json={}, timeout=5).status_code == 405


def test_200_concurrent_posts_are_each_stored_once(rx):
    def post(n: int) -> int:
        return requests.post(rx.event_url(), json={"n": n, "status": "ringing"},
                             timeout=30).status_code

    with ThreadPoolExecutor(max_workers=32) as pool:
        codes = list(pool.map(post, range(200)))
    assert codes == [200] * 200
    stored = lines(rx)
    assert len(stored) == 200 and sorted(r["n"] for r in stored) == list(range(200))
    assert len(rx.events.all()) == 200


def test_a_new_receiver_keeps_the_old_events(tmp_path):
    path = tmp_path / "events.jsonl"
    with Receiver(path) as first:
        requests.post(first.event_url(), json=status(CALL, "started"), timeout=5)
    with Receiver(path) as second:
        requests.post(second.event_url(), json=status(CALL, "answered"), timeout=5)
        assert [r["status"] for r in second.events.all()] == ["started", "answered"]
    assert [r["status"] for r in EventLog(path).all()] == ["started", "answered"]


def test_a_torn_line_from_a_crash_loses_nothing_after_it(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(status(CALL, "started")) + "\n" + '{"status": "rin')
    log = EventLog(path)
    log.append(status(CALL, "answered"))
    assert [r["status"] for r in log.all()] == ["started", "answered"]
    assert log.skipped == 1


def test_wait_for_record_finds_it_by_call_uuid(rx):
    def later() -> None:
        time.sleep(0.05)
        requests.post(rx.event_url(), json=status(CALL, "completed"), timeout=5)
        requests.post(rx.event_url("/recordings"), json=record_event(), timeout=5)

    requests.post(rx.event_url(), json=status(CALL, "answered"), timeout=5)
    requests.post(rx.event_url(), json=record_event("CON-other"), timeout=5)
    thread = threading.Thread(target=later)
    thread.start()
    started = time.monotonic()
    event = rx.events.wait_for_record(uuid=CALL, timeout=5)
    thread.join()
    assert event["conversation_uuid"] == CONV and time.monotonic() - started < 2
    assert rx.events.wait_for_record(conversation_uuid=CONV, timeout=0) == event
    mine = rx.events.for_call(uuid=CALL)
    assert [r.get("status", "record") for r in mine] == ["answered", "completed", "record"]
    assert len(rx.events.for_call(conversation_uuid="CON-other")) == 1


def test_wait_for_record_timeout_says_what_arrived(rx):
    for value in ("started", "ringing", "answered", "completed"):
        requests.post(rx.event_url(), json=status(CALL, value), timeout=5)
    with pytest.raises(EventTimeout) as caught:
        rx.events.wait_for_record(uuid=CALL, timeout=0.2)
    message = str(caught.value)
    assert isinstance(caught.value, TimeoutError)
    assert f"a record event for call {CALL}" in message
    for value in ("started", "ringing", "answered", "completed"):
        assert value in message
    assert "Events of this call: 4" in message and "record action" in message


def test_timeout_with_nothing_arrived_points_at_the_url(rx):
    with pytest.raises(EventTimeout) as caught:
        rx.events.wait_for_record(conversation_uuid=CONV, timeout=0.1)
    assert "(0): none" in str(caught.value) and rx.url in str(caught.value)


def test_wait_for_status_and_giving_up_when_the_call_ended(rx, monkeypatch):
    monkeypatch.setattr(receiver_module, "END_GRACE", 0.1)
    requests.post(rx.event_url(), json=status(CALL, "ringing"), timeout=5)
    assert rx.events.wait_for_status(CALL, "ringing", timeout=1)["status"] == "ringing"
    requests.post(rx.event_url(), json=status(CALL, "busy"), timeout=5)
    started = time.monotonic()
    with pytest.raises(EventTimeout) as caught:
        rx.events.wait_for_status(CALL, "answered", timeout=30)
    assert time.monotonic() - started < 5
    assert "ended with status 'busy'" in str(caught.value)


def test_wait_for_sees_events_written_by_another_log(tmp_path):
    path = tmp_path / "shared.jsonl"
    reader, writer = EventLog(path), EventLog(path)
    threading.Timer(0.05, writer.append, args=[{"status": "answered", "uuid": "x"}]).start()
    found = reader.wait_for(lambda r: r.get("status") == "answered", timeout=5,
                            describe="the answer")
    assert found["uuid"] == "x"
    with pytest.raises(EventTimeout, match="the question"):
        reader.wait_for(lambda r: r.get("status") == "question", timeout=0.1,
                        describe="the question")


def test_a_busy_port_gets_a_clear_error(rx, tmp_path):
    with pytest.raises(OSError, match="another notebook kernel"):
        Receiver(tmp_path / "other.jsonl", port=rx.port).start()
    assert Receiver(tmp_path / "v6.jsonl", host="::1", port=8080).event_url() == (
        "http://[::1]:8080/events")


def test_connect_twice_in_a_kernel_reuses_the_lab(tmp_path):
    from helpers.client import connect

    first = connect(mode="simulator", events_file=tmp_path / "events.jsonl")
    try:
        assert connect(mode="simulator", events_file=tmp_path / "events.jsonl") is first
    finally:
        first.close()
    again = connect(mode="simulator", events_file=tmp_path / "events.jsonl")
    assert again is not first and again.receiver.running  # a closed lab is not handed out
    again.close()
