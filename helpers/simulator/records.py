"""The simulator's calls and files as mappings over memory and its database.

`Calls` holds the calls still running (or still delivering) in memory and reads every other
call back from the store: a finished call leaves memory once it is stored, so memory stays flat
over thousands of calls while GET /v1/calls/{uuid}, the list and the timeline still answer for
it, across restarts too. `Files` is the file-id index of recordings, kept only in the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .engine import CallEngine
from .store import Store, StoredFile

if TYPE_CHECKING:
    from .server import Call


class FinishedEngine:
    """What the API reads from a finished call's engine, rebuilt from its stored summary.

    Modify requests get the ended call's refusal of the live engine (its own methods)."""

    request = CallEngine.request
    check_modifiable = CallEngine.check_modifiable
    _check_answered = CallEngine._check_answered
    iso = CallEngine.iso

    def __init__(self, summary: dict, store: Store):
        self.uuid, self.conversation_uuid = summary["uuid"], summary["conversation_uuid"]
        self.to_number, self.from_number = summary["to_number"], summary["from_number"]
        self.status, self.direction = summary["status"], summary["direction"]
        self.answered, self.ended, self.t = summary["answered"], summary["ended"], summary["t"]
        self.created_at = datetime.fromisoformat(summary["created_at"])
        self.awaiting_ncco, self.log = False, []
        self._store = store

    def advance(self, until: float) -> None:
        """A finished call has nothing left to run."""

    def timeline(self) -> dict:
        return self._store.call_story(self.uuid)[0]


class FinishedCall:
    """A finished call read back from the store: the same surface as a live `Call`."""

    def __init__(self, summary: dict, store: Store):
        self.engine = FinishedEngine(summary, store)
        self.seq, self.pace = summary["seq"], summary["pace"]
        self.answer, self.started = None, 0.0
        self.cond = threading.Condition()
        self.delivered = threading.Event()
        self.delivered.set()
        self._store = store

    @property
    def deliveries(self) -> list[dict]:
        return self._store.call_story(self.engine.uuid)[1]

    def catch_up(self) -> FinishedCall:
        return self

    def virtual_now(self) -> float:
        """Where its clock stopped: the end of the call."""
        return self.engine.t


def summary(call: Call) -> dict:
    """What a stored call keeps besides its timeline: the fields the API answers with."""
    engine = call.engine
    return {"uuid": engine.uuid, "conversation_uuid": engine.conversation_uuid,
            "to_number": engine.to_number, "from_number": engine.from_number,
            "status": engine.status, "direction": engine.direction,
            "answered": engine.answered, "ended": engine.ended, "t": engine.t,
            "created_at": engine.created_at.isoformat()}


class Calls(Mapping):
    """Every call by uuid: running ones from memory (`live`), finished ones from the store."""

    def __init__(self, store: Store):
        self.store = store
        self.live: dict[str, Call] = {}
        self._lock = threading.Lock()

    def add(self, uuid: str, call: Call) -> None:
        with self._lock:
            self.live[uuid] = call

    def evict(self, uuid: str) -> None:
        """Forget a stored call in memory; reads go to the store from now on."""
        with self._lock:
            self.live.pop(uuid, None)

    def __getitem__(self, uuid: str) -> Call | FinishedCall:
        call = self.live.get(uuid)
        if call is not None:
            return call
        found = self.store.call_summary(uuid)
        if found is None:
            raise KeyError(uuid)
        return FinishedCall(found, self.store)

    def __iter__(self) -> Iterator[str]:
        return iter(self.in_order_uuids())

    def __len__(self) -> int:
        return len(self.in_order_uuids())

    def in_order_uuids(self) -> list[str]:
        stored = self.store.call_uuids()
        known = set(stored)
        return stored + [u for u, _ in sorted(self.live.items(), key=lambda kv: kv[1].seq)
                         if u not in known]

    def in_order(self) -> list[Call | FinishedCall]:
        """Every call in the order it was created (a stored snapshot yields to the live one)."""
        live = dict(self.live)
        calls: list[Any] = [live.pop(s["uuid"], None) or FinishedCall(s, self.store)
                            for s in self.store.call_summaries()]
        calls += sorted(live.values(), key=lambda c: c.seq)
        return sorted(calls, key=lambda c: c.seq)


class Files(MutableMapping):
    """Recordings and transcripts by file id, in the store (their bytes in the folder)."""

    def __init__(self, store: Store):
        self.store = store

    def __getitem__(self, file_id: str) -> StoredFile:
        found = self.store.file(file_id)
        if found is None:
            raise KeyError(file_id)
        return found

    def __setitem__(self, file_id: str, stored: StoredFile) -> None:
        self.store.add_file(file_id, stored)

    def __delitem__(self, file_id: str) -> None:
        self.store.remove_file(file_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self.store.file_ids())

    def __len__(self) -> int:
        return len(self.store.file_ids())

