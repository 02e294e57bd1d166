"""The client factory: one `Lab` object per notebook, simulator by default, live on request.

`connect()` returns a `Lab` holding a ready `vonage.Vonage` client, the webhook receiver and
its event log. In simulator mode it starts (or reuses) a local simulator and trusts the
simulator's CA for that host alone; live mode uses your Vonage application's credentials from
the environment or `.env` and Vonage's public TLS as usual. Notebook cells are the same.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import vonage
from requests.adapters import HTTPAdapter
from urllib3 import Retry

from .receiver import EventLog, Receiver

REPO_ROOT = Path(__file__).resolve().parent.parent
SIMULATOR_NUMBER = "447700900000"  # the caller ID of simulated calls (an Ofcom drama number)


class LabSetupError(RuntimeError):
    """The lab cannot connect; the message says what to fix."""


class PinnedCAAdapter(HTTPAdapter):
    """Verify TLS against one CA file for the host this adapter is mounted on.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify`, so the CA is
    forced per request here: the simulator's CA is trusted for its own host and nowhere else.
    """

    def __init__(self, ca_cert: str, **kwargs):
        self.ca_cert = ca_cert
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        kwargs["verify"] = self.ca_cert
        return super().send(request, **kwargs)


@dataclass
class Settings:
    """Where the lab's credentials come from (never printed)."""

    mode: str
    application_id: str | None = None
    private_key: str | None = field(default=None, repr=False)  # a path or the PEM text
    public_url: str | None = None
    signature_secret: str | None = field(default=None, repr=False)
    api_host: str | None = None  # VONAGE_API_HOST: another Voice API host (tests: a simulator)
    ca_bundle: str | None = None  # RECORDING_LAB_CA_BUNDLE: the CA to trust for that host only
    from_number: str | None = None  # VONAGE_FROM_NUMBER: a number of yours that live calls use


def read_settings(env_file: str | Path | None = None, mode: str | None = None) -> Settings:
    """Decide the mode: live when an application id and private key are configured."""
    values = dict(os.environ)
    path = Path(env_file) if env_file else _find_env_file()
    if path and path.is_file():
        from dotenv import dotenv_values

        values = {**{k: v for k, v in dotenv_values(path).items() if v is not None}, **values}
    chosen = mode or values.get("RECORDING_LAB_MODE")
    app_id = values.get("VONAGE_APPLICATION_ID")
    key = values.get("VONAGE_PRIVATE_KEY") or values.get("VONAGE_PRIVATE_KEY_PATH")
    if chosen is None:
        chosen = "live" if app_id and key else "simulator"
    if chosen not in ("simulator", "live"):
        raise LabSetupError(f"RECORDING_LAB_MODE must be 'simulator' or 'live'; it is "
                            f"{chosen!r}.")
    return Settings(chosen, app_id, key, values.get("PUBLIC_URL") or None,
                    values.get("VONAGE_SIGNATURE_SECRET") or None,
                    values.get("VONAGE_API_HOST") or None,
                    values.get("RECORDING_LAB_CA_BUNDLE") or None,
                    (values.get("VONAGE_FROM_NUMBER") or "").strip().lstrip("+") or None)


def mask(value: str) -> str:
    """Enough of an id to recognise it, not enough to copy it: `1a2b…9z8y`."""
    return f"{value[:2]}…" if len(value) <= 12 else f"{value[:4]}…{value[-4:]}"


def public_url_problem(public_url: str | None) -> str | None:
    """Why PUBLIC_URL cannot carry Vonage's webhooks to this lab, or None if it can."""
    from urllib.parse import urlsplit

    fix = ("Start a tunnel to the lab's webhook receiver (port 8765, or "
           "RECORDING_LAB_RECEIVER_PORT), e.g. `ngrok http 8765` or `cloudflared tunnel --url "
           "http://localhost:8765`, and put its https address in .env as "
           "PUBLIC_URL=https://<the tunnel address>.")
    if not public_url:
        return ("PUBLIC_URL is not set: Vonage must reach the webhook receiver on this "
                f"computer through a public https URL. {fix}")
    parts = urlsplit(public_url.strip())
    if parts.scheme != "https":
        return (f"PUBLIC_URL must start with https:// (it starts with "
                f"{(parts.scheme or public_url)[:12]!r}): events carry call details and the "
                f"download links of recordings, so the lab does not let them travel "
                f"unencrypted. {fix}")
    if not parts.hostname:
        return f"PUBLIC_URL has no host name after https://. {fix}"
    if parts.query or parts.fragment:
        return ("PUBLIC_URL must be a plain address without ?query or #fragment; the lab "
                f"adds paths such as /events to it. {fix}")
    return None


def _find_env_file() -> Path | None:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / ".env").is_file():
            return folder / ".env"
        if folder == REPO_ROOT:
            break
    return None


_simulator = None
_simulator_lock = threading.Lock()
_simulator_labs: dict[Path, Lab] = {}  # the kernel's labs on the shared simulator, by event log


