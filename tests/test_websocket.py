"""WebSocket endpoints in `connect`, the lab's socket, and the capacity switch.

Through the official SDK and plain HTTPS against the simulator; every socket is the lab's own
(`helpers.lab_socket.LabSocket`) on loopback. What is checked follows Vonage's WebSockets
guide: the first message, 20 ms frames (640 bytes at 16 kHz, 320 at 8 kHz), the
`disconnected` event with eventType synchronous and the NCCO returned to it; and the
troubleshooting guide's capacity (3 calls/s, 15 requests/s, 429).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from vonage_http_client.errors import RateLimitedError
from vonage_voice.models.connect_endpoints import WebsocketEndpoint
from vonage_voice.models.ncco import Connect, Record
from vonage_voice.models.requests import CreateCallRequest, ToPhone

from helpers import assumptions, calls
from helpers.lab_socket import LabSocket
from helpers.simulator.capacity import Capacity

TALKER = "447700900001"  # answers after 2 s, talks, hangs up about 14 s into the call
TO = [{"type": "phone", "number": TALKER}]


def https(lab, method, path, **kwargs):
    """Plain HTTPS with a JWT the SDK makes, TLS verified against the simulator's CA."""
    token = lab.vonage.http_client.auth.create_jwt_auth_string().decode()
    return requests.request(method, f"https://{lab.api_host}{path}", timeout=30,
                            headers={"Authorization": token},
                            verify=lab.simulator.info()["ca_cert"], **kwargs)


def socket_endpoint(uri, rate=16000, **headers):
    endpoint = {"type": "websocket", "uri": uri, "content-type": f"audio/l16;rate={rate}"}
    if headers:
        endpoint["headers"] = headers
    return endpoint


def place(lab, ncco):
    reply = https(lab, "POST", "/v1/calls", json={
        "to": TO, "random_from_number": True, "event_url": [lab.event_url()], "ncco": ncco})
    assert reply.status_code == 201, reply.text
    call = reply.json()
    calls.wait_until_ended(lab, call)
    assert lab.simulator.wait_idle(60)
    return call, calls.timeline(lab, call)


def logged(tl, what):
    return [entry for entry in tl.log if entry["what"] == what]


@pytest.fixture
def sock(lab):
    made = []

    def make(**options):
        made.append(lab.socket(**options))
        return made[-1]

    yield make
    for one in made:
        one.stop()


def test_the_sdk_connects_a_call_to_a_socket_first_message_then_640_byte_frames(lab, sock):
    server = sock(echo=True)
    connect = Connect(endpoint=[WebsocketEndpoint(
        uri=server.uri, contentType="audio/l16;rate=16000",
        headers={"language": "en-GB", "callerID": "447700900123"})], randomFromNumber=True)
    call = lab.voice.create_call(CreateCallRequest(
        to=[ToPhone(number=TALKER)], random_from_number=True, event_url=[lab.event_url()],
        ncco=[Record(split="conversation"), connect]))
    calls.wait_until_ended(lab, call)
    assert lab.simulator.wait_idle(60)
    [session] = server.sessions
    # WebSockets guide, "First message": the headers' properties at the top level
    assert session.first == {"event": "websocket:connected",
                             "content-type": "audio/l16;rate=16000",
                             "language": "en-GB", "callerID": "447700900123"}
    assert session.frames and set(session.frames) == {640}
    assert session.closed_by == "simulator"  # the caller hung up; the socket was closed
    tl = calls.timeline(lab, call)
    [leg] = tl.legs
    assert leg.number == server.uri and leg.answered == tl.answered
    # one frame per 20 ms of the socket leg's life, counted on the call's clock
    assert len(session.frames) == round((leg.ended - leg.answered) / 0.02)
    assert any(b for b in session.audio)  # the caller's voice reached the socket
    echoed = [s for s in tl.sounds if s.kind == "socket" and s.source == leg.source]
    assert echoed and echoed[0].start >= leg.answered  # the echo is heard in the call
    [window] = tl.windows()
    assert leg.source in window.run.participants  # and recorded on the socket leg's channel


def test_a_key_pressed_on_the_call_reaches_the_socket_as_a_dtmf_event(lab, sock):
    server = sock(echo=False)
    reply = https(lab, "POST", "/v1/calls", json={
        "to": [{"type": "phone", "number": "447700900002"}],  # presses # 5 s after answering
        "random_from_number": True, "event_url": [lab.event_url()],
        "ncco": [{"action": "connect", "randomFromNumber": True,
                  "endpoint": [socket_endpoint(server.uri)]}]})
    assert reply.status_code == 201, reply.text
    calls.wait_until_ended(lab, reply.json())
    assert lab.simulator.wait_idle(60)
    [session] = server.sessions
    # WebSockets guide, "DTMF events": {"event":"websocket:dtmf","digit":"5","duration":260}
    assert [json.loads(t) for t in session.texts] == [
        {"event": "websocket:dtmf", "digit": "#",
         "duration": round(assumptions.DTMF_TONE_SECONDS * 1000)}]


