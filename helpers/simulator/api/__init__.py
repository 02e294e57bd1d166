"""The simulator's HTTP surface: Vonage's Voice API shapes, plus `/_sim` control endpoints.

Every route, control endpoints and recording downloads included, needs a Bearer JWT signed
with the application's private key, except the Applications API (/v2/applications), which
takes HTTP Basic auth with the account's api_key and api_secret, as Vonage's does. Bad input
always gets a 4xx JSON body naming each bad field, its value and what is allowed; a 500 would
be a bug in the lab.

Starlette's own layout: module-level handlers (`calls` for the Voice API, `control` for
`/_sim`) that find their simulator on `request.app.state.simulator`, one module-level `routes`
list, and `build_app(sim)` to put the two together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import WRONG_VERB, ApiError
from ..capacity import Capacity, CapacityLimit
from ..engine import CallStateError
from .applications import get_application, list_applications, update_application
from .calls import (
    create_call,
    download,
    list_calls,
    modify_call,
    send_dtmf,
    show_call,
    start_stream,
    start_talk,
    stop_stream,
    stop_talk,
)
from .common import call_info
from .control import (
    advance_clock,
    forget_callee,
    info,
    list_callees,
    set_assumptions,
    set_call_pace,
    set_callee,
    set_capacity,
    set_pace,
    show_assumptions,
    show_callee,
    show_capacity,
    show_clock,
    show_pace,
    timeline,
    wait_idle,
)
from .inbound import inbound_call

if TYPE_CHECKING:  # types only: the server imports this package to build its app
    from ..server import Simulator

__all__ = ["build_app", "call_info", "routes"]

routes = [
    Route("/v1/calls", create_call, methods=["POST"]),
    Route("/v1/calls", list_calls, methods=["GET"]),
    Route("/v1/calls/{uuid}", show_call, methods=["GET"]),
    Route("/v1/calls/{uuid}", modify_call, methods=["PUT"]),
    Route("/v1/calls/{uuid}/talk", start_talk, methods=["PUT"]),
    Route("/v1/calls/{uuid}/talk", stop_talk, methods=["DELETE"]),
    Route("/v1/calls/{uuid}/stream", start_stream, methods=["PUT"]),
    Route("/v1/calls/{uuid}/stream", stop_stream, methods=["DELETE"]),
    Route("/v1/calls/{uuid}/dtmf", send_dtmf, methods=["PUT"]),
    Route("/v1/files/{file_id}", download, methods=["GET"]),
    Route("/v2/applications", list_applications, methods=["GET"]),
    Route("/v2/applications/{application_id}", get_application, methods=["GET"]),
    Route("/v2/applications/{application_id}", update_application, methods=["PUT"]),
    Route("/_sim/info", info, methods=["GET"]),
    Route("/_sim/inbound", inbound_call, methods=["POST"]),
    Route("/_sim/callees", list_callees, methods=["GET"]),
    Route("/_sim/callees/{number}", show_callee, methods=["GET"]),
    Route("/_sim/callees/{number}", set_callee, methods=["PUT"]),
    Route("/_sim/callees/{number}", forget_callee, methods=["DELETE"]),
    Route("/_sim/clock", show_clock, methods=["GET"]),
    Route("/_sim/clock", advance_clock, methods=["POST"]),
    Route("/_sim/pace", show_pace, methods=["GET"]),
    Route("/_sim/pace", set_pace, methods=["PUT"]),
    Route("/_sim/assumptions", show_assumptions, methods=["GET"]),
    Route("/_sim/assumptions", set_assumptions, methods=["PUT"]),
    Route("/_sim/calls/{uuid}/pace", set_call_pace, methods=["PUT"]),
    Route("/_sim/calls/{uuid}/timeline", timeline, methods=["GET"]),
    Route("/_sim/idle", wait_idle, methods=["POST"]),
    Route("/_sim/capacity", show_capacity, methods=["GET"]),
    Route("/_sim/capacity", set_capacity, methods=["PUT"]),
]


async def api_error(request: Request, exc: ApiError) -> Response:
    return exc.response()


async def call_state_error(request: Request, exc: CallStateError) -> Response:
    return ApiError(exc.status, exc.title, exc.detail).response()


async def http_error(request: Request, exc: HTTPException) -> Response:
    title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Error")
    kind = {404: "not-found", 405: WRONG_VERB}.get(exc.status_code, "error")  # bodies.py
    return ApiError(exc.status_code, title, f"{request.method} {request.url.path}: "
                    f"{exc.detail}", kind=kind).response()


async def server_error(request: Request, exc: Exception) -> Response:
    return ApiError(500, "Internal Server Error", f"The simulator failed: "
                    f"{type(exc).__name__}: {exc}. This is a bug in Recording Lab.",
                    kind="internal-error").response()


exception_handlers = {ApiError: api_error, CallStateError: call_state_error,
                      HTTPException: http_error, Exception: server_error}


def build_app(sim: Simulator) -> Starlette:
    """The ASGI app of one simulator."""
    if getattr(sim, "capacity", None) is None:  # off unless asked for (capacity.py)
        sim.capacity = Capacity()
    app = Starlette(routes=routes, exception_handlers=exception_handlers,
                    middleware=[Middleware(CapacityLimit, capacity=sim.capacity)])
    app.state.simulator = sim
    return app
