"""Placing test calls and fetching what they produced, the same way in both modes.

Each helper is a thin wrapper over what a customer's code would do with the SDK, so a trainee
can read it and copy it: create the call with `voice.create_call`, wait for the record event
on the webhook receiver, download the file with the application's JWT.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from vonage_http_client.errors import HttpRequestError
from vonage_voice.models.requests import CreateCallRequest
from vonage_voice.models.responses import CreateCallResponse

from . import assumptions, rules
from .call_timeline import CallTimeline
from .callees import DEFAULT_CALLEE, Callee, parse_callee
from .client import SIMULATOR_NUMBER, Lab
from .event_text import TERMINAL as TERMINAL_STATUSES
from .files import atomic_write

SUFFIXES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/wav": ".wav", "audio/x-wav": ".wav",
            "audio/ogg": ".ogg", "application/json": ".json"}


class RecordingDownloadError(RuntimeError):
    """A recording could not be fetched; the message says why and what to do."""


#: What a 404 on a recording_url means: the answer cannot tell the two apart (§4.7; see
#: assumptions.FILE_NOT_FOUND_DETAIL). The download loop reports it in these words.
NOT_FOUND_MEANING = (f"404: expired (older than {assumptions.RETENTION_DAYS} days?) "
                     "or a wrong URL")
REFUSED = "the SDK's NCCO models cannot take this NCCO as written: "


def _normalise(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: getattr(v, "value", str(v))))


def sdk_changes(ncco: list[dict]) -> list[str]:
    """What the SDK's NCCO models would drop or change in this NCCO, in plain words."""
    try:
        request = CreateCallRequest(ncco=ncco, to=[{"type": "phone", "number": "447700900001"}],
                                    random_from_number=True)
    except Exception as err:  # pydantic's ValidationError or the SDK's own NccoActionError
        reason = str(err).splitlines()[-1 if "validation error" in str(err) else 0][:160]
        if "from_" in reason:
            reason += " (its Connect model reads `from_`; the JSON key is `from`)"
        return [f"{REFUSED}{reason}"]
    sent = _normalise(request.model_dump(by_alias=True, exclude_none=True)["ncco"])
    changes = []
    for index, (mine, theirs) in enumerate(zip(_normalise(ncco), sent, strict=True)):
        for key, value in mine.items():
            if key not in theirs:
                changes.append(f"action {index} ({mine.get('action')}): the SDK drops {key}")
            elif theirs[key] != value:
                changes.append(f"action {index} ({mine.get('action')}): the SDK changes {key} "
                               f"from {json.dumps(value)} to {json.dumps(theirs[key])}")
        for key in theirs.keys() - mine.keys():
            changes.append(f"action {index} ({mine.get('action')}): the SDK adds "
                           f"{key}={json.dumps(theirs[key])}")
    return changes


def place_call(lab: Lab, ncco: list[dict], to: str = "447700900001", *,
               event_url: str | None = None, quiet: bool = False,
               **options: Any) -> CreateCallResponse:
    """Create an outbound call running `ncco` through the SDK, events to the lab's receiver.

    When the SDK's models would drop part of the NCCO (e.g. `transcription`), the same request
    is sent as plain JSON through the SDK's HTTP client instead, and a note says so.
    """
    problems = rules.validate(ncco)
    if problems:
        raise ValueError("This NCCO is not valid:\n" + "\n".join(f"  - {p}" for p in problems))
    caller = getattr(lab, "from_number", SIMULATOR_NUMBER)
    body = {"ncco": ncco, "to": [{"type": "phone", "number": to}],
            **({"from_": {"type": "phone", "number": caller}} if caller
               else {"random_from_number": True}),
            "event_url": [event_url or lab.event_url()], **options}
    changes = [c for c in sdk_changes(ncco) if "adds split" not in c]
    if not changes:
        return lab.voice.create_call(CreateCallRequest(**body))
    if not quiet:
        what = changes[0] if changes[0].startswith(REFUSED) else (
            "the SDK's models would alter this NCCO: " + "; ".join(changes))
        print(f"Note: {what}. So it is sent as plain JSON through the SDK's HTTP client.")
    if "from_" in body:
        body["from"] = body.pop("from_")
    response = lab.vonage.http_client.post(lab.api_host, "/v1/calls", body)
    return CreateCallResponse(**response)


