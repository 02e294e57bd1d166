"""Check a live-mode set-up step by step, without ever showing a key, a token or a secret.

In a notebook: `check_live()`; in a terminal: `python -m helpers.check_live [--env-file F]`
(exit status 0 when live mode is ready). It checks that the private key parses, that the SDK
makes a JWT with it, that a harmless API call (`voice.list_calls`, one call per page) is
accepted, that PUBLIC_URL can carry webhooks, and whether signed webhooks will be verified.
Each failure says what to fix. In simulator mode it runs the same checks against the lab's own
simulator and lists what live mode would need.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import re
import stat
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .client import (
    LabSetupError,
    Settings,
    _sdk_client,
    key_file,
    mask,
    public_url_problem,
    read_settings,
)
from .secrets import redact

DASHBOARD = "the Applications page of the Vonage API Dashboard"
WIDTH = 96
MARKS = {True: "✔", False: "✘", None: "•"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

LIVE_NEEDS = [
    f"VONAGE_APPLICATION_ID: your Vonage application's id (a UUID) from {DASHBOARD};",
    "VONAGE_PRIVATE_KEY: the path to that application's private.key;",
    "PUBLIC_URL: a public https URL (e.g. a tunnel) that forwards to this lab's webhook "
    "receiver on port 8765;",
    "VONAGE_SIGNATURE_SECRET (optional): your account's signature secret, so that forged or "
    "tampered events are refused;",
    "VONAGE_FROM_NUMBER (optional): a number you rent from Vonage, for calls to come from;",
    "then put them in .env (never in a notebook) and run `python -m helpers.check_live` again.",
]


@dataclass
class Step:
    """One line of the check: passed (True), failed (False) or a note (None)."""

    name: str
    ok: bool | None
    text: str


@dataclass
class LiveCheck:
    """The outcome of `check_live()`: its steps, and whether the set-up is ready."""

    mode: str
    steps: list[Step] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok is not False for step in self.steps)

    @property
    def failures(self) -> list[Step]:
        return [step for step in self.steps if step.ok is False]

    def add(self, name: str, ok: bool | None, text: str) -> bool | None:
        self.steps.append(Step(name, ok, _scrub(text)))
        return ok

    def __str__(self) -> str:
        lines = [textwrap.fill(f"{MARKS[s.ok]} {s.name}: {s.text}", WIDTH,
                               subsequent_indent="  ", break_on_hyphens=False,
                               break_long_words=False)
                 for s in self.steps]
        if self.needs:
            lines += ["What live mode would need:"] + [
                textwrap.fill(n, WIDTH, initial_indent="  - ", subsequent_indent="    ",
                              break_on_hyphens=False, break_long_words=False)
                for n in self.needs]
        if self.mode == "simulator":
            verdict = ("Simulator mode is ready." if self.ok else
                       "Simulator mode has a problem; see the lines marked ✘.")
        else:
            verdict = ("Live mode is ready." if self.ok else
                       f"Live mode is not ready: fix the {len(self.failures)} line(s) marked ✘, "
                       "then run the check again.")
        return "\n".join(lines + [verdict])

    __repr__ = __str__


def check_live(env_file: str | Path | None = None, mode: str | None = None) -> LiveCheck:
    """Check the set-up of the mode `connect()` would choose (or `mode`), secrets unshown."""
    # The SDK logs each refused request with its whole body; the check says it in a sentence.
    logging.getLogger("vonage").setLevel(logging.ERROR)
    try:
        settings = read_settings(env_file, mode)
        return _check_simulator() if settings.mode == "simulator" else _check_live(settings)
    except LabSetupError as err:
        problem = str(err)
    except Exception as err:  # a bug here must not print a traceback that quotes a secret
        problem = (f"the check itself failed ({type(err).__name__}: {err}); please report "
                   "this line (it shows no secret).")
    result = LiveCheck("live")
    result.add("mode", False, problem)  # added outside the handler: no chained exception
    return result


def _check_simulator() -> LiveCheck:
    from .client import shared_simulator

    result = LiveCheck("simulator", needs=list(LIVE_NEEDS))
    result.add("mode", None, "simulator mode: no live credentials are configured, so the "
               "lessons talk to the lab's own Voice API on this computer. No real call is "
               "made and nothing costs money.")
    sim = shared_simulator()
    info = sim.info()
    key = _key_step(result, info["private_key"], "the simulator's application key")
    if key is not None:
        client = _jwt_step(result, info["application_id"], key, info["api_host"],
                           info["ca_cert"])
        if client is not None:
            _api_step(result, client, info["application_id"], "the simulator")
    result.add("signed webhooks", True, "the simulator signs every event (HS256 with its "
               "signature secret, payload_hash of the body) and this lab's receiver verifies "
               "each one, refusing forged or tampered events.")
    return result


def _check_live(settings: Settings) -> LiveCheck:
    result = LiveCheck("live")
    result.add("mode", None, "live mode: the lessons place real calls through Vonage. Real "
               "calls cost money and recordings hold real voices.")
    app_id = _app_id_step(result, settings.application_id)
    key = _key_step(result, settings.private_key, "VONAGE_PRIVATE_KEY")
    host_ok = _host_step(result, settings)
    if app_id and key is not None and host_ok:
        client = _jwt_step(result, app_id, key, settings.api_host, settings.ca_bundle)
        if client is not None:
            _api_step(result, client, app_id, settings.api_host or "Vonage")
    _public_url_step(result, settings.public_url)
    _caller_step(result, settings.from_number)
    _secret_step(result, settings.signature_secret)
    return result


# --- the steps ------------------------------------------------------------------------------
def _app_id_step(result: LiveCheck, app_id: str | None) -> str | None:
    if not app_id:
        result.add("application id", False, "VONAGE_APPLICATION_ID is not set. Fix: copy "
                   f"your application's id from {DASHBOARD} into .env as "
                   "VONAGE_APPLICATION_ID=... .")
        return None
    app_id = app_id.strip()
    if not UUID.match(app_id):
        result.add("application id", False, f"VONAGE_APPLICATION_ID ({mask(app_id)}, "
                   f"{len(app_id)} characters) is not an application id, which looks like "
                   "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d. Did you paste the API key? Fix: copy "
                   f"the application's id from {DASHBOARD}.")
        return None
    result.add("application id", True, f"VONAGE_APPLICATION_ID is set ({mask(app_id)}).")
    return app_id


def _key_step(result: LiveCheck, value: str | None, what: str) -> bytes | None:
    """Read and parse the private key; return its PEM bytes, or None after a ✘ line."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    fix = (f"Fix: in {DASHBOARD}, open the application, choose 'Generate public and private "
           "key', save the private.key it downloads and set VONAGE_PRIVATE_KEY=/path/to/"
           "private.key in .env.")
    if not value:
        result.add("private key", False, f"VONAGE_PRIVATE_KEY is not set. {fix}")
        return None
    if value.lstrip().startswith("-----BEGIN"):
        pem, source = value.encode(), "the key text in VONAGE_PRIVATE_KEY"
    else:
        path, problem = key_file(value)  # never echoes a value that is no path
        if path is None:
            if problem.endswith("which is not a file"):
                problem += " on this computer"
            result.add("private key", False, f"{problem.replace('VONAGE_PRIVATE_KEY', what)}"
                       f". {fix}")
            return None
        source = path.name
        try:
            pem = path.read_bytes()
        except OSError as err:
            result.add("private key", False, f"{source} cannot be read ({err.strerror}). Fix: "
                       "check the file's permissions (chmod 600, owned by you).")
            return None
        if os.name != "nt" and path.stat().st_mode & 0o077:
            result.add("key file", None, f"{source} can be read by other users of this "
                       f"computer (mode {stat.filemode(path.stat().st_mode)}). Fix: "
                       f"chmod 600 {source}.")
    if b"PUBLIC KEY" in pem and b"PRIVATE" not in pem:
        result.add("private key", False, f"{source} holds a public key. The lab signs its "
                   f"requests with the application's private key (private.key). {fix}")
        return None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        result.add("private key", False, f"{source} is protected by a passphrase; the SDK "
                   "needs a key without one. Fix: download the application's private.key again "
                   "(Vonage's keys have no passphrase) or remove it with `openssl pkey -in "
                   "old.key -out private.key`.")
        return None
    except Exception:  # cryptography raises ValueError and others for text that is no key
        result.add("private key", False, f"{source} is not a PEM private key (a text file "
                   f"whose first line starts with '-----BEGIN'). {fix}")
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        result.add("private key", False, f"{source} is not an RSA key; Vonage application "
                   f"keys are RSA. {fix}")
        return None
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    result.add("private key", True, f"{what} parses (PEM, RSA, {key.key_size} bits).")
    return pkcs8


