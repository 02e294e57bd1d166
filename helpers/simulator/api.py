"""The simulator's HTTP surface: Vonage's Voice API shapes, plus `/_sim` control endpoints.

Every route, control endpoints and recording downloads included, needs a Bearer JWT signed
with the application's private key. Bad input always gets a 4xx JSON body naming each bad
field, its value and what is allowed; a 500 would be a bug in the lab.
"""

from __future__ import annotations

import json
import math
import re
import uuid as uuidlib
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .. import assumptions, rules
from .auth import AuthError, check_bearer, unauthorized_body
from .bodies import (
    CALL_PARAMS,
    MAX_CLOCK_OFFSET,
    MODIFY_ACTIONS,
    STREAM_PARAMS,
    TALK_PARAMS,
    ApiError,
    _invalid,
    bad_request,
    check_body,
    check_range,
    fetch_ncco,
    ncco_problems,
    read_json,
)
from .callees import PERSONAS, ScriptError, parse_callee, persona_table
from .engine import CallStateError
from .server import Call, Simulator


def call_info(call: Call) -> dict:
    engine = call.engine
    info = {"uuid": engine.uuid, "conversation_uuid": engine.conversation_uuid,
            "to": {"type": "phone", "number": engine.to_number},
            "from": {"type": "phone", "number": engine.from_number},
            "status": engine.status, "direction": "outbound",
            "_links": {"self": {"href": f"/v1/calls/{engine.uuid}"}}}

    def stamp(t):
        return engine.iso(t)[:19].replace("T", " ")

    if engine.answered is not None:
        info["start_time"] = stamp(engine.answered)
        if engine.ended is not None:
            info.update(end_time=stamp(engine.ended),
                        duration=str(round(engine.ended - engine.answered)),
                        rate="0.00000000", price="0.00000000", network="simulator")
    return info


