"""Issue 9: the application's number and key pair, the Applications API, inbound calls, and
answer URLs fetched when the call is answered."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
import requests
from simulator_process import simulator_process
from vonage_application import (
    ApplicationConfig,
    Capabilities,
    Voice,
    VoiceUrl,
    VoiceWebhooks,
)
from vonage_http_client.errors import AuthenticationError
from vonage_voice.models.ncco import Talk
from vonage_voice.models.requests import CreateCallRequest

from helpers import assumptions
from helpers.callees import NUMBERS
from helpers.client import _sdk_client
from helpers.serving import serve_in_thread
from helpers.simulator.application import ApplicationSettings
from helpers.simulator.keys import ensure_credentials

ROOT = Path(__file__).resolve().parents[1]


# --- 1. the ready line ----------------------------------------------------------------------
def test_ready_line_names_the_number_and_the_key_pair(tmp_path):
    with simulator_process(tmp_path) as info:  # started, its ready line read, stopped
        pass
    assert info["number"].isdigit() and 7 <= len(info["number"]) <= 15
    assert info["api_key"] and info["api_secret"].isalnum() and len(info["api_secret"]) == 16
    for name in ("api_secret.txt", "number.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    again = ensure_credentials(tmp_path)  # kept: the same values on the next start
    assert (again.number, again.api_key, again.api_secret) == (
        info["number"], info["api_key"], info["api_secret"])


def test_a_damaged_secret_or_number_is_made_again(tmp_path):
    first = ensure_credentials(tmp_path)
    (tmp_path / "api_secret.txt").write_text("short\n")
    (tmp_path / "number.txt").write_text("not a number\n")
    second = ensure_credentials(tmp_path)
    assert second.api_secret != "short" and len(second.api_secret) == 16
    assert second.number.isdigit() and second.api_key == first.api_key
    assert "api_secret" not in repr(second) or second.api_secret not in repr(second)


# --- 2. the Applications API ----------------------------------------------------------------
def basic(sim, secret=None):
    info = sim.info()
    pair = f"{info['api_key']}:{secret or info['api_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def https(sim, method, path, headers=None, **kwargs):
    info = sim.info()
    return requests.request(method, f"https://{info['api_host']}{path}", headers=headers or {},
                            verify=info["ca_cert"], timeout=10, **kwargs)


def test_the_sdk_reads_and_updates_the_application(lab, sim):
    app_id = sim.info()["application_id"]
    app = lab.vonage.application.get_application(app_id)
    assert app.id == app_id and app.name
    assert app.keys.public_key.startswith("-----BEGIN PUBLIC KEY")
    config = ApplicationConfig(name="Contact centre", capabilities=Capabilities(voice=Voice(
        webhooks=VoiceWebhooks(answer_url=VoiceUrl(address="http://127.0.0.1:9/answer",
                                                   http_method="POST", socket_timeout=2000),
                               event_url=VoiceUrl(address="http://127.0.0.1:9/events")))))
    updated = lab.vonage.application.update_application(app_id, config)
    hooks = updated.capabilities.voice.webhooks
    assert updated.name == "Contact centre"
    assert (hooks.answer_url.http_method, hooks.answer_url.connect_timeout,
            hooks.answer_url.socket_timeout) == ("POST", 1000, 2000)  # documented default
    assert (hooks.event_url.http_method, hooks.event_url.socket_timeout) == ("POST", 10000)
    assert lab.vonage.application.get_application(app_id).name == "Contact centre"
    kept = ApplicationSettings(sim.store, sim.credentials.state_dir).config  # as a restart reads it
    assert kept["capabilities"]["voice"]["webhooks"]["answer_url"]["socket_timeout"] == 2000
    assert stat.S_IMODE((sim.credentials.state_dir / "state.db").stat().st_mode) == 0o600


def test_the_applications_api_takes_basic_auth_only(lab, sim):
    path = f"/v2/applications/{sim.info()['application_id']}"
    assert https(sim, "GET", path, basic(sim)).status_code == 200
    for headers in ({}, basic(sim, secret="wrong-secret-00"),
                    {"Authorization": lab.vonage.http_client.auth.create_jwt_auth_string()
                     .decode()}):
        reply = https(sim, "GET", path, headers)
        assert reply.status_code == 401 and reply.json()["title"] == "Unauthorized"
        assert "api_secret" in reply.json()["detail"]
    info = sim.info()
    wrong = _sdk_client(info["application_id"], info["private_key"], info["api_host"],
                        info["ca_cert"], info["api_key"], "not-the-secret1")
    with pytest.raises(AuthenticationError):
        wrong.application.get_application(info["application_id"])


def test_another_application_id_is_404(sim):
    reply = https(sim, "GET", "/v2/applications/00000000-0000-4000-8000-000000000000",
                  basic(sim))
    assert reply.status_code == 404


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": "x", "capabilities": {"voice": {"webhooks": {"answer_url": {
        "address": "http://127.0.0.1/a", "socket_timeout": 6000}}}}},
     "capabilities.voice.webhooks.answer_url.socket_timeout"),
    ({"name": "x", "capabilities": {"voice": {"webhooks": {"event_url": {
        "address": "http://127.0.0.1/e", "connect_timeout": 100}}}}},
     "capabilities.voice.webhooks.event_url.connect_timeout"),
    ({"name": "x", "capabilities": {"voice": {"webhooks": {"answer_url": {
        "address": "ftp://x", "http_method": "PUT"}}}}},
     "capabilities.voice.webhooks.answer_url.http_method"),
    ({"name": "x", "capabilities": {"voice": {"webhooks": {"answer_url": {}}}}},
     "capabilities.voice.webhooks.answer_url.address"),
    ({"name": "x", "colour": "red"}, "colour"),
])
def test_bad_application_bodies_get_400_naming_the_field(sim, body, field):
    before = https(sim, "GET", f"/v2/applications/{sim.info()['application_id']}",
                   basic(sim)).json()
    reply = https(sim, "PUT", f"/v2/applications/{sim.info()['application_id']}", basic(sim),
                  json=body)
    assert reply.status_code == 400, reply.text
    assert field in [p["name"] for p in reply.json()["invalid_parameters"]]
    after = https(sim, "GET", f"/v2/applications/{sim.info()['application_id']}",
                  basic(sim)).json()
    assert after == before  # nothing changed


def test_the_spec_spelling_connection_timeout_is_accepted(sim):
    path = f"/v2/applications/{sim.info()['application_id']}"
    reply = https(sim, "PUT", path, basic(sim), json={"name": "Spec", "capabilities": {"voice": {
        "webhooks": {"answer_url": {"address": "http://127.0.0.1:9/a",
                                    "connection_timeout": 500}}}}})
    assert reply.status_code == 200, reply.text
    hook = reply.json()["capabilities"]["voice"]["webhooks"]["answer_url"]
    assert hook == {"address": "http://127.0.0.1:9/a", "http_method": "GET",
                    "connect_timeout": 500, "socket_timeout": 5000}


# --- a local answer URL ---------------------------------------------------------------------
class AnswerServer:
    """An answer URL on loopback that logs each request and answers from a list of replies."""

    def __init__(self, replies=None):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.requests: list[dict] = []
        self.replies = list(replies or [])

        async def answer(request):
            body = await request.body()
            self.requests.append({"method": request.method, "path": request.url.path,
                                  "query": dict(request.query_params),
                                  "json": json.loads(body) if body else None,
                                  "authorization": request.headers.get("authorization")})
            reply = self.replies.pop(0) if len(self.replies) > 1 else (
                self.replies[0] if self.replies else [{"action": "talk", "text": "hello"}])
            if isinstance(reply, int):
                return JSONResponse({"error": "nope"}, status_code=reply)
            return JSONResponse(reply)

        self.server = serve_in_thread(Starlette(routes=[
            Route("/{path:path}", answer, methods=["GET", "POST"])]))

    def url(self, path="/answer"):
        return f"http://127.0.0.1:{self.server.port}{path}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.stop()


def timeline(sim, uuid):
    call = sim.calls[uuid]
    assert call.delivered.wait(20)
    return call.engine.timeline(), call.deliveries


# --- 4. outbound calls: the NCCO is fetched when the callee answers -------------------------
def test_outbound_answer_url_is_fetched_when_the_callee_answers(lab, sim):
    with AnswerServer() as answers:
        made = lab.voice.create_call(CreateCallRequest(
            to=[{"type": "phone", "number": NUMBERS["talker"]}],
            from_={"type": "phone", "number": "447700900000"},
            answer_url=[answers.url()], event_url=[lab.event_url()]))
        story, _ = timeline(sim, made.uuid)
    [request] = answers.requests
    assert request["method"] == "GET"
    assert {k: request["query"][k] for k in ("to", "from", "uuid", "conversation_uuid")} == {
        "to": NUMBERS["talker"], "from": "447700900000", "uuid": made.uuid,
        "conversation_uuid": made.conversation_uuid}
    assert request["query"]["endpoint_type"] == "phone"
    assert request["query"]["region_url"] == f"https://{sim.api_host}"
    assert request["authorization"].startswith("Bearer ")  # signed like every webhook
    asked = next(e for e in story["log"] if e["what"] == "answer_request")
    rang = next(e for e in story["log"] if e.get("status") == "ringing")
    assert asked["t"] == story["answered"] > rang["t"]  # at the answer, not at creation
    assert any(e.get("action") == "talk" for e in story["log"])


def test_an_unanswered_call_never_fetches_its_answer_url(lab, sim):
    with AnswerServer() as answers:
        made = lab.voice.create_call(CreateCallRequest(
            to=[{"type": "phone", "number": NUMBERS["never-answers"]}],
            from_={"type": "phone", "number": "447700900000"},
            answer_url=[answers.url()], event_url=[lab.event_url()]))
        story, _ = timeline(sim, made.uuid)
    assert answers.requests == []
    assert story["status"] in ("unanswered", "timeout")


def test_answer_method_post_sends_json(lab, sim):
    with AnswerServer() as answers:
        made = lab.voice.create_call(CreateCallRequest(
            to=[{"type": "phone", "number": NUMBERS["talker"]}],
            from_={"type": "phone", "number": "447700900000"},
            answer_url=[answers.url()], answer_method="POST"))
        timeline(sim, made.uuid)
    [request] = answers.requests
    assert request["method"] == "POST" and request["json"]["uuid"] == made.uuid


# --- 3. inbound calls -----------------------------------------------------------------------
def set_webhooks(sim, **hooks):
    reply = https(sim, "PUT", f"/v2/applications/{sim.info()['application_id']}", basic(sim),
                  json={"name": "Inbound", "capabilities": {"voice": {"webhooks": hooks}}})
    assert reply.status_code == 200, reply.text


def ring(lab, sim, caller, to=None):
    headers = {"Authorization": lab.vonage.http_client.auth.create_jwt_auth_string().decode()}
    return https(sim, "POST", "/_sim/inbound", headers,
                 json={"from": caller, "to": to or sim.info()["number"]})


def test_an_inbound_call_runs_the_applications_answer_url(lab, sim):
    caller = "447700900777"
    lab.vonage.http_client.put(lab.api_host, f"/_sim/callees/{caller}", {
        "script": [{"silence": 2}, {"press": "5"}, {"silence": 3}, {"hangup": True}]})
    with AnswerServer([[{"action": "input", "type": ["dtmf"],
                         "dtmf": {"maxDigits": 1}, "eventUrl": [lab.event_url("/input")]},
                        {"action": "talk", "text": "thanks"}]]) as answers:
        set_webhooks(sim, answer_url={"address": answers.url(), "http_method": "POST"},
                     event_url={"address": lab.event_url()})
        reply = ring(lab, sim, caller)
        assert reply.status_code == 201, reply.text
        made = reply.json()
        assert set(made) == {"uuid", "conversation_uuid"}
        story, _ = timeline(sim, made["uuid"])
    [request] = answers.requests
    assert request["method"] == "POST"
    assert {k: request["json"][k] for k in ("to", "from", "uuid", "conversation_uuid")} == {
        "to": sim.info()["number"], "from": caller, "uuid": made["uuid"],
        "conversation_uuid": made["conversation_uuid"]}
    done = lab.events.wait_for_status(made["uuid"], "completed")
    assert done["direction"] == "inbound" and done["from"] == caller
    statuses = [e["status"] for e in lab.events.for_call(uuid=made["uuid"]) if "status" in e]
    assert statuses[:3] == ["started", "ringing", "answered"]
    pressed = lab.events.wait_for(lambda e: e.get("uuid") == made["uuid"] and "dtmf" in e)
    assert pressed["dtmf"]["digits"] == "5"
    press = next(e for e in story["log"] if e["what"] == "press")
    assert press["t"] - story["answered"] == pytest.approx(2.0)  # script times from the answer
    shown = lab.vonage.http_client.get(lab.api_host, f"/v1/calls/{made['uuid']}")
    assert shown["direction"] == "inbound"


@pytest.mark.parametrize("body, field", [
    ({"to": "NUMBER"}, "from"),
    ({"from": "12", "to": "NUMBER"}, "from"),
    ({"from": "447700900777", "to": "447700900001"}, "to"),
    ({"from": "447700900777", "to": "NUMBER", "extra": 1}, "extra"),
    ([], "body"),
])
def test_bad_inbound_requests_get_400_naming_the_field(lab, sim, body, field):
    if isinstance(body, dict):
        body = {k: sim.info()["number"] if v == "NUMBER" else v for k, v in body.items()}
    headers = {"Authorization": lab.vonage.http_client.auth.create_jwt_auth_string().decode()}
    reply = https(sim, "POST", "/_sim/inbound", headers, json=body)
    assert reply.status_code == 400
    assert field in [p["name"] for p in reply.json()["invalid_parameters"]]


def test_an_inbound_call_needs_an_answer_url(lab, sim):
    set_webhooks(sim)
    reply = ring(lab, sim, "447700900777")
    assert reply.status_code == 400
    assert "capabilities.voice.webhooks.answer_url" in [
        p["name"] for p in reply.json()["invalid_parameters"]]


def test_inbound_needs_a_jwt(sim):
    assert https(sim, "POST", "/_sim/inbound", json={}).status_code == 401


def test_sim_info_names_the_number(lab, sim):
    assert lab.vonage.http_client.get(lab.api_host, "/_sim/info")["number"] == lab.number


# --- 6. answer URL failures -----------------------------------------------------------------
def test_a_failing_answer_url_falls_back_then_the_ncco_runs(lab, sim, monkeypatch):
    monkeypatch.setattr(sim, "answer_retry_delay", 0.01)
    with AnswerServer([500]) as bad, AnswerServer() as good:
        set_webhooks(sim, answer_url={"address": bad.url()},
                     fallback_answer_url={"address": good.url("/fallback")},
                     event_url={"address": lab.event_url()})
        made = ring(lab, sim, NUMBERS["talker"]).json()
        story, deliveries = timeline(sim, made["uuid"])
    assert len(bad.requests) == 1  # a 500 is not tried again (only 429/503/504 and time-outs)
    [fallback] = good.requests
    assert fallback["query"]["reason"] == "the answer URL answered HTTP 500"
    assert json.loads(fallback["query"]["original_request"]) == {"url": bad.url(),
                                                                 "type": "answer"}
    assert any(e.get("action") == "talk" for e in story["log"])
    assert [d["event"] for d in deliveries if d["event"].endswith("answer")] == [
        "answer", "fallback_answer"]


def test_an_answer_url_that_keeps_failing_ends_the_call_with_an_error_event(lab, sim,
                                                                           monkeypatch):
    monkeypatch.setattr(sim, "answer_retry_delay", 0.01)
    with AnswerServer([503]) as bad:
        set_webhooks(sim, answer_url={"address": bad.url()},
                     event_url={"address": lab.event_url()})
        made = ring(lab, sim, NUMBERS["talker"]).json()
        story, _ = timeline(sim, made["uuid"])
    assert len(bad.requests) == assumptions.ANSWER_ATTEMPTS  # 503: tried again
    error = lab.events.wait_for(lambda e: e.get("uuid") == made["uuid"] and "reason" in e)
    assert "503" in error["reason"]
    assert story["status"] == assumptions.ANSWER_FAILED_STATUS


def test_a_bad_ncco_from_the_answer_url_is_an_error_event(lab, sim):
    with AnswerServer([[{"action": "dance"}]]) as bad:
        set_webhooks(sim, answer_url={"address": bad.url()},
                     event_url={"address": lab.event_url()})
        made = ring(lab, sim, NUMBERS["talker"]).json()
        timeline(sim, made["uuid"])
    assert len(bad.requests) == 1
    error = lab.events.wait_for(lambda e: e.get("uuid") == made["uuid"] and "reason" in e)
    assert error["reason"].startswith("Syntax error in NCCO")


# --- 5. lab.answer: the answer webhook, written in a cell -----------------------------------
def test_lab_answer_serves_a_function_and_points_the_application_at_it(lab, sim):
    set_webhooks(sim)  # a clean application: no answer, fallback or event URL
    seen = []

    def contact_centre(request):
        seen.append(request)
        return [Talk(text=f"Hello {request['from']}, this call is recorded."),
                {"action": "record", "timeOut": 3}]

    url = lab.answer(contact_centre)
    assert url == lab.event_url("/answer")
    hooks = lab.vonage.application.get_application(
        sim.info()["application_id"]).capabilities.voice.webhooks
    assert hooks.answer_url.address == url and hooks.event_url.address == lab.event_url()
    made = lab.ring("447700900001")
    record = lab.events.wait_for_record(conversation_uuid=made["conversation_uuid"])
    assert record["recording_url"]
    [request] = seen
    assert request["uuid"] == made["uuid"] and request["to"] == lab.number
    kept = lab.receiver.answers.requests[-1]
    assert kept["ncco"][0] == {"action": "talk",
                               "text": "Hello 447700900001, this call is recorded."}
    assert lab.events.rejections() == [] or all(
        r.get("path") != "/answer" for r in lab.events.rejections())  # signed and verified
    assert not [e for e in lab.events.all() if e.get("_received", {}).get("path") == "/answer"]


def test_lab_answer_with_a_fixed_ncco_and_post(lab, sim):
    lab.answer([{"action": "talk", "text": "Closed for the holidays."}], method="POST")
    made = lab.ring("447700900001")
    done = lab.events.wait_for_status(made["uuid"], "completed")
    assert done["direction"] == "inbound"
    assert lab.receiver.answers.requests[-1]["request"]["uuid"] == made["uuid"]


def test_a_failing_answer_function_is_an_error_event_naming_the_reason(lab, sim):
    def broken(request):
        raise KeyError("agent")

    lab.answer(broken)
    made = lab.ring("447700900001")
    error = lab.events.wait_for(lambda e: e.get("uuid") == made["uuid"] and "reason" in e)
    assert "500" in error["reason"]
    assert "KeyError" in lab.receiver.answers.requests[-1]["error"]


def test_lab_answer_refuses_what_is_not_an_ncco(lab):
    with pytest.raises(TypeError, match="NCCO"):
        lab.answer("talk to me")
    with pytest.raises(TypeError, match="action 0"):
        lab.answer([42])