def _host_step(result: LiveCheck, settings: Settings) -> bool:
    if settings.ca_bundle and not settings.api_host:
        result.add("API host", False, "RECORDING_LAB_CA_BUNDLE is set without VONAGE_API_HOST; "
                   "it only applies to another Voice API host (the lab's tests use a "
                   "simulator). Fix: remove RECORDING_LAB_CA_BUNDLE to talk to Vonage.")
        return False
    if settings.ca_bundle and not _is_file(settings.ca_bundle):
        result.add("API host", False, "RECORDING_LAB_CA_BUNDLE is not a file. Fix: point it "
                   "at the CA certificate of VONAGE_API_HOST, or remove both.")
        return False
    if settings.api_host:
        result.add("API host", None, f"VONAGE_API_HOST is set: API calls go to "
                   f"{settings.api_host}, not to Vonage (the lab's tests use this to put a "
                   "simulator in Vonage's place). Remove it for real calls.")
    return True


def _jwt_step(result: LiveCheck, app_id: str, key: bytes, api_host: str | None,
              ca_cert: str | None):
    """Make a JWT with the SDK's Auth (never shown); return a client on success."""
    import jwt
    import vonage

    try:
        token = vonage.Auth(application_id=app_id,
                            private_key=key.decode()).generate_application_jwt()
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        if header.get("alg") != "RS256" or claims.get("application_id") != app_id:
            raise ValueError("the token is not an RS256 token for this application")
        client = _sdk_client(app_id, key.decode(), api_host, ca_cert)
    except Exception as err:  # the SDK wraps key problems in several error types
        result.add("JWT", False, f"the SDK could not make a JWT with this key "
                   f"({type(err).__name__}). Fix: use the application's private.key as "
                   "downloaded, unchanged.")
        return None
    lifetime = int(claims.get("exp", 0)) - int(claims.get("iat", 0))
    result.add("JWT", True, f"the SDK's Auth made a JWT (RS256, valid {lifetime // 60} "
               "minutes); it is not shown.")
    return client


