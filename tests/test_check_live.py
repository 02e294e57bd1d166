"""The live set-up check and live mode's wiring, with the simulator standing in for Vonage.

Live mode is pointed at the session's simulator through the documented overrides
VONAGE_API_HOST + RECORDING_LAB_CA_BUNDLE: the same code path as with Vonage, another host.
Every test here refuses to resolve any name but loopback, so none can reach the real network.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from helpers import calls
from helpers.check_live import check_live, check_public_url
from helpers.client import LabSetupError, connect
from helpers.receiver import EventTimeout

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_URL = "https://lab-tunnel.example.test/trainer"
VARIABLES = ("VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY", "VONAGE_PRIVATE_KEY_PATH",
             "PUBLIC_URL", "VONAGE_SIGNATURE_SECRET", "VONAGE_API_HOST",
             "RECORDING_LAB_CA_BUNDLE", "RECORDING_LAB_MODE")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any attempt to resolve a name that is not loopback, and start from a clean env."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            raise AssertionError(f"a test tried to reach {name}: only loopback is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def write_env(folder: Path, **values: str) -> Path:
    path = folder / ".env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def live_values(sim, **changes: str) -> dict[str, str]:
    """A .env that makes live mode talk to the simulator instead of Vonage."""
    info = sim.info()
    values = {"VONAGE_APPLICATION_ID": info["application_id"],
              "VONAGE_PRIVATE_KEY": info["private_key"], "PUBLIC_URL": PUBLIC_URL,
              "VONAGE_API_HOST": info["api_host"], "RECORDING_LAB_CA_BUNDLE": info["ca_cert"],
              "VONAGE_SIGNATURE_SECRET": sim.credentials.signature_secret}
    values.update(changes)
    return {k: v for k, v in values.items() if v}


def assert_nothing_secret(text: str, sim) -> None:
    assert "PRIVATE KEY" not in text and "eyJ" not in text
    assert sim.credentials.signature_secret not in text
    assert sim.credentials.application_id not in text  # shown masked at most


def failure(result, name: str) -> str:
    found = [s.text for s in result.steps if s.name == name and s.ok is False]
    assert found, f"no failed {name!r} step in:\n{result}"
    return found[0]


# --- the whole check -------------------------------------------------------------------------
def test_simulator_mode_says_so_and_what_live_would_need(lab, sim):
    result = check_live(mode="simulator")
    text = str(result)
    assert result.ok and result.mode == "simulator"
    assert text.startswith("• mode: simulator mode") and "Simulator mode is ready." in text
    assert [s.name for s in result.steps if s.ok] == ["private key", "JWT", "API call",
                                                       "signed webhooks"]
    for need in ("VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY", "PUBLIC_URL",
                 "VONAGE_SIGNATURE_SECRET"):
        assert need in text
    assert_nothing_secret(text, sim)


def test_live_mode_through_the_simulator_passes_every_step(sim, tmp_path):
    result = check_live(write_env(tmp_path, **live_values(sim)))
    text = str(result)
    assert result.ok, text
    assert result.mode == "live" and text.endswith("Live mode is ready.")
    assert {s.name for s in result.steps if s.ok} == {"application id", "private key", "JWT",
                                                      "API call", "PUBLIC_URL",
                                                      "signed webhooks"}
    assert f"{PUBLIC_URL}/events" in text
    assert sim.credentials.application_id[:4] + "…" in text
    assert_nothing_secret(text, sim)


def test_key_given_as_text_is_never_echoed(sim, tmp_path, monkeypatch):
    pem = Path(sim.info()["private_key"]).read_text()
    values = live_values(sim)
    values.pop("VONAGE_PRIVATE_KEY")
    monkeypatch.setenv("VONAGE_PRIVATE_KEY", pem)
    result = check_live(write_env(tmp_path, **values))
    assert result.ok, str(result)
    assert_nothing_secret(str(result), sim)


# --- each failure mode ------------------------------------------------------------------------
def test_missing_key(sim, tmp_path):
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_PRIVATE_KEY="")),
                        mode="live")
    assert "VONAGE_PRIVATE_KEY is not set" in failure(result, "private key")
    assert not result.ok and "Live mode is not ready" in str(result)


def test_missing_key_file(sim, tmp_path):
    env = live_values(sim, VONAGE_PRIVATE_KEY=str(tmp_path / "nowhere" / "private.key"))
    assert "not a file on this computer" in failure(check_live(write_env(tmp_path, **env)),
                                                    "private key")


def make_key_file(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.key"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "garbage":
        path.write_text("this is not a key\n")
    elif kind == "public":
        path.write_bytes(rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    elif kind == "ec":
        path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    elif kind == "encrypted":
        path.write_bytes(rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase")))
    else:  # another application's key
        path.write_bytes(rsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("kind, words", [
    ("garbage", "is not a PEM private key"),
    ("public", "holds a public key"),
    ("ec", "is not an RSA key"),
    ("encrypted", "protected by a passphrase"),
])
def test_key_that_does_not_parse(sim, tmp_path, kind, words):
    key = make_key_file(tmp_path, kind)
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_PRIVATE_KEY=str(key))))
    assert words in failure(result, "private key")
    assert "Fix" in failure(result, "private key") or kind == "encrypted"
    assert_nothing_secret(str(result), sim)


def test_wrong_application_id_is_named_masked(sim, tmp_path):
    wrong = str(uuid.uuid4())
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_APPLICATION_ID=wrong)))
    text = failure(result, "API call")
    assert "401 Unauthorized" in text and "does not belong to application" in text
    assert f"{wrong[:4]}…{wrong[-4:]}" in text and wrong not in str(result)
    assert_nothing_secret(str(result), sim)


def test_key_of_another_application(sim, tmp_path):
    key = make_key_file(tmp_path, "another")
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_PRIVATE_KEY=str(key))))
    assert "does not belong to application" in failure(result, "API call")


def test_application_id_that_is_no_uuid(sim, tmp_path):
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_APPLICATION_ID="ab12cd34")))
    assert "Did you paste the API key?" in failure(result, "application id")


@pytest.mark.parametrize("url, words", [
    ("", "PUBLIC_URL is not set"),
    ("http://lab-tunnel.example.test", "must start with https://"),
    ("https://127.0.0.1:8765", "cannot reach"),
    ("https://localhost", "cannot reach"),
    ("https://lab-tunnel.example.test/?x=1", "without ?query"),
])
def test_public_url_problems(sim, tmp_path, url, words):
    result = check_live(write_env(tmp_path, **live_values(sim, PUBLIC_URL=url)), mode="live")
    assert words in failure(result, "PUBLIC_URL")
    assert not check_public_url(url).passed
    assert check_public_url(PUBLIC_URL).passed


def test_ca_bundle_alone_is_refused(sim, tmp_path):
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_API_HOST="")))
    assert "without VONAGE_API_HOST" in failure(result, "API host")


def test_untrusted_host_says_what_to_do(sim, tmp_path):
    from helpers.simulator.keys import ensure_credentials

    other_ca = ensure_credentials(tmp_path / "another-lab").ca_cert
    values = live_values(sim, RECORDING_LAB_CA_BUNDLE=str(other_ca))
    result = check_live(write_env(tmp_path, **values))
    assert "TLS certificate" in failure(result, "API call")


def test_no_credentials_in_live_mode_lists_every_missing_piece(tmp_path):
    result = check_live(write_env(tmp_path), mode="live")
    names = {s.name for s in result.failures}
    assert names == {"application id", "private key", "PUBLIC_URL"}


# --- the command -------------------------------------------------------------------------------
def run_command(env_file: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run([sys.executable, "-m", "helpers.check_live", "--env-file",
                           str(env_file)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_command_exit_status_and_output(sim, tmp_path):
    good = run_command(write_env(tmp_path, **live_values(sim)))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Live mode is ready." in good.stdout
    wrong = str(uuid.uuid4())
    (tmp_path / "bad").mkdir()
    bad = run_command(write_env(tmp_path / "bad",
                                **live_values(sim, VONAGE_APPLICATION_ID=wrong)))
    assert bad.returncode == 1 and "does not belong to application" in " ".join(bad.stdout.split())
    for output in (good.stdout + good.stderr, bad.stdout + bad.stderr):
        assert_nothing_secret(output, sim)
        assert wrong not in output


# --- connect() in live mode, through the simulator ------------------------------------------
@pytest.mark.parametrize("from_number", ["", "+447700900123"])
def test_live_connect_wires_eventurls_from_public_url_and_verifies_signatures(sim, tmp_path,
                                                                            monkeypatch,
                                                                            from_number):
    monkeypatch.setenv("RECORDING_LAB_RECEIVER_PORT", "0")
    env = write_env(tmp_path, **live_values(sim, VONAGE_FROM_NUMBER=from_number))
    lab = connect(env_file=env, events_file=tmp_path / "events.jsonl")
    try:
        assert lab.mode == "live" and lab.simulator is None
        assert lab.event_url() == f"{PUBLIC_URL}/events"
        assert lab.api_host == sim.api_host and lab.receiver.verifies
        # Vonage would post to PUBLIC_URL, which a tunnel forwards to the receiver; here the
        # simulator posts to the receiver directly (the test never leaves loopback).
        result = calls.run_call(lab, [{"action": "record", "timeOut": 3}], "447700900001",
                                folder=tmp_path / "downloads", event_url=lab.receiver.event_url())
        assert result.final_status["status"] == "completed"
        assert result.files and result.files[0].stat().st_size == result.record_events[0]["size"]
        assert all(e["_received"]["signature"] == "verified" for e in result.events)
        caller = lab.voice.get_call(result.call.uuid).from_.number
        # without VONAGE_FROM_NUMBER the call asks for random_from_number
        assert caller == (from_number.lstrip("+") or "447700900000")
    finally:
        lab.close()


@pytest.mark.parametrize("number, ok", [("", None), ("+447700900123", True),
                                        ("call me", False)])
def test_caller_number_step(sim, tmp_path, number, ok):
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_FROM_NUMBER=number)))
    step = next(s for s in result.steps if s.name == "caller number")
    assert step.ok is ok
    assert ("random_from_number" in step.text) == (ok is None)
    assert "0123" not in step.text  # the number is shown without its last digits


def test_live_receiver_refuses_events_signed_with_another_secret(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("RECORDING_LAB_RECEIVER_PORT", "0")
    env = write_env(tmp_path, **live_values(sim, VONAGE_SIGNATURE_SECRET="x" * 40))
    lab = connect(env_file=env, events_file=tmp_path / "events.jsonl")
    try:
        call = calls.place_call(lab, [{"action": "record", "timeOut": 3}],
                                event_url=lab.receiver.event_url(), quiet=True)
        assert sim.wait_idle(30)
        counts = lab.receiver.counts()
        assert counts["accepted"] == 0 and counts["rejected"] >= 4
        assert {r["reason"].split(":")[0] for r in lab.events.rejections()} == {
            "the signature does not match the signature secret"}
        with pytest.raises(EventTimeout) as waited:  # the trainee is told where events went
            lab.events.wait_for_status(call.uuid, "answered", timeout=0.2)
        told = " ".join(str(waited.value).split())
        assert "were refused and kept in events.rejected.jsonl" in told
        assert "VONAGE_SIGNATURE_SECRET must be the account's signature secret" in told
    finally:
        lab.close()


@pytest.mark.parametrize("changes, words", [
    ({"PUBLIC_URL": "http://lab-tunnel.example.test"}, "https://"),
    ({"PUBLIC_URL": ""}, "PUBLIC_URL is not set"),
    ({"VONAGE_API_HOST": ""}, "only applies together with VONAGE_API_HOST"),
])
def test_live_connect_refuses_a_bad_setup_with_the_fix(sim, tmp_path, changes, words):
    with pytest.raises(LabSetupError, match=words.replace("?", r"\?")):
        connect(env_file=write_env(tmp_path, **live_values(sim, **changes)), mode="live",
                events_file=tmp_path / "events.jsonl")


# --- no key material, token or password in any message (issue 11) ---------------------------
def key_body(sim) -> str:
    """The simulator key's base64 body, without its BEGIN/END lines (as if pasted alone)."""
    pem = Path(sim.info()["private_key"]).read_text()
    return "\n".join(line for line in pem.splitlines() if "-----" not in line)


