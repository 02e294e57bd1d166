"""The simulator's credentials: a local CA, a TLS certificate for loopback, an application key.

`ensure_credentials()` creates them (and the signature secret that signs webhooks) once in the
state directory and reuses them afterwards, so starting the simulator again is fast and the
trainee's application id stays the same. Anything missing or damaged is made again. Every file
is written to a temporary name and moved into place under a lock file, so two simulators
starting together cannot corrupt each other.

One state-folder rule: `ensure_private_dir()` creates the state folder (and the folders in it,
such as recordings/) as 0700 and repairs its mode if it was loosened, whatever the umask;
everything that makes such a folder uses it. Secret files and recordings are written 0600.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import secrets
import stat
import string
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..files import atomic_write

VALIDITY = dt.timedelta(days=3650)
RENEW_BEFORE = dt.timedelta(days=30)
DNS_NAMES = ("localhost",)
IP_ADDRESSES = ("127.0.0.1", "::1")
# split in two: secret scanners look for the whole header line
PKCS8_HEADER = b"-----BEGIN " + b"PRIVATE KEY-----"

CA_CERT, CA_KEY = "ca.pem", "ca.key"
SERVER_CERT, SERVER_KEY = "server.pem", "server.key"
APP_KEY, APP_ID = "private.key", "application_id.txt"
SIGNATURE_SECRET = "signature_secret.txt"
SECRET_MIN_LENGTH = 32  # characters; Vonage recommends long signature secrets
API_SECRET, NUMBER = "api_secret.txt", "number.txt"
# Vonage's API secrets are 16 characters of letters and digits (the dashboard's "API secret";
# the SDK sends it in HTTP Basic auth as api_key:api_secret). A lab assumption: the same form.
API_SECRET_LENGTH = 16
# The application's phone number: a UK "drama" number Ofcom keeps for fiction (07700 900000 to
# 900999, https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama),
# written as Vonage writes numbers (E.164 digits, no +). The last three digits are random, from
# 500 up: below are the callee personas (helpers/callees.py) and the lab's caller ID (...000).
NUMBER_PREFIX = "447700900"
NUMBER_LOWEST = 500


@dataclass(frozen=True)
class Credentials:
    """Paths and ids a simulator serves with and a client connects with."""

    state_dir: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    application_id: str
    private_key: Path
    public_key_pem: bytes
    signature_secret: str = field(default="", repr=False)  # signs webhooks (HS256); never shown
    api_key: str = ""  # the account key named in signed webhooks; derived from the app id
    api_secret: str = field(default="", repr=False)  # with api_key: HTTP Basic auth; never shown
    number: str = ""  # the application's phone number (digits): inbound calls go to it

    @property
    def signature_secret_file(self) -> Path:
        return self.state_dir / SIGNATURE_SECRET


def default_state_dir() -> Path:
    """`$RECORDING_LAB_HOME`, else `.recording-lab` in the repository root."""
    env = os.environ.get("RECORDING_LAB_HOME")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2] / ".recording-lab"


def ensure_private_dir(path: Path | str) -> Path:
    """Create the folder `path` if needed and make it 0700 (owner only), whatever the umask
    and whatever mode it had before; return it. The one rule for the lab's state folder."""
    path = Path(path).expanduser()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # mkdir's mode is cut by the umask
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, readable by its owner only (0600)."""
    _write(path, data, 0o600)


def ensure_credentials(state_dir: Path | str | None = None) -> Credentials:
    """Create (or reuse) the CA, server certificate, application key and id in `state_dir`."""
    state = Path(state_dir).expanduser() if state_dir is not None else default_state_dir()
    state = ensure_private_dir(state).resolve()
    with _locked(state / ".lock"):
        ca_key, ca_cert = _ensure_ca(state)
        _ensure_server(state, ca_key, ca_cert)
        app_key = _ensure_app_key(state)
        app_id = _ensure_app_id(state)
        secret = _ensure_signature_secret(state)
        api_secret = _ensure_api_secret(state)
        number = _ensure_number(state)
    public_pem = app_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Credentials(state_dir=state, ca_cert=state / CA_CERT,
                       server_cert=state / SERVER_CERT, server_key=state / SERVER_KEY,
                       application_id=app_id, private_key=state / APP_KEY,
                       public_key_pem=public_pem, signature_secret=secret,
                       api_key=hashlib.sha256(app_id.encode()).hexdigest()[:8],
                       api_secret=api_secret, number=number)


# --- the pieces ----------------------------------------------------------------------------------
def _ensure_ca(state: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _read_key(state / CA_KEY)
    certs = _read_certs(state / CA_CERT)
    if isinstance(key, ec.EllipticCurvePrivateKey) and certs and _ca_ok(certs[0], key):
        _tighten(state / CA_KEY)
        return key, certs[0]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Recording Lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"Recording Lab local CA {uuid.uuid4().hex[:8]}")])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    permitted = [x509.DNSName(n) for n in DNS_NAMES] + [
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128"))]
    cert = (_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .add_extension(x509.NameConstraints(permitted_subtrees=permitted,
                                                excluded_subtrees=None), critical=True)
            .sign(key, hashes.SHA256()))
    _write(state / CA_KEY, _key_pem(key), 0o600)
    _write(state / CA_CERT, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return key, cert


def _ensure_server(state: Path, ca_key: ec.EllipticCurvePrivateKey,
                   ca_cert: x509.Certificate) -> None:
    key = _read_key(state / SERVER_KEY)
    chain = _read_certs(state / SERVER_CERT)
    if isinstance(key, ec.EllipticCurvePrivateKey) and chain and _server_ok(chain, key, ca_cert):
        _tighten(state / SERVER_KEY)
        return
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Recording Lab"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    sans = [x509.DNSName(n) for n in DNS_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in IP_ADDRESSES]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (_builder(subject, ca_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    _write(state / SERVER_KEY, _key_pem(key), 0o600)
    _write(state / SERVER_CERT, pem + ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _ensure_app_key(state: Path) -> rsa.RSAPrivateKey:
    path = state / APP_KEY
    key = _read_key(path)
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        if not path.read_bytes().lstrip().startswith(PKCS8_HEADER):
            _write(path, _key_pem(key), 0o600)  # same key, in the PKCS#8 form the SDK expects
        _tighten(path)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write(path, _key_pem(key), 0o600)
    return key


def _ensure_app_id(state: Path) -> str:
    path = state / APP_ID
    try:
        return str(uuid.UUID(path.read_text(encoding="ascii").strip()))
    except (OSError, ValueError):
        app_id = str(uuid.uuid4())
        _write(path, (app_id + "\n").encode("ascii"), 0o644)
        return app_id


def _kept_text(path: Path, valid, make) -> str:
    """A short secret kept in the state folder: reused when `valid` (and made private again if
    someone loosened it), otherwise made once with `make` and written 0600."""
    try:
        value = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        value = ""
    if valid(value):
        _tighten(path)
        return value
    value = make()
    _write(path, (value + "\n").encode("ascii"), 0o600)
    return value


def _ensure_signature_secret(state: Path) -> str:
    return _kept_text(
        state / SIGNATURE_SECRET,
        lambda s: len(s) >= SECRET_MIN_LENGTH and s.isascii() and s.isprintable(),
        lambda: secrets.token_urlsafe(36))  # 48 characters


def _ensure_api_secret(state: Path) -> str:
    """The account's API secret (kept 0600 like the other secrets), made once."""
    alphabet = string.ascii_letters + string.digits
    return _kept_text(
        state / API_SECRET,
        lambda s: len(s) == API_SECRET_LENGTH and s.isascii() and s.isalnum(),
        lambda: "".join(secrets.choice(alphabet) for _ in range(API_SECRET_LENGTH)))


