"""Where the simulator may send a request of its own: loopback only, unless told otherwise.

The simulator fetches answer and transfer NCCOs and delivers webhooks. It is a teaching tool
running on a laptop, so it contacts only this machine (127.0.0.0/8, ::1, `localhost`), never
a host on the network or the internet, unless `RECORDING_LAB_SIM_ALLOW_HOSTS` names more
hosts (comma-separated host names or IP addresses; `*` allows any). Names are not resolved:
a name is allowed only when listed (or is `localhost`), so a DNS answer cannot widen the rule.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

__all__ = ["ALLOW_HOSTS_SETTING", "allowed_hosts", "refusal"]

ALLOW_HOSTS_SETTING = "RECORDING_LAB_SIM_ALLOW_HOSTS"


def allowed_hosts() -> set[str]:
    """The hosts allowed beyond loopback (read on every call, so a test or lesson can set it)."""
    raw = os.environ.get(ALLOW_HOSTS_SETTING, "")
    return {h.strip().lower().strip("[]") for h in raw.split(",") if h.strip()}


def refusal(url: str, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """None when the simulator may contact `url`; otherwise why not, in one sentence.
    `schemes`: ("ws", "wss") for a WebSocket endpoint."""
    try:
        parts = urlsplit(str(url))
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{str(url)[:200]} is not a valid URL."
    if parts.scheme not in schemes or not host:
        return f"{str(url)[:200]} is not a {' or '.join(s + '://' for s in schemes)} URL."
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    extra = allowed_hosts()
    if "*" in extra or host in extra:
        return None
    return (f"The simulator contacts this computer only (127.0.0.1, ::1, localhost), not "
            f"{host[:100]}; set {ALLOW_HOSTS_SETTING}={host[:100]} to allow it.")
