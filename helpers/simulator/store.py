"""The simulator's state on disk: one SQLite database (`state.db`, WAL) in the state folder.

What outlives a restart of the simulator lives here: finished calls (what GET /v1/calls
answers, their timeline with every event, and each delivery's outcome), recordings (file id
to file, call, end time), webhook deliveries not yet acknowledged (the outbox, retried after a
restart with their same event id) and small settings (the lab's last port). Nothing here knows
about HTTP or the call engine; the server writes through it and reads back from it.

One connection, shared by the simulator's threads under a lock; WAL with synchronous=NORMAL:
a killed process (SIGKILL) loses nothing that was committed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import assumptions

DB_FILE = "state.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL,
    media_type TEXT NOT NULL, ended_at TEXT NOT NULL, call_uuid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    uuid TEXT PRIMARY KEY, seq INTEGER NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL, conversation_uuid TEXT NOT NULL, summary TEXT NOT NULL,
    timeline TEXT NOT NULL, deliveries TEXT NOT NULL, pace REAL);
CREATE INDEX IF NOT EXISTS calls_seq ON calls (seq);
CREATE TABLE IF NOT EXISTS outbox (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, call_uuid TEXT NOT NULL,
    url TEXT NOT NULL, method TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class StoredFile:
    """A finished recording (or transcript) the files endpoint serves."""

    path: Path
    size: int
    media_type: str
    ended_at: datetime
    call_uuid: str

    def expires_at(self) -> datetime:
        return self.ended_at + timedelta(days=assumptions.RETENTION_DAYS)


@dataclass
class Delivery:
    """One webhook to deliver: its stable id (the same on every attempt), target and body."""

    event_id: str
    call_uuid: str
    url: str
    method: str
    payload: dict


class Store:
    """The state database of one state folder; recordings' files sit in `recordings_dir`."""

    def __init__(self, state_dir: Path, recordings_dir: Path):
        self.path = Path(state_dir) / DB_FILE
        self.recordings_dir = recordings_dir
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.path.chmod(0o600)  # like the keys: the folder's owner only
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        self._outbox_seq = self._one("SELECT COALESCE(MAX(seq), 0) FROM outbox")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple = ()) -> Any:
        rows = self._run(sql, args)
        return rows[0][0] if rows else None

    # --- files ----
    def add_file(self, file_id: str, stored: StoredFile) -> None:
        self._run("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                  (file_id, stored.path.name, stored.size, stored.media_type,
                   stored.ended_at.isoformat(), stored.call_uuid))

    def file(self, file_id: str) -> StoredFile | None:
        rows = self._run("SELECT name, size, media_type, ended_at, call_uuid FROM files "
                         "WHERE file_id = ?", (file_id,))
        if not rows:
            return None
        name, size, media_type, ended_at, call_uuid = rows[0]
        return StoredFile(self.recordings_dir / name, size, media_type,
                          datetime.fromisoformat(ended_at), call_uuid)

    def file_ids(self) -> list[str]:
        return [row[0] for row in self._run("SELECT file_id FROM files ORDER BY rowid")]

    def file_names(self) -> dict[str, str]:
        """Each stored file's name in the recordings folder, by file id."""
        return dict(self._run("SELECT file_id, name FROM files"))

    def remove_file(self, file_id: str) -> None:
        self._run("DELETE FROM files WHERE file_id = ?", (file_id,))

    # --- calls ----
    def save_call(self, *, uuid: str, seq: int, created_at: datetime, status: str,
                  conversation_uuid: str, summary: dict, timeline: dict,
                  deliveries: list[dict], pace: float | None) -> None:
        """Keep a call's record (replacing an earlier snapshot of the same call)."""
        self._run("INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (uuid, seq, created_at.isoformat(), status, conversation_uuid,
                   _json(summary), _json(timeline), _json(deliveries), pace))

    def call_summary(self, uuid: str) -> dict | None:
        rows = self._run("SELECT seq, summary, pace FROM calls WHERE uuid = ?", (uuid,))
        if not rows:
            return None
        seq, summary, pace = rows[0]
        return {**json.loads(summary), "seq": seq, "pace": pace}

    def call_summaries(self) -> Iterator[dict]:
        """Every stored call's summary, in the order the calls were created."""
        for seq, summary, pace in self._run("SELECT seq, summary, pace FROM calls ORDER BY seq"):
            yield {**json.loads(summary), "seq": seq, "pace": pace}

    def call_uuids(self) -> list[str]:
        return [row[0] for row in self._run("SELECT uuid FROM calls ORDER BY seq")]

    def call_story(self, uuid: str) -> tuple[dict, list[dict]]:
        """A stored call's timeline and delivery outcomes."""
        rows = self._run("SELECT timeline, deliveries FROM calls WHERE uuid = ?", (uuid,))
        if not rows:
            return {}, []
        return json.loads(rows[0][0]), json.loads(rows[0][1])

    def add_delivery_outcome(self, uuid: str, outcome: dict) -> None:
        """Add one delivery's outcome to a stored call (a delivery finished after a restart)."""
        with self._lock:
            rows = self._db.execute("SELECT deliveries FROM calls WHERE uuid = ?",
                                    (uuid,)).fetchall()
            if rows:
                self._db.execute("UPDATE calls SET deliveries = ? WHERE uuid = ?",
                                 (_json([*json.loads(rows[0][0]), outcome]), uuid))

    def last_call_seq(self) -> int:
        return self._one("SELECT COALESCE(MAX(seq), 0) FROM calls")

    # --- the outbox ----
    def queue(self, deliveries: list[Delivery]) -> None:
        """Keep webhooks to deliver, in order, until `done` is called for each."""
        with self._lock:
            self._db.execute("BEGIN")
            for item in deliveries:
                self._outbox_seq += 1
                self._db.execute("INSERT OR REPLACE INTO outbox VALUES (?, ?, ?, ?, ?, ?)",
                                 (item.event_id, self._outbox_seq, item.call_uuid, item.url,
                                  item.method, _json(item.payload)))
            self._db.execute("COMMIT")

    def done(self, event_id: str) -> None:
        self._run("DELETE FROM outbox WHERE event_id = ?", (event_id,))

    def pending(self) -> list[Delivery]:
        """Webhooks queued and never finished (the simulator stopped first), oldest first."""
        return [Delivery(event_id, call_uuid, url, method, json.loads(payload))
                for event_id, call_uuid, url, method, payload in self._run(
                    "SELECT event_id, call_uuid, url, method, payload FROM outbox ORDER BY seq")]

    # --- settings ----
    def setting(self, name: str, default: Any = None) -> Any:
        value = self._one("SELECT value FROM settings WHERE name = ?", (name,))
        return default if value is None else json.loads(value)

    def set_setting(self, name: str, value: Any) -> None:
        self._run("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, _json(value)))


def _json(value: Any) -> str:
    """Strict JSON (no NaN); anything else (a datetime, an infinite end) as its text."""
    try:
        return json.dumps(value, default=str, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: the slow walk, only then
        return json.dumps(_finite(value), default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return None if value != value else str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
