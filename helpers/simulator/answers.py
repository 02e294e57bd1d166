"""Where a call's NCCO comes from when it is not given inline: an answer URL and its fallback.

Kept apart from the server so the API handlers can name it without importing the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import assumptions


@dataclass(frozen=True)
class AnswerSource:
    """Where a call's NCCO comes from: an answer URL, its method and time-outs (connect,
    read; seconds), and the fallback tried when it gives no usable NCCO."""

    url: str
    method: str = "GET"
    timeouts: tuple[float, float] = (assumptions.WEBHOOK_CONNECT_TIMEOUT,
                                     assumptions.ANSWER_READ_TIMEOUT)
    fallback: AnswerSource | None = None
