"""The signed-webhook exercise (lesson 12): tamper with a signed event and see it refused."""

from __future__ import annotations

from typing import Any

from ..signed_webhooks import canonical_json, post_event
from ..verdict import Verdict
from .misses import remembers_misses


@remembers_misses
def check_tampered(lab: Any, original: dict, changed: dict) -> Verdict:
    """Exercise: an event signed as `original` but delivered as `changed` must be refused."""
    if not isinstance(original, dict) or not isinstance(changed, dict):
        return Verdict(False, "original and changed must both be dicts (JSON objects).")
    if lab.receiver.signature_secret is None:
        return Verdict(False, "this lab's receiver has no signature secret, so it cannot "
                       "refuse anything; in live mode set VONAGE_SIGNATURE_SECRET.")
    if canonical_json(original) == canonical_json(changed):
        return Verdict(False, "changed is the same JSON as original, so its payload_hash "
                       "still matches and the receiver accepts it. Change, add or remove a "
                       "field.")
    reply = post_event(lab, "tampered", original, changed, lab.receiver.signature_secret,
                        "/exercise")
    if reply.status == 401 and "payload_hash" in reply.reason:
        return Verdict(True, "the receiver refused it with 401: the body no longer matches "
                       "the payload_hash the signature vouches for, so any change, however "
                       "small, is caught.")
    return Verdict(False, f"the receiver answered {reply.status} ({reply.reason or 'ok'}); "
                   "expected 401 because the body changed after signing.")
