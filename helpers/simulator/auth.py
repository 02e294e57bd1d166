"""JWT checks for every request to the simulated Voice API.

The Vonage SDK signs a fresh RS256 token per request with the application's private key, with
the claims `application_id`, `iat`, `exp` (iat + 15 min) and `jti`. `check_bearer` accepts those
and rejects everything else with a sentence that says what is wrong and how to fix it.

The claim rules are Vonage's, from its authentication guide ("JSON Web Tokens (JWT)",
https://developer.vonage.com/en/getting-started/concepts/authentication; docs source
Nexmo/nexmo-developer `_documentation/en/concepts/guides/authentication.md`): `application_id`,
`iat` and `jti` are required; `nbf` is optional; `exp` is optional, "a maximum value of 24
hours" and "a default value of 15 minutes from the time the JWT is generated". So a token
without `jti`, or whose `exp` is more than 24 h after its `iat`, is refused, and a token
without `exp` expires 15 minutes after its `iat`.

A 401 answer never names an application id, neither the simulator's nor the one a token
claims: whoever sends a bad token learns what is wrong with it, not whose simulator this is.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LEEWAY = 30.0
MAX_LIFETIME = 24 * 3600  # seconds from iat to exp, at most (Vonage's authentication guide)
DEFAULT_LIFETIME = 15 * 60  # a token without exp expires this long after its iat
MAX_HEADER = 16_384
UNAUTHORIZED_TYPE = "https://developer.nexmo.com/api-errors#unauthorized"
HOW_TO = ("Create the client with vonage.Auth(application_id=..., private_key=...) using the "
          "simulator's application_id and private_key.")


class AuthError(Exception):
    """A request's credentials were refused; `detail` says why and what to do."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def unauthorized_body(detail: str, instance: str) -> dict:
    """The JSON body of a Vonage-style 401 answer."""
    return {"type": UNAUTHORIZED_TYPE, "title": "Unauthorized", "detail": detail,
            "instance": instance}


def check_bearer(authorization_header: str | None, application_id: str,
                 public_key_pem: bytes, now: float | None = None) -> dict:
    """Return the claims of a valid `Bearer <JWT>` header, else raise AuthError."""
    token = _token_from_header(authorization_header)
    header = _unverified_header(token)
    alg = header.get("alg")
    if alg != "RS256":
        raise AuthError(f"The token's algorithm is {_short(alg)}, but only RS256 (signed with "
                        f"the application's RSA private key) is accepted. {HOW_TO}")
    try:
        claims = jwt.decode(token, _public_key(public_key_pem), algorithms=["RS256"],
                            options={"verify_exp": False, "verify_iat": False,
                                     "verify_nbf": False, "verify_aud": False,
                                     "verify_iss": False, "verify_sub": False,
                                     "verify_jti": False})
    except jwt.InvalidSignatureError:
        raise AuthError(_foreign_key_detail(token, application_id)) from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise AuthError("The token's payload could not be read: it must be a JSON object of "
                        f"claims. {HOW_TO}") from None
    _check_times(claims, time.time() if now is None else now)
    _check_jti(claims)
    _check_application(claims, application_id)
    return claims


def _foreign_key_detail(token: str, application_id: str) -> str:
    detail = ("The token's signature does not match this application's public key: it was "
              "signed with a different private key. Use the private_key file the simulator "
              "printed (the one that belongs to its application_id).")
    try:
        claimed = jwt.decode(token, options={"verify_signature": False}).get("application_id")
    except (jwt.PyJWTError, ValueError, TypeError, AttributeError):
        return detail
    if claimed is not None and claimed != application_id:
        detail += (" The token also names another application than the simulator's: are "
                   "these another application's credentials (e.g. a real Vonage one)?")
    return detail


