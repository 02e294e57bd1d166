"""The simulator's one application, as Vonage's Applications API v2 shows and changes it.

Shape, ranges and defaults follow the API's OpenAPI description (Nexmo/api-specification
`definitions/application.v2.yml`, https://developer.vonage.com/en/api/application.v2): a body
has `name` (required) and `capabilities`; `capabilities.voice.webhooks` holds `answer_url`,
`fallback_answer_url` and `event_url`, each `{address, http_method, connect_timeout,
socket_timeout}`, times in milliseconds: connect 300-1000 (default 1000), socket 1000-5000
(default 5000) for the answer and fallback URLs and 1000-10000 (default 10000) for the event
URL. The specification spells the connect time-out `connection_timeout`; the official Python
SDK (`vonage_application.common.VoiceUrl`) and the Vonage CLI send `connect_timeout`. Both are
accepted; the answer uses the SDK's spelling, which is what the SDK reads back.

`http_method` defaults: GET for the answer (and fallback) URL, POST for the event URL (Voice
API webhook reference, https://developer.vonage.com/en/voice/voice-api/webhook-reference:
"By default, the answer webhook is a GET request"; events are POST JSON).

A PUT replaces the whole configuration, as a PUT does: a webhook left out is removed. The
settings live in the simulator's database in the state folder (`store.Store`, setting
"application"), so they outlast a restart; an `application.json` of an earlier version is
read once and moved there.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .store import Store

OLD_SETTINGS_FILE = "application.json"  # where versions before the database kept them
SETTING = "application"
DEFAULT_NAME = "Recording Lab"
CONNECT_TIMEOUT = (300, 1000, 1000)  # ms: lowest, highest, default (application.v2.yml)
SOCKET_TIMEOUT = {"answer_url": (1000, 5000, 5000), "fallback_answer_url": (1000, 5000, 5000),
                  "event_url": (1000, 10000, 10000)}
DEFAULT_METHOD = {"answer_url": "GET", "fallback_answer_url": "GET", "event_url": "POST"}
WEBHOOK_FIELDS = ("address", "http_method", "connect_timeout", "socket_timeout")
TOP_FIELDS = ("name", "capabilities", "privacy", "keys")
CAPABILITIES = ("voice", "rtc", "messages", "vbc", "verify")
VOICE_FIELDS = ("webhooks", "signed_callbacks", "conversations_ttl", "leg_persistence_time",
                "region")
MAX_NAME = 200  # characters; a lab limit so an echo stays short


@dataclass(frozen=True)
class Webhook:
    """One of the application's voice webhooks, defaults filled in."""

    address: str
    http_method: str
    connect_timeout: int
    socket_timeout: int

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) in seconds, as `requests` takes them."""
        return self.connect_timeout / 1000, self.socket_timeout / 1000


def _problem(name: str, value: Any, reason: str) -> dict:
    return {"name": name, "reason": reason, "value": value}


def _webhook_problems(kind: str, value: Any) -> list[dict]:
    where = f"capabilities.voice.webhooks.{kind}"
    if not isinstance(value, dict):
        return [_problem(where, value, f"{kind} must be an object "
                         "{address, http_method, connect_timeout, socket_timeout}.")]
    problems = []
    for key in value:
        if key not in WEBHOOK_FIELDS and key != "connection_timeout":
            problems.append(_problem(f"{where}.{key}", value[key], f"Unknown field {key!r}; "
                                     "known: " + ", ".join(WEBHOOK_FIELDS) + "."))
    address = value.get("address")
    try:
        parts = urlsplit(address) if isinstance(address, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(_problem(f"{where}.address", address,
                                 "address is required: an http(s) URL."))
    method = value.get("http_method", DEFAULT_METHOD[kind])
    if method not in ("GET", "POST"):
        problems.append(_problem(f"{where}.http_method", method, "must be one of: GET, POST"))
    low, high, _ = CONNECT_TIMEOUT
    for key in ("connect_timeout", "connection_timeout"):
        if key in value:
            problems += _whole(f"{where}.{key}", value[key], low, high)
    low, high, _ = SOCKET_TIMEOUT[kind]
    if "socket_timeout" in value:
        problems += _whole(f"{where}.socket_timeout", value["socket_timeout"], low, high)
    return problems


def _whole(name: str, value: Any, low: int, high: int) -> list[dict]:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [_problem(name, value, f"must be a whole number of milliseconds from {low} "
                                      f"to {high}")]
    return []


def _filled(kind: str, value: dict) -> dict:
    connect = value.get("connect_timeout", value.get("connection_timeout", CONNECT_TIMEOUT[2]))
    return {"address": value["address"],
            "http_method": value.get("http_method", DEFAULT_METHOD[kind]),
            "connect_timeout": connect,
            "socket_timeout": value.get("socket_timeout", SOCKET_TIMEOUT[kind][2])}


def update_problems(body: Any, public_key_pem: str) -> list[dict]:
    """Each bad field of a PUT body (Applications API v2 shape), as invalid_parameters."""
    if not isinstance(body, dict):
        return [_problem("body", body, "The body must be a JSON object with name and "
                                       "capabilities.")]
    problems = [_problem(k, v, f"Unknown field {k!r}; known: " + ", ".join(TOP_FIELDS) + ".")
                for k, v in body.items() if k not in TOP_FIELDS]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        problems.append(_problem("name", name, f"name is required: text of 1 to {MAX_NAME} "
                                               "characters."))
    keys = body.get("keys")
    if keys is not None:
        given = keys.get("public_key") if isinstance(keys, dict) else keys
        if not isinstance(keys, dict) or (given is not None and (
                not isinstance(given, str) or given.strip() != public_key_pem.strip())):
            problems.append(_problem("keys.public_key", "(a key)", "The simulator's key pair "
                                     "cannot be changed; leave keys out or send the public_key "
                                     "GET returns."))
    capabilities = body.get("capabilities", {})
    if not isinstance(capabilities, dict):
        return problems + [_problem("capabilities", capabilities, "must be an object")]
    for key, value in capabilities.items():
        if key not in CAPABILITIES:
            problems.append(_problem(f"capabilities.{key}", value, f"Unknown capability "
                                     f"{key!r}; known: " + ", ".join(CAPABILITIES) + "."))
        elif not isinstance(value, dict):
            problems.append(_problem(f"capabilities.{key}", value, "must be an object"))
    voice = capabilities.get("voice", {})
    if not isinstance(voice, dict):
        return problems
    for key, value in voice.items():
        if key not in VOICE_FIELDS:
            problems.append(_problem(f"capabilities.voice.{key}", value, f"Unknown field "
                                     f"{key!r}; known: " + ", ".join(VOICE_FIELDS) + "."))
    webhooks = voice.get("webhooks", {})
    if not isinstance(webhooks, dict):
        return problems + [_problem("capabilities.voice.webhooks", webhooks,
                                    "must be an object")]
    for kind, value in webhooks.items():
        if kind not in SOCKET_TIMEOUT:
            problems.append(_problem(f"capabilities.voice.webhooks.{kind}", value,
                                     f"Unknown webhook {kind!r}; known: "
                                     + ", ".join(SOCKET_TIMEOUT) + "."))
        else:
            problems += _webhook_problems(kind, value)
    return problems


def normalised(body: dict) -> dict:
    """A checked PUT body as it is kept: webhooks with their defaults, keys left out."""
    kept = {"name": body["name"]}
    capabilities = json.loads(json.dumps(body.get("capabilities", {})))
    webhooks = capabilities.get("voice", {}).get("webhooks")
    if webhooks:
        capabilities["voice"]["webhooks"] = {k: _filled(k, v) for k, v in webhooks.items()}
    kept["capabilities"] = capabilities
    if "privacy" in body:
        kept["privacy"] = body["privacy"]
    return kept


class ApplicationSettings:
    """The application's configuration, kept in the simulator's database."""

    def __init__(self, store: Store, state_dir: Path):
        self.store = store
        self.config = self._load(Path(state_dir) / OLD_SETTINGS_FILE)

    def _load(self, old_file: Path) -> dict:
        config = self.store.setting(SETTING)
        if config is None and old_file.is_file():  # moved into the database, once
            try:
                config = json.loads(old_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                config = None
            if isinstance(config, dict) and not update_problems(config, ""):
                self.store.set_setting(SETTING, normalised(config))
            old_file.unlink(missing_ok=True)
            config = self.store.setting(SETTING)
        if isinstance(config, dict) and not update_problems(config, ""):
            return normalised(config)
        return {"name": DEFAULT_NAME, "capabilities": {"voice": {"webhooks": {}}}}

    def replace(self, body: dict) -> None:
        """Keep a checked PUT body (call `update_problems` first)."""
        self.config = normalised(body)
        self.store.set_setting(SETTING, self.config)

    def webhook(self, kind: str) -> Webhook | None:
        """The voice webhook `kind` (answer_url, fallback_answer_url, event_url), if set."""
        value = self.config.get("capabilities", {}).get("voice", {}).get(
            "webhooks", {}).get(kind)
        return Webhook(**value) if value else None

    def as_json(self, application_id: str, public_key_pem: str) -> dict:
        """The Applications API's answer for this application."""
        return {"id": application_id, **json.loads(json.dumps(self.config)),
                "keys": {"public_key": public_key_pem},
                "_links": {"self": {"href": f"/v2/applications/{application_id}"}}}


def basic_auth_ok(header: str | None, api_key: str, api_secret: str) -> bool:
    """True when `header` is `Basic base64(api_key:api_secret)` for this account."""
    if not header or not header.startswith("Basic ") or not api_key or not api_secret:
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, f"{api_key}:{api_secret}".encode())
