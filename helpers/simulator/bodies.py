"""Request bodies and error answers of the simulator's API: what is accepted, what is refused.

The field tables reuse `rules.Param`, so ranges are written once; every refusal is an
`ApiError` in Vonage's shape whose `invalid_parameters` name the field, its value and what is
allowed.
"""

from __future__ import annotations

import json
import math
import uuid as uuidlib
from typing import Any

import requests
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse

from .. import assumptions, rules

ERRORS = "https://developer.nexmo.com/api-errors"
#: Vonage errors are RFC 7807 problems (fact sheet §4.6; https://developer.vonage.com/en/api-errors
#: shows "Content-Type: application/problem+json" and type/title/detail/instance).
PROBLEM_JSON = "application/problem+json"
#: `type` codes (the part after '#'), each from Vonage's pages: a value that is refused is
#: `invalid-params` (api-errors, generic errors: "The value of one or more parameters is
#: invalid"), a body that is not JSON is `invalid-json` and a wrong method `wrong-verb`
#: (https://developer.vonage.com/en/api-standards/http-codes/4xx). The Voice API's exact 400
#: body is UNCONFIRMED (§4.6: its spec defines no error schema; customers have reported other
#: shapes), so the lab uses the documented general one.
INVALID_PARAMS, INVALID_JSON, WRONG_VERB = "invalid-params", "invalid-json", "wrong-verb"
P = rules.Param

CALL_PARAMS = rules._params(
    P("to", "endpoint", "Who to call.", required=True),
    P("from", "object", "The caller ID: {\"type\": \"phone\", \"number\": \"...\"}."),
    P("random_from_number", "bool", "Use a random number of the application."),
    P("ncco", "object", "The NCCO to run."),
    P("answer_url", "url_list", "Where to fetch the NCCO."),
    P("answer_method", "method", "Method for answer_url.", ("GET", "POST")),
    P("event_url", "url_list", "Where call events go."),
    P("event_method", "method", "Method for event_url.", ("POST", "GET")),
    P("machine_detection", "choice", "Answering-machine handling.", ("continue", "hangup")),
    P("advanced_machine_detection", "object", "Advanced machine detection."),
    P("length_timer", "int", "Maximum call length.", minimum=1, maximum=86400, unit="seconds"),
    P("ringing_timer", "int", "Ringing time.", minimum=1, maximum=120, unit="seconds"),
)
# `level` of talk and stream into a call is typed as a string in the Voice OpenAPI
# (voice-openapi.yml lines 333-336 and 354-357: type string, example "0.4", default "0") and
# the Node SDK sends it so; Param.native reads "0.4" as 0.4 (assumptions.TEXT_NUMBERS_AND_
# BOOLEANS), and a JSON number is accepted too.
TALK_PARAMS = rules._params(
    P("text", "text", "What to say.", maximum=1500, required=True),
    P("loop", "int", "Repeats; 0 until stopped.", minimum=0, maximum=100),
    P("level", "number", "Volume.", minimum=-1, maximum=1),
    P("language", "text", "Voice language."),
    P("style", "int", "Voice style.", minimum=0, maximum=100),
    P("premium", "bool", "Premium voice."),
)
STREAM_PARAMS = rules._params(
    P("stream_url", "url_list", "The audio to play.", required=True),
    P("loop", "int", "Repeats; 0 until stopped.", minimum=0, maximum=100),
    P("level", "number", "Volume.", minimum=-1, maximum=1),
)
#: The call-list `status` filter (Voice OpenAPI getCalls, voice-openapi.yml lines 27-44).
CALL_STATUSES = ("started", "ringing", "answered", "machine", "completed", "busy", "cancelled",
                 "failed", "rejected", "timeout", "unanswered")
MODIFY_ACTIONS = ("hangup", "mute", "unmute", "earmuff", "unearmuff", "transfer")
MAX_CLOCK_OFFSET = 100 * 365 * 86400  # seconds; far beyond any retention rule, far from 9999


class ApiError(Exception):
    """An error answer in Vonage's problem shape (§4.6), sent as application/problem+json."""

    def __init__(self, status: int, title: str, detail: str,
                 invalid: list[dict] | None = None, kind: str = INVALID_PARAMS):
        super().__init__(detail)
        self.status, self.title, self.detail, self.invalid, self.kind = (
            status, title, detail, invalid, kind)

    def response(self) -> JSONResponse:
        return problem_response(
            capped_error_body(self.kind, self.title, self.detail, self.invalid), self.status)


def problem_response(body: dict, status: int) -> JSONResponse:
    """An RFC 7807 problem answer, with the media type Vonage's api-errors page shows."""
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


MAX_ERROR_BODY = 4096  # bytes of an error answer: a huge request never gets a huge echo
MAX_ECHO = 120  # characters of an echoed value (or reason, or detail part) kept
MAX_DETAIL = 1000  # characters of `detail`


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _short(value: Any) -> Any:
    """An echoed value, cut short when its JSON is long (kept as is when short)."""
    text = value if isinstance(value, str) else json.dumps(value, default=repr)
    if len(text) <= MAX_ECHO:
        return value
    return _cut(text, MAX_ECHO)


