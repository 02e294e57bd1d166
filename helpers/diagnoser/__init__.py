"""The NCCO diagnoser: paste a customer's NCCO, get what is wrong with it and why, in words.

The package is named `diagnoser`, unlike its function `diagnose`, so that importing the one
can never shadow the other. Its modules, from the bottom up:

- `context`: what the checks read (the NCCO, the callee's script, the simulated timeline);
- `placement`, `parameters`: the checks themselves, one function per classic mistake;
- `findings`: the catalogue of those mistakes and the runner of their checks;
- `diagnosis`: `diagnose()` and the `Diagnosis` it returns.
"""

from .context import Finding
from .diagnosis import DEFAULT_NUMBER, DIAGNOSE_NUMBER, Diagnosis, diagnose
from .findings import FINDINGS, NOTICES

__all__ = ["DEFAULT_NUMBER", "DIAGNOSE_NUMBER", "FINDINGS", "NOTICES", "Diagnosis", "Finding",
           "diagnose"]
