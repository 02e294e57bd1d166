"""The simulator's API surface through the SDK: auth, bad input, call states, load, retention."""

from __future__ import annotations

import functools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simulator_process import simulator_process
from vonage_http_client.errors import AuthenticationError, HttpRequestError, NotFoundError
from vonage_voice.models.ncco import Talk
from vonage_voice.models.requests import ListCallsFilter

from helpers import assumptions, calls

ROOT = Path(__file__).resolve().parents[1]


def raw(lab, method, path, token=None, **kwargs):
    """A request with full control over the Authorization header, TLS still verified."""
    headers = {} if token is None else {"Authorization": token}
    url = f"https://{lab.api_host}{path}"
    return requests.request(method, url, headers=headers, timeout=10,
                            verify=lab.simulator.info()["ca_cert"], **kwargs)


def token(lab, *, key=None, app_id=None, exp_in=600, alg="RS256", **extra):
    now = int(time.time())
    claims = {"application_id": app_id or lab.simulator.info()["application_id"], "iat": now,
              "exp": now + exp_in, "jti": "t", **extra}
    if key is None:
        key = Path(lab.simulator.info()["private_key"]).read_text()
    return "Bearer " + jwt.encode(claims, key, algorithm=alg)


def foreign_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("path", ["/v1/calls", "/v1/files/anything", "/_sim/info",
                                  "/_sim/callees"])
def test_every_endpoint_needs_a_jwt(lab, path):
    reply = raw(lab, "GET", path)
    assert reply.status_code == 401
    assert reply.json()["title"] == "Unauthorized"


def test_every_declared_route_and_method_needs_a_jwt(lab):
    from helpers.simulator.api import routes

    for route in routes:
        path = route.path.replace("{uuid}", "x").replace("{number}", "1").replace(
            "{file_id}", "x")
        for method in sorted(route.methods - {"HEAD"}):
            reply = raw(lab, method, path)
            assert reply.status_code == 401, (method, route.path, reply.text[:200])
            assert reply.json()["title"] == "Unauthorized"


@pytest.mark.parametrize("kind", ["garbage", "not bearer", "foreign key", "expired",
                                  "other application", "hs256"])
def test_bad_tokens_get_401_with_a_vonage_body(lab, kind):
    bad = {
        "garbage": lambda: "Bearer not.a.jwt",
        "not bearer": lambda: token(lab).replace("Bearer", "Basic"),
        "foreign key": lambda: token(lab, key=foreign_key()),
        "expired": lambda: token(lab, exp_in=-3600),
        "other application": lambda: token(lab, app_id="00000000-0000-4000-8000-000000000000"),
        "hs256": lambda: token(lab, key="secret-secret-secret-secret-32by", alg="HS256"),
    }[kind]()
    reply = raw(lab, "GET", "/v1/calls", bad)
    assert reply.status_code == 401
    body = reply.json()
    assert body["type"].endswith("#unauthorized") and body["detail"]


def test_a_good_token_passes(lab):
    assert raw(lab, "GET", "/v1/calls", token(lab)).status_code == 200


def test_the_sdk_raises_authentication_error_for_a_foreign_application(lab):
    from helpers.client import _sdk_client

    info = lab.simulator.info()
    other = _sdk_client("00000000-0000-4000-8000-000000000000", info["private_key"],
                        info["api_host"], info["ca_cert"])
    with pytest.raises(AuthenticationError):
        other.voice.list_calls()


def test_invalid_ncco_gets_400_naming_every_bad_field(lab):
    body = {"to": [{"type": "phone", "number": "447700900001"}], "random_from_number": True,
            "ncco": [{"action": "record", "endOnSilence": 2, "format": "flac"}]}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 400
    problems = {p["name"]: p for p in reply.json()["invalid_parameters"]}
    assert set(problems) == {"ncco[0].endOnSilence", "ncco[0].format"}
    assert problems["ncco[0].endOnSilence"]["value"] == 2
    assert "3 to 10" in problems["ncco[0].endOnSilence"]["allowed"]