def _api_step(result: LiveCheck, client, app_id: str, where: str) -> bool:
    import requests
    from vonage_http_client.errors import AuthenticationError, ForbiddenError, HttpRequestError
    from vonage_voice.models.requests import ListCallsFilter

    host = client.http_client.api_host
    try:
        client.voice.list_calls(ListCallsFilter(page_size=1))
    except AuthenticationError:
        return result.add("API call", False, f"{where} refused the credentials (401 "
                          f"Unauthorized): the private key does not belong to application "
                          f"{mask(app_id)}, or that application is not in this account. Fix: "
                          f"in {DASHBOARD} open the application with this id and check "
                          "VONAGE_APPLICATION_ID is its id; then use the private.key made for "
                          "it (or generate a new pair there and download the new private.key).")
    except ForbiddenError:
        return result.add("API call", False, f"{where} answered 403 Forbidden: application "
                          f"{mask(app_id)} may not use the Voice API. Fix: turn on the Voice "
                          f"capability of the application in {DASHBOARD}, and check the account "
                          "has credit.")
    except HttpRequestError as err:
        status = getattr(getattr(err, "response", None), "status_code", "an error")
        return result.add("API call", False, f"{where} answered {status} to "
                          "voice.list_calls; try again later, and check Vonage's status page.")
    except requests.exceptions.SSLError:
        return result.add("API call", False, f"the TLS certificate of {host} was not "
                          "trusted. Fix: check the computer's clock and proxy; with "
                          "VONAGE_API_HOST, set RECORDING_LAB_CA_BUNDLE to that host's CA.")
    except requests.exceptions.RequestException as err:
        return result.add("API call", False, f"could not reach {host} "
                          f"({type(err).__name__}). Fix: check the internet connection, and a "
                          "proxy (HTTPS_PROXY) if your network needs one.")
    return result.add("API call", True, f"voice.list_calls (one call per page) was accepted "
                      f"by {where}: the application id and the key belong together.")