def assert_no_piece_of(secret: str, text: str) -> None:
    """Not even 12 characters in a row of `secret` (whitespace ignored) appear in `text`."""
    flat, shown = "".join(secret.split()), "".join(text.split())
    leaks = {flat[i:i + 12] for i in range(len(flat) - 11)} & {
        shown[i:i + 12] for i in range(len(shown) - 11)}
    assert not leaks, f"{len(leaks)} pieces of the secret are shown, e.g. {sorted(leaks)[0]!r}"


def sdk_jwt(sim) -> str:
    import vonage

    info = sim.info()
    return vonage.Auth(application_id=info["application_id"],
                       private_key=info["private_key"]).generate_application_jwt().decode()


def leaky_values(sim) -> dict[str, str]:
    body = key_body(sim)
    return {"key body without BEGIN/END": body,
            "key body on one line": body.replace("\n", ""),
            "key body and END line": body + "\n-----END PRIVATE KEY-----",
            "a JWT": sdk_jwt(sim),
            "300 opaque characters": "Zx9" * 100,
            "a path-like value with a key in it": "/keys/" + body.replace("\n", ""),
            # shorter than redact's 32-character rule: only its base64 look gives it away
            "the key's last 31 characters": "".join(body.split())[-31:]}


@pytest.mark.parametrize("kind", ["key body without BEGIN/END", "key body on one line",
                                  "key body and END line", "a JWT", "300 opaque characters",
                                  "a path-like value with a key in it",
                                  "the key's last 31 characters"])