def test_errors_are_vonage_problem_bodies(lab, monkeypatch):
    """Fact sheet §4.6 (api-errors page): application/problem+json with type (URL#code),
    title, detail, instance; invalid_parameters entries name and reason."""
    bad = {"to": [{"type": "phone", "number": "447700900001"}], "random_from_number": True,
           "ncco": [{"action": "talk", "text": "x"}], "length_timer": 0}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=bad)
    body = reply.json()
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "detail", "instance", "invalid_parameters"} == set(body)
    assert body["type"] == "https://developer.nexmo.com/api-errors#invalid-params"
    assert {"name", "reason"} <= set(body["invalid_parameters"][0])
    monkeypatch.setattr(assumptions, "ERROR_ECHOES_VALUE_AND_ALLOWED", False)
    body = raw(lab, "POST", "/v1/calls", token(lab), json=bad).json()
    assert [set(p) for p in body["invalid_parameters"]] == [{"name", "reason"}]
    not_json = raw(lab, "POST", "/v1/calls", token(lab), data=b"{")
    assert not_json.json()["type"].endswith("#invalid-json")
    wrong_verb = raw(lab, "PATCH", "/v1/calls", token(lab))
    assert wrong_verb.status_code == 405 and wrong_verb.json()["type"].endswith("#wrong-verb")
    for status in (401, 404):
        reply = raw(lab, "GET", "/v1/calls/nope", token(lab) if status == 404 else None)
        assert reply.status_code == status
        assert reply.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body, field", [
    ({}, "to"), ({"to": "447700900001"}, "to"),
    ({"to": [{"type": "phone", "number": "1"}], "ncco": [{"action": "talk", "text": "x"}]},
     "from"),
    ({"to": [{"type": "phone", "number": "1"}], "random_from_number": True}, "ncco"),
    ({"to": [{"type": "phone", "number": "1"}], "random_from_number": True,
      "ncco": [{"action": "talk", "text": "x"}], "length_timer": 0}, "length_timer"),
    ({"to": [{"type": "phone", "number": "1"}], "random_from_number": True,
      "ncco": [{"action": "talk", "text": "x"}], "event_url": "http://x"}, "event_url"),
    ([1, 2], "body"),
])
def test_bad_create_bodies_get_400(lab, body, field):
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 400
    assert field in {p["name"] for p in reply.json()["invalid_parameters"]}


def test_invalid_json_gets_400(lab):
    reply = requests.post(f"https://{lab.api_host}/v1/calls", data=b"{nope", timeout=10,
                          headers={"Authorization": token(lab)},
                          verify=lab.simulator.info()["ca_cert"])
    assert reply.status_code == 400 and "not valid JSON" in reply.json()["detail"]


def test_unknown_call_is_404(lab):
    with pytest.raises(NotFoundError):
        lab.voice.get_call("00000000-0000-4000-8000-000000000000")
    with pytest.raises(NotFoundError):
        lab.voice.hangup("00000000-0000-4000-8000-000000000000")


def test_hanging_up_an_ended_call_is_a_bad_request(lab):
    call = calls.place_call(lab, [{"action": "talk", "text": "hi"}], quiet=True)
    calls.wait_until_ended(lab, call)
    with pytest.raises(HttpRequestError) as err:
        lab.voice.hangup(call.uuid)
    assert err.value.response.status_code == assumptions.ENDED_CALL_STATUS
    assert "already ended" in err.value.response.json()["detail"]


def test_hangup_right_after_create_is_bad_request_then_works(lab, sim):
    """Support article: hanging up a call straight after creating it gives Bad Request."""
    with sim.paced(1.0):
        call = calls.place_call(lab, [{"action": "talk", "text": "hello " * 20}], quiet=True)
    with pytest.raises(HttpRequestError) as err:
        lab.voice.hangup(call.uuid)
    body = err.value.response.json()
    assert err.value.response.status_code == 400 and body["title"] == "Bad Request"
    assert "still being set up" in body["detail"]
    lab.events.wait_for_status(call.uuid, "ringing", timeout=10)
    time.sleep(assumptions.CALL_SETUP_SECONDS)  # real time: this call runs at pace 1
    lab.voice.hangup(call.uuid)
    final = calls.wait_until_ended(lab, call)
    assert final["status"] in ("completed", "cancelled")


