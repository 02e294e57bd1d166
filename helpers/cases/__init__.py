"""The case library: real-sounding support tickets about recordings, with the expected diagnosis.

`tickets.json` ships inside the package. Each ticket holds the customer's words, their NCCO
(as they wrote it, mistakes included; a string when they pasted broken JSON), who answers the
test call, what the diagnoser must find, the support reply and, for a ticket that is fixed in
the NCCO alone, what the fix must clear and achieve (`fix`), for one answered by a reply the
facts that reply must state (`reply_facts`), and the docs to send with it (`sources`, keys of
`helpers.sources.SOURCES`). Tests run the diagnoser over every ticket; the clinic notebooks
walk through some and turn the rest into exercises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from ..verdict import Verdict

TOLERANCE = 0.05  # seconds: how close a simulated recording window must be to the expected one


@dataclass(frozen=True)
class Case:
    """One ticket: what the customer wrote and sent, and what a good diagnosis finds."""

    id: str
    title: str
    customer_words: str
    ncco: Any  # a list of actions, or the text the customer pasted when it is not valid JSON
    callee: str | dict | None
    expected: dict
    answer: str
    #: For a ticket fixed in the NCCO alone: the findings the fix must clear (`clears`, the
    #: customer's complaint) and what the simulated call must then do (`goals`). None when the
    #: answer lies elsewhere: the trainee writes the reply instead (`reply_facts`).
    fix: dict | None = None
    #: For a ticket answered by a reply alone (and some others): the facts the reply must state,
    #: fact -> the phrasings that state it, for `exercises.check_reply(..., must_state=...)`.
    reply_facts: dict | None = None
    #: Keys of `helpers.sources.SOURCES`: the Vonage docs and articles to send with the reply.
    sources: tuple[str, ...] = ()

    @property
    def ncco_text(self) -> str:
        """The NCCO as the customer pasted it (JSON text), for the diagnoser's text box."""
        return self.ncco if isinstance(self.ncco, str) else json.dumps(self.ncco, indent=2)

    def diagnose(self, lab=None, folder: str = "recordings"):
        """Run the diagnoser on this ticket's NCCO and callee (simulated when `lab` is given)."""
        from ..diagnoser import diagnose

        return diagnose(self.ncco, self.callee, lab=lab, folder=folder)

    def mismatches(self, diagnosis) -> list[str]:
        """How a diagnosis differs from what this ticket expects; empty when it matches."""
        wrong = []
        want = self.expected
        missing = [c for c in want.get("findings", []) if c not in diagnosis.codes]
        if missing:
            wrong.append(f"findings missing: {missing} (found {diagnosis.codes})")
        names = sorted({p.parameter or "ncco" for p in diagnosis.problems})
        if names != sorted(want.get("problems", [])):
            wrong.append(f"problems about {names}, expected {sorted(want.get('problems', []))}")
        for text in want.get("report_mentions", []):
            if text not in diagnosis.report():
                wrong.append(f"the report does not mention {text!r}")
        if diagnosis.result is None:
            return wrong
        if "status" in want and diagnosis.result.final_status.get("status") != want["status"]:
            wrong.append(f"final status {diagnosis.result.final_status.get('status')!r}, "
                         f"expected {want['status']!r}")
        if "recordings" in want:
            got = diagnosis.windows()
            if len(got) != len(want["recordings"]) or any(
                    g["action"] != w["action"] or g["ended_by"] != w["ended_by"]
                    or abs(g["start"] - w["start"]) > TOLERANCE
                    or abs(g["end"] - w["end"]) > TOLERANCE
                    for g, w in zip(got, want["recordings"], strict=False)):
                wrong.append(f"recordings {got}, expected {want['recordings']}")
        return wrong

    def check_answer(self, codes: list[str]) -> Verdict:
        """Self-check for an exercise: did the trainee name this ticket's classic mistakes?"""
        expected, given = set(self.expected.get("findings", [])), set(codes)
        if given == expected:
            return Verdict(True, f"{self.id}: " + ", ".join(sorted(expected)) + ".")
        parts = []
        if expected - given:
            parts.append(f"{len(expected - given)} mistake(s) not named yet")
        if given - expected:
            parts.append("not in this ticket: " + ", ".join(sorted(given - expected)))
        return Verdict(False, f"{self.id}: " + "; ".join(parts) + ". Run diagnose on the "
                       "ticket's NCCO and read its findings.")


@lru_cache(maxsize=1)
def _load() -> tuple[Case, ...]:
    data = json.loads(files(__name__).joinpath("tickets.json").read_text(encoding="utf-8"))
    return tuple(Case(**{**ticket, "sources": tuple(ticket.get("sources", ()))})
                 for ticket in data["tickets"])


def load_cases() -> list[Case]:
    """Every ticket of the case library, in the library's order."""
    return list(_load())


def find_case(case_id: str) -> Case:
    """One ticket by id; a KeyError that lists the ids when there is no such ticket."""
    for case in _load():
        if case.id == case_id:
            return case
    raise KeyError(f"No ticket {case_id!r}; the ids are: " + ", ".join(c.id for c in _load()))
