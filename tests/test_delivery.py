"""Webhook delivery that loses nothing: one id per event, retries with backoff, de-duplication.

Issue 11: a receiver outage of a few seconds used to lose every event sent meanwhile. Now each
event carries an id (header `assumptions.EVENT_ID_HEADER`), the simulator retries a connection
error, 429 or 5xx (assumptions.WEBHOOK_RETRY_DELAYS), and the receiver keeps an id once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import requests

from helpers import assumptions, calls
from helpers.callees import NUMBERS
from helpers.receiver import EventLog, Receiver, event_kind
from helpers.serving import serve_in_thread
from helpers.simulator import outbound

ID = assumptions.EVENT_ID_HEADER


def key(record: dict) -> tuple:
    return (event_kind(record), record.get("uuid") or record.get("recording_uuid"),
            record.get("timestamp"))


def test_a_repeated_id_is_stored_once_even_after_a_restart(tmp_path):
    path = tmp_path / "events.jsonl"
    with Receiver(path) as rx:
        for _ in range(3):
            answer = requests.post(rx.event_url(), json={"status": "started"},
                                   headers={ID: "event-1"}, timeout=5)
            assert answer.status_code == 200
        requests.post(rx.event_url(), json={"status": "ringing"}, headers={ID: "event-2"},
                      timeout=5)
        requests.post(rx.event_url(), json={"status": "ringing"}, timeout=5)  # no id: kept
        port = rx.port
    assert [r["_received"].get("event_id") for r in EventLog(path).all()] == [
        "event-1", "event-2", None]
    with Receiver(path, port=port) as again:  # a new receiver knows the old ids
        requests.post(again.event_url(), json={"status": "started"}, headers={ID: "event-1"},
                      timeout=5)
        assert len(again.events.all()) == 3


def test_a_5xx_is_retried_with_the_same_id(own_lab, tmp_path):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list[tuple[str, str]] = []

    async def flaky(request):
        seen.append((request.headers.get(ID), request.headers.get("authorization")))
        return JSONResponse({}, status_code=503 if len(seen) < 3 else 200)

    server = serve_in_thread(Starlette(routes=[Route("/e", flaky, methods=["POST"])]))
    sim = own_lab.simulator
    sim.retry_delays = (0.05, 0.05, 0.05)
    try:
        call = calls.place_call(own_lab, [{"action": "record", "timeOut": 3,
                                           "eventUrl": [f"http://127.0.0.1:{server.port}/e"]}],
                                NUMBERS["talker"], quiet=True)
        assert sim.wait_idle(30)
    finally:
        server.stop()
    assert len(seen) == 3 and len({event_id for event_id, _ in seen}) == 1
    assert len({auth for _, auth in seen}) == 3  # each attempt signed afresh (its own jti)
    (record,) = [d for d in sim.calls[call.uuid].deliveries if d["event"] == "record"]
    assert record["status_code"] == 200 and record["attempts"] == 3


def test_a_url_off_this_machine_is_refused_without_a_request(own_lab, monkeypatch):
    monkeypatch.delenv(outbound.ALLOW_HOSTS_SETTING, raising=False)
    sim = own_lab.simulator
    call = calls.place_call(own_lab, [{"action": "record", "timeOut": 3,
                                       "eventUrl": ["https://example.com/rec"]}],
                            NUMBERS["talker"], quiet=True)
    assert sim.wait_idle(30)
    (record,) = [d for d in sim.calls[call.uuid].deliveries if d["event"] == "record"]
    assert "contacts this computer only" in record["error"]
    assert outbound.ALLOW_HOSTS_SETTING in record["error"] and "attempts" not in record
    assert outbound.refusal("http://[::1]:9/x") is None
    assert outbound.refusal("http://localhost/x") is None
    monkeypatch.setenv(outbound.ALLOW_HOSTS_SETTING, "example.com")
    assert outbound.refusal("https://example.com/rec") is None


def test_a_five_second_receiver_outage_loses_and_repeats_nothing(own_lab):
    lab, sim = own_lab, own_lab.simulator
    ncco = [{"action": "record", "timeOut": 4}, {"action": "talk", "text": "thank you"}]
    made: list = []

    def place_fifty() -> None:
        with sim.paced(2.0):
            for _ in range(50):
                made.append(calls.place_call(lab, ncco, NUMBERS["talker"], quiet=True))
                time.sleep(0.15)

    placing = threading.Thread(target=place_fifty)
    placing.start()
    time.sleep(2.0)
    port, path = lab.receiver.port, lab.events.path
    lab.receiver.stop()
    time.sleep(5.0)  # calls go on: their events wait for the receiver
    lab.receiver = Receiver(path, port=port,
                            signature_secret=sim.credentials.signature_secret).start()
    placing.join()
    assert sim.wait_idle(90)

    stored = lab.events.all()
    ids = [r["_received"]["event_id"] for r in stored]
    assert len(ids) == len(set(ids))  # nothing twice
    retried = 0
    for call in made:
        tl = calls.timeline(lab, call)
        sent = Counter(key(e["payload"]) for e in tl.events
                       if str(e["url"]).startswith(lab.receiver.url))
        got = Counter(key(r) for r in stored if r.get("conversation_uuid")
                      == call.conversation_uuid)
        assert got == sent, f"{call.uuid}: missing {sent - got}, extra {got - sent}"
        assert sum(1 for k in got if k[0] == "record") == 1
        assert all(d.get("status_code") == 200 for d in tl.deliveries), tl.deliveries
        retried += sum(1 for d in tl.deliveries if d.get("attempts", 1) > 1)
    assert retried > 0  # the outage did hit deliveries


def test_a_failed_event_goes_to_the_fallback_url(own_lab):
    sim, rx = own_lab.simulator, own_lab.receiver
    sim.retry_delays, sim.fallback_url = (0.05,), rx.event_url("/fallback")
    try:
        call = calls.place_call(own_lab, [{"action": "record", "timeOut": 3,
                                           "eventUrl": ["http://127.0.0.1:9/down"]}],
                                NUMBERS["talker"], quiet=True)
        assert sim.wait_idle(30)
    finally:
        sim.fallback_url = None
    (event,) = [r for r in rx.events.all() if r["_received"]["path"] == "/fallback"]
    assert event["recording_uuid"] and event["original_request"] == {
        "url": "http://127.0.0.1:9/down", "type": "event"}
    assert "ConnectionError" in event["reason"]
    (primary, fallback) = [d for d in sim.calls[call.uuid].deliveries if d["event"] == "record"]
    assert "error" in primary and fallback["status_code"] == 200
