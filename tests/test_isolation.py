"""A class on one server: three trainees' simulators side by side do not see each other.

Each trainee's kernel has its own simulator (own state dir: application id, keys, CA, signature
secret, recordings) on its own loopback port, and its own receiver and event log.
"""

from __future__ import annotations

import stat
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from vonage_http_client.errors import AuthenticationError, NotFoundError

from helpers import calls
from helpers.client import Lab, _sdk_client, lab_for
from helpers.simulator.server import Simulator

NCCO = [{"action": "record", "timeOut": 3}]


@dataclass
class Trainee:
    name: str
    sim: Simulator
    lab: Lab


@pytest.fixture(scope="module")
def trainees(tmp_path_factory):
    with ExitStack() as stack:
        people = []
        for name in ("ana", "ben", "chloe"):
            home = tmp_path_factory.mktemp(name) / ".recording-lab"
            sim = Simulator(state_dir=home)
            stack.enter_context(sim)
            lab = stack.enter_context(lab_for(sim, home / "events-simulator.jsonl"))
            people.append(Trainee(name, sim, lab))
        yield people


@pytest.fixture(scope="module")
def results(trainees, tmp_path_factory):
    """One finished call with a recording per trainee."""
    return {t.name: calls.run_call(t.lab, NCCO, "447700900001",
                                   folder=tmp_path_factory.mktemp(f"{t.name}-downloads"))
            for t in trainees}


def test_each_has_its_own_port_application_keys_ca_and_secret(trainees):
    def distinct(values):
        return len(set(values)) == len(trainees)

    assert distinct(t.sim.port for t in trainees)
    assert distinct(t.sim.credentials.application_id for t in trainees)
    assert distinct(t.sim.credentials.public_key_pem for t in trainees)
    assert distinct(Path(t.sim.info()["ca_cert"]).read_bytes() for t in trainees)
    assert distinct(t.sim.credentials.signature_secret for t in trainees)
    assert distinct(t.lab.events.path for t in trainees)
    for t in trainees:
        assert stat.S_IMODE(t.sim.credentials.state_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(t.sim.credentials.private_key.stat().st_mode) == 0o600


def test_a_call_is_invisible_to_the_others(trainees, results):
    for owner in trainees:
        uuid = results[owner.name].call.uuid
        assert owner.lab.voice.get_call(uuid).uuid == uuid
        for other in trainees:
            if other is owner:
                continue
            with pytest.raises(NotFoundError):
                other.lab.voice.get_call(uuid)
            listed, _ = other.lab.voice.list_calls()
            assert uuid not in {c.uuid for c in listed}


def test_a_jwt_for_one_is_refused_by_another(trainees):
    ana, ben, _ = trainees
    ana_info, ben_info = ana.sim.info(), ben.sim.info()
    # Ana's application and key, sent to Ben's simulator (trusting Ben's CA)
    intruder = _sdk_client(ana_info["application_id"], ana_info["private_key"],
                           ben_info["api_host"], ben_info["ca_cert"])
    with pytest.raises(AuthenticationError):
        intruder.voice.list_calls()


def test_a_recording_cannot_be_fetched_with_another_trainees_credentials(trainees, results,
                                                                         tmp_path):
    ana, ben, chloe = trainees
    event = results["ana"].record_events[0]
    assert results["ana"].files[0].stat().st_size == event["size"]
    for other in (ben, chloe):
        jwt_header = other.lab.vonage.http_client.auth.create_jwt_auth_string()
        reply = requests.get(event["recording_url"], headers={"Authorization": jwt_header},
                             verify=ana.sim.info()["ca_cert"], timeout=10)
        assert reply.status_code == 401
        # and the same file id on their own simulator does not exist
        file_id = event["recording_url"].rsplit("/", 1)[1]
        own_url = f"https://{other.sim.api_host}/v1/files/{file_id}"
        with pytest.raises(calls.RecordingDownloadError, match="404"):
            calls.download_recording(other.lab, {**event, "recording_url": own_url},
                                      tmp_path / other.name)
        assert not list((tmp_path / other.name).glob("*"))


def test_each_event_log_holds_only_its_own_calls(trainees, results):
    for t in trainees:
        conversations = {e.get("conversation_uuid") for e in t.lab.events.all()}
        assert conversations == {results[t.name].call.conversation_uuid}
        assert t.lab.receiver.counts()["rejected"] == 0


def test_events_sent_to_another_trainees_receiver_are_refused(trainees):
    ana, ben, _ = trainees
    before = ben.lab.receiver.counts()
    call = calls.place_call(ana.lab, NCCO, event_url=ben.lab.receiver.event_url(), quiet=True)
    assert ana.sim.wait_idle(30)
    after = ben.lab.receiver.counts()
    assert after["accepted"] == before["accepted"]
    assert after["rejected"] - before["rejected"] >= 4  # started, ringing, answered, ...
    assert call.conversation_uuid not in {e.get("conversation_uuid")
                                          for e in ben.lab.events.all()}


# --- the class image (repo2docker / Binder) --------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def test_repo2docker_files_install_the_lab_and_keep_state_per_user(tmp_path):
    import os
    import subprocess

    packages = {line.partition("#")[0].strip()
                for line in (ROOT / "apt.txt").read_text().splitlines()} - {""}
    assert {"ffmpeg", "libsndfile1"} <= packages
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
    for script in ("postBuild", "start"):
        assert os.access(ROOT / script, os.X_OK), f"{script} must be executable"
    assert "pip install --no-deps -e ." in (ROOT / "postBuild").read_text()
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    shown = subprocess.run([str(ROOT / "start"), "printenv", "RECORDING_LAB_HOME"], env=env,
                           capture_output=True, text=True, timeout=10, check=True).stdout
    assert shown.strip() == f"{tmp_path}/.recording-lab"
    kept = subprocess.run([str(ROOT / "start"), "printenv", "RECORDING_LAB_HOME"],
                          env={**env, "RECORDING_LAB_HOME": "/srv/lab"}, capture_output=True,
                          text=True, timeout=10, check=True).stdout
    assert kept.strip() == "/srv/lab"


def test_a_home_relative_lab_home_lands_in_each_users_own_home(tmp_path, monkeypatch):
    from helpers.simulator.keys import ensure_credentials

    for user in ("ana", "ben"):
        monkeypatch.setenv("HOME", str(tmp_path / user))
        monkeypatch.setenv("RECORDING_LAB_HOME", "~/.recording-lab")
        state = ensure_credentials().state_dir
        assert state == (tmp_path / user / ".recording-lab").resolve()
