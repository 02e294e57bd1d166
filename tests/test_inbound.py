"""Issue 9: the application's number and key pair, the Applications API, inbound calls, and
answer URLs fetched when the call is answered."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from helpers.simulator.keys import ensure_credentials

ROOT = Path(__file__).resolve().parents[1]


# --- 1. the ready line ----------------------------------------------------------------------
def test_ready_line_names_the_number_and_the_key_pair(tmp_path):
    env = {**os.environ, "RECORDING_LAB_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers.simulator", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)
    assert info["number"].isdigit() and 7 <= len(info["number"]) <= 15
    assert info["api_key"] and info["api_secret"].isalnum() and len(info["api_secret"]) == 16
    for name in ("api_secret.txt", "number.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    again = ensure_credentials(tmp_path)  # kept: the same values on the next start
    assert (again.number, again.api_key, again.api_secret) == (
        info["number"], info["api_key"], info["api_secret"])


def test_a_damaged_secret_or_number_is_made_again(tmp_path):
    first = ensure_credentials(tmp_path)
    (tmp_path / "api_secret.txt").write_text("short\n")
    (tmp_path / "number.txt").write_text("not a number\n")
    second = ensure_credentials(tmp_path)
    assert second.api_secret != "short" and len(second.api_secret) == 16
    assert second.number.isdigit() and second.api_key == first.api_key
    assert "api_secret" not in repr(second) or second.api_secret not in repr(second)
