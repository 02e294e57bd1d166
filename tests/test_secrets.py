"""No secret in the repository: not in a file, not in a stored notebook output.

Scans every file git would commit (tracked, plus new files not ignored) and every output of
every notebook for private keys, JWTs and API secrets, including this run's own simulator key
and webhook signature secret; and asks git that keys, `.env`, recordings and the simulator's
state folder are ignored.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = {
    "a private key": re.compile(  # a header with a key body after it, raw or JSON-escaped
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\[rn]|\s)+(?:[\w-]+: .*(?:\\n|\s)+)*"
        r"[A-Za-z0-9+/=]{40}"),
    "a JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    "an API secret": re.compile(
        r"(?i)\b(?:VONAGE_API_SECRET|VONAGE_SIGNATURE_SECRET|api_secret|signature_secret|"
        r"client_secret|secret_key|password)\b\s*[:=]\s*[\"']?(?P<value>[A-Za-z0-9+/_-]{8,})"),
    "a cloud or chat token": re.compile(
        r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abprs]-[A-Za-z0-9-]{10,}|"
        r"sk_live_[A-Za-z0-9]{16,})\b"),
}
# Words that show an "API secret" match is a placeholder or a variable, not a value.
PLACEHOLDERS = re.compile(r"(?i)your|example|placeholder|changeme|xxxx|secret_file|secret\b|"
                          r"settings|creds|credentials|environ|getenv|none|path|str|self")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def repo_files() -> list[Path]:
    """Every file git would commit: tracked ones and new ones that are not ignored."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (or git is missing): nothing to scan")
    names = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    return [ROOT / name for name in names if name and (ROOT / name).is_file()]


def findings(text: str, where: str, own_secrets: list[str]) -> list[str]:
    """Each secret-looking string in `text`, as 'where: what'."""
    found = []
    for what, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.groupdict().get("value")
            if value is not None and PLACEHOLDERS.search(value):
                continue
            found.append(f"{where}: {what} ({match.group(0)[:24]}...)")
    found += [f"{where}: this run's simulator secret" for secret in own_secrets
              if secret in text]
    return found


@pytest.fixture(scope="module")
def own_secrets(sim) -> list[str]:
    """This run's private key body, webhook signature secret and API secret: they must appear
    nowhere."""
    key = Path(sim.info()["private_key"]).read_text()
    body = "".join(line for line in key.splitlines() if "-----" not in line)
    secrets = [body[40:100]]
    for name in ("signature_secret", "api_secret"):
        secret = getattr(sim.credentials, name, "")
        if secret:
            secrets.append(secret)
    return secrets


def test_patterns_find_what_they_should():
    """The scanner itself: each kind of secret is caught, markers and placeholders are not."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    rsa_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    token = jwt.encode({"application_id": "x", "iat": 1}, pem, algorithm="RS256")
    secret = "VONAGE_API_" + "SECRET=a1B2c3D4e5F6g7H8"
    samples = {pem: 1, rsa_pem: 1, json.dumps({"text": pem}): 1, token: 1, f"x = '{token}'": 1,
               secret: 1, "api_" + 'secret: "Zx9Yw8Vu7Ts6"': 1, "AKIA" + "ABCDEFGHIJKLMNOP": 1,
               pem.splitlines()[0]: 0, "VONAGE_API_SECRET=your-api-secret": 0,
               "signature_secret = creds.signature_secret": 0, token.split(".")[0]: 0}
    for text, count in samples.items():
        assert len(findings(text, "sample", [])) == count, text


def test_no_secret_in_any_file_git_would_commit(repo_files, own_secrets):
    problems = []
    for path in repo_files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = path.read_bytes().decode("latin-1")  # binary: still look for PEM and JWTs
        problems += findings(text, str(path.relative_to(ROOT)), own_secrets)
    assert not problems, "\n".join(problems)


def test_no_secret_in_any_stored_notebook_output(own_secrets):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    problems, outputs = [], 0
    for path in notebooks:
        book = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(book["cells"]):
            for output in cell.get("outputs", []):
                outputs += 1
                problems += findings(json.dumps(output), f"{path.name} cell {index}",
                                     own_secrets)
        problems += findings(json.dumps(book.get("metadata", {})), f"{path.name} metadata",
                             own_secrets)
    assert outputs > 0 and not problems, "\n".join(problems)


@pytest.mark.parametrize("path", [
    ".env", "notebooks/.env", "private.key", "notebooks/private.key", "keys/app.pem",
    "secrets/private_app.key", "recordings/CON-1.mp3", "notebooks/recordings/rec.wav",
    "somewhere/else/rec.ogg", ".recording-lab/private.key", ".recording-lab/ca.pem",
    ".recording-lab/signature_secret.txt", ".recording-lab/events-simulator.jsonl",
    ".recording-lab/recordings/abc.mp3", "artifacts/browser/playground.png"])
def test_gitignore_covers(repo_files, path):
    reply = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
    assert reply.returncode == 0, f".gitignore does not cover {path}"