def test_modify_a_running_call_mute_talk_dtmf_transfer(lab, sim):
    calls.set_callee(lab, "447700900071", [{"speak": 60}], answer_after=0.1)
    with sim.paced(50.0):  # 50x real time: a minute of call in ~1.2 s
        call = calls.place_call(lab, [{"action": "record", "split": "conversation",
                                       "format": "wav"}, {"action": "wait", "timeout": 60}],
                                to="447700900071", quiet=True)
        lab.events.wait_for_status(call.uuid, "answered", timeout=10)
        time.sleep(0.1)
        lab.voice.mute(call.uuid)
        message = lab.voice.play_dtmf_into_call(call.uuid, "12")
        assert message.message == "DTMF sent"
        time.sleep(0.1)
        lab.voice.unmute(call.uuid)
        # the SDK's transfer takes NCCO models, not dicts (a dict loses every field)
        lab.voice.transfer_call_ncco(call.uuid, [Talk(text="Goodbye now")])
    calls.wait_until_ended(lab, call)
    tl = calls.timeline(lab, call)
    assert len(tl.mutes) == 1 and tl.mutes[0][1] is not None
    dtmf = [s for s in tl.sounds if s.kind == "dtmf"]
    assert [s.digit for s in dtmf] == ["1", "2"] and dtmf[0].source == 1
    assert [e["action"] for e in tl.log if e["what"] == "action"][-1] == "talk"


def test_list_calls_filters_and_pages(lab):
    made = [calls.place_call(lab, [{"action": "talk", "text": "hi"}], quiet=True)
            for _ in range(3)]
    for call in made:
        calls.wait_until_ended(lab, call)
    page, next_index = lab.voice.list_calls(ListCallsFilter(page_size=2))
    assert len(page) == 2 and next_index is not None
    mine, _ = lab.voice.list_calls(ListCallsFilter(conversation_uuid=made[0].conversation_uuid))
    assert [c.uuid for c in mine] == [made[0].uuid]
    done, page = [], [None] * 100
    while len(page) == 100:  # every completed call, however many other tests made
        # (record_index is an offset; the SDK's own "next" index only adds 1 to it)
        page, _ = lab.voice.list_calls(ListCallsFilter(status="completed", page_size=100,
                                                       record_index=len(done)))
        done += page
    assert {c.uuid for c in made} <= {c.uuid for c in done}
    info = lab.voice.get_call(made[0].uuid)
    assert info.status == "completed" and info.duration is not None


@pytest.mark.parametrize("to, status", [("447700900003", "unanswered"),
                                        ("447700900004", "busy")])
def test_callees_that_do_not_answer(lab, to, status):
    call = calls.place_call(lab, [{"action": "record"}], to=to, quiet=True)
    assert calls.wait_until_ended(lab, call)["status"] == status


def test_callee_scripts_are_validated(lab):
    with pytest.raises(ValueError, match="press must be keys"):
        calls.set_callee(lab, "447700900072", [{"press": "x"}])
    with pytest.raises(ValueError, match="speak must be seconds"):
        calls.set_callee(lab, "447700900072", [{"speak": -1}])


def test_twenty_concurrent_calls_deliver_every_event_exactly_once(lab, downloads):
    ncco = [{"action": "record", "timeOut": 5}, {"action": "talk", "text": "done"}]
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: calls.place_call(lab, ncco, quiet=True), range(20)))
    for call in made:
        calls.wait_until_ended(lab, call)
        calls.wait_for_recording(lab, call)
    lab.simulator.wait_idle(60)
    for call in made:
        statuses = [r["status"] for r in lab.events.for_call(uuid=call.uuid) if "status" in r]
        assert statuses == ["started", "ringing", "answered", "completed"]
        records = [r for r in lab.events.for_call(conversation_uuid=call.conversation_uuid)
                   if "recording_url" in r]
        assert len(records) == 1
        path = calls.download_recording(lab, records[0], downloads)
        assert path.stat().st_size == records[0]["size"]


def test_recordings_expire_after_thirty_days(lab, sim, downloads):
    from helpers.client import lab_for
    from helpers.simulator.server import Simulator

    home = Path(os.environ["RECORDING_LAB_HOME"]) / "retention"
    own = Simulator(state_dir=home)
    # its own receiver: the lab's refuses events signed with another simulator's secret
    with own, lab_for(own, home / "events.jsonl") as other:
        call = calls.place_call(other, [{"action": "record", "timeOut": 3}], quiet=True)
        event = calls.wait_for_recording(other, call)
        calls.advance_clock(other, days=assumptions.RETENTION_DAYS - 1)
        assert calls.download_recording(other, event, downloads).exists()
        calls.advance_clock(other, days=2)
        with pytest.raises(calls.RecordingDownloadError, match="30 days") as expired:
            calls.download_recording(other, event, downloads / "late")
        assert str(expired.value).startswith("404: expired (older than 30 days?) or a wrong URL")
        assert not list((downloads / "late").glob("*"))  # nothing half-written left behind
        # the answer is the documented 404 (fact sheet §4.7), no invented "expired on" text,
        # and the same as for a file id that never existed
        late = raw(other, "GET", urlparse(event["recording_url"]).path, token(other))
        wrong = raw(other, "GET", "/v1/files/" + event["recording_uuid"], token(other))
        assert late.status_code == wrong.status_code == 404
        assert "expired" not in late.text
        assert {k: v for k, v in late.json().items() if k != "instance"} == {
            k: v for k, v in wrong.json().items() if k != "instance"}


