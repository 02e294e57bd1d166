"""Shared fixtures: one simulator and one receiver for the whole run, in a temporary home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HOME = Path(os.environ["RECORDING_LAB_HOME"])  # set by the repository's conftest.py

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def lab():
    from helpers.client import connect

    lab = connect(mode="simulator", events_file=HOME / "events.jsonl")
    yield lab
    lab.close()


@pytest.fixture(scope="session")
def sim(lab):
    return lab.simulator


@pytest.fixture
def downloads(tmp_path):
    return tmp_path / "downloads"


@pytest.fixture
def own_lab(tmp_path):
    """A Lab with a simulator and a receiver of its own, for tests that stop, flood or crowd
    them without touching the shared one."""
    from helpers.client import lab_for
    from helpers.simulator.server import Simulator

    sim = Simulator(state_dir=tmp_path / "sim")
    sim.start()
    lab = lab_for(sim, tmp_path / "events.jsonl")
    yield lab
    lab.receiver.stop()
    sim.stop()
