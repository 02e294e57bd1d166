"""The client factory: one `Lab` object per notebook, simulator by default, live on request.

`connect()` returns a `Lab` holding a ready `vonage.Vonage` client, the webhook receiver and
its event log. In simulator mode it starts (or reuses) a local simulator and trusts the
simulator's CA for that host alone; live mode uses your Vonage application's credentials from
the environment or `.env` and Vonage's public TLS as usual. Notebook cells are the same.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import sys
import threading
from dataclasses import dataclass, field, fields
from pathlib import Path

import vonage
from requests.adapters import HTTPAdapter
from urllib3 import Retry

from .receiver import EventLog, Receiver
from .secrets import looks_like_key_fragment, looks_secret, redact

REPO_ROOT = Path(__file__).resolve().parent.parent
SIMULATOR_NUMBER = "447700900000"  # the caller ID of simulated calls (an Ofcom drama number)


class LabSetupError(RuntimeError):
    """The lab cannot connect; the message says what to fix (secrets in it are masked)."""

    def __init__(self, message: str):
        super().__init__(redact(message))


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
    api_key: str | None = None  # VONAGE_API_KEY: the account's key (Applications API)
    api_secret: str | None = field(default=None, repr=False)  # VONAGE_API_SECRET: its secret

    def __repr__(self) -> str:  # the generated one would show a password inside PUBLIC_URL
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
        return redact(f"Settings({shown})")


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
        shown = f"{chosen!r}" if len(chosen) <= 40 else f"{len(chosen)} characters long"
        raise LabSetupError(f"RECORDING_LAB_MODE must be 'simulator' or 'live'; it is "
                            f"{shown}.")
    return Settings(chosen, app_id, key, values.get("PUBLIC_URL") or None,
                    values.get("VONAGE_SIGNATURE_SECRET") or None,
                    values.get("VONAGE_API_HOST") or None,
                    values.get("RECORDING_LAB_CA_BUNDLE") or None,
                    (values.get("VONAGE_FROM_NUMBER") or "").strip().lstrip("+") or None,
                    api_key=values.get("VONAGE_API_KEY") or None,
                    api_secret=values.get("VONAGE_API_SECRET") or None)


def mask(value: str) -> str:
    """Enough of an id to recognise it, not enough to copy it: `1a2b…9z8y`.

    Longer than an id (a key or a token pasted in the wrong place): nothing of it is shown."""
    if len(value) > 40 or "-----" in value or value.startswith("eyJ"):
        return f"[hidden, {len(value)} characters]"
    if len(value) == 36 and value.count("-") == 4:  # an application id (a UUID)
        return f"{value[:4]}…{value[-4:]}"
    return f"{value[:2]}…"  # anything else (an API key or secret pasted here): less of it


KEY_NEITHER = ("VONAGE_PRIVATE_KEY holds something that is neither a key nor a path to one")


def key_file(value: str) -> tuple[Path | None, str | None]:
    """The file VONAGE_PRIVATE_KEY (not PEM text) names, or None and why not (value unshown).

    A pasted key body, a JWT or any value too long for a file name makes `Path.is_file()`
    raise (File name too long) with the value in the message; this never lets it escape."""
    text = value.strip()
    what = _what_it_looks_like(text)
    if what:
        return None, f"{KEY_NEITHER}: {what}"
    try:
        path = Path(text).expanduser()
        exists = path.is_file()
    except (OSError, ValueError):
        exists, path = False, None
    if path is None:
        return None, f"{KEY_NEITHER} ({len(text)} characters, not a usable file name)"
    if not exists and looks_like_key_fragment(text):  # a key's last line: not to be echoed
        return None, (f"{KEY_NEITHER}: it is {len(text)} characters of what looks like a piece "
                      "of a key (its last line?); give the path to private.key instead")
    if not exists:
        return None, f"VONAGE_PRIVATE_KEY points to {redact(repr(str(path)))}, which is not a file"
    return path, None


def _what_it_looks_like(text: str) -> str | None:
    """A hint about a VONAGE_PRIVATE_KEY value that cannot be a path, saying nothing of it."""
    if text.startswith("eyJ"):
        return ("it looks like a JWT. The lab makes its own tokens from the private key; give "
                "the path to private.key instead")
    if "-----" in text:
        return ("it holds part of a key's BEGIN or END line but does not start with it; give "
                "the path to private.key instead")
    if looks_secret(text) and "." not in text.rsplit("/", 1)[-1]:
        return (f"it is {len(text)} characters of what looks like key material or a "
                "token (a key pasted without its BEGIN and END lines?); give the path to "
                "private.key instead")
    return None


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
    try:
        parts = urlsplit(public_url.strip())
    except ValueError:  # e.g. an unclosed [IPv6 address]
        return f"PUBLIC_URL is not a URL the lab can read. {fix}"
    if parts.scheme != "https":
        start = parts.scheme or redact(public_url.strip()).split("@")[0][:12]
        return (f"PUBLIC_URL must start with https:// (it starts with "
                f"{start!r}): events carry call details and the "
                f"download links of recordings, so the lab does not let them travel "
                f"unencrypted. {fix}")
    if not parts.hostname:
        return f"PUBLIC_URL has no host name after https://. {fix}"
    if parts.query or parts.fragment:
        return ("PUBLIC_URL must be a plain address without ?query or #fragment; the lab "
                f"adds paths such as /events to it. {fix}")
    return None


def _read_key_text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        problem = getattr(err, "strerror", None) or "it is not a text file"
    raise LabSetupError(f"{path.name} cannot be read ({problem}). Give the path to your "
                        "application's private.key (chmod 600, owned by you).")


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


def _sibling_listens(port: int, ca_cert: Path) -> bool:
    """Whether the port is held by another simulator of this state folder (another lesson's
    kernel, open at the same time): it proves a certificate of the folder's own CA, and it
    serves the same recordings from the same store, so the old links still work and there is
    nothing to tell the trainee."""
    try:
        context = ssl.create_default_context(cafile=str(ca_cert))
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1"):
            return True
    except (OSError, ssl.SSLError, ValueError):
        return False


def shared_simulator():
    """The kernel's simulator, started on first use.

    It asks for the port the lab's simulator had last time (kept in the state folder), so the
    recording URLs in the event log still work after a kernel restart; if that port is taken
    it says so in one line and takes another (`download_recording` then fetches old URLs from
    the new port)."""
    global _simulator
    with _simulator_lock:
        if _simulator is None:
            from .simulator import Simulator

            simulator = Simulator()
            previous = simulator.store.setting("port")
            simulator.port = previous or 0
            try:
                simulator.start()
            except (OSError, RuntimeError):
                simulator.port = 0
                simulator.start()
                if not _sibling_listens(previous, simulator.credentials.ca_cert):
                    print(f"The lab's simulator could not have its previous port {previous} "
                          f"back (in use); it now listens on port {simulator.port}, and "
                          "recording links from before are fetched from there.",
                          file=sys.stderr)
            _simulator = simulator
        return _simulator


def _sdk_client(application_id: str, private_key: str, api_host: str | None,
                ca_cert: str | None, api_key: str | None = None,
                api_secret: str | None = None) -> vonage.Vonage:
    """The SDK's client. The Applications API (`client.application`) uses the same `api_host`
    as the Voice API (vonage_application.Application calls `http_client.api_host`), so one host
    option routes both to a simulator; it takes Basic auth, hence the key pair when given."""
    options = vonage.HttpClientOptions(api_host=api_host) if api_host else None
    pair = {"api_key": api_key, "api_secret": api_secret} if api_key and api_secret else {}
    try:
        client = vonage.Vonage(vonage.Auth(application_id=application_id,
                                           private_key=private_key, **pair), options)
    except Exception as err:  # the SDK's message may quote the key; raised below, unchained
        problem = f"{type(err).__name__}: {err}"
    else:
        problem = None
    if problem is not None:
        raise LabSetupError(f"The Vonage SDK could not use these credentials ({problem}). "
                            "Check VONAGE_APPLICATION_ID and that VONAGE_PRIVATE_KEY is the "
                            "path to the application's private.key.")
    if ca_cert:
        adapter = PinnedCAAdapter(ca_cert, max_retries=Retry(total=3, backoff_factor=0.1),
                                  pool_maxsize=32)
        client.http_client._session.mount(f"https://{api_host}/", adapter)
    _parse_key_once(client)
    return client


def _parse_key_once(client: vonage.Vonage) -> None:
    """Hand the SDK's JWT signer the private key parsed once, not its PEM text.

    vonage_jwt passes the PEM text to PyJWT, which parses it again for every token: about
    70 ms of CPU per request (RSA key checks), most of what a create-call request costs
    (benchmarks/bench_load.py). PyJWT takes a parsed key as well. If the SDK's internals
    change, or the key does not parse here, the SDK is left as it was."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    signer = getattr(getattr(client.http_client, "auth", None), "_jwt_client", None)
    pem = getattr(signer, "_private_key", None)
    if not isinstance(pem, (str, bytes)):
        return
    try:
        signer._private_key = load_pem_private_key(
            pem.encode() if isinstance(pem, str) else pem, password=None)
    except Exception:  # noqa: BLE001 - the SDK then reports a bad key its own way, as before
        return


