"""A hint at the first miss, the answer at the second: self-checks remember misses per exercise.

An exercise is the `# %load solutions/NN_exercise_M.py` line of the cell that ran the check
(read from IPython's input history), so the count lives in the kernel and restarts with it.
Outside a notebook, or in a cell without a `%load` line, a check's verdict is left as it is.
"""

from __future__ import annotations

import functools
import re
import sys
from collections import Counter
from collections.abc import Callable

from ..verdict import Verdict

__all__ = ["remembers_misses", "misses"]

LOAD_LINE = re.compile(r"^#\s*%load\s+(solutions/\S+\.py)\s*$", re.MULTILINE)

#: (check name, solutions file) -> misses so far in this kernel
misses: Counter[tuple[str, str]] = Counter()


def _current_cell() -> str:
    """The source of the cell being run, or "" outside IPython."""
    ipython = sys.modules.get("IPython")  # never import IPython just to ask
    shell = ipython.get_ipython() if ipython else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return history[-1] if history else ""


def remembers_misses(check: Callable[..., Verdict]) -> Callable[..., Verdict]:
    """Wrap a self-check so its second miss on the same exercise names the answer's file."""

    @functools.wraps(check)
    def wrapped(*args, **kwargs) -> Verdict:
        verdict = check(*args, **kwargs)
        found = LOAD_LINE.search(_current_cell())
        if verdict.passed or not found:
            return verdict
        misses[check.__name__, found.group(1)] += 1
        if misses[check.__name__, found.group(1)] < 2:
            return verdict
        return Verdict(False, f"{verdict.why} Answer: %load {found.group(1)} (delete the "
                              "'# ' in front of that line in this cell and run it).")

    return wrapped