def build_app(sim: Simulator) -> Starlette:
    """The ASGI app of one simulator."""
    creds = sim.credentials
    public_key = creds.public_key_pem

    def authed(handler):
        async def wrapper(request: Request) -> Response:
            try:
                check_bearer(request.headers.get("authorization"), creds.application_id,
                             public_key)
            except AuthError as err:
                return JSONResponse(unauthorized_body(err.detail, str(uuidlib.uuid4())),
                                    status_code=401)
            try:
                return await handler(request)
            except ApiError as err:
                return err.response()
            except CallStateError as err:
                return ApiError(err.status, err.title, err.detail).response()
        return wrapper

    def get_call(request: Request) -> Call:
        call_uuid = request.path_params["uuid"]
        call = sim.calls.get(call_uuid)
        if call is None:
            raise ApiError(404, "Not Found", f"No call with uuid {call_uuid} in this "
                           "application.", kind="not-found")
        return call.catch_up()

    async def create_call(request: Request) -> Response:
        body = await read_json(request)
        problems = check_body(body, CALL_PARAMS, "create call")
        if isinstance(body, dict):
            if ("ncco" in body) == ("answer_url" in body):
                problems.append(_invalid("ncco", body.get("ncco"),
                                         "Give exactly one of ncco and answer_url."))
            if ("from" in body) == bool(body.get("random_from_number")):
                problems.append(_invalid("from", body.get("from"),
                                         "Give exactly one of from and random_from_number."))
            elif isinstance(body.get("from"), dict):
                number = body["from"].get("number")
                if not (isinstance(number, str) and number.isdigit()):
                    problems.append(_invalid("from", body["from"],
                                             "from needs a phone number of digits.",
                                             '{"type": "phone", "number": "447700900000"}'))
            if "ncco" in body:
                problems += ncco_problems(body["ncco"])
        if problems:
            raise bad_request("The request has invalid parameters: "
                              + "; ".join(p["name"] for p in problems) + ".", problems)
        to_number = body["to"][0].get("number", body["to"][0].get("uri", "sim"))
        from_number = body["from"]["number"] if "from" in body else "447700900000"
        ncco = body.get("ncco")
        if ncco is None:
            ncco = fetch_ncco(body["answer_url"][0], body.get("answer_method", "GET"),
                              {"to": to_number, "from": from_number})
            problems = ncco_problems(ncco, "answer_url NCCO")
            if problems:
                raise bad_request("The NCCO from answer_url is invalid.", problems)
        call = sim.create_call(to_number=to_number, from_number=from_number, ncco=ncco,
                               event_url=body.get("event_url"),
                               event_method=body.get("event_method", "POST"),
                               length_timer=body.get("length_timer"),
                               ringing_timer=body.get("ringing_timer"))
        engine = call.engine
        return JSONResponse({"uuid": engine.uuid, "status": "started", "direction": "outbound",
                             "conversation_uuid": engine.conversation_uuid}, status_code=201)

    async def list_calls(request: Request) -> Response:
        query = dict(request.query_params)
        problems = []

        def integer(name, default, low, high):
            value = query.get(name)
            if value is None:
                return default
            if not re.fullmatch(r"-?[0-9]{1,12}", value) or not low <= int(value) <= high:
                problems.append(_invalid(name, value, f"{name} must be a whole number from "
                                         f"{low} to {high}."))
                return default
            return int(value)

        page_size = integer("page_size", 10, 1, 100)
        record_index = integer("record_index", 0, 0, 10**9)
        order = query.get("order", "asc")
        if order not in ("asc", "desc"):
            problems.append(_invalid("order", order, "order must be asc or desc."))
        bounds = {}
        for name in ("date_start", "date_end"):
            if name in query:
                try:
                    bounds[name] = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
                    if bounds[name].tzinfo is None:
                        raise ValueError
                except ValueError:
                    problems.append(_invalid(name, query[name], f"{name} must be an ISO 8601 "
                                             "time with a zone, e.g. 2026-11-24T10:00:00Z."))
        known = {"status", "conversation_uuid", "page_size", "record_index", "order",
                 "date_start", "date_end"}
        problems += [_invalid(k, v, f"Unknown filter {k!r}.") for k, v in query.items()
                     if k not in known]
        if problems:
            raise bad_request("Invalid filters.", problems)
        calls = [sim.calls[u] for u in list(sim.order)]
        for call in calls:
            call.catch_up()
        calls = [c for c in calls
                 if ("status" not in query or c.engine.status == query["status"])
                 and ("conversation_uuid" not in query
                      or c.engine.conversation_uuid == query["conversation_uuid"])
                 and ("date_start" not in bounds or c.engine.created_at >= bounds["date_start"])
                 and ("date_end" not in bounds or c.engine.created_at <= bounds["date_end"])]
        if order == "desc":
            calls.reverse()
        page = calls[record_index:record_index + page_size]
        links = {"self": {"href": f"/v1/calls?page_size={page_size}"
                                  f"&record_index={record_index}"}}
        if record_index + page_size < len(calls):
            links["next"] = {"href": f"/v1/calls?page_size={page_size}"
                                     f"&record_index={record_index + page_size}"}
        return JSONResponse({"count": len(calls), "page_size": page_size,
                             "record_index": record_index, "_links": links,
                             "_embedded": {"calls": [call_info(c) for c in page]}})

    async def get_call_route(request: Request) -> Response:
        return JSONResponse(call_info(get_call(request)))

    async def modify_call(request: Request) -> Response:
        call = get_call(request)
        body = await read_json(request)
        action = body.get("action") if isinstance(body, dict) else None
        if action not in MODIFY_ACTIONS:
            raise bad_request("Unknown or missing action.", [_invalid(
                "action", action, "action must be one of " + ", ".join(MODIFY_ACTIONS) + ".")])
        params = {}
        if action == "transfer":
            destination = body.get("destination")
            if not isinstance(destination, dict) or destination.get("type") != "ncco" or (
                    "ncco" not in destination and "url" not in destination):
                raise bad_request("transfer needs a destination.", [_invalid(
                    "destination", destination, 'destination must be {"type": "ncco", '
                    '"ncco": [...]} or {"type": "ncco", "url": ["https://..."]}.')])
            ncco = destination.get("ncco")
            if ncco is None:
                urls = destination["url"]
                if rules.RECORD_PARAMS["eventUrl"].check(urls):
                    raise bad_request("destination.url must be a list with one URL.",
                                      [_invalid("destination.url", urls, "one http(s) URL")])
                ncco = fetch_ncco(urls[0], "GET", {"uuid": call.engine.uuid})
            problems = ncco_problems(ncco, "destination.ncco")
            if problems:
                raise bad_request("The transfer NCCO is invalid.", problems)
            params["ncco"] = ncco
        sim.modify(call, action, **params)
        return Response(status_code=204)

    def media_route(kind: str, table: dict):
        async def put(request: Request) -> Response:
            call = get_call(request)
            body = await read_json(request)
            problems = check_body(body, table, kind)
            if problems:
                raise bad_request(f"Invalid {kind} request.", problems)
            return JSONResponse(sim.modify(call, kind, **body))

        async def delete(request: Request) -> Response:
            call = get_call(request)
            return JSONResponse(sim.modify(call, "stop_" + kind))

        return put, delete

    talk_put, talk_delete = media_route("talk", TALK_PARAMS)
    stream_put, stream_delete = media_route("stream", STREAM_PARAMS)

    async def dtmf(request: Request) -> Response:
        call = get_call(request)
        body = await read_json(request)
        digits = body.get("digits") if isinstance(body, dict) else None
        if not isinstance(digits, str) or not digits or set(digits) - set("0123456789*#p"):
            raise bad_request("Invalid digits.", [_invalid(
                "digits", digits, "digits must be keys from 0-9, *, # (and p for a pause).")])
        return JSONResponse(sim.modify(call, "dtmf", digits=digits.replace("p", "")))

    async def download(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        stored = sim.files.get(file_id)
        if stored is None:
            raise ApiError(404, "Not Found", f"No recording {file_id}. If the record event "
                           "has not arrived yet, wait for it; the URL is in its "
                           "recording_url.", kind="not-found")
        if sim.now() >= stored.expires_at():
            raise ApiError(assumptions.EXPIRED_RECORDING_STATUS, "Not Found",
                           f"Recording {file_id} expired on "
                           f"{stored.expires_at():%Y-%m-%dT%H:%M:%SZ}: Vonage keeps "
                           f"recordings for {assumptions.RETENTION_DAYS} days after they end. "
                           "Download recordings as soon as the record event arrives.",
                           kind="not-found")
        check_range(request.headers.get("range"), stored.size)
        return FileResponse(stored.path, media_type=stored.media_type,
                            headers={"Content-Length": str(stored.size)})

    async def callees(request: Request) -> Response:
        rows = persona_table()
        rows += [{"number": n, "persona": c.name, "behaviour": c.description}
                 for n, c in sim.callees.items()]
        return JSONResponse({"callees": rows})

    async def callee(request: Request) -> Response:
        number = request.path_params["number"]
        if not number.isdigit():
            raise bad_request("The number must be digits.", [_invalid("number", number,
                                                                      "digits only")])
        if request.method == "DELETE":
            sim.callees.pop(number, None)
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse(sim.callee_for(number).as_json())
        try:
            sim.callees[number] = parse_callee(number, await read_json(request))
        except ScriptError as err:
            raise bad_request("Invalid callee script.", err.problems) from None
        return JSONResponse(sim.callees[number].as_json())

    async def clock(request: Request) -> Response:
        if request.method == "POST":
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
        return JSONResponse({"now": sim.now().isoformat(), "offset_seconds": sim.clock_offset})

    def read_pace(body: Any) -> float | None:
        pace = body.get("pace", "missing") if isinstance(body, dict) else "missing"
        if pace is not None and (isinstance(pace, bool) or not isinstance(pace, (int, float))
                                 or not 0 < pace <= 100000 or math.isnan(pace)):
            raise bad_request("Invalid pace.", [_invalid(
                "pace", pace, "pace must be null (as fast as possible) or a real-time factor "
                "above 0, e.g. 1 for real time.")])
        return pace

    async def pace(request: Request) -> Response:
        if request.method == "PUT":
            sim.pace = read_pace(await read_json(request))
        return JSONResponse({"pace": sim.pace})

    async def call_pace(request: Request) -> Response:
        call = get_call(request)
        sim.set_pace(call, read_pace(await read_json(request)))
        return JSONResponse({"pace": call.pace})

    async def timeline(request: Request) -> Response:
        call = get_call(request)
        with call.cond:
            body = json.loads(json.dumps(call.engine.timeline(), default=str))
            body["deliveries"] = list(call.deliveries)
            body["pace"] = call.pace
            body["delivered"] = call.delivered.is_set()
        return JSONResponse(body)

    async def info(request: Request) -> Response:
        return JSONResponse({"application_id": creds.application_id, "api_host": sim.api_host,
                             "personas": sorted(PERSONAS), "pace": sim.pace,
                             "now": sim.now().isoformat()})

    def route(path, handler, methods):
        return Route(path, authed(handler), methods=methods)

    routes = [
        route("/v1/calls", create_call, ["POST"]),
        route("/v1/calls", list_calls, ["GET"]),
        route("/v1/calls/{uuid}", get_call_route, ["GET"]),
        route("/v1/calls/{uuid}", modify_call, ["PUT"]),
        route("/v1/calls/{uuid}/talk", talk_put, ["PUT"]),
        route("/v1/calls/{uuid}/talk", talk_delete, ["DELETE"]),
        route("/v1/calls/{uuid}/stream", stream_put, ["PUT"]),
        route("/v1/calls/{uuid}/stream", stream_delete, ["DELETE"]),
        route("/v1/calls/{uuid}/dtmf", dtmf, ["PUT"]),
        route("/v1/files/{file_id}", download, ["GET"]),
        route("/_sim/info", info, ["GET"]),
        route("/_sim/callees", callees, ["GET"]),
        route("/_sim/callees/{number}", callee, ["GET", "PUT", "DELETE"]),
        route("/_sim/clock", clock, ["GET", "POST"]),
        route("/_sim/pace", pace, ["GET", "PUT"]),
        route("/_sim/calls/{uuid}/pace", call_pace, ["PUT"]),
        route("/_sim/calls/{uuid}/timeline", timeline, ["GET"]),
    ]

    async def http_error(request: Request, exc: HTTPException) -> Response:
        title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Error")
        return ApiError(exc.status_code, title, f"{request.method} {request.url.path}: "
                        f"{exc.detail}", kind=title.lower().replace(" ", "-")).response()

    async def server_error(request: Request, exc: Exception) -> Response:
        return ApiError(500, "Internal Server Error", f"The simulator failed: "
                        f"{type(exc).__name__}: {exc}. This is a bug in Recording Lab.",
                        kind="internal-error").response()

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error,
                                                        Exception: server_error})