def test_recording_url_has_a_file_id_of_its_own(lab, downloads):
    """recording_url names the file, recording_uuid the recording (fact sheet §2.1): store the
    URL; one rebuilt from recording_uuid points nowhere."""
    call = calls.place_call(lab, [{"action": "record", "timeOut": 3}], quiet=True)
    event = calls.wait_for_recording(lab, call)
    url = urlparse(event["recording_url"])
    file_id = url.path.rsplit("/", 1)[1]
    assert url.path == f"/v1/files/{file_id}" and file_id != event["recording_uuid"]
    path = calls.download_recording(lab, event, downloads)
    assert path.stat().st_size == event["size"]
    rebuilt = raw(lab, "GET", f"/v1/files/{event['recording_uuid']}", token(lab))
    assert rebuilt.status_code == 404


def test_cli_prints_one_json_line_and_serves(tmp_path):
    with simulator_process(tmp_path) as info:
        assert {"api_host", "ca_cert", "application_id", "private_key"} <= set(info)
        assert info["api_host"].startswith("127.0.0.1:")
        reply = requests.get(f"https://{info['api_host']}/v1/calls", verify=info["ca_cert"],
                             timeout=10)
        assert reply.status_code == 401


def test_pace_endpoints_slow_a_call_down_and_speed_it_up_again(lab, sim):
    http = lab.vonage.http_client
    assert http.put(lab.api_host, "/_sim/pace", {"pace": 1})["pace"] == 1
    try:
        call = calls.place_call(lab, [{"action": "record"}, {"action": "wait", "timeout": 600}],
                                to="447700900005", quiet=True)  # silent, never hangs up
    finally:
        http.put(lab.api_host, "/_sim/pace", {"pace": None})
    # in real time the call cannot have been answered yet
    assert lab.voice.get_call(call.uuid).status in ("started", "ringing")
    # a ten-minute wait would take ten minutes at pace 1: switch this call to full speed
    assert http.put(lab.api_host, f"/_sim/calls/{call.uuid}/pace", {"pace": None})["pace"] is None
    final = calls.wait_until_ended(lab, call, timeout=30)
    assert final["status"] == "completed"
    tl = calls.timeline(lab, call)
    assert tl.ended - tl.answered == pytest.approx(600.0)


@pytest.mark.parametrize("bad", [0, -1, "fast", True, [1]])
def test_bad_pace_values_are_refused(lab, bad):
    reply = raw(lab, "PUT", "/_sim/pace", token(lab), json={"pace": bad})
    assert reply.status_code == 400
    assert reply.json()["invalid_parameters"][0]["name"] == "pace"


def test_idle_endpoint_waits_for_every_call_and_its_webhooks(lab, sim):
    http = lab.vonage.http_client
    with sim.paced(1.0):
        call = calls.place_call(lab, [{"action": "wait", "timeout": 120}],
                                to="447700900005", quiet=True)  # silent, never hangs up
    started = time.monotonic()
    assert http.post(lab.api_host, "/_sim/idle", {"timeout": 0.3}) == {"idle": False}
    assert 0.3 <= time.monotonic() - started < 5
    wait = functools.partial(requests.post, f"https://{lab.api_host}/_sim/idle",
                             json={"timeout": 120}, headers={"Authorization": token(lab)},
                             verify=lab.simulator.info()["ca_cert"], timeout=150)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(wait)
        time.sleep(0.3)
        asked = time.monotonic()  # the wait runs off the event loop: others are served
        assert lab.voice.get_call(call.uuid).status in ("started", "ringing", "answered")
        assert time.monotonic() - asked < 10 and not waiting.done()  # not after the wait
        http.put(lab.api_host, f"/_sim/calls/{call.uuid}/pace", {"pace": None})
        reply = waiting.result(timeout=150)
    assert reply.status_code == 200 and reply.json() == {"idle": True}
    assert sim.calls[call.uuid].delivered.is_set()  # its last event went out too
    assert http.post(lab.api_host, "/_sim/idle", {}) == {"idle": True}  # default timeout
    assert http.post(lab.api_host, "/_sim/idle", {"timeout": 10**30}) == {"idle": True}