def shared_simulator():
    """The kernel's simulator, started on first use."""
    global _simulator
    with _simulator_lock:
        if _simulator is None:
            from .simulator import Simulator

            _simulator = Simulator()
            _simulator.start()
        return _simulator


def _sdk_client(application_id: str, private_key: str, api_host: str | None,
                ca_cert: str | None) -> vonage.Vonage:
    options = vonage.HttpClientOptions(api_host=api_host) if api_host else None
    try:
        client = vonage.Vonage(vonage.Auth(application_id=application_id,
                                           private_key=private_key), options)
    except Exception as err:
        raise LabSetupError(f"The Vonage SDK could not use these credentials: {err}. Check "
                            "VONAGE_APPLICATION_ID and that VONAGE_PRIVATE_KEY is the path "
                            "to the application's private.key.") from None
    if ca_cert:
        adapter = PinnedCAAdapter(ca_cert, max_retries=Retry(total=3, backoff_factor=0.1),
                                  pool_maxsize=32)
        client.http_client._session.mount(f"https://{api_host}/", adapter)
    return client


class Lab:
    """Everything a lesson needs: the SDK client, the receiver and its events."""

    def __init__(self, mode: str, client: vonage.Vonage, receiver: Receiver,
                 event_base: str, simulator=None, from_number: str | None = SIMULATOR_NUMBER):
        self.mode, self.vonage, self.receiver = mode, client, receiver
        self.simulator = simulator
        self.from_number = from_number  # None: let Vonage pick one (random_from_number)
        self._event_base = event_base.rstrip("/")

    @property
    def voice(self):
        """The SDK's Voice API client: what a customer's code calls."""
        return self.vonage.voice

    @property
    def events(self) -> EventLog:
        """Every webhook the receiver has stored, oldest first."""
        return self.receiver.events

    @property
    def api_host(self) -> str:
        return self.vonage.http_client.api_host

    def event_url(self, path: str = "/events") -> str:
        """A webhook URL on this lab's receiver (public in live mode)."""
        return self._event_base + path

    def __repr__(self) -> str:
        return f"<Lab mode={self.mode} api_host={self.api_host}>"

    def close(self) -> None:
        self.receiver.stop()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lab_for(simulator, events_file: str | Path) -> Lab:
    """A Lab on a given (started) simulator, with its own receiver that trusts its signatures.

    `connect()` uses the kernel's shared simulator; tests and trainers' tools use this for a
    simulator of their own (isolation, load, retention)."""
    info = simulator.info()
    client = _sdk_client(info["application_id"], info["private_key"], info["api_host"],
                         info["ca_cert"])
    secret = simulator.credentials.signature_secret
    receiver = Receiver(events_file, signature_secret=secret).start()
    return Lab("simulator", client, receiver, receiver.url, simulator=simulator)


def connect(mode: str | None = None, env_file: str | Path | None = None,
            events_file: str | Path | None = None) -> Lab:
    """A ready Lab: the simulator unless live credentials are configured (or mode says)."""
    settings = read_settings(env_file, mode)
    # The SDK logs every 4xx as a warning with the whole body; the lab shows errors as sentences.
    logging.getLogger("vonage").setLevel(logging.ERROR)
    state_dir = Path(os.environ.get("RECORDING_LAB_HOME",
                                    REPO_ROOT / ".recording-lab")).expanduser()
    log_path = Path(events_file) if events_file else state_dir / f"events-{settings.mode}.jsonl"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if settings.mode == "simulator":
        # re-running a lesson's first cell must not start one more receiver each time
        existing = _simulator_labs.get(log_path)
        if existing is not None and existing.receiver.running:
            return existing
        _simulator_labs[log_path] = lab_for(shared_simulator(), log_path)
        return _simulator_labs[log_path]
    if not settings.application_id or not settings.private_key:
        raise LabSetupError("Live mode needs VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY "
                            "(the path to private.key) in the environment or .env. Run "
                            "`python -m helpers.check_live` to check the whole set-up.")
    key = settings.private_key
    if not key.lstrip().startswith("-----BEGIN"):
        key_path = Path(key).expanduser()
        if not key_path.is_file():
            raise LabSetupError(f"VONAGE_PRIVATE_KEY points to {key_path.name}, which does "
                                "not exist. Give the path to your application's private.key.")
        key = key_path.read_text()
    problem = public_url_problem(settings.public_url)
    if problem:
        raise LabSetupError(problem)
    if settings.ca_bundle and not settings.api_host:
        raise LabSetupError("RECORDING_LAB_CA_BUNDLE only applies together with "
                            "VONAGE_API_HOST (another Voice API host, e.g. a simulator); "
                            "remove it to talk to Vonage.")
    client = _sdk_client(settings.application_id, key, settings.api_host, settings.ca_bundle)
    port = int(os.environ.get("RECORDING_LAB_RECEIVER_PORT", "8765"))
    receiver = Receiver(log_path, port=port, signature_secret=settings.signature_secret)
    event_base = settings.public_url.strip().rstrip("/")
    receiver.events.source = event_base + "/events"
    receiver.start()
    return Lab("live", client, receiver, event_base, from_number=settings.from_number)