def wait_for_recording(lab: Lab, call: CreateCallResponse | dict, timeout: float = 60.0,
                       nth: int = 1) -> dict:
    """The call's record event (the `nth`, in order of arrival) from the receiver."""
    conversation = _field(call, "conversation_uuid")
    if nth == 1:
        return lab.events.wait_for_record(conversation_uuid=conversation, timeout=timeout)

    def is_nth(record: dict) -> bool:
        if "recording_url" not in record or record.get("conversation_uuid") != conversation:
            return False
        mine = [r for r in lab.events.all() if "recording_url" in r
                and r.get("conversation_uuid") == conversation]
        return len(mine) >= nth and mine[nth - 1] == record

    return lab.events.wait_for(is_nth, timeout=timeout,
                               describe=f"record event #{nth} of conversation {conversation}")


def wait_until_ended(lab: Lab, call: CreateCallResponse | dict, timeout: float = 60.0) -> dict:
    """The call's final status event (completed, busy, unanswered, ...)."""
    uuid = _field(call, "uuid")
    return lab.events.wait_for(
        lambda record: record.get("uuid") == uuid and record.get("status") in TERMINAL_STATUSES,
        timeout=timeout, describe=f"the final status event of call {uuid}")


@dataclass
class CallResult:
    """Everything one test call produced: the call, its events, recordings and timeline."""

    call: CreateCallResponse
    ncco: list[dict]
    to: str
    record_events: list[dict]
    files: list[Path]
    final_status: dict
    timeline: CallTimeline | None  # simulator only

    @property
    def events(self) -> list[dict]:
        """Every webhook of this call that reached the receiver, oldest first."""
        return self._lab.events.for_call(uuid=self.call.uuid,
                                         conversation_uuid=self.call.conversation_uuid)


def run_call(lab: Lab, ncco: list[dict], to: str = "447700900001", *,
             folder: str | Path = "recordings", timeout: float = 120.0, quiet: bool = True,
             **options: Any) -> CallResult:
    """Place a call, wait for it to end and for every recording, download them all."""
    call = place_call(lab, ncco, to, quiet=quiet, **options)
    final = wait_until_ended(lab, call, timeout)
    expected = None
    if lab.simulator is not None:
        wait_idle(lab, timeout)
        story = timeline(lab, call)
        expected = sum(1 for e in story.events if e["kind"] == "record" and e["url"]
                       and e["url"].startswith(lab.event_url("")))
    else:
        story = None
        expected = sum(1 for a in ncco if a.get("action") == "record" or
                       (a.get("action") == "conversation" and a.get("record")))
    record_events = [wait_for_recording(lab, call, timeout, nth=n + 1)
                     for n in range(expected)]
    files = [download_recording(lab, event, folder) for event in record_events]
    result = CallResult(call, ncco, to, record_events, files, final, story)
    result._lab = lab
    return result


def _field(call: Any, name: str) -> str:
    return call[name] if isinstance(call, dict) else getattr(call, name)


