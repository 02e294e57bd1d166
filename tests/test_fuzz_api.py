"""Fuzzing every simulator endpoint: never a 500, never a hang, every refusal names the problem.

Bodies come from the record rules' parameter tables (helpers/rules.py), from the request shapes
of Vonage's published OpenAPI document (../shared/vonage-spec, when present) and from mutations
of both: dropped and unknown fields, wrong types, huge numbers, unicode, NaN, deep nesting,
bytes that are not JSON. A dedicated simulator takes the beating (the clock and pace endpoints
change its state for good); every URL the strategies put in a body points at a loopback
receiver, and a guard refuses any request that would leave the machine. Request counts per
endpoint go to artifacts/fuzz/requests.json.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlparse

import jwt
import pytest
import requests
from fuzz_strategies import (
    CALLEE_NUMBERS,
    NASTY_TEXT,
    RAW_BODIES,
    SPEC,
    actions,
    call_bodies,
    json_values,
    load_spec,
    mutated,
    scalars,
    spec_body,
)
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from helpers.callees import NUMBERS
from helpers.receiver import Receiver
from helpers.simulator.server import Simulator

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=list(HealthCheck))


# --- the simulator under fire ---------------------------------------------------------------
class Fuzzer:
    """Sends requests to one simulator and checks every answer; counts per endpoint."""

    def __init__(self, sim: Simulator, receiver: Receiver):
        self.sim, self.receiver = sim, receiver
        info = sim.info()
        now = int(time.time())
        token = jwt.encode({"application_id": info["application_id"], "iat": now,
                            "exp": now + 3600, "jti": "fuzz"},
                           Path(info["private_key"]).read_text(), algorithm="RS256")
        self.http = requests.Session()
        self.http.trust_env, self.http.verify = False, info["ca_cert"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        pair = f"{info['api_key']}:{info['api_secret']}".encode()
        self.basic = "Basic " + base64.b64encode(pair).decode()  # the Applications API's auth
        self.application_id = info["application_id"]
        self.base = f"https://{info['api_host']}"
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.created: list[str] = []
        self._live: str | None = None

    def url(self, path: str = "/events") -> list[str]:
        return [self.receiver.url + path]

    def send(self, method: str, route: str, path: str | None = None, *, body=None,
             raw: bytes | None = None, **kwargs) -> requests.Response:
        """One request; fails the test on a 5xx, a hang or a refusal that names nothing."""
        self.counts[f"{method} {route}"] += 1
        data = raw if raw is not None else None if body is None else json.dumps(body)
        shown = (data if isinstance(data, str) else repr(data))[:300]
        if route.startswith("/v2/applications"):
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": self.basic}
        try:
            reply = self.http.request(method, self.base + (path or route), data=data,
                                      timeout=(5, 20), **kwargs)
        except requests.Timeout:
            pytest.fail(f"{method} {path or route} hung (no answer in 20 s); body {shown}")
        self.statuses[f"{reply.status_code // 100}xx"] += 1
        check_reply(reply, f"{method} {path or route} with body {shown}")
        return reply

    def live_call(self) -> str:
        """An answered call that stays up (silent callee, slow pace): modify requests apply."""
        call = self.sim.calls.get(self._live or "")
        if call is None or call.engine.ended is not None:
            with self.sim.paced(5.0):
                reply = self.send("POST", "/v1/calls", body={
                    "to": [{"type": "phone", "number": NUMBERS["silent"]}],
                    "random_from_number": True, "length_timer": 600,
                    "ncco": [{"action": "talk", "text": "hold on", "loop": 0}],
                    "event_url": self.url()})
            self._live = reply.json()["uuid"]
        return self._live


def check_reply(reply: requests.Response, what: str) -> None:
    """No 5xx; every 4xx a JSON body with `detail`, and field refusals list the fields."""
    status = reply.status_code
    assert status < 500, f"{what} -> {status}: {reply.text[:600]}"
    assert status != 401, f"{what} -> 401 with a valid token: {reply.text[:300]}"
    if status == 206:
        assert len(reply.content) == int(reply.headers["content-length"]), what
    if status < 400:
        return
    # RFC 7807 problems, as Vonage's api-errors page shows them (fact sheet §4.6)
    assert reply.headers.get("content-type", "").startswith("application/problem+json"), \
        (what, status)
    body = reply.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], \
        f"{what} -> {status} without a detail: {body}"
    if status == 400 and not body["detail"].startswith("Cannot "):  # not a call-state refusal
        problems = body.get("invalid_parameters")
        assert problems and all(isinstance(p.get("name"), str) and p.get("reason")
                                for p in problems), f"{what} -> 400 naming no field: {body}"


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="module")
def fz(tmp_path_factory):
    """A fuzzer on its own simulator and receiver; nothing it triggers leaves loopback."""
    blocked: list[str] = []
    original = HTTPAdapter.send

    def loopback_only(adapter, request, **kwargs):
        if not _is_loopback(urlparse(request.url).hostname):
            blocked.append(request.url)
            raise requests.ConnectionError(f"the fuzz test blocks {request.url}")
        return original(adapter, request, **kwargs)

    crashes: list[str] = []  # exceptions that escaped a simulator thread (a call's driver)

    def record_crash(args) -> None:
        crashes.append(f"{args.thread.name if args.thread else '?'}: {args.exc_type.__name__}: "
                       f"{args.exc_value}")

    home = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HTTPAdapter, "send", loopback_only)
        patch.setattr(threading, "excepthook", record_crash)
        sim, receiver = Simulator(state_dir=home / "sim"), Receiver(home / "events.jsonl")
        sim.answer_retry_delay = 0.01  # answer URLs the fuzzer sets may be closed ports
        sim.start()
        receiver.start()
        fuzzer = Fuzzer(sim, receiver)
        fuzzer.blocked, fuzzer.crashes = blocked, crashes
        try:
            yield fuzzer
        finally:
            for uuid, call in list(sim.calls.items()):
                if call.engine.ended is None:
                    fuzzer.http.put(f"{fuzzer.base}/v1/calls/{uuid}", json={"action": "hangup"},
                                    timeout=10)
            sim.wait_idle(60)
            fuzzer.http.close()
            receiver.stop()
            sim.stop()


# --- the endpoints ----------------------------------------------------------------------------
CALL_ROUTES = [("GET", "/v1/calls/{uuid}"), ("PUT", "/v1/calls/{uuid}"),
               ("PUT", "/v1/calls/{uuid}/talk"), ("DELETE", "/v1/calls/{uuid}/talk"),
               ("PUT", "/v1/calls/{uuid}/stream"), ("DELETE", "/v1/calls/{uuid}/stream"),
               ("PUT", "/v1/calls/{uuid}/dtmf"), ("PUT", "/_sim/calls/{uuid}/pace"),
               ("GET", "/_sim/calls/{uuid}/timeline")]
JSON_ROUTES = [("POST", "/v1/calls"), ("PUT", "/v1/calls/{uuid}"),
               ("PUT", "/v1/calls/{uuid}/talk"), ("PUT", "/v1/calls/{uuid}/stream"),
               ("PUT", "/v1/calls/{uuid}/dtmf"), ("PUT", "/_sim/callees/{number}"),
               ("POST", "/_sim/clock"), ("PUT", "/_sim/pace"), ("PUT", "/_sim/calls/{uuid}/pace")]
LIST_FILTERS = ["status", "conversation_uuid", "page_size", "record_index", "order",
                "date_start", "date_end"]
query_values = st.one_of(st.text(max_size=12), st.sampled_from(NASTY_TEXT),
                         st.integers(-10**12, 10**12).map(str),
                         st.sampled_from(["asc", "desc", "completed", "2026-01-01T00:00:00Z",
                                          "2026-01-01T00:00:00", "10", "100", "101", "0"]))


# POST /_sim/idle is a long poll: while the fuzzer's live call is up it waits its whole timeout
# (60 s when none is given, up to 300 s), longer than the fuzzer's 20 s "hang". So every body
# it gets either names a short timeout or is refused; the endpoint is fuzzed with those only.
IDLE = ("POST", "/_sim/idle")
idle_bodies = st.one_of(
    st.fixed_dictionaries({"timeout": st.one_of(
        st.floats(0, 0.2), st.integers(-10**30, -1),
        st.floats(max_value=-1e-6, allow_nan=False, allow_infinity=False),
        st.text(max_size=8), st.booleans(), st.none(), st.lists(scalars, max_size=2))},
        optional={"extra": scalars}),
    json_values.filter(lambda v: v is not None and not isinstance(v, dict)))


def target(fz: Fuzzer, choice: str) -> str:
    """A call uuid to aim at: a live call, an ended one, or a made-up one."""
    if choice == "live":
        return fz.live_call()
    if choice == "ended" and fz.created:
        return fz.created[0]
    return choice if choice not in ("live", "ended") else "63f61863-4a51-4f6b-86e1-46edebcf9356"


uuids = st.one_of(st.sampled_from(["live", "ended", "live", "ended"]),
                  st.uuids().map(str), st.sampled_from(NASTY_TEXT[:-1]), st.text(max_size=40))


def fill(route: str, value: str) -> str:
    return route.replace("{uuid}", quote(value, safe="")).replace(
        "{number}", quote(value, safe="")).replace("{file_id}", quote(value, safe="")).replace(
        "{application_id}", quote(value, safe=""))


@FUZZ
@given(st.data())
def test_create_call(fz, data):
    spec_shaped = spec_body("createCall", fz.url()[0]) if SPEC.is_file() \
        else st.nothing()
    body = data.draw(st.one_of(call_bodies(fz.url()[0]), spec_shaped))
    reply = fz.send("POST", "/v1/calls", body=body)
    if reply.status_code == 201:
        fz.created.append(reply.json()["uuid"])


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(LIST_FILTERS + ["", "pageSize", "x[]"]),
                          query_values), max_size=4))
def test_list_calls_filters(fz, pairs):
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    reply = fz.send("GET", "/v1/calls", "/v1/calls?" + query)
    if reply.status_code == 200:
        body = reply.json()
        assert len(body["_embedded"]["calls"]) <= body["page_size"] <= 100


@FUZZ
@given(st.sampled_from(CALL_ROUTES), uuids, st.one_of(st.none(), json_values))
def test_call_routes_with_any_uuid(fz, route, uuid, body):
    method, template = route
    fz.send(method, template, fill(template, target(fz, uuid)), body=body)


@FUZZ
@given(st.data())
def test_modify_call(fz, data):
    uuid = target(fz, data.draw(st.sampled_from(["live", "ended", "live"])))
    url = fz.url()[0]
    transfer = st.fixed_dictionaries({"action": st.just("transfer"), "destination": st.one_of(
        st.fixed_dictionaries({"type": st.just("ncco"),
                               "ncco": st.lists(actions(url), min_size=1, max_size=3)}),
        st.just({"type": "ncco", "url": [url + "/ncco"]}))})
    plain = st.fixed_dictionaries({"action": st.sampled_from(
        ["hangup", "mute", "unmute", "earmuff", "unearmuff", "transfer", "Hangup", ""])})
    options = [transfer, plain, mutated(transfer), json_values]
    if SPEC.is_file():
        options.append(spec_body("updateCall", url))
    fz.send("PUT", "/v1/calls/{uuid}", f"/v1/calls/{uuid}", body=data.draw(st.one_of(options)))


@FUZZ
@given(st.data())
def test_talk_stream_dtmf(fz, data):
    uuid = target(fz, data.draw(st.sampled_from(["live", "ended", "live"])))
    kind = data.draw(st.sampled_from(["talk", "stream", "dtmf"]))
    url = fz.url()[0]
    shaped = {"talk": st.fixed_dictionaries({"text": st.text(min_size=1, max_size=30)},
                                            optional={"loop": st.integers(0, 3),
                                                      "level": st.floats(-1, 1)}),
              "stream": st.fixed_dictionaries({"stream_url": st.just([url + "?duration=3"])},
                                              optional={"loop": st.integers(0, 3)}),
              "dtmf": st.fixed_dictionaries({"digits": st.text("0123456789*#pxA ",
                                                               max_size=8)})}[kind]
    options = [shaped, mutated(shaped), json_values]
    if SPEC.is_file():
        options.append(spec_body({"talk": "startTalk", "stream": "startStream",
                                               "dtmf": "startDTMF"}[kind], url))
    method = data.draw(st.sampled_from(["PUT", "PUT", "DELETE"] if kind != "dtmf" else ["PUT"]))
    fz.send(method, f"/v1/calls/{{uuid}}/{kind}", f"/v1/calls/{uuid}/{kind}",
            body=data.draw(st.one_of(options)) if method == "PUT" else None)


# Never a number a call may be placed to (fuzzed `to` values are any digit strings): a fuzzed
# script there could keep a call, and its recording, going for hours.
ODD_NUMBERS = [t for t in NASTY_TEXT[:-1] if not t.isdigit()]
script_steps = st.one_of(st.fixed_dictionaries({"speak": st.floats(0.1, 5)},
                                               optional={"text": st.text(max_size=20)}),
                         st.fixed_dictionaries({"silence": st.floats(0.1, 5)}),
                         st.fixed_dictionaries({"press": st.text("0123456789*#", min_size=1,
                                                                 max_size=4)}),
                         st.just({"hangup": True}))
scripts = st.fixed_dictionaries({}, optional={
    "answer_after": st.one_of(st.none(), st.floats(0, 120)), "busy": st.booleans(),
    "script": st.lists(script_steps, max_size=5), "name": st.text(max_size=10),
    "network": st.one_of(st.fixed_dictionaries({}, optional={
        "jitter_ms": st.floats(-10, 600), "loss": st.floats(-0.5, 1.5)}), json_values)})


@FUZZ
@given(st.sampled_from(["GET", "PUT", "PUT", "DELETE"]),
       st.one_of(st.sampled_from(CALLEE_NUMBERS), st.sampled_from(ODD_NUMBERS)),
       st.one_of(scripts, mutated(scripts), json_values))
def test_callee_scripts(fz, method, number, body):
    route = "/_sim/callees/{number}"
    fz.send(method, route, fill(route, number), body=body if method == "PUT" else None)
    fz.send("GET", "/_sim/callees")


@FUZZ
@given(st.sampled_from(["GET", "POST", "POST"]), st.one_of(
    st.fixed_dictionaries({"advance_seconds": st.one_of(
        st.integers(-10, 10 * 365 * 86400 + 10), st.floats(allow_nan=False), scalars)}),
    json_values))
def test_clock(fz, method, body):
    fz.send(method, "/_sim/clock", body=body if method == "POST" else None)


@FUZZ
@given(st.sampled_from(["global", "call"]), st.one_of(
    st.fixed_dictionaries({"pace": st.one_of(st.none(), st.floats(allow_nan=False),
                                             st.integers(), scalars)}), json_values))
def test_pace(fz, where, body):
    try:
        if where == "global":
            fz.send("PUT", "/_sim/pace", body=body)
            fz.send("GET", "/_sim/pace")
        else:  # an ended call: a live one sped up 100000 times would end at once
            uuid = target(fz, "ended")
            fz.send("PUT", "/_sim/calls/{uuid}/pace", f"/_sim/calls/{uuid}/pace", body=body)
    finally:
        fz.sim.pace = None  # later calls run as fast as possible again


def webhook(fz: Fuzzer, kind: str) -> st.SearchStrategy:
    socket_high = 10000 if kind == "event_url" else 5000
    return st.fixed_dictionaries({"address": st.one_of(
        st.sampled_from(fz.url("/answer") + fz.url("/events")), st.text(max_size=20))},
        optional={"http_method": st.sampled_from(["GET", "POST", "PUT", "get"]),
                  "connect_timeout": st.one_of(st.integers(0, 1200), scalars),
                  "connection_timeout": st.integers(200, 1100),
                  "socket_timeout": st.one_of(st.integers(500, socket_high + 500), scalars)})


def application_bodies(fz: Fuzzer) -> st.SearchStrategy:
    hooks = st.fixed_dictionaries({}, optional={
        kind: webhook(fz, kind) for kind in ("answer_url", "fallback_answer_url", "event_url")})
    return st.fixed_dictionaries({"name": st.one_of(st.text(max_size=12), scalars)}, optional={
        "capabilities": st.fixed_dictionaries({}, optional={
            "voice": st.fixed_dictionaries({}, optional={"webhooks": hooks}),
            "rtc": json_values}),
        "keys": json_values, "privacy": json_values})


@settings(FUZZ, max_examples=200)
@given(st.data())
def test_application_and_inbound_calls(fz, data):
    """The Applications API (Basic auth) with any body, then an inbound call to whatever it
    now says: never a 500, every refusal names its field."""
    path = f"/v2/applications/{fz.application_id}"
    bodies = application_bodies(fz)
    fz.send("PUT", "/v2/applications/{application_id}", path,
            body=data.draw(st.one_of(bodies, mutated(bodies), json_values)))
    fz.send("GET", "/v2/applications/{application_id}", path)
    number = fz.sim.credentials.number
    inbound = st.fixed_dictionaries({"from": st.one_of(st.sampled_from(SAFE_CALLERS),
                                                       st.text(max_size=16), scalars),
                                     "to": st.one_of(st.just(number), st.text(max_size=16))})
    fz.send("POST", "/_sim/inbound", body=data.draw(st.one_of(inbound, mutated(inbound),
                                                              json_values)))


SAFE_CALLERS = [NUMBERS[n] for n in ("talker", "keypad", "presses-hash")]


@settings(FUZZ, max_examples=150)
@given(idle_bodies)
def test_idle(fz, body):
    reply = fz.send(*IDLE, body=body)
    if reply.status_code == 200:
        assert set(reply.json()) == {"idle"}
    else:
        assert [p["name"] for p in reply.json()["invalid_parameters"]] == ["timeout"]


@FUZZ
@given(st.sampled_from(JSON_ROUTES), st.one_of(st.sampled_from(RAW_BODIES), st.binary(
    max_size=64), json_values.map(lambda v: json.dumps(v).encode())),
       st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_raw_bodies(fz, route, raw, content_type):
    method, template = route
    path = fill(template, target(fz, "ended") if "{uuid}" in template else CALLEE_NUMBERS[0])
    fz.send(method, template, path, raw=raw, headers={"Content-Type": content_type})


@settings(FUZZ, max_examples=150)
@given(st.one_of(st.sampled_from(NASTY_TEXT[:-1]), st.uuids().map(str), st.just("real")),
       st.one_of(st.none(), st.sampled_from(["bytes=0-10", "bytes=abc", "bytes=5-1", "bytes=-5",
                                             "bytes=0-0,2-3", "bytes=99999999-", "bytes=",
                                             "items=0-1", "bytes=0-" + "9" * 40])))
def test_files(fz, file_id, byte_range):
    if file_id == "real":
        file_id = next(iter(fz.sim.files), "none-yet")
    headers = {"Range": byte_range} if byte_range else {}
    fz.send("GET", "/v1/files/{file_id}", fill("/v1/files/{file_id}", file_id), headers=headers)


@settings(FUZZ, max_examples=150)
@given(st.data())
def test_every_route_and_wrong_methods(fz, data):
    """Every route the app declares, any method, any body: covers routes added later too."""
    from helpers.simulator.api import build_app

    routes = [r.path for r in build_app(fz.sim).routes] + ["/v1/nowhere", "/_sim"]
    template = data.draw(st.sampled_from(routes))
    method = data.draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    value = target(fz, data.draw(st.sampled_from(["live", "ended", "x"])))
    bodies = idle_bodies if (method, template) == IDLE else st.one_of(st.none(), json_values)
    fz.send(method, template, fill(template, value), body=data.draw(bodies))


def test_each_declared_route_once(fz):
    """Every route the app declares, with each of its methods and an empty JSON object."""
    from helpers.simulator.api import build_app

    for route in build_app(fz.sim).routes:
        for method in sorted(route.methods - {"HEAD"}):
            path = fill(route.path, target(fz, "ended") if "{uuid}" in route.path
                        else CALLEE_NUMBERS[1])
            body = {} if method in ("PUT", "POST") else None
            fz.send(method, route.path, path, body={"timeout": 0} if (method, route.path) == IDLE
                    else body)


def test_vonage_spec_is_read():
    """The OpenAPI document feeds the fuzzer: say so plainly when it is missing."""
    assert load_spec()["paths"]
    for operation in ("createCall", "updateCall", "startTalk", "startStream", "startDTMF"):
        assert find(spec_body(operation, "http://127.0.0.1:9"), lambda body: True) is not None


# --- regressions: each bug the fuzzer found, pinned -------------------------------------------
@pytest.mark.parametrize("value", ["--5", "²", "9" * 5000, "1_0", " 10"])
def test_list_filters_that_are_not_plain_numbers_are_refused(fz, value):
    """int() accepted what the digit check let through ('--5', '²', 5000 digits): a 500."""
    for name in ("page_size", "record_index"):
        reply = fz.send("GET", "/v1/calls", f"/v1/calls?{name}={quote(value)}")
        assert reply.status_code == 400
        assert [p["name"] for p in reply.json()["invalid_parameters"]] == [name]


@pytest.mark.parametrize("raw", [b'{"advance_seconds": NaN}', b'{"pace": Infinity}',
                                 b'{"advance_seconds": 1e999}', b'{"digits": "\\ud800"}',
                                 b"9" * 5000, b"[" * 100_000, b"[" * 40 + b"]" * 40])
def test_bodies_python_reads_but_json_does_not_are_refused(fz, raw):
    """NaN, 1e999, lone surrogates, 5000-digit numbers and deep nesting each made a 500."""
    for method, route in (("POST", "/_sim/clock"), ("PUT", "/_sim/pace"),
                          ("PUT", "/_sim/callees/{number}")):
        reply = fz.send(method, route, fill(route, CALLEE_NUMBERS[2]), raw=raw)
        assert reply.status_code == 400
        body = reply.json()
        assert body["detail"].startswith("The body is not valid JSON")
        assert body["invalid_parameters"][0]["name"] == "body"


def test_the_clock_stops_short_of_the_year_9999(fz):
    """Ten-year steps used to push the clock past datetime's range: every request then 500."""
    decade = 10 * 365 * 86400
    answers = [fz.send("POST", "/_sim/clock", body={"advance_seconds": decade}).status_code
               for _ in range(12)]
    assert answers[-1] == 400 and 200 not in answers[answers.index(400):]
    assert fz.send("GET", "/_sim/info").status_code == 200
    assert fz.send("POST", "/v1/calls", body={
        "to": [{"type": "phone", "number": NUMBERS["busy"]}], "random_from_number": True,
        "ncco": [{"action": "talk", "text": "hi"}]}).status_code == 201