def _public_url_step(result: LiveCheck, public_url: str | None) -> bool | None:
    problem = public_url_problem(public_url)
    if problem:
        return result.add("PUBLIC_URL", False, problem)
    base = public_url.strip().rstrip("/")
    host = urlsplit(base).hostname or ""
    if host == "localhost" or _is_private(host):
        return result.add("PUBLIC_URL", False, f"PUBLIC_URL points at {host}, an address "
                          "Vonage cannot reach from the internet. Fix: use the https address "
                          "your tunnel prints (e.g. https://something.ngrok-free.app).")
    return result.add("PUBLIC_URL", True, f"events will be sent to {base}/events (lessons "
                      "fill eventUrl from lab.event_url()); keep the tunnel running while the "
                      "class works.")


def _caller_step(result: LiveCheck, number: str | None) -> None:
    if not number:
        result.add("caller number", None, "VONAGE_FROM_NUMBER is not set: calls ask Vonage for "
                   "random_from_number, one of the numbers linked to the application. Link a "
                   "number to it in the dashboard, or set VONAGE_FROM_NUMBER to a number you "
                   "rent.")
    elif not (number.isdigit() and 7 <= len(number) <= 15):
        result.add("caller number", False, "VONAGE_FROM_NUMBER must be a phone number in "
                   "international form, 7 to 15 digits and nothing else (e.g. 447700900000); "
                   f"it is {len(number)} characters long. Fix: copy the number from the "
                   "Numbers page of the dashboard.")
    else:
        result.add("caller number", True, f"calls come from {number[:-4]}····; it must be a "
                   "number you rent from Vonage.")


def _secret_step(result: LiveCheck, secret: str | None) -> None:
    if not secret:
        result.add("signed webhooks", None, "VONAGE_SIGNATURE_SECRET is not set: events are "
                   "accepted without checking who sent them. Set it (dashboard → API settings "
                   "→ signature secret) to refuse forged or tampered events.")
        return
    short = len(secret) < 32
    result.add("signed webhooks", None if short else True,
               f"VONAGE_SIGNATURE_SECRET is set ({len(secret)} characters): the receiver "
               "refuses events whose signature or payload_hash does not check out. The "
               "application must send signed webhooks, or every event will be refused."
               + (" Vonage recommends a longer secret (32 characters or more)." if short
                  else ""))


def check_public_url(public_url: str):
    """Exercise: would this PUBLIC_URL carry Vonage's webhooks to the lab?"""
    from .verdict import Verdict

    result = LiveCheck("live")
    if _public_url_step(result, public_url):
        return Verdict(True, redact(f"Vonage can post events to {public_url.rstrip('/')}/events, "
                                    "and the tunnel forwards them to the receiver."))
    return Verdict(False, result.steps[-1].text)


def _is_private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _is_file(value: str) -> bool:
    try:
        return Path(value.strip()).expanduser().is_file()
    except (OSError, ValueError):  # File name too long, a NUL byte: not a file
        return False


def _scrub(text: str) -> str:
    """Belt and braces: no key material, JWT, opaque value or URL password is ever shown."""
    return redact(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.check_live",
                                     description="Check the lab's live-mode set-up without "
                                                 "showing any secret.")
    parser.add_argument("--env-file", default=None, help="a .env file to read (default: the "
                        "nearest .env, then the environment)")
    parser.add_argument("--mode", choices=["live", "simulator"], default=None,
                        help="check this mode (default: what connect() would choose)")
    args = parser.parse_args(argv)
    try:
        result = check_live(args.env_file, args.mode)
    except BaseException as err:  # KeyboardInterrupt too: show the traceback, scrubbed
        shown = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    else:
        print(result)
        return 0 if result.ok else 1
    print(redact(shown), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
