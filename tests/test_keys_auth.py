"""The simulator's credentials (CA, TLS certificate, application key) and its JWT checks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vonage_http_client.auth import Auth

from helpers.simulator.auth import AuthError, check_bearer, unauthorized_body
from helpers.simulator.keys import PKCS8_HEADER, Credentials, ensure_credentials

KEYS_PY = Path(__file__).resolve().parents[1] / "helpers" / "simulator" / "keys.py"


@pytest.fixture(scope="module")
def creds(tmp_path_factory) -> Credentials:
    return ensure_credentials(tmp_path_factory.mktemp("lab") / "state")


def private_pem(creds: Credentials) -> bytes:
    return creds.private_key.read_bytes()


def token(creds: Credentials, claims: dict | None = None, key: bytes | None = None,
          alg: str = "RS256", drop: tuple[str, ...] = ()) -> str:
    now = int(time.time())
    payload = {"application_id": creds.application_id, "iat": now, "exp": now + 900,
               "jti": str(uuid.uuid4())}
    payload.update(claims or {})
    for name in drop:
        payload.pop(name)
    return jwt.encode(payload, key or private_pem(creds), algorithm=alg)


def check(creds: Credentials, header: str | None, now: float | None = None) -> dict:
    return check_bearer(header, creds.application_id, creds.public_key_pem, now=now)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- keys ----------------------------------------------------------------------------------------
def test_creates_private_files_and_reuses_them(tmp_path):
    first = ensure_credentials(tmp_path / "state")
    assert stat.S_IMODE(first.state_dir.stat().st_mode) == 0o700
    for key in (first.private_key, first.server_key, first.state_dir / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert str(uuid.UUID(first.application_id, version=4)) == first.application_id
    assert first.private_key.read_bytes().startswith(PKCS8_HEADER)
    key = serialization.load_pem_private_key(first.private_key.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    snapshot = {p.name: p.read_bytes() for p in first.state_dir.iterdir()}
    again = ensure_credentials(tmp_path / "state")
    assert again == first
    assert {p.name: p.read_bytes() for p in again.state_dir.iterdir()} == snapshot


def test_certificates_have_what_openssl3_needs(creds):
    ca = x509.load_pem_x509_certificate(creds.ca_cert.read_bytes())
    chain = x509.load_pem_x509_certificates(creds.server_cert.read_bytes())
    leaf = chain[0]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1", "::1"}
    leaf.verify_directly_issued_by(ca)
    years = (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days / 365
    assert 9 < years < 11


def test_env_var_chooses_the_default_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RECORDING_LAB_HOME", str(tmp_path / "home"))
    assert ensure_credentials().state_dir == (tmp_path / "home").resolve()


def test_damaged_files_are_made_again_and_the_id_stays(tmp_path):
    first = ensure_credentials(tmp_path)
    ca_before = first.ca_cert.read_bytes()
    first.server_cert.write_text("not a certificate")
    second = ensure_credentials(tmp_path)
    assert second.ca_cert.read_bytes() == ca_before
    assert x509.load_pem_x509_certificates(second.server_cert.read_bytes())
    (tmp_path / "ca.key").write_bytes(b"garbage")
    first.private_key.unlink()
    third = ensure_credentials(tmp_path)
    assert third.ca_cert.read_bytes() != ca_before
    chain = x509.load_pem_x509_certificates(third.server_cert.read_bytes())
    chain[0].verify_directly_issued_by(x509.load_pem_x509_certificate(third.ca_cert.read_bytes()))
    assert third.application_id == first.application_id
    assert third.public_key_pem != first.public_key_pem
    (tmp_path / "application_id.txt").write_text("nope")
    assert ensure_credentials(tmp_path).application_id != first.application_id


def test_traditional_rsa_key_is_kept_but_rewritten_as_pkcs8(tmp_path):
    first = ensure_credentials(tmp_path)
    key = serialization.load_pem_private_key(first.private_key.read_bytes(), None)
    first.private_key.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    os.chmod(first.private_key, 0o644)
    again = ensure_credentials(tmp_path)
    assert again.public_key_pem == first.public_key_pem
    assert again.private_key.read_bytes().startswith(PKCS8_HEADER)
    assert stat.S_IMODE(again.private_key.stat().st_mode) == 0o600


def test_concurrent_starts_agree(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ensure_credentials(tmp_path / "t"), range(8)))
    assert len({r.application_id for r in results}) == 1
    assert len({r.public_key_pem for r in results}) == 1
    script = ("import hashlib, json, sys\n"
              f"sys.path.insert(0, {str(KEYS_PY.parents[2])!r})\n"
              "from helpers.simulator import keys\n"
              "c = keys.ensure_credentials(sys.argv[1])\n"
              "print(json.dumps([c.application_id,"
              " hashlib.sha256(c.ca_cert.read_bytes()).hexdigest()]))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "p")],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {tuple(json.loads(p.communicate(timeout=60)[0])) for p in procs}
    assert len(outputs) == 1
    app_id, ca_hash = outputs.pop()
    final = ensure_credentials(tmp_path / "p")
    assert final.application_id == app_id
    assert hashlib.sha256(final.ca_cert.read_bytes()).hexdigest() == ca_hash
    assert not [p for p in final.state_dir.iterdir() if p.name.endswith(".tmp")]


# --- TLS -----------------------------------------------------------------------------------------
class TLSServer:
    """A tiny uvicorn server over TLS that answers with the bearer check's result."""

    def __init__(self, creds: Credentials, host: str):
        import uvicorn

        async def app(scope, receive, send):
            if scope["type"] != "http":
                return
            headers = dict(scope["headers"])
            auth = headers.get(b"authorization")
            try:
                body, code = check(creds, auth.decode("latin-1") if auth else None), 200
            except AuthError as err:
                body, code = unauthorized_body(err.detail, "test"), 401
            await send({"type": "http.response.start", "status": code,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(body).encode()})

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                ssl_certfile=str(creds.server_cert),
                                ssl_keyfile=str(creds.server_key))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.server.started

    def stop(self) -> None:
        # force_exit: do not wait up to 30 s for TLS close_notify from idle keep-alive clients
        self.server.should_exit = self.server.force_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def tls(creds):
    server = TLSServer(creds, "127.0.0.1")
    yield server
    server.stop()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_requests_trusts_the_local_ca(creds, tls, name):
    headers = {"Authorization": Auth(application_id=creds.application_id,
                                     private_key=str(creds.private_key)
                                     ).create_jwt_auth_string().decode()}
    answer = requests.get(f"https://{name}:{tls.port}/", verify=str(creds.ca_cert),
                          headers=headers, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["application_id"] == creds.application_id
    refused = requests.get(f"https://{name}:{tls.port}/", verify=str(creds.ca_cert), timeout=10)
    assert refused.status_code == 401
    assert refused.json()["type"] == "https://developer.nexmo.com/api-errors#unauthorized"


def test_default_trust_store_refuses_it(tls):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://127.0.0.1:{tls.port}/", verify=True, timeout=10)


def test_strict_x509_verification_accepts_it(creds, tls):
    context = ssl.create_default_context(cafile=str(creds.ca_cert))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.create_connection(("127.0.0.1", tls.port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as wrapped:
            assert wrapped.getpeercert()["subjectAltName"]


def test_ipv6_loopback(creds):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = TLSServer(creds, "::1")
    except OSError:
        pytest.skip("::1 is not available here")
    try:
        answer = requests.get(f"https://[::1]:{server.port}/", verify=str(creds.ca_cert),
                              timeout=10)
        assert answer.status_code == 401
    finally:
        server.stop()


# --- JWT -----------------------------------------------------------------------------------------
def test_sdk_tokens_pass_with_a_path_or_a_pem(creds):
    for private_key in (str(creds.private_key), private_pem(creds).decode()):
        header = Auth(application_id=creds.application_id,
                      private_key=private_key).create_jwt_auth_string().decode()
        claims = check(creds, header)
        assert claims["application_id"] == creds.application_id
        assert {"iat", "exp", "jti"} <= set(claims)


def test_leeway_on_expiry(creds):
    now = time.time()
    header = "Bearer " + token(creds, {"exp": int(now) - 20})
    assert check(creds, header, now=now)
    assert check(creds, "bearer  " + token(creds) + " ", now=now)


def hs256_with_public_key(creds: Credentials) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"application_id": creds.application_id, "iat": int(time.time()),
                           "exp": int(time.time()) + 900}).encode())
    sig = hmac.new(creds.public_key_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def unsigned(creds: Credentials) -> str:
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64(json.dumps({"application_id": creds.application_id, "iat": int(time.time()),
                           "exp": int(time.time()) + 900}).encode())
    return f"{head}.{body}."


def foreign_pem() -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def ec_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


BAD = {
    "missing": (lambda c: None, "no Authorization header"),
    "empty": (lambda c: "  ", "no Authorization header"),
    "basic": (lambda c: "Basic dXNlcjpwYXNz", "Basic auth"),
    "no token": (lambda c: "Bearer ", "no token"),
    "not a jwt": (lambda c: "Bearer abc.def", "not a JWT"),
    "bad base64": (lambda c: "Bearer !!!.???.***", "not a JWT"),
    "alg none": (lambda c: "Bearer " + unsigned(c), "'none'"),
    "hs256 with public key": (lambda c: "Bearer " + hs256_with_public_key(c), "'HS256'"),
    "rs512": (lambda c: "Bearer " + token(c, alg="RS512"), "'RS512'"),
    "es256": (lambda c: "Bearer " + token(c, key=ec_pem(), alg="ES256"), "'ES256'"),
    "foreign key": (lambda c: "Bearer " + token(c, key=foreign_pem()), "different private key"),
    "foreign app": (lambda c: "Bearer " + token(c, {"application_id": "real-app"},
                                                key=foreign_pem()), "another application"),
    "expired": (lambda c: "Bearer " + token(c, {"exp": int(time.time()) - 60}), "expired"),
    "no exp, issued 16 min ago": (lambda c: "Bearer " + token(c, {"iat": int(time.time()) - 960},
                                                          drop=("exp",)),
                                  "15 minutes after its iat"),
    "no jti": (lambda c: "Bearer " + token(c, drop=("jti",)), "no 'jti' claim"),
    "empty jti": (lambda c: "Bearer " + token(c, {"jti": ""}), "'jti' claim must be"),
    "number jti": (lambda c: "Bearer " + token(c, {"jti": 7}), "'jti' claim must be"),
    "exp 24 h + 1 s after iat": (lambda c: "Bearer " + token(
        c, {"exp": int(time.time()) + 24 * 3600 + 1}), "at most 24 hours"),
    "exp a year away": (lambda c: "Bearer " + token(c, {"exp": int(time.time()) + 365 * 86400}),
                        "at most 24 hours"),
    "nan exp": (lambda c: "Bearer " + jwt.api_jws.encode(
        json.dumps({"application_id": c.application_id, "iat": int(time.time()),
                    "exp": float("nan"), "jti": "x"}).encode(), private_pem(c),
        algorithm="RS256"), "must be a number"),
    "no iat": (lambda c: "Bearer " + token(c, drop=("iat",)), "no 'iat' claim"),
    "text exp": (lambda c: "Bearer " + token(c, {"exp": "tomorrow"}), "must be a number"),
    "future iat": (lambda c: "Bearer " + token(c, {"iat": int(time.time()) + 3600,
                                                   "exp": int(time.time()) + 4000}),
                   "in the future"),
    "no app id": (lambda c: "Bearer " + token(c, drop=("application_id",)),
                  "no 'application_id' claim"),
    "other app id": (lambda c: "Bearer " + token(c, {"application_id": "someone-else"}),
                     "another application"),
    "payload not object": (lambda c: "Bearer " + jwt.api_jws.encode(
        b"[1, 2]", private_pem(c), algorithm="RS256"), "payload could not be read"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_tokens_are_refused_with_a_specific_reason(creds, kind):
    make, expected = BAD[kind]
    with pytest.raises(AuthError) as caught:
        check(creds, make(creds))
    assert expected in caught.value.detail
    assert caught.value.detail.endswith((".", "?"))
    # a 401 tells whoever sent the token what is wrong, never whose simulator this is
    assert creds.application_id not in caught.value.detail
    assert "someone-else" not in caught.value.detail and "real-app" not in caught.value.detail


def test_jwt_rules_as_vonage_documents_them(creds):
    """jti required; exp optional (default iat + 15 min), at most 24 h after iat."""
    now = int(time.time())
    assert check(creds, "Bearer " + token(creds, {"iat": now, "exp": now + 24 * 3600}), now=now)
    assert check(creds, "Bearer " + token(creds, {"iat": now}, drop=("exp",)), now=now + 800)
    with pytest.raises(AuthError, match="15 minutes after its iat"):
        check(creds, "Bearer " + token(creds, {"iat": now}, drop=("exp",)), now=now + 960)
    with pytest.raises(AuthError, match="at most 24 hours"):  # even when iat is long past
        check(creds, "Bearer " + token(creds, {"iat": now - 86400, "exp": now + 2}), now=now)


def test_sdk_tokens_follow_the_rules(creds):
    """vonage-jwt (the SDK's JwtClient) adds a uuid4 jti and exp = iat + 900 s."""
    for _ in range(3):
        raw = Auth(application_id=creds.application_id,
                   private_key=str(creds.private_key)).generate_application_jwt()
        claims = jwt.decode(raw, options={"verify_signature": False})
        assert str(uuid.UUID(claims["jti"])) == claims["jti"]
        assert 0 < claims["exp"] - claims["iat"] <= 24 * 3600
        assert claims["exp"] - claims["iat"] == 900
        assert check(creds, "Bearer " + raw.decode())


def test_401_answers_name_no_application_id(creds, tls):
    """Over HTTPS, as a stranger sees it: Vonage's 401 body, and no application id in it."""
    foreign = foreign_pem()
    headers = [None, "Bearer " + token(creds, {"application_id": "someone-else"}),
               "Bearer " + token(creds, key=foreign),
               "Bearer " + token(creds, {"application_id": "real-app"}, key=foreign),
               "Bearer " + token(creds, drop=("application_id",)),
               "Bearer " + token(creds, drop=("jti",))]
    for header in headers:
        answer = requests.get(f"https://127.0.0.1:{tls.port}/", verify=str(creds.ca_cert),
                              headers={"Authorization": header} if header else {}, timeout=10)
        assert answer.status_code == 401
        body = answer.json()
        assert set(body) == {"type", "title", "detail", "instance"}
        assert body["type"] == "https://developer.nexmo.com/api-errors#unauthorized"
        assert body["title"] == "Unauthorized"
        for app_id in (creds.application_id, "someone-else", "real-app"):
            assert app_id not in answer.text


def test_unauthorized_body_shape():
    assert unauthorized_body("why", "abc") == {
        "type": "https://developer.nexmo.com/api-errors#unauthorized", "title": "Unauthorized",
        "detail": "why", "instance": "abc"}


segment = st.binary(max_size=64).map(b64)
json_segment = st.dictionaries(
    st.sampled_from(["alg", "typ", "kid", "application_id", "iat", "exp", "crit", "nbf"]),
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
              st.text(max_size=10), st.sampled_from(["RS256", "none", "HS256"]),
              st.lists(st.integers(), max_size=2)),
).map(lambda d: b64(json.dumps(d).encode()))
garbage = st.one_of(
    st.none(), st.text(), st.binary().map(lambda b: b.decode("latin-1")),
    st.text().map(lambda t: "Bearer " + t),
    st.tuples(st.one_of(segment, json_segment), st.one_of(segment, json_segment), segment)
    .map(lambda parts: "Bearer " + ".".join(parts)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=garbage)
def test_garbage_headers_only_ever_raise_auth_error(creds, header):
    with pytest.raises(AuthError) as caught:
        check(creds, header)
    assert caught.value.detail


def test_the_labs_sdk_client_signs_with_a_key_parsed_once(lab, sim):
    """helpers.client hands the SDK's JWT signer a parsed key (PyJWT would parse the PEM text
    again for every request, ~70 ms of CPU each); its tokens still verify with the public
    key and carry what the SDK puts in them."""
    signer = lab.vonage.http_client.auth._jwt_client
    assert isinstance(signer._private_key, rsa.RSAPrivateKey)
    token = lab.vonage.http_client.auth.generate_application_jwt()
    public = serialization.load_pem_private_key(
        Path(sim.info()["private_key"]).read_bytes(), password=None).public_key()
    claims = jwt.decode(token, public, algorithms=["RS256"])
    assert claims["application_id"] == sim.info()["application_id"] and claims["jti"]
    from vonage_voice.models.requests import ListCallsFilter

    lab.voice.list_calls(ListCallsFilter(page_size=1))  # and the simulator takes them