@pytest.mark.parametrize("byte_range,status", [("bytes=abc", 400), ("bytes=5-1", 400),
                                                ("items=0-1", 400), ("bytes=99999999-", 416),
                                                ("bytes=0-9", 206)])
def test_range_requests_are_answered_in_json(fz, byte_range, status):
    """Starlette refused bad Range headers in plain text; now a JSON body names the header."""
    reply = fz.send("POST", "/v1/calls", body={
        "to": [{"type": "phone", "number": NUMBERS["talker"]}], "random_from_number": True,
        "ncco": [{"action": "record", "timeOut": 3}], "event_url": fz.url()})
    call = fz.sim.calls[reply.json()["uuid"]]
    assert call.delivered.wait(30)  # the recording is made and its event sent
    assert call.engine.recordings, call.engine.end_reason
    record = next(e["payload"] for e in call.engine.events if e["kind"] == "record")
    file_id = record["recording_url"].rsplit("/", 1)[1]  # the file's own id, not recording_uuid
    reply = fz.send("GET", "/v1/files/{file_id}", f"/v1/files/{file_id}",
                    headers={"Range": byte_range})
    assert reply.status_code == status
    if status == 206:
        assert len(reply.content) == 10


def test_keep_alive_requests_do_not_wait_for_delayed_acks(fz):
    """Without TCP_NODELAY each request on a kept-alive connection took ~40 ms, not ~1 ms."""
    fz.send("GET", "/_sim/info")  # the connection is open
    started = time.perf_counter()
    for _ in range(30):
        fz.send("GET", "/_sim/info")
    assert time.perf_counter() - started < 0.6  # 30 x 40 ms = 1.2 s with the bug


