"""The one state-folder rule: the lab's state folder is 0700, recordings and secrets 0600.

Whatever the umask, and whatever mode a folder had before (a trainee's `chmod -R a+r`, a
folder made by hand), the simulator and connect() make the state folder owner-only again, and
every recording or transcript the simulator writes is readable by its owner only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helpers import calls
from helpers.client import connect, lab_for
from helpers.simulator.keys import ensure_credentials, ensure_private_dir
from helpers.simulator.server import Simulator

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
TALKER = "447700900001"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Create files as if the trainee's umask were 000 (everything world-readable)."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_ensure_private_dir_creates_and_repairs(tmp_path, open_umask):
    made = ensure_private_dir(tmp_path / "a" / "b" / "state")
    assert made == tmp_path / "a" / "b" / "state" and mode(made) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o777)
    assert mode(loose) == 0o777
    assert mode(ensure_private_dir(loose)) == 0o700
    os.chmod(loose, 0o500)  # too tight is repaired too: the lab must write in it
    assert mode(ensure_private_dir(loose)) == 0o700


def test_state_folder_mode_is_repaired_when_the_credentials_are_reused(tmp_path):
    state = tmp_path / "made-by-hand"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    first = ensure_credentials(state)
    assert mode(first.state_dir) == 0o700
    os.chmod(state, 0o777)
    assert mode(ensure_credentials(state).state_dir) == 0o700


def test_recordings_and_transcripts_are_owner_only_whatever_the_umask(tmp_path, open_umask):
    home = tmp_path / ".recording-lab"
    (home / "recordings").mkdir(parents=True, mode=0o777)
    os.chmod(home, 0o755)
    with Simulator(state_dir=home) as sim, lab_for(sim, tmp_path / "events.jsonl") as lab:
        assert mode(sim.credentials.state_dir) == 0o700
        assert mode(sim.recordings_dir) == 0o700
        ncco = [{"action": "record", "timeOut": 5, "format": "wav",
                 "transcription": {"language": "en-GB", "eventUrl": [lab.event_url("/tx")]}},
                {"action": "record", "timeOut": 3}]
        result = calls.run_call(lab, ncco, TALKER, folder=tmp_path / "downloads")
        assert len(result.record_events) == 2
        assert sim.wait_idle(30)
        written = sorted(p for p in sim.recordings_dir.iterdir())
        assert {p.suffix for p in written} == {".wav", ".mp3", ".json"}, written
        for path in written:
            assert mode(path) == 0o600, path
        for secret in (sim.credentials.private_key, sim.credentials.server_key,
                       sim.credentials.signature_secret_file):
            assert mode(secret) == 0o600


def test_connect_makes_the_state_folder_private(tmp_path, monkeypatch, sim):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    monkeypatch.setenv("RECORDING_LAB_HOME", str(home))
    lab = connect(mode="simulator")
    try:
        assert mode(home) == 0o700
        assert Path(lab.receiver.events.path).parent == home
    finally:
        lab.close()
