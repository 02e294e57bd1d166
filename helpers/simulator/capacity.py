"""Vonage's capacity limits, behind a switch that is off by default.

Voice troubleshooting guide (https://developer.vonage.com/voice/voice-api/guides/
troubleshooting, fact sheet §4.6 "Capacity"): at most 3 outbound calls per second (REST create
or `connect`) and at most 15 requests per second to the rest of the REST API; beyond that the
API answers HTTP 429. The 429 body is Vonage's problem shape with the generic `rate-limit`
code (its api-errors page; the Python SDK's fixtures: title "Rate Limit Hit", detail "Please
wait, then retry your request").

Off unless `RECORDING_LAB_SIM_CAPACITY=1` is set when the simulator starts, or
`PUT /_sim/capacity {"enabled": true}` turns it on (GET shows it). When on, POST /v1/calls
counts against the call limit and every other /v1 or /v2 request against the request limit,
over a sliding second; a refused request does not count. /_sim is never limited.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Any

from .bodies import ApiError

SETTING = "RECORDING_LAB_SIM_CAPACITY"
CALLS_PER_SECOND = 3  # troubleshooting guide: outbound calls per second
REQUESTS_PER_SECOND = 15  # troubleshooting guide: other REST requests per second
WINDOW = 1.0


class Capacity:
    """Sliding one-second windows of accepted requests, per kind."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = (os.environ.get(SETTING, "") in ("1", "true", "yes", "on")
                        if enabled is None else enabled)
        self._lock = threading.Lock()
        self._seen: dict[str, deque] = {"calls": deque(), "requests": deque()}

    def admit(self, method: str, path: str, now: float | None = None) -> ApiError | None:
        """None when the request may go on (and it is counted); else the 429 to answer."""
        if not self.enabled or not path.startswith(("/v1/", "/v2/")):
            return None
        kind = "calls" if method == "POST" and path.rstrip("/") == "/v1/calls" else "requests"
        limit = CALLS_PER_SECOND if kind == "calls" else REQUESTS_PER_SECOND
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen[kind]
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            if len(seen) >= limit:
                what = "call creations" if kind == "calls" else "API requests"
                return ApiError(429, "Rate Limit Hit", "Please wait, then retry your request. "
                                f"At most {limit} {what} per second (Voice troubleshooting "
                                "guide); the simulator's capacity limit is on.",
                                kind="rate-limit")
            seen.append(now)
        return None

    def state(self) -> dict:
        return {"enabled": self.enabled, "calls_per_second": CALLS_PER_SECOND,
                "requests_per_second": REQUESTS_PER_SECOND}


class CapacityLimit:
    """ASGI wrapper: a request over the simulator's capacity gets the 429 before the app."""

    def __init__(self, app: Any, capacity: Capacity):
        self.app, self.capacity = app, capacity

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refused = self.capacity.admit(scope["method"], scope["path"])
            if refused is not None:
                await refused.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
