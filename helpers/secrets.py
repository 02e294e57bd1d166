"""One rule for hiding secrets in anything the lab prints: `redact(text)`.

Every message that can carry a value the trainee typed (check_live's lines, connect()'s
LabSetupError) goes through `redact`, so a key pasted in the wrong place, a JWT, an opaque
secret or a password inside a URL is never shown, whatever sentence it ended up in. It hides:

- PEM blocks, with or without their BEGIN/END lines (base64 runs, also across line breaks);
- JWT-like strings (`eyJ…`, with or without their other parts);
- any run of 32 or more opaque characters (`A-Z a-z 0-9 + / = _ -`), unless every part of
  it between slashes reads like a plain folder or file name (`test_key_that_does_not_parse0`,
  `pytest-of-trainer`), so paths stay readable;
- the password in `user:password@host` (shown as `user:***@host`).

This module imports nothing from the rest of the lab, so any module can use it.
"""

from __future__ import annotations

import re
from itertools import pairwise

KEY_HIDDEN = "[key hidden]"
TOKEN_HIDDEN = "[token hidden]"
HIDDEN = "[hidden]"

_PEM_BLOCK = re.compile(r"-----BEGIN[^-\n]*-----.*?(?:-----END[^-\n]*-----|\Z)", re.S)
_PEM_MARKER = re.compile(r"-----(?:BEGIN|END)[^-\n]*-----")
_JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){0,2}")
# A run of opaque characters, continued over line breaks (real or escaped, as in a repr) the
# way a PEM body is: each continuation line must itself be base64.
_OPAQUE_RUN = re.compile(r"[A-Za-z0-9+/=_-]{32,}(?:(?:\r?\n|\\r\\n|\\n)[A-Za-z0-9+/=]+)*")
# `scheme://user:password@` and a bare `user:password@host` (no scheme).
_URL_PASSWORD = re.compile(r"(?P<user>//[^\s:/@'\"<>]*):[^\s@/'\"<>]+@")
_BARE_PASSWORD = re.compile(
    r"(?:^|(?<=[\s'\"(<\[=,]))(?P<user>[A-Za-z0-9._%+-]+):[^\s@/'\"<>:]+@(?=[\w\[])")
_PIECES = re.compile(r"[-_+=]")
_LONGEST_WORD = 24


def redact(text: object) -> str:
    """`text` (made a string) with key material, JWTs, opaque values and passwords hidden."""
    text = str(text)
    text = _PEM_BLOCK.sub(KEY_HIDDEN, text)
    text = _PEM_MARKER.sub(KEY_HIDDEN, text)  # an END line left over from a partial paste
    text = _JWT_LIKE.sub(TOKEN_HIDDEN, text)
    text = _OPAQUE_RUN.sub(_hide_opaque, text)
    text = _URL_PASSWORD.sub(r"\g<user>:***@", text)
    return _BARE_PASSWORD.sub(r"\g<user>:***@", text)


def looks_secret(value: str) -> bool:
    """True when `redact` would hide part of `value` (a key, a token, an opaque string)."""
    return redact(value) != value


_BASE64_ONLY = re.compile(r"[A-Za-z0-9+/=]{8,}")


def looks_like_key_fragment(value: str) -> bool:
    """True for a short piece of base64 too short for `redact` to hide (a key's last line, a
    tail of one): nothing but the base64 alphabet, ending in `=` padding, holding a `+`, or
    with a part between slashes that reads like no name. `/home/trainer/privatekey` is not."""
    text = "".join(value.split())
    if not _BASE64_ONLY.fullmatch(text):
        return False
    return (text.endswith("=") or "+" in text
            or not all(_word_like(part) for part in text.split("/") if part))


def _hide_opaque(match: re.Match) -> str:
    run = match.group(0)
    if "\n" in run or "\\n" in run or not all(map(_plain_segment, run.split("/"))):
        return KEY_HIDDEN if len(run) >= 200 else HIDDEN
    return run


def _plain_segment(segment: str) -> bool:
    """Does this part of a path read like a name a person gave a folder or file?"""
    return len(segment) < 16 or all(map(_word_like, _PIECES.split(segment)))


def _word_like(piece: str) -> bool:
    """A word, a CamelCase name or a number, not a random string: few switches between
    lower case, upper case and digits (an upper case letter may start a word)."""
    if len(piece) > _LONGEST_WORD:
        return False
    switches = sum(1 for a, b in pairwise(piece)
                   if _kind(a) != _kind(b) and not (_kind(a) == "A" and _kind(b) == "a"))
    return switches <= max(1, len(piece) // 5)


def _kind(char: str) -> str:
    return "a" if char.islower() else "A" if char.isupper() else "0"
