"""`POST /_sim/inbound`: someone rings the application's number.

Body `{"from": "<caller>", "to": "<the application's number>"}`; answer 201 `{"uuid",
"conversation_uuid"}`. The caller behaves as the callee script set for `from` with
`PUT /_sim/callees/{number}` (its times count from the answer). As on Vonage, the application's
answer URL is requested when the call is answered (GET with `to`, `from`, `uuid`,
`conversation_uuid`, `endpoint_type`, `region_url` in the query, or a JSON body when its
`http_method` is POST; Voice API webhook reference, "Answer webhook",
https://developer.vonage.com/en/voice/voice-api/webhook-reference), its NCCO runs, and events
go to the application's `event_url` with `direction: inbound`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import outbound
from ..bodies import _invalid, read_json
from .common import refuse, requires_jwt, simulator

FIELDS = ("from", "to")


def inbound_problems(body, number: str, answer_url: str | None) -> list[dict]:
    """Each bad field of an inbound-call request, and a missing or unreachable answer URL."""
    if not isinstance(body, dict):
        return [_invalid("body", body, 'The body must be a JSON object: {"from": "<caller>", '
                         f'"to": "{number}"}}.')]
    problems = [_invalid(k, v, f"Unknown field {k!r}; known: from, to.")
                for k, v in body.items() if k not in FIELDS]
    caller = body.get("from")
    if not (isinstance(caller, str) and caller.isdigit() and 7 <= len(caller) <= 15):
        problems.append(_invalid("from", caller, "from is required: the caller's number, 7 to "
                                 "15 digits (E.164 without +).", "447700900001"))
    if body.get("to") != number:
        problems.append(_invalid("to", body.get("to"), f"to must be the application's number, "
                                 f"{number} (the ready line's number).", number))
    if answer_url is None:
        problems.append(_invalid("capabilities.voice.webhooks.answer_url", None,
                                 "The application has no answer_url: set it first with PUT "
                                 "/v2/applications/{application_id} (the SDK's "
                                 "client.application.update_application), or lab.answer(...)."))
    else:
        refused = outbound.refusal(answer_url)
        if refused:
            problems.append(_invalid("capabilities.voice.webhooks.answer_url",
                                     answer_url[:200], refused))
    return problems


@requires_jwt
async def inbound_call(request: Request) -> Response:
    sim = simulator(request)
    body = await read_json(request)
    answer = sim.application.webhook("answer_url")
    problems = inbound_problems(body, sim.credentials.number,
                                None if answer is None else answer.address)
    refuse("The inbound call cannot be made: " + "; ".join(p["name"] for p in problems) + ".",
           problems)
    call = sim.create_inbound(body["from"])
    return JSONResponse({"uuid": call.engine.uuid,
                         "conversation_uuid": call.engine.conversation_uuid}, status_code=201)
