"""Issue 11, "no one in": no stall on a slow URL, bounded input and output, no server paths.

Each test builds a simulator (and receiver) of its own where it needs one, so floods and slow
URLs crowd nobody else.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import requests

from helpers.callees import NUMBERS
from helpers.serving import serve_in_thread
from helpers.simulator import outbound
from helpers.simulator.server import Simulator


def bearer(lab) -> dict:
    from vonage_jwt import JwtClient

    creds = lab.simulator.credentials
    jwt = JwtClient(creds.application_id, creds.private_key.read_text())
    token = jwt.generate_application_jwt()
    return {"Authorization": f"Bearer {token.decode() if isinstance(token, bytes) else token}"}


def api(lab, method, path, **kwargs):
    headers = {**bearer(lab), **kwargs.pop("headers", {})}
    return requests.request(method, f"https://{lab.api_host}{path}", headers=headers,
                            timeout=kwargs.pop("timeout", 20),
                            verify=lab.simulator.info()["ca_cert"], **kwargs)


# --- no stall -------------------------------------------------------------------------------
def test_a_hanging_answer_url_stalls_no_other_client(own_lab):
    """The answer URL is fetched when the callee answers (issue 9), by the call's own driver
    thread: while it hangs, the API answers everyone else at once, and the NCCO runs when it
    finally comes."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def slow(request):
        await asyncio.sleep(3.0)
        return JSONResponse([{"action": "talk", "text": "late but fine"}])

    server = serve_in_thread(Starlette(routes=[Route("/answer", slow)]))
    try:
        api(own_lab, "GET", "/_sim/info")  # a warm connection pool is not the point
        made = api(own_lab, "POST", "/v1/calls", json={
            "to": [{"type": "phone", "number": NUMBERS["talker"]}],
            "from": {"type": "phone", "number": "447700900000"},
            "answer_url": [f"http://127.0.0.1:{server.port}/answer"]})
        assert made.status_code == 201
        call = own_lab.simulator.calls[made.json()["uuid"]]
        deadline = time.monotonic() + 5
        while not call.engine.awaiting_ncco and time.monotonic() < deadline:
            time.sleep(0.05)
        assert call.engine.awaiting_ncco  # the driver is now waiting for the answer URL
        took, headers = [], bearer(own_lab)  # signing a JWT takes ~0.15 s: not timed
        with requests.Session() as session:
            for _ in range(3):
                started = time.perf_counter()
                answer = session.get(f"https://{own_lab.api_host}/_sim/info",
                                     headers=headers, timeout=10,
                                     verify=own_lab.simulator.info()["ca_cert"])
                took.append(time.perf_counter() - started)
                assert answer.status_code == 200
        assert call.engine.awaiting_ncco  # still waiting for the answer URL
        assert call.delivered.wait(15)
    finally:
        server.stop()
    assert min(took) < 0.1 and max(took) < 1.0, took
    assert any(e.get("action") == "talk" for e in call.engine.log)


@pytest.mark.parametrize("where", ["answer_url", "transfer"])
def test_an_answer_or_transfer_url_off_this_machine_is_refused(own_lab, monkeypatch, where):
    monkeypatch.delenv(outbound.ALLOW_HOSTS_SETTING, raising=False)
    url = "https://ncco.example.com/answer"
    if where == "answer_url":
        answer = api(own_lab, "POST", "/v1/calls", json={
            "to": [{"type": "phone", "number": NUMBERS["talker"]}],
            "from": {"type": "phone", "number": "447700900000"}, "answer_url": [url]})
    else:
        made = api(own_lab, "POST", "/v1/calls", json={
            "to": [{"type": "phone", "number": NUMBERS["talker"]}],
            "from": {"type": "phone", "number": "447700900000"},
            "ncco": [{"action": "talk", "text": "hold on " * 20}]}).json()
        answer = api(own_lab, "PUT", f"/v1/calls/{made['uuid']}", json={
            "action": "transfer", "destination": {"type": "ncco", "url": [url]}})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert "contacts this computer only" in body["detail"]
    assert outbound.ALLOW_HOSTS_SETTING in body["detail"]


# --- files ----------------------------------------------------------------------------------
def test_a_recording_deleted_on_disk_is_a_404_without_the_server_path(own_lab):
    from helpers import calls

    call = calls.place_call(own_lab, [{"action": "record", "timeOut": 3}], NUMBERS["talker"],
                            quiet=True)
    event = calls.wait_for_recording(own_lab, call)
    file_id = event["recording_url"].rsplit("/", 1)[1]
    stored = own_lab.simulator.files[file_id]
    stored.path.unlink()
    answer = api(own_lab, "GET", f"/v1/files/{file_id}")
    assert answer.status_code == 404, answer.text
    assert "no longer on the simulator's disk" in answer.json()["detail"]
    assert str(stored.path.parent) not in answer.text and "/" not in answer.json()["detail"]


def test_half_written_files_are_removed_at_start(tmp_path):
    from helpers.simulator.store import StoredFile

    recordings = tmp_path / "sim" / "recordings"
    sim = Simulator(state_dir=tmp_path / "sim")
    left = recordings / ".abc.mp3.x1y2.part"
    left.write_bytes(b"half")
    kept = recordings / "abc.mp3"
    kept.write_bytes(b"whole")
    sim.files["abc"] = StoredFile(kept, 5, "audio/mpeg", sim.now(), "call")  # indexed: kept
    Simulator(state_dir=tmp_path / "sim")
    assert not left.exists() and kept.exists()


