"""Shared fixtures: one simulator and one receiver for the whole run, in a temporary home."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Before any helper is imported: keys, recordings and events of tests live in a temp folder,
# and a trainer's live credentials in the environment never reach a test.
HOME = Path(tempfile.mkdtemp(prefix="recording-lab-tests-"))
os.environ["RECORDING_LAB_HOME"] = str(HOME)
os.environ["RECORDING_LAB_MODE"] = "simulator"

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
