"""Issue 9: the application's number and key pair, the Applications API, inbound calls, and
answer URLs fetched when the call is answered."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from vonage_application import (
    ApplicationConfig,
    Capabilities,
    Voice,
    VoiceUrl,
    VoiceWebhooks,
)
from vonage_http_client.errors import AuthenticationError

from helpers.client import _sdk_client
from helpers.simulator.keys import ensure_credentials

ROOT = Path(__file__).resolve().parents[1]


# --- 1. the ready line ----------------------------------------------------------------------
def test_ready_line_names_the_number_and_the_key_pair(tmp_path):
    env = {**os.environ, "RECORDING_LAB_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers.simulator", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)
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
    kept = json.loads((sim.credentials.state_dir / "application.json").read_text())
    assert kept["capabilities"]["voice"]["webhooks"]["answer_url"]["socket_timeout"] == 2000
    assert stat.S_IMODE((sim.credentials.state_dir / "application.json").stat().st_mode) == 0o600


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
