"""What a transfer to a new NCCO does to recordings, on the engine's virtual clock.

A blocking record is the action the transfer interrupts: it ends there. A non-blocking record
running in the background is the lab's assumption TRANSFER_KEEPS_BACKGROUND_RECORDING (no
source says); both readings are run here.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime

import pytest

from helpers import assumptions
from helpers.callees import PERSONAS
from helpers.simulator.engine import CallEngine

TALKER = "447700900001"  # answers after 1 s and talks


def engine(ncco: list[dict]) -> CallEngine:
    ids = (f"id-{n}" for n in itertools.count())
    return CallEngine(uuid="call", conversation_uuid="CON-1", to_number=TALKER,
                      from_number="447700900000", ncco=ncco, callee=PERSONAS[TALKER],
                      resolve_callee=PERSONAS.__getitem__, new_uuid=lambda: next(ids),
                      created_at=datetime(2026, 12, 1, tzinfo=UTC), event_url=None)


def transferred_at(ncco: list[dict], at: float) -> CallEngine:
    call = engine(ncco)
    call.advance(at)
    call.request("transfer", ncco=[{"action": "talk", "text": "You are being transferred."},
                                   {"action": "talk", "text": "Goodbye now, thank you."}])
    call.advance(math.inf)
    return call


def test_a_blocking_record_ends_at_the_transfer():
    call = transferred_at([{"action": "record", "timeOut": 60}], at=5)
    [rec] = call.recordings
    assert rec.end == pytest.approx(5) and rec.ended_by == "the call was transferred"


@pytest.mark.parametrize("keeps", [True, False])
def test_a_background_record_follows_the_lab_assumption(monkeypatch, keeps):
    monkeypatch.setattr(assumptions, "TRANSFER_KEEPS_BACKGROUND_RECORDING", keeps)
    call = transferred_at([{"action": "record"},
                           {"action": "talk", "text": "Please hold. " * 20}], at=5)
    [rec] = call.recordings
    if keeps:
        assert rec.end > 5 and rec.ended_by != "the call was transferred"
    else:
        assert rec.end == pytest.approx(5) and rec.ended_by == "the call was transferred"