@pytest.mark.parametrize("body", [{"timeout": -1}, {"timeout": "soon"}, {"timeout": True},
                                  {"timeout": None}, {"timeout": [5]}, [1]])
def test_bad_idle_timeouts_are_refused(lab, body):
    reply = raw(lab, "POST", "/_sim/idle", token(lab), json=body)
    assert reply.status_code == 400
    assert reply.json()["invalid_parameters"][0]["name"] == "timeout"


# --- what outside clients tripped on (issues 9 and 10) --------------------------------------

TO = [{"type": "phone", "number": "447700900001"}]


def test_stream_and_talk_level_as_the_spec_types_it_a_string(lab, sim):
    """The OpenAPI types `level` as a string and the Node SDK sends "0"; so does this test."""
    calls.set_callee(lab, "447700900073", [{"speak": 600}], answer_after=0.1)
    with sim.paced(20.0):
        call = calls.place_call(lab, [{"action": "wait", "timeout": 600}], to="447700900073",
                                quiet=True)
        lab.events.wait_for_status(call.uuid, "answered", timeout=10)
        time.sleep(0.1)
        for path, body in (("stream", {"stream_url": ["https://example.com/a.mp3"],
                                       "level": "0", "loop": "1"}),
                           ("talk", {"text": "hello", "level": "-0.4"})):
            reply = raw(lab, "PUT", f"/v1/calls/{call.uuid}/{path}", token(lab), json=body)
            assert reply.status_code == 200, reply.text
        reply = raw(lab, "PUT", f"/v1/calls/{call.uuid}/stream", token(lab),
                    json={"stream_url": ["https://example.com/a.mp3"], "level": "loud"})
        assert reply.status_code == 400
        assert [p["name"] for p in reply.json()["invalid_parameters"]] == ["level"]
        lab.voice.hangup(call.uuid)
    calls.wait_until_ended(lab, call)


@pytest.mark.parametrize("destination, field", [
    ({"type": "ncco", "ncco": None}, "destination.ncco"),
    ({"type": "ncco", "ncco": None, "url": None}, "destination.ncco"),
    ({"type": "ncco"}, "destination.ncco"),
    ({"type": None, "ncco": [{"action": "talk", "text": "x"}]}, "destination.type"),
    (None, "destination"),
    ({"type": "ncco", "url": None, "ncco": [{"action": "talk", "text": None}]},
     "destination.ncco[0].text"),
])
def test_a_bad_transfer_destination_is_a_400_naming_the_field(lab, sim, destination, field):
    calls.set_callee(lab, "447700900074", [{"speak": 600}], answer_after=0.1)
    with sim.paced(20.0):
        call = calls.place_call(lab, [{"action": "wait", "timeout": 600}], to="447700900074",
                                quiet=True)
        lab.events.wait_for_status(call.uuid, "answered", timeout=10)
        time.sleep(0.1)
        reply = raw(lab, "PUT", f"/v1/calls/{call.uuid}", token(lab),
                    json={"action": "transfer", "destination": destination})
        assert reply.status_code == 400, reply.text
        assert field in {p["name"] for p in reply.json()["invalid_parameters"]}
        lab.voice.hangup(call.uuid)
    calls.wait_until_ended(lab, call)


def test_an_unknown_status_filter_is_a_400_not_an_empty_list(lab):
    reply = raw(lab, "GET", "/v1/calls?status=finished", token(lab))
    assert reply.status_code == 400
    [problem] = reply.json()["invalid_parameters"]
    assert problem["name"] == "status" and "completed" in problem["reason"]
    assert raw(lab, "GET", "/v1/calls?status=timeout", token(lab)).status_code == 200


@pytest.mark.parametrize("to, says", [
    ([{"type": "phone", "number": "٤٤٧٧٠٠٩٠٠٠٠١"}], "digits 0-9"),
    ([{"type": "phone", "number": "４４７７００９０００００１"}], "digits 0-9"),
    ([{"type": "sip"}], "needs uri"),
    ([{"type": "sip", "uri": None}], "needs uri"),
])
def test_non_ascii_numbers_and_a_sip_endpoint_without_uri_are_refused(lab, to, says):
    body = {"to": to, "random_from_number": True, "ncco": [{"action": "talk", "text": "x"}]}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 400
    [problem] = [p for p in reply.json()["invalid_parameters"] if p["name"] == "to"]
    assert says in problem["reason"]
    body = {"to": TO, "from": {"type": "phone", "number": "٤٤٧٧٠٠٩٠٠٠٠٠"},
            "ncco": [{"action": "talk", "text": "x"}]}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 400 and reply.json()["invalid_parameters"][0]["name"] == "from"


