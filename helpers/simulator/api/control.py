"""The simulator's own control endpoints under /_sim: callees, clock, pace, timeline, idle."""

from __future__ import annotations

import json
import math
import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...callees import PERSONAS, ScriptError, parse_callee, persona_table
from ..bodies import MAX_CLOCK_OFFSET, _invalid, bad_request, read_json
from .common import get_call, requires_jwt, simulator

if TYPE_CHECKING:  # types only: the server imports this package to build its app
    from ..server import Simulator

IDLE_TIMEOUT = 60.0  # seconds POST /_sim/idle waits when the body names no timeout
MAX_IDLE_TIMEOUT = 300.0  # longer timeouts are cut to this
IDLE_STEP = 0.5  # seconds per look; between looks a wait notices a client that has gone


@requires_jwt
async def info(request: Request) -> Response:
    sim = simulator(request)
    return JSONResponse({"application_id": sim.credentials.application_id,
                         "number": sim.credentials.number, "api_host": sim.api_host,
                         "personas": sorted(PERSONAS),
                         "pace": sim.pace, "now": sim.now().isoformat()})


@requires_jwt
async def list_callees(request: Request) -> Response:
    rows = persona_table()
    rows += [{"number": n, "persona": c.name, "behaviour": c.description}
             for n, c in simulator(request).callees.items()]
    return JSONResponse({"callees": rows})


def callee_number(request: Request) -> str:
    number = request.path_params["number"]
    if not number.isdigit():
        raise bad_request("The number must be digits.", [_invalid("number", number,
                                                                  "digits only")])
    return number


@requires_jwt
async def show_callee(request: Request) -> Response:
    return JSONResponse(simulator(request).callee_for(callee_number(request)).as_json())


@requires_jwt
async def set_callee(request: Request) -> Response:
    number, callees = callee_number(request), simulator(request).callees
    try:
        callees[number] = parse_callee(number, await read_json(request))
    except ScriptError as err:
        raise bad_request("Invalid callee script.", err.problems) from None
    return JSONResponse(callees[number].as_json())


@requires_jwt
async def forget_callee(request: Request) -> Response:
    simulator(request).callees.pop(callee_number(request), None)
    return Response(status_code=204)


def clock_json(sim: Simulator) -> JSONResponse:
    return JSONResponse({"now": sim.now().isoformat(), "offset_seconds": sim.clock_offset})


@requires_jwt
async def show_clock(request: Request) -> Response:
    return clock_json(simulator(request))


@requires_jwt
async def advance_clock(request: Request) -> Response:
    sim = simulator(request)
    body = await read_json(request)
    seconds = body.get("advance_seconds") if isinstance(body, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or \
            not 0 <= seconds <= 10 * 365 * 86400:
        raise bad_request("Invalid clock change.", [_invalid(
            "advance_seconds", seconds, "advance_seconds must be 0 to 10 years in "
            "seconds (the clock only moves forward).")])
    if sim.clock_offset + seconds > MAX_CLOCK_OFFSET:
        raise bad_request("Invalid clock change.", [_invalid(
            "advance_seconds", seconds, "The clock is already "
            f"{sim.clock_offset / 86400:.0f} days ahead; it moves at most 100 years "
            "in all. Restart the simulator to reset it.")])
    sim.advance_clock(float(seconds))
    return clock_json(sim)


def read_pace(body: Any) -> float | None:
    pace = body.get("pace", "missing") if isinstance(body, dict) else "missing"
    if pace is not None and (isinstance(pace, bool) or not isinstance(pace, (int, float))
                             or not 0 < pace <= 100000 or math.isnan(pace)):
        raise bad_request("Invalid pace.", [_invalid(
            "pace", pace, "pace must be null (as fast as possible) or a real-time factor "
            "above 0, e.g. 1 for real time.")])
    return pace


@requires_jwt
async def show_pace(request: Request) -> Response:
    return JSONResponse({"pace": simulator(request).pace})


@requires_jwt
async def set_pace(request: Request) -> Response:
    sim = simulator(request)
    sim.pace = read_pace(await read_json(request))
    return JSONResponse({"pace": sim.pace})


@requires_jwt
async def set_call_pace(request: Request) -> Response:
    call = get_call(request)
    simulator(request).set_pace(call, read_pace(await read_json(request)))
    return JSONResponse({"pace": call.pace})


@requires_jwt
async def show_assumptions(request: Request) -> Response:
    return JSONResponse(simulator(request).assumed)


@requires_jwt
async def set_assumptions(request: Request) -> Response:
    """Switch lab assumptions for the calls created next: {"RECORD_LAST_HOLDS_CALL": false}."""
    sim, body = simulator(request), await read_json(request)
    if not isinstance(body, dict) or not body:
        raise bad_request("Invalid assumptions.", [_invalid(
            "body", body, "Send an object such as {\"RECORD_LAST_HOLDS_CALL\": false}.")])
    for name, value in body.items():
        if name not in sim.assumed:
            raise bad_request("Invalid assumptions.", [_invalid(
                name, value, "Only these can be switched: " + ", ".join(sim.assumed) + ".")])
        if not isinstance(value, bool):
            raise bad_request("Invalid assumptions.", [_invalid(
                name, value, f"{name} must be true or false.")])
    sim.assumed.update(body)
    return JSONResponse(sim.assumed)


@requires_jwt
async def timeline(request: Request) -> Response:
    call = get_call(request)
    with call.cond:
        body = json.loads(json.dumps(call.engine.timeline(), default=str))
        body["deliveries"] = list(call.deliveries)
        body["pace"] = call.pace
        body["delivered"] = call.delivered.is_set()
    return JSONResponse(body)


def read_idle_timeout(body: Any) -> float:
    """The seconds POST /_sim/idle may wait: `timeout`, default 60, cut to 300."""
    timeout = body.get("timeout", IDLE_TIMEOUT) if isinstance(body, dict) else None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise bad_request("Invalid idle wait.", [_invalid(
            "timeout", timeout, f"timeout must be a number of seconds from 0 (longer than "
            f"{MAX_IDLE_TIMEOUT:.0f} waits {MAX_IDLE_TIMEOUT:.0f}); leave it out to wait "
            f"{IDLE_TIMEOUT:.0f}.")])
    return float(min(timeout, MAX_IDLE_TIMEOUT))


@requires_jwt
async def wait_idle(request: Request) -> Response:
    """Wait until no call is running and no webhook is pending: `{"idle": true}`, or false."""
    sim = simulator(request)
    deadline = time.monotonic() + read_idle_timeout(await read_json(request))
    while True:  # short waits in a worker thread: the event loop serves other requests
        left = deadline - time.monotonic()
        if await run_in_threadpool(sim.wait_idle, max(0.0, min(left, IDLE_STEP))):
            return JSONResponse({"idle": True})
        if left <= IDLE_STEP or await request.is_disconnected():
            return JSONResponse({"idle": False})


@requires_jwt
async def show_capacity(request: Request) -> Response:
    return JSONResponse(simulator(request).capacity.state())


@requires_jwt
async def set_capacity(request: Request) -> Response:
    """`{"enabled": true}` turns Vonage's capacity limits on (capacity.py), false off."""
    body = await read_json(request)
    enabled = body.get("enabled") if isinstance(body, dict) else None
    if not isinstance(enabled, bool) or set(body) != {"enabled"}:
        raise bad_request("Send {\"enabled\": true} or {\"enabled\": false}.",
                          [_invalid("enabled", enabled, "enabled must be true or false",
                                    "true or false")])
    capacity = simulator(request).capacity
    capacity.enabled = enabled
    return JSONResponse(capacity.state())