def test_zz_every_endpoint_was_fuzzed_and_the_simulator_is_well(fz):
    """Runs last: counts per endpoint, no recording failed, the simulator still answers."""
    from helpers.simulator.api import build_app

    declared = {f"{m} {r.path}" for r in build_app(fz.sim).routes for m in r.methods
                if m != "HEAD"}
    missing = sorted(d for d in declared if fz.counts[d] == 0)
    assert not missing, f"endpoints the fuzzer never reached: {missing}"
    assert fz.send("GET", "/_sim/info").status_code == 200
    for uuid, call in list(fz.sim.calls.items()):
        if call.engine.ended is None:
            fz.send("PUT", "/v1/calls/{uuid}", f"/v1/calls/{uuid}", body={"action": "hangup"})
    assert fz.sim.wait_idle(60)
    broken = [d for call in fz.sim.calls.values() for d in call.deliveries
              if "could not make the recording" in str(d.get("error", ""))]
    assert not broken, broken[:3]
    assert not fz.crashes, fz.crashes[:3]
    report = {"requests_per_endpoint": dict(sorted(fz.counts.items())),
              "total": sum(fz.counts.values()), "answers": dict(fz.statuses),
              "calls_created": len(fz.created), "blocked_non_loopback": len(fz.blocked)}
    out = ROOT / "artifacts" / "fuzz" / "requests.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    assert report["total"] > 1000 and math.isfinite(report["total"])