def test_php_style_text_values_and_nulls_run_like_their_json_types(lab):
    """The PHP SDK sends "timeOut": "7200", "beepStart": "false"; JS clients send nulls."""
    body = {"to": TO, "from": None, "random_from_number": "true", "answer_url": None,
            "event_url": [lab.event_url()], "ringing_timer": "30",
            "ncco": [{"action": "talk", "text": "Leave a message", "bargeIn": None},
                     {"action": "record", "timeOut": "4", "beepStart": "true",
                      "endOnKey": None, "eventUrl": None}]}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 201, reply.text
    call = reply.json()
    calls.wait_until_ended(lab, call)
    tl = calls.timeline(lab, call)
    [rec] = tl.recordings
    assert rec.blocking and rec.ended_by == "timeOut"
    assert round(rec.end - rec.start, 3) == 4
    assert any(s.kind == "beep" for s in tl.sounds)


def test_sdk_models_for_connect_and_conversation_reach_the_simulator(lab):
    from vonage_voice.models.common import AdvancedMachineDetection
    from vonage_voice.models.connect_endpoints import PhoneEndpoint
    from vonage_voice.models.ncco import Connect, Conversation, Record
    from vonage_voice.models.requests import CreateCallRequest, ToPhone

    connect = Connect(randomFromNumber=True, endpoint=[PhoneEndpoint(number="447700900007")],
                      advancedMachineDetection=AdvancedMachineDetection(behavior="continue",
                                                                       mode="detect"))
    call = lab.voice.create_call(CreateCallRequest(
        to=[ToPhone(number="447700900001")], random_from_number=True,
        event_url=[lab.event_url()], ncco=[Record(), connect]))
    assert calls.wait_until_ended(lab, call)["status"] == "completed"
    room = Conversation(name="room", canSpeak=[call.uuid], canHear=[])
    sent = room.model_dump(by_alias=True, exclude_none=True)
    body = {"to": TO, "random_from_number": True, "event_url": [lab.event_url()],
            "ncco": [sent, {"action": "transfer", "conversationId": "CON-other"}]}
    reply = raw(lab, "POST", "/v1/calls", token(lab), json=body)
    assert reply.status_code == 201, reply.text
    calls.wait_until_ended(lab, reply.json())


def test_ringing_past_ringing_timer_ends_as_timeout(lab):
    """Webhook reference: `timeout` is a call whose ringing lasted longer than ringing_timer."""
    call = calls.place_call(lab, [{"action": "record"}], to="447700900003", quiet=True,
                            ringing_timer=5)
    final = calls.wait_until_ended(lab, call)
    assert final["status"] == "timeout"
    tl = calls.timeline(lab, call)
    assert tl.answered is None and tl.ended == pytest.approx(
        assumptions.RINGING_AFTER_SECONDS + 5)


def test_hanging_up_a_ringing_call_after_set_up_is_cancelled(lab, sim):
    """Webhook reference: `cancelled` is an outbound call cancelled before it was answered;
    after the set-up time (KB-badreq) the hang-up is an ordinary request, 204."""
    with sim.paced(5.0):
        call = calls.place_call(lab, [{"action": "record"}], to="447700900003", quiet=True)
        lab.events.wait_for_status(call.uuid, "ringing", timeout=10)
        time.sleep(assumptions.CALL_SETUP_SECONDS / 5 + 0.2)
        lab.voice.hangup(call.uuid)
    assert calls.wait_until_ended(lab, call)["status"] == "cancelled"


def test_bargein_stays_on_through_a_following_talk_until_the_input(lab):
    """NCCO reference: once bargeIn is true it stays true (even if a later talk says false)
    until an input; a key pressed during the second talk stops it and reaches the input."""
    calls.set_callee(lab, "447700900075", [{"silence": 2.5}, {"press": "5"}, {"silence": 5}],
                     answer_after=0.1)
    ncco = [{"action": "talk", "text": "one", "bargeIn": True},
            {"action": "talk", "text": "two three four five six seven eight nine ten",
             "bargeIn": False},
            {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1}}]
    call = calls.place_call(lab, ncco, to="447700900075", quiet=True)
    calls.wait_until_ended(lab, call)
    tl = calls.timeline(lab, call)
    [press] = [e for e in tl.log if e["what"] == "press"]
    assert "interrupted the bargeIn talk" in press["effect"]
    assert "completed the input" in press["effect"]