def test_8_khz_gives_320_byte_frames_over_plain_https(lab, sock):
    server = sock(echo=False)
    place(lab, [{"action": "connect", "randomFromNumber": True,
                 "endpoint": [socket_endpoint(server.uri, rate=8000)]}])
    [session] = server.sessions
    assert session.first == {"event": "websocket:connected",
                             "content-type": "audio/l16;rate=8000"}
    assert set(session.frames) == {320}


def test_a_drop_sends_disconnected_and_the_ncco_returned_to_it_runs(lab, sock):
    server = sock(drop_after=2)
    server.on_disconnect = [
        {"action": "talk", "text": "We lost the line. Reconnecting."},
        {"action": "connect", "randomFromNumber": True,
         "endpoint": [socket_endpoint(server.uri, attempt=2)]}]
    call, tl = place(lab, [{"action": "connect", "randomFromNumber": True,
                            "eventType": "synchronous", "eventUrl": [server.event_url],
                            "endpoint": [socket_endpoint(server.uri, attempt=1)]}])
    first, second = server.sessions
    assert first.closed_by == "server" and first.seconds == 2.0
    assert second.first["attempt"] == 2
    [opened, reopened] = logged(tl, "socket_open")
    [closed] = logged(tl, "socket_closed")
    assert closed["status"] == "disconnected"
    assert round(closed["t"] - opened["t"], 6) == 2.0  # N frames in, every run
    # the documented event, with the endpoint's headers, at the connect's eventUrl
    [event] = [e for e in server.events if e.get("status") == "disconnected"]
    assert event["to"] == server.uri and event["headers"] == {"attempt": 1}
    assert event["conversation_uuid"] == call["conversation_uuid"]
    assert {"uuid", "from", "timestamp"} <= set(event)
    # the NCCO in the answer replaced the rest: its talk, then the second connect
    actions = [(e["index"], e["action"]) for e in logged(tl, "action")]
    assert actions == [(0, "connect"), (0, "talk"), (1, "connect")]
    assert logged(tl, "ncco_from_event")[0]["actions"] == 2
    assert reopened["t"] > closed["t"] and tl.status == "completed"


def test_without_event_type_synchronous_a_drop_sends_no_event_and_the_ncco_goes_on(lab, sock):
    server = sock(drop_after=1, on_disconnect=[{"action": "talk", "text": "never"}])
    call, tl = place(lab, [
        {"action": "connect", "randomFromNumber": True, "eventUrl": [server.event_url],
         "endpoint": [socket_endpoint(server.uri)]},
        {"action": "talk", "text": "Goodbye."}])
    assert not [e for e in server.events if e.get("status") == "disconnected"]
    assert [e["action"] for e in logged(tl, "action")] == ["connect", "talk"]
    assert [e["body"]["text"] for e in logged(tl, "action")
            if e["action"] == "talk"] == ["Goodbye."]


def test_a_socket_that_cannot_be_opened_is_a_failed_leg(lab, sock):
    server = sock()
    dead = socket_endpoint(server.uri)
    server.stop()  # nothing listens there any more
    events = LabSocket(on_disconnect=[{"action": "talk", "text": "Sorry."}]).start()
    try:
        _, tl = place(lab, [{"action": "connect", "randomFromNumber": True,
                             "eventType": "synchronous", "eventUrl": [events.event_url],
                             "endpoint": [dead]}])
    finally:
        events.stop()
    [closed] = logged(tl, "socket_closed")
    assert closed["status"] == "failed" and "could not be opened" in closed["why"]
    assert [e["status"] for e in events.events][-1] == "failed"
    assert [e["action"] for e in logged(tl, "action")] == ["connect", "talk"]


@pytest.mark.parametrize("endpoint, says", [
    ({"type": "websocket"}, "needs uri"),
    ({"type": "websocket", "uri": "https://127.0.0.1:9/socket"}, "starting ws: or wss:"),
    ({"type": "websocket", "uri": "ws://127.0.0.1:9/s", "content-type": "audio/wav"},
     "content-type must be one of audio/l16;rate=8000"),
    ({"type": "websocket", "uri": "ws://127.0.0.1:9/s", "headers": "lang=en"},
     "headers must be an object"),
])
def test_bad_websocket_endpoints_are_a_400_naming_the_field(lab, endpoint, says):
    reply = https(lab, "POST", "/v1/calls", json={
        "to": TO, "random_from_number": True,
        "ncco": [{"action": "connect", "randomFromNumber": True, "endpoint": [endpoint]}]})
    assert reply.status_code == 400
    [problem] = reply.json()["invalid_parameters"]
    assert problem["name"] == "ncco[0].endpoint" and says in problem["reason"]