def _ensure_number(state: Path) -> str:
    """The application's phone number, made once and kept (0600, like the rest of the state)."""
    return _kept_text(
        state / NUMBER,
        lambda n: len(n) == len(NUMBER_PREFIX) + 3 and n.startswith(NUMBER_PREFIX)
        and n.isdigit() and int(n[-3:]) >= NUMBER_LOWEST,
        lambda: NUMBER_PREFIX + str(NUMBER_LOWEST + secrets.randbelow(1000 - NUMBER_LOWEST)))


# --- checks --------------------------------------------------------------------------------------
def _ca_ok(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return (basic.ca and usage.key_cert_sign and _same_key(cert, key) and _fresh(cert)
                and cert.issuer == cert.subject)
    except (x509.ExtensionNotFound, ValueError):
        return False


def _server_ok(chain: list[x509.Certificate], key: ec.EllipticCurvePrivateKey,
               ca: x509.Certificate) -> bool:
    leaf = chain[0]
    try:
        leaf.verify_directly_issued_by(ca)
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except (x509.ExtensionNotFound, InvalidSignature, ValueError, TypeError):
        return False
    names = set(sans.get_values_for_type(x509.DNSName))
    ips = {str(a) for a in sans.get_values_for_type(x509.IPAddress)}
    return (set(DNS_NAMES) <= names and set(IP_ADDRESSES) <= ips
            and ExtendedKeyUsageOID.SERVER_AUTH in eku and _same_key(leaf, key)
            and _fresh(leaf) and chain[-1] == ca)


def _same_key(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*fmt) == key.public_key().public_bytes(*fmt)


def _fresh(cert: x509.Certificate) -> bool:
    now = dt.datetime.now(dt.UTC)
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - now > RENEW_BEFORE


# --- files ---------------------------------------------------------------------------------------
def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + VALIDITY))


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _read_key(path: Path):
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _read_certs(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return []


def _tighten(path: Path) -> None:
    """Make a reused key file private again if someone loosened it."""
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass


def _write(path: Path, data: bytes, mode: int) -> None:
    """Keys and certificates reach the disk whole, with their mode, before they are used."""
    atomic_write(path, data, mode=mode, fsync=True, suffix=".tmp")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (fcntl on POSIX, msvcrt on Windows)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