def capped_error_body(kind: str, title: str, detail: str,
                      invalid: list[dict] | None) -> dict:
    """Vonage's error shape, under MAX_ERROR_BODY bytes: echoed values, reasons and the detail
    are cut short, and entries that do not fit are counted instead of listed.

    `type`, `title`, `detail`, `instance` and `invalid_parameters` entries with `name` and
    `reason` are Vonage's (§4.6). The `value` and `allowed` of an entry are the lab's own
    additions (assumptions.ERROR_ECHOES_VALUE_AND_ALLOWED), left out when that is False."""
    body = {"type": f"{ERRORS}#{kind}", "title": title, "detail": _cut(str(detail), MAX_DETAIL),
            "instance": str(uuidlib.uuid4())}
    if not invalid:
        return body
    size = len(json.dumps(body)) + 40
    kept = []
    for entry in invalid:
        if not assumptions.ERROR_ECHOES_VALUE_AND_ALLOWED:
            entry = {k: v for k, v in entry.items() if k in ("name", "reason")}
        short = {k: _short(v) if k == "value" else _cut(str(v), 3 * MAX_ECHO)
                 for k, v in entry.items()}
        cost = len(json.dumps(short)) + 2
        if size + cost > MAX_ERROR_BODY - 120:
            break
        kept.append(short)
        size += cost
    body["invalid_parameters"] = kept
    if len(kept) < len(invalid):
        body["detail"] += f" ({len(invalid) - len(kept)} more invalid parameters not listed.)"
    return body


def bad_request(detail: str, invalid: list[dict] | None = None) -> ApiError:
    return ApiError(400, "Bad Request", detail, invalid)


def _invalid(name: str, value: Any, reason: str, allowed: str = "") -> dict:
    entry = {"name": name, "reason": reason, "value": value if rules._jsonable(value)
             else repr(value)}
    if allowed:
        entry["allowed"] = allowed
    return entry


def check_body(body: Any, table: dict[str, rules.Param], what: str) -> list[dict]:
    """Each bad or unknown field of a request body, as `invalid_parameters` entries."""
    if not isinstance(body, dict):
        return [_invalid("body", body, f"The {what} body must be a JSON object.")]
    problems = []
    for name, value in body.items():
        param = table.get(name)
        if param is None:
            problems.append(_invalid(name, value, f"Unknown field {name!r} for {what}; known: "
                                     + ", ".join(table) + "."))
            continue
        if value is None and assumptions.NULL_MEANS_ABSENT:
            continue  # null is "not given" (assumptions.NULL_MEANS_ABSENT)
        message = None if name == "ncco" else param.accepts(value)
        if message:
            problems.append(_invalid(name, value, message, param.allowed()))
    for name, param in table.items():
        if param.required and body.get(name) is None:
            problems.append(_invalid(name, None, f"{name} is required ({param.allowed()}).",
                                     param.allowed()))
    return problems


MAX_DEPTH = 32  # an NCCO nests 4 deep; deeper bodies are refused before they reach the rules


def _not_json(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number (Python reads it, JSON does not)")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:20]} is too large for a number")
    return value


def _shape_problem(body: Any) -> str | None:
    """Why a parsed body cannot be echoed or used: too deep, or a lone UTF-16 surrogate."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"it nests deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            stack += [(k, depth) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "it holds a lone surrogate escape (\\ud800-\\udfff), which is not text"
    return None


async def read_json(request: Request) -> Any:
    """The body as JSON, refusing what Python reads but JSON does not (NaN, 1e999, ...)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
        problem = _shape_problem(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        problem = str(err) if not isinstance(err, RecursionError) else \
            f"it nests deeper than {MAX_DEPTH} levels"
    if problem is None:
        return body
    raise ApiError(400, "Bad Request", f"The body is not valid JSON: {problem}.",
                   [_invalid("body", raw[:80].decode("utf-8", "replace"), "not valid JSON")],
                   kind=INVALID_JSON) from None


def fetch_ncco(url: str, method: str, query: dict) -> list:
    """Fetch an NCCO from an answer URL and check it (the simulator reaches loopback only)."""
    try:
        session = requests.Session()
        session.trust_env = False
        if method == "POST":
            response = session.post(url, json=query, timeout=5)
        else:
            response = session.get(url, params=query, timeout=5)
        ncco = response.json()
    except (requests.RequestException, ValueError) as err:
        raise bad_request(f"Could not fetch an NCCO from answer_url {url}: {err}",
                          [_invalid("answer_url", [url], "did not return a JSON NCCO")]) from None
    return ncco


def ncco_problems(ncco: Any, name: str = "ncco") -> list[dict]:
    problems = rules.validate(ncco)
    entries = []
    for p in problems:
        entry = p.as_invalid_parameter()
        entry["name"] = entry["name"].replace("ncco", name, 1)
        entries.append(entry)
    return entries


def unreachable_sockets(ncco: Any, name: str = "ncco") -> list[dict]:
    """A 400 entry for each websocket endpoint the simulator may not open (loopback only,
    like every request it makes: outbound.refusal), for an NCCO that is otherwise valid."""
    from .outbound import refusal

    entries = []
    for index, action in enumerate(ncco if isinstance(ncco, list) else []):
        endpoint = (action.get("endpoint") or [{}])[0] if isinstance(action, dict) else {}
        if isinstance(endpoint, dict) and endpoint.get("type") == "websocket":
            why = refusal(endpoint.get("uri", ""), schemes=("ws", "wss"))
            if why:
                entries.append(_invalid(f"{name}[{index}].endpoint[0].uri",
                                        endpoint.get("uri"), why))
    return entries


def check_range(header: str | None, size: int) -> None:
    """Refuse a bad Range header in JSON (Starlette would answer in plain text)."""
    from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

    if header is None:
        return
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader as err:
        raise bad_request(f"Bad Range header: {err.content}", [_invalid(
            "Range", header, "a byte range such as bytes=0-1023, or no Range header")]) from None
    except RangeNotSatisfiable:
        raise ApiError(416, "Range Not Satisfiable", f"The Range {header[:40]} starts past the "
                       f"end of the file ({size} bytes).", kind="range-not-satisfiable") from None


