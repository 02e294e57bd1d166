"""Run calls on the simulator with a lab assumption switched, to see the other reading.

Some behaviours are the lab's choice because no public source settles them
(`helpers/assumptions.py`). For the ones the simulator can run both ways, `assume` switches
them for the calls created inside the block, then puts them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .client import Lab


def assumed(lab: Lab) -> dict[str, bool]:
    """The switchable lab assumptions and how the simulator runs new calls now."""
    _need_simulator(lab)
    return lab.vonage.http_client.get(lab.api_host, "/_sim/assumptions")


@contextmanager
def assume(lab: Lab, **settings: bool) -> Iterator[dict[str, bool]]:
    """Calls created inside this block run with these assumptions, e.g.
    `with assume(lab, RECORD_LAST_HOLDS_CALL=False):` ends a call when its NCCO runs out,
    as the NCCO reference reads, even when the last action is a record."""
    previous = assumed(lab)
    now = lab.vonage.http_client.put(lab.api_host, "/_sim/assumptions", settings)
    try:
        yield now
    finally:
        lab.vonage.http_client.put(lab.api_host, "/_sim/assumptions",
                                   {name: previous[name] for name in settings})


def _need_simulator(lab: Lab) -> None:
    if lab.simulator is None:
        raise RuntimeError("This needs the simulator: live Vonage runs calls its own way.")
