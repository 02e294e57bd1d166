"""What the widget modules share: colours, the unset marker, small HTML helpers."""

from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as w

UNSET = "(unset)"
STEP_KINDS = ("speak", "say", "silence", "press", "hangup")  # the callee script format
#: What the event table shows of each event; its first column already gives the time
#: (seconds after the answer), so the events' own wall-clock fields are left out.
EVENT_FIELDS = ("recording_uuid", "size", "dtmf", "reason", "duration", "detail")
UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ISO = re.compile(r"\b\d{4}-\d\d-\d\dT([\d:.]+)Z\b")
GREEN, RED, GREY = "#1a7f37", "#c62828", "#666"


def _short(text: Any) -> str:
    """UUIDs cut to 8 characters and ISO times to the clock, for tables a trainee can read."""
    return ISO.sub(r"\1", UUID.sub(r"\1…", str(text)))


def _pre(text: str) -> str:
    # wrap between words; break inside a word only when it alone is wider than the column
    return (f"<pre style='margin:0;white-space:pre-wrap;word-break:normal;"
            f"overflow-wrap:break-word'>{html.escape(text)}</pre>")


def _lines(items: list[str], colour: str) -> str:
    return "".join(f"<div style='color:{colour}'>{html.escape(i)}</div>" for i in items)


def _shown(widget: w.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"




def png_widget(figure) -> w.Image:
    """A matplotlib figure as an Image widget (PNG); a pyplot figure is closed afterwards."""
    import io
    import sys

    import ipywidgets as w

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure would stay open otherwise
        sys.modules["matplotlib.pyplot"].close(figure)
    return w.Image(value=buffer.getvalue(), format="png", layout=w.Layout(max_width="900px"))