def download_recording(lab: Lab, record_event: dict, folder: str | Path = "recordings",
                       filename: str | None = None) -> Path:
    """Fetch a recording with the application's JWT, atomically, in either mode.

    The SDK's own `download_recording` refuses hosts other than Vonage's, so this uses the
    SDK's HTTP session and auth directly. The file is streamed into a temporary `.part` file of
    its own (`files.atomic_write`: a name no other download shares, in this process or
    another), its byte count checked against the event's `size`, then renamed into place in
    one step. A failed or short download leaves nothing behind.
    """
    url, expected = current_url(lab, record_event["recording_url"]), record_event.get("size")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    http = lab.vonage.http_client
    headers = {"User-Agent": http.user_agent, "Authorization": http.auth.create_jwt_auth_string()}
    try:
        with http._session.get(url, headers=headers, stream=True, timeout=60) as reply:
            if reply.status_code >= 400:
                raise RecordingDownloadError(_explain_failure(reply))
            suffix = SUFFIXES.get(reply.headers.get("Content-Type", "").split(";")[0], ".mp3")
            target = folder / (filename or f"{record_event['recording_uuid']}{suffix}")
            atomic_write(target, lambda part: _stream_into(reply, part, expected), mode=0o600,
                         fsync=True)
    except requests.RequestException as err:  # the host could not be reached
        raise RecordingDownloadError(f"Could not fetch {url} ({type(err).__name__}). "
                                     "Nothing was saved; try again.") from None
    return target


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def current_url(lab: Lab, url: str) -> str:
    """A recording URL an earlier run of the lab's simulator gave, on the simulator running
    now: the same path with the current host and port, when the URL's own port no longer
    answers (the simulator could not have its old port back) or the current simulator knows
    the file. Any other URL (live mode, another host) is left as it is."""
    simulator = getattr(lab, "simulator", None)  # a bare stand-in for a lab has none
    if simulator is None:
        return url
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK or parts.netloc == lab.api_host or \
            not parts.path.startswith("/v1/files/"):
        return url
    moved = urlunsplit((parts.scheme, lab.api_host, parts.path, parts.query, ""))
    if parts.path.rsplit("/", 1)[1] in simulator.files:
        return moved
    try:
        socket.create_connection((parts.hostname, parts.port or 443), timeout=0.5).close()
    except OSError:  # nothing listens there any more
        return moved
    return url


def _stream_into(reply: requests.Response, part: Path, expected: int | str | None) -> None:
    """Write the reply's body into `part`; raise if it is cut or not the event's `size`."""
    with part.open("wb") as out:
        try:
            for chunk in reply.iter_content(chunk_size=1 << 16):
                out.write(chunk)
        except requests.RequestException as err:  # cut, reset or torn mid-stream
            raise RecordingDownloadError(
                f"The download was cut off after {out.tell()} of {expected or '?'} bytes "
                f"({type(err).__name__}). Nothing was saved; try again.") from None
        got = out.tell()
    if expected is not None and got != int(expected):
        how = "stopped short" if got < int(expected) else "was longer than the event says"
        raise RecordingDownloadError(f"The download {how}: {got} of {expected} "
                                     "bytes arrived. Nothing was saved; try again.")


def _explain_failure(reply) -> str:
    # The status code decides (below); the body is only quoted, and its shape varies (fact
    # sheet §4.6: RFC 7807 `detail`/`title`, or `error_title` as a support article quotes).
    try:
        body = reply.json()
        body = body if isinstance(body, dict) else {}
        detail = (body.get("detail") or body.get("title") or body.get("error_title")
                  or reply.text[:200])
    except ValueError:
        detail = reply.text[:200]
    if reply.status_code == 401:
        return (f"401 Unauthorized: {detail} Recordings can only be fetched with a JWT of the "
                "application that made the call.")
    if reply.status_code == assumptions.EXPIRED_RECORDING_STATUS:
        # The status says it all: Vonage documents 30 days of retention (fact sheet §4.7) and
        # no body that tells an expired recording from a wrong URL (FILE_NOT_FOUND_DETAIL).
        return (f"{NOT_FOUND_MEANING}. Vonage keeps a recording {assumptions.RETENTION_DAYS} "
                "days after it ends; use the recording_url of its record event as it came. "
                f"(The API said: {detail})")
    return f"{reply.status_code}: {detail}"


def _sim_path(lab: Lab, path: str) -> str:
    if lab.simulator is None:
        raise RuntimeError("This needs the simulator: live Vonage has no such control.")
    return path


# --- the simulator's control endpoints (`/_sim/...`): the only way the lab drives it --------

