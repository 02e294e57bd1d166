"""The Voice API's own endpoints: /v1/calls and its sub-resources, and /v1/files."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from ... import assumptions, rules
from .. import outbound
from ..answers import AnswerSource
from ..bodies import (
    CALL_PARAMS,
    CALL_STATUSES,
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
    unreachable_sockets,
)
from .common import call_info, get_call, refuse, requires_jwt, simulator

if TYPE_CHECKING:  # types only: the server imports this package to build its app
    from ..server import Call


def create_problems(body: Any) -> list[dict]:
    """Each bad field of a create-call body, the rules between fields included."""
    problems = check_body(body, CALL_PARAMS, "create call")
    if not isinstance(body, dict):
        return problems
    body = rules.native_body(body, CALL_PARAMS)  # null left out, "true" read as true
    if ("ncco" in body) == ("answer_url" in body):
        problems.append(_invalid("ncco", body.get("ncco"),
                                 "Give exactly one of ncco and answer_url."))
    if ("from" in body) == (body.get("random_from_number") is True):
        problems.append(_invalid("from", body.get("from"),
                                 "Give exactly one of from and random_from_number."))
    elif isinstance(body.get("from"), dict):
        number = body["from"].get("number")
        if not (isinstance(number, str) and rules.PHONE_NUMBER.match(number)):
            problems.append(_invalid("from", body["from"],
                                     "from needs a phone number of 7 to 15 digits 0-9.",
                                     '{"type": "phone", "number": "447700900000"}'))
    if "ncco" in body:
        problems += ncco_problems(body["ncco"]) or unreachable_sockets(body["ncco"])
    return problems


@requires_jwt
async def create_call(request: Request) -> Response:
    body = await read_json(request)
    problems = create_problems(body)
    refuse("The request has invalid parameters: " + "; ".join(p["name"] for p in problems)
           + ".", problems)
    body = rules.native_body(body, CALL_PARAMS)
    to_number = body["to"][0].get("number", body["to"][0].get("uri", "sim"))
    from_number = body["from"]["number"] if "from" in body else "447700900000"
    call = simulator(request).create_call(
        to_number=to_number, from_number=from_number,
        ncco=None if body.get("ncco") is None else rules.normalise(body["ncco"]),
        event_url=body.get("event_url"), event_method=body.get("event_method", "POST"),
        length_timer=body.get("length_timer"), ringing_timer=body.get("ringing_timer"),
        answer=answer_source(body))
    engine = call.engine
    return JSONResponse({"uuid": engine.uuid, "status": "started", "direction": "outbound",
                         "conversation_uuid": engine.conversation_uuid}, status_code=201)


def answer_source(body: dict) -> AnswerSource | None:
    """Where a created call's NCCO comes from when it has no `ncco`: its answer_url, fetched
    when the callee answers and never for a call nobody answers (Vonage's NCCO reference: the
    NCCO is fetched when the call is answered; fact sheet §3). A URL the simulator may not
    contact is refused now, with a 400, rather than failing later."""
    if "answer_url" not in body:
        return None
    url = body["answer_url"][0]
    refused = outbound.refusal(url)
    if refused:
        raise bad_request(f"answer_url was not fetched: {refused}",
                          [_invalid("answer_url", [url[:200]], refused)])
    return AnswerSource(url, body.get("answer_method", "GET"))


async def fetch_off_loop(name: str, url: str, method: str, query: dict) -> Any:
    """Fetch an NCCO in a worker thread, so a slow URL stalls only its own request.

    Only loopback is contacted unless `outbound.ALLOW_HOSTS_SETTING` allows more; any other
    host is refused with a 400 before a request is made. The fetch's own time-out is the
    documented answer-URL limit (fact sheet §2.2: the NCCO within 5 s).
    """
    refused = outbound.refusal(url)
    if refused:
        raise bad_request(f"{name} was not fetched: {refused}",
                          [_invalid(name, [url[:200]], refused)])
    return await run_in_threadpool(fetch_ncco, url, method, query)


LIST_FILTERS = {"status", "conversation_uuid", "page_size", "record_index", "order",
                "date_start", "date_end"}


def whole_number(query: dict, name: str, default: int, low: int, high: int,
                 problems: list[dict]) -> int:
    """A whole-number query parameter from `low` to `high`; a problem (and the default) if not."""
    value = query.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"-?[0-9]{1,12}", value) or not low <= int(value) <= high:
        problems.append(_invalid(name, value, f"{name} must be a whole number from "
                                 f"{low} to {high}."))
        return default
    return int(value)


def time_bounds(query: dict, problems: list[dict]) -> dict[str, datetime]:
    """date_start and date_end, each an ISO 8601 time with a zone."""
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
    return bounds


def call_filter(query: dict, bounds: dict[str, datetime]) -> Callable[[Call], bool]:
    """Whether a call passes the status, conversation and date filters."""
    def passes(call: Call) -> bool:
        engine = call.engine
        return (("status" not in query or engine.status == query["status"])
                and ("conversation_uuid" not in query
                     or engine.conversation_uuid == query["conversation_uuid"])
                and ("date_start" not in bounds or engine.created_at >= bounds["date_start"])
                and ("date_end" not in bounds or engine.created_at <= bounds["date_end"]))
    return passes


@requires_jwt
async def list_calls(request: Request) -> Response:
    query = dict(request.query_params)
    problems: list[dict] = []
    page_size = whole_number(query, "page_size", 10, 1, 100, problems)
    record_index = whole_number(query, "record_index", 0, 0, 10**9, problems)
    status = query.get("status")
    if status is not None and status not in CALL_STATUSES:  # else it silently matches nothing
        problems.append(_invalid("status", status, "status must be one of "
                                 + ", ".join(CALL_STATUSES) + ".", ", ".join(CALL_STATUSES)))
    order = query.get("order", "asc")
    if order not in ("asc", "desc"):
        problems.append(_invalid("order", order, "order must be asc or desc."))
    bounds = time_bounds(query, problems)
    problems += [_invalid(k, v, f"Unknown filter {k!r}.") for k, v in query.items()
                 if k not in LIST_FILTERS]
    refuse("Invalid filters.", problems)
    sim = simulator(request)
    calls = [call.catch_up() for call in sim.calls.in_order()]
    calls = list(filter(call_filter(query, bounds), calls))
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


@requires_jwt
async def show_call(request: Request) -> Response:
    return JSONResponse(call_info(get_call(request)))


async def transfer_ncco(call: Call, body: dict) -> list:
    """The NCCO a transfer's destination gives, inline or fetched from its URL, checked.
    Shapes: {"type": "ncco", "ncco": [...]} or {"type": "ncco", "url": ["https://..."]}
    (Voice OpenAPI, fact sheet §4.4); a null ncco or url is "not given"
    (assumptions.NULL_MEANS_ABSENT), so {"ncco": null} alone is a 400, never a 500."""
    destination = body.get("destination")
    shape = ('destination must be {"type": "ncco", "ncco": [...]} or '
             '{"type": "ncco", "url": ["https://..."]}.')
    if not isinstance(destination, dict):
        raise bad_request("transfer needs a destination.", [_invalid(
            "destination", destination, shape)])
    given = {k: v for k, v in destination.items()
             if not (v is None and assumptions.NULL_MEANS_ABSENT)}
    if given.get("type") != "ncco":
        raise bad_request("transfer needs a destination of type ncco.", [_invalid(
            "destination.type", destination.get("type"), shape, '"ncco"')])
    if "ncco" not in given and "url" not in given:
        raise bad_request("transfer needs destination.ncco or destination.url.", [_invalid(
            "destination.ncco", destination.get("ncco"), "Give destination.ncco (a list of "
            "actions) or destination.url (a list with one URL); " + shape)])
    ncco = given.get("ncco")
    if ncco is None:
        urls = given["url"]
        if rules.RECORD_PARAMS["eventUrl"].check(urls):
            raise bad_request("destination.url must be a list with one URL.",
                              [_invalid("destination.url", urls, "one http(s) URL")])
        ncco = await fetch_off_loop("destination.url", urls[0], "GET",
                                    {"uuid": call.engine.uuid})
    refuse("The transfer NCCO is invalid.", ncco_problems(ncco, "destination.ncco") or
           unreachable_sockets(ncco, "destination.ncco"))
    return rules.normalise(ncco)


@requires_jwt
async def modify_call(request: Request) -> Response:
    call = get_call(request)
    body = await read_json(request)
    action = body.get("action") if isinstance(body, dict) else None
    if action not in MODIFY_ACTIONS:
        raise bad_request("Unknown or missing action.", [_invalid(
            "action", action, "action must be one of " + ", ".join(MODIFY_ACTIONS) + ".")])
    params = {"ncco": await transfer_ncco(call, body)} if action == "transfer" else {}
    simulator(request).modify(call, action, **params)
    return Response(status_code=204)


async def start_media(request: Request, kind: str, table: dict) -> Response:
    call = get_call(request)
    body = await read_json(request)
    refuse(f"Invalid {kind} request.", check_body(body, table, kind))
    body = rules.native_body(body, table)  # "level": "0" (the spec's type) read as 0
    return JSONResponse(simulator(request).modify(call, kind, **body))


def stop_media(request: Request, kind: str) -> Response:
    call = get_call(request)
    return JSONResponse(simulator(request).modify(call, "stop_" + kind))


@requires_jwt
async def start_talk(request: Request) -> Response:
    return await start_media(request, "talk", TALK_PARAMS)


@requires_jwt
async def stop_talk(request: Request) -> Response:
    return stop_media(request, "talk")


@requires_jwt
async def start_stream(request: Request) -> Response:
    return await start_media(request, "stream", STREAM_PARAMS)


@requires_jwt
async def stop_stream(request: Request) -> Response:
    return stop_media(request, "stream")


@requires_jwt
async def send_dtmf(request: Request) -> Response:
    call = get_call(request)
    body = await read_json(request)
    digits = body.get("digits") if isinstance(body, dict) else None
    if not isinstance(digits, str) or not digits or set(digits) - set("0123456789*#p"):
        raise bad_request("Invalid digits.", [_invalid(
            "digits", digits, "digits must be keys from 0-9, *, # (and p for a pause).")])
    return JSONResponse(simulator(request).modify(call, "dtmf", digits=digits.replace("p", "")))


@requires_jwt
async def download(request: Request) -> Response:
    sim = simulator(request)
    file_id = request.path_params["file_id"]
    stored = sim.files.get(file_id)
    # An unknown file id and a recording past retention (30 days, fact sheet §4.7) get the
    # same documented answer: 404 with the generic not-found problem (api-errors page). No
    # source shows an "expired on" text, so the lab invents none (assumptions.
    # FILE_NOT_FOUND_DETAIL); the download helpers explain what a 404 can mean.
    if stored is None or sim.now() >= stored.expires_at():
        raise ApiError(assumptions.EXPIRED_RECORDING_STATUS if stored else 404, "Not Found",
                       assumptions.FILE_NOT_FOUND_DETAIL, kind="not-found")
    if not stored.path.is_file():  # deleted on disk: say so without naming the server's path
        raise ApiError(404, "Not Found", f"Recording {file_id} is no longer on the simulator's "
                       "disk (its file was deleted). Record the call again.", kind="not-found")
    check_range(request.headers.get("range"), stored.size)
    return FileResponse(stored.path, media_type=stored.media_type,
                        headers={"Content-Length": str(stored.size)})