def test_a_socket_off_this_computer_is_refused_with_a_400_naming_the_uri(lab):
    reply = https(lab, "POST", "/v1/calls", json={
        "to": TO, "random_from_number": True,
        "ncco": [{"action": "connect", "randomFromNumber": True,
                  "endpoint": [socket_endpoint("wss://bot.example.com/socket")]}]})
    assert reply.status_code == 400
    [problem] = reply.json()["invalid_parameters"]
    assert problem["name"] == "ncco[0].endpoint[0].uri"
    assert "bot.example.com" in problem["reason"]


# --- capacity ---------------------------------------------------------------------------------
def test_capacity_counts_a_sliding_second_per_kind():
    capacity = Capacity(enabled=True)
    assert [capacity.admit("POST", "/v1/calls", now=10.0 + i / 10) is None
            for i in range(4)] == [True, True, True, False]
    assert capacity.admit("POST", "/v1/calls", now=11.05) is None  # the first left the second
    refused = [capacity.admit("GET", "/v1/calls", now=20.0) for _ in range(16)]
    assert refused[:15] == [None] * 15 and refused[15].status == 429
    assert capacity.admit("PUT", "/_sim/pace", now=20.0) is None  # /_sim is never limited
    assert Capacity(enabled=False).admit("POST", "/v1/calls") is None


def _four_creates(lab) -> tuple[list, float]:
    """Four creates at once (to the busy persona: each call is over at once); the outcomes
    sorted, accepted first, and how long the four took."""
    request = CreateCallRequest(to=[ToPhone(number="447700900004")], random_from_number=True,
                                ncco=[{"action": "talk", "text": "Hi"}])

    def create(_):
        try:
            return lab.voice.create_call(request).status
        except RateLimitedError as err:
            return err

    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(create, range(4)))
    return sorted(outcomes, key=lambda o: not isinstance(o, str)), time.monotonic() - started


def test_the_capacity_switch_refuses_the_fourth_create_in_a_second(own_lab):
    lab = own_lab
    assert https(lab, "GET", "/_sim/capacity").json()["enabled"] is False
    outcomes, _ = _four_creates(lab)
    assert outcomes == ["started"] * 4  # off by default
    reply = https(lab, "PUT", "/_sim/capacity", json={"enabled": "yes"})
    assert reply.status_code == 400 and reply.json()["invalid_parameters"][0]["name"] == \
        "enabled"
    assert https(lab, "PUT", "/_sim/capacity", json={"enabled": True}).json()["enabled"]
    time.sleep(1.0)  # the creates above leave the window
    for _ in range(3):  # a stalled machine may spread them over more than a second
        outcomes, took = _four_creates(lab)
        if took < 1.0:
            break
        time.sleep(1.0)
    assert took < 1.0, "four creates never fitted in one second on this machine"
    assert outcomes[:3] == ["started"] * 3 and isinstance(outcomes[3], RateLimitedError)
    reply = outcomes[3].response  # the 429 itself, as the SDK got it
    assert reply.status_code == 429
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["type"].endswith("#rate-limit") and body["title"] == "Rate Limit Hit"
    assert https(lab, "PUT", "/_sim/capacity", json={"enabled": False}).status_code == 200
    time.sleep(1.0)
    assert _four_creates(lab)[0] == ["started"] * 4  # off again


def test_the_socket_clock_assumption_is_labelled():
    assert "20 ms frames" in assumptions.label("SOCKET_REPLY_WAIT")


@pytest.mark.parametrize("endpoint", [
    {"type": "websocket", "uri": "wss://example.com/socket"},  # content-type may be left out
    {"type": "websocket", "uri": "ws://127.0.0.1:8080/socket",
     "content-type": "audio/l16;rate=8000"},
    {"type": "websocket", "uri": "wss://example.com/socket",
     "content-type": "audio/l16;rate=24000",
     "headers": {"name": "J Doe", "age": 40, "address": {"city": "New York City"},
                 "system_roles": [183493, 22], "enable_auditing": False}},  # the guide's
])
def test_the_rules_and_the_diagnoser_accept_the_websocket_endpoint_forms(endpoint):
    from helpers import diagnose, explain, validate

    ncco = [{"action": "connect", "eventType": "synchronous",
             "eventUrl": ["https://example.com/events"], "from": "447700900000",
             "endpoint": [endpoint]}]
    assert validate(ncco) == []
    assert "not valid" not in explain(ncco)
    assert diagnose(ncco).problems == []
