"""Signed webhooks: the simulator signs like Vonage; the receiver refuses forged or tampered."""

from __future__ import annotations

import hashlib
import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from vonage_jwt.verify_jwt import verify_signature
from vonage_voice import Voice

from helpers import calls, exercises, signed_webhooks
from helpers.receiver import EventLog, Receiver
from helpers.simulator.keys import ensure_credentials

SECRET = "a-signature-secret-of-forty-characters-xx"
OTHER = "another-secret-of-forty-characters-xxxxxx"
CLAIMS = {"api_key": "abcd1234", "application_id": "app-1"}
EVENT = {"uuid": "call-1", "conversation_uuid": "CON-1", "status": "answered"}


def post(receiver: Receiver, body: bytes, authorization: str | None,
         path: str = "/events") -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return requests.post(receiver.event_url(path), data=body, headers=headers, timeout=5)


@pytest.fixture
def rx(tmp_path):
    receiver = Receiver(tmp_path / "events.jsonl", signature_secret=SECRET).start()
    yield receiver
    receiver.stop()


# --- signing and checking, no network -------------------------------------------------------
def test_token_carries_vonage_claims_and_the_body_hash():
    body = signed_webhooks.canonical_json(EVENT)
    token = signed_webhooks.sign(body, SECRET, now=1_700_000_000, **CLAIMS)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"],
                        options={"verify_iat": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert set(claims) == {"iat", "jti", "iss", "api_key", "application_id", "payload_hash"}
    assert claims["iss"] == "Vonage" and claims["iat"] == 1_700_000_000
    assert claims["api_key"] == "abcd1234" and claims["application_id"] == "app-1"
    assert claims["payload_hash"] == hashlib.sha256(body).hexdigest()
    assert b" " not in body  # Vonage hashes JSON without whitespace


def test_the_sdk_verifier_agrees():
    token = signed_webhooks.sign(b"{}", SECRET, **CLAIMS)
    assert verify_signature(token, SECRET) is True
    assert Voice.verify_signature(None, token, SECRET) is True
    assert verify_signature(token, OTHER) is False


@pytest.mark.parametrize("header, body, reason", [
    (None, b"{}", "not signed"),
    ("Basic dXNlcjpwYXNz", b"{}", "not 'Bearer <JWT>'"),
    ("Bearer not-a-jwt", b"{}", "does not hold a JWT"),
    ("Bearer " + signed_webhooks.sign(b"{}", OTHER, **CLAIMS), b"{}", "forged"),
    ("Bearer " + signed_webhooks.sign(b"{}", SECRET, **CLAIMS), b'{"a":1}', "tampered"),
    ("Bearer " + jwt.encode({"iat": 1, "payload_hash": "x"}, None, algorithm="none"), b"{}",
     "not HS256"),
    ("Bearer " + jwt.encode({"iat": 1}, SECRET, algorithm="HS256"), b"{}", "no payload_hash"),
    ("Bearer " + jwt.encode({"payload_hash": "x"}, SECRET, algorithm="HS256"), b"{}",
     "claims are not acceptable"),
])
def test_each_bad_signature_gets_its_own_reason(header, body, reason):
    check = signed_webhooks.verify(header, body, SECRET)
    assert not check.ok and reason in check.reason


def test_a_good_signature_passes_with_or_without_bearer_and_small_clock_skew():
    body = signed_webhooks.canonical_json(EVENT)
    token = signed_webhooks.sign(body, SECRET, **CLAIMS)
    assert signed_webhooks.verify("Bearer " + token, body, SECRET).ok
    assert signed_webhooks.verify(token, body, SECRET).ok
    import time

    ahead = signed_webhooks.sign(body, SECRET, now=time.time() + 20, **CLAIMS)
    assert signed_webhooks.verify("Bearer " + ahead, body, SECRET).ok  # SDK alone would fail
    far = signed_webhooks.sign(body, SECRET, now=time.time() + 3600, **CLAIMS)
    assert "clock" in signed_webhooks.verify("Bearer " + far, body, SECRET).reason


# --- the receiver ---------------------------------------------------------------------------
def test_receiver_keeps_good_events_and_refuses_forged_and_tampered(rx):
    body = signed_webhooks.canonical_json(EVENT)
    good = signed_webhooks.authorization(body, SECRET, **CLAIMS)
    assert post(rx, body, good).status_code == 200
    forged = post(rx, body, signed_webhooks.authorization(body, OTHER, **CLAIMS))
    tampered_body = signed_webhooks.canonical_json({**EVENT, "status": "completed"})
    tampered = post(rx, tampered_body, good)
    unsigned = post(rx, body, None)
    assert (forged.status_code, tampered.status_code, unsigned.status_code) == (401, 401, 401)
    assert "forged" in forged.json()["reason"] and "tampered" in tampered.json()["reason"]
    assert "events.rejected.jsonl" in tampered.json()["detail"]
    assert post(rx, body, good).status_code == 200  # good events still get in afterwards
    stored = rx.events.all()
    assert [e["status"] for e in stored] == ["answered", "answered"]
    assert all(e["_received"]["signature"] == "verified" for e in stored)
    assert rx.counts() == {"accepted": 2, "rejected": 3}
    refused = rx.events.rejections()
    assert [r["reason"].split(":")[0] for r in refused] == [
        "the signature does not match the signature secret",
        "the body does not match the payload_hash in the signature",
        "the event is not signed"]
    assert json.loads(refused[1]["body"])["status"] == "completed"
    assert rx.events.rejected_path.name == "events.rejected.jsonl"
    assert stat.S_IMODE(rx.events.rejected_path.stat().st_mode) == 0o600


def test_counts_survive_a_restart(tmp_path):
    body = signed_webhooks.canonical_json(EVENT)
    with Receiver(tmp_path / "log.jsonl", signature_secret=SECRET) as first:
        post(first, body, signed_webhooks.authorization(body, SECRET, **CLAIMS))
        post(first, body, signed_webhooks.authorization(body, OTHER, **CLAIMS))
    assert EventLog(tmp_path / "log.jsonl").counts() == {"accepted": 1, "rejected": 1}


def test_signed_get_events_are_checked_on_their_query(rx):
    params = {"status": "answered", "uuid": "call-2"}
    good = signed_webhooks.authorization(signed_webhooks.query_body(params), SECRET, **CLAIMS)
    ok = requests.get(rx.event_url("/answer"), params=params,
                      headers={"Authorization": good}, timeout=5)
    bad = requests.get(rx.event_url("/answer"), params={**params, "uuid": "call-3"},
                       headers={"Authorization": good}, timeout=5)
    assert (ok.status_code, bad.status_code) == (200, 401)
    assert rx.events.all()[-1]["uuid"] == "call-2"


def test_receiver_without_a_secret_accepts_everything(tmp_path):
    with Receiver(tmp_path / "open.jsonl") as open_rx:
        assert not open_rx.verifies
        assert post(open_rx, b'{"status": "ringing"}', None).status_code == 200
        assert "signature" not in open_rx.events.all()[0]["_received"]


# --- the simulator signs, the lab verifies ---------------------------------------------------
class Capture(BaseHTTPRequestHandler):
    """Keeps the raw request (headers and body) of every webhook."""

    seen: list[tuple[str, dict, bytes]] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Capture.seen.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_simulator_signs_every_webhook_with_its_secret(lab, sim):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Capture.seen = []
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        call = calls.place_call(lab, [{"action": "record", "timeOut": 3}], event_url=url,
                                quiet=True)
        sim.wait_idle(30)
    finally:
        server.shutdown()
    assert {"started", "answered", "completed"} <= {json.loads(b)["status"]
                                                    for _, _, b in Capture.seen if
                                                    b"status" in b}
    secret = sim.credentials.signature_secret
    for _, headers, body in Capture.seen:
        token = headers["Authorization"].removeprefix("Bearer ")
        assert Voice.verify_signature(None, token, secret)
        claims = jwt.decode(token, secret, algorithms=["HS256"])
        assert claims["payload_hash"] == hashlib.sha256(body).hexdigest()
        assert claims["application_id"] == sim.credentials.application_id
        assert claims["api_key"] == sim.credentials.api_key and claims["iss"] == "Vonage"
    assert len({jwt.decode(h["Authorization"][7:], options={"verify_signature": False})["jti"]
                for _, h, _ in Capture.seen}) == len(Capture.seen)
    assert any(json.loads(b).get("conversation_uuid") == call.conversation_uuid
               for _, _, b in Capture.seen)


def test_lab_receiver_verifies_with_the_simulators_secret(lab, sim):
    assert lab.receiver.verifies
    assert lab.receiver.signature_secret == sim.credentials.signature_secret
    result = calls.run_call(lab, [{"action": "record", "timeOut": 3}], "447700900001",
                            folder=lab.events.path.parent / "signed-downloads")
    assert result.events and all(e["_received"]["signature"] == "verified"
                                 for e in result.events)


def test_lesson_helpers_show_each_outcome(lab):
    before = lab.receiver.counts()
    replies = {how: signed_webhooks.send_test_event(lab, how) for how in signed_webhooks.HOW}
    assert replies["signed"].accepted and repr(replies["signed"]) == "signed    → 200 accepted"
    for how in ("forged", "tampered", "unsigned"):
        assert replies[how].status == 401 and replies[how].reason
    assert "payload_hash" in replies["tampered"].reason
    after = lab.receiver.counts()
    assert after["accepted"] - before["accepted"] == 1
    assert after["rejected"] - before["rejected"] == 3
    assert exercises.check_tampered(lab, EVENT, {**EVENT, "status": "busy"}).passed
    same = exercises.check_tampered(lab, EVENT, dict(EVENT))
    assert not same.passed and "same JSON" in same.why


# --- the secret itself ----------------------------------------------------------------------
def test_signature_secret_is_private_stable_and_never_shown(tmp_path):
    first = ensure_credentials(tmp_path / "state")
    path = first.signature_secret_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.signature_secret) >= 32
    assert ensure_credentials(tmp_path / "state").signature_secret == first.signature_secret
    assert first.signature_secret not in repr(first)
    path.write_text("short")
    renewed = ensure_credentials(tmp_path / "state")
    assert len(renewed.signature_secret) >= 32 and renewed.signature_secret != "short"
    from helpers.simulator.server import Simulator

    info = Simulator(state_dir=tmp_path / "state").info()
    assert info["signature_secret_file"] == str(path)
    assert renewed.signature_secret not in json.dumps(info)
