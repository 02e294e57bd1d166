"""The Vonage docs and support articles a clinic sends the customer, each written down once.

`SOURCES` holds every link (the keys are the fact sheet's source keys, so a lesson's claim and
its link name the same source); `LESSON_SOURCES` says which ones each clinic lesson ends with,
and a ticket of the case library names its own in `sources`. `docs_to_send("09")` is the list
a lesson shows under "Docs and articles to send the customer".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LESSON_SOURCES", "SOURCES", "Source", "docs_to_send"]


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    #: What it settles, in a few words: why a customer would be sent it.
    settles: str


SOURCES: dict[str, Source] = {
    "NCCO-cur": Source("NCCO reference", "https://developer.vonage.com/en/voice/voice-api/"
                       "ncco-reference", "every action and its parameters: record, talk "
                       "(bargeIn), input, connect, conversation; which actions are synchronous"),
    "REC-2021": Source("Recording guide", "https://developer.nexmo.com/voice/voice-api/guides/"
                       "recording", "split and channels, downloading a recording with the "
                       "application's JWT, 30 days of storage"),
    "KB-part": Source("How do I record a certain part of the call using Voice API?",
                      "https://api.support.vonage.com/hc/en-us/articles/235528528-How-do-I-"
                      "record-a-certain-part-of-the-call-using-Voice-API",
                      "blocking and non-blocking records, recording the whole call"),
    "KB-badreq": Source("Voice API 'Bad Request' Error When Ending Calls Immediately After "
                        "Creation", "https://api.support.vonage.com/hc/en-us/articles/"
                        "10359615124380-Voice-API-Bad-Request-Error-When-Ending-Calls-"
                        "Immediately-After-Creation", "wait about 2 s after creating a call, "
                        "or retry on 400"),
    "KB-order": Source("Which order should Voice API callbacks be received?",
                       "https://api.support.vonage.com/hc/en-us/articles/360057200092-Which-"
                       "order-should-Voice-API-callbacks-be-received",
                       "status events may arrive out of order; every call ends with completed"),
    "KB-ring": Source("What happens if the line is busy when receiving a Voice API call on "
                      "PSTN endpoint", "https://api.support.vonage.com/hc/en-us/articles/"
                      "360051019072-What-happens-if-the-line-is-busy-when-receiving-a-Voice-"
                      "API-call-on-PSTN-endpoint", "a call rings 60 s by default, then it is "
                      "cancelled"),
    "KB-ncco": Source("What happens if the NCCO download request fails?",
                      "https://api.support.vonage.com/hc/en-us/articles/115016024247-What-"
                      "happens-if-the-NCCO-download-request-fails",
                      "the answer URL that serves an inbound call's NCCO, and its retries"),
    "TROUBLE": Source("Voice API troubleshooting guide", "https://developer.vonage.com/voice/"
                      "voice-api/guides/troubleshooting", "answer URL time limits, call "
                      "rate limits, where error events go"),
    "WS-guide": Source("WebSockets guide", "https://developer.vonage.com/en/voice/voice-api/"
                       "concepts/websockets", "connecting a call to a WebSocket; the "
                       "disconnected event and the NCCO returned to it (eventType synchronous)"),
    "AUTH-JWT": Source("JWTs for Vonage applications", "https://developer.vonage.com/jwt",
                       "what a JWT holds and how long it lasts"),
    "ERRDOC": Source("Vonage API errors", "https://developer.vonage.com/api-errors",
                     "what 401, 403 and 404 answers mean"),
    "PHP-446": Source("PHP SDK pull request #446, \"Fix async behavior\"",
                      "https://github.com/Vonage/vonage-php-sdk-core/pull/446",
                      "why the PHP SDK's record sent timeOut 7200 and blocked"),
}

#: The list each clinic lesson ends with (lesson 08 keeps its own).
LESSON_SOURCES: dict[str, tuple[str, ...]] = {
    "09": ("NCCO-cur", "REC-2021"),
    "10": ("KB-badreq", "KB-part", "KB-order", "KB-ring", "TROUBLE"),
    "11": ("REC-2021", "AUTH-JWT", "ERRDOC", "KB-part"),
    "11b": ("NCCO-cur", "KB-part", "REC-2021", "KB-ncco", "TROUBLE", "PHP-446",
            "WS-guide"),
}


class Reading:
    """A list of sources: Markdown links in a notebook, plain lines elsewhere."""

    def __init__(self, keys: tuple[str, ...]):
        self.sources = [SOURCES[key] for key in keys]

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- [{s.title}]({s.url}): {s.settles}." for s in self.sources)

    def __repr__(self) -> str:
        return "\n".join(f"- {s.title}: {s.settles}.\n  {s.url}" for s in self.sources)


def docs_to_send(lesson: str) -> Reading:
    """The docs and articles lesson `lesson` ("09", "11b", ...) sends the customer."""
    if lesson not in LESSON_SOURCES:
        raise KeyError(f"No list for lesson {lesson!r}; the lessons with one are: "
                       + ", ".join(LESSON_SOURCES))
    return Reading(LESSON_SOURCES[lesson])
