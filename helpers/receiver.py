"""The webhook receiver: a small HTTP server on loopback that keeps every event it is sent.

Each event is appended to a JSON-lines file and flushed to disk *before* the receiver answers
200, so a kernel restart loses nothing: a new `Receiver` (or `EventLog`) on the same file sees
the old events too. `EventLog.wait_for_*` waits for an event and, on timeout, says what did
arrive and what to check.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TERMINAL = {"completed", "busy", "cancelled", "failed", "rejected", "timeout", "unanswered"}
END_GRACE = 2.0  # seconds to wait for a late event once the call has ended otherwise
POLL = 0.1  # seconds between looks at the file (other processes may write to it too)


class EventTimeout(TimeoutError):
    """The event a test or lesson waited for did not arrive in time."""


def event_kind(record: dict) -> str:
    """A short name for what an event is: its status, 'record', 'input', ..."""
    if "recording_url" in record:
        return "record"
    for key in ("status", "type"):
        if isinstance(record.get(key), str) and record[key]:
            return record[key]
    if "dtmf" in record or "speech" in record:
        return "input"
    return "other"


class EventLog:
    """Every event a receiver stored, in a JSON-lines file; safe to share between threads."""

    def __init__(self, path: Path | str, source: str | None = None):
        self.path = Path(path)
        self.source = source  # where events should be sent (shown in messages); Receiver sets it
        self.skipped = 0  # lines that could not be read (e.g. torn by a crash)
        self._cond = threading.Condition(threading.RLock())
        self._records: list[dict] = []
        self._offset = 0
        self._generation = 0  # bumped by every local append, so waiters wake at once

    # --- writing ----
    def append(self, record: dict) -> None:
        """Add one event and flush it to disk before returning."""
        line = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8") + b"\n"
        with self._cond:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size and _last_byte(self.path, size) != b"\n":
                    line = b"\n" + line  # end a line torn by an earlier crash
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.path.parent)
            self._generation += 1
            self._cond.notify_all()

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
        return list(filter(_call_filter(records, uuid, conversation_uuid), records))

    def _refresh(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < self._offset:  # the file was replaced or truncated: read it again
                    self._records, self._offset = [], 0
                handle.seek(self._offset)
                data = handle.read(size - self._offset)
        except FileNotFoundError:
            self._records, self._offset = [], 0
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
            of_call = _call_filter(records, uuid, conversation_uuid)
            return next((r for r in records if "recording_url" in r and "recording_uuid" in r
                         and of_call(r)), None)
        what = _call_words(uuid, conversation_uuid)
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
        if ended is not None:
            lines = [f"Gave up waiting for {describe}: the call ended with status {ended!r} "
                     "first, so it will not come."]
        else:
            lines = [f"Waited {timeout:g} s for {describe}, but it did not arrive."]
        mine = list(filter(_call_filter(records, uuid, conversation_uuid), records))
        if uuid or conversation_uuid:
            lines.append(f"Events of this call: {len(mine)}" + (":" if mine else "."))
            lines += _table(mine)
        counts = Counter(event_kind(r) for r in records)
        summary = ", ".join(f"{kind} x{n}" for kind, n in counts.most_common(8)) or "none"
        lines.append(f"All events in {self.path} ({len(records)}): {summary}.")
        if not (uuid or conversation_uuid):
            lines += _table(records)
        lines.append("Check:")
        target = self.source or "this receiver's URL"
        filtered = bool(uuid or conversation_uuid)
        if not records or (filtered and not mine):
            lines.append(f"  - the call's event_url (and the NCCO's eventUrl) point at {target};")
        if filtered and not mine:
            lines.append("  - the uuid / conversation_uuid you wait for is the one create_call "
                         "returned;")
        ends = [r["status"] for r in mine if r.get("status") in TERMINAL - {"completed"}]
        if filtered and (ended or ends):
            lines.append(f"  - why the call ended with status {ended or ends[-1]!r} (a busy, "
                         "rejected or unanswered callee? a failed NCCO?);")
        if "record" in describe:
            lines.append("  - the NCCO has a record action whose eventUrl points at "
                         f"{target}, and the call was answered and ran long enough to record;")
            lines.append("  - the recording only arrives after the record action or the call "
                         "ends; raise timeout if the call is long.")
        else:
            lines.append("  - what you wait for (e.g. the spelling of the status), and raise "
                         "timeout if the call is slow.")
        return "\n".join(lines)


class Receiver:
    """Serve a webhook endpoint on loopback (plain HTTP) in a background thread."""

    def __init__(self, log_path: Path | str, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self.events = EventLog(log_path)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def event_url(self, path: str = "/events") -> str:
        """The full URL of `path` on this receiver, for event_url / eventUrl."""
        return self.url + ("" if path.startswith("/") else "/") + path

    def start(self) -> Receiver:
        """Start listening; return once the server accepts connections."""
        import uvicorn

        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if os.name != "nt":  # on Windows this would let two servers share the port
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(512)
            sock.setblocking(False)
        except OSError as err:
            sock.close()
            raise OSError(err.errno, f"The receiver cannot listen on {self.host} port "
                          f"{self.port} ({err.strerror}). Is another receiver (another notebook "
                          "kernel?) using it? Stop that one, or pick another port (0 = any free "
                          "port).") from err
        self.port = sock.getsockname()[1]
        if self.events.source is None:
            self.events.source = self.url
        config = uvicorn.Config(build_app(self.events), log_level="warning",
                                access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(server.serve(sockets=[sock]))
            except BaseException as err:  # reported by start() below
                failure.append(err)
            finally:
                loop.close()
                sock.close()

        self._server = server
        self._thread = threading.Thread(target=serve, name=f"receiver-{self.port}",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and not failure and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError(f"The receiver could not start on {self.url}: {failure}")
        return self

    def stop(self) -> None:
        """Stop serving; stored events stay in the file."""
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(2)
                if self._thread.is_alive():  # a client holds a connection open: stop anyway
                    self._server.force_exit = True
                    self._thread.join(5)
            self._server, self._thread = None, None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def build_app(events: EventLog):
    """The ASGI app: store each GET/POST to any path, then answer 200 `{}`."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def receive(request: Request) -> JSONResponse:
        if request.method == "POST":
            body = await request.body()
            if body.strip():
                try:
                    record = json.loads(body)
                except ValueError as err:
                    return JSONResponse({"title": "Bad Request", "detail": "The body is not "
                                         f"valid JSON ({err}); nothing was stored."},
                                        status_code=400)
                if not isinstance(record, dict):
                    return JSONResponse({"title": "Bad Request", "detail": "The body must be "
                                         "a JSON object; nothing was stored."}, status_code=400)
            else:
                record = {}
        else:
            record = dict(request.query_params)
        received: dict[str, Any] = {"method": request.method, "path": request.url.path,
                                    "at": datetime.now(UTC).isoformat(timespec="milliseconds")}
        if request.method == "POST" and request.query_params:
            received["query"] = dict(request.query_params)
        record["_received"] = received
        await run_in_threadpool(events.append, record)
        return JSONResponse({})

    return Starlette(routes=[Route("/{path:path}", receive, methods=["GET", "POST"])])