# --- bounded input and output: the simulator -----------------------------------------------
def test_an_error_answer_stays_small_whatever_came_in(own_lab):
    huge = {"to": [{"type": "phone", "number": NUMBERS["talker"]}],
            "from": {"type": "phone", "number": "447700900000"},
            "ncco": [{"action": "talk", "text": "x" * 200_000}],
            **{f"unknown_{n}": "y" * 1000 for n in range(200)}}
    started = time.perf_counter()
    answer = api(own_lab, "POST", "/v1/calls", json=huge)
    assert time.perf_counter() - started < 5
    assert answer.status_code == 400
    assert len(answer.content) < 4096, len(answer.content)
    body = answer.json()
    assert body["invalid_parameters"] and "more invalid parameters" in body["detail"]
    assert all(len(json.dumps(p.get("value"))) < 300 for p in body["invalid_parameters"])


def test_a_body_over_the_cap_is_413_and_deep_json_is_400(own_lab):
    # Declared too big: answered at once, the body unread (a raw request, so the client is
    # not still sending a large body when the server answers and closes).
    import socket
    import ssl

    from helpers.serving import MAX_BODY_BYTES

    context = ssl.create_default_context(cafile=own_lab.simulator.info()["ca_cert"])
    host, port = own_lab.api_host.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as plain, \
            context.wrap_socket(plain, server_hostname=host) as sock:
        sock.sendall(f"POST /v1/calls HTTP/1.1\r\nHost: {own_lab.api_host}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: "
                     f"{MAX_BODY_BYTES + 1}\r\n\r\n[[[".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"Payload Too Large"' in reply
    deep = api(own_lab, "POST", "/v1/calls", data=b"[" * 100_000 + b"]" * 100_000,
               headers={"Content-Type": "application/json"})
    assert deep.status_code == 400 and "deeper" in deep.json()["detail"]
    big_header = api(own_lab, "GET", "/_sim/info", headers={"X-Big": "h" * 20_000})
    assert big_header.status_code == 431 and "headers" in big_header.json()["detail"]


# --- bounded input and output: the receiver ------------------------------------------------
SECRET = "a-signature-secret-of-forty-characters-xx"


def signed_post(rx, body: bytes):
    from helpers import signed_webhooks

    token = signed_webhooks.authorization(body, SECRET, api_key="k", application_id="a")
    return requests.post(rx.event_url(), data=body, timeout=10, headers={
        "Authorization": token, "Content-Type": "application/json"})


@pytest.fixture
def signed_rx(tmp_path):
    from helpers.receiver import Receiver

    with Receiver(tmp_path / "events.jsonl", signature_secret=SECRET) as rx:
        yield rx


@pytest.mark.parametrize("body, words", [
    (b'{"status": "answered", "duration": NaN}', "NaN"),
    (b'{"size": 1e999}', "too large"),
    (b"[" * 100_000 + b"]" * 100_000, "deeper"),
])
def test_signed_but_not_strict_json_is_400_and_not_stored(signed_rx, body, words):
    answer = signed_post(signed_rx, body)
    assert answer.status_code == 400 and words in answer.json()["detail"]
    assert signed_rx.events.all() == []
    assert "NaN" not in signed_rx.events.path.read_text() if signed_rx.events.path.exists() \
        else True


def test_a_forged_flood_cannot_grow_the_rejected_log(signed_rx):
    from helpers import receiver as receiver_module

    junk = b'{"status": "' + b"z" * 200_000 + b'"}'
    with requests.Session() as session:
        codes = [session.post(signed_rx.event_url(), data=junk, timeout=10,
                              headers={"Authorization": "Bearer forged"}).status_code
                 for _ in range(60)]
    assert set(codes) == {401}
    log = signed_rx.events.rejected_path
    lines = log.read_text().splitlines()
    assert len(lines) <= 2 * receiver_module.REJECTED_PER_SECOND  # at most 2 windows
    assert log.stat().st_size < len(lines) * (receiver_module.MAX_KEPT_BODY + 1000)
    kept = [json.loads(line) for line in lines]  # strict JSON lines
    unlogged = sum(k.get("unlogged_before", 0) for k in kept)
    unlogged += signed_rx.events.unlogged_rejections
    assert len(kept) + unlogged == 60 and unlogged > 0  # each refusal logged or counted


def test_the_rejected_log_stops_at_its_size_cap(tmp_path, monkeypatch):
    from helpers import receiver as receiver_module
    from helpers.receiver import EventLog

    monkeypatch.setattr(receiver_module, "MAX_REJECTED_LOG", 5000)
    monkeypatch.setattr(receiver_module, "REJECTED_PER_SECOND", 10_000)
    log = EventLog(tmp_path / "events.jsonl")
    logged = sum(log.reject({"body": "b" * 1000}, "forged") for _ in range(50))
    assert logged < 10 and log.unlogged_rejections == 50 - logged
    assert log.rejected_path.stat().st_size < 5000 + 1200
