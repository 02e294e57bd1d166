"""The Applications API v2 for the simulator's one application: GET and PUT
/v2/applications/{application_id}, and the list (GET /v2/applications) the SDK also offers.

Vonage's Applications API takes HTTP Basic auth with the account's key pair, `api_key:api_secret`
(https://developer.vonage.com/en/api/application.v2, security `basicAuth`); anything else gets
401 in Vonage's shape. The SDK's `client.application` sends exactly that when `vonage.Auth` is
given `api_key` and `api_secret`.
"""

from __future__ import annotations

import functools
import uuid as uuidlib

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..application import basic_auth_ok, update_problems
from ..auth import unauthorized_body
from ..bodies import ApiError, problem_response, read_json
from .common import Handler, simulator


def requires_basic(handler: Handler) -> Handler:
    """Answer 401 unless the request carries the account's key pair (HTTP Basic auth)."""
    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        creds = simulator(request).credentials
        if not basic_auth_ok(request.headers.get("authorization"), creds.api_key,
                             creds.api_secret):
            detail = ("The Applications API takes HTTP Basic auth with the account's key "
                      "pair: create the client with vonage.Auth(api_key=..., api_secret=...) "
                      "using the simulator's api_key and api_secret (its ready line, or "
                      "Simulator.info()). A JWT is not accepted here.")
            return problem_response(unauthorized_body(detail, str(uuidlib.uuid4())), 401)
        return await handler(request)
    return checked


def _this_application(request: Request) -> None:
    wanted = request.path_params["application_id"]
    if wanted != simulator(request).credentials.application_id:
        raise ApiError(404, "Not Found", f"No application {wanted[:60]} on this account; the "
                       "simulator has one application, the application_id of its ready line.",
                       kind="not-found")


def _shown(request: Request) -> dict:
    sim = simulator(request)
    creds = sim.credentials
    return sim.application.as_json(creds.application_id, creds.public_key_pem.decode())


@requires_basic
async def list_applications(request: Request) -> Response:
    return JSONResponse({"page_size": 100, "page": 1, "total_items": 1, "total_pages": 1,
                         "_embedded": {"applications": [_shown(request)]},
                         "_links": {"self": {"href": "/v2/applications?page_size=100&page=1"},
                                    "first": {"href": "/v2/applications?page_size=100&page=1"},
                                    "last": {"href": "/v2/applications?page_size=100&page=1"}}})


@requires_basic
async def get_application(request: Request) -> Response:
    _this_application(request)
    return JSONResponse(_shown(request))


@requires_basic
async def update_application(request: Request) -> Response:
    _this_application(request)
    sim = simulator(request)
    body = await read_json(request)
    problems = update_problems(body, sim.credentials.public_key_pem.decode())
    if problems:  # the spec's InvalidPayloadError: title, detail and invalid_parameters
        raise ApiError(400, "Bad Request", "The request failed due to validation errors: "
                       + "; ".join(p["name"] for p in problems) + ".", problems,
                       kind="payload-validation")
    sim.application.replace(body)
    return JSONResponse(_shown(request))
