"""`helpers.secrets.redact`: the one rule that hides secrets in whatever the lab prints."""

from __future__ import annotations

import ast
import secrets
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers.secrets import looks_like_key_fragment, looks_secret, redact

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def body_of(pem: str) -> str:
    return "\n".join(line for line in pem.splitlines() if "-----" not in line)


def test_pem_blocks_with_or_without_their_markers(pem):
    body = body_of(pem)
    for text in (pem, pem.replace("\n", "\r\n"), body, body.replace("\n", ""), repr(body),
                 body + "\n-----END PRIVATE KEY-----", pem.split("\n", 3)[3],
                 f"VONAGE_PRIVATE_KEY points to {body!r}, which is not a file."):
        shown = redact(text)
        assert "[key hidden]" in shown or "[hidden]" in shown
        for line in body.splitlines()[:-1]:  # every whole line (the last may be short)
            assert line not in shown and line[10:30] not in shown
        assert "PRIVATE KEY" not in shown


def test_jwts_whole_or_in_part(pem):
    token = jwt.encode({"application_id": "x", "iat": 1, "jti": "j"}, pem, algorithm="RS256")
    head, payload, signature = token.split(".")
    for text in (token, f"Bearer {token}", head, f"{head}.{payload}", f"x={token}&y=1"):
        shown = redact(text)
        assert "eyJ" not in shown and payload not in shown and signature not in shown


@pytest.mark.parametrize("value", [secrets.token_urlsafe(24), secrets.token_urlsafe(200),
                                   secrets.token_hex(16), secrets.token_hex(32),
                                   "Zx9" * 100, "a" * 300])
def test_long_opaque_values(value):
    assert value not in redact(f"the value is {value}.") and looks_secret(value)


@pytest.mark.parametrize("text", [
    "/tmp/pytest-of-trainer/pytest-12/test_live_connect_wires_eventurls_from_public_url0/x.key",
    "/home/Alice/Notebooks/RecordingLab2024/keys/private.key",
    "C:/Users/trainer/Documents/vonage-recording-lab-class-of-2024/private.key",
    "https://lab-tunnel.example.test/trainer/events",
    "VONAGE_APPLICATION_ID (1a2b…9z8y, 36 characters) is not an application id",
    "short words and numbers 1234567890 stay as they are",
])
def test_plain_text_and_paths_stay_readable(text):
    assert redact(text) == text and not looks_secret(text)


def test_a_short_piece_of_a_key_is_told_from_a_path(pem):
    lines = body_of(pem).splitlines()
    for piece in ("".join(lines)[-20:], "".join(lines)[-31:], lines[3][:24], "q3Zh8w==",
                  "tKtuV/r5dl9zIcHgt9lZI/XIRQM/w=="):
        assert looks_like_key_fragment(piece), piece
    for path in ("/home/trainer/keys/privatekey", "keys/private.key", "~/private.key",
                 "C:/Users/Trainer/Keys", "/home/Alice/RecordingLab2024", "private", "short"):
        assert not looks_like_key_fragment(path), path


@pytest.mark.parametrize("text, shown", [
    ("https://trainer:hunter2@tunnel.example/x", "https://trainer:***@tunnel.example/x"),
    ("http://:hunter2@tunnel.example", "http://:***@tunnel.example"),
    ("//trainer:hunter2@tunnel.example", "//trainer:***@tunnel.example"),
    ("PUBLIC_URL='trainer:hunter2@tunnel.example'", "PUBLIC_URL='trainer:***@tunnel.example'"),
    ("events go to https://tunnel.example/events", "events go to https://tunnel.example/events"),
    ("at 12:30 the call ended", "at 12:30 the call ended"),
])
def test_passwords_in_urls(text, shown):
    assert redact(text) == shown


def test_the_module_needs_nothing_else_from_the_lab():
    tree = ast.parse((ROOT / "helpers" / "secrets.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module or "." for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and (node.level or node.module)}
    assert modules <= {"__future__", "re", "itertools"}, modules


def test_mask_and_settings_show_no_secret(pem):
    from helpers.client import Settings, mask

    app_id = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
    assert mask(app_id) == "1a2b…5c6d"
    assert mask("Zx9Yw8Vu7Ts6Rq5P") == "Zx…"  # an API secret pasted as the id: 2 characters
    assert mask(body_of(pem)) == f"[hidden, {len(body_of(pem))} characters]"
    shown = repr(Settings("live", app_id, pem, "https://trainer:hunter2@tunnel.example", "s" * 40))
    assert "hunter2" not in shown and "PRIVATE" not in shown and "s" * 40 not in shown
    assert "https://trainer:***@tunnel.example" in shown
