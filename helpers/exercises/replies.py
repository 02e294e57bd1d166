"""Self-check for the "write the reply" exercises: does the reply state the facts it must?

Each fact has a name ("the cause", "the parameter", "the fix") and the phrasings that state it;
a reply states a fact when it contains any of them, in any case and with any line breaks. A
reply that misses one is told which fact is missing, never the words that would state it.
"""

from __future__ import annotations

import re

from ..verdict import Verdict
from .misses import remembers_misses

__all__ = ["REPLY_FACTS", "check_reply"]

#: What each lesson's reply must state: fact -> phrasings that state it. Kept here, not in the
#: exercise cell, so the cell names the facts without handing out the words.
REPLY_FACTS: dict[str, dict[str, list[str]]] = {
    # lesson 03: a voicemail whose thank-you plays at once and whose recording runs to hang-up
    "03": {
        "the cause (why the thank-you plays at once)": [
            "not block", "n't block", "non-blocking", "not blocking", "no end condition",
            "does not wait", "doesn't wait", "not wait", "moves straight on", "goes straight on",
            "moves on at once", "goes on at once"],
        "a parameter that makes the record wait": ["endOnSilence", "endOnKey", "timeOut"],
        "when the thank-you plays once it is fixed": [
            "after the recording", "once the recording", "when the recording",
            "until the recording", "after the caller", "once the caller", "when the caller"],
    },
    # lesson 08: "Why is there an extended silence at the beginning of a recording?"
    "08": {
        "the cause (what the line carried before anyone spoke)": [
            "ring", "to answer", "to pick up", "picked up", "picks up", "before anyone",
            "before the agent", "before the first"],
        "how to remove the silence from the file afterwards": [
            "detect_leading_silence", "trim", "cut"],
        "what to change when the pause is in the NCCO itself": [
            "after the wait", "after the pause", "move the record", "record later",
            "start the record after", "start recording after", "record action after"],
    },
    # lesson 14: "our recordings sound choppy"
    "14": {
        "the cause (what happened to the audio on its way)": [
            "packet loss", "packets were lost", "lost packets", "jitter", "packets arrive",
            "packets arrived", "late packets", "arrived late"],
        "whose network it is (what Vonage cannot fix)": [
            "your network", "your connection", "your internet", "caller's network",
            "caller's connection", "callee's network", "their network", "their connection",
            "local network", "wi-fi", "wifi"],
        "that the recording keeps what arrived (re-fetching will not repair it)": [
            "recording holds what", "recording keeps what", "recorded what arrived",
            "what was received", "what arrived", "cannot be repaired", "can't be repaired",
            "cannot repair", "can't repair", "not a recording problem",
            "not a problem with the recording", "downloading again", "download it again"],
        "where to see the line's quality": ["voice inspector"],
    },
}


def _plain(text: str) -> str:
    """Lower case, backticks and quotes dropped, every run of whitespace one space."""
    return " ".join(re.sub(r"[`\"\u201c\u201d]", "", text).lower().split())


@remembers_misses
def check_reply(reply: str, *, must_state: dict[str, list[str]]) -> Verdict:
    """Exercise: the reply to a customer states every fact of `must_state` (name -> phrasings)."""
    if not must_state:
        raise ValueError("must_state names no fact: give at least one, with its phrasings.")
    text = _plain(reply)
    if len(text.strip(". ")) < 20:
        return Verdict(False, "the reply is still empty: write it to the customer in a few "
                              "sentences, then run the check again.")
    for fact, phrasings in must_state.items():
        if not any(_plain(phrasing) in text for phrasing in phrasings):
            return Verdict(False, f"the reply does not state {fact} yet. Which part of the "
                                  "lesson explains it?")
    return Verdict(True, "the reply states " + _listed(list(must_state)) + ".")


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
