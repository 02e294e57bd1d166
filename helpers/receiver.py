"""The webhook receiver: a small HTTP server on loopback that keeps every event it is sent.

Each event is appended to a JSON-lines file and flushed to disk *before* the receiver answers
200, so a kernel restart loses nothing: a new `Receiver` (or `EventLog`) on the same file sees
the old events too. `EventLog.wait_for_*` waits for an event and, on timeout, says what did
arrive and what to check. Given a signature secret, the receiver checks each event's signature
(see `signed_webhooks`) and refuses a forged or tampered one with 401, logging it in a separate
`<name>.rejected.jsonl` beside the log, so good events are never mixed with bad ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .assumptions import ANSWER_READ_TIMEOUT, ANSWER_SECONDS_HEADER, EVENT_ID_HEADER
from .event_text import TERMINAL, call_filter, call_words, describe_missing, event_kind
from .serving import ServeError, Serving, serve_in_thread

__all__ = ["TERMINAL", "AnswerBox", "EventLog", "EventTimeout", "Receiver", "build_app",
           "event_kind"]
logger = logging.getLogger(__name__)
MAX_KEPT_BODY = 2048  # characters of a refused body kept in the rejected log
MAX_REJECTED_LOG = 4 * 1024 * 1024  # bytes: past this, refusals are counted, not logged
REJECTED_PER_SECOND = 20  # refusals logged per second at most; the rest are counted
MAX_DEPTH = 32  # nesting of an event body: Vonage's events nest 3 deep
MAX_EVENT_ID = 100  # characters of a delivery id kept (the simulator's are 36)

END_GRACE = 2.0  # seconds to wait for a late event once the call has ended otherwise
POLL = 0.1  # seconds between looks at the file (other processes may write to it too)


class EventTimeout(TimeoutError):
    """The event a test or lesson waited for did not arrive in time."""


class EventLog:
    """Every event a receiver stored, in a JSON-lines file; safe to share between threads."""

    def __init__(self, path: Path | str, source: str | None = None):
        self.path = Path(path)
        self.source = source  # where events should be sent (shown in messages); Receiver sets it
        self.skipped = 0  # lines that could not be read (e.g. torn by a crash)
        self._cond = threading.Condition(threading.RLock())
        self._records: list[dict] = []
        self._ids: set[str] = set()  # every stored event's delivery id, to drop a repeat
        self._offset = 0
        self._generation = 0  # bumped by every local append, so waiters wake at once
        self.unlogged_rejections = 0  # refusals not written (rate or size limit of the log)
        self._window_start, self._window_count = 0.0, 0

    # --- writing ----
    @property
    def rejected_path(self) -> Path:
        """Where refused events go: `<name>.rejected.jsonl` beside the log."""
        return self.path.with_name(self.path.name.removesuffix(".jsonl") + ".rejected.jsonl")

    def append(self, record: dict) -> None:
        """Add one event and flush it to disk before returning."""
        with self._cond:
            _append_line(self.path, record)
            self._generation += 1
            self._cond.notify_all()

    def append_once(self, record: dict, event_id: str | None) -> bool:
        """Add one event unless an event with this delivery id is stored; True if added.

        The simulator sends each event with an id (header `assumptions.EVENT_ID_HEADER`) and
        retries when it hears no 200; a repeat of an event already on disk (the answer was
        lost, or the receiver was restarted) is answered 200 but not stored twice. The ids come
        from the file, so a new receiver on an old log knows them too.
        """
        with self._cond:
            if event_id:
                self._refresh()
                if event_id in self._ids:
                    return False
            self.append(record)
            return True

    def reject(self, request: dict, reason: str) -> bool:
        """Log a refused event (what came and why it was refused) in the rejected log.

        Anyone on this machine can send a forged event, so the log is bounded: at most
        REJECTED_PER_SECOND lines a second and MAX_REJECTED_LOG bytes; refusals past either are
        counted (`unlogged_rejections`) and the count is written with the next line logged.
        Returns True if this one was logged.
        """
        with self._cond:
            now = time.monotonic()
            if now - self._window_start >= 1.0:
                self._window_start, self._window_count = now, 0
            try:
                size = self.rejected_path.stat().st_size
            except FileNotFoundError:
                size = 0
            if self._window_count >= REJECTED_PER_SECOND or size >= MAX_REJECTED_LOG:
                self.unlogged_rejections += 1
                return False
            self._window_count += 1
            line = {"reason": reason, **request}
            if self.unlogged_rejections:
                line["unlogged_before"] = self.unlogged_rejections
                self.unlogged_rejections = 0
            _append_line(self.rejected_path, line)
            return True

    def rejections(self) -> list[dict]:
        """Every refused event, oldest first, each with its `reason`."""
        try:
            lines = self.rejected_path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for raw in lines:
            try:
                found.append(json.loads(raw))
            except ValueError:
                continue  # a line torn by a crash
        return [r for r in found if isinstance(r, dict)]

    def counts(self) -> dict[str, int]:
        """How many events were accepted and how many refused (both survive restarts)."""
        return {"accepted": len(self.all()), "rejected": len(self.rejections())}

    # --- reading ----
    def all(self) -> list[dict]:
        """Every stored event, oldest first."""
        with self._cond:
            self._refresh()
            return list(self._records)

    def for_call(self, *, uuid: str | None = None,
                 conversation_uuid: str | None = None) -> list[dict]:
        """The events of one call leg (`uuid`) and/or conversation, oldest first.

        Record and transcription events carry no call uuid, only the conversation's; they
        count as the call's when its status events name that conversation.
        """
        records = self.all()
        return list(filter(call_filter(records, uuid, conversation_uuid), records))

    def _refresh(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < self._offset:  # the file was replaced or truncated: read it again
                    self._records, self._ids, self._offset = [], set(), 0
                handle.seek(self._offset)
                data = handle.read(size - self._offset)
        except FileNotFoundError:
            self._records, self._ids, self._offset = [], set(), 0
            return
        end = data.rfind(b"\n") + 1  # only whole lines; a writer may be mid-line
        for raw in data[:end].splitlines():
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                self.skipped += 1
                continue
            if isinstance(record, dict):
                self._records.append(record)
                received = record.get("_received")
                if isinstance(received, dict) and isinstance(received.get("event_id"), str):
                    self._ids.add(received["event_id"])
        self._offset += end

    # --- waiting ----
    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 30.0,
                 describe: str = "a matching event") -> dict:
        """Return the first stored event for which `predicate` is true, waiting if needed."""
        return self._wait(lambda records: next(filter(predicate, records), None), timeout,
                          describe)

    def wait_for_record(self, *, conversation_uuid: str | None = None, uuid: str | None = None,
                        timeout: float = 30.0) -> dict:
        """Wait for a record event (it has recording_url and recording_uuid) of a call."""
        def find(records: list[dict]) -> dict | None:
            of_call = call_filter(records, uuid, conversation_uuid)
            return next((r for r in records if "recording_url" in r and "recording_uuid" in r
                         and of_call(r)), None)
        what = call_words(uuid, conversation_uuid)
        return self._wait(find, timeout, f"a record event{what}", uuid=uuid,
                          conversation_uuid=conversation_uuid)

    def wait_for_status(self, uuid: str, status: str, timeout: float = 30.0) -> dict:
        """Wait for the status event `status` (e.g. 'answered') of call leg `uuid`."""
        def ended_otherwise(records: list[dict]) -> str | None:
            ends = [r["status"] for r in records if r.get("uuid") == uuid
                    and r.get("status") in TERMINAL and r.get("status") != status]
            return ends[-1] if ends else None
        def find(records: list[dict]) -> dict | None:
            return next((r for r in records
                         if r.get("uuid") == uuid and r.get("status") == status), None)
        return self._wait(find, timeout, f"status {status!r} for call {uuid}", uuid=uuid,
                          gave_up=ended_otherwise)

    def _wait(self, find: Callable[[list[dict]], dict | None], timeout: float, describe: str,
              *, uuid: str | None = None, conversation_uuid: str | None = None,
              gave_up: Callable[[list[dict]], str | None] | None = None) -> dict:
        deadline = time.monotonic() + timeout
        ended, ended_at = None, 0.0
        while True:
            with self._cond:
                self._refresh()
                records, generation = list(self._records), self._generation
            found = find(records)
            if found is not None:
                return found
            now = time.monotonic()
            if gave_up is not None and ended is None:
                ended, ended_at = gave_up(records), now
            if (ended is not None and now - ended_at >= END_GRACE) or now >= deadline:
                break
            with self._cond:
                if self._generation == generation:
                    self._cond.wait(min(POLL, deadline - now))
        raise EventTimeout(self._explain(describe, timeout, records, uuid, conversation_uuid,
                                         ended))

    def _explain(self, describe: str, timeout: float, records: list[dict], uuid: str | None,
                 conversation_uuid: str | None, ended: str | None) -> str:
        return describe_missing(describe, timeout, records, uuid=uuid,
                                conversation_uuid=conversation_uuid, ended=ended,
                                log=self.path, target=self.source,
                                refused=self.rejections(), refused_log=self.rejected_path)


ANSWER_PATH = "/answer"  # where the receiver serves the application's answer webhook
MAX_ANSWER_REQUESTS = 1000  # answer requests kept in memory (oldest dropped)
MAX_ANSWER_DELAY = 2 * ANSWER_READ_TIMEOUT  # long enough to time out Vonage's default wait


class AnswerBox:
    """What the receiver answers on ANSWER_PATH: a fixed NCCO, or a Python function of the
    answer request (a dict: `to`, `from`, `uuid`, `conversation_uuid`, ...) that returns one.

    The answer webhook must return an NCCO (Voice API webhook reference, "Answer webhook":
    https://developer.vonage.com/en/voice/voice-api/webhook-reference). NCCO actions may be
    dicts or the SDK's models (`vonage_voice.models.ncco.Talk`, ...), dumped as the SDK does
    (`model_dump(by_alias=True, exclude_none=True)`). Unset (None), the path is an ordinary
    event path again.
    """

    def __init__(self):
        self.source: Any = None
        self.delay = 0.0  # seconds the answer waits before it is sent (a slow answer URL)
        self.requests: list[dict] = []  # each answer request, and what was answered
        self._lock = threading.Lock()

    def set(self, ncco_or_function: Any, delay: float = 0.0) -> None:
        """Serve `ncco_or_function`, each answer sent `delay` seconds after the request."""
        if ncco_or_function is not None and not callable(ncco_or_function):
            ncco_as_json(ncco_or_function)  # refuse a bad fixed NCCO now, not at call time
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or \
                not 0 <= delay <= MAX_ANSWER_DELAY:
            raise ValueError(f"delay must be a number of seconds from 0 to "
                             f"{MAX_ANSWER_DELAY:g}; you gave {delay!r}.")
        self.source, self.delay = ncco_or_function, float(delay)

    def answer(self, request: dict) -> tuple[int, Any]:
        """(HTTP status, body) for one answer request; a failing function gives 500."""
        source = self.source
        entry: dict[str, Any] = {"request": request}
        try:
            result = source(dict(request)) if callable(source) else source
            body, status = ncco_as_json(result), 200
            entry["ncco"] = body
        except Exception as err:  # the trainee's function: say what went wrong, answer 500
            status = 500
            body = {"title": "Answer function failed",
                    "detail": f"{type(err).__name__}: {err}"[:500]}
            entry["error"] = body["detail"]
        with self._lock:
            self.requests.append(entry)
            del self.requests[:-MAX_ANSWER_REQUESTS]
        return status, body


def ncco_as_json(ncco: Any) -> list:
    """An NCCO as JSON: a list of actions (dicts or SDK models); TypeError if it is not one."""
    if isinstance(ncco, dict) or hasattr(ncco, "model_dump"):
        ncco = [ncco]  # one action on its own
    if not isinstance(ncco, (list, tuple)):
        raise TypeError(f"an answer must be an NCCO: a list of actions, not "
                        f"{type(ncco).__name__}")
    actions = []
    for i, action in enumerate(ncco):
        if hasattr(action, "model_dump"):
            action = action.model_dump(by_alias=True, exclude_none=True)
        if not isinstance(action, dict):
            raise TypeError(f"NCCO action {i} must be a dict (or an SDK NCCO model), not "
                            f"{type(action).__name__}")
        actions.append(action)
    return actions


class Receiver:
    """Serve a webhook endpoint on loopback (plain HTTP) in a background thread."""

    def __init__(self, log_path: Path | str, host: str = "127.0.0.1", port: int = 0,
                 signature_secret: str | None = None):
        self.host, self.port = host, port
        self.events = EventLog(log_path)
        self.signature_secret = signature_secret or None  # None: accept events unchecked
        self.answers = AnswerBox()  # what ANSWER_PATH serves once lab.answer(...) sets it
        self._serving: Serving | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def event_url(self, path: str = "/events") -> str:
        """The full URL of `path` on this receiver, for event_url / eventUrl."""
        return self.url + ("" if path.startswith("/") else "/") + path

    @property
    def verifies(self) -> bool:
        """True when events must carry a valid signature."""
        return self.signature_secret is not None

    def counts(self) -> dict[str, int]:
        """Accepted and refused events so far (from the files, so restarts keep them)."""
        return self.events.counts()

    def start(self) -> Receiver:
        """Start listening; return once the server accepts connections."""
        if self._serving is not None:
            return self
        app = build_app(self.events, self.signature_secret, self.answers)
        try:
            self._serving = serve_in_thread(app, self.host, self.port, name="receiver")
        except OSError as err:
            raise OSError(err.errno, f"The receiver cannot listen on {self.host} port "
                          f"{self.port} ({err.strerror}). Is another receiver (another notebook "
                          "kernel?) using it? Stop that one, or pick another port (0 = any free "
                          "port).") from err
        except ServeError as err:
            self.port = err.port
            raise RuntimeError(f"The receiver could not start on {self.url}: "
                               f"{err.failures}") from err
        self.port = self._serving.port
        if self.events.source is None:
            self.events.source = self.url
        return self

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._serving is not None

    def stop(self) -> None:
        """Stop serving; stored events stay in the file."""
        if self._serving is not None:
            self._serving.stop(grace=2)
            self._serving = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_app(events: EventLog, signature_secret: str | None = None,
              answers: AnswerBox | None = None):
    """The ASGI app: store each GET/POST to any path, then answer 200 `{}`.

    With a `signature_secret`, an event whose signature or payload hash does not check out is
    answered 401 and logged in the rejected log instead. With `answers` set, ANSWER_PATH
    answers with its NCCO instead (signature checked the same way); answer requests are kept
    in `answers.requests`, not in the event log.
    """
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from . import signed_webhooks

    def signature_check(request: Request, body: bytes):
        """The signed-webhook check of one request (POST: its body; GET: its query), or None
        when this receiver verifies nothing."""
        if signature_secret is None:
            return None
        signed = body if request.method == "POST" else signed_webhooks.query_body(
            request.query_params)
        return signed_webhooks.verify(request.headers.get("authorization"), signed,
                                      signature_secret)

    async def receive(request: Request) -> JSONResponse:
        body = await request.body() if request.method == "POST" else b""
        received: dict[str, Any] = {"method": request.method, "path": request.url.path,
                                    "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        if request.query_params:
            received["query"] = dict(request.query_params)
        check = signature_check(request, body)
        if check is not None:
            if not check:
                text = body.decode("utf-8", "replace")
                refused = {**received, "body": text[:MAX_KEPT_BODY]}
                await run_in_threadpool(events.reject, refused, check.reason)
                logger.info("refused a webhook to %s: %s", request.url.path, check.reason)
                return JSONResponse({"title": "Unauthorized", "reason": check.reason,
                                     "detail": f"The event was refused: {check.reason}. It was "
                                     f"logged in {events.rejected_path.name}, not stored."},
                                    status_code=401)
            received["signature"] = "verified"
        if request.method == "POST":
            if body.strip():
                try:
                    record = strict_json(body)
                except ValueError as err:
                    return JSONResponse({"title": "Bad Request", "detail": "The body is not "
                                         f"valid JSON ({str(err)[:200]}); nothing was stored."},
                                        status_code=400)
                if not isinstance(record, dict):
                    return JSONResponse({"title": "Bad Request", "detail": "The body must be "
                                         "a JSON object; nothing was stored."}, status_code=400)
            else:
                record = {}
        else:
            record = dict(request.query_params)
            received.pop("query", None)
        event_id = request.headers.get(EVENT_ID_HEADER)
        if event_id:
            received["event_id"] = event_id[:MAX_EVENT_ID]
        record["_received"] = received
        await run_in_threadpool(events.append_once, record, received.get("event_id"))
        return JSONResponse({})

    async def answer(request: Request) -> JSONResponse:
        if answers is None or answers.source is None:
            return await receive(request)  # no answer set: an ordinary event path
        body = await request.body() if request.method == "POST" else b""
        check = signature_check(request, body)
        if check is not None and not check:
            return JSONResponse({"title": "Unauthorized", "reason": check.reason},
                                status_code=401)
        try:
            fields = strict_json(body) if body.strip() else dict(request.query_params)
            if not isinstance(fields, dict):
                raise ValueError("the answer request must be a JSON object")
        except ValueError as err:
            return JSONResponse({"title": "Bad Request", "detail": str(err)[:200]},
                                status_code=400)
        delay = answers.delay
        started = time.monotonic()
        status, reply = await run_in_threadpool(answers.answer, fields)
        if not delay:
            return JSONResponse(reply, status_code=status)
        # A slow answer URL: really wait (so it is slow live too), and say how long in the
        # lab's header, which the simulator's virtual clock counts instead of measuring.
        await asyncio.sleep(max(0.0, delay - (time.monotonic() - started)))
        return JSONResponse(reply, status_code=status,
                            headers={ANSWER_SECONDS_HEADER: f"{delay:g}"})

    return Starlette(routes=[Route(ANSWER_PATH, answer, methods=["GET", "POST"]),
                             Route("/{path:path}", receive, methods=["GET", "POST"])])


# --- strict JSON ----------------------------------------------------------------------------
def _not_json(token: str) -> float:
    raise ValueError(f"{token} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large for a number")
    return value


def strict_json(raw: bytes | str) -> Any:
    """Parse JSON as JSON is written (no NaN or Infinity), nested at most MAX_DEPTH deep."""
    try:
        value = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
    except RecursionError:
        raise ValueError(f"it nests deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"it is not UTF-8 ({err.reason})") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return value


# --- files ----------------------------------------------------------------------------------
def _append_line(path: Path, record: dict) -> None:
    """Append one JSON line and fsync it (and, for a new file, its folder)."""
    line = json.dumps(record, ensure_ascii=False, default=str, allow_nan=False).encode(
        "utf-8", "backslashreplace") + b"\n"  # strict JSON; a lone surrogate stays readable
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and _last_byte(path, size) != b"\n":
            line = b"\n" + line  # end a line torn by an earlier crash
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