class Lab:
    """Everything a lesson needs: the SDK client, the receiver and its events."""

    def __init__(self, mode: str, client: vonage.Vonage, receiver: Receiver,
                 event_base: str, simulator=None, from_number: str | None = SIMULATOR_NUMBER):
        self.mode, self.vonage, self.receiver = mode, client, receiver
        self.simulator = simulator
        self.from_number = from_number  # None: let Vonage pick one (random_from_number)
        self._event_base = event_base.rstrip("/")
        self._sockets: list = []  # lab.socket()'s servers, stopped with the lab

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

    def answer(self, ncco_or_function, method: str = "GET", delay: float = 0.0) -> str:
        """Serve the application's answer webhook from this notebook; return its URL.

        `ncco_or_function` is a fixed NCCO (a list of actions: dicts or the SDK's NCCO models)
        or a function of the answer request (a dict with `to`, `from`, `uuid`,
        `conversation_uuid`, ...) that returns one: a contact centre's answer webhook, in a
        cell. None stops serving it. The receiver answers on `/answer`; each request and what
        was answered is kept in `lab.receiver.answers.requests`. `delay` (seconds) makes it a
        slow answer URL: each answer is sent that long after the request (and, for the
        simulator's virtual clock, says so in assumptions.ANSWER_SECONDS_HEADER).

        In simulator mode this also points the application at it, through the Applications
        API and the SDK as a customer would: `answer_url` becomes this receiver's `/answer`
        (with `method`), and `event_url` this receiver's `/events`, so an inbound call's events
        arrive here too. Live mode only serves it: set the URL on your application yourself
        (the dashboard, or `lab.vonage.application.update_application`).
        """
        self.receiver.answers.set(ncco_or_function, delay)
        url = self.event_url("/answer")
        if self.mode == "simulator" and ncco_or_function is not None:
            self._point_application(url, method)
        return url

    def _point_application(self, answer_url: str, method: str) -> None:
        from vonage_application import (
            ApplicationConfig,
            Capabilities,
            Voice,
            VoiceUrl,
            VoiceWebhooks,
        )

        apps = self.vonage.application
        app_id = self.vonage.http_client.auth.application_id
        current = apps.get_application(app_id)
        capabilities = current.capabilities or Capabilities()
        voice = capabilities.voice or Voice()
        hooks = (voice.webhooks or VoiceWebhooks()).model_copy(update={
            "answer_url": VoiceUrl(address=answer_url, http_method=method),
            "event_url": VoiceUrl(address=self.event_url(), http_method="POST")})
        capabilities = capabilities.model_copy(update={"voice": voice.model_copy(
            update={"webhooks": hooks})})
        apps.update_application(app_id, ApplicationConfig(name=current.name,
                                                          capabilities=capabilities))

    def ring(self, caller: str) -> dict:
        """Simulator only: `caller` rings the application's number (`POST /_sim/inbound`);
        returns `{"uuid", "conversation_uuid"}`. The caller behaves as the callee script set
        for its number (`PUT /_sim/callees/{number}`)."""
        if self.simulator is None:
            raise LabSetupError("lab.ring() needs the simulator: in live mode, phone the "
                                "number linked to your application.")
        return self.vonage.http_client.post(self.api_host, "/_sim/inbound", {
            "from": caller, "to": self.simulator.credentials.number})

    def socket(self, drop_after: float | None = None, echo: bool = True, drops: int = 1,
               on_disconnect: list | None = None):
        """Simulator only: serve a WebSocket for a `connect` action (helpers/lab_socket.py);
        returns the running `LabSocket`: `.uri` for the endpoint, `.event_url` for the
        connect's eventUrl, `.sessions` for what each connection received. `drop_after=N`
        closes the first `drops` connections after N seconds of audio; `on_disconnect` is the
        NCCO it answers the `disconnected` event with. Stopped with the lab."""
        from .lab_socket import LabSocket

        if self.simulator is None:
            raise LabSetupError("lab.socket() serves on this computer, which Vonage cannot "
                                "reach: in live mode, give a public wss:// endpoint.")
        sock = LabSocket(echo=echo, drop_after=drop_after, drops=drops,
                         on_disconnect=on_disconnect,
                         signature_secret=self.simulator.credentials.signature_secret).start()
        self._sockets.append(sock)
        return sock

    @property
    def number(self) -> str | None:
        """The application's phone number in simulator mode (None live)."""
        return None if self.simulator is None else self.simulator.credentials.number

    def __repr__(self) -> str:
        return f"<Lab mode={self.mode} api_host={self.api_host}>"

    def close(self) -> None:
        self.receiver.stop()
        for sock in self._sockets:
            sock.stop()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply_settled(lab: Lab) -> None:
    """Run the simulator the way a trainer's live calls settled it (helpers.settled), for the
    assumptions it can switch; the others change only the labels texts carry."""
    from .settled import load

    results = load()
    if not results:
        return
    switchable = lab.vonage.http_client.get(lab.api_host, "/_sim/assumptions")
    wanted = {name: entry["holds"] for name, entry in results.items() if name in switchable}
    if wanted:
        lab.vonage.http_client.put(lab.api_host, "/_sim/assumptions", wanted)