def test_check_live_never_echoes_a_key_that_is_no_path(sim, tmp_path, monkeypatch, kind):
    value = leaky_values(sim)[kind]
    values = live_values(sim)
    values.pop("VONAGE_PRIVATE_KEY")
    monkeypatch.setenv("VONAGE_PRIVATE_KEY", value)
    result = check_live(write_env(tmp_path, **values))  # must not raise (File name too long)
    text = failure(result, "private key")
    assert "neither a key nor a path to one" in text, text
    assert_no_piece_of(value, str(result))
    assert_nothing_secret(str(result), sim)


@pytest.mark.parametrize("kind", ["key body without BEGIN/END", "key body on one line",
                                  "key body and END line", "a JWT", "300 opaque characters",
                                  "a path-like value with a key in it",
                                  "the key's last 31 characters"])
def test_live_connect_never_echoes_a_key_that_is_no_path(sim, tmp_path, monkeypatch, kind):
    import traceback

    value = leaky_values(sim)[kind]
    values = live_values(sim)
    values.pop("VONAGE_PRIVATE_KEY")
    monkeypatch.setenv("VONAGE_PRIVATE_KEY", value)
    with pytest.raises(LabSetupError) as caught:
        connect(env_file=write_env(tmp_path, **values), events_file=tmp_path / "events.jsonl")
    err = caught.value
    assert "neither a key nor a path to one" in str(err)
    # nothing chained that a traceback would print, nothing in the exception's args
    assert err.__cause__ is None and err.__context__ is None
    shown = "".join(traceback.format_exception(err)) + repr(err.args)
    assert_no_piece_of(value, shown)
    assert "PRIVATE KEY" not in shown and "eyJ" not in shown


