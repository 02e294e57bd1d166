"""The result of every self-check and exercise: passed or not, and a sentence saying why.

A ground-floor module: the lessons' checks, the clinic's checks, the signed-webhook exercise
and the case library all return a `Verdict`, so it sits below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import rules


@dataclass
class Verdict:
    """The result of a self-check: passed or not, and a sentence saying why."""

    passed: bool
    why: str

    def __repr__(self) -> str:
        return ("\u2705 Right: " if self.passed else "\u274c Not yet: ") + self.why

    def _repr_html_(self) -> str:
        colour = "#1b7f3b" if self.passed else "#b3261e"
        word = "Right" if self.passed else "Not yet"
        return f'<p style="color:{colour}"><b>{word}:</b> {self.why}</p>'


def invalid_ncco(ncco: object) -> Verdict | None:
    """The failing verdict for an NCCO the rules refuse, or None when the NCCO is valid."""
    problems = rules.validate(ncco)
    if problems:
        return Verdict(False, "the NCCO is not valid: " + "; ".join(str(p) for p in problems))
    return None