def _token_from_header(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise AuthError("The request has no Authorization header. Voice API requests need "
                        f"'Authorization: Bearer <JWT>'. {HOW_TO}")
    if not isinstance(value, str):
        raise AuthError("The Authorization header is not text; it must be "
                        f"'Bearer <JWT>'. {HOW_TO}")
    if len(value) > MAX_HEADER:
        raise AuthError(f"The Authorization header is {len(value)} characters long, far more "
                        f"than a JWT; send 'Bearer <JWT>'. {HOW_TO}")
    parts = value.strip().split(None, 1)
    scheme = parts[0]
    if scheme.lower() != "bearer":
        hint = (" Basic auth (api_key and api_secret) is not used by the Voice API."
                if scheme.lower() == "basic" else "")
        raise AuthError(f"The Authorization header uses the scheme {scheme[:20]!r}; the Voice "
                        f"API needs 'Bearer <JWT>'.{hint} {HOW_TO}")
    if len(parts) < 2 or not parts[1].strip():
        raise AuthError("The Authorization header says 'Bearer' but has no token after it; "
                        f"send 'Bearer <JWT>'. {HOW_TO}")
    return parts[1].strip()


def _unverified_header(token: str) -> dict:
    malformed = AuthError("The bearer token is not a JWT (three base64url parts joined by "
                          f"dots: header.payload.signature). {HOW_TO}")
    if token.count(".") != 2:
        raise malformed
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError):
        raise malformed from None
    if not isinstance(header, dict):
        raise malformed
    return header


@functools.lru_cache(maxsize=8)
def _public_key(public_key_pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise TypeError("the application's public key must be RSA")
    return key


def _number(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def _check_times(claims: dict, now: float) -> None:
    if "iat" not in claims:
        raise AuthError("The token has no 'iat' claim; tokens must say when they were issued "
                        f"(iat, required by Vonage). {HOW_TO}")
    for name in ("iat", "exp"):
        if name in claims and _number(claims, name) is None:
            raise AuthError(f"The token's '{name}' claim is {_short(claims[name])}; it must be "
                            f"a number of seconds since 1970 (a Unix time). {HOW_TO}")
    iat = _number(claims, "iat")
    exp = _number(claims, "exp") if "exp" in claims else iat + DEFAULT_LIFETIME
    if now > exp + LEEWAY:
        raise AuthError(f"The token expired {now - exp:.0f} s ago (exp={exp:.0f}"
                        + ("" if "exp" in claims else ", 15 minutes after its iat, as it has no "
                           "exp") + "). Make a new one for each request (the SDK does this "
                        "for you) or raise its exp.")
    if exp - iat > MAX_LIFETIME:
        raise AuthError(f"The token is valid for {(exp - iat) / 3600:.1f} hours (exp - iat); "
                        "Vonage accepts at most 24 hours. Make a new token for each request "
                        "(the SDK does this for you, valid 15 minutes) or lower its exp.")
    if iat > now + LEEWAY:
        raise AuthError(f"The token was issued {iat - now:.0f} s in the future (iat={iat:.0f}); "
                        "check this computer's clock or the iat you set.")
    nbf = claims.get("nbf")
    if nbf is not None and (_number(claims, "nbf") is None or nbf > now + LEEWAY):
        raise AuthError(f"The token is not valid yet (nbf={_short(nbf)}); remove nbf or set it "
                        "to a time that has passed.")


def _check_jti(claims: dict) -> None:
    jti = claims.get("jti")
    if jti is None:
        raise AuthError("The token has no 'jti' claim; Vonage requires a unique id for each "
                        f"token (e.g. a new UUID; the SDK adds one). {HOW_TO}")
    if not isinstance(jti, str) or not jti.strip():
        raise AuthError("The token's 'jti' claim must be a non-empty string, a unique id for "
                        f"each token (e.g. a new UUID). {HOW_TO}")


def _check_application(claims: dict, application_id: str) -> None:
    claimed = claims.get("application_id")
    if claimed is None:
        raise AuthError("The token has no 'application_id' claim; it must name the "
                        f"application it was signed for. {HOW_TO}")
    if claimed != application_id:
        raise AuthError("The token names another application than this simulator's. Use the "
                        "application_id (and private_key) the simulator printed.")


def _short(value: Any) -> str:
    """A claim's value for a message: short, and never a whole token or key."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}…"