def test_the_command_never_echoes_a_pasted_key_body(sim, tmp_path):
    values = live_values(sim)
    values.pop("VONAGE_PRIVATE_KEY")
    body = key_body(sim).replace("\n", "")
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["VONAGE_PRIVATE_KEY"] = body
    done = subprocess.run([sys.executable, "-m", "helpers.check_live", "--env-file",
                           str(write_env(tmp_path, **values))], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "neither a key nor a path to one" in " ".join(done.stdout.split())
    assert_no_piece_of(body, done.stdout + done.stderr)


def test_a_key_pasted_as_the_application_id_is_not_shown(sim, tmp_path):
    body = key_body(sim).replace("\n", "")
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_APPLICATION_ID=body)))
    assert "is not an application id" in failure(result, "application id")
    assert_no_piece_of(body, str(result))


def test_a_missing_key_file_is_still_named(sim, tmp_path):
    missing = tmp_path / "keys" / "privat.key"
    result = check_live(write_env(tmp_path, **live_values(sim, VONAGE_PRIVATE_KEY=str(missing))))
    assert f"points to '{missing}', which is not a file" in failure(result, "private key")
    with pytest.raises(LabSetupError, match="privat.key', which is not a file"):
        connect(env_file=write_env(tmp_path, **live_values(sim, VONAGE_PRIVATE_KEY=str(missing))),
                events_file=tmp_path / "events.jsonl")


@pytest.mark.parametrize("url", ["https://trainer:hunter2-Secret@lab-tunnel.example.test/x",
                                 "http://trainer:hunter2-Secret@lab-tunnel.example.test",
                                 "//trainer:hunter2-Secret@lab-tunnel.example.test"])
def test_a_password_in_public_url_is_masked(sim, tmp_path, monkeypatch, url):
    result = check_live(write_env(tmp_path, **live_values(sim, PUBLIC_URL=url)))
    step = next(s for s in result.steps if s.name == "PUBLIC_URL")
    assert "hunter2" not in str(result)
    if url.startswith("https://"):
        assert step.ok and "https://trainer:***@lab-tunnel.example.test/x/events" in step.text
        assert "hunter2" not in repr(check_public_url(url))
        monkeypatch.setenv("RECORDING_LAB_RECEIVER_PORT", "0")
        with connect(env_file=write_env(tmp_path, **live_values(sim, PUBLIC_URL=url)),
                     events_file=tmp_path / "events.jsonl") as lab:
            assert lab.event_url() == url + "/events"  # Vonage still gets the credentials
            assert "hunter2" not in lab.events.source  # but "events should go to" hides them
    else:
        assert step.ok is False
        with pytest.raises(LabSetupError) as caught:
            connect(env_file=write_env(tmp_path, **live_values(sim, PUBLIC_URL=url)),
                    events_file=tmp_path / "events.jsonl")
        assert "hunter2" not in str(caught.value)
