"""Signed webhooks as Vonage sends them: a JWT in `Authorization`, HS256 with a signature secret.

The token's claims carry `payload_hash`, the SHA-256 (hex) of the request body, so a receiver
can tell both who sent an event (the signature) and that nobody changed it on the way (the
hash). The simulator signs with `sign()`; the receiver checks with `verify()`, which uses the
SDK's own verifier (`vonage_jwt.verify_jwt.verify_signature`) for the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from vonage_jwt.errors import VonageVerifyJwtError
from vonage_jwt.verify_jwt import verify_signature

from . import assumptions

ALGORITHM = "HS256"
MAX_HEADER = 16_384


@dataclass
class SignatureCheck:
    """The outcome of checking one webhook: `ok`, else `reason` in a sentence."""

    ok: bool
    reason: str = ""
    claims: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok


def canonical_json(value: Any) -> bytes:
    """JSON without whitespace, as Vonage hashes it (UTF-8, keys in their given order)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def query_body(params: Mapping[str, str]) -> bytes:
    """What a GET webhook's hash covers: its query parameters as a JSON object, in order."""
    return canonical_json(dict(params))


def payload_hash(body: bytes) -> str:
    """The `payload_hash` claim of a body: SHA-256, hex."""
    return hashlib.sha256(body).hexdigest()


def sign(body: bytes, secret: str, *, api_key: str, application_id: str,
         now: float | None = None) -> str:
    """A signed-webhook JWT for `body` (the exact bytes sent, or `query_body` for GET)."""
    claims = {"iat": int(time.time() if now is None else now), "jti": str(uuid.uuid4()),
              "iss": assumptions.SIGNED_WEBHOOK_ISSUER, "api_key": api_key,
              "application_id": application_id, "payload_hash": payload_hash(body)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def authorization(body: bytes, secret: str, **claims: Any) -> str:
    """The `Authorization` header value for a signed webhook: `Bearer <JWT>`."""
    return "Bearer " + sign(body, secret, **claims)


def verify(authorization_header: str | None, body: bytes, secret: str) -> SignatureCheck:
    """Check a webhook's signature with `secret`, then its `payload_hash` against `body`."""
    token = _token(authorization_header)
    if not isinstance(token, str):
        return token
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return SignatureCheck(False, "the Authorization header does not hold a JWT "
                              "(header.payload.signature)")
    if header.get("alg") != ALGORITHM:
        return SignatureCheck(False, f"the token is signed with {str(header.get('alg'))[:12]!r}"
                              f", not {ALGORITHM} with the signature secret")
    try:
        genuine = verify_signature(token, secret)
    except VonageVerifyJwtError:  # e.g. a clock a little ahead of ours; check with leeway
        genuine = None
    if genuine is False:
        return SignatureCheck(False, "the signature does not match the signature secret: the "
                              "event is forged, or signed with another secret")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            leeway=assumptions.SIGNED_WEBHOOK_LEEWAY,
                            options={"require": ["iat"]})
    except jwt.InvalidSignatureError:
        return SignatureCheck(False, "the signature does not match the signature secret: the "
                              "event is forged, or signed with another secret")
    except jwt.PyJWTError as err:
        return SignatureCheck(False, f"the token's claims are not acceptable ({err}); if the "
                              "clock of this computer is wrong, correct it")
    expected = claims.get("payload_hash")
    if not isinstance(expected, str):
        return SignatureCheck(False, "the token has no payload_hash claim, so the body cannot "
                              "be checked", claims)
    if not hmac.compare_digest(expected.lower(), payload_hash(body)):
        return SignatureCheck(False, "the body does not match the payload_hash in the "
                              "signature: it was changed after it was signed (tampered)", claims)
    return SignatureCheck(True, "", claims)


def _token(header: str | None) -> str | SignatureCheck:
    if header is None or not header.strip():
        return SignatureCheck(False, "the event is not signed: it has no Authorization header")
    if len(header) > MAX_HEADER:
        return SignatureCheck(False, "the Authorization header is far too long for a JWT")
    parts = header.strip().split(None, 1)
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1].strip()
    if len(parts) == 1 and parts[0].count(".") == 2:
        return parts[0]  # a bare token: UNCONFIRMED whether Vonage adds "Bearer"; accept both
    return SignatureCheck(False, "the Authorization header is not 'Bearer <JWT>'")


# --- trying it out (lesson 12) --------------------------------------------------------------
TEST_EVENT = {"type": "lab-test", "status": "answered", "note": "a test event from the lab"}
HOW = ("signed", "forged", "tampered", "unsigned")


@dataclass
class WebhookReply:
    """What the lab's receiver answered to one test event."""

    how: str
    status: int
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def __repr__(self) -> str:
        word = "accepted" if self.accepted else "refused"
        return f"{self.how:<9} → {self.status} {word}" + (f": {self.reason}" if self.reason
                                                          else "")


def send_test_event(lab: Any, how: str = "signed", payload: dict | None = None, *,
                    change: dict | None = None, path: str = "/test-events") -> WebhookReply:
    """Post one event to the lab's receiver: `signed` properly, `forged` (another secret),
    `tampered` (`change` applied to the body after signing) or `unsigned`."""
    import secrets

    if how not in HOW:
        raise ValueError(f"how must be one of {', '.join(HOW)}; you gave {how!r}.")
    original = dict(payload or TEST_EVENT)
    sent = {**original, **(change or {"status": "completed"})} if how == "tampered" else original
    key = {"signed": lab.receiver.signature_secret, "tampered": lab.receiver.signature_secret,
           "forged": secrets.token_urlsafe(36), "unsigned": None}[how]
    reply = post_event(lab, how, original, sent, key, path)
    if how != "signed" and reply.accepted and lab.receiver.signature_secret is None:
        reply.reason = "this receiver has no signature secret, so it checks nothing"
    return reply


def post_event(lab: Any, how: str, signed: dict, sent: dict, key: str | None,
                path: str) -> WebhookReply:
    """Sign `signed` with `key` (None: no signature) and post `sent` to the lab's receiver."""
    import requests

    headers = {"Content-Type": "application/json"}
    if key:
        credentials = getattr(lab.simulator, "credentials", None)
        headers["Authorization"] = authorization(
            canonical_json(signed), key, api_key=getattr(credentials, "api_key", "lab"),
            application_id=getattr(credentials, "application_id", "lab"))
    with requests.Session() as session:
        session.trust_env = False  # the receiver is on loopback: never through a proxy
        reply = session.post(lab.receiver.event_url(path), data=canonical_json(sent),
                             headers=headers, timeout=10)
    reason = ""
    if reply.status_code >= 400:
        try:
            answer = reply.json()
            reason = answer.get("reason") or answer.get("detail", "")
        except ValueError:
            reason = reply.text[:200]
    return WebhookReply(how, reply.status_code, reason)