# --- helpers ---------------------------------------------------------------------------------
def _call_filter(records: list[dict], uuid: str | None,
                 conversation_uuid: str | None) -> Callable[[dict], bool]:
    """A test for 'this event belongs to call leg `uuid` / conversation'."""
    conversations = {r.get("conversation_uuid") for r in records
                     if uuid is not None and r.get("uuid") == uuid} - {None}

    def matches(record: dict) -> bool:
        if conversation_uuid is not None and record.get("conversation_uuid") != conversation_uuid:
            return False
        if uuid is None or record.get("uuid") == uuid:
            return True
        # record/transcription events name only the conversation
        return "uuid" not in record and record.get("conversation_uuid") in conversations
    return matches


def _table(records: list[dict], limit: int = 12) -> list[str]:
    rows = [f"  {'at':<12} {'request':<22} {'event':<14} call"]
    shown = records[-limit:]
    if len(records) > limit:
        rows.append(f"  ... {len(records) - limit} earlier events not shown")
    for r in shown:
        meta = r.get("_received") or {}
        at = str(meta.get("at", ""))[11:23]
        request = f"{meta.get('method', '?')} {meta.get('path', '?')}"[:22]
        call = str(r.get("uuid") or r.get("conversation_uuid") or "")[:18]
        rows.append(f"  {at:<12} {request:<22} {event_kind(r)[:14]:<14} {call}")
    return rows if records else []


def _call_words(uuid: str | None, conversation_uuid: str | None) -> str:
    if uuid:
        return f" for call {uuid}"
    if conversation_uuid:
        return f" in conversation {conversation_uuid}"
    return ""


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