def timeline(lab: Lab, call: CreateCallResponse | dict | str) -> CallTimeline:
    """The simulator's timeline of a call: actions, recording windows, key presses, events."""
    return CallTimeline.from_json(lab.vonage.http_client.get(
        lab.api_host, _sim_path(lab, f"/_sim/calls/{_uuid(call)}/timeline")))


def _uuid(call: CreateCallResponse | dict | str) -> str:
    return call if isinstance(call, str) else _field(call, "uuid")


IDLE_POLL_SECONDS = 5.0  # each long poll stays well inside the SDK's HTTP read time-out


def wait_idle(lab: Lab, timeout: float = 60.0) -> bool:
    """Wait until every simulated call has ended and delivered its events; False on time-out."""
    deadline = time.monotonic() + timeout
    while True:
        left = max(0.0, deadline - time.monotonic())
        reply = lab.vonage.http_client.post(lab.api_host, _sim_path(lab, "/_sim/idle"),
                                            {"timeout": min(left, IDLE_POLL_SECONDS)})
        if reply["idle"] or left <= IDLE_POLL_SECONDS:
            return bool(reply["idle"])


def set_pace(lab: Lab, pace: float | None, call: CreateCallResponse | dict | str | None = None
             ) -> float | None:
    """Run new calls (or one running `call`) at `pace`: 1 is real time, None as fast as
    possible. Returns the pace that was set before."""
    if call is None:
        previous = lab.vonage.http_client.get(lab.api_host, _sim_path(lab, "/_sim/pace"))
        lab.vonage.http_client.put(lab.api_host, "/_sim/pace", {"pace": pace})
        return previous["pace"]
    path = _sim_path(lab, f"/_sim/calls/{_uuid(call)}/pace")
    return lab.vonage.http_client.put(lab.api_host, path, {"pace": pace})["pace"]


@contextmanager
def paced(lab: Lab, pace: float | None = 1.0) -> Iterator[None]:
    """Calls created inside this block run at `pace` (1.0: real time, like a real call)."""
    previous = set_pace(lab, pace)
    try:
        yield
    finally:
        set_pace(lab, previous)


def get_callee(lab: Lab, number: str) -> tuple[Callee, bool]:
    """The scripted phone that answers `number`, and whether it is the default (nobody
    scripted that number)."""
    body = lab.vonage.http_client.get(lab.api_host, _sim_path(lab, f"/_sim/callees/{number}"))
    return parse_callee(number, body), body == DEFAULT_CALLEE.as_json()


def set_callee(lab: Lab, number: str, script: list[dict], answer_after: float | None = 1.0,
               busy: bool = False, network: dict | None = None) -> dict:
    """Script the phone at `number`: ring time, then speak / silence / press / hangup steps;
    `network` (e.g. {"jitter_ms": 80, "loss": 0.05}) degrades its audio as a bad line would."""
    body = {"answer_after": answer_after, "script": script}
    if busy:
        body["busy"] = True
    if network is not None:
        body["network"] = network
    try:
        return lab.vonage.http_client.put(lab.api_host,
                                          _sim_path(lab, f"/_sim/callees/{number}"), body)
    except HttpRequestError as err:
        raise ValueError(_problems_text(err)) from None


def advance_clock(lab: Lab, days: float = 0, seconds: float = 0) -> str:
    """Move the simulator's wall clock forward (to see retention at work)."""
    reply = lab.vonage.http_client.post(lab.api_host, _sim_path(lab, "/_sim/clock"),
                                        {"advance_seconds": days * 86400 + seconds})
    return reply["now"]


def _problems_text(err: HttpRequestError) -> str:
    try:
        body = err.response.json()
    except (ValueError, AttributeError):
        return str(err)
    lines = [body.get("detail", "Bad request")]
    lines += [f"  - {p.get('name')}: {p.get('reason')}" for p in body.get("invalid_parameters",
                                                                        [])]
    return "\n".join(lines)
