"""What every handler of the simulator's API shares: its simulator, the JWT check, the call.

Handlers find their simulator on `request.app.state.simulator` and are wrapped in
`requires_jwt`; a refusal is an `ApiError` raised anywhere below a handler, which the app's
exception handlers turn into Vonage's JSON error shape.
"""

from __future__ import annotations

import functools
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ..auth import AuthError, check_bearer, unauthorized_body
from ..bodies import ApiError, bad_request, problem_response

if TYPE_CHECKING:  # types only: the server imports this package to build its app
    from ..server import Call, Simulator

Handler = Callable[[Request], Awaitable[Response]]


def simulator(request: Request) -> Simulator:
    """The simulator this app serves."""
    return request.app.state.simulator


def requires_jwt(handler: Handler) -> Handler:
    """Answer 401 in Vonage's shape unless the request carries the application's JWT."""
    @functools.wraps(handler)
    async def checked(request: Request) -> Response:
        creds = simulator(request).credentials
        try:
            check_bearer(request.headers.get("authorization"), creds.application_id,
                         creds.public_key_pem)
        except AuthError as err:
            return problem_response(unauthorized_body(err.detail, str(uuidlib.uuid4())), 401)
        return await handler(request)
    return checked


def get_call(request: Request) -> Call:
    """The call named by the path's {uuid}, caught up to its virtual now; else 404."""
    call_uuid = request.path_params["uuid"]
    call = simulator(request).calls.get(call_uuid)
    if call is None:
        raise ApiError(404, "Not Found", f"No call with uuid {call_uuid} in this "
                       "application.", kind="not-found")
    return call.catch_up()


def refuse(detail: str, problems: list[dict]) -> None:
    """Raise a 400 naming every problem, if there are any."""
    if problems:
        raise bad_request(detail, problems)


def call_info(call: Call) -> dict:
    engine = call.engine
    info = {"uuid": engine.uuid, "conversation_uuid": engine.conversation_uuid,
            "to": {"type": "phone", "number": engine.to_number},
            "from": {"type": "phone", "number": engine.from_number},
            "status": engine.status, "direction": engine.direction,
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