def lab_for(simulator, events_file: str | Path) -> Lab:
    """A Lab on a given (started) simulator, with its own receiver that trusts its signatures.

    `connect()` uses the kernel's shared simulator; tests and trainers' tools use this for a
    simulator of their own (isolation, load, retention)."""
    info = simulator.info()
    client = _sdk_client(info["application_id"], info["private_key"], info["api_host"],
                         info["ca_cert"], info["api_key"], info["api_secret"])
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
    if events_file is None:  # the state folder: 0700, the same rule as the simulator's
        from .simulator.keys import ensure_private_dir

        ensure_private_dir(state_dir)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    if settings.mode == "simulator":
        # re-running a lesson's first cell must not start one more receiver each time
        existing = _simulator_labs.get(log_path)
        if existing is not None and existing.receiver.running:
            return existing
        _simulator_labs[log_path] = lab_for(shared_simulator(), log_path)
        _apply_settled(_simulator_labs[log_path])
        return _simulator_labs[log_path]
    if not settings.application_id or not settings.private_key:
        raise LabSetupError("Live mode needs VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY "
                            "(the path to private.key) in the environment or .env. Run "
                            "`python -m helpers.check_live` to check the whole set-up.")
    key = settings.private_key
    if not key.lstrip().startswith("-----BEGIN"):
        key_path, problem = key_file(key)
        if key_path is None:
            raise LabSetupError(f"{problem}. Give the path to your application's "
                                "private.key. Run `python -m helpers.check_live` to check the "
                                "whole set-up.")
        key = _read_key_text(key_path)
    problem = public_url_problem(settings.public_url)
    if problem:
        raise LabSetupError(problem)
    if settings.ca_bundle and not settings.api_host:
        raise LabSetupError("RECORDING_LAB_CA_BUNDLE only applies together with "
                            "VONAGE_API_HOST (another Voice API host, e.g. a simulator); "
                            "remove it to talk to Vonage.")
    client = _sdk_client(settings.application_id, key, settings.api_host, settings.ca_bundle,
                         settings.api_key, settings.api_secret)
    port = int(os.environ.get("RECORDING_LAB_RECEIVER_PORT", "8765"))
    receiver = Receiver(log_path, port=port, signature_secret=settings.signature_secret)
    event_base = settings.public_url.strip().rstrip("/")
    receiver.events.source = redact(event_base + "/events")  # shown in EventTimeout messages
    receiver.start()
    return Lab("live", client, receiver, event_base, from_number=settings.from_number)
